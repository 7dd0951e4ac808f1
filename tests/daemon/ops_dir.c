// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd directory requests: OPENDIR, READDIR, READDIRPLUS (RELEASEDIR and
 * FSYNCDIR share the file handlers).
 *
 * Directory offsets: 0 is ".", 1 is "..", 2 + n is entry slot n, so an
 * offset stays valid while other entries come and go.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>

#include "proto.h"

#define DOT_OFFSETS	2

int op_opendir(struct fusetd *d, const struct ft_req *r)
{
	struct fuse_open_out out = { 0 };
	struct ft_inode *dir;
	int err = node_get_dir(d, r->hdr->nodeid, &dir);

	return err ? err : reply_ok(d, r, &out, sizeof(out));
}

/*
 * Append one record to buf if it fits in room; returns its size or 0.  For
 * READDIRPLUS, entries other than "." and ".." carry a looked up entry.
 */
static size_t add_dirent(struct fusetd *d, char *buf, size_t room, int plus,
			 const char *name, uint64_t ino, uint32_t type,
			 uint64_t next, int lookup)
{
	size_t namelen = strlen(name);
	size_t reclen = FUSE_DIRENT_ALIGN((plus ? FUSE_NAME_OFFSET_DIRENTPLUS :
					   FUSE_NAME_OFFSET) + namelen);
	struct fuse_direntplus *dp = (void *)buf;
	struct fuse_dirent *de = plus ? &dp->dirent : (void *)buf;
	struct ft_inode *inode;

	if (reclen > room)
		return 0;
	memset(buf, 0, reclen);
	if (plus && lookup) {
		inode = store_inode(&d->st, ino);
		if (inode)
			fill_entry(d, inode, &dp->entry_out);
	}
	de->ino = pers_wire_nodeid(d, ino);
	de->off = next;
	de->namelen = namelen;
	de->type = type;
	memcpy(de->name, name, namelen);
	return reclen;
}

static int do_readdir(struct fusetd *d, const struct ft_req *r, int plus)
{
	const struct fuse_read_in *in = r->in;
	size_t room = in->size < FT_MAX_IO ? in->size : FT_MAX_IO;
	size_t used = 0, reclen;
	uint64_t off = in->offset, slot, ino, next;
	struct ft_inode *dir;
	struct ft_dirent ent;
	const char *name;
	uint32_t type;
	int ret;

	ret = node_get_dir(d, r->hdr->nodeid, &dir);
	if (ret)
		return ret;
	for (;;) {
		if (off < DOT_OFFSETS) {
			name = off ? ".." : ".";
			ino = off ? dir->parent : r->hdr->nodeid;
			type = DT_DIR;
			next = off + 1;
		} else {
			slot = off - DOT_OFFSETS;
			ret = dir_next(&d->st, dir, &slot, &ent);
			if (ret < 0 && !used)
				return ret;
			if (ret <= 0)
				break;
			name = ent.name;
			ino = ent.ino;
			type = ent.type;
			next = slot + DOT_OFFSETS + 1;
		}
		reclen = add_dirent(d, d->out_buf + used, room - used, plus,
				    name, ino, type, next, off >= DOT_OFFSETS);
		if (!reclen)
			break;
		used += reclen;
		off = next;
	}
	return reply_ok(d, r, d->out_buf, used);
}

int op_readdir(struct fusetd *d, const struct ft_req *r)
{
	return do_readdir(d, r, 0);
}

int op_readdirplus(struct fusetd *d, const struct ft_req *r)
{
	return do_readdir(d, r, 1);
}
