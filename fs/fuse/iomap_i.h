/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuse-iomap: internal declarations shared by the iomap files of fs/fuse.
 */
#ifndef _FS_FUSE_IOMAP_I_H
#define _FS_FUSE_IOMAP_I_H

#include <linux/iomap.h>
#include <linux/types.h>
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
long fuse_iomap_dev_ioctl(unsigned int cmd, void __user *argp);

/* iomap inodes and upcalls (iomap.c) */
extern const struct iomap_ops fuse_iomap_ops;
bool fuse_inode_is_iomap(struct inode *inode);
void fuse_iomap_init_inode(struct inode *inode, u32 attr_flags);
void fuse_iomap_open(struct inode *inode, struct file *file);
int fuse_iomap_ioend(struct inode *inode, loff_t pos, size_t written,
		     int error, u32 flags);

/* Direct I/O (iomap_direct.c) */
ssize_t fuse_iomap_direct_read(struct kiocb *iocb, struct iov_iter *to);
ssize_t fuse_iomap_direct_write(struct kiocb *iocb, struct iov_iter *from);

static inline bool fuse_iomap_want_direct(const struct kiocb *iocb)
{
	return (iocb->ki_flags & IOCB_DIRECT) &&
	       fuse_inode_is_iomap(file_inode(iocb->ki_filp));
}

/* FIEMAP, SEEK_DATA/HOLE, FIBMAP (iomap_report.c) */
int fuse_iomap_fiemap(struct inode *inode, struct fiemap_extent_info *fi,
		      u64 start, u64 len);
loff_t fuse_iomap_lseek(struct file *file, loff_t offset, int whence);
sector_t fuse_iomap_bmap(struct address_space *mapping, sector_t block);

#endif /* _FS_FUSE_IOMAP_I_H */
