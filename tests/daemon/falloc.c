// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd fallocate: preallocation (mode 0, KEEP_SIZE), PUNCH_HOLE,
 * ZERO_RANGE, COLLAPSE_RANGE, INSERT_RANGE and UNSHARE_RANGE, for classic
 * and iomap files alike.  The kernel has written back and waited for the
 * range, so only the mapping and the disk change here.
 *
 * Partial blocks are zeroed on disk (a shared one is copied first); whole
 * blocks are unmapped (PUNCH_HOLE, dropping a reference) or made unwritten
 * (ZERO_RANGE: a shared block stays shared, unwritten in this file only).
 * UNSHARE_RANGE gives every block the range touches that is still shared
 * a private copy (written blocks are copied, unwritten ones get fresh
 * unwritten blocks), dropping a reference to the shared one, then
 * allocates the holes as mode 0 does.  On iomap files the kernel has
 * usually done the copying already, through out-of-place writes of the
 * shared blocks (FUSE_IOMAP_OP_UNSHARE, iomap.c); what it left, or all of
 * it for classic files, is done here.
 * Every mode voids the COW fork over what it changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <linux/falloc.h>

#include "store.h"

#define BS	FT_BLOCK_SIZE

static uint64_t div_round_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

/* Zero the partial blocks at either end of [off, end). */
static int zero_edges(struct ft_store *st, struct ft_inode *inode,
		      uint64_t off, uint64_t end)
{
	uint64_t first = div_round_up(off, BS), last = end / BS;
	int err = 0;

	if (first > last)
		return file_zero_partial(st, inode, off, end - off);
	if (off % BS)
		err = file_zero_partial(st, inode, off, first * BS - off);
	if (!err && end % BS)
		err = file_zero_partial(st, inode, last * BS, end % BS);
	return err;
}

static int punch_hole(struct ft_store *st, struct ft_inode *inode,
		      uint64_t off, uint64_t end)
{
	uint64_t first = div_round_up(off, BS), last = end / BS;
	int err = zero_edges(st, inode, off, end);

	if (err || last <= first)
		return err;
	err = ext_punch(st, inode, first, last - first);
	if (!err)
		cow_cancel(st, store_ino(st, inode), first, last - first);
	return err;
}

/*
 * Give the holes of [first, last) unwritten blocks; with zero, make the
 * written blocks unwritten too.
 */
static int preallocate(struct ft_store *st, struct ft_inode *inode,
		       uint64_t first, uint64_t last, int zero)
{
	uint64_t lblk, n, pblk;
	struct ft_map map;
	int err;

	for (lblk = first; lblk < last; lblk += n) {
		ext_map(st, inode, lblk, &map);
		n = map.len < last - lblk ? map.len : last - lblk;
		if (map.type == FT_MAP_DATA && zero) {
			err = ext_set(st, inode, lblk, n, map.pblk,
				      FT_EXT_UNWRITTEN);
			if (err)
				return err;
			continue;
		}
		if (map.type != FT_MAP_HOLE)
			continue;
		n = store_alloc(st, ext_goal(st, inode, lblk), n, &pblk);
		if (!n)
			return -ENOSPC;
		err = ext_set(st, inode, lblk, n, pblk, FT_EXT_UNWRITTEN);
		if (err) {
			block_put(st, pblk, n);
			return err;
		}
	}
	return 0;
}

/*
 * Give the shared blocks of [first, last) private copies: the data of
 * written blocks is copied, unwritten blocks read as zeros and get new
 * unwritten blocks.  Each copy drops a reference to the block it
 * replaces.
 */
static int unshare_blocks(struct ft_store *st, struct ft_inode *inode,
			  uint64_t first, uint64_t last)
{
	uint64_t ino = store_ino(st, inode), lblk, n, pblk;
	struct ft_extent x = { 0 };
	struct ft_map map;
	int shared, err;

	for (lblk = first; lblk < last; lblk += n) {
		ext_map(st, inode, lblk, &map);
		n = map.len < last - lblk ? map.len : last - lblk;
		if (map.type == FT_MAP_HOLE)
			continue;
		shared = block_shared(st, map.pblk);
		n = block_run(st, map.pblk, n, shared);
		if (!shared)
			continue;
		/* one bounce buffer at a time */
		if (n > FT_MAX_IO / BS)
			n = FT_MAX_IO / BS;
		n = store_alloc(st, ext_goal(st, inode, lblk), n, &pblk);
		if (!n)
			return -ENOSPC;
		err = 0;
		if (map.type == FT_MAP_DATA) {
			err = store_read_blocks(st, st->bounce, map.pblk, n);
			if (!err)
				err = store_write_blocks(st, st->bounce, pblk,
							 n);
		}
		x.pblk = pblk;
		x.flags = map.type == FT_MAP_UNWRITTEN ? FT_EXT_UNWRITTEN : 0;
		if (!err)
			err = ext_replace(st, inode, lblk, n, &x, ext_put_old,
					  NULL);
		if (err) {
			block_put(st, pblk, n);
			return err;
		}
		cow_cancel(st, ino, lblk, n);
		stats_event(st->stats, FT_EV_UNSHARE_BLOCKS, n);
	}
	return 0;
}

static int unshare_range(struct ft_store *st, struct ft_inode *inode,
			 uint64_t off, uint64_t end)
{
	uint64_t first = off / BS, last = div_round_up(end, BS);
	int err = unshare_blocks(st, inode, first, last);

	return err ? err : preallocate(st, inode, first, last, 0);
}

static int zero_range(struct ft_store *st, struct ft_inode *inode,
		      uint64_t off, uint64_t end)
{
	uint64_t first = div_round_up(off, BS), last = end / BS;
	int err = zero_edges(st, inode, off, end);

	if (err || last <= first)
		return err;
	err = preallocate(st, inode, first, last, 1);
	cow_cancel(st, store_ino(st, inode), first, last - first);
	return err;
}

static int collapse_range(struct ft_store *st, struct ft_inode *inode,
			  uint64_t off, uint64_t len)
{
	uint64_t lblk = off / BS, n = len / BS;
	int err;

	if (off % BS || len % BS || off + len >= inode->size)
		return -EINVAL;
	err = ext_punch(st, inode, lblk, n);
	if (err)
		return err;
	cow_cancel(st, store_ino(st, inode), lblk, UINT64_MAX);
	ext_shift(st, inode, lblk + n, -(int64_t)n);
	inode->size -= len;
	return 0;
}

static int insert_range(struct ft_store *st, struct ft_inode *inode,
			uint64_t off, uint64_t len)
{
	uint64_t lblk = off / BS, n = len / BS;
	struct ft_extent last;
	int err;

	if (off % BS || len % BS || off >= inode->size)
		return -EINVAL;
	if (len > FT_MAX_SIZE - inode->size)
		return -EFBIG;
	if (!ext_last(st, inode, &last) &&
	    last.lblk + last.len > FT_MAX_BLOCKS - n)
		return -EFBIG;
	err = ext_split(st, inode, lblk);
	if (err)
		return err;
	cow_cancel(st, store_ino(st, inode), lblk, UINT64_MAX);
	ext_shift(st, inode, lblk, n);
	inode->size += len;
	return 0;
}

int file_fallocate(struct ft_store *st, struct ft_inode *inode, uint32_t mode,
		   uint64_t off, uint64_t len)
{
	uint64_t end = off + len;
	int keep = mode & FALLOC_FL_KEEP_SIZE, err;

	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE |
		     FALLOC_FL_ZERO_RANGE | FALLOC_FL_COLLAPSE_RANGE |
		     FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE))
		return -EOPNOTSUPP;
	if (!len)
		return -EINVAL;
	if (off >= FT_MAX_SIZE || len > FT_MAX_SIZE - off)
		return -EFBIG;
	/* the modes work on blocks */
	err = inline_move_out(st, inode);
	if (err)
		return err;

	switch (mode & ~FALLOC_FL_KEEP_SIZE) {
	case 0:
		err = preallocate(st, inode, off / BS, div_round_up(end, BS),
				  0);
		break;
	case FALLOC_FL_PUNCH_HOLE:
		if (!keep)
			return -EOPNOTSUPP;
		err = punch_hole(st, inode, off, end);
		break;
	case FALLOC_FL_ZERO_RANGE:
		err = zero_range(st, inode, off, end);
		break;
	case FALLOC_FL_COLLAPSE_RANGE:
		err = keep ? -EINVAL : collapse_range(st, inode, off, len);
		keep = 1;
		break;
	case FALLOC_FL_INSERT_RANGE:
		err = keep ? -EINVAL : insert_range(st, inode, off, len);
		keep = 1;
		break;
	case FALLOC_FL_UNSHARE_RANGE:
		err = unshare_range(st, inode, off, end);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (err)
		return err;
	if (!keep && end > inode->size)
		inode->size = end;
	inode_touch(inode, FT_MTIME | FT_CTIME);
	return 0;
}
