// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-iomap: buffered I/O, writeback and mmap of iomap inodes.
 *
 * The page cache of an iomap inode is filled and written back by iomap
 * itself, from and to the block device, with the mappings the server gives
 * in FUSE_IOMAP_BEGIN.  The server sees no FUSE_READ or FUSE_WRITE.
 *
 * Writeback asks for a mapping with FUSE_IOMAP_OP_WRITEBACK (the server
 * must then give real blocks) and reports completed ioends that changed
 * metadata (unwritten, shared, past the recorded size, or failed) with
 * FUSE_IOMAP_IOEND from a worker, since bios complete where no upcall can
 * be made.  Folio writeback ends only after the server has answered, so
 * fsync waits for the server's metadata updates, and a failed ioend
 * becomes the mapping's error that fsync returns.
 */

#include <kunit/visibility.h>
#include <linux/iomap.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/uio.h>
#include <linux/writeback.h>

#include "fuse_i.h"

/* Where writeback ioends that need the server go: bios end in IRQ context. */
static struct workqueue_struct *fuse_iomap_wq;

int fuse_iomap_buffered_init(void)
{
	fuse_iomap_wq = alloc_workqueue("fuse-iomap-ioend",
					WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	return fuse_iomap_wq ? 0 : -ENOMEM;
}

void fuse_iomap_buffered_exit(void)
{
	destroy_workqueue(fuse_iomap_wq);
}

ssize_t fuse_iomap_buffered_read(struct kiocb *iocb, struct iov_iter *to)
{
	ssize_t ret;

	/* Shared with other readers, but never sees half a write. */
	ret = fuse_iomap_lock(iocb, false);
	if (!ret) {
		ret = generic_file_read_iter(iocb, to);
		inode_unlock_shared(file_inode(iocb->ki_filp));
	}
	return ret;
}

/**
 * fuse_iomap_nowait_write_waits - would a NOWAIT buffered write wait?
 * @ki_flags: IOCB_* of the write
 * @dsync: whether it is synchronous (iocb_is_dsync())
 * @pos: where it starts, after generic_write_checks()
 * @count: bytes to write
 * @isize: the file's size, under the exclusive inode lock
 *
 * io_uring issues buffered writes with IOCB_NOWAIT first, since iomap
 * files have FOP_BUFFER_WASYNC, and hands those that return -EAGAIN, or
 * end short, to a worker thread.  An overwrite whose mappings are cached
 * needs no upcall, and iomap itself gives up where it would wait for a
 * folio lock, a read of a partial block or dirty page throttling.  What
 * needs the server is refused here, before anything is written: a write
 * that grows the file (FUSE_IOMAP_END reports the new size, and
 * fuse_iomap_grow_barrier() may wait for a page-cache fill) and a
 * synchronous one (fuse_fsync()).  Cache misses, and mappings the server
 * wants to hear the end of, fail in fuse_iomap_map().
 *
 * Return: whether to fail the write with -EAGAIN.
 */
VISIBLE_IF_KUNIT
bool fuse_iomap_nowait_write_waits(int ki_flags, bool dsync, loff_t pos,
				   size_t count, loff_t isize)
{
	if (!(ki_flags & IOCB_NOWAIT))
		return false;
	return dsync || pos + (loff_t)count > isize;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_nowait_write_waits);

ssize_t fuse_iomap_buffered_write(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	ssize_t ret;

	ret = fuse_iomap_lock(iocb, true);
	if (ret)
		return ret;
	ret = fuse_iomap_write_checks(iocb, from);
	if (ret > 0 &&
	    fuse_iomap_nowait_write_waits(iocb->ki_flags, iocb_is_dsync(iocb),
					  iocb->ki_pos, ret,
					  i_size_read(inode)))
		ret = -EAGAIN;
	if (ret > 0)
		ret = iomap_file_buffered_write(iocb, from,
						&fuse_iomap_buffered_write_ops,
						NULL);
	inode_unlock(inode);

	/* O_SYNC and O_DSYNC end in fuse_fsync(), which takes the lock. */
	if (ret > 0)
		ret = generic_write_sync(iocb, ret);
	return ret;
}

static int fuse_iomap_read_folio(struct file *file, struct folio *folio)
{
	return iomap_read_folio(folio, &fuse_iomap_read_ops);
}

static void fuse_iomap_readahead(struct readahead_control *rac)
{
	iomap_readahead(rac, &fuse_iomap_read_ops);
}

/*
 * Map the blocks under a dirty range.  The previous mapping serves as
 * long as it covers @offset and nothing changed the file's mappings since
 * the server gave it.
 */
static int fuse_iomap_map_blocks(struct iomap_writepage_ctx *wpc,
				 struct inode *inode, loff_t offset,
				 unsigned int len)
{
	struct iomap *iomap = &wpc->iomap;
	/* Writeback writes whole dirty blocks: it never reads the source. */
	struct iomap srcmap = { .type = IOMAP_HOLE };

	if (offset >= iomap->offset &&
	    offset < iomap->offset + iomap->length &&
	    fuse_iomap_mapping_valid(inode, iomap))
		return 0;

	fuse_iomap_unmap(iomap);
	iomap->length = 0;
	return fuse_iomap_map(inode, offset, len,
			      FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_WRITEBACK,
			      iomap, &srcmap);
}

/* What a writeback ioend reports; the device cookie is looked up later. */
static void fuse_iomap_writeback_args(const struct iomap_ioend *ioend,
				      struct fuse_iomap_ioend_args *io)
{
	*io = (struct fuse_iomap_ioend_args) {
		.pos = ioend->io_offset,
		.written = ioend->io_size,
		.error = blk_status_to_errno(ioend->io_bio.bi_status),
		.flags = fuse_iomap_ioend_flags(false,
					ioend->io_type == IOMAP_UNWRITTEN,
					ioend->io_flags & IOMAP_F_SHARED),
		.new_addr = (u64)ioend->io_sector << SECTOR_SHIFT,
		.dev = FUSE_IOMAP_DEV_NULL,
	};
}

static void fuse_iomap_writeback_end_bio(struct bio *bio)
{
	struct iomap_ioend *ioend = iomap_ioend_from_bio(bio);
	struct fuse_iomap_inode *ii = FUSE_IOMAP_I(ioend->io_inode);
	unsigned long flags;

	spin_lock_irqsave(&ii->ioend_lock, flags);
	if (list_empty(&ii->ioend_list))
		queue_work(fuse_iomap_wq, &ii->ioend_work);
	list_add_tail(&ioend->io_list, &ii->ioend_list);
	spin_unlock_irqrestore(&ii->ioend_lock, flags);
}

/*
 * Ioends that need the server (unwritten, shared, past the recorded size)
 * complete in our worker; the others, overwrites inside the recorded
 * size, complete in bio context as iomap does it, and an I/O error of
 * theirs only reaches the file's writeback error, as the server has no
 * metadata to fix.  The recorded size only moves up between truncations,
 * and truncation waits for writeback, so a racing size update costs at
 * most a needless upcall.
 */
static int fuse_iomap_prepare_ioend(struct iomap_ioend *ioend, int status)
{
	struct inode *inode = ioend->io_inode;
	struct fuse_iomap_ioend_args io;
	struct fuse_iomap_ioend_in in;
	loff_t disk_size;

	fuse_iomap_writeback_args(ioend, &io);
	spin_lock(&get_fuse_inode(inode)->lock);
	disk_size = FUSE_IOMAP_I(inode)->disk_size;
	spin_unlock(&get_fuse_inode(inode)->lock);
	if (status || fuse_iomap_ioend_build(get_fuse_conn(inode), &io, 0,
					     disk_size, &in))
		ioend->io_bio.bi_end_io = fuse_iomap_writeback_end_bio;
	return status;
}

static const struct iomap_writeback_ops fuse_iomap_writeback_ops = {
	.map_blocks	= fuse_iomap_map_blocks,
	.prepare_ioend	= fuse_iomap_prepare_ioend,
};

static int fuse_iomap_writepages(struct address_space *mapping,
				 struct writeback_control *wbc)
{
	struct iomap_writepage_ctx wpc = { };
	int ret;

	ret = iomap_writepages(mapping, wbc, &wpc, &fuse_iomap_writeback_ops);
	fuse_iomap_unmap(&wpc.iomap);
	return ret;
}

/* Report one writeback ioend (possibly merged with its successors). */
static void fuse_iomap_finish_writeback(struct iomap_ioend *ioend)
{
	struct inode *inode = ioend->io_inode;
	struct fuse_iomap_ioend_args io;

	fuse_iomap_writeback_args(ioend, &io);
	io.dev = fuse_iomap_dev_cookie_of(get_fuse_conn(inode),
					  ioend->io_bio.bi_bdev);
	/* An error here becomes the mapping's error, for fsync to return. */
	iomap_finish_ioends(ioend, fuse_iomap_ioend(inode, &io));
}

/*
 * Report the queued ioends of an inode, in file order, merged where iomap
 * can merge them.
 */
void fuse_iomap_ioend_work(struct work_struct *work)
{
	struct fuse_iomap_inode *ii =
		container_of(work, struct fuse_iomap_inode, ioend_work);
	struct iomap_ioend *ioend;
	LIST_HEAD(list);

	spin_lock_irq(&ii->ioend_lock);
	list_replace_init(&ii->ioend_list, &list);
	spin_unlock_irq(&ii->ioend_lock);

	iomap_sort_ioends(&list);
	while ((ioend = list_first_entry_or_null(&list, struct iomap_ioend,
						 io_list))) {
		list_del_init(&ioend->io_list);
		iomap_ioend_try_merge(ioend, &list);
		fuse_iomap_finish_writeback(ioend);
		cond_resched();
	}
}

const struct address_space_operations fuse_iomap_aops = {
	.read_folio		= fuse_iomap_read_folio,
	.readahead		= fuse_iomap_readahead,
	.writepages		= fuse_iomap_writepages,
	.dirty_folio		= iomap_dirty_folio,
	.release_folio		= iomap_release_folio,
	.invalidate_folio	= iomap_invalidate_folio,
	.migrate_folio		= filemap_migrate_folio,
	.is_partially_uptodate	= iomap_is_partially_uptodate,
	.error_remove_folio	= generic_error_remove_folio,
	.bmap			= fuse_iomap_bmap,
	.direct_IO		= noop_direct_IO,
};

static vm_fault_t fuse_iomap_page_mkwrite(struct vm_fault *vmf)
{
	struct inode *inode = file_inode(vmf->vma->vm_file);
	vm_fault_t ret;

	sb_start_pagefault(inode->i_sb);
	file_update_time(vmf->vma->vm_file);
	/* Keeps truncate, fallocate and reflink out while we map. */
	filemap_invalidate_lock_shared(inode->i_mapping);
	ret = iomap_page_mkwrite(vmf, &fuse_iomap_buffered_write_ops);
	filemap_invalidate_unlock_shared(inode->i_mapping);
	sb_end_pagefault(inode->i_sb);
	return ret;
}

/*
 * As for every FUSE file: a shared writable mapping going away writes the
 * inode (its times) and data, so no dirty inode outlives its users.
 */
static void fuse_iomap_vma_close(struct vm_area_struct *vma)
{
	struct address_space *mapping = vma->vm_file->f_mapping;

	if ((vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) !=
	    (VM_SHARED | VM_MAYWRITE))
		return;
	mapping_set_error(mapping, write_inode_now(mapping->host, 1));
}

static const struct vm_operations_struct fuse_iomap_vm_ops = {
	.close		= fuse_iomap_vma_close,
	.fault		= filemap_fault,
	.map_pages	= filemap_map_pages,
	.page_mkwrite	= fuse_iomap_page_mkwrite,
};

int fuse_iomap_mmap(struct file *file, struct vm_area_struct *vma)
{
	file_accessed(file);
	vma->vm_ops = &fuse_iomap_vm_ops;
	return 0;
}
