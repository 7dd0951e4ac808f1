// SPDX-License-Identifier: GPL-2.0
/*
 * hostile: famfs replies (FUSE_GET_FMAP, FUSE_GET_DAXDEV), correct and
 * mutated.  Used only when the kernel offered FUSE_DAX_FMAP and --famfs
 * named a DAX-capable pmem device; otherwise the kernel never sends these
 * opcodes and the table entries in loop.c stay idle.
 *
 * The famfs file is 2 MiB, one simple extent on device index 0 at the
 * 2 MiB-aligned offset of its node number.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hostile.h"

#define FAMFS_CHUNK	(2ULL << 20)

struct fmap_simple {
	struct fuse_famfs_fmap_header	h;
	struct fuse_famfs_simple_ext	e;
};

int op_get_fmap(struct hs_thread *t, const struct hs_req *r,
		struct hs_reply *rep)
{
	struct fmap_simple *m = (void *)rep->buf;
	struct hs_node *n = tree_node(t->s, r->hdr->nodeid);

	if (!n || n->kind != HS_FAMFS || !t->s->famfs)
		return -ENOSYS;
	memset(m, 0, sizeof(*m));
	m->h.file_type = FUSE_FAMFS_FILE_REG;
	m->h.fmap_version = FUSE_FAMFS_FMAP_VERSION;
	m->h.ext_type = FUSE_FAMFS_EXT_SIMPLE;
	m->h.nextents = 1;
	m->h.file_size = n->size;
	m->e.se_devindex = 0;
	m->e.se_offset = n->ino * FAMFS_CHUNK;
	m->e.se_len = FAMFS_CHUNK;
	rep->len = sizeof(*m);
	return 0;
}

int op_get_daxdev(struct hs_thread *t, const struct hs_req *r,
		  struct hs_reply *rep)
{
	struct fuse_daxdev_out *o = (void *)rep->buf;

	if (!t->s->famfs)
		return -ENOSYS;
	if (r->hdr->nodeid != 0)
		return -ENODEV;
	memset(o, 0, sizeof(*o));
	o->index = 0;
	snprintf(o->name, sizeof(o->name), "%s", t->s->famfs_dev);
	rep->len = sizeof(*o);
	return 0;
}

void mut_get_fmap(struct hs_thread *t, const struct hs_req *r,
		  struct hs_reply *rep)
{
	struct fmap_simple *m = (void *)rep->buf;
	struct hs_rng *g = &t->rng;
	uint32_t *need = (void *)rep->buf;

	(void)r;
	if (rep->len < sizeof(*m))
		return;
	switch (rng_below(g, 10)) {
	case 0:
		m->h.nextents = rng_chance(g, 0.5) ? rng_interesting(g) :
				rng_below(g, 40);
		break;
	case 1:
		m->h.fmap_version = rng_next(g);
		m->h.file_type = rng_next(g);
		break;
	case 2:		/* interleaved, with whatever strips follow */
		m->h.ext_type = rng_chance(g, 0.7) ? FUSE_FAMFS_EXT_INTERLEAVE :
				rng_next(g);
		break;
	case 3:
		m->e.se_offset += 1 + rng_below(g, FAMFS_CHUNK - 1);
		break;
	case 4:
		m->e.se_len = rng_chance(g, 0.3) ? 0 : rng_interesting(g);
		break;
	case 5:
		m->h.file_size = rng_interesting(g);
		break;
	case 6:
		m->e.se_devindex = rng_chance(g, 0.5) ? 1 + rng_below(g, 40) :
				   rng_next(g);
		break;
	case 7:		/* the size-retry answer: too small, too big, plausible */
		*need = rng_chance(g, 0.3) ? rng_below(g, 4096) :
			rng_chance(g, 0.5) ? FUSE_FAMFS_MAX_FMAP_SIZE + 1 :
			4096 + rng_below(g, FUSE_FAMFS_MAX_FMAP_SIZE - 4096);
		rep->len = sizeof(*need);
		break;
	case 8:		/* ending past the device */
		m->e.se_offset = (~0ULL - FAMFS_CHUNK) & ~(FAMFS_CHUNK - 1);
		break;
	default:
		m->h.reserved = rng_next(g);
		m->h.reserved0 = rng_next(g);
		m->e.reserved = rng_next(g);
		break;
	}
}

void mut_get_daxdev(struct hs_thread *t, const struct hs_req *r,
		    struct hs_reply *rep)
{
	struct fuse_daxdev_out *o = (void *)rep->buf;
	struct hs_rng *g = &t->rng;

	(void)r;
	if (rep->len < sizeof(*o))
		return;
	switch (rng_below(g, 5)) {
	case 0:
		memset(o->name, 'a', sizeof(o->name));
		break;
	case 1:
		o->index = rng_next(g);
		break;
	case 2:
		snprintf(o->name, sizeof(o->name), "%s",
			 rng_chance(g, 0.5) ? "/dev/null" : "/proc/self/exe");
		break;
	case 3:
		o->reserved = rng_next(g);
		o->reserved3 = rng_next(g);
		break;
	default:
		o->name[0] = 0;
		break;
	}
}
