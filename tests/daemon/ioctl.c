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
#include <stddef.h>
#include <string.h>
#include <linux/fs.h>

#include "proto.h"

/* One flag in each of its spellings: fusetd's, chattr's, xfs_io's, FUSE's */
struct ft_flag {
	uint32_t	iflag;		/* FT_I_* */
	uint32_t	fs;		/* FS_*_FL */
	uint32_t	xflag;		/* FS_XFLAG_* */
	uint32_t	attr;		/* FUSE_ATTR_* */
};

static const struct ft_flag ft_flags[] = {
	{ FT_I_SYNC, FS_SYNC_FL, FS_XFLAG_SYNC, FUSE_ATTR_SYNC },
	{ FT_I_IMMUTABLE, FS_IMMUTABLE_FL, FS_XFLAG_IMMUTABLE,
	  FUSE_ATTR_IMMUTABLE },
	{ FT_I_APPEND, FS_APPEND_FL, FS_XFLAG_APPEND, FUSE_ATTR_APPEND },
};

#define NR_FLAGS	(sizeof(ft_flags) / sizeof(ft_flags[0]))
#define FIELD(f, off)	(*(const uint32_t *)((const char *)(f) + (off)))

/* Translate the flags of @in from one spelling (field @from) to another. */
static uint32_t flags_map(uint32_t in, size_t from, size_t to)
{
	uint32_t out = 0;
	size_t i;

	for (i = 0; i < NR_FLAGS; i++)
		if (in & FIELD(&ft_flags[i], from))
			out |= FIELD(&ft_flags[i], to);
	return out;
}

/* All flags of one spelling. */
static uint32_t flags_all(size_t field)
{
	return flags_map(FT_I_ATTR_FLAGS, offsetof(struct ft_flag, iflag),
			 field);
}

#define F_I	offsetof(struct ft_flag, iflag)
#define F_FS	offsetof(struct ft_flag, fs)
#define F_X	offsetof(struct ft_flag, xflag)
#define F_A	offsetof(struct ft_flag, attr)

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
	return flags_map(inode->iflags, F_I, F_A);
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
		flags = flags_map(inode->iflags, F_I, F_FS);
		return reply_two(d, r, &out, sizeof(out), &flags,
				 sizeof(flags));
	case FS_IOC_SETFLAGS:
		if (in->in_size < sizeof(flags) ||
		    r->in_len - sizeof(*in) < sizeof(flags))
			return -EINVAL;
		memcpy(&flags, in + 1, sizeof(flags));
		if (flags & ~flags_all(F_FS))
			return -EOPNOTSUPP;
		set_iflags(d, inode, flags_map(flags, F_FS, F_I));
		return reply_ok(d, r, &out, sizeof(out));
	case FS_IOC_FSGETXATTR:
		if (in->out_size < sizeof(fsx))
			return -EINVAL;
		fsx.fsx_xflags = flags_map(inode->iflags, F_I, F_X);
		return reply_two(d, r, &out, sizeof(out), &fsx, sizeof(fsx));
	case FS_IOC_FSSETXATTR:
		if (in->in_size < sizeof(fsx) ||
		    r->in_len - sizeof(*in) < sizeof(fsx))
			return -EINVAL;
		memcpy(&fsx, in + 1, sizeof(fsx));
		if (fsx.fsx_xflags & ~flags_all(F_X) || fsx.fsx_extsize ||
		    fsx.fsx_projid || fsx.fsx_cowextsize)
			return -EOPNOTSUPP;
		set_iflags(d, inode, flags_map(fsx.fsx_xflags, F_X, F_I));
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
