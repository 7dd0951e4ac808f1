// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd inline files: a regular file of at most --inline-max bytes keeps
 * its data in one extent pool block instead of a data block, so that the
 * iomap kernel gets it with FUSE_IOMAP_BEGIN (an INLINE mapping) and hands
 * changes back with FUSE_IOMAP_END.  The block is in the metadata mapping
 * (store.h), zero past EOF, and allocated on the first write (0: zeros).
 *
 * inline_move_out() turns an inline file into an ordinary one with one
 * data block; inline_move_in() does the reverse for a file truncated to a
 * size that fits.  Callers decide when (fileio.c, falloc.c, clone.c,
 * iomap.c).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "store.h"

#define BS	FT_BLOCK_SIZE

int inline_file(const struct ft_inode *inode)
{
	return !!(inode->iflags & FT_I_INLINE);
}

/* May a file of this size be inline? */
int inline_fits(const struct ft_store *st, uint64_t size)
{
	return st->inline_max && size <= st->inline_max;
}

/* The data of an inline file, or NULL while it is all zeros. */
const char *inline_data(const struct ft_store *st,
			const struct ft_inode *inode)
{
	if (!inode->inline_blk)
		return NULL;
	return (const char *)st->sb + inode->inline_blk * BS;
}

static char *inline_data_rw(struct ft_store *st, struct ft_inode *inode)
{
	return (char *)st->sb + inode->inline_blk * BS;
}

/* A new regular file starts inline if inline files are on. */
void inline_init(struct ft_store *st, struct ft_inode *inode)
{
	if (st->inline_max && S_ISREG(inode->mode))
		inode->iflags |= FT_I_INLINE;
}

ssize_t inline_read(struct ft_store *st, const struct ft_inode *inode,
		    void *buf, size_t len, uint64_t off)
{
	const char *data = inline_data(st, inode);

	if (off >= inode->size)
		return 0;
	if (len > inode->size - off)
		len = inode->size - off;
	if (data)
		memcpy(buf, data + off, len);
	else
		memset(buf, 0, len);
	return len;
}

/* The pool block of an inline file, allocated (zeroed) if it has none. */
static char *inline_block(struct ft_store *st, struct ft_inode *inode)
{
	uint64_t b;

	if (!inode->inline_blk) {
		b = pool_alloc(st);
		if (!b)
			return NULL;
		inode->inline_blk = b;
		memset(inline_data_rw(st, inode), 0, BS);
	}
	return inline_data_rw(st, inode);
}

/* Write into an inline file; the caller checked that the end fits. */
int inline_write(struct ft_store *st, struct ft_inode *inode,
		 const void *buf, size_t len, uint64_t off)
{
	char *data;

	if (off > BS || len > BS - off)
		return -EFBIG;
	data = inline_block(st, inode);
	if (!data)
		return -ENOSPC;
	memcpy(data + off, buf, len);
	if (off + len > inode->size)
		inode->size = off + len;
	inode_touch(inode, FT_MTIME | FT_CTIME);
	return 0;
}

/*
 * Make buf (len bytes, fitting) the whole content of an inline file, as
 * FUSE_IOMAP_END hands it back: the size is where it ends.
 */
int inline_set(struct ft_store *st, struct ft_inode *inode, const void *buf,
	       size_t len)
{
	char *data;

	if (len > BS)
		return -EFBIG;
	if (!len) {
		inline_free(st, inode);
	} else {
		data = inline_block(st, inode);
		if (!data)
			return -ENOSPC;
		memcpy(data, buf, len);
		memset(data + len, 0, BS - len);
	}
	inode->size = len;
	inode_touch(inode, FT_MTIME | FT_CTIME);
	return 0;
}

/* Truncate an inline file to a size that fits; past EOF stays zero. */
int inline_truncate(struct ft_store *st, struct ft_inode *inode,
		    uint64_t size)
{
	if (size > BS)
		return -EFBIG;
	if (!size)
		inline_free(st, inode);
	else if (inode->inline_blk && size < inode->size)
		memset(inline_data_rw(st, inode) + size, 0, BS - size);
	inode->size = size;
	inode_touch(inode, FT_MTIME | FT_CTIME);
	return 0;
}

/* Drop the data block of an inline file (it stays inline, all zeros). */
void inline_free(struct ft_store *st, struct ft_inode *inode)
{
	if (inode->inline_blk)
		pool_free(st, inode->inline_blk);
	inode->inline_blk = 0;
}

/*
 * Move an inline file's data to a new data block at file block 0: it is
 * an ordinary file from then on.  Nothing to do for other files.
 */
int inline_move_out(struct ft_store *st, struct ft_inode *inode)
{
	const char *data = inline_data(st, inode);
	uint64_t pblk;
	int err;

	if (!inline_file(inode))
		return 0;
	if (data && inode->size) {
		if (!store_alloc(st, st->sb->data_start, 1, &pblk))
			return -ENOSPC;
		memcpy(st->bounce, data, BS);
		err = store_write_blocks(st, st->bounce, pblk, 1);
		if (!err)
			err = ext_set(st, inode, 0, 1, pblk, 0);
		if (err) {
			block_put(st, pblk, 1);
			return err;
		}
	}
	inline_free(st, inode);
	inode->iflags &= ~FT_I_INLINE;
	stats_event(st->stats, FT_EV_INLINE_MOVE_OUT, 1);
	return 0;
}

/*
 * Bring an ordinary regular file whose size fits back inline: its data
 * goes to a pool block, its blocks are freed.  Returns 0 if it stays as it
 * is for want of a pool block.
 */
int inline_move_in(struct ft_store *st, struct ft_inode *inode)
{
	uint64_t ino = store_ino(st, inode);
	ssize_t n = 0;
	char *data;
	int err;

	if (inline_file(inode) || !S_ISREG(inode->mode) ||
	    !inline_fits(st, inode->size))
		return 0;
	if (inode->size) {
		n = file_read(st, inode, st->copybuf, inode->size, 0);
		if (n < 0)
			return n;
		if (n != (ssize_t)inode->size)
			return -EIO;
		if (!st->sb->free_pool)
			return 0;
	}
	err = ext_punch(st, inode, 0, UINT64_MAX);
	if (err)
		return err;
	cow_cancel(st, ino, 0, UINT64_MAX);
	inode->iflags |= FT_I_INLINE;
	if (n) {
		data = inline_block(st, inode);
		/* checked above; ext_punch frees pool blocks, never takes */
		if (!data)
			return -ENOSPC;
		memcpy(data, st->copybuf, n);
	}
	stats_event(st->stats, FT_EV_INLINE_MOVE_IN, 1);
	return 0;
}
