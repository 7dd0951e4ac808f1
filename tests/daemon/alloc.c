// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd block allocation: data blocks with their reference counts, and
 * the blocks of the extent pool.
 *
 * A data block is free when its count is 0 (and its bitmap bit clear);
 * store_alloc() hands out blocks with a count of 1, block_get() adds a
 * reference for each further extent that maps a block (reflink) and
 * block_put() drops one, freeing the block at 0.  Pool blocks have a
 * bitmap bit only.
 */
#include <errno.h>

#include "store.h"

#define MAX_ALLOC	(1ULL << 20)	/* blocks per allocation */

/* First free block in [from, to), or to if there is none. */
static uint64_t find_free(const struct ft_store *st, uint64_t from,
			  uint64_t to)
{
	uint64_t b = from;

	while (b < to) {
		if (b % 8 == 0 && b + 8 <= to && st->bitmap[b / 8] == 0xff) {
			b += 8;
			continue;
		}
		if (!bit_test(st->bitmap, b))
			return b;
		b++;
	}
	return to;
}

/*
 * Allocate a run of up to want contiguous blocks, at goal if possible, else
 * at the next free block after it.  Returns the run length (0 when the image
 * is full) and its first block in *start.
 */
uint64_t store_alloc(struct ft_store *st, uint64_t goal, uint64_t want,
		     uint64_t *start)
{
	struct ft_super *sb = st->sb;
	uint64_t b, n;

	if (!want || !sb->free_blocks)
		return 0;
	if (want > MAX_ALLOC)
		want = MAX_ALLOC;
	if (goal < sb->data_start || goal >= sb->nr_blocks)
		goal = st->alloc_hint;
	b = find_free(st, goal, sb->nr_blocks);
	if (b == sb->nr_blocks) {
		b = find_free(st, sb->data_start, goal);
		if (b == goal)
			return 0;
	}
	for (n = 0; n < want && b + n < sb->nr_blocks; n++) {
		if (bit_test(st->bitmap, b + n))
			break;
		bit_set(st->bitmap, b + n);
		st->refcnt[b + n] = 1;
	}
	sb->free_blocks -= n;
	st->alloc_hint = b + n < sb->nr_blocks ? b + n : sb->data_start;
	*start = b;
	return n;
}

static int data_range_ok(const struct ft_store *st, uint64_t start,
			 uint64_t len, const char *what)
{
	const struct ft_super *sb = st->sb;

	if (start < sb->data_start || start > sb->nr_blocks ||
	    len > sb->nr_blocks - start) {
		ft_warn("%s bad block range %llu+%llu", what,
			(unsigned long long)start, (unsigned long long)len);
		return 0;
	}
	return 1;
}

/* One more reference to each block of a range in use. */
int block_get(struct ft_store *st, uint64_t start, uint64_t len)
{
	uint64_t b;

	if (!data_range_ok(st, start, len, "sharing"))
		return -EUCLEAN;
	for (b = start; b < start + len; b++) {
		if (!st->refcnt[b] || st->refcnt[b] == UINT32_MAX) {
			ft_warn("sharing block %llu with %u references",
				(unsigned long long)b, st->refcnt[b]);
			while (b-- > start)
				st->refcnt[b]--;
			return -EUCLEAN;
		}
	}
	for (b = start; b < start + len; b++)
		st->refcnt[b]++;
	return 0;
}

/* Drop a reference to each block of a range; free those left unused. */
void block_put(struct ft_store *st, uint64_t start, uint64_t len)
{
	struct ft_super *sb = st->sb;
	uint64_t b;

	if (!data_range_ok(st, start, len, "freeing"))
		return;
	for (b = start; b < start + len; b++) {
		if (!st->refcnt[b] || !bit_test(st->bitmap, b)) {
			ft_warn("freeing free block %llu",
				(unsigned long long)b);
			continue;
		}
		if (--st->refcnt[b])
			continue;
		bit_clear(st->bitmap, b);
		sb->free_blocks++;
	}
}

int block_shared(const struct ft_store *st, uint64_t pblk)
{
	return st->refcnt[pblk] > 1;
}

/* How many of the len blocks from pblk on are (not) shared, as the first. */
uint64_t block_run(const struct ft_store *st, uint64_t pblk, uint64_t len,
		   int shared)
{
	uint64_t n;

	for (n = 0; n < len; n++)
		if (block_shared(st, pblk + n) != !!shared)
			break;
	return n;
}

int pool_valid(const struct ft_store *st, uint64_t b)
{
	return b >= st->sb->pool_start && b < st->sb->data_start;
}

/* A block of the extent pool, or 0 if the pool is exhausted. */
uint64_t pool_alloc(struct ft_store *st)
{
	struct ft_super *sb = st->sb;
	uint64_t b;

	if (!sb->free_pool)
		return 0;
	if (!pool_valid(st, st->pool_hint))
		st->pool_hint = sb->pool_start;
	b = find_free(st, st->pool_hint, sb->data_start);
	if (b == sb->data_start)
		b = find_free(st, sb->pool_start, st->pool_hint);
	if (b == st->pool_hint && bit_test(st->bitmap, b))
		return 0;
	bit_set(st->bitmap, b);
	sb->free_pool--;
	st->pool_hint = b + 1;
	return b;
}

void pool_free(struct ft_store *st, uint64_t b)
{
	if (!pool_valid(st, b) || !bit_test(st->bitmap, b)) {
		ft_warn("freeing bad pool block %llu", (unsigned long long)b);
		return;
	}
	bit_clear(st->bitmap, b);
	st->sb->free_pool++;
}
