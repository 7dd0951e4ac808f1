// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd --flood N:INO: once inode INO has been opened, send N mapping
 * notifications about it, 64 between two requests and 64 whenever no
 * request is waiting, while the daemon goes on serving I/O.  Of each 16,
 * ten upsert the file's mappings in order from its start (wrapping at
 * EOF), five invalidate 1 to 8 random blocks of both caches, and one
 * invalidates a random 1 MiB range of the device instead.  Upserts are
 * true when they are sent: the test keeps the layout of INO still (no
 * writes into holes, unwritten blocks or shared blocks) so that none
 * races with a layout change.  When done it says on stderr:
 *
 *   fusetd: flood: 200000 notifications about inode 12 (125000 upserts, 68750 invals, 6250 device invals), 0 refused
 */
#include <stdio.h>

#include "proto.h"

#define FLOOD_BATCH	64

static uint64_t flood_rand(struct fusetd *d)
{
	uint64_t x = d->flood_rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	d->flood_rng = x;
	return x;
}

/* OPEN of inode ino: start the flood if it is about that file. */
void flood_open(struct fusetd *d, uint64_t ino)
{
	if (d->flood_left && ino == d->flood_ino && !d->flood_on) {
		d->flood_on = 1;
		d->flood_rng = 0x9e3779b97f4a7c15ULL ^ ino;
	}
}

int flood_pending(const struct fusetd *d)
{
	return d->flood_on && d->flood_left;
}

static int flood_one(struct fusetd *d, struct ft_inode *inode,
		     uint64_t blocks, uint64_t *kind)
{
	struct fuse_iomap_dev_inval_out dev = { .dev = d->dev_cookie };
	struct fuse_iomap_inval_mappings_out inv = {
		.nodeid = d->flood_ino,
		.attr_ino = d->flood_ino,
	};
	uint64_t n = d->flood_sent % 16, start, len, got;

	if (n < 10) {
		if (d->flood_lblk >= blocks)
			d->flood_lblk = 0;
		got = notify_upsert_one(d, inode, d->flood_lblk, &kind[0]);
		d->flood_lblk += got ? got : 1;
		return got ? 0 : -1;
	}
	if (n == 15) {
		dev.range.offset = flood_rand(d) %
				   (d->st.sb->nr_blocks * FT_BLOCK_SIZE >> 20)
				   << 20;
		dev.range.length = 1 << 20;
		kind[2]++;
		return notify_send(d, FUSE_NOTIFY_IOMAP_DEV_INVAL, &dev,
				   sizeof(dev));
	}
	start = flood_rand(d) % blocks;
	len = 1 + flood_rand(d) % 8;
	inv.read = (struct fuse_range) { start * FT_BLOCK_SIZE,
					 len * FT_BLOCK_SIZE };
	inv.write = inv.read;
	kind[1]++;
	return notify_send(d, FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS, &inv,
			   sizeof(inv));
}

/* Send the next batch of the flood. */
void flood_batch(struct fusetd *d)
{
	struct ft_inode *inode = store_inode(&d->st, d->flood_ino);
	uint64_t blocks, i;

	if (!inode || !inode->size) {
		ft_warn("flood: inode %llu has no data",
			(unsigned long long)d->flood_ino);
		d->flood_left = 0;
		return;
	}
	blocks = (inode->size + FT_BLOCK_SIZE - 1) / FT_BLOCK_SIZE;
	for (i = 0; i < FLOOD_BATCH && d->flood_left; i++) {
		if (flood_one(d, inode, blocks, d->flood_kind))
			d->flood_refused++;
		d->flood_sent++;
		d->flood_left--;
	}
	if (d->flood_left)
		return;
	fprintf(stderr,
		"fusetd: flood: %llu notifications about inode %llu (%llu upserts, %llu invals, %llu device invals), %llu refused\n",
		(unsigned long long)d->flood_sent,
		(unsigned long long)d->flood_ino,
		(unsigned long long)d->flood_kind[0],
		(unsigned long long)d->flood_kind[1],
		(unsigned long long)d->flood_kind[2],
		(unsigned long long)d->flood_refused);
}
