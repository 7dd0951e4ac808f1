// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd file data: read, write, truncate, fallocate and SEEK_DATA/HOLE on
 * top of the extent lists.  Holes and unwritten extents read as zeros; a
 * block that receives data for the first time is written whole, zero-filled
 * around the data, so stale disk contents never show.
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

/* Bytes of a want-byte request at offset boff in the first block of map. */
static size_t run_bytes(const struct ft_map *map, uint32_t boff, size_t want)
{
	if (map->len >= div_round_up(boff + (uint64_t)want, BS))
		return want;
	return map->len * BS - boff;
}

ssize_t file_read(struct ft_store *st, struct ft_inode *inode, void *buf,
		  size_t len, uint64_t off)
{
	size_t done = 0, n;
	struct ft_map map;
	uint64_t pos;
	int err;

	if (off >= inode->size)
		return 0;
	if (len > inode->size - off)
		len = inode->size - off;
	while (done < len) {
		pos = off + done;
		ext_map(inode, pos / BS, &map);
		n = run_bytes(&map, pos % BS, len - done);
		if (map.type == FT_MAP_DATA) {
			err = store_pread(st, (char *)buf + done, n,
					  map.pblk * BS + pos % BS);
			if (err)
				return done ? (ssize_t)done : err;
		} else {
			memset((char *)buf + done, 0, n);
		}
		done += n;
	}
	return done;
}

/* Write n bytes at boff into blocks starting at pblk that held no data. */
static int write_fresh(struct ft_store *st, uint64_t pblk, uint32_t boff,
		       const void *buf, size_t n)
{
	size_t total = div_round_up(boff + n, BS) * BS;

	if (!boff && n == total)
		return store_pwrite(st, buf, n, pblk * BS);
	memset(st->bounce, 0, BS);
	memset(st->bounce + total - BS, 0, BS);
	memcpy(st->bounce + boff, buf, n);
	return store_pwrite(st, st->bounce, total, pblk * BS);
}

/*
 * Write the first *n bytes of buf at block lblk, offset boff, which map
 * describes; may shorten *n to what one allocation provided.
 */
static int write_run(struct ft_store *st, struct ft_inode *inode,
		     uint64_t lblk, uint32_t boff, const void *buf, size_t *n,
		     const struct ft_map *map)
{
	uint64_t nblk = div_round_up(boff + *n, BS), pblk;
	int err;

	switch (map->type) {
	case FT_MAP_DATA:
		return store_pwrite(st, buf, *n, map->pblk * BS + boff);
	case FT_MAP_UNWRITTEN:
		err = write_fresh(st, map->pblk, boff, buf, *n);
		if (err)
			return err;
		return ext_set(inode, lblk, nblk, map->pblk, 0);
	case FT_MAP_HOLE:
		break;
	}

	nblk = store_alloc(st, ext_goal(inode, lblk), nblk, &pblk);
	if (!nblk)
		return -ENOSPC;
	if (*n > nblk * BS - boff)
		*n = nblk * BS - boff;
	err = write_fresh(st, pblk, boff, buf, *n);
	if (!err)
		err = ext_set(inode, lblk, nblk, pblk, 0);
	if (err) {
		store_free(st, pblk, nblk);
		return err;
	}
	inode->blocks += nblk;
	return 0;
}

ssize_t file_write(struct ft_store *st, struct ft_inode *inode,
		   const void *buf, size_t len, uint64_t off)
{
	size_t done = 0, n;
	struct ft_map map;
	uint64_t pos;
	int err = 0;

	if (off >= FT_MAX_SIZE)
		return len ? -EFBIG : 0;
	if (len > FT_MAX_SIZE - off)
		len = FT_MAX_SIZE - off;
	while (done < len) {
		pos = off + done;
		n = len - done < FT_MAX_IO ? len - done : FT_MAX_IO;
		ext_map(inode, pos / BS, &map);
		n = run_bytes(&map, pos % BS, n);
		err = write_run(st, inode, pos / BS, pos % BS,
				(const char *)buf + done, &n, &map);
		if (err)
			break;
		done += n;
	}
	if (!done)
		return err;
	if (off + done > inode->size)
		inode->size = off + done;
	inode_touch(inode, FT_MTIME | FT_CTIME);
	return done;
}

/* Zero len bytes at off, all within one block, if that block holds data. */
static int zero_in_block(struct ft_store *st, struct ft_inode *inode,
			 uint64_t off, size_t len)
{
	static const char zeros[BS];
	struct ft_map map;

	ext_map(inode, off / BS, &map);
	if (map.type != FT_MAP_DATA)
		return 0;
	return store_pwrite(st, zeros, len, map.pblk * BS + off % BS);
}

int file_truncate(struct ft_store *st, struct ft_inode *inode, uint64_t size)
{
	int err;

	if (size > FT_MAX_SIZE)
		return -EFBIG;
	if (size < inode->size) {
		if (size % BS) {
			err = zero_in_block(st, inode, size, BS - size % BS);
			if (err)
				return err;
		}
		err = ext_punch(st, inode, div_round_up(size, BS), UINT64_MAX);
		if (err)
			return err;
	}
	inode->size = size;
	inode_touch(inode, FT_MTIME | FT_CTIME);
	return 0;
}

static int punch_hole(struct ft_store *st, struct ft_inode *inode,
		      uint64_t off, uint64_t end)
{
	uint64_t first = div_round_up(off, BS), last = end / BS;
	int err = 0;

	if (first > last)
		return zero_in_block(st, inode, off, end - off);
	if (off % BS)
		err = zero_in_block(st, inode, off, first * BS - off);
	if (!err && end % BS)
		err = zero_in_block(st, inode, last * BS, end % BS);
	if (!err && last > first)
		err = ext_punch(st, inode, first, last - first);
	return err;
}

/* Give the holes of [first, last) unwritten blocks. */
static int preallocate(struct ft_store *st, struct ft_inode *inode,
		       uint64_t first, uint64_t last)
{
	uint64_t lblk, n, pblk;
	struct ft_map map;
	int err;

	for (lblk = first; lblk < last; lblk += n) {
		ext_map(inode, lblk, &map);
		n = map.len < last - lblk ? map.len : last - lblk;
		if (map.type != FT_MAP_HOLE)
			continue;
		n = store_alloc(st, ext_goal(inode, lblk), n, &pblk);
		if (!n)
			return -ENOSPC;
		err = ext_set(inode, lblk, n, pblk, FT_EXT_UNWRITTEN);
		if (err) {
			store_free(st, pblk, n);
			return err;
		}
		inode->blocks += n;
	}
	return 0;
}

int file_fallocate(struct ft_store *st, struct ft_inode *inode, uint32_t mode,
		   uint64_t off, uint64_t len)
{
	uint64_t end = off + len;
	int err;

	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE) ||
	    mode == FALLOC_FL_PUNCH_HOLE)
		return -EOPNOTSUPP;
	if (!len)
		return -EINVAL;
	if (off >= FT_MAX_SIZE || len > FT_MAX_SIZE - off)
		return -EFBIG;

	if (mode & FALLOC_FL_PUNCH_HOLE)
		err = punch_hole(st, inode, off, end);
	else
		err = preallocate(st, inode, off / BS, div_round_up(end, BS));
	if (err)
		return err;
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > inode->size)
		inode->size = end;
	inode_touch(inode, FT_MTIME | FT_CTIME);
	return 0;
}

/* SEEK_DATA / SEEK_HOLE; unwritten extents count as holes. */
int file_seek(const struct ft_inode *inode, uint64_t off, uint32_t whence,
	      uint64_t *res)
{
	const struct ft_extent *e;
	uint64_t pos = off, start, end;
	uint32_t i;

	if (off >= inode->size)
		return -ENXIO;
	for (i = 0; i < inode->nr_extents; i++) {
		e = &inode->ext[i];
		start = e->lblk * BS;
		end = (e->lblk + e->len) * BS;
		if (e->flags & FT_EXT_UNWRITTEN || end <= pos)
			continue;
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
