// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd iomap mode: mapping notifications to the kernel's mapping cache.
 *
 * The kernel caches what FUSE_IOMAP_BEGIN answers; fusetd also pushes
 * mappings ahead of use (FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS): a file's
 * first extents when it is opened, blocks an ioend converted or remapped,
 * preallocated ranges, and (--map-ahead) the rest of a read that missed.
 * It takes back ranges its own metadata changes touched
 * (FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS), although the kernel drops them
 * itself around the requests that cause them.
 *
 * --probe-notify sends a battery of malformed notifications about the
 * first iomap file opened and prints "probe-notify NAME RESULT" lines, so
 * that a test can check each errno.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/uio.h>

#include "fusedev.h"
#include "proto.h"

/*
 * Send one notification; 0 or the negative errno the kernel answered
 * (-EOPNOTSUPP, unsent, under --personality fuse4fs with a kernel older
 * than 7.99).  Node ids go out as the wire has them (personality.c).
 */
int notify_send(struct fusetd *d, uint32_t code, const void *body,
		size_t len)
{
	uint64_t tmp[sizeof(struct fuse_iomap_upsert_mappings_out) / 8 + 1];
	struct iovec iov[2] = { [1] = { NULL, len } };
	int err;

	if (!pers_may_notify(d))
		return -EOPNOTSUPP;
	iov[1].iov_base = (void *)pers_notify_body(d, code, body, len, tmp,
						   sizeof(tmp));
	err = fusedev_send(d->fuse_fd, 0, (int32_t)code, 0, iov, 2);
	if (err) {
		stats_event(d->stats, FT_EV_NOTIFY_REFUSED, 1);
		return err;
	}
	stats_count_notify(d->stats, code);
	return 0;
}

/*
 * The upsert for the piece of ino's file at block lblk, at most n blocks;
 * returns the number of blocks it covers.  Shared blocks, and blocks with
 * a COW fork, are not for writing in place: their write mapping is left
 * uncached.
 */
static uint64_t upsert_piece(struct fusetd *d, uint64_t ino,
			     struct ft_inode *inode, uint64_t lblk, uint64_t n,
			     struct fuse_iomap_upsert_mappings_out *up)
{
	static const struct fuse_iomap_io nocache = {
		.addr = FUSE_IOMAP_NULL_ADDR,
		.type = FUSE_IOMAP_TYPE_NOCACHE,
	};
	struct ft_extent c;
	struct ft_map m;
	int shared, in_place;

	*up = (struct fuse_iomap_upsert_mappings_out) {
		.nodeid = ino,
		.attr_ino = ino,
		.write = nocache,
	};
	/* --fault stale-map: push the lie too, but never to write to */
	m.len = fault_stale_map(d, inode, lblk, n, &up->read);
	if (m.len)
		return m.len;
	ext_map(&d->st, inode, lblk, &m);
	if (m.len > n)
		m.len = n;
	if (m.type == FT_MAP_HOLE) {
		iomap_map_hole(lblk, m.len, &up->read);
		return m.len;
	}
	shared = block_shared(&d->st, m.pblk);
	m.len = block_run(&d->st, m.pblk, m.len, shared);
	in_place = !shared;
	if (!cow_find(&d->st, ino, lblk, &c)) {
		if (m.len > c.lblk + c.len - lblk)
			m.len = c.lblk + c.len - lblk;
		in_place = 0;
	} else if (c.lblk > lblk && m.len > c.lblk - lblk) {
		m.len = c.lblk - lblk;
	}
	iomap_map_blocks(d, lblk, m.type, m.pblk, m.len, &up->read);
	/*
	 * A read mapping upserted without a write mapping is a place to
	 * write, too: flag it SHARED where writes must go elsewhere.
	 */
	if (!in_place)
		up->read.flags = FUSE_IOMAP_F_SHARED;
	if (in_place)
		up->write.type = FUSE_IOMAP_TYPE_PURE_OVERWRITE;
	return m.len;
}

/* Does the kernel cache mappings, and may it be told about them? */
static int notify_on(const struct fusetd *d)
{
	return d->iomap && d->cache_maxbytes && pers_may_notify(d);
}

/*
 * Push the mappings of blocks [lblk, lblk + n) of a file, at most max
 * notifications' worth.  Only when the kernel caches mappings.  Returns
 * the number of blocks from lblk on whose mappings the kernel took.
 */
uint64_t notify_upsert_range(struct fusetd *d, struct ft_inode *inode,
			     uint64_t lblk, uint64_t n, unsigned int max)
{
	uint64_t ino = store_ino(&d->st, inode), got, done = 0;
	struct fuse_iomap_upsert_mappings_out up;

	/* an inline file's data travels with each begin reply, uncached */
	if (!notify_on(d) || inline_file(inode))
		return 0;
	while (n && max--) {
		got = upsert_piece(d, ino, inode, lblk, n, &up);
		if (!got || notify_send(d, FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS,
					&up, sizeof(up)))
			break;
		lblk += got;
		n -= got;
		done += got;
	}
	return done;
}

/*
 * One upsert for the piece of a file at block lblk, counted in *n; the
 * blocks it covers, or 0 if there was none or the kernel refused it.
 */
uint64_t notify_upsert_one(struct fusetd *d, struct ft_inode *inode,
			   uint64_t lblk, uint64_t *n)
{
	uint64_t ino = store_ino(&d->st, inode), got;
	struct fuse_iomap_upsert_mappings_out up;

	if (!notify_on(d) || inline_file(inode))
		return 0;
	got = upsert_piece(d, ino, inode, lblk, FT_MAX_BLOCKS - lblk, &up);
	if (!got)
		return 0;
	(*n)++;
	return notify_send(d, FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS, &up,
			   sizeof(up)) ? 0 : got;
}

/*
 * --dev-inval-on-fsync: take back every mapping of the image's device and
 * count the time the kernel took over it in "dev_inval_ns" (the write of
 * the notification returns once the kernel's caches have let go).
 */
void notify_dev_inval_all(struct fusetd *d)
{
	struct fuse_iomap_dev_inval_out inv = {
		.dev = d->dev_cookie,
		.range = { .offset = 0, .length = FUSE_IOMAP_INVAL_TO_EOF },
	};
	struct timespec t0, t1;

	if (!notify_on(d))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (notify_send(d, FUSE_NOTIFY_IOMAP_DEV_INVAL, &inv, sizeof(inv)))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	stats_event(d->stats, FT_EV_DEV_INVAL_NS,
		    (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u +
		    (uint64_t)t1.tv_nsec - (uint64_t)t0.tv_nsec);
}

/* The blocks from 0 to EOF, for pushing a file's map when it is opened. */
void notify_upsert_file(struct fusetd *d, struct ft_inode *inode)
{
	uint64_t blocks = (inode->size + FT_BLOCK_SIZE - 1) / FT_BLOCK_SIZE;

	notify_upsert_range(d, inode, 0, blocks, d->upsert_on_open);
}

/*
 * --map-ahead: a read the kernel had no mapping for, whose answer covers
 * only the start of the range asked for (blocks [lblk, lblk + want)),
 * also pushes the mappings of the rest of that range, at most
 * d->map_ahead blocks: the kernel said it is about to read them, so a file
 * of many small extents costs an upcall per read, not one per extent.
 * The pushes start at lblk: they move the inode's sequence number, so the
 * kernel does not cache the begin reply itself.  Nothing beyond the range
 * is pushed: every upsert is a write(2), about 0.2 ms against an upcall's
 * 0.7 ms under emulation (Documentation/dev/bench.rst).
 */
void notify_map_ahead(struct fusetd *d, struct ft_inode *inode,
		      uint64_t lblk, uint64_t want, uint64_t answered)
{
	if (answered >= want || !d->map_ahead)
		return;
	if (want > d->map_ahead)
		want = d->map_ahead;
	notify_upsert_range(d, inode, lblk, want, (unsigned int)want);
}

/*
 * Take back both kinds of mapping of the blocks under a byte range
 * (length ~0: to EOF).
 */
void notify_inval_range(struct fusetd *d, uint64_t ino, uint64_t off,
			uint64_t len)
{
	uint64_t start = off / FT_BLOCK_SIZE * FT_BLOCK_SIZE, end;
	struct fuse_iomap_inval_mappings_out inv = {
		.nodeid = ino,
		.attr_ino = ino,
	};

	if (!notify_on(d) || !len)
		return;
	if (len == FUSE_IOMAP_INVAL_TO_EOF || off + len < off ||
	    off + len > FT_MAX_SIZE) {
		len = FUSE_IOMAP_INVAL_TO_EOF;
	} else {
		end = (off + len + FT_BLOCK_SIZE - 1) / FT_BLOCK_SIZE *
		      FT_BLOCK_SIZE;
		len = end - start;
	}
	inv.read = (struct fuse_range) { start, len };
	inv.write = inv.read;
	notify_send(d, FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS, &inv, sizeof(inv));
}

/* --probe-notify: how the kernel answers each kind of bad notification. */
struct probe {
	const char *name;
	uint32_t code;
	size_t size_delta;	/* added to the struct's size */
	void (*mutate)(struct fusetd *d, void *msg);
};

#define BS FT_BLOCK_SIZE

static void up_valid(struct fusetd *d, void *msg)
{
	struct fuse_iomap_upsert_mappings_out *up = msg;

	/* the file's first block, as the probes' file has it: a hole */
	(void)d;
	up->read = (struct fuse_iomap_io) {
		.offset = 0, .length = BS, .addr = FUSE_IOMAP_NULL_ADDR,
		.type = FUSE_IOMAP_TYPE_HOLE,
	};
	up->write = (struct fuse_iomap_io) {
		.addr = FUSE_IOMAP_NULL_ADDR,
		.type = FUSE_IOMAP_TYPE_NOCACHE,
	};
}

static void up_blocks(struct fusetd *d, struct fuse_iomap_io *io)
{
	*io = (struct fuse_iomap_io) {
		.offset = 0, .length = BS, .addr = 0,
		.type = FUSE_IOMAP_TYPE_MAPPED, .dev = d->dev_cookie,
	};
}

static void up_unknown_nodeid(struct fusetd *d, void *msg)
{
	struct fuse_iomap_upsert_mappings_out *up = msg;

	up_valid(d, msg);
	up->nodeid = 1ULL << 40;
	up->attr_ino = up->nodeid;
}

static void up_root(struct fusetd *d, void *msg)
{
	struct fuse_iomap_upsert_mappings_out *up = msg;

	up_valid(d, msg);
	up->nodeid = FUSE_ROOT_ID;
	up->attr_ino = FUSE_ROOT_ID;
}

static void up_attr_ino(struct fusetd *d, void *msg)
{
	struct fuse_iomap_upsert_mappings_out *up = msg;

	up_valid(d, msg);
	up->attr_ino++;
}

static void up_misaligned(struct fusetd *d, void *msg)
{
	struct fuse_iomap_upsert_mappings_out *up = msg;

	up_valid(d, msg);
	up->read.offset = 512;
}

static void up_zero_length(struct fusetd *d, void *msg)
{
	struct fuse_iomap_upsert_mappings_out *up = msg;

	up_valid(d, msg);
	up->read.length = 0;
}

static void up_overflow(struct fusetd *d, void *msg)
{
	struct fuse_iomap_upsert_mappings_out *up = msg;

	up_valid(d, msg);
	up->read.offset = (FT_MAX_SIZE - BS);
	up->read.length = ~0ULL - BS + 1;
}

static void up_past_device(struct fusetd *d, void *msg)
{
	struct fuse_iomap_upsert_mappings_out *up = msg;

	up_valid(d, msg);
	up_blocks(d, &up->read);
	up->read.addr = 1ULL << 50;
}

static void up_unknown_dev(struct fusetd *d, void *msg)
{
	struct fuse_iomap_upsert_mappings_out *up = msg;

	up_valid(d, msg);
	up_blocks(d, &up->read);
	up->read.dev = d->dev_cookie + 100;
}

static void up_retry(struct fusetd *d, void *msg)
{
	struct fuse_iomap_upsert_mappings_out *up = msg;

	up_valid(d, msg);
	up->read = (struct fuse_iomap_io) {
		.addr = FUSE_IOMAP_NULL_ADDR,
		.type = FUSE_IOMAP_TYPE_RETRY_CACHE,
	};
}

static void up_inline(struct fusetd *d, void *msg)
{
	struct fuse_iomap_upsert_mappings_out *up = msg;

	up_valid(d, msg);
	up->read.type = FUSE_IOMAP_TYPE_INLINE;
}

static void up_new(struct fusetd *d, void *msg)
{
	struct fuse_iomap_upsert_mappings_out *up = msg;

	up_valid(d, msg);
	up_blocks(d, &up->read);
	up->read.flags = FUSE_IOMAP_F_NEW;
}

static void up_write_hole(struct fusetd *d, void *msg)
{
	struct fuse_iomap_upsert_mappings_out *up = msg;

	up_valid(d, msg);
	up->write = up->read;
}

static void up_bad_type(struct fusetd *d, void *msg)
{
	struct fuse_iomap_upsert_mappings_out *up = msg;

	up_valid(d, msg);
	up->read.type = 77;
}

static void inv_valid(struct fusetd *d, void *msg)
{
	struct fuse_iomap_inval_mappings_out *inv = msg;

	(void)d;
	inv->read = (struct fuse_range) { 0, BS };
	inv->write = (struct fuse_range) { 0, FUSE_IOMAP_INVAL_TO_EOF };
}

static void inv_misaligned(struct fusetd *d, void *msg)
{
	struct fuse_iomap_inval_mappings_out *inv = msg;

	inv_valid(d, msg);
	inv->read.length = 100;
}

static void inv_overflow(struct fusetd *d, void *msg)
{
	struct fuse_iomap_inval_mappings_out *inv = msg;

	inv_valid(d, msg);
	inv->write = (struct fuse_range) { 1ULL << 40, ~0ULL - BS + 1 };
}

static void inv_unknown_nodeid(struct fusetd *d, void *msg)
{
	struct fuse_iomap_inval_mappings_out *inv = msg;

	inv_valid(d, msg);
	inv->nodeid = 1ULL << 40;
	inv->attr_ino = inv->nodeid;
}

static void dev_valid(struct fusetd *d, void *msg)
{
	struct fuse_iomap_dev_inval_out *inv = msg;

	memset(inv, 0, sizeof(*inv));
	inv->dev = d->dev_cookie;
	/* 62 reads this block of the device first, to see it dropped */
	inv->range = (struct fuse_range) { 1ULL << 28, BS };
}

/* notifications of protocols 7.44 and 7.45, which the kernel lacks */
static void later_protocol(struct fusetd *d, void *msg)
{
	(void)d;
	memset(msg, 0, 16);
}

static void dev_unknown(struct fusetd *d, void *msg)
{
	struct fuse_iomap_dev_inval_out *inv = msg;

	dev_valid(d, msg);
	inv->dev = d->dev_cookie + 100;
}

static void dev_overflow(struct fusetd *d, void *msg)
{
	struct fuse_iomap_dev_inval_out *inv = msg;

	dev_valid(d, msg);
	inv->range.length = ~0ULL - BS + 1;
}

static void dev_reserved(struct fusetd *d, void *msg)
{
	struct fuse_iomap_dev_inval_out *inv = msg;

	dev_valid(d, msg);
	inv->reserved = 1;
}

#define UPSERT	FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS
#define INVAL	FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS
#define DEVINV	FUSE_NOTIFY_IOMAP_DEV_INVAL
#define INC_EPOCH	8	/* FUSE_NOTIFY_INC_EPOCH, 7.44: no payload */
#define PRUNE		9	/* FUSE_NOTIFY_PRUNE, 7.45: count, spare */

static const struct probe probes[] = {
	{ "upsert-short", UPSERT, (size_t)-8, up_valid },
	{ "upsert-long", UPSERT, 8, up_valid },
	{ "upsert-unknown-nodeid", UPSERT, 0, up_unknown_nodeid },
	{ "upsert-not-iomap", UPSERT, 0, up_root },
	{ "upsert-wrong-attr-ino", UPSERT, 0, up_attr_ino },
	{ "upsert-misaligned", UPSERT, 0, up_misaligned },
	{ "upsert-zero-length", UPSERT, 0, up_zero_length },
	{ "upsert-overflow", UPSERT, 0, up_overflow },
	{ "upsert-past-device", UPSERT, 0, up_past_device },
	{ "upsert-unknown-dev", UPSERT, 0, up_unknown_dev },
	{ "upsert-retry-cache", UPSERT, 0, up_retry },
	{ "upsert-inline", UPSERT, 0, up_inline },
	{ "upsert-new", UPSERT, 0, up_new },
	{ "upsert-write-hole", UPSERT, 0, up_write_hole },
	{ "upsert-bad-type", UPSERT, 0, up_bad_type },
	{ "inval-short", INVAL, (size_t)-8, inv_valid },
	{ "inval-misaligned", INVAL, 0, inv_misaligned },
	{ "inval-overflow", INVAL, 0, inv_overflow },
	{ "inval-unknown-nodeid", INVAL, 0, inv_unknown_nodeid },
	{ "devinval-long", DEVINV, 8, dev_valid },
	{ "devinval-unknown-dev", DEVINV, 0, dev_unknown },
	{ "devinval-overflow", DEVINV, 0, dev_overflow },
	{ "devinval-reserved", DEVINV, 0, dev_reserved },
	{ "inc-epoch", INC_EPOCH, 0, later_protocol },
	{ "prune", PRUNE, 0, later_protocol },
	/* and the valid ones, last */
	{ "upsert-valid", UPSERT, 0, up_valid },
	{ "inval-valid", INVAL, 0, inv_valid },
	{ "devinval-valid", DEVINV, 0, dev_valid },
};

static size_t probe_size(uint32_t code)
{
	switch (code) {
	case UPSERT:
		return sizeof(struct fuse_iomap_upsert_mappings_out);
	case INVAL:
		return sizeof(struct fuse_iomap_inval_mappings_out);
	case INC_EPOCH:
		return 0;
	case PRUNE:
		return 16;
	}
	return sizeof(struct fuse_iomap_dev_inval_out);
}

void notify_probe(struct fusetd *d, uint64_t ino)
{
	unsigned int i;

	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		/* room for every message and its "long" variant */
		uint64_t msg[(sizeof(struct fuse_iomap_upsert_mappings_out) +
			      8) / 8] = { 0 };
		int ret;

		/* nodeid and attr_ino lead both per-inode messages */
		msg[0] = ino;
		msg[1] = ino;
		probes[i].mutate(d, msg);
		ret = notify_send(d, probes[i].code, msg,
				  probe_size(probes[i].code) +
				  probes[i].size_delta);
		printf("probe-notify %s %s\n", probes[i].name,
		       ret ? strerror(-ret) : "accepted");
	}
	fflush(stdout);
}
