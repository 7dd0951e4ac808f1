// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd file data: read, write, truncate and SEEK_DATA/HOLE on top of the
 * extent maps.  Holes and unwritten extents read as zeros; a block that
 * receives data for the first time is written whole, zero-filled around
 * the data, so stale disk contents never show.  Writes to shared blocks
 * (reflink) go to new blocks (copy-on-write), carrying over the old data
 * of partially written blocks.  Data moves in whole blocks through the
 * block-aligned bounce buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "store.h"

#define BS	FT_BLOCK_SIZE

static uint64_t div_round_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

/* Bytes of a want-byte request at offset boff in a run of len blocks. */
static size_t run_bytes(uint64_t len, uint32_t boff, size_t want)
{
	if (len >= div_round_up(boff + (uint64_t)want, BS))
		return want;
	return len * BS - boff;
}

ssize_t file_read(struct ft_store *st, struct ft_inode *inode, void *buf,
		  size_t len, uint64_t off)
{
	size_t done = 0, n;
	struct ft_map map;
	uint64_t pos;
	int err;

	if (inline_file(inode))
		return inline_read(st, inode, buf, len, off);
	if (off >= inode->size)
		return 0;
	if (len > inode->size - off)
		len = inode->size - off;
	while (done < len) {
		pos = off + done;
		ext_map(st, inode, pos / BS, &map);
		n = len - done < FT_MAX_IO ? len - done : FT_MAX_IO;
		n = run_bytes(map.len, pos % BS, n);
		if (map.type == FT_MAP_DATA) {
			err = store_read_blocks(st, st->bounce, map.pblk,
						div_round_up(pos % BS + n, BS));
			if (err)
				return done ? (ssize_t)done : err;
			memcpy((char *)buf + done, st->bounce + pos % BS, n);
		} else {
			memset((char *)buf + done, 0, n);
		}
		done += n;
	}
	return done;
}

/*
 * Put n bytes of buf at offset boff of the bounce buffer, whose first and
 * last blocks hold what the run of blocks at old had (zeros if old is 0).
 */
static int fill_bounce(struct ft_store *st, uint64_t old, uint32_t boff,
		       const void *buf, size_t n)
{
	uint64_t nblk = div_round_up(boff + n, BS), last = nblk - 1;
	char *tail = st->bounce + last * BS;
	int err = 0;

	if (boff) {
		if (old)
			err = store_read_blocks(st, st->bounce, old, 1);
		else
			memset(st->bounce, 0, BS);
	}
	if (!err && (boff + n) % BS && (last || !boff)) {
		if (old)
			err = store_read_blocks(st, tail, old + last, 1);
		else
			memset(tail, 0, BS);
	}
	if (!err)
		memcpy(st->bounce + boff, buf, n);
	return err;
}

/*
 * Write n bytes at offset boff of block lblk to new blocks: copy-on-write
 * of the blocks at old (0: zeros, for holes and unwritten blocks), whose
 * references the mapping drops.  May shorten *n to what one allocation
 * provided.
 */
static int write_new(struct ft_store *st, struct ft_inode *inode,
		     uint64_t lblk, uint32_t boff, const void *buf, size_t *n,
		     uint64_t old, int replace)
{
	uint64_t nblk = div_round_up(boff + *n, BS), pblk;
	struct ft_extent x = { 0 };
	int err;

	nblk = store_alloc(st, ext_goal(st, inode, lblk), nblk, &pblk);
	if (!nblk)
		return -ENOSPC;
	if (*n > nblk * BS - boff)
		*n = nblk * BS - boff;
	err = fill_bounce(st, old, boff, buf, *n);
	if (!err)
		err = store_write_blocks(st, st->bounce, pblk, nblk);
	x.pblk = pblk;
	if (!err)
		err = ext_replace(st, inode, lblk, nblk, &x,
				  replace ? ext_put_old : NULL, NULL);
	if (err) {
		block_put(st, pblk, nblk);
		return err;
	}
	if (replace)
		stats_event(st->stats, FT_EV_COW_WRITE_BLOCKS, nblk);
	return 0;
}

/*
 * Write the first *n bytes of buf at block lblk, offset boff, which map
 * describes; may shorten *n to one run of blocks alike.
 */
static int write_run(struct ft_store *st, struct ft_inode *inode,
		     uint64_t lblk, uint32_t boff, const void *buf, size_t *n,
		     const struct ft_map *map)
{
	uint64_t nblk = div_round_up(boff + *n, BS);
	int shared, err;

	if (map->type == FT_MAP_HOLE)
		return write_new(st, inode, lblk, boff, buf, n, 0, 0);

	shared = block_shared(st, map->pblk);
	nblk = block_run(st, map->pblk, nblk, shared);
	*n = run_bytes(nblk, boff, *n);
	if (shared)
		return write_new(st, inode, lblk, boff, buf, n,
				 map->type == FT_MAP_DATA ? map->pblk : 0, 1);

	if (map->type == FT_MAP_DATA) {
		err = fill_bounce(st, map->pblk, boff, buf, *n);
	} else {
		err = fill_bounce(st, 0, boff, buf, *n);
	}
	if (!err)
		err = store_write_blocks(st, st->bounce, map->pblk, nblk);
	if (!err && map->type == FT_MAP_UNWRITTEN)
		err = ext_set(st, inode, lblk, nblk, map->pblk, 0);
	return err;
}

ssize_t file_write(struct ft_store *st, struct ft_inode *inode,
		   const void *buf, size_t len, uint64_t off)
{
	uint64_t ino = store_ino(st, inode), pos;
	size_t done = 0, n;
	struct ft_map map;
	int err = 0;

	if (off >= FT_MAX_SIZE)
		return len ? -EFBIG : 0;
	if (len > FT_MAX_SIZE - off)
		len = FT_MAX_SIZE - off;
	if (inline_file(inode)) {
		if (inline_fits(st, off + len)) {
			err = inline_write(st, inode, buf, len, off);
			return err ? err : (ssize_t)len;
		}
		err = inline_move_out(st, inode);
		if (err)
			return err;
	}
	while (done < len) {
		pos = off + done;
		n = len - done < FT_MAX_IO ? len - done : FT_MAX_IO;
		ext_map(st, inode, pos / BS, &map);
		n = run_bytes(map.len, pos % BS, n);
		err = write_run(st, inode, pos / BS, pos % BS,
				(const char *)buf + done, &n, &map);
		if (err)
			break;
		cow_cancel(st, ino, pos / BS, div_round_up(pos % BS + n, BS));
		done += n;
	}
	if (!done)
		return err;
	if (off + done > inode->size)
		inode->size = off + done;
	inode_touch(inode, FT_MTIME | FT_CTIME);
	return done;
}

/*
 * Zero len bytes at off, all within one block, if that block holds data;
 * a shared block is copied first.
 */
int file_zero_partial(struct ft_store *st, struct ft_inode *inode,
		      uint64_t off, uint64_t len)
{
	uint64_t lblk = off / BS;
	struct ft_map map;
	size_t n = BS;
	int err;

	if (inline_file(inode)) {
		if (inode->inline_blk && off < BS)
			memset((char *)inline_data(st, inode) + off, 0,
			       len < BS - off ? len : BS - off);
		return 0;
	}
	ext_map(st, inode, lblk, &map);
	if (map.type != FT_MAP_DATA || !len)
		return 0;
	err = store_read_blocks(st, st->copybuf, map.pblk, 1);
	if (err)
		return err;
	memset(st->copybuf + off % BS, 0, len);
	if (block_shared(st, map.pblk)) {
		err = write_new(st, inode, lblk, 0, st->copybuf, &n,
				map.pblk, 1);
	} else {
		memcpy(st->bounce, st->copybuf, BS);
		err = store_write_blocks(st, st->bounce, map.pblk, 1);
	}
	if (!err)
		cow_cancel(st, store_ino(st, inode), lblk, 1);
	return err;
}

int file_truncate(struct ft_store *st, struct ft_inode *inode, uint64_t size)
{
	uint64_t ino = store_ino(st, inode);
	int err;

	if (size > FT_MAX_SIZE)
		return -EFBIG;
	if (inline_file(inode)) {
		if (inline_fits(st, size))
			return inline_truncate(st, inode, size);
		err = inline_move_out(st, inode);
		if (err)
			return err;
	}
	if (size < inode->size) {
		if (size % BS) {
			err = file_zero_partial(st, inode, size,
						BS - size % BS);
			if (err)
				return err;
		}
		err = ext_punch(st, inode, div_round_up(size, BS), UINT64_MAX);
		if (err)
			return err;
		cow_cancel(st, ino, div_round_up(size, BS), UINT64_MAX);
	}
	inode->size = size;
	inode_touch(inode, FT_MTIME | FT_CTIME);
	/* a file that is small again goes back inline */
	return inline_move_in(st, inode);
}

/* SEEK_DATA / SEEK_HOLE; unwritten extents count as holes. */
int file_seek(struct ft_store *st, const struct ft_inode *inode, uint64_t off,
	      uint32_t whence, uint64_t *res)
{
	uint64_t pos = off, cur = off / BS, start, end;
	struct ft_extent e;

	if (off >= inode->size)
		return -ENXIO;
	if (inline_file(inode)) {
		*res = whence == SEEK_DATA ? off : inode->size;
		return 0;
	}
	while (!ext_next(st, inode, cur, &e)) {
		cur = e.lblk + e.len;
		if (e.flags & FT_EXT_UNWRITTEN)
			continue;
		start = e.lblk * BS;
		end = (e.lblk + e.len) * BS;
		if (whence == SEEK_DATA) {
			*res = start > pos ? start : pos;
			return *res < inode->size ? 0 : -ENXIO;
		}
		if (start > pos)
			break;
		pos = end;
	}
	if (whence == SEEK_DATA)
		return -ENXIO;
	*res = pos < inode->size ? pos : inode->size;
	return 0;
}
