// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd file requests: OPEN, READ, WRITE, RELEASE, FLUSH, FSYNC,
 * FALLOCATE, LSEEK, COPY_FILE_RANGE.  Opens keep no state, so file handles
 * are always 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/falloc.h>

#include "proto.h"

static int get_file(struct fusetd *d, const struct ft_req *r,
		    struct ft_inode **inode)
{
	int err = node_get(d, r->hdr->nodeid, inode);

	if (err)
		return err;
	if (S_ISDIR((*inode)->mode))
		return -EISDIR;
	return S_ISREG((*inode)->mode) ? 0 : -EINVAL;
}

int op_open(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_open_in *in = r->in;
	struct fuse_open_out out = { 0 };
	struct ft_inode *inode;
	int err;

	err = get_file(d, r, &inode);
	if (err)
		return err;
	/* FUSE_ATOMIC_O_TRUNC: the kernel leaves O_TRUNC to us */
	if ((in->flags & O_TRUNC) && (in->flags & O_ACCMODE) != O_RDONLY) {
		err = file_truncate(&d->st, inode, 0);
		if (err)
			return err;
	}
	if (d->iomap) {
		if (d->probe_notify) {
			d->probe_notify = 0;
			notify_probe(d, r->hdr->nodeid);
		}
		notify_upsert_file(d, inode);
		flood_open(d, r->hdr->nodeid);
	}
	return reply_ok(d, r, &out, sizeof(out));
}

int op_read(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_read_in *in = r->in;
	size_t size = in->size < FT_MAX_IO ? in->size : FT_MAX_IO;
	struct ft_inode *inode;
	ssize_t n;
	int err;

	err = get_file(d, r, &inode);
	if (err)
		return err;
	n = file_read(&d->st, inode, d->out_buf, size, in->offset);
	return n < 0 ? n : reply_ok(d, r, d->out_buf, n);
}

int op_write(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_write_in *in = r->in;
	struct fuse_write_out out = { 0 };
	struct ft_inode *inode;
	ssize_t n;
	int err;

	if (r->in_len - sizeof(*in) < in->size) {
		ft_warn("WRITE of %u bytes carries only %zu", in->size,
			r->in_len - sizeof(*in));
		return -EINVAL;
	}
	err = get_file(d, r, &inode);
	if (err)
		return err;
	/* --inject inline-end-error: refuse inline data however it comes */
	if (inline_file(inode)) {
		err = inject_inline_end_error(d);
		if (err)
			return err;
	}
	n = file_write(&d->st, inode, in + 1, in->size, in->offset);
	if (n < 0)
		return n;
	out.size = n;
	return reply_ok(d, r, &out, sizeof(out));
}

/* RELEASE, RELEASEDIR and FLUSH: there is no per-open state. */
int op_release(struct fusetd *d, const struct ft_req *r)
{
	return reply_ok(d, r, NULL, 0);
}

/* FSYNC and FSYNCDIR: make all metadata and data durable. */
int op_fsync(struct fusetd *d, const struct ft_req *r)
{
	struct ft_inode *inode;
	int err = node_get(d, r->hdr->nodeid, &inode);

	if (!err)
		err = store_sync(&d->st);
	if (!err && d->dev_inval_on_fsync)
		notify_dev_inval_all(d);
	return err ? err : reply_ok(d, r, NULL, 0);
}

/*
 * Tell the kernel's mapping cache what a fallocate changed: preallocated
 * blocks are pushed, ranges that lost or moved blocks taken back.
 */
static void fallocate_notify(struct fusetd *d, struct ft_inode *inode,
			     const struct fuse_fallocate_in *in)
{
	uint64_t first = in->offset / FT_BLOCK_SIZE;
	uint64_t last = (in->offset + in->length - 1) / FT_BLOCK_SIZE;

	if (in->mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE))
		notify_inval_range(d, store_ino(&d->st, inode),
				   first * FT_BLOCK_SIZE,
				   FUSE_IOMAP_INVAL_TO_EOF);
	else if (in->mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))
		notify_inval_range(d, store_ino(&d->st, inode),
				   first * FT_BLOCK_SIZE,
				   (last - first + 1) * FT_BLOCK_SIZE);
	else
		notify_upsert_range(d, inode, first, last - first + 1, 16);
}

int op_fallocate(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_fallocate_in *in = r->in;
	struct ft_inode *inode;
	int err;

	err = get_file(d, r, &inode);
	if (err)
		return err;
	/* --fault drop-unshare: say it is done */
	if ((in->mode & ~FALLOC_FL_KEEP_SIZE) == FALLOC_FL_UNSHARE_RANGE &&
	    fault_fire(d, FT_FAULT_DROP_UNSHARE))
		return reply_ok(d, r, NULL, 0);
	err = file_fallocate(&d->st, inode, in->mode, in->offset, in->length);
	if (err)
		return err;
	fallocate_notify(d, inode, in);
	return reply_ok(d, r, NULL, 0);
}

int op_lseek(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_lseek_in *in = r->in;
	struct fuse_lseek_out out;
	struct ft_inode *inode;
	int err;

	if (in->whence != SEEK_DATA && in->whence != SEEK_HOLE)
		return -EINVAL;
	err = get_file(d, r, &inode);
	if (!err)
		err = file_seek(&d->st, inode, in->offset, in->whence,
				&out.offset);
	return err ? err : reply_ok(d, r, &out, sizeof(out));
}

/*
 * COPY_FILE_RANGE: a clone with FUSE_COPY_FILE_RANGE_CLONE (all or
 * nothing), else a copy that shares whole blocks where it can (clone.c).
 */
int op_copy_file_range(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_copy_file_range_in *in = r->in;
	struct fuse_write_out out = { 0 };
	struct ft_inode *src, *dst;
	ssize_t n;
	int err;

	if (in->flags & ~FUSE_COPY_FILE_RANGE_CLONE)
		return -EINVAL;
	err = get_file(d, r, &src);
	if (err)
		return err;
	err = node_get(d, in->nodeid_out, &dst);
	if (err)
		return err;
	if (!S_ISREG(dst->mode))
		return S_ISDIR(dst->mode) ? -EISDIR : -EINVAL;
	if (in->len > UINT32_MAX)
		return -EINVAL;

	/* --fault drop-clone: report it all done, do nothing */
	out.size = in->flags & FUSE_COPY_FILE_RANGE_CLONE ? in->len :
		   file_copy_len(src, in->off_in, in->len);
	if (out.size && fault_fire(d, FT_FAULT_DROP_CLONE))
		return reply_ok(d, r, &out, sizeof(out));

	if (in->flags & FUSE_COPY_FILE_RANGE_CLONE) {
		err = file_clone(&d->st, src, in->off_in, dst, in->off_out,
				 in->len);
		if (err)
			return err;
		stats_event(d->stats, FT_EV_CLONE, 1);
		out.size = in->len;
		/* both ranges' blocks are shared now */
		notify_inval_range(d, store_ino(&d->st, dst), in->off_out,
				   in->len);
		notify_inval_range(d, store_ino(&d->st, src), in->off_in,
				   in->len);
	} else {
		n = file_copy(&d->st, src, in->off_in, dst, in->off_out,
			      in->len);
		if (n < 0)
			return n;
		stats_event(d->stats, FT_EV_COPY_RANGE, 1);
		out.size = n;
	}
	return reply_ok(d, r, &out, sizeof(out));
}
