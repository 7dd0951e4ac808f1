// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd copy_file_range and reflink (FUSE_COPY_FILE_RANGE).
 *
 * A clone (FUSE_COPY_FILE_RANGE_CLONE) makes the destination share the
 * source's blocks: each extent of the source range gains a reference and
 * is mapped into the destination, whose old blocks lose one; unwritten
 * extents stay unwritten and holes stay holes.  Offsets must be block
 * aligned, and the length too unless the range ends at the source's EOF.
 * That last, partial block is shared when the destination ends there as
 * well; if the destination has data past it, the partial block is copied
 * instead, so those bytes survive.
 *
 * A plain copy_file_range shares what it can too: when both offsets sit
 * at the same place in a block, the whole blocks are shared as by a clone
 * and only the partial blocks at either end are copied as data.
 */
#include <errno.h>
#include <stddef.h>

#include "store.h"

#define BS	FT_BLOCK_SIZE

static uint64_t div_round_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

/* Map src's blocks [in, in + n) at dst's [out, out + n), sharing them. */
static int share_blocks(struct ft_store *st, struct ft_inode *src,
			uint64_t in, struct ft_inode *dst, uint64_t out,
			uint64_t n)
{
	struct ft_extent x = { 0 };
	uint64_t done, len;
	struct ft_map map;
	int err;

	for (done = 0; done < n; done += len) {
		ext_map(st, src, in + done, &map);
		len = map.len < n - done ? map.len : n - done;
		if (map.type == FT_MAP_HOLE) {
			err = ext_punch(st, dst, out + done, len);
			if (err)
				return err;
			continue;
		}
		err = block_get(st, map.pblk, len);
		if (err)
			return err;
		x.pblk = map.pblk;
		x.flags = map.type == FT_MAP_UNWRITTEN ? FT_EXT_UNWRITTEN : 0;
		err = ext_replace(st, dst, out + done, len, &x, ext_put_old,
				  NULL);
		if (err) {
			block_put(st, map.pblk, len);
			return err;
		}
		stats_event(st->stats, FT_EV_SHARED_BLOCKS, len);
	}
	cow_cancel(st, store_ino(st, dst), out, n);
	return 0;
}

/* Copy len bytes of file data from src at off_in to dst at off_out. */
static int copy_data(struct ft_store *st, struct ft_inode *src,
		     uint64_t off_in, struct ft_inode *dst, uint64_t off_out,
		     uint64_t len)
{
	uint64_t done = 0;
	ssize_t n;

	while (done < len) {
		n = len - done < FT_MAX_IO ? len - done : FT_MAX_IO;
		n = file_read(st, src, st->copybuf, n, off_in + done);
		if (n <= 0)
			return n ? n : -EIO;
		n = file_write(st, dst, st->copybuf, n, off_out + done);
		if (n <= 0)
			return n ? n : -EIO;
		done += n;
		stats_event(st->stats, FT_EV_COPIED_BYTES, n);
	}
	return 0;
}

static int overlap(const struct ft_inode *src, uint64_t off_in,
		   const struct ft_inode *dst, uint64_t off_out, uint64_t len)
{
	return src == dst && off_out < off_in + len && off_in < off_out + len;
}

/* Clones and copies share blocks: inline files move to one first. */
static int move_out(struct ft_store *st, struct ft_inode *src,
		    struct ft_inode *dst)
{
	int err = inline_move_out(st, src);

	return err ? err : inline_move_out(st, dst);
}

static void grow(struct ft_inode *dst, uint64_t end)
{
	if (end > dst->size)
		dst->size = end;
	inode_touch(dst, FT_MTIME | FT_CTIME);
}

/*
 * Share the whole blocks of [off_in, off_in + len) of src (both offsets
 * block aligned) at off_out of dst, and the partial last block at src's
 * EOF as the comment at the top says.
 */
static int share_range(struct ft_store *st, struct ft_inode *src,
		       uint64_t off_in, struct ft_inode *dst,
		       uint64_t off_out, uint64_t len)
{
	uint64_t whole = len / BS, tail = len % BS;
	int err;

	if (tail && off_out + len >= dst->size) {
		whole++;
		tail = 0;
	}
	err = share_blocks(st, src, off_in / BS, dst, off_out / BS, whole);
	if (!err && tail)
		err = copy_data(st, src, off_in + whole * BS, dst,
				off_out + whole * BS, tail);
	if (!err)
		grow(dst, off_out + len);
	return err;
}

/* FUSE_COPY_FILE_RANGE_CLONE of len bytes. */
int file_clone(struct ft_store *st, struct ft_inode *src, uint64_t off_in,
	       struct ft_inode *dst, uint64_t off_out, uint64_t len)
{
	int err;

	if (!len)
		return 0;
	if (off_in % BS || off_out % BS || off_in > src->size ||
	    len > src->size - off_in ||
	    (len % BS && off_in + len != src->size))
		return -EINVAL;
	if (overlap(src, off_in, dst, off_out, div_round_up(len, BS) * BS))
		return -EINVAL;
	if (off_out > FT_MAX_SIZE || len > FT_MAX_SIZE - off_out)
		return -EFBIG;
	err = move_out(st, src, dst);
	return err ? err : share_range(st, src, off_in, dst, off_out, len);
}

/* How many of len bytes at off_in a plain copy_file_range copies. */
uint64_t file_copy_len(const struct ft_inode *src, uint64_t off_in,
		       uint64_t len)
{
	if (off_in >= src->size)
		return 0;
	if (len > src->size - off_in)
		len = src->size - off_in;
	return len < FT_MAX_IO * 64ULL ? len : FT_MAX_IO * 64ULL;
}

/* Plain copy_file_range: how many bytes were copied, or an error. */
ssize_t file_copy(struct ft_store *st, struct ft_inode *src, uint64_t off_in,
		  struct ft_inode *dst, uint64_t off_out, uint64_t len)
{
	uint64_t head, mid;
	int err;

	len = file_copy_len(src, off_in, len);
	if (!len)
		return 0;
	if (overlap(src, off_in, dst, off_out, len))
		return -EINVAL;
	if (off_out > FT_MAX_SIZE || len > FT_MAX_SIZE - off_out)
		return -EFBIG;
	err = move_out(st, src, dst);
	if (err)
		return err;
	if (off_in % BS != off_out % BS) {
		err = copy_data(st, src, off_in, dst, off_out, len);
		return err ? err : (ssize_t)len;
	}

	head = (BS - off_in % BS) % BS;
	if (head > len)
		head = len;
	err = copy_data(st, src, off_in, dst, off_out, head);
	mid = len - head;
	/* share only when a whole block is in it, or the EOF block */
	if (!err && mid && (mid >= BS || off_in + len == src->size))
		err = share_range(st, src, off_in + head, dst,
				  off_out + head,
				  off_in + len == src->size ? mid :
							      mid / BS * BS);
	if (!err && mid % BS && off_in + len != src->size)
		err = copy_data(st, src, off_in + len - mid % BS, dst,
				off_out + len - mid % BS, mid % BS);
	return err ? err : (ssize_t)len;
}
