// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: inline data: when the kernel offers room for it in a
 * FUSE_IOMAP_BEGIN reply, what FUSE_IOMAP_END hands back, which
 * operations change it, and the page's way from the reply to the mapping.
 */

#include <kunit/test.h>
#include <linux/iomap.h>
#include <linux/mm.h>

#include "../fuse_i.h"

#define PG	((loff_t)PAGE_SIZE)

struct possible_case {
	const char *desc;
	u32 opflags;
	loff_t pos, isize;
	bool possible;
};

static const struct possible_case possible_cases[] = {
	{ "read of an empty file", 0, 0, 0, true },
	{ "read of a small file", 0, 0, 100, true },
	{ "read a page before EOF", 0, 0, PG, true },
	{ "read a page and a byte before EOF", 0, 0, PG + 1, false },
	{ "read of a tail", 0, 3 * PG, 3 * PG + 10, true },
	{ "read far from EOF", 0, 0, 100 * PG, false },
	{ "write past EOF", FUSE_IOMAP_OP_WRITE, 10 * PG, 100, true },
	{ "zeroing at EOF", FUSE_IOMAP_OP_ZERO, 100, 100, true },
	{ "report at the tail", FUSE_IOMAP_OP_REPORT, PG, PG + 1, true },
	{ "writeback of a small file",
	  FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_WRITEBACK, 0, 100, false },
};

static void possible_case_desc(const struct possible_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(possible, possible_cases, possible_case_desc);

static void inline_possible(struct kunit *test)
{
	const struct possible_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, fuse_iomap_inline_possible(c->opflags, c->pos,
							 c->isize),
			c->possible);
}

struct end_size_case {
	const char *desc;
	u64 offset, length;
	loff_t isize;
	u32 size;
};

static const struct end_size_case end_size_cases[] = {
	{ "small file", 0, PG, 100, 100 },
	{ "file of exactly the mapping", 0, PG, PG, PG },
	{ "tail", 2 * PG, PG, 2 * PG + 7, 7 },
	{ "file grown past the mapping", 0, 1024, 4000, 1024 },
	{ "mapping past EOF", PG, PG, PG, 0 },
};

static void end_size_case_desc(const struct end_size_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(end_size, end_size_cases, end_size_case_desc);

static void inline_end_size(struct kunit *test)
{
	const struct end_size_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, fuse_iomap_inline_end_size(c->offset, c->length,
							 c->isize),
			c->size);
}

struct changed_case {
	const char *desc;
	u16 type;
	unsigned int flags;
	ssize_t written;
	bool changed;
};

static const struct changed_case changed_cases[] = {
	{ "buffered write", IOMAP_INLINE, IOMAP_WRITE, 10, true },
	{ "zeroing", IOMAP_INLINE, IOMAP_ZERO, 10, true },
	{ "write that wrote nothing", IOMAP_INLINE, IOMAP_WRITE, 0, false },
	{ "read", IOMAP_INLINE, 0, 10, false },
	{ "report", IOMAP_INLINE, IOMAP_REPORT, 10, false },
	{ "direct read", IOMAP_INLINE, IOMAP_DIRECT, 10, false },
	{ "direct write (falls back)", IOMAP_INLINE,
	  IOMAP_WRITE | IOMAP_DIRECT, 10, false },
	{ "write to blocks", IOMAP_MAPPED, IOMAP_WRITE, 10, false },
	{ "zeroing blocks", IOMAP_MAPPED, IOMAP_ZERO, 10, false },
};

static void changed_case_desc(const struct changed_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(changed, changed_cases, changed_case_desc);

static void inline_changed(struct kunit *test)
{
	const struct changed_case *c = test->param_value;
	struct iomap iomap = { .type = c->type };

	KUNIT_EXPECT_EQ(test, fuse_iomap_inline_changed(&iomap, c->flags,
							c->written),
			c->changed);
}

/* Direct writes into inline data go through the page cache. */
static void inline_dio_fallback(struct kunit *test)
{
	struct iomap iomap = { .type = IOMAP_INLINE, .length = PAGE_SIZE };

	KUNIT_EXPECT_TRUE(test, fuse_iomap_dio_needs_fallback(PAGE_SIZE, 0,
							      PAGE_SIZE,
							      &iomap));
	KUNIT_EXPECT_TRUE(test, fuse_iomap_dio_needs_fallback(PAGE_SIZE, 512,
							      512, &iomap));
}

/* The reply's data: zero past it, and owned by an INLINE mapping only. */
static void inline_page_lifetime(struct kunit *test)
{
	struct fuse_iomap_limits lim = { .inline_buf = true };
	struct iomap mapped = { .type = IOMAP_MAPPED };
	struct iomap inl = { .type = IOMAP_INLINE };
	char *buf = (char *)__get_free_page(GFP_KERNEL);
	void *p = buf;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	memset(buf, 0xa5, PAGE_SIZE);
	fuse_iomap_inline_received(&lim, buf, 100);
	KUNIT_EXPECT_EQ(test, lim.inline_bytes, 100);
	KUNIT_EXPECT_EQ(test, buf[99], (char)0xa5);
	KUNIT_EXPECT_EQ(test, buf[100], 0);
	KUNIT_EXPECT_EQ(test, buf[PAGE_SIZE - 1], 0);

	fuse_iomap_inline_attach(&mapped, &p);
	KUNIT_EXPECT_PTR_EQ(test, p, (void *)buf);
	KUNIT_EXPECT_NULL(test, mapped.inline_data);

	fuse_iomap_inline_attach(&inl, &p);
	KUNIT_EXPECT_NULL(test, p);
	KUNIT_EXPECT_PTR_EQ(test, inl.inline_data, (void *)buf);
	KUNIT_EXPECT_TRUE(test, iomap_inline_data_valid(&inl));

	/* What fuse_iomap_unmap() does: free it once, forget it. */
	fuse_iomap_inline_put(&inl);
	KUNIT_EXPECT_NULL(test, inl.inline_data);
	fuse_iomap_inline_put(&inl);
	fuse_iomap_inline_free(p);
}

static struct kunit_case fuse_iomap_inline_cases[] = {
	KUNIT_CASE_PARAM(inline_possible, possible_gen_params),
	KUNIT_CASE_PARAM(inline_end_size, end_size_gen_params),
	KUNIT_CASE_PARAM(inline_changed, changed_gen_params),
	KUNIT_CASE(inline_dio_fallback),
	KUNIT_CASE(inline_page_lifetime),
	{}
};

static struct kunit_suite fuse_iomap_inline_suite = {
	.name = "fuse_iomap_inline",
	.test_cases = fuse_iomap_inline_cases,
};

kunit_test_suite(fuse_iomap_inline_suite);
