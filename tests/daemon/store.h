/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fusetd on-disk format and storage layer.
 *
 * The image is an array of FT_BLOCK_SIZE blocks:
 *
 *   0                          superblock
 *   bitmap_start ..            allocation bitmap, one bit per block, 1 = used
 *   itable_start ..            inode table, FT_INODE_SIZE bytes per inode
 *   data_start .. nr_blocks-1  data blocks
 *
 * Inode 0 is never used; inode 1 (FUSE_ROOT_ID) is the root directory.
 * Inode numbers are the FUSE node ids.  A file's data is a sorted list of at
 * most FT_MAX_EXTENTS extents held in the inode; an UNWRITTEN extent is
 * allocated but reads as zeros.  Directories are files of fixed-size
 * entries that never straddle a block; symlink targets are the symlink's
 * data.  Blocks past EOF and the tail of the EOF block always hold zeros.
 *
 * Everything up to data_start is mmapped shared, so metadata changes reach
 * the image's page cache at once; store_sync() makes them durable.  Fields
 * are in host byte order, which must be little-endian.
 */
#ifndef FUSETD_STORE_H
#define FUSETD_STORE_H

#include <stdint.h>
#include <sys/types.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the fusetd format is little-endian");

#define FT_MAGIC		"FUSETD01"
#define FT_VERSION		1
#define FT_BLOCK_SIZE		4096U
#define FT_INODE_SIZE		2048U
#define FT_MAX_EXTENTS		64
#define FT_NAME_MAX		255
#define FT_SYMLINK_MAX		4095
#define FT_LINK_MAX		65000
#define FT_MAX_SIZE		(1ULL << 40)	/* largest file, bytes */
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
	uint64_t	itable_start;
	uint64_t	itable_blocks;
	uint64_t	data_start;
	uint64_t	free_blocks;
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

struct ft_inode {
	uint32_t	mode;		/* 0: free */
	uint32_t	nlink;
	uint32_t	uid;
	uint32_t	gid;
	uint32_t	rdev;
	uint32_t	nr_extents;
	uint64_t	generation;
	uint64_t	size;
	uint64_t	blocks;		/* allocated blocks */
	uint64_t	parent;		/* directories: the parent directory */
	int64_t		atime;
	int64_t		mtime;
	int64_t		ctime;
	uint32_t	atime_nsec;
	uint32_t	mtime_nsec;
	uint32_t	ctime_nsec;
	uint32_t	spare0;
	uint8_t		spare1[160];
	struct ft_extent ext[FT_MAX_EXTENTS];
	uint8_t		spare2[256];
};

_Static_assert(sizeof(struct ft_inode) == FT_INODE_SIZE, "inode size");

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

struct ft_store {
	int		fd;
	struct ft_super	*sb;		/* start of the mmapped metadata */
	uint8_t		*bitmap;
	struct ft_inode	*itable;
	size_t		meta_len;
	uint64_t	*nlookup;	/* kernel lookup count per inode */
	uint64_t	alloc_hint;	/* next block to try */
	uint64_t	inode_hint;	/* next inode to try */
	char		*bounce;	/* FT_MAX_IO + 2 blocks */
};

/* store.c: image, inodes, block allocator */
void ft_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int store_dev_size(int fd, uint64_t *size);
int store_mkfs(int fd, uint64_t size, uint64_t nr_inodes);
int store_open(struct ft_store *st, int fd);
int store_sync(struct ft_store *st);
int store_close(struct ft_store *st);
int store_pread(struct ft_store *st, void *buf, size_t len, uint64_t off);
int store_pwrite(struct ft_store *st, const void *buf, size_t len,
		 uint64_t off);

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

uint64_t store_alloc(struct ft_store *st, uint64_t goal, uint64_t want,
		     uint64_t *start);
void store_free(struct ft_store *st, uint64_t start, uint64_t len);

/* extent.c: a file's extent list */
enum ft_map_type { FT_MAP_HOLE, FT_MAP_DATA, FT_MAP_UNWRITTEN };

struct ft_map {
	enum ft_map_type	type;
	uint64_t		pblk;	/* not for holes */
	uint64_t		len;	/* blocks from the looked up block on */
};

void ext_map(const struct ft_inode *inode, uint64_t lblk, struct ft_map *map);
uint64_t ext_goal(const struct ft_inode *inode, uint64_t lblk);
int ext_set(struct ft_inode *inode, uint64_t lblk, uint64_t len, uint64_t pblk,
	    uint32_t flags);
int ext_punch(struct ft_store *st, struct ft_inode *inode, uint64_t lblk,
	      uint64_t len);

/* fileio.c: file data */
ssize_t file_read(struct ft_store *st, struct ft_inode *inode, void *buf,
		  size_t len, uint64_t off);
ssize_t file_write(struct ft_store *st, struct ft_inode *inode,
		   const void *buf, size_t len, uint64_t off);
int file_truncate(struct ft_store *st, struct ft_inode *inode, uint64_t size);
int file_fallocate(struct ft_store *st, struct ft_inode *inode, uint32_t mode,
		   uint64_t off, uint64_t len);
int file_seek(const struct ft_inode *inode, uint64_t off, uint32_t whence,
	      uint64_t *res);

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
