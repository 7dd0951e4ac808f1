// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd selftest [-v] [--big] [DIR]: exercise the storage layer and the
 * request handlers on an image file in DIR (default $TMPDIR or /tmp),
 * without a kernel: requests are built in the daemon's input buffer and
 * handled as if read from /dev/fuse, replies are read back from a pipe.
 *
 * Every file is mirrored in memory and compared after each step, and the
 * whole store is checked with fsck after each step.  Covered: extent
 * trees (random updates against a model, many leaves, and with --big a
 * file of 1,000,000 extents), clones and copies, copy-on-write writes,
 * every fallocate mode on shared blocks, iomap begin/ioend with the COW
 * fork, FALLOC_FL_UNSHARE_RANGE by the daemon and after the kernel's
 * unshare (FUSE_IOMAP_OP_UNSHARE begins, writeback, ioends), each --fault
 * doing its deliberate harm (and counted), inline files (INLINE begin
 * replies with their data, END with data, moving to a block and back),
 * remount, and fsck catching damage; then the personalities'
 * wire encodings (selftest_pers.c).
 * Ends with "N passed, N failed".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <sys/stat.h>

#include "proto.h"

#define BS		FT_BLOCK_SIZE
#define MAX_FILE	(8U << 20)	/* mirrored file size limit */

static struct fusetd d;
static int reply_fd, verbose;
static uint64_t unique = 1;
static unsigned int passed, failed;
static uint64_t rnd_state = 88172645463325252ULL;

struct mirror {
	uint64_t	ino;
	uint64_t	size;
	char		*data;		/* MAX_FILE bytes */
};

static struct mirror inline_mirror;	/* for the checks after reopening */

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* One check: a TAP line (failures only, unless -v), and the counts. */
void selftest_result(int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		passed++;
	else
		failed++;
	if (ok && !verbose)
		return;
	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* the personality part shares it (selftest_pers.c) */
#define result selftest_result

/* Hand @d one request as if read from /dev/fuse (its replies: a pipe). */
void selftest_handle(struct fusetd *d, uint32_t opcode, uint64_t nodeid,
		     uint64_t unique, const void *a, size_t alen,
		     const void *b, size_t blen)
{
	struct fuse_in_header *h = (void *)d->in_buf;

	memset(h, 0, sizeof(*h));
	h->len = sizeof(*h) + alen + blen;
	h->opcode = opcode;
	h->unique = unique;
	h->nodeid = nodeid;
	memcpy(h + 1, a, alen);
	if (blen)
		memcpy((char *)(h + 1) + alen, b, blen);
	fusetd_handle(d, h->len);
}

/*
 * Send one request; returns the reply's error (negative) or body length,
 * with the body in out (outlen bytes at most).
 */
static int request(uint32_t opcode, uint64_t nodeid, const void *a, size_t alen,
		   const void *b, size_t blen, void *out, size_t outlen)
{
	struct fuse_out_header oh;
	static char body[FT_MAX_IO];
	uint64_t u = unique++;
	ssize_t n;

	selftest_handle(&d, opcode, nodeid, u, a, alen, b, blen);
	if (opcode == FUSE_FORGET)
		return 0;
	n = read(reply_fd, &oh, sizeof(oh));
	if (n != sizeof(oh) || oh.unique != u) {
		result(0, "reply to opcode %u", opcode);
		return -EIO;
	}
	n = oh.len - sizeof(oh);
	if (n && read(reply_fd, body, n) != n) {
		result(0, "reply body of opcode %u", opcode);
		return -EIO;
	}
	if (oh.error)
		return oh.error;
	if (out)
		memcpy(out, body, (size_t)n < outlen ? (size_t)n : outlen);
	return n;
}

static int check_fsck(const char *when)
{
	int problems = store_fsck(&d.st, 0);

	result(!problems, "fsck after %s", when);
	return problems;
}

static uint64_t create(const char *name)
{
	struct fuse_create_in in = { .mode = 0644, .flags = O_RDWR };
	struct fuse_entry_out out[2];
	int n = request(FUSE_CREATE, FT_ROOT_INO, &in, sizeof(in), name,
			strlen(name) + 1, out, sizeof(out));

	result(n > 0, "create %s", name);
	return n > 0 ? out[0].nodeid : 0;
}

static struct ft_inode *inode_of(const struct mirror *m)
{
	return store_inode(&d.st, m->ino);
}

/* Compare a file with its mirror. */
static void verify(const struct mirror *m, const char *what)
{
	static char buf[MAX_FILE];
	struct ft_inode *inode = inode_of(m);
	ssize_t n;

	if (!inode || inode->size != m->size) {
		result(0, "%s: size %llu, want %llu", what,
		       inode ? (unsigned long long)inode->size : 0ULL,
		       (unsigned long long)m->size);
		return;
	}
	n = file_read(&d.st, inode, buf, m->size, 0);
	result(n == (ssize_t)m->size && !memcmp(buf, m->data, m->size),
	       "%s: data", what);
}

static void mirror_write(struct mirror *m, const void *buf, size_t len,
			 uint64_t off)
{
	memcpy(m->data + off, buf, len);
	if (off + len > m->size)
		m->size = off + len;
}

static int do_write(struct mirror *m, uint64_t off, size_t len)
{
	static char buf[FT_MAX_IO];
	struct fuse_write_in in = { .offset = off, .size = len };
	struct fuse_write_out out;
	size_t i;
	int n;

	for (i = 0; i < len; i++)
		buf[i] = rnd();
	n = request(FUSE_WRITE, m->ino, &in, sizeof(in), buf, len, &out,
		    sizeof(out));
	if (n < 0)
		return n;
	mirror_write(m, buf, len, off);
	return out.size == len ? 0 : -EIO;
}

static int do_falloc(struct mirror *m, uint32_t mode, uint64_t off,
		     uint64_t len)
{
	struct fuse_fallocate_in in = { .offset = off, .length = len,
					.mode = mode };
	uint64_t end = off + len;
	int n;

	n = request(FUSE_FALLOCATE, m->ino, &in, sizeof(in), NULL, 0, NULL, 0);
	if (n < 0)
		return n;
	switch (mode & ~FALLOC_FL_KEEP_SIZE) {
	case FALLOC_FL_PUNCH_HOLE:
	case FALLOC_FL_ZERO_RANGE:
		if (off < m->size)
			memset(m->data + off, 0,
			       (end < m->size ? end : m->size) - off);
		break;
	case FALLOC_FL_COLLAPSE_RANGE:
		memmove(m->data + off, m->data + end, m->size - end);
		m->size -= len;
		memset(m->data + m->size, 0, len);
		return 0;
	case FALLOC_FL_INSERT_RANGE:
		memmove(m->data + end, m->data + off, m->size - off);
		memset(m->data + off, 0, len);
		m->size += len;
		return 0;
	}
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > m->size)
		m->size = end;
	return 0;
}

static int do_copy(struct mirror *src, uint64_t off_in, struct mirror *dst,
		   uint64_t off_out, uint64_t len, uint64_t flags,
		   uint32_t *copied)
{
	struct fuse_copy_file_range_in in = {
		.off_in = off_in, .nodeid_out = dst->ino, .off_out = off_out,
		.len = len, .flags = flags,
	};
	struct fuse_write_out out;
	int n;

	n = request(FUSE_COPY_FILE_RANGE, src->ino, &in, sizeof(in), NULL, 0,
		    &out, sizeof(out));
	if (n < 0)
		return n;
	*copied = out.size;
	memmove(dst->data + off_out, src->data + off_in, out.size);
	if (off_out + out.size > dst->size)
		dst->size = off_out + out.size;
	return 0;
}

static int do_truncate(struct mirror *m, uint64_t size)
{
	struct fuse_setattr_in in = { .valid = FATTR_SIZE, .size = size };
	struct fuse_attr_out out;
	int n;

	n = request(FUSE_SETATTR, m->ino, &in, sizeof(in), NULL, 0, &out,
		    sizeof(out));
	if (n < 0)
		return n;
	if (size < m->size)
		memset(m->data + size, 0, m->size - size);
	m->size = size;
	return 0;
}

static int begin(uint64_t ino, uint32_t op, uint64_t pos, uint64_t count,
		 struct fuse_iomap_begin_out *out)
{
	struct fuse_iomap_begin_in in = {
		.opflags = op, .attr_ino = ino, .pos = pos, .count = count,
	};

	return request(FUSE_IOMAP_BEGIN, ino, &in, sizeof(in), NULL, 0, out,
		       sizeof(*out));
}

static int ioend(uint64_t ino, uint32_t flags, int error, uint64_t pos,
		 uint64_t written, uint64_t new_addr, uint64_t *newsize)
{
	struct fuse_iomap_ioend_in in = {
		.flags = flags, .error = error, .attr_ino = ino, .pos = pos,
		.new_addr = new_addr, .written = written,
	};
	struct fuse_iomap_ioend_out out = { 0 };
	int n = request(FUSE_IOMAP_IOEND, ino, &in, sizeof(in), NULL, 0, &out,
			sizeof(out));

	*newsize = out.newsize;
	return n < 0 ? n : 0;
}

/* What the kernel does with a write mapping: put the data on the device. */
static int kernel_write(struct mirror *m, const struct fuse_iomap_io *io,
			uint64_t pos, size_t len)
{
	static char buf[FT_MAX_IO];
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = rnd();
	if (pwrite(d.st.fd, buf, len, io->addr + (pos - io->offset)) !=
	    (ssize_t)len)
		return -EIO;
	fsync(d.st.fd);
	memcpy(m->data + pos, buf, len);
	return 0;
}

static uint64_t free_blocks(void)
{
	return d.st.sb->free_blocks;
}

static uint64_t event(enum ft_event ev)
{
	return d.stats->events[ev];
}

/* Random extent map updates against a model of block -> (pblk, flags). */
static void test_extent_model(void)
{
	enum { N = 6000, ROUNDS = 3000 };
	static uint64_t model[N];	/* 0: hole, else pblk << 1 | unwritten */
	struct ft_inode *inode;
	uint64_t ino, l, len, i, pblk;
	struct ft_map map;
	unsigned int r, bad = 0, maxleaves = 0;
	int err, f;

	if (store_inode_alloc(&d.st, S_IFREG | 0600, 0, 0, &ino)) {
		result(0, "model: inode");
		return;
	}
	inode = store_inode(&d.st, ino);
	for (r = 0; r < ROUNDS && !bad; r++) {
		l = rnd() % N;
		len = 1 + rnd() % (r % 7 ? 8 : 300);
		if (l + len > N)
			len = N - l;
		if (rnd() % 3) {
			/* unmergeable neighbours: disk blocks far apart */
			pblk = d.st.sb->data_start + rnd() % 1000000;
			f = rnd() % 2;
			err = ext_set(&d.st, inode, l, len, pblk,
				      f ? FT_EXT_UNWRITTEN : 0);
			for (i = 0; !err && i < len; i++)
				model[l + i] = (pblk + i) << 1 | f;
		} else {
			err = ext_replace(&d.st, inode, l, len, NULL, NULL,
					  NULL);
			for (i = 0; !err && i < len; i++)
				model[l + i] = 0;
		}
		if (err) {
			result(0, "model: update %u: %s", r, strerror(-err));
			bad++;
		}
		if (inode->nr_leaves > maxleaves)
			maxleaves = inode->nr_leaves;
		if (r % 100 && r != ROUNDS - 1)
			continue;
		for (l = 0; l < N && !bad; l++) {
			ext_map(&d.st, inode, l, &map);
			if (map.type == FT_MAP_HOLE ? model[l] != 0 :
			    model[l] != (map.pblk << 1 |
					 (map.type == FT_MAP_UNWRITTEN))) {
				result(0, "model: round %u block %llu", r,
				       (unsigned long long)l);
				bad++;
			}
		}
		if (ext_check_tree(&d.st, inode, ino)) {
			result(0, "model: tree after round %u", r);
			bad++;
		}
	}
	result(!bad, "extent map matches a model over %u random updates (up to %u leaves)",
	       ROUNDS, maxleaves);
	result(maxleaves > 2, "the model test used several leaves");
	/* the model's blocks were never allocated: forget them */
	ext_replace(&d.st, inode, 0, UINT64_MAX, NULL, NULL, NULL);
	result(!inode->nr_leaves && !inode->nr_extents && !inode->blocks,
	       "emptied map is back in the inode");
	inode->nlink = 0;
	store_inode_reclaim(&d.st, ino);
	check_fsck("the extent model test");
}

/* Fragment a file into many extents: every other block from start on. */
static void test_fragment(struct mirror *m, uint64_t start, unsigned int nr)
{
	unsigned int i, before = inode_of(m)->nr_extents;
	int err = 0;

	for (i = 0; i < nr && !err; i++)
		err = do_write(m, start + (uint64_t)i * 2 * BS + 100, 10);
	result(!err, "fragmented writes");
	result(inode_of(m)->nr_extents == before + nr,
	       "%u extents, %u more", inode_of(m)->nr_extents, nr);
	result(inode_of(m)->nr_leaves > 1, "%u leaves",
	       inode_of(m)->nr_leaves);
	verify(m, "fragmented file");
	check_fsck("fragmenting");
}

static void test_clone(struct mirror *a, struct mirror *b)
{
	uint64_t before = free_blocks(), shared;
	uint32_t n = 0;
	int err;

	err = do_copy(a, 0, b, 0, a->size, FUSE_COPY_FILE_RANGE_CLONE, &n);
	result(!err && n == a->size, "clone of %llu bytes: %s",
	       (unsigned long long)a->size, strerror(-err));
	verify(b, "clone");
	result(free_blocks() == before, "clone took no blocks");
	shared = inode_of(b)->blocks;
	result(shared && inode_of(b)->blocks == inode_of(a)->blocks,
	       "clone maps as many blocks as its source");
	check_fsck("clone");

	err = do_copy(a, 0, a, BS, 2 * BS, FUSE_COPY_FILE_RANGE_CLONE, &n);
	result(err == -EINVAL, "overlapping clone in one file is EINVAL");
	err = do_copy(a, 100, b, 0, BS, FUSE_COPY_FILE_RANGE_CLONE, &n);
	result(err == -EINVAL, "unaligned clone is EINVAL");

	/* copy-on-write by WRITE: a keeps its data */
	before = free_blocks();
	err = do_write(b, 5 * BS + 7, 3 * BS);
	result(!err, "write into shared blocks");
	result(free_blocks() == before - 4, "it took 4 new blocks (%llu)",
	       (unsigned long long)(before - free_blocks()));
	verify(a, "source after writing the clone");
	verify(b, "clone after writing it");
	check_fsck("copy-on-write");

	/* clone into the middle of b, then the EOF tail case */
	err = do_copy(a, 8 * BS, b, 20 * BS, 16 * BS,
		      FUSE_COPY_FILE_RANGE_CLONE, &n);
	result(!err, "clone into the middle");
	verify(b, "clone into the middle");
	err = do_copy(a, a->size / BS * BS, b, 2 * BS, a->size % BS,
		      FUSE_COPY_FILE_RANGE_CLONE, &n);
	result(!err, "clone of the partial EOF block into data");
	verify(b, "EOF block copied, not shared, under data");
	check_fsck("more clones");

	/* plain copy: aligned shares, misaligned copies */
	err = do_copy(a, BS + 10, b, 40 * BS + 10, 5 * BS, 0, &n);
	result(!err && n == 5 * BS, "aligned copy_file_range");
	err = do_copy(a, 3, b, 50 * BS + 11, 3 * BS, 0, &n);
	result(!err && n == 3 * BS, "misaligned copy_file_range");
	verify(b, "copies");
	check_fsck("copy_file_range");
}

static void test_falloc(struct mirror *a, struct mirror *b)
{
	int err;

	err = do_falloc(b, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			3 * BS + 100, 5 * BS);
	result(!err, "punch a shared range");
	err = do_falloc(b, FALLOC_FL_ZERO_RANGE, 9 * BS - 5, 6 * BS + 10);
	result(!err, "zero a shared range");
	err = do_falloc(b, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
			b->size - 10, 3 * BS);
	result(!err, "zero range past EOF, keep size");
	err = do_falloc(b, FALLOC_FL_ZERO_RANGE, b->size - 10, 3 * BS);
	result(!err, "zero range past EOF");
	verify(a, "source after punch/zero of the clone");
	verify(b, "clone after punch/zero");
	check_fsck("punch and zero");

	err = do_falloc(b, FALLOC_FL_COLLAPSE_RANGE, 4 * BS, 3 * BS);
	result(!err, "collapse range");
	err = do_falloc(b, FALLOC_FL_INSERT_RANGE, 2 * BS, 5 * BS);
	result(!err, "insert range");
	verify(b, "collapse and insert");
	verify(a, "source after collapse and insert in the clone");
	err = do_falloc(b, FALLOC_FL_COLLAPSE_RANGE, 4 * BS, 3 * BS + 1);
	result(err == -EINVAL, "unaligned collapse is EINVAL");
	err = do_falloc(b, FALLOC_FL_COLLAPSE_RANGE, b->size / BS * BS - BS,
			2 * BS);
	result(err == -EINVAL, "collapse to EOF is EINVAL");
	err = do_falloc(b, FALLOC_FL_INSERT_RANGE, (b->size + BS) / BS * BS,
			BS);
	result(err == -EINVAL, "insert at EOF is EINVAL");
	err = do_falloc(b, FALLOC_FL_KEEP_SIZE, b->size + 10 * BS, 4 * BS);
	result(!err, "preallocate past EOF");
	err = do_truncate(b, b->size + 5);
	result(!err, "truncate up");
	err = do_truncate(b, b->size - 3 * BS - 100);
	result(!err, "truncate down into a block");
	verify(b, "truncates");
	check_fsck("collapse, insert, truncate");
}

static void test_iomap(struct mirror *a, struct mirror *b)
{
	struct fuse_iomap_begin_out out, again;
	uint64_t newsize, before, pos;
	uint32_t n;
	int err;

	d.iomap = 1;
	d.dev_cookie = 1;
	err = do_copy(a, 0, b, 0, a->size / BS * BS,
		      FUSE_COPY_FILE_RANGE_CLONE, &n);
	result(!err, "clone for iomap");

	err = begin(b->ino, FUSE_IOMAP_OP_WRITE, BS, 2 * BS, &out);
	result(err > 0 && out.write.type == FUSE_IOMAP_TYPE_PURE_OVERWRITE &&
	       out.read.type == FUSE_IOMAP_TYPE_MAPPED,
	       "buffered write over shared blocks: pure overwrite");

	before = free_blocks();
	pos = 2 * BS + 512;
	err = begin(b->ino, FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_DIRECT, pos,
		    3 * BS, &out);
	result(err > 0 && out.write.type == FUSE_IOMAP_TYPE_MAPPED &&
	       out.write.flags == FUSE_IOMAP_F_SHARED &&
	       out.write.offset == 2 * BS && out.write.length == 4 * BS &&
	       out.read.offset == 2 * BS && out.read.length == 4 * BS &&
	       out.write.addr != out.read.addr,
	       "direct write over shared blocks: COW mapping (%u %llu+%llu)",
	       out.write.type, (unsigned long long)out.write.offset,
	       (unsigned long long)out.write.length);
	result(free_blocks() == before - 4, "4 COW fork blocks");
	check_fsck("COW fork allocation");
	err = begin(b->ino, FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_DIRECT, pos,
		    3 * BS, &again);
	result(err > 0 && again.write.addr == out.write.addr &&
	       free_blocks() == before - 4, "a second begin reuses the COW fork");
	err = kernel_write(b, &out.write, pos, 3 * BS);
	err = err ? err : ioend(b->ino, FUSE_IOMAP_IOEND_SHARED |
				FUSE_IOMAP_IOEND_DIRECT, 0, pos, 3 * BS,
				FUSE_IOMAP_NULL_ADDR, &newsize);
	result(!err && newsize == b->size, "shared ioend");
	verify(b, "COW by direct write, edges carried over");
	verify(a, "source after the COW write");
	check_fsck("remap");

	before = free_blocks();
	err = begin(b->ino, FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_WRITEBACK,
		    10 * BS, BS, &out);
	result(err > 0 && out.write.flags == FUSE_IOMAP_F_SHARED,
	       "writeback over shared blocks: COW");
	err = ioend(b->ino, FUSE_IOMAP_IOEND_SHARED | FUSE_IOMAP_IOEND_WRITEBACK,
		    -EIO, 10 * BS, BS, out.write.addr, &newsize);
	result(!err && free_blocks() == before, "a failed ioend frees the COW fork");
	verify(b, "failed writeback changed nothing");
	check_fsck("failed ioend");

	err = begin(b->ino, FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_WRITEBACK,
		    12 * BS, 2 * BS, &out);
	err = err < 0 ? err : kernel_write(b, &out.write, 12 * BS, 2 * BS);
	err = err ? err : ioend(b->ino, FUSE_IOMAP_IOEND_SHARED |
				FUSE_IOMAP_IOEND_WRITEBACK, 0, 12 * BS, 2 * BS,
				out.write.addr, &newsize);
	result(!err, "writeback COW and ioend");
	verify(b, "COW by writeback");

	/* a pending COW fork goes away with truncate */
	before = free_blocks();
	err = begin(b->ino, FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_DIRECT,
		    16 * BS, 2 * BS, &out);
	result(err > 0 && free_blocks() < before, "COW fork for a truncate");
	err = do_truncate(b, 15 * BS + 9);
	result(!err, "truncate over the COW fork");
	verify(b, "truncated");
	check_fsck("truncate over a COW fork");

	/* extending write into a hole */
	pos = (b->size / BS + 3) * BS;
	err = begin(b->ino, FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_DIRECT, pos,
		    BS, &out);
	result(err > 0 && out.write.type == FUSE_IOMAP_TYPE_UNWRITTEN &&
	       out.write.flags == FUSE_IOMAP_F_NEW &&
	       out.read.type == FUSE_IOMAP_TYPE_HOLE,
	       "direct write into a hole: new unwritten blocks");
	err = kernel_write(b, &out.write, pos, 100);
	err = err ? err : ioend(b->ino, FUSE_IOMAP_IOEND_UNWRITTEN |
				FUSE_IOMAP_IOEND_APPEND |
				FUSE_IOMAP_IOEND_DIRECT, 0, pos, 100,
				FUSE_IOMAP_NULL_ADDR, &newsize);
	b->size = pos + 100;
	result(!err && newsize == b->size, "appending ioend sets the size");
	/* the kernel zeroes the rest of a new block; fake it */
	err = file_zero_partial(&d.st, inode_of(b), pos + 100, BS - 100);
	verify(b, "extending direct write");
	check_fsck("extending direct write");
	d.iomap = 0;
}

/* How many blocks of [first, last) of a file are shared, holes, unwritten. */
struct block_census {
	uint64_t	shared;
	uint64_t	holes;
	uint64_t	unwritten;
};

static void census(const struct mirror *m, uint64_t first, uint64_t last,
		   struct block_census *c)
{
	uint64_t lblk, n;
	struct ft_map map;

	memset(c, 0, sizeof(*c));
	for (lblk = first; lblk < last; lblk += n) {
		ext_map(&d.st, inode_of(m), lblk, &map);
		n = map.len < last - lblk ? map.len : last - lblk;
		if (map.type == FT_MAP_HOLE) {
			c->holes += n;
			continue;
		}
		n = block_run(&d.st, map.pblk, n, block_shared(&d.st, map.pblk));
		if (block_shared(&d.st, map.pblk))
			c->shared += n;
		if (map.type == FT_MAP_UNWRITTEN)
			c->unwritten += n;
	}
}

/* What the kernel does with an out-of-place mapping of unshare: copy. */
static int kernel_copy(const struct fuse_iomap_io *from,
		       const struct fuse_iomap_io *to, uint64_t len)
{
	static char buf[FT_MAX_IO];

	if (len > sizeof(buf) ||
	    pread(d.st.fd, buf, len, from->addr) != (ssize_t)len ||
	    pwrite(d.st.fd, buf, len, to->addr) != (ssize_t)len)
		return -EIO;
	fsync(d.st.fd);
	return 0;
}

/*
 * What iomap_file_unshare() and the writeback after it do with the
 * blocks [first, last) of a file: ask with WRITE|UNSHARE, copy where the
 * answer is an out-of-place write from a mapped source, then write those
 * blocks back (WRITEBACK, which must find the same blocks) and end them
 * with a SHARED ioend.  Returns the number of blocks copied, or an error.
 */
static int64_t kernel_unshare(struct mirror *m, uint64_t first, uint64_t last)
{
	struct fuse_iomap_begin_out out, wb;
	uint64_t pos = first * BS, end = last * BS, len, newsize;
	int64_t copied = 0;
	int err;

	while (pos < end) {
		err = begin(m->ino, FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_UNSHARE,
			    pos, end - pos, &out);
		if (err < 0)
			return err;
		if (out.write.type == FUSE_IOMAP_TYPE_PURE_OVERWRITE ||
		    out.write.type == FUSE_IOMAP_TYPE_DELALLOC) {
			len = out.read.offset + out.read.length - pos;
			if (out.write.type == FUSE_IOMAP_TYPE_DELALLOC &&
			    out.read.type != FUSE_IOMAP_TYPE_HOLE)
				return -EUCLEAN;
			pos += len < end - pos ? len : end - pos;
			continue;
		}
		/* iomap_want_unshare_iter() */
		if (!(out.write.flags & FUSE_IOMAP_F_SHARED) ||
		    out.read.type != FUSE_IOMAP_TYPE_MAPPED ||
		    out.write.offset != pos || out.read.offset != pos ||
		    out.write.length != out.read.length)
			return -EUCLEAN;
		len = out.write.length < end - pos ? out.write.length :
						     end - pos;
		err = kernel_copy(&out.read, &out.write, len);
		if (err)
			return err;
		err = begin(m->ino, FUSE_IOMAP_OP_WRITE |
			    FUSE_IOMAP_OP_WRITEBACK, pos, len, &wb);
		if (err < 0)
			return err;
		if (wb.write.addr != out.write.addr ||
		    wb.write.length < len)
			return -ESTALE;
		err = ioend(m->ino, FUSE_IOMAP_IOEND_SHARED |
			    FUSE_IOMAP_IOEND_WRITEBACK, 0, pos, len,
			    wb.write.addr, &newsize);
		if (err)
			return err;
		copied += len / BS;
		pos += len;
	}
	return copied;
}

/*
 * FALLOC_FL_UNSHARE_RANGE: by the daemon alone (classic files), and after
 * the kernel's unshare through IOMAP_BEGIN with FUSE_IOMAP_OP_UNSHARE.
 */
static void test_unshare(struct mirror *a)
{
	struct mirror u = { .data = calloc(1, MAX_FILE) };
	struct mirror v = { .data = calloc(1, MAX_FILE) };
	struct fuse_iomap_begin_out out;
	struct block_census before, after;
	uint64_t freeb, unshared, size, lblk, addr;
	struct ft_map map;
	int64_t copied;
	uint32_t n;
	int err;

	if (!u.data || !v.data)
		goto out;
	u.ino = create("unshare");
	v.ino = create("unshare-iomap");
	if (!u.ino || !v.ino)
		goto out;

	/* 64 shared blocks with a hole, 8 unwritten ones shared in-file */
	err = do_copy(a, 0, &u, 0, 64 * BS, FUSE_COPY_FILE_RANGE_CLONE, &n);
	err = err ? err : do_falloc(&u, FALLOC_FL_PUNCH_HOLE |
				    FALLOC_FL_KEEP_SIZE, 10 * BS, 2 * BS);
	err = err ? err : do_falloc(&u, 0, 64 * BS, 8 * BS);
	err = err ? err : do_copy(&u, 64 * BS, &u, 80 * BS, 8 * BS,
				  FUSE_COPY_FILE_RANGE_CLONE, &n);
	result(!err, "unshare: a file of shared, unwritten and hole blocks");
	census(&u, 0, 88, &before);
	result(before.shared == 62 + 16 && before.holes == 2 + 8 &&
	       before.unwritten == 16,
	       "unshare: %llu shared, %llu holes, %llu unwritten blocks",
	       (unsigned long long)before.shared,
	       (unsigned long long)before.holes,
	       (unsigned long long)before.unwritten);
	check_fsck("setting up unshare");

	/* unaligned both ends: blocks 5..68 */
	freeb = free_blocks();
	unshared = event(FT_EV_UNSHARE_BLOCKS);
	census(&u, 5, 69, &before);
	err = do_falloc(&u, FALLOC_FL_UNSHARE_RANGE, 5 * BS + 100,
			63 * BS + 7);
	census(&u, 5, 69, &after);
	result(!err, "unshare a range: %s", strerror(-err));
	result(!after.shared && !after.holes,
	       "unshare: no shared block and no hole left in the range");
	result(after.unwritten == before.unwritten + 2,
	       "unshare: holes became unwritten, unwritten blocks stayed so");
	result(event(FT_EV_UNSHARE_BLOCKS) - unshared == before.shared &&
	       freeb - free_blocks() == before.shared + before.holes,
	       "unshare: %llu blocks copied, %llu allocated",
	       (unsigned long long)(event(FT_EV_UNSHARE_BLOCKS) - unshared),
	       (unsigned long long)(freeb - free_blocks()));
	census(&u, 0, 5, &after);
	result(after.shared == 5, "unshare: blocks before the range still shared");
	census(&u, 80, 88, &after);
	result(after.shared == 3 && after.unwritten == 8,
	       "unshare: the other owner of the unwritten blocks still shares the rest (%llu shared, %llu unwritten)",
	       (unsigned long long)after.shared,
	       (unsigned long long)after.unwritten);
	result(inode_of(&u)->size == 88 * BS, "unshare within EOF keeps the size");
	verify(&u, "unshared file");
	verify(a, "the source of the unshared blocks");
	check_fsck("unshare");

	freeb = free_blocks();
	unshared = event(FT_EV_UNSHARE_BLOCKS);
	err = do_falloc(&u, FALLOC_FL_UNSHARE_RANGE, 20 * BS, 10 * BS);
	result(!err && free_blocks() == freeb &&
	       event(FT_EV_UNSHARE_BLOCKS) == unshared,
	       "unshare of private blocks changes nothing");

	/* size rules */
	size = u.size;
	err = do_falloc(&u, FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_KEEP_SIZE,
			size - 100, 3 * BS);
	ext_map(&d.st, inode_of(&u), size / BS + 2, &map);
	result(!err && inode_of(&u)->size == size &&
	       map.type == FT_MAP_UNWRITTEN,
	       "unshare past EOF with KEEP_SIZE: blocks, same size");
	err = do_falloc(&u, FALLOC_FL_UNSHARE_RANGE, size + 4 * BS + 1,
			BS + 10);
	result(!err && inode_of(&u)->size == size + 5 * BS + 11,
	       "unshare past EOF grows the file");
	verify(&u, "unshare past EOF");
	err = do_falloc(&u, FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_PUNCH_HOLE |
			FALLOC_FL_KEEP_SIZE, 0, BS);
	result(err == -EOPNOTSUPP, "unshare with punch: EOPNOTSUPP");
	err = do_falloc(&u, FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_ZERO_RANGE,
			0, BS);
	result(err == -EOPNOTSUPP, "unshare with zero: EOPNOTSUPP");
	err = do_falloc(&u, FALLOC_FL_UNSHARE_RANGE |
			FALLOC_FL_COLLAPSE_RANGE, 0, BS);
	result(err == -EOPNOTSUPP, "unshare with collapse: EOPNOTSUPP");
	err = do_falloc(&u, FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_INSERT_RANGE,
			0, BS);
	result(err == -EOPNOTSUPP, "unshare with insert: EOPNOTSUPP");
	err = do_falloc(&u, FALLOC_FL_UNSHARE_RANGE, 0, 0);
	result(err == -EINVAL, "unshare of nothing: EINVAL");
	verify(&u, "refused unshares");
	check_fsck("unshare size rules");

	/* iomap: the kernel copies the written shared blocks */
	d.iomap = 1;
	d.dev_cookie = 1;
	err = do_copy(a, 0, &v, 0, 16 * BS, FUSE_COPY_FILE_RANGE_CLONE, &n);
	err = err ? err : do_falloc(&v, FALLOC_FL_PUNCH_HOLE |
				    FALLOC_FL_KEEP_SIZE, 3 * BS, BS);
	err = err ? err : do_falloc(&v, 0, 16 * BS, 2 * BS);
	err = err ? err : do_copy(&v, 16 * BS, &v, 20 * BS, 2 * BS,
				  FUSE_COPY_FILE_RANGE_CLONE, &n);
	result(!err, "iomap unshare: setting up");

	freeb = free_blocks();
	err = begin(v.ino, FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_UNSHARE, 0,
		    22 * BS, &out);
	result(err > 0 && out.write.type == FUSE_IOMAP_TYPE_MAPPED &&
	       out.write.flags == FUSE_IOMAP_F_SHARED &&
	       out.write.offset == 0 && out.write.length == 3 * BS &&
	       out.read.type == FUSE_IOMAP_TYPE_MAPPED &&
	       out.read.offset == 0 && out.read.length == 3 * BS &&
	       out.read.addr != out.write.addr && free_blocks() == freeb - 3,
	       "UNSHARE begin over shared blocks: COW blocks, the shared ones as source");
	addr = out.write.addr;
	err = begin(v.ino, FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_UNSHARE, BS,
		    BS, &out);
	result(err > 0 && out.write.addr == addr + BS &&
	       free_blocks() == freeb - 3,
	       "a second UNSHARE begin reuses the COW fork");
	err = begin(v.ino, FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_UNSHARE,
		    3 * BS + 5, BS, &out);
	result(err > 0 && out.read.type == FUSE_IOMAP_TYPE_HOLE &&
	       out.write.type == FUSE_IOMAP_TYPE_DELALLOC &&
	       out.write.offset == 3 * BS && out.write.length == BS &&
	       out.write.addr == FUSE_IOMAP_NULL_ADDR && !out.write.dev,
	       "UNSHARE begin over a hole: nothing to copy (delalloc)");
	err = begin(v.ino, FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_UNSHARE,
		    16 * BS, 2 * BS, &out);
	result(err > 0 && out.read.type == FUSE_IOMAP_TYPE_UNWRITTEN &&
	       out.write.type == FUSE_IOMAP_TYPE_PURE_OVERWRITE,
	       "UNSHARE begin over shared unwritten blocks: no copy");
	result(free_blocks() == freeb - 3, "and no COW fork for them");

	copied = kernel_unshare(&v, 0, 22);
	census(&v, 0, 22, &after);
	result(copied == 15 && after.shared == 4 &&
	       !cow_blocks(&d.st, v.ino, NULL, NULL),
	       "the kernel's unshare copied %lld blocks, remapped on ioend",
	       (long long)copied);
	verify(&v, "unshared by the kernel");
	verify(a, "the source of the kernel's unshare");
	check_fsck("the kernel's unshare");
	err = begin(v.ino, FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_UNSHARE, 0,
		    BS, &out);
	result(err > 0 && out.write.type == FUSE_IOMAP_TYPE_PURE_OVERWRITE &&
	       out.read.type == FUSE_IOMAP_TYPE_MAPPED && !out.read.flags,
	       "UNSHARE begin over private blocks: the read mapping");

	unshared = event(FT_EV_UNSHARE_BLOCKS);
	err = do_falloc(&v, FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_KEEP_SIZE, 0,
			22 * BS);
	census(&v, 0, 22, &after);
	result(!err && !after.shared && !after.holes &&
	       event(FT_EV_UNSHARE_BLOCKS) - unshared == 2,
	       "FALLOCATE after it unshares the unwritten blocks, fills the holes");
	for (lblk = 0; lblk < 22; lblk++) {
		err = begin(v.ino, FUSE_IOMAP_OP_REPORT, lblk * BS, BS, &out);
		if (err < 0 || (out.read.flags & FUSE_IOMAP_F_SHARED))
			break;
	}
	result(lblk == 22, "FIEMAP reports no shared block");
	verify(&v, "unshared by FALLOCATE after the kernel");
	check_fsck("unshare of an iomap file");
	d.iomap = 0;
out:
	free(u.data);
	free(v.data);
}

/* Push the mapping of one block as after an ioend; read it off the pipe. */
static int upserted(const struct mirror *m, uint64_t lblk,
		    struct fuse_iomap_upsert_mappings_out *up)
{
	struct fuse_out_header oh;

	d.cache_maxbytes = 1 << 20;
	notify_upsert_range(&d, inode_of(m), lblk, 1, 1);
	d.cache_maxbytes = 0;
	if (read(reply_fd, &oh, sizeof(oh)) != sizeof(oh) ||
	    oh.error != FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS ||
	    oh.len != sizeof(oh) + sizeof(*up) ||
	    read(reply_fd, up, sizeof(*up)) != sizeof(*up))
		return -EIO;
	return 0;
}

/* --fault: each deliberate bug does what fault.c says, and is counted. */
static void test_faults(struct mirror *a)
{
	struct mirror f = { .data = calloc(1, MAX_FILE) };
	struct mirror g = { .data = calloc(1, MAX_FILE) };
	static char scratch[MAX_FILE];
	struct mirror junk = { .data = scratch };
	struct fuse_iomap_upsert_mappings_out up;
	struct fuse_iomap_begin_out out, rd;
	struct fusetd t = { 0 };
	struct block_census c, c0;
	uint64_t fired, newsize, addr;
	struct ft_map map;
	uint32_t n;
	int err;

	result(!fault_parse(&t, "skip-ioend") &&
	       !fault_parse(&t, "stale-map,drop-clone,drop-unshare") &&
	       t.faults == (1U << FT_FAULT_NR) - 1,
	       "--fault takes names and lists of them");
	result(fault_parse(&t, "bogus") && fault_parse(&t, "skip-ioend,") &&
	       fault_parse(&t, "") && fault_parse(&t, "stale-map,bogus"),
	       "--fault refuses unknown names");
	if (!f.data || !g.data)
		goto out;
	f.ino = create("fault");
	g.ino = create("fault2");
	if (!f.ino || !g.ino)
		goto out;
	d.iomap = 1;
	d.dev_cookie = 1;

	/* skip-ioend: a direct write into a hole, and over shared blocks */
	d.faults = 1U << FT_FAULT_SKIP_IOEND;
	fired = event(FT_EV_FAULT_SKIP_IOEND);
	err = begin(f.ino, FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_DIRECT, 0,
		    2 * BS, &out);
	err = err < 0 ? err : kernel_write(&junk, &out.write, 0, 2 * BS);
	err = err ? err : ioend(f.ino, FUSE_IOMAP_IOEND_UNWRITTEN |
				FUSE_IOMAP_IOEND_APPEND |
				FUSE_IOMAP_IOEND_DIRECT, 0, 0, 2 * BS,
				FUSE_IOMAP_NULL_ADDR, &newsize);
	ext_map(&d.st, inode_of(&f), 0, &map);
	result(!err && !newsize && !inode_of(&f)->size &&
	       map.type == FT_MAP_UNWRITTEN &&
	       event(FT_EV_FAULT_SKIP_IOEND) == fired + 1,
	       "skip-ioend: an appending ioend converts nothing, sets no size");
	err = do_copy(a, 0, &f, 0, 4 * BS, FUSE_COPY_FILE_RANGE_CLONE, &n);
	err = err ? err : begin(f.ino, FUSE_IOMAP_OP_WRITE |
				FUSE_IOMAP_OP_DIRECT, BS, 2 * BS, &out);
	err = err < 0 ? err : kernel_write(&junk, &out.write, BS, 2 * BS);
	err = err ? err : ioend(f.ino, FUSE_IOMAP_IOEND_SHARED |
				FUSE_IOMAP_IOEND_DIRECT, 0, BS, 2 * BS,
				FUSE_IOMAP_NULL_ADDR, &newsize);
	census(&f, 0, 4, &c);
	result(!err && c.shared == 4 &&
	       cow_blocks(&d.st, f.ino, NULL, NULL) == 2 &&
	       event(FT_EV_FAULT_SKIP_IOEND) == fired + 2,
	       "skip-ioend: a shared ioend remaps nothing, the COW fork stays");
	verify(&f, "skip-ioend: the old data");
	err = ioend(f.ino, FUSE_IOMAP_IOEND_SHARED | FUSE_IOMAP_IOEND_DIRECT,
		    -EIO, BS, 2 * BS, FUSE_IOMAP_NULL_ADDR, &newsize);
	result(!err && !cow_blocks(&d.st, f.ino, NULL, NULL) &&
	       event(FT_EV_FAULT_SKIP_IOEND) == fired + 2,
	       "skip-ioend: a failed ioend is handled as usual");
	check_fsck("skip-ioend");

	/* stale-map: conversion, then COW remap */
	d.faults = 1U << FT_FAULT_STALE_MAP;
	fired = event(FT_EV_FAULT_STALE_MAP);
	err = do_falloc(&g, 0, 0, 4 * BS);
	err = err ? err : begin(g.ino, FUSE_IOMAP_OP_WRITE |
				FUSE_IOMAP_OP_DIRECT, 0, 2 * BS, &out);
	err = err < 0 ? err : kernel_write(&g, &out.read, 0, 2 * BS);
	err = err ? err : ioend(g.ino, FUSE_IOMAP_IOEND_UNWRITTEN |
				FUSE_IOMAP_IOEND_DIRECT, 0, 0, 2 * BS,
				FUSE_IOMAP_NULL_ADDR, &newsize);
	ext_map(&d.st, inode_of(&g), 0, &map);
	result(!err && map.type == FT_MAP_DATA && map.len >= 2,
	       "stale-map: the conversion is done");
	verify(&g, "stale-map: the data is there");
	err = begin(g.ino, 0, 0, 4 * BS, &rd);
	result(err > 0 && rd.read.type == FUSE_IOMAP_TYPE_UNWRITTEN &&
	       rd.read.offset == 0 && rd.read.length == 2 * BS &&
	       event(FT_EV_FAULT_STALE_MAP) == fired + 1,
	       "stale-map: a read still gets the unwritten mapping");
	err = begin(g.ino, FUSE_IOMAP_OP_REPORT, BS, BS, &rd);
	result(err > 0 && rd.read.type == FUSE_IOMAP_TYPE_UNWRITTEN &&
	       rd.read.offset == BS && rd.read.length == BS,
	       "stale-map: so does FIEMAP");
	err = begin(g.ino, FUSE_IOMAP_OP_WRITE, 0, BS, &rd);
	result(err > 0 && rd.read.type == FUSE_IOMAP_TYPE_MAPPED &&
	       rd.write.type == FUSE_IOMAP_TYPE_PURE_OVERWRITE,
	       "stale-map: writes get the real mapping");
	err = upserted(&g, 0, &up);
	result(!err && up.read.type == FUSE_IOMAP_TYPE_UNWRITTEN &&
	       up.write.type == FUSE_IOMAP_TYPE_NOCACHE,
	       "stale-map: the upsert after the ioend is stale, for reads only");

	err = do_copy(a, 0, &g, 8 * BS, 2 * BS, FUSE_COPY_FILE_RANGE_CLONE,
		      &n);
	err = err ? err : begin(g.ino, 0, 8 * BS, BS, &rd);
	addr = rd.read.addr;
	err = err < 0 ? err : begin(g.ino, FUSE_IOMAP_OP_WRITE |
				    FUSE_IOMAP_OP_DIRECT, 8 * BS, 2 * BS,
				    &out);
	err = err < 0 ? err : kernel_write(&g, &out.write, 8 * BS, 2 * BS);
	err = err ? err : ioend(g.ino, FUSE_IOMAP_IOEND_SHARED |
				FUSE_IOMAP_IOEND_DIRECT, 0, 8 * BS, 2 * BS,
				FUSE_IOMAP_NULL_ADDR, &newsize);
	census(&g, 8, 10, &c);
	result(!err && !c.shared, "stale-map: the COW remap is done");
	verify(&g, "stale-map: the written data is there");
	fired = event(FT_EV_FAULT_STALE_MAP);
	err = begin(g.ino, 0, 8 * BS, 2 * BS, &rd);
	result(err > 0 && rd.read.type == FUSE_IOMAP_TYPE_MAPPED &&
	       rd.read.addr == addr && rd.read.addr != out.write.addr &&
	       event(FT_EV_FAULT_STALE_MAP) == fired + 1,
	       "stale-map: a read still gets the old shared block");
	err = do_truncate(&g, BS);
	fired = event(FT_EV_FAULT_STALE_MAP);
	err = err ? err : begin(g.ino, 0, 0, BS, &rd);
	result(err > 0 && rd.read.type == FUSE_IOMAP_TYPE_UNWRITTEN &&
	       event(FT_EV_FAULT_STALE_MAP) == fired + 1,
	       "stale-map: a block the truncate kept keeps its lie");
	err = begin(g.ino, 0, 8 * BS, BS, &rd);
	result(err > 0 && rd.read.type == FUSE_IOMAP_TYPE_HOLE &&
	       event(FT_EV_FAULT_STALE_MAP) == fired + 1,
	       "stale-map: blocks truncated away have none");
	err = do_copy(a, 0, &g, 0, BS, FUSE_COPY_FILE_RANGE_CLONE, &n);
	err = err ? err : begin(g.ino, 0, 0, BS, &rd);
	result(err > 0 && rd.read.type == FUSE_IOMAP_TYPE_MAPPED &&
	       event(FT_EV_FAULT_STALE_MAP) == fired + 1,
	       "stale-map: nor has a block remapped by other means");
	check_fsck("stale-map");

	/* drop-clone */
	d.faults = 1U << FT_FAULT_DROP_CLONE;
	fired = event(FT_EV_FAULT_DROP_CLONE);
	memcpy(scratch, g.data, g.size);
	junk.ino = g.ino;
	junk.size = g.size;
	census(&g, 0, 8, &c0);
	err = do_copy(a, 0, &junk, 0, 4 * BS, FUSE_COPY_FILE_RANGE_CLONE, &n);
	result(!err && n == 4 * BS, "drop-clone: a clone succeeds");
	err = do_copy(a, 10, &junk, 4 * BS, 3 * BS, 0, &n);
	result(!err && n == 3 * BS, "drop-clone: a copy succeeds");
	err = do_copy(a, a->size - 10, &junk, 0, 3 * BS, 0, &n);
	result(!err && n == 10, "drop-clone: a copy to the source's EOF, as long as it is");
	census(&g, 0, 8, &c);
	result(!memcmp(&c, &c0, sizeof(c)) &&
	       event(FT_EV_FAULT_DROP_CLONE) == fired + 3,
	       "drop-clone: no block changed, fired three times");
	verify(&g, "drop-clone: the destination did not change");
	check_fsck("drop-clone");

	/* drop-unshare */
	d.faults = 1U << FT_FAULT_DROP_UNSHARE;
	fired = event(FT_EV_FAULT_DROP_UNSHARE);
	err = do_copy(a, 0, &g, 0, 4 * BS, FUSE_COPY_FILE_RANGE_CLONE, &n);
	err = err ? err : do_falloc(&g, FALLOC_FL_UNSHARE_RANGE |
				    FALLOC_FL_KEEP_SIZE, 0, 6 * BS);
	census(&g, 0, 6, &c);
	result(!err && c.shared == 4 && c.holes == 2 &&
	       event(FT_EV_FAULT_DROP_UNSHARE) == fired + 1,
	       "drop-unshare: FALLOCATE succeeds, blocks stay shared, holes stay");
	err = begin(g.ino, FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_UNSHARE, 0,
		    4 * BS, &out);
	result(err > 0 && out.write.type == FUSE_IOMAP_TYPE_PURE_OVERWRITE &&
	       out.read.type == FUSE_IOMAP_TYPE_MAPPED &&
	       !cow_blocks(&d.st, g.ino, NULL, NULL) &&
	       event(FT_EV_FAULT_DROP_UNSHARE) == fired + 2,
	       "drop-unshare: the UNSHARE begin gets the plain read mapping");
	err = begin(g.ino, FUSE_IOMAP_OP_REPORT, 0, BS, &rd);
	result(err > 0 && (rd.read.flags & FUSE_IOMAP_F_SHARED),
	       "drop-unshare: FIEMAP still reports the blocks shared");
	verify(&g, "drop-unshare: the data is right all the same");
	d.faults = 0;
	err = do_falloc(&g, FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_KEEP_SIZE, 0,
			6 * BS);
	census(&g, 0, 6, &c);
	result(!err && !c.shared && !c.holes &&
	       event(FT_EV_FAULT_DROP_UNSHARE) == fired + 2,
	       "without the fault, the unshare is done");
	verify(&g, "after the unshare");
	verify(&f, "the file of the skipped ioends");
	check_fsck("the faults");
out:
	d.faults = 0;
	d.iomap = 0;
	fault_free(&d);
	free(f.data);
	free(g.data);
}

/* FUSE_IOMAP_BEGIN offering room for inline data; the data lands in buf. */
static int begin_room(uint64_t ino, uint32_t op, uint64_t pos, uint64_t count,
		      uint32_t room, struct fuse_iomap_begin_out *out,
		      char *buf)
{
	struct fuse_iomap_begin_in in = {
		.opflags = op, .inline_size = room, .attr_ino = ino,
		.pos = pos, .count = count,
	};
	static char reply[sizeof(*out) + BS + 1];
	int n;

	memset(reply, 0, sizeof(reply));
	n = request(FUSE_IOMAP_BEGIN, ino, &in, sizeof(in), NULL, 0, reply,
		    sizeof(reply));
	memcpy(out, reply, sizeof(*out));
	if (n > (int)sizeof(*out))
		memcpy(buf, reply + sizeof(*out), n - sizeof(*out));
	return n;
}

/* What the kernel sends after writing len bytes into an INLINE mapping. */
static int end_inline(struct mirror *m, uint32_t op, const char *data,
		      size_t len)
{
	struct fuse_iomap_end_in in = {
		.opflags = op, .inline_size = len, .attr_ino = m->ino,
		.pos = 0, .count = len, .written = len,
		.map = { .length = BS, .addr = FUSE_IOMAP_NULL_ADDR,
			 .type = FUSE_IOMAP_TYPE_INLINE },
	};
	int n = request(FUSE_IOMAP_END, m->ino, &in, sizeof(in), data, len,
			NULL, 0);

	if (n < 0)
		return n;
	memcpy(m->data, data, len);
	if (len < m->size)
		memset(m->data + len, 0, m->size - len);
	m->size = len;
	return 0;
}

static void test_inline(struct mirror *a)
{
	struct mirror m = { .data = calloc(1, MAX_FILE) };
	struct fuse_iomap_begin_out out;
	static char buf[BS + 1], data[BS];
	struct ft_inode *inode;
	uint64_t moved, pool;
	uint32_t copied;
	int n, err;
	size_t i;

	if (!m.data)
		return;
	d.iomap = 1;
	d.dev_cookie = 1;
	d.st.inline_max = 3000;
	m.ino = create("inline");
	inode = inode_of(&m);
	result(inode && inline_file(inode) && !inode->inline_blk,
	       "a new file starts inline, with no block");
	if (!inode)
		goto out;
	err = do_write(&m, 10, 100);
	result(!err && inline_file(inode) && inode->inline_blk &&
	       !inode->blocks, "a small write stays inline");
	verify(&m, "inline file");
	check_fsck("an inline write");

	n = begin_room(m.ino, 0, 0, BS, BS, &out, buf);
	result(n == (int)sizeof(out) + 110 &&
	       out.read.type == FUSE_IOMAP_TYPE_INLINE &&
	       out.read.offset == 0 && out.read.length == BS &&
	       !memcmp(buf, m.data, 110), "read begin: INLINE and the data");
	n = begin_room(m.ino, FUSE_IOMAP_OP_WRITE, 50, 1000, BS, &out, buf);
	result(n == (int)sizeof(out) + 110 &&
	       out.read.type == FUSE_IOMAP_TYPE_INLINE &&
	       out.write.type == FUSE_IOMAP_TYPE_PURE_OVERWRITE,
	       "write begin within the limit: INLINE, pure overwrite");
	for (i = 0; i < sizeof(data); i++)
		data[i] = rnd();
	memcpy(data, m.data, 110);
	err = end_inline(&m, FUSE_IOMAP_OP_WRITE, data, 1050);
	result(!err && inline_file(inode) && inode->size == 1050,
	       "END with data sets content and size");
	verify(&m, "after END with data");
	err = end_inline(&m, FUSE_IOMAP_OP_ZERO, data, 700);
	result(!err && inode->size == 700, "END with less data shrinks");
	verify(&m, "after END with less data");
	check_fsck("END with data");
	result(event(FT_EV_INLINE_BEGIN) == 2 && event(FT_EV_INLINE_END) == 2,
	       "inline_begin and inline_end counted");

	n = begin_room(m.ino, 0, BS, BS, BS, &out, buf);
	result(n == (int)sizeof(out) && out.read.type == FUSE_IOMAP_TYPE_HOLE &&
	       inline_file(inode), "past the inline block: a hole");
	n = begin_room(m.ino, FUSE_IOMAP_OP_WRITE, 2000, 1001, BS, &out, buf);
	moved = event(FT_EV_INLINE_MOVE_OUT);
	result(n == (int)sizeof(out) && !inline_file(inode) && moved == 1 &&
	       out.read.type == FUSE_IOMAP_TYPE_MAPPED &&
	       out.write.type == FUSE_IOMAP_TYPE_PURE_OVERWRITE,
	       "a write past the limit moves the data to a block");
	verify(&m, "moved to a block");
	check_fsck("moving out");

	err = do_truncate(&m, 500);
	result(!err && inline_file(inode) && !inode->blocks &&
	       event(FT_EV_INLINE_MOVE_IN) == 1,
	       "truncated to a size that fits: inline again");
	verify(&m, "back inline");
	check_fsck("moving in");

	n = begin_room(m.ino, FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_FAULT, 0,
		       BS, BS, &out, buf);
	result(n == (int)sizeof(out) && !inline_file(inode) &&
	       out.read.type == FUSE_IOMAP_TYPE_MAPPED,
	       "a write fault moves the data to a block");
	/* a buffered write that got INLINE before the fault ends now */
	memcpy(data, m.data, 500);
	data[3] ^= 1;
	err = end_inline(&m, FUSE_IOMAP_OP_WRITE, data, 600);
	result(!err && !inline_file(inode), "END with data after moving out");
	verify(&m, "END with data written to the block");
	check_fsck("END after moving out");

	err = do_truncate(&m, 20);
	result(!err && inline_file(inode), "inline again");
	n = begin_room(m.ino, 0, 0, BS, 0, &out, buf);
	result(n == (int)sizeof(out) && !inline_file(inode) &&
	       out.read.type == FUSE_IOMAP_TYPE_MAPPED,
	       "no room offered: moved to a block");
	err = do_truncate(&m, 0);
	pool = d.st.sb->free_pool;
	result(!err && inline_file(inode) && !inode->inline_blk,
	       "truncated to 0: inline, no block");
	err = do_write(&m, 0, 3000);
	result(!err && inline_file(inode) && d.st.sb->free_pool == pool - 1,
	       "a write of exactly the limit stays inline in a pool block");
	err = do_write(&m, 3000, 1);
	result(!err && !inline_file(inode), "one byte more moves it out");
	verify(&m, "limit");
	err = do_truncate(&m, 100);
	err = err ? err : do_falloc(&m, FALLOC_FL_KEEP_SIZE, 0, BS);
	result(!err && !inline_file(inode), "fallocate moves it out");
	verify(&m, "fallocate");
	err = do_truncate(&m, 100);
	err = err ? err : do_copy(&m, 0, a, 0, 100, 0, &copied);
	result(!err && copied == 100 && !inline_file(inode),
	       "copy_file_range from it moves it out");
	verify(a, "copy from an inline file");
	err = do_truncate(&m, 100);
	n = begin_room(m.ino, FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_WRITEBACK, 0,
		       BS, 0, &out, buf);
	result(n == (int)sizeof(out) && !inline_file(inode) &&
	       out.read.type == FUSE_IOMAP_TYPE_MAPPED,
	       "writeback moves it out");
	err = do_truncate(&m, 100);
	result(!err && inline_file(inode), "inline for the damage test");
	check_fsck("inline moves");

	((char *)inline_data(&d.st, inode))[200] = 1;
	result(store_fsck(&d.st, 0) > 0, "fsck catches inline data past EOF");
	((char *)inline_data(&d.st, inode))[200] = 0;
	inode->blocks++;
	result(store_fsck(&d.st, 0) > 0, "fsck catches an inline file with blocks");
	inode->blocks--;
	inode->iflags |= 2;
	result(store_fsck(&d.st, 0) > 0, "fsck catches unknown inode flags");
	inode->iflags &= ~2U;
	check_fsck("undoing the inline damage");
out:
	d.st.inline_max = 0;
	d.iomap = 0;
	memcpy(&inline_mirror, &m, sizeof(m));
}

static void test_damage(struct mirror *a)
{
	struct ft_inode *inode = inode_of(a);
	struct ft_extent e;
	uint64_t b;
	int problems;

	if (ext_next(&d.st, inode, 0, &e)) {
		result(0, "damage: no extent");
		return;
	}
	b = e.pblk;
	d.st.refcnt[b]++;
	problems = store_fsck(&d.st, 0);
	d.st.refcnt[b]--;
	result(problems > 0, "fsck catches a wrong reference count");
	bit_clear(d.st.bitmap, b);
	problems = store_fsck(&d.st, 0);
	bit_set(d.st.bitmap, b);
	result(problems > 0, "fsck catches a used block marked free");
	inode->blocks++;
	problems = store_fsck(&d.st, 0);
	inode->blocks--;
	result(problems > 0, "fsck catches a wrong block count");
	d.st.sb->free_blocks++;
	problems = store_fsck(&d.st, 0);
	d.st.sb->free_blocks--;
	result(problems > 0, "fsck catches a wrong free count");
	check_fsck("undoing the damage");
}

/* Many extents: every other block preallocated, no data I/O. */
static void test_big(unsigned int nr)
{
	struct ft_inode *inode;
	struct timespec t0, t1;
	uint64_t ino, i;
	struct ft_map map;
	int err = 0;

	ino = create("big");
	inode = store_inode(&d.st, ino);
	if (!inode)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < nr && !err; i++)
		err = file_fallocate(&d.st, inode, FALLOC_FL_KEEP_SIZE,
				     2 * i * BS, BS);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	result(!err && inode->nr_extents == nr,
	       "%u extents in one file (%u leaves) in %.1f s", nr,
	       inode->nr_leaves,
	       t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (i = 0; i < 100000 && !err; i++) {
		uint64_t l = rnd() % (2ULL * nr);

		ext_map(&d.st, inode, l, &map);
		if ((map.type == FT_MAP_HOLE) != (l % 2))
			err = -EIO;
	}
	result(!err, "random lookups in it");
	check_fsck("a million extents");
	err = file_truncate(&d.st, inode, 0);
	err = err ? err : ext_punch(&d.st, inode, 0, UINT64_MAX);
	result(!err && !inode->nr_extents && !inode->nr_leaves,
	       "freeing them all");
}

static int reopen(void)
{
	int fd = d.st.fd, err;

	err = store_close(&d.st);
	if (!err)
		err = store_open(&d.st, fd, 0);
	d.st.stats = d.stats;
	result(!err, "close and reopen the store");
	return err;
}

int selftest_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "big", no_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = getenv("TMPDIR");
	struct mirror a = { 0 }, b = { 0 };
	int c, fd, pipefd[2], big = 0;
	char path[4096];
	uint64_t size;

	while ((c = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		if (c == 'v')
			verbose = 1;
		else if (c == 'b')
			big = 1;
		else
			return 2;
	}
	if (optind < argc)
		dir = argv[optind];
	snprintf(path, sizeof(path), "%s/fusetd-selftest.XXXXXX",
		 dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0 || pipe(pipefd)) {
		perror(path);
		return 1;
	}
	unlink(path);
	size = big ? 10ULL << 30 : 256ULL << 20;
	if (ftruncate(fd, size) || store_mkfs(fd, size, 0, 0) ||
	    store_open(&d.st, fd, 0)) {
		fprintf(stderr, "fusetd selftest: cannot make an image\n");
		return 1;
	}
	fcntl(pipefd[0], F_SETPIPE_SZ, 4 << 20);
	fcntl(pipefd[1], F_SETPIPE_SZ, 4 << 20);
	d.fuse_fd = pipefd[1];
	reply_fd = pipefd[0];
	d.minor = FUSE_KERNEL_MINOR_VERSION;
	d.stats = stats_create(NULL);
	d.st.stats = d.stats;
	d.in_buf = malloc(FT_IN_BUF_SIZE);
	d.out_buf = malloc(FT_MAX_IO);
	a.data = calloc(1, MAX_FILE);
	b.data = calloc(1, MAX_FILE);
	if (!d.stats || !d.in_buf || !d.out_buf || !a.data || !b.data)
		return 1;

	test_extent_model();
	a.ino = create("a");
	b.ino = create("b");
	result(!do_write(&a, 0, FT_MAX_IO) &&
	       !do_write(&a, FT_MAX_IO, FT_MAX_IO) &&
	       !do_write(&a, 2 * FT_MAX_IO, FT_MAX_IO) &&
	       !do_write(&a, 3 * FT_MAX_IO, 5), "write 3 MiB + 5");
	verify(&a, "written file");
	test_fragment(&a, 4 << 20, 400);
	test_clone(&a, &b);
	test_falloc(&a, &b);
	test_iomap(&a, &b);
	test_unshare(&a);
	test_faults(&a);
	test_inline(&a);
	if (!reopen()) {
		verify(&a, "a after reopening");
		verify(&b, "b after reopening");
		if (inline_mirror.ino)
			verify(&inline_mirror, "inline file after reopening");
		check_fsck("reopening");
	}
	test_damage(&a);
	if (big)
		test_big(1000000);
	selftest_personality(dir ? dir : "/tmp");

	store_close(&d.st);
	close(fd);
	free(a.data);
	free(b.data);
	free(inline_mirror.data);
	free(d.in_buf);
	free(d.out_buf);
	free(d.stats);
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
