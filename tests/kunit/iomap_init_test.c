// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: INIT negotiation of FUSE_IOMAP and FUSE_DAX_FMAP.
 */

#include <kunit/test.h>

#include "fuse_i.h"

/* famfs can only be offered where FS_DAX exists (never on UML). */
#define FAMFS	(IS_ENABLED(CONFIG_FS_DAX) ? FUSE_DAX_FMAP : 0)
#define BOTH	(FUSE_IOMAP | FUSE_DAX_FMAP)

struct init_case {
	const char *desc;
	bool iomap_ok;		/* administrator + CAP_SYS_RAWIO allow iomap */
	bool famfs_ok;
	u64 reply;		/* server's INIT reply flags, flags2 folded in */
	u64 offer;		/* expected offer */
	u64 result;		/* expected features of the connection */
};

static const struct init_case init_cases[] = {
	{ "nothing permitted, server asks for both",
	  false, false, BOTH, 0, 0 },
	{ "iomap permitted, server asks for iomap",
	  true, false, FUSE_IOMAP, FUSE_IOMAP, FUSE_IOMAP },
	{ "iomap permitted, server asks for famfs only",
	  true, false, FUSE_DAX_FMAP, FUSE_IOMAP, 0 },
	{ "iomap permitted, server asks for nothing",
	  true, false, 0, FUSE_IOMAP, 0 },
	{ "iomap permitted, server asks for both",
	  true, false, BOTH, FUSE_IOMAP, FUSE_IOMAP },
	{ "famfs permitted, server asks for famfs",
	  false, true, FUSE_DAX_FMAP, FAMFS, FAMFS },
	{ "famfs permitted, server asks for iomap only",
	  false, true, FUSE_IOMAP, FAMFS, 0 },
	{ "both permitted, server asks for iomap only",
	  true, true, FUSE_IOMAP, FUSE_IOMAP | FAMFS, FUSE_IOMAP },
	{ "both permitted, server asks for famfs only",
	  true, true, FUSE_DAX_FMAP, FUSE_IOMAP | FAMFS, FAMFS },
	{ "both permitted, server asks for both",
	  true, true, BOTH, FUSE_IOMAP | FAMFS, FUSE_IOMAP | FAMFS },
	{ "both permitted, reply has only unrelated bits",
	  true, true, FUSE_ASYNC_READ | FUSE_PASSTHROUGH | (1ULL << 63),
	  FUSE_IOMAP | FAMFS, 0 },
	{ "iomap permitted, reply has every bit set",
	  true, false, ~0ULL, FUSE_IOMAP, FUSE_IOMAP },
};

static void init_case_desc(const struct init_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(init, init_cases, init_case_desc);

static void init_offer_and_accept(struct kunit *test)
{
	const struct init_case *c = test->param_value;
	u64 offer = fuse_iomap_offer_flags(c->iomap_ok, c->famfs_ok);

	KUNIT_EXPECT_EQ(test, offer, c->offer);
	KUNIT_EXPECT_EQ(test, fuse_iomap_accept_flags(offer, c->reply),
			c->result);
}

/* The connection state follows what was offered and what came back. */
static void init_reply_sets_conn(struct kunit *test)
{
	const struct init_case *c = test->param_value;
	struct fuse_conn *fc;

	fc = kunit_kzalloc(test, sizeof(*fc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fc);

	fc->iomap_conn.offered_iomap = !!(c->offer & FUSE_IOMAP);
	fc->iomap_conn.offered_famfs = !!(c->offer & FUSE_DAX_FMAP);
	fuse_iomap_init_reply(fc, c->reply);

	KUNIT_EXPECT_EQ(test, (bool)fc->iomap_conn.iomap,
			!!(c->result & FUSE_IOMAP));
	KUNIT_EXPECT_EQ(test, (bool)fc->iomap_conn.famfs,
			!!(c->result & FUSE_DAX_FMAP));
}

/*
 * An old server that does not set FUSE_INIT_EXT never sends flags2; the
 * caller then folds nothing in and neither feature can be switched on.
 */
static void init_without_init_ext(struct kunit *test)
{
	u64 low_only = (u64)(u32)~0U;

	KUNIT_EXPECT_EQ(test, fuse_iomap_accept_flags(BOTH, low_only), 0);
}

static struct kunit_case fuse_iomap_init_cases[] = {
	KUNIT_CASE_PARAM(init_offer_and_accept, init_gen_params),
	KUNIT_CASE_PARAM(init_reply_sets_conn, init_gen_params),
	KUNIT_CASE(init_without_init_ext),
	{}
};

static struct kunit_suite fuse_iomap_init_suite = {
	.name = "fuse_iomap_init",
	.test_cases = fuse_iomap_init_cases,
};

kunit_test_suite(fuse_iomap_init_suite);
