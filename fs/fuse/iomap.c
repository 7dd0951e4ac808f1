// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-iomap: iomap inodes and the FUSE_IOMAP_BEGIN/END/IOEND upcalls.
 *
 * An inode whose attributes carry FUSE_ATTR_IOMAP, on a connection that
 * negotiated FUSE_IOMAP, does its file I/O through iomap: the kernel asks
 * the server where a file range lives (FUSE_IOMAP_BEGIN), checks the answer
 * (iomap_validate.c) and moves the data to or from the block device itself.
 * After a write it tells the server what happened (FUSE_IOMAP_IOEND) so the
 * server can convert unwritten extents, remap out-of-place writes and
 * record the new size.
 */

#include <linux/iomap.h>

#include "fuse_i.h"

bool fuse_inode_is_iomap(struct inode *inode)
{
	return test_bit(FUSE_I_IOMAP, &get_fuse_inode(inode)->state);
}

void fuse_iomap_init_inode(struct inode *inode, u32 attr_flags)
{
	struct fuse_conn *fc = get_fuse_conn(inode);

	if (fc->iomap_conn.iomap && (attr_flags & FUSE_ATTR_IOMAP))
		set_bit(FUSE_I_IOMAP, &get_fuse_inode(inode)->state);
}

/*
 * Called from fuse_finish_open(): an iomap inode does no other kind of
 * file I/O, so the server's requests for direct_io or passthrough opens
 * are dropped here, before the I/O mode of the file is set up.
 */
void fuse_iomap_open(struct inode *inode, struct file *file)
{
	struct fuse_file *ff = file->private_data;

	ff->open_flags &= ~(FOPEN_DIRECT_IO | FOPEN_PASSTHROUGH);
	file->f_mode |= FMODE_NOWAIT | FMODE_CAN_ODIRECT;
}

static void fuse_iomap_report(struct inode *inode, const char *what,
			      const char *rule, loff_t pos)
{
	pr_warn_ratelimited("fuse: inode %llu: %s at pos %lld: %s\n",
			    get_fuse_inode(inode)->orig_ino, what, pos, rule);
}

/* The devices referenced by the mappings of one ->iomap_begin. */
struct fuse_iomap_refs {
	struct fuse_iomap_dev *read;
	struct fuse_iomap_dev *write;
};

static int fuse_iomap_send_begin(struct inode *inode, loff_t pos,
				 loff_t count, u32 opflags,
				 struct fuse_iomap_begin_out *out)
{
	struct fuse_mount *fm = get_fuse_mount(inode);
	struct fuse_iomap_begin_in in = {
		.opflags = opflags,
		.attr_ino = get_fuse_inode(inode)->orig_ino,
		.pos = pos,
		.count = count,
	};
	struct fuse_args args = {};

	args.opcode = FUSE_IOMAP_BEGIN;
	args.nodeid = get_node_id(inode);
	args.in_numargs = 1;
	args.in_args[0].size = sizeof(in);
	args.in_args[0].value = &in;
	args.out_numargs = 1;
	args.out_args[0].size = sizeof(*out);
	args.out_args[0].value = out;
	return fuse_simple_request(fm, &args);
}

static int fuse_iomap_begin(struct inode *inode, loff_t pos, loff_t count,
			    unsigned int flags, struct iomap *iomap,
			    struct iomap *srcmap)
{
	struct fuse_conn *fc = get_fuse_conn(inode);
	struct fuse_iomap_limits lim = {
		.blocksize = i_blocksize(inode),
		.maxbytes = inode->i_sb->s_maxbytes,
	};
	struct fuse_iomap_devinfo rinfo, winfo;
	struct fuse_iomap_begin_out out;
	struct fuse_iomap_refs refs = { };
	u32 opflags = fuse_iomap_op_to_wire(flags);
	const char *rule;
	bool write = flags & IOMAP_WRITE;
	int err;

	/* Every mapping costs an upcall, and an upcall blocks. */
	if (flags & IOMAP_NOWAIT)
		return -EAGAIN;
	if (fuse_is_bad(inode))
		return -EIO;

	err = fuse_iomap_send_begin(inode, pos, count, opflags, &out);
	if (err)
		return err;

	refs.read = fuse_iomap_dev_get(fc, out.read.dev, &rinfo);
	if (write && out.write.type != FUSE_IOMAP_TYPE_PURE_OVERWRITE)
		refs.write = fuse_iomap_dev_get(fc, out.write.dev, &winfo);
	else
		memset(&winfo, 0, sizeof(winfo));

	err = fuse_iomap_check_begin(&out, opflags, pos, &lim, &rinfo, &winfo,
				     &rule);
	if (err) {
		fuse_iomap_report(inode, "bad FUSE_IOMAP_BEGIN reply", rule,
				  pos);
		fuse_iomap_dev_put(refs.read);
		fuse_iomap_dev_put(refs.write);
		return err;
	}

	if (!write || out.write.type == FUSE_IOMAP_TYPE_PURE_OVERWRITE) {
		fuse_iomap_to_iomap(&out.read,
				    fuse_iomap_dev_bdev(refs.read), iomap);
		iomap->private = refs.read;
		fuse_iomap_dev_put(refs.write);
		return 0;
	}

	/* Out-of-place write: iomap writes to @iomap, reads from @srcmap. */
	fuse_iomap_to_iomap(&out.write, fuse_iomap_dev_bdev(refs.write), iomap);
	iomap->private = refs.write;
	if (out.read.type != FUSE_IOMAP_TYPE_HOLE) {
		fuse_iomap_to_iomap(&out.read, fuse_iomap_dev_bdev(refs.read),
				    srcmap);
		srcmap->private = refs.read;
	} else {
		fuse_iomap_dev_put(refs.read);
	}
	return 0;
}

/* Decide whether the server hears about the end of this mapping. */
static bool fuse_iomap_want_end(const struct fuse_conn *fc,
				const struct iomap *iomap, unsigned int flags,
				loff_t count, ssize_t written)
{
	if (fc->iomap_conn.no_end)
		return false;
	if (iomap->flags & (FUSE_IOMAP_F_IOMAP_WANT_END | IOMAP_F_SIZE_CHANGED))
		return true;
	/* A short write may leave blocks the server should reclaim. */
	return (flags & IOMAP_WRITE) && written < count;
}

static int fuse_iomap_send_end(struct inode *inode, loff_t pos, loff_t count,
			       ssize_t written, unsigned int flags,
			       const struct iomap *iomap, u32 dev)
{
	struct fuse_mount *fm = get_fuse_mount(inode);
	struct fuse_iomap_end_in in = {
		.opflags = fuse_iomap_op_to_wire(flags),
		.attr_ino = get_fuse_inode(inode)->orig_ino,
		.pos = pos,
		.count = count,
		.written = written,
	};
	int err;
	struct fuse_args args = {};

	fuse_iomap_from_iomap(iomap, dev, &in.map);
	args.opcode = FUSE_IOMAP_END;
	args.nodeid = get_node_id(inode);
	args.in_numargs = 1;
	args.in_args[0].size = sizeof(in);
	args.in_args[0].value = &in;
	err = fuse_simple_request(fm, &args);
	if (err == -ENOSYS) {
		/* The server does not implement it: never ask again. */
		fm->fc->iomap_conn.no_end = 1;
		err = 0;
	}
	return err;
}

static int fuse_iomap_end(struct inode *inode, loff_t pos, loff_t count,
			  ssize_t written, unsigned int flags,
			  struct iomap *iomap)
{
	struct iomap_iter *iter = container_of(iomap, struct iomap_iter, iomap);
	struct fuse_iomap_dev *dev = iomap->private;
	struct fuse_conn *fc = get_fuse_conn(inode);
	int err = 0;

	if (fuse_iomap_want_end(fc, iomap, flags, count, written))
		err = fuse_iomap_send_end(inode, pos, count, written, flags,
					  iomap, fuse_iomap_dev_cookie(dev));

	/* iomap_iter() zeroes both maps before each ->iomap_begin. */
	fuse_iomap_dev_put(dev);
	fuse_iomap_dev_put(iter->srcmap.private);
	iomap->private = NULL;
	iter->srcmap.private = NULL;
	return err;
}

const struct iomap_ops fuse_iomap_ops = {
	.iomap_begin	= fuse_iomap_begin,
	.iomap_end	= fuse_iomap_end,
};

/* Decide whether the server hears about a completed write. */
static bool fuse_iomap_want_ioend(const struct fuse_conn *fc,
				  const struct fuse_iomap_ioend_in *in)
{
	if (fc->iomap_conn.no_ioend)
		return false;
	if (in->error)
		return true;
	return in->written &&
	       (in->flags & (FUSE_IOMAP_IOEND_SHARED |
			     FUSE_IOMAP_IOEND_UNWRITTEN |
			     FUSE_IOMAP_IOEND_APPEND));
}

/**
 * fuse_iomap_ioend - report a completed write to the server
 * @inode: the file
 * @pos: file position of the write
 * @written: bytes written
 * @error: the write's own error, or 0
 * @flags: FUSE_IOMAP_IOEND_* (APPEND is added here when needed)
 *
 * The server converts unwritten extents, remaps out-of-place writes and
 * records the new size.  Only then does the in-core size move.
 *
 * Return: @error if set, else the server's error, else 0.
 */
int fuse_iomap_ioend(struct inode *inode, loff_t pos, size_t written,
		     int error, u32 flags)
{
	struct fuse_mount *fm = get_fuse_mount(inode);
	struct fuse_iomap_ioend_in in = {
		.flags = flags,
		.error = error,
		.attr_ino = get_fuse_inode(inode)->orig_ino,
		.pos = pos,
		.new_addr = FUSE_IOMAP_NULL_ADDR,
		.written = written,
	};
	struct fuse_iomap_ioend_out out = { };
	int err;
	struct fuse_args args = {};

	if (pos + written > i_size_read(inode))
		in.flags |= FUSE_IOMAP_IOEND_APPEND;

	if (fuse_iomap_want_ioend(fm->fc, &in)) {
		args.opcode = FUSE_IOMAP_IOEND;
		args.nodeid = get_node_id(inode);
		args.in_numargs = 1;
		args.in_args[0].size = sizeof(in);
		args.in_args[0].value = &in;
		/* Old servers may answer with no body at all. */
		args.out_argvar = true;
		args.out_numargs = 1;
		args.out_args[0].size = sizeof(out);
		args.out_args[0].value = &out;
		err = fuse_simple_request(fm, &args);
		if (err == -ENOSYS) {
			fm->fc->iomap_conn.no_ioend = 1;
			err = 0;
		} else if (err > 0) {
			err = 0;	/* the size of the answer */
		}
		/* The write's own failure wins over the server's. */
		if (!error)
			error = err;
	}
	if (error)
		return error;

	fuse_write_update_attr(inode, pos + written, written);
	return 0;
}
