// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd --die-on and --defer-on: a daemon that dies when it reads a
 * chosen request, or answers it late (see die.h).  --die-on is shared by
 * the image server and famfs mode.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "die.h"
#include "stats.h"

struct flag_name {
	uint32_t	flag;
	const char	*name;
};

static const struct flag_name begin_flags[] = {
	{ FUSE_IOMAP_OP_WRITE, "write" },
	{ FUSE_IOMAP_OP_ZERO, "zero" },
	{ FUSE_IOMAP_OP_REPORT, "report" },
	{ FUSE_IOMAP_OP_FAULT, "fault" },
	{ FUSE_IOMAP_OP_DIRECT, "direct" },
	{ FUSE_IOMAP_OP_NOWAIT, "nowait" },
	{ FUSE_IOMAP_OP_OVERWRITE_ONLY, "overwrite_only" },
	{ FUSE_IOMAP_OP_UNSHARE, "unshare" },
	{ FUSE_IOMAP_OP_DAX, "dax" },
	{ FUSE_IOMAP_OP_ATOMIC, "atomic" },
	{ FUSE_IOMAP_OP_DONTCACHE, "dontcache" },
	{ FUSE_IOMAP_OP_SWAPFILE, "swapfile" },
	{ FUSE_IOMAP_OP_WRITEBACK, "writeback" },
	{ 0, NULL }
};

static const struct flag_name ioend_flag_names[] = {
	{ FUSE_IOMAP_IOEND_SHARED, "shared" },
	{ FUSE_IOMAP_IOEND_UNWRITTEN, "unwritten" },
	{ FUSE_IOMAP_IOEND_BOUNDARY, "boundary" },
	{ FUSE_IOMAP_IOEND_DIRECT, "direct" },
	{ FUSE_IOMAP_IOEND_APPEND, "append" },
	{ FUSE_IOMAP_IOEND_WRITEBACK, "writeback" },
	{ FUSE_IOMAP_IOEND_SWAPOFF, "swapoff" },
	{ 0, NULL }
};

/* The N-th request of an opcode, optionally only those with a flag. */
struct req_match {
	int		armed;
	uint32_t	opcode;
	uint32_t	flag;	/* only requests with this flag count, or 0 */
	uint64_t	nth;
	uint64_t	seen;
};

static struct req_match die_on, defer_on;
static unsigned long defer_ms;

/* The flag names of OPCODE's requests, or NULL if it has none. */
static const struct flag_name *flag_names(uint32_t opcode)
{
	switch (opcode) {
	case FUSE_IOMAP_BEGIN:
		return begin_flags;
	case FUSE_IOMAP_IOEND:
		return ioend_flag_names;
	default:
		return NULL;
	}
}

/* The flags field of a request of an opcode that has flag names. */
static uint32_t request_flags(const struct fuse_in_header *hdr, size_t len)
{
	const void *body = hdr + 1;

	len -= sizeof(*hdr);
	if (hdr->opcode == FUSE_IOMAP_BEGIN &&
	    len >= sizeof(struct fuse_iomap_begin_in))
		return ((const struct fuse_iomap_begin_in *)body)->opflags;
	if (hdr->opcode == FUSE_IOMAP_IOEND &&
	    len >= sizeof(struct fuse_iomap_ioend_in))
		return ((const struct fuse_iomap_ioend_in *)body)->flags;
	return 0;
}

static int parse_flag(struct req_match *m, const char *name)
{
	const struct flag_name *t = flag_names(m->opcode);

	for (; t && t->name; t++) {
		if (!strcmp(t->name, name)) {
			m->flag = t->flag;
			return 0;
		}
	}
	return -1;
}

/* OPCODE[:N[:FLAG]]; 0, or -1 for a bad argument. */
static int match_parse(struct req_match *m, const char *arg)
{
	char name[48], *colon, *flag = NULL, *end;
	unsigned long long v;
	int op;

	if (snprintf(name, sizeof(name), "%s", arg) >= (int)sizeof(name))
		return -1;
	m->nth = 1;
	m->flag = 0;
	colon = strchr(name, ':');
	if (colon) {
		*colon = '\0';
		flag = strchr(colon + 1, ':');
		if (flag)
			*flag++ = '\0';
		errno = 0;
		v = strtoull(colon + 1, &end, 0);
		if (errno || end == colon + 1 || *end || !v)
			return -1;
		m->nth = v;
	}
	op = fuse_opcode_lookup(name);
	if (op < 0) {
		errno = 0;
		v = strtoull(name, &end, 0);
		if (errno || end == name || *end || v > UINT32_MAX)
			return -1;
		op = v;
	}
	m->opcode = op;
	if (flag && parse_flag(m, flag))
		return -1;
	m->armed = 1;
	return 0;
}

int die_on_parse(const char *arg)
{
	return match_parse(&die_on, arg);
}

/* MS@OPCODE[:N[:FLAG]]; 0, or -1 for a bad argument. */
int defer_on_parse(const char *arg)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || end == arg || *end != '@' || !v || v > 600000)
		return -1;
	defer_ms = v;
	return match_parse(&defer_on, end + 1);
}

/* Is this the request @m waits for? */
static int match_request(struct req_match *m, const struct fuse_in_header *hdr,
			 size_t len)
{
	if (!m->armed || hdr->opcode != m->opcode)
		return 0;
	if (m->flag && !(request_flags(hdr, len) & m->flag))
		return 0;
	return ++m->seen == m->nth;
}

static const char *opcode_str(uint32_t opcode, char *num, size_t size)
{
	const char *name = fuse_opcode_name(opcode);

	if (name)
		return name;
	snprintf(num, size, "OPCODE_%u", opcode);
	return num;
}

static void flags_str(const struct flag_name *t, uint32_t flags,
		      char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; t->name && n < size; t++)
		if (flags & t->flag)
			n += snprintf(buf + n, size - n, "%s%s", n ? "," : "",
				      t->name);
	if (!n)
		snprintf(buf, size, "none");
}

/* What the request asks, for the opcodes the tests kill the daemon on. */
static void describe(const struct fuse_in_header *hdr, size_t len,
		     char *buf, size_t size)
{
	const void *body = hdr + 1;
	char flags[96];

	buf[0] = '\0';
	len -= sizeof(*hdr);
	if (hdr->opcode == FUSE_IOMAP_IOEND &&
	    len >= sizeof(struct fuse_iomap_ioend_in)) {
		const struct fuse_iomap_ioend_in *in = body;

		flags_str(ioend_flag_names, in->flags, flags, sizeof(flags));
		snprintf(buf, size, ", flags %s pos %llu written %llu error %d",
			 flags, (unsigned long long)in->pos,
			 (unsigned long long)in->written, (int)in->error);
	} else if (hdr->opcode == FUSE_IOMAP_BEGIN &&
		   len >= sizeof(struct fuse_iomap_begin_in)) {
		const struct fuse_iomap_begin_in *in = body;

		flags_str(begin_flags, in->opflags, flags, sizeof(flags));
		snprintf(buf, size, ", opflags %s pos %llu count %llu",
			 flags, (unsigned long long)in->pos,
			 (unsigned long long)in->count);
	} else if (hdr->opcode == FUSE_GET_FMAP &&
		   len >= sizeof(struct fuse_get_fmap_in)) {
		const struct fuse_get_fmap_in *in = body;

		snprintf(buf, size, ", buffer %u", in->size);
	}
}

/* Called for every request read, after it was counted. */
void die_on_request(const struct fuse_in_header *hdr, size_t len)
{
	char what[160], num[32];

	if (!match_request(&die_on, hdr, len))
		return;
	describe(hdr, len, what, sizeof(what));
	fprintf(stderr,
		"fusetd: --die-on: SIGKILL at %s %llu (unique %llu, nodeid %llu%s)\n",
		opcode_str(hdr->opcode, num, sizeof(num)),
		(unsigned long long)die_on.seen,
		(unsigned long long)hdr->unique,
		(unsigned long long)hdr->nodeid, what);
	fflush(stderr);
	kill(getpid(), SIGKILL);
	pause();	/* not reached */
}

unsigned long defer_on_request(const struct fuse_in_header *hdr, size_t len)
{
	char what[160], num[32];

	if (!match_request(&defer_on, hdr, len))
		return 0;
	describe(hdr, len, what, sizeof(what));
	fprintf(stderr,
		"fusetd: --defer-on: %lu ms for %s %llu (unique %llu, nodeid %llu%s)\n",
		defer_ms, opcode_str(hdr->opcode, num, sizeof(num)),
		(unsigned long long)defer_on.seen,
		(unsigned long long)hdr->unique,
		(unsigned long long)hdr->nodeid, what);
	return defer_ms;
}
