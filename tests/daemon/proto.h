/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fusetd /dev/fuse protocol: the daemon state, requests, reply helpers and
 * the per-opcode handlers.
 *
 * A handler either replies itself and returns 0, or returns a negative errno
 * that the dispatcher sends as the reply.  The dispatcher has checked that
 * the body holds at least the opcode's fixed-size argument.
 */
#ifndef FUSETD_PROTO_H
#define FUSETD_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <linux/fuse.h>

#include "personality.h"
#include "stats.h"
#include "store.h"

#define FT_MIN_MINOR		28	/* oldest kernel protocol we speak */
#define FT_MAX_PAGES		256
#define FT_MAX_WRITE		FT_MAX_IO
#define FT_IN_BUF_SIZE		(FT_MAX_WRITE + 64 * 1024)

struct ft_stale;

struct fusetd {
	int			fuse_fd;
	struct ft_store		st;
	struct ft_stats		*stats;
	uint32_t		minor;		/* negotiated; 0 before INIT */
	uint32_t		kernel_minor;	/* the kernel's, from INIT */
	int			personality;	/* FT_PERS_* (personality.h) */
	int			nodeid_shift;	/* root_nodeid=2: node ino+1 */
	int			cache_explicit;	/* --cache-maxbytes, --no-cache */
	int			want_iomap;	/* --iomap */
	int			iomap;		/* negotiated and registered */
	uint32_t		dev_cookie;	/* of the image, for mappings */
	int			inject;		/* --inject rule + 1, or 0 */
	unsigned int		faults;		/* --fault: 1 << FT_FAULT_* */
	struct ft_stale		*stale;		/* stale-map records, */
	size_t			nr_stale;	/* how many, */
	size_t			cap_stale;	/* room for */
	int			ro_dev;		/* register the device read-only */
	uint32_t		set_blocksize;	/* --set-blocksize: its page cache */
	int			inline_nopayload; /* INLINE via READ/WRITE */
	int			no_ioend;	/* answer IOMAP_IOEND with ENOSYS */
	int			no_end;		/* answer IOMAP_END with ENOSYS */
	int			want_end;	/* every mapping wants IOMAP_END */
	int			probe_backing;	/* try bad registrations first */
	int			fill_devs;	/* register until refused */
	const char		*flip_type;	/* --flip-type FILE */
	uint32_t		cache_maxbytes;	/* asked of the kernel; 0: off */
	unsigned int		upsert_on_open;	/* upserts per file opened */
	uint64_t		map_ahead;	/* --map-ahead window, blocks */
	uint32_t		valid_secs;	/* entry and attribute timeout */
	int			dev_inval_on_fsync; /* --dev-inval-on-fsync */
	int			probe_notify;	/* bad notifications, once */
	uint64_t		flood_ino;	/* --flood N:INO (flood.c) */
	uint64_t		flood_left;
	int			flood_on;	/* INO was opened */
	uint64_t		flood_sent;
	uint64_t		flood_refused;
	uint64_t		flood_kind[3];	/* upserts, invals, dev invals */
	uint64_t		flood_lblk;	/* next upsert */
	uint64_t		flood_rng;
	const char		*image;		/* path of the image */
	char			*deferred;	/* --defer-on: the request, */
	size_t			deferred_len;	/* its length, */
	uint64_t		deferred_due;	/* when to answer it, in ms */
	char			*in_buf;	/* FT_IN_BUF_SIZE */
	char			*out_buf;	/* FT_MAX_IO, reply payloads */
};

struct ft_req {
	const struct fuse_in_header	*hdr;
	const void			*in;	/* body, extensions excluded */
	size_t				in_len;
};

int daemonize(void);
int fusetd_serve(struct fusetd *d);
void fusetd_handle(struct fusetd *d, size_t len);

int reply_ok(struct fusetd *d, const struct ft_req *r, const void *arg,
	     size_t len);
int reply_two(struct fusetd *d, const struct ft_req *r, const void *arg1,
	      size_t len1, const void *arg2, size_t len2);
int req_strings(const struct ft_req *r, size_t off, const char **s,
		unsigned int n);

/* ops_attr.c: shared node helpers */
int node_get(struct fusetd *d, uint64_t nodeid, struct ft_inode **inode);
int node_get_dir(struct fusetd *d, uint64_t nodeid, struct ft_inode **dir);
void fill_entry(struct fusetd *d, struct ft_inode *inode,
		struct fuse_entry_out *out);

typedef int (*ft_op_fn)(struct fusetd *d, const struct ft_req *r);

int op_getattr(struct fusetd *d, const struct ft_req *r);
int op_setattr(struct fusetd *d, const struct ft_req *r);
int op_statfs(struct fusetd *d, const struct ft_req *r);
int op_access(struct fusetd *d, const struct ft_req *r);
int op_getxattr(struct fusetd *d, const struct ft_req *r);
int op_listxattr(struct fusetd *d, const struct ft_req *r);

int op_lookup(struct fusetd *d, const struct ft_req *r);
int op_forget(struct fusetd *d, const struct ft_req *r);
int op_batch_forget(struct fusetd *d, const struct ft_req *r);
int op_create(struct fusetd *d, const struct ft_req *r);
int op_mknod(struct fusetd *d, const struct ft_req *r);
int op_mkdir(struct fusetd *d, const struct ft_req *r);
int op_symlink(struct fusetd *d, const struct ft_req *r);
int op_readlink(struct fusetd *d, const struct ft_req *r);
int op_link(struct fusetd *d, const struct ft_req *r);
int op_unlink(struct fusetd *d, const struct ft_req *r);
int op_rmdir(struct fusetd *d, const struct ft_req *r);
int op_rename(struct fusetd *d, const struct ft_req *r);
int op_rename2(struct fusetd *d, const struct ft_req *r);

int op_open(struct fusetd *d, const struct ft_req *r);
int op_read(struct fusetd *d, const struct ft_req *r);
int op_write(struct fusetd *d, const struct ft_req *r);
int op_release(struct fusetd *d, const struct ft_req *r);
int op_fsync(struct fusetd *d, const struct ft_req *r);
int op_fallocate(struct fusetd *d, const struct ft_req *r);
int op_lseek(struct fusetd *d, const struct ft_req *r);
int op_copy_file_range(struct fusetd *d, const struct ft_req *r);

int op_opendir(struct fusetd *d, const struct ft_req *r);
int op_readdir(struct fusetd *d, const struct ft_req *r);
int op_readdirplus(struct fusetd *d, const struct ft_req *r);

/* iomap.c: iomap mode */
int iomap_register(struct fusetd *d);
void iomap_map_hole(uint64_t lblk, uint64_t len, struct fuse_iomap_io *io);
void iomap_map_blocks(const struct fusetd *d, uint64_t lblk,
		      enum ft_map_type type, uint64_t pblk, uint64_t len,
		      struct fuse_iomap_io *io);
int op_iomap_begin(struct fusetd *d, const struct ft_req *r);
int op_ioctl(struct fusetd *d, const struct ft_req *r);
int op_syncfs(struct fusetd *d, const struct ft_req *r);
uint32_t ioctl_attr_flags(const struct ft_inode *inode);
int op_iomap_end(struct fusetd *d, const struct ft_req *r);
int op_iomap_config(struct fusetd *d, const struct ft_req *r);
int op_iomap_ioend(struct fusetd *d, const struct ft_req *r);

/* inject.c: bad begin replies at and beyond this file position */
int notify_send(struct fusetd *d, uint32_t code, const void *body,
		size_t len);
uint64_t notify_upsert_range(struct fusetd *d, struct ft_inode *inode,
			     uint64_t lblk, uint64_t n, unsigned int max);
void notify_upsert_file(struct fusetd *d, struct ft_inode *inode);
void notify_map_ahead(struct fusetd *d, struct ft_inode *inode,
		      uint64_t lblk, uint64_t want, uint64_t answered);
uint64_t notify_upsert_one(struct fusetd *d, struct ft_inode *inode,
			   uint64_t lblk, uint64_t *n);
void notify_inval_range(struct fusetd *d, uint64_t ino, uint64_t off,
			uint64_t len);
void notify_probe(struct fusetd *d, uint64_t ino);
void notify_dev_inval_all(struct fusetd *d);

/* flood.c: --flood N:INO */
void flood_open(struct fusetd *d, uint64_t ino);
int flood_pending(const struct fusetd *d);
void flood_batch(struct fusetd *d);

#define FT_INJECT_POS	(64ULL << 20)
int inject_lookup(const char *name);
int inject_ioend(const struct fusetd *d, uint64_t pos);
int inject_begin(struct fusetd *d, uint64_t pos,
		 struct fuse_iomap_begin_out *out);
size_t inject_inline_len(const struct fusetd *d, size_t len);
int inject_inline_not_eof(const struct fusetd *d,
			  const struct fuse_iomap_begin_in *in, uint64_t size);
int inject_inline_fault(const struct fusetd *d);
int inject_inline_end_error(const struct fusetd *d);

/* fault.c: --fault NAME[,NAME...], deliberate bugs */
enum ft_fault {
	FT_FAULT_SKIP_IOEND,
	FT_FAULT_STALE_MAP,
	FT_FAULT_DROP_CLONE,
	FT_FAULT_DROP_UNSHARE,
	FT_FAULT_NR
};

int fault_parse(struct fusetd *d, const char *list);
int fault_on(const struct fusetd *d, enum ft_fault f);
int fault_fire(struct fusetd *d, enum ft_fault f);
void fault_stale_note(struct fusetd *d, struct ft_inode *inode,
		      uint64_t lblk, uint64_t n, uint64_t new_pblk);
uint64_t fault_stale_map(struct fusetd *d, struct ft_inode *inode,
			 uint64_t lblk, uint64_t max, struct fuse_iomap_io *io);
void fault_free(struct fusetd *d);

/* selftest.c: "fusetd selftest"; selftest_pers.c: its personality part */
int selftest_main(int argc, char **argv);
void selftest_personality(const char *dir);
void selftest_handle(struct fusetd *d, uint32_t opcode, uint64_t nodeid,
		     uint64_t unique, const void *a, size_t alen,
		     const void *b, size_t blen);
void selftest_result(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* FUSETD_PROTO_H */
