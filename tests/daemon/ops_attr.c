// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd node helpers and attribute requests: GETATTR, SETATTR, STATFS,
 * ACCESS.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "proto.h"


int node_get(struct fusetd *d, uint64_t nodeid, struct ft_inode **inode)
{
	*inode = store_inode(&d->st, nodeid);
	if (!*inode) {
		ft_warn("unknown node %llu", (unsigned long long)nodeid);
		return -ESTALE;
	}
	return 0;
}

int node_get_dir(struct fusetd *d, uint64_t nodeid, struct ft_inode **dir)
{
	int err = node_get(d, nodeid, dir);

	if (!err && !S_ISDIR((*dir)->mode))
		err = -ENOTDIR;
	return err;
}

/*
 * --flip-type FILE: while FILE holds the inode number of a file, its
 * attributes say it is a directory (a server that changes a file's type
 * under the kernel, which then makes the inode bad).
 */
static int flipped(const struct fusetd *d, uint64_t ino)
{
	unsigned long long n;
	FILE *f;
	int ret;

	if (!d->flip_type)
		return 0;
	f = fopen(d->flip_type, "r");
	if (!f)
		return 0;
	ret = fscanf(f, "%llu", &n) == 1 && n == ino;
	fclose(f);
	return ret;
}

static void fill_attr(struct fusetd *d, const struct ft_inode *inode,
		      struct fuse_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	attr->ino = pers_wire_nodeid(d, store_ino(&d->st, inode));
	attr->size = inode->size;
	attr->blocks = inode->blocks * (FT_BLOCK_SIZE / 512);
	attr->atime = inode->atime;
	attr->mtime = inode->mtime;
	attr->ctime = inode->ctime;
	attr->atimensec = inode->atime_nsec;
	attr->mtimensec = inode->mtime_nsec;
	attr->ctimensec = inode->ctime_nsec;
	attr->mode = inode->mode;
	if (flipped(d, attr->ino))
		attr->mode = (attr->mode & ~S_IFMT) | S_IFDIR;
	attr->nlink = inode->nlink;
	attr->uid = inode->uid;
	attr->gid = inode->gid;
	attr->rdev = inode->rdev;
	attr->blksize = FT_BLOCK_SIZE;
	if (d->iomap && S_ISREG(inode->mode))
		attr->flags |= FUSE_ATTR_IOMAP;
	/* chattr flags, which an iomap kernel enforces */
	if (d->iomap)
		attr->flags |= ioctl_attr_flags(inode);
	/* fuse4fs: only this mount changes its files */
	if (d->iomap && S_ISREG(inode->mode) &&
	    d->personality == FT_PERS_FUSE4FS)
		attr->flags |= FUSE_ATTR_EXCLUSIVE;
}

/* Fill an entry reply for inode; the kernel counts it as one lookup. */
void fill_entry(struct fusetd *d, struct ft_inode *inode,
		struct fuse_entry_out *out)
{
	uint64_t ino = store_ino(&d->st, inode);

	memset(out, 0, sizeof(*out));
	out->nodeid = pers_wire_nodeid(d, ino);
	out->generation = inode->generation;
	out->entry_valid = d->valid_secs;
	out->attr_valid = d->valid_secs;
	fill_attr(d, inode, &out->attr);
	store_inode_ref(&d->st, ino);
}

static int reply_attr(struct fusetd *d, const struct ft_req *r,
		      const struct ft_inode *inode)
{
	struct fuse_attr_out out = { .attr_valid = d->valid_secs };

	fill_attr(d, inode, &out.attr);
	return reply_ok(d, r, &out, sizeof(out));
}

int op_getattr(struct fusetd *d, const struct ft_req *r)
{
	struct ft_inode *inode;
	int err = node_get(d, r->hdr->nodeid, &inode);

	return err ? err : reply_attr(d, r, inode);
}

int op_setattr(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_setattr_in *in = r->in;
	struct ft_inode *inode;
	int err = node_get(d, r->hdr->nodeid, &inode);

	if (err)
		return err;
	if (in->valid & FATTR_SIZE) {
		if (S_ISDIR(inode->mode))
			return -EISDIR;
		if (!S_ISREG(inode->mode))
			return -EINVAL;
		err = file_truncate(&d->st, inode, in->size);
		if (err)
			return err;
		notify_inval_range(d, r->hdr->nodeid,
				   in->size / FT_BLOCK_SIZE * FT_BLOCK_SIZE,
				   FUSE_IOMAP_INVAL_TO_EOF);
	}
	if (in->valid & FATTR_MODE)
		inode->mode = (inode->mode & S_IFMT) | (in->mode & 07777);
	if (in->valid & FATTR_UID)
		inode->uid = in->uid;
	if (in->valid & FATTR_GID)
		inode->gid = in->gid;
	if (in->valid & FATTR_ATIME_NOW) {
		inode_touch(inode, FT_ATIME);
	} else if (in->valid & FATTR_ATIME) {
		inode->atime = in->atime;
		inode->atime_nsec = in->atimensec;
	}
	if (in->valid & FATTR_MTIME_NOW) {
		inode_touch(inode, FT_MTIME);
	} else if (in->valid & FATTR_MTIME) {
		inode->mtime = in->mtime;
		inode->mtime_nsec = in->mtimensec;
	}
	if (in->valid & FATTR_CTIME) {
		inode->ctime = in->ctime;
		inode->ctime_nsec = in->ctimensec;
	} else {
		inode_touch(inode, FT_CTIME);
	}
	return reply_attr(d, r, inode);
}

int op_statfs(struct fusetd *d, const struct ft_req *r)
{
	const struct ft_super *sb = d->st.sb;
	struct fuse_statfs_out out = {
		.st = {
			.blocks = sb->nr_blocks,
			.bfree = sb->free_blocks,
			.bavail = sb->free_blocks,
			.files = sb->nr_inodes - 1,
			.ffree = sb->free_inodes,
			.bsize = FT_BLOCK_SIZE,
			.namelen = FT_NAME_MAX,
			.frsize = FT_BLOCK_SIZE,
		},
	};

	return reply_ok(d, r, &out, sizeof(out));
}

/*
 * Extended attributes: fusetd keeps none.  Plain fusetd answers ENOSYS,
 * after which the kernel asks no more (no_getxattr).  --personality
 * fuse4fs answers as fuse2fs does for a file without xattrs (misc/
 * fuse2fs.c: a missing key is ENODATA), which fuse4fs is derived from:
 * GETXATTR ENODATA, LISTXATTR an empty list.  The kernel then asks for
 * security.capability before a write whenever S_NOSEC is clear.
 */
int op_getxattr(struct fusetd *d, const struct ft_req *r)
{
	struct ft_inode *inode;
	int err;

	if (d->personality != FT_PERS_FUSE4FS)
		return -ENOSYS;
	err = node_get(d, r->hdr->nodeid, &inode);
	return err ? err : -ENODATA;
}

int op_listxattr(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_getxattr_in *in = r->in;
	struct fuse_getxattr_out out = { .size = 0 };
	struct ft_inode *inode;
	int err;

	if (d->personality != FT_PERS_FUSE4FS)
		return -ENOSYS;
	err = node_get(d, r->hdr->nodeid, &inode);
	if (err)
		return err;
	/* the size of the empty list, or its no bytes */
	return in->size ? reply_ok(d, r, NULL, 0) :
			  reply_ok(d, r, &out, sizeof(out));
}

/* Permissions are checked by the kernel (default_permissions). */
int op_access(struct fusetd *d, const struct ft_req *r)
{
	struct ft_inode *inode;
	int err = node_get(d, r->hdr->nodeid, &inode);

	return err ? err : reply_ok(d, r, NULL, 0);
}
