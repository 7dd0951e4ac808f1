// SPDX-License-Identifier: GPL-2.0
/*
 * fsx: random operations on one file, checked against a shadow copy of
 * what the file must contain.  Every byte read is compared with the
 * shadow, and the whole file (its size included) is compared every -c
 * operations and at the end.  A run is deterministic for a given seed,
 * options and set of operations the file system supports.
 *
 *   fsx [options] FILE
 *   fsx --check SHADOW FILE
 *
 * Operation classes, each switched off by --no-NAME:
 *   read, write        buffered pread/pwrite, may extend the file
 *   mread, mwrite      through a MAP_SHARED mapping below EOF, sometimes
 *                      msync(MS_SYNC); mread of the EOF page also checks
 *                      that the page reads zeros past EOF
 *   pmwrite            a write through a MAP_PRIVATE mapping: the mapping
 *                      shows it, the file must not
 *   dread, dwrite      O_DIRECT through a second descriptor, offsets and
 *                      lengths aligned to -a
 *   trunc              ftruncate up or down
 *   falloc             fallocate mode 0 or FALLOC_FL_KEEP_SIZE
 *   punch              FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
 *   zero               FALLOC_FL_ZERO_RANGE, with or without KEEP_SIZE
 *   collapse, insert   FALLOC_FL_COLLAPSE_RANGE / INSERT_RANGE on -b blocks
 *   clone              FICLONERANGE from FILE.fsxsrc, a scratch file with
 *                      its own shadow that is sometimes rewritten (swrite)
 *   sclone             FICLONERANGE within FILE, to a non-overlapping range
 *   fsync, fdsync      fsync, fdatasync
 * A fallocate mode or clone that fails with EOPNOTSUPP before it ever
 * worked is reported and switched off, and so is O_DIRECT when the open
 * fails with EINVAL; with --strict these are failures.
 *
 * --fixed-size is for files whose size the file system fixes (famfs):
 * FILE must exist and is neither created nor truncated, the shadow starts
 * as its contents, -l is its size, and only read, write, mread, mwrite,
 * pmwrite, dread, dwrite, fsync and fdsync run, all within the size.
 * Some writes ("eof" in the counts) start before EOF and reach past it:
 * they must stop at EOF; and some start at or past EOF: they must fail
 * with ENOSPC.  The bytes past EOF in the EOF page of a mapping are not
 * checked (a DAX mapping shows the file's memory there, not zeros).
 *
 * Options (lengths take a k, m or g suffix):
 *   -N OPS     number of operations (10000)
 *   -S SEED    random seed (1)
 *   -l LEN     maximum file length (1m)
 *   -o LEN     maximum length of one operation (64k)
 *   -b BS      block size for collapse, insert and clone (4096), a multiple
 *              of the file system's block size
 *   -a ALIGN   O_DIRECT alignment (4096; 512 for sub-block direct I/O)
 *   -c N       verify the whole file every N operations (1000; 0: at the end)
 *   -p N       print progress every N operations
 *   -q         quiet: only the summary, disabled operations and failures
 *   -v         print every operation
 *   -R, -D, -F no mmap, no O_DIRECT, no fallocate of any mode
 *   --no-NAME  no operations of class NAME; --no-clone also means
 *              --no-sclone, --no-fsync also --no-fdsync
 *   --strict   unsupported operations are failures
 *   --fixed-size  the file's size cannot change (see above)
 *   --save SHADOW  write the expected contents of FILE to SHADOW at the end
 *   --check SHADOW FILE  (also --verify-only) compare FILE with a saved
 *              shadow, for checks after umount, remount or daemon restart
 *
 * --inject-corruption N (for the self-test) flips a byte of the file
 * behind the shadow's back after operation N, then verifies the file.
 *
 * The first miscompare prints the offset of the first bad byte, the
 * expected and actual bytes around it and the last 64 operations ('*'
 * marks those that touched the bad byte).  Written data is a function of
 * the seed, the operation number and the file offset, and never zero, so
 * fsx can also tell which logged write left stale data behind.
 * The last line counts the operations of each class that ran, so that
 * tests can check that a class was not silently skipped; "skip" counts
 * operations chosen but impossible in the file's state (mread of an empty
 * file, say).  FILE is kept; FILE.fsxsrc only when the run fails.
 * Exit: 0 ok, 1 miscompare or failed call, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/fs.h>

#define NLOG		64
#define SCRATCH_TAG	(1ULL << 40)	/* data tags of the clone source */
#define NO_MARK		UINT64_MAX

#define __noreturn	__attribute__((__noreturn__))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define fallthrough	__attribute__((__fallthrough__))

enum {
	OP_READ, OP_WRITE, OP_MREAD, OP_MWRITE, OP_DREAD, OP_DWRITE,
	OP_TRUNC, OP_FALLOC, OP_PUNCH, OP_ZERO, OP_COLLAPSE, OP_INSERT,
	OP_CLONE, OP_SCLONE, OP_FSYNC, OP_FDSYNC, OP_PMWRITE,
	NR_OPS,
	OP_SWRITE = NR_OPS,	/* log only: a write to the clone source */
	OP_INJECT,		/* log only: --inject-corruption */
};

static struct opclass {
	const char *name;
	unsigned int weight;
	bool off;		/* switched off, by an option or as unsupported */
	bool worked;		/* succeeded once: EOPNOTSUPP is a failure now */
	unsigned long count;
} ops[NR_OPS] = {
	[OP_READ]	= { "read", 4 },
	[OP_WRITE]	= { "write", 4 },
	[OP_MREAD]	= { "mread", 2 },
	[OP_MWRITE]	= { "mwrite", 2 },
	[OP_DREAD]	= { "dread", 2 },
	[OP_DWRITE]	= { "dwrite", 2 },
	[OP_TRUNC]	= { "trunc", 1 },
	[OP_FALLOC]	= { "falloc", 1 },
	[OP_PUNCH]	= { "punch", 1 },
	[OP_ZERO]	= { "zero", 1 },
	[OP_COLLAPSE]	= { "collapse", 1 },
	[OP_INSERT]	= { "insert", 1 },
	[OP_CLONE]	= { "clone", 1 },
	[OP_SCLONE]	= { "sclone", 1 },
	[OP_FSYNC]	= { "fsync", 1 },
	[OP_FDSYNC]	= { "fdsync", 1 },
	[OP_PMWRITE]	= { "pmwrite", 1 },
};

#define LF_KEEP		0x1	/* FALLOC_FL_KEEP_SIZE */
#define LF_MSYNC	0x2	/* msync(MS_SYNC) before munmap */

struct logent {
	unsigned long n;
	int op;
	unsigned int flags;
	uint64_t off, len;
	uint64_t src;		/* clone source offset */
	uint64_t before, after;	/* file size */
};

static struct logent oplog[NLOG];
static unsigned long nlogged;
static struct logent *cur;	/* entry of the running operation */

static uint64_t maxlen = 1 << 20, maxop = 64 << 10, bsize = 4096;
static uint64_t dalign = 4096, seed = 1;
static uint64_t nops = 10000, verify_every = 1000, progress, inject_at;
static unsigned long nskip, nverify, neof;
static bool quiet, verbose, strict, fixed;
static const char *fname, *save_name;
static char *sname;

static int fd = -1, dfd = -1, sfd = -1;
static unsigned char *good, *sgood;	/* shadows of FILE and the source */
static uint64_t fsize, ssize;		/* and their sizes */
static unsigned char *buf, *dbuf, *vbuf;
static uint64_t pagesize, rng;
static unsigned long opnum;

static uint64_t umin(uint64_t a, uint64_t b) { return a < b ? a : b; }
static uint64_t umax(uint64_t a, uint64_t b) { return a > b ? a : b; }
static uint64_t roundup(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t rnd(void)
{
	rng += 0x9e3779b97f4a7c15ULL;
	return mix(rng);
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* 1..max, a quarter of them at most 512 bytes long */
static uint64_t rnd_len(uint64_t max)
{
	if (!rnd_below(4))
		max = umin(max, 512);
	return 1 + rnd_below(max);
}

/* Mostly inside the file, sometimes anywhere below the maximum length. */
static uint64_t rnd_off(void)
{
	return fsize && rnd_below(8) ? rnd_below(fsize) : rnd_below(maxlen);
}

/* The data an operation tagged tag writes at offset off: never zero. */
static unsigned char data_byte(uint64_t word, uint64_t off)
{
	unsigned char b = word >> (off & 7) * 8;

	return b ? b : 0xa5;
}

static uint64_t data_key(uint64_t tag)
{
	return mix(seed ^ mix(tag + 1));
}

static unsigned char pattern(uint64_t tag, uint64_t off)
{
	return data_byte(mix(data_key(tag) ^ off >> 3), off);
}

static void fill(unsigned char *p, uint64_t tag, uint64_t off, uint64_t len)
{
	uint64_t key = data_key(tag), word = 0;

	for (uint64_t i = 0; i < len; i++) {
		if (!i || !((off + i) & 7))
			word = mix(key ^ (off + i) >> 3);
		p[i] = data_byte(word, off + i);
	}
}

static const char *op_name(int op)
{
	if (op == OP_SWRITE)
		return "swrite";
	return op == OP_INJECT ? "inject" : ops[op].name;
}

static struct logent *log_op(int op, uint64_t off, uint64_t len)
{
	cur = &oplog[nlogged++ % NLOG];
	*cur = (struct logent){ .n = opnum, .op = op, .off = off, .len = len,
				.before = fsize, .after = fsize };
	return cur;
}

/* Could operation le have changed (or read) the byte at file offset x? */
static bool touches(const struct logent *le, uint64_t x)
{
	switch (le->op) {
	case OP_TRUNC:
		return x >= umin(le->before, le->after) &&
		       x < umax(le->before, le->after);
	case OP_COLLAPSE:
	case OP_INSERT:
		return x >= le->off;
	case OP_FSYNC:
	case OP_FDSYNC:
	case OP_SWRITE:
		return false;
	default:
		return x >= le->off && x - le->off < le->len;
	}
}

static void print_logent(FILE *f, const struct logent *le, uint64_t mark)
{
	fprintf(f, "%c%8lu %-8s", mark != NO_MARK && touches(le, mark) ?
		'*' : ' ', le->n, op_name(le->op));
	if (le->op != OP_TRUNC && le->op != OP_FSYNC && le->op != OP_FDSYNC)
		fprintf(f, " 0x%08llx len 0x%06llx", (unsigned long long)le->off,
			(unsigned long long)le->len);
	if (le->op == OP_CLONE || le->op == OP_SCLONE)
		fprintf(f, " from 0x%llx", (unsigned long long)le->src);
	if (le->flags & LF_KEEP)
		fputs(" keep", f);
	if (le->flags & LF_MSYNC)
		fputs(" msync", f);
	fprintf(f, " %s 0x%llx", le->op == OP_SWRITE ? "ssize" : "size",
		(unsigned long long)le->before);
	if (le->after != le->before)
		fprintf(f, " -> 0x%llx", (unsigned long long)le->after);
	fputc('\n', f);
}

static void dump_log(uint64_t mark)
{
	unsigned long i = nlogged > NLOG ? nlogged - NLOG : 0;

	fprintf(stderr, "fsx: the last %lu operations:\n", nlogged - i);
	for (; i < nlogged; i++)
		print_logent(stderr, &oplog[i % NLOG], mark);
}

static void __noreturn failed(uint64_t mark)
{
	dump_log(mark);
	fprintf(stderr, "fsx: FAILED at op %lu, seed %llu, file %s\n", opnum,
		(unsigned long long)seed, fname);
	exit(1);
}

static void __noreturn __printf(1, 2)
fail_op(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fsx: op %lu: ", opnum);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	failed(NO_MARK);
}

static void __noreturn fail_errno(const char *call)
{
	fail_op("%s: %s", call, strerror(errno));
}

static void hexrow(const char *tag, const unsigned char *p, uint64_t n)
{
	fprintf(stderr, "%s", tag);
	for (uint64_t i = 0; i < n; i++)
		fprintf(stderr, " %02x", p[i]);
	fputc('\n', stderr);
}

/*
 * Print where want and got, the file bytes [base, base + len), differ;
 * returns the offset of the first bad byte.
 */
static uint64_t report_diff(const char *what, uint64_t base,
			    const unsigned char *want,
			    const unsigned char *got, uint64_t len)
{
	uint64_t i = 0, first, last, nbad = 0, row, end;

	while (i < len && want[i] == got[i])
		i++;
	first = base + i;
	last = first;
	for (; i < len; i++) {
		if (want[i] != got[i]) {
			nbad++;
			last = base + i;
		}
	}
	fprintf(stderr,
		"fsx: MISCOMPARE in %s of 0x%llx len 0x%llx: first bad byte at 0x%llx (%llu), %llu bad bytes, the last at 0x%llx\n",
		what, (unsigned long long)base, (unsigned long long)len,
		(unsigned long long)first, (unsigned long long)first,
		(unsigned long long)nbad, (unsigned long long)last);
	row = first & ~15ULL;
	end = umin(base + len, row + 32);
	row = umax(base, row >= 16 ? row - 16 : 0);
	while (row < end) {
		uint64_t n = umin((row | 15) + 1, end) - row;
		char mark[3 * 16 + 1] = "";

		fprintf(stderr, "  0x%08llx", (unsigned long long)row);
		hexrow(" want", want + (row - base), n);
		hexrow("             got ", got + (row - base), n);
		for (i = 0; i < n; i++)
			strcat(mark, want[row - base + i] != got[row - base + i] ?
			       " ^^" : "   ");
		if (strchr(mark, '^')) {
			*(strrchr(mark, '^') + 1) = '\0';
			fprintf(stderr, "                 %s\n", mark);
		}
		row += n;
	}
	return first;
}

/* Which logged write left the bytes we got at off behind? */
static void who_wrote(uint64_t off, const unsigned char *got, uint64_t n)
{
	for (unsigned long i = nlogged; i-- > 0 && nlogged - i <= NLOG;) {
		const struct logent *le = &oplog[i % NLOG];
		uint64_t k, m;

		if ((le->op != OP_WRITE && le->op != OP_MWRITE &&
		     le->op != OP_DWRITE) || !touches(le, off))
			continue;
		m = umin(n, le->off + le->len - off);
		for (k = 0; k < m && got[k] == pattern(le->n, off + k); k++)
			;
		if (k == m) {
			fprintf(stderr,
				"fsx: the bad bytes are what op %lu (%s) wrote there\n",
				le->n, op_name(le->op));
			return;
		}
	}
	if (!got[0])
		fprintf(stderr, "fsx: the first bad byte reads as zero\n");
}

static void __noreturn
miscompare(const char *what, uint64_t base, const unsigned char *want,
	   const unsigned char *got, uint64_t len)
{
	uint64_t bad = report_diff(what, base, want, got, len);

	who_wrote(bad, got + (bad - base), umin(8, base + len - bad));
	failed(bad);
}

/* Compare got, the bytes at off of FILE, with the shadow. */
static void check_data(const char *what, uint64_t off,
		       const unsigned char *got, uint64_t len)
{
	if (len && memcmp(good + off, got, len))
		miscompare(what, off, good + off, got, len);
}

static void check_count(const char *what, uint64_t off, uint64_t len,
			ssize_t r)
{
	uint64_t want = off < fsize ? umin(len, fsize - off) : 0;

	if (r < 0)
		fail_errno(what);
	if ((uint64_t)r != want)
		fail_op("%s of 0x%llx len 0x%llx returned %zd bytes, expected %llu (size 0x%llx)",
			what, (unsigned long long)off, (unsigned long long)len,
			r, (unsigned long long)want, (unsigned long long)fsize);
}

static ssize_t pread_full(int f, void *p, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(f, (char *)p + done, len - done, off + done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (!r)
			break;
		done += r;
	}
	return done;
}

static void pwrite_full(int f, const void *p, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pwrite(f, (const char *)p + done, len - done,
				   off + done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fail_op("pwrite of 0x%llx len 0x%zx: %s",
				(unsigned long long)off + done, len - done,
				r ? strerror(errno) : "wrote nothing");
		done += r;
	}
}

/* A call of class op failed: may it be unsupported? */
static bool tolerate(int op, const char *call)
{
	int err = errno;

	if ((err == EOPNOTSUPP || err == ENOTTY) && !ops[op].worked &&
	    !strict) {
		ops[op].off = true;
		printf("fsx: %s not supported (%s: %s), disabled\n",
		       ops[op].name, call, strerror(err));
		return false;
	}
	fail_op("%s: %s", call, strerror(err));
}

static bool op_read(void)
{
	uint64_t off = rnd_off(), len = rnd_len(maxop);
	ssize_t r;

	if (!rnd_below(16))
		off = fsize + rnd_below(bsize);		/* at or past EOF */
	log_op(OP_READ, off, len);
	r = pread_full(fd, buf, len, off);

	check_count("pread", off, len, r);
	check_data("read", off, buf, r);
	return true;
}

/*
 * --fixed-size: a write that reaches past EOF stops there; one that
 * starts at or past EOF fails with ENOSPC.
 */
static bool op_write_eof(void)
{
	uint64_t len = rnd_len(maxop), off, want;
	ssize_t r;

	if (!fsize)
		return false;
	off = rnd_below(4) ? fsize - 1 - rnd_below(umin(len, fsize)) :
	      fsize + rnd_below(2 * bsize);
	want = off < fsize ? fsize - off : 0;
	log_op(OP_WRITE, off, len);
	fill(buf, opnum, off, len);
	r = pwrite(fd, buf, len, off);
	if (!want && (r >= 0 || errno != ENOSPC))
		fail_op("pwrite at 0x%llx, at or past EOF 0x%llx, returned %zd (%s), expected ENOSPC",
			(unsigned long long)off, (unsigned long long)fsize,
			r, r < 0 ? strerror(errno) : "no error");
	if (want && r < 0)
		fail_errno("pwrite across EOF");
	if (want && (uint64_t)r != umin(want, len))
		fail_op("pwrite of 0x%llx len 0x%llx across EOF 0x%llx wrote %zd bytes, expected %llu",
			(unsigned long long)off, (unsigned long long)len,
			(unsigned long long)fsize, r,
			(unsigned long long)umin(want, len));
	if (want)
		memcpy(good + off, buf, umin(want, len));
	neof++;
	return true;
}

static bool op_write(void)
{
	uint64_t off = rnd_off(), len = rnd_len(maxop);

	if (fixed && !rnd_below(16))
		return op_write_eof();
	if (fixed)
		len = umin(len, fsize - off);
	if (!fixed && !rnd_below(8) && fsize < maxlen)
		off = fsize;				/* append */
	len = umin(len, maxlen - off);
	log_op(OP_WRITE, off, len);
	fill(buf, opnum, off, len);
	pwrite_full(fd, buf, len, off);
	memcpy(good + off, buf, len);
	fsize = umax(fsize, off + len);
	return true;
}

/* Where a mapping operation works: a random range below EOF. */
struct mrange {
	uint64_t off, len;	/* the range */
	uint64_t moff;		/* the mapping: whole pages around it */
	size_t mlen;
	unsigned char *p;	/* the range's first byte in the mapping */
};

/* Pick, log and map a range for @op; false when the file is empty. */
static bool map_range(int op, int prot, int flags, struct mrange *r)
{
	void *p;

	if (!fsize)
		return false;
	r->off = rnd_below(fsize);
	r->len = umin(rnd_len(maxop), fsize - r->off);
	log_op(op, r->off, r->len);
	r->moff = r->off & ~(pagesize - 1);
	r->mlen = roundup(r->off + r->len, pagesize) - r->moff;
	p = mmap(NULL, r->mlen, prot, flags, fd, r->moff);
	if (p == MAP_FAILED)
		fail_errno("mmap");
	r->p = (unsigned char *)p + (r->off - r->moff);
	return true;
}

static void unmap_range(const struct mrange *r)
{
	if (munmap(r->p - (r->off - r->moff), r->mlen))
		fail_errno("munmap");
}

static bool op_mread(void)
{
	struct mrange r;

	if (!map_range(OP_MREAD, PROT_READ, MAP_SHARED, &r))
		return false;
	check_data("mread", r.off, r.p, r.len);
	/* The rest of the EOF page must read as zeros (not with DAX). */
	if (!fixed && r.off + r.len == fsize && fsize % pagesize)
		check_data("mread past EOF", fsize, r.p + (fsize - r.off),
			   roundup(fsize, pagesize) - fsize);
	unmap_range(&r);
	return true;
}

static bool op_mwrite(void)
{
	struct mrange r;

	if (!map_range(OP_MWRITE, PROT_READ | PROT_WRITE, MAP_SHARED, &r))
		return false;
	fill(buf, opnum, r.off, r.len);
	memcpy(r.p, buf, r.len);
	if (rnd_below(2)) {
		cur->flags |= LF_MSYNC;
		if (msync(r.p - (r.off - r.moff), r.mlen, MS_SYNC))
			fail_errno("msync");
	}
	unmap_range(&r);
	memcpy(good + r.off, buf, r.len);
	return true;
}

static bool op_pmwrite(void)
{
	struct mrange r;

	if (!map_range(OP_PMWRITE, PROT_READ | PROT_WRITE, MAP_PRIVATE, &r))
		return false;
	/* The mapping shows the file until written, then its own copy. */
	check_data("pmwrite before", r.off, r.p, r.len);
	fill(buf, opnum, r.off, r.len);
	memcpy(r.p, buf, r.len);
	if (memcmp(r.p, buf, r.len))
		miscompare("pmwrite mapping", r.off, buf, r.p, r.len);
	unmap_range(&r);
	/* The shadow is unchanged: later reads check the file kept it. */
	return true;
}

static uint64_t rnd_dlen(void)
{
	return dalign * (1 + rnd_below(umax(maxop / dalign, 1)));
}

static bool op_dread(void)
{
	uint64_t off = dalign * rnd_below(roundup(fsize, dalign) / dalign + 1);
	uint64_t len = rnd_dlen();
	ssize_t r;

	log_op(OP_DREAD, off, len);
	r = pread(dfd, dbuf, len, off);
	check_count("O_DIRECT pread", off, len, r);
	check_data("dread", off, dbuf, r);
	return true;
}

static bool op_dwrite(void)
{
	uint64_t amax = maxlen / dalign * dalign;
	uint64_t off, len;
	ssize_t r;

	if (amax < dalign)		/* --fixed-size: a file that small */
		return false;
	off = umin(rnd_off() / dalign * dalign, amax - dalign);
	len = umin(rnd_dlen(), amax - off);

	log_op(OP_DWRITE, off, len);
	fill(dbuf, opnum, off, len);
	r = pwrite(dfd, dbuf, len, off);
	if (r < 0)
		fail_errno("O_DIRECT pwrite");
	if ((uint64_t)r != len)
		fail_op("O_DIRECT pwrite of 0x%llx len 0x%llx wrote %zd bytes",
			(unsigned long long)off, (unsigned long long)len, r);
	memcpy(good + off, dbuf, len);
	fsize = umax(fsize, off + len);
	return true;
}

static bool op_trunc(void)
{
	uint64_t size = rnd_below(maxlen + 1);

	log_op(OP_TRUNC, size, 0);
	if (ftruncate(fd, size))
		fail_errno("ftruncate");
	if (size < fsize)
		memset(good + size, 0, fsize - size);
	fsize = size;
	return true;
}

static bool do_falloc(int op, int mode, uint64_t off, uint64_t len)
{
	if (mode & FALLOC_FL_KEEP_SIZE)
		cur->flags |= LF_KEEP;
	if (fallocate(fd, mode, off, len))
		return tolerate(op, "fallocate");
	ops[op].worked = true;
	return true;
}

/*
 * fallocate mode 0, KEEP_SIZE, PUNCH_HOLE or ZERO_RANGE at a random range.
 * The shadow is zero past EOF, so zeroing needs no care about the size.
 */
static bool op_falloc(int op)
{
	uint64_t off = rnd_off(), len = umin(rnd_len(maxop), maxlen - off);
	int mode = rnd_below(2) ? FALLOC_FL_KEEP_SIZE : 0;

	if (op == OP_PUNCH)
		mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	else if (op == OP_ZERO)
		mode |= FALLOC_FL_ZERO_RANGE;
	log_op(op, off, len);
	if (!do_falloc(op, mode, off, len))
		return false;
	if (op != OP_FALLOC)
		memset(good + off, 0, len);
	if (!(mode & FALLOC_FL_KEEP_SIZE))
		fsize = umax(fsize, off + len);
	return true;
}

/* Block-aligned; the range must end before EOF. */
static bool op_collapse(void)
{
	uint64_t nb = fsize ? (fsize - 1) / bsize : 0, ob, lb, off, len;

	if (!nb)
		return false;
	ob = rnd_below(nb);
	lb = 1 + rnd_below(umin(nb - ob, umax(maxop / bsize, 1)));
	off = ob * bsize;
	len = lb * bsize;
	log_op(OP_COLLAPSE, off, len);
	if (!do_falloc(OP_COLLAPSE, FALLOC_FL_COLLAPSE_RANGE, off, len))
		return false;
	memmove(good + off, good + off + len, fsize - off - len);
	memset(good + fsize - len, 0, len);
	fsize -= len;
	return true;
}

/* Block-aligned; the offset must be below EOF. */
static bool op_insert(void)
{
	uint64_t lbmax = umin((maxlen - fsize) / bsize, umax(maxop / bsize, 1));
	uint64_t off, len;

	if (!fsize || !lbmax)
		return false;
	off = bsize * rnd_below((fsize - 1) / bsize + 1);
	len = bsize * (1 + rnd_below(lbmax));
	log_op(OP_INSERT, off, len);
	if (!do_falloc(OP_INSERT, FALLOC_FL_INSERT_RANGE, off, len))
		return false;
	memmove(good + off + len, good + off, fsize - off);
	memset(good + off, 0, len);
	fsize += len;
	return true;
}

/* Rewrite part of the clone source, so that clones carry fresh data. */
static void swrite(void)
{
	uint64_t off = bsize * rnd_below(maxlen / bsize);
	uint64_t len = umin(rnd_len(maxop), maxlen - off);
	struct logent *le = log_op(OP_SWRITE, off, len);

	le->before = ssize;
	fill(buf, opnum | SCRATCH_TAG, off, len);
	pwrite_full(sfd, buf, len, off);
	memcpy(sgood + off, buf, len);
	ssize = umax(ssize, off + len);
	le->after = ssize;
	cur = NULL;
}

/*
 * A clone source range in a file of size size: the start block-aligned,
 * the length block-aligned or reaching EOF; blen is the length rounded up
 * to blocks, which the kernel uses for its overlap checks.
 */
static void pick_src(uint64_t size, uint64_t *src, uint64_t *len,
		     uint64_t *blen)
{
	uint64_t avail;

	*src = bsize * rnd_below(roundup(size, bsize) / bsize);
	avail = size - *src;
	if (avail < bsize || !rnd_below(4))
		*len = avail;
	else
		*len = bsize * (1 + rnd_below(umin(avail / bsize,
						   umax(maxop / bsize, 1))));
	*blen = roundup(*len, bsize);
}

static bool do_clone(int op, int from, uint64_t src, uint64_t len,
		     uint64_t dst)
{
	struct file_clone_range fcr = {
		.src_fd = from, .src_offset = src, .src_length = len,
		.dest_offset = dst,
	};

	log_op(op, dst, len)->src = src;
	if (ioctl(fd, FICLONERANGE, &fcr))
		return tolerate(op, "FICLONERANGE");
	ops[op].worked = true;
	return true;
}

static bool op_clone(void)
{
	uint64_t amax = maxlen / bsize * bsize, src, len, blen, dst, lo = 0;

	if (!rnd_below(4))
		swrite();
	pick_src(ssize, &src, &len, &blen);
	/*
	 * A length that is not block-aligned reaches the source's EOF and
	 * must reach the destination's EOF too.
	 */
	if (len % bsize)
		lo = roundup(fsize > len ? fsize - len : 0, bsize);
	if (lo + blen > amax)
		return false;
	dst = lo + bsize * rnd_below((amax - blen - lo) / bsize + 1);
	if (!do_clone(OP_CLONE, sfd, src, len, dst))
		return false;
	memcpy(good + dst, sgood + src, len);
	fsize = umax(fsize, dst + len);
	return true;
}

static bool op_sclone(void)
{
	uint64_t amax = maxlen / bsize * bsize, src, len, blen, dst, nlo, nhi;
	uint64_t k;

	if (!fsize)
		return false;
	pick_src(fsize, &src, &len, &blen);
	/* below the source; an unaligned tail can only go past EOF */
	nlo = !(len % bsize) && src >= blen ? (src - blen) / bsize + 1 : 0;
	/* above it */
	nhi = amax >= src + 2 * blen ? (amax - src - 2 * blen) / bsize + 1 : 0;
	if (!nlo && !nhi)
		return false;
	k = rnd_below(nlo + nhi);
	dst = k < nlo ? k * bsize : src + blen + (k - nlo) * bsize;
	if (!do_clone(OP_SCLONE, fd, src, len, dst))
		return false;
	memmove(good + dst, good + src, len);
	fsize = umax(fsize, dst + len);
	return true;
}

static bool op_sync(int op)
{
	log_op(op, 0, 0);
	if (op == OP_FSYNC ? fsync(fd) : fdatasync(fd))
		fail_errno(op == OP_FSYNC ? "fsync" : "fdatasync");
	return true;
}

static bool run_op(int op)
{
	switch (op) {
	case OP_READ:		return op_read();
	case OP_WRITE:		return op_write();
	case OP_MREAD:		return op_mread();
	case OP_MWRITE:		return op_mwrite();
	case OP_PMWRITE:	return op_pmwrite();
	case OP_DREAD:		return op_dread();
	case OP_DWRITE:		return op_dwrite();
	case OP_TRUNC:		return op_trunc();
	case OP_COLLAPSE:	return op_collapse();
	case OP_INSERT:		return op_insert();
	case OP_CLONE:		return op_clone();
	case OP_SCLONE:		return op_sclone();
	case OP_FSYNC:
	case OP_FDSYNC:		return op_sync(op);
	default:		return op_falloc(op);
	}
}

static int pick_op(void)
{
	unsigned int total = 0, r;
	int i;

	for (i = 0; i < NR_OPS; i++)
		total += ops[i].off ? 0 : ops[i].weight;
	if (!total)
		return -1;
	r = rnd_below(total);
	for (i = 0; ops[i].off || r >= ops[i].weight; i++)
		r -= ops[i].off ? 0 : ops[i].weight;
	return i;
}

/* Read the whole file and compare it and its size with the shadow. */
static void verify_file(int f, const unsigned char *shadow, uint64_t size,
			const char *what)
{
	struct stat st;
	ssize_t r;

	if (fstat(f, &st))
		fail_errno("fstat");
	if ((uint64_t)st.st_size != size)
		fail_op("%s: size 0x%llx, expected 0x%llx", what,
			(unsigned long long)st.st_size,
			(unsigned long long)size);
	r = pread_full(f, vbuf, size + bsize, 0);
	if (r < 0)
		fail_errno("pread");
	if ((uint64_t)r != size)
		fail_op("%s: read %zd bytes, expected 0x%llx", what, r,
			(unsigned long long)size);
	if (memcmp(shadow, vbuf, size))
		miscompare(what, 0, shadow, vbuf, size);
}

static void verify_all(void)
{
	verify_file(fd, good, fsize, "verify");
	if (sfd >= 0)
		verify_file(sfd, sgood, ssize, "verify of the clone source");
	nverify++;
}

static void inject(void)
{
	uint64_t off = mix(seed ^ opnum) % fsize;
	unsigned char b;

	log_op(OP_INJECT, off, 1);
	if (pread(fd, &b, 1, off) != 1)
		fail_errno("pread");
	b = ~b;
	if (pwrite(fd, &b, 1, off) != 1)
		fail_errno("pwrite");
	fprintf(stderr, "fsx: op %lu: corrupted the byte at 0x%llx\n", opnum,
		(unsigned long long)off);
	verify_all();
}

static void on_signal(int sig)
{
	fprintf(stderr, "fsx: op %lu: %s\n", opnum,
		sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
	dump_log(NO_MARK);
	_exit(1);
}

static int slurp(const char *path, unsigned char **p, uint64_t *size)
{
	struct stat st;
	int f = open(path, O_RDONLY);
	ssize_t r;

	if (f < 0 || fstat(f, &st)) {
		fprintf(stderr, "fsx: %s: %s\n", path, strerror(errno));
		return -1;
	}
	*size = st.st_size;
	*p = malloc(*size + 1);
	r = *p ? pread_full(f, *p, *size + 1, 0) : -1;
	close(f);
	if (r < 0 || (uint64_t)r != *size) {
		fprintf(stderr, "fsx: %s: cannot read %llu bytes\n", path,
			(unsigned long long)*size);
		free(*p);
		*p = NULL;
		return -1;
	}
	return 0;
}

/* fsx --check SHADOW FILE */
static int check_saved(const char *shadow, const char *file)
{
	unsigned char *want = NULL, *got = NULL;
	uint64_t wlen, glen;
	int ret = 0;

	if (slurp(shadow, &want, &wlen) || slurp(file, &got, &glen)) {
		free(want);
		return 1;
	}
	if (memcmp(want, got, umin(wlen, glen))) {
		report_diff(file, 0, want, got, umin(wlen, glen));
		ret = 1;
	}
	if (wlen != glen) {
		fprintf(stderr, "fsx: %s: size 0x%llx, expected 0x%llx\n", file,
			(unsigned long long)glen, (unsigned long long)wlen);
		ret = 1;
	}
	if (ret)
		fprintf(stderr, "fsx: %s does not match %s\n", file, shadow);
	else if (!quiet)
		printf("fsx: %s matches %s (%llu bytes)\n", file, shadow,
		       (unsigned long long)wlen);
	free(want);
	free(got);
	return ret;
}

static void save_shadow(void)
{
	int f = open(save_name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (f < 0)
		fail_errno(save_name);
	pwrite_full(f, good, fsize, 0);
	if (fsync(f) || close(f))
		fail_errno(save_name);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: fsx [-N ops] [-S seed] [-l maxlen] [-o maxop] [-b bsize] [-a align]\n"
		"           [-c verify-every] [-p progress-every] [-q] [-v] [-R] [-D] [-F]\n"
		"           [--no-CLASS]... [--strict] [--fixed-size] [--save SHADOW] FILE\n"
		"       fsx --check SHADOW FILE\n"
		"classes:");
	for (int i = 0; i < NR_OPS; i++)
		fprintf(stderr, " %s", ops[i].name);
	fputc('\n', stderr);
	return 2;
}

static bool parse_num(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	switch (*end) {
	case 'g':
	case 'G':
		*v <<= 10;
		fallthrough;
	case 'm':
	case 'M':
		*v <<= 10;
		fallthrough;
	case 'k':
	case 'K':
		*v <<= 10;
		end++;
	}
	return !errno && end != s && !*end;
}

static bool pow2(uint64_t x)
{
	return x >= 512 && !(x & (x - 1));
}

/* Switch off the classes from first to last. */
static void switch_off(int first, int last)
{
	for (int i = first; i <= last; i++)
		ops[i].off = true;
}

enum { O_STRICT = 256, O_SAVE, O_CHECK, O_INJECT, O_FIXED, O_NO };

static int parse_args(int argc, char **argv, const char **check)
{
	static const char numopts[] = "NSlobacp";
	static uint64_t *const numvars[] = {
		&nops, &seed, &maxlen, &maxop, &bsize, &dalign, &verify_every,
		&progress,
	};
	static char names[NR_OPS][16];
	static struct option lopts[NR_OPS + 9] = {
		{ "strict", no_argument, NULL, O_STRICT },
		{ "fixed-size", no_argument, NULL, O_FIXED },
		{ "save", required_argument, NULL, O_SAVE },
		{ "check", required_argument, NULL, O_CHECK },
		{ "verify-only", required_argument, NULL, O_CHECK },
		{ "inject-corruption", required_argument, NULL, O_INJECT },
		{ "help", no_argument, NULL, 'h' },
	};
	const char *num;
	int i, opt;

	for (i = 0; i < NR_OPS; i++) {
		snprintf(names[i], sizeof(names[i]), "no-%s", ops[i].name);
		lopts[7 + i] = (struct option){ names[i], no_argument, NULL,
						O_NO + i };
	}
	while ((opt = getopt_long(argc, argv, "N:S:l:o:b:a:c:p:qvRDFh",
				  lopts, NULL)) != -1) {
		num = opt < 256 ? strchr(numopts, opt) : NULL;
		if (opt == O_INJECT || num) {
			if (parse_num(optarg, num ? numvars[num - numopts] :
					      &inject_at))
				continue;
			fprintf(stderr, "fsx: bad number '%s'\n", optarg);
			return -1;
		}
		if (opt == 'q')
			quiet = true;
		else if (opt == 'v')
			verbose = true;
		else if (opt == 'R') {
			switch_off(OP_MREAD, OP_MWRITE);
			switch_off(OP_PMWRITE, OP_PMWRITE);
		}
		else if (opt == 'D')
			switch_off(OP_DREAD, OP_DWRITE);
		else if (opt == 'F')
			switch_off(OP_FALLOC, OP_INSERT);
		else if (opt == O_STRICT)
			strict = true;
		else if (opt == O_FIXED)
			fixed = true;
		else if (opt == O_SAVE)
			save_name = optarg;
		else if (opt == O_CHECK)
			*check = optarg;
		else if (opt == O_NO + OP_CLONE)	/* both kinds */
			switch_off(OP_CLONE, OP_SCLONE);
		else if (opt == O_NO + OP_FSYNC)	/* and fdatasync */
			switch_off(OP_FSYNC, OP_FDSYNC);
		else if (opt >= O_NO && opt < O_NO + NR_OPS)
			switch_off(opt - O_NO, opt - O_NO);
		else
			return -1;
	}
	if (optind != argc - 1)
		return -1;
	if (*check)
		return 0;
	if (fixed) {		/* nothing that changes the size or layout */
		switch_off(OP_TRUNC, OP_SCLONE);
		if (!pow2(bsize) || !pow2(dalign) || !maxop) {
			fprintf(stderr, "fsx: -b, -a: powers of two >= 512; -o > 0\n");
			return -1;
		}
		return 0;
	}
	if (!pow2(bsize) || !pow2(dalign) || !maxop ||
	    maxlen < 2 * umax(bsize, dalign)) {
		fprintf(stderr, "fsx: -b, -a: powers of two >= 512; -o > 0; -l >= 2 * -b, 2 * -a\n");
		return -1;
	}
	return 0;
}

/* --fixed-size: FILE's size is the maximum length, its data the shadow. */
static void setup_fixed(void)
{
	struct stat st;
	ssize_t r;

	fd = open(fname, O_RDWR);
	if (fd < 0 || fstat(fd, &st))
		fail_errno(fname);
	fsize = maxlen = st.st_size;
	good = calloc(1, maxlen + pagesize);
	if (!good) {
		fprintf(stderr, "fsx: out of memory\n");
		exit(1);
	}
	r = pread_full(fd, good, maxlen, 0);
	if (r < 0)
		fail_errno("pread");
	if ((uint64_t)r != maxlen)
		fail_op("read %zd bytes of a file of 0x%llx", r,
			(unsigned long long)maxlen);
}

static void setup(void)
{
	uint64_t dbufsize = roundup(umax(maxop, dalign), dalign);

	pagesize = sysconf(_SC_PAGESIZE);
	if (fixed)
		setup_fixed();
	rng = mix(seed);
	if (!fixed)
		good = calloc(1, maxlen + pagesize);
	sgood = calloc(1, maxlen + pagesize);
	buf = malloc(maxop);
	vbuf = malloc(maxlen + bsize);
	if (!good || !sgood || !buf || !vbuf ||
	    posix_memalign((void **)&dbuf, umax(dalign, pagesize), dbufsize)) {
		fprintf(stderr, "fsx: out of memory\n");
		exit(1);
	}
	if (!fixed)
		fd = open(fname, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		fail_errno(fname);
	if (!ops[OP_DREAD].off || !ops[OP_DWRITE].off) {
		dfd = open(fname, O_RDWR | O_DIRECT);
		if (dfd < 0 && (errno != EINVAL || strict))
			fail_errno("open O_DIRECT");
		if (dfd < 0) {
			printf("fsx: O_DIRECT not supported, dread and dwrite disabled\n");
			switch_off(OP_DREAD, OP_DWRITE);
		}
	}
	if (!ops[OP_CLONE].off) {
		if (asprintf(&sname, "%s.fsxsrc", fname) < 0)
			exit(1);
		sfd = open(sname, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (sfd < 0)
			fail_errno(sname);
		ssize = maxlen / 2 + rnd_below(maxlen / 2);
		fill(sgood, SCRATCH_TAG, 0, ssize);
		pwrite_full(sfd, sgood, ssize, 0);
	}
	signal(SIGBUS, on_signal);
	signal(SIGSEGV, on_signal);
}

int main(int argc, char **argv)
{
	const char *check = NULL;
	unsigned long done;
	int i, op;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv, &check))
		return usage();
	if (check)
		return check_saved(check, argv[optind]);
	fname = argv[optind];
	setup();
	if (!quiet) {
		printf("fsx: %s, seed %llu, %llu ops, maxlen 0x%llx, maxop 0x%llx, bsize %llu, align %llu, disabled:",
		       fname, (unsigned long long)seed,
		       (unsigned long long)nops,
		       (unsigned long long)maxlen, (unsigned long long)maxop,
		       (unsigned long long)bsize, (unsigned long long)dalign);
		for (i = 0; i < NR_OPS; i++)
			if (ops[i].off)
				printf(" %s", ops[i].name);
		printf("\n");
	}
	for (opnum = 1; opnum <= nops; opnum++) {
		done = nlogged;
		cur = NULL;
		op = pick_op();
		if (op < 0)
			fail_op("every operation is switched off");
		if (run_op(op))
			ops[op].count++;
		else
			nskip++;
		if (cur)
			cur->after = fsize;
		for (; verbose && done < nlogged; done++)
			print_logent(stdout, &oplog[done % NLOG], NO_MARK);
		if (inject_at && opnum >= inject_at && fsize) {
			inject();
			inject_at = 0;
		}
		if (verify_every && opnum % verify_every == 0)
			verify_all();
		if (progress && opnum % progress == 0)
			printf("fsx: op %lu, size 0x%llx\n", opnum,
			       (unsigned long long)fsize);
	}
	opnum = nops;
	verify_all();
	if (save_name)
		save_shadow();
	if (sfd >= 0) {
		close(sfd);
		unlink(sname);
	}
	printf("fsx: %llu ops, 0 miscompares, seed %llu (counts:",
	       (unsigned long long)nops, (unsigned long long)seed);
	for (i = 0; i < NR_OPS; i++)
		printf(" %s %lu", ops[i].name, ops[i].count);
	if (fixed)
		printf(" eof %lu", neof);
	printf(" skip %lu verify %lu)\n", nskip, nverify);
	return 0;
}
