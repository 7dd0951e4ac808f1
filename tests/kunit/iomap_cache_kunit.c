// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the per-inode mapping cache.  Lookups at the edges of entries,
 * upserts that trim, split, replace and merge, removals, the refusal of
 * mappings the cache does not hold, all-or-nothing preallocation,
 * counters, eviction, and a randomised run checked block by block against
 * a simple model after every operation.
 */

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/limits.h>
#include <linux/prandom.h>

#include "../fuse_i.h"

#define BS		4096ULL
#define B(n)		((u64)(n) * BS)
#define NULLA		FUSE_IOMAP_NULL_ADDR
/* The highest block-aligned offset with two whole blocks above it */
#define HI		((U64_MAX & ~(BS - 1)) - B(2))

/* Mappings in blocks: offset, length and device address. */
#define IO(t, o, l, a, d, f) { .offset = (o), .length = (l), .addr = (a), \
			       .type = FUSE_IOMAP_TYPE_##t, .flags = (f), \
			       .dev = (d) }
#define MAPPED_FD(o, l, a, f, d) IO(MAPPED, B(o), B(l), B(a), d, f)
#define MAPPED(o, l, a)		MAPPED_FD(o, l, a, 0, 1)
#define MAPPED_F(o, l, a, f)	MAPPED_FD(o, l, a, f, 1)
#define UNWRITTEN(o, l, a)	IO(UNWRITTEN, B(o), B(l), B(a), 1, 0)
#define HOLE(o, l)		IO(HOLE, B(o), B(l), NULLA, 0, 0)
#define DELALLOC(o, l)		IO(DELALLOC, B(o), B(l), NULLA, 0, 0)

#define MAX_EXTS	4

static struct fuse_iomap_cache *cache(struct kunit *test)
{
	return test->priv;
}

static int cache_test_init(struct kunit *test)
{
	struct fuse_iomap_cache *c;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	fuse_iomap_cache_init(c);
	test->priv = c;
	return 0;
}

static void cache_test_exit(struct kunit *test)
{
	fuse_iomap_cache_destroy(cache(test));
}

/* Upsert with a fresh preallocation, as a caller would. */
static int upsert(struct fuse_iomap_cache *c, const struct fuse_iomap_io *map)
{
	struct fuse_iomap_cache_prealloc pa = {};
	int err;

	err = fuse_iomap_cache_prealloc_fill(&pa, GFP_KERNEL);
	if (!err)
		err = fuse_iomap_cache_upsert(c, map, &pa);
	fuse_iomap_cache_prealloc_release(&pa);
	return err;
}

static void fill(struct kunit *test, const struct fuse_iomap_io *maps)
{
	int i;

	for (i = 0; i < MAX_EXTS && maps[i].length; i++)
		KUNIT_ASSERT_EQ(test, upsert(cache(test), &maps[i]), 0);
}

static unsigned int prealloc_count(const struct fuse_iomap_cache_prealloc *pa)
{
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(pa->entries); i++)
		n += !!pa->entries[i];
	return n;
}

static void expect_io(struct kunit *test, const struct fuse_iomap_io *got,
		      const struct fuse_iomap_io *want)
{
	KUNIT_EXPECT_EQ(test, got->offset, want->offset);
	KUNIT_EXPECT_EQ(test, got->length, want->length);
	KUNIT_EXPECT_EQ(test, got->addr, want->addr);
	KUNIT_EXPECT_EQ(test, got->type, want->type);
	KUNIT_EXPECT_EQ(test, got->flags, want->flags);
	KUNIT_EXPECT_EQ(test, got->dev, want->dev);
}

/* The cache holds exactly @want (terminated by a zero length), in order. */
static void expect_cache(struct kunit *test, const struct fuse_iomap_io *want)
{
	struct fuse_iomap_cache *c = cache(test);
	struct fuse_iomap_io got;
	unsigned long n = 0;
	u64 pos = 0;

	while (fuse_iomap_cache_next(c, pos, &got)) {
		KUNIT_ASSERT_LT_MSG(test, n, MAX_EXTS, "more entries than expected");
		KUNIT_ASSERT_NE_MSG(test, want[n].length, 0,
				    "unexpected entry at %llu", got.offset);
		expect_io(test, &got, &want[n]);
		n++;
		pos = got.offset + got.length;
		if (pos == U64_MAX)
			break;
	}
	KUNIT_EXPECT_EQ(test, n < MAX_EXTS ? want[n].length : 0, 0);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_count(c), n);
}

/* Lookups at and around the edges of entries. */
static const struct fuse_iomap_io lookup_layout[] = {
	MAPPED(4, 4, 100),
	HOLE(12, 2),
	/* ends exactly at U64_MAX: the largest range the cache can hold */
	IO(DELALLOC, U64_MAX & ~(BS - 1), BS - 1, NULLA, 0, 0),
};

struct lookup_case {
	const char *desc;
	u64 pos;
	int hit;		/* index in lookup_layout, or -1 */
};

static const struct lookup_case lookup_cases[] = {
	{ "before the first entry", 0, -1 },
	{ "first byte", B(4), 0 },
	{ "middle", B(6) + 17, 0 },
	{ "last byte", B(8) - 1, 0 },
	{ "one past the end", B(8), -1 },
	{ "in a gap", B(10), -1 },
	{ "first byte of the next entry", B(12), 1 },
	{ "past the last entry below the top", B(1000), -1 },
	{ "last byte below U64_MAX", U64_MAX - 1, 2 },
	{ "U64_MAX", U64_MAX, -1 },
};

static void lookup_case_desc(const struct lookup_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(lookup, lookup_cases, lookup_case_desc);

static void lookup_at(struct kunit *test)
{
	const struct lookup_case *lc = test->param_value;
	struct fuse_iomap_io got;
	bool hit;
	int i;

	for (i = 0; i < ARRAY_SIZE(lookup_layout); i++)
		KUNIT_ASSERT_EQ(test, upsert(cache(test), &lookup_layout[i]), 0);

	hit = fuse_iomap_cache_lookup(cache(test), lc->pos, &got);
	KUNIT_ASSERT_EQ(test, hit, lc->hit >= 0);
	if (hit)
		expect_io(test, &got, &lookup_layout[lc->hit]);
}

static void lookup_empty_misses(struct kunit *test)
{
	struct fuse_iomap_io got;

	KUNIT_EXPECT_FALSE(test, fuse_iomap_cache_lookup(cache(test), 0, &got));
	KUNIT_EXPECT_FALSE(test, fuse_iomap_cache_next(cache(test), 0, &got));
}

/* A lookup returns the whole entry, not the part from pos on. */
static void lookup_returns_whole_merged_entry(struct kunit *test)
{
	static const struct fuse_iomap_io maps[MAX_EXTS] = {
		MAPPED(0, 4, 100), MAPPED(4, 4, 104),
	};
	static const struct fuse_iomap_io whole = MAPPED(0, 8, 100);
	struct fuse_iomap_io got;

	fill(test, maps);
	KUNIT_ASSERT_TRUE(test, fuse_iomap_cache_lookup(cache(test), B(6),
							&got));
	expect_io(test, &got, &whole);
}

static void lookup_keeps_flags_and_device(struct kunit *test)
{
	static const struct fuse_iomap_io map =
		MAPPED_FD(2, 3, 50, FUSE_IOMAP_F_NEW | FUSE_IOMAP_F_SHARED |
			  FUSE_IOMAP_F_WANT_IOMAP_END, 7);
	struct fuse_iomap_io got;

	KUNIT_ASSERT_EQ(test, upsert(cache(test), &map), 0);
	KUNIT_ASSERT_TRUE(test, fuse_iomap_cache_lookup(cache(test), B(3),
							&got));
	expect_io(test, &got, &map);
}

/* next() finds the entry covering a position, or the one after it. */
static void next_finds_following_entry(struct kunit *test)
{
	static const struct fuse_iomap_io maps[MAX_EXTS] = {
		MAPPED(4, 4, 100), HOLE(12, 2),
	};
	struct fuse_iomap_io got;

	fill(test, maps);
	KUNIT_ASSERT_TRUE(test, fuse_iomap_cache_next(cache(test), 0, &got));
	expect_io(test, &got, &maps[0]);
	KUNIT_ASSERT_TRUE(test, fuse_iomap_cache_next(cache(test), B(5), &got));
	expect_io(test, &got, &maps[0]);
	KUNIT_ASSERT_TRUE(test, fuse_iomap_cache_next(cache(test), B(8), &got));
	expect_io(test, &got, &maps[1]);
	KUNIT_EXPECT_FALSE(test, fuse_iomap_cache_next(cache(test), B(14),
						       &got));
}

/* Upserts: the cache before, the mapping, the cache after. */
struct upsert_case {
	const char *desc;
	struct fuse_iomap_io before[MAX_EXTS];
	struct fuse_iomap_io map;
	struct fuse_iomap_io after[MAX_EXTS];
};

#define F_SHARED	FUSE_IOMAP_F_SHARED
#define F_BOUNDARY	FUSE_IOMAP_F_BOUNDARY

static const struct upsert_case upsert_cases[] = {
	{ "insert into empty", {},
	  MAPPED(0, 4, 100), { MAPPED(0, 4, 100) } },
	{ "insert into a gap",
	  { MAPPED(0, 2, 100), MAPPED(8, 2, 200) },
	  HOLE(4, 2),
	  { MAPPED(0, 2, 100), HOLE(4, 2), MAPPED(8, 2, 200) } },
	{ "trim the entry on the left",
	  { MAPPED(0, 8, 100) },
	  HOLE(4, 8), { MAPPED(0, 4, 100), HOLE(4, 8) } },
	{ "trim the entry on the right moves its address",
	  { MAPPED(4, 8, 100) },
	  HOLE(0, 8), { HOLE(0, 8), MAPPED(8, 4, 104) } },
	{ "trim entries on both sides",
	  { MAPPED(0, 4, 100), UNWRITTEN(4, 4, 300) },
	  HOLE(2, 4),
	  { MAPPED(0, 2, 100), HOLE(2, 4), UNWRITTEN(6, 2, 302) } },
	{ "drop the entries covered",
	  { MAPPED(2, 2, 100), HOLE(4, 2), UNWRITTEN(6, 2, 300) },
	  DELALLOC(0, 10), { DELALLOC(0, 10) } },
	{ "split mapped: the tail's address moves",
	  { MAPPED(0, 10, 100) },
	  HOLE(4, 2),
	  { MAPPED(0, 4, 100), HOLE(4, 2), MAPPED(6, 4, 106) } },
	{ "split unwritten: the tail's address moves",
	  { UNWRITTEN(0, 10, 100) },
	  MAPPED(4, 2, 500),
	  { UNWRITTEN(0, 4, 100), MAPPED(4, 2, 500), UNWRITTEN(6, 4, 106) } },
	{ "split hole: no address",
	  { HOLE(0, 10) },
	  MAPPED(4, 2, 500),
	  { HOLE(0, 4), MAPPED(4, 2, 500), HOLE(6, 4) } },
	{ "split delalloc: no address",
	  { DELALLOC(0, 10) },
	  UNWRITTEN(4, 2, 500),
	  { DELALLOC(0, 4), UNWRITTEN(4, 2, 500), DELALLOC(6, 4) } },
	{ "replace an entry of the same range",
	  { MAPPED(0, 4, 100), MAPPED(4, 4, 200), MAPPED(8, 4, 300) },
	  UNWRITTEN(4, 4, 900),
	  { MAPPED(0, 4, 100), UNWRITTEN(4, 4, 900), MAPPED(8, 4, 300) } },
	{ "merge with the left neighbour",
	  { MAPPED(0, 4, 100) },
	  MAPPED(4, 4, 104), { MAPPED(0, 8, 100) } },
	{ "merge with the right neighbour",
	  { MAPPED(4, 4, 104) },
	  MAPPED(0, 4, 100), { MAPPED(0, 8, 100) } },
	{ "merge with both neighbours",
	  { MAPPED(0, 4, 100), MAPPED(8, 4, 108) },
	  MAPPED(4, 4, 104), { MAPPED(0, 12, 100) } },
	{ "merge unwritten",
	  { UNWRITTEN(0, 4, 100), UNWRITTEN(8, 4, 108) },
	  UNWRITTEN(4, 4, 104), { UNWRITTEN(0, 12, 100) } },
	{ "merge holes",
	  { HOLE(0, 4), HOLE(8, 4) },
	  HOLE(4, 4), { HOLE(0, 12) } },
	{ "merge delalloc",
	  { DELALLOC(0, 4) },
	  DELALLOC(4, 4), { DELALLOC(0, 8) } },
	{ "merge equal flags",
	  { MAPPED_F(0, 4, 100, F_SHARED) },
	  MAPPED_F(4, 4, 104, F_SHARED), { MAPPED_F(0, 8, 100, F_SHARED) } },
	{ "no merge on type mismatch",
	  { MAPPED(0, 4, 100) },
	  UNWRITTEN(4, 4, 104), { MAPPED(0, 4, 100), UNWRITTEN(4, 4, 104) } },
	{ "no merge on flags mismatch",
	  { MAPPED(0, 4, 100) },
	  MAPPED_F(4, 4, 104, F_SHARED),
	  { MAPPED(0, 4, 100), MAPPED_F(4, 4, 104, F_SHARED) } },
	{ "no merge on device mismatch",
	  { MAPPED(0, 4, 100) },
	  MAPPED_FD(4, 4, 104, 0, 2),
	  { MAPPED(0, 4, 100), MAPPED_FD(4, 4, 104, 0, 2) } },
	{ "no merge on non-contiguous address",
	  { MAPPED(0, 4, 100) },
	  MAPPED(4, 4, 105), { MAPPED(0, 4, 100), MAPPED(4, 4, 105) } },
	{ "no merge on an address going backwards",
	  { MAPPED(4, 4, 104) },
	  MAPPED(0, 4, 101), { MAPPED(0, 4, 101), MAPPED(4, 4, 104) } },
	{ "no merge across a gap",
	  { MAPPED(0, 4, 100) },
	  MAPPED(5, 4, 105), { MAPPED(0, 4, 100), MAPPED(5, 4, 105) } },
	{ "no merge of boundary mappings",
	  { MAPPED_F(0, 4, 100, F_BOUNDARY) },
	  MAPPED_F(4, 4, 104, F_BOUNDARY),
	  { MAPPED_F(0, 4, 100, F_BOUNDARY), MAPPED_F(4, 4, 104, F_BOUNDARY) } },
	{ "upsert of part of an entry changes nothing",
	  { MAPPED(0, 10, 100) },
	  MAPPED(4, 2, 104), { MAPPED(0, 10, 100) } },
	{ "overwrite merges with what is left of a neighbour",
	  { MAPPED(0, 8, 100), MAPPED(8, 8, 300) },
	  MAPPED(4, 8, 104), { MAPPED(0, 12, 100), MAPPED(12, 4, 304) } },
	{ "overwrite merges with what is left on the right",
	  { MAPPED(0, 8, 100), MAPPED(8, 8, 300) },
	  MAPPED(4, 8, 296), { MAPPED(0, 4, 100), MAPPED(4, 12, 296) } },
};

static void upsert_case_desc(const struct upsert_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(upsert, upsert_cases, upsert_case_desc);

static void upsert_changes(struct kunit *test)
{
	const struct upsert_case *uc = test->param_value;

	fill(test, uc->before);
	KUNIT_ASSERT_EQ(test, upsert(cache(test), &uc->map), 0);
	expect_cache(test, uc->after);
}

/* Mappings the cache does not hold are refused and change nothing. */
struct refuse_case {
	const char *desc;
	struct fuse_iomap_io map;
};

static const struct refuse_case refuse_cases[] = {
	{ "inline", IO(INLINE, 0, B(1), NULLA, 0, 0) },
	{ "do not cache", IO(NOCACHE, 0, B(1), NULLA, 0, 0) },
	{ "retry cache", IO(RETRY_CACHE, 0, B(1), NULLA, 0, 0) },
	{ "pure overwrite", IO(PURE_OVERWRITE, 0, B(1), NULLA, 0, 0) },
	{ "unknown type", { .offset = 0, .length = BS, .type = 77 } },
	{ "zero length", IO(MAPPED, 0, 0, B(100), 1, 0) },
	{ "offset + length overflows", IO(HOLE, B(4), U64_MAX - B(2), NULLA,
					  0, 0) },
};

static void refuse_case_desc(const struct refuse_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(refuse, refuse_cases, refuse_case_desc);

static void upsert_refuses(struct kunit *test)
{
	static const struct fuse_iomap_io before[MAX_EXTS] = {
		MAPPED(0, 16, 100),
	};
	const struct refuse_case *rc = test->param_value;

	fill(test, before);
	KUNIT_EXPECT_EQ(test, upsert(cache(test), &rc->map), -EINVAL);
	expect_cache(test, before);
}

/* Without preallocated entries an upsert fails and changes nothing. */
static void upsert_without_prealloc_fails(struct kunit *test)
{
	static const struct fuse_iomap_io before[MAX_EXTS] = {
		MAPPED(0, 4, 100), MAPPED(8, 4, 200),
	};
	static const struct fuse_iomap_io map = HOLE(2, 8);
	struct fuse_iomap_cache_prealloc pa = {};

	fill(test, before);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_upsert(cache(test), &map, &pa),
			-ENOMEM);
	expect_cache(test, before);
}

/* A split needs two entries: with one left the upsert is all or nothing. */
static void upsert_split_needs_two_entries(struct kunit *test)
{
	static const struct fuse_iomap_io before[MAX_EXTS] = {
		MAPPED(0, 16, 100),
	};
	static const struct fuse_iomap_io first = HOLE(32, 4);
	static const struct fuse_iomap_io split = HOLE(4, 4);
	static const struct fuse_iomap_io trim = HOLE(12, 8);
	static const struct fuse_iomap_io after[MAX_EXTS] = {
		MAPPED(0, 12, 100), HOLE(12, 8), HOLE(32, 4),
	};
	struct fuse_iomap_cache *c = cache(test);
	struct fuse_iomap_cache_prealloc pa = {};

	fill(test, before);
	KUNIT_ASSERT_EQ(test, fuse_iomap_cache_prealloc_fill(&pa, GFP_KERNEL),
			0);
	KUNIT_ASSERT_EQ(test, fuse_iomap_cache_upsert(c, &first, &pa), 0);
	KUNIT_ASSERT_EQ(test, prealloc_count(&pa), 1);

	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_upsert(c, &split, &pa), -ENOMEM);
	KUNIT_EXPECT_EQ(test, prealloc_count(&pa), 1);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_upsert(c, &trim, &pa), 0);
	KUNIT_EXPECT_EQ(test, prealloc_count(&pa), 0);
	fuse_iomap_cache_prealloc_release(&pa);
	expect_cache(test, after);
}

/* Merging into the left neighbour uses no new entry. */
static void upsert_merge_takes_no_entry(struct kunit *test)
{
	static const struct fuse_iomap_io before[MAX_EXTS] = {
		MAPPED(0, 4, 100),
	};
	static const struct fuse_iomap_io map = MAPPED(4, 4, 104);
	struct fuse_iomap_cache_prealloc pa = {};

	fill(test, before);
	KUNIT_ASSERT_EQ(test, fuse_iomap_cache_prealloc_fill(&pa, GFP_KERNEL),
			0);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_upsert(cache(test), &map, &pa),
			0);
	KUNIT_EXPECT_EQ(test, prealloc_count(&pa), 2);
	fuse_iomap_cache_prealloc_release(&pa);
}

static void prealloc_fills_and_release_empties(struct kunit *test)
{
	struct fuse_iomap_cache_prealloc pa = {};

	KUNIT_ASSERT_EQ(test, fuse_iomap_cache_prealloc_fill(&pa, GFP_KERNEL),
			0);
	KUNIT_EXPECT_EQ(test, prealloc_count(&pa), ARRAY_SIZE(pa.entries));
	/* Filled slots are kept, not leaked or replaced. */
	KUNIT_ASSERT_EQ(test, fuse_iomap_cache_prealloc_fill(&pa, GFP_KERNEL),
			0);
	KUNIT_EXPECT_EQ(test, prealloc_count(&pa), ARRAY_SIZE(pa.entries));
	fuse_iomap_cache_prealloc_release(&pa);
	KUNIT_EXPECT_EQ(test, prealloc_count(&pa), 0);
}

/* Removals: the cache before, the range, the cache after. */
struct remove_case {
	const char *desc;
	struct fuse_iomap_io before[MAX_EXTS];
	u64 offset, length;
	bool prealloc;
	struct fuse_iomap_io after[MAX_EXTS];
};

#define TO_EOF		FUSE_IOMAP_INVAL_TO_EOF
#define THREE		{ MAPPED(0, 4, 100), HOLE(4, 4), UNWRITTEN(8, 4, 300) }

static const struct remove_case remove_cases[] = {
	{ "middle of a mapped entry splits it", { MAPPED(0, 10, 100) },
	  B(4), B(2), true, { MAPPED(0, 4, 100), MAPPED(6, 4, 106) } },
	{ "middle of a hole splits it", { HOLE(0, 10) },
	  B(4), B(2), true, { HOLE(0, 4), HOLE(6, 4) } },
	{ "middle without preallocation drops the entry",
	  { HOLE(0, 2), MAPPED(2, 10, 100), HOLE(12, 2) },
	  B(4), B(2), false, { HOLE(0, 2), HOLE(12, 2) } },
	{ "start of an entry", { MAPPED(4, 8, 100) },
	  B(0), B(6), false, { MAPPED(6, 6, 102) } },
	{ "end of an entry", { MAPPED(0, 8, 100) },
	  B(4), B(8), false, { MAPPED(0, 4, 100) } },
	{ "exactly one entry", THREE,
	  B(4), B(4), false, { MAPPED(0, 4, 100), UNWRITTEN(8, 4, 300) } },
	{ "whole entries and both edges", THREE,
	  B(2), B(8), false, { MAPPED(0, 2, 100), UNWRITTEN(10, 2, 302) } },
	{ "empty range", THREE, B(4), 0, true, THREE },
	{ "range in a gap", { MAPPED(0, 2, 100), MAPPED(8, 2, 200) },
	  B(3), B(3), true, { MAPPED(0, 2, 100), MAPPED(8, 2, 200) } },
	{ "range beyond every entry", THREE, B(100), B(10), true, THREE },
	{ "to EOF from zero", THREE, 0, TO_EOF, true, {} },
	{ "to EOF from inside an entry", THREE,
	  B(2), TO_EOF, false, { MAPPED(0, 2, 100) } },
	{ "range passing U64_MAX removes to the end", THREE,
	  B(2), U64_MAX - B(1), false, { MAPPED(0, 2, 100) } },
	{ "range ending at U64_MAX", { MAPPED(0, 4, 100), HOLE(HI / BS, 2) },
	  HI + B(1), U64_MAX - HI - B(1), false,
	  { MAPPED(0, 4, 100), HOLE(HI / BS, 1) } },
	{ "range one byte past U64_MAX", { MAPPED(0, 4, 100), HOLE(HI / BS, 2) },
	  HI + B(1), U64_MAX - HI - B(1) + 1, false,
	  { MAPPED(0, 4, 100), HOLE(HI / BS, 1) } },
	{ "from U64_MAX to EOF removes nothing", { HOLE(HI / BS, 2) },
	  U64_MAX, TO_EOF, false, { HOLE(HI / BS, 2) } },
};

static void remove_case_desc(const struct remove_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(remove, remove_cases, remove_case_desc);

/* Remove a range as the case says, in bytes or in whole blocks. */
static void check_remove(struct kunit *test, bool blocks)
{
	const struct remove_case *rc = test->param_value;
	struct fuse_iomap_cache_prealloc pa = {};

	fill(test, rc->before);
	if (rc->prealloc)
		KUNIT_ASSERT_EQ(test, fuse_iomap_cache_prealloc_fill(&pa, GFP_KERNEL),
				0);
	if (blocks)
		fuse_iomap_cache_remove_blocks(cache(test), rc->offset,
					       rc->length, BS, &pa);
	else
		fuse_iomap_cache_remove(cache(test), rc->offset, rc->length,
					&pa);
	fuse_iomap_cache_prealloc_release(&pa);
	expect_cache(test, rc->after);
}

static void remove_range(struct kunit *test)
{
	check_remove(test, false);
}

/*
 * The kernel's own changes come in bytes; whole blocks go.  The last case
 * is what fsx found: the ioend of a direct write of 0x122a00+0x34800
 * into unwritten blocks left 0x157200.. of the unwritten mapping cached,
 * and a later buffered write at 0x15775f zeroed 0x157000..0x1571ff.
 */
static const struct remove_case remove_blocks_cases[] = {
	{ "aligned range: the same blocks", { MAPPED(0, 10, 100) },
	  B(4), B(2), true, { MAPPED(0, 4, 100), MAPPED(6, 4, 106) } },
	{ "unaligned head takes its whole block", { MAPPED(0, 10, 100) },
	  B(4) + 512, B(2) - 512, true,
	  { MAPPED(0, 4, 100), MAPPED(6, 4, 106) } },
	{ "unaligned tail takes its whole block", { MAPPED(0, 10, 100) },
	  B(4), B(1) + 1, true, { MAPPED(0, 4, 100), MAPPED(6, 4, 106) } },
	{ "one byte takes one block", { UNWRITTEN(0, 3, 300) },
	  B(1) + 7, 1, true, { UNWRITTEN(0, 1, 300), UNWRITTEN(2, 1, 302) } },
	{ "a sub-block range inside one block", { HOLE(0, 1), HOLE(1, 1) },
	  512, 1024, false, { HOLE(1, 1) } },
	{ "unaligned to EOF", { MAPPED(0, 4, 100), HOLE(4, 4) },
	  B(2) + 100, TO_EOF, false, { MAPPED(0, 2, 100) } },
	{ "unaligned range ending in the last block", { HOLE(HI / BS, 2) },
	  HI + 1, U64_MAX - HI - 1, false, {} },
	{ "zero length removes nothing", { MAPPED(0, 4, 100) },
	  B(1) + 1, 0, false, { MAPPED(0, 4, 100) } },
	{ "sub-block direct write ioend", { UNWRITTEN(0x120, 0x40, 0x1000) },
	  0x122a00, 0x34800, true,
	  { UNWRITTEN(0x120, 2, 0x1000), UNWRITTEN(0x158, 8, 0x1038) } },
};

KUNIT_ARRAY_PARAM(remove_blocks, remove_blocks_cases, remove_case_desc);

static void remove_blocks_range(struct kunit *test)
{
	check_remove(test, true);
}

/* A split by remove takes one preallocated entry, trims take none. */
static void remove_split_takes_one_entry(struct kunit *test)
{
	static const struct fuse_iomap_io before[MAX_EXTS] = {
		MAPPED(0, 10, 100), MAPPED(20, 10, 200),
	};
	struct fuse_iomap_cache_prealloc pa = {};

	fill(test, before);
	KUNIT_ASSERT_EQ(test, fuse_iomap_cache_prealloc_fill(&pa, GFP_KERNEL),
			0);
	fuse_iomap_cache_remove(cache(test), B(8), B(14), &pa);
	KUNIT_EXPECT_EQ(test, prealloc_count(&pa), 2);
	fuse_iomap_cache_remove(cache(test), B(2), B(2), &pa);
	KUNIT_EXPECT_EQ(test, prealloc_count(&pa), 1);
	fuse_iomap_cache_prealloc_release(&pa);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_count(cache(test)), 3);
}

/* A NULL preallocation is allowed, and splits become drops. */
static void remove_null_prealloc(struct kunit *test)
{
	static const struct fuse_iomap_io before[MAX_EXTS] = {
		MAPPED(0, 10, 100), HOLE(10, 2),
	};
	static const struct fuse_iomap_io after[MAX_EXTS] = { HOLE(10, 1) };

	fill(test, before);
	fuse_iomap_cache_remove(cache(test), B(4), B(2), NULL);
	fuse_iomap_cache_remove(cache(test), B(11), B(1), NULL);
	expect_cache(test, after);
}

static void upsert_many(struct kunit *test, unsigned int n)
{
	unsigned int i;

	/* Every other block, so that nothing merges. */
	for (i = 0; i < n; i++) {
		struct fuse_iomap_io map = MAPPED(2 * i, 1, 1000 + 7 * i);

		KUNIT_ASSERT_EQ(test, upsert(cache(test), &map), 0);
	}
}

static void destroy_frees_everything(struct kunit *test)
{
	struct fuse_iomap_cache *c = cache(test);
	struct fuse_iomap_io got;

	upsert_many(test, 100);
	KUNIT_ASSERT_EQ(test, fuse_iomap_cache_count(c), 100);
	fuse_iomap_cache_destroy(c);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_count(c), 0);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_bytes(c), 0);
	KUNIT_EXPECT_FALSE(test, fuse_iomap_cache_lookup(c, B(2), &got));
	KUNIT_EXPECT_FALSE(test, fuse_iomap_cache_next(c, 0, &got));
}

static void destroy_leaves_cache_usable(struct kunit *test)
{
	static const struct fuse_iomap_io after[MAX_EXTS] = {
		MAPPED(0, 1, 1000),
	};

	upsert_many(test, 3);
	fuse_iomap_cache_destroy(cache(test));
	fuse_iomap_cache_destroy(cache(test));
	upsert_many(test, 1);
	expect_cache(test, after);
}

static void count_follows_inserts_merges_and_splits(struct kunit *test)
{
	static const struct fuse_iomap_io merge = MAPPED(1, 1, 1001);
	static const struct fuse_iomap_io hole = HOLE(1, 1);
	struct fuse_iomap_cache *c = cache(test);

	upsert_many(test, 3);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_count(c), 3);
	/* fills the gap between the first two, contiguously with the first */
	KUNIT_ASSERT_EQ(test, upsert(c, &merge), 0);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_count(c), 3);
	/* cuts the merged entry in two */
	KUNIT_ASSERT_EQ(test, upsert(c, &hole), 0);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_count(c), 4);
	fuse_iomap_cache_remove(c, 0, TO_EOF, NULL);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_count(c), 0);
}

static void bytes_follow_entries(struct kunit *test)
{
	struct fuse_iomap_cache *c = cache(test);
	size_t one;

	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_bytes(c), 0);
	upsert_many(test, 1);
	one = fuse_iomap_cache_bytes(c);
	KUNIT_EXPECT_GT(test, one, sizeof(struct rb_node));
	/* small entries: the node, three u64s and a little more */
	KUNIT_EXPECT_LE(test, one, sizeof(struct rb_node) + 32);
	fuse_iomap_cache_destroy(c);
	upsert_many(test, 10);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_bytes(c), 10 * one);
}

static void evict_empty_frees_nothing(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_evict(cache(test), 10), 0);
}

static void evict_frees_unused_entries(struct kunit *test)
{
	upsert_many(test, 5);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_evict(cache(test), 5), 5);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_count(cache(test)), 0);
}

static void evict_scans_at_most_nr(struct kunit *test)
{
	upsert_many(test, 5);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_evict(cache(test), 2), 2);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_count(cache(test)), 3);
}

/* A looked-up entry loses its mark on the first scan and goes on the next. */
static void evict_spares_used_entries_once(struct kunit *test)
{
	struct fuse_iomap_cache *c = cache(test);
	struct fuse_iomap_io got;

	upsert_many(test, 3);
	KUNIT_ASSERT_TRUE(test, fuse_iomap_cache_lookup(c, B(2), &got));
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_evict(c, 3), 2);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_count(c), 1);
	KUNIT_EXPECT_TRUE(test, fuse_iomap_cache_next(c, 0, &got));
	KUNIT_EXPECT_EQ(test, got.offset, B(2));
}

static void evict_takes_used_entries_on_second_pass(struct kunit *test)
{
	struct fuse_iomap_cache *c = cache(test);
	struct fuse_iomap_io got;

	upsert_many(test, 1);
	KUNIT_ASSERT_TRUE(test, fuse_iomap_cache_lookup(c, 0, &got));
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_evict(c, 1), 0);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_evict(c, 1), 1);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_count(c), 0);
}

/* next() is a walk, not a use. */
static void evict_ignores_next(struct kunit *test)
{
	struct fuse_iomap_io got;

	upsert_many(test, 1);
	KUNIT_ASSERT_TRUE(test, fuse_iomap_cache_next(cache(test), 0, &got));
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_evict(cache(test), 1), 1);
}

/* The clock hand: a scan goes on where the last one stopped. */
static void evict_resumes_where_it_stopped(struct kunit *test)
{
	struct fuse_iomap_cache *c = cache(test);
	struct fuse_iomap_io got;

	upsert_many(test, 4);		/* blocks 0, 2, 4, 6 */
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_evict(c, 2), 2);
	upsert_many(test, 1);		/* block 0 again, unused */
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_evict(c, 1), 1);
	KUNIT_EXPECT_TRUE(test, fuse_iomap_cache_lookup(c, B(0), &got));
	KUNIT_EXPECT_FALSE(test, fuse_iomap_cache_lookup(c, B(4), &got));
	KUNIT_EXPECT_TRUE(test, fuse_iomap_cache_lookup(c, B(6), &got));
}

/* Past the last entry the hand wraps around to the first. */
static void evict_wraps_around(struct kunit *test)
{
	struct fuse_iomap_cache *c = cache(test);
	struct fuse_iomap_io got;

	upsert_many(test, 3);		/* blocks 0, 2, 4 */
	KUNIT_ASSERT_TRUE(test, fuse_iomap_cache_lookup(c, B(0), &got));
	KUNIT_ASSERT_TRUE(test, fuse_iomap_cache_lookup(c, B(2), &got));
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_evict(c, 3), 1);
	/* 0 and 2 lost their marks; the hand is back at 0 */
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_evict(c, 1), 1);
	KUNIT_EXPECT_FALSE(test, fuse_iomap_cache_lookup(c, B(0), &got));
	KUNIT_EXPECT_TRUE(test, fuse_iomap_cache_lookup(c, B(2), &got));
}

/* A merged entry is as used as the most used of its parts. */
static void evict_merge_keeps_mark(struct kunit *test)
{
	static const struct fuse_iomap_io right = MAPPED(4, 4, 104);
	static const struct fuse_iomap_io left = MAPPED(0, 4, 100);
	struct fuse_iomap_cache *c = cache(test);
	struct fuse_iomap_io got;

	KUNIT_ASSERT_EQ(test, upsert(c, &right), 0);
	KUNIT_ASSERT_TRUE(test, fuse_iomap_cache_lookup(c, B(4), &got));
	KUNIT_ASSERT_EQ(test, upsert(c, &left), 0);
	KUNIT_ASSERT_EQ(test, fuse_iomap_cache_count(c), 1);
	KUNIT_EXPECT_EQ(test, fuse_iomap_cache_evict(c, 1), 0);
}

/*
 * The randomised run: a file of RND_BLOCKS blocks, modelled block by
 * block.  Operations are random upserts (mostly of a few address bases,
 * so that neighbours often continue each other), removals (including
 * splits without preallocation, to EOF and overflowing ranges) and
 * evictions.  After each one every block is looked up and compared with
 * the model, and the entries are walked: in order, disjoint, exactly the
 * maximal runs of blocks that can merge, and as many as counted.
 */
#define RND_BLOCKS	256
#define RND_OPS		4000
#define RND_SEED	0x6675736569636d31ULL

struct rnd_block {
	bool present;
	u16 type;
	u16 flags;
	u32 dev;
	u64 addr;		/* of this block; NULLA without blocks */
};

/* How often the interesting paths ran; each must have run. */
struct rnd_stats {
	unsigned int upsert_splits;	/* inside an entry */
	unsigned int upsert_merges;	/* continued the left neighbour */
	unsigned int upsert_enomem;	/* refused, too few entries */
	unsigned int remove_splits;	/* inside an entry, preallocated */
	unsigned int remove_drops;	/* inside an entry, nothing preallocated */
	unsigned int remove_to_end;	/* to EOF or past U64_MAX */
	unsigned long evicted;
	unsigned long max_entries;
};

struct rnd_ctx {
	struct rnd_stats st;
	struct fuse_iomap_cache *c;
	struct fuse_iomap_cache_prealloc *pa;
	struct rnd_state rs;
	struct rnd_block blk[RND_BLOCKS];
	int step;
};

static bool has_blocks(u16 type)
{
	return type == FUSE_IOMAP_TYPE_MAPPED ||
	       type == FUSE_IOMAP_TYPE_UNWRITTEN;
}

static u32 rnd(struct rnd_ctx *x, u32 n)
{
	return prandom_u32_state(&x->rs) % n;
}

/* Whether two extents, @b starting where @a ends, form one entry. */
static bool can_merge(u16 atype, u16 aflags, u32 adev, u64 aaddr_end,
		      u16 btype, u16 bflags, u32 bdev, u64 baddr)
{
	if (atype != btype || aflags != bflags || adev != bdev ||
	    (aflags & F_BOUNDARY))
		return false;
	return !has_blocks(atype) || aaddr_end == baddr;
}

static bool blocks_merge(const struct rnd_block *a, const struct rnd_block *b)
{
	return a->present && b->present &&
	       can_merge(a->type, a->flags, a->dev, a->addr + BS,
			 b->type, b->flags, b->dev, b->addr);
}

/* The entry the model says covers block @b: [*first, *end). */
static void model_run(const struct rnd_ctx *x, int b, int *first, int *end)
{
	*first = b;
	while (*first > 0 && blocks_merge(&x->blk[*first - 1], &x->blk[*first]))
		(*first)--;
	*end = b + 1;
	while (*end < RND_BLOCKS && blocks_merge(&x->blk[*end - 1],
						 &x->blk[*end]))
		(*end)++;
}

/* Would [@s, @e) lie strictly inside one entry? */
static bool model_splits(const struct rnd_ctx *x, int s, int e, int *first,
			 int *end)
{
	if (s >= RND_BLOCKS || !x->blk[s].present)
		return false;
	model_run(x, s, first, end);
	return *first < s && *end > e;
}

static void model_clear(struct rnd_ctx *x, int s, int e)
{
	for (; s < e && s < RND_BLOCKS; s++)
		x->blk[s].present = false;
}

static void rnd_upsert(struct kunit *test, struct rnd_ctx *x)
{
	static const u16 flag_choice[] = { 0, 0, FUSE_IOMAP_F_NEW, F_SHARED };
	struct fuse_iomap_io map;
	int s, len, first = 0, end = 0, b, i;
	unsigned int avail, need, took;
	bool split;
	u64 base;
	int err;

	s = rnd(x, RND_BLOCKS);
	len = 1 + rnd(x, rnd(x, 16) ? min(8, RND_BLOCKS - s) : RND_BLOCKS - s);
	map.offset = B(s);
	map.length = B(len);
	map.type = rnd(x, 4);		/* HOLE, DELALLOC, MAPPED, UNWRITTEN */
	map.flags = flag_choice[rnd(x, ARRAY_SIZE(flag_choice))];
	if (has_blocks(map.type)) {
		/* identity-like bases make neighbours contiguous */
		switch (rnd(x, 3)) {
		case 0:
			base = 0;
			break;
		case 1:
			base = 1000;
			break;
		default:
			base = rnd(x, 4000);
			break;
		}
		map.addr = B(base + s);
		map.dev = 1 + rnd(x, 2);
	} else {
		map.addr = NULLA;
		map.dev = FUSE_IOMAP_DEV_NULL;
	}

	split = model_splits(x, s, s + len, &first, &end);
	need = 1 + split;
	avail = prealloc_count(x->pa);
	err = fuse_iomap_cache_upsert(x->c, &map, x->pa);
	if (avail < need) {
		KUNIT_ASSERT_EQ_MSG(test, err, -ENOMEM, "step %d", x->step);
		KUNIT_ASSERT_EQ_MSG(test, prealloc_count(x->pa), avail,
				    "step %d", x->step);
		x->st.upsert_enomem++;
		return;
	}
	KUNIT_ASSERT_EQ_MSG(test, err, 0, "step %d", x->step);

	for (i = 0; i < len; i++) {
		b = s + i;
		x->blk[b].present = true;
		x->blk[b].type = map.type;
		x->blk[b].flags = map.flags;
		x->blk[b].dev = map.dev;
		x->blk[b].addr = has_blocks(map.type) ? map.addr + B(i) : NULLA;
	}
	/* a new entry unless it continued its left neighbour; a tail if split */
	took = split + !(s > 0 && blocks_merge(&x->blk[s - 1], &x->blk[s]));
	KUNIT_ASSERT_EQ_MSG(test, prealloc_count(x->pa), avail - took,
			    "step %d: preallocated entries used", x->step);
	x->st.upsert_splits += split;
	x->st.upsert_merges += took == split;
}

static void rnd_remove(struct kunit *test, struct rnd_ctx *x)
{
	struct fuse_iomap_cache_prealloc *pa = rnd(x, 4) ? x->pa : NULL;
	unsigned int avail = pa ? prealloc_count(pa) : 0;
	int s, e, first = 0, end = 0;
	u64 offset, length;

	s = rnd(x, RND_BLOCKS + 16);
	offset = B(s);
	switch (rnd(x, 32)) {
	case 0:
		length = 0;
		e = s;
		break;
	case 1:
		length = TO_EOF;
		e = RND_BLOCKS;
		x->st.remove_to_end++;
		break;
	case 2:
		/* passes U64_MAX by 1 + something */
		length = offset ? U64_MAX - offset + 1 + rnd(x, 3 * BS) : TO_EOF;
		e = RND_BLOCKS;
		x->st.remove_to_end++;
		break;
	default:
		length = B(1 + rnd(x, 12));
		e = s + length / BS;
		break;
	}

	if (length && model_splits(x, s, e, &first, &end)) {
		if (avail) {
			model_clear(x, s, e);
			avail--;
			x->st.remove_splits++;
		} else {
			model_clear(x, first, end);
			x->st.remove_drops++;
		}
	} else {
		model_clear(x, s, e);
	}
	fuse_iomap_cache_remove(x->c, offset, length, pa);
	if (pa)
		KUNIT_ASSERT_EQ_MSG(test, prealloc_count(pa), avail,
				    "step %d: preallocated entries used",
				    x->step);
}

/* Eviction frees whole entries; the model forgets what the cache lost. */
static void rnd_evict(struct kunit *test, struct rnd_ctx *x)
{
	unsigned long before = fuse_iomap_cache_count(x->c), freed;
	struct fuse_iomap_io got;
	int b;

	freed = fuse_iomap_cache_evict(x->c, rnd(x, 2 * before + 4));
	KUNIT_ASSERT_EQ_MSG(test, fuse_iomap_cache_count(x->c), before - freed,
			    "step %d", x->step);
	x->st.evicted += freed;
	for (b = 0; b < RND_BLOCKS; b++)
		if (!fuse_iomap_cache_next(x->c, B(b), &got) ||
		    got.offset > B(b))
			x->blk[b].present = false;
}

static void rnd_check(struct kunit *test, struct rnd_ctx *x)
{
	struct fuse_iomap_io got, prev = {};
	unsigned long n = 0;
	u64 pos, i;
	int b, first, end;
	bool hit, merge;

	for (b = 0; b < RND_BLOCKS; b++) {
		const struct rnd_block *m = &x->blk[b];

		pos = B(b) + rnd(x, BS);
		hit = fuse_iomap_cache_lookup(x->c, pos, &got);
		KUNIT_ASSERT_EQ_MSG(test, hit, m->present,
				    "step %d: lookup of block %d", x->step, b);
		if (!hit)
			continue;
		KUNIT_ASSERT_TRUE_MSG(test, got.offset <= pos &&
				      pos - got.offset < got.length,
				      "step %d: block %d", x->step, b);
		KUNIT_ASSERT_EQ_MSG(test, got.type, m->type,
				    "step %d: type of block %d", x->step, b);
		KUNIT_ASSERT_EQ_MSG(test, got.flags, m->flags,
				    "step %d: flags of block %d", x->step, b);
		KUNIT_ASSERT_EQ_MSG(test, got.dev, m->dev,
				    "step %d: device of block %d", x->step, b);
		KUNIT_ASSERT_EQ_MSG(test, has_blocks(got.type) ?
				    got.addr + (B(b) - got.offset) : got.addr,
				    m->addr,
				    "step %d: address of block %d", x->step, b);
	}

	/* The walk: disjoint, ordered, canonical, and counted. */
	pos = 0;
	while (fuse_iomap_cache_next(x->c, pos, &got)) {
		KUNIT_ASSERT_GE_MSG(test, got.offset, pos,
				    "step %d: overlap at %llu", x->step,
				    got.offset);
		KUNIT_ASSERT_NE(test, got.length, 0);
		KUNIT_ASSERT_TRUE_MSG(test, IS_ALIGNED(got.offset, BS) &&
				      IS_ALIGNED(got.length, BS) &&
				      got.offset + got.length <= B(RND_BLOCKS),
				      "step %d: entry %llu+%llu", x->step,
				      got.offset, got.length);
		merge = n && prev.offset + prev.length == got.offset &&
			can_merge(prev.type, prev.flags, prev.dev,
				  prev.addr + prev.length, got.type,
				  got.flags, got.dev, got.addr);
		KUNIT_ASSERT_FALSE_MSG(test, merge,
				       "step %d: unmerged neighbours at %llu",
				       x->step, got.offset);
		/* exactly the model's run of mergeable blocks */
		model_run(x, got.offset / BS, &first, &end);
		KUNIT_ASSERT_EQ_MSG(test, B(first), got.offset,
				    "step %d: entry start", x->step);
		KUNIT_ASSERT_EQ_MSG(test, B(end), got.offset + got.length,
				    "step %d: entry end", x->step);
		for (i = got.offset / BS; i < (got.offset + got.length) / BS; i++)
			KUNIT_ASSERT_TRUE(test, x->blk[i].present);
		prev = got;
		pos = got.offset + got.length;
		n++;
	}
	KUNIT_ASSERT_EQ_MSG(test, fuse_iomap_cache_count(x->c), n,
			    "step %d: entry count", x->step);
	x->st.max_entries = max(x->st.max_entries, n);
}

static void release_prealloc(void *pa)
{
	fuse_iomap_cache_prealloc_release(pa);
}

static void random_ops_match_model(struct kunit *test)
{
	struct rnd_ctx *x;
	int err;
	u32 op;

	x = kunit_kzalloc(test, sizeof(*x), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, x);
	x->pa = kunit_kzalloc(test, sizeof(*x->pa), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, x->pa);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, release_prealloc,
							x->pa), 0);
	x->c = cache(test);
	prandom_seed_state(&x->rs, RND_SEED);

	for (x->step = 0; x->step < RND_OPS; x->step++) {
		/* Sometimes run short of entries, to test all-or-nothing. */
		if (rnd(x, 4)) {
			err = fuse_iomap_cache_prealloc_fill(x->pa, GFP_KERNEL);
			KUNIT_ASSERT_EQ(test, err, 0);
		}
		op = rnd(x, 100);
		if (op < 65)
			rnd_upsert(test, x);
		else if (op < 98)
			rnd_remove(test, x);
		else
			rnd_evict(test, x);
		rnd_check(test, x);
	}
	kunit_info(test, "%d ops: upsert splits %u merges %u enomem %u, remove splits %u drops %u to end %u, evicted %lu, entries max %lu end %lu\n",
		   RND_OPS, x->st.upsert_splits, x->st.upsert_merges,
		   x->st.upsert_enomem, x->st.remove_splits, x->st.remove_drops,
		   x->st.remove_to_end, x->st.evicted, x->st.max_entries,
		   fuse_iomap_cache_count(x->c));
	KUNIT_EXPECT_GT(test, x->st.upsert_splits, 0);
	KUNIT_EXPECT_GT(test, x->st.upsert_merges, 0);
	KUNIT_EXPECT_GT(test, x->st.upsert_enomem, 0);
	KUNIT_EXPECT_GT(test, x->st.remove_splits, 0);
	KUNIT_EXPECT_GT(test, x->st.remove_drops, 0);
	KUNIT_EXPECT_GT(test, x->st.remove_to_end, 0);
	KUNIT_EXPECT_GT(test, x->st.evicted, 0);
	KUNIT_EXPECT_GE(test, x->st.max_entries, 32);
}

/* Device invalidation: which entries a device range takes with it. */
struct remove_dev_case {
	const char *desc;
	struct fuse_iomap_io before[MAX_EXTS];
	u32 dev;
	u64 addr, length;
	unsigned long dropped;
	struct fuse_iomap_io after[MAX_EXTS];
};

static const struct remove_dev_case remove_dev_cases[] = {
	{ "range inside an entry drops it whole",
	  { MAPPED(0, 8, 100), HOLE(8, 4) }, 1, B(102), B(1), 1,
	  { HOLE(8, 4) } },
	{ "range ending where an entry starts keeps it",
	  { MAPPED(0, 8, 100) }, 1, B(90), B(10), 0,
	  { MAPPED(0, 8, 100) } },
	{ "range starting where an entry ends keeps it",
	  { MAPPED(0, 8, 100) }, 1, B(108), B(10), 0,
	  { MAPPED(0, 8, 100) } },
	{ "last block of an entry drops it",
	  { MAPPED(0, 8, 100) }, 1, B(107), B(1), 1, { } },
	{ "other device's entries stay",
	  { MAPPED_FD(0, 8, 100, 0, 2), MAPPED(8, 8, 100) }, 2, B(100), B(8),
	  1, { MAPPED(8, 8, 100) } },
	{ "holes and delalloc have no device",
	  { HOLE(0, 4), DELALLOC(4, 4), UNWRITTEN(8, 4, 0) }, 0, 0,
	  FUSE_IOMAP_INVAL_TO_EOF, 0,
	  { HOLE(0, 4), DELALLOC(4, 4), UNWRITTEN(8, 4, 0) } },
	{ "unwritten extents go too",
	  { UNWRITTEN(0, 4, 10), MAPPED(4, 4, 50) }, 1, B(12), B(1), 1,
	  { MAPPED(4, 4, 50) } },
	{ "to the end of the device",
	  { MAPPED(0, 4, 10), MAPPED(8, 4, 1000), HOLE(12, 1) }, 1, B(500),
	  FUSE_IOMAP_INVAL_TO_EOF, 1, { MAPPED(0, 4, 10), HOLE(12, 1) } },
	{ "a length past U64_MAX means to the end",
	  { MAPPED(0, 4, 10), MAPPED(8, 4, 1000) }, 1, B(11), U64_MAX - B(2),
	  2, { } },
	{ "zero length drops nothing",
	  { MAPPED(0, 4, 10) }, 1, B(10), 0, 0, { MAPPED(0, 4, 10) } },
	{ "entries on both sides of a gap",
	  { MAPPED(0, 2, 10), MAPPED(2, 2, 20), MAPPED(4, 2, 30) }, 1, B(11),
	  B(20), 3, { } },
};

KUNIT_ARRAY_PARAM_DESC(remove_dev, remove_dev_cases, desc);

/* Entries in the cache, counted by walking it. */
static unsigned long cache_entries(struct fuse_iomap_cache *c)
{
	struct fuse_iomap_io got;
	unsigned long n = 0;
	u64 pos = 0;

	while (fuse_iomap_cache_next(c, pos, &got)) {
		pos = got.offset + got.length;
		n++;
	}
	return n;
}

/* One step with no limit: the whole cache is seen at once. */
static void remove_dev_range(struct kunit *test)
{
	const struct remove_dev_case *tc = test->param_value;
	struct fuse_iomap_cache_walk walk = {};
	unsigned long n;

	fill(test, tc->before);
	n = cache_entries(cache(test));
	KUNIT_EXPECT_TRUE(test, fuse_iomap_cache_remove_dev(cache(test), tc->dev,
							    tc->addr, tc->length,
							    &walk, ULONG_MAX));
	KUNIT_EXPECT_EQ(test, walk.dropped, tc->dropped);
	KUNIT_EXPECT_EQ(test, walk.scanned, tc->length ? n : 0);
	expect_cache(test, tc->after);
}

/* Steps of one entry each end the same, one step per entry. */
static void remove_dev_range_in_steps(struct kunit *test)
{
	const struct remove_dev_case *tc = test->param_value;
	struct fuse_iomap_cache_walk walk = {};
	unsigned long n, steps = 0, scanned;
	bool done;

	fill(test, tc->before);
	n = cache_entries(cache(test));
	do {
		scanned = walk.scanned;
		done = fuse_iomap_cache_remove_dev(cache(test), tc->dev,
						   tc->addr, tc->length, &walk,
						   1);
		KUNIT_EXPECT_LE(test, walk.scanned - scanned, 1);
		KUNIT_ASSERT_LE(test, ++steps, n + 1);
	} while (!done);
	KUNIT_EXPECT_EQ(test, walk.dropped, tc->dropped);
	KUNIT_EXPECT_EQ(test, walk.scanned, tc->length ? n : 0);
	expect_cache(test, tc->after);
}

/* One step of a walk dropping device 1 to its end. */
static bool dev1_step(struct kunit *test, struct fuse_iomap_cache_walk *walk,
		      unsigned long nr_to_scan)
{
	return fuse_iomap_cache_remove_dev(cache(test), 1, 0,
					   FUSE_IOMAP_INVAL_TO_EOF, walk,
					   nr_to_scan);
}

/* A step looks at no more entries than asked, kept ones included. */
static void remove_dev_step_is_bounded(struct kunit *test)
{
	static const struct fuse_iomap_io maps[MAX_EXTS] = {
		HOLE(0, 1), MAPPED(1, 1, 10), HOLE(2, 1), MAPPED(3, 1, 20),
	};
	struct fuse_iomap_cache_walk walk = {};

	fill(test, maps);
	KUNIT_EXPECT_FALSE(test, dev1_step(test, &walk, 3));
	KUNIT_EXPECT_EQ(test, walk.scanned, 3);
	KUNIT_EXPECT_EQ(test, walk.dropped, 1);
	KUNIT_EXPECT_EQ(test, walk.pos, B(3));
	KUNIT_EXPECT_TRUE(test, dev1_step(test, &walk, 3));
	KUNIT_EXPECT_EQ(test, walk.scanned, 4);
	KUNIT_EXPECT_EQ(test, walk.dropped, 2);
	KUNIT_EXPECT_EQ(test, cache_entries(cache(test)), 2);
}

/*
 * Between steps the cache may change: an entry stored ahead of the walk
 * is seen, one stored behind it is not (it is newer than the walk).
 */
static void remove_dev_resumes_after_changes(struct kunit *test)
{
	static const struct fuse_iomap_io start[MAX_EXTS] = {
		MAPPED(0, 1, 10), MAPPED(4, 1, 20), MAPPED(8, 1, 30),
	};
	static const struct fuse_iomap_io more[MAX_EXTS] = {
		MAPPED(2, 1, 40), MAPPED(6, 1, 50),
	};
	static const struct fuse_iomap_io after[MAX_EXTS] = { MAPPED(2, 1, 40) };
	struct fuse_iomap_cache_walk walk = {};

	fill(test, start);
	KUNIT_EXPECT_FALSE(test, dev1_step(test, &walk, 1));
	KUNIT_EXPECT_EQ(test, walk.pos, B(4));
	fill(test, more);
	while (!dev1_step(test, &walk, 1))
		KUNIT_ASSERT_LE(test, walk.scanned, 5);
	KUNIT_EXPECT_EQ(test, walk.dropped, 4);
	expect_cache(test, after);
}

/* An entry that grew to cover the walk's position meanwhile is seen. */
static void remove_dev_resumes_inside_grown_entry(struct kunit *test)
{
	static const struct fuse_iomap_io start[MAX_EXTS] = {
		HOLE(0, 4), MAPPED(4, 4, 90),
	};
	/* One entry [0, 8) replaces both and starts behind the position. */
	static const struct fuse_iomap_io grown[MAX_EXTS] = { MAPPED(0, 8, 10) };
	struct fuse_iomap_cache_walk walk = {};

	fill(test, start);
	KUNIT_EXPECT_FALSE(test, dev1_step(test, &walk, 1));
	KUNIT_EXPECT_EQ(test, walk.pos, B(4));
	fill(test, grown);
	KUNIT_EXPECT_EQ(test, cache_entries(cache(test)), 1);
	KUNIT_EXPECT_TRUE(test, dev1_step(test, &walk, 1));
	KUNIT_EXPECT_EQ(test, walk.scanned, 2);
	KUNIT_EXPECT_EQ(test, walk.dropped, 1);
	KUNIT_EXPECT_EQ(test, cache_entries(cache(test)), 0);
}

static struct kunit_case fuse_iomap_cache_cases[] = {
	KUNIT_CASE_PARAM(lookup_at, lookup_gen_params),
	KUNIT_CASE(lookup_empty_misses),
	KUNIT_CASE(lookup_returns_whole_merged_entry),
	KUNIT_CASE(lookup_keeps_flags_and_device),
	KUNIT_CASE(next_finds_following_entry),
	KUNIT_CASE_PARAM(upsert_changes, upsert_gen_params),
	KUNIT_CASE_PARAM(upsert_refuses, refuse_gen_params),
	KUNIT_CASE(upsert_without_prealloc_fails),
	KUNIT_CASE(upsert_split_needs_two_entries),
	KUNIT_CASE(upsert_merge_takes_no_entry),
	KUNIT_CASE(prealloc_fills_and_release_empties),
	KUNIT_CASE_PARAM(remove_range, remove_gen_params),
	KUNIT_CASE(remove_split_takes_one_entry),
	KUNIT_CASE(remove_null_prealloc),
	KUNIT_CASE_PARAM(remove_blocks_range, remove_blocks_gen_params),
	KUNIT_CASE_PARAM(remove_dev_range, remove_dev_gen_params),
	KUNIT_CASE_PARAM(remove_dev_range_in_steps, remove_dev_gen_params),
	KUNIT_CASE(remove_dev_step_is_bounded),
	KUNIT_CASE(remove_dev_resumes_after_changes),
	KUNIT_CASE(remove_dev_resumes_inside_grown_entry),
	KUNIT_CASE(destroy_frees_everything),
	KUNIT_CASE(destroy_leaves_cache_usable),
	KUNIT_CASE(count_follows_inserts_merges_and_splits),
	KUNIT_CASE(bytes_follow_entries),
	KUNIT_CASE(evict_empty_frees_nothing),
	KUNIT_CASE(evict_frees_unused_entries),
	KUNIT_CASE(evict_scans_at_most_nr),
	KUNIT_CASE(evict_spares_used_entries_once),
	KUNIT_CASE(evict_takes_used_entries_on_second_pass),
	KUNIT_CASE(evict_ignores_next),
	KUNIT_CASE(evict_resumes_where_it_stopped),
	KUNIT_CASE(evict_wraps_around),
	KUNIT_CASE(evict_merge_keeps_mark),
	KUNIT_CASE(random_ops_match_model),
	{}
};

static struct kunit_suite fuse_iomap_cache_suite = {
	.name = "fuse_iomap_cache",
	.init = cache_test_init,
	.exit = cache_test_exit,
	.test_cases = fuse_iomap_cache_cases,
};

kunit_test_suite(fuse_iomap_cache_suite);
