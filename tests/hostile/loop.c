// SPDX-License-Identifier: GPL-2.0
/*
 * hostile: the request loop.  Several threads read /dev/fuse; each
 * request goes to its handler through the opcode table, and the reply
 * through hs_send_reply(), which may mutate it.  The table is also where
 * each opcode's field-level mutation is named: famfs is two entries.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include "fusedev.h"
#include "hostile.h"

static const struct hs_op ops[] = {
	{ "LOOKUP", op_lookup, 0, 0, mut_entry },
	{ "FORGET", op_none, sizeof(struct fuse_forget_in), 1, NULL },
	{ "GETATTR", op_getattr, sizeof(struct fuse_getattr_in), 0, mut_attr_out },
	{ "SETATTR", op_setattr, sizeof(struct fuse_setattr_in), 0, mut_attr_out },
	{ "OPEN", op_open, sizeof(struct fuse_open_in), 0, mut_open },
	{ "READ", op_read, sizeof(struct fuse_read_in), 0, NULL },
	{ "WRITE", op_write, sizeof(struct fuse_write_in), 0, mut_write },
	{ "STATFS", op_statfs, 0, 0, NULL },
	{ "RELEASE", op_empty, sizeof(struct fuse_release_in), 0, NULL },
	{ "FSYNC", op_empty, sizeof(struct fuse_fsync_in), 0, NULL },
	{ "FLUSH", op_empty, sizeof(struct fuse_flush_in), 0, NULL },
	{ "INIT", op_init, offsetof(struct fuse_init_in, flags2), 0, NULL },
	{ "OPENDIR", op_open, sizeof(struct fuse_open_in), 0, mut_open },
	{ "READDIR", op_readdir, sizeof(struct fuse_read_in), 0, mut_dirents },
	{ "RELEASEDIR", op_empty, sizeof(struct fuse_release_in), 0, NULL },
	{ "FSYNCDIR", op_empty, sizeof(struct fuse_fsync_in), 0, NULL },
	{ "ACCESS", op_empty, sizeof(struct fuse_access_in), 0, NULL },
	{ "INTERRUPT", op_none, sizeof(struct fuse_interrupt_in), 1, NULL },
	{ "DESTROY", op_empty, 0, 0, NULL },
	{ "NOTIFY_REPLY", op_none, 0, 1, NULL },
	{ "BATCH_FORGET", op_none, sizeof(struct fuse_batch_forget_in), 1, NULL },
	{ "FALLOCATE", op_fallocate, sizeof(struct fuse_fallocate_in), 0, NULL },
	{ "READDIRPLUS", op_readdirplus, sizeof(struct fuse_read_in), 0, mut_dirents },
	{ "IOMAP_BEGIN", op_iomap_begin, sizeof(struct fuse_iomap_begin_in), 0,
	  mut_iomap_begin },
	{ "IOMAP_END", op_iomap_end, sizeof(struct fuse_iomap_end_in), 0, NULL },
	{ "IOMAP_IOEND", op_iomap_ioend, sizeof(struct fuse_iomap_ioend_in), 0,
	  mut_iomap_ioend },
	{ "IOMAP_CONFIG", op_iomap_config, sizeof(struct fuse_iomap_config_in), 0,
	  mut_iomap_config },
	{ "GET_FMAP", op_get_fmap, sizeof(struct fuse_get_fmap_in), 0,
	  mut_get_fmap },
	{ "GET_DAXDEV", op_get_daxdev, sizeof(struct fuse_get_daxdev_in), 0,
	  mut_get_daxdev },
	/* the tree is fixed */
	{ "CREATE", op_perm, 0, 0, NULL },
	{ "MKNOD", op_perm, 0, 0, NULL },
	{ "MKDIR", op_perm, 0, 0, NULL },
	{ "UNLINK", op_perm, 0, 0, NULL },
	{ "RMDIR", op_perm, 0, 0, NULL },
	{ "RENAME", op_perm, 0, 0, NULL },
	{ "RENAME2", op_perm, 0, 0, NULL },
	{ "LINK", op_perm, 0, 0, NULL },
	{ "SYMLINK", op_perm, 0, 0, NULL },
};

static const uint32_t op_codes[] = {
	FUSE_LOOKUP, FUSE_FORGET, FUSE_GETATTR, FUSE_SETATTR, FUSE_OPEN,
	FUSE_READ, FUSE_WRITE, FUSE_STATFS, FUSE_RELEASE, FUSE_FSYNC,
	FUSE_FLUSH, FUSE_INIT, FUSE_OPENDIR, FUSE_READDIR, FUSE_RELEASEDIR,
	FUSE_FSYNCDIR, FUSE_ACCESS, FUSE_INTERRUPT, FUSE_DESTROY,
	FUSE_NOTIFY_REPLY, FUSE_BATCH_FORGET, FUSE_FALLOCATE,
	FUSE_READDIRPLUS, FUSE_IOMAP_BEGIN, FUSE_IOMAP_END, FUSE_IOMAP_IOEND,
	FUSE_IOMAP_CONFIG, FUSE_GET_FMAP, FUSE_GET_DAXDEV, FUSE_CREATE,
	FUSE_MKNOD, FUSE_MKDIR, FUSE_UNLINK, FUSE_RMDIR, FUSE_RENAME,
	FUSE_RENAME2, FUSE_LINK, FUSE_SYMLINK,
};

_Static_assert(ARRAY_SIZE(ops) == ARRAY_SIZE(op_codes), "opcode table");

/* Anything else: ENOSYS, which may itself be mutated. */
static const struct hs_op op_unknown = { "other", NULL, 0, 0, NULL };

const struct hs_op *hs_op_of(uint32_t opcode)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(op_codes); i++)
		if (op_codes[i] == opcode)
			return &ops[i];
	return &op_unknown;
}

/* Counter slot of an opcode: 0..55 as they are, 4089..4095 at 56..62. */
unsigned int op_slot(uint32_t opcode)
{
	if (opcode < 56)
		return opcode;
	if (opcode >= FUSE_FREEZE_FS && opcode <= FUSE_IOMAP_END)
		return 56 + opcode - FUSE_FREEZE_FS;
	return 63;
}

/* Recently seen uniques, for replies to the wrong (maybe pending) one. */
#define RECENT	256
static uint64_t recent[RECENT];
static unsigned int recent_pos;

void hs_recent_unique(uint64_t unique)
{
	unsigned int i = __atomic_fetch_add(&recent_pos, 1, __ATOMIC_RELAXED);

	__atomic_store_n(&recent[i % RECENT], unique, __ATOMIC_RELAXED);
}

uint64_t hs_pick_unique(struct hs_rng *g)
{
	unsigned int pos = __atomic_load_n(&recent_pos, __ATOMIC_RELAXED);
	uint64_t u = __atomic_load_n(&recent[(pos - 1 - rng_below(g, 4)) % RECENT],
				     __ATOMIC_RELAXED);

	switch (rng_below(g, 10)) {
	case 0: case 1: case 2: case 3:	/* likely pending in another thread */
		return u;
	case 4: case 5:			/* an interrupt reply */
		return u | FUSE_INT_REQ_BIT;
	case 6:				/* one not issued yet */
		return u + 2 * (1 + rng_below(g, 4));
	case 7:
		return 0;
	default:
		return rng_next(g);
	}
}

/*
 * Write a reply (or notification, unique 0): hdr_len 0 means the true
 * length.  Returns 0 or the negative errno of write(2), counted.
 */
int hs_write(struct hs_server *s, uint64_t unique, int32_t error,
	     uint32_t hdr_len, const void *buf, size_t len)
{
	struct iovec iov[2] = { [1] = { (void *)buf, len } };
	int err = -fusedev_send(s->fd, unique, error, hdr_len, iov,
				len ? 2 : 1);

	if (!err)
		return 0;
	/* ENODEV may be a notification's answer: only reads tell the end */
	if (unique)	/* notify.c counts its own */
		CINC(s, reply_errno[err < 160 ? err : 0]);
	return -err;
}

static void handle(struct hs_thread *t, size_t len)
{
	struct hs_server *s = t->s;
	const struct fuse_in_header *hdr = (const void *)t->in_buf;
	struct hs_req r = { .hdr = hdr };
	struct hs_reply rep = { .buf = t->out_buf };
	const struct hs_op *op;
	int err;

	if (len < sizeof(*hdr) || hdr->len != len) {
		fprintf(stderr, "hostile: bad request of %zu bytes\n", len);
		return;
	}
	CINC(s, requests);
	CINC(s, ops[op_slot(hdr->opcode)]);
	hs_recent_unique(hdr->unique);
	op = hs_op_of(hdr->opcode);
	/* extensions longer than the request: a body of nothing */
	if (fusedev_request(hdr, len, &r.in, &r.in_len)) {
		r.in = hdr + 1;
		r.in_len = 0;
	}

	/* until the device is registered, mappings would name no device */
	while (__atomic_load_n(&s->iomap, __ATOMIC_ACQUIRE) < 0 &&
	       hdr->opcode != FUSE_IOMAP_CONFIG && !s->stopping)
		usleep(1000);

	if (!op->fn)
		err = -ENOSYS;
	else if (r.in_len < op->in_size)
		err = -EINVAL;
	else
		err = op->fn(t, &r, &rep);
	if (err) {
		rep.error = err;
		rep.len = 0;
	}
	hs_send_reply(t, &r, op, &rep);

	/* The kernel has taken the INIT reply: register the device. */
	if (hdr->opcode == FUSE_INIT) {
		int iomap = s->iomap < 0 ? !iomap_register(s) : 0;

		__atomic_store_n(&s->iomap, iomap, __ATOMIC_RELEASE);
		s->initialised = 1;
	}
}

void *hs_reader(void *arg)
{
	struct hs_thread *t = arg;
	struct hs_server *s = t->s;
	ssize_t n;

	while (!s->stopping) {
		n = read(s->fd, t->in_buf, HS_IN_BUF);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ENOENT)
				continue;
			if (errno != ENODEV)
				perror("hostile: reading /dev/fuse");
			break;
		}
		if (!n)
			break;
		handle(t, n);
	}
	s->stopping = 1;
	return NULL;
}
