// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd --die-on: a daemon that dies while a chosen request is pending
 * (see die.h).  Shared by the image server and famfs mode.
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

static struct {
	int		armed;
	uint32_t	opcode;
	uint64_t	nth;
	uint64_t	seen;
} die_on;

/* OPCODE[:N]; 0, or -1 for a bad argument. */
int die_on_parse(const char *arg)
{
	char name[32], *colon, *end;
	unsigned long long v;
	int op;

	if (snprintf(name, sizeof(name), "%s", arg) >= (int)sizeof(name))
		return -1;
	die_on.nth = 1;
	colon = strchr(name, ':');
	if (colon) {
		*colon = '\0';
		errno = 0;
		v = strtoull(colon + 1, &end, 0);
		if (errno || end == colon + 1 || *end || !v)
			return -1;
		die_on.nth = v;
	}
	op = fuse_opcode_lookup(name);
	if (op < 0) {
		errno = 0;
		v = strtoull(name, &end, 0);
		if (errno || end == name || *end || v > UINT32_MAX)
			return -1;
		op = v;
	}
	die_on.opcode = op;
	die_on.armed = 1;
	return 0;
}

static void ioend_flags(uint32_t flags, char *buf, size_t size)
{
	static const struct {
		uint32_t flag;
		const char *name;
	} names[] = {
		{ FUSE_IOMAP_IOEND_SHARED, "shared" },
		{ FUSE_IOMAP_IOEND_UNWRITTEN, "unwritten" },
		{ FUSE_IOMAP_IOEND_BOUNDARY, "boundary" },
		{ FUSE_IOMAP_IOEND_DIRECT, "direct" },
		{ FUSE_IOMAP_IOEND_APPEND, "append" },
		{ FUSE_IOMAP_IOEND_WRITEBACK, "writeback" },
		{ FUSE_IOMAP_IOEND_SWAPOFF, "swapoff" },
	};
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && n < size; i++)
		if (flags & names[i].flag)
			n += snprintf(buf + n, size - n, "%s%s", n ? "," : "",
				      names[i].name);
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

		ioend_flags(in->flags, flags, sizeof(flags));
		snprintf(buf, size, ", flags %s pos %llu written %llu error %d",
			 flags, (unsigned long long)in->pos,
			 (unsigned long long)in->written, (int)in->error);
	} else if (hdr->opcode == FUSE_GET_FMAP &&
		   len >= sizeof(struct fuse_get_fmap_in)) {
		const struct fuse_get_fmap_in *in = body;

		snprintf(buf, size, ", buffer %u", in->size);
	}
}

/* Called for every request read, after it was counted. */
void die_on_request(const struct fuse_in_header *hdr, size_t len)
{
	const char *name;
	char what[160], num[32];

	if (!die_on.armed || hdr->opcode != die_on.opcode ||
	    ++die_on.seen != die_on.nth)
		return;
	name = fuse_opcode_name(hdr->opcode);
	if (!name) {
		snprintf(num, sizeof(num), "OPCODE_%u", hdr->opcode);
		name = num;
	}
	describe(hdr, len, what, sizeof(what));
	fprintf(stderr,
		"fusetd: --die-on: SIGKILL at %s %llu (unique %llu, nodeid %llu%s)\n",
		name, (unsigned long long)die_on.seen,
		(unsigned long long)hdr->unique,
		(unsigned long long)hdr->nodeid, what);
	fflush(stderr);
	kill(getpid(), SIGKILL);
	pause();	/* not reached */
}
