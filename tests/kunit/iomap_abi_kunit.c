// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the fork's wire ABI, checked field by field against the layout
 * recorded in the project's ABI reference (sizes for x86-64, which match
 * every 64-bit architecture since all fields are naturally aligned; with
 * the explicit padding they match i386 too, which tests/abi checks with
 * -m32 and -m64).
 */

#include <kunit/test.h>
#include <linux/fuse.h>
#include <linux/module.h>
#include <linux/stddef.h>

struct abi_fact {
	const char *what;
	u64 got;
	u64 want;
};

#define SZ(s, n)	{ "sizeof(struct " #s ")", sizeof(struct s), n }
#define OFF(s, f, n)	{ #s "." #f, offsetof(struct s, f), n }
#define VAL(c, n)	{ #c, (u64)(c), n }

static const struct abi_fact abi_layout[] = {
	SZ(fuse_iomap_io, 32),
	OFF(fuse_iomap_io, offset, 0),
	OFF(fuse_iomap_io, length, 8),
	OFF(fuse_iomap_io, addr, 16),
	OFF(fuse_iomap_io, type, 24),
	OFF(fuse_iomap_io, flags, 26),
	OFF(fuse_iomap_io, dev, 28),

	SZ(fuse_iomap_begin_in, 32),
	OFF(fuse_iomap_begin_in, opflags, 0),
	OFF(fuse_iomap_begin_in, inline_size, 4),
	OFF(fuse_iomap_begin_in, attr_ino, 8),
	OFF(fuse_iomap_begin_in, pos, 16),
	OFF(fuse_iomap_begin_in, count, 24),

	SZ(fuse_iomap_begin_out, 64),
	OFF(fuse_iomap_begin_out, read, 0),
	OFF(fuse_iomap_begin_out, write, 32),

	SZ(fuse_iomap_end_in, 72),
	OFF(fuse_iomap_end_in, opflags, 0),
	OFF(fuse_iomap_end_in, inline_size, 4),
	OFF(fuse_iomap_end_in, attr_ino, 8),
	OFF(fuse_iomap_end_in, pos, 16),
	OFF(fuse_iomap_end_in, count, 24),
	OFF(fuse_iomap_end_in, written, 32),
	OFF(fuse_iomap_end_in, map, 40),

	SZ(fuse_iomap_ioend_in, 48),
	OFF(fuse_iomap_ioend_in, flags, 0),
	OFF(fuse_iomap_ioend_in, error, 4),
	OFF(fuse_iomap_ioend_in, attr_ino, 8),
	OFF(fuse_iomap_ioend_in, pos, 16),
	OFF(fuse_iomap_ioend_in, new_addr, 24),
	OFF(fuse_iomap_ioend_in, written, 32),
	OFF(fuse_iomap_ioend_in, dev, 40),
	OFF(fuse_iomap_ioend_in, pad, 44),
	SZ(fuse_iomap_ioend_out, 8),

	SZ(fuse_iomap_config_in, 64),
	OFF(fuse_iomap_config_in, flags, 0),
	OFF(fuse_iomap_config_in, maxbytes, 8),
	OFF(fuse_iomap_config_in, cache_maxbytes, 16),
	OFF(fuse_iomap_config_in, zero, 20),
	OFF(fuse_iomap_config_in, padding, 24),

	SZ(fuse_iomap_config_out, 104),
	OFF(fuse_iomap_config_out, flags, 0),
	OFF(fuse_iomap_config_out, s_id, 8),
	OFF(fuse_iomap_config_out, s_uuid, 40),
	OFF(fuse_iomap_config_out, s_uuid_len, 56),
	OFF(fuse_iomap_config_out, s_pad, 57),
	OFF(fuse_iomap_config_out, s_blocksize, 60),
	OFF(fuse_iomap_config_out, s_max_links, 64),
	OFF(fuse_iomap_config_out, s_time_gran, 68),
	OFF(fuse_iomap_config_out, s_time_min, 72),
	OFF(fuse_iomap_config_out, s_time_max, 80),
	OFF(fuse_iomap_config_out, s_maxbytes, 88),
	OFF(fuse_iomap_config_out, cache_maxbytes, 96),
	OFF(fuse_iomap_config_out, padding, 100),

	SZ(fuse_range, 16),
	OFF(fuse_range, offset, 0),
	OFF(fuse_range, length, 8),

	SZ(fuse_iomap_dev_inval_out, 24),
	OFF(fuse_iomap_dev_inval_out, dev, 0),
	OFF(fuse_iomap_dev_inval_out, reserved, 4),
	OFF(fuse_iomap_dev_inval_out, range, 8),

	SZ(fuse_iomap_inval_mappings_out, 48),
	OFF(fuse_iomap_inval_mappings_out, nodeid, 0),
	OFF(fuse_iomap_inval_mappings_out, attr_ino, 8),
	OFF(fuse_iomap_inval_mappings_out, read, 16),
	OFF(fuse_iomap_inval_mappings_out, write, 32),

	SZ(fuse_iomap_upsert_mappings_out, 80),
	OFF(fuse_iomap_upsert_mappings_out, nodeid, 0),
	OFF(fuse_iomap_upsert_mappings_out, attr_ino, 8),
	OFF(fuse_iomap_upsert_mappings_out, read, 16),
	OFF(fuse_iomap_upsert_mappings_out, write, 48),

	SZ(fuse_iomap_support, 16),
	SZ(fuse_iomap_set_blocksize, 8),
	SZ(fuse_backing_map, 16),

	SZ(fuse_famfs_fmap_header, 32),
	OFF(fuse_famfs_fmap_header, file_type, 0),
	OFF(fuse_famfs_fmap_header, reserved, 1),
	OFF(fuse_famfs_fmap_header, fmap_version, 2),
	OFF(fuse_famfs_fmap_header, ext_type, 4),
	OFF(fuse_famfs_fmap_header, nextents, 8),
	OFF(fuse_famfs_fmap_header, reserved0, 12),
	OFF(fuse_famfs_fmap_header, file_size, 16),
	OFF(fuse_famfs_fmap_header, reserved1, 24),

	SZ(fuse_famfs_simple_ext, 24),
	OFF(fuse_famfs_simple_ext, se_devindex, 0),
	OFF(fuse_famfs_simple_ext, reserved, 4),
	OFF(fuse_famfs_simple_ext, se_offset, 8),
	OFF(fuse_famfs_simple_ext, se_len, 16),

	SZ(fuse_famfs_iext, 24),
	OFF(fuse_famfs_iext, ie_nstrips, 0),
	OFF(fuse_famfs_iext, ie_chunk_size, 4),
	OFF(fuse_famfs_iext, ie_nbytes, 8),
	OFF(fuse_famfs_iext, reserved, 16),

	SZ(fuse_get_fmap_in, 8),
	SZ(fuse_get_daxdev_in, 4),
	SZ(fuse_daxdev_out, 280),
	OFF(fuse_daxdev_out, index, 0),
	OFF(fuse_daxdev_out, reserved, 2),
	OFF(fuse_daxdev_out, reserved2, 4),
	OFF(fuse_daxdev_out, reserved3, 8),
	OFF(fuse_daxdev_out, reserved4, 16),
	OFF(fuse_daxdev_out, name, 24),
};

static const struct abi_fact abi_values[] = {
	VAL(FUSE_IOMAP, 1ULL << 43),
	VAL(FUSE_DAX_FMAP, 1ULL << 44),
	VAL(FUSE_DAX_FMAP_BIT43, 1ULL << 43),
	VAL(FUSE_IOMAP_KERNEL_MINOR, 99),
	VAL(FUSE_ATTR_EXCLUSIVE, 1 << 2),
	VAL(FUSE_ATTR_IOMAP, 1 << 3),
	VAL(FUSE_ATTR_ATOMIC, 1 << 4),
	VAL(FUSE_ATTR_SYNC, 1 << 5),
	VAL(FUSE_ATTR_IMMUTABLE, 1 << 6),
	VAL(FUSE_ATTR_APPEND, 1 << 7),
	VAL(FUSE_GET_FMAP, 54),
	VAL(FUSE_GET_DAXDEV, 55),
	VAL(FUSE_FREEZE_FS, 4089),
	VAL(FUSE_UNFREEZE_FS, 4090),
	VAL(FUSE_SHUTDOWN_FS, 4091),
	VAL(FUSE_IOMAP_CONFIG, 4092),
	VAL(FUSE_IOMAP_IOEND, 4093),
	VAL(FUSE_IOMAP_BEGIN, 4094),
	VAL(FUSE_IOMAP_END, 4095),
	VAL(FUSE_NOTIFY_IOMAP_DEV_INVAL, 99),
	VAL(FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS, 100),
	VAL(FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS, 101),
	VAL(FUSE_BACKING_TYPE_IOMAP, 1),
	VAL(FUSE_BACKING_TYPE_MASK, 0xff),
	VAL(FUSE_IOMAP_TYPE_HOLE, 0),
	VAL(FUSE_IOMAP_TYPE_DELALLOC, 1),
	VAL(FUSE_IOMAP_TYPE_MAPPED, 2),
	VAL(FUSE_IOMAP_TYPE_UNWRITTEN, 3),
	VAL(FUSE_IOMAP_TYPE_INLINE, 4),
	VAL(FUSE_IOMAP_TYPE_NOCACHE, 253),
	VAL(FUSE_IOMAP_TYPE_RETRY_CACHE, 254),
	VAL(FUSE_IOMAP_TYPE_PURE_OVERWRITE, 255),
	VAL(FUSE_IOMAP_F_WANT_IOMAP_END, 1 << 7),
	VAL(FUSE_IOMAP_F_SIZE_CHANGED, 1 << 8),
	VAL(FUSE_IOMAP_F_STALE, 1 << 9),
	VAL(FUSE_IOMAP_OP_WRITE, 1 << 0),
	VAL(FUSE_IOMAP_OP_DIRECT, 1 << 4),
	VAL(FUSE_IOMAP_OP_NOWAIT, 1 << 5),
	VAL(FUSE_IOMAP_OP_DONTCACHE, 1 << 10),
	VAL(FUSE_IOMAP_OP_SWAPFILE, 1U << 30),
	VAL(FUSE_IOMAP_OP_WRITEBACK, 1U << 31),
	VAL(FUSE_IOMAP_IOEND_SHARED, 1 << 0),
	VAL(FUSE_IOMAP_IOEND_APPEND, 1 << 4),
	VAL(FUSE_IOMAP_IOEND_SWAPOFF, 1 << 6),
	VAL(FUSE_IOMAP_CONFIG_CACHE_MAXBYTES, 1 << 6),
	VAL(FUSE_IOMAP_CONFIG_INLINE_PAYLOAD, 1ULL << 32),
	VAL(FUSE_IOMAP_NULL_ADDR, ~0ULL),
	VAL(FUSE_IOMAP_INVAL_TO_EOF, ~0ULL),
	VAL(FUSE_DEV_IOC_IOMAP_SUPPORT, 0x8010e563),
	VAL(FUSE_DEV_IOC_SET_NOFS, 0x4004e564),
	VAL(FUSE_DEV_IOC_ADD_IOMAP, 0xe565),
	VAL(FUSE_DEV_IOC_IOMAP_SET_BLOCKSIZE, 0x4008e566),
	VAL(FUSE_DEV_IOC_BACKING_OPEN, 0x4010e501),
	VAL(FUSE_DEV_IOC_BACKING_CLOSE, 0x4004e502),
	VAL(FUSE_FAMFS_MAX_FMAP_SIZE, 32768),
	VAL(FUSE_FAMFS_MAX_EXTENTS, 32),
	VAL(FUSE_FAMFS_MAX_STRIPS, 32),
	VAL(FUSE_FAMFS_EXT_INTERLEAVE, 1),
	VAL(FUSE_FAMFS_FILE_LOG, 2),
};

static void abi_fact_desc(const struct abi_fact *f, char *desc)
{
	strscpy(desc, f->what, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(abi_layout, abi_layout, abi_fact_desc);
KUNIT_ARRAY_PARAM(abi_values, abi_values, abi_fact_desc);

static void abi_fact_holds(struct kunit *test)
{
	const struct abi_fact *f = test->param_value;

	KUNIT_EXPECT_EQ_MSG(test, f->got, f->want, "%s", f->what);
}

/* The two INIT flags must be distinct, and clear of every upstream flag. */
static void abi_init_flags_are_private(struct kunit *test)
{
	KUNIT_EXPECT_NE(test, FUSE_IOMAP, FUSE_DAX_FMAP);
	KUNIT_EXPECT_GT(test, FUSE_IOMAP, FUSE_ALLOW_IDMAP);
	KUNIT_EXPECT_GT(test, FUSE_DAX_FMAP, FUSE_ALLOW_IDMAP);
}

static struct kunit_case fuse_iomap_abi_cases[] = {
	KUNIT_CASE_PARAM(abi_fact_holds, abi_layout_gen_params),
	KUNIT_CASE_PARAM(abi_fact_holds, abi_values_gen_params),
	KUNIT_CASE(abi_init_flags_are_private),
	{}
};

static struct kunit_suite fuse_iomap_abi_suite = {
	.name = "fuse_iomap_abi",
	.test_cases = fuse_iomap_abi_cases,
};

kunit_test_suite(fuse_iomap_abi_suite);

MODULE_DESCRIPTION("KUnit tests of fuse-iomap");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
