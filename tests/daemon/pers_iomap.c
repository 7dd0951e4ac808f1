// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd --personality fuse4fs: FUSE_IOMAP_BEGIN answers delivered as
 * fuse4fs (mapping cache on) delivers them.
 *
 * iomap.c works out the answer as always, allocating blocks for a write
 * into a hole.  A miss for a read, or for a write that goes where the data
 * is (in place, or into the blocks just allocated), is then answered by
 * pushing the read mapping at the position into the kernel's cache
 * (FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS, write mapping NOCACHE) and replying
 * RETRY_CACHE: the kernel looks again and finds it, a write through a
 * cached MAPPED or UNWRITTEN read mapping that is not SHARED.  The pushed
 * mapping is the block map's from the position on (a whole extent, a
 * whole hole), never the answer's, so it is true for every block it
 * covers.  Everything else is answered directly, as without the
 * personality: FIEMAP (REPORT) and unshare requests, writes that go out
 * of place (the COW fork: a write mapping flagged SHARED, which no cache
 * keeps) or to DELALLOC, writes over shared blocks (the kernel would ask
 * again), and positions with a pending COW fork entry.  A refused upsert
 * fails the BEGIN with the kernel's error.
 */
#include <errno.h>

#include "proto.h"

static const struct fuse_iomap_io nocache = {
	.addr = FUSE_IOMAP_NULL_ADDR,
	.type = FUSE_IOMAP_TYPE_NOCACHE,
};

static const struct fuse_iomap_io retry = {
	.addr = FUSE_IOMAP_NULL_ADDR,
	.type = FUSE_IOMAP_TYPE_RETRY_CACHE,
};

/* Does this answer to a write put the data where the read mapping is? */
static int write_in_place(const struct fuse_iomap_begin_out *out)
{
	if (out->write.type == FUSE_IOMAP_TYPE_PURE_OVERWRITE)
		return 1;
	/* a hole's new blocks (alloc_for_write()) */
	return out->read.type == FUSE_IOMAP_TYPE_HOLE &&
	       out->write.type == FUSE_IOMAP_TYPE_UNWRITTEN &&
	       out->write.flags == FUSE_IOMAP_F_NEW;
}

/*
 * The upsert of the block map at lblk of inode ino, for a read or (write)
 * an in-place write; 0 if there is none to make.
 */
static int upsert_at(struct fusetd *d, uint64_t ino, struct ft_inode *inode,
		     uint64_t lblk, int write,
		     struct fuse_iomap_upsert_mappings_out *up)
{
	struct ft_extent c;
	struct ft_map m;
	int shared;

	*up = (struct fuse_iomap_upsert_mappings_out) {
		.nodeid = ino,
		.attr_ino = ino,
		.write = nocache,
	};
	/* a pending out-of-place write: the data moves at its ioend */
	if (!cow_find(&d->st, ino, lblk, &c))
		return 0;
	ext_map(&d->st, inode, lblk, &m);
	if (m.len > c.lblk - lblk)
		m.len = c.lblk - lblk;	/* up to the next fork entry */
	if (m.type == FT_MAP_HOLE) {
		if (write)
			return 0;
		iomap_map_hole(lblk, m.len, &up->read);
		return 1;
	}
	shared = block_shared(&d->st, m.pblk);
	if (shared && write)
		return 0;
	m.len = block_run(&d->st, m.pblk, m.len, shared);
	iomap_map_blocks(d, lblk, m.type, m.pblk, m.len, &up->read);
	if (shared)
		up->read.flags = FUSE_IOMAP_F_SHARED;
	return 1;
}

int pers_iomap_reply(struct fusetd *d, const struct ft_req *r,
		     const struct fuse_iomap_begin_out *out)
{
	static const struct fuse_iomap_begin_out again = {
		.read = retry,
		.write = retry,
	};
	const struct fuse_iomap_begin_in *in = r->in;
	struct fuse_iomap_upsert_mappings_out up;
	uint32_t op = in->opflags;
	int write = !!(op & FUSE_IOMAP_OP_WRITE);
	struct ft_inode *inode;
	int err;

	if (!pers_retry_cache(d) ||
	    (op & (FUSE_IOMAP_OP_REPORT | FUSE_IOMAP_OP_UNSHARE)) ||
	    (write && !write_in_place(out)) ||
	    node_get(d, r->hdr->nodeid, &inode) ||
	    !upsert_at(d, r->hdr->nodeid, inode, in->pos / FT_BLOCK_SIZE,
		       write, &up))
		return reply_ok(d, r, out, sizeof(*out));
	err = notify_send(d, FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS, &up,
			  sizeof(up));
	if (err)
		return err;
	stats_event(d->stats, FT_EV_RETRY_CACHE, 1);
	return reply_ok(d, r, &again, sizeof(again));
}
