// SPDX-License-Identifier: GPL-2.0
/*
 * cachestress: I/O through cached mappings while the same file's layout
 * changes.  Two threads share one file, each checking its own region
 * against a shadow copy after every operation:
 *
 *   io:     [0, 8 MiB): random 4 KiB direct and buffered reads and
 *           overwrites, served from the mapping cache once it is warm;
 *   layout: [16 MiB, 32 MiB): punch, zero range, direct writes, clones
 *           within the region, truncate down and back up, fsync.
 *
 * Every layout change drops cached mappings and moves the inode's
 * sequence number while the io thread uses mappings of the same inode: a
 * stale mapping shows up as a mismatch in either region.  Both regions
 * are checked whole at the end, directly and through the page cache.
 *
 *   cachestress [-c] FILE OPS SEED
 *
 * -c corrupts the io thread's shadow copy after the setup, to prove that
 * a mismatch is caught.  Prints the operations done.  Exit: 0 ok,
 * 1 mismatch or error, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/fs.h>

#define BS		4096u
#define MIB		(1u << 20)
#define A_OFF		0u
#define A_LEN		(8 * MIB)
#define B_OFF		(16 * MIB)
#define B_LEN		(16 * MIB)
#define B_MAXOP		(256 * 1024u)	/* largest layout change */

struct region {
	const char *name;
	uint64_t off, len;
	unsigned char *shadow;		/* len bytes */
	unsigned char *buf;		/* aligned, B_MAXOP */
	uint64_t rnd;
	unsigned long ops, checks;
	int failed;
};

static const char *path;
static int dfd, bfd;			/* O_DIRECT and buffered */
static unsigned long nr_ops;

static uint64_t rnd(struct region *r, uint64_t n)
{
	r->rnd ^= r->rnd << 13;
	r->rnd ^= r->rnd >> 7;
	r->rnd ^= r->rnd << 17;
	return n ? r->rnd % n : r->rnd;
}

static void fill(struct region *r, unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)rnd(r, 0);
	/* never all zeros: a hole must not pass for data */
	p[0] |= 1;
}

static int fail(struct region *r, const char *what, uint64_t off)
{
	fprintf(stderr, "cachestress: %s: %s at %llu: %s\n", r->name, what,
		(unsigned long long)off, errno ? strerror(errno) : "mismatch");
	r->failed = 1;
	return -1;
}

static int xpwrite(struct region *r, int fd, const void *p, size_t len,
		   uint64_t off)
{
	errno = 0;
	if (pwrite(fd, p, len, off) != (ssize_t)len)
		return fail(r, "write", off);
	return 0;
}

/* Read [off, off + len) and compare it with the shadow. */
static int verify(struct region *r, int fd, uint64_t off, size_t len)
{
	const unsigned char *want = r->shadow + (off - r->off);
	size_t i;

	errno = 0;
	if (pread(fd, r->buf, len, off) != (ssize_t)len)
		return fail(r, fd == dfd ? "direct read" : "read", off);
	r->checks++;
	if (!memcmp(r->buf, want, len))
		return 0;
	for (i = 0; i < len && r->buf[i] == want[i]; i++)
		;
	fprintf(stderr, "cachestress: %s: byte %llu is %#x, want %#x (%s read, op %lu)\n",
		r->name, (unsigned long long)(off + i), r->buf[i], want[i],
		fd == dfd ? "direct" : "buffered", r->ops);
	r->failed = 1;
	return -1;
}

static int io_op(struct region *r)
{
	uint64_t off = r->off + rnd(r, r->len / BS) * BS;
	int fd = rnd(r, 4) ? dfd : bfd;

	if (rnd(r, 2))
		return verify(r, fd, off, BS);
	fill(r, r->buf, BS);
	if (xpwrite(r, fd, r->buf, BS, off))
		return -1;
	memcpy(r->shadow + (off - r->off), r->buf, BS);
	return verify(r, rnd(r, 2) ? dfd : bfd, off, BS);
}

/* A block-aligned range inside the region, at most B_MAXOP long. */
static void range(struct region *r, uint64_t *off, uint64_t *len)
{
	*len = (1 + rnd(r, B_MAXOP / BS)) * BS;
	*off = r->off + rnd(r, (r->len - *len) / BS + 1) * BS;
}

static int layout_op(struct region *r)
{
	uint64_t off, len, src, size;
	struct file_clone_range fcr;
	int op = rnd(r, 6);

	range(r, &off, &len);
	switch (op) {
	case 0:
	case 1:
		errno = 0;
		if (fallocate(dfd, FALLOC_FL_KEEP_SIZE |
			      (op ? FALLOC_FL_ZERO_RANGE :
				    FALLOC_FL_PUNCH_HOLE), off, len))
			return fail(r, op ? "zero range" : "punch", off);
		memset(r->shadow + (off - r->off), 0, len);
		break;
	case 2:
		fill(r, r->buf, len);
		if (xpwrite(r, dfd, r->buf, len, off))
			return -1;
		memcpy(r->shadow + (off - r->off), r->buf, len);
		break;
	case 3:
		/* clone another range of the region over this one */
		src = r->off + rnd(r, (r->len - len) / BS + 1) * BS;
		if (src < off + len && off < src + len)
			return 0;
		fcr = (struct file_clone_range) {
			.src_fd = dfd, .src_offset = src,
			.src_length = len, .dest_offset = off,
		};
		errno = 0;
		if (ioctl(dfd, FICLONERANGE, &fcr))
			return fail(r, "clone", off);
		memmove(r->shadow + (off - r->off),
			r->shadow + (src - r->off), len);
		break;
	case 4:
		/* truncate into the region and grow back */
		size = off;
		errno = 0;
		if (ftruncate(dfd, size) ||
		    ftruncate(dfd, r->off + r->len))
			return fail(r, "truncate", size);
		memset(r->shadow + (size - r->off), 0,
		       r->off + r->len - size);
		break;
	default:
		errno = 0;
		if (fsync(dfd))
			return fail(r, "fsync", 0);
		break;
	}
	return verify(r, rnd(r, 2) ? dfd : bfd, off, len);
}

static void *run(void *arg)
{
	struct region *r = arg;
	int (*op)(struct region *) = r->off == A_OFF ? io_op : layout_op;

	for (r->ops = 0; r->ops < nr_ops && !r->failed; r->ops++)
		if (op(r))
			break;
	return NULL;
}

static int verify_all(struct region *r)
{
	uint64_t off;

	for (off = r->off; off < r->off + r->len; off += B_MAXOP)
		if (verify(r, dfd, off, B_MAXOP) || verify(r, bfd, off, B_MAXOP))
			return -1;
	return 0;
}

static int setup(struct region *r, const char *name, uint64_t off,
		 uint64_t len, uint64_t seed)
{
	uint64_t o;

	r->name = name;
	r->off = off;
	r->len = len;
	r->rnd = seed * 2654435761u + off + 1;
	r->shadow = malloc(len);
	if (!r->shadow || posix_memalign((void **)&r->buf, BS, B_MAXOP))
		return -1;
	fill(r, r->shadow, len);
	for (o = 0; o < len; o += B_MAXOP) {
		memcpy(r->buf, r->shadow + o, B_MAXOP);	/* aligned */
		if (xpwrite(r, dfd, r->buf, B_MAXOP, off + o))
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct region a = { 0 }, b = { 0 };
	int corrupt = 0;
	pthread_t ta, tb;
	uint64_t seed;

	if (argc == 5 && !strcmp(argv[1], "-c")) {
		corrupt = 1;
		argc--;
		argv++;
	}
	if (argc != 4)
		goto usage;
	path = argv[1];
	nr_ops = strtoul(argv[2], NULL, 0);
	seed = strtoull(argv[3], NULL, 0);
	if (!nr_ops)
		goto usage;

	dfd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0644);
	bfd = open(path, O_RDWR);
	if (dfd < 0 || bfd < 0) {
		perror(path);
		return 1;
	}
	if (setup(&a, "io", A_OFF, A_LEN, seed) ||
	    setup(&b, "layout", B_OFF, B_LEN, seed)) {
		perror("setup");
		return 1;
	}
	if (corrupt)
		a.shadow[12345] ^= 0x40;
	if (pthread_create(&ta, NULL, run, &a) ||
	    pthread_create(&tb, NULL, run, &b)) {
		perror("pthread_create");
		return 1;
	}
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	if (!a.failed && !b.failed && (verify_all(&a) || verify_all(&b)))
		return 1;
	printf("io: %lu ops, %lu checks; layout: %lu ops, %lu checks\n",
	       a.ops, a.checks, b.ops, b.checks);
	return a.failed || b.failed;
usage:
	fprintf(stderr, "usage: cachestress [-c] FILE OPS SEED\n");
	return 2;
}
