/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuse-iomap: internal declarations shared by the iomap files of fs/fuse.
 */
#ifndef _FS_FUSE_IOMAP_I_H
#define _FS_FUSE_IOMAP_I_H

#include <linux/iomap.h>
#include <linux/rbtree_types.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

struct block_device;
struct fiemap_extent_info;
struct fuse_backing_map;
struct fuse_conn;
struct fuse_iomap_dev;
struct fuse_mount;
struct fuse_iomap_io;
struct fuse_iomap_begin_out;
struct iomap;

/* Corrupt metadata from the server, as kernel filesystems report it */
#ifndef EFSCORRUPTED
#define EFSCORRUPTED	EUCLEAN
#endif

/* iomap flag that remembers a mapping's FUSE_IOMAP_F_WANT_IOMAP_END */
#define FUSE_IOMAP_F_IOMAP_WANT_END	IOMAP_F_PRIVATE

enum fuse_iomap_dir {
	FUSE_IOMAP_READ_MAP,
	FUSE_IOMAP_WRITE_MAP,
};

/* What a mapping of an inode must respect. */
struct fuse_iomap_limits {
	unsigned int blocksize;		/* i_blocksize() */
	u64 maxbytes;			/* s_maxbytes */
	/* for INLINE mappings (iomap_inline.c) */
	u64 isize;			/* i_size when the request was sent */
	bool inline_buf;		/* the request offered room for data */
	u32 inline_bytes;		/* inline data the reply carried */
};

/* What the device table says about a mapping's device cookie. */
struct fuse_iomap_devinfo {
	bool found;
	bool writable;			/* opened for writing */
	u64 size;			/* bytes; 0 if the device went away */
};

/* Per-connection iomap and famfs state, embedded in struct fuse_conn. */
struct fuse_iomap_conn {
	/* INIT offered FUSE_IOMAP / FUSE_DAX_FMAP to the server */
	unsigned int offered_iomap:1;
	unsigned int offered_famfs:1;

	/* the server accepted the offer */
	unsigned int iomap:1;
	unsigned int famfs:1;

	/* the server answered ENOSYS to FUSE_IOMAP_END / FUSE_IOMAP_IOEND */
	unsigned int no_end:1;
	unsigned int no_ioend:1;

	/* registered block devices, by cookie (iomap_dev.c) */
	struct xarray devs;
};

/*
 * Per-inode iomap state, embedded in struct fuse_inode and used only by
 * inodes with FUSE_I_IOMAP.
 */
struct fuse_iomap_inode {
	/* writeback ioends waiting for FUSE_IOMAP_IOEND, and their worker */
	spinlock_t		ioend_lock;
	struct list_head	ioend_list;
	struct work_struct	ioend_work;

	/*
	 * Bumped whenever the file's mappings may change under a mapping the
	 * kernel holds (layout changes, ioend conversions); iomap's validity
	 * cookie, so that a buffered write or writeback maps again.
	 */
	atomic64_t		seq;

	/* the size the server has recorded, as far as we know (fi->lock) */
	loff_t			disk_size;

	/* i_size before a write into inline data, to undo it (i_rwsem) */
	loff_t			inline_isize;
};

/*
 * The mappings of one direction (read or write) of one inode that the
 * server handed the kernel (iomap_cache.c).  The caller provides the
 * locking; see there.
 */
struct fuse_iomap_cache {
	struct rb_root		root;		/* of fuse_iomap_cache_entry */
	unsigned long		nr_entries;
	u64			scan_pos;	/* where eviction resumes */
};

/* Entries for one change of a cache, allocated before taking its lock. */
struct fuse_iomap_cache_entry;
struct fuse_iomap_cache_prealloc {
	struct fuse_iomap_cache_entry	*entries[2];
};

int fuse_iomap_cache_module_init(void);
void fuse_iomap_cache_module_exit(void);
void fuse_iomap_cache_init(struct fuse_iomap_cache *c);
void fuse_iomap_cache_destroy(struct fuse_iomap_cache *c);
int fuse_iomap_cache_prealloc_fill(struct fuse_iomap_cache_prealloc *pa,
				   gfp_t gfp);
void fuse_iomap_cache_prealloc_release(struct fuse_iomap_cache_prealloc *pa);
int fuse_iomap_cache_upsert(struct fuse_iomap_cache *c,
			    const struct fuse_iomap_io *map,
			    struct fuse_iomap_cache_prealloc *pa);
bool fuse_iomap_cache_lookup(struct fuse_iomap_cache *c, u64 pos,
			     struct fuse_iomap_io *out);
bool fuse_iomap_cache_next(const struct fuse_iomap_cache *c, u64 pos,
			   struct fuse_iomap_io *out);
void fuse_iomap_cache_remove(struct fuse_iomap_cache *c, u64 offset,
			     u64 length, struct fuse_iomap_cache_prealloc *pa);
unsigned long fuse_iomap_cache_evict(struct fuse_iomap_cache *c,
				     unsigned long nr_to_scan);
size_t fuse_iomap_cache_bytes(const struct fuse_iomap_cache *c);

/* Number of entries; may be read without the lock, for a shrinker. */
static inline unsigned long
fuse_iomap_cache_count(const struct fuse_iomap_cache *c)
{
	return READ_ONCE(c->nr_entries);
}

/* Module init and exit (iomap_buffered.c) */
int fuse_iomap_module_init(void);
void fuse_iomap_module_exit(void);

/* INIT negotiation (iomap_init.c) */
bool fuse_iomap_permitted(void);
u64 fuse_iomap_offer_flags(bool iomap_ok, bool famfs_ok);
u64 fuse_iomap_accept_flags(u64 offered, u64 reply);
u64 fuse_iomap_init_offer(struct fuse_mount *fm);
void fuse_iomap_init_reply(struct fuse_conn *fc, u64 reply);

/* Validation and conversion of server mappings (iomap_validate.c) */
int fuse_iomap_check_io(const struct fuse_iomap_io *map,
			enum fuse_iomap_dir dir,
			const struct fuse_iomap_limits *lim,
			const struct fuse_iomap_devinfo *dev,
			const char **rule);
int fuse_iomap_check_begin(const struct fuse_iomap_begin_out *out,
			   u32 opflags, u64 pos,
			   const struct fuse_iomap_limits *lim,
			   const struct fuse_iomap_devinfo *rdev,
			   const struct fuse_iomap_devinfo *wdev,
			   const char **rule);
const struct fuse_iomap_io *
fuse_iomap_choose(const struct fuse_iomap_begin_out *out, u32 opflags,
		  const struct fuse_iomap_io **src);
void fuse_iomap_to_iomap(const struct fuse_iomap_io *src,
			 struct block_device *bdev, struct iomap *dst);
void fuse_iomap_from_iomap(const struct iomap *src, u32 dev,
			   struct fuse_iomap_io *dst);
u32 fuse_iomap_op_to_wire(unsigned int flags);

/* FUSE_IOMAP_CONFIG (iomap_config.c) */
struct fuse_iomap_config_out;
int fuse_iomap_check_config(const struct fuse_iomap_config_out *out,
			    size_t size, const char **rule);
bool fuse_iomap_send_config(struct fuse_mount *fm);

/* Device table and /dev/fuse ioctls (iomap_dev.c) */
void fuse_iomap_conn_init(struct fuse_conn *fc);
void fuse_iomap_conn_put(struct fuse_conn *fc);
int fuse_iomap_dev_open(struct fuse_conn *fc,
			const struct fuse_backing_map *map);
int fuse_iomap_dev_close(struct fuse_conn *fc, int id);
struct fuse_iomap_dev *fuse_iomap_dev_get(struct fuse_conn *fc, u32 cookie,
					  struct fuse_iomap_devinfo *info);
void fuse_iomap_dev_put(struct fuse_iomap_dev *dev);
struct block_device *fuse_iomap_dev_bdev(const struct fuse_iomap_dev *dev);
u32 fuse_iomap_dev_cookie(const struct fuse_iomap_dev *dev);
u32 fuse_iomap_dev_cookie_of(struct fuse_conn *fc, struct block_device *bdev);
long fuse_iomap_dev_ioctl(unsigned int cmd, void __user *argp);

/* iomap inodes and upcalls (iomap.c) */
extern const struct iomap_ops fuse_iomap_ops;
bool fuse_inode_is_iomap(struct inode *inode);
void fuse_iomap_init_inode(struct inode *inode, u32 attr_flags);
void fuse_iomap_evict_inode(struct inode *inode);
void fuse_iomap_open(struct inode *inode, struct file *file);
u32 fuse_iomap_cache_mask(struct inode *inode);
void fuse_iomap_mapping_changed(struct inode *inode);
bool fuse_iomap_mapping_valid(struct inode *inode, const struct iomap *iomap);
int fuse_iomap_map(struct inode *inode, loff_t pos, loff_t count,
		   u32 opflags, struct iomap *iomap, struct iomap *srcmap);
void fuse_iomap_unmap(struct iomap *iomap);
bool fuse_iomap_dio_needs_fallback(unsigned int blocksize, loff_t pos,
				   loff_t count, const struct iomap *iomap);

/* What a FUSE_IOMAP_IOEND reports: one completed write. */
struct fuse_iomap_ioend_args {
	loff_t pos;
	size_t written;
	int error;
	u32 flags;		/* FUSE_IOMAP_IOEND_*, APPEND decided later */
	u64 new_addr;		/* device offset written, or NULL_ADDR */
	u32 dev;		/* device cookie, or DEV_NULL */
};

u32 fuse_iomap_ioend_flags(bool direct, bool unwritten, bool shared);
bool fuse_iomap_ioend_build(const struct fuse_conn *fc,
			    const struct fuse_iomap_ioend_args *io,
			    u64 attr_ino, loff_t disk_size,
			    struct fuse_iomap_ioend_in *in);
int fuse_iomap_ioend(struct inode *inode,
		     const struct fuse_iomap_ioend_args *io);

/* Buffered I/O, writeback and mmap (iomap_buffered.c) */
extern const struct address_space_operations fuse_iomap_aops;
void fuse_iomap_ioend_work(struct work_struct *work);
ssize_t fuse_iomap_write_checks(struct kiocb *iocb, struct iov_iter *from);
ssize_t fuse_iomap_buffered_read(struct kiocb *iocb, struct iov_iter *to);
ssize_t fuse_iomap_buffered_write(struct kiocb *iocb, struct iov_iter *from);
int fuse_iomap_mmap(struct file *file, struct vm_area_struct *vma);

/* Inline data (iomap_inline.c) */
bool fuse_iomap_inline_possible(u32 opflags, loff_t pos, loff_t isize);
void *fuse_iomap_inline_offer(struct inode *inode, loff_t pos, u32 opflags,
			      struct fuse_iomap_limits *lim);
void fuse_iomap_inline_received(struct fuse_iomap_limits *lim, void *buf,
				int size);
void fuse_iomap_inline_attach(struct iomap *iomap, void **bufp);
void fuse_iomap_inline_free(void *buf);
void fuse_iomap_inline_put(struct iomap *iomap);
void fuse_iomap_grow_barrier(struct inode *inode, loff_t end);
int fuse_iomap_inline_begin(struct inode *inode, loff_t pos, loff_t count,
			    unsigned int flags, struct iomap *iomap);
u32 fuse_iomap_inline_end_size(u64 offset, u64 length, loff_t isize);
bool fuse_iomap_inline_changed(const struct iomap *iomap, unsigned int flags,
			       ssize_t written);
int fuse_iomap_inline_end(struct inode *inode, loff_t pos, loff_t count,
			  ssize_t written, unsigned int flags,
			  struct iomap *iomap);

/* Layout changes: truncate, fallocate, reflink (iomap_layout.c) */
int fuse_iomap_setsize_prepare(struct inode *inode, loff_t newsize);
void fuse_iomap_setsize_finish(struct inode *inode, loff_t newsize);
long fuse_iomap_fallocate(struct file *file, int mode, loff_t offset,
			  loff_t length);
loff_t fuse_iomap_remap_file_range(struct file *file_in, loff_t pos_in,
				   struct file *file_out, loff_t pos_out,
				   loff_t len, unsigned int remap_flags);

/* Direct I/O (iomap_direct.c) */
int fuse_iomap_lock(struct kiocb *iocb, bool excl);
ssize_t fuse_iomap_direct_read(struct kiocb *iocb, struct iov_iter *to);
ssize_t fuse_iomap_direct_write(struct kiocb *iocb, struct iov_iter *from);

/* Read and write of iomap inodes, direct or through the page cache */
ssize_t fuse_iomap_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t fuse_iomap_write_iter(struct kiocb *iocb, struct iov_iter *from);

/* FIEMAP, SEEK_DATA/HOLE, FIBMAP (iomap_report.c) */
int fuse_iomap_fiemap(struct inode *inode, struct fiemap_extent_info *fi,
		      u64 start, u64 len);
loff_t fuse_iomap_lseek(struct file *file, loff_t offset, int whence);
sector_t fuse_iomap_bmap(struct address_space *mapping, sector_t block);

#endif /* _FS_FUSE_IOMAP_I_H */
