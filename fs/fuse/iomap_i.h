/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuse-iomap: internal declarations shared by the iomap files of fs/fuse.
 */
#ifndef _FS_FUSE_IOMAP_I_H
#define _FS_FUSE_IOMAP_I_H

#include <linux/types.h>

struct fuse_conn;
struct fuse_mount;

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

#endif /* _FS_FUSE_IOMAP_I_H */
