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

#include <kunit/visibility.h>
#include <linux/iomap.h>
#include <linux/pagemap.h>

#include "fuse_i.h"

#define CREATE_TRACE_POINTS
#include "iomap_trace.h"

/* How often a server may answer RETRY_CACHE without the cache helping */
#define FUSE_IOMAP_MAX_RETRY	4

/* The iomap state of iomap inodes, apart from struct fuse_inode. */
static struct kmem_cache *fuse_iomap_inode_slab;

int fuse_iomap_module_init(void)
{
	int err = -ENOMEM;

	fuse_iomap_inode_slab = KMEM_CACHE(fuse_iomap_inode, SLAB_ACCOUNT);
	if (!fuse_iomap_inode_slab)
		return err;
	err = fuse_iomap_cache_module_init();
	if (err)
		goto out_inode;
	err = fuse_iomap_buffered_init();
	if (err)
		goto out_cache;
	fuse_iomap_cache_debugfs_init();
	return 0;

out_cache:
	fuse_iomap_cache_module_exit();
out_inode:
	kmem_cache_destroy(fuse_iomap_inode_slab);
	return err;
}

void fuse_iomap_module_exit(void)
{
	fuse_iomap_cache_debugfs_exit();
	fuse_iomap_buffered_exit();
	fuse_iomap_cache_module_exit();
	kmem_cache_destroy(fuse_iomap_inode_slab);
}

bool fuse_inode_is_iomap(struct inode *inode)
{
	return test_bit(FUSE_I_IOMAP, &get_fuse_inode(inode)->state);
}

/* A block size iomap can work with: 512 bytes up to a page. */
static bool fuse_iomap_blksize_ok(u32 blksize)
{
	return is_power_of_2(blksize) && blksize >= SECTOR_SIZE &&
	       blksize <= PAGE_SIZE;
}

/**
 * fuse_iomap_init_inode - set up a new inode for iomap file I/O
 * @inode: a new regular file
 * @attr: its first attributes
 *
 * Only for inodes with FUSE_ATTR_IOMAP on an iomap connection.  The
 * block size is fixed here, from @attr (or the superblock's): iomap
 * sizes the per-block state of cached folios by it, so it must never
 * change under them.  A block size iomap cannot use makes the inode bad.
 */
void fuse_iomap_init_inode(struct inode *inode, const struct fuse_attr *attr)
{
	struct fuse_conn *fc = get_fuse_conn(inode);
	struct fuse_inode *fi = get_fuse_inode(inode);
	struct fuse_iomap_inode *ii;
	u32 blksize = attr->blksize ?: inode->i_sb->s_blocksize;

	if (!fc->iomap_conn.iomap || !(attr->flags & FUSE_ATTR_IOMAP))
		return;
	if (!fuse_iomap_blksize_ok(blksize)) {
		pr_warn_ratelimited("fuse: inode %llu: block size %u is not a power of two from 512 to %lu; not usable\n",
				    attr->ino, blksize, PAGE_SIZE);
		fuse_make_bad(inode);
		return;
	}
	ii = kmem_cache_zalloc(fuse_iomap_inode_slab, GFP_KERNEL);
	if (!ii) {
		pr_warn_ratelimited("fuse: inode %llu: no memory for its iomap state; not usable\n",
				    attr->ino);
		fuse_make_bad(inode);
		return;
	}
	fi->iomap = ii;
	inode->i_blkbits = ilog2(blksize);

	spin_lock_init(&ii->ioend_lock);
	INIT_LIST_HEAD(&ii->ioend_list);
	INIT_WORK(&ii->ioend_work, fuse_iomap_ioend_work);
	atomic64_set(&ii->seq, 0);
	ii->disk_size = i_size_read(inode);
	fuse_iomap_cache_inode_init(inode, ii);

	inode->i_fop = &fuse_iomap_fops;
	inode->i_data.a_ops = &fuse_iomap_aops;
	mapping_set_large_folios(inode->i_mapping);
	/* The kernel writes the data, so it keeps mtime and ctime. */
	inode->i_flags &= ~S_NOCMTIME;
	set_bit(FUSE_I_IOMAP, &fi->state);
}

/**
 * fuse_iomap_attr_blksize - a server's block size for an iomap inode
 * @inode: the iomap inode, with fi->lock held
 * @blksize: fuse_attr.blksize of new attributes, or 0
 *
 * Stays what fuse_iomap_init_inode() set; a different one is reported.
 */
void fuse_iomap_attr_blksize(struct inode *inode, u32 blksize)
{
	lockdep_assert_held(&get_fuse_inode(inode)->lock);
	if (blksize && blksize != i_blocksize(inode))
		pr_warn_ratelimited("fuse: inode %llu: block size changed from %u to %u; ignored\n",
				    get_fuse_inode(inode)->orig_ino,
				    i_blocksize(inode), blksize);
}

/* Called after the page cache is gone: no ioend can be queued any more. */
void fuse_iomap_evict_inode(struct inode *inode)
{
	struct fuse_inode *fi = get_fuse_inode(inode);

	if (!fuse_inode_is_iomap(inode))
		return;
	flush_work(&fi->iomap->ioend_work);
	fuse_iomap_cache_inode_destroy(inode);
	kmem_cache_free(fuse_iomap_inode_slab, fi->iomap);
	fi->iomap = NULL;
}

/*
 * The kernel moves an iomap file's data and grows it, so its size and
 * modification times are the kernel's, as with writeback caching: the
 * server learns them from FUSE_IOMAP_IOEND and SETATTR.
 */
u32 fuse_iomap_cache_mask(struct inode *inode)
{
	if (!fuse_inode_is_iomap(inode))
		return 0;
	return STATX_MTIME | STATX_CTIME | STATX_SIZE;
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
	/* Only the kernel writes the data: its page cache stays valid. */
	ff->open_flags |= FOPEN_KEEP_CACHE;
	/*
	 * With a mapping cache, I/O over known blocks needs no upcall and
	 * can be tried without blocking; a miss is -EAGAIN.  Without one,
	 * every NOWAIT attempt would fail: RWF_NOWAIT gets -EOPNOTSUPP, as
	 * on any file without FMODE_NOWAIT, and io_uring goes to a worker.
	 */
	if (fuse_iomap_cache_enabled(get_fuse_conn(inode)))
		file->f_mode |= FMODE_NOWAIT;
	file->f_mode |= FMODE_CAN_ODIRECT;
}

static void fuse_iomap_report(struct inode *inode, const char *what,
			      const char *rule, loff_t pos)
{
	pr_warn_ratelimited("fuse: inode %llu: %s at pos %lld: %s\n",
			    get_fuse_inode(inode)->orig_ino, what, pos, rule);
}

/*
 * Return: bytes of inline data the reply carried in @inline_buf (with the
 * payload extension), or a negative errno.
 */
static int fuse_iomap_send_begin(struct inode *inode, loff_t pos,
				 loff_t count, u32 opflags,
				 struct fuse_iomap_begin_out *out,
				 void *inline_buf)
{
	struct fuse_mount *fm = get_fuse_mount(inode);
	struct fuse_iomap_begin_in in = {
		.opflags = opflags,
		.attr_ino = get_fuse_inode(inode)->orig_ino,
		.pos = pos,
		.count = count,
	};
	struct fuse_args args = {};

	if (!fm->fc->iomap_conn.inline_payload)
		inline_buf = NULL;	/* fetched later, if INLINE */
	if (inline_buf)
		in.inline_size = PAGE_SIZE;

	fuse_iomap_args(&args, FUSE_IOMAP_BEGIN, get_node_id(inode), &in,
			sizeof(in));
	fuse_iomap_args_out(&args, out, sizeof(*out), false);
	if (inline_buf) {
		/* The inline data, if any, follows as a shorter last arg. */
		args.out_argvar = true;
		args.out_numargs = 2;
		args.out_args[1].size = PAGE_SIZE;
		args.out_args[1].value = inline_buf;
	}
	return fuse_simple_request(fm, &args);
}

/**
 * fuse_iomap_args - the arguments of a request with one input
 * @args: zeroed arguments
 * @opcode: the request
 * @nodeid: the node it concerns
 * @in: its input argument
 * @insize: the size of @in
 */
void fuse_iomap_args(struct fuse_args *args, u32 opcode, u64 nodeid,
		     const void *in, unsigned int insize)
{
	args->opcode = opcode;
	args->nodeid = nodeid;
	args->in_numargs = 1;
	args->in_args[0].size = insize;
	args->in_args[0].value = in;
}

/**
 * fuse_iomap_args_out - the one output argument of a request
 * @args: arguments set up by fuse_iomap_args()
 * @out: where the reply goes
 * @outsize: its size, the most the reply may carry if @var
 * @var: the reply may be shorter
 */
void fuse_iomap_args_out(struct fuse_args *args, void *out,
			 unsigned int outsize, bool var)
{
	args->out_argvar = var;
	args->out_numargs = 1;
	args->out_args[0].size = outsize;
	args->out_args[0].value = out;
}

/* Has nothing changed the file's mappings since the server gave @iomap? */
bool fuse_iomap_mapping_valid(struct inode *inode, const struct iomap *iomap)
{
	return iomap->validity_cookie ==
	       atomic64_read(&FUSE_IOMAP_I(inode)->seq);
}

static const struct iomap_folio_ops fuse_iomap_folio_ops = {
	.iomap_valid	= fuse_iomap_mapping_valid,
};

/* Is this begin reply "look in the cache again, I have upserted"? */
static bool fuse_iomap_is_retry(const struct fuse_iomap_begin_out *out,
				u32 opflags)
{
	return out->read.type == FUSE_IOMAP_TYPE_RETRY_CACHE ||
	       ((opflags & FUSE_IOMAP_OP_WRITE) &&
		out->write.type == FUSE_IOMAP_TYPE_RETRY_CACHE);
}

/*
 * Use a mapping from the cache.  Its device may have been closed since it
 * was stored: then it is a miss, and the server's answer replaces it.
 */
static bool fuse_iomap_map_cached(struct inode *inode,
				  const struct fuse_iomap_io *map, u64 seq,
				  struct iomap *iomap)
{
	struct fuse_iomap_devinfo info;
	struct fuse_iomap_dev *dev = NULL;

	if (fuse_iomap_type_has_blocks(map->type)) {
		dev = fuse_iomap_dev_get(get_fuse_conn(inode), map->dev, &info);
		if (!dev || map->addr + map->length > info.size) {
			fuse_iomap_dev_put(dev);
			return false;
		}
	}
	fuse_iomap_to_iomap(map, fuse_iomap_dev_bdev(dev), iomap);
	iomap->private = dev;
	iomap->validity_cookie = seq;
	return true;
}

/**
 * fuse_iomap_nowait_usable - may a NOWAIT operation use this cached mapping?
 * @fc: the connection
 * @opflags: FUSE_IOMAP_OP_* of the operation
 * @map: the cached mapping
 *
 * FUSE_IOMAP_END is an upcall as much as FUSE_IOMAP_BEGIN is: a NOWAIT
 * operation must not take a mapping whose end the server wants to hear of.
 *
 * Return: whether @map may be used.
 */
VISIBLE_IF_KUNIT
bool fuse_iomap_nowait_usable(const struct fuse_conn *fc, u32 opflags,
			      const struct fuse_iomap_io *map)
{
	return !(opflags & FUSE_IOMAP_OP_NOWAIT) || fc->iomap_conn.no_end ||
	       !(map->flags & FUSE_IOMAP_F_WANT_IOMAP_END);
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_nowait_usable);

/* Ask the server; a valid reply holds references on its devices. */
static int fuse_iomap_ask(struct inode *inode, loff_t pos, loff_t count,
			  u32 opflags, struct fuse_iomap_limits *lim,
			  void *inline_buf, struct fuse_iomap_begin_out *out,
			  struct fuse_iomap_dev **rdev,
			  struct fuse_iomap_dev **wdev)
{
	struct fuse_conn *fc = get_fuse_conn(inode);
	struct fuse_iomap_devinfo rinfo, winfo;
	const char *rule;
	int err;

	err = fuse_iomap_send_begin(inode, pos, count, opflags, out,
				    inline_buf);
	if (err < 0)
		return err;
	fuse_iomap_inline_received(lim, inline_buf, err);

	*wdev = NULL;
	*rdev = fuse_iomap_dev_get(fc, out->read.dev, &rinfo);
	if ((opflags & FUSE_IOMAP_OP_WRITE) &&
	    out->write.type != FUSE_IOMAP_TYPE_PURE_OVERWRITE)
		*wdev = fuse_iomap_dev_get(fc, out->write.dev, &winfo);
	else
		memset(&winfo, 0, sizeof(winfo));

	err = fuse_iomap_check_begin(out, opflags, pos, lim, &rinfo, &winfo,
				     &rule);
	if (err) {
		fuse_iomap_report(inode, "bad FUSE_IOMAP_BEGIN reply", rule,
				  pos);
		fuse_iomap_dev_put(*rdev);
		fuse_iomap_dev_put(*wdev);
	}
	return err;
}

/**
 * fuse_iomap_map - find the mappings of a file range
 * @inode: the file
 * @pos: file position
 * @count: bytes wanted
 * @opflags: FUSE_IOMAP_OP_* of the operation
 * @iomap: filled with the mapping to do the I/O with
 * @srcmap: filled with the mapping to read from, for out-of-place writes
 *
 * The inode's mapping cache is asked first; on a miss the server is
 * (FUSE_IOMAP_BEGIN), its reply validated before any of it is used, and
 * stored in the cache.  A NOWAIT operation gets -EAGAIN on a miss, and
 * where the server wants to hear of the mapping's end.  The
 * mappings hold a reference on their device, or their inline data, until
 * fuse_iomap_unmap().
 *
 * Return: 0 or a negative errno (-EFSCORRUPTED for a bad reply).
 */
int fuse_iomap_map(struct inode *inode, loff_t pos, loff_t count,
		   u32 opflags, struct iomap *iomap, struct iomap *srcmap)
{
	struct fuse_conn *fc = get_fuse_conn(inode);
	struct fuse_iomap_limits lim = {
		.blocksize = i_blocksize(inode),
		.maxbytes = inode->i_sb->s_maxbytes,
		.cache = fuse_iomap_cache_enabled(fc),
	};
	struct fuse_iomap_dev *rdev, *wdev, *ddev, *sdev;
	const struct fuse_iomap_io *dst, *src;
	struct fuse_iomap_cache_cookie cookie;
	struct fuse_iomap_begin_out out;
	struct fuse_iomap_io cached;
	void *inline_buf = NULL;
	unsigned int tries;
	u64 seq;
	int err;

	if (fuse_is_bad(inode) || fuse_iomap_is_shutdown(fc))
		return -EIO;

	for (tries = 0; ; tries++) {
		err = 0;
		if (fuse_iomap_cache_find(inode, pos, opflags, &cached, &seq) &&
		    fuse_iomap_nowait_usable(fc, opflags, &cached) &&
		    fuse_iomap_map_cached(inode, &cached, seq, iomap))
			goto out_inline;
		/* Every miss is an upcall, and an upcall blocks. */
		err = -EAGAIN;
		if (opflags & FUSE_IOMAP_OP_NOWAIT)
			goto out_inline;
		if (tries > FUSE_IOMAP_MAX_RETRY) {
			fuse_iomap_report(inode, "bad FUSE_IOMAP_BEGIN reply",
					  "retry-cache, but nothing was upserted",
					  pos);
			err = -EFSCORRUPTED;
			goto out_inline;
		}
		if (!inline_buf) {
			inline_buf = fuse_iomap_inline_offer(inode, pos, opflags,
							     &lim);
			if (IS_ERR(inline_buf))
				return PTR_ERR(inline_buf);
		}

		/* Sampled before asking: a change meanwhile voids the reply. */
		fuse_iomap_cache_sample(inode, &cookie);
		err = fuse_iomap_ask(inode, pos, count, opflags, &lim,
				     inline_buf, &out, &rdev, &wdev);
		if (err)
			goto out_inline;
		if (!fuse_iomap_is_retry(&out, opflags))
			break;
		fuse_iomap_dev_put(rdev);
		fuse_iomap_dev_put(wdev);
		fuse_iomap_cache_stat(fc, FUSE_IOMAP_STAT_RETRIES);
	}
	if (lim.inline_fetch && out.read.type == FUSE_IOMAP_TYPE_INLINE) {
		err = fuse_iomap_inline_fetch(inode, &out.read, lim.isize,
					      inline_buf);
		if (err) {
			fuse_iomap_dev_put(rdev);
			fuse_iomap_dev_put(wdev);
			goto out_inline;
		}
	}
	seq = fuse_iomap_cache_fill(inode, &out, opflags, &cookie);

	dst = fuse_iomap_choose(&out, opflags, &src);
	trace_fuse_iomap_begin(inode, pos, opflags, dst);
	ddev = dst == &out.read ? rdev : wdev;
	sdev = src ? rdev : NULL;
	fuse_iomap_to_iomap(dst, fuse_iomap_dev_bdev(ddev), iomap);
	fuse_iomap_inline_attach(iomap, &inline_buf);
	if (src)
		fuse_iomap_to_iomap(src, fuse_iomap_dev_bdev(sdev), srcmap);
	/*
	 * ->iomap_end is handed @iomap alone, so one reference in
	 * iomap->private keeps the devices of both: an out-of-place write
	 * reads only from its own device (fuse_iomap_check_begin()).  The
	 * others are dropped.
	 */
	iomap->private = ddev ?: sdev;
	if (iomap->private == rdev)
		rdev = NULL;
	else
		wdev = NULL;
	fuse_iomap_dev_put(rdev);
	fuse_iomap_dev_put(wdev);
	iomap->validity_cookie = seq;
	err = 0;
out_inline:
	fuse_iomap_inline_free(inline_buf);
	return err;
}

/* Drop what a mapping from fuse_iomap_map() holds: device, inline data. */
void fuse_iomap_unmap(struct iomap *iomap)
{
	fuse_iomap_inline_put(iomap);
	fuse_iomap_dev_put(iomap->private);
	iomap->private = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_unmap);

/*
 * A direct write that covers only part of a block of a shared (out of
 * place) mapping would have to merge with the old block's data, which
 * direct I/O cannot do: it falls back to buffered I/O instead.  So does a
 * direct write into inline data, which the page cache serialises with
 * fills of the EOF folio (iomap_inline.c).
 */
VISIBLE_IF_KUNIT
bool fuse_iomap_dio_needs_fallback(unsigned int blocksize, loff_t pos,
				   loff_t count, const struct iomap *iomap)
{
	if (iomap->type == IOMAP_INLINE)
		return true;
	return (iomap->flags & IOMAP_F_SHARED) &&
	       ((pos | count) & (blocksize - 1));
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_dio_needs_fallback);

/*
 * A NOWAIT direct I/O must be mapped whole before it starts.  Once bios of
 * a first mapping are in flight, an -EAGAIN for the next one no longer
 * fails the request at once: it becomes the result of the whole I/O at
 * completion, where io_uring can no longer reissue it, so the application
 * would see EAGAIN (and a write would be half done), as XFS also avoids.
 */
static bool fuse_iomap_nowait_partial(unsigned int flags, loff_t pos,
				      loff_t count, const struct iomap *iomap)
{
	return (flags & IOMAP_NOWAIT) &&
	       iomap->offset + iomap->length < pos + count;
}

/*
 * The mappings of [pos, pos + count) as iomap wants them, inline data
 * included: the ->iomap_begin of reads, reports and the base of the
 * others.
 */
static int fuse_iomap_begin(struct inode *inode, loff_t pos, loff_t count,
			    unsigned int flags, struct iomap *iomap,
			    struct iomap *srcmap)
{
	int err;

	err = fuse_iomap_map(inode, pos, count, fuse_iomap_op_to_wire(flags),
			     iomap, srcmap);
	if (err)
		return err;
	err = fuse_iomap_inline_begin(inode, pos, count, flags, iomap);
	if (err)
		fuse_iomap_unmap(iomap);
	return err;
}

/*
 * Direct I/O: a NOWAIT request is mapped whole or not at all, and a write
 * that direct I/O cannot do returns -ENOTBLK, which ends the I/O short
 * (__iomap_dio_rw()); fuse_iomap_direct_write() writes the rest through
 * the page cache.
 */
static int fuse_iomap_direct_begin(struct inode *inode, loff_t pos,
				   loff_t count, unsigned int flags,
				   struct iomap *iomap, struct iomap *srcmap)
{
	int err;

	err = fuse_iomap_map(inode, pos, count, fuse_iomap_op_to_wire(flags),
			     iomap, srcmap);
	if (err)
		return err;
	if (fuse_iomap_nowait_partial(flags, pos, count, iomap))
		err = -EAGAIN;
	else if ((flags & IOMAP_WRITE) &&
		 fuse_iomap_dio_needs_fallback(i_blocksize(inode), pos, count,
					       iomap))
		err = -ENOTBLK;
	else
		err = fuse_iomap_inline_begin(inode, pos, count, flags, iomap);
	if (err)
		fuse_iomap_unmap(iomap);
	return err;
}

/*
 * Writes through the page cache (write(2), write faults, zeroing,
 * unsharing) check the mapping again under each folio lock.
 */
static int fuse_iomap_buffered_write_begin(struct inode *inode, loff_t pos,
					   loff_t count, unsigned int flags,
					   struct iomap *iomap,
					   struct iomap *srcmap)
{
	int err;

	err = fuse_iomap_begin(inode, pos, count, flags, iomap, srcmap);
	if (!err)
		iomap->folio_ops = &fuse_iomap_folio_ops;
	return err;
}

/**
 * fuse_iomap_want_end - does the server hear about the end of this mapping?
 * @fc: the connection
 * @iomap: the mapping
 * @flags: IOMAP_* of the operation
 * @count: bytes the operation wanted of it
 * @written: bytes it got done
 *
 * When the server asked for it, when a write moved the size, and after a
 * short write, which may leave blocks the server should reclaim.  Not
 * after a NOWAIT write that gave up (on a folio lock, a read or dirty
 * page throttling): its mapping came from the cache, which never
 * serves NOWAIT a mapping the server wants to hear of
 * (fuse_iomap_nowait_usable()), so nothing was handed out for it, and the
 * caller retries it without NOWAIT.
 *
 * Return: whether to send FUSE_IOMAP_END.
 */
VISIBLE_IF_KUNIT
bool fuse_iomap_want_end(const struct fuse_conn *fc, const struct iomap *iomap,
			 unsigned int flags, loff_t count, ssize_t written)
{
	if (fc->iomap_conn.no_end)
		return false;
	if (iomap->flags & (FUSE_IOMAP_F_IOMAP_WANT_END | IOMAP_F_SIZE_CHANGED))
		return true;
	return (flags & IOMAP_WRITE) && !(flags & IOMAP_NOWAIT) &&
	       written < count;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_want_end);

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
	trace_fuse_iomap_end(inode, pos, in.opflags, &in.map);
	fuse_iomap_args(&args, FUSE_IOMAP_END, get_node_id(inode), &in,
			sizeof(in));
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
	struct fuse_iomap_dev *dev = iomap->private;
	struct fuse_conn *fc = get_fuse_conn(inode);
	int err = 0;

	/* Changed inline data goes back to the server, asked or not. */
	if (fuse_iomap_inline_changed(iomap, flags, written)) {
		err = fuse_iomap_inline_end(inode, pos, count, written, flags,
					    iomap);
	} else if (fuse_iomap_want_end(fc, iomap, flags, count, written)) {
		/*
		 * After a short write the server may take back blocks it gave,
		 * and a server that wants to hear of a write may change the
		 * mapping: the caches must not keep it.
		 */
		bool drop = (flags & IOMAP_WRITE) &&
			    (written < count ||
			     (iomap->flags & FUSE_IOMAP_F_IOMAP_WANT_END));

		if (drop)
			fuse_iomap_cache_invalidate(inode, iomap->offset,
						    iomap->length);
		err = fuse_iomap_send_end(inode, pos, count, written, flags,
					  iomap, fuse_iomap_dev_cookie(dev));
		if (drop)
			fuse_iomap_cache_invalidate(inode, iomap->offset,
						    iomap->length);
	}

	/* The source's device is held by @iomap too (fuse_iomap_map()). */
	fuse_iomap_unmap(iomap);
	return err;
}

/* One table per kind of operation, as XFS has (xfs_iomap.c). */
const struct iomap_ops fuse_iomap_read_ops = {
	.iomap_begin	= fuse_iomap_begin,
	.iomap_end	= fuse_iomap_end,
};

const struct iomap_ops fuse_iomap_direct_ops = {
	.iomap_begin	= fuse_iomap_direct_begin,
	.iomap_end	= fuse_iomap_end,
};

const struct iomap_ops fuse_iomap_buffered_write_ops = {
	.iomap_begin	= fuse_iomap_buffered_write_begin,
	.iomap_end	= fuse_iomap_end,
};

/* The FUSE_IOMAP_IOEND flags of a completed write, as iomap saw it. */
u32 fuse_iomap_ioend_flags(bool direct, bool unwritten, bool shared)
{
	u32 flags = direct ? FUSE_IOMAP_IOEND_DIRECT :
			     FUSE_IOMAP_IOEND_WRITEBACK;

	if (unwritten)
		flags |= FUSE_IOMAP_IOEND_UNWRITTEN;
	if (shared)
		flags |= FUSE_IOMAP_IOEND_SHARED;
	return flags;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_ioend_flags);

/**
 * fuse_iomap_ioend_build - the FUSE_IOMAP_IOEND request for a write
 * @fc: the connection
 * @io: the completed write
 * @attr_ino: the inode's fuse_attr.ino
 * @disk_size: the size the server has recorded
 * @in: filled with the request
 *
 * APPEND is added when the write ends past @disk_size.  The server hears
 * of errors (but not of a NOWAIT write that never started), and of writes
 * that wrote bytes and need metadata changes (unwritten conversion,
 * out-of-place remap, size), unless it said ENOSYS.
 *
 * Return: whether the request is to be sent.
 */
bool fuse_iomap_ioend_build(const struct fuse_conn *fc,
			    const struct fuse_iomap_ioend_args *io,
			    u64 attr_ino, loff_t disk_size,
			    struct fuse_iomap_ioend_in *in)
{
	*in = (struct fuse_iomap_ioend_in) {
		.flags = io->flags,
		.error = io->error,
		.attr_ino = attr_ino,
		.pos = io->pos,
		.new_addr = io->new_addr,
		.written = io->written,
		.dev = io->dev,
	};
	if (io->written && io->pos + io->written > disk_size)
		in->flags |= FUSE_IOMAP_IOEND_APPEND;

	if (fc->iomap_conn.no_ioend)
		return false;
	/* A NOWAIT write that gave up before mapping anything. */
	if (in->error == -EAGAIN && !in->written)
		return false;
	if (in->error)
		return true;
	return in->written &&
	       (in->flags & (FUSE_IOMAP_IOEND_SHARED |
			     FUSE_IOMAP_IOEND_UNWRITTEN |
			     FUSE_IOMAP_IOEND_APPEND));
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_ioend_build);

static int fuse_iomap_send_ioend(struct inode *inode,
				 struct fuse_iomap_ioend_in *in)
{
	struct fuse_mount *fm = get_fuse_mount(inode);
	struct fuse_iomap_ioend_out out = { };
	struct fuse_args args = {};
	int err;

	fuse_iomap_args(&args, FUSE_IOMAP_IOEND, get_node_id(inode), in,
			sizeof(*in));
	/*
	 * Old servers may answer with no body at all.  The new size in the
	 * answer is not used: the kernel owns the size of iomap files.
	 */
	fuse_iomap_args_out(&args, &out, sizeof(out), true);
	err = fuse_simple_request(fm, &args);
	if (err == -ENOSYS) {
		fm->fc->iomap_conn.no_ioend = 1;
		return 0;
	}
	return err > 0 ? 0 : err;	/* > 0: the size of the answer */
}

/**
 * fuse_iomap_ioend - report a completed write to the server
 * @inode: the file
 * @io: what was written, where, and how it ended
 *
 * The server converts unwritten extents, remaps out-of-place writes and
 * records the new size.  APPEND is set here when the write ends past the
 * size the server has recorded.  A direct write moves the in-core size
 * only once the server has heard of it; buffered writes moved it already.
 *
 * Return: @io->error if set, else the server's error, else 0.
 */
int fuse_iomap_ioend(struct inode *inode,
		     const struct fuse_iomap_ioend_args *io)
{
	struct fuse_inode *fi = get_fuse_inode(inode);
	struct fuse_iomap_ioend_in in;
	loff_t end = io->pos + io->written;
	loff_t disk_size;
	int error = io->error;
	int err;

	spin_lock(&fi->lock);
	disk_size = fi->iomap->disk_size;
	spin_unlock(&fi->lock);

	if (fuse_iomap_ioend_build(get_fuse_conn(inode), io, fi->orig_ino,
				   disk_size, &in)) {
		/* The server converts or remaps the blocks written. */
		bool change = in.written &&
			      (in.flags & (FUSE_IOMAP_IOEND_UNWRITTEN |
					   FUSE_IOMAP_IOEND_SHARED));

		if (change)
			fuse_iomap_cache_change_begin(inode, in.pos,
						      in.written);
		err = fuse_is_bad(inode) ? -EIO :
					   fuse_iomap_send_ioend(inode, &in);
		if (change)
			fuse_iomap_cache_change_end(inode);
		trace_fuse_iomap_ioend(inode, &in, err);
		/* The write's own failure wins over the server's. */
		if (!error)
			error = err;
	}
	if (error)
		return error;

	if (in.flags & FUSE_IOMAP_IOEND_APPEND) {
		spin_lock(&fi->lock);
		if (end > fi->iomap->disk_size)
			fi->iomap->disk_size = end;
		spin_unlock(&fi->lock);
	}
	if (in.flags & FUSE_IOMAP_IOEND_DIRECT)
		fuse_write_update_attr(inode, end, io->written);
	return 0;
}
