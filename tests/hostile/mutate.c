// SPDX-License-Identifier: GPL-2.0
/*
 * hostile: how a reply is mutated and sent.
 *
 * The handler's reply is kept intact; a copy is mutated and sent instead.
 * Whenever the mutated write fails (the kernel refused it before taking
 * the request, or took it and failed it), and after every reply sent to
 * a wrong unique, the intact reply follows: if the kernel had already
 * consumed the request it answers ENOENT, otherwise the request gets its
 * correct answer.  Either way every request is answered once, so an
 * application can only see an error, never a hang, from this server.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "hostile.h"

const char *const hs_class_names[MC_NR] = {
	[MC_FIELDS] = "fields",
	[MC_BYTES] = "bytes",
	[MC_TRUNCATE] = "truncate",
	[MC_EXTEND] = "extend",
	[MC_ERRNO] = "errno",
	[MC_HDR_LEN] = "hdr_len",
	[MC_WRONG_UNIQUE] = "wrong_unique",
	[MC_DUPLICATE] = "duplicate",
	[MC_DELAY] = "delay",
};

/* Weights of the classes, in enum order. */
static const unsigned int class_weight[MC_NR] = {
	40, 8, 10, 10, 10, 5, 7, 6, 4,
};

uint64_t rng_interesting(struct hs_rng *r)
{
	static const uint64_t v[] = {
		0, 1, 2, 511, 512, 4095, 4096, 4097, 65536, 1ULL << 20,
		HS_REGION, HS_REGION - 1, 1ULL << 31, 1ULL << 32, 0xffffffffULL,
		1ULL << 40, 1ULL << 62, 1ULL << 63, (1ULL << 63) - 1,
		~0ULL, ~0ULL - 4095, ~0ULL - 1, 0x7ffffffffffff000ULL,
	};

	if (rng_chance(r, 0.1))
		return rng_next(r);
	return v[rng_below(r, ARRAY_SIZE(v))];
}

void mut_bytes(struct hs_rng *rng, uint8_t *buf, size_t len)
{
	unsigned int i, n;

	if (!len)
		return;
	n = 1 + rng_below(rng, 8);
	for (i = 0; i < n; i++) {
		size_t at = rng_below(rng, len);

		switch (rng_below(rng, 4)) {
		case 0:
			buf[at] ^= 1 << rng_below(rng, 8);
			break;
		case 1:
			buf[at] = rng_next(rng);
			break;
		case 2:		/* an interesting value at an 8-byte slot */
			at &= ~(size_t)7;
			if (at + 8 <= len) {
				uint64_t v = rng_interesting(rng);

				memcpy(buf + at, &v, 8);
			}
			break;
		default:	/* a 4-byte slot */
			at &= ~(size_t)3;
			if (at + 4 <= len) {
				uint32_t v = rng_interesting(rng);

				memcpy(buf + at, &v, 4);
			}
			break;
		}
	}
}

/*
 * GET_DAXDEV comes once per open that names a device not held yet: few
 * requests, whose fields get two thirds of their mutations.
 */
static unsigned int weight_of(uint32_t opcode, unsigned int c)
{
	if (c == MC_FIELDS && opcode == FUSE_GET_DAXDEV)
		return 120;
	return class_weight[c];
}

static enum hs_class pick_class(struct hs_rng *g, const struct hs_op *op,
				uint32_t opcode)
{
	unsigned int total = 0, i, x;

	for (i = 0; i < MC_NR; i++)
		total += weight_of(opcode, i);
	x = rng_below(g, total);
	for (i = 0; i < MC_NR; i++) {
		if (x < weight_of(opcode, i))
			break;
		x -= weight_of(opcode, i);
	}
	if (i == MC_FIELDS && !op->mutate)
		i = MC_BYTES;
	return i;
}

static int32_t garbage_errno(struct hs_rng *g)
{
	static const int32_t v[] = {
		1, 5, 512, 0x7fffffff, -512, -513, -100000, (int32_t)0x80000000,
		-ENOSYS, -ENOSYS, -EIO, -EINTR, -EAGAIN, -ENOSPC, -ENOENT,
		-EUCLEAN, -ESTALE, -EOPNOTSUPP, -EINVAL, -ENOMEM,
		-ERANGE, -511, -1,
	};

	return rng_chance(g, 0.2) ? -(int32_t)(1 + rng_below(g, 511)) :
	       v[rng_below(g, ARRAY_SIZE(v))];
}

/*
 * Never hand the kernel an entry for the root's nodeid: the root would
 * become a bad inode for good (it cannot be looked up again), and every
 * later request of the run would fail before reaching the server.
 */
static void root_guard(const struct hs_req *r, struct hs_reply *m)
{
	size_t off = 0, namelen;
	uint64_t id;

	if (r->hdr->opcode == FUSE_LOOKUP && m->len >= sizeof(id)) {
		memcpy(&id, m->buf, sizeof(id));
		if (id == HS_ROOT)
			memset(m->buf, 0, sizeof(id));
		return;
	}
	if (r->hdr->opcode != FUSE_READDIRPLUS)
		return;
	while (off + FUSE_NAME_OFFSET_DIRENTPLUS <= m->len) {
		struct fuse_direntplus *dp = (void *)(m->buf + off);

		if (dp->entry_out.nodeid == HS_ROOT)
			dp->entry_out.nodeid = 0;
		namelen = dp->dirent.namelen;
		if (namelen > 1024)
			break;
		off += FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET_DIRENTPLUS + namelen);
	}
}

static void send_mutated(struct hs_thread *t, const struct hs_req *r,
			 const struct hs_op *op, struct hs_reply *rep)
{
	struct hs_server *s = t->s;
	struct hs_rng *g = &t->rng;
	uint64_t unique = r->hdr->unique;
	struct hs_reply m = *rep;
	enum hs_class c = pick_class(g, op, r->hdr->opcode);
	uint32_t hdr_len = 0;
	int ret, follow = 1;

	m.buf = t->junk_buf;
	memcpy(m.buf, rep->buf, rep->len);
	/*
	 * An error with a payload; but the ENODEV of a GET_DAXDEV for an
	 * index that does not exist becomes a reply naming a device.
	 */
	if (rep->error && (c == MC_BYTES || c == MC_TRUNCATE ||
			   (c == MC_FIELDS &&
			    r->hdr->opcode != FUSE_GET_DAXDEV)))
		c = MC_EXTEND;
	if (c == MC_TRUNCATE && !m.len)
		c = MC_EXTEND;
	if (c == MC_BYTES && !m.len)
		c = MC_EXTEND;
	/* random bytes could change the root's type: it would stay bad */
	if (c == MC_BYTES && r->hdr->nodeid == HS_ROOT &&
	    (r->hdr->opcode == FUSE_GETATTR || r->hdr->opcode == FUSE_SETATTR))
		c = MC_FIELDS;

	switch (c) {
	case MC_FIELDS:
		op->mutate(t, r, &m);
		break;
	case MC_BYTES:
		mut_bytes(g, m.buf, m.len);
		/* the type may have changed: let the tree heal (tree.c) */
		if (r->hdr->opcode == FUSE_GETATTR || r->hdr->opcode == FUSE_SETATTR)
			tree_new_generation();
		break;
	case MC_TRUNCATE:
		m.len = rng_below(g, m.len);
		break;
	case MC_EXTEND: {
		uint32_t add = rng_chance(g, 0.7) ? 1 + rng_below(g, 64) :
			       1 + rng_below(g, HS_OUT_BUF - m.len);
		uint32_t i;

		for (i = 0; i < add; i++)
			m.buf[m.len + i] = rng_next(g);
		m.len += add;
		break;
	}
	case MC_ERRNO:
		m.error = garbage_errno(g);
		if (rng_chance(g, 0.7))
			m.len = 0;
		break;
	case MC_HDR_LEN: {
		uint32_t real = sizeof(struct fuse_out_header) + m.len;

		switch (rng_below(g, 4)) {
		case 0:
			hdr_len = 1 + rng_below(g, real);
			break;
		case 1:
			hdr_len = real + 1 + rng_below(g, 4096);
			break;
		case 2:
			hdr_len = 0xffffffff;
			break;
		default:
			hdr_len = real - 1;
			break;
		}
		if (hdr_len == real || !hdr_len)
			hdr_len = real + 8;
		break;
	}
	case MC_WRONG_UNIQUE:
		unique = hs_pick_unique(g);
		if (!unique)	/* a "notification" of a random code */
			m.error = rng_below(g, 110);
		if (rng_chance(g, 0.5))
			mut_bytes(g, m.buf, m.len);
		/*
		 * Attributes stolen by a pending GETATTR or LOOKUP of the root
		 * would make it bad for good (see root_guard()): those get an
		 * error instead.
		 */
		if (m.len == sizeof(struct fuse_attr_out) ||
		    m.len == sizeof(struct fuse_entry_out)) {
			m.len = 0;
			m.error = -EIO;
		}
		ret = hs_write(s, unique, m.error, 0, m.buf, m.len);
		(void)ret;
		hs_write(s, r->hdr->unique, rep->error, 0, rep->buf, rep->len);
		follow = 0;
		goto counted;
	case MC_DUPLICATE:
		hs_write(s, unique, rep->error, 0, rep->buf, rep->len);
		if (rng_chance(g, 0.5))
			mut_bytes(g, m.buf, m.len);
		follow = 0;
		break;
	case MC_DELAY: {
		struct timespec ts = { 0, (long)(1 + rng_below(g, 20)) * 1000000 };

		nanosleep(&ts, NULL);
		break;
	}
	default:
		break;
	}
	root_guard(r, &m);
	ret = hs_write(s, unique, m.error, hdr_len, m.buf, m.len);
	if (ret < 0 && follow)
		hs_write(s, r->hdr->unique, rep->error, 0, rep->buf, rep->len);
counted:
	CINC(s, mutated);
	CINC(s, classes[c]);
	CINC(s, mutated_ops[op_slot(r->hdr->opcode)]);
	hs_mutated(s);
}

void hs_send_reply(struct hs_thread *t, const struct hs_req *r,
		   const struct hs_op *op, struct hs_reply *rep)
{
	struct hs_server *s = t->s;
	uint32_t opcode = r->hdr->opcode;
	int mutate;

	if (opcode == FUSE_INIT)
		mutate = 0;
	else if (opcode == FUSE_IOMAP_CONFIG)
		mutate = s->garbage_config;
	else
		mutate = !s->calm && rng_chance(&t->rng, s->rate);

	if (rep->noreply) {
		/* a reply to a request that wants none: FORGET, INTERRUPT... */
		if (mutate && rng_chance(&t->rng, 0.5)) {
			hs_write(s, r->hdr->unique, 0, 0, rep->buf, 0);
			CINC(s, mutated);
			CINC(s, classes[MC_WRONG_UNIQUE]);
			CINC(s, mutated_ops[op_slot(opcode)]);
			hs_mutated(s);
		}
		return;
	}
	CINC(s, replies);
	if (!mutate) {
		if (!hs_write(s, r->hdr->unique, rep->error, 0, rep->buf,
			      rep->len) && s->famfs)
			famfs_reply_sent(s, r, rep);
		return;
	}
	send_mutated(t, r, op, rep);
}
