// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd fault injection: with --inject RULE, every FUSE_IOMAP_BEGIN reply
 * for a position at or beyond FT_INJECT_POS breaks one rule of the
 * protocol, so tests can check that the kernel refuses each kind of bad
 * mapping while I/O below FT_INJECT_POS keeps working.  The rule
 * "ioend-error" fails FUSE_IOMAP_IOEND there instead.
 *
 * The inline rules break INLINE replies wherever they are: "inline-short"
 * sends one byte of data less than the file has, "inline-not-eof" answers
 * a request near EOF of an ordinary file with an INLINE mapping of the
 * block at pos, which ends before EOF, and "inline-write-fault" answers
 * write faults of inline files INLINE instead of moving them to a block.
 * "inline-end-error" fails FUSE_IOMAP_END with inline data (ENOSPC).
 */
#include <errno.h>
#include <string.h>

#include "proto.h"

#define BS	FT_BLOCK_SIZE

/* Turn the read mapping into a one-block MAPPED one on our device. */
static void mapped(struct fusetd *d, struct fuse_iomap_io *io)
{
	io->length = BS;
	io->type = FUSE_IOMAP_TYPE_MAPPED;
	io->flags = 0;
	io->dev = d->dev_cookie;
	io->addr = 0;
}

static void bad_type(struct fusetd *d, struct fuse_iomap_io *io)
{
	(void)d;
	io->type = 7;
}

static void kernel_flag(struct fusetd *d, struct fuse_iomap_io *io)
{
	(void)d;
	io->flags = FUSE_IOMAP_F_STALE;
}

static void zero_length(struct fusetd *d, struct fuse_iomap_io *io)
{
	(void)d;
	io->length = 0;
}

static void unaligned_offset(struct fusetd *d, struct fuse_iomap_io *io)
{
	(void)d;
	io->offset += 512;
}

static void unaligned_length(struct fusetd *d, struct fuse_iomap_io *io)
{
	(void)d;
	io->length += 512;
}

static void beyond_maxbytes(struct fusetd *d, struct fuse_iomap_io *io)
{
	(void)d;
	io->offset = 1ULL << 62;
}

static void offset_overflow(struct fusetd *d, struct fuse_iomap_io *io)
{
	(void)d;
	io->length = ~0ULL & ~(uint64_t)(BS - 1);
}

static void no_dev(struct fusetd *d, struct fuse_iomap_io *io)
{
	mapped(d, io);
	io->dev = FUSE_IOMAP_DEV_NULL;
}

static void unknown_dev(struct fusetd *d, struct fuse_iomap_io *io)
{
	mapped(d, io);
	io->dev = 77;
}

static void null_addr(struct fusetd *d, struct fuse_iomap_io *io)
{
	mapped(d, io);
	io->addr = FUSE_IOMAP_NULL_ADDR;
}

static void unaligned_addr(struct fusetd *d, struct fuse_iomap_io *io)
{
	mapped(d, io);
	io->addr = 100;
}

static void beyond_device(struct fusetd *d, struct fuse_iomap_io *io)
{
	mapped(d, io);
	io->addr = 1ULL << 50;
}

static void hole_with_dev(struct fusetd *d, struct fuse_iomap_io *io)
{
	io->length = BS;
	io->type = FUSE_IOMAP_TYPE_HOLE;
	io->addr = FUSE_IOMAP_NULL_ADDR;
	io->dev = d->dev_cookie;
}

static void instruction(struct fuse_iomap_io *io, uint16_t type)
{
	*io = (struct fuse_iomap_io) {
		.addr = FUSE_IOMAP_NULL_ADDR,
		.type = type,
	};
}

static void pure_overwrite_read(struct fusetd *d, struct fuse_iomap_io *io)
{
	(void)d;
	instruction(io, FUSE_IOMAP_TYPE_PURE_OVERWRITE);
}

static void nocache(struct fusetd *d, struct fuse_iomap_io *io)
{
	(void)d;
	instruction(io, FUSE_IOMAP_TYPE_NOCACHE);
}

static void retry_cache(struct fusetd *d, struct fuse_iomap_io *io)
{
	(void)d;
	instruction(io, FUSE_IOMAP_TYPE_RETRY_CACHE);
}

static void not_covering(struct fusetd *d, struct fuse_iomap_io *io)
{
	(void)d;
	io->offset += io->length;
}

static void inline_map(struct fusetd *d, struct fuse_iomap_io *io)
{
	(void)d;
	io->length = BS;
	io->type = FUSE_IOMAP_TYPE_INLINE;
	io->addr = FUSE_IOMAP_NULL_ADDR;
	io->dev = FUSE_IOMAP_DEV_NULL;
}

static const struct {
	const char *name;
	void (*fn)(struct fusetd *d, struct fuse_iomap_io *io);
} rules[] = {
	{ "bad-type", bad_type },
	{ "kernel-flag", kernel_flag },
	{ "zero-length", zero_length },
	{ "unaligned-offset", unaligned_offset },
	{ "unaligned-length", unaligned_length },
	{ "beyond-maxbytes", beyond_maxbytes },
	{ "offset-overflow", offset_overflow },
	{ "no-dev", no_dev },
	{ "unknown-dev", unknown_dev },
	{ "null-addr", null_addr },
	{ "unaligned-addr", unaligned_addr },
	{ "beyond-device", beyond_device },
	{ "hole-with-dev", hole_with_dev },
	{ "pure-overwrite-read", pure_overwrite_read },
	{ "nocache", nocache },
	{ "retry-cache", retry_cache },
	{ "not-covering", not_covering },
	{ "inline", inline_map },
	/* these two break the reply itself rather than a mapping */
	{ "short-reply", NULL },
	{ "errno", NULL },
	/* this one fails FUSE_IOMAP_IOEND instead */
	{ "ioend-error", NULL },
	/* these break INLINE replies, at any position */
	{ "inline-short", NULL },
	{ "inline-not-eof", NULL },
	{ "inline-write-fault", NULL },
	{ "inline-end-error", NULL },
};

static int injecting(const struct fusetd *d, const char *name)
{
	return d->inject && !strcmp(rules[d->inject - 1].name, name);
}

/* Rule number + 1 for a name, 0 if unknown. */
int inject_lookup(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (!strcmp(rules[i].name, name))
			return i + 1;
	return 0;
}

/*
 * Apply the injected fault to a begin reply at @pos.  Returns the reply
 * length to send, or a negative errno to answer instead.
 */
int inject_begin(struct fusetd *d, uint64_t pos,
		 struct fuse_iomap_begin_out *out)
{
	const char *name;

	if (!d->inject || pos < FT_INJECT_POS)
		return sizeof(*out);
	name = rules[d->inject - 1].name;
	if (!strcmp(name, "ioend-error"))
		return sizeof(*out);
	if (!strcmp(name, "short-reply"))
		return sizeof(out->read);
	if (!strcmp(name, "errno"))
		return -EIO;
	if (!rules[d->inject - 1].fn)
		return sizeof(*out);
	out->read.offset = pos / BS * BS;
	rules[d->inject - 1].fn(d, &out->read);
	return sizeof(*out);
}

/* Bytes of inline data to send for a file of len bytes. */
size_t inject_inline_len(const struct fusetd *d, size_t len)
{
	return injecting(d, "inline-short") && len ? len - 1 : len;
}

/*
 * Answer INLINE where the kernel would take one (it offered room, or
 * without the payload the request is within a page of EOF), though EOF is
 * further on?
 */
int inject_inline_not_eof(const struct fusetd *d,
			  const struct fuse_iomap_begin_in *in, uint64_t size)
{
	int room = d->inline_nopayload ? size - in->pos <= BS :
					 in->inline_size != 0;

	return injecting(d, "inline-not-eof") && room &&
	       in->pos / BS * BS + BS < size;
}

/* Answer a write fault of an inline file INLINE? */
int inject_inline_fault(const struct fusetd *d)
{
	return injecting(d, "inline-write-fault");
}

/* Refuse the data of FUSE_IOMAP_END? */
int inject_inline_end_error(const struct fusetd *d)
{
	return injecting(d, "inline-end-error") ? -ENOSPC : 0;
}

/* With --inject ioend-error, ioends at and beyond FT_INJECT_POS fail. */
int inject_ioend(const struct fusetd *d, uint64_t pos)
{
	if (!d->inject || pos < FT_INJECT_POS ||
	    strcmp(rules[d->inject - 1].name, "ioend-error"))
		return 0;
	return -EIO;
}
