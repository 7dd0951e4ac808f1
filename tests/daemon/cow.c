// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd COW fork: per inode, the blocks allocated for out-of-place writes
 * over shared blocks (iomap mode) that the kernel has not reported written
 * yet.  FUSE_IOMAP_BEGIN adds to it, FUSE_IOMAP_IOEND moves written ranges
 * into the file's extent map (or frees them on error), and every change of
 * the file's mapping by other means cancels the entries in its range.
 *
 * The fork is kept in memory only, as a sorted array per inode: its blocks
 * are counted as used (one reference each) in the on-disk bitmap and
 * reference counts, so a daemon crash leaks at most the blocks of the fork
 * (fusetd fsck reports them).  Unmounting frees the whole fork.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

struct ft_cow {
	uint32_t		nr;
	uint32_t		cap;
	struct ft_extent	e[];
};

static uint64_t end_of(const struct ft_extent *e)
{
	return e->lblk + e->len;
}

static struct ft_cow *fork_of(const struct ft_store *st, uint64_t ino)
{
	return st->cow ? st->cow[ino] : NULL;
}

/* Index of the first entry ending after lblk (nr if none). */
static uint32_t find(const struct ft_cow *f, uint64_t lblk)
{
	uint32_t lo = 0, hi = f->nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (end_of(&f->e[mid]) <= lblk)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The fork entry holding block lblk (0), or else the next one (-ENOENT,
 * with ext->lblk the first block of the next entry, or UINT64_MAX).
 */
int cow_find(struct ft_store *st, uint64_t ino, uint64_t lblk,
	     struct ft_extent *ext)
{
	struct ft_cow *f = fork_of(st, ino);
	uint32_t i;

	if (!f || (i = find(f, lblk)) == f->nr) {
		memset(ext, 0, sizeof(*ext));
		ext->lblk = UINT64_MAX;
		return -ENOENT;
	}
	*ext = f->e[i];
	return ext->lblk <= lblk ? 0 : -ENOENT;
}

static int insert_at(struct ft_store *st, uint64_t ino, uint32_t i,
		     const struct ft_extent *x)
{
	struct ft_cow *f = st->cow[ino];
	uint32_t cap;

	if (!f || f->nr == f->cap) {
		cap = f ? f->cap * 2 : 8;
		f = realloc(f, sizeof(*f) + cap * sizeof(f->e[0]));
		if (!f)
			return -ENOMEM;
		if (!st->cow[ino])
			f->nr = 0;
		f->cap = cap;
		st->cow[ino] = f;
	}
	memmove(&f->e[i + 1], &f->e[i], (f->nr - i) * sizeof(f->e[0]));
	f->e[i] = *x;
	f->nr++;
	return 0;
}

/* Record blocks [pblk, pblk + len) as the fork of [lblk, lblk + len). */
int cow_add(struct ft_store *st, uint64_t ino, uint64_t lblk, uint64_t pblk,
	    uint64_t len)
{
	struct ft_extent x = { .lblk = lblk, .pblk = pblk, .len = len };
	struct ft_cow *f = st->cow[ino];
	uint32_t i = f ? find(f, lblk) : 0;

	if (f && i < f->nr && f->e[i].lblk < lblk + len) {
		ft_warn("inode %llu: COW fork overlap at block %llu",
			(unsigned long long)ino, (unsigned long long)lblk);
		return -EUCLEAN;
	}
	if (i > 0 && end_of(&f->e[i - 1]) == lblk &&
	    f->e[i - 1].pblk + f->e[i - 1].len == pblk &&
	    f->e[i - 1].len + len <= UINT32_MAX) {
		f->e[i - 1].len += len;
		return 0;
	}
	return insert_at(st, ino, i, &x);
}

/*
 * Drop the fork's entries in [lblk, lblk + len), freeing their blocks if
 * free_blocks (otherwise they now belong to the file).
 */
void cow_remove(struct ft_store *st, uint64_t ino, uint64_t lblk,
		uint64_t len, int free_blocks)
{
	uint64_t end = len > UINT64_MAX - lblk ? UINT64_MAX : lblk + len;
	struct ft_cow *f = fork_of(st, ino);
	struct ft_extent *e, right;
	uint64_t s, t;
	uint32_t i;

	if (!f)
		return;
	i = find(f, lblk);
	while (i < f->nr && f->e[i].lblk < end) {
		e = &f->e[i];
		s = e->lblk > lblk ? e->lblk : lblk;
		t = end_of(e) < end ? end_of(e) : end;
		if (free_blocks) {
			block_put(st, e->pblk + (s - e->lblk), t - s);
			stats_event(st->stats, FT_EV_COW_CANCEL_BLOCKS, t - s);
		}
		if (e->lblk < lblk && end_of(e) > end) {
			right = *e;
			right.lblk = end;
			right.pblk += end - e->lblk;
			right.len = end_of(e) - end;
			e->len = lblk - e->lblk;
			if (insert_at(st, ino, i + 1, &right)) {
				/* cannot keep the tail: give it up */
				if (!free_blocks)
					ft_warn("inode %llu: COW fork lost",
						(unsigned long long)ino);
				block_put(st, right.pblk, right.len);
			}
			return;
		}
		if (e->lblk < lblk) {
			e->len = lblk - e->lblk;
			i++;
			continue;
		}
		if (end_of(e) > end) {
			e->pblk += end - e->lblk;
			e->len -= end - e->lblk;
			e->lblk = end;
			return;
		}
		memmove(e, e + 1, (f->nr - i - 1) * sizeof(*e));
		f->nr--;
	}
}

/* The file's mapping of a range changed: its pending COW is void. */
void cow_cancel(struct ft_store *st, uint64_t ino, uint64_t lblk,
		uint64_t len)
{
	cow_remove(st, ino, lblk, len, 1);
}

/* Free every fork (unmount). */
void cow_free_all(struct ft_store *st)
{
	uint64_t ino;

	if (!st->cow)
		return;
	for (ino = 0; ino < st->sb->nr_inodes; ino++) {
		if (!st->cow[ino])
			continue;
		cow_remove(st, ino, 0, UINT64_MAX, 1);
		free(st->cow[ino]);
		st->cow[ino] = NULL;
	}
}

/* Call fn for each block range of ino's fork; returns the block count. */
uint64_t cow_blocks(const struct ft_store *st, uint64_t ino,
		    void (*fn)(void *arg, uint64_t pblk, uint64_t len),
		    void *arg)
{
	struct ft_cow *f = fork_of(st, ino);
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; f && i < f->nr; i++) {
		if (fn)
			fn(arg, f->e[i].pblk, f->e[i].len);
		n += f->e[i].len;
	}
	return n;
}
