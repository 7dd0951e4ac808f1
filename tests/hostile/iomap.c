// SPDX-License-Identifier: GPL-2.0
/*
 * hostile: FUSE_IOMAP_BEGIN, END, IOEND and CONFIG, correct and mutated.
 *
 * A correct read mapping of file offset x is MAPPED at base + x, in an
 * extent of a random power-of-two size (4 KiB to 1 MiB) around x, cut at
 * the end of the file's region; past the region the file is a hole and
 * writes fail with ENOSPC.  Writes are answered PURE_OVERWRITE or with the
 * same blocks as the write mapping, sometimes asking for FUSE_IOMAP_END.
 * mut_iomap_io() breaks one mapping in one of many ways; it also serves
 * the upserts of notify.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hostile.h"

int iomap_register(struct hs_server *s)
{
	struct fuse_backing_map map = {
		.fd = s->devfd,
		.flags = FUSE_BACKING_TYPE_IOMAP,
	};
	int id = ioctl(s->fd, FUSE_DEV_IOC_BACKING_OPEN, &map);

	if (id <= 0) {
		perror("hostile: FUSE_DEV_IOC_BACKING_OPEN");
		return -1;
	}
	s->cookie = id;
	return 0;
}

void iomap_good_mapping(struct hs_thread *t, const struct hs_node *n,
			uint64_t pos, struct fuse_iomap_io *io)
{
	uint64_t ext = 1ULL << (12 + rng_below(&t->rng, 9)), off;

	memset(io, 0, sizeof(*io));
	if (pos < HS_REGION) {
		off = pos & ~(ext - 1);
		io->offset = off;
		io->length = ext < HS_REGION - off ? ext : HS_REGION - off;
		io->addr = n->base + off;
		io->type = FUSE_IOMAP_TYPE_MAPPED;
		io->dev = t->s->cookie;
		return;
	}
	off = pos & ~(HS_BLOCK - 1);
	io->offset = HS_REGION;
	io->length = HS_MAXBYTES - HS_REGION;
	if (off >= HS_MAXBYTES) {
		io->offset = off;
		io->length = HS_BLOCK;
	}
	io->addr = FUSE_IOMAP_NULL_ADDR;
	io->type = FUSE_IOMAP_TYPE_HOLE;
}

int op_iomap_begin(struct hs_thread *t, const struct hs_req *r,
		   struct hs_reply *rep)
{
	const struct fuse_iomap_begin_in *in = r->in;
	struct fuse_iomap_begin_out *out = (void *)rep->buf;
	struct hs_node *n = tree_node(t->s, r->hdr->nodeid);

	if (!n || n->kind != HS_IOMAP)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	iomap_good_mapping(t, n, in->pos, &out->read);
	out->write.addr = FUSE_IOMAP_NULL_ADDR;
	out->write.type = FUSE_IOMAP_TYPE_PURE_OVERWRITE;
	if (in->opflags & FUSE_IOMAP_OP_WRITE) {
		if (in->pos >= HS_REGION)
			return -ENOSPC;
		if (rng_chance(&t->rng, 0.3))
			out->write = out->read;
	}
	if (rng_chance(&t->rng, 0.05))
		out->read.flags |= FUSE_IOMAP_F_WANT_IOMAP_END;
	rep->len = sizeof(*out);
	return 0;
}

int op_iomap_end(struct hs_thread *t, const struct hs_req *r,
		 struct hs_reply *rep)
{
	(void)t;
	(void)r;
	rep->len = 0;
	return 0;
}

int op_iomap_ioend(struct hs_thread *t, const struct hs_req *r,
		   struct hs_reply *rep)
{
	const struct fuse_iomap_ioend_in *in = r->in;
	struct fuse_iomap_ioend_out *out = (void *)rep->buf;
	struct hs_server *s = t->s;
	struct hs_node *n = tree_node(s, r->hdr->nodeid);

	if (!n)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	if (!in->error && (in->flags & FUSE_IOMAP_IOEND_APPEND) &&
	    in->pos + in->written > n->size)
		n->size = in->pos + in->written;
	out->newsize = n->size;
	pthread_mutex_unlock(&s->lock);
	rep->len = sizeof(*out);
	return 0;
}

int op_iomap_config(struct hs_thread *t, const struct hs_req *r,
		    struct hs_reply *rep)
{
	struct fuse_iomap_config_out *out = (void *)rep->buf;

	(void)r;
	memset(out, 0, sizeof(*out));
	out->flags = FUSE_IOMAP_CONFIG_SID | FUSE_IOMAP_CONFIG_BLOCKSIZE |
		     FUSE_IOMAP_CONFIG_MAXBYTES;
	snprintf(out->s_id, sizeof(out->s_id), "hostile");
	out->s_blocksize = HS_BLOCK;
	out->s_maxbytes = HS_MAXBYTES;
	/* the kernel caches by default: -C 0 turns it off */
	out->flags |= FUSE_IOMAP_CONFIG_CACHE_MAXBYTES;
	out->cache_maxbytes = t->s->cache_maxbytes;
	rep->len = sizeof(*out);
	return 0;
}

/* ---- garbage ---- */

/* One broken field (or combination) of a mapping. */
void mut_iomap_io(struct hs_thread *t, struct fuse_iomap_io *io)
{
	static const uint16_t types[] = {
		FUSE_IOMAP_TYPE_HOLE, FUSE_IOMAP_TYPE_DELALLOC,
		FUSE_IOMAP_TYPE_MAPPED, FUSE_IOMAP_TYPE_UNWRITTEN,
		FUSE_IOMAP_TYPE_INLINE, FUSE_IOMAP_TYPE_NOCACHE,
		FUSE_IOMAP_TYPE_RETRY_CACHE, FUSE_IOMAP_TYPE_PURE_OVERWRITE,
		5, 252, 0xffff,
	};
	static const uint16_t flags[] = {
		FUSE_IOMAP_F_NEW, FUSE_IOMAP_F_DIRTY, FUSE_IOMAP_F_SHARED,
		FUSE_IOMAP_F_MERGED, FUSE_IOMAP_F_BOUNDARY,
		FUSE_IOMAP_F_ANON_WRITE, FUSE_IOMAP_F_ATOMIC_BIO,
		FUSE_IOMAP_F_WANT_IOMAP_END, FUSE_IOMAP_F_SIZE_CHANGED,
		FUSE_IOMAP_F_STALE, 1U << 15,
	};
	struct hs_server *s = t->s;
	struct hs_rng *g = &t->rng;

	switch (rng_below(g, 18)) {
	case 0:
		io->type = rng_next(g);
		break;
	case 1:
	case 2:
		io->type = types[rng_below(g, ARRAY_SIZE(types))];
		break;
	case 3:
		io->flags ^= flags[rng_below(g, ARRAY_SIZE(flags))];
		break;
	case 4:
		io->flags = rng_next(g);
		break;
	case 5:		/* misaligned file offset */
		io->offset += 1 + rng_below(g, HS_BLOCK - 1);
		break;
	case 6:		/* no longer covering the position asked for */
		io->offset += rng_chance(g, 0.5) ? io->length :
			      HS_BLOCK * (1 + rng_below(g, 64));
		break;
	case 7:
		io->offset = rng_interesting(g);
		break;
	case 8:
		io->length = rng_chance(g, 0.3) ? 0 :
			     rng_chance(g, 0.5) ? rng_interesting(g) :
			     io->length + 1 + rng_below(g, HS_BLOCK - 1);
		break;
	case 9:		/* offset + length overflows */
		io->length = ~0ULL - io->offset + 1 + HS_BLOCK * rng_below(g, 4);
		io->length &= ~(HS_BLOCK - 1);
		break;
	case 10:	/* misaligned address: by bytes, or by sectors */
		io->addr += rng_chance(g, 0.5) ? 1 + rng_below(g, 511) :
			    512 * (1 + rng_below(g, 7));
		break;
	case 11:	/* past the end of the device, or ending just after it */
		if (rng_chance(g, 0.5))
			io->addr = s->dev_size - HS_BLOCK * rng_below(g, 4);
		else
			io->addr = s->dev_size + HS_BLOCK * rng_below(g, 1024);
		if (rng_chance(g, 0.5))
			io->length = HS_BLOCK << rng_below(g, 12);
		break;
	case 12:	/* addr + length overflows */
		io->addr = (~0ULL - HS_BLOCK * rng_below(g, 16)) & ~(HS_BLOCK - 1);
		break;
	case 13:
		io->addr = rng_chance(g, 0.3) ? FUSE_IOMAP_NULL_ADDR :
			   rng_interesting(g);
		break;
	case 14: {	/* bad device cookies */
		static const uint32_t devs[] = { 0, 2, 1023, 1024, 1025,
						 0x7fffffff, 0xffffffff };

		io->dev = rng_chance(g, 0.8) ? devs[rng_below(g, ARRAY_SIZE(devs))] :
			  (uint32_t)rng_next(g);
		break;
	}
	case 15:	/* valid, but someone else's blocks: overlapping files */
		io->addr = HS_REGION * rng_below(g, 12) +
			   HS_BLOCK * rng_below(g, 256);
		if (io->addr + io->length > s->dev_size)
			io->addr = 0;
		break;
	case 16:	/* a hole or delalloc that still names blocks */
		io->type = rng_chance(g, 0.5) ? FUSE_IOMAP_TYPE_HOLE :
			   FUSE_IOMAP_TYPE_DELALLOC;
		if (io->dev == 0)
			io->dev = s->cookie;
		break;
	default:	/* several at once */
		io->type = types[rng_below(g, ARRAY_SIZE(types))];
		io->flags = flags[rng_below(g, ARRAY_SIZE(flags))];
		io->offset = (io->offset + rng_below(g, 3) * HS_BLOCK) &
			     ~(HS_BLOCK - 1);
		io->length = HS_BLOCK * (1 + rng_below(g, 4096));
		break;
	}
}

void mut_iomap_begin(struct hs_thread *t, const struct hs_req *r,
		     struct hs_reply *rep)
{
	struct fuse_iomap_begin_out *o = (void *)rep->buf;
	struct fuse_iomap_io tmp;
	struct hs_rng *g = &t->rng;

	(void)r;
	if (rep->len < sizeof(*o))
		return;
	switch (rng_below(g, 10)) {
	case 0:		/* "look in the cache again", over and over */
		memset(&o->read, 0, sizeof(o->read));
		o->read.type = FUSE_IOMAP_TYPE_RETRY_CACHE;
		if (rng_chance(g, 0.5))
			o->write = o->read;
		break;
	case 1:
		tmp = o->read;
		o->read = o->write;
		o->write = tmp;
		break;
	case 2:
	case 3:
		mut_iomap_io(t, &o->write);
		break;
	case 4:		/* a write mapping that needs END, or is NOCACHE */
		o->write = o->read;
		o->write.flags |= rng_chance(g, 0.5) ? FUSE_IOMAP_F_WANT_IOMAP_END :
				  FUSE_IOMAP_F_SHARED;
		if (rng_chance(g, 0.3))
			o->write.type = FUSE_IOMAP_TYPE_NOCACHE;
		break;
	default:
		mut_iomap_io(t, &o->read);
		if (rng_chance(g, 0.2))
			mut_iomap_io(t, &o->read);
		break;
	}
}

void mut_iomap_ioend(struct hs_thread *t, const struct hs_req *r,
		     struct hs_reply *rep)
{
	struct fuse_iomap_ioend_out *o = (void *)rep->buf;

	(void)r;
	o->newsize = rng_interesting(&t->rng);
	rep->len = rng_chance(&t->rng, 0.5) ? sizeof(*o) : 0;
}

/* Only with --garbage-config: the connection is then usually refused. */
void mut_iomap_config(struct hs_thread *t, const struct hs_req *r,
		      struct hs_reply *rep)
{
	struct fuse_iomap_config_out *o = (void *)rep->buf;
	struct hs_rng *g = &t->rng;

	(void)r;
	switch (rng_below(g, 12)) {
	case 0:
		o->flags |= 1ULL << (7 + rng_below(g, 57));
		break;
	case 1:
		o->flags |= FUSE_IOMAP_CONFIG_SID;
		memset(o->s_id, 'x', sizeof(o->s_id));
		break;
	case 2:
		o->flags |= FUSE_IOMAP_CONFIG_UUID;
		o->s_uuid_len = 17 + rng_below(g, 239);
		break;
	case 3: {
		static const uint32_t bs[] = { 0, 1, 256, 513, 1024, 3000,
					       8192, 65536, 0x80000000 };

		o->s_blocksize = bs[rng_below(g, ARRAY_SIZE(bs))];
		break;
	}
	case 4:
		o->flags |= FUSE_IOMAP_CONFIG_TIME;
		o->s_time_gran = rng_chance(g, 0.5) ? 0 : 3 + rng_below(g, 1000);
		o->s_time_max = 1;
		break;
	case 5:
		o->flags |= FUSE_IOMAP_CONFIG_TIME;
		o->s_time_gran = 1;
		o->s_time_min = rng_interesting(g);
		o->s_time_max = o->s_time_min - rng_below(g, 2);
		break;
	case 6:
		o->s_maxbytes = rng_chance(g, 0.5) ? -(int64_t)rng_below(g, 2) :
				(int64_t)rng_interesting(g);
		break;
	case 7:
		o->flags |= FUSE_IOMAP_CONFIG_CACHE_MAXBYTES;
		o->cache_maxbytes = rng_interesting(g);
		break;
	case 8:		/* shorter than its flags say */
		rep->len = rng_below(g, sizeof(*o));
		break;
	case 9:
		o->flags |= FUSE_IOMAP_CONFIG_MAX_LINKS;
		o->s_max_links = rng_next(g);
		break;
	case 10:	/* valid but small: 512-byte blocks, tiny files */
		o->s_blocksize = 512;
		o->s_maxbytes = HS_BLOCK * (1 + rng_below(g, 64));
		break;
	default:
		mut_bytes(g, rep->buf, rep->len);
		break;
	}
}
