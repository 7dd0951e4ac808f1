/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuse-iomap: internal declarations shared by the iomap files of fs/fuse.
 */
#ifndef _FS_FUSE_IOMAP_I_H
#define _FS_FUSE_IOMAP_I_H

#include <linux/iomap.h>
#include <linux/path.h>
#include <linux/rbtree_types.h>
#include <linux/rwlock.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

struct block_device;
struct fiemap_extent_info;
struct fuse_args;
struct fuse_attr;
struct fuse_backing_map;
struct fuse_conn;
struct fuse_iomap_dev;
struct fuse_mount;
struct fuse_iomap_io;
struct fuse_iomap_begin_out;
struct fuse_range;
struct iomap;
struct shrinker;
struct dentry;

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
	bool cache;			/* the connection caches mappings */
	/* for INLINE mappings (iomap_inline.c) */
	u64 isize;			/* i_size when the request was sent */
	bool inline_buf;		/* the request offered room for data */
	u32 inline_bytes;		/* inline data the reply carried */
	bool inline_fetch;		/* or the kernel reads it (FUSE_READ) */
};

/* What the device table says about a mapping's device cookie. */
struct fuse_iomap_devinfo {
	bool found;
	bool writable;			/* opened for writing */
	u64 size;			/* bytes; 0 if the device went away */
};

/* What the mapping caches of a connection did (iomap_cache_inode.c) */
enum fuse_iomap_cache_stat {
	FUSE_IOMAP_STAT_HITS,		/* mappings served from a cache */
	FUSE_IOMAP_STAT_MISSES,		/* FUSE_IOMAP_BEGIN sent instead */
	FUSE_IOMAP_STAT_FILLS,		/* begin replies cached */
	FUSE_IOMAP_STAT_FILLS_RACED,	/* dropped: the layout changed */
	FUSE_IOMAP_STAT_RETRIES,	/* RETRY_CACHE answers */
	FUSE_IOMAP_STAT_UPSERTS,	/* upsert notifications applied */
	FUSE_IOMAP_STAT_INVALS,		/* inval notifications applied */
	FUSE_IOMAP_STAT_DEV_INVALS,	/* device inval notifications */
	FUSE_IOMAP_STAT_LAYOUT_INVALS,	/* ranges the kernel dropped */
	FUSE_IOMAP_STAT_EVICTIONS,	/* entries freed for the limit */
	FUSE_IOMAP_STAT_SHRUNK,		/* entries freed by the shrinker */
	FUSE_IOMAP_STAT_REJECTED,	/* notifications refused */
	FUSE_IOMAP_NR_STATS
};

/*
 * The mapping caches of all iomap inodes of a connection share a limit,
 * a shrinker and counters.  Inodes with cached entries are on @inodes so
 * that eviction, the shrinker and device invalidation can find them.
 */
struct fuse_iomap_cache_conn {
	unsigned long		max_entries;	/* 0: no caching */
	atomic_long_t		nr_entries;
	atomic64_t		gen;		/* bumped by device invals */
	spinlock_t		lock;		/* @inodes */
	struct list_head	inodes;		/* of fuse_iomap_inode */
	struct mutex		dev_inval_mutex; /* one device inval at a time */
	struct shrinker		*shrinker;
	struct dentry		*debugfs;
	atomic_long_t		stats[FUSE_IOMAP_NR_STATS];
};

/* Bits of fuse_iomap_conn.state */
enum {
	FUSE_IOMAP_SHUTDOWN,		/* FS_IOC_SHUTDOWN: map nothing more */
	FUSE_IOMAP_NO_FREEZE,		/* ENOSYS to FUSE_(UN)FREEZE_FS */
	FUSE_IOMAP_NO_SHUTDOWN,		/* ENOSYS to FUSE_SHUTDOWN_FS */
	FUSE_IOMAP_NO_CLONE,		/* ENOSYS to a clone: no reflink */
};

/* Per-connection iomap and famfs state, embedded in struct fuse_conn. */
struct fuse_iomap_conn {
	/* INIT offered FUSE_IOMAP / FUSE_DAX_FMAP to the server */
	unsigned int offered_iomap:1;
	unsigned int offered_famfs:1;
	/* INIT bit 43 means FUSE_DAX_FMAP, not FUSE_IOMAP (iomap_init.c) */
	unsigned int bit43_famfs:1;
	/* the mount's source names a character device (famfs: devdax) */
	unsigned int source_chr:1;
	/* a mount helper granted iomap (FUSE_DEV_IOC_ADD_IOMAP) */
	unsigned int granted:1;
	/* the mount may be offered iomap / famfs (the mounting task's say) */
	unsigned int may_iomap:1;
	unsigned int may_famfs:1;
	/* inline data travels in BEGIN and END (iomap_inline.c) */
	unsigned int inline_payload:1;

	/* the server accepted the offer */
	unsigned int iomap:1;
	unsigned int famfs:1;

	/* the server answered ENOSYS to FUSE_IOMAP_END / FUSE_IOMAP_IOEND */
	unsigned int no_end:1;
	unsigned int no_ioend:1;

	/* FUSE_IOMAP_* state bits (iomap_super.c) */
	unsigned long state;

	/*
	 * The root and credentials of the server that accepted famfs, taken
	 * from the task that wrote the INIT reply: famfs resolves and opens
	 * the devices the server names with these (iomap_init.c).
	 */
	struct path server_root;
	const struct cred *server_cred;

	/* registered block devices, by cookie (iomap_dev.c) */
	struct xarray devs;

	/* the mapping caches of its inodes */
	struct fuse_iomap_cache_conn cache;
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

/*
 * Per-inode iomap state of inodes with FUSE_I_IOMAP, allocated when the
 * inode is set up (fuse_iomap_init_inode()) and freed at eviction, so
 * that other inodes pay one pointer for it.
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

	/*
	 * The server's read and write mappings (iomap_cache_inode.c), with
	 * the lock that also orders changes of @seq against cache fills.
	 * @changing counts layout changes in flight: no fill while any is.
	 */
	rwlock_t		cache_lock;
	unsigned int		changing;
	struct fuse_iomap_cache	rcache;
	struct fuse_iomap_cache	wcache;
	struct list_head	cache_link;	/* on fuse_iomap_cache_conn */
	struct inode		*inode;		/* the file, for scans of the list */
	atomic_t		cache_pins;	/* device invals walking the caches */
};

#if IS_ENABLED(CONFIG_FUSE_IOMAP)

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
void fuse_iomap_cache_remove(struct fuse_iomap_cache *c, u64 offset,
			     u64 length, struct fuse_iomap_cache_prealloc *pa);
void fuse_iomap_cache_remove_blocks(struct fuse_iomap_cache *c, u64 offset,
				    u64 length, u32 blocksize,
				    struct fuse_iomap_cache_prealloc *pa);
unsigned long fuse_iomap_cache_evict(struct fuse_iomap_cache *c,
				     unsigned long nr_to_scan);
/* A walk over a cache in steps, with the lock dropped between them. */
struct fuse_iomap_cache_walk {
	u64		pos;		/* file offset the next step starts at */
	unsigned long	scanned;	/* entries looked at so far */
	unsigned long	dropped;	/* entries dropped so far */
};

bool fuse_iomap_cache_remove_dev(struct fuse_iomap_cache *c, u32 dev,
				 u64 addr, u64 length,
				 struct fuse_iomap_cache_walk *walk,
				 unsigned long nr_to_scan);
size_t fuse_iomap_cache_entry_size(void);

/* Number of entries; may be read without the lock, for a shrinker. */
static inline unsigned long
fuse_iomap_cache_count(const struct fuse_iomap_cache *c)
{
	return READ_ONCE(c->nr_entries);
}

/* The mapping caches of inodes and connections (iomap_cache_inode.c) */

/* What a cache fill must check before it stores a begin reply. */
struct fuse_iomap_cache_cookie {
	u64 seq;			/* the inode's */
	u64 gen;			/* the connection's */
};

void fuse_iomap_cache_debugfs_init(void);
void fuse_iomap_cache_debugfs_exit(void);
bool fuse_iomap_cache_enabled(const struct fuse_conn *fc);
void fuse_iomap_cache_conn_init(struct fuse_conn *fc);
void fuse_iomap_cache_conn_setup(struct fuse_conn *fc, u32 maxbytes);
void fuse_iomap_cache_conn_put(struct fuse_conn *fc);
u32 fuse_iomap_cache_max_offer(void);
void fuse_iomap_cache_inode_init(struct inode *inode,
				 struct fuse_iomap_inode *ii);
void fuse_iomap_cache_inode_destroy(struct inode *inode);
bool fuse_iomap_cache_find(struct inode *inode, u64 pos, u32 opflags,
			   struct fuse_iomap_io *map, u64 *seq);
void fuse_iomap_cache_sample(struct inode *inode,
			     struct fuse_iomap_cache_cookie *cookie);
u64 fuse_iomap_cache_fill(struct inode *inode,
			  const struct fuse_iomap_begin_out *out, u32 opflags,
			  const struct fuse_iomap_cache_cookie *cookie);
void fuse_iomap_cache_invalidate(struct inode *inode, u64 offset,
				 u64 length);
void fuse_iomap_cache_change_begin(struct inode *inode, u64 offset,
				   u64 length);
void fuse_iomap_cache_change_end(struct inode *inode);
void fuse_iomap_cache_stat(struct fuse_conn *fc,
			   enum fuse_iomap_cache_stat stat);
int fuse_iomap_cache_upsert_mappings(struct inode *inode,
				     const struct fuse_iomap_io *rmap,
				     const struct fuse_iomap_io *wmap);
void fuse_iomap_cache_inval_mappings(struct inode *inode,
				     const struct fuse_range *read,
				     const struct fuse_range *write);
void fuse_iomap_cache_dev_inval(struct fuse_conn *fc, u32 dev, u64 addr,
				u64 length);

/* Mapping notifications from the server (iomap_notify.c) */
struct fuse_iomap_inval_mappings_out;
struct fuse_iomap_upsert_mappings_out;
struct fuse_iomap_dev_inval_out;
int fuse_iomap_check_inval_range(const struct fuse_range *range,
				 unsigned int blocksize, const char **rule);
int fuse_iomap_check_upsert(const struct fuse_iomap_upsert_mappings_out *up,
			    const struct fuse_iomap_limits *lim,
			    const struct fuse_iomap_devinfo *rdev,
			    const struct fuse_iomap_devinfo *wdev,
			    const char **rule);

/* INIT negotiation and the privilege model (iomap_init.c) */
bool fuse_iomap_permitted(void);
int fuse_iomap_may_add_dev(struct fuse_conn *fc);
void fuse_iomap_server_put(struct fuse_conn *fc);

/* What INIT offers; bit 43 has one meaning per connection. */
struct fuse_iomap_offer {
	u64	wire;		/* the flags sent */
	bool	bit43_famfs;	/* bit 43 stands for FUSE_DAX_FMAP */
};

/* Validation and conversion of server mappings (iomap_validate.c) */

/* Does a wire mapping of this type name blocks on a device? */
static inline bool fuse_iomap_type_has_blocks(u16 type)
{
	return type == FUSE_IOMAP_TYPE_MAPPED ||
	       type == FUSE_IOMAP_TYPE_UNWRITTEN;
}

int fuse_iomap_check_io(const struct fuse_iomap_io *map,
			enum fuse_iomap_dir dir,
			const struct fuse_iomap_limits *lim,
			const struct fuse_iomap_devinfo *dev,
			const char **rule);
int fuse_iomap_check_overwrite(const struct fuse_iomap_io *read,
			       const struct fuse_iomap_devinfo *rdev,
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

/* Device table and /dev/fuse ioctls (iomap_dev.c) */
struct fuse_iomap_dev *fuse_iomap_dev_get(struct fuse_conn *fc, u32 cookie,
					  struct fuse_iomap_devinfo *info);
void fuse_iomap_dev_put(struct fuse_iomap_dev *dev);
void fuse_iomap_dev_drop_cache(struct fuse_iomap_dev *dev, u64 addr,
			       u64 length);
struct block_device *fuse_iomap_dev_bdev(const struct fuse_iomap_dev *dev);
u32 fuse_iomap_dev_cookie(const struct fuse_iomap_dev *dev);
u32 fuse_iomap_dev_cookie_of(struct fuse_conn *fc, struct block_device *bdev);
bool fuse_iomap_dev_take_grant(struct file *file);

/* the whole filesystem (iomap_super.c) */
bool fuse_iomap_is_shutdown(struct fuse_conn *fc);

/* iomap inodes and upcalls (iomap.c) */
/* reads, readahead, FIEMAP, SEEK_HOLE/DATA and bmap */
extern const struct iomap_ops fuse_iomap_read_ops;
/* direct reads and writes */
extern const struct iomap_ops fuse_iomap_direct_ops;
/* buffered writes, write faults, zeroing and unsharing */
extern const struct iomap_ops fuse_iomap_buffered_write_ops;
/* The iomap state of an inode with FUSE_I_IOMAP (fuse_i.h completes it). */
#define FUSE_IOMAP_I(inode)	(get_fuse_inode(inode)->iomap)
void fuse_iomap_args(struct fuse_args *args, u32 opcode, u64 nodeid,
		     const void *in, unsigned int insize);
void fuse_iomap_args_out(struct fuse_args *args, void *out,
			 unsigned int outsize, bool var);
bool fuse_iomap_mapping_valid(struct inode *inode, const struct iomap *iomap);
int fuse_iomap_map(struct inode *inode, loff_t pos, loff_t count,
		   u32 opflags, struct iomap *iomap, struct iomap *srcmap);
void fuse_iomap_unmap(struct iomap *iomap);

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
int fuse_iomap_buffered_init(void);
void fuse_iomap_buffered_exit(void);
void fuse_iomap_ioend_work(struct work_struct *work);
ssize_t fuse_iomap_buffered_read(struct kiocb *iocb, struct iov_iter *to);
ssize_t fuse_iomap_buffered_write(struct kiocb *iocb, struct iov_iter *from);

/* Inline data (iomap_inline.c) */
void *fuse_iomap_inline_offer(struct inode *inode, loff_t pos, u32 opflags,
			      struct fuse_iomap_limits *lim);
int fuse_iomap_inline_fetch(struct inode *inode,
			    const struct fuse_iomap_io *map, loff_t isize,
			    void *buf);
void fuse_iomap_inline_received(struct fuse_iomap_limits *lim, void *buf,
				int size);
void fuse_iomap_inline_attach(struct iomap *iomap, void **bufp);
void fuse_iomap_inline_free(void *buf);
void fuse_iomap_inline_put(struct iomap *iomap);
void fuse_iomap_grow_barrier(struct inode *inode, loff_t end);
int fuse_iomap_inline_begin(struct inode *inode, loff_t pos, loff_t count,
			    unsigned int flags, struct iomap *iomap);
bool fuse_iomap_inline_changed(const struct iomap *iomap, unsigned int flags,
			       ssize_t written);
int fuse_iomap_inline_end(struct inode *inode, loff_t pos, loff_t count,
			  ssize_t written, unsigned int flags,
			  struct iomap *iomap);

/* Direct I/O (iomap_direct.c) */
bool fuse_iomap_dio_unaligned(const struct kiocb *iocb,
			      const struct iov_iter *from);
bool fuse_iomap_dio_overwrite(const struct kiocb *iocb,
			      const struct iov_iter *from);
ssize_t fuse_iomap_direct_read(struct kiocb *iocb, struct iov_iter *to);
ssize_t fuse_iomap_direct_write(struct kiocb *iocb, struct iov_iter *from);

/* The file operations of iomap files (iomap_file.c) and their entries */
extern const struct file_operations fuse_iomap_fops;
int fuse_iomap_lock(struct kiocb *iocb, bool excl);
void fuse_iomap_unlock(struct inode *inode, bool excl);
int fuse_iomap_update_time(struct file *file);
int fuse_iomap_file_modified(struct kiocb *iocb);
ssize_t fuse_iomap_write_checks(struct kiocb *iocb, struct iov_iter *from);
ssize_t fuse_iomap_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t fuse_iomap_write_iter(struct kiocb *iocb, struct iov_iter *from);
int fuse_iomap_mmap(struct file *file, struct vm_area_struct *vma);
long fuse_iomap_fallocate(struct file *file, int mode, loff_t offset,
			  loff_t length);

/* SEEK_DATA/HOLE, FIBMAP (iomap_report.c) */
loff_t fuse_iomap_lseek(struct file *file, loff_t offset, int whence);
sector_t fuse_iomap_bmap(struct address_space *mapping, sector_t block);

/* Helpers of one file that its KUnit tests call (VISIBLE_IF_KUNIT) */
#if IS_ENABLED(CONFIG_KUNIT)
u64 fuse_iomap_accept_flags(const struct fuse_iomap_offer *offer, u64 reply);
size_t fuse_iomap_cache_bytes(const struct fuse_iomap_cache *c);
bool fuse_iomap_cache_next(const struct fuse_iomap_cache *c, u64 pos,
			   struct fuse_iomap_io *out);
void fuse_iomap_cache_plan(const struct fuse_iomap_begin_out *out,
			   u32 opflags, const struct fuse_iomap_io **rmap,
			   const struct fuse_iomap_io **wmap,
			   const struct fuse_iomap_io **gone);
bool fuse_iomap_cache_serves(const struct fuse_iomap_io *map, u32 opflags);
int fuse_iomap_check_config(const struct fuse_iomap_config_out *out,
			    size_t size, const char **rule);
bool fuse_iomap_dio_needs_fallback(unsigned int blocksize, loff_t pos,
				   loff_t count, const struct iomap *iomap);
bool fuse_iomap_nowait_usable(const struct fuse_conn *fc, u32 opflags,
			      const struct fuse_iomap_io *map);
bool fuse_iomap_nowait_write_waits(int ki_flags, bool dsync, loff_t pos,
				   size_t count, loff_t isize);
bool fuse_iomap_nowait_privs_wait(int ki_flags, bool nosec, bool no_getxattr);
bool fuse_iomap_want_end(const struct fuse_conn *fc, const struct iomap *iomap,
			 unsigned int flags, loff_t count, ssize_t written);
u32 fuse_iomap_inline_end_size(u64 offset, u64 length, loff_t isize);
bool fuse_iomap_inline_possible(u32 opflags, loff_t pos, loff_t isize);
void fuse_iomap_mount_source(struct fuse_conn *fc, const char *source);
struct fuse_iomap_offer fuse_iomap_offer_flags(bool iomap_ok, bool famfs_ok,
					       bool famfs_source);
u64 fuse_iomap_server_features(u64 got, bool rawio, bool granted);
void fuse_iomap_upsert_plan(const struct fuse_iomap_upsert_mappings_out *up,
			    bool rwritable,
			    const struct fuse_iomap_io **rmap,
			    const struct fuse_iomap_io **wmap);
#endif

/*
 * The entry points of upstream fs/fuse.  Without CONFIG_FUSE_IOMAP no
 * connection or inode is ever iomap: the calls made behind
 * fuse_inode_is_iomap() compile away, and these, made unconditionally or
 * through operation tables, do nothing or refuse.
 */
int fuse_iomap_module_init(void);
void fuse_iomap_module_exit(void);
u64 fuse_iomap_init_offer(struct fuse_mount *fm);
u32 fuse_iomap_init_minor(const struct fuse_conn *fc, u32 minor);
void fuse_iomap_init_reply(struct fuse_conn *fc, u64 reply);
bool fuse_iomap_send_config(struct fuse_mount *fm);
void fuse_iomap_mount_setup(struct fuse_conn *fc, const char *source,
			    struct file *file);
void fuse_iomap_conn_init(struct fuse_conn *fc);
void fuse_iomap_conn_put(struct fuse_conn *fc);
int fuse_iomap_dev_open(struct fuse_conn *fc,
			const struct fuse_backing_map *map);
int fuse_iomap_dev_close(struct fuse_conn *fc, int id);
long fuse_iomap_dev_ioctl(struct file *file, unsigned int cmd,
			  void __user *argp);
void fuse_iomap_dev_release(struct file *file);
size_t fuse_iomap_notify_size(unsigned int code);
bool fuse_iomap_notify_claims(unsigned int code);
int fuse_iomap_notify(struct fuse_conn *fc, unsigned int code,
		      const void *buf, size_t size);
int fuse_iomap_freeze_fs(struct super_block *sb);
int fuse_iomap_unfreeze_fs(struct super_block *sb);
long fuse_iomap_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
bool fuse_inode_is_iomap(struct inode *inode);
void fuse_iomap_init_inode(struct inode *inode, const struct fuse_attr *attr);
void fuse_iomap_evict_inode(struct inode *inode);
void fuse_iomap_attr_flags(struct inode *inode, u32 flags);
u32 fuse_iomap_cache_mask(struct inode *inode);
int fuse_iomap_fiemap(struct inode *inode, struct fiemap_extent_info *fi,
		      u64 start, u64 len);
loff_t fuse_iomap_remap_file_range(struct file *file_in, loff_t pos_in,
				   struct file *file_out, loff_t pos_out,
				   loff_t len, unsigned int remap_flags);
bool fuse_iomap_copy_by_kernel(struct file *file_in, struct file *file_out);

#else /* !CONFIG_FUSE_IOMAP */

static inline int fuse_iomap_module_init(void)
{
	return 0;
}

static inline void fuse_iomap_module_exit(void)
{
}

static inline u64 fuse_iomap_init_offer(struct fuse_mount *fm)
{
	return 0;
}

static inline u32 fuse_iomap_init_minor(const struct fuse_conn *fc, u32 minor)
{
	return minor;
}

static inline void fuse_iomap_init_reply(struct fuse_conn *fc, u64 reply)
{
}

static inline bool fuse_iomap_send_config(struct fuse_mount *fm)
{
	return false;
}

static inline void fuse_iomap_mount_setup(struct fuse_conn *fc,
					  const char *source, struct file *file)
{
}

static inline void fuse_iomap_conn_init(struct fuse_conn *fc)
{
}

static inline void fuse_iomap_conn_put(struct fuse_conn *fc)
{
}

static inline int fuse_iomap_dev_open(struct fuse_conn *fc,
				      const struct fuse_backing_map *map)
{
	return -EOPNOTSUPP;
}

static inline int fuse_iomap_dev_close(struct fuse_conn *fc, int id)
{
	return -EOPNOTSUPP;
}

static inline long fuse_iomap_dev_ioctl(struct file *file, unsigned int cmd,
					void __user *argp)
{
	return -ENOTTY;
}

static inline void fuse_iomap_dev_release(struct file *file)
{
}

static inline size_t fuse_iomap_notify_size(unsigned int code)
{
	return 0;
}

static inline bool fuse_iomap_notify_claims(unsigned int code)
{
	return false;
}

static inline int fuse_iomap_notify(struct fuse_conn *fc, unsigned int code,
				    const void *buf, size_t size)
{
	return -EINVAL;
}

static inline int fuse_iomap_freeze_fs(struct super_block *sb)
{
	return 0;
}

static inline int fuse_iomap_unfreeze_fs(struct super_block *sb)
{
	return 0;
}

static inline long fuse_iomap_ioctl(struct file *file, unsigned int cmd,
				    unsigned long arg)
{
	return -ENOIOCTLCMD;
}

static inline bool fuse_inode_is_iomap(struct inode *inode)
{
	return false;
}

static inline void fuse_iomap_init_inode(struct inode *inode,
					 const struct fuse_attr *attr)
{
}

static inline void fuse_iomap_evict_inode(struct inode *inode)
{
}

static inline void fuse_iomap_attr_flags(struct inode *inode, u32 flags)
{
}

static inline u32 fuse_iomap_cache_mask(struct inode *inode)
{
	return 0;
}

static inline int fuse_iomap_fiemap(struct inode *inode,
				    struct fiemap_extent_info *fi,
				    u64 start, u64 len)
{
	return -EOPNOTSUPP;
}

static inline loff_t fuse_iomap_remap_file_range(struct file *file_in,
						 loff_t pos_in,
						 struct file *file_out,
						 loff_t pos_out, loff_t len,
						 unsigned int remap_flags)
{
	return -EOPNOTSUPP;
}

static inline bool fuse_iomap_copy_by_kernel(struct file *file_in,
					     struct file *file_out)
{
	return false;
}

#endif /* CONFIG_FUSE_IOMAP */

/*
 * Called from upstream fs/fuse only for inodes with FUSE_I_IOMAP: without
 * CONFIG_FUSE_IOMAP, fuse_inode_is_iomap() is false and the calls compile
 * away, so they are declared either way.
 */
void fuse_iomap_open(struct inode *inode, struct file *file);
void fuse_iomap_attr_blksize(struct inode *inode, u32 blksize);
int fuse_iomap_setsize_prepare(struct inode *inode, loff_t newsize);
void fuse_iomap_setsize_finish(struct inode *inode, loff_t newsize);
ssize_t fuse_iomap_copy_file_range(struct file *file_in, loff_t pos_in,
				   struct file *file_out, loff_t pos_out,
				   size_t len);

#endif /* _FS_FUSE_IOMAP_I_H */
