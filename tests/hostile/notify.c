// SPDX-License-Identifier: GPL-2.0
/*
 * hostile: a thread that sends notifications while the kernel does I/O,
 * mostly valid and often mutated: the iomap cache ones (upsert, inval,
 * dev-inval) and the stock ones (inval inode and entry, delete, store,
 * retrieve, poll), plus codes nobody defined.  The errno of every refused
 * notification is counted.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "hostile.h"

#define BODY_MAX	(64 * 1024 + 512)

enum { N_UPSERT, N_INVAL_MAP, N_DEV_INVAL, N_INVAL_INODE, N_INVAL_ENTRY,
       N_DELETE, N_STORE, N_RETRIEVE, N_POLL, N_GARBAGE, N_NR };

static const unsigned int weights[N_NR] = { 30, 14, 8, 10, 8, 5, 10, 7, 3, 5 };

/* A random node, usually a regular file. */
static struct hs_node *pick_node(struct hs_server *s, struct hs_rng *g,
				 int want_iomap)
{
	struct hs_node *n;
	int tries;

	for (tries = 0; tries < 32; tries++) {
		n = tree_node(s, 1 + rng_below(g, s->nnodes));
		if (n && (!want_iomap || n->kind == HS_IOMAP))
			return n;
	}
	return tree_node(s, 3);
}

static uint64_t garbage_nodeid(struct hs_server *s, struct hs_rng *g)
{
	return rng_chance(g, 0.5) ? rng_below(g, s->nnodes + 3) :
	       rng_interesting(g);
}

/* A block-aligned range in the first part of the file space, or to EOF. */
static void good_range(struct hs_rng *g, struct fuse_range *rg)
{
	rg->offset = HS_BLOCK * rng_below(g, HS_REGION / HS_BLOCK);
	rg->length = rng_chance(g, 0.2) ? FUSE_IOMAP_INVAL_TO_EOF :
		     rng_chance(g, 0.1) ? 0 : HS_BLOCK * (1 + rng_below(g, 512));
}

static void bad_range(struct hs_rng *g, struct fuse_range *rg)
{
	switch (rng_below(g, 4)) {
	case 0:
		rg->offset += 1 + rng_below(g, HS_BLOCK - 1);
		break;
	case 1:
		rg->length = HS_BLOCK + 1 + rng_below(g, 100);
		break;
	case 2:		/* overflowing */
		rg->offset = rng_interesting(g) & ~(HS_BLOCK - 1);
		rg->length = ~0ULL - HS_BLOCK * (1 + rng_below(g, 3)) + 1;
		break;
	default:
		rg->offset = rng_interesting(g);
		rg->length = rng_interesting(g);
		break;
	}
}

/* Build one notification in buf; returns its length, sets *code. */
static size_t build(struct hs_server *s, struct hs_rng *g, int mutate,
		    int kind, uint8_t *buf, int32_t *code)
{
	struct hs_node *n;
	size_t len = 0, namelen;
	const char *name;

	switch (kind) {
	case N_UPSERT: {
		struct fuse_iomap_upsert_mappings_out *u = (void *)buf;
		struct hs_thread t = { .s = s, .rng = *g };

		n = pick_node(s, g, 1);
		memset(u, 0, sizeof(*u));
		u->nodeid = u->attr_ino = n->ino;
		iomap_good_mapping(&t, n, HS_BLOCK * rng_below(&t.rng,
				   (HS_REGION + (4 << 20)) / HS_BLOCK), &u->read);
		switch (rng_below(&t.rng, 3)) {
		case 0:
			u->write.type = FUSE_IOMAP_TYPE_NOCACHE;
			u->write.addr = FUSE_IOMAP_NULL_ADDR;
			break;
		case 1:
			u->write.type = FUSE_IOMAP_TYPE_PURE_OVERWRITE;
			u->write.addr = FUSE_IOMAP_NULL_ADDR;
			break;
		default:
			u->write = u->read;
			if (u->write.type == FUSE_IOMAP_TYPE_HOLE) {
				memset(&u->write, 0, sizeof(u->write));
				u->write.type = FUSE_IOMAP_TYPE_NOCACHE;
				u->write.addr = FUSE_IOMAP_NULL_ADDR;
			}
			break;
		}
		if (rng_chance(&t.rng, 0.2))
			u->read.type = FUSE_IOMAP_TYPE_NOCACHE;
		if (mutate) {
			switch (rng_below(&t.rng, 6)) {
			case 0:
				u->nodeid = garbage_nodeid(s, &t.rng);
				break;
			case 1:
				u->attr_ino = garbage_nodeid(s, &t.rng);
				break;
			case 2:
			case 3:
				mut_iomap_io(&t, &u->write);
				break;
			default:
				mut_iomap_io(&t, &u->read);
				break;
			}
		}
		*g = t.rng;
		*code = FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS;
		return sizeof(*u);
	}
	case N_INVAL_MAP: {
		struct fuse_iomap_inval_mappings_out *iv = (void *)buf;

		n = pick_node(s, g, 1);
		iv->nodeid = iv->attr_ino = n->ino;
		good_range(g, &iv->read);
		good_range(g, &iv->write);
		if (mutate) {
			switch (rng_below(g, 4)) {
			case 0:
				iv->nodeid = garbage_nodeid(s, g);
				break;
			case 1:
				iv->attr_ino = garbage_nodeid(s, g);
				break;
			case 2:
				bad_range(g, &iv->read);
				break;
			default:
				bad_range(g, &iv->write);
				break;
			}
		}
		*code = FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS;
		return sizeof(*iv);
	}
	case N_DEV_INVAL: {
		struct fuse_iomap_dev_inval_out *dv = (void *)buf;

		dv->dev = s->cookie;
		dv->reserved = 0;
		good_range(g, &dv->range);
		dv->range.offset += HS_REGION * rng_below(g, 10);
		if (mutate) {
			switch (rng_below(g, 3)) {
			case 0:
				dv->dev = rng_chance(g, 0.5) ? rng_below(g, 4) :
					  (uint32_t)rng_interesting(g);
				break;
			case 1:
				dv->reserved = 1 + rng_below(g, 1000);
				break;
			default:
				bad_range(g, &dv->range);
				break;
			}
		}
		*code = FUSE_NOTIFY_IOMAP_DEV_INVAL;
		return sizeof(*dv);
	}
	case N_INVAL_INODE: {
		struct fuse_notify_inval_inode_out *ii = (void *)buf;

		n = pick_node(s, g, 0);
		ii->ino = n->ino;
		ii->off = rng_chance(g, 0.2) ? -1 : (int64_t)rng_below(g, 4 << 20);
		ii->len = rng_chance(g, 0.3) ? 0 : (int64_t)rng_below(g, 1 << 20);
		if (mutate) {
			ii->ino = rng_chance(g, 0.3) ? garbage_nodeid(s, g) : ii->ino;
			ii->off = rng_chance(g, 0.5) ? (int64_t)rng_interesting(g) : ii->off;
			ii->len = rng_chance(g, 0.5) ? (int64_t)rng_interesting(g) : ii->len;
		}
		*code = FUSE_NOTIFY_INVAL_INODE;
		return sizeof(*ii);
	}
	case N_INVAL_ENTRY:
	case N_DELETE: {
		size_t hdr;
		uint32_t *nl;

		n = pick_node(s, g, 0);
		if (n->ino == HS_ROOT)
			n = tree_node(s, 2);
		name = n->name;
		namelen = strlen(name);
		if (kind == N_INVAL_ENTRY) {
			struct fuse_notify_inval_entry_out *ie = (void *)buf;

			ie->parent = n->parent;
			ie->namelen = namelen;
			ie->flags = rng_chance(g, 0.3) ? FUSE_EXPIRE_ONLY : 0;
			if (mutate && rng_chance(g, 0.3))
				ie->flags = rng_next(g);
			if (mutate && rng_chance(g, 0.3))
				ie->parent = garbage_nodeid(s, g);
			nl = &ie->namelen;
			hdr = sizeof(*ie);
			*code = FUSE_NOTIFY_INVAL_ENTRY;
		} else {
			struct fuse_notify_delete_out *de = (void *)buf;

			de->parent = n->parent;
			de->child = n->ino;
			de->namelen = namelen;
			de->padding = 0;
			if (mutate && rng_chance(g, 0.5))
				de->child = garbage_nodeid(s, g);
			if (mutate && rng_chance(g, 0.3))
				de->parent = garbage_nodeid(s, g);
			nl = &de->namelen;
			hdr = sizeof(*de);
			*code = FUSE_NOTIFY_DELETE;
		}
		memcpy(buf + hdr, name, namelen);
		buf[hdr + namelen] = 0;
		len = hdr + namelen + 1;
		if (mutate && rng_chance(g, 0.5)) {
			switch (rng_below(g, 4)) {
			case 0:
				*nl = rng_interesting(g);
				break;
			case 1:		/* no NUL */
				buf[hdr + namelen] = 'x';
				break;
			case 2:		/* too long a name */
				*nl = 1024 + rng_below(g, 4096);
				memset(buf + hdr, 'n', *nl);
				buf[hdr + *nl] = 0;
				len = hdr + *nl + 1;
				break;
			default:
				*nl = namelen + 1;
				break;
			}
		}
		return len;
	}
	case N_STORE: {
		struct fuse_notify_store_out *st = (void *)buf;
		uint32_t size = rng_chance(g, 0.5) ? rng_below(g, 4096) :
				rng_below(g, 65536);

		n = pick_node(s, g, 0);
		st->nodeid = n->ino;
		st->offset = rng_below(g, 2 << 20);
		st->size = size;
		st->padding = 0;
		memset(buf + sizeof(*st), 0x5a, size);
		len = sizeof(*st) + size;
		if (mutate) {
			switch (rng_below(g, 4)) {
			case 0:
				st->offset = rng_interesting(g);
				break;
			case 1:
				st->size = rng_interesting(g);
				break;
			case 2:
				st->nodeid = garbage_nodeid(s, g);
				break;
			default:
				st->offset = HS_MAXBYTES - rng_below(g, 8192);
				break;
			}
		}
		*code = FUSE_NOTIFY_STORE;
		return len;
	}
	case N_RETRIEVE: {
		struct fuse_notify_retrieve_out *rt = (void *)buf;

		n = pick_node(s, g, 0);
		rt->notify_unique = rng_next(g);
		rt->nodeid = n->ino;
		rt->offset = rng_below(g, 2 << 20);
		rt->size = rng_below(g, 256 * 1024);
		rt->padding = 0;
		if (mutate) {
			rt->offset = rng_chance(g, 0.5) ? rng_interesting(g) : rt->offset;
			rt->size = rng_chance(g, 0.5) ? rng_interesting(g) : rt->size;
			if (rng_chance(g, 0.3))
				rt->nodeid = garbage_nodeid(s, g);
		}
		*code = FUSE_NOTIFY_RETRIEVE;
		return sizeof(*rt);
	}
	case N_POLL: {
		struct fuse_notify_poll_wakeup_out *p = (void *)buf;

		if (rng_chance(g, 0.5)) {	/* resend every pending request */
			*code = FUSE_NOTIFY_RESEND;
			return mutate ? rng_below(g, 16) : 0;
		}
		p->kh = rng_next(g);
		*code = FUSE_NOTIFY_POLL;
		return sizeof(*p);
	}
	default:
		len = rng_below(g, 128);
		for (size_t i = 0; i < len; i++)
			buf[i] = rng_next(g);
		*code = rng_chance(g, 0.5) ? (int32_t)rng_below(g, 128) :
			(int32_t)rng_next(g);
		return len;
	}
}

void *hs_notifier(void *arg)
{
	struct hs_server *s = arg;
	static uint8_t buf[BODY_MAX + 4096];
	struct hs_rng g;
	unsigned int total = 0, i;

	rng_seed(&g, s->seed, 1000);
	for (i = 0; i < N_NR; i++)
		total += weights[i];
	while (!s->initialised && !s->stopping)
		usleep(10000);

	while (!s->stopping && !s->calm) {
		unsigned int x = rng_below(&g, total);
		int kind, mutate = rng_chance(&g, s->rate), ret;
		int32_t code;
		size_t len;

		for (kind = 0; kind < N_NR - 1 && x >= weights[kind]; kind++)
			x -= weights[kind];
		if ((kind <= N_DEV_INVAL) && !s->iomap)
			kind = N_INVAL_INODE;
		memset(buf, 0, 512);
		len = build(s, &g, mutate, kind, buf, &code);
		if (kind == N_GARBAGE)
			mutate = 1;
		if (mutate && rng_chance(&g, 0.1)) {	/* size off by a few */
			size_t d = 1 + rng_below(&g, 16);

			len = rng_chance(&g, 0.5) && len >= d ? len - d : len + d;
		}
		ret = hs_write(s, 0, code, 0, buf, len);
		CINC(s, notifies);
		if (ret)
			CINC(s, notify_errno[-ret < 160 ? -ret : 0]);
		else
			CINC(s, notify_ok);
		if (mutate) {
			CINC(s, notify_mutated);
			hs_mutated(s);
		}
		if (s->notify_us)
			usleep(s->notify_us);
	}
	return NULL;
}
