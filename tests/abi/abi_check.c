// SPDX-License-Identifier: GPL-2.0
/*
 * The wire ABI of <linux/fuse.h>'s iomap and famfs additions, checked at
 * compile time: every size, every offset of a field that carries data, and
 * every ioctl number (whose _IOR/_IOW encode the size of the argument) is
 * the value the posted series has on x86-64 (the project's ABI reference).
 * tests/abi/Makefile compiles this file with -m32 and with -m64 and
 * -Wpadded, so that each structure has that one layout on both ABIs and
 * no padding that the compiler inserts by itself: i386 aligns uint64_t to
 * 4 bytes, so it would not insert it where x86-64 does.
 *
 * The explicit padding fields are deliberately not named here: their
 * place follows from the sizes and from the offsets of their neighbours,
 * and a header without them (nopad.sh, for the self-test) must fail with
 * layout errors, not with missing members.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/fuse.h>

#define SZ(s, n)	static_assert(sizeof(struct s) == (n), \
				      "sizeof(struct " #s ") is not " #n)
#define OFF(s, f, n)	static_assert(offsetof(struct s, f) == (n), \
				      #s "." #f " is not at " #n)
#define VAL(c, n)	static_assert((c) == (n), #c " is not " #n)

SZ(fuse_iomap_io, 32);
OFF(fuse_iomap_io, offset, 0);
OFF(fuse_iomap_io, length, 8);
OFF(fuse_iomap_io, addr, 16);
OFF(fuse_iomap_io, type, 24);
OFF(fuse_iomap_io, flags, 26);
OFF(fuse_iomap_io, dev, 28);

SZ(fuse_iomap_begin_in, 32);
OFF(fuse_iomap_begin_in, opflags, 0);
OFF(fuse_iomap_begin_in, inline_size, 4);
OFF(fuse_iomap_begin_in, attr_ino, 8);
OFF(fuse_iomap_begin_in, pos, 16);
OFF(fuse_iomap_begin_in, count, 24);

SZ(fuse_iomap_begin_out, 64);
OFF(fuse_iomap_begin_out, read, 0);
OFF(fuse_iomap_begin_out, write, 32);

SZ(fuse_iomap_end_in, 72);
OFF(fuse_iomap_end_in, opflags, 0);
OFF(fuse_iomap_end_in, inline_size, 4);
OFF(fuse_iomap_end_in, attr_ino, 8);
OFF(fuse_iomap_end_in, pos, 16);
OFF(fuse_iomap_end_in, count, 24);
OFF(fuse_iomap_end_in, written, 32);
OFF(fuse_iomap_end_in, map, 40);

SZ(fuse_iomap_ioend_in, 48);
OFF(fuse_iomap_ioend_in, flags, 0);
OFF(fuse_iomap_ioend_in, error, 4);
OFF(fuse_iomap_ioend_in, attr_ino, 8);
OFF(fuse_iomap_ioend_in, pos, 16);
OFF(fuse_iomap_ioend_in, new_addr, 24);
OFF(fuse_iomap_ioend_in, written, 32);
OFF(fuse_iomap_ioend_in, dev, 40);
SZ(fuse_iomap_ioend_out, 8);
SZ(fuse_freezefs_in, 8);
SZ(fuse_shutdownfs_in, 8);

SZ(fuse_iomap_config_in, 64);
OFF(fuse_iomap_config_in, flags, 0);
OFF(fuse_iomap_config_in, maxbytes, 8);
OFF(fuse_iomap_config_in, cache_maxbytes, 16);
OFF(fuse_iomap_config_in, padding, 24);

/* 104 bytes: 100 on i386 before the explicit tail padding (fuse-iomap.rst) */
SZ(fuse_iomap_config_out, 104);
OFF(fuse_iomap_config_out, flags, 0);
OFF(fuse_iomap_config_out, s_id, 8);
OFF(fuse_iomap_config_out, s_uuid, 40);
OFF(fuse_iomap_config_out, s_uuid_len, 56);
OFF(fuse_iomap_config_out, s_blocksize, 60);
OFF(fuse_iomap_config_out, s_max_links, 64);
OFF(fuse_iomap_config_out, s_time_gran, 68);
OFF(fuse_iomap_config_out, s_time_min, 72);
OFF(fuse_iomap_config_out, s_time_max, 80);
OFF(fuse_iomap_config_out, s_maxbytes, 88);
OFF(fuse_iomap_config_out, cache_maxbytes, 96);

SZ(fuse_range, 16);
OFF(fuse_range, offset, 0);
OFF(fuse_range, length, 8);

SZ(fuse_iomap_dev_inval_out, 24);
OFF(fuse_iomap_dev_inval_out, dev, 0);
OFF(fuse_iomap_dev_inval_out, range, 8);

SZ(fuse_iomap_inval_mappings_out, 48);
OFF(fuse_iomap_inval_mappings_out, nodeid, 0);
OFF(fuse_iomap_inval_mappings_out, attr_ino, 8);
OFF(fuse_iomap_inval_mappings_out, read, 16);
OFF(fuse_iomap_inval_mappings_out, write, 32);

SZ(fuse_iomap_upsert_mappings_out, 80);
OFF(fuse_iomap_upsert_mappings_out, nodeid, 0);
OFF(fuse_iomap_upsert_mappings_out, attr_ino, 8);
OFF(fuse_iomap_upsert_mappings_out, read, 16);
OFF(fuse_iomap_upsert_mappings_out, write, 48);

/* ioctl arguments */
SZ(fuse_iomap_support, 16);
OFF(fuse_iomap_support, flags, 0);
SZ(fuse_iomap_set_blocksize, 8);
OFF(fuse_iomap_set_blocksize, backing_id, 0);
OFF(fuse_iomap_set_blocksize, blocksize, 4);
SZ(fuse_backing_map, 16);
OFF(fuse_backing_map, fd, 0);
OFF(fuse_backing_map, flags, 4);
OFF(fuse_backing_map, padding, 8);

/* famfs */
SZ(fuse_famfs_fmap_header, 32);
OFF(fuse_famfs_fmap_header, file_type, 0);
OFF(fuse_famfs_fmap_header, fmap_version, 2);
OFF(fuse_famfs_fmap_header, ext_type, 4);
OFF(fuse_famfs_fmap_header, nextents, 8);
OFF(fuse_famfs_fmap_header, file_size, 16);
OFF(fuse_famfs_fmap_header, reserved1, 24);

SZ(fuse_famfs_simple_ext, 24);
OFF(fuse_famfs_simple_ext, se_devindex, 0);
OFF(fuse_famfs_simple_ext, se_offset, 8);
OFF(fuse_famfs_simple_ext, se_len, 16);

SZ(fuse_famfs_iext, 24);
OFF(fuse_famfs_iext, ie_nstrips, 0);
OFF(fuse_famfs_iext, ie_chunk_size, 4);
OFF(fuse_famfs_iext, ie_nbytes, 8);
OFF(fuse_famfs_iext, reserved, 16);

SZ(fuse_get_fmap_in, 8);
OFF(fuse_get_fmap_in, size, 0);
SZ(fuse_get_daxdev_in, 4);
SZ(fuse_daxdev_out, 280);
OFF(fuse_daxdev_out, index, 0);
OFF(fuse_daxdev_out, reserved, 2);
OFF(fuse_daxdev_out, reserved3, 8);
OFF(fuse_daxdev_out, reserved4, 16);
OFF(fuse_daxdev_out, name, 24);

/* the headers every message starts with (upstream) */
SZ(fuse_in_header, 40);
SZ(fuse_out_header, 16);

/* /dev/fuse ioctls: _IOR/_IOW put the size of the argument in the number */
VAL(FUSE_DEV_IOC_CLONE, 0x8004e500u);
VAL(FUSE_DEV_IOC_BACKING_OPEN, 0x4010e501u);
VAL(FUSE_DEV_IOC_BACKING_CLOSE, 0x4004e502u);
VAL(FUSE_DEV_IOC_IOMAP_SUPPORT, 0x8010e563u);
VAL(FUSE_DEV_IOC_SET_NOFS, 0x4004e564u);
VAL(FUSE_DEV_IOC_ADD_IOMAP, 0xe565u);
VAL(FUSE_DEV_IOC_IOMAP_SET_BLOCKSIZE, 0x4008e566u);

/* the INIT flag and the opcodes and notify codes the structures go with */
VAL(FUSE_IOMAP, 1ULL << 43);
VAL(FUSE_DAX_FMAP, 1ULL << 44);
VAL(FUSE_GET_FMAP, 54);
VAL(FUSE_GET_DAXDEV, 55);
VAL(FUSE_FREEZE_FS, 4089);
VAL(FUSE_UNFREEZE_FS, 4090);
VAL(FUSE_SHUTDOWN_FS, 4091);
VAL(FUSE_IOMAP_CONFIG, 4092);
VAL(FUSE_IOMAP_IOEND, 4093);
VAL(FUSE_IOMAP_BEGIN, 4094);
VAL(FUSE_IOMAP_END, 4095);
VAL(FUSE_NOTIFY_IOMAP_DEV_INVAL, 99);
VAL(FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS, 100);
VAL(FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS, 101);

/* Which ABI this object was built for, for "file" and the Makefile. */
const unsigned int fuse_iomap_abi_pointer_bits = sizeof(void *) * 8;
