/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuse-iomap: internal declarations shared by the iomap files of fs/fuse.
 */
#ifndef _FS_FUSE_IOMAP_I_H
#define _FS_FUSE_IOMAP_I_H

#include <linux/iomap.h>
#include <linux/types.h>

struct block_device;
struct fuse_conn;
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
};

/* INIT negotiation (iomap_init.c) */
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

#endif /* _FS_FUSE_IOMAP_I_H */
