/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fusetd on-disk format and storage layer.
 *
 * The image is an array of FT_BLOCK_SIZE blocks:
 *
 *   0                          superblock
 *   bitmap_start ..            allocation bitmap, one bit per block, 1 = used
 *   refcnt_start ..            reference count of every block, uint32_t
 *   itable_start ..            inode table, FT_INODE_SIZE bytes per inode
 *   pool_start ..              extent pool: extent leaves and index blocks
 *   data_start .. nr_blocks-1  data blocks
 *
 * Inode 0 is never used; inode 1 (FUSE_ROOT_ID) is the root directory.
 * Inode numbers are the FUSE node ids.  A file's data is a sorted list of
 * extents; an UNWRITTEN extent is allocated but reads as zeros.  Up to
 * FT_INLINE_EXTENTS extents live in the inode; more go to extent leaves of
 * FT_LEAF_EXTENTS each, in file order, whose block numbers are kept in the
 * inode's index blocks (FT_INDEX_PER_BLOCK per block, as one flat array).
 * Leaves and index blocks come from the extent pool, never from the data
 * area, so that no block the kernel writes by itself (iomap) is ever in
 * the daemon's cache.
 *
 * Data blocks are shared (reflink) by counting references: a data block
 * is in use (its bitmap bit set) exactly when its count is non-zero, and
 * the count is the number of extents mapping it.  Directories are files of
 * fixed-size entries that never straddle a block; symlink targets are the
 * symlink's data.  Blocks past EOF and the tail of the EOF block always
 * hold zeros.
 *
 * An inline regular file (FT_I_INLINE) has no extents: its data, at most a
 * block, lives in one extent pool block (inline_blk; 0 while it is all
 * zeros), zero past EOF.  With --inline-max, new regular files start
 * inline and stay so while they fit; they move to a data block when they
 * grow past the limit, for fallocate, clone and copies, and when iomap
 * needs blocks (writeback, write faults).  A file truncated to a size that
 * fits comes back inline.
 *
 * Everything up to data_start is mmapped shared, so metadata changes reach
 * the image's page cache at once; store_sync() makes them durable.  File
 * data goes through a second, O_DIRECT descriptor where the image allows
 * it.  Fields are in host byte order, which must be little-endian.
 */
#ifndef FUSETD_STORE_H
#define FUSETD_STORE_H

#include <stdint.h>
#include <sys/types.h>

#include "stats.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the fusetd format is little-endian");

#define FT_MAGIC		"FUSETD01"
#define FT_VERSION		2
#define FT_BLOCK_SIZE		4096U
#define FT_INODE_SIZE		2048U
#define FT_INLINE_EXTENTS	56
#define FT_LEAF_EXTENTS		170
#define FT_INODE_INDEX		64	/* index blocks per inode */
#define FT_INDEX_PER_BLOCK	(FT_BLOCK_SIZE / 8)
#define FT_MAX_LEAVES		(FT_INODE_INDEX * FT_INDEX_PER_BLOCK)
#define FT_NAME_MAX		255
#define FT_SYMLINK_MAX		4095
#define FT_LINK_MAX		65000
#define FT_MAX_SIZE		(1ULL << 40)	/* largest file, bytes */
#define FT_MAX_BLOCKS		(FT_MAX_SIZE / FT_BLOCK_SIZE)
#define FT_MAX_IO		(1U << 20)	/* largest single read/write */
#define FT_ROOT_INO		1

struct ft_super {
	char		magic[8];
	uint32_t	version;
	uint32_t	block_size;
	uint64_t	nr_blocks;
	uint64_t	nr_inodes;	/* including the unused inode 0 */
	uint64_t	bitmap_start;
	uint64_t	bitmap_blocks;
	uint64_t	refcnt_start;
	uint64_t	refcnt_blocks;
	uint64_t	itable_start;
	uint64_t	itable_blocks;
	uint64_t	pool_start;
	uint64_t	pool_blocks;
	uint64_t	data_start;
	uint64_t	free_blocks;	/* in the data area */
	uint64_t	free_pool;	/* in the extent pool */
	uint64_t	free_inodes;
	uint64_t	next_generation;
};

#define FT_EXT_UNWRITTEN	(1U << 0)

struct ft_extent {
	uint64_t	lblk;		/* file offset, blocks */
	uint64_t	pblk;		/* disk block */
	uint32_t	len;		/* blocks */
	uint32_t	flags;		/* FT_EXT_* */
};

#define FT_LEAF_MAGIC		0x4641454cU	/* "LEAF" */

struct ft_leaf {
	uint32_t	magic;
	uint32_t	nr;		/* extents in use, never 0 */
	uint64_t	ino;		/* owner */
	struct ft_extent ext[FT_LEAF_EXTENTS];
};

_Static_assert(sizeof(struct ft_leaf) == FT_BLOCK_SIZE, "leaf size");

struct ft_inode {
	uint32_t	mode;		/* 0: free */
	uint32_t	nlink;
	uint32_t	uid;
	uint32_t	gid;
	uint32_t	rdev;
	uint32_t	nr_extents;	/* in total */
	uint64_t	generation;
	uint64_t	size;
	uint64_t	blocks;		/* mapped blocks, shared ones too */
	uint64_t	parent;		/* directories: the parent directory */
	int64_t		atime;
	int64_t		mtime;
	int64_t		ctime;
	uint32_t	atime_nsec;
	uint32_t	mtime_nsec;
	uint32_t	ctime_nsec;
	uint32_t	nr_leaves;	/* 0: the extents are in iext */
	uint32_t	nr_index;	/* index blocks in use */
	uint32_t	iflags;		/* FT_I_* */
	uint64_t	inline_blk;	/* FT_I_INLINE: pool block of the data */
	uint8_t		spare1[16];
	uint64_t	index[FT_INODE_INDEX];
	struct ft_extent iext[FT_INLINE_EXTENTS];
	uint8_t		spare2[64];
};

_Static_assert(sizeof(struct ft_inode) == FT_INODE_SIZE, "inode size");

#define FT_I_INLINE		(1U << 0)	/* data in inline_blk */
/* chattr +S, +i, +a (ioctl.c) */
#define FT_I_SYNC		(1U << 8)
#define FT_I_IMMUTABLE		(1U << 9)
#define FT_I_APPEND		(1U << 10)
#define FT_I_ATTR_FLAGS		(FT_I_SYNC | FT_I_IMMUTABLE | FT_I_APPEND)
#define FT_I_FLAGS		(FT_I_INLINE | FT_I_ATTR_FLAGS)

struct ft_dirent {
	uint64_t	ino;		/* 0: free slot */
	uint8_t		namelen;
	uint8_t		type;		/* DT_* */
	uint8_t		spare[6];
	char		name[FT_NAME_MAX + 1];	/* NUL padded */
};

#define FT_DIRENTS_PER_BLOCK	(FT_BLOCK_SIZE / sizeof(struct ft_dirent))

/* File type bits of a mode as a DT_* value. */
#define FT_DT(mode)		(((mode) & 0170000) >> 12)

struct ft_cow;

struct ft_store {
	int		fd;
	int		dfd;		/* file data: O_DIRECT if possible */
	int		rdonly;		/* opened for fsck */
	struct ft_super	*sb;		/* start of the mmapped metadata */
	uint8_t		*bitmap;
	uint32_t	*refcnt;
	struct ft_inode	*itable;
	size_t		meta_len;
	uint64_t	*nlookup;	/* kernel lookup count per inode */
	struct ft_cow	**cow;		/* COW fork per inode, or NULL */
	struct ft_stats	*stats;		/* event counters, or NULL */
	uint64_t	alloc_hint;	/* next block to try */
	uint64_t	pool_hint;	/* next pool block to try */
	uint64_t	inode_hint;	/* next inode to try */
	uint32_t	inline_max;	/* largest inline file; 0: none */
	char		*bounce;	/* FT_BOUNCE_SIZE, block aligned */
	char		*copybuf;	/* FT_MAX_IO, for copying file data */
};

#define FT_BOUNCE_SIZE	(FT_MAX_IO + 2 * FT_BLOCK_SIZE)

/* store.c: image, inodes, metadata and data I/O */
void ft_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int store_dev_size(int fd, uint64_t *size);
int store_mkfs(int fd, uint64_t size, uint64_t nr_inodes, uint64_t pool);
int store_open(struct ft_store *st, int fd, int rdonly);
int store_sync(struct ft_store *st);
int store_close(struct ft_store *st);
int store_pread(struct ft_store *st, void *buf, size_t len, uint64_t off);
int store_pwrite(struct ft_store *st, const void *buf, size_t len,
		 uint64_t off);
int store_read_blocks(struct ft_store *st, void *buf, uint64_t pblk,
		      uint64_t n);
int store_write_blocks(struct ft_store *st, const void *buf, uint64_t pblk,
		       uint64_t n);
int store_copy_block(struct ft_store *st, uint64_t from, uint64_t to);

struct ft_inode *store_inode(struct ft_store *st, uint64_t ino);
uint64_t store_ino(const struct ft_store *st, const struct ft_inode *inode);
int store_inode_alloc(struct ft_store *st, uint32_t mode, uint32_t uid,
		      uint32_t gid, uint64_t *ino);
void store_inode_ref(struct ft_store *st, uint64_t ino);
void store_inode_forget(struct ft_store *st, uint64_t ino, uint64_t n);
void store_inode_reclaim(struct ft_store *st, uint64_t ino);

#define FT_ATIME	(1U << 0)
#define FT_MTIME	(1U << 1)
#define FT_CTIME	(1U << 2)
void inode_touch(struct ft_inode *inode, unsigned int which);

int bit_test(const uint8_t *map, uint64_t nr);
void bit_set(uint8_t *map, uint64_t nr);
void bit_clear(uint8_t *map, uint64_t nr);

/* alloc.c: data blocks and their reference counts, extent pool blocks */
uint64_t store_alloc(struct ft_store *st, uint64_t goal, uint64_t want,
		     uint64_t *start);
int block_get(struct ft_store *st, uint64_t start, uint64_t len);
void block_put(struct ft_store *st, uint64_t start, uint64_t len);
int block_shared(const struct ft_store *st, uint64_t pblk);
uint64_t block_run(const struct ft_store *st, uint64_t pblk, uint64_t len,
		   int shared);
uint64_t pool_alloc(struct ft_store *st);
void pool_free(struct ft_store *st, uint64_t b);
int pool_valid(const struct ft_store *st, uint64_t b);

/* extent.c: a file's extent map */
enum ft_map_type { FT_MAP_HOLE, FT_MAP_DATA, FT_MAP_UNWRITTEN };

struct ft_map {
	enum ft_map_type	type;
	uint64_t		pblk;	/* not for holes */
	uint64_t		len;	/* blocks from the looked up block on */
};

/* Called for each piece of mapping that an update removes. */
typedef void (*ext_old_fn)(struct ft_store *st, void *arg,
			   const struct ft_extent *old);

void ext_map(struct ft_store *st, const struct ft_inode *inode, uint64_t lblk,
	     struct ft_map *map);
int ext_next(struct ft_store *st, const struct ft_inode *inode, uint64_t lblk,
	     struct ft_extent *ext);
int ext_last(struct ft_store *st, const struct ft_inode *inode,
	     struct ft_extent *ext);
uint64_t ext_goal(struct ft_store *st, const struct ft_inode *inode,
		  uint64_t lblk);
int ext_replace(struct ft_store *st, struct ft_inode *inode, uint64_t lblk,
		uint64_t len, const struct ft_extent *map, ext_old_fn old,
		void *arg);
int ext_set(struct ft_store *st, struct ft_inode *inode, uint64_t lblk,
	    uint64_t len, uint64_t pblk, uint32_t flags);
int ext_punch(struct ft_store *st, struct ft_inode *inode, uint64_t lblk,
	      uint64_t len);
int ext_split(struct ft_store *st, struct ft_inode *inode, uint64_t lblk);
void ext_shift(struct ft_store *st, struct ft_inode *inode, uint64_t from,
	       int64_t delta);
void ext_put_old(struct ft_store *st, void *arg, const struct ft_extent *old);
int ext_check_tree(struct ft_store *st, const struct ft_inode *inode,
		   uint64_t ino);
int ext_walk(struct ft_store *st, const struct ft_inode *inode,
	     int (*fn)(void *arg, const struct ft_extent *e), void *arg);
void ext_tree_blocks(struct ft_store *st, const struct ft_inode *inode,
		     void (*fn)(void *arg, uint64_t b), void *arg);

/* cow.c: the in-memory COW fork of each inode (iomap mode) */
int cow_find(struct ft_store *st, uint64_t ino, uint64_t lblk,
	     struct ft_extent *ext);
int cow_add(struct ft_store *st, uint64_t ino, uint64_t lblk, uint64_t pblk,
	    uint64_t len);
void cow_remove(struct ft_store *st, uint64_t ino, uint64_t lblk,
		uint64_t len, int free_blocks);
void cow_cancel(struct ft_store *st, uint64_t ino, uint64_t lblk,
		uint64_t len);
void cow_free_all(struct ft_store *st);
uint64_t cow_blocks(const struct ft_store *st, uint64_t ino,
		    void (*fn)(void *arg, uint64_t pblk, uint64_t len),
		    void *arg);

/* fileio.c: file data */
ssize_t file_read(struct ft_store *st, struct ft_inode *inode, void *buf,
		  size_t len, uint64_t off);
ssize_t file_write(struct ft_store *st, struct ft_inode *inode,
		   const void *buf, size_t len, uint64_t off);
int file_zero_partial(struct ft_store *st, struct ft_inode *inode,
		      uint64_t off, uint64_t len);
int file_truncate(struct ft_store *st, struct ft_inode *inode, uint64_t size);
int file_seek(struct ft_store *st, const struct ft_inode *inode, uint64_t off,
	      uint32_t whence, uint64_t *res);

/* inline.c: inline files */
int inline_file(const struct ft_inode *inode);
int inline_fits(const struct ft_store *st, uint64_t size);
const char *inline_data(const struct ft_store *st,
			const struct ft_inode *inode);
void inline_init(struct ft_store *st, struct ft_inode *inode);
ssize_t inline_read(struct ft_store *st, const struct ft_inode *inode,
		    void *buf, size_t len, uint64_t off);
int inline_write(struct ft_store *st, struct ft_inode *inode,
		 const void *buf, size_t len, uint64_t off);
int inline_set(struct ft_store *st, struct ft_inode *inode, const void *buf,
	       size_t len);
int inline_truncate(struct ft_store *st, struct ft_inode *inode,
		    uint64_t size);
int inline_move_out(struct ft_store *st, struct ft_inode *inode);
int inline_move_in(struct ft_store *st, struct ft_inode *inode);
void inline_free(struct ft_store *st, struct ft_inode *inode);

/* falloc.c: fallocate modes */
int file_fallocate(struct ft_store *st, struct ft_inode *inode, uint32_t mode,
		   uint64_t off, uint64_t len);

/* clone.c: copy_file_range and reflink */
int file_clone(struct ft_store *st, struct ft_inode *src, uint64_t off_in,
	       struct ft_inode *dst, uint64_t off_out, uint64_t len);
uint64_t file_copy_len(const struct ft_inode *src, uint64_t off_in,
		       uint64_t len);
ssize_t file_copy(struct ft_store *st, struct ft_inode *src, uint64_t off_in,
		  struct ft_inode *dst, uint64_t off_out, uint64_t len);

/* fsck.c: consistency check */
int store_fsck(struct ft_store *st, int verbose);

/* dir.c: directory entries */
int dir_lookup(struct ft_store *st, struct ft_inode *dir, const char *name,
	       uint64_t *ino, uint64_t *slot);
int dir_add(struct ft_store *st, struct ft_inode *dir, const char *name,
	    uint64_t ino, uint32_t mode);
int dir_set(struct ft_store *st, struct ft_inode *dir, uint64_t slot,
	    uint64_t ino, uint32_t mode);
int dir_remove(struct ft_store *st, struct ft_inode *dir, uint64_t slot);
int dir_next(struct ft_store *st, struct ft_inode *dir, uint64_t *slot,
	     struct ft_dirent *ent);
int dir_is_empty(struct ft_store *st, struct ft_inode *dir);

#endif /* FUSETD_STORE_H */
