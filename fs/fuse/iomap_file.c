// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-iomap: the file operations of iomap files, and what the direct
 * (iomap_direct.c) and buffered (iomap_buffered.c) halves of their
 * read_iter and write_iter share: the inode lock of a kiocb, and the
 * checks and waits before a write.  A direct write that iomap ends short
 * continues through the page cache here, so that neither half calls the
 * other.
 */

#include <kunit/visibility.h>
#include <linux/fs.h>
#include <linux/iomap.h>
#include <linux/uio.h>

#include "fuse_i.h"

/**
 * fuse_iomap_lock - take the inode lock for a read or write
 * @iocb: the I/O; with IOCB_NOWAIT the lock is only tried
 * @excl: exclusive (writes) or shared (reads)
 *
 * Return: 0, or -EAGAIN if a NOWAIT caller would have to wait.
 */
int fuse_iomap_lock(struct kiocb *iocb, bool excl)
{
	struct inode *inode = file_inode(iocb->ki_filp);

	if (iocb->ki_flags & IOCB_NOWAIT) {
		if (excl ? !inode_trylock(inode) : !inode_trylock_shared(inode))
			return -EAGAIN;
		return 0;
	}
	if (excl)
		inode_lock(inode);
	else
		inode_lock_shared(inode);
	return 0;
}

void fuse_iomap_unlock(struct inode *inode, bool excl)
{
	if (excl)
		inode_unlock(inode);
	else
		inode_unlock_shared(inode);
}

/**
 * fuse_iomap_update_time - update the times of a file being written
 * @file: the file
 *
 * FUSE keeps the times of an iomap file in its inode: an update marks the
 * inode dirty, and writeback sends them to the server later (SETATTR from
 * ->write_inode).  That never sleeps, so a NOWAIT write updates them too,
 * where kiocb_modified() would fail it with -EAGAIN at every tick of the
 * coarse clock, and io_uring would hand the write to a worker thread.
 *
 * Return: 0 or a negative errno.
 */
int fuse_iomap_update_time(struct file *file)
{
	if (unlikely(file->f_mode & FMODE_NOCMTIME))
		return 0;
	return file_update_time(file);
}

/**
 * fuse_iomap_nowait_privs_wait - would checking privileges wait for the server?
 * @ki_flags: IOCB_* flags of the write
 * @nosec: the inode has S_NOSEC: nothing to drop
 * @no_getxattr: the server answered FUSE_GETXATTR with ENOSYS
 *
 * Whether a write must drop file capabilities is the server's to say:
 * file_remove_privs_flags() asks for security.capability (FUSE_GETXATTR)
 * unless S_NOSEC says there is nothing to drop or the server has no
 * xattrs.  A NOWAIT write does not wait for the answer; io_uring retries
 * it from a worker, which may.
 *
 * Return: true if the write must give up with -EAGAIN.
 */
VISIBLE_IF_KUNIT bool fuse_iomap_nowait_privs_wait(int ki_flags, bool nosec,
						   bool no_getxattr)
{
	return (ki_flags & IOCB_NOWAIT) && !nosec && !no_getxattr;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_nowait_privs_wait);

/**
 * fuse_iomap_file_modified - drop privileges and update the times for a write
 * @iocb: the write, under the exclusive inode lock
 *
 * Drop suid and file capabilities as every write does, and remember when
 * there is nothing left to drop (S_NOSEC): the next writes skip the check,
 * which asks the server for security.capability (GETXATTR), and aligned
 * direct overwrites may take the shared inode lock.  FUSE clears S_NOSEC
 * whenever it loads the server's attributes, and the VFS when a chmod sets
 * suid or sgid or a security xattr is set.  Neither the question nor the
 * SETATTR that drops them is for a NOWAIT write to wait for: -EAGAIN.
 *
 * Return: 0 or a negative errno.
 */
int fuse_iomap_file_modified(struct kiocb *iocb)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	int err;

	lockdep_assert_held_write(&inode->i_rwsem);
	if (fuse_iomap_nowait_privs_wait(iocb->ki_flags, IS_NOSEC(inode),
					 get_fuse_conn(inode)->no_getxattr))
		return -EAGAIN;
	err = file_remove_privs_flags(iocb->ki_filp, iocb->ki_flags);
	if (!err)
		err = fuse_iomap_update_time(iocb->ki_filp);
	if (err)
		return err;
	if (!is_sxid(inode->i_mode))
		inode->i_flags |= S_NOSEC;
	return 0;
}

/*
 * Checks common to direct and buffered writes, under the exclusive inode
 * lock.  A write that starts past EOF first zeroes the rest of the old EOF
 * block, whose tail may hold stale bytes on disk; blocks wholly past EOF
 * are the server's to keep unmapped or unwritten.
 *
 * Return: the number of bytes to write, 0, or a negative errno.
 */
ssize_t fuse_iomap_write_checks(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	loff_t isize, end;
	ssize_t count;
	int err;

	lockdep_assert_held_write(&inode->i_rwsem);
	/*
	 * Direct writes send FUSE_IOMAP_IOEND, and then move the size, after
	 * they drop the inode lock (an O_DSYNC one ends in fuse_fsync(),
	 * which takes it).  Until then the blocks they wrote may still map as
	 * unwritten, and the size is the old one.  Writes that go by either
	 * wait for them: buffered writes, which start from a zeroed folio
	 * over unwritten blocks; sub-block direct writes, which zero around
	 * their bytes; and writes that append or reach past EOF, which go by
	 * the size.  Aligned direct overwrites inside EOF need not.
	 */
	if (atomic_read(&inode->i_dio_count) &&
	    !fuse_iomap_dio_overwrite(iocb, from)) {
		if (iocb->ki_flags & IOCB_NOWAIT)
			return -EAGAIN;
		inode_dio_wait(inode);
	}

	count = generic_write_checks(iocb, from);
	if (count <= 0)
		return count;
	err = fuse_iomap_file_modified(iocb);
	if (err)
		return err;

	isize = i_size_read(inode);
	end = min_t(loff_t, iocb->ki_pos, round_up(isize, i_blocksize(inode)));
	if (end <= isize)
		return count;
	if (iocb->ki_flags & IOCB_NOWAIT)
		return -EAGAIN;

	err = iomap_zero_range(inode, isize, end - isize, NULL,
			       &fuse_iomap_buffered_write_ops);
	return err ?: count;
}

ssize_t fuse_iomap_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	if (fuse_is_bad(file_inode(iocb->ki_filp)))
		return -EIO;
	if (iocb->ki_flags & IOCB_DIRECT)
		return fuse_iomap_direct_read(iocb, to);
	return fuse_iomap_buffered_read(iocb, to);
}

/*
 * The rest of a direct write that ->iomap_begin refused with -ENOTBLK (a
 * partial block of a shared mapping, or inline data), which
 * __iomap_dio_rw() ends short, goes through the page cache, which is
 * then written back and dropped, as O_DIRECT promises.
 */
static ssize_t fuse_iomap_dio_fallback(struct kiocb *iocb,
				       struct iov_iter *from, ssize_t direct)
{
	ssize_t buffered;

	iocb->ki_flags &= ~IOCB_DIRECT;
	buffered = fuse_iomap_buffered_write(iocb, from);
	iocb->ki_flags |= IOCB_DIRECT;
	return direct_write_fallback(iocb, from, direct, buffered);
}

ssize_t fuse_iomap_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	ssize_t ret;

	if (fuse_is_bad(file_inode(iocb->ki_filp)))
		return -EIO;
	if (!(iocb->ki_flags & IOCB_DIRECT))
		return fuse_iomap_buffered_write(iocb, from);
	ret = fuse_iomap_direct_write(iocb, from);
	/*
	 * Short without an error: ->iomap_begin said -ENOTBLK.  The fallback
	 * writes back and waits: a NOWAIT write ends short, or with -EAGAIN,
	 * and its caller does the rest without NOWAIT.  (The mapping cache
	 * serves NOWAIT neither shared write mappings nor inline data, so
	 * this is a guard.)
	 */
	if (ret >= 0 && iov_iter_count(from)) {
		if (iocb->ki_flags & IOCB_NOWAIT)
			return ret ?: -EAGAIN;
		ret = fuse_iomap_dio_fallback(iocb, from, ret);
	}
	return ret;
}

static loff_t fuse_iomap_llseek(struct file *file, loff_t offset, int whence)
{
	if (whence == SEEK_HOLE || whence == SEEK_DATA)
		return fuse_iomap_lseek(file, offset, whence);
	return fuse_file_llseek(file, offset, whence);
}

/*
 * FUSE's file operations with iomap's I/O, and without ->poll: iomap
 * files are block-backed, and a pollable file makes io_uring poll and
 * retry a NOWAIT attempt that missed the mapping cache (up to 128 times)
 * instead of handing it to a worker.  Buffered reads go through
 * filemap_read(), which can wait for a folio asynchronously
 * (IOCB_WAITQ): FOP_BUFFER_RASYNC.  Buffered writes are tried with
 * IOCB_NOWAIT first and fail with -EAGAIN where they would wait
 * (fuse_iomap_nowait_write_waits()): FOP_BUFFER_WASYNC.  Only these files
 * can be cloned.
 */
const struct file_operations fuse_iomap_fops = {
	.llseek		= fuse_iomap_llseek,
	.read_iter	= fuse_iomap_read_iter,
	.write_iter	= fuse_iomap_write_iter,
	.mmap		= fuse_iomap_mmap,
	.open		= fuse_open,
	.flush		= fuse_flush,
	.release	= fuse_release,
	.fsync		= fuse_fsync,
	.lock		= fuse_file_lock,
	.get_unmapped_area = thp_get_unmapped_area,
	.flock		= fuse_file_flock,
	.splice_read	= fuse_splice_read,
	.splice_write	= fuse_splice_write,
	.unlocked_ioctl	= fuse_file_ioctl,
	.compat_ioctl	= fuse_file_compat_ioctl,
	.fallocate	= fuse_iomap_fallocate,
	.copy_file_range = fuse_copy_file_range,
	.remap_file_range = fuse_iomap_remap_file_range,
	.fop_flags	= FOP_BUFFER_RASYNC | FOP_BUFFER_WASYNC,
};
