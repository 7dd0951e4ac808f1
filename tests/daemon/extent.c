// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd extent lists: the sorted, non-overlapping file->disk mappings kept
 * in each inode.  Updates are built in a scratch list that may briefly hold
 * two extents more than an inode, so an update that would not fit fails
 * with ENOSPC and leaves the inode untouched.
 */
#include <errno.h>
#include <string.h>

#include "store.h"

struct ext_buf {
	uint32_t		nr;
	struct ft_extent	e[FT_MAX_EXTENTS + 2];
};

static uint64_t ext_end(const struct ft_extent *e)
{
	return e->lblk + e->len;
}

/* Append an extent, merging it into the last one when contiguous. */
static void ext_push(struct ext_buf *b, uint64_t lblk, uint64_t len,
		     uint64_t pblk, uint32_t flags)
{
	struct ft_extent *last = b->nr ? &b->e[b->nr - 1] : NULL;

	if (last && ext_end(last) == lblk && last->pblk + last->len == pblk &&
	    last->flags == flags && last->len + len <= UINT32_MAX) {
		last->len += len;
		return;
	}
	b->e[b->nr++] = (struct ft_extent){
		.lblk = lblk, .pblk = pblk, .len = len, .flags = flags,
	};
}

/*
 * Build in b the extent list of inode with [lblk, end) mapped to pblk with
 * flags, or made a hole if map is 0.
 */
static void ext_build(const struct ft_inode *inode, uint64_t lblk,
		      uint64_t end, int map, uint64_t pblk, uint32_t flags,
		      struct ext_buf *b)
{
	const struct ft_extent *e;
	uint32_t i;

	b->nr = 0;
	for (i = 0; i < inode->nr_extents; i++) {
		e = &inode->ext[i];
		if (ext_end(e) <= lblk)
			ext_push(b, e->lblk, e->len, e->pblk, e->flags);
		else if (e->lblk < lblk)
			ext_push(b, e->lblk, lblk - e->lblk, e->pblk, e->flags);
	}
	if (map)
		ext_push(b, lblk, end - lblk, pblk, flags);
	for (i = 0; i < inode->nr_extents; i++) {
		e = &inode->ext[i];
		if (e->lblk >= end)
			ext_push(b, e->lblk, e->len, e->pblk, e->flags);
		else if (ext_end(e) > end)
			ext_push(b, end, ext_end(e) - end,
				 e->pblk + (end - e->lblk), e->flags);
	}
}

static int ext_commit(struct ft_inode *inode, const struct ext_buf *b)
{
	if (b->nr > FT_MAX_EXTENTS)
		return -ENOSPC;
	memset(inode->ext, 0, sizeof(inode->ext));
	memcpy(inode->ext, b->e, b->nr * sizeof(b->e[0]));
	inode->nr_extents = b->nr;
	return 0;
}

/* How block lblk of inode is mapped, and for how many blocks. */
void ext_map(const struct ft_inode *inode, uint64_t lblk, struct ft_map *map)
{
	const struct ft_extent *e;
	uint32_t i;

	for (i = 0; i < inode->nr_extents; i++) {
		e = &inode->ext[i];
		if (lblk < e->lblk) {
			map->type = FT_MAP_HOLE;
			map->len = e->lblk - lblk;
			return;
		}
		if (lblk < ext_end(e)) {
			map->type = e->flags & FT_EXT_UNWRITTEN ?
				    FT_MAP_UNWRITTEN : FT_MAP_DATA;
			map->pblk = e->pblk + (lblk - e->lblk);
			map->len = ext_end(e) - lblk;
			return;
		}
	}
	map->type = FT_MAP_HOLE;
	map->len = UINT64_MAX - lblk;
}

/* Preferred disk block for file block lblk: following what precedes it. */
uint64_t ext_goal(const struct ft_inode *inode, uint64_t lblk)
{
	const struct ft_extent *e = NULL;
	uint32_t i;

	for (i = 0; i < inode->nr_extents && inode->ext[i].lblk < lblk; i++)
		e = &inode->ext[i];
	return e ? e->pblk + (lblk - e->lblk) : 0;
}

/* Map [lblk, lblk + len) to pblk with flags; frees nothing. */
int ext_set(struct ft_inode *inode, uint64_t lblk, uint64_t len, uint64_t pblk,
	    uint32_t flags)
{
	struct ext_buf b;

	ext_build(inode, lblk, lblk + len, 1, pblk, flags, &b);
	return ext_commit(inode, &b);
}

/* Unmap [lblk, lblk + len) (len may run past the end) and free its blocks. */
int ext_punch(struct ft_store *st, struct ft_inode *inode, uint64_t lblk,
	      uint64_t len)
{
	uint64_t end = len > UINT64_MAX - lblk ? UINT64_MAX : lblk + len;
	const struct ft_extent *e;
	struct ext_buf b;
	uint64_t from, to;
	uint32_t i;

	ext_build(inode, lblk, end, 0, 0, 0, &b);
	if (b.nr > FT_MAX_EXTENTS)
		return -ENOSPC;
	for (i = 0; i < inode->nr_extents; i++) {
		e = &inode->ext[i];
		from = e->lblk > lblk ? e->lblk : lblk;
		to = ext_end(e) < end ? ext_end(e) : end;
		if (from >= to)
			continue;
		store_free(st, e->pblk + (from - e->lblk), to - from);
		inode->blocks -= to - from;
	}
	return ext_commit(inode, &b);
}
