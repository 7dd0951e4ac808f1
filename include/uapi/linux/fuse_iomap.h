/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * FUSE iomap and famfs protocol extensions of the fuse-iomap fork.
 *
 * Included at the end of <linux/fuse.h>; do not include it directly.
 *
 * Wire compatible with the posted fuse-iomap series (protocol 7.99,
 * "experimental") and with the famfs series.  Both series claim INIT flag
 * bit 43; the kernel gives it one meaning per connection before it sends
 * INIT, and offers famfs on bit 44 too, which means only that.  See
 * Documentation/filesystems/fuse-iomap.rst.
 */

#ifndef _LINUX_FUSE_IOMAP_H
#define _LINUX_FUSE_IOMAP_H

#ifndef _LINUX_FUSE_H
#error "include <linux/fuse.h> instead"
#endif

/*
 * Every structure below has one layout on every ABI: each field sits at a
 * multiple of the size of its type (of an element, for an array), and a
 * structure with a 64-bit field is a multiple of 8 bytes long, with
 * explicit padding wherever a 64-bit ABI would pad by itself.  So a 32-bit
 * server (i386, whose uint64_t is only 4-byte aligned) talks to a 64-bit
 * kernel exactly as a 64-bit server does.  tests/abi checks every size and
 * offset with -m32 and with -m64.
 */

/*
 * INIT flags (bits 32..63 travel in fuse_init_in/out.flags2).
 *
 * FUSE_IOMAP: the kernel offers iomap file I/O; the server echoes it to use it.
 * FUSE_DAX_FMAP: the kernel offers famfs fmaps (FUSE_GET_FMAP/GET_DAXDEV).
 * FUSE_DAX_FMAP_BIT43: the famfs series' own value of FUSE_DAX_FMAP.  Bit 43
 * means famfs when only famfs is permitted, or when both are and the mount's
 * source names a character device (famfs names its /dev/daxX.Y); iomap
 * otherwise.
 */
#define FUSE_IOMAP		(1ULL << 43)
#define FUSE_DAX_FMAP		(1ULL << 44)
#define FUSE_DAX_FMAP_BIT43	(1ULL << 43)

/* INIT minor the kernel announces when it offers FUSE_IOMAP */
#define FUSE_IOMAP_KERNEL_MINOR	99

/* fuse_attr.flags */
#define FUSE_ATTR_EXCLUSIVE	(1 << 2)	/* only this mount modifies it */
#define FUSE_ATTR_IOMAP		(1 << 3)	/* file I/O goes through iomap */
#define FUSE_ATTR_ATOMIC	(1 << 4)	/* untorn single-block writes */
#define FUSE_ATTR_SYNC		(1 << 5)
#define FUSE_ATTR_IMMUTABLE	(1 << 6)
#define FUSE_ATTR_APPEND	(1 << 7)

/* Opcodes */
#define FUSE_GET_FMAP		54
#define FUSE_GET_DAXDEV		55
#define FUSE_FREEZE_FS		4089
#define FUSE_UNFREEZE_FS	4090
#define FUSE_SHUTDOWN_FS	4091
#define FUSE_IOMAP_CONFIG	4092
#define FUSE_IOMAP_IOEND	4093
#define FUSE_IOMAP_BEGIN	4094
#define FUSE_IOMAP_END		4095

/* Notification codes (server to kernel) */
#define FUSE_NOTIFY_IOMAP_DEV_INVAL		99
#define FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS	100
#define FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS	101

/* fuse_backing_map.flags: what kind of file is being registered */
#define FUSE_BACKING_TYPE_PASSTHROUGH	0
#define FUSE_BACKING_TYPE_IOMAP		1
#define FUSE_BACKING_TYPE_MASK		0xFF

/* Device cookie meaning "no device" */
#define FUSE_IOMAP_DEV_NULL	0U

/* Mapping types (fuse_iomap_io.type) */
#define FUSE_IOMAP_TYPE_HOLE		0
#define FUSE_IOMAP_TYPE_DELALLOC	1
#define FUSE_IOMAP_TYPE_MAPPED		2
#define FUSE_IOMAP_TYPE_UNWRITTEN	3
#define FUSE_IOMAP_TYPE_INLINE		4
/* fuse-only types, never handed to iomap */
#define FUSE_IOMAP_TYPE_NOCACHE		253	/* upserts only: do not cache */
#define FUSE_IOMAP_TYPE_RETRY_CACHE	254	/* upserted; look again */
#define FUSE_IOMAP_TYPE_PURE_OVERWRITE	255	/* write uses read mapping */

/* Mapping flags (fuse_iomap_io.flags) */
#define FUSE_IOMAP_F_NEW		(1U << 0)
#define FUSE_IOMAP_F_DIRTY		(1U << 1)
#define FUSE_IOMAP_F_SHARED		(1U << 2)
#define FUSE_IOMAP_F_MERGED		(1U << 3)
#define FUSE_IOMAP_F_BOUNDARY		(1U << 4)
#define FUSE_IOMAP_F_ANON_WRITE		(1U << 5)
#define FUSE_IOMAP_F_ATOMIC_BIO		(1U << 6)
#define FUSE_IOMAP_F_WANT_IOMAP_END	(1U << 7)
/* only in fuse_iomap_end_in.map */
#define FUSE_IOMAP_F_SIZE_CHANGED	(1U << 8)
#define FUSE_IOMAP_F_STALE		(1U << 9)

/* Operation flags (opflags) */
#define FUSE_IOMAP_OP_WRITE		(1U << 0)
#define FUSE_IOMAP_OP_ZERO		(1U << 1)
#define FUSE_IOMAP_OP_REPORT		(1U << 2)
#define FUSE_IOMAP_OP_FAULT		(1U << 3)
#define FUSE_IOMAP_OP_DIRECT		(1U << 4)
#define FUSE_IOMAP_OP_NOWAIT		(1U << 5)
#define FUSE_IOMAP_OP_OVERWRITE_ONLY	(1U << 6)
#define FUSE_IOMAP_OP_UNSHARE		(1U << 7)
#define FUSE_IOMAP_OP_DAX		(1U << 8)
#define FUSE_IOMAP_OP_ATOMIC		(1U << 9)
#define FUSE_IOMAP_OP_DONTCACHE		(1U << 10)
#define FUSE_IOMAP_OP_SWAPFILE		(1U << 30)
#define FUSE_IOMAP_OP_WRITEBACK		(1U << 31)

/* ioend flags (fuse_iomap_ioend_in.flags) */
#define FUSE_IOMAP_IOEND_SHARED		(1U << 0)	/* out of place write */
#define FUSE_IOMAP_IOEND_UNWRITTEN	(1U << 1)
#define FUSE_IOMAP_IOEND_BOUNDARY	(1U << 2)
#define FUSE_IOMAP_IOEND_DIRECT		(1U << 3)
#define FUSE_IOMAP_IOEND_APPEND		(1U << 4)	/* past on-disk size */
#define FUSE_IOMAP_IOEND_WRITEBACK	(1U << 5)
#define FUSE_IOMAP_IOEND_SWAPOFF	(1U << 6)

#define FUSE_IOMAP_NULL_ADDR		(~0ULL)
#define FUSE_IOMAP_INVAL_TO_EOF		(~0ULL)

/* FUSE_DEV_IOC_IOMAP_SUPPORT flags */
#define FUSE_IOMAP_SUPPORT_FILEIO	(1ULL << 0)
#define FUSE_IOMAP_SUPPORT_ATOMIC	(1ULL << 1)

struct fuse_iomap_support {
	uint64_t	flags;
	uint64_t	padding;
};

#define FUSE_DEV_IOC_IOMAP_SUPPORT	_IOR(FUSE_DEV_IOC_MAGIC, 99, \
					     struct fuse_iomap_support)
#define FUSE_DEV_IOC_SET_NOFS		_IOW(FUSE_DEV_IOC_MAGIC, 100, uint32_t)
#define FUSE_DEV_IOC_ADD_IOMAP		_IO(FUSE_DEV_IOC_MAGIC, 101)

/* the page cache block size of a registered device (opened O_EXCL) */
struct fuse_iomap_set_blocksize {
	uint32_t	backing_id;	/* cookie from BACKING_OPEN */
	uint32_t	blocksize;	/* power of two, 512..PAGE_SIZE */
};

#define FUSE_DEV_IOC_IOMAP_SET_BLOCKSIZE _IOW(FUSE_DEV_IOC_MAGIC, 102, \
					      struct fuse_iomap_set_blocksize)

/* One mapping of a file range to a device range. */
struct fuse_iomap_io {
	uint64_t	offset;		/* file offset, bytes */
	uint64_t	length;		/* bytes */
	uint64_t	addr;		/* device offset, bytes */
	uint16_t	type;		/* FUSE_IOMAP_TYPE_* */
	uint16_t	flags;		/* FUSE_IOMAP_F_* */
	uint32_t	dev;		/* device cookie from BACKING_OPEN */
};

/*
 * inline_size (a fuse-iomap extension, FUSE_IOMAP_CONFIG_INLINE_PAYLOAD;
 * "reserved", always zero, in the posted series and without the flag): in
 * a FUSE_IOMAP_BEGIN request, how many bytes of inline data the reply may
 * carry after fuse_iomap_begin_out (0: none; at most a page); in a
 * FUSE_IOMAP_END request, how many bytes of inline data the kernel changed
 * follow fuse_iomap_end_in.  See fuse-iomap.rst.
 */
struct fuse_iomap_begin_in {
	uint32_t	opflags;	/* FUSE_IOMAP_OP_* */
	uint32_t	inline_size;	/* room for inline data in the reply */
	uint64_t	attr_ino;	/* matches fuse_attr.ino */
	uint64_t	pos;
	uint64_t	count;
};

struct fuse_iomap_begin_out {
	struct fuse_iomap_io	read;
	struct fuse_iomap_io	write;
};

struct fuse_iomap_end_in {
	uint32_t	opflags;
	uint32_t	inline_size;	/* bytes of inline data that follow */
	uint64_t	attr_ino;
	uint64_t	pos;
	uint64_t	count;
	int64_t		written;
	struct fuse_iomap_io	map;
};

struct fuse_iomap_ioend_in {
	uint32_t	flags;		/* FUSE_IOMAP_IOEND_* */
	int32_t		error;		/* negative errno or 0 */
	uint64_t	attr_ino;
	uint64_t	pos;
	uint64_t	new_addr;	/* device offset of an out of place write */
	uint64_t	written;
	uint32_t	dev;
	uint32_t	pad;
};

/*
 * FICLONE and FICLONERANGE of iomap files (a fuse-iomap extension, not in
 * the posted series): sent as FUSE_COPY_FILE_RANGE with this flag, after
 * the kernel wrote back and waited for both ranges.  The server must make
 * the destination share the source's blocks (no data copy) and answer the
 * whole length, or fail with EOPNOTSUPP.  Offsets are block aligned; the
 * length is too, unless the source range ends at the source's EOF.
 */
#define FUSE_COPY_FILE_RANGE_CLONE	(1ULL << 0)

/* FUSE_FREEZE_FS: inodes unlinked but still in use */
struct fuse_freezefs_in {
	uint64_t	unlinked;
};

/* FUSE_SHUTDOWN_FS: the FS_IOC_SHUTDOWN flags (0 sync first, 1, 2 now) */
struct fuse_shutdownfs_in {
	uint64_t	flags;
};

struct fuse_iomap_ioend_out {
	uint64_t	newsize;
};

/* FUSE_IOMAP_CONFIG flags */
#define FUSE_IOMAP_CONFIG_SID		(1ULL << 0)
#define FUSE_IOMAP_CONFIG_UUID		(1ULL << 1)
#define FUSE_IOMAP_CONFIG_BLOCKSIZE	(1ULL << 2)
#define FUSE_IOMAP_CONFIG_MAX_LINKS	(1ULL << 3)
#define FUSE_IOMAP_CONFIG_TIME		(1ULL << 4)
#define FUSE_IOMAP_CONFIG_MAXBYTES	(1ULL << 5)
#define FUSE_IOMAP_CONFIG_CACHE_MAXBYTES (1ULL << 6)
/*
 * A fuse-iomap extension: inline data travels with FUSE_IOMAP_BEGIN and
 * FUSE_IOMAP_END (inline_size).  Without it, as in the posted series, an
 * INLINE mapping carries no data, and the kernel reads and writes it with
 * FUSE_READ and FUSE_WRITE (fh 0).
 */
#define FUSE_IOMAP_CONFIG_INLINE_PAYLOAD (1ULL << 32)

struct fuse_iomap_config_in {
	uint64_t	flags;
	int64_t		maxbytes;
	uint32_t	cache_maxbytes;
	uint32_t	zero;
	uint64_t	padding[5];
};

struct fuse_iomap_config_out {
	uint64_t	flags;		/* FUSE_IOMAP_CONFIG_* */
	char		s_id[32];
	char		s_uuid[16];
	uint8_t		s_uuid_len;
	uint8_t		s_pad[3];
	uint32_t	s_blocksize;
	uint32_t	s_max_links;
	uint32_t	s_time_gran;
	int64_t		s_time_min;
	int64_t		s_time_max;
	int64_t		s_maxbytes;
	uint32_t	cache_maxbytes;
	uint32_t	padding;	/* 104 bytes on every ABI, i386's too */
};

struct fuse_range {
	uint64_t	offset;
	uint64_t	length;
};

struct fuse_iomap_dev_inval_out {
	uint32_t	dev;
	uint32_t	reserved;
	struct fuse_range	range;
};

struct fuse_iomap_inval_mappings_out {
	uint64_t	nodeid;
	uint64_t	attr_ino;
	struct fuse_range	read;	/* length 0: leave alone */
	struct fuse_range	write;
};

struct fuse_iomap_upsert_mappings_out {
	uint64_t	nodeid;
	uint64_t	attr_ino;
	struct fuse_iomap_io	read;
	struct fuse_iomap_io	write;
};

/* famfs */
#define FUSE_FAMFS_FMAP_VERSION		1
#define FUSE_FAMFS_MAX_FMAP_SIZE	32768
#define FUSE_FAMFS_MAX_EXTENTS		32
#define FUSE_FAMFS_MAX_STRIPS		32

#define FUSE_FAMFS_FILE_REG		0
#define FUSE_FAMFS_FILE_SUPERBLOCK	1
#define FUSE_FAMFS_FILE_LOG		2

#define FUSE_FAMFS_EXT_SIMPLE		0
#define FUSE_FAMFS_EXT_INTERLEAVE	1

struct fuse_famfs_fmap_header {
	uint8_t		file_type;	/* FUSE_FAMFS_FILE_* */
	uint8_t		reserved;
	uint16_t	fmap_version;
	uint32_t	ext_type;	/* FUSE_FAMFS_EXT_* */
	uint32_t	nextents;
	uint32_t	reserved0;
	uint64_t	file_size;
	uint64_t	reserved1;
};

struct fuse_famfs_simple_ext {
	uint32_t	se_devindex;
	uint32_t	reserved;
	uint64_t	se_offset;
	uint64_t	se_len;
};

struct fuse_famfs_iext {
	uint32_t	ie_nstrips;
	uint32_t	ie_chunk_size;
	uint64_t	ie_nbytes;
	uint64_t	reserved;
};

/*
 * FUSE_GET_FMAP: the kernel sends the size of its reply buffer.  A server
 * whose fmap does not fit answers with only a uint32_t, the size it needs
 * (at most FUSE_FAMFS_MAX_FMAP_SIZE), and the kernel asks once more.
 */
struct fuse_get_fmap_in {
	uint32_t	size;
	uint32_t	padding;
};

struct fuse_get_daxdev_in {
	uint32_t	daxdev_num;
};

struct fuse_daxdev_out {
	uint16_t	index;
	uint16_t	reserved;
	uint32_t	reserved2;
	uint64_t	reserved3;
	uint64_t	reserved4;
	char		name[256];
};

#endif /* _LINUX_FUSE_IOMAP_H */
