/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fusetd personalities: behave on the wire like one of the two real
 * iomap-capable servers, so that the kernel can be tested against what
 * they do without them (facts in /work/shared/ABI.md, "What the real
 * servers do on the wire").
 *
 *   fusetd mount --personality fuse4fs ...   like fuse4fs over libfuse 3.99
 *   fusetd famfs --personality famfs ...     like famfs_fused (libfuse PR 1414)
 *
 * The environment variable FUSETD_PERSONALITY names one too, so that the
 * VM test scripts run unchanged under it; the option wins.  A personality
 * from the environment that is not for the command (famfs for "fusetd
 * mount", say) is ignored; one given as an option is an error.
 *
 * fuse4fs (personality.c, pers_iomap.c):
 *   - before mounting: FUSE_DEV_IOC_SET_NOFS (else prctl(PR_SET_IO_FLUSHER))
 *     and FUSE_DEV_IOC_IOMAP_SUPPORT; if that reports file I/O, the mount
 *     option root_nodeid=2: the root is node 2 on the wire, and every
 *     node id and attr_ino on the wire is fusetd's inode number plus one
 *     (fusetd's inode 2, a file, cannot be node 2), so node 1 is never
 *     used, like ext4's inode numbers; translated in one place each way
 *     (requests in proto.c, replies where attributes, entries and
 *     directory entries are filled, notifications in notify_send());
 *   - always wants iomap (--iomap implied); INIT replies protocol 7.99 and
 *     echoes FUSE_IOMAP if offered; sends mapping notifications only when
 *     the kernel's INIT minor is at least 99;
 *   - FUSE_IOMAP_CONFIG without CACHE_MAXBYTES (the kernel's default
 *     cache) unless --cache-maxbytes or --no-cache was given (then the
 *     limit, 0 for none);
 *   - a FUSE_IOMAP_BEGIN miss for a read or an in-place write (not
 *     REPORT) is answered by an upsert of the read mapping at the
 *     position, as the block map has it (write mapping NOCACHE), and
 *     RETRY_CACHE; writes into holes get their blocks first; what the
 *     cache cannot express (out-of-place writes, delalloc, shared blocks
 *     for a write, unshare) is answered directly; a refused upsert fails
 *     the BEGIN with its error;
 *   - regular files carry FUSE_ATTR_EXCLUSIVE | FUSE_ATTR_IOMAP;
 *   - never INLINE (--inline-max and the inline --inject rules refused);
 *   - no upserts on open or after ioends (--upsert-on-open N still works);
 *   - GETXATTR answered ENODATA and LISTXATTR with an empty list, as
 *     for a file without xattrs (plain fusetd: ENOSYS); so the kernel
 *     asks for security.capability before writes while S_NOSEC is clear;
 *   - FREEZE_FS, UNFREEZE_FS and SHUTDOWN_FS answered 0 (in every mode).
 *
 * famfs (famfs_serve.c, famfs_layout.c):
 *   - INIT asks for famfs on bit 43 (FT_FAMFS_BIT43), never bit 44, and
 *     replies protocol 7.45;
 *   - the mount source is --daxdev PATH (default: the -d device);
 *   - GET_DAXDEV takes the index from the request's node id, answers the
 *     realpath of the device, and only index 0 (one -d device);
 *   - GET_FMAP ignores the request body and always sends the whole fmap
 *     (never the "needed size" retry), file type regular;
 *   - an interleaved file (ilv spec) is one interleaved extent whose
 *     ie_nbytes is the file size, chunk --chunk-size (4096 or 2M, default
 *     2M; the spec's CHUNK and NEXTENTS are ignored), strips 2 MiB
 *     multiples.
 */
#ifndef FUSETD_PERSONALITY_H
#define FUSETD_PERSONALITY_H

#include <stddef.h>
#include <stdint.h>
#include <linux/fuse.h>

enum ft_personality {
	FT_PERS_NONE,
	FT_PERS_FUSE4FS,
	FT_PERS_FAMFS,
};

#define FT_PERS_ENV		"FUSETD_PERSONALITY"

/*
 * The famfs series' FUSE_DAX_FMAP is INIT bit 43 (flags2 bit 11), the
 * value our header gives FUSE_IOMAP; the kernel gives bit 43 the famfs
 * meaning on connections set up for famfs (iomap_init.c).
 */
#define FT_FAMFS_BIT43		(1ULL << 43)

/* INIT minor of the posted iomap kernel, and of libfuse 3.99 */
#define FT_IOMAP_MINOR		99
/* INIT minor libfuse announces with famfs (pull request 1414) */
#define FT_FAMFS_MINOR		45

/* fuse4fs' root node id (ext4's root inode) */
#define FT_PERS_ROOT_NODEID	2

struct fusetd;
struct ft_req;

/*
 * The personality named by @arg (an option, may be NULL) or else by the
 * environment, for command @want (FT_PERS_FUSE4FS for "mount",
 * FT_PERS_FAMFS for "famfs").  Returns it, FT_PERS_NONE, or -1 (with a
 * message) for a bad name or an option for the other command.
 */
int pers_choose(const char *arg, enum ft_personality want);
const char *pers_name(int pers);

/* fuse4fs: set up /dev/fuse before mounting; 1 if root_nodeid=2 applies */
int pers_fuse4fs_prepare(int fuse_fd);

/* Node ids: fusetd inode number <-> wire (identity unless root_nodeid=2). */
uint64_t pers_wire_nodeid(const struct fusetd *d, uint64_t ino);
uint64_t pers_local_nodeid(const struct fusetd *d, uint64_t nodeid);
/* Rewrite the node ids of a request (header and body) in place. */
void pers_request_in(struct fusetd *d, struct fuse_in_header *hdr,
		     void *body, size_t len);
/* The body of a notification as it goes out; may be copied to @tmp. */
const void *pers_notify_body(const struct fusetd *d, uint32_t code,
			     const void *body, size_t len, void *tmp,
			     size_t tmp_len);

/* fuse4fs: may notifications be sent (the kernel's minor >= 99)? */
int pers_may_notify(const struct fusetd *d);
/* fuse4fs: is a BEGIN miss answered by upsert and RETRY_CACHE? */
int pers_retry_cache(const struct fusetd *d);

/* pers_iomap.c: deliver a BEGIN answer as fuse4fs would */
int pers_iomap_reply(struct fusetd *d, const struct ft_req *r,
		     const struct fuse_iomap_begin_out *out);

/* FREEZE_FS, UNFREEZE_FS, SHUTDOWN_FS */
int op_freeze_fs(struct fusetd *d, const struct ft_req *r);
int op_unfreeze_fs(struct fusetd *d, const struct ft_req *r);
int op_shutdown_fs(struct fusetd *d, const struct ft_req *r);

#endif /* FUSETD_PERSONALITY_H */
