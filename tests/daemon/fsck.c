// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd consistency check ("fusetd fsck IMAGE", and the self-test on a
 * live store): extent trees, extents sorted and not overlapping, every
 * data block's reference count equal to the number of extents (and COW
 * fork entries) mapping it, the bitmap set exactly for blocks in use,
 * pool blocks owned once, the free counts, directory entries and link
 * counts; inline files: regular, no extents, at most a block, their pool
 * block owned once and zero past EOF.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store.h"

#define MAX_REPORTS	50

struct fsck {
	struct ft_store	*st;
	uint32_t	*refs;		/* references found, per block */
	uint8_t		*pool_used;	/* bitmap of pool blocks owned */
	uint32_t	*links;		/* directory entries per inode */
	uint32_t	*subdirs;	/* subdirectories per directory */
	uint64_t	problems;
	uint64_t	ino;		/* being checked */
	uint64_t	prev_end;
	uint64_t	nr;
	uint64_t	blocks;
	int		verbose;
};

static void problem(struct fsck *fk, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct fsck *fk, const char *fmt, ...)
{
	va_list ap;

	if (++fk->problems > MAX_REPORTS)
		return;
	fprintf(stderr, "fsck: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void add_refs(struct fsck *fk, uint64_t pblk, uint64_t len)
{
	const struct ft_super *sb = fk->st->sb;
	uint64_t b;

	if (pblk < sb->data_start || pblk > sb->nr_blocks ||
	    len > sb->nr_blocks - pblk) {
		problem(fk, "inode %llu: blocks %llu+%llu outside the data area",
			(unsigned long long)fk->ino, (unsigned long long)pblk,
			(unsigned long long)len);
		return;
	}
	for (b = pblk; b < pblk + len; b++)
		fk->refs[b]++;
}

static int check_extent(void *arg, const struct ft_extent *e)
{
	struct fsck *fk = arg;

	fk->nr++;
	if (!e->len || e->flags & ~FT_EXT_UNWRITTEN ||
	    e->lblk > FT_MAX_BLOCKS || e->len > FT_MAX_BLOCKS - e->lblk) {
		problem(fk, "inode %llu: bad extent %llu+%u flags %#x",
			(unsigned long long)fk->ino,
			(unsigned long long)e->lblk, e->len, e->flags);
		return 0;
	}
	if (fk->nr > 1 && e->lblk < fk->prev_end)
		problem(fk, "inode %llu: extent at %llu overlaps or is out of order (previous ends at %llu)",
			(unsigned long long)fk->ino,
			(unsigned long long)e->lblk,
			(unsigned long long)fk->prev_end);
	fk->prev_end = e->lblk + e->len;
	fk->blocks += e->len;
	add_refs(fk, e->pblk, e->len);
	return 0;
}

static void own_pool_block(void *arg, uint64_t b)
{
	struct fsck *fk = arg;
	uint64_t i = b - fk->st->sb->pool_start;

	if (bit_test(fk->pool_used, i))
		problem(fk, "inode %llu: pool block %llu used twice",
			(unsigned long long)fk->ino, (unsigned long long)b);
	bit_set(fk->pool_used, i);
}

static void cow_refs(void *arg, uint64_t pblk, uint64_t len)
{
	add_refs(arg, pblk, len);
}

static void check_dir(struct fsck *fk, struct ft_inode *dir)
{
	struct ft_store *st = fk->st;
	struct ft_inode *inode;
	struct ft_dirent ent;
	uint64_t slot = 0;
	int ret;

	if (dir->size % FT_BLOCK_SIZE)
		problem(fk, "directory %llu: size %llu",
			(unsigned long long)fk->ino,
			(unsigned long long)dir->size);
	while ((ret = dir_next(st, dir, &slot, &ent)) > 0) {
		slot++;
		inode = ent.ino < st->sb->nr_inodes ?
			store_inode(st, ent.ino) : NULL;
		if (!inode || ent.ino == FT_ROOT_INO) {
			problem(fk, "directory %llu: entry %s for inode %llu",
				(unsigned long long)fk->ino, ent.name,
				(unsigned long long)ent.ino);
			continue;
		}
		fk->links[ent.ino]++;
		if (S_ISDIR(inode->mode)) {
			fk->subdirs[fk->ino]++;
			if (inode->parent != fk->ino)
				problem(fk, "directory %llu: parent %llu, found in %llu",
					(unsigned long long)ent.ino,
					(unsigned long long)inode->parent,
					(unsigned long long)fk->ino);
		}
	}
	if (ret < 0)
		problem(fk, "directory %llu: unreadable: %s",
			(unsigned long long)fk->ino, strerror(-ret));
}

static void check_inline(struct fsck *fk, struct ft_inode *inode)
{
	struct ft_store *st = fk->st;
	const char *data;
	uint64_t i;

	if (!S_ISREG(inode->mode))
		problem(fk, "inode %llu: inline, mode %o",
			(unsigned long long)fk->ino, inode->mode);
	if (inode->nr_extents || inode->nr_leaves || inode->nr_index ||
	    inode->blocks)
		problem(fk, "inode %llu: inline with extents",
			(unsigned long long)fk->ino);
	if (inode->size > FT_BLOCK_SIZE) {
		problem(fk, "inode %llu: inline file of %llu bytes",
			(unsigned long long)fk->ino,
			(unsigned long long)inode->size);
		return;
	}
	if (!inode->inline_blk)
		return;
	if (!pool_valid(st, inode->inline_blk)) {
		problem(fk, "inode %llu: inline data in block %llu, not in the pool",
			(unsigned long long)fk->ino,
			(unsigned long long)inode->inline_blk);
		return;
	}
	own_pool_block(fk, inode->inline_blk);
	data = inline_data(st, inode);
	for (i = inode->size; i < FT_BLOCK_SIZE; i++) {
		if (data[i]) {
			problem(fk, "inode %llu: inline data past EOF at %llu",
				(unsigned long long)fk->ino,
				(unsigned long long)i);
			break;
		}
	}
}

static void check_inode(struct fsck *fk, struct ft_inode *inode)
{
	struct ft_store *st = fk->st;

	if (inode->iflags & ~FT_I_FLAGS)
		problem(fk, "inode %llu: unknown flags %#x",
			(unsigned long long)fk->ino, inode->iflags);
	if (inline_file(inode))
		check_inline(fk, inode);
	else if (inode->inline_blk)
		problem(fk, "inode %llu: inline block %llu, not inline",
			(unsigned long long)fk->ino,
			(unsigned long long)inode->inline_blk);
	if (ext_check_tree(st, inode, fk->ino)) {
		problem(fk, "inode %llu: broken extent tree",
			(unsigned long long)fk->ino);
		return;
	}
	ext_tree_blocks(st, inode, own_pool_block, fk);
	fk->nr = 0;
	fk->blocks = 0;
	fk->prev_end = 0;
	ext_walk(st, inode, check_extent, fk);
	if (fk->nr != inode->nr_extents || fk->blocks != inode->blocks)
		problem(fk, "inode %llu: %llu extents of %llu blocks, inode says %u and %llu",
			(unsigned long long)fk->ino,
			(unsigned long long)fk->nr,
			(unsigned long long)fk->blocks, inode->nr_extents,
			(unsigned long long)inode->blocks);
	cow_blocks(st, fk->ino, cow_refs, fk);
	if (S_ISDIR(inode->mode))
		check_dir(fk, inode);
}

static void check_links(struct fsck *fk)
{
	struct ft_store *st = fk->st;
	struct ft_inode *inode;
	uint64_t i, want;

	for (i = FT_ROOT_INO; i < st->sb->nr_inodes; i++) {
		inode = store_inode(st, i);
		if (!inode)
			continue;
		if (S_ISDIR(inode->mode))
			want = 2 + fk->subdirs[i];
		else
			want = fk->links[i];
		/* an unlinked directory still referenced has nlink 0 */
		if (S_ISDIR(inode->mode) && i != FT_ROOT_INO && !fk->links[i])
			want = 0;
		if (inode->nlink != want)
			problem(fk, "inode %llu: nlink %u, %llu found",
				(unsigned long long)i, inode->nlink,
				(unsigned long long)want);
		if (!inode->nlink && i != FT_ROOT_INO &&
		    !(st->nlookup && st->nlookup[i]))
			problem(fk, "inode %llu: unlinked and unused",
				(unsigned long long)i);
	}
}

static void check_blocks(struct fsck *fk)
{
	struct ft_store *st = fk->st;
	const struct ft_super *sb = st->sb;
	uint64_t b, free_blocks = 0, free_pool = 0, free_inodes = 0, i;
	int used;

	for (b = 0; b < sb->pool_start; b++)
		if (!bit_test(st->bitmap, b))
			problem(fk, "metadata block %llu free",
				(unsigned long long)b);
	for (b = sb->pool_start; b < sb->data_start; b++) {
		used = !!bit_test(fk->pool_used, b - sb->pool_start);
		if (!!bit_test(st->bitmap, b) != used)
			problem(fk, "pool block %llu: bitmap %d, owned %d",
				(unsigned long long)b,
				!!bit_test(st->bitmap, b), used);
		free_pool += !bit_test(st->bitmap, b);
	}
	for (b = sb->data_start; b < sb->nr_blocks; b++) {
		if (st->refcnt[b] != fk->refs[b])
			problem(fk, "block %llu: reference count %u, %u references",
				(unsigned long long)b, st->refcnt[b],
				fk->refs[b]);
		if (!!bit_test(st->bitmap, b) != !!st->refcnt[b])
			problem(fk, "block %llu: bitmap %d, reference count %u",
				(unsigned long long)b,
				!!bit_test(st->bitmap, b), st->refcnt[b]);
		free_blocks += !bit_test(st->bitmap, b);
	}
	for (i = FT_ROOT_INO + 1; i < sb->nr_inodes; i++)
		free_inodes += !st->itable[i].mode;
	if (free_blocks != sb->free_blocks || free_pool != sb->free_pool ||
	    free_inodes != sb->free_inodes)
		problem(fk, "free counts: %llu blocks, %llu pool, %llu inodes; superblock says %llu, %llu, %llu",
			(unsigned long long)free_blocks,
			(unsigned long long)free_pool,
			(unsigned long long)free_inodes,
			(unsigned long long)sb->free_blocks,
			(unsigned long long)sb->free_pool,
			(unsigned long long)sb->free_inodes);
}

/* Check st; returns the number of problems found (printed), 0 if clean. */
int store_fsck(struct ft_store *st, int verbose)
{
	const struct ft_super *sb = st->sb;
	struct fsck fk = { .st = st, .verbose = verbose };
	struct ft_inode *inode;
	uint64_t shared = 0, b;

	fk.refs = calloc(sb->nr_blocks, sizeof(*fk.refs));
	fk.pool_used = calloc(sb->pool_blocks / 8 + 1, 1);
	fk.links = calloc(sb->nr_inodes, sizeof(*fk.links));
	fk.subdirs = calloc(sb->nr_inodes, sizeof(*fk.subdirs));
	if (!fk.refs || !fk.pool_used || !fk.links || !fk.subdirs) {
		problem(&fk, "out of memory");
		goto out;
	}
	for (fk.ino = FT_ROOT_INO; fk.ino < sb->nr_inodes; fk.ino++) {
		inode = &st->itable[fk.ino];
		if (!inode->mode) {
			if (inode->nr_extents || inode->nr_leaves ||
			    inode->blocks || inode->iflags ||
			    inode->inline_blk)
				problem(&fk, "free inode %llu has extents",
					(unsigned long long)fk.ino);
			continue;
		}
		check_inode(&fk, inode);
	}
	check_links(&fk);
	check_blocks(&fk);
	if (fk.problems > MAX_REPORTS)
		fprintf(stderr, "fsck: %llu more problems\n",
			(unsigned long long)(fk.problems - MAX_REPORTS));
	if (verbose) {
		for (b = sb->data_start; b < sb->nr_blocks; b++)
			shared += st->refcnt[b] > 1;
		printf("%llu/%llu data blocks used, %llu shared; %llu/%llu pool blocks used; %llu/%llu inodes used\n",
		       (unsigned long long)(sb->nr_blocks - sb->data_start -
					    sb->free_blocks),
		       (unsigned long long)(sb->nr_blocks - sb->data_start),
		       (unsigned long long)shared,
		       (unsigned long long)(sb->pool_blocks - sb->free_pool),
		       (unsigned long long)sb->pool_blocks,
		       (unsigned long long)(sb->nr_inodes - 2 -
					    sb->free_inodes + 1),
		       (unsigned long long)(sb->nr_inodes - 1));
	}
out:
	free(fk.refs);
	free(fk.pool_used);
	free(fk.links);
	free(fk.subdirs);
	return fk.problems > INT32_MAX ? INT32_MAX : (int)fk.problems;
}
