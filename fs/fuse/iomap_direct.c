// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-iomap: direct I/O of iomap inodes through iomap_dio_rw().
 *
 * The server only maps; the kernel reads and writes the block device.
 * iomap_dio_rw() writes back and invalidates the page cache around the
 * range, as for any kernel filesystem.  Aligned overwrites inside EOF
 * run under the shared inode lock, as in XFS, once no privileges are
 * left to drop (S_NOSEC); other writes hold it exclusive.  Writes
 * complete (FUSE_IOMAP_IOEND, the new size) after dropping the lock;
 * writes that depend on a completion wait for the direct writes in
 * flight (fuse_iomap_write_checks()).  Sub-block and
 * extending writes also wait for their own I/O, since they could
 * otherwise zero the data of another write to the same block or move
 * the size under it.  A sub-block write into a shared (copy-on-write)
 * block ends the direct write short; fuse_iomap_write_iter() writes the
 * rest through the page cache, which can merge it with the old block's
 * data.
 */

#include <linux/iomap.h>
#include <linux/uio.h>

#include "fuse_i.h"

ssize_t fuse_iomap_direct_read(struct kiocb *iocb, struct iov_iter *to)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	ssize_t ret;

	if (!iov_iter_count(to))
		return 0;	/* skip atime */

	ret = fuse_iomap_lock(iocb, false);
	if (ret)
		return ret;
	ret = iomap_dio_rw(iocb, to, &fuse_iomap_direct_ops, NULL, 0, NULL, 0);
	inode_unlock_shared(inode);
	if (ret >= 0)
		file_accessed(iocb->ki_filp);
	return ret;
}

static int fuse_iomap_dio_write_end_io(struct kiocb *iocb, ssize_t written,
				       int error, unsigned int dio_flags)
{
	struct fuse_iomap_ioend_args io = {
		.pos = iocb->ki_pos,
		.written = written,
		.error = error,
		.flags = fuse_iomap_ioend_flags(true,
						dio_flags & IOMAP_DIO_UNWRITTEN,
						dio_flags & IOMAP_DIO_COW),
		/* A direct write may span mappings: no single new address. */
		.new_addr = FUSE_IOMAP_NULL_ADDR,
		.dev = FUSE_IOMAP_DEV_NULL,
	};

	return fuse_iomap_ioend(file_inode(iocb->ki_filp), &io);
}

static const struct iomap_dio_ops fuse_iomap_dio_write_ops = {
	.end_io		= fuse_iomap_dio_write_end_io,
};

/* Does this write cover only part of a block at either end? */
bool fuse_iomap_dio_unaligned(const struct kiocb *iocb,
			      const struct iov_iter *from)
{
	unsigned int mask = i_blocksize(file_inode(iocb->ki_filp)) - 1;

	return (iocb->ki_pos | iov_iter_count(from)) & mask;
}

/**
 * fuse_iomap_dio_overwrite - is this an aligned direct write inside EOF?
 * @iocb: the write
 * @from: its data
 *
 * Such a write zeroes no part of a block and moves no size: it need not
 * wait for the direct writes in flight, nor they for it.  The size only
 * shrinks under the exclusive inode lock, so the answer holds for as long
 * as the caller holds the lock in either mode.
 */
bool fuse_iomap_dio_overwrite(const struct kiocb *iocb,
			      const struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);

	return (iocb->ki_flags & IOCB_DIRECT) &&
	       !(iocb->ki_flags & IOCB_APPEND) &&
	       !fuse_iomap_dio_unaligned(iocb, from) &&
	       iocb->ki_pos + iov_iter_count(from) <= i_size_read(inode);
}

/* May this write run under the shared inode lock? */
static bool fuse_iomap_dio_write_shared(const struct kiocb *iocb,
					const struct iov_iter *from)
{
	return IS_NOSEC(file_inode(iocb->ki_filp)) &&
	       fuse_iomap_dio_overwrite(iocb, from);
}

/*
 * Take the inode lock for a direct write: shared for an overwrite with no
 * privileges to drop, checked again under the lock, else exclusive.
 *
 * Return: 0 with *@excl telling the mode, or -EAGAIN for NOWAIT.
 */
static int fuse_iomap_dio_write_lock(struct kiocb *iocb,
				     const struct iov_iter *from, bool *excl)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	int ret;

	*excl = !fuse_iomap_dio_write_shared(iocb, from);
	ret = fuse_iomap_lock(iocb, *excl);
	if (ret || *excl || fuse_iomap_dio_write_shared(iocb, from))
		return ret;
	inode_unlock_shared(inode);
	*excl = true;
	return fuse_iomap_lock(iocb, true);
}

/*
 * The checks of an overwrite under the shared lock: it has nothing to wait
 * for, zero or drop (fuse_iomap_write_checks() does those under the
 * exclusive lock), only limits and times to check.  S_NOSEC was set when
 * the lock was taken, but FUSE clears it when it loads the server's
 * attributes, which takes no inode lock: then privileges are not even
 * looked at here (that may ask the server), -EAGAIN sends the write to the
 * exclusive lock.  The times are updated even for a NOWAIT write
 * (fuse_iomap_update_time()).
 */
static ssize_t fuse_iomap_dio_overwrite_checks(struct kiocb *iocb,
					       struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	ssize_t count;
	int err;

	count = generic_write_checks(iocb, from);
	if (count <= 0)
		return count;
	if (!IS_NOSEC(file_inode(file)))
		return -EAGAIN;
	err = fuse_iomap_update_time(file);
	return err ?: count;
}

ssize_t fuse_iomap_direct_write(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	unsigned int dio_flags = 0;
	struct iomap_dio *dio;
	ssize_t ret;
	bool excl;

	ret = fuse_iomap_dio_write_lock(iocb, from, &excl);
	if (ret)
		return ret;
	if (excl) {
		ret = fuse_iomap_write_checks(iocb, from);
	} else {
		ret = fuse_iomap_dio_overwrite_checks(iocb, from);
		if (ret == -EAGAIN && !(iocb->ki_flags & IOCB_NOWAIT)) {
			inode_unlock_shared(inode);
			excl = true;
			ret = fuse_iomap_lock(iocb, true);
			if (ret)
				return ret;
			ret = fuse_iomap_write_checks(iocb, from);
		}
	}
	if (ret <= 0)
		goto out_unlock;

	/*
	 * Sub-block writes zero the rest of the block; extending writes
	 * move i_size at completion.  The I/O of both must be done before
	 * the next write can look at the same block or size.
	 */
	if (fuse_iomap_dio_unaligned(iocb, from) ||
	    iocb->ki_pos + iov_iter_count(from) > i_size_read(inode)) {
		if (iocb->ki_flags & IOCB_NOWAIT) {
			ret = -EAGAIN;
			goto out_unlock;
		}
		dio_flags |= IOMAP_DIO_FORCE_WAIT;
	}

	dio = __iomap_dio_rw(iocb, from, &fuse_iomap_direct_ops,
			     &fuse_iomap_dio_write_ops, dio_flags, NULL, 0);
	fuse_iomap_unlock(inode, excl);
	/*
	 * Complete outside the inode lock: an O_DSYNC write ends in
	 * fuse_fsync(), which takes it.
	 */
	if (IS_ERR_OR_NULL(dio))
		ret = PTR_ERR_OR_ZERO(dio);
	else
		ret = iomap_dio_complete(dio);

	/* -ENOTBLK: the page cache could not be invalidated. */
	if (ret == -ENOTBLK)
		ret = 0;
	return ret;

out_unlock:
	fuse_iomap_unlock(inode, excl);
	return ret;
}
