// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-iomap: inline data (IOMAP_INLINE mappings).
 *
 * A server may keep a small file's data, or the tail of a file, with its
 * metadata instead of in device blocks, and answer FUSE_IOMAP_BEGIN with an
 * INLINE mapping.  iomap then needs the bytes themselves in
 * iomap->inline_data, at most a page, covering the mapping from its start
 * to EOF.  As in the posted series, the kernel reads them with FUSE_READ
 * (without a file handle: fh 0) once the reply is checked.  A server that
 * negotiated FUSE_IOMAP_CONFIG_INLINE_PAYLOAD sends them with the reply
 * instead: for requests that may get an INLINE mapping the kernel offers a
 * page (fuse_iomap_begin_in.inline_size) and the server appends the data
 * to fuse_iomap_begin_out, as a second, variable-size reply argument.  A
 * server that never answers INLINE sends the 64 bytes it always sent.
 *
 * iomap copies buffered writes and zeroing into that page as well as into
 * the page cache, and never writes inline folios back.  The kernel hands
 * the changed data back with FUSE_WRITE (fh 0), or in FUSE_IOMAP_END with
 * the payload extension, which it then sends even if the server asked for
 * no END.  That request is where the data reaches the server, so its
 * failure fails the write, which is undone in the kernel.
 *
 * Such writes run under the exclusive inode lock.  Page-cache fills do not
 * take it; they hold the folio lock of the EOF folio from before they ask
 * the server until iomap has copied the data, and iomap reads i_size again
 * then, so a write that grows the file waits for a fill of the EOF folio
 * (fuse_iomap_grow_barrier()) after the server has answered its own
 * request, by which time the server has moved data it cannot keep inline.
 * Direct writes into an INLINE mapping fall back to the page cache, which
 * serialises them with those fills.
 */

#include <kunit/visibility.h>
#include <linux/iomap.h>
#include <linux/pagemap.h>
#include <linux/writeback.h>

#include "fuse_i.h"

/**
 * fuse_iomap_inline_possible - may a FUSE_IOMAP_BEGIN get an INLINE answer?
 * @opflags: FUSE_IOMAP_OP_* of the request
 * @pos: file position of the request
 * @isize: the file's size
 *
 * An INLINE mapping covers @pos and runs from its start to EOF in at most a
 * page, so only requests within a page of EOF can get one.  Writeback
 * writes folios to blocks and can never use one (nor allocate a page in
 * the reclaim path to offer).
 *
 * Return: whether to offer room for inline data.
 */
VISIBLE_IF_KUNIT
bool fuse_iomap_inline_possible(u32 opflags, loff_t pos, loff_t isize)
{
	if (opflags & FUSE_IOMAP_OP_WRITEBACK)
		return false;
	return isize - pos <= (loff_t)PAGE_SIZE;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_inline_possible);

/**
 * fuse_iomap_inline_offer - the page offered for a FUSE_IOMAP_BEGIN reply
 * @inode: the file
 * @pos: file position of the request
 * @opflags: FUSE_IOMAP_OP_* of the request
 * @lim: the limits of the reply; its size and inline fields are set here
 *
 * Return: a page for the inline data, NULL if no INLINE answer is possible,
 * or ERR_PTR(-ENOMEM).  Free it with fuse_iomap_inline_free().
 */
void *fuse_iomap_inline_offer(struct inode *inode, loff_t pos, u32 opflags,
			      struct fuse_iomap_limits *lim)
{
	void *buf;

	lim->isize = i_size_read(inode);
	lim->inline_buf = false;
	lim->inline_bytes = 0;
	lim->inline_fetch = false;
	if (!fuse_iomap_inline_possible(opflags, pos, lim->isize))
		return NULL;
	/*
	 * A whole page, page aligned: iomap_inline_data_valid() measures the
	 * room from inline_data to the end of its page.
	 */
	buf = (void *)__get_free_page(GFP_NOFS);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	lim->inline_buf = true;
	lim->inline_fetch = !get_fuse_conn(inode)->iomap_conn.inline_payload;
	return buf;
}

/**
 * fuse_iomap_inline_end_size - bytes of inline data FUSE_IOMAP_END carries
 * @offset: file offset of the INLINE mapping
 * @length: its length
 * @isize: the file's size after the write
 *
 * Return: the bytes of the mapping below EOF.
 */
VISIBLE_IF_KUNIT
u32 fuse_iomap_inline_end_size(u64 offset, u64 length, loff_t isize)
{
	if (isize <= offset)
		return 0;
	return min_t(u64, length, isize - offset);
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_inline_end_size);

/**
 * fuse_iomap_inline_fetch - read the data of an INLINE mapping
 * @inode: the file
 * @map: the INLINE mapping, checked
 * @isize: the size the mapping was checked against
 * @buf: the page for the data, zeroed past what the server sends
 *
 * FUSE_READ without a file handle, as in the posted series: the server
 * finds the file by its node id.  The data runs from the mapping's start
 * to EOF; a short answer leaves zeros, as a short read does.
 *
 * Return: 0 or a negative errno.
 */
int fuse_iomap_inline_fetch(struct inode *inode,
			    const struct fuse_iomap_io *map, loff_t isize,
			    void *buf)
{
	struct fuse_read_in in = {
		.offset = map->offset,
		.size = fuse_iomap_inline_end_size(map->offset, map->length,
						   isize),
	};
	struct fuse_args args = {};
	ssize_t ret;

	if (!in.size)
		return 0;
	fuse_iomap_args(&args, FUSE_READ, get_node_id(inode), &in, sizeof(in));
	fuse_iomap_args_out(&args, buf, in.size, true);
	ret = fuse_simple_request(get_fuse_mount(inode), &args);
	if (ret == 0)
		ret = -EIO;	/* a file that is shorter than the kernel's */
	if (ret < 0) {
		pr_warn_ratelimited("fuse: inode %llu: inline data at pos %llu: FUSE_READ failed (%zd)\n",
				    get_fuse_inode(inode)->orig_ino,
				    map->offset, ret);
		return ret;
	}
	return 0;
}

/**
 * fuse_iomap_inline_received - note the inline data a reply carried
 * @lim: the limits of the reply, for the validation
 * @buf: the offered page, or NULL
 * @size: bytes the server sent in it
 *
 * The rest of the page is zeroed: bytes of the mapping past the data read
 * as zeros, and iomap may copy up to the end of the mapping.
 */
void fuse_iomap_inline_received(struct fuse_iomap_limits *lim, void *buf,
				int size)
{
	if (!buf)
		return;
	lim->inline_bytes = size;
	memset(buf + size, 0, PAGE_SIZE - size);
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_inline_received);

/**
 * fuse_iomap_inline_attach - give an INLINE mapping its data
 * @iomap: the mapping about to be handed to iomap
 * @bufp: the offered page; the mapping takes it, and NULL is left here
 *
 * Mappings of other types leave the page to the caller.
 */
void fuse_iomap_inline_attach(struct iomap *iomap, void **bufp)
{
	if (iomap->type != IOMAP_INLINE)
		return;
	iomap->inline_data = *bufp;
	*bufp = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_inline_attach);

/* Free a page from fuse_iomap_inline_offer(); NULL and errors are fine. */
void fuse_iomap_inline_free(void *buf)
{
	if (!IS_ERR_OR_NULL(buf))
		free_page((unsigned long)buf);
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_inline_free);

/* Drop the data of an INLINE mapping (from fuse_iomap_unmap()). */
void fuse_iomap_inline_put(struct iomap *iomap)
{
	if (iomap->type != IOMAP_INLINE)
		return;
	fuse_iomap_inline_free(iomap->inline_data);
	iomap->inline_data = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_inline_put);

/**
 * fuse_iomap_grow_barrier - let a fill of the EOF folio finish
 * @inode: the file, locked exclusively
 * @end: where the caller is about to move i_size
 *
 * iomap_read_inline_data() checks the INLINE mapping a page-cache fill got
 * against i_size read after the upcall, with the EOF folio locked.  Called
 * after the server has answered the request that grows the file, and
 * before i_size moves: a fill that holds the EOF folio may hold an INLINE
 * mapping the server has replaced meanwhile, and fills that start later
 * ask the server after it changed the file.
 *
 * The wait is as long as one upcall of the filler, as for any writer that
 * needs the EOF folio.
 */
void fuse_iomap_grow_barrier(struct inode *inode, loff_t end)
{
	loff_t isize = i_size_read(inode);
	struct folio *folio;

	if (end <= isize || !isize)
		return;
	/* Only writes that hold the inode lock grow a file; not faults. */
	lockdep_assert_held_write(&inode->i_rwsem);
	folio = filemap_get_folio(inode->i_mapping, (isize - 1) >> PAGE_SHIFT);
	if (IS_ERR(folio))
		return;
	/* Only a fill holds a folio locked that is not up to date. */
	if (!folio_test_uptodate(folio))
		folio_wait_locked(folio);
	folio_put(folio);
}

static void fuse_iomap_inline_report(struct inode *inode, loff_t pos,
				     int err, const char *what)
{
	pr_warn_ratelimited("fuse: inode %llu: inline data at pos %lld: %s (%d)\n",
			    get_fuse_inode(inode)->orig_ino, pos, what, err);
}

/* Does iomap change the data of this mapping?  Buffered writes and zeroing. */
static bool fuse_iomap_inline_writes(const struct iomap *iomap,
				     unsigned int flags)
{
	return iomap->type == IOMAP_INLINE &&
	       (flags & (IOMAP_WRITE | IOMAP_ZERO)) &&
	       !(flags & IOMAP_DIRECT);
}

/**
 * fuse_iomap_inline_begin - checks after ->iomap_begin got a mapping
 * @inode: the file
 * @pos: file position of the request
 * @count: bytes of the request
 * @flags: IOMAP_* of the request
 * @iomap: the mapping, already validated
 *
 * A write that may grow the file waits for a fill of the EOF folio.  A
 * write into an INLINE mapping needs FUSE_IOMAP_END to hand the data back:
 * it is refused before anything changes if the server said ENOSYS to END.
 *
 * Return: 0 or a negative errno.
 */
int fuse_iomap_inline_begin(struct inode *inode, loff_t pos, loff_t count,
			    unsigned int flags, struct iomap *iomap)
{
	struct fuse_inode *fi = get_fuse_inode(inode);

	if (flags & IOMAP_WRITE)
		fuse_iomap_grow_barrier(inode, pos + count);
	if (!fuse_iomap_inline_writes(iomap, flags))
		return 0;

	/* Writers of inline data are serialised by the inode lock. */
	lockdep_assert_held_write(&inode->i_rwsem);
	if (get_fuse_conn(inode)->iomap_conn.inline_payload &&
	    get_fuse_conn(inode)->iomap_conn.no_end) {
		fuse_iomap_inline_report(inode, pos, -EOPNOTSUPP,
					 "not written: the server has no FUSE_IOMAP_END");
		return -EOPNOTSUPP;
	}
	/* The size to go back to if the server refuses the new data. */
	fi->iomap->inline_isize = i_size_read(inode);
	return 0;
}

static int fuse_iomap_inline_send_end(struct inode *inode, loff_t pos,
				      loff_t count, ssize_t written,
				      unsigned int flags,
				      const struct iomap *iomap, u32 size)
{
	struct fuse_mount *fm = get_fuse_mount(inode);
	struct fuse_iomap_end_in in = {
		.opflags = fuse_iomap_op_to_wire(flags),
		.inline_size = size,
		.attr_ino = get_fuse_inode(inode)->orig_ino,
		.pos = pos,
		.count = count,
		.written = written,
	};
	struct fuse_args args = {};
	int err;

	fuse_iomap_from_iomap(iomap, FUSE_IOMAP_DEV_NULL, &in.map);
	fuse_iomap_args(&args, FUSE_IOMAP_END, get_node_id(inode), &in,
			sizeof(in));
	/*
	 * The data is in the page cache already: once sent, the answer must
	 * be waited for, or the kernel could undo what the server applied.
	 */
	args.force = true;
	args.in_numargs = 2;
	args.in_args[1].size = size;
	args.in_args[1].value = iomap->inline_data;
	err = fuse_simple_request(fm, &args);
	if (err == -ENOSYS) {
		/* No END at all, so no inline writes either. */
		fm->fc->iomap_conn.no_end = 1;
		err = -EOPNOTSUPP;
	}
	return err;
}

/* The posted series' way: FUSE_WRITE without a file handle. */
static int fuse_iomap_inline_send_write(struct inode *inode, loff_t pos,
					u32 size, const struct iomap *iomap)
{
	struct fuse_write_in in = {
		.offset = pos,
		.size = size,
	};
	struct fuse_write_out out = { };
	struct fuse_args args = {};
	int err;

	fuse_iomap_args(&args, FUSE_WRITE, get_node_id(inode), &in, sizeof(in));
	args.force = true;	/* as for END: the data is in the page cache */
	args.in_numargs = 2;
	args.in_args[1].size = size;
	args.in_args[1].value = iomap->inline_data + (pos - iomap->offset);
	fuse_iomap_args_out(&args, &out, sizeof(out), false);
	err = fuse_simple_request(get_fuse_mount(inode), &args);
	if (!err && out.size != size)
		err = -EIO;
	return err;
}

/*
 * The server refused the new data: put the size back and drop the page
 * cache that holds it, so that the file reads as the server has it.  The
 * folio of an INLINE mapping is never dirty (iomap does not dirty it), so
 * it can be dropped.
 */
static void fuse_iomap_inline_undo(struct inode *inode,
				   const struct iomap *iomap)
{
	loff_t isize = FUSE_IOMAP_I(inode)->inline_isize;

	if (i_size_read(inode) > isize)
		i_size_write(inode, isize);
	invalidate_inode_pages2_range(inode->i_mapping,
				      iomap->offset >> PAGE_SHIFT,
				      (iomap->offset + iomap->length - 1) >>
				      PAGE_SHIFT);
}

/**
 * fuse_iomap_inline_changed - did iomap change the data of this mapping?
 * @iomap: the mapping given to ->iomap_end
 * @flags: IOMAP_* of the operation
 * @written: bytes iomap processed
 *
 * Return: whether fuse_iomap_inline_end() must hand the data back.
 */
bool fuse_iomap_inline_changed(const struct iomap *iomap, unsigned int flags,
			       ssize_t written)
{
	return written > 0 && fuse_iomap_inline_writes(iomap, flags);
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_inline_changed);

/*
 * Fail the iteration @iomap belongs to with @err: the one reach into
 * struct iomap_iter, and a hook 6.12's iomap lacks.  iomap_iter() ignores
 * an error of ->iomap_end once the iteration processed bytes, and offers
 * no other way to fail an iteration after its data moved
 * (fs/iomap/iter.c).  Inline data reaches the server only in
 * ->iomap_end, so a refusal there must count as the loop body's error
 * would: no bytes of this mapping are reported written.
 */
static void fuse_iomap_iter_fail(struct iomap *iomap, int err)
{
	container_of(iomap, struct iomap_iter, iomap)->processed = err;
}

/**
 * fuse_iomap_inline_end - hand changed inline data back to the server
 * @inode: the file
 * @pos: file position of the operation
 * @count: bytes of the operation
 * @written: bytes written or zeroed
 * @flags: IOMAP_* of the operation
 * @iomap: the INLINE mapping, fuse_iomap_inline_changed()
 *
 * FUSE_WRITE carries the bytes written below EOF, or with the payload
 * extension FUSE_IOMAP_END the mapping's bytes up to EOF; the file's size
 * is where they end.  If the server fails it, the write is undone in the
 * kernel and fails with the server's error (fuse_iomap_iter_fail()).
 *
 * Return: 0 or the server's error.
 */
int fuse_iomap_inline_end(struct inode *inode, loff_t pos, loff_t count,
			  ssize_t written, unsigned int flags,
			  struct iomap *iomap)
{
	struct fuse_inode *fi = get_fuse_inode(inode);
	loff_t isize = i_size_read(inode);
	u32 size = fuse_iomap_inline_end_size(iomap->offset, iomap->length,
					      isize);
	int err = 0;

	if (get_fuse_conn(inode)->iomap_conn.inline_payload) {
		err = fuse_iomap_inline_send_end(inode, pos, count, written,
						 flags, iomap, size);
	} else if (pos < isize) {
		/* zeroing past EOF (truncate) is the server's own business */
		err = fuse_iomap_inline_send_write(inode, pos,
						   min_t(loff_t, written,
							 isize - pos), iomap);
	}
	if (err) {
		fuse_iomap_inline_report(inode, pos, err,
					 "write undone: the server refused the data");
		fuse_iomap_inline_undo(inode, iomap);
		fuse_iomap_iter_fail(iomap, err);
		return err;
	}

	spin_lock(&fi->lock);
	fi->iomap->disk_size = iomap->offset + size;
	spin_unlock(&fi->lock);
	/*
	 * iomap_write_end_inline() dirtied the inode.  FUSE writes dirty
	 * inodes (their times) when files are closed; zeroing for truncate(2)
	 * has no open file, so write it now rather than let eviction find it
	 * dirty.
	 */
	if (!(flags & IOMAP_WRITE))
		sync_inode_metadata(inode, 1);
	return 0;
}
