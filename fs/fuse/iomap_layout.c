// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-iomap: operations that change an iomap file's layout: truncate,
 * fallocate, reflink and dedupe; and copy_file_range, which reflinks what
 * it can and copies the rest through the page cache.
 *
 * The server changes its block maps; the kernel keeps its page cache and
 * the mappings it holds coherent with that.  Every such operation runs
 * under the inode lock and the invalidate lock (no new page faults), waits
 * for direct I/O, writes back and waits for the dirty data in the affected
 * range (so its ioends reach the server before the layout changes), and
 * afterwards drops the page cache of the range and bumps the inode's
 * mapping sequence so that no stale mapping is used again.
 */

#include <linux/fs.h>
#include <linux/falloc.h>
#include <linux/iomap.h>
#include <linux/pagemap.h>
#include <linux/sizes.h>
#include <linux/splice.h>

#include "fuse_i.h"

/*
 * Zero the part of a block past @from, up to the block's end, and write it
 * to disk: a size that grows later must not show stale bytes there.
 */
static int fuse_iomap_zero_block_tail(struct inode *inode, loff_t from,
				      bool truncating)
{
	loff_t to = round_up(from, i_blocksize(inode));
	bool did_zero = false;
	int err;

	if (from == to)
		return 0;
	if (truncating)
		err = iomap_truncate_page(inode, from, &did_zero,
					  &fuse_iomap_buffered_write_ops);
	else
		err = iomap_zero_range(inode, from, to - from, &did_zero,
				       &fuse_iomap_buffered_write_ops);
	if (err || !did_zero)
		return err;
	return filemap_write_and_wait_range(inode->i_mapping, from, to - 1);
}

/**
 * fuse_iomap_setsize_prepare - get ready for a size change by the server
 * @inode: the file, locked, with its invalidate lock held
 * @newsize: the size SETATTR will ask for
 *
 * Everything dirty is written back first, so the server's size and
 * mappings are complete and nothing is lost if it refuses.  Then the part
 * of the new (or old) EOF block that lies past the smaller size is zeroed
 * and written, so no stale bytes reappear when the file grows again.
 *
 * Return: 0 or a negative errno.
 */
int fuse_iomap_setsize_prepare(struct inode *inode, loff_t newsize)
{
	loff_t oldsize = i_size_read(inode);
	int err;

	lockdep_assert_held_write(&inode->i_rwsem);
	lockdep_assert_held_write(&inode->i_mapping->invalidate_lock);
	inode_dio_wait(inode);
	err = filemap_write_and_wait(inode->i_mapping);
	if (err || newsize == oldsize)
		return err;
	/* Blocks past the smaller size go, and so do their mappings. */
	fuse_iomap_cache_invalidate(inode,
				    round_down(min(newsize, oldsize),
					       i_blocksize(inode)),
				    FUSE_IOMAP_INVAL_TO_EOF);
	if (newsize < oldsize)
		return fuse_iomap_zero_block_tail(inode, newsize, true);
	return fuse_iomap_zero_block_tail(inode, oldsize, false);
}

/* The server accepted the new size: it is the recorded one now. */
void fuse_iomap_setsize_finish(struct inode *inode, loff_t newsize)
{
	struct fuse_inode *fi = get_fuse_inode(inode);

	lockdep_assert_held(&fi->lock);
	/* Again: a mapping cached while the server worked may predate it. */
	fuse_iomap_cache_invalidate(inode,
				    round_down(min(newsize, fi->iomap->disk_size),
					       i_blocksize(inode)),
				    FUSE_IOMAP_INVAL_TO_EOF);
	fi->iomap->disk_size = newsize;
}

/* A layout change of ours moved the size, in core and at the server. */
static void fuse_iomap_set_size(struct inode *inode, loff_t newsize)
{
	struct fuse_inode *fi = get_fuse_inode(inode);

	spin_lock(&fi->lock);
	i_size_write(inode, newsize);
	fuse_iomap_setsize_finish(inode, newsize);
	spin_unlock(&fi->lock);
}

#define FUSE_IOMAP_FALLOC_MODES	(FALLOC_FL_KEEP_SIZE |		\
				 FALLOC_FL_PUNCH_HOLE |		\
				 FALLOC_FL_ZERO_RANGE |		\
				 FALLOC_FL_COLLAPSE_RANGE |	\
				 FALLOC_FL_INSERT_RANGE |	\
				 FALLOC_FL_UNSHARE_RANGE)

/* Shifting modes: whole blocks, inside the file, as ext4 and XFS ask. */
static int fuse_iomap_falloc_check_shift(struct inode *inode, int mode,
					 loff_t offset, loff_t length)
{
	loff_t isize = i_size_read(inode);
	loff_t end;

	if (mode & ~(FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE))
		return -EINVAL;
	if (!IS_ALIGNED(offset | length, i_blocksize(inode)))
		return -EINVAL;
	if (mode & FALLOC_FL_COLLAPSE_RANGE)
		return check_add_overflow(offset, length, &end) ||
		       end >= isize ? -EINVAL : 0;
	if (offset >= isize)
		return -EINVAL;
	if (check_add_overflow(isize, length, &end) ||
	    end > inode->i_sb->s_maxbytes)
		return -EFBIG;
	return 0;
}

static int fuse_iomap_send_fallocate(struct file *file, int mode,
				     loff_t offset, loff_t length)
{
	struct fuse_file *ff = file->private_data;
	struct fuse_fallocate_in in = {
		.fh = ff->fh,
		.offset = offset,
		.length = length,
		.mode = mode,
	};
	struct fuse_args args = {};
	int err;

	fuse_iomap_args(&args, FUSE_FALLOCATE, ff->nodeid, &in, sizeof(in));
	err = fuse_simple_request(ff->fm, &args);
	if (err == -ENOSYS) {
		ff->fm->fc->no_fallocate = 1;
		err = -EOPNOTSUPP;
	}
	return err;
}

/* The size after a successful fallocate, or -1 if it did not change. */
static loff_t fuse_iomap_falloc_newsize(struct inode *inode, int mode,
					loff_t offset, loff_t length)
{
	loff_t isize = i_size_read(inode);

	if (mode & FALLOC_FL_COLLAPSE_RANGE)
		return isize - length;
	if (mode & FALLOC_FL_INSERT_RANGE)
		return isize + length;
	if (!(mode & FALLOC_FL_KEEP_SIZE) && offset + length > isize)
		return offset + length;
	return -1;
}

/*
 * FALLOC_FL_UNSHARE_RANGE, the part the kernel does: read every shared
 * block of the range into the page cache and dirty it, then write it back.
 * ->iomap_begin hands iomap_file_unshare() the server's out-of-place write
 * mapping with the shared block as its source, and writeback ends in an
 * IOEND with FUSE_IOMAP_IOEND_SHARED, which remaps the new blocks into the
 * file.  The FUSE_FALLOCATE that follows allocates what is still a hole.
 */
static int fuse_iomap_unshare(struct inode *inode, loff_t offset,
			      loff_t length)
{
	int err;

	err = iomap_file_unshare(inode, offset, length, &fuse_iomap_buffered_write_ops);
	if (err)
		return err;
	return filemap_write_and_wait_range(inode->i_mapping, offset,
					    offset + length - 1);
}

/**
 * fuse_iomap_fallocate - fallocate(2) of an iomap file
 * @file: the file
 * @mode: FALLOC_FL_* (preallocate, punch, zero, collapse, insert, unshare)
 * @offset: start of the range
 * @length: length of the range
 *
 * Return: 0 or a negative errno; -EOPNOTSUPP for modes the server lacks.
 */
long fuse_iomap_fallocate(struct file *file, int mode, loff_t offset,
			  loff_t length)
{
	struct inode *inode = file_inode(file);
	struct address_space *mapping = inode->i_mapping;
	bool shift = mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE);
	loff_t end, newsize, flush_end;
	int err;

	if (mode & ~FUSE_IOMAP_FALLOC_MODES)
		return -EOPNOTSUPP;
	if (get_fuse_conn(inode)->no_fallocate)
		return -EOPNOTSUPP;
	if (offset < 0 || length <= 0 ||
	    check_add_overflow(offset, length, &end))
		return -EINVAL;

	inode_lock(inode);
	filemap_invalidate_lock(mapping);
	inode_dio_wait(inode);

	if (shift) {
		err = fuse_iomap_falloc_check_shift(inode, mode, offset,
						    length);
		if (err)
			goto out;
	}
	newsize = fuse_iomap_falloc_newsize(inode, mode, offset, length);
	if (newsize >= 0) {
		err = inode_newsize_ok(inode, newsize);
		if (err)
			goto out;
	}
	err = file_modified(file);
	if (err)
		goto out;

	/* Shifts move everything after @offset; the others only the range. */
	flush_end = shift ? LLONG_MAX : end - 1;
	err = filemap_write_and_wait_range(mapping, offset, flush_end);
	if (err)
		goto out;
	if (mode & FALLOC_FL_UNSHARE_RANGE) {
		err = fuse_iomap_unshare(inode, offset, length);
		if (err)
			goto out;
	}
	/* The old EOF block's tail comes into the file when it grows. */
	if (newsize > i_size_read(inode)) {
		err = fuse_iomap_zero_block_tail(inode, i_size_read(inode),
						 false);
		if (err)
			goto out;
	}

	fuse_iomap_cache_change_begin(inode, offset,
				      shift ? FUSE_IOMAP_INVAL_TO_EOF : length);
	err = fuse_iomap_send_fallocate(file, mode, offset, length);
	fuse_iomap_cache_change_end(inode);
	if (err)
		goto out;

	/* Cached data of the range (or everything after it) is stale. */
	if (shift || (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)))
		truncate_pagecache_range(inode, offset, flush_end);
	if (newsize >= 0)
		fuse_iomap_set_size(inode, newsize);
	fuse_invalidate_attr_mask(inode, FUSE_STATX_MODSIZE);
out:
	filemap_invalidate_unlock(mapping);
	inode_unlock(inode);
	fuse_flush_time_update(inode);
	return err;
}

/*
 * The answer's size (fuse_write_out) has 32 bits: a clone is asked for in
 * pieces that fit, block aligned as the whole is.
 */
#define FUSE_IOMAP_CLONE_MAX	SZ_1G

static int fuse_iomap_send_clone_piece(struct file *file_in, loff_t pos_in,
				       struct file *file_out, loff_t pos_out,
				       loff_t len)
{
	struct fuse_file *ff_in = file_in->private_data;
	struct fuse_file *ff_out = file_out->private_data;
	struct fuse_copy_file_range_in in = {
		.fh_in = ff_in->fh,
		.off_in = pos_in,
		.nodeid_out = ff_out->nodeid,
		.fh_out = ff_out->fh,
		.off_out = pos_out,
		.len = len,
		.flags = FUSE_COPY_FILE_RANGE_CLONE,
	};
	struct fuse_write_out out = { };
	struct fuse_args args = {};
	int err;

	fuse_iomap_args(&args, FUSE_COPY_FILE_RANGE, ff_in->nodeid, &in,
			sizeof(in));
	fuse_iomap_args_out(&args, &out, sizeof(out), false);
	err = fuse_simple_request(ff_in->fm, &args);
	if (err == -ENOSYS) {
		/* No reflink: copy_file_range copies in the kernel. */
		set_bit(FUSE_IOMAP_NO_CLONE, &ff_in->fm->fc->iomap_conn.state);
		return -EOPNOTSUPP;
	}
	if (err)
		return err;
	/* A clone is all or nothing; a partial answer is a broken server. */
	if (out.size != len) {
		pr_warn_ratelimited("fuse: inode %llu: clone answered %u of %lld bytes\n",
				    get_fuse_inode(file_inode(file_out))->orig_ino,
				    out.size, len);
		return -EIO;
	}
	return 0;
}

/* A clone of any length; a failed piece leaves the ones before it done. */
static int fuse_iomap_send_clone(struct file *file_in, loff_t pos_in,
				 struct file *file_out, loff_t pos_out,
				 loff_t len)
{
	loff_t done, n;
	int err = 0;

	for (done = 0; done < len && !err; done += n) {
		n = min_t(loff_t, len - done, FUSE_IOMAP_CLONE_MAX);
		err = fuse_iomap_send_clone_piece(file_in, pos_in + done,
						  file_out, pos_out + done, n);
	}
	return err;
}

/**
 * fuse_iomap_remap_file_range - FICLONE, FICLONERANGE and FIDEDUPERANGE
 * @file_in: source
 * @pos_in: source offset
 * @file_out: destination
 * @pos_out: destination offset
 * @len: bytes; 0 means to the source's EOF
 * @remap_flags: REMAP_FILE_*
 *
 * Sent as FUSE_COPY_FILE_RANGE with FUSE_COPY_FILE_RANGE_CLONE after both
 * ranges are written back: the server makes the destination share the
 * source's blocks.  Later writes to either file are out of place.  A
 * dedupe is the same clone once generic_remap_file_range_prep() has found
 * both ranges identical under the locks that keep them so.
 *
 * Return: bytes remapped, or a negative errno.
 */
loff_t fuse_iomap_remap_file_range(struct file *file_in, loff_t pos_in,
				   struct file *file_out, loff_t pos_out,
				   loff_t len, unsigned int remap_flags)
{
	struct inode *src = file_inode(file_in);
	struct inode *dst = file_inode(file_out);
	bool dedupe = remap_flags & REMAP_FILE_DEDUP;
	loff_t ret;

	if (remap_flags & ~(REMAP_FILE_DEDUP | REMAP_FILE_ADVISORY |
			    REMAP_FILE_CAN_SHORTEN))
		return -EINVAL;
	if (!fuse_inode_is_iomap(src) || !fuse_inode_is_iomap(dst))
		return -EOPNOTSUPP;
	if (get_fuse_conn(src) != get_fuse_conn(dst))
		return -EXDEV;
	if (test_bit(FUSE_IOMAP_NO_CLONE,
		     &get_fuse_conn(src)->iomap_conn.state))
		return -EOPNOTSUPP;

	lock_two_nondirectories(src, dst);
	filemap_invalidate_lock_two(src->i_mapping, dst->i_mapping);

	/*
	 * Checks, shortens, flushes both ranges, waits for direct I/O and,
	 * for a dedupe, compares the ranges.
	 */
	ret = generic_remap_file_range_prep(file_in, pos_in, file_out, pos_out,
					    &len, remap_flags);
	if (ret || !len)
		goto out;
	/*
	 * The server checks the ranges against the sizes it has recorded:
	 * write back the rest too, so that every extending write has told
	 * it its size.
	 */
	ret = filemap_write_and_wait(src->i_mapping);
	if (!ret && dst != src)
		ret = filemap_write_and_wait(dst->i_mapping);
	if (ret)
		goto out;

	/* A destination that grows shows its old EOF block's tail. */
	if (pos_out + len > i_size_read(dst)) {
		ret = fuse_iomap_zero_block_tail(dst, i_size_read(dst), false);
		if (ret)
			goto out;
	}

	/* The destination's blocks change, the source's become shared. */
	fuse_iomap_cache_change_begin(dst, pos_out, len);
	fuse_iomap_cache_change_begin(src, pos_in, len);
	ret = fuse_iomap_send_clone(file_in, pos_in, file_out, pos_out, len);
	fuse_iomap_cache_change_end(src);
	fuse_iomap_cache_change_end(dst);
	if (ret)
		goto out;

	truncate_inode_pages_range(dst->i_mapping,
				   round_down(pos_out, PAGE_SIZE),
				   round_up(pos_out + len, PAGE_SIZE) - 1);
	if (pos_out + len > i_size_read(dst))
		fuse_iomap_set_size(dst, pos_out + len);
	fuse_invalidate_attr_mask(dst, FUSE_STATX_MODSIZE);
	ret = len;
out:
	filemap_invalidate_unlock_two(src->i_mapping, dst->i_mapping);
	unlock_two_nondirectories(src, dst);
	if (ret > 0 && !dedupe)
		fuse_flush_time_update(dst);
	return ret;
}

static bool fuse_iomap_kernel_owns_data(struct inode *inode)
{
	return fuse_inode_is_iomap(inode) || fuse_inode_is_famfs(inode);
}

/* Does a copy from or to this pair of FUSE files bypass the server? */
bool fuse_iomap_copy_by_kernel(struct file *file_in, struct file *file_out)
{
	return fuse_iomap_kernel_owns_data(file_inode(file_in)) ||
	       fuse_iomap_kernel_owns_data(file_inode(file_out));
}

/**
 * fuse_iomap_copy_file_range - copy_file_range(2) from or to iomap files
 * @file_in: source
 * @pos_in: source offset
 * @file_out: destination
 * @pos_out: destination offset
 * @len: bytes
 *
 * The kernel holds the data, mappings, pending ioends and size of iomap
 * and famfs files, so the server never copies their bytes: a copy between
 * two iomap files of one connection shares the block-aligned part of the
 * range with a reflink, as XFS does, and anything else (unaligned ranges,
 * a server without reflink, famfs files, a classic FUSE file on either
 * side) is copied through the page cache (or DAX) by splicing, under the
 * same locks and with the same ioends as write(2).  A short count asks the
 * caller to go on with the rest.
 *
 * Return: bytes copied, or a negative errno.
 */
ssize_t fuse_iomap_copy_file_range(struct file *file_in, loff_t pos_in,
				   struct file *file_out, loff_t pos_out,
				   size_t len)
{
	loff_t cloned;

	/* It refuses files that are not iomap files of one connection. */
	cloned = fuse_iomap_remap_file_range(file_in, pos_in, file_out, pos_out,
					     min_t(size_t, len, MAX_RW_COUNT),
					     REMAP_FILE_CAN_SHORTEN);
	if (cloned > 0)
		return cloned;
	return splice_copy_file_range(file_in, pos_in, file_out, pos_out, len);
}
