// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd iomap mode: answer FUSE_IOMAP_BEGIN/END/IOEND from the extent
 * lists, so that the kernel moves file data to and from the device itself.
 *
 * Device addresses are image offsets: block b lives at b * FT_BLOCK_SIZE
 * of the registered block device.  Writes into holes get new blocks as
 * unwritten extents, converted when FUSE_IOMAP_IOEND reports the data on
 * disk; a crash in between leaves zeros, never stale blocks.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "proto.h"

/*
 * --probe-backing: before registering for real, show how the kernel
 * answers bad registrations ("probe NAME ERRNO" on stdout).
 */
static void probe_backing(struct fusetd *d)
{
	static const struct {
		const char *name;
		int nonblock;		/* use a regular file's fd */
		uint32_t flags;
		uint64_t padding;
	} probes[] = {
		{ "not-a-block-device", 1, FUSE_BACKING_TYPE_IOMAP, 0 },
		{ "unknown-flags", 0, FUSE_BACKING_TYPE_IOMAP | 0x100, 0 },
		{ "nonzero-padding", 0, FUSE_BACKING_TYPE_IOMAP, 1 },
		{ "bad-fd", -1, FUSE_BACKING_TYPE_IOMAP, 0 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		struct fuse_backing_map map = {
			.fd = d->st.fd,
			.flags = probes[i].flags,
			.padding = probes[i].padding,
		};
		int fd = -1, ret;

		if (probes[i].nonblock > 0)
			map.fd = fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		else if (probes[i].nonblock < 0)
			map.fd = 9999;
		ret = ioctl(d->fuse_fd, FUSE_DEV_IOC_BACKING_OPEN, &map);
		printf("probe %s %s\n", probes[i].name,
		       ret < 0 ? strerror(errno) : "accepted");
		if (ret > 0)
			ioctl(d->fuse_fd, FUSE_DEV_IOC_BACKING_CLOSE, &ret);
		if (fd >= 0)
			close(fd);
	}
	fflush(stdout);
}

int iomap_register(struct fusetd *d)
{
	struct fuse_backing_map map = {
		.fd = d->st.fd,
		.flags = FUSE_BACKING_TYPE_IOMAP,
	};
	int id;

	if (d->probe_backing)
		probe_backing(d);

	/* --ro-dev: hand out write mappings on a read-only registration. */
	if (d->ro_dev) {
		map.fd = open(d->image, O_RDONLY | O_CLOEXEC);
		if (map.fd < 0) {
			ft_warn("%s: %s", d->image, strerror(errno));
			return -1;
		}
	}
	id = ioctl(d->fuse_fd, FUSE_DEV_IOC_BACKING_OPEN, &map);
	if (d->ro_dev)
		close(map.fd);	/* the kernel holds its own reference */

	if (id <= 0) {
		ft_warn("cannot register the device for iomap: %s",
			strerror(id < 0 ? errno : EIO));
		return -1;
	}
	d->dev_cookie = id;
	return 0;
}

/* A hole runs to the next extent, or to the largest file size. */
static void map_hole(uint64_t lblk, uint64_t len, struct fuse_iomap_io *io)
{
	if (len > FT_MAX_SIZE / FT_BLOCK_SIZE - lblk)
		len = FT_MAX_SIZE / FT_BLOCK_SIZE - lblk;
	*io = (struct fuse_iomap_io) {
		.offset = lblk * FT_BLOCK_SIZE,
		.length = len * FT_BLOCK_SIZE,
		.addr = FUSE_IOMAP_NULL_ADDR,
		.type = FUSE_IOMAP_TYPE_HOLE,
	};
}

static void map_blocks(const struct fusetd *d, uint64_t lblk,
		       const struct ft_map *m, struct fuse_iomap_io *io)
{
	*io = (struct fuse_iomap_io) {
		.offset = lblk * FT_BLOCK_SIZE,
		.length = m->len * FT_BLOCK_SIZE,
		.addr = m->pblk * FT_BLOCK_SIZE,
		.type = m->type == FT_MAP_UNWRITTEN ? FUSE_IOMAP_TYPE_UNWRITTEN :
						      FUSE_IOMAP_TYPE_MAPPED,
		.dev = d->dev_cookie,
	};
}

static const struct fuse_iomap_io pure_overwrite = {
	.addr = FUSE_IOMAP_NULL_ADDR,
	.type = FUSE_IOMAP_TYPE_PURE_OVERWRITE,
};

/* Give the hole at lblk (m->len blocks long) blocks for a write. */
static int alloc_for_write(struct fusetd *d, struct ft_inode *inode,
			   uint64_t lblk, uint64_t last, struct ft_map *m)
{
	uint64_t want = last - lblk + 1, start, got;

	if (want > m->len)
		want = m->len;
	got = store_alloc(&d->st, ext_goal(inode, lblk), want, &start);
	if (!got)
		return -ENOSPC;
	if (ext_set(inode, lblk, got, start, FT_EXT_UNWRITTEN)) {
		store_free(&d->st, start, got);
		return -ENOSPC;
	}
	inode->blocks += got;
	m->type = FT_MAP_UNWRITTEN;
	m->pblk = start;
	m->len = got;
	return 0;
}

int op_iomap_begin(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_iomap_begin_in *in = r->in;
	struct fuse_iomap_begin_out out = { .write = pure_overwrite };
	struct ft_inode *inode;
	uint64_t lblk, last;
	struct ft_map m;
	int err;

	err = node_get(d, r->hdr->nodeid, &inode);
	if (err)
		return err;
	if (!S_ISREG(inode->mode) || in->attr_ino != r->hdr->nodeid)
		return -EINVAL;
	if (!in->count || in->pos >= FT_MAX_SIZE)
		return -EFBIG;
	lblk = in->pos / FT_BLOCK_SIZE;
	last = (in->pos + in->count - 1) / FT_BLOCK_SIZE;
	if (last >= FT_MAX_SIZE / FT_BLOCK_SIZE)
		last = FT_MAX_SIZE / FT_BLOCK_SIZE - 1;

	ext_map(inode, lblk, &m);
	if (m.type == FT_MAP_HOLE) {
		map_hole(lblk, m.len, &out.read);
		if (in->opflags & FUSE_IOMAP_OP_WRITE) {
			err = alloc_for_write(d, inode, lblk, last, &m);
			if (err)
				return err;
			map_blocks(d, lblk, &m, &out.write);
			out.write.flags = FUSE_IOMAP_F_NEW;
			out.read.length = out.write.length;
		}
	} else {
		map_blocks(d, lblk, &m, &out.read);
	}
	err = inject_begin(d, in->pos, &out);
	if (err < 0)
		return err;
	return reply_ok(d, r, &out, err);
}

/* Describe the filesystem: its block size and largest file. */
int op_iomap_config(struct fusetd *d, const struct ft_req *r)
{
	struct fuse_iomap_config_out out = {
		.flags = FUSE_IOMAP_CONFIG_SID | FUSE_IOMAP_CONFIG_BLOCKSIZE |
			 FUSE_IOMAP_CONFIG_MAXBYTES,
		.s_id = "fusetd",
		.s_blocksize = FT_BLOCK_SIZE,
		.s_maxbytes = FT_MAX_SIZE,
	};

	return reply_ok(d, r, &out, sizeof(out));
}

int op_iomap_end(struct fusetd *d, const struct ft_req *r)
{
	return reply_ok(d, r, NULL, 0);
}

/* Mark the blocks under [pos, pos + len) written. */
static int convert_unwritten(struct ft_inode *inode, uint64_t pos,
			     uint64_t len)
{
	uint64_t lblk = pos / FT_BLOCK_SIZE;
	uint64_t end = (pos + len + FT_BLOCK_SIZE - 1) / FT_BLOCK_SIZE;
	struct ft_map m;

	while (lblk < end) {
		ext_map(inode, lblk, &m);
		if (m.len > end - lblk)
			m.len = end - lblk;
		if (m.type == FT_MAP_UNWRITTEN &&
		    ext_set(inode, lblk, m.len, m.pblk, 0))
			return -ENOSPC;
		lblk += m.len;
	}
	return 0;
}

int op_iomap_ioend(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_iomap_ioend_in *in = r->in;
	struct fuse_iomap_ioend_out out;
	struct ft_inode *inode;
	int err;

	if (d->no_ioend)
		return -ENOSYS;

	err = node_get(d, r->hdr->nodeid, &inode);
	if (err)
		return err;
	if (in->error) {
		ft_warn("ioend of inode %llu reports error %d",
			(unsigned long long)r->hdr->nodeid, in->error);
	} else if (in->written) {
		if (in->pos > FT_MAX_SIZE || in->written > FT_MAX_SIZE - in->pos)
			return -EINVAL;
		if (in->flags & FUSE_IOMAP_IOEND_UNWRITTEN) {
			err = convert_unwritten(inode, in->pos, in->written);
			if (err)
				return err;
		}
		if (in->pos + in->written > inode->size)
			inode->size = in->pos + in->written;
		inode_touch(inode, FT_MTIME | FT_CTIME);
	}
	out.newsize = inode->size;
	return reply_ok(d, r, &out, sizeof(out));
}
