// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd famfs mode: devices, file layouts, the data pattern laid down on
 * the devices and checked there, and the GET_FMAP reply of a layout.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>

#include "pattern.h"
#include "famfs.h"
#include "personality.h"

#define IO_CHUNK	(1U << 20)

/* Attribute @attr of device-dax instance @rdev: "size" or "align". */
static int devdax_attr(dev_t rdev, const char *attr, uint64_t *val)
{
	char path[64];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/%s", major(rdev),
		 minor(rdev), attr);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fscanf(f, "%" SCNu64, val);
	fclose(f);
	return n == 1 ? 0 : -EINVAL;
}

/*
 * A block device (pmem) is read and written with O_DIRECT; a devdax
 * char device has no read or write, only mmap (see dev_io()).
 */
int ff_add_dev(struct famfsd *d, const char *path)
{
	struct ff_dev *dev;
	struct stat st;
	int fd, err;

	if (d->ndevs == FF_MAX_DEVS)
		return -ENOSPC;
	if (stat(path, &st) < 0)
		return -errno;
	fd = open(path, O_RDWR | O_CLOEXEC |
		  (S_ISCHR(st.st_mode) ? 0 : O_DIRECT));
	if (fd < 0)
		return -errno;
	dev = &d->devs[d->ndevs];
	dev->path = path;
	dev->fd = fd;
	dev->devdax = S_ISCHR(st.st_mode);
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &dev->size) < 0)
			return -errno;
	} else if (dev->devdax) {
		err = devdax_attr(st.st_rdev, "size", &dev->size);
		if (!err)
			err = devdax_attr(st.st_rdev, "align", &dev->align);
		if (err)
			return err;
	} else {
		dev->size = st.st_size;
	}
	d->ndevs++;
	return 0;
}

/*
 * @len bytes at @off of @dev to or from @buf; both multiples of 4 KiB.  A
 * devdax instance is mapped for the copy, in its own page size (align).
 */
static int dev_io(const struct ff_dev *dev, void *buf, uint64_t len,
		  uint64_t off, int write)
{
	uint64_t start, maplen;
	char *p;

	if (!dev->devdax) {
		if (write)
			return pwrite(dev->fd, buf, len, off) == (ssize_t)len ?
			       0 : -EIO;
		return pread(dev->fd, buf, len, off) == (ssize_t)len ?
		       0 : -EIO;
	}
	if (off + len > dev->size)
		return -EIO;
	start = off & ~(dev->align - 1);
	maplen = (off + len - start + dev->align - 1) & ~(dev->align - 1);
	p = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, dev->fd,
		 start);
	if (p == MAP_FAILED)
		return -errno;
	if (write)
		memcpy(p + (off - start), buf, len);
	else
		memcpy(buf, p + (off - start), len);
	munmap(p, maplen);
	return 0;
}

/*
 * --hold-map: map the pages of the first strip of @f's first extent
 * through the devdax char device, touch each, and keep the mapping.
 */
int ff_hold_map(struct famfsd *d, const struct ff_file *f)
{
	const struct ff_strip *s = &f->e[0].s[0];
	const struct ff_dev *dev = &d->devs[s->dev];
	uint64_t i, len = s->len < FF_ALIGN ? s->len : FF_ALIGN;
	volatile unsigned char *p;
	unsigned int sum = 0;

	if (!dev->devdax)
		return -ENODEV;
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, dev->fd, s->off);
	if (p == MAP_FAILED)
		return -errno;
	for (i = 0; i < len; i += 4096)
		sum += p[i];
	(void)sum;
	return 0;	/* mapped until the daemon exits */
}

/* A byte count with an optional K, M or G suffix. */
static int parse_bytes(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'K': case 'k':
		*v <<= 10;
		end++;
		break;
	case 'M': case 'm':
		*v <<= 20;
		end++;
		break;
	case 'G': case 'g':
		*v <<= 30;
		end++;
		break;
	}
	return *end ? -1 : 0;
}

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

int ff_alloc(struct famfsd *d, uint32_t dev, uint64_t len, uint64_t *off)
{
	struct ff_dev *dv = &d->devs[dev];

	if (dv->next + len > dv->size)
		return -ENOSPC;
	*off = dv->next;
	/* a gap, so that a mapping that runs over reads foreign bytes */
	dv->next += len + FF_ALIGN;
	return 0;
}

/* A 2 MiB range per device for strips that hold no data, shared. */
int ff_spare(struct famfsd *d, uint32_t dev, uint64_t *off)
{
	int err = 0;

	if (!d->spare_set[dev])
		err = ff_alloc(d, dev, FF_ALIGN, &d->spare[dev]);
	d->spare_set[dev] = !err;
	*off = d->spare[dev];
	return err;
}

/* Bytes strip @s of @e holds, counted chunk by chunk. */
static uint64_t strip_need(const struct ff_ext *e, uint32_t s)
{
	uint64_t done, need = 0, c;
	uint32_t k;

	for (k = 0, done = 0; done < e->len; k++, done += c) {
		c = e->len - done < e->chunk ? e->len - done : e->chunk;
		if (k % e->nstrips == s)
			need += c;
	}
	return need;
}

/*
 * Put each strip of interleaved extent @e on a device, from device @first
 * on: room for the chunks it holds, 2 MiB aligned.
 */
static int place_strips(struct famfsd *d, struct ff_ext *e, uint32_t first)
{
	uint32_t j;
	int err;

	for (j = 0; j < e->nstrips; j++) {
		struct ff_strip *s = &e->s[j];

		s->dev = (first + j) % d->ndevs;
		s->len = round_up(strip_need(e, j), FF_ALIGN);
		if (s->len) {
			err = ff_alloc(d, s->dev, s->len, &s->off);
		} else {
			/* holds no chunk: any valid range will do */
			s->len = FF_ALIGN;
			err = ff_spare(d, s->dev, &s->off);
		}
		if (err)
			return err;
	}
	return 0;
}

static int layout_simple(struct famfsd *d, struct ff_file *f, uint64_t ext)
{
	uint64_t cover = round_up(f->size ? f->size : 1, FF_ALIGN), done;
	uint32_t i;
	int err;

	if (!ext || ext % FF_ALIGN)
		return -EINVAL;
	f->ext_type = FUSE_FAMFS_EXT_SIMPLE;
	f->nextents = (cover + ext - 1) / ext;
	if (f->nextents > FUSE_FAMFS_MAX_EXTENTS)
		return -E2BIG;
	f->e = calloc(f->nextents, sizeof(*f->e));
	if (!f->e)
		return -ENOMEM;
	for (i = 0, done = 0; i < f->nextents; i++) {
		struct ff_ext *e = &f->e[i];

		e->len = cover - done < ext ? cover - done : ext;
		e->nstrips = 1;
		e->s[0].dev = i % d->ndevs;
		e->s[0].len = e->len;
		err = ff_alloc(d, e->s[0].dev, e->len, &e->s[0].off);
		if (err)
			return err;
		done += e->len;
	}
	return 0;
}

static int layout_ilv(struct famfsd *d, struct ff_file *f, uint32_t nstrips,
		      uint64_t chunk, uint32_t nextents)
{
	uint64_t cover = round_up(f->size ? f->size : 1, FF_ALIGN), per, done;
	uint32_t i;
	int err;

	if (!nstrips || nstrips > FUSE_FAMFS_MAX_STRIPS || !chunk ||
	    chunk % FF_ALIGN || !nextents ||
	    nextents > FUSE_FAMFS_MAX_EXTENTS)
		return -EINVAL;
	per = round_up((cover + nextents - 1) / nextents, FF_ALIGN);
	f->ext_type = FUSE_FAMFS_EXT_INTERLEAVE;
	f->e = calloc(nextents, sizeof(*f->e));
	if (!f->e)
		return -ENOMEM;
	for (i = 0, done = 0; i < nextents && done < cover; i++) {
		struct ff_ext *e = &f->e[i];

		e->len = cover - done < per ? cover - done : per;
		e->chunk = chunk;
		e->nstrips = nstrips;
		err = place_strips(d, e, i);
		if (err)
			return err;
		done += e->len;
		f->nextents++;
	}
	return 0;
}

/*
 * As famfs_fused lays out an interleaved file: one extent of exactly the
 * file's size (ie_nbytes need not be a 2 MiB multiple), in d->chunk
 * chunks; each strip still a 2 MiB multiple of the device.
 */
static int layout_ilv_famfs(struct famfsd *d, struct ff_file *f,
			    uint32_t nstrips)
{
	struct ff_ext *e;

	if (!nstrips || nstrips > FUSE_FAMFS_MAX_STRIPS || !f->size)
		return -EINVAL;
	f->ext_type = FUSE_FAMFS_EXT_INTERLEAVE;
	f->e = calloc(1, sizeof(*f->e));
	if (!f->e)
		return -ENOMEM;
	f->nextents = 1;
	e = &f->e[0];
	e->len = f->size;
	e->chunk = d->chunk;
	e->nstrips = nstrips;
	return place_strips(d, e, 0);
}

/*
 * NAME:SIZE:simple:EXT or NAME:SIZE:ilv:NSTRIPS:CHUNK[:NEXTENTS]; under
 * the famfs personality CHUNK and NEXTENTS of ilv are not used.
 */
int ff_add_spec(struct famfsd *d, const char *spec)
{
	char buf[256], *fld[6] = { NULL }, *save = NULL, *p;
	uint64_t v[3] = { 0, 0, 1 };
	struct ff_file *f;
	int n = 0, i;

	if (!d->ndevs || d->nfiles == FF_MAX_FILES ||
	    snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf))
		return -EINVAL;
	for (p = strtok_r(buf, ":", &save); p && n < 6;
	     p = strtok_r(NULL, ":", &save))
		fld[n++] = p;
	if (n < 4 || strlen(fld[0]) >= sizeof(f->name))
		return -EINVAL;
	f = &d->files[d->nfiles];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", fld[0]);
	if (parse_bytes(fld[1], &f->size))
		return -EINVAL;
	for (i = 3; i < n; i++)
		if (parse_bytes(fld[i], &v[i - 3]))
			return -EINVAL;
	d->nfiles++;
	f->seed = d->nfiles;
	if (!strcmp(fld[2], "simple") && n == 4)
		return layout_simple(d, f, v[0]);
	if (!strcmp(fld[2], "ilv") && (n == 5 || n == 6) &&
	    d->personality == FT_PERS_FAMFS)
		return layout_ilv_famfs(d, f, v[0]);
	if (!strcmp(fld[2], "ilv") && (n == 5 || n == 6))
		return layout_ilv(d, f, v[0], v[1], v[2]);
	return -EINVAL;
}

struct ff_file *ff_find(struct famfsd *d, const char *name)
{
	unsigned int i;

	for (i = 0; i < d->nfiles; i++)
		if (!strcmp(d->files[i].name, name))
			return &d->files[i];
	return NULL;
}

/*
 * Visit the file's bytes below @end as device ranges, in file order:
 * fn(file offset, device, device offset, length).  Interleaved extents
 * are walked chunk by chunk, independently of the kernel's arithmetic.
 */
typedef int (*ff_piece_fn)(struct famfsd *d, uint64_t seed, uint64_t foff,
			   uint32_t dev, uint64_t doff, uint64_t len);

static int ff_walk(struct famfsd *d, const struct ff_file *f, uint64_t end,
		   uint64_t seed, ff_piece_fn fn)
{
	uint64_t base = 0, cur[FUSE_FAMFS_MAX_STRIPS], cb, c;
	uint32_t i, k;
	int err;

	for (i = 0; i < f->nextents && base < end; i++) {
		const struct ff_ext *e = &f->e[i];

		if (f->ext_type == FUSE_FAMFS_EXT_SIMPLE) {
			c = end - base < e->len ? end - base : e->len;
			err = fn(d, seed, base, e->s[0].dev, e->s[0].off, c);
			if (err)
				return err;
			base += e->len;
			continue;
		}
		memset(cur, 0, sizeof(cur));
		for (k = 0, cb = base; cb < base + e->len && cb < end;
		     k++, cb += c) {
			const struct ff_strip *s = &e->s[k % e->nstrips];

			c = base + e->len - cb < e->chunk ?
			    base + e->len - cb : e->chunk;
			err = fn(d, seed, cb, s->dev,
				 s->off + cur[k % e->nstrips],
				 end - cb < c ? end - cb : c);
			if (err)
				return err;
			cur[k % e->nstrips] += c;
		}
		base += e->len;
	}
	return 0;
}

static void *io_buf(void)
{
	void *p;

	return posix_memalign(&p, 4096, IO_CHUNK) ? NULL : p;
}

static int put_piece(struct famfsd *d, uint64_t seed, uint64_t foff,
		     uint32_t dev, uint64_t doff, uint64_t len)
{
	unsigned char *buf = io_buf();
	uint64_t done, n, w, i;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	/*
	 * Device writes are whole 4 KiB blocks: a piece that ends inside
	 * one (the last chunk of a file whose extent ends at its size)
	 * fills it on with the pattern, in space no other piece uses.
	 */
	for (done = 0; done < len && !err; done += n) {
		n = len - done < IO_CHUNK ? len - done : IO_CHUNK;
		w = (n + 4095) & ~4095ULL;
		for (i = 0; i < w; i++)
			buf[i] = byte_at(seed, foff + done + i);
		err = dev_io(&d->devs[dev], buf, w, doff + done, 1);
	}
	free(buf);
	return err;
}

static int check_piece(struct famfsd *d, uint64_t seed, uint64_t foff,
		       uint32_t dev, uint64_t doff, uint64_t len)
{
	unsigned char *buf = io_buf();
	uint64_t done, n, i;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	/* device reads are whole 4 KiB blocks; compare only the piece */
	for (done = 0; done < len && !err; done += n) {
		n = len - done < IO_CHUNK ? len - done : IO_CHUNK;
		err = dev_io(&d->devs[dev], buf, (n + 4095) & ~4095ULL,
			     doff + done, 0);
		if (err)
			break;
		for (i = 0; i < n; i++) {
			if (buf[i] != byte_at(seed, foff + done + i)) {
				fprintf(stderr,
					"fusetd famfs: file offset %llu (device %u offset %llu): 0x%02x, expected 0x%02x\n",
					(unsigned long long)(foff + done + i),
					dev, (unsigned long long)(doff + done + i),
					buf[i], byte_at(seed, foff + done + i));
				err = -EILSEQ;
				break;
			}
		}
	}
	free(buf);
	return err;
}

/* Write the file's pattern to every byte the extents map. */
int ff_lay_down(struct famfsd *d, const struct ff_file *f, uint64_t seed)
{
	uint64_t mapped = 0;
	uint32_t i;

	for (i = 0; i < f->nextents; i++)
		mapped += f->e[i].len;
	return ff_walk(d, f, mapped, seed, put_piece);
}

/* Check the file's first size bytes on the devices. */
int ff_check(struct famfsd *d, const struct ff_file *f, uint64_t seed)
{
	return ff_walk(d, f, f->size, seed, check_piece);
}

void ff_dump(const struct ff_file *f)
{
	uint32_t i, j;

	printf("%s size %llu seed %llu %s extents %u\n", f->name,
	       (unsigned long long)f->size, (unsigned long long)f->seed,
	       f->ext_type == FUSE_FAMFS_EXT_SIMPLE ? "simple" : "interleaved",
	       f->nextents);
	for (i = 0; i < f->nextents; i++) {
		const struct ff_ext *e = &f->e[i];

		printf("  extent %u: %llu bytes, chunk %llu\n", i,
		       (unsigned long long)e->len,
		       (unsigned long long)e->chunk);
		for (j = 0; j < e->nstrips; j++)
			printf("    strip %u: device %u offset %llu length %llu\n",
			       j, e->s[j].dev,
			       (unsigned long long)e->s[j].off,
			       (unsigned long long)e->s[j].len);
	}
}

static size_t put(void *buf, size_t len, size_t max, const void *v, size_t n)
{
	if (len + n <= max)
		memcpy((char *)buf + len, v, n);
	return len + n;
}

/* The GET_FMAP reply of @f; returns its length (may exceed @max). */
size_t ff_fmap(const struct ff_file *f, void *buf, size_t max)
{
	struct fuse_famfs_fmap_header h = {
		.file_type = FUSE_FAMFS_FILE_REG,
		.fmap_version = FUSE_FAMFS_FMAP_VERSION,
		.ext_type = f->ext_type,
		.nextents = f->nextents,
		.file_size = f->size,
	};
	size_t len = 0;
	uint32_t i, j;

	len = put(buf, len, max, &h, sizeof(h));
	for (i = 0; i < f->nextents; i++) {
		const struct ff_ext *e = &f->e[i];

		if (f->ext_type == FUSE_FAMFS_EXT_INTERLEAVE) {
			struct fuse_famfs_iext ie = {
				.ie_nstrips = e->nstrips,
				.ie_chunk_size = e->chunk,
				.ie_nbytes = e->len,
			};

			len = put(buf, len, max, &ie, sizeof(ie));
		}
		for (j = 0; j < e->nstrips; j++) {
			struct fuse_famfs_simple_ext se = {
				.se_devindex = e->s[j].dev,
				.se_offset = e->s[j].off,
				.se_len = e->s[j].len,
			};

			len = put(buf, len, max, &se, sizeof(se));
		}
	}
	return len;
}
