// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: famfs fmaps.  Validation of GET_FMAP replies (one case per rule,
 * plus the valid shapes), offset resolution by hand and against a
 * brute-force model over random layouts, device memory shared between
 * strips and between fmaps, the GET_FMAP size retry, the
 * GET_DAXDEV reply checks and the poisoned-range table.
 */

#include <kunit/test.h>
#include <linux/fs.h>
#include <linux/fuse.h>
#include <linux/mm.h>
#include <linux/prandom.h>
#include <linux/sizes.h>
#include <linux/stddef.h>

#include "../famfs_i.h"

#define M2		((u64)SZ_2M)
#define REG		FUSE_FAMFS_FILE_REG
#define SIMPLE		FUSE_FAMFS_EXT_SIMPLE
#define ILV		FUSE_FAMFS_EXT_INTERLEAVE
#define WBUF_SIZE	(FUSE_FAMFS_MAX_FMAP_SIZE + 4096)

/* A GET_FMAP reply under construction. */
struct wbuf {
	u8	*p;
	size_t	len;
};

static void w_put(struct wbuf *b, const void *v, size_t n)
{
	memcpy(b->p + b->len, v, n);
	b->len += n;
}

static void w_hdr_raw(struct wbuf *b, const struct fuse_famfs_fmap_header *h)
{
	w_put(b, h, sizeof(*h));
}

static void w_hdr(struct wbuf *b, u32 ext_type, u32 nextents, u64 file_size)
{
	struct fuse_famfs_fmap_header h = {
		.file_type = REG,
		.fmap_version = FUSE_FAMFS_FMAP_VERSION,
		.ext_type = ext_type,
		.nextents = nextents,
		.file_size = file_size,
	};

	w_hdr_raw(b, &h);
}

static void w_se(struct wbuf *b, u32 dev, u64 off, u64 len)
{
	struct fuse_famfs_simple_ext se = {
		.se_devindex = dev, .se_offset = off, .se_len = len,
	};

	w_put(b, &se, sizeof(se));
}

static void w_ie(struct wbuf *b, u32 nstrips, u32 chunk, u64 nbytes)
{
	struct fuse_famfs_iext ie = {
		.ie_nstrips = nstrips, .ie_chunk_size = chunk,
		.ie_nbytes = nbytes,
	};

	w_put(b, &ie, sizeof(ie));
}

/* A header of one simple extent, with one field changed by @mod. */
#define HDR_CASE(name, field, value)					\
static void name(struct wbuf *b)					\
{									\
	struct fuse_famfs_fmap_header h = {				\
		.file_type = REG,					\
		.fmap_version = FUSE_FAMFS_FMAP_VERSION,		\
		.ext_type = SIMPLE,					\
		.nextents = 1,						\
		.file_size = M2,					\
	};								\
	h.field = value;						\
	w_hdr_raw(b, &h);						\
	w_se(b, 0, 0, M2);						\
}

/* ---- valid replies ---- */

static void b_simple_one(struct wbuf *b)
{
	w_hdr(b, SIMPLE, 1, 4 * M2);
	w_se(b, 0, 0, 4 * M2);
}

static void b_simple_three(struct wbuf *b)
{
	w_hdr(b, SIMPLE, 3, 5 * M2 + 1);
	w_se(b, 0, 8 * M2, 2 * M2);
	w_se(b, 1, 0, M2);
	w_se(b, 0, 2 * M2, 4 * M2);
}

static void b_empty(struct wbuf *b)
{
	w_hdr(b, SIMPLE, 0, 0);
}

static void b_ilv_two(struct wbuf *b)
{
	w_hdr(b, ILV, 2, 12 * M2);
	w_ie(b, 2, M2, 4 * M2);
	w_se(b, 0, 0, 2 * M2);
	w_se(b, 1, 0, 2 * M2);
	w_ie(b, 3, 2 * M2, 8 * M2);
	w_se(b, 0, 2 * M2, 4 * M2);
	w_se(b, 1, 2 * M2, 2 * M2);
	w_se(b, 2, 0, 2 * M2);
}

/* 5 chunks over 2 strips: strip 0 holds 3 of them, strip 1 two. */
static void b_ilv_uneven(struct wbuf *b)
{
	w_hdr(b, ILV, 1, 5 * M2);
	w_ie(b, 2, M2, 5 * M2);
	w_se(b, 0, 0, 3 * M2);
	w_se(b, 1, 0, 2 * M2);
}

static void b_max_extents(struct wbuf *b)
{
	int i;

	w_hdr(b, SIMPLE, FUSE_FAMFS_MAX_EXTENTS, FUSE_FAMFS_MAX_EXTENTS * M2);
	for (i = 0; i < FUSE_FAMFS_MAX_EXTENTS; i++)
		w_se(b, i, 0, M2);
}

static void b_max_strips(struct wbuf *b)
{
	int i;

	w_hdr(b, ILV, 1, FUSE_FAMFS_MAX_STRIPS * M2);
	w_ie(b, FUSE_FAMFS_MAX_STRIPS, M2, FUSE_FAMFS_MAX_STRIPS * M2);
	for (i = 0; i < FUSE_FAMFS_MAX_STRIPS; i++)
		w_se(b, i, 0, M2);
}

/* The largest reply the limits allow: 32 extents of 32 strips. */
static void b_largest(struct wbuf *b)
{
	int i, j;

	w_hdr(b, ILV, FUSE_FAMFS_MAX_EXTENTS, 0);
	for (i = 0; i < FUSE_FAMFS_MAX_EXTENTS; i++) {
		w_ie(b, FUSE_FAMFS_MAX_STRIPS, M2, FUSE_FAMFS_MAX_STRIPS * M2);
		for (j = 0; j < FUSE_FAMFS_MAX_STRIPS; j++)
			w_se(b, j, (u64)i * M2, M2);
	}
}

HDR_CASE(b_superblock, file_type, FUSE_FAMFS_FILE_SUPERBLOCK)
HDR_CASE(b_log, file_type, FUSE_FAMFS_FILE_LOG)

/* ---- the header ---- */

static void b_no_reply(struct wbuf *b)
{
}

static void b_short_header(struct wbuf *b)
{
	w_hdr(b, SIMPLE, 0, 0);
	b->len--;
}

HDR_CASE(b_version0, fmap_version, 0)
HDR_CASE(b_version2, fmap_version, FUSE_FAMFS_FMAP_VERSION + 1)
HDR_CASE(b_file_type, file_type, FUSE_FAMFS_FILE_LOG + 1)
HDR_CASE(b_ext_type, ext_type, FUSE_FAMFS_EXT_INTERLEAVE + 1)
HDR_CASE(b_reserved, reserved, 1)
HDR_CASE(b_reserved0, reserved0, 1)
HDR_CASE(b_reserved1, reserved1, 1ULL << 63)
HDR_CASE(b_huge_size, file_size, (u64)MAX_LFS_FILESIZE + 1)

static void b_too_many_extents(struct wbuf *b)
{
	int i;

	w_hdr(b, SIMPLE, FUSE_FAMFS_MAX_EXTENTS + 1, M2);
	for (i = 0; i <= FUSE_FAMFS_MAX_EXTENTS; i++)
		w_se(b, 0, 0, M2);
}

/* ---- simple extents ---- */

static void b_missing_extent(struct wbuf *b)
{
	w_hdr(b, SIMPLE, 2, M2);
	w_se(b, 0, 0, M2);
}

static void b_cut_extent(struct wbuf *b)
{
	w_hdr(b, SIMPLE, 1, M2);
	w_se(b, 0, 0, M2);
	b->len -= 8;
}

static void b_ext_reserved(struct wbuf *b)
{
	struct fuse_famfs_simple_ext se = { .se_len = M2, .reserved = 1 };

	w_hdr(b, SIMPLE, 1, M2);
	w_put(b, &se, sizeof(se));
}

static void b_bad_dev(struct wbuf *b)
{
	w_hdr(b, SIMPLE, 1, M2);
	w_se(b, FUSE_FAMFS_MAX_DAXDEVS, 0, M2);
}

static void b_zero_len(struct wbuf *b)
{
	w_hdr(b, SIMPLE, 2, M2);
	w_se(b, 0, 0, M2);
	w_se(b, 0, 2 * M2, 0);
}

static void b_misaligned_off(struct wbuf *b)
{
	w_hdr(b, SIMPLE, 1, M2);
	w_se(b, 0, SZ_4K, M2);
}

static void b_misaligned_len(struct wbuf *b)
{
	w_hdr(b, SIMPLE, 1, M2);
	w_se(b, 0, 0, M2 + SZ_4K);
}

static void b_dev_end_overflow(struct wbuf *b)
{
	w_hdr(b, SIMPLE, 1, M2);
	w_se(b, 0, U64_MAX & ~(M2 - 1), 2 * M2);
}

static void b_file_off_overflow(struct wbuf *b)
{
	w_hdr(b, SIMPLE, 2, M2);
	w_se(b, 0, 0, 1ULL << 63);
	w_se(b, 1, 0, 1ULL << 63);
}

static void b_past_max_size(struct wbuf *b)
{
	w_hdr(b, SIMPLE, 1, M2);
	w_se(b, 0, 0, 1ULL << 63);
}

static void b_short_cover(struct wbuf *b)
{
	w_hdr(b, SIMPLE, 2, 3 * M2 + 1);
	w_se(b, 0, 0, M2);
	w_se(b, 0, 4 * M2, 2 * M2);
}

static void b_trailing(struct wbuf *b)
{
	w_hdr(b, SIMPLE, 1, M2);
	w_se(b, 0, 0, M2);
	w_put(b, "x", 1);
}

static void b_trailing_empty(struct wbuf *b)
{
	w_hdr(b, SIMPLE, 0, 0);
	w_se(b, 0, 0, M2);
}

/* ---- interleaved extents ---- */

static void b_cut_iext(struct wbuf *b)
{
	w_hdr(b, ILV, 1, M2);
	w_ie(b, 1, M2, M2);
	b->len -= 4;
}

static void b_zero_strips(struct wbuf *b)
{
	w_hdr(b, ILV, 1, M2);
	w_ie(b, 0, M2, M2);
}

static void b_too_many_strips(struct wbuf *b)
{
	int i;

	w_hdr(b, ILV, 1, M2);
	w_ie(b, FUSE_FAMFS_MAX_STRIPS + 1, M2, M2);
	for (i = 0; i <= FUSE_FAMFS_MAX_STRIPS; i++)
		w_se(b, 0, 0, M2);
}

static void b_zero_chunk(struct wbuf *b)
{
	w_hdr(b, ILV, 1, M2);
	w_ie(b, 1, 0, M2);
	w_se(b, 0, 0, M2);
}

static void b_misaligned_chunk(struct wbuf *b)
{
	w_hdr(b, ILV, 1, M2);
	w_ie(b, 1, PAGE_SIZE + 512, M2);
	w_se(b, 0, 0, M2);
}

/* famfs_fused: 4 KiB chunks, ie_nbytes the file size */
static void b_page_chunks_odd_size(struct wbuf *b)
{
	w_hdr(b, ILV, 1, 3 * PAGE_SIZE + 100);
	w_ie(b, 2, PAGE_SIZE, 3 * PAGE_SIZE + 100);
	w_se(b, 0, 0, M2);
	w_se(b, 1, 0, M2);
}

/* an unaligned extent before the last would split a page of the file */
static void b_unaligned_before_last(struct wbuf *b)
{
	w_hdr(b, ILV, 2, M2 + 100 + M2);
	w_ie(b, 1, M2, M2 + 100);
	w_se(b, 0, 0, 2 * M2);
	w_ie(b, 1, M2, M2);
	w_se(b, 0, 2 * M2, M2);
}

static void b_zero_nbytes(struct wbuf *b)
{
	w_hdr(b, ILV, 1, 0);
	w_ie(b, 1, M2, 0);
	w_se(b, 0, 0, M2);
}

static void b_misaligned_nbytes(struct wbuf *b)
{
	w_hdr(b, ILV, 1, M2);
	w_ie(b, 1, M2, M2 + SZ_64K);
	w_se(b, 0, 0, 2 * M2);
}

static void b_iext_reserved(struct wbuf *b)
{
	struct fuse_famfs_iext ie = {
		.ie_nstrips = 1, .ie_chunk_size = M2, .ie_nbytes = M2,
		.reserved = 1,
	};

	w_hdr(b, ILV, 1, M2);
	w_put(b, &ie, sizeof(ie));
	w_se(b, 0, 0, M2);
}

static void b_missing_strip(struct wbuf *b)
{
	w_hdr(b, ILV, 1, 2 * M2);
	w_ie(b, 2, M2, 2 * M2);
	w_se(b, 0, 0, M2);
}

static void b_short_strip(struct wbuf *b)
{
	/* 5 chunks over 2 strips: strip 0 needs 3 of them */
	w_hdr(b, ILV, 1, 5 * M2);
	w_ie(b, 2, M2, 5 * M2);
	w_se(b, 0, 0, 2 * M2);
	w_se(b, 1, 0, 3 * M2);
}

static void b_strip_misaligned(struct wbuf *b)
{
	w_hdr(b, ILV, 1, 2 * M2);
	w_ie(b, 2, M2, 2 * M2);
	w_se(b, 0, 0, M2);
	w_se(b, 1, SZ_4K, M2);
}

static void b_strip_bad_dev(struct wbuf *b)
{
	w_hdr(b, ILV, 1, 2 * M2);
	w_ie(b, 2, M2, 2 * M2);
	w_se(b, 0, 0, M2);
	w_se(b, 99, 0, M2);
}

/* ---- device memory shared by two strips ---- */

static void b_adjacent(struct wbuf *b)
{
	w_hdr(b, SIMPLE, 2, 2 * M2);
	w_se(b, 0, M2, M2);
	w_se(b, 0, 0, M2);
}

static void b_overlap_simple(struct wbuf *b)
{
	w_hdr(b, SIMPLE, 2, 3 * M2);
	w_se(b, 0, 0, 2 * M2);
	w_se(b, 0, M2, M2);
}

static void b_overlap_strips(struct wbuf *b)
{
	w_hdr(b, ILV, 1, 2 * M2);
	w_ie(b, 2, M2, 2 * M2);
	w_se(b, 3, 4 * M2, M2);
	w_se(b, 3, 4 * M2, M2);
}

static void b_overlap_iexts(struct wbuf *b)
{
	w_hdr(b, ILV, 2, 4 * M2);
	w_ie(b, 2, M2, 2 * M2);
	w_se(b, 0, 0, M2);
	w_se(b, 1, 0, M2);
	w_ie(b, 2, M2, 2 * M2);
	w_se(b, 2, 0, M2);
	w_se(b, 1, 0, 2 * M2);
}

/* strips 1 and 2 hold no chunk: they may share a spare range */
static void b_unused_strips_share(struct wbuf *b)
{
	w_hdr(b, ILV, 1, M2);
	w_ie(b, 3, M2, M2);
	w_se(b, 0, 0, M2);
	w_se(b, 0, 8 * M2, M2);
	w_se(b, 0, 8 * M2, M2);
}

/* a strip's tail past its chunks is never mapped: another may use it */
static void b_unused_tail(struct wbuf *b)
{
	w_hdr(b, ILV, 2, 2 * M2);
	w_ie(b, 1, M2, M2);
	w_se(b, 0, 0, 2 * M2);
	w_ie(b, 1, M2, M2);
	w_se(b, 0, M2, M2);
}

struct parse_case {
	const char *desc;
	void (*build)(struct wbuf *b);
	const char *rule;	/* NULL: valid */
};

static const struct parse_case parse_cases[] = {
	{ "valid: one simple extent", b_simple_one, NULL },
	{ "valid: simple extents on two devices, size inside", b_simple_three,
	  NULL },
	{ "valid: empty file without extents", b_empty, NULL },
	{ "valid: two interleaved extents", b_ilv_two, NULL },
	{ "valid: interleave with a short last row", b_ilv_uneven, NULL },
	{ "valid: 32 extents", b_max_extents, NULL },
	{ "valid: 32 strips", b_max_strips, NULL },
	{ "valid: 32 extents of 32 strips", b_largest, NULL },
	{ "valid: superblock file", b_superblock, NULL },
	{ "valid: log file", b_log, NULL },
	{ "empty reply", b_no_reply, "truncated header" },
	{ "header one byte short", b_short_header, "truncated header" },
	{ "fmap version 0", b_version0, "unknown fmap version" },
	{ "fmap version 2", b_version2, "unknown fmap version" },
	{ "file type 3", b_file_type, "unknown file type" },
	{ "extent type 2", b_ext_type, "unknown extent type" },
	{ "header reserved", b_reserved, "reserved header field not zero" },
	{ "header reserved0", b_reserved0, "reserved header field not zero" },
	{ "header reserved1", b_reserved1, "reserved header field not zero" },
	{ "file size past MAX_LFS_FILESIZE", b_huge_size,
	  "file size too large" },
	{ "33 extents", b_too_many_extents, "too many extents" },
	{ "one extent of two missing", b_missing_extent, "truncated extent" },
	{ "extent cut short", b_cut_extent, "truncated extent" },
	{ "extent reserved", b_ext_reserved,
	  "reserved extent field not zero" },
	{ "device index 32", b_bad_dev, "device index out of range" },
	{ "zero extent length", b_zero_len, "zero extent length" },
	{ "misaligned extent offset", b_misaligned_off,
	  "extent offset not 2 MiB aligned" },
	{ "misaligned extent length", b_misaligned_len,
	  "extent length not 2 MiB aligned" },
	{ "device end overflows", b_dev_end_overflow, "extent end overflows" },
	{ "file offsets overflow", b_file_off_overflow,
	  "extents overflow the file offset" },
	{ "extents past MAX_LFS_FILESIZE", b_past_max_size,
	  "extents map past the largest file size" },
	{ "extents one byte short of the size", b_short_cover,
	  "extents do not cover the file size" },
	{ "a byte after the last extent", b_trailing,
	  "bytes after the last extent" },
	{ "an extent after zero extents", b_trailing_empty,
	  "bytes after the last extent" },
	{ "iext cut short", b_cut_iext, "truncated interleaved extent" },
	{ "zero strips", b_zero_strips, "interleaved extent without strips" },
	{ "33 strips", b_too_many_strips, "too many strips" },
	{ "zero chunk size", b_zero_chunk, "zero chunk size" },
	{ "chunk size not a page multiple", b_misaligned_chunk,
	  "chunk size not a multiple of the page size" },
	{ "zero interleaved length", b_zero_nbytes, "zero extent length" },
	{ "valid: last interleaved length unaligned", b_misaligned_nbytes,
	  NULL },
	{ "valid: page-sized chunks, odd size", b_page_chunks_odd_size, NULL },
	{ "unaligned interleaved length before the last",
	  b_unaligned_before_last,
	  "extent length not page aligned before the last" },
	{ "iext reserved", b_iext_reserved, "reserved extent field not zero" },
	{ "one strip of two missing", b_missing_strip, "truncated extent" },
	{ "strip shorter than its chunks", b_short_strip,
	  "strip too short for its chunks" },
	{ "misaligned strip offset", b_strip_misaligned,
	  "extent offset not 2 MiB aligned" },
	{ "strip device index 99", b_strip_bad_dev,
	  "device index out of range" },
	{ "valid: adjacent extents on one device", b_adjacent, NULL },
	{ "two simple extents share memory", b_overlap_simple,
	  "extents overlap on the device" },
	{ "two strips of an extent share memory", b_overlap_strips,
	  "extents overlap on the device" },
	{ "strips of two extents share memory", b_overlap_iexts,
	  "extents overlap on the device" },
	{ "valid: strips without chunks share a range", b_unused_strips_share,
	  NULL },
	{ "valid: a strip in another's unused tail", b_unused_tail, NULL },
};

static void parse_case_desc(const struct parse_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(parse, parse_cases, parse_case_desc);

static struct wbuf *wbuf_new(struct kunit *test)
{
	struct wbuf *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, b);
	b->p = kunit_kzalloc(test, WBUF_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b->p);
	return b;
}

static void check_parse_case(struct kunit *test)
{
	const struct parse_case *c = test->param_value;
	struct wbuf *b = wbuf_new(test);
	struct fuse_famfs_fmap *f = (void *)1;
	const char *rule = NULL;
	int err;

	c->build(b);
	KUNIT_ASSERT_LE(test, b->len, WBUF_SIZE);
	err = fuse_famfs_fmap_parse(b->p, b->len, &f, &rule);
	if (!c->rule) {
		KUNIT_EXPECT_EQ_MSG(test, err, 0, "rule: %s", rule);
		KUNIT_EXPECT_NOT_NULL(test, f);
		fuse_famfs_fmap_free(f);
		return;
	}
	KUNIT_EXPECT_EQ(test, err, -EFSCORRUPTED);
	KUNIT_EXPECT_NULL(test, f);
	KUNIT_EXPECT_STREQ(test, rule ? rule : "(none)", c->rule);
}

/* The largest valid reply fits the protocol's message limit. */
static void largest_fits(struct kunit *test)
{
	struct wbuf *b = wbuf_new(test);

	b_largest(b);
	KUNIT_EXPECT_LE(test, b->len, FUSE_FAMFS_MAX_FMAP_SIZE);
}

/* What the kernel keeps of a reply. */
static void parsed_fields(struct kunit *test)
{
	struct wbuf *b = wbuf_new(test);
	struct fuse_famfs_fmap *f;
	const char *rule;

	b_ilv_two(b);
	KUNIT_ASSERT_EQ(test, fuse_famfs_fmap_parse(b->p, b->len, &f, &rule),
			0);
	KUNIT_EXPECT_EQ(test, f->file_size, 12 * M2);
	KUNIT_EXPECT_EQ(test, f->mapped, 12 * M2);
	KUNIT_EXPECT_EQ(test, f->nextents, 2);
	KUNIT_EXPECT_EQ(test, f->nstrips, 5);
	KUNIT_EXPECT_EQ(test, f->devmask, 0x7);
	KUNIT_EXPECT_EQ(test, f->ext_type, ILV);
	KUNIT_EXPECT_EQ(test, f->ext[1].file_off, 4 * M2);
	KUNIT_EXPECT_EQ(test, f->ext[1].strip, 2);
	KUNIT_EXPECT_EQ(test, f->ext[1].chunk, 2 * M2);
	KUNIT_EXPECT_EQ(test, f->strips[4].dev, 2);
	fuse_famfs_fmap_free(f);

	b->len = 0;
	b_simple_three(b);
	KUNIT_ASSERT_EQ(test, fuse_famfs_fmap_parse(b->p, b->len, &f, &rule),
			0);
	KUNIT_EXPECT_EQ(test, f->file_size, 5 * M2 + 1);
	KUNIT_EXPECT_EQ(test, f->mapped, 7 * M2);
	KUNIT_EXPECT_EQ(test, f->devmask, 0x3);
	KUNIT_EXPECT_EQ(test, f->ext[2].file_off, 3 * M2);
	KUNIT_EXPECT_EQ(test, f->ext[2].chunk, 0);
	fuse_famfs_fmap_free(f);
}

static struct fuse_famfs_fmap *parse_ok(struct kunit *test,
					void (*build)(struct wbuf *b))
{
	struct wbuf *b = wbuf_new(test);
	struct fuse_famfs_fmap *f;
	const char *rule = NULL;

	build(b);
	KUNIT_ASSERT_EQ_MSG(test, fuse_famfs_fmap_parse(b->p, b->len, &f,
							&rule), 0,
			    "rule: %s", rule);
	return f;
}

/* Memory shared between two fmaps, as famfs.c checks across inodes. */
static void overlap_between(struct kunit *test)
{
	struct fuse_famfs_fmap *a = parse_ok(test, b_simple_three);
	struct fuse_famfs_fmap *b = parse_ok(test, b_ilv_two);
	struct fuse_famfs_fmap *c = parse_ok(test, b_unused_strips_share);
	struct fuse_famfs_fmap *d = parse_ok(test, b_adjacent);
	struct fuse_famfs_fmap *d2 = parse_ok(test, b_adjacent);

	/* b's dev 0 [4M, 12M) meets a's [4M, 12M) */
	KUNIT_EXPECT_TRUE(test, fuse_famfs_fmap_overlap(a, b));
	KUNIT_EXPECT_TRUE(test, fuse_famfs_fmap_overlap(b, a));
	/* c uses dev 0 [0, 2M) only; its strips 1, 2 hold nothing */
	KUNIT_EXPECT_FALSE(test, fuse_famfs_fmap_overlap(a, c));
	KUNIT_EXPECT_TRUE(test, fuse_famfs_fmap_overlap(b, c));
	/* the same layout twice: two inodes of one file */
	KUNIT_EXPECT_TRUE(test, fuse_famfs_fmap_overlap(d, d2));
	KUNIT_EXPECT_TRUE(test, fuse_famfs_fmap_overlap(c, d));
	/* one fmap with itself: do two of its strips share memory? */
	KUNIT_EXPECT_FALSE(test, fuse_famfs_fmap_overlap(d, d));
	KUNIT_EXPECT_FALSE(test, fuse_famfs_fmap_overlap(a, a));
	fuse_famfs_fmap_free(a);
	fuse_famfs_fmap_free(b);
	fuse_famfs_fmap_free(c);
	fuse_famfs_fmap_free(d);
	fuse_famfs_fmap_free(d2);
}

static void expect_map(struct kunit *test, const struct fuse_famfs_fmap *f,
		       u64 pos, u32 dev, u64 dev_off, u64 len)
{
	struct fuse_famfs_map m;

	KUNIT_ASSERT_EQ(test, fuse_famfs_resolve(f, pos, &m), 0);
	KUNIT_EXPECT_EQ_MSG(test, m.dev, dev, "pos %llu", pos);
	KUNIT_EXPECT_EQ_MSG(test, m.dev_off, dev_off, "pos %llu", pos);
	KUNIT_EXPECT_EQ_MSG(test, m.len, len, "pos %llu", pos);
}

static void resolve_simple(struct kunit *test)
{
	struct fuse_famfs_fmap *f = parse_ok(test, b_simple_three);
	struct fuse_famfs_map m;

	expect_map(test, f, 0, 0, 8 * M2, 2 * M2);
	expect_map(test, f, 2 * M2 - 1, 0, 10 * M2 - 1, 1);
	expect_map(test, f, 2 * M2, 1, 0, M2);
	expect_map(test, f, 3 * M2 + 5, 0, 2 * M2 + 5, 4 * M2 - 5);
	expect_map(test, f, 7 * M2 - 1, 0, 6 * M2 - 1, 1);
	/* the extents map past the size; beyond them nothing */
	KUNIT_EXPECT_EQ(test, fuse_famfs_resolve(f, 7 * M2, &m), -ERANGE);
	KUNIT_EXPECT_EQ(test, fuse_famfs_resolve(f, U64_MAX, &m), -ERANGE);
	fuse_famfs_fmap_free(f);
}

static void resolve_interleaved(struct kunit *test)
{
	struct fuse_famfs_fmap *f = parse_ok(test, b_ilv_two);

	/* extent 0: 1 chunk of 2 MiB per strip, 2 strips on devs 0 and 1 */
	expect_map(test, f, 0, 0, 0, M2);
	expect_map(test, f, M2 + 7, 1, 7, M2 - 7);
	expect_map(test, f, 2 * M2, 0, M2, M2);
	expect_map(test, f, 3 * M2 + M2 / 2, 1, M2 + M2 / 2, M2 / 2);
	/* extent 1 at 4 * M2: chunks of 4 MiB over devs 0, 1, 2 */
	expect_map(test, f, 4 * M2, 0, 2 * M2, 2 * M2);
	expect_map(test, f, 6 * M2 + 3, 1, 2 * M2 + 3, 2 * M2 - 3);
	expect_map(test, f, 8 * M2, 2, 0, 2 * M2);
	/* chunk 3 wraps to strip 0, second row */
	expect_map(test, f, 10 * M2 + 1, 0, 4 * M2 + 1, 2 * M2 - 1);
	fuse_famfs_fmap_free(f);
}

static void resolve_short_row(struct kunit *test)
{
	struct fuse_famfs_fmap *f = parse_ok(test, b_ilv_uneven);

	expect_map(test, f, 3 * M2, 1, M2, M2);
	/* chunk 4, the last, is alone in row 2, on strip 0 */
	expect_map(test, f, 4 * M2, 0, 2 * M2, M2);
	fuse_famfs_fmap_free(f);
}

static void resolve_empty(struct kunit *test)
{
	struct fuse_famfs_fmap *f = parse_ok(test, b_empty);
	struct fuse_famfs_map m;

	KUNIT_EXPECT_EQ(test, fuse_famfs_resolve(f, 0, &m), -ERANGE);
	fuse_famfs_fmap_free(f);
}

/* ---- random layouts against a brute-force model ---- */

#define RND_SEED	0x46414d4653ULL
#define RND_LAYOUTS	300
#define RND_PROBES	200

struct t_strip {
	u32 dev;
	u64 off, len;
};

struct t_ext {
	u32 nstrips;
	u64 chunk, len;
	struct t_strip s[FUSE_FAMFS_MAX_STRIPS];
};

struct t_layout {
	u32 ext_type, nextents;
	u64 file_size, mapped;
	struct t_ext e[FUSE_FAMFS_MAX_EXTENTS];
};

static u32 rnd(struct rnd_state *rs, u32 n)
{
	return prandom_u32_state(rs) % n;
}

/*
 * The model walks the file chunk by chunk from offset 0, advancing a
 * cursor per strip, and stops at the chunk holding @pos: nothing is
 * computed, everything is counted.
 */
static bool model_resolve(const struct t_layout *l, u64 pos,
			  struct fuse_famfs_map *m)
{
	u64 base = 0, cur[FUSE_FAMFS_MAX_STRIPS], cb, csize;
	u32 i, k;

	for (i = 0; i < l->nextents; i++) {
		const struct t_ext *e = &l->e[i];

		if (l->ext_type == SIMPLE) {
			if (pos < base + e->len) {
				m->dev = e->s[0].dev;
				m->dev_off = e->s[0].off + (pos - base);
				m->len = base + e->len - pos;
				return true;
			}
			base += e->len;
			continue;
		}
		memset(cur, 0, sizeof(cur));
		for (k = 0, cb = base; cb < base + e->len; k++) {
			const struct t_strip *s = &e->s[k % e->nstrips];

			csize = min(e->chunk, base + e->len - cb);
			if (pos < cb + csize) {
				m->dev = s->dev;
				m->dev_off = s->off + cur[k % e->nstrips] +
					     (pos - cb);
				/* a short last chunk maps to its page's end */
				m->len = min_t(u64, cb + e->chunk,
					       base + PAGE_ALIGN(e->len)) - pos;
				return true;
			}
			cur[k % e->nstrips] += csize;
			cb += csize;
		}
		base += e->len;
	}
	return false;
}

/* Bytes each strip of @e must hold, counted chunk by chunk. */
static void model_strip_need(const struct t_ext *e, u64 *need)
{
	u64 done;
	u32 k;

	memset(need, 0, sizeof(u64) * FUSE_FAMFS_MAX_STRIPS);
	for (k = 0, done = 0; done < e->len; k++) {
		u64 csize = min(e->chunk, e->len - done);

		need[k % e->nstrips] += csize;
		done += csize;
	}
}

static void random_layout(struct rnd_state *rs, struct t_layout *l)
{
	u64 need[FUSE_FAMFS_MAX_STRIPS], next[FUSE_FAMFS_MAX_DAXDEVS] = {};
	u32 i, j;

	memset(l, 0, sizeof(*l));
	l->ext_type = rnd(rs, 2) ? ILV : SIMPLE;
	l->nextents = 1 + rnd(rs, 8);
	for (i = 0; i < l->nextents; i++) {
		struct t_ext *e = &l->e[i];

		if (l->ext_type == SIMPLE) {
			e->nstrips = 1;
			e->len = (1 + rnd(rs, 16)) * M2;
			e->s[0].dev = rnd(rs, 4);
			e->s[0].len = e->len;
			/* strips never share memory, but may touch */
			e->s[0].off = next[e->s[0].dev] + rnd(rs, 3) * M2;
			next[e->s[0].dev] = e->s[0].off + e->s[0].len;
		} else {
			e->nstrips = 1 + rnd(rs, 6);
			/* famfs uses 4 KiB or 2 MiB chunks */
			if (rnd(rs, 2))
				e->chunk = (1 + rnd(rs, 8)) * PAGE_SIZE;
			else
				e->chunk = (1 + rnd(rs, 4)) * M2;
			e->len = (1 + rnd(rs, 48)) * (rnd(rs, 2) ? M2 :
						      e->chunk);
			/* only the last extent may end inside a page */
			if (i + 1 == l->nextents && rnd(rs, 2))
				e->len -= 1 + rnd(rs, min_t(u64, e->len - 1,
							    PAGE_SIZE));
			model_strip_need(e, need);
			for (j = 0; j < e->nstrips; j++) {
				e->s[j].dev = rnd(rs, FUSE_FAMFS_MAX_DAXDEVS);
				e->s[j].len = max(round_up(need[j], M2), M2) +
					      rnd(rs, 3) * M2;
				e->s[j].off = next[e->s[j].dev] +
					      rnd(rs, 3) * M2;
				next[e->s[j].dev] = e->s[j].off + e->s[j].len;
			}
		}
		l->mapped += e->len;
	}
	l->file_size = l->mapped - rnd(rs, min_t(u64, l->mapped, M2));
}

static void layout_wire(const struct t_layout *l, struct wbuf *b)
{
	u32 i, j;

	b->len = 0;
	w_hdr(b, l->ext_type, l->nextents, l->file_size);
	for (i = 0; i < l->nextents; i++) {
		const struct t_ext *e = &l->e[i];

		if (l->ext_type == ILV)
			w_ie(b, e->nstrips, e->chunk, e->len);
		for (j = 0; j < e->nstrips; j++)
			w_se(b, e->s[j].dev, e->s[j].off, e->s[j].len);
	}
}

static void check_pos(struct kunit *test, const struct t_layout *l,
		      const struct fuse_famfs_fmap *f, u64 pos)
{
	struct fuse_famfs_map got, want;

	KUNIT_ASSERT_TRUE(test, model_resolve(l, pos, &want));
	KUNIT_ASSERT_EQ(test, fuse_famfs_resolve(f, pos, &got), 0);
	KUNIT_ASSERT_EQ_MSG(test, got.dev, want.dev, "pos %llu", pos);
	KUNIT_ASSERT_EQ_MSG(test, got.dev_off, want.dev_off, "pos %llu", pos);
	KUNIT_ASSERT_EQ_MSG(test, got.len, want.len, "pos %llu", pos);
}

static void resolve_random(struct kunit *test)
{
	struct t_layout *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	struct wbuf *b = wbuf_new(test);
	struct fuse_famfs_map m;
	struct fuse_famfs_fmap *f;
	struct rnd_state rs;
	const char *rule = NULL;
	u64 pos, walked;
	u32 n, p, probes = 0;

	KUNIT_ASSERT_NOT_NULL(test, l);
	prandom_seed_state(&rs, RND_SEED);
	for (n = 0; n < RND_LAYOUTS; n++) {
		random_layout(&rs, l);
		layout_wire(l, b);
		KUNIT_ASSERT_EQ_MSG(test, fuse_famfs_fmap_parse(b->p, b->len,
								&f, &rule),
				    0, "layout %u: %s", n, rule);
		KUNIT_ASSERT_EQ(test, f->mapped, l->mapped);

		for (p = 0; p < RND_PROBES; p++, probes++) {
			pos = ((u64)prandom_u32_state(&rs) << 32 |
			       prandom_u32_state(&rs)) % l->mapped;
			check_pos(test, l, f, pos);
		}
		/*
		 * piece by piece: every piece starts where the last ended;
		 * the last may run on to the end of its page
		 */
		for (walked = 0; walked < l->mapped;
		     walked = min(walked + m.len, l->mapped)) {
			check_pos(test, l, f, walked);
			KUNIT_ASSERT_EQ(test, fuse_famfs_resolve(f, walked, &m),
					0);
			KUNIT_ASSERT_GT(test, m.len, 0);
			check_pos(test, l, f,
				  min(walked + m.len, l->mapped) - 1);
			probes += 2;
		}
		KUNIT_EXPECT_EQ(test, walked, l->mapped);
		KUNIT_EXPECT_EQ(test, fuse_famfs_resolve(f, l->mapped, &m),
				-ERANGE);
		fuse_famfs_fmap_free(f);
	}
	kunit_info(test, "%u layouts, %u offsets checked against the model\n",
		   RND_LAYOUTS, probes);
}

/* ---- GET_FMAP size retry ---- */

static void reply_size(struct kunit *test)
{
	struct fuse_famfs_fmap_header h = { .fmap_version = 1 };
	size_t needed = 0;
	u32 n;

	KUNIT_EXPECT_EQ(test, fuse_famfs_fmap_reply_size(&h, sizeof(h), 4096,
							 &needed), 0);
	n = 8192;
	KUNIT_EXPECT_EQ(test, fuse_famfs_fmap_reply_size(&n, sizeof(n), 4096,
							 &needed), 1);
	KUNIT_EXPECT_EQ(test, needed, 8192);
	n = FUSE_FAMFS_MAX_FMAP_SIZE;
	KUNIT_EXPECT_EQ(test, fuse_famfs_fmap_reply_size(&n, sizeof(n), 4096,
							 &needed), 1);
	KUNIT_EXPECT_EQ(test, needed, FUSE_FAMFS_MAX_FMAP_SIZE);
	/* a size that fitted already would loop */
	n = 4096;
	KUNIT_EXPECT_EQ(test, fuse_famfs_fmap_reply_size(&n, sizeof(n), 4096,
							 &needed),
			-EFSCORRUPTED);
	n = 0;
	KUNIT_EXPECT_EQ(test, fuse_famfs_fmap_reply_size(&n, sizeof(n), 4096,
							 &needed),
			-EFSCORRUPTED);
	n = FUSE_FAMFS_MAX_FMAP_SIZE + 1;
	KUNIT_EXPECT_EQ(test, fuse_famfs_fmap_reply_size(&n, sizeof(n), 4096,
							 &needed),
			-EFSCORRUPTED);
}

/* ---- GET_DAXDEV replies ---- */

struct daxdev_case {
	const char *desc;
	void (*mod)(struct fuse_daxdev_out *out, size_t *len);
	const char *rule;
};

static void d_ok(struct fuse_daxdev_out *o, size_t *len)
{
}

static void d_short(struct fuse_daxdev_out *o, size_t *len)
{
	*len = offsetof(struct fuse_daxdev_out, name) + 16;
}

static void d_index(struct fuse_daxdev_out *o, size_t *len)
{
	o->index = 4;
}

static void d_reserved(struct fuse_daxdev_out *o, size_t *len)
{
	o->reserved = 1;
}

static void d_reserved4(struct fuse_daxdev_out *o, size_t *len)
{
	o->reserved4 = 1;
}

static void d_unterminated(struct fuse_daxdev_out *o, size_t *len)
{
	memset(o->name, 'a', sizeof(o->name));
	o->name[0] = '/';
}

static void d_empty(struct fuse_daxdev_out *o, size_t *len)
{
	o->name[0] = '\0';
}

static void d_relative(struct fuse_daxdev_out *o, size_t *len)
{
	strscpy(o->name, "dev/pmem0", sizeof(o->name));
}

static const struct daxdev_case daxdev_cases[] = {
	{ "valid", d_ok, NULL },
	{ "short reply", d_short, "reply is not a struct fuse_daxdev_out" },
	{ "another index", d_index, "reply names another device index" },
	{ "reserved", d_reserved, "reserved field not zero" },
	{ "reserved4", d_reserved4, "reserved field not zero" },
	{ "unterminated name", d_unterminated,
	  "device name not NUL-terminated" },
	{ "empty name", d_empty, "device name not an absolute path" },
	{ "relative name", d_relative, "device name not an absolute path" },
};

static void daxdev_case_desc(const struct daxdev_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(daxdev, daxdev_cases, daxdev_case_desc);

static void check_daxdev_case(struct kunit *test)
{
	const struct daxdev_case *c = test->param_value;
	struct fuse_daxdev_out out = { .index = 3 };
	size_t len = sizeof(out);
	const char *rule = NULL;
	int err;

	strscpy(out.name, "/dev/pmem0", sizeof(out.name));
	c->mod(&out, &len);
	err = fuse_famfs_check_daxdev(&out, len, 3, &rule);
	if (!c->rule) {
		KUNIT_EXPECT_EQ(test, err, 0);
		return;
	}
	KUNIT_EXPECT_EQ(test, err, -EFSCORRUPTED);
	KUNIT_EXPECT_STREQ(test, rule ? rule : "(none)", c->rule);
}

/* ---- device-dax ranges ---- */

#define G4	0x100000000ULL
#define M6	0x600000ULL

struct span_case {
	const char *desc;
	u64 start, size;
	int nr;			/* of span_ranges */
	const char *why;	/* NULL: usable */
};

/* a static pmem instance (its range past the info block), two pieces */
static const struct range span_ranges[] = {
	{ .start = G4, .end = G4 + SZ_256M - 1 },
	{ .start = G4 + SZ_512M, .end = G4 + SZ_512M + SZ_64M - 1 },
};

#define NOT_ONE	"its memory is not one physically contiguous range"
#define NO_RANGE "it has no page-aligned range"

static const struct span_case span_cases[] = {
	{ "static instance past its info block", G4 + M6, SZ_256M - M6, 1,
	  NULL },
	{ "the whole range", G4, SZ_256M, 1, NULL },
	{ "one page at the end", G4 + SZ_256M - PAGE_SIZE, PAGE_SIZE, 2, NULL },
	{ "in the second range", G4 + SZ_512M, SZ_64M, 2, NULL },
	{ "one page past the range", G4 + M6, SZ_256M - M6 + PAGE_SIZE, 1,
	  NOT_ONE },
	{ "spread over two ranges", G4, SZ_256M + SZ_64M, 2, NOT_ONE },
	{ "empty", G4, 0, 1, NO_RANGE },
	{ "start not page aligned", G4 + 512, PAGE_SIZE, 1, NO_RANGE },
	{ "size not page aligned", G4, PAGE_SIZE + 1, 1, NO_RANGE },
	{ "wraps around", -(u64)PAGE_SIZE, 2 * PAGE_SIZE, 1, NO_RANGE },
	{ "start outside the ranges", G4 + SZ_256M, PAGE_SIZE, 2,
	  "its range is not in its device pages" },
	{ "no ranges", G4, PAGE_SIZE, 0,
	  "its range is not in its device pages" },
};

static void span_case_desc(const struct span_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(span, span_cases, span_case_desc);

static void devdax_span_case(struct kunit *test)
{
	const struct span_case *c = test->param_value;
	const char *why = NULL;
	int err;

	err = fuse_famfs_devdax_span(c->start, c->size, span_ranges, c->nr,
				     &why);
	if (!c->why) {
		KUNIT_EXPECT_EQ(test, err, 0);
		return;
	}
	KUNIT_EXPECT_EQ(test, err, -EOPNOTSUPP);
	KUNIT_EXPECT_STREQ(test, why ? why : "(none)", c->why);
}

/* ---- poisoned ranges ---- */

static void poison_ranges(struct kunit *test)
{
	struct fuse_famfs_poison p = {};

	KUNIT_EXPECT_FALSE(test, fuse_famfs_poison_hit(&p, 0, U64_MAX));
	fuse_famfs_poison_add(&p, 0, 0);
	KUNIT_EXPECT_EQ(test, p.nr, 0);

	fuse_famfs_poison_add(&p, 8192, 4096);
	KUNIT_EXPECT_TRUE(test, fuse_famfs_poison_hit(&p, 8192, 1));
	KUNIT_EXPECT_TRUE(test, fuse_famfs_poison_hit(&p, 12287, 1));
	KUNIT_EXPECT_TRUE(test, fuse_famfs_poison_hit(&p, 0, M2));
	KUNIT_EXPECT_FALSE(test, fuse_famfs_poison_hit(&p, 12288, M2));
	KUNIT_EXPECT_FALSE(test, fuse_famfs_poison_hit(&p, 0, 8192));

	/* ranges at the top of the address space do not wrap */
	fuse_famfs_poison_add(&p, U64_MAX - 4095, 8192);
	KUNIT_EXPECT_TRUE(test, fuse_famfs_poison_hit(&p, U64_MAX - 1, 10));
	KUNIT_EXPECT_FALSE(test, fuse_famfs_poison_hit(&p, M2, 4096));
}

static void poison_overflow(struct kunit *test)
{
	struct fuse_famfs_poison p = {};
	int i;

	for (i = 0; i < FUSE_FAMFS_MAX_POISON; i++)
		fuse_famfs_poison_add(&p, i * M2, 4096);
	KUNIT_EXPECT_FALSE(test, p.all);
	KUNIT_EXPECT_FALSE(test, fuse_famfs_poison_hit(&p, 100 * M2, 4096));
	/* one more than the table holds: the whole device is failed */
	fuse_famfs_poison_add(&p, 200 * M2, 4096);
	KUNIT_EXPECT_TRUE(test, p.all);
	KUNIT_EXPECT_TRUE(test, fuse_famfs_poison_hit(&p, 100 * M2, 4096));
}

/* ---- wire layout of the famfs structs ---- */

static void abi_get_fmap_in(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct fuse_get_fmap_in), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct fuse_get_fmap_in, size), 0);
	KUNIT_EXPECT_EQ(test, offsetof(struct fuse_get_fmap_in, padding), 4);
	KUNIT_EXPECT_EQ(test, sizeof(struct fuse_get_daxdev_in), 4);
	KUNIT_EXPECT_EQ(test, sizeof(struct fuse_daxdev_out), 280);
	KUNIT_EXPECT_EQ(test, offsetof(struct fuse_daxdev_out, name), 24);
	KUNIT_EXPECT_EQ(test, FUSE_GET_DAXDEV, 55);
}

static struct kunit_case fuse_famfs_fmap_cases[] = {
	KUNIT_CASE_PARAM(check_parse_case, parse_gen_params),
	KUNIT_CASE(largest_fits),
	KUNIT_CASE(parsed_fields),
	KUNIT_CASE(overlap_between),
	KUNIT_CASE(resolve_simple),
	KUNIT_CASE(resolve_interleaved),
	KUNIT_CASE(resolve_short_row),
	KUNIT_CASE(resolve_empty),
	KUNIT_CASE_SLOW(resolve_random),
	KUNIT_CASE(reply_size),
	KUNIT_CASE_PARAM(check_daxdev_case, daxdev_gen_params),
	KUNIT_CASE_PARAM(devdax_span_case, span_gen_params),
	KUNIT_CASE(poison_ranges),
	KUNIT_CASE(poison_overflow),
	KUNIT_CASE(abi_get_fmap_in),
	{}
};

static struct kunit_suite fuse_famfs_fmap_suite = {
	.name = "fuse_famfs_fmap",
	.test_cases = fuse_famfs_fmap_cases,
};

kunit_test_suite(fuse_famfs_fmap_suite);
