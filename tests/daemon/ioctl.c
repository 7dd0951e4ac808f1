// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd: FUSE_IOCTL, for the inode flags of chattr(1) and lsattr(1).
 *
 * The kernel sends FS_IOC_GETFLAGS and FS_IOC_SETFLAGS (its fileattr
 * operations) with the flags as four bytes in or out, and, to read the
 * old flags before it sets new ones, FS_IOC_FSGETXATTR (struct fsxattr;
 * FS_IOC_FSSETXATTR for xfs_io's chattr).  fusetd keeps
 * FS_SYNC_FL, FS_IMMUTABLE_FL and FS_APPEND_FL on the inode and reports
 * them in fuse_attr.flags (FUSE_ATTR_SYNC, _IMMUTABLE, _APPEND), which
 * an iomap connection's kernel enforces.  Other flags are refused with
 * EOPNOTSUPP, other ioctls with ENOTTY.
 */
#include <errno.h>
#include <string.h>
#include <linux/fs.h>

#include "proto.h"

#define FT_IOC_FLAGS	(FS_SYNC_FL | FS_IMMUTABLE_FL | FS_APPEND_FL)

static uint32_t iflags_to_fs(uint32_t iflags)
{
	return (iflags & FT_I_SYNC ? FS_SYNC_FL : 0) |
	       (iflags & FT_I_IMMUTABLE ? FS_IMMUTABLE_FL : 0) |
	       (iflags & FT_I_APPEND ? FS_APPEND_FL : 0);
}

static uint32_t fs_to_iflags(uint32_t fs)
{
	return (fs & FS_SYNC_FL ? FT_I_SYNC : 0) |
	       (fs & FS_IMMUTABLE_FL ? FT_I_IMMUTABLE : 0) |
	       (fs & FS_APPEND_FL ? FT_I_APPEND : 0);
}

static uint32_t iflags_to_xflags(uint32_t iflags)
{
	return (iflags & FT_I_SYNC ? FS_XFLAG_SYNC : 0) |
	       (iflags & FT_I_IMMUTABLE ? FS_XFLAG_IMMUTABLE : 0) |
	       (iflags & FT_I_APPEND ? FS_XFLAG_APPEND : 0);
}

static uint32_t xflags_to_iflags(uint32_t x)
{
	return (x & FS_XFLAG_SYNC ? FT_I_SYNC : 0) |
	       (x & FS_XFLAG_IMMUTABLE ? FT_I_IMMUTABLE : 0) |
	       (x & FS_XFLAG_APPEND ? FT_I_APPEND : 0);
}

#define FT_XFLAGS	(FS_XFLAG_SYNC | FS_XFLAG_IMMUTABLE | FS_XFLAG_APPEND)

static int set_iflags(struct fusetd *d, struct ft_inode *inode,
		      uint32_t iflags)
{
	inode->iflags = (inode->iflags & ~FT_I_ATTR_FLAGS) | iflags;
	inode_touch(inode, FT_CTIME);
	stats_event(d->stats, FT_EV_SETFLAGS, 1);
	return 0;
}

/* fuse_attr.flags for the inode flags an iomap kernel enforces */
uint32_t ioctl_attr_flags(const struct ft_inode *inode)
{
	return (inode->iflags & FT_I_SYNC ? FUSE_ATTR_SYNC : 0) |
	       (inode->iflags & FT_I_IMMUTABLE ? FUSE_ATTR_IMMUTABLE : 0) |
	       (inode->iflags & FT_I_APPEND ? FUSE_ATTR_APPEND : 0);
}

int op_ioctl(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_ioctl_in *in = r->in;
	struct fuse_ioctl_out out = { 0 };
	struct fsxattr fsx = { 0 };
	struct ft_inode *inode;
	uint32_t flags;
	int err = node_get(d, r->hdr->nodeid, &inode);

	if (err)
		return err;
	switch (in->cmd) {
	case FS_IOC_GETFLAGS:
		if (in->out_size < sizeof(flags))
			return -EINVAL;
		flags = iflags_to_fs(inode->iflags);
		return reply_two(d, r, &out, sizeof(out), &flags,
				 sizeof(flags));
	case FS_IOC_SETFLAGS:
		if (in->in_size < sizeof(flags) ||
		    r->in_len - sizeof(*in) < sizeof(flags))
			return -EINVAL;
		memcpy(&flags, in + 1, sizeof(flags));
		if (flags & ~FT_IOC_FLAGS)
			return -EOPNOTSUPP;
		set_iflags(d, inode, fs_to_iflags(flags));
		return reply_ok(d, r, &out, sizeof(out));
	case FS_IOC_FSGETXATTR:
		if (in->out_size < sizeof(fsx))
			return -EINVAL;
		fsx.fsx_xflags = iflags_to_xflags(inode->iflags);
		return reply_two(d, r, &out, sizeof(out), &fsx, sizeof(fsx));
	case FS_IOC_FSSETXATTR:
		if (in->in_size < sizeof(fsx) ||
		    r->in_len - sizeof(*in) < sizeof(fsx))
			return -EINVAL;
		memcpy(&fsx, in + 1, sizeof(fsx));
		if (fsx.fsx_xflags & ~FT_XFLAGS || fsx.fsx_extsize ||
		    fsx.fsx_projid || fsx.fsx_cowextsize)
			return -EOPNOTSUPP;
		set_iflags(d, inode, xflags_to_iflags(fsx.fsx_xflags));
		return reply_ok(d, r, &out, sizeof(out));
	}
	ft_warn("ioctl 0x%x on inode %llu: not ours", in->cmd,
		(unsigned long long)r->hdr->nodeid);
	return -ENOTTY;
}

/* FUSE_SYNCFS: make all metadata and data durable, as fsync does. */
int op_syncfs(struct fusetd *d, const struct ft_req *r)
{
	int err = store_sync(&d->st);

	return err ? err : reply_ok(d, r, NULL, 0);
}
