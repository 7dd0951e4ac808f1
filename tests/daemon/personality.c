// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd personalities (see personality.h): choosing one, fuse4fs' setup
 * of /dev/fuse before mounting, node id translation for root_nodeid=2,
 * and the freeze and shutdown requests.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

#include "personality.h"
#include "proto.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#ifndef PR_SET_IO_FLUSHER
#define PR_SET_IO_FLUSHER	57
#endif

static const char *const names[] = {
	[FT_PERS_NONE]		= "none",
	[FT_PERS_FUSE4FS]	= "fuse4fs",
	[FT_PERS_FAMFS]		= "famfs",
};

const char *pers_name(int pers)
{
	if (pers < 0 || pers >= (int)ARRAY_SIZE(names))
		return "?";
	return names[pers];
}

static int lookup(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

int pers_choose(const char *arg, enum ft_personality want)
{
	const char *env = getenv(FT_PERS_ENV);
	int p;

	if (!arg) {
		if (!env || !*env)
			return FT_PERS_NONE;
		p = lookup(env);
		if (p < 0) {
			fprintf(stderr, "fusetd: %s=%s: unknown personality (fuse4fs, famfs, none)\n",
				FT_PERS_ENV, env);
			return -1;
		}
		/* one for the other command: not this one's business */
		return p == (int)want ? p : FT_PERS_NONE;
	}
	p = lookup(arg);
	if (p < 0) {
		fprintf(stderr, "fusetd: --personality %s: unknown (fuse4fs, famfs, none)\n",
			arg);
		return -1;
	}
	if (p != FT_PERS_NONE && p != (int)want) {
		fprintf(stderr, "fusetd: --personality %s is for \"fusetd %s\"\n",
			arg, p == FT_PERS_FAMFS ? "famfs" : "mount");
		return -1;
	}
	return p;
}

/*
 * As fuse4fs does before mounting: keep the server out of filesystem
 * reclaim (it serves the page cache's writeback), and ask whether iomap
 * file I/O would be offered.  Returns 1 if so: then fuse4fs mounts with
 * root_nodeid=2.
 */
int pers_fuse4fs_prepare(int fuse_fd)
{
	struct fuse_iomap_support sup = { 0 };
	uint32_t on = 1;

	if (ioctl(fuse_fd, FUSE_DEV_IOC_SET_NOFS, &on) < 0 &&
	    prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0) < 0)
		fprintf(stderr, "fusetd: fuse4fs: neither SET_NOFS nor PR_SET_IO_FLUSHER: %s\n",
			strerror(errno));
	if (ioctl(fuse_fd, FUSE_DEV_IOC_IOMAP_SUPPORT, &sup) < 0) {
		fprintf(stderr, "fusetd: fuse4fs: FUSE_DEV_IOC_IOMAP_SUPPORT: %s; classic I/O\n",
			strerror(errno));
		return 0;
	}
	return !!(sup.flags & FUSE_IOMAP_SUPPORT_FILEIO);
}

/*
 * With root_nodeid=2 the wire's node ids are fusetd's inode numbers plus
 * one: root 1 is node 2, and fusetd's inode 2 (usually the first file)
 * cannot be node 2 too.  Node 1 maps to inode 0, which never exists.
 */
uint64_t pers_wire_nodeid(const struct fusetd *d, uint64_t ino)
{
	return d->nodeid_shift && ino ? ino + 1 : ino;
}

uint64_t pers_local_nodeid(const struct fusetd *d, uint64_t nodeid)
{
	return d->nodeid_shift && nodeid ? nodeid - 1 : nodeid;
}

static void local(const struct fusetd *d, uint64_t *nodeid)
{
	*nodeid = pers_local_nodeid(d, *nodeid);
}

/*
 * Every node id a request carries, in the header and in the body; the
 * dispatcher has checked the fixed-size part of the body.
 */
void pers_request_in(struct fusetd *d, struct fuse_in_header *hdr,
		     void *body, size_t len)
{
	struct fuse_batch_forget_in *bf = body;
	struct fuse_forget_one *one;
	uint32_t i;

	if (!d->nodeid_shift)
		return;
	if (hdr->nodeid == 1)
		stats_event(d->stats, FT_EV_WIRE_NODEID_1, 1);
	local(d, &hdr->nodeid);
	switch (hdr->opcode) {
	case FUSE_BATCH_FORGET:
		one = (void *)(bf + 1);
		for (i = 0; i < bf->count &&
		     (i + 1) * sizeof(*one) <= len - sizeof(*bf); i++)
			local(d, &one[i].nodeid);
		break;
	case FUSE_LINK:
		local(d, &((struct fuse_link_in *)body)->oldnodeid);
		break;
	case FUSE_RENAME:
		local(d, &((struct fuse_rename_in *)body)->newdir);
		break;
	case FUSE_RENAME2:
		local(d, &((struct fuse_rename2_in *)body)->newdir);
		break;
	case FUSE_COPY_FILE_RANGE:
		local(d, &((struct fuse_copy_file_range_in *)body)->nodeid_out);
		break;
	case FUSE_IOMAP_BEGIN:
		local(d, &((struct fuse_iomap_begin_in *)body)->attr_ino);
		break;
	case FUSE_IOMAP_END:
		local(d, &((struct fuse_iomap_end_in *)body)->attr_ino);
		break;
	case FUSE_IOMAP_IOEND:
		local(d, &((struct fuse_iomap_ioend_in *)body)->attr_ino);
		break;
	}
}

/*
 * The two per-inode notifications start with nodeid and attr_ino; the
 * --probe-notify messages may be a little shorter or longer than those.
 */
const void *pers_notify_body(const struct fusetd *d, uint32_t code,
			     const void *body, size_t len, void *tmp,
			     size_t tmp_len)
{
	uint64_t *ids = tmp;

	if (!d->nodeid_shift || len < 2 * sizeof(uint64_t) || len > tmp_len ||
	    (code != FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS &&
	     code != FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS))
		return body;
	memcpy(tmp, body, len);
	ids[0] = pers_wire_nodeid(d, ids[0]);
	ids[1] = pers_wire_nodeid(d, ids[1]);
	return tmp;
}

/* libfuse 3.99 sends mapping notifications only to a 7.99 kernel. */
int pers_may_notify(const struct fusetd *d)
{
	return d->personality != FT_PERS_FUSE4FS ||
	       d->kernel_minor >= FT_IOMAP_MINOR;
}

int pers_retry_cache(const struct fusetd *d)
{
	return d->personality == FT_PERS_FUSE4FS && d->iomap &&
	       d->cache_maxbytes && pers_may_notify(d) && !d->inject &&
	       !d->faults;
}

/* A frozen filesystem is clean on disk: write the metadata back. */
int op_freeze_fs(struct fusetd *d, const struct ft_req *r)
{
	int err;

	stats_event(d->stats, FT_EV_FREEZE, 1);
	err = store_sync(&d->st);
	return err ? err : reply_ok(d, r, NULL, 0);
}

int op_unfreeze_fs(struct fusetd *d, const struct ft_req *r)
{
	stats_event(d->stats, FT_EV_UNFREEZE, 1);
	return reply_ok(d, r, NULL, 0);
}

int op_shutdown_fs(struct fusetd *d, const struct ft_req *r)
{
	stats_event(d->stats, FT_EV_SHUTDOWN, 1);
	return reply_ok(d, r, NULL, 0);
}
