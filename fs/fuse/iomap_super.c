// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-iomap: the whole filesystem of an iomap server.
 *
 * An iomap server owns its block devices as a kernel filesystem does, so
 * the kernel tells it about events of the whole filesystem, as the posted
 * series does:
 *
 *   FUSE_SYNCFS		syncfs(2) and sync(2), after the kernel wrote
 *				back its dirty pages: make the metadata durable
 *   FUSE_FREEZE_FS	fsfreeze --freeze, after the kernel wrote back and
 *				blocked writers: quiesce the devices; the count
 *				of unlinked inodes still in use is passed on
 *   FUSE_UNFREEZE_FS	fsfreeze --unfreeze
 *   FUSE_SHUTDOWN_FS	FS_IOC_SHUTDOWN (xfs_io's "shutdown", fstests'
 *				godown): the server stops writing its devices
 *
 * ENOSYS to any of them means the server does not need it: the kernel
 * stops asking and the operation succeeds.  After a shutdown the kernel
 * maps no more file ranges, so all iomap I/O fails with EIO, as on a shut
 * down kernel filesystem; the server fails the rest.
 *
 * The attribute flags FUSE_ATTR_SYNC, _IMMUTABLE and _APPEND of an iomap
 * connection's inodes become S_SYNC, S_IMMUTABLE and S_APPEND, which the
 * VFS enforces as for chattr +S, +i and +a.
 */

#include <linux/fs.h>
#include <linux/uaccess.h>

#include "fuse_i.h"

/* XFS's and ext4's shutdown ioctl; generic in <linux/fs.h> after 6.12 */
#ifndef FS_IOC_SHUTDOWN
#define FS_IOC_SHUTDOWN			_IOR('X', 125, __u32)
#define FS_SHUTDOWN_FLAGS_DEFAULT	0	/* sync, then shut down */
#define FS_SHUTDOWN_FLAGS_LOGFLUSH	1	/* the server flushes its log */
#define FS_SHUTDOWN_FLAGS_NOLOGFLUSH	2	/* now */
#endif

/**
 * fuse_iomap_attr_flags - apply the VFS-enforced flags of an attribute
 * @inode: an inode of any type, with fuse_inode.lock held
 * @flags: fuse_attr.flags of the attributes being applied
 */
void fuse_iomap_attr_flags(struct inode *inode, u32 flags)
{
	unsigned int set = 0;

	lockdep_assert_held(&get_fuse_inode(inode)->lock);
	if (!get_fuse_conn(inode)->iomap_conn.iomap)
		return;
	if (flags & FUSE_ATTR_SYNC)
		set |= S_SYNC;
	if (flags & FUSE_ATTR_IMMUTABLE)
		set |= S_IMMUTABLE;
	if (flags & FUSE_ATTR_APPEND)
		set |= S_APPEND;
	inode_set_flags(inode, set, S_SYNC | S_IMMUTABLE | S_APPEND);
}

bool fuse_iomap_is_shutdown(struct fuse_conn *fc)
{
	return test_bit(FUSE_IOMAP_SHUTDOWN, &fc->iomap_conn.state);
}

/*
 * Send a request about the whole filesystem; ENOSYS latches @nosys_bit
 * and is success.
 */
static int fuse_iomap_fs_request(struct super_block *sb, u32 opcode,
				 const void *in, size_t in_size, int nosys_bit)
{
	struct fuse_mount *fm = get_fuse_mount_super(sb);
	struct fuse_iomap_conn *ic = &fm->fc->iomap_conn;
	struct fuse_args args = {};
	int err;

	if (test_bit(nosys_bit, &ic->state))
		return 0;
	fuse_iomap_args(&args, opcode, get_node_id(d_inode(sb->s_root)), in,
			in_size);
	args.in_numargs = !!in_size;	/* no body, no argument */
	args.force = true;
	err = fuse_simple_request(fm, &args);
	if (err == -ENOSYS) {
		set_bit(nosys_bit, &ic->state);
		err = 0;
	}
	return err;
}

/* Inodes of @sb unlinked but still in use. */
static u64 fuse_iomap_count_unlinked(struct super_block *sb)
{
	struct inode *inode;
	u64 n = 0;

	spin_lock(&sb->s_inode_list_lock);
	list_for_each_entry(inode, &sb->s_inodes, i_sb_list) {
		spin_lock(&inode->i_lock);
		if (!inode->i_nlink &&
		    !(inode->i_state & (I_NEW | I_FREEING | I_WILL_FREE)))
			n++;
		spin_unlock(&inode->i_lock);
	}
	spin_unlock(&sb->s_inode_list_lock);
	return n;
}

/* ->freeze_fs: writers are blocked and the page cache is written back. */
int fuse_iomap_freeze_fs(struct super_block *sb)
{
	struct fuse_freezefs_in in = { };

	/* classic FUSE cannot be frozen: keep it that way */
	if (!get_fuse_conn_super(sb)->iomap_conn.iomap)
		return -EOPNOTSUPP;
	in.unlinked = fuse_iomap_count_unlinked(sb);

	return fuse_iomap_fs_request(sb, FUSE_FREEZE_FS, &in, sizeof(in),
				     FUSE_IOMAP_NO_FREEZE);
}

int fuse_iomap_unfreeze_fs(struct super_block *sb)
{
	int err = fuse_iomap_fs_request(sb, FUSE_UNFREEZE_FS, NULL, 0,
					FUSE_IOMAP_NO_FREEZE);

	/* the VFS thaws anyway; the server said why it could not */
	if (err)
		pr_warn_ratelimited("fuse: FUSE_UNFREEZE_FS failed (%d)\n", err);
	return 0;
}

/* FS_IOC_SHUTDOWN, as XFS and ext4 have it. */
static int fuse_iomap_shutdown(struct super_block *sb, u32 how)
{
	struct fuse_conn *fc = get_fuse_conn_super(sb);
	struct fuse_shutdownfs_in in = { .flags = how };
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (how > FS_SHUTDOWN_FLAGS_NOLOGFLUSH)
		return -EINVAL;
	if (fuse_iomap_is_shutdown(fc))
		return 0;
	/* FULLSYNC: what the kernel holds reaches the server first */
	if (how == FS_SHUTDOWN_FLAGS_DEFAULT) {
		down_read(&sb->s_umount);
		err = sync_filesystem(sb);
		up_read(&sb->s_umount);
		if (err)
			return err;
	}
	set_bit(FUSE_IOMAP_SHUTDOWN, &fc->iomap_conn.state);
	pr_info_ratelimited("fuse: %s shut down (flags %u)\n", sb->s_id, how);
	return fuse_iomap_fs_request(sb, FUSE_SHUTDOWN_FS, &in, sizeof(in),
				     FUSE_IOMAP_NO_SHUTDOWN);
}

/**
 * fuse_iomap_ioctl - ioctls of any file of an iomap connection
 * @file: the file
 * @cmd: the command
 * @arg: its argument
 *
 * Return: the result, or -ENOIOCTLCMD to pass @cmd on to the server.
 */
long fuse_iomap_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct super_block *sb = file_inode(file)->i_sb;
	u32 how;

	if (!get_fuse_conn_super(sb)->iomap_conn.iomap)
		return -ENOIOCTLCMD;
	switch (cmd) {
	case FS_IOC_SHUTDOWN:
		if (get_user(how, (u32 __user *)arg))
			return -EFAULT;
		return fuse_iomap_shutdown(sb, how);
	}
	return -ENOIOCTLCMD;
}
