// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: validation of FUSE_IOMAP_CONFIG replies.
 */

#include <kunit/test.h>
#include <linux/fs.h>

#include "../fuse_i.h"

#define FULL	sizeof(struct fuse_iomap_config_out)

struct config_case {
	const char *desc;
	struct fuse_iomap_config_out out;
	size_t size;
	int err;
};

#define F(x)	FUSE_IOMAP_CONFIG_##x

static const struct config_case config_cases[] = {
	{ "no flags", { .flags = 0 }, 8, 0 },
	{ "everything", { .flags = F(SID) | F(UUID) | F(BLOCKSIZE) |
			  F(MAX_LINKS) | F(TIME) | F(MAXBYTES),
			  .s_id = "fusetd", .s_uuid_len = 16,
			  .s_blocksize = 4096, .s_max_links = 65000,
			  .s_time_gran = 1, .s_time_min = -1,
			  .s_time_max = 1LL << 40,
			  .s_maxbytes = 1LL << 40 }, FULL, 0 },
	{ "short reply with only a block size",
	  { .flags = F(BLOCKSIZE), .s_blocksize = 1024 },
	  offsetofend(struct fuse_iomap_config_out, s_blocksize), 0 },
	{ "reply shorter than its flags need",
	  { .flags = F(MAXBYTES), .s_maxbytes = 1 << 20 }, 64, -EFSCORRUPTED },
	{ "reply shorter than the flags word", { .flags = 0 }, 4,
	  -EFSCORRUPTED },
	{ "unknown flag", { .flags = 1ULL << 20 }, FULL, -EFSCORRUPTED },
	{ "a mapping cache limit", { .flags = F(CACHE_MAXBYTES),
	  .cache_maxbytes = 1 << 20 },
	  offsetofend(struct fuse_iomap_config_out, cache_maxbytes), 0 },
	{ "no mapping cache (limit 0)", { .flags = F(CACHE_MAXBYTES) }, FULL,
	  0 },
	/* i386 servers built before the explicit tail padding send 100 */
	{ "every field, without the tail padding", { .flags = F(SID) |
	  F(UUID) | F(BLOCKSIZE) | F(MAX_LINKS) | F(TIME) | F(MAXBYTES) |
	  F(CACHE_MAXBYTES), .s_id = "fusetd", .s_uuid_len = 16,
	  .s_blocksize = 4096, .s_max_links = 65000, .s_time_gran = 1,
	  .s_time_min = -1, .s_time_max = 1LL << 40,
	  .s_maxbytes = 1LL << 40, .cache_maxbytes = 1 << 20 },
	  offsetof(struct fuse_iomap_config_out, padding), 0 },
	{ "tail padding not zero (ignored)", { .flags = F(CACHE_MAXBYTES),
	  .cache_maxbytes = 1 << 20, .padding = 0xdeadbeef }, FULL, 0 },
	{ "reply too short for the cache limit",
	  { .flags = F(CACHE_MAXBYTES), .cache_maxbytes = 1 << 20 },
	  offsetof(struct fuse_iomap_config_out, cache_maxbytes),
	  -EFSCORRUPTED },
	{ "s_id without NUL", { .flags = F(SID),
	  .s_id = "0123456789abcdef0123456789abcdef" }, FULL, -EFSCORRUPTED },
	{ "UUID of 17 bytes", { .flags = F(UUID), .s_uuid_len = 17 }, FULL,
	  -EFSCORRUPTED },
	{ "block size not a power of two",
	  { .flags = F(BLOCKSIZE), .s_blocksize = 3000 }, FULL, -EFSCORRUPTED },
	{ "block size below a sector",
	  { .flags = F(BLOCKSIZE), .s_blocksize = 256 }, FULL, -EFSCORRUPTED },
	{ "block size above a page",
	  { .flags = F(BLOCKSIZE), .s_blocksize = PAGE_SIZE * 2 }, FULL,
	  -EFSCORRUPTED },
	{ "time granularity 0", { .flags = F(TIME), .s_time_gran = 0,
	  .s_time_max = 1 }, FULL, -EFSCORRUPTED },
	{ "time granularity 3ns", { .flags = F(TIME), .s_time_gran = 3,
	  .s_time_max = 1 }, FULL, -EFSCORRUPTED },
	{ "time granularity 2s", { .flags = F(TIME), .s_time_gran = 2000000000,
	  .s_time_max = 1 }, FULL, -EFSCORRUPTED },
	{ "time range inverted", { .flags = F(TIME), .s_time_gran = 1000,
	  .s_time_min = 10, .s_time_max = 5 }, FULL, -EFSCORRUPTED },
	{ "maximum file size 0", { .flags = F(MAXBYTES), .s_maxbytes = 0 },
	  FULL, -EFSCORRUPTED },
	{ "maximum file size negative",
	  { .flags = F(MAXBYTES), .s_maxbytes = -4096 }, FULL, -EFSCORRUPTED },
	{ "maximum file size MAX_LFS_FILESIZE",
	  { .flags = F(MAXBYTES), .s_maxbytes = MAX_LFS_FILESIZE }, FULL, 0 },
};

static void config_case_desc(const struct config_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(config, config_cases, config_case_desc);

static void check_config_case(struct kunit *test)
{
	const struct config_case *c = test->param_value;
	const char *rule = NULL;

	KUNIT_EXPECT_EQ(test, fuse_iomap_check_config(&c->out, c->size, &rule),
			c->err);
	if (c->err)
		KUNIT_EXPECT_NOT_NULL(test, rule);
}

static struct kunit_case fuse_iomap_config_cases[] = {
	KUNIT_CASE_PARAM(check_config_case, config_gen_params),
	{}
};

static struct kunit_suite fuse_iomap_config_suite = {
	.name = "fuse_iomap_config",
	.test_cases = fuse_iomap_config_cases,
};

kunit_test_suite(fuse_iomap_config_suite);
