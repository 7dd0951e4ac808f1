// SPDX-License-Identifier: GPL-2.0
/*
 * hostile: famfs replies (FUSE_GET_FMAP, FUSE_GET_DAXDEV), correct and
 * mutated.  Used only when the kernel offered FUSE_DAX_FMAP and --famfs
 * named a DAX-capable pmem device; otherwise the kernel never sends these
 * opcodes and the table entries in loop.c stay idle.
 *
 * On a famfs connection every regular file that is not an iomap file is a
 * famfs file, so every regular node has a layout on device index 0, in
 * the node's HS_REGION of the pmem device (the same offset as its region
 * of the block device):
 *
 *   famfs0   three simple extents of 2 MiB, out of order, size 6 MiB - 1000
 *   famfs1   two interleaved extents (3 strips of 2 MiB, 2 strips of
 *            2 MiB, chunks of 2 MiB), size 9 MiB + 123
 *   others   the whole region and the size the tree knows: two simple
 *            extents of 8 MiB for even nodes, two interleaved ones of
 *            2 strips of 4 MiB (chunks of 2 MiB) for odd ones; one
 *            reply in two of a mutating server puts them on device
 *            index 1, 2 or 3, which it has not got (GET_DAXDEV gets
 *            ENODEV, unless mutated): failed opens ask again, so the
 *            device replies are mutated as often as the fmaps
 *
 * mut_get_fmap() damages one field of the header or of one record (a
 * simple extent, an interleaved extent or a strip), or the payload as a
 * whole (cut at or inside a record, a record appended, longer than the
 * kernel's buffer, the size-retry answer); each kind is counted for the
 * summary.  mut_get_daxdev() does the same for the device reply.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hostile.h"

#define UNIT	(2ULL << 20)	/* famfs alignment */

const char *const hs_fmap_mut_names[FM_NR] = {
	[FM_FILE_TYPE] = "file_type", [FM_HDR_RESERVED] = "hdr_reserved",
	[FM_VERSION] = "version", [FM_EXT_TYPE] = "ext_type",
	[FM_NEXTENTS] = "nextents", [FM_RESERVED0] = "reserved0",
	[FM_FILE_SIZE] = "file_size", [FM_RESERVED1] = "reserved1",
	[FM_DEVINDEX] = "devindex", [FM_EXT_RESERVED] = "ext_reserved",
	[FM_OFFSET] = "offset", [FM_LENGTH] = "length",
	[FM_NSTRIPS] = "nstrips", [FM_CHUNK] = "chunk",
	[FM_NBYTES] = "nbytes", [FM_IEXT_RESERVED] = "iext_reserved",
	[FM_CUT] = "cut", [FM_APPEND] = "append",
	[FM_OVERSIZE] = "oversize", [FM_SIZE_RETRY] = "size_retry",
};

const char *const hs_daxdev_mut_names[DM_NR] = {
	[DM_UNTERMINATED] = "unterminated", [DM_INDEX] = "index",
	[DM_NAME] = "name", [DM_RESERVED] = "reserved",
	[DM_HELD_DEV] = "held_dev", [DM_EMPTY] = "empty",
};

enum layout { L_SIMPLE, L_ILV, L_WHOLE };

static enum layout layout_of(const struct hs_node *n)
{
	if (n->kind != HS_FAMFS)
		return L_WHOLE;
	return strcmp(n->name, "famfs1") ? L_SIMPLE : L_ILV;
}

uint64_t famfs_size(const struct hs_node *n)
{
	switch (layout_of(n)) {
	case L_SIMPLE:
		return 3 * UNIT - 1000;
	case L_ILV:
		return (9ULL << 20) + 123;
	default:
		return 1 << 20;
	}
}

/* A device range: a simple extent or a strip. */
static uint8_t *put_range(uint8_t *p, uint32_t dev, uint64_t off,
			  uint64_t len)
{
	struct fuse_famfs_simple_ext se = {
		.se_devindex = dev, .se_offset = off, .se_len = len,
	};

	memcpy(p, &se, sizeof(se));
	return p + sizeof(se);
}

static uint8_t *put_iext(uint8_t *p, uint32_t nstrips, uint64_t nbytes)
{
	struct fuse_famfs_iext ie = {
		.ie_nstrips = nstrips, .ie_chunk_size = UNIT,
		.ie_nbytes = nbytes,
	};

	memcpy(p, &ie, sizeof(ie));
	return p + sizeof(ie);
}

/*
 * The correct fmap of @n, of @size bytes, the whole-region layouts on
 * device @dev; returns its length.
 */
static size_t fmap_build(const struct hs_node *n, uint64_t size, uint32_t dev,
			 uint8_t *buf)
{
	struct fuse_famfs_fmap_header h = {
		.file_type = FUSE_FAMFS_FILE_REG,
		.fmap_version = FUSE_FAMFS_FMAP_VERSION,
		.file_size = size,
	};
	uint8_t *p = buf + sizeof(h);
	uint64_t b = n->base;

	switch (layout_of(n)) {
	case L_SIMPLE:
		h.ext_type = FUSE_FAMFS_EXT_SIMPLE;
		h.nextents = 3;
		p = put_range(p, 0, b + 2 * UNIT, UNIT);
		p = put_range(p, 0, b, UNIT);
		p = put_range(p, 0, b + 4 * UNIT, UNIT);
		break;
	case L_ILV:
		h.ext_type = FUSE_FAMFS_EXT_INTERLEAVE;
		h.nextents = 2;
		p = put_iext(p, 3, 3 * UNIT);
		p = put_range(p, 0, b, UNIT);
		p = put_range(p, 0, b + UNIT, UNIT);
		p = put_range(p, 0, b + 2 * UNIT, UNIT);
		p = put_iext(p, 2, 2 * UNIT);
		p = put_range(p, 0, b + 5 * UNIT, UNIT);
		p = put_range(p, 0, b + 3 * UNIT, UNIT);
		break;
	default:
		h.nextents = 2;
		if (n->ino % 2) {
			h.ext_type = FUSE_FAMFS_EXT_INTERLEAVE;
			p = put_iext(p, 2, HS_REGION / 2);
			p = put_range(p, dev, b, HS_REGION / 4);
			p = put_range(p, dev, b + HS_REGION / 2, HS_REGION / 4);
			p = put_iext(p, 2, HS_REGION / 2);
			p = put_range(p, dev, b + HS_REGION / 4, HS_REGION / 4);
			p = put_range(p, dev, b + 3 * HS_REGION / 4, HS_REGION / 4);
			break;
		}
		h.ext_type = FUSE_FAMFS_EXT_SIMPLE;
		p = put_range(p, dev, b + HS_REGION / 2, HS_REGION / 2);
		p = put_range(p, dev, b, HS_REGION / 2);
		break;
	}
	memcpy(buf, &h, sizeof(h));
	return p - buf;
}

int op_get_fmap(struct hs_thread *t, const struct hs_req *r,
		struct hs_reply *rep)
{
	const struct fuse_get_fmap_in *in = r->in;
	struct hs_server *s = t->s;
	struct hs_node *n = tree_node(s, r->hdr->nodeid);
	uint32_t dev = 0;
	uint64_t size;

	if (!s->famfs)
		return -ENOSYS;
	if (!n || n->kind == HS_DIR)
		return -EINVAL;
	/* iomap I/O of a file that was an iomap inode may have moved it */
	pthread_mutex_lock(&s->lock);
	size = n->size < HS_REGION ? n->size : HS_REGION;
	pthread_mutex_unlock(&s->lock);
	if (layout_of(n) != L_WHOLE)
		size = famfs_size(n);
	else if (s->rate > 0 && rng_chance(&t->rng, 0.5))
		dev = 1 + rng_below(&t->rng, 3);
	rep->len = fmap_build(n, size, dev, rep->buf);
	if (rep->len > in->size) {	/* never: ours are small */
		uint32_t need = rep->len;

		memcpy(rep->buf, &need, sizeof(need));
		rep->len = sizeof(need);
	}
	return 0;
}

int op_get_daxdev(struct hs_thread *t, const struct hs_req *r,
		  struct hs_reply *rep)
{
	const struct fuse_get_daxdev_in *in = r->in;
	struct fuse_daxdev_out *o = (void *)rep->buf;

	if (!t->s->famfs)
		return -ENOSYS;
	if (in->daxdev_num != 0)
		return -ENODEV;
	memset(o, 0, sizeof(*o));
	o->index = 0;
	snprintf(o->name, sizeof(o->name), "%s", t->s->famfs_dev);
	rep->len = sizeof(*o);
	return 0;
}

/* The kernel took a correct reply for device 0: it holds the device. */
void famfs_reply_sent(struct hs_server *s, const struct hs_req *r,
		      const struct hs_reply *rep)
{
	const struct fuse_get_daxdev_in *in = r->in;

	if (r->hdr->opcode == FUSE_GET_DAXDEV && !rep->error &&
	    in->daxdev_num == 0)
		__atomic_store_n(&s->famfs_dev_held, 1, __ATOMIC_RELEASE);
}

/* Where the records of a correct fmap are: header, extents, strips. */
struct fmap_recs {
	struct fuse_famfs_fmap_header	*h;
	struct fuse_famfs_simple_ext	*ranges[16];
	struct fuse_famfs_iext		*iexts[4];
	size_t				ends[24];	/* record ends */
	unsigned int			nranges, niexts, nends;
};

static void fmap_walk(uint8_t *buf, size_t len, struct fmap_recs *m)
{
	size_t pos = sizeof(*m->h);
	uint32_t i, j;

	memset(m, 0, sizeof(*m));
	m->h = (void *)buf;
	m->ends[m->nends++] = pos;
	for (i = 0; i < m->h->nextents; i++) {
		uint32_t nstrips = 1;

		if (m->h->ext_type == FUSE_FAMFS_EXT_INTERLEAVE) {
			struct fuse_famfs_iext *ie = (void *)(buf + pos);

			if (pos + sizeof(*ie) > len || m->niexts == 4)
				return;
			m->iexts[m->niexts++] = ie;
			nstrips = ie->ie_nstrips;
			pos += sizeof(*ie);
			m->ends[m->nends++] = pos;
		}
		for (j = 0; j < nstrips; j++) {
			if (pos + sizeof(struct fuse_famfs_simple_ext) > len ||
			    m->nranges == 16)
				return;
			m->ranges[m->nranges++] = (void *)(buf + pos);
			pos += sizeof(struct fuse_famfs_simple_ext);
			m->ends[m->nends++] = pos;
		}
	}
}

static uint64_t garbage_offset(struct hs_thread *t, uint64_t off)
{
	struct hs_rng *g = &t->rng;

	switch (rng_below(g, 7)) {
	case 0:
		return off + HS_BLOCK * (1 + rng_below(g, UNIT / HS_BLOCK - 1));
	case 1:
		return off + 1;
	case 2:		/* another file's region: valid, and its data */
		return HS_REGION * rng_below(g, t->s->nnodes) +
		       UNIT * rng_below(g, HS_REGION / UNIT);
	case 3:		/* at or near the device's end */
		return (t->s->famfs_size & ~(UNIT - 1)) -
		       UNIT * rng_below(g, 2);
	case 4:		/* the end overflows */
		return ~0ULL & ~(UNIT - 1);
	case 5:
		return rng_interesting(g) & ~(UNIT - 1);
	default:
		return rng_interesting(g);
	}
}

static uint64_t garbage_length(struct hs_rng *g, uint64_t len)
{
	switch (rng_below(g, 7)) {
	case 0:
		return 0;
	case 1:
		return len + HS_BLOCK;
	case 2:
		return len - UNIT;	/* shorter, or 0 */
	case 3:
		return len + UNIT * (1 + rng_below(g, 8));
	case 4:
		return ~0ULL & ~(UNIT - 1);
	case 5:
		return rng_interesting(g) & ~(UNIT - 1);
	default:
		return rng_interesting(g);
	}
}

/* Mutate one field of a record or header; false if there is none. */
static int mut_field(struct hs_thread *t, struct fmap_recs *m,
		     enum hs_fmap_mut f)
{
	struct hs_rng *g = &t->rng;
	struct fuse_famfs_fmap_header *h = m->h;
	struct fuse_famfs_simple_ext *se = m->nranges ?
		m->ranges[rng_below(g, m->nranges)] : NULL;
	struct fuse_famfs_iext *ie = m->niexts ?
		m->iexts[rng_below(g, m->niexts)] : NULL;

	switch (f) {
	case FM_FILE_TYPE:
		h->file_type = rng_chance(g, 0.5) ? FUSE_FAMFS_FILE_LOG + 1 :
			       rng_next(g);
		break;
	case FM_HDR_RESERVED:
		h->reserved = 1 + rng_below(g, 255);
		break;
	case FM_VERSION:
		h->fmap_version = rng_chance(g, 0.5) ? 0 : rng_next(g);
		break;
	case FM_EXT_TYPE:	/* the records read as the other kind */
		h->ext_type = rng_chance(g, 0.7) ? !h->ext_type : rng_next(g);
		break;
	case FM_NEXTENTS:
		switch (rng_below(g, 5)) {
		case 0: h->nextents++; break;
		case 1: h->nextents--; break;
		case 2: h->nextents = 0; break;
		case 3: h->nextents = FUSE_FAMFS_MAX_EXTENTS + 1; break;
		default: h->nextents = rng_interesting(g); break;
		}
		break;
	case FM_RESERVED0:
		h->reserved0 = rng_next(g) | 1;
		break;
	case FM_FILE_SIZE:
		switch (rng_below(g, 5)) {
		case 0: h->file_size = 0; break;	/* valid */
		case 1: h->file_size = HS_REGION + 1; break;
		case 2: h->file_size = rng_below(g, HS_REGION); break;
		case 3: h->file_size = (1ULL << 63) - 1; break;
		default: h->file_size = rng_interesting(g); break;
		}
		break;
	case FM_RESERVED1:
		h->reserved1 = rng_next(g) | 1;
		break;
	case FM_DEVINDEX:
		if (!se)
			return 0;
		se->se_devindex = rng_chance(g, 0.6) ? 1 + rng_below(g, 31) :
				  rng_chance(g, 0.5) ? 32 : rng_next(g);
		break;
	case FM_EXT_RESERVED:
		if (!se)
			return 0;
		se->reserved = rng_next(g) | 1;
		break;
	case FM_OFFSET:
		if (!se)
			return 0;
		se->se_offset = garbage_offset(t, se->se_offset);
		break;
	case FM_LENGTH:
		if (!se)
			return 0;
		se->se_len = garbage_length(g, se->se_len);
		break;
	case FM_NSTRIPS:
		if (!ie)
			return 0;
		switch (rng_below(g, 4)) {
		case 0: ie->ie_nstrips = 0; break;
		case 1: ie->ie_nstrips = FUSE_FAMFS_MAX_STRIPS + 1; break;
		case 2: ie->ie_nstrips += rng_chance(g, 0.5) ? 1 : -1; break;
		default: ie->ie_nstrips = rng_interesting(g); break;
		}
		break;
	case FM_CHUNK:
		if (!ie)
			return 0;
		switch (rng_below(g, 5)) {
		case 0: ie->ie_chunk_size = 0; break;
		case 1: ie->ie_chunk_size = HS_BLOCK; break;
		case 2: ie->ie_chunk_size = UNIT + HS_BLOCK; break;
		case 3: ie->ie_chunk_size = UNIT << rng_below(g, 11); break;
		default: ie->ie_chunk_size = rng_interesting(g); break;
		}
		break;
	case FM_NBYTES:
		if (!ie)
			return 0;
		ie->ie_nbytes = garbage_length(g, ie->ie_nbytes);
		break;
	case FM_IEXT_RESERVED:
		if (!ie)
			return 0;
		ie->reserved = rng_next(g) | 1;
		break;
	default:
		return 0;
	}
	return 1;
}

void mut_get_fmap(struct hs_thread *t, const struct hs_req *r,
		  struct hs_reply *rep)
{
	const struct fuse_get_fmap_in *in = r->in;
	struct hs_rng *g = &t->rng;
	struct fmap_recs m;
	enum hs_fmap_mut f;
	uint32_t need;
	size_t at;

	if (rep->len < sizeof(struct fuse_famfs_fmap_header))
		return;
	fmap_walk(rep->buf, rep->len, &m);
	do {
		f = rng_below(g, FM_NR);
	} while (f < FM_CUT && !mut_field(t, &m, f));

	switch (f) {
	case FM_CUT:		/* at a record's end, or inside one */
		at = m.ends[rng_below(g, m.nends)];
		if (rng_chance(g, 0.5) && at > 1)
			at -= 1 + rng_below(g, 8);
		if (at < rep->len)
			rep->len = at;
		break;
	case FM_APPEND:		/* a copy of the last record, or junk */
		at = m.ends[m.nends - 1] - (m.nends > 1 ? m.ends[m.nends - 2] : 0);
		if (rng_chance(g, 0.3))
			at = 1 + rng_below(g, 32);
		memcpy(rep->buf + rep->len, rep->buf + rep->len - at, at);
		rep->len += at;
		if (rng_chance(g, 0.5))
			m.h->nextents++;
		break;
	case FM_OVERSIZE:	/* the kernel's whole buffer, or more */
		at = in->size + (rng_chance(g, 0.5) ? 0 : 1 + rng_below(g, 4096));
		if (at > HS_OUT_BUF)
			at = HS_OUT_BUF;
		if (at > rep->len)
			memset(rep->buf + rep->len, 0, at - rep->len);
		rep->len = at;
		break;
	case FM_SIZE_RETRY:	/* fits already, too big, or plausible */
		need = rng_chance(g, 0.3) ? rng_below(g, in->size + 1) :
		       rng_chance(g, 0.5) ? FUSE_FAMFS_MAX_FMAP_SIZE + 1 +
					    rng_below(g, 1 << 20) :
		       in->size + 1 + rng_below(g, FUSE_FAMFS_MAX_FMAP_SIZE -
						   in->size);
		memcpy(rep->buf, &need, sizeof(need));
		rep->len = sizeof(need);
		break;
	default:
		break;
	}
	CINC(t->s, fmap_muts[f]);
}

void mut_get_daxdev(struct hs_thread *t, const struct hs_req *r,
		    struct hs_reply *rep)
{
	static const char *const names[] = {
		"/dev/null", "/proc/self/exe", "/dev", "/dev/pmem-nonexistent",
		"dev/pmem0", "/dev/vda", "/dev/pmem1", "/dev/zero",
	};
	const struct fuse_get_daxdev_in *in = r->in;
	struct fuse_daxdev_out *o = (void *)rep->buf;
	struct hs_server *s = t->s;
	struct hs_rng *g = &t->rng;
	/*
	 * The kinds in turn, not drawn: GET_DAXDEV comes once per open of a
	 * new device, so a run sees few, and each kind must come up.
	 */
	enum hs_daxdev_mut f = __atomic_fetch_add(&s->daxdev_next, 1,
						  __ATOMIC_RELAXED) % DM_NR;

	if (rep->len < sizeof(*o)) {
		/*
		 * The ENODEV of an index we have not got: a reply naming the
		 * pmem device instead, which each kind below makes one the
		 * kernel must refuse, but for the names of DM_NAME and
		 * DM_HELD_DEV (right or wrong for this index).
		 */
		memset(o, 0, sizeof(*o));
		o->index = in->daxdev_num;
		snprintf(o->name, sizeof(o->name), "%s", s->famfs_dev);
		rep->len = sizeof(*o);
		rep->error = 0;
	}
	switch (f) {
	case DM_UNTERMINATED:
		memset(o->name, rng_chance(g, 0.5) ? '/' : 'a', sizeof(o->name));
		break;
	case DM_INDEX:
		o->index = rng_chance(g, 0.5) ? o->index + 1U : rng_next(g);
		if (o->index == in->daxdev_num)
			o->index++;
		break;
	case DM_NAME:
		snprintf(o->name, sizeof(o->name), "%s",
			 names[rng_below(g, ARRAY_SIZE(names))]);
		break;
	case DM_RESERVED:
		switch (rng_below(g, 4)) {
		case 0: o->reserved = rng_next(g) | 1; break;
		case 1: o->reserved2 = rng_next(g) | 1; break;
		case 2: o->reserved3 = rng_next(g) | 1; break;
		default: o->reserved4 = rng_next(g) | 1; break;
		}
		break;
	case DM_HELD_DEV:
		/*
		 * The device of index 0 under another index: refused once the
		 * kernel holds it.  Before that it would take the device away
		 * from index 0 for the rest of the connection: not then.
		 */
		if (in->daxdev_num != 0 &&
		    __atomic_load_n(&s->famfs_dev_held, __ATOMIC_ACQUIRE))
			snprintf(o->name, sizeof(o->name), "%s", s->famfs_dev);
		else
			o->name[0] = 0;
		break;
	default:
		o->name[0] = 0;
		break;
	}
	CINC(s, daxdev_muts[f]);
}
