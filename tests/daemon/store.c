// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd storage: formatting, opening and syncing the image, metadata and
 * data I/O, and the inode table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "store.h"

#define WARN_LIMIT		64
#define MIN_DATA_BLOCKS		16
#define MAX_INODES		(1ULL << 24)
#define MIN_POOL_BLOCKS		16
#define POOL_FRACTION		32	/* of the image, by default */

/* Rate-limited warning for malformed requests and on-disk corruption. */
void ft_warn(const char *fmt, ...)
{
	static unsigned int count;
	va_list ap;

	if (++count > WARN_LIMIT) {
		if (count == WARN_LIMIT + 1)
			fprintf(stderr, "fusetd: further warnings suppressed\n");
		return;
	}
	fprintf(stderr, "fusetd: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t div_round_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

int store_dev_size(int fd, uint64_t *size)
{
	struct stat stb;

	if (fstat(fd, &stb) < 0)
		return -errno;
	if (S_ISBLK(stb.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	if (!S_ISREG(stb.st_mode))
		return -ENOTBLK;
	*size = stb.st_size;
	return 0;
}

static int read_full(int fd, void *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		buf = (char *)buf + n;
		len -= n;
		off += n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf = (const char *)buf + n;
		len -= n;
		off += n;
	}
	return 0;
}

int store_pread(struct ft_store *st, void *buf, size_t len, uint64_t off)
{
	return read_full(st->fd, buf, len, off);
}

int store_pwrite(struct ft_store *st, const void *buf, size_t len,
		 uint64_t off)
{
	return write_full(st->fd, buf, len, off);
}

/*
 * Whole data blocks, through the O_DIRECT descriptor: the kernel writes
 * iomap files' blocks to the device behind the page cache's back, so a
 * cached copy of a data block could be stale, or dirty and later written
 * over newer data.  buf must be block aligned.
 */
int store_read_blocks(struct ft_store *st, void *buf, uint64_t pblk,
		      uint64_t n)
{
	return read_full(st->dfd, buf, n * FT_BLOCK_SIZE, pblk * FT_BLOCK_SIZE);
}

int store_write_blocks(struct ft_store *st, const void *buf, uint64_t pblk,
		       uint64_t n)
{
	return write_full(st->dfd, buf, n * FT_BLOCK_SIZE,
			  pblk * FT_BLOCK_SIZE);
}

/* Copy data block from to data block to, through the bounce buffer. */
int store_copy_block(struct ft_store *st, uint64_t from, uint64_t to)
{
	int err = store_read_blocks(st, st->bounce, from, 1);

	return err ? err : store_write_blocks(st, st->bounce, to, 1);
}

int bit_test(const uint8_t *map, uint64_t nr)
{
	return map[nr / 8] & (1U << (nr % 8));
}

void bit_set(uint8_t *map, uint64_t nr)
{
	map[nr / 8] |= 1U << (nr % 8);
}

void bit_clear(uint8_t *map, uint64_t nr)
{
	map[nr / 8] &= ~(1U << (nr % 8));
}

/* Map the first meta_len bytes of the image: superblock to extent pool. */
static int store_map(struct ft_store *st, int fd, size_t meta_len, int rdonly)
{
	void *p = mmap(NULL, meta_len, PROT_READ | (rdonly ? 0 : PROT_WRITE),
		       MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	st->fd = fd;
	st->dfd = fd;
	st->rdonly = rdonly;
	st->meta_len = meta_len;
	st->sb = p;
	st->bitmap = (uint8_t *)p + st->sb->bitmap_start * FT_BLOCK_SIZE;
	st->refcnt = (uint32_t *)((char *)p +
				  st->sb->refcnt_start * FT_BLOCK_SIZE);
	st->itable = (struct ft_inode *)((char *)p +
					 st->sb->itable_start * FT_BLOCK_SIZE);
	return 0;
}

static int zero_region(int fd, uint64_t len)
{
	static const char zeros[64 * 1024];
	uint64_t off;
	int err;

	for (off = 0; off < len; off += sizeof(zeros)) {
		size_t n = len - off < sizeof(zeros) ? len - off : sizeof(zeros);

		err = write_full(fd, zeros, n, off);
		if (err)
			return err;
	}
	return 0;
}

int store_mkfs(int fd, uint64_t size, uint64_t nr_inodes, uint64_t pool)
{
	struct ft_super sb = {
		.magic = FT_MAGIC,
		.version = FT_VERSION,
		.block_size = FT_BLOCK_SIZE,
		.nr_blocks = size / FT_BLOCK_SIZE,
		.bitmap_start = 1,
		.next_generation = 1,
	};
	struct ft_store st;
	struct ft_inode *root;
	uint64_t b;
	int err;

	if (!nr_inodes) {
		nr_inodes = sb.nr_blocks / 8;
		nr_inodes = nr_inodes < 64 ? 64 :
			    nr_inodes > 16384 ? 16384 : nr_inodes;
	}
	if (nr_inodes > MAX_INODES)
		return -EINVAL;
	if (!pool) {
		pool = sb.nr_blocks / POOL_FRACTION;
		if (pool < MIN_POOL_BLOCKS)
			pool = MIN_POOL_BLOCKS;
	}
	if (pool > sb.nr_blocks)
		return -ENOSPC;
	sb.nr_inodes = nr_inodes + 1;
	sb.bitmap_blocks = div_round_up(sb.nr_blocks, FT_BLOCK_SIZE * 8);
	sb.refcnt_start = sb.bitmap_start + sb.bitmap_blocks;
	sb.refcnt_blocks = div_round_up(sb.nr_blocks * sizeof(uint32_t),
					FT_BLOCK_SIZE);
	sb.itable_start = sb.refcnt_start + sb.refcnt_blocks;
	sb.itable_blocks = div_round_up(sb.nr_inodes * FT_INODE_SIZE,
					FT_BLOCK_SIZE);
	sb.pool_start = sb.itable_start + sb.itable_blocks;
	sb.pool_blocks = pool;
	sb.data_start = sb.pool_start + sb.pool_blocks;
	if (sb.data_start + MIN_DATA_BLOCKS > sb.nr_blocks)
		return -ENOSPC;
	sb.free_blocks = sb.nr_blocks - sb.data_start;
	sb.free_pool = sb.pool_blocks;
	sb.free_inodes = nr_inodes - 1;

	/* pool blocks are initialised when allocated */
	err = zero_region(fd, sb.pool_start * FT_BLOCK_SIZE);
	if (!err)
		err = write_full(fd, &sb, sizeof(sb), 0);
	if (!err)
		err = store_map(&st, fd, sb.data_start * FT_BLOCK_SIZE, 0);
	if (err)
		return err;

	for (b = 0; b < sb.pool_start; b++)
		bit_set(st.bitmap, b);
	root = &st.itable[FT_ROOT_INO];
	root->mode = 040755;
	root->nlink = 2;
	root->parent = FT_ROOT_INO;
	root->generation = st.sb->next_generation++;
	inode_touch(root, FT_ATIME | FT_MTIME | FT_CTIME);

	err = store_sync(&st);
	munmap(st.sb, st.meta_len);
	return err;
}

static void store_unmap(struct ft_store *st)
{
	munmap(st->sb, st->meta_len);
	if (st->dfd != st->fd)
		close(st->dfd);
	free(st->nlookup);
	free(st->cow);
	free(st->bounce);
	free(st->copybuf);
	st->sb = NULL;
	st->nlookup = NULL;
	st->cow = NULL;
	st->bounce = NULL;
	st->copybuf = NULL;
}

static int check_super(const struct ft_super *sb, uint64_t dev_size)
{
	if (memcmp(sb->magic, FT_MAGIC, sizeof(sb->magic)) ||
	    sb->version != FT_VERSION || sb->block_size != FT_BLOCK_SIZE)
		return -EINVAL;
	if (sb->nr_blocks > dev_size / FT_BLOCK_SIZE ||
	    sb->nr_inodes < 2 || sb->nr_inodes > MAX_INODES + 1 ||
	    sb->bitmap_start != 1 ||
	    sb->bitmap_blocks != div_round_up(sb->nr_blocks,
					      FT_BLOCK_SIZE * 8) ||
	    sb->refcnt_start != sb->bitmap_start + sb->bitmap_blocks ||
	    sb->refcnt_blocks != div_round_up(sb->nr_blocks * 4,
					      FT_BLOCK_SIZE) ||
	    sb->itable_start != sb->refcnt_start + sb->refcnt_blocks ||
	    sb->itable_blocks != div_round_up(sb->nr_inodes * FT_INODE_SIZE,
					      FT_BLOCK_SIZE) ||
	    sb->pool_start != sb->itable_start + sb->itable_blocks ||
	    sb->data_start != sb->pool_start + sb->pool_blocks ||
	    sb->data_start >= sb->nr_blocks)
		return -EUCLEAN;
	return 0;
}

/*
 * Check the extent trees, drop unlinked inodes nobody references and
 * recount the free space.  A broken tree would crash the daemon: refuse
 * the image then (fusetd fsck tells more).
 */
static int store_scan(struct ft_store *st)
{
	struct ft_super *sb = st->sb;
	uint64_t i;

	for (i = FT_ROOT_INO; i < sb->nr_inodes; i++) {
		if (!st->itable[i].mode)
			continue;
		if (ext_check_tree(st, &st->itable[i], i)) {
			ft_warn("inode %llu: broken extent tree",
				(unsigned long long)i);
			return -EUCLEAN;
		}
		store_inode_reclaim(st, i);
	}

	sb->free_inodes = 0;
	for (i = FT_ROOT_INO + 1; i < sb->nr_inodes; i++)
		sb->free_inodes += !st->itable[i].mode;
	sb->free_pool = 0;
	for (i = sb->pool_start; i < sb->data_start; i++)
		sb->free_pool += !bit_test(st->bitmap, i);
	sb->free_blocks = 0;
	for (i = sb->data_start; i < sb->nr_blocks; i++)
		sb->free_blocks += !bit_test(st->bitmap, i);
	return 0;
}

/* A second descriptor for file data, O_DIRECT where the image allows it. */
static void open_data_fd(struct ft_store *st)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", st->fd);
	fd = open(path, (st->rdonly ? O_RDONLY : O_RDWR) | O_DIRECT |
		  O_CLOEXEC);
	if (fd < 0)
		return;
	/* some filesystems accept O_DIRECT at open and fail the I/O */
	if (pread(fd, st->bounce, FT_BLOCK_SIZE, 0) != FT_BLOCK_SIZE) {
		close(fd);
		return;
	}
	st->dfd = fd;
}

/*
 * Open the image on fd.  rdonly maps it read-only and changes nothing, not
 * even unlinked inodes (for fsck).
 */
int store_open(struct ft_store *st, int fd, int rdonly)
{
	struct ft_super sb;
	uint64_t dev_size;
	int err;

	memset(st, 0, sizeof(*st));
	err = store_dev_size(fd, &dev_size);
	if (!err)
		err = read_full(fd, &sb, sizeof(sb), 0);
	if (!err)
		err = check_super(&sb, dev_size);
	if (!err)
		err = store_map(st, fd, sb.data_start * FT_BLOCK_SIZE, rdonly);
	if (err)
		return err;
	if (!S_ISDIR(st->itable[FT_ROOT_INO].mode)) {
		store_unmap(st);
		return -EUCLEAN;
	}

	st->nlookup = calloc(sb.nr_inodes, sizeof(*st->nlookup));
	st->cow = calloc(sb.nr_inodes, sizeof(*st->cow));
	if (posix_memalign((void **)&st->bounce, FT_BLOCK_SIZE,
			   FT_BOUNCE_SIZE))
		st->bounce = NULL;
	if (posix_memalign((void **)&st->copybuf, FT_BLOCK_SIZE, FT_MAX_IO))
		st->copybuf = NULL;
	if (!st->nlookup || !st->cow || !st->bounce || !st->copybuf) {
		store_unmap(st);
		return -ENOMEM;
	}
	open_data_fd(st);
	st->alloc_hint = sb.data_start;
	st->pool_hint = sb.pool_start;
	st->inode_hint = FT_ROOT_INO + 1;
	if (!rdonly) {
		err = store_scan(st);
		if (err) {
			store_unmap(st);
			return err;
		}
	}
	return 0;
}

int store_sync(struct ft_store *st)
{
	if (msync(st->sb, st->meta_len, MS_SYNC) < 0 || fsync(st->fd) < 0)
		return -errno;
	return 0;
}

/*
 * Free the COW fork and unlinked inodes (the kernel is gone), sync and
 * unmap.
 */
int store_close(struct ft_store *st)
{
	int err = 0;

	if (!st->rdonly) {
		cow_free_all(st);
		memset(st->nlookup, 0,
		       st->sb->nr_inodes * sizeof(*st->nlookup));
		err = store_scan(st);
		if (!err)
			err = store_sync(st);
	}
	store_unmap(st);
	return err;
}

/* The inode numbered ino, or NULL if that is out of range or free. */
struct ft_inode *store_inode(struct ft_store *st, uint64_t ino)
{
	if (ino < FT_ROOT_INO || ino >= st->sb->nr_inodes ||
	    !st->itable[ino].mode)
		return NULL;
	return &st->itable[ino];
}

uint64_t store_ino(const struct ft_store *st, const struct ft_inode *inode)
{
	return inode - st->itable;
}

int store_inode_alloc(struct ft_store *st, uint32_t mode, uint32_t uid,
		      uint32_t gid, uint64_t *ino)
{
	uint64_t nr = st->sb->nr_inodes, i, n;
	struct ft_inode *inode;

	for (n = FT_ROOT_INO + 1; n < nr; n++) {
		i = st->inode_hint;
		st->inode_hint = i + 1 < nr ? i + 1 : FT_ROOT_INO + 1;
		inode = &st->itable[i];
		if (inode->mode)
			continue;
		memset(inode, 0, sizeof(*inode));
		inode->mode = mode;
		inode->nlink = 1;
		inode->uid = uid;
		inode->gid = gid;
		inode->generation = st->sb->next_generation++;
		inode_touch(inode, FT_ATIME | FT_MTIME | FT_CTIME);
		st->sb->free_inodes--;
		st->nlookup[i] = 0;
		*ino = i;
		return 0;
	}
	return -ENOSPC;
}

void store_inode_ref(struct ft_store *st, uint64_t ino)
{
	st->nlookup[ino]++;
}

void store_inode_forget(struct ft_store *st, uint64_t ino, uint64_t n)
{
	if (!store_inode(st, ino)) {
		ft_warn("forget of unknown node %llu", (unsigned long long)ino);
		return;
	}
	st->nlookup[ino] = n < st->nlookup[ino] ? st->nlookup[ino] - n : 0;
	store_inode_reclaim(st, ino);
}

/* Free inode ino if it has no links left and the kernel forgot it. */
void store_inode_reclaim(struct ft_store *st, uint64_t ino)
{
	struct ft_inode *inode = store_inode(st, ino);

	if (!inode || inode->nlink || st->nlookup[ino] ||
	    ino == FT_ROOT_INO)
		return;
	cow_cancel(st, ino, 0, UINT64_MAX);
	inline_free(st, inode);
	if (ext_punch(st, inode, 0, UINT64_MAX))
		ft_warn("inode %llu: cannot free its blocks",
			(unsigned long long)ino);
	memset(inode, 0, sizeof(*inode));
	st->sb->free_inodes++;
}

void inode_touch(struct ft_inode *inode, unsigned int which)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (which & FT_ATIME) {
		inode->atime = now.tv_sec;
		inode->atime_nsec = now.tv_nsec;
	}
	if (which & FT_MTIME) {
		inode->mtime = now.tv_sec;
		inode->mtime_nsec = now.tv_nsec;
	}
	if (which & FT_CTIME) {
		inode->ctime = now.tv_sec;
		inode->ctime_nsec = now.tv_nsec;
	}
}
