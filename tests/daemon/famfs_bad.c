// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd famfs mode, --bad: files whose GET_FMAP or GET_DAXDEV replies
 * break one rule each, so that a test can check that the kernel refuses
 * every class at open.
 *
 * bad-CLASS files are valid small files on device 0 whose fmap reply is
 * then damaged; baddev-CLASS files use device index FF_BAD_DEV_BASE + n,
 * whose GET_DAXDEV reply is bad in the CLASS way.
 *
 * The caps: bad-33-extents and bad-33-strips send one extent or one strip
 * more than FUSE_FAMFS_MAX_EXTENTS or FUSE_FAMFS_MAX_STRIPS, every one of
 * them present; bad-retry-over-cap asks for FUSE_FAMFS_MAX_FMAP_SIZE + 1
 * bytes.  Two good files sit at the caps: cap-max-fmap has 32 interleaved
 * extents of 32 strips (a reply of 25,376 bytes, after a size retry), and
 * cap-retry-max asks for exactly FUSE_FAMFS_MAX_FMAP_SIZE bytes first.
 * The kernel refuses two strips that back the same file data, so
 * cap-max-fmap's extents each hold their 2 MiB in strip 0, at 2 MiB steps
 * of a 64 MiB range of device 0; its other strips hold no chunk and may
 * share memory.  The other files use the same 2 MiB of device 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "famfs.h"

enum {
	/* the header */
	B_VERSION = 1, B_FILE_TYPE, B_EXT_TYPE, B_RESERVED, B_NEXTENTS,
	B_SHORT_HEADER,
	/* simple extents */
	B_SHORT_EXTENT, B_TRAILING, B_ZERO_LEN, B_OFFSET, B_LENGTH,
	B_DEVINDEX, B_OVERFLOW, B_SHORT_COVER, B_PAST_END,
	/* interleaved extents */
	B_ZERO_STRIPS, B_STRIPS, B_CHUNK, B_SHORT_STRIP, B_SHORT_IEXT,
	/* the size retry and errors */
	B_RETRY_TWICE, B_RETRY_HUGE, B_RETRY_FITS, B_ENOSYS,
	/* the caps, one over and at */
	B_CAP_EXTENTS, B_CAP_STRIPS, B_RETRY_OVER_CAP, B_CAP_MAX,
	B_RETRY_AT_CAP,
	/* GET_DAXDEV replies */
	D_FIRST,
	D_ENOENT = D_FIRST, D_NOTDEVDAX, D_NOTDAX, D_INDEX, D_UNTERMINATED,
	D_RELATIVE, D_ERROR, D_BUSY, D_NOTDEV, D_NODEV,
	B_NR
};

static const struct {
	const char *name;
	int ilv;
} bad_classes[B_NR] = {
	[B_VERSION]	 = { "bad-version", 0 },
	[B_FILE_TYPE]	 = { "bad-file-type", 0 },
	[B_EXT_TYPE]	 = { "bad-ext-type", 0 },
	[B_RESERVED]	 = { "bad-reserved", 0 },
	[B_NEXTENTS]	 = { "bad-nextents", 0 },
	[B_SHORT_HEADER] = { "bad-short-header", 0 },
	[B_SHORT_EXTENT] = { "bad-short-extent", 0 },
	[B_TRAILING]	 = { "bad-trailing", 0 },
	[B_ZERO_LEN]	 = { "bad-zero-length", 0 },
	[B_OFFSET]	 = { "bad-misaligned-offset", 0 },
	[B_LENGTH]	 = { "bad-misaligned-length", 0 },
	[B_DEVINDEX]	 = { "bad-device-index", 0 },
	[B_OVERFLOW]	 = { "bad-overflow", 0 },
	[B_SHORT_COVER]	 = { "bad-short-cover", 0 },
	[B_PAST_END]	 = { "bad-past-device-end", 0 },
	[B_ZERO_STRIPS]	 = { "bad-zero-strips", 1 },
	[B_STRIPS]	 = { "bad-too-many-strips", 1 },
	[B_CHUNK]	 = { "bad-misaligned-chunk", 1 },
	[B_SHORT_STRIP]	 = { "bad-short-strip", 1 },
	[B_SHORT_IEXT]	 = { "bad-short-iext", 1 },
	[B_RETRY_TWICE]	 = { "bad-retry-twice", 0 },
	[B_RETRY_HUGE]	 = { "bad-retry-huge", 0 },
	[B_RETRY_FITS]	 = { "bad-retry-fits", 0 },
	[B_ENOSYS]	 = { "bad-enosys", 0 },
	[B_CAP_EXTENTS]	 = { "bad-33-extents", 0 },
	[B_CAP_STRIPS]	 = { "bad-33-strips", 1 },
	[B_RETRY_OVER_CAP] = { "bad-retry-over-cap", 0 },
	[B_CAP_MAX]	 = { "cap-max-fmap", 1 },
	[B_RETRY_AT_CAP] = { "cap-retry-max", 0 },
	[D_ENOENT]	 = { "baddev-enoent", 0 },
	[D_NOTDEVDAX]	 = { "baddev-notdevdax", 0 },
	[D_NOTDAX]	 = { "baddev-notdax", 0 },
	[D_INDEX]	 = { "baddev-index", 0 },
	[D_UNTERMINATED] = { "baddev-unterminated", 0 },
	[D_RELATIVE]	 = { "baddev-relative", 0 },
	[D_ERROR]	 = { "baddev-error", 0 },
	[D_BUSY]	 = { "baddev-busy", 0 },
	[D_NOTDEV]	 = { "baddev-notdev", 0 },
	[D_NODEV]	 = { "baddev-nodev", 0 },
};

/* One file per class, laid out on device 0's spare range. */
int ff_add_bad_files(struct famfsd *d)
{
	struct ff_file *f;
	uint64_t spare;
	int c, err;

	err = ff_spare(d, 0, &spare);
	if (err)
		return err;
	for (c = 1; c < B_NR; c++) {
		if (d->nfiles == FF_MAX_FILES)
			return -ENOSPC;
		f = &d->files[d->nfiles++];
		memset(f, 0, sizeof(*f));
		snprintf(f->name, sizeof(f->name), "%s", bad_classes[c].name);
		f->bad = c;
		f->nextents = 1;
		f->e = calloc(1, sizeof(*f->e));
		if (!f->e)
			return -ENOMEM;
		if (bad_classes[c].ilv) {
			/* 2 chunks over 2 strips, both on the spare range */
			f->ext_type = FUSE_FAMFS_EXT_INTERLEAVE;
			f->size = 2 * FF_ALIGN;
			f->e->len = 2 * FF_ALIGN;
			f->e->chunk = FF_ALIGN;
			f->e->nstrips = 2;
			f->e->s[0] = (struct ff_strip){ 0, spare, FF_ALIGN };
			f->e->s[1] = (struct ff_strip){ 0, spare, FF_ALIGN };
			if (c == B_CAP_MAX) {
				f->size = FUSE_FAMFS_MAX_EXTENTS * FF_ALIGN;
				err = ff_alloc(d, 0, f->size, &f->e->s[0].off);
				if (err)
					return err;
				f->e->s[1].off = f->e->s[0].off;
			}
			continue;
		}
		f->ext_type = FUSE_FAMFS_EXT_SIMPLE;
		f->size = FF_ALIGN;
		f->e->len = FF_ALIGN;
		f->e->nstrips = 1;
		f->e->s[0] = (struct ff_strip){ 0, spare, FF_ALIGN };
		if (c >= D_FIRST)
			f->e->s[0].dev = FF_BAD_DEV_BASE + c - D_FIRST;
		if (c == B_CAP_EXTENTS)
			f->size = (FUSE_FAMFS_MAX_EXTENTS + 1) * FF_ALIGN;
		if (c == B_PAST_END)
			f->e->s[0].off = (d->devs[0].size + FF_ALIGN - 1) /
					 FF_ALIGN * FF_ALIGN;
	}
	return 0;
}

static size_t put(void *buf, size_t len, size_t max, const void *p, size_t n)
{
	if (len + n <= max)
		memcpy((char *)buf + len, p, n);
	return len + n;
}

/*
 * An fmap of @f's size with @nextents extents that each map 2 MiB of the
 * file, with @nstrips strips if interleaved.  Every strip is @f's first
 * one, but for @step: then extent i's first strip, the one that holds
 * its chunk, starts i * @step bytes further.
 */
static size_t cap_fmap(const struct ff_file *f, void *buf, size_t max,
		       uint32_t nextents, uint32_t nstrips, uint64_t step)
{
	struct fuse_famfs_fmap_header h = {
		.file_type = FUSE_FAMFS_FILE_REG,
		.fmap_version = FUSE_FAMFS_FMAP_VERSION,
		.ext_type = nstrips ? FUSE_FAMFS_EXT_INTERLEAVE :
				      FUSE_FAMFS_EXT_SIMPLE,
		.nextents = nextents,
		.file_size = f->size,
	};
	struct fuse_famfs_iext ie = {
		.ie_nstrips = nstrips,
		.ie_chunk_size = FF_ALIGN,
		.ie_nbytes = FF_ALIGN,
	};
	struct fuse_famfs_simple_ext se = {
		.se_devindex = f->e->s[0].dev,
		.se_offset = f->e->s[0].off,
		.se_len = FF_ALIGN,
	};
	size_t len = put(buf, 0, max, &h, sizeof(h));
	uint32_t i, j;

	for (i = 0; i < nextents; i++) {
		if (nstrips)
			len = put(buf, len, max, &ie, sizeof(ie));
		for (j = 0; j < (nstrips ? nstrips : 1); j++) {
			se.se_offset = f->e->s[0].off + (j ? 0 : i * step);
			len = put(buf, len, max, &se, sizeof(se));
		}
	}
	return len;
}

/*
 * The damaged GET_FMAP reply of bad file @f, for a kernel buffer of
 * @bufsize: its length, or a negative errno to answer with.
 */
ssize_t ff_bad_fmap(const struct famfsd *d, const struct ff_file *f,
		    void *buf, size_t max, uint32_t bufsize)
{
	struct fuse_famfs_fmap_header *h = buf;
	struct fuse_famfs_simple_ext *se = (void *)(h + 1);
	struct fuse_famfs_iext *ie = (void *)(h + 1);
	size_t len = ff_fmap(f, buf, max);
	uint32_t *need = buf;

	(void)d;
	switch (f->bad) {
	case B_VERSION:
		h->fmap_version = FUSE_FAMFS_FMAP_VERSION + 1;
		break;
	case B_FILE_TYPE:
		h->file_type = FUSE_FAMFS_FILE_LOG + 1;
		break;
	case B_EXT_TYPE:
		h->ext_type = 7;
		break;
	case B_RESERVED:
		h->reserved0 = 1;
		break;
	case B_NEXTENTS:
		h->nextents = FUSE_FAMFS_MAX_EXTENTS + 1;
		break;
	case B_SHORT_HEADER:
		len = sizeof(*h) - 8;
		break;
	case B_SHORT_EXTENT:
		len -= 8;
		break;
	case B_TRAILING:
		memset((char *)buf + len, 0, 8);
		len += 8;
		break;
	case B_ZERO_LEN:
		se->se_len = 0;
		break;
	case B_OFFSET:
		se->se_offset += 4096;
		break;
	case B_LENGTH:
		se->se_len += 4096;
		break;
	case B_DEVINDEX:
		se->se_devindex = 40;
		break;
	case B_OVERFLOW:
		se->se_offset = ~(FF_ALIGN - 1);
		break;
	case B_SHORT_COVER:
		h->file_size = f->e->len + 1;
		break;
	case B_ZERO_STRIPS:
		ie->ie_nstrips = 0;
		break;
	case B_STRIPS:
		ie->ie_nstrips = FUSE_FAMFS_MAX_STRIPS + 1;
		break;
	case B_CHUNK:
		/* 4 KiB and 2 MiB chunks are famfs's; any page multiple goes */
		ie->ie_chunk_size = FF_ALIGN / 2 + 512;
		break;
	case B_SHORT_STRIP:
		/* 3 chunks over 2 strips: strip 0 needs two of them */
		ie->ie_nbytes = 3 * FF_ALIGN;
		h->file_size = 3 * FF_ALIGN;
		break;
	case B_SHORT_IEXT:
		len = sizeof(*h) + sizeof(*ie) - 4;
		break;
	case B_RETRY_TWICE:
		*need = bufsize * 2;
		return sizeof(*need);
	case B_RETRY_HUGE:
		*need = FUSE_FAMFS_MAX_FMAP_SIZE * 2;
		return sizeof(*need);
	case B_RETRY_FITS:
		*need = 64;
		return sizeof(*need);
	case B_ENOSYS:
		return -ENOSYS;
	case B_CAP_EXTENTS:
		return cap_fmap(f, buf, max, FUSE_FAMFS_MAX_EXTENTS + 1, 0, 0);
	case B_CAP_STRIPS:
		return cap_fmap(f, buf, max, 1, FUSE_FAMFS_MAX_STRIPS + 1, 0);
	case B_RETRY_OVER_CAP:
		*need = FUSE_FAMFS_MAX_FMAP_SIZE + 1;
		return sizeof(*need);
	case B_CAP_MAX:
		return cap_fmap(f, buf, max, FUSE_FAMFS_MAX_EXTENTS,
				FUSE_FAMFS_MAX_STRIPS, FF_ALIGN);
	case B_RETRY_AT_CAP:
		if (bufsize >= FUSE_FAMFS_MAX_FMAP_SIZE)
			break;
		*need = FUSE_FAMFS_MAX_FMAP_SIZE;
		return sizeof(*need);
	}
	return len;
}

/* GET_DAXDEV for a bad device index: fill @out, or a negative errno. */
int ff_bad_daxdev(const struct famfsd *d, uint32_t index,
		  struct fuse_daxdev_out *out)
{
	int c = index - FF_BAD_DEV_BASE + D_FIRST;

	if (index < FF_BAD_DEV_BASE || c >= B_NR)
		return -ENODEV;
	out->index = index;
	switch (c) {
	case D_ENOENT:
		strcpy(out->name, "/dev/famfs-no-such-device");
		break;
	case D_NOTDEVDAX:
		strcpy(out->name, "/dev/null");
		break;
	case D_NOTDEV:
		strcpy(out->name, "/usr/bin/fusetd");
		break;
	case D_NOTDAX:
		strcpy(out->name, "/dev/vdb");
		break;
	case D_NODEV:
		/* the test makes it: device 0's node on a nodev tmpfs */
		strcpy(out->name, FF_NODEV_PATH);
		break;
	case D_INDEX:
		out->index = index + 1;
		strcpy(out->name, d->devs[0].path);
		break;
	case D_UNTERMINATED:
		memset(out->name, 'x', sizeof(out->name));
		out->name[0] = '/';
		break;
	case D_RELATIVE:
		strcpy(out->name, "dev/pmem0");
		break;
	case D_ERROR:
		return -ENODEV;
	case D_BUSY:
		/* device 0 again, under another index: already claimed */
		snprintf(out->name, sizeof(out->name), "%s", d->devs[0].path);
		break;
	}
	return 0;
}
