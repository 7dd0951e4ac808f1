// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: what the kernel tells the server after a write (the ioend
 * flags, the send/skip decisions of FUSE_IOMAP_IOEND and FUSE_IOMAP_END,
 * APPEND), which mappings of a begin reply a write uses, when a direct
 * write falls back to the page cache, and what a NOWAIT operation may do
 * without an upcall.
 */

#include <kunit/test.h>
#include <linux/iomap.h>

#include "../fuse_i.h"

#define BS	4096

/* iomap's view of a completed write, as wire flags. */
struct flags_case {
	bool direct, unwritten, shared;
	u32 flags;
};

static const struct flags_case flags_cases[] = {
	{ false, false, false, FUSE_IOMAP_IOEND_WRITEBACK },
	{ false, true, false,
	  FUSE_IOMAP_IOEND_WRITEBACK | FUSE_IOMAP_IOEND_UNWRITTEN },
	{ false, false, true,
	  FUSE_IOMAP_IOEND_WRITEBACK | FUSE_IOMAP_IOEND_SHARED },
	{ false, true, true, FUSE_IOMAP_IOEND_WRITEBACK |
	  FUSE_IOMAP_IOEND_UNWRITTEN | FUSE_IOMAP_IOEND_SHARED },
	{ true, false, false, FUSE_IOMAP_IOEND_DIRECT },
	{ true, true, false,
	  FUSE_IOMAP_IOEND_DIRECT | FUSE_IOMAP_IOEND_UNWRITTEN },
	{ true, false, true,
	  FUSE_IOMAP_IOEND_DIRECT | FUSE_IOMAP_IOEND_SHARED },
	{ true, true, true, FUSE_IOMAP_IOEND_DIRECT |
	  FUSE_IOMAP_IOEND_UNWRITTEN | FUSE_IOMAP_IOEND_SHARED },
};

static void flags_case_desc(const struct flags_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s%s%s",
		 c->direct ? "direct" : "writeback",
		 c->unwritten ? " unwritten" : "", c->shared ? " shared" : "");
}

KUNIT_ARRAY_PARAM(flags, flags_cases, flags_case_desc);

static void ioend_flags_map(struct kunit *test)
{
	const struct flags_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, fuse_iomap_ioend_flags(c->direct, c->unwritten,
						     c->shared), c->flags);
}

/* The send/skip decision and APPEND, for every kind of completed write. */
struct build_case {
	const char *desc;
	u32 flags;		/* from fuse_iomap_ioend_flags() */
	int error;
	loff_t pos;
	size_t written;
	loff_t disk_size;
	bool no_ioend;		/* the server answered ENOSYS before */
	bool send;
	bool append;
};

#define WBK	FUSE_IOMAP_IOEND_WRITEBACK
#define DIO	FUSE_IOMAP_IOEND_DIRECT
#define UNW	FUSE_IOMAP_IOEND_UNWRITTEN
#define SHR	FUSE_IOMAP_IOEND_SHARED

static const struct build_case build_cases[] = {
	{ "overwrite inside the recorded size", WBK, 0, 0, BS, 2 * BS,
	  false, false, false },
	{ "direct overwrite inside the recorded size", DIO, 0, BS, BS,
	  2 * BS, false, false, false },
	{ "write ending at the recorded size", WBK, 0, BS, BS, 2 * BS,
	  false, false, false },
	{ "write one byte past the recorded size", WBK, 0, BS, BS + 1,
	  2 * BS, false, true, true },
	{ "extending direct write", DIO, 0, 2 * BS, BS, 2 * BS,
	  false, true, true },
	{ "unwritten conversion", WBK | UNW, 0, 0, BS, 2 * BS,
	  false, true, false },
	{ "direct unwritten conversion", DIO | UNW, 0, 0, BS, 2 * BS,
	  false, true, false },
	{ "out-of-place remap", WBK | SHR, 0, 0, BS, 2 * BS,
	  false, true, false },
	{ "unwritten and extending", WBK | UNW, 0, 2 * BS, BS, 2 * BS,
	  false, true, true },
	{ "failed write", WBK, -EIO, 0, BS, 2 * BS, false, true, false },
	{ "failed write of nothing", DIO, -EIO, 0, 0, 2 * BS,
	  false, true, false },
	{ "NOWAIT write that never started", DIO, -EAGAIN, 0, 0, 2 * BS,
	  false, false, false },
	{ "NOWAIT write that got half way", DIO, -EAGAIN, 0, BS, 2 * BS,
	  false, true, false },
	{ "unwritten but nothing written", WBK | UNW, 0, 0, 0, 2 * BS,
	  false, false, false },
	{ "empty write past the size", DIO, 0, 4 * BS, 0, 2 * BS,
	  false, false, false },
	{ "server without ioend: unwritten", WBK | UNW, 0, 0, BS, 2 * BS,
	  true, false, false },
	{ "server without ioend: failed write", WBK, -EIO, 0, BS, 2 * BS,
	  true, false, false },
	{ "server without ioend: extending", DIO, 0, 2 * BS, BS, 2 * BS,
	  true, false, true },
};

static void build_case_desc(const struct build_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(build, build_cases, build_case_desc);

static void ioend_build_decides(struct kunit *test)
{
	const struct build_case *c = test->param_value;
	struct fuse_iomap_ioend_args io = {
		.pos = c->pos,
		.written = c->written,
		.error = c->error,
		.flags = c->flags,
		.new_addr = 8 * BS,
		.dev = 3,
	};
	struct fuse_iomap_ioend_in in;
	struct fuse_conn *fc;
	bool send;

	fc = kunit_kzalloc(test, sizeof(*fc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fc);
	fc->iomap_conn.no_ioend = c->no_ioend;

	send = fuse_iomap_ioend_build(fc, &io, 42, c->disk_size, &in);
	KUNIT_EXPECT_EQ(test, send, c->send);
	KUNIT_EXPECT_EQ(test, !!(in.flags & FUSE_IOMAP_IOEND_APPEND),
			c->append);
	KUNIT_EXPECT_EQ(test, in.flags & ~FUSE_IOMAP_IOEND_APPEND, c->flags);
}

/* The request carries the write as it was, field for field. */
static void ioend_build_copies_fields(struct kunit *test)
{
	struct fuse_iomap_ioend_args io = {
		.pos = 3 * BS,
		.written = 5 * BS - 100,
		.error = -ENOSPC,
		.flags = WBK | SHR,
		.new_addr = 77 * BS,
		.dev = 5,
	};
	struct fuse_iomap_ioend_in in;
	struct fuse_conn *fc;

	fc = kunit_kzalloc(test, sizeof(*fc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fc);
	memset(&in, 0xa5, sizeof(in));
	KUNIT_EXPECT_TRUE(test, fuse_iomap_ioend_build(fc, &io, 1234, 0, &in));
	KUNIT_EXPECT_EQ(test, in.flags, WBK | SHR | FUSE_IOMAP_IOEND_APPEND);
	KUNIT_EXPECT_EQ(test, in.error, -ENOSPC);
	KUNIT_EXPECT_EQ(test, in.attr_ino, 1234);
	KUNIT_EXPECT_EQ(test, in.pos, 3 * BS);
	KUNIT_EXPECT_EQ(test, in.written, 5 * BS - 100);
	KUNIT_EXPECT_EQ(test, in.new_addr, 77 * BS);
	KUNIT_EXPECT_EQ(test, in.dev, 5);
	KUNIT_EXPECT_EQ(test, in.pad, 0);
}

/* Which mapping of a begin reply iomap writes to, and reads old data from. */
struct choose_case {
	const char *desc;
	u16 rtype, wtype;
	u32 opflags;
	bool use_write;		/* I/O goes to the write mapping */
	bool src;		/* the read mapping is the source */
};

#define T(x)	FUSE_IOMAP_TYPE_##x
#define OPW	FUSE_IOMAP_OP_WRITE

static const struct choose_case choose_cases[] = {
	{ "read", T(MAPPED), T(HOLE), 0, false, false },
	{ "read ignores the write mapping", T(MAPPED), T(MAPPED), 0,
	  false, false },
	{ "pure overwrite", T(MAPPED), T(PURE_OVERWRITE), OPW, false, false },
	{ "pure overwrite of unwritten", T(UNWRITTEN), T(PURE_OVERWRITE), OPW,
	  false, false },
	{ "allocation into a hole", T(HOLE), T(UNWRITTEN), OPW, true, false },
	{ "delalloc into a hole", T(HOLE), T(DELALLOC), OPW, true, false },
	{ "copy on write", T(MAPPED), T(MAPPED), OPW, true, true },
	{ "copy on write of unwritten", T(UNWRITTEN), T(MAPPED), OPW,
	  true, true },
	{ "writeback copy on write", T(MAPPED), T(MAPPED),
	  OPW | FUSE_IOMAP_OP_WRITEBACK, true, true },
};

static void choose_case_desc(const struct choose_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(choose, choose_cases, choose_case_desc);

static void choose_mappings(struct kunit *test)
{
	const struct choose_case *c = test->param_value;
	struct fuse_iomap_begin_out out = {
		.read = { .type = c->rtype },
		.write = { .type = c->wtype },
	};
	const struct fuse_iomap_io *dst, *src;

	dst = fuse_iomap_choose(&out, c->opflags, &src);
	KUNIT_EXPECT_PTR_EQ(test, dst, c->use_write ? &out.write : &out.read);
	KUNIT_EXPECT_PTR_EQ(test, src, c->src ? &out.read : NULL);
}

/* Direct writes fall back to buffered only for partial shared blocks. */
struct fallback_case {
	const char *desc;
	u16 flags;		/* IOMAP_F_* of the write mapping */
	loff_t pos, count;
	bool fallback;
};

static const struct fallback_case fallback_cases[] = {
	{ "aligned write to a shared block", IOMAP_F_SHARED, BS, 2 * BS,
	  false },
	{ "unaligned start in a shared block", IOMAP_F_SHARED, BS + 512, BS,
	  true },
	{ "unaligned end in a shared block", IOMAP_F_SHARED, BS, BS + 512,
	  true },
	{ "sector write to a shared block", IOMAP_F_SHARED, 512, 512, true },
	{ "unaligned write to an owned block", 0, 512, 512, false },
	{ "unaligned write to a new block", IOMAP_F_NEW, 512, 512, false },
};

static void fallback_case_desc(const struct fallback_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(fallback, fallback_cases, fallback_case_desc);

static void dio_fallback(struct kunit *test)
{
	const struct fallback_case *c = test->param_value;
	struct iomap iomap = { .flags = c->flags, .type = IOMAP_MAPPED };

	KUNIT_EXPECT_EQ(test, fuse_iomap_dio_needs_fallback(BS, c->pos,
							    c->count, &iomap),
			c->fallback);
}

/* Whether the server hears FUSE_IOMAP_END after a mapping was used. */
struct end_case {
	const char *desc;
	u16 mapflags;		/* IOMAP_F_* and FUSE_IOMAP_F_IOMAP_WANT_END */
	unsigned int flags;	/* IOMAP_* of the operation */
	loff_t count;
	ssize_t written;
	bool no_end;		/* the server answered ENOSYS before */
	bool send;
};

#define WANT	FUSE_IOMAP_F_IOMAP_WANT_END
#define GREW	IOMAP_F_SIZE_CHANGED
#define NW	IOMAP_NOWAIT

static const struct end_case end_cases[] = {
	{ "whole write", 0, IOMAP_WRITE, BS, BS, false, false },
	{ "whole read", 0, 0, BS, BS, false, false },
	{ "short read", 0, 0, BS, 512, false, false },
	{ "short write", 0, IOMAP_WRITE, BS, 512, false, true },
	{ "write of nothing", 0, IOMAP_WRITE, BS, 0, false, true },
	{ "short direct write", 0, IOMAP_WRITE | IOMAP_DIRECT, BS, 0,
	  false, true },
	{ "NOWAIT write that gave up", 0, IOMAP_WRITE | NW, BS, 0,
	  false, false },
	{ "NOWAIT write that got half way", 0, IOMAP_WRITE | NW, BS, 512,
	  false, false },
	{ "whole NOWAIT write", 0, IOMAP_WRITE | NW, BS, BS, false, false },
	{ "server wants to hear of a read", WANT, 0, BS, BS, false, true },
	{ "server wants to hear of a write", WANT, IOMAP_WRITE, BS, BS,
	  false, true },
	{ "write that moved the size", GREW, IOMAP_WRITE, BS, BS,
	  false, true },
	{ "server without END: wanted", WANT, IOMAP_WRITE, BS, BS,
	  true, false },
	{ "server without END: short write", 0, IOMAP_WRITE, BS, 0,
	  true, false },
	{ "server without END: size moved", GREW, IOMAP_WRITE, BS, BS,
	  true, false },
};

static void end_case_desc(const struct end_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(end, end_cases, end_case_desc);

static void end_decides(struct kunit *test)
{
	const struct end_case *c = test->param_value;
	struct iomap iomap = { .flags = c->mapflags, .type = IOMAP_MAPPED };
	struct fuse_conn *fc;

	fc = kunit_kzalloc(test, sizeof(*fc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fc);
	fc->iomap_conn.no_end = c->no_end;

	KUNIT_EXPECT_EQ(test, fuse_iomap_want_end(fc, &iomap, c->flags,
						  c->count, c->written),
			c->send);
}

/* A NOWAIT operation never takes a cached mapping that needs an END. */
struct usable_case {
	const char *desc;
	u32 opflags;
	u16 mapflags;		/* FUSE_IOMAP_F_* of the cached mapping */
	bool no_end;
	bool usable;
};

#define ONW	FUSE_IOMAP_OP_NOWAIT
#define WIRE_WANT	FUSE_IOMAP_F_WANT_IOMAP_END

static const struct usable_case usable_cases[] = {
	{ "read", 0, 0, false, true },
	{ "NOWAIT read", ONW, 0, false, true },
	{ "NOWAIT write", ONW | OPW, FUSE_IOMAP_F_SHARED, false, true },
	{ "read of a mapping that wants END", 0, WIRE_WANT, false, true },
	{ "write of a mapping that wants END", OPW, WIRE_WANT, false, true },
	{ "NOWAIT read of a mapping that wants END", ONW, WIRE_WANT,
	  false, false },
	{ "NOWAIT write of a mapping that wants END", ONW | OPW, WIRE_WANT,
	  false, false },
	{ "NOWAIT, wants END, server without END", ONW | OPW, WIRE_WANT,
	  true, true },
};

static void usable_case_desc(const struct usable_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(usable, usable_cases, usable_case_desc);

static void nowait_usable(struct kunit *test)
{
	const struct usable_case *c = test->param_value;
	struct fuse_iomap_io map = {
		.type = FUSE_IOMAP_TYPE_MAPPED,
		.flags = c->mapflags,
		.length = BS,
	};
	struct fuse_conn *fc;

	fc = kunit_kzalloc(test, sizeof(*fc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fc);
	fc->iomap_conn.no_end = c->no_end;

	KUNIT_EXPECT_EQ(test, fuse_iomap_nowait_usable(fc, c->opflags, &map),
			c->usable);
}

/* Which NOWAIT buffered writes are refused before they start. */
struct waits_case {
	const char *desc;
	int ki_flags;
	bool dsync;
	loff_t pos;
	size_t count;
	loff_t isize;
	bool waits;
};

static const struct waits_case waits_cases[] = {
	{ "overwrite", IOCB_NOWAIT, false, 0, BS, 4 * BS, false },
	{ "overwrite ending at EOF", IOCB_NOWAIT, false, 3 * BS, BS, 4 * BS,
	  false },
	{ "overwrite of a partial EOF block", IOCB_NOWAIT, false, 3 * BS,
	  100, 3 * BS + 100, false },
	{ "one byte past EOF", IOCB_NOWAIT, false, 3 * BS, BS + 1, 4 * BS,
	  true },
	{ "append at EOF", IOCB_NOWAIT | IOCB_APPEND, false, 4 * BS, BS,
	  4 * BS, true },
	{ "into an empty file", IOCB_NOWAIT, false, 0, 1, 0, true },
	{ "synchronous overwrite", IOCB_NOWAIT | IOCB_DSYNC, true, 0, BS,
	  4 * BS, true },
	{ "overwrite of an S_SYNC file", IOCB_NOWAIT, true, 0, BS, 4 * BS,
	  true },
	{ "extending write that may wait", 0, false, 4 * BS, BS, 4 * BS,
	  false },
	{ "synchronous write that may wait", IOCB_DSYNC, true, 0, BS, 4 * BS,
	  false },
};

static void waits_case_desc(const struct waits_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(waits, waits_cases, waits_case_desc);

static void nowait_write_waits(struct kunit *test)
{
	const struct waits_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, fuse_iomap_nowait_write_waits(c->ki_flags,
							    c->dsync, c->pos,
							    c->count,
							    c->isize),
			c->waits);
}

/* Which writes may not ask the server whether to drop privileges. */
struct privs_case {
	const char *desc;
	int ki_flags;
	bool nosec;
	bool no_getxattr;
	bool waits;
};

static const struct privs_case privs_cases[] = {
	{ "NOWAIT, privileges unknown", IOCB_NOWAIT, false, false, true },
	{ "NOWAIT, S_NOSEC", IOCB_NOWAIT, true, false, false },
	{ "NOWAIT, server without xattrs", IOCB_NOWAIT, false, true, false },
	{ "NOWAIT, S_NOSEC, no xattrs", IOCB_NOWAIT, true, true, false },
	{ "NOWAIT direct append", IOCB_NOWAIT | IOCB_DIRECT | IOCB_APPEND,
	  false, false, true },
	{ "may wait, privileges unknown", 0, false, false, false },
	{ "may wait, direct", IOCB_DIRECT, false, false, false },
	{ "may wait, S_NOSEC", 0, true, false, false },
};

static void privs_case_desc(const struct privs_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(privs, privs_cases, privs_case_desc);

static void nowait_privs_wait(struct kunit *test)
{
	const struct privs_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, fuse_iomap_nowait_privs_wait(c->ki_flags,
							   c->nosec,
							   c->no_getxattr),
			c->waits);
}

static struct kunit_case fuse_iomap_ioend_cases[] = {
	KUNIT_CASE_PARAM(ioend_flags_map, flags_gen_params),
	KUNIT_CASE_PARAM(ioend_build_decides, build_gen_params),
	KUNIT_CASE(ioend_build_copies_fields),
	KUNIT_CASE_PARAM(choose_mappings, choose_gen_params),
	KUNIT_CASE_PARAM(dio_fallback, fallback_gen_params),
	KUNIT_CASE_PARAM(end_decides, end_gen_params),
	KUNIT_CASE_PARAM(nowait_usable, usable_gen_params),
	KUNIT_CASE_PARAM(nowait_write_waits, waits_gen_params),
	KUNIT_CASE_PARAM(nowait_privs_wait, privs_gen_params),
	{}
};

static struct kunit_suite fuse_iomap_ioend_suite = {
	.name = "fuse_iomap_ioend",
	.test_cases = fuse_iomap_ioend_cases,
};

kunit_test_suite(fuse_iomap_ioend_suite);
