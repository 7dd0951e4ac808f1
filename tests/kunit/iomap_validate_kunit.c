// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: validation of FUSE_IOMAP_BEGIN replies, one case per rule, and
 * the conversions between wire mappings and struct iomap.
 */

#include <kunit/test.h>
#include <linux/iomap.h>
#include <linux/limits.h>
#include <linux/sizes.h>

#include "../fuse_i.h"

#define BS		4096ULL
#define DEV_SIZE	SZ_1G
#define NULLA		FUSE_IOMAP_NULL_ADDR

/* Device cookies of the fake device table. */
enum { DEV_RW = 1, DEV_RO = 2, DEV_GONE = 3, DEV_RW2 = 4, DEV_NONE = 7 };

static const struct fuse_iomap_limits lim = {
	.blocksize = BS,
	.maxbytes = 1ULL << 40,
};

static const struct fuse_iomap_devinfo devs[] = {
	[DEV_RW] = { .found = true, .writable = true, .size = DEV_SIZE },
	[DEV_RO] = { .found = true, .writable = false, .size = DEV_SIZE },
	[DEV_GONE] = { .found = true, .writable = true, .size = 0 },
	[DEV_RW2] = { .found = true, .writable = true, .size = DEV_SIZE },
};

static const struct fuse_iomap_devinfo *lookup(u32 dev)
{
	return dev < ARRAY_SIZE(devs) && devs[dev].found ? &devs[dev] : NULL;
}

#define IO(t, o, l, a, d, f) { .offset = (o), .length = (l), .addr = (a), \
			       .type = FUSE_IOMAP_TYPE_##t, .flags = (f), \
			       .dev = (d) }
#define MAPPED(o, l, a)	IO(MAPPED, o, l, a, DEV_RW, 0)
#define UNWRITTEN(o, l, a) IO(UNWRITTEN, o, l, a, DEV_RW, 0)
#define HOLE(o, l)	IO(HOLE, o, l, NULLA, 0, 0)
#define PURE		IO(PURE_OVERWRITE, 0, 0, NULLA, 0, 0)

#define RD		0
#define DIO_RD		FUSE_IOMAP_OP_DIRECT
#define WR		FUSE_IOMAP_OP_WRITE
#define DIO_WR		(FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_DIRECT)
#define WB		(FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_WRITEBACK)
#define WFAULT		(FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_FAULT)
#define UNSHARE		(FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_UNSHARE)
#define ZERO		FUSE_IOMAP_OP_ZERO
#define REPORT		FUSE_IOMAP_OP_REPORT

#define INL(o, l)	IO(INLINE, o, l, NULLA, 0, 0)
#define PG		PAGE_SIZE

struct begin_case {
	const char *desc;
	struct fuse_iomap_io read, write;
	u32 opflags;
	u64 pos;
	int err;
	const char *rule;	/* expected rule text, NULL when valid */
	u64 isize;		/* i_size when the request was sent */
	bool inline_buf;	/* the request offered room for inline data */
	u32 inline_bytes;	/* inline data in the reply */
	bool inline_fetch;	/* no payload: the kernel reads the data */
	unsigned int blocksize;	/* 0: BS */
};

static const struct begin_case begin_cases[] = {
	/* valid replies */
	{ "direct read of a mapped extent", MAPPED(0, 8 * BS, 64 * BS), PURE,
	  DIO_RD, 3 * BS, 0, NULL },
	{ "read of a hole", HOLE(0, 16 * BS), PURE, DIO_RD, 0, 0, NULL },
	{ "read of an unwritten extent", UNWRITTEN(BS, BS, 0), PURE,
	  DIO_RD, BS + 100, 0, NULL },

	{ "direct write through a pure overwrite", MAPPED(0, BS, 0), PURE,
	  DIO_WR, 0, 0, NULL },
	{ "direct write to a separate write mapping", HOLE(0, 4 * BS),
	  MAPPED(0, 4 * BS, 8 * BS), DIO_WR, 2 * BS, 0, NULL },
	{ "direct write into an unwritten extent", HOLE(0, BS),
	  UNWRITTEN(0, BS, BS), DIO_WR, 0, 0, NULL },
	{ "read ignores a garbage write mapping", HOLE(0, BS),
	  IO(HOLE, 1, 0, 5, 9, 0xffff), RD, 0, 0, NULL },
	{ "buffered write to delalloc", HOLE(0, BS),
	  IO(DELALLOC, 0, BS, NULLA, 0, 0), WR, 0, 0, NULL },
	{ "mapping ends exactly at the device end",
	  MAPPED(0, BS, DEV_SIZE - BS), PURE, DIO_WR, 0, 0, NULL },
	{ "read from a read-only device", IO(MAPPED, 0, BS, 0, DEV_RO, 0),
	  PURE, DIO_RD, 0, 0, NULL },
	{ "flags a server may set", IO(MAPPED, 0, BS, 0, DEV_RW, 0x9f), PURE,
	  DIO_RD, 0, 0, NULL },

	/* one violation each */
	{ "kernel-only flag SIZE_CHANGED",
	  IO(MAPPED, 0, BS, 0, DEV_RW, FUSE_IOMAP_F_SIZE_CHANGED), PURE, RD,
	  0, -EFSCORRUPTED, "unknown or kernel-only mapping flags" },
	{ "kernel-only flag STALE",
	  IO(MAPPED, 0, BS, 0, DEV_RW, FUSE_IOMAP_F_STALE), PURE, RD, 0,
	  -EFSCORRUPTED, "unknown or kernel-only mapping flags" },
	{ "undefined flag bit 15", IO(MAPPED, 0, BS, 0, DEV_RW, 0x8000), PURE,
	  RD, 0, -EFSCORRUPTED, "unknown or kernel-only mapping flags" },
	{ "anon-write flag unsupported on 6.12",
	  IO(MAPPED, 0, BS, 0, DEV_RW, FUSE_IOMAP_F_ANON_WRITE), PURE, RD, 0,
	  -EFSCORRUPTED, "unknown or kernel-only mapping flags" },
	{ "zero length", MAPPED(0, 0, 0), PURE, RD, 0, -EFSCORRUPTED,
	  "zero length" },
	{ "offset not block aligned", MAPPED(512, BS, 0), PURE, RD, 512,
	  -EFSCORRUPTED, "file offset not block aligned" },
	{ "length not block aligned", MAPPED(0, BS + 512, 0), PURE, RD, 0,
	  -EFSCORRUPTED, "length not block aligned" },
	{ "offset at the maximum file size", MAPPED(1ULL << 40, BS, 0), PURE,
	  RD, 1ULL << 40, -EFSCORRUPTED,
	  "file offset beyond the maximum file size" },
	{ "offset + length overflows", MAPPED(BS, U64_MAX - BS + 1, 0), PURE,
	  RD, BS, -EFSCORRUPTED, "file offset + length overflows" },
	{ "mapped without a device", IO(MAPPED, 0, BS, 0, 0, 0), PURE, RD, 0,
	  -EFSCORRUPTED, "mapping with blocks names no device" },
	{ "unwritten without a device", IO(UNWRITTEN, 0, BS, 0, 0, 0), PURE,
	  RD, 0, -EFSCORRUPTED, "mapping with blocks names no device" },
	{ "unknown device cookie", IO(MAPPED, 0, BS, 0, DEV_NONE, 0), PURE,
	  RD, 0, -EFSCORRUPTED, "unknown device cookie" },
	{ "mapped with the null address", MAPPED(0, BS, NULLA), PURE, RD, 0,
	  -EFSCORRUPTED, "mapping with blocks has no address" },
	{ "device address not sector aligned", MAPPED(0, BS, 100), PURE, RD,
	  0, -EFSCORRUPTED, "device address not sector aligned" },
	{ "device address + length overflows",
	  MAPPED(0, BS, U64_MAX - 511 - 512), PURE, RD, 0, -EFSCORRUPTED,
	  "device address + length overflows" },
	{ "mapping beyond the end of the device",
	  MAPPED(0, 2 * BS, DEV_SIZE - BS), PURE, RD, 0, -EFSCORRUPTED,
	  "mapping beyond the end of the device" },
	{ "device that went away", IO(MAPPED, 0, BS, 0, DEV_GONE, 0), PURE,
	  RD, 0, -EINVAL, "device has no size (gone?)" },
	{ "hole naming a device", IO(HOLE, 0, BS, NULLA, DEV_RW, 0), PURE, RD,
	  0, -EFSCORRUPTED, "mapping without blocks names a device" },
	{ "hole with an address", IO(HOLE, 0, BS, 0, 0, 0), PURE, RD, 0,
	  -EFSCORRUPTED, "mapping without blocks has an address" },
	{ "delalloc naming a device", HOLE(0, BS),
	  IO(DELALLOC, 0, BS, NULLA, DEV_RW, 0), WR, 0, -EFSCORRUPTED,
	  "mapping without blocks names a device" },
	{ "inline mapping longer than a page",
	  IO(INLINE, 0, 2 * PAGE_SIZE, NULLA, 0, 0), PURE, RD, 0,
	  -EFSCORRUPTED, "inline mapping longer than a page" },
	{ "pure overwrite as the read mapping", PURE, PURE, RD, 0,
	  -EFSCORRUPTED, "pure overwrite as a read mapping" },
	{ "pure overwrite with flags", MAPPED(0, BS, 0),
	  IO(PURE_OVERWRITE, 0, 0, NULLA, 0, FUSE_IOMAP_F_NEW), DIO_WR, 0,
	  -EFSCORRUPTED,
	  "instruction carries flags, device or address" },
	{ "pure overwrite with a device", MAPPED(0, BS, 0),
	  IO(PURE_OVERWRITE, 0, 0, NULLA, DEV_RW, 0), DIO_WR, 0,
	  -EFSCORRUPTED,
	  "instruction carries flags, device or address" },
	{ "do-not-cache as the read mapping",
	  IO(NOCACHE, 0, 0, NULLA, 0, 0), PURE, RD, 0, -EFSCORRUPTED,
	  "do-not-cache in a begin reply" },
	{ "do-not-cache as the write mapping", MAPPED(0, BS, 0),
	  IO(NOCACHE, 0, 0, NULLA, 0, 0), DIO_WR, 0, -EFSCORRUPTED,
	  "do-not-cache in a begin reply" },
	{ "retry-cache without a cache", IO(RETRY_CACHE, 0, 0, NULLA, 0, 0),
	  PURE, RD, 0, -EFSCORRUPTED, "retry-cache without a mapping cache" },
	{ "read mapping starts after the position", MAPPED(BS, BS, 0), PURE,
	  RD, 0, -EFSCORRUPTED, "read mapping does not cover the position" },
	{ "read mapping ends at the position", MAPPED(0, BS, 0), PURE, RD, BS,
	  -EFSCORRUPTED, "read mapping does not cover the position" },
	{ "write mapping does not cover the position", HOLE(0, 4 * BS),
	  MAPPED(0, BS, 0), DIO_WR, 2 * BS, -EFSCORRUPTED,
	  "write mapping does not cover the position" },
	{ "write into a hole", HOLE(0, BS), HOLE(0, BS), DIO_WR, 0,
	  -EFSCORRUPTED, "write into a hole" },
	{ "pure overwrite of a hole", HOLE(0, BS), PURE, WR, 0,
	  -EFSCORRUPTED, "write into a hole" },
	{ "zeroing a hole", HOLE(0, BS), PURE,
	  FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_ZERO, 0, 0, NULL },
	{ "zeroing with a hole write mapping", HOLE(0, BS), HOLE(0, BS),
	  FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_ZERO, 0, 0, NULL },
	{ "direct write to delalloc", HOLE(0, BS),
	  IO(DELALLOC, 0, BS, NULLA, 0, 0), DIO_WR, 0, -EFSCORRUPTED,
	  "delalloc mapping for direct I/O" },
	{ "direct read of delalloc", IO(DELALLOC, 0, BS, NULLA, 0, 0), PURE,
	  DIO_RD, 0, -EFSCORRUPTED, "delalloc mapping for direct I/O" },
	{ "write mapping on a read-only device", HOLE(0, BS),
	  IO(MAPPED, 0, BS, 0, DEV_RO, 0), DIO_WR, 0, -EFSCORRUPTED,
	  "write mapping on a read-only device" },
	{ "pure overwrite on a read-only device",
	  IO(MAPPED, 0, BS, 0, DEV_RO, 0), PURE, DIO_WR, 0, -EFSCORRUPTED,
	  "write mapping on a read-only device" },
	{ "bad write mapping in a write", HOLE(0, BS), MAPPED(0, 0, 0),
	  DIO_WR, 0, -EFSCORRUPTED, "zero length" },
	{ "writeback to delalloc", HOLE(0, BS),
	  IO(DELALLOC, 0, BS, NULLA, 0, 0), WB, 0, -EFSCORRUPTED,
	  "writeback mapping without blocks" },
	{ "writeback pure overwrite of delalloc",
	  IO(DELALLOC, 0, BS, NULLA, 0, 0), PURE, WB, 0, -EFSCORRUPTED,
	  "writeback mapping without blocks" },
	{ "writeback into a hole", HOLE(0, BS), PURE, WB, 0, -EFSCORRUPTED,
	  "write into a hole" },
	{ "unshare from a source marked new",
	  IO(MAPPED, 0, BS, 0, DEV_RW, FUSE_IOMAP_F_NEW),
	  IO(MAPPED, 0, BS, BS, DEV_RW, FUSE_IOMAP_F_SHARED), UNSHARE, 0,
	  -EFSCORRUPTED, "unshare source marked new" },
	{ "out-of-place write from another device",
	  IO(MAPPED, 0, BS, 0, DEV_RW2, 0),
	  IO(MAPPED, 0, BS, BS, DEV_RW, FUSE_IOMAP_F_SHARED), WR, 0,
	  -EFSCORRUPTED, "out-of-place write from another device" },
	{ "unwritten write over a source on another device",
	  IO(UNWRITTEN, 0, BS, 0, DEV_RW2, 0), UNWRITTEN(0, BS, BS), DIO_WR, 0,
	  -EFSCORRUPTED, "out-of-place write from another device" },
	/* buffered and writeback replies that are fine */
	{ "delalloc write over a source on any device",
	  IO(MAPPED, 0, BS, 0, DEV_RW2, 0), IO(DELALLOC, 0, BS, NULLA, 0, 0),
	  WR, 0, 0, NULL },
	{ "write over a hole on another device", HOLE(0, BS),
	  IO(MAPPED, 0, BS, 0, DEV_RW2, 0), WR, 0, 0, NULL },
	{ "unshare out of place", MAPPED(0, BS, 0),
	  IO(MAPPED, 0, BS, BS, DEV_RW, FUSE_IOMAP_F_SHARED), UNSHARE, 0, 0,
	  NULL },
	{ "unshare of a block that is not shared", MAPPED(0, BS, 0), PURE,
	  UNSHARE, 0, 0, NULL },
	{ "unshare of a hole", HOLE(0, BS), PURE, UNSHARE, 0, 0, NULL },
	{ "buffered write marks a fresh source new",
	  IO(MAPPED, 0, BS, 0, DEV_RW, FUSE_IOMAP_F_NEW),
	  IO(MAPPED, 0, BS, BS, DEV_RW, FUSE_IOMAP_F_SHARED), WR, 0, 0, NULL },
	{ "buffered write to delalloc", HOLE(0, BS),
	  IO(DELALLOC, 0, BS, NULLA, 0, 0), WR, 0, 0, NULL },
	{ "writeback to unwritten blocks", HOLE(0, BS), UNWRITTEN(0, BS, 0),
	  WB, 0, 0, NULL },
	{ "writeback out of place", MAPPED(0, BS, 0),
	  IO(MAPPED, 0, BS, BS, DEV_RW, FUSE_IOMAP_F_SHARED), WB, 0, 0, NULL },

	/* inline data: valid replies */
	{ "inline read of a small file", INL(0, BS), PURE, RD, 0, 0, NULL,
	  .isize = 100, .inline_buf = true, .inline_bytes = 100 },
	{ "inline read of an empty file", INL(0, BS), PURE, RD, 0, 0, NULL,
	  .isize = 0, .inline_buf = true, .inline_bytes = 0 },
	{ "inline data of exactly a page", INL(0, PG), PURE, RD, PG - 1, 0,
	  NULL, .isize = PG, .inline_buf = true, .inline_bytes = PG },
	{ "inline mapping ends exactly at EOF", INL(BS, BS), PURE, RD, BS + 9,
	  0, NULL, .isize = 2 * BS, .inline_buf = true, .inline_bytes = BS },
	{ "inline data past EOF, within the mapping", INL(0, BS), PURE, RD,
	  0, 0, NULL, .isize = 100, .inline_buf = true, .inline_bytes = 300 },
	{ "direct read of inline data", INL(0, BS), PURE, DIO_RD, 0, 0, NULL,
	  .isize = 100, .inline_buf = true, .inline_bytes = 100 },
	{ "report of an inline tail", INL(BS, BS), PURE, REPORT, BS, 0, NULL,
	  .isize = BS + 5, .inline_buf = true, .inline_bytes = 5 },
	{ "read fault of inline data", INL(0, BS), PURE, FUSE_IOMAP_OP_FAULT,
	  0, 0, NULL, .isize = 100, .inline_buf = true, .inline_bytes = 100 },
	{ "buffered write through pure overwrite of inline data", INL(0, BS),
	  PURE, WR, 50, 0, NULL,
	  .isize = 100, .inline_buf = true, .inline_bytes = 100 },
	{ "extending write into an inline mapping", INL(0, BS), PURE, WR, 200,
	  0, NULL, .isize = 100, .inline_buf = true, .inline_bytes = 100 },
	{ "direct write through pure overwrite of inline data", INL(0, BS),
	  PURE, DIO_WR, 0, 0, NULL,
	  .isize = 100, .inline_buf = true, .inline_bytes = 100 },
	{ "zeroing inline data", INL(0, BS), PURE, ZERO, 100, 0, NULL,
	  .isize = 100, .inline_buf = true, .inline_bytes = 100 },
	{ "sub-page inline mapping with small blocks", INL(0, 2048), PURE, RD,
	  0, 0, NULL, .isize = 1500, .inline_buf = true, .inline_bytes = 1500,
	  .blocksize = 1024 },
	{ "inline tail ending at the page end", INL(2048, 2048), PURE, RD,
	  3000, 0, NULL, .isize = 4000, .inline_buf = true,
	  .inline_bytes = 1952, .blocksize = 1024 },

	/* inline data without a payload (posted series): read with FUSE_READ */
	{ "payload-less inline read of a small file", INL(0, BS), PURE, RD, 0,
	  0, NULL, .isize = 100, .inline_buf = true, .inline_fetch = true },
	{ "payload-less inline read of a full page", INL(0, PG), PURE, RD,
	  PG - 1, 0, NULL, .isize = PG, .inline_buf = true,
	  .inline_fetch = true },
	{ "payload-less buffered write of an inline file", INL(0, BS), PURE,
	  WR, 50, 0, NULL, .isize = 100, .inline_buf = true,
	  .inline_fetch = true },
	{ "payload-less inline mapping short of EOF", INL(0, BS), PURE, RD, 0,
	  -EFSCORRUPTED, "inline mapping does not reach EOF",
	  .isize = BS + 1, .inline_buf = true, .inline_fetch = true },
	{ "payload-less inline mapping for writeback", INL(0, BS), PURE, WB, 0,
	  -EFSCORRUPTED, "inline mapping for writeback", .isize = 100,
	  .inline_fetch = true },
	{ "payload-less inline mapping far from EOF", INL(0, BS), PURE, RD, 0,
	  -EFSCORRUPTED, "inline mapping without room offered for its data",
	  .isize = 100 * BS },
	{ "payload-less inline write to a tail", INL(BS, BS), PURE, WR, BS,
	  -EFSCORRUPTED, "inline mapping written at a file offset other than 0",
	  .isize = BS + 10, .inline_buf = true, .inline_fetch = true },

	/* inline data: one violation each */
	{ "inline mapping for writeback", INL(0, BS), PURE, WB, 0,
	  -EFSCORRUPTED, "inline mapping for writeback", .isize = 100 },
	{ "inline write mapping for writeback", HOLE(0, BS), INL(0, BS), WB, 0,
	  -EFSCORRUPTED, "inline write mapping without pure overwrite",
	  .isize = 100 },
	{ "inline mapping for a write fault", INL(0, BS), PURE, WFAULT, 0,
	  -EFSCORRUPTED, "inline mapping for a write fault",
	  .isize = 100, .inline_buf = true, .inline_bytes = 100 },
	{ "buffered write to an inline tail", INL(BS, BS), PURE, WR, BS,
	  -EFSCORRUPTED, "inline mapping written at a file offset other than 0",
	  .isize = BS + 10, .inline_buf = true, .inline_bytes = 10 },
	{ "zeroing an inline tail", INL(BS, BS), PURE, ZERO, BS + 10,
	  -EFSCORRUPTED, "inline mapping written at a file offset other than 0",
	  .isize = BS + 10, .inline_buf = true, .inline_bytes = 10 },
	{ "inline mapping for a request far from EOF", INL(0, BS), PURE, RD, 0,
	  -EFSCORRUPTED, "inline mapping without room offered for its data",
	  .isize = 100 * BS },
	{ "inline mapping one byte short of EOF", INL(0, BS), PURE, RD, 0,
	  -EFSCORRUPTED, "inline mapping does not reach EOF",
	  .isize = BS + 1, .inline_buf = true, .inline_bytes = BS },
	{ "inline data short by one byte", INL(0, BS), PURE, RD, 0,
	  -EFSCORRUPTED, "inline data shorter than the file",
	  .isize = 100, .inline_buf = true, .inline_bytes = 99 },
	{ "inline data of a full page short by one byte", INL(0, PG), PURE,
	  RD, 0, -EFSCORRUPTED, "inline data shorter than the file",
	  .isize = PG, .inline_buf = true, .inline_bytes = PG - 1 },
	{ "inline data missing", INL(0, BS), PURE, RD, 0, -EFSCORRUPTED,
	  "inline data shorter than the file",
	  .isize = 100, .inline_buf = true, .inline_bytes = 0 },
	{ "inline data longer than the mapping", INL(0, 1024), PURE, RD, 0,
	  -EFSCORRUPTED, "inline data longer than the mapping",
	  .isize = 1000, .inline_buf = true, .inline_bytes = 1025,
	  .blocksize = 1024 },
	{ "inline data with a mapped extent", MAPPED(0, BS, 0), PURE, RD, 0,
	  -EFSCORRUPTED, "inline data without an inline mapping",
	  .isize = 100, .inline_buf = true, .inline_bytes = 100 },
	{ "inline write mapping not through pure overwrite", HOLE(0, BS),
	  INL(0, BS), WR, 0, -EFSCORRUPTED,
	  "inline write mapping without pure overwrite",
	  .isize = 100, .inline_buf = true, .inline_bytes = 0 },
	{ "inline read mapping with a separate write mapping", INL(0, BS),
	  MAPPED(0, BS, 0), WR, 0, -EFSCORRUPTED,
	  "inline read mapping with a separate write mapping",
	  .isize = 100, .inline_buf = true, .inline_bytes = 100 },
	{ "inline mapping crossing a page boundary", INL(3072, 2048), PURE, RD,
	  3072, -EFSCORRUPTED, "inline mapping crosses a page boundary",
	  .isize = 4000, .inline_buf = true, .inline_bytes = 928,
	  .blocksize = 1024 },
};

static void begin_case_desc(const struct begin_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(begin, begin_cases, begin_case_desc);

static void check_begin_case(struct kunit *test)
{
	const struct begin_case *c = test->param_value;
	struct fuse_iomap_begin_out out = { .read = c->read, .write = c->write };
	struct fuse_iomap_limits l = lim;
	const char *rule = NULL;
	int ret;

	l.isize = c->isize;
	l.inline_buf = c->inline_buf;
	l.inline_bytes = c->inline_bytes;
	l.inline_fetch = c->inline_fetch;
	if (c->blocksize)
		l.blocksize = c->blocksize;
	ret = fuse_iomap_check_begin(&out, c->opflags, c->pos, &l,
				     lookup(out.read.dev),
				     lookup(out.write.dev), &rule);
	KUNIT_EXPECT_EQ(test, ret, c->err);
	if (c->rule)
		KUNIT_EXPECT_STREQ(test, rule, c->rule);
}

/* Every type value the wire does not define is refused. */
static const u16 bad_types[] = { 5, 6, 100, 252, 0xffff };

static void type_desc(const u16 *t, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "type %u", *t);
}

KUNIT_ARRAY_PARAM(bad_type, bad_types, type_desc);

static void check_unknown_type(struct kunit *test)
{
	struct fuse_iomap_io map = MAPPED(0, BS, 0);
	const char *rule = NULL;

	map.type = *(const u16 *)test->param_value;
	KUNIT_EXPECT_EQ(test, fuse_iomap_check_io(&map, FUSE_IOMAP_READ_MAP,
						  &lim, lookup(map.dev), &rule),
			-EFSCORRUPTED);
	KUNIT_EXPECT_STREQ(test, rule, "unknown mapping type");
}

/* Block size and maximum size come from the inode, not a constant. */
static void check_small_blocksize(struct kunit *test)
{
	struct fuse_iomap_limits small = { .blocksize = 1024,
					   .maxbytes = 1ULL << 40 };
	struct fuse_iomap_io map = MAPPED(1024, 1024, 512);
	const char *rule = NULL;

	KUNIT_EXPECT_EQ(test, fuse_iomap_check_io(&map, FUSE_IOMAP_READ_MAP,
						  &small, lookup(map.dev),
						  &rule), 0);
	KUNIT_EXPECT_EQ(test, fuse_iomap_check_io(&map, FUSE_IOMAP_READ_MAP,
						  &lim, lookup(map.dev),
						  &rule), -EFSCORRUPTED);
}

static void convert_mapped(struct kunit *test)
{
	struct fuse_iomap_io wire = IO(MAPPED, 8 * BS, 2 * BS, 40 * BS, DEV_RW,
				       FUSE_IOMAP_F_NEW | FUSE_IOMAP_F_SHARED |
				       FUSE_IOMAP_F_WANT_IOMAP_END |
				       FUSE_IOMAP_F_BOUNDARY);
	struct block_device *bdev = (struct block_device *)0x1000;
	struct fuse_iomap_io back;
	struct iomap iomap = {};

	fuse_iomap_to_iomap(&wire, bdev, &iomap);
	KUNIT_EXPECT_EQ(test, iomap.offset, 8 * BS);
	KUNIT_EXPECT_EQ(test, iomap.length, 2 * BS);
	KUNIT_EXPECT_EQ(test, iomap.addr, 40 * BS);
	KUNIT_EXPECT_EQ(test, iomap.type, IOMAP_MAPPED);
	KUNIT_EXPECT_PTR_EQ(test, iomap.bdev, bdev);
	KUNIT_EXPECT_EQ(test, iomap.flags, IOMAP_F_NEW | IOMAP_F_SHARED |
			FUSE_IOMAP_F_IOMAP_WANT_END);

	/* Back for FUSE_IOMAP_END: same mapping, boundary is gone. */
	iomap.flags |= IOMAP_F_SIZE_CHANGED;
	fuse_iomap_from_iomap(&iomap, DEV_RW, &back);
	KUNIT_EXPECT_EQ(test, back.offset, wire.offset);
	KUNIT_EXPECT_EQ(test, back.length, wire.length);
	KUNIT_EXPECT_EQ(test, back.addr, wire.addr);
	KUNIT_EXPECT_EQ(test, back.type, wire.type);
	KUNIT_EXPECT_EQ(test, back.dev, DEV_RW);
	KUNIT_EXPECT_EQ(test, back.flags, FUSE_IOMAP_F_NEW |
			FUSE_IOMAP_F_SHARED | FUSE_IOMAP_F_WANT_IOMAP_END |
			FUSE_IOMAP_F_SIZE_CHANGED);
}

static void convert_hole(struct kunit *test)
{
	struct fuse_iomap_io wire = HOLE(0, 4 * BS), back;
	struct iomap iomap = {};

	fuse_iomap_to_iomap(&wire, NULL, &iomap);
	KUNIT_EXPECT_EQ(test, iomap.type, IOMAP_HOLE);
	KUNIT_EXPECT_EQ(test, iomap.addr, IOMAP_NULL_ADDR);
	KUNIT_EXPECT_NULL(test, iomap.bdev);

	fuse_iomap_from_iomap(&iomap, DEV_RW, &back);
	KUNIT_EXPECT_EQ(test, back.dev, FUSE_IOMAP_DEV_NULL);
	KUNIT_EXPECT_EQ(test, back.addr, FUSE_IOMAP_NULL_ADDR);
}

static void convert_opflags(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, fuse_iomap_op_to_wire(0), 0);
	KUNIT_EXPECT_EQ(test, fuse_iomap_op_to_wire(IOMAP_WRITE | IOMAP_DIRECT),
			FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_DIRECT);
	KUNIT_EXPECT_EQ(test, fuse_iomap_op_to_wire(IOMAP_REPORT),
			FUSE_IOMAP_OP_REPORT);
	KUNIT_EXPECT_EQ(test, fuse_iomap_op_to_wire(IOMAP_NOWAIT | IOMAP_ZERO |
						    IOMAP_FAULT |
						    IOMAP_UNSHARE |
						    IOMAP_OVERWRITE_ONLY),
			FUSE_IOMAP_OP_NOWAIT | FUSE_IOMAP_OP_ZERO |
			FUSE_IOMAP_OP_FAULT | FUSE_IOMAP_OP_UNSHARE |
			FUSE_IOMAP_OP_OVERWRITE_ONLY);
}

static struct kunit_case fuse_iomap_validate_cases[] = {
	KUNIT_CASE_PARAM(check_begin_case, begin_gen_params),
	KUNIT_CASE_PARAM(check_unknown_type, bad_type_gen_params),
	KUNIT_CASE(check_small_blocksize),
	KUNIT_CASE(convert_mapped),
	KUNIT_CASE(convert_hole),
	KUNIT_CASE(convert_opflags),
	{}
};

static struct kunit_suite fuse_iomap_validate_suite = {
	.name = "fuse_iomap_validate",
	.test_cases = fuse_iomap_validate_cases,
};

kunit_test_suite(fuse_iomap_validate_suite);
