/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuse-iomap: famfs, files whose whole map onto DAX memory the kernel
 * holds.  Declarations shared by the famfs files of fs/fuse.
 *
 * famfs_fmap.c is a pure library (no DAX, no FUSE requests): it parses and
 * validates what the server sends, resolves file offsets, and tracks
 * poisoned ranges.  famfs.c is the data path and needs CONFIG_FS_DAX, as
 * does famfs_devdax.c, which makes device-dax instances usable by it; the
 * hooks in upstream files call famfs.c through the inline stubs below when
 * the kernel has no FS_DAX or CONFIG_FUSE_FAMFS is off.
 */
#ifndef _FS_FUSE_FAMFS_I_H
#define _FS_FUSE_FAMFS_I_H

#include <linux/errno.h>
#include <linux/pfn.h>
#include <linux/sizes.h>
#include <linux/types.h>

struct file;
struct fuse_attr;
struct fuse_conn;
struct fuse_daxdev_out;
struct inode;
struct iattr;
struct iov_iter;
struct kiocb;
struct range;
struct vm_area_struct;

/* Corrupt metadata from the server, as kernel filesystems report it */
#ifndef EFSCORRUPTED
#define EFSCORRUPTED	EUCLEAN
#endif

/* Every offset, length and chunk size of an fmap is a multiple of this. */
#define FUSE_FAMFS_ALIGN	SZ_2M

/* Device indices are 0..FUSE_FAMFS_MAX_DAXDEVS - 1 (a u32 bitmap). */
#define FUSE_FAMFS_MAX_DAXDEVS	32

/* The first GET_FMAP buffer; a server may ask for up to 32 KiB. */
#define FUSE_FAMFS_FMAP_BUFSIZE	PAGE_SIZE

/* Poisoned ranges remembered per device before it is failed whole. */
#define FUSE_FAMFS_MAX_POISON	8

/* One contiguous device range: a simple extent, or a strip. */
struct fuse_famfs_strip {
	u64	dev_off;		/* bytes into the device */
	u64	len;			/* bytes */
	u64	used;			/* of them backing file bytes */
	u32	dev;			/* device index */
};

/*
 * One extent, placed in the file.  A simple extent is one strip read
 * straight through (chunk 0); an interleaved extent puts chunk k of its
 * bytes on strip k mod nstrips, at (k div nstrips) * chunk in that strip.
 */
struct fuse_famfs_ext {
	u64	file_off;		/* first file byte it maps */
	u64	len;			/* file bytes it maps */
	u64	chunk;			/* interleaved: chunk size; simple: 0 */
	u32	nstrips;		/* 1 for a simple extent */
	u32	strip;			/* its first strip in fmap->strips */
};

/*
 * A validated fmap, as the kernel keeps it for an inode.  No two strips
 * of it share device bytes that back file data, and once installed
 * (@node on the connection's list) no strip of another inode's either:
 * fs/dax.c gives each DAX page one owning mapping.
 */
struct fuse_famfs_fmap {
	struct list_head node;		/* famfs.c: the connection's fmaps */
	u64	owner;			/* famfs.c: the nodeid it maps */
	u64	file_size;
	u64	mapped;			/* bytes the extents map, >= file_size */
	u32	devmask;		/* bit i: uses device index i */
	u8	file_type;		/* FUSE_FAMFS_FILE_* */
	u8	ext_type;		/* FUSE_FAMFS_EXT_* */
	u32	nstrips;
	struct fuse_famfs_strip *strips;
	u32	nextents;
	struct fuse_famfs_ext ext[] __counted_by(nextents);
};

/* Where one file offset lives: @len bytes from @dev_off on device @dev. */
struct fuse_famfs_map {
	u32	dev;
	u64	dev_off;
	u64	len;
};

/* Poisoned ranges of one device; the caller serialises changes. */
struct fuse_famfs_poison {
	u32	nr;
	bool	all;			/* too many ranges: the whole device */
	struct {
		u64	off;
		u64	len;
	} r[FUSE_FAMFS_MAX_POISON];
};

/* famfs_fmap.c: the pure library */
int fuse_famfs_fmap_parse(const void *buf, size_t len,
			  struct fuse_famfs_fmap **fmapp, const char **rule);
void fuse_famfs_fmap_free(struct fuse_famfs_fmap *fmap);
bool fuse_famfs_fmap_overlap(const struct fuse_famfs_fmap *a,
			     const struct fuse_famfs_fmap *b);
int fuse_famfs_resolve(const struct fuse_famfs_fmap *fmap, u64 pos,
		       struct fuse_famfs_map *map);
int fuse_famfs_fmap_reply_size(const void *buf, size_t len, size_t bufsize,
			       size_t *needed);
int fuse_famfs_check_daxdev(const struct fuse_daxdev_out *out, size_t len,
			    u32 index, const char **rule);
int fuse_famfs_devdax_span(u64 start, u64 size, const struct range *ranges,
			   int nr, const char **why);
void fuse_famfs_poison_add(struct fuse_famfs_poison *p, u64 off, u64 len);
bool fuse_famfs_poison_hit(const struct fuse_famfs_poison *p, u64 off,
			   u64 len);

/* Can this kernel serve famfs files: is there a data path? */
static inline bool fuse_famfs_supported(void)
{
	return IS_ENABLED(CONFIG_FUSE_FAMFS) && IS_ENABLED(CONFIG_FS_DAX);
}

/* famfs.c: the data path */
#if IS_ENABLED(CONFIG_FUSE_FAMFS) && IS_ENABLED(CONFIG_FS_DAX)
bool fuse_inode_is_famfs(struct inode *inode);
void fuse_famfs_init_inode(struct inode *inode);
void fuse_famfs_evict_inode(struct inode *inode);
int fuse_famfs_open(struct inode *inode, struct file *file);
u32 fuse_famfs_cache_mask(struct inode *inode);
int fuse_famfs_setattr_check(struct inode *inode, const struct iattr *attr);
void fuse_famfs_setattr_reply(struct inode *inode, struct fuse_attr *attr);
void fuse_famfs_attr_blksize(struct inode *inode, u32 blksize);
void fuse_famfs_conn_put(struct fuse_conn *fc);

/* famfs_devdax.c: device-dax instances as famfs devices */
struct fuse_famfs_devdax;
struct dax_device;
int fuse_famfs_devdax_open(struct file *file, void (*remove)(void *),
			   void *data, struct fuse_famfs_devdax **ddp,
			   const char **why);
void fuse_famfs_devdax_close(struct fuse_famfs_devdax *dd);
struct dax_device *fuse_famfs_devdax_dax(const struct fuse_famfs_devdax *dd);
u64 fuse_famfs_devdax_size(const struct fuse_famfs_devdax *dd);
const void *fuse_famfs_devdax_ident(const struct fuse_famfs_devdax *dd);
const char *fuse_famfs_devdax_name(const struct fuse_famfs_devdax *dd);
int fuse_famfs_devdax_pfn(const struct fuse_famfs_devdax *dd, u64 off,
			  u64 len, pfn_t *pfn);
#else
static inline bool fuse_inode_is_famfs(struct inode *inode)
{
	return false;
}

static inline void fuse_famfs_init_inode(struct inode *inode)
{
}

static inline void fuse_famfs_evict_inode(struct inode *inode)
{
}

static inline int fuse_famfs_open(struct inode *inode, struct file *file)
{
	return 0;
}

static inline u32 fuse_famfs_cache_mask(struct inode *inode)
{
	return 0;
}

static inline int fuse_famfs_setattr_check(struct inode *inode,
					   const struct iattr *attr)
{
	return 0;
}

static inline void fuse_famfs_setattr_reply(struct inode *inode,
					    struct fuse_attr *attr)
{
}

static inline void fuse_famfs_attr_blksize(struct inode *inode, u32 blksize)
{
}

static inline void fuse_famfs_conn_put(struct fuse_conn *fc)
{
}
#endif /* CONFIG_FUSE_FAMFS && CONFIG_FS_DAX */

#endif /* _FS_FUSE_FAMFS_I_H */
