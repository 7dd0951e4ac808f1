// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the mapping cache's rules.  Validation of the mapping
 * notifications (ranges to invalidate, mappings to upsert), which part of
 * a FUSE_IOMAP_BEGIN reply is cached for which operation, and which
 * cached mappings may serve which operation.
 */

#include <kunit/test.h>
#include <linux/limits.h>
#include <linux/sizes.h>

#include "../fuse_i.h"

#define BS		4096ULL
#define B(n)		((u64)(n) * BS)
#define DEV_SIZE	SZ_1G
#define NULLA		FUSE_IOMAP_NULL_ADDR
#define TO_EOF		FUSE_IOMAP_INVAL_TO_EOF

enum { DEV_RW = 1, DEV_RO = 2, DEV_GONE = 3, DEV_NONE = 7 };

static const struct fuse_iomap_limits lim = {
	.blocksize = BS,
	.maxbytes = 1ULL << 40,
	.cache = true,
};

static const struct fuse_iomap_devinfo devs[] = {
	[DEV_RW] = { .found = true, .writable = true, .size = DEV_SIZE },
	[DEV_RO] = { .found = true, .writable = false, .size = DEV_SIZE },
	[DEV_GONE] = { .found = true, .writable = true, .size = 0 },
	[DEV_NONE] = { },
};

#define IO(t, o, l, a, d, f) { .offset = (o), .length = (l), .addr = (a), \
			       .type = FUSE_IOMAP_TYPE_##t, .flags = (f), \
			       .dev = (d) }
#define MAPPED(o, l, a)		IO(MAPPED, B(o), B(l), B(a), DEV_RW, 0)
#define MAPPED_F(o, l, a, f)	IO(MAPPED, B(o), B(l), B(a), DEV_RW, f)
#define MAPPED_D(o, l, a, d)	IO(MAPPED, B(o), B(l), B(a), d, 0)
#define UNWRITTEN(o, l, a)	IO(UNWRITTEN, B(o), B(l), B(a), DEV_RW, 0)
#define HOLE(o, l)		IO(HOLE, B(o), B(l), NULLA, 0, 0)
#define DELALLOC(o, l)		IO(DELALLOC, B(o), B(l), NULLA, 0, 0)
#define INSTR(t)		IO(t, 0, 0, NULLA, 0, 0)
#define NOCACHE			INSTR(NOCACHE)
#define PURE			INSTR(PURE_OVERWRITE)
#define RETRY			INSTR(RETRY_CACHE)

/* Ranges to invalidate */

struct range_case {
	const char *desc;
	struct fuse_range range;
	int err;
};

static const struct range_case range_cases[] = {
	{ "zero length is nothing to do", { 17, 0 }, 0 },
	{ "aligned range", { B(3), B(5) }, 0 },
	{ "to EOF from an aligned offset", { B(9), TO_EOF }, 0 },
	{ "to EOF from 0", { 0, TO_EOF }, 0 },
	{ "range ending a block below 2^64", { U64_MAX - B(2) + 1, B(1) },
	  0 },
	{ "range ending at 2^64 overflows", { U64_MAX - B(2) + 1, B(2) },
	  -EINVAL },
	{ "misaligned offset", { 512, B(1) }, -EINVAL },
	{ "misaligned offset, to EOF", { 512, TO_EOF }, -EINVAL },
	{ "misaligned length", { B(1), 100 }, -EINVAL },
	{ "offset + length overflows", { B(1) << 20, U64_MAX - BS + 1 },
	  -EINVAL },
	{ "offset + length wraps to 0", { B(1), U64_MAX - BS + 1 },
	  -EINVAL },
};

KUNIT_ARRAY_PARAM_DESC(range, range_cases, desc);

static void inval_range(struct kunit *test)
{
	const struct range_case *tc = test->param_value;
	const char *rule = NULL;

	KUNIT_EXPECT_EQ(test, fuse_iomap_check_inval_range(&tc->range, BS,
							   &rule), tc->err);
	if (tc->err)
		KUNIT_EXPECT_NOT_NULL(test, rule);
}

/* Upserts */

struct upsert_case {
	const char *desc;
	struct fuse_iomap_io read, write;
	int err;
	const char *rule;
};

static const struct upsert_case upsert_cases[] = {
	{ "read and pure overwrite", MAPPED(0, 8, 100), PURE, 0, NULL },
	{ "read only", MAPPED(0, 8, 100), NOCACHE, 0, NULL },
	{ "write only", NOCACHE, UNWRITTEN(0, 8, 100), 0, NULL },
	{ "neither", NOCACHE, NOCACHE, 0, NULL },
	{ "a hole to read", HOLE(0, 1), NOCACHE, 0, NULL },
	{ "delalloc to write", NOCACHE, DELALLOC(0, 1), 0, NULL },
	{ "shared blocks to read", MAPPED_F(0, 1, 5, FUSE_IOMAP_F_SHARED),
	  NOCACHE, 0, NULL },
	{ "read of a read-only device", MAPPED_D(0, 1, 5, DEV_RO), NOCACHE,
	  0, NULL },
	{ "ends at the device end", MAPPED(0, 1, DEV_SIZE / BS - 1), PURE,
	  0, NULL },
	{ "retry-cache to read", RETRY, NOCACHE, -EFSCORRUPTED,
	  "retry-cache in an upsert" },
	{ "retry-cache to write", NOCACHE, RETRY, -EFSCORRUPTED,
	  "retry-cache in an upsert" },
	{ "inline", IO(INLINE, 0, BS, NULLA, 0, 0), NOCACHE, -EFSCORRUPTED,
	  "inline mapping in an upsert" },
	{ "a hole to write", NOCACHE, HOLE(0, 1), -EFSCORRUPTED,
	  "hole as an upserted write mapping" },
	{ "pure overwrite of a hole", HOLE(0, 1), PURE, -EFSCORRUPTED,
	  "hole as an upserted write mapping" },
	{ "new blocks to read", MAPPED_F(0, 1, 5, FUSE_IOMAP_F_NEW), NOCACHE,
	  -EFSCORRUPTED, "new blocks in an upsert (unwritten is meant)" },
	{ "new blocks to write", NOCACHE,
	  MAPPED_F(0, 1, 5, FUSE_IOMAP_F_NEW), -EFSCORRUPTED,
	  "new blocks in an upsert (unwritten is meant)" },
	{ "shared blocks to write", NOCACHE,
	  MAPPED_F(0, 1, 5, FUSE_IOMAP_F_SHARED), -EFSCORRUPTED,
	  "shared blocks as an upserted write mapping" },
	{ "pure overwrite of shared blocks",
	  MAPPED_F(0, 1, 5, FUSE_IOMAP_F_SHARED), PURE, -EFSCORRUPTED,
	  "shared blocks as an upserted write mapping" },
	{ "pure overwrite without a read mapping", NOCACHE, PURE,
	  -EFSCORRUPTED, "pure overwrite of an uncached read mapping" },
	{ "pure overwrite on a read-only device", MAPPED_D(0, 1, 5, DEV_RO),
	  PURE, -EFSCORRUPTED, "write mapping on a read-only device" },
	{ "write to a read-only device", NOCACHE, MAPPED_D(0, 1, 5, DEV_RO),
	  -EFSCORRUPTED, "write mapping on a read-only device" },
	{ "pure overwrite as a read mapping", PURE, NOCACHE, -EFSCORRUPTED,
	  "pure overwrite as a read mapping" },
	{ "misaligned offset", IO(MAPPED, 512, BS, 0, DEV_RW, 0), NOCACHE,
	  -EFSCORRUPTED, "file offset not block aligned" },
	{ "zero length", IO(HOLE, 0, 0, NULLA, 0, 0), NOCACHE,
	  -EFSCORRUPTED, "zero length" },
	{ "offset + length overflows",
	  IO(HOLE, B(1), U64_MAX - BS + 1, NULLA, 0, 0), NOCACHE,
	  -EFSCORRUPTED, "file offset + length overflows" },
	{ "beyond the maximum file size", HOLE(1ULL << 28, 1), NOCACHE,
	  -EFSCORRUPTED, "file offset beyond the maximum file size" },
	{ "past the device end", MAPPED(0, 2, DEV_SIZE / BS - 1), NOCACHE,
	  -EFSCORRUPTED, "mapping beyond the end of the device" },
	{ "unknown device", MAPPED_D(0, 1, 5, DEV_NONE), NOCACHE,
	  -EFSCORRUPTED, "unknown device cookie" },
	{ "device gone", MAPPED_D(0, 1, 5, DEV_GONE), NOCACHE, -EINVAL,
	  "device has no size (gone?)" },
	{ "instruction with a device", NOCACHE,
	  IO(NOCACHE, 0, 0, NULLA, DEV_RW, 0), -EFSCORRUPTED,
	  "instruction carries flags, device or address" },
};

KUNIT_ARRAY_PARAM_DESC(upsert, upsert_cases, desc);

static const struct fuse_iomap_devinfo *devinfo(u32 dev)
{
	return dev < ARRAY_SIZE(devs) ? &devs[dev] : &devs[DEV_NONE];
}

static void upsert_check(struct kunit *test)
{
	const struct upsert_case *tc = test->param_value;
	struct fuse_iomap_upsert_mappings_out up = {
		.nodeid = 5, .attr_ino = 5,
		.read = tc->read, .write = tc->write,
	};
	const char *rule = NULL;

	KUNIT_EXPECT_EQ(test, fuse_iomap_check_upsert(&up, &lim,
						      devinfo(tc->read.dev),
						      devinfo(tc->write.dev),
						      &rule), tc->err);
	if (tc->rule)
		KUNIT_EXPECT_STREQ(test, rule, tc->rule);
	else if (tc->err)
		KUNIT_EXPECT_NOT_NULL(test, rule);
}

/* A type no mapping has */
static void upsert_unknown_type(struct kunit *test)
{
	struct fuse_iomap_upsert_mappings_out up = {
		.read = HOLE(0, 1), .write = NOCACHE,
	};
	const char *rule = NULL;

	up.read.type = 77;
	KUNIT_EXPECT_EQ(test, fuse_iomap_check_upsert(&up, &lim, &devs[0],
						      &devs[0], &rule),
			-EFSCORRUPTED);
	KUNIT_EXPECT_STREQ(test, rule, "unknown mapping type");
}

/* Notification sizes are exact, and other codes have none. */
static void notify_sizes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, fuse_iomap_notify_size(FUSE_NOTIFY_IOMAP_DEV_INVAL),
			24);
	KUNIT_EXPECT_EQ(test,
			fuse_iomap_notify_size(FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS),
			80);
	KUNIT_EXPECT_EQ(test,
			fuse_iomap_notify_size(FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS),
			48);
	KUNIT_EXPECT_EQ(test, fuse_iomap_notify_size(FUSE_NOTIFY_POLL), 0);
	KUNIT_EXPECT_EQ(test, fuse_iomap_notify_size(98), 0);
	KUNIT_EXPECT_EQ(test, fuse_iomap_notify_size(102), 0);
}

/* What of a begin reply is cached */

enum pick { P_NONE, P_READ, P_WRITE };

struct plan_case {
	const char *desc;
	struct fuse_iomap_io read, write;
	u32 opflags;
	enum pick rmap, wmap, gone;
};

#define RD	0
#define DIO_RD	FUSE_IOMAP_OP_DIRECT
#define WR	FUSE_IOMAP_OP_WRITE
#define DIO_WR	(FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_DIRECT)
#define WB	(FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_WRITEBACK)
#define FAULT	(FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_FAULT)
#define ZERO	(FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_ZERO)
#define REPORT	FUSE_IOMAP_OP_REPORT

static const struct plan_case plan_cases[] = {
	{ "read of data", MAPPED(0, 8, 9), PURE, RD, P_READ, P_NONE, P_NONE },
	{ "read of a hole", HOLE(0, 8), PURE, DIO_RD, P_READ, P_NONE, P_NONE },
	{ "read ignores the write mapping", HOLE(0, 8), MAPPED(0, 8, 9), RD,
	  P_READ, P_NONE, P_NONE },
	{ "report of shared data", MAPPED_F(0, 8, 9, FUSE_IOMAP_F_SHARED),
	  PURE, REPORT, P_READ, P_NONE, P_NONE },
	{ "direct overwrite in place", MAPPED(0, 8, 9), PURE, DIO_WR, P_READ,
	  P_READ, P_NONE },
	{ "writeback in place", UNWRITTEN(0, 8, 9), PURE, WB, P_READ, P_READ,
	  P_NONE },
	{ "buffered write in place caches no write mapping",
	  MAPPED(0, 8, 9), PURE, WR, P_READ, P_NONE, P_NONE },
	{ "page fault caches no write mapping", MAPPED(0, 8, 9), PURE, FAULT,
	  P_READ, P_NONE, P_NONE },
	{ "zeroing a hole", HOLE(0, 8), PURE, ZERO, P_READ, P_NONE, P_NONE },
	{ "direct write into a hole", HOLE(0, 8), UNWRITTEN(0, 8, 9), DIO_WR,
	  P_NONE, P_WRITE, P_WRITE },
	{ "buffered write into a hole forgets the hole", HOLE(0, 8),
	  DELALLOC(0, 8), WR, P_NONE, P_NONE, P_WRITE },
	{ "writeback allocating", HOLE(0, 8), MAPPED(0, 8, 9), WB, P_NONE,
	  P_WRITE, P_WRITE },
	{ "out-of-place write is not kept", MAPPED(0, 8, 9),
	  MAPPED_F(0, 8, 50, FUSE_IOMAP_F_SHARED), DIO_WR, P_NONE, P_NONE,
	  P_WRITE },
	{ "pure overwrite of shared blocks is not a place to write",
	  MAPPED_F(0, 8, 9, FUSE_IOMAP_F_SHARED), PURE, WB, P_READ, P_NONE,
	  P_NONE },
	{ "inline is never cached", IO(INLINE, 0, BS, NULLA, 0, 0), PURE, RD,
	  P_NONE, P_NONE, P_NONE },
	{ "zeroing told of a hole to write", HOLE(0, 8), HOLE(0, 8), ZERO,
	  P_NONE, P_NONE, P_WRITE },
};

KUNIT_ARRAY_PARAM_DESC(plan, plan_cases, desc);

static void cache_plan(struct kunit *test)
{
	const struct plan_case *tc = test->param_value;
	struct fuse_iomap_begin_out out = {
		.read = tc->read, .write = tc->write,
	};
	const struct fuse_iomap_io *rmap, *wmap, *gone;
	const struct fuse_iomap_io *pick[] = {
		[P_NONE] = NULL, [P_READ] = &out.read, [P_WRITE] = &out.write,
	};

	fuse_iomap_cache_plan(&out, tc->opflags, &rmap, &wmap, &gone);
	KUNIT_EXPECT_PTR_EQ(test, rmap, pick[tc->rmap]);
	KUNIT_EXPECT_PTR_EQ(test, wmap, pick[tc->wmap]);
	KUNIT_EXPECT_PTR_EQ(test, gone, pick[tc->gone]);
}

/* Which cached mappings serve which operations */

struct serve_case {
	const char *desc;
	struct fuse_iomap_io map;
	u32 opflags;
	bool serves;
};

static const struct serve_case serve_cases[] = {
	{ "read of data", MAPPED(0, 1, 1), RD, true },
	{ "read of a hole", HOLE(0, 1), DIO_RD, true },
	{ "read of shared data", MAPPED_F(0, 1, 1, FUSE_IOMAP_F_SHARED), RD,
	  true },
	{ "buffered read of delalloc", DELALLOC(0, 1), RD, true },
	{ "direct read of delalloc", DELALLOC(0, 1), DIO_RD, false },
	{ "direct write in place", MAPPED(0, 1, 1), DIO_WR, true },
	{ "writeback to unwritten", UNWRITTEN(0, 1, 1), WB, true },
	{ "buffered write to delalloc", DELALLOC(0, 1), WR, true },
	{ "page fault on delalloc", DELALLOC(0, 1), FAULT, true },
	{ "writeback of delalloc", DELALLOC(0, 1), WB, false },
	{ "direct write to delalloc", DELALLOC(0, 1), DIO_WR, false },
	{ "write to shared blocks", MAPPED_F(0, 1, 1, FUSE_IOMAP_F_SHARED),
	  WR, false },
	{ "write to a hole", HOLE(0, 1), ZERO, false },
};

KUNIT_ARRAY_PARAM_DESC(serve, serve_cases, desc);

static void cache_serves(struct kunit *test)
{
	const struct serve_case *tc = test->param_value;

	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_serves(&tc->map, tc->opflags),
			tc->serves);
}

/* What of an upsert is cached, and where writes go */

struct upsert_plan_case {
	const char *desc;
	struct fuse_iomap_io read, write;
	enum pick rmap, wmap;
	bool ro_dev;		/* the read mapping's device is read-only */
};

static const struct upsert_plan_case upsert_plan_cases[] = {
	{ "read and pure overwrite", MAPPED(0, 8, 9), PURE, P_READ, P_READ },
	{ "read and a write mapping of its own", MAPPED(0, 8, 9),
	  UNWRITTEN(0, 8, 50), P_READ, P_WRITE },
	{ "read only: writes go in place (posted series)", MAPPED(0, 8, 9),
	  NOCACHE, P_READ, P_READ },
	{ "read only, unwritten: writes go in place", UNWRITTEN(0, 8, 9),
	  NOCACHE, P_READ, P_READ },
	{ "read only, shared: writes ask", MAPPED_F(0, 8, 9,
	  FUSE_IOMAP_F_SHARED), NOCACHE, P_READ, P_NONE },
	{ "read only, hole: writes ask", HOLE(0, 8), NOCACHE, P_READ,
	  P_NONE },
	{ "read only, delalloc: writes ask", DELALLOC(0, 8), NOCACHE,
	  P_READ, P_NONE },
	{ "write only", NOCACHE, MAPPED(0, 8, 9), P_NONE, P_WRITE },
	{ "nothing", NOCACHE, NOCACHE, P_NONE, P_NONE },
	{ "read only, on a read-only device: writes ask", MAPPED(0, 8, 9),
	  NOCACHE, P_READ, P_NONE, true },
};

KUNIT_ARRAY_PARAM_DESC(upsert_plan, upsert_plan_cases, desc);

static void upsert_plan(struct kunit *test)
{
	const struct upsert_plan_case *tc = test->param_value;
	struct fuse_iomap_upsert_mappings_out up = {
		.read = tc->read, .write = tc->write,
	};
	const struct fuse_iomap_io *rmap, *wmap;
	const struct fuse_iomap_io *pick[] = {
		[P_NONE] = NULL, [P_READ] = &up.read, [P_WRITE] = &up.write,
	};

	fuse_iomap_upsert_plan(&up, !tc->ro_dev, &rmap, &wmap);
	KUNIT_EXPECT_PTR_EQ(test, rmap, pick[tc->rmap]);
	KUNIT_EXPECT_PTR_EQ(test, wmap, pick[tc->wmap]);
}

/* Notifications of later protocols are claimed and answered ENOSYS. */
static void notify_later_protocols(struct kunit *test)
{
	struct fuse_conn *fc;
	u8 buf[8] = { };

	fc = kunit_kzalloc(test, sizeof(*fc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fc);
	fc->iomap_conn.iomap = 1;

	KUNIT_EXPECT_TRUE(test, fuse_iomap_notify_claims(8));
	KUNIT_EXPECT_TRUE(test, fuse_iomap_notify_claims(9));
	KUNIT_EXPECT_TRUE(test, fuse_iomap_notify_claims(100));
	KUNIT_EXPECT_FALSE(test, fuse_iomap_notify_claims(FUSE_NOTIFY_POLL));
	KUNIT_EXPECT_FALSE(test, fuse_iomap_notify_claims(7));
	KUNIT_EXPECT_FALSE(test, fuse_iomap_notify_claims(10));
	KUNIT_EXPECT_EQ(test, fuse_iomap_notify(fc, 8, buf, 0), -ENOSYS);
	KUNIT_EXPECT_EQ(test, fuse_iomap_notify(fc, 9, buf, 8), -ENOSYS);
	fc->iomap_conn.iomap = 0;
	KUNIT_EXPECT_EQ(test, fuse_iomap_notify(fc, 8, buf, 0), -ENOSYS);
}

/*
 * The checks fuse_iomap_notify() makes before and while it looks for the
 * inode or device, on a connection that has no mount (so no inode can be
 * found, and device ranges are in 512-byte sectors) and no device.
 */

union notify_msg {
	struct fuse_iomap_upsert_mappings_out up;
	struct fuse_iomap_inval_mappings_out inv;
	struct fuse_iomap_dev_inval_out dev;
};

struct notify_case {
	const char *desc;
	unsigned int code;
	int delta;		/* bytes more or less than the message */
	bool not_iomap;		/* iomap was not negotiated */
	union notify_msg msg;
	int err;
};

#define UPSERT		FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS
#define INVAL		FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS
#define DEVINVAL	FUSE_NOTIFY_IOMAP_DEV_INVAL

static const struct notify_case notify_cases[] = {
	{ "upsert a byte short", UPSERT, -1, .err = -EINVAL },
	{ "upsert a byte long", UPSERT, 1, .err = -EINVAL },
	{ "invalidation a byte short", INVAL, -1, .err = -EINVAL },
	{ "device invalidation a byte long", DEVINVAL, 1, .err = -EINVAL },
	{ "upsert without iomap", UPSERT, .not_iomap = true,
	  .msg.up = { 5, 5, MAPPED(0, 1, 1), NOCACHE }, .err = -EINVAL },
	{ "invalidation without iomap", INVAL, .not_iomap = true,
	  .msg.inv = { 5, 5 }, .err = -EINVAL },
	{ "device invalidation without iomap", DEVINVAL, .not_iomap = true,
	  .msg.dev = { 1 }, .err = -EINVAL },
	{ "upsert of an inode not in core", UPSERT,
	  .msg.up = { 5, 5, MAPPED(0, 1, 1), NOCACHE }, .err = -ESTALE },
	{ "invalidation of an inode not in core", INVAL,
	  .msg.inv = { 5, 5, { 0, TO_EOF } }, .err = -ESTALE },
	{ "device invalidation with the reserved field set", DEVINVAL,
	  .msg.dev = { 1, 1, { 0, TO_EOF } }, .err = -EINVAL },
	{ "device invalidation not sector aligned", DEVINVAL,
	  .msg.dev = { 1, 0, { 100, 512 } }, .err = -EINVAL },
	{ "device invalidation overflowing", DEVINVAL,
	  .msg.dev = { 1, 0, { 512, U64_MAX - 511 } }, .err = -EINVAL },
	{ "device invalidation of a cookie not registered", DEVINVAL,
	  .msg.dev = { 1, 0, { 0, TO_EOF } }, .err = -ENODEV },
	{ "device invalidation of the null cookie", DEVINVAL,
	  .msg.dev = { FUSE_IOMAP_DEV_NULL, 0, { 0, 512 } },
	  .err = -ENODEV },
};

KUNIT_ARRAY_PARAM_DESC(notify, notify_cases, desc);

static void notify_refused(struct kunit *test)
{
	const struct notify_case *tc = test->param_value;
	struct fuse_conn *fc;
	size_t size = fuse_iomap_notify_size(tc->code) + tc->delta;
	u8 *buf;

	fc = kunit_kzalloc(test, sizeof(*fc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fc);
	buf = kunit_kzalloc(test, sizeof(tc->msg) + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	memcpy(buf, &tc->msg, sizeof(tc->msg));
	init_rwsem(&fc->killsb);
	INIT_LIST_HEAD(&fc->mounts);
	fuse_iomap_conn_init(fc);
	fc->iomap_conn.iomap = !tc->not_iomap;

	KUNIT_EXPECT_EQ(test, fuse_iomap_notify(fc, tc->code, buf, size),
			tc->err);
	/* counted as refused */
	KUNIT_EXPECT_EQ(test,
			atomic_long_read(&fc->iomap_conn.cache.stats[FUSE_IOMAP_STAT_REJECTED]),
			1);
	fuse_iomap_conn_put(fc);
}

/* RETRY_CACHE in a begin reply is fine only with a cache. */
static void begin_retry_needs_cache(struct kunit *test)
{
	struct fuse_iomap_begin_out out = { .read = RETRY, .write = PURE };
	struct fuse_iomap_limits nocache = lim;
	const char *rule = NULL;

	KUNIT_EXPECT_EQ(test, fuse_iomap_check_begin(&out, RD, 0, &lim,
						     &devs[0], &devs[0],
						     &rule), 0);
	out = (struct fuse_iomap_begin_out) { .read = HOLE(0, 1),
					      .write = RETRY };
	KUNIT_EXPECT_EQ(test, fuse_iomap_check_begin(&out, DIO_WR, 0, &lim,
						     &devs[0], &devs[0],
						     &rule), 0);
	nocache.cache = false;
	KUNIT_EXPECT_EQ(test, fuse_iomap_check_begin(&out, DIO_WR, 0,
						     &nocache, &devs[0],
						     &devs[0], &rule),
			-EFSCORRUPTED);
	KUNIT_EXPECT_STREQ(test, rule, "retry-cache without a mapping cache");
}

static struct kunit_case fuse_iomap_notify_cases[] = {
	KUNIT_CASE_PARAM(inval_range, range_gen_params),
	KUNIT_CASE_PARAM(upsert_check, upsert_gen_params),
	KUNIT_CASE(upsert_unknown_type),
	KUNIT_CASE(notify_sizes),
	KUNIT_CASE_PARAM(cache_plan, plan_gen_params),
	KUNIT_CASE_PARAM(cache_serves, serve_gen_params),
	KUNIT_CASE(begin_retry_needs_cache),
	KUNIT_CASE_PARAM(upsert_plan, upsert_plan_gen_params),
	KUNIT_CASE(notify_later_protocols),
	KUNIT_CASE_PARAM(notify_refused, notify_gen_params),
	{}
};

static struct kunit_suite fuse_iomap_notify_suite = {
	.name = "fuse_iomap_notify",
	.test_cases = fuse_iomap_notify_cases,
};

kunit_test_suite(fuse_iomap_notify_suite);
