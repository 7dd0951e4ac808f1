// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd namespace requests: LOOKUP, FORGET, BATCH_FORGET, CREATE, MKNOD,
 * MKDIR, SYMLINK, READLINK, LINK, UNLINK, RMDIR, RENAME, RENAME2.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "proto.h"

static int check_name(const char *name)
{
	size_t len = strlen(name);

	if (!len || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EINVAL;
	return len > FT_NAME_MAX ? -ENAMETOOLONG : 0;
}

static int reply_entry(struct fusetd *d, const struct ft_req *r,
		       struct ft_inode *inode)
{
	struct fuse_entry_out out;

	fill_entry(d, inode, &out);
	return reply_ok(d, r, &out, sizeof(out));
}

/* Look name up in the request's directory; the entry must be in use. */
static int lookup_name(struct fusetd *d, const struct ft_req *r,
		       const char *name, struct ft_inode **dir,
		       struct ft_inode **inode, uint64_t *slot)
{
	uint64_t ino;
	int err;

	err = node_get_dir(d, r->hdr->nodeid, dir);
	if (!err)
		err = check_name(name);
	if (!err)
		err = dir_lookup(&d->st, *dir, name, &ino, slot);
	if (err)
		return err;
	*inode = store_inode(&d->st, ino);
	if (!*inode) {
		ft_warn("entry %s refers to free inode %llu", name,
			(unsigned long long)ino);
		return -EIO;
	}
	return 0;
}

int op_lookup(struct fusetd *d, const struct ft_req *r)
{
	struct ft_inode *dir, *inode;
	const char *name;
	uint64_t slot;
	int err;

	err = req_strings(r, 0, &name, 1);
	if (err)
		return err;
	/* "." and ".." come from NFS export (FUSE_EXPORT_SUPPORT) */
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		err = node_get_dir(d, r->hdr->nodeid, &dir);
		if (!err)
			err = node_get(d, name[1] ? dir->parent :
					  r->hdr->nodeid, &inode);
	} else {
		err = lookup_name(d, r, name, &dir, &inode, &slot);
	}
	return err ? err : reply_entry(d, r, inode);
}

int op_forget(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_forget_in *in = r->in;

	store_inode_forget(&d->st, r->hdr->nodeid, in->nlookup);
	return 0;
}

int op_batch_forget(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_batch_forget_in *in = r->in;
	const struct fuse_forget_one *one = (const void *)(in + 1);
	size_t n = (r->in_len - sizeof(*in)) / sizeof(*one), i;

	if (in->count > n)
		ft_warn("BATCH_FORGET of %u nodes carries only %zu",
			in->count, n);
	else
		n = in->count;
	for (i = 0; i < n; i++)
		store_inode_forget(&d->st, one[i].nodeid, one[i].nlookup);
	return 0;
}

/*
 * Create an inode of mode named name in the request's directory; a symlink
 * to target if target is not NULL.
 */
static int new_node(struct fusetd *d, const struct ft_req *r,
		    const char *name, uint32_t mode, uint32_t rdev,
		    const char *target, struct ft_inode **inodep)
{
	struct ft_store *st = &d->st;
	struct ft_inode *dir, *inode;
	uint32_t gid = r->hdr->gid;
	uint64_t ino, slot;
	ssize_t n;
	int err;

	err = node_get_dir(d, r->hdr->nodeid, &dir);
	if (!err)
		err = check_name(name);
	if (err)
		return err;
	err = dir_lookup(st, dir, name, &ino, &slot);
	if (err != -ENOENT)
		return err ? err : -EEXIST;
	if (S_ISDIR(mode) && dir->nlink >= FT_LINK_MAX)
		return -EMLINK;
	if (dir->mode & S_ISGID) {
		gid = dir->gid;
		if (S_ISDIR(mode))
			mode |= S_ISGID;
	}

	err = store_inode_alloc(st, mode, r->hdr->uid, gid, &ino);
	if (err)
		return err;
	inode = store_inode(st, ino);
	inode->rdev = rdev;
	inline_init(st, inode);
	if (S_ISDIR(mode)) {
		inode->nlink = 2;
		inode->parent = store_ino(st, dir);
	}
	if (target) {
		n = file_write(st, inode, target, strlen(target), 0);
		err = n < 0 ? n : 0;
	}
	if (!err)
		err = dir_add(st, dir, name, ino, mode);
	if (err) {
		inode->nlink = 0;
		store_inode_reclaim(st, ino);
		return err;
	}
	if (S_ISDIR(mode))
		dir->nlink++;
	*inodep = inode;
	return 0;
}

int op_create(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_create_in *in = r->in;
	struct fuse_open_out open = { 0 };
	struct fuse_entry_out entry;
	struct ft_inode *inode;
	const char *name;
	int err;

	err = req_strings(r, sizeof(*in), &name, 1);
	if (!err)
		err = new_node(d, r, name, S_IFREG | (in->mode & 07777), 0,
			       NULL, &inode);
	if (err)
		return err;
	fill_entry(d, inode, &entry);
	return reply_two(d, r, &entry, sizeof(entry), &open, sizeof(open));
}

int op_mknod(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_mknod_in *in = r->in;
	uint32_t rdev = 0;
	struct ft_inode *inode;
	const char *name;
	int err;

	switch (in->mode & S_IFMT) {
	case S_IFCHR:
	case S_IFBLK:
		rdev = in->rdev;
		break;
	case S_IFREG:
	case S_IFIFO:
		break;
	default:
		return -EPERM;
	}
	err = req_strings(r, sizeof(*in), &name, 1);
	if (!err)
		err = new_node(d, r, name, in->mode & (S_IFMT | 07777), rdev,
			       NULL, &inode);
	return err ? err : reply_entry(d, r, inode);
}

int op_mkdir(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_mkdir_in *in = r->in;
	struct ft_inode *inode;
	const char *name;
	int err;

	err = req_strings(r, sizeof(*in), &name, 1);
	if (!err)
		err = new_node(d, r, name, S_IFDIR | (in->mode & 07777), 0,
			       NULL, &inode);
	return err ? err : reply_entry(d, r, inode);
}

int op_symlink(struct fusetd *d, const struct ft_req *r)
{
	const char *s[2];	/* name, target */
	struct ft_inode *inode;
	int err;

	err = req_strings(r, 0, s, 2);
	if (err)
		return err;
	if (!s[1][0])
		return -ENOENT;
	if (strlen(s[1]) > FT_SYMLINK_MAX)
		return -ENAMETOOLONG;
	err = new_node(d, r, s[0], S_IFLNK | 0777, 0, s[1], &inode);
	return err ? err : reply_entry(d, r, inode);
}

int op_readlink(struct fusetd *d, const struct ft_req *r)
{
	struct ft_inode *inode;
	ssize_t n;
	int err;

	err = node_get(d, r->hdr->nodeid, &inode);
	if (err)
		return err;
	if (!S_ISLNK(inode->mode))
		return -EINVAL;
	if (inode->size > FT_SYMLINK_MAX)
		return -EIO;
	n = file_read(&d->st, inode, d->out_buf, inode->size, 0);
	return n < 0 ? n : reply_ok(d, r, d->out_buf, n);
}

int op_link(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_link_in *in = r->in;
	struct ft_inode *dir, *inode;
	const char *name;
	int err;

	err = req_strings(r, sizeof(*in), &name, 1);
	if (!err)
		err = node_get(d, in->oldnodeid, &inode);
	if (!err)
		err = node_get_dir(d, r->hdr->nodeid, &dir);
	if (!err)
		err = check_name(name);
	if (err)
		return err;
	if (S_ISDIR(inode->mode))
		return -EPERM;
	if (inode->nlink >= FT_LINK_MAX)
		return -EMLINK;
	err = dir_add(&d->st, dir, name, in->oldnodeid, inode->mode);
	if (err)
		return err;
	inode->nlink++;
	inode_touch(inode, FT_CTIME);
	return reply_entry(d, r, inode);
}

/* inode lost a name in dir; free it once unused. */
static void drop_link(struct ft_store *st, struct ft_inode *dir,
		      struct ft_inode *inode)
{
	if (S_ISDIR(inode->mode)) {
		inode->nlink = 0;
		dir->nlink--;
	} else if (inode->nlink) {
		inode->nlink--;
	}
	inode_touch(inode, FT_CTIME);
	store_inode_reclaim(st, store_ino(st, inode));
}

/* -ENOTEMPTY unless dir is empty. */
static int check_empty(struct ft_store *st, struct ft_inode *dir)
{
	int ret = dir_is_empty(st, dir);

	return ret < 0 ? ret : ret ? 0 : -ENOTEMPTY;
}

static int remove_name(struct fusetd *d, const struct ft_req *r, int rmdir)
{
	struct ft_inode *dir, *inode;
	const char *name;
	uint64_t slot;
	int err;

	err = req_strings(r, 0, &name, 1);
	if (!err)
		err = lookup_name(d, r, name, &dir, &inode, &slot);
	if (err)
		return err;
	if (rmdir && !S_ISDIR(inode->mode))
		return -ENOTDIR;
	if (!rmdir && S_ISDIR(inode->mode))
		return -EISDIR;
	if (rmdir) {
		err = check_empty(&d->st, inode);
		if (err)
			return err;
	}
	err = dir_remove(&d->st, dir, slot);
	if (err)
		return err;
	drop_link(&d->st, dir, inode);
	return reply_ok(d, r, NULL, 0);
}

int op_unlink(struct fusetd *d, const struct ft_req *r)
{
	return remove_name(d, r, 0);
}

int op_rmdir(struct fusetd *d, const struct ft_req *r)
{
	return remove_name(d, r, 1);
}

/* Whether dst may be replaced by src. */
static int check_replace(struct ft_store *st, struct ft_inode *src,
			 struct ft_inode *dst)
{
	if (!S_ISDIR(src->mode))
		return S_ISDIR(dst->mode) ? -EISDIR : 0;
	if (!S_ISDIR(dst->mode))
		return -ENOTDIR;
	return check_empty(st, dst);
}

/* -EINVAL if directory dir is src or lies below it. */
static int check_loop(struct ft_store *st, struct ft_inode *src,
		      struct ft_inode *dir)
{
	uint64_t ino = store_ino(st, dir), depth;

	for (depth = 0; depth < st->sb->nr_inodes; depth++) {
		if (dir == src)
			return -EINVAL;
		if (ino == FT_ROOT_INO)
			return 0;
		ino = dir->parent;
		dir = store_inode(st, ino);
		if (!dir)
			break;
	}
	ft_warn("broken parent chain at inode %llu", (unsigned long long)ino);
	return -EIO;
}

static int do_rename(struct fusetd *d, const struct ft_req *r,
		     uint64_t newdir, uint32_t flags, size_t off)
{
	struct ft_store *st = &d->st;
	struct ft_inode *odir, *ndir, *src, *dst = NULL;
	const char *names[2];
	uint64_t sslot, dslot, dino;
	int err;

	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL;
	err = req_strings(r, off, names, 2);
	if (!err)
		err = lookup_name(d, r, names[0], &odir, &src, &sslot);
	if (!err)
		err = node_get_dir(d, newdir, &ndir);
	if (!err)
		err = check_name(names[1]);
	if (err)
		return err;

	err = dir_lookup(st, ndir, names[1], &dino, &dslot);
	if (!err) {
		if (flags & RENAME_NOREPLACE)
			return -EEXIST;
		dst = store_inode(st, dino);
		if (!dst)
			return -EIO;
		if (dst == src)
			return reply_ok(d, r, NULL, 0);
		err = check_replace(st, src, dst);
	} else if (err == -ENOENT) {
		err = 0;
	}
	if (!err && S_ISDIR(src->mode) && odir != ndir) {
		err = check_loop(st, src, ndir);
		if (!err && !dst && ndir->nlink >= FT_LINK_MAX)
			err = -EMLINK;
	}
	if (err)
		return err;

	if (dst)
		err = dir_set(st, ndir, dslot, store_ino(st, src), src->mode);
	else
		err = dir_add(st, ndir, names[1], store_ino(st, src),
			      src->mode);
	if (!err)
		err = dir_remove(st, odir, sslot);
	if (err)
		return err;
	if (S_ISDIR(src->mode) && odir != ndir) {
		odir->nlink--;
		ndir->nlink++;
		src->parent = store_ino(st, ndir);
	}
	inode_touch(src, FT_CTIME);
	if (dst)
		drop_link(st, ndir, dst);
	return reply_ok(d, r, NULL, 0);
}

int op_rename(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_rename_in *in = r->in;

	return do_rename(d, r, in->newdir, 0, sizeof(*in));
}

int op_rename2(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_rename2_in *in = r->in;

	return do_rename(d, r, in->newdir, in->flags, sizeof(*in));
}
