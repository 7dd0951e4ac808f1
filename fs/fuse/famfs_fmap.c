// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-iomap: famfs fmaps, the part that needs neither DAX nor a server.
 *
 * A famfs server describes a file's whole layout in one FUSE_GET_FMAP
 * reply: a header, then either simple extents (one device range each) or
 * interleaved extents (an iext, then its strips, each a device range).
 * Everything in that reply is checked here, in one place, before the
 * kernel keeps any of it: every read stays inside the reply, every sum and
 * product is overflow-checked, and each violated rule is reported by name.
 * The parsed map records where each extent starts in the file, so that
 * resolving an offset is a binary search and a little arithmetic.
 *
 * Two strips may not share device bytes that back file data: fs/dax.c
 * gives each DAX page one owning mapping and index, and WARNs (and
 * corrupts that ownership) when a second one maps it.  The same check
 * serves famfs.c across the inodes of a connection.
 *
 * The replies to FUSE_GET_DAXDEV and the size-retry answer of GET_FMAP are
 * checked here too, the poisoned ranges of a device are tracked here, and
 * the rule for the memory of a device-dax instance famfs can map lives
 * here (famfs_devdax.c feeds it what the instance says).
 */

#include <kunit/visibility.h>
#include <linux/fs.h>
#include <linux/fuse.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/range.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "famfs_i.h"
#include "iomap_rule.h"

/* Reads from the reply; never past its end. */
struct famfs_cursor {
	const u8	*buf;
	size_t		len;
	size_t		pos;		/* <= len */
};

static bool famfs_read(struct famfs_cursor *c, void *dst, size_t n)
{
	if (c->len - c->pos < n)
		return false;
	memcpy(dst, c->buf + c->pos, n);
	c->pos += n;
	return true;
}

/*
 * Bytes that strip @s of an interleaved extent of @nbytes, in chunks of
 * @chunk over @n strips, must hold: its chunks are s, s + n, s + 2n, ...
 * and only the extent's last chunk may be short.
 */
static u64 famfs_strip_need(u64 nbytes, u64 chunk, u32 n, u32 s)
{
	u64 rem, nchunks, cnt, last;

	nchunks = div64_u64_rem(nbytes, chunk, &rem) + (rem ? 1 : 0);
	if (nchunks <= s)
		return 0;
	cnt = div_u64(nchunks - s - 1, n) + 1;
	last = s + (cnt - 1) * n;
	return (cnt - 1) * chunk + min(chunk, nbytes - last * chunk);
}

/* A device range: a simple extent, or a strip of an interleaved one. */
static int famfs_check_range(const struct fuse_famfs_simple_ext *se,
			     const char **rule)
{
	u64 end;

	if (se->reserved)
		return BAD("reserved extent field not zero");
	if (se->se_devindex >= FUSE_FAMFS_MAX_DAXDEVS)
		return BAD("device index out of range");
	if (!se->se_len)
		return BAD("zero extent length");
	if (!IS_ALIGNED(se->se_offset, FUSE_FAMFS_ALIGN))
		return BAD("extent offset not 2 MiB aligned");
	if (!IS_ALIGNED(se->se_len, FUSE_FAMFS_ALIGN))
		return BAD("extent length not 2 MiB aligned");
	if (check_add_overflow(se->se_offset, se->se_len, &end))
		return BAD("extent end overflows");
	return 0;
}

static int famfs_check_iext(const struct fuse_famfs_iext *ie,
			    const char **rule)
{
	if (ie->reserved)
		return BAD("reserved extent field not zero");
	if (!ie->ie_nstrips)
		return BAD("interleaved extent without strips");
	if (ie->ie_nstrips > FUSE_FAMFS_MAX_STRIPS)
		return BAD("too many strips");
	if (!ie->ie_chunk_size)
		return BAD("zero chunk size");
	if (!PAGE_ALIGNED(ie->ie_chunk_size))
		return BAD("chunk size not a multiple of the page size");
	if (!ie->ie_nbytes)
		return BAD("zero extent length");
	return 0;
}

static int famfs_check_header(const struct fuse_famfs_fmap_header *h,
			      const char **rule)
{
	if (h->fmap_version != FUSE_FAMFS_FMAP_VERSION)
		return BAD("unknown fmap version");
	if (h->file_type > FUSE_FAMFS_FILE_LOG)
		return BAD("unknown file type");
	if (h->ext_type != FUSE_FAMFS_EXT_SIMPLE &&
	    h->ext_type != FUSE_FAMFS_EXT_INTERLEAVE)
		return BAD("unknown extent type");
	if (h->reserved || h->reserved0 || h->reserved1)
		return BAD("reserved header field not zero");
	if (h->nextents > FUSE_FAMFS_MAX_EXTENTS)
		return BAD("too many extents");
	if (h->file_size > MAX_LFS_FILESIZE)
		return BAD("file size too large");
	return 0;
}

/* One device range, read from the reply into @f->strips[@idx] if filling. */
static int famfs_read_strip(struct famfs_cursor *c, struct fuse_famfs_fmap *f,
			    u32 idx, struct fuse_famfs_simple_ext *se,
			    u32 *devmask, const char **rule)
{
	int err;

	if (!famfs_read(c, se, sizeof(*se)))
		return BAD("truncated extent");
	err = famfs_check_range(se, rule);
	if (err)
		return err;
	*devmask |= 1U << se->se_devindex;
	if (f) {
		f->strips[idx].dev = se->se_devindex;
		f->strips[idx].dev_off = se->se_offset;
		f->strips[idx].len = se->se_len;
	}
	return 0;
}

/* One simple extent: a single strip read straight through. */
static int famfs_read_simple(struct famfs_cursor *c, struct fuse_famfs_fmap *f,
			     struct fuse_famfs_ext *e, u32 *devmask,
			     const char **rule)
{
	struct fuse_famfs_simple_ext se;
	int err;

	err = famfs_read_strip(c, f, e->strip, &se, devmask, rule);
	if (err)
		return err;
	if (f)
		f->strips[e->strip].used = se.se_len;
	e->len = se.se_len;
	e->chunk = 0;
	e->nstrips = 1;
	return 0;
}

/* One interleaved extent: the iext, then its strips. */
static int famfs_read_iext(struct famfs_cursor *c, struct fuse_famfs_fmap *f,
			   struct fuse_famfs_ext *e, u32 *devmask,
			   const char **rule)
{
	struct fuse_famfs_simple_ext se;
	struct fuse_famfs_iext ie;
	u32 j;
	int err;

	if (!famfs_read(c, &ie, sizeof(ie)))
		return BAD("truncated interleaved extent");
	err = famfs_check_iext(&ie, rule);
	if (err)
		return err;
	e->len = ie.ie_nbytes;
	e->chunk = ie.ie_chunk_size;
	e->nstrips = ie.ie_nstrips;
	for (j = 0; j < ie.ie_nstrips; j++) {
		u64 need = famfs_strip_need(e->len, e->chunk, e->nstrips, j);

		err = famfs_read_strip(c, f, e->strip + j, &se, devmask, rule);
		if (err)
			return err;
		if (se.se_len < need)
			return BAD("strip too short for its chunks");
		/*
		 * A strip that holds no chunk is never mapped; a short last
		 * chunk is mapped to the end of its page (the strip has room:
		 * its length is 2 MiB aligned, its chunks page aligned).
		 */
		if (f)
			f->strips[e->strip + j].used = PAGE_ALIGN(need);
	}
	return 0;
}

/*
 * One pass over a GET_FMAP reply: check everything, count extents and
 * strips, and when @f is set (the second pass) fill it in.
 */
static int famfs_walk(const void *buf, size_t len, struct fuse_famfs_fmap *f,
		      u32 *nextentsp, u32 *nstripsp, const char **rule)
{
	struct famfs_cursor c = { .buf = buf, .len = len };
	struct fuse_famfs_fmap_header h;
	u64 file_off = 0;
	u32 nstrips = 0, devmask = 0, i;
	int err;

	if (!famfs_read(&c, &h, sizeof(h)))
		return BAD("truncated header");
	err = famfs_check_header(&h, rule);
	if (err)
		return err;

	for (i = 0; i < h.nextents; i++) {
		struct fuse_famfs_ext e = { .file_off = file_off,
					    .strip = nstrips };

		if (h.ext_type == FUSE_FAMFS_EXT_SIMPLE)
			err = famfs_read_simple(&c, f, &e, &devmask, rule);
		else
			err = famfs_read_iext(&c, f, &e, &devmask, rule);
		if (err)
			return err;
		/* pages of the file never straddle two extents */
		if (i + 1 < h.nextents && !PAGE_ALIGNED(e.len))
			return BAD("extent length not page aligned before the last");
		if (check_add_overflow(file_off, e.len, &file_off))
			return BAD("extents overflow the file offset");
		nstrips += e.nstrips;
		if (f)
			f->ext[i] = e;
	}
	if (c.pos != c.len)
		return BAD("bytes after the last extent");
	if (file_off > MAX_LFS_FILESIZE)
		return BAD("extents map past the largest file size");
	if (file_off < h.file_size)
		return BAD("extents do not cover the file size");

	*nextentsp = h.nextents;
	*nstripsp = nstrips;
	if (f) {
		f->file_size = h.file_size;
		f->mapped = file_off;
		f->devmask = devmask;
		f->file_type = h.file_type;
		f->ext_type = h.ext_type;
		f->nstrips = nstrips;
	}
	return 0;
}

/**
 * fuse_famfs_fmap_parse - validate a GET_FMAP reply and build its fmap
 * @buf: the reply
 * @len: its length in bytes
 * @fmapp: the new fmap, to free with fuse_famfs_fmap_free()
 * @rule: on -EFSCORRUPTED, the rule the reply broke
 *
 * Return: 0, -EFSCORRUPTED for a malformed reply, or -ENOMEM.
 */
int fuse_famfs_fmap_parse(const void *buf, size_t len,
			  struct fuse_famfs_fmap **fmapp, const char **rule)
{
	struct fuse_famfs_fmap *f;
	u32 nextents, nstrips;
	int err;

	*fmapp = NULL;
	err = famfs_walk(buf, len, NULL, &nextents, &nstrips, rule);
	if (err)
		return err;

	f = kzalloc(struct_size(f, ext, nextents), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	f->nextents = nextents;
	f->strips = kcalloc(nstrips, sizeof(*f->strips), GFP_KERNEL_ACCOUNT);
	if (!f->strips) {
		kfree(f);
		return -ENOMEM;
	}
	/* The same checks again, on the same bytes: cannot fail now. */
	err = famfs_walk(buf, len, f, &nextents, &nstrips, rule);
	if (!err && fuse_famfs_fmap_overlap(f, f))
		err = BAD("extents overlap on the device");
	if (err) {
		fuse_famfs_fmap_free(f);
		return err;
	}
	*fmapp = f;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_famfs_fmap_parse);

/* Do two strips share device bytes that back file data? */
static bool famfs_strips_overlap(const struct fuse_famfs_strip *s,
				 const struct fuse_famfs_strip *t)
{
	/* the parser checked that dev_off + len, and so + used, fit */
	return s->dev == t->dev && s->used && t->used &&
	       s->dev_off < t->dev_off + t->used &&
	       t->dev_off < s->dev_off + s->used;
}

/**
 * fuse_famfs_fmap_overlap - do two fmaps share device memory?
 * @a: a validated fmap
 * @b: another, or @a itself (then: do two of its strips?)
 *
 * Only the bytes that back file data count: the tail of a strip past its
 * last chunk is never mapped.  O(strips of @a x strips of @b).
 *
 * Return: true if some device byte backs file data in both.
 */
bool fuse_famfs_fmap_overlap(const struct fuse_famfs_fmap *a,
			     const struct fuse_famfs_fmap *b)
{
	u32 i, j;

	for (i = 0; i < a->nstrips; i++)
		for (j = a == b ? i + 1 : 0; j < b->nstrips; j++)
			if (famfs_strips_overlap(&a->strips[i], &b->strips[j]))
				return true;
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_famfs_fmap_overlap);

void fuse_famfs_fmap_free(struct fuse_famfs_fmap *fmap)
{
	if (!fmap)
		return;
	kfree(fmap->strips);
	kfree(fmap);
}
EXPORT_SYMBOL_IF_KUNIT(fuse_famfs_fmap_free);

/**
 * fuse_famfs_resolve - where a file offset lives
 * @fmap: a validated fmap
 * @pos: the file offset
 * @map: the device index, device offset and contiguous length from @pos
 *
 * The returned range never crosses an extent end or a chunk boundary.
 *
 * Return: 0, or -ERANGE if @pos is past what the extents map.
 */
int fuse_famfs_resolve(const struct fuse_famfs_fmap *fmap, u64 pos,
		       struct fuse_famfs_map *map)
{
	const struct fuse_famfs_ext *e;
	const struct fuse_famfs_strip *s;
	u32 lo = 0, hi = fmap->nextents, mid, si;
	u64 local, within, k, row;

	if (pos >= fmap->mapped)
		return -ERANGE;

	/* the last extent starting at or before pos */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (fmap->ext[mid].file_off <= pos)
			lo = mid;
		else
			hi = mid;
	}
	e = &fmap->ext[lo];
	local = pos - e->file_off;

	if (!e->chunk) {
		s = &fmap->strips[e->strip];
		map->dev = s->dev;
		map->dev_off = s->dev_off + local;
		map->len = e->len - local;
		return 0;
	}

	k = div64_u64_rem(local, e->chunk, &within);
	row = div_u64_rem(k, e->nstrips, &si);
	s = &fmap->strips[e->strip + si];
	map->dev = s->dev;
	map->dev_off = s->dev_off + row * e->chunk + within;
	/* a short last chunk still maps whole pages, for faults */
	map->len = min(e->chunk - within, PAGE_ALIGN(e->len) - local);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_famfs_resolve);

/**
 * fuse_famfs_fmap_reply_size - is a GET_FMAP reply a request for room?
 * @buf: the reply
 * @len: its length
 * @bufsize: the size of the buffer the kernel offered
 * @needed: set to the size the server asked for
 *
 * A server whose fmap does not fit answers with only a u32, the size it
 * needs; no fmap is that short.
 *
 * Return: 1 for a size request (@needed set), 0 for an fmap, or
 * -EFSCORRUPTED for a size that would already have fitted or that is over
 * FUSE_FAMFS_MAX_FMAP_SIZE.
 */
int fuse_famfs_fmap_reply_size(const void *buf, size_t len, size_t bufsize,
			       size_t *needed)
{
	u32 n;

	if (len != sizeof(n))
		return 0;
	memcpy(&n, buf, sizeof(n));
	if (n <= bufsize || n > FUSE_FAMFS_MAX_FMAP_SIZE)
		return -EFSCORRUPTED;
	*needed = n;
	return 1;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_famfs_fmap_reply_size);

/**
 * fuse_famfs_check_daxdev - validate a GET_DAXDEV reply
 * @out: the reply
 * @len: its length
 * @index: the device index the kernel asked for
 * @rule: on error, the rule the reply broke
 *
 * Return: 0 or -EFSCORRUPTED.
 */
int fuse_famfs_check_daxdev(const struct fuse_daxdev_out *out, size_t len,
			    u32 index, const char **rule)
{
	if (len != sizeof(*out))
		return BAD("reply is not a struct fuse_daxdev_out");
	if (out->index != index)
		return BAD("reply names another device index");
	if (out->reserved || out->reserved2 || out->reserved3 ||
	    out->reserved4)
		return BAD("reserved field not zero");
	if (!memchr(out->name, '\0', sizeof(out->name)))
		return BAD("device name not NUL-terminated");
	if (out->name[0] != '/')
		return BAD("device name not an absolute path");
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_famfs_check_daxdev);

/**
 * fuse_famfs_devdax_span - can famfs use a device-dax instance's range
 * @start: physical address of the instance (its sysfs "resource")
 * @size: its size in bytes (its sysfs "size")
 * @ranges: the ranges of the dev_pagemap that holds @start
 * @nr: how many
 * @why: on error, why not
 *
 * famfs maps an instance as one run of physical memory: @start and @size
 * page aligned, and [@start, @start + @size) inside the one range of
 * @ranges that holds @start.  An instance whose memory is
 * spread over ranges has its first range at @start and a size larger
 * than that range.
 *
 * Return: 0 or -EOPNOTSUPP.
 */
int fuse_famfs_devdax_span(u64 start, u64 size, const struct range *ranges,
			   int nr, const char **why)
{
	u64 last;
	int i;

	*why = "it has no page-aligned range";
	if (!size || !PAGE_ALIGNED(start) || !PAGE_ALIGNED(size) ||
	    check_add_overflow(start, size - 1, &last))
		return -EOPNOTSUPP;
	*why = "its memory is not one physically contiguous range";
	for (i = 0; i < nr; i++)
		if (start >= ranges[i].start && start <= ranges[i].end)
			return last <= ranges[i].end ? 0 : -EOPNOTSUPP;
	*why = "its range is not in its device pages";
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_famfs_devdax_span);

/* The end of [off, off + len), saturated at U64_MAX. */
static u64 famfs_end(u64 off, u64 len)
{
	u64 end;

	return check_add_overflow(off, len, &end) ? U64_MAX : end;
}

/**
 * fuse_famfs_poison_add - remember a poisoned device range
 * @p: the device's poisoned ranges
 * @off: device offset
 * @len: bytes
 *
 * When the table is full the whole device counts as poisoned.
 */
void fuse_famfs_poison_add(struct fuse_famfs_poison *p, u64 off, u64 len)
{
	if (p->all || !len)
		return;
	if (p->nr == FUSE_FAMFS_MAX_POISON) {
		p->all = true;
		return;
	}
	p->r[p->nr].off = off;
	p->r[p->nr].len = len;
	p->nr++;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_famfs_poison_add);

/* Does [off, off + len) touch a poisoned range? */
bool fuse_famfs_poison_hit(const struct fuse_famfs_poison *p, u64 off,
			   u64 len)
{
	u64 end = famfs_end(off, len);
	u32 i;

	if (p->all)
		return true;
	for (i = 0; i < p->nr; i++)
		if (off < famfs_end(p->r[i].off, p->r[i].len) &&
		    p->r[i].off < end)
			return true;
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_famfs_poison_hit);
