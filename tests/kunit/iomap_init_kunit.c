// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: INIT negotiation of FUSE_IOMAP and FUSE_DAX_FMAP.
 */

#include <kunit/test.h>

#include "../fuse_i.h"

/*
 * famfs can only be offered where FS_DAX exists (never on UML) and
 * CONFIG_FUSE_FAMFS is on, so the expectations are written for both.
 */
#define DAX	fuse_famfs_supported()
#define B43	BIT_ULL(43)
#define B44	BIT_ULL(44)
#define IOMAP	FUSE_IOMAP
#define FAMFS	FUSE_DAX_FMAP

struct init_case {
	const char *desc;
	bool iomap_ok;		/* administrator + CAP_SYS_RAWIO allow iomap */
	bool famfs_ok;
	bool chr_source;	/* the mount's source is a character device */
	u64 reply;		/* server's INIT reply flags, flags2 folded in */
	u64 offer;		/* expected wire offer with FS_DAX */
	bool bit43_famfs;	/* expected meaning of bit 43 with FS_DAX */
	u64 result;		/* expected features (IOMAP, FAMFS) with FS_DAX */
	u64 offer_nodax;	/* the same without FS_DAX */
	u64 result_nodax;
};

static const struct init_case init_cases[] = {
	{ "nothing permitted, server echoes 43 and 44",
	  false, false, false, B43 | B44, 0, false, 0, 0, 0 },
	{ "nothing permitted, chr source, server echoes 43",
	  false, false, true, B43, 0, false, 0, 0, 0 },
	{ "iomap permitted, server echoes 43",
	  true, false, false, B43, B43, false, IOMAP, B43, IOMAP },
	{ "iomap permitted, chr source, server echoes 43",
	  true, false, true, B43, B43, false, IOMAP, B43, IOMAP },
	{ "iomap permitted, server echoes 44 only",
	  true, false, false, B44, B43, false, 0, B43, 0 },
	{ "iomap permitted, server echoes nothing",
	  true, false, false, 0, B43, false, 0, B43, 0 },
	{ "iomap permitted, server echoes 43 and 44",
	  true, false, false, B43 | B44, B43, false, IOMAP, B43, IOMAP },
	{ "famfs permitted, server echoes 43 (posted famfs)",
	  false, true, false, B43, B43 | B44, true, FAMFS, 0, 0 },
	{ "famfs permitted, server echoes 44 (ours)",
	  false, true, false, B44, B43 | B44, true, FAMFS, 0, 0 },
	{ "famfs permitted, server echoes 43 and 44",
	  false, true, false, B43 | B44, B43 | B44, true, FAMFS, 0, 0 },
	{ "famfs permitted, chr source, server echoes 43",
	  false, true, true, B43, B43 | B44, true, FAMFS, 0, 0 },
	{ "both permitted, file source, server echoes 43 (iomap server)",
	  true, true, false, B43, B43 | B44, false, IOMAP, B43, IOMAP },
	{ "both permitted, file source, server echoes 44 (our famfs)",
	  true, true, false, B44, B43 | B44, false, FAMFS, B43, 0 },
	{ "both permitted, file source, server echoes 43 and 44",
	  true, true, false, B43 | B44, B43 | B44, false, IOMAP | FAMFS,
	  B43, IOMAP },
	{ "both permitted, chr source, server echoes 43 (posted famfs)",
	  true, true, true, B43, B43 | B44, true, FAMFS, B43, IOMAP },
	{ "both permitted, chr source, server echoes 44",
	  true, true, true, B44, B43 | B44, true, FAMFS, B43, 0 },
	{ "both permitted, chr source, server echoes 43 and 44",
	  true, true, true, B43 | B44, B43 | B44, true, FAMFS, B43, IOMAP },
	{ "both permitted, reply has only unrelated bits",
	  true, true, false, FUSE_ASYNC_READ | FUSE_PASSTHROUGH | (1ULL << 63),
	  B43 | B44, false, 0, B43, 0 },
	{ "iomap permitted, reply has every bit set",
	  true, false, false, ~0ULL, B43, false, IOMAP, B43, IOMAP },
	{ "famfs permitted, reply has every bit set",
	  false, true, false, ~0ULL, B43 | B44, true, FAMFS, 0, 0 },
};

static void init_case_desc(const struct init_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(init, init_cases, init_case_desc);

static u64 init_offer_want(const struct init_case *c)
{
	return DAX ? c->offer : c->offer_nodax;
}

static u64 init_result_want(const struct init_case *c)
{
	return DAX ? c->result : c->result_nodax;
}

/* Bit 43 gets exactly one meaning, and the server the feature meant. */
static void init_offer_and_accept(struct kunit *test)
{
	const struct init_case *c = test->param_value;
	struct fuse_iomap_offer o;

	o = fuse_iomap_offer_flags(c->iomap_ok, c->famfs_ok, c->chr_source);
	KUNIT_EXPECT_EQ(test, o.wire, init_offer_want(c));
	KUNIT_EXPECT_EQ(test, o.bit43_famfs, DAX && c->bit43_famfs);
	KUNIT_EXPECT_EQ(test, fuse_iomap_accept_flags(&o, c->reply),
			init_result_want(c));
}

/* The connection state follows what was offered and what came back. */
static void init_reply_sets_conn(struct kunit *test)
{
	const struct init_case *c = test->param_value;
	struct fuse_iomap_offer o;
	struct fuse_conn *fc;
	u64 want = init_result_want(c);

	fc = kunit_kzalloc(test, sizeof(*fc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fc);

	o = fuse_iomap_offer_flags(c->iomap_ok, c->famfs_ok, c->chr_source);
	fc->iomap_conn.bit43_famfs = o.bit43_famfs;
	fc->iomap_conn.offered_famfs = !!(o.wire & FUSE_DAX_FMAP);
	fc->iomap_conn.offered_iomap = !o.bit43_famfs && (o.wire & IOMAP);
	fuse_iomap_init_reply(fc, c->reply);

	KUNIT_EXPECT_EQ(test, (bool)fc->iomap_conn.iomap, !!(want & IOMAP));
	KUNIT_EXPECT_EQ(test, (bool)fc->iomap_conn.famfs, !!(want & FAMFS));
	/* the minor follows the iomap offer, never a famfs bit 43 */
	KUNIT_EXPECT_EQ(test, fuse_iomap_init_minor(fc, 41),
			fc->iomap_conn.offered_iomap ? 99U : 41U);
	/* a famfs server's root and credentials are kept, and let go */
	KUNIT_EXPECT_EQ(test, !!fc->iomap_conn.server_cred,
			(bool)fc->iomap_conn.famfs);
	fuse_iomap_server_put(fc);
	KUNIT_EXPECT_NULL(test, fc->iomap_conn.server_cred);
}

/* What a server keeps of the features it accepted, by its privilege. */
struct server_case {
	const char *desc;
	u64 got;
	bool rawio;
	bool granted;
	u64 kept;
};

static const struct server_case server_cases[] = {
	{ "privileged server keeps iomap", IOMAP, true, false, IOMAP },
	{ "privileged server keeps famfs", FAMFS, true, false, FAMFS },
	{ "privileged server keeps both", IOMAP | FAMFS, true, false,
	  IOMAP | FAMFS },
	{ "unprivileged server loses iomap", IOMAP, false, false, 0 },
	{ "unprivileged server loses famfs", FAMFS, false, false, 0 },
	{ "unprivileged server loses both", IOMAP | FAMFS, false, false, 0 },
	{ "granted unprivileged server keeps iomap", IOMAP, false, true,
	  IOMAP },
	{ "a grant is never one for famfs", FAMFS, false, true, 0 },
	{ "granted unprivileged server keeps only iomap", IOMAP | FAMFS,
	  false, true, IOMAP },
	{ "nothing accepted, nothing kept", 0, false, true, 0 },
};

static void server_case_desc(const struct server_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(server, server_cases, server_case_desc);

static void init_server_privilege(struct kunit *test)
{
	const struct server_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, fuse_iomap_server_features(c->got, c->rawio,
							 c->granted),
			c->kept);
}

/* No device can join a connection that did not negotiate iomap. */
static void init_no_dev_without_iomap(struct kunit *test)
{
	struct fuse_conn *fc;

	fc = kunit_kzalloc(test, sizeof(*fc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fc);
	fc->iomap_conn.granted = 1;
	KUNIT_EXPECT_EQ(test, fuse_iomap_may_add_dev(fc), -EPERM);
	fc->iomap_conn.iomap = 1;
	KUNIT_EXPECT_EQ(test, fuse_iomap_may_add_dev(fc), 0);
}

/*
 * An old server that does not set FUSE_INIT_EXT never sends flags2; the
 * caller then folds nothing in and neither feature can be switched on.
 */
static void init_without_init_ext(struct kunit *test)
{
	struct fuse_iomap_offer o = fuse_iomap_offer_flags(true, true, false);
	struct fuse_iomap_offer f = fuse_iomap_offer_flags(false, true, false);
	u64 low_only = (u64)(u32)~0U;

	KUNIT_EXPECT_EQ(test, fuse_iomap_accept_flags(&o, low_only), 0);
	KUNIT_EXPECT_EQ(test, fuse_iomap_accept_flags(&f, low_only), 0);
}

/* A source that is not a path, or a missing one, is no character device. */
static void init_source_not_a_path(struct kunit *test)
{
	struct fuse_conn *fc;

	fc = kunit_kzalloc(test, sizeof(*fc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fc);
	fuse_iomap_mount_source(fc, NULL);
	KUNIT_EXPECT_FALSE(test, fc->iomap_conn.source_chr);
	fuse_iomap_mount_source(fc, "");
	KUNIT_EXPECT_FALSE(test, fc->iomap_conn.source_chr);
	fuse_iomap_mount_source(fc, "fusetd-no-such-path");
	KUNIT_EXPECT_FALSE(test, fc->iomap_conn.source_chr);
}

static struct kunit_case fuse_iomap_init_cases[] = {
	KUNIT_CASE_PARAM(init_offer_and_accept, init_gen_params),
	KUNIT_CASE_PARAM(init_reply_sets_conn, init_gen_params),
	KUNIT_CASE(init_without_init_ext),
	KUNIT_CASE(init_source_not_a_path),
	KUNIT_CASE_PARAM(init_server_privilege, server_gen_params),
	KUNIT_CASE(init_no_dev_without_iomap),
	{}
};

static struct kunit_suite fuse_iomap_init_suite = {
	.name = "fuse_iomap_init",
	.test_cases = fuse_iomap_init_cases,
};

kunit_test_suite(fuse_iomap_init_suite);
