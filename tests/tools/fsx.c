// SPDX-License-Identifier: GPL-2.0
/*
 * fsx: random operations on one file, checked against a shadow copy of
 * what the file must contain.  Every byte read is compared with the
 * shadow, and the whole file (its size included) is compared every -c
 * operations and at the end.  A run is deterministic for a given seed,
 * options and set of operations the file system supports.  It covers the
 * operation classes and modes of fstests' fsx (ltp/fsx.c) and more.
 *
 *   fsx [options] FILE
 *   fsx --replay-ops LOG [options] FILE
 *   fsx --check SHADOW FILE
 *
 * Operation classes, each switched off by --no-NAME:
 *   read, write        buffered reads and writes (by the I/O engine), may
 *                      extend the file
 *   mread, mwrite      through a MAP_SHARED mapping below EOF, sometimes
 *                      msync(MS_SYNC); mread of the EOF page also checks
 *                      that the page reads zeros past EOF
 *   pmwrite            a write through a MAP_PRIVATE mapping: the mapping
 *                      shows it, the file must not
 *   dread, dwrite      O_DIRECT through a second descriptor (by the I/O
 *                      engine), offsets and lengths aligned to -a
 *   trunc              ftruncate up or down
 *   falloc             fallocate mode 0 or FALLOC_FL_KEEP_SIZE
 *   punch              FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
 *   zero               FALLOC_FL_ZERO_RANGE, with or without KEEP_SIZE
 *   collapse, insert   FALLOC_FL_COLLAPSE_RANGE / INSERT_RANGE on -b blocks
 *   clone              FICLONERANGE from FILE.fsxsrc, a scratch file with
 *                      its own shadow that is sometimes rewritten (swrite)
 *   sclone             FICLONERANGE within FILE, to a non-overlapping range
 *   fsync, fdsync      fsync, fdatasync
 *   copy               copy_file_range(2), through the buffered descriptor,
 *                      at unaligned offsets and lengths: within FILE to a
 *                      range apart from the source, or from FILE.fsxsrc;
 *                      source ranges may reach past the source's EOF (the
 *                      kernel stops there) and destinations may start past
 *                      FILE's EOF (the gap reads zeros).  Short copies go
 *                      on with the rest until a call copies 0 bytes; the
 *                      bytes copied must be what the shadow expects
 *   dedupe             FIDEDUPERANGE within FILE or from FILE.fsxsrc, at
 *                      -b aligned offsets, the length aligned or reaching
 *                      both EOFs (the source is truncated for that,
 *                      strunc); ranges that a recent clone or copy made
 *                      identical, ranges made identical first by writing
 *                      the same data to both (logged as "prep"), and
 *                      random ones: the status must be SAME with every
 *                      byte deduped when the shadows match, else DIFFERS;
 *                      the contents never change
 *   unshare            FALLOC_FL_UNSHARE_RANGE, with or without KEEP_SIZE:
 *                      no data change; the size grows as with mode 0
 * A fallocate mode, clone, copy or dedupe that fails with EOPNOTSUPP
 * (dedupe: or EINVAL, copy: or EXDEV) before it ever worked is reported
 * and switched off, and so is O_DIRECT when the open fails with EINVAL;
 * with --strict these are failures, and so is a class that is on but
 * never ran (give enough -N).
 *
 * --fixed-size is for files whose size the file system fixes (famfs):
 * FILE must exist and is neither created nor truncated, the shadow starts
 * as its contents, -l is its size, and only read, write, mread, mwrite,
 * pmwrite, dread, dwrite, copy (within FILE), fsync and fdsync run, all
 * within the size.  Some writes ("eof" in the counts) start before EOF
 * and reach past it: they must stop at EOF; and some start at or past
 * EOF: they must fail with ENOSPC.  The bytes past EOF in the EOF page of
 * a mapping are not checked (a DAX mapping shows the file's memory there,
 * not zeros), and --pollute-eof does nothing.
 *
 * Options (lengths take a k, m or g suffix):
 *   -N OPS     number of operations (10000)
 *   -S SEED    random seed (1)
 *   -l LEN     maximum file length (1m)
 *   -o LEN     maximum length of one operation (64k)
 *   -b BS      block size for collapse, insert, clone and dedupe (4096), a
 *              multiple of the file system's block size
 *   -a ALIGN   O_DIRECT alignment (4096; 512 for sub-block direct I/O)
 *   -c N       verify the whole file every N operations (1000; 0: at the end)
 *   -p N       print progress every N operations
 *   -q         quiet: only the summary, disabled operations and failures
 *   -v         print every operation
 *   -R, -D, -F no mmap, no O_DIRECT, no fallocate of any mode (unshare too)
 *   --no-NAME  no operations of class NAME; --no-clone also means
 *              --no-sclone, --no-fsync also --no-fdsync
 *   --strict   unsupported operations are failures, and every class that
 *              is on must have run at least once
 *   --fixed-size  the file's size cannot change (see above)
 *   --save SHADOW  write the expected contents of FILE to SHADOW at the end
 *   --check SHADOW FILE  (also --verify-only) compare FILE with a saved
 *              shadow, for checks after umount, remount or daemon restart
 * I/O engines of read, write, dread and dwrite (default: pread, pwrite):
 *   --aio      libaio: io_submit one request, io_getevents its completion
 *   --uring    io_uring: submit one request, wait for its completion
 *   With either, any error result fails the run at once, EAGAIN included,
 *   naming the engine, the operation, offset, length and errno.  A short
 *   read or write goes on with the rest; a write of 0 bytes, or a read of
 *   0 bytes before the shadow's EOF, is a failure.  Exit 3 if the kernel
 *   refuses the engine (io_uring_setup or io_setup: ENOSYS, EPERM).
 * Modes of fstests' fsx (its option in brackets):
 *   --reopen P     close and reopen FILE and the O_DIRECT descriptor after
 *                  1 in P operations (-c P)
 *   --flush-inval  after a write, mwrite, dwrite or copy: fdatasync,
 *                  posix_fadvise(DONTNEED) and msync(MS_INVALIDATE) of a
 *                  mapping of the range (-f)
 *   --sync-each    fsync after every operation (-y)
 *   --pollute-eof  before an operation that moves EOF (a write, copy,
 *                  clone or fallocate past it, trunc, collapse, insert),
 *                  write junk through a MAP_SHARED mapping into the EOF
 *                  page past EOF, up to where the operation takes EOF;
 *                  afterwards that range must read as the shadow (zeros,
 *                  or what the operation wrote) and the rest of the new
 *                  EOF page as zeros through a mapping (-e).  Not before
 *                  a dwrite, as in fstests (-e and -Z do not mix there):
 *                  ext4 leaves the junk of the old EOF page in the page
 *                  cache when a direct write past EOF leaves a hole
 *   --verify-each  verify the whole file after every operation (-X)
 * Operation logs:
 *   --record-ops LOG  write every operation to LOG, one line each:
 *              "N NAME OFFSET LENGTH [src=S] [tag=T] [FLAG]...", N the
 *              operation number, S the source offset (clone, sclone, copy,
 *              dedupe), T the tag that the data written is a function of
 *              (with the seed and the file offset), FLAGs among keep,
 *              msync, srcfile (from FILE.fsxsrc), prep, eof, pollute and
 *              reopen; swrite and strunc lines change FILE.fsxsrc, an
 *              inject line is --inject-corruption.  The first line,
 *              "# fsx ops: seed=.. maxlen=.. maxop=.. bsize=.. align=..
 *              fixed=..", has what the data and layout depend on
 *   --replay-ops LOG  execute the operations of LOG instead of random ones,
 *              with the seed, -l, -o, -b, -a and --fixed-size of its first
 *              line, every class on (--no-NAME is ignored) and each byte
 *              checked against the shadow as usual; the file it leaves is
 *              that of the recorded run
 * A failed run writes its whole log to FILE.fsxops (or flushes the
 * --record-ops LOG) and prints the path.
 *
 * For the self-test: --inject-corruption N flips a byte of the file
 * behind the shadow's back after operation N, then verifies the file;
 * --inject-model CLASS gets fsx's model of one operation of CLASS wrong
 * (copy: skips the copy_file_range but updates the shadow; dedupe: expects
 * the other status; unshare: skips a fallocate that extends the file),
 * then verifies the file.
 *
 * The first miscompare prints the offset of the first bad byte, the
 * expected and actual bytes around it and the last 64 operations ('*'
 * marks those that touched the bad byte).  Written data is a function of
 * the seed, the operation's tag (its number) and the file offset, and
 * never zero, so fsx can also tell which logged write left stale data
 * behind.  The last line counts the operations of each class that ran, so
 * that tests can check that a class was not silently skipped; "skip"
 * counts operations chosen but impossible in the file's state (mread of
 * an empty file, say).  FILE is kept; FILE.fsxsrc only when the run fails.
 * Exit: 0 ok, 1 miscompare or failed call, 2 usage, 3 engine unavailable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libaio.h>
#include <liburing.h>
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
#define JUNK_TAG	(1ULL << 41)	/* --pollute-eof: junk past EOF */
#define NO_MARK		UINT64_MAX
#define EXIT_ENGINE	3		/* --aio, --uring cannot be set up */

#define __noreturn	__attribute__((__noreturn__))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define fallthrough	__attribute__((__fallthrough__))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum {
	OP_READ, OP_WRITE, OP_MREAD, OP_MWRITE, OP_DREAD, OP_DWRITE,
	OP_TRUNC, OP_FALLOC, OP_PUNCH, OP_ZERO, OP_COLLAPSE, OP_INSERT,
	OP_CLONE, OP_SCLONE, OP_FSYNC, OP_FDSYNC, OP_PMWRITE, OP_COPY,
	OP_DEDUPE, OP_UNSHARE,
	NR_OPS,
	/* logged and recorded, but not classes of their own: */
	OP_SWRITE = NR_OPS,	/* a write to the clone source */
	OP_STRUNC,		/* a truncate of the clone source */
	OP_INJECT,		/* --inject-corruption */
	NR_LOGOPS,
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
	[OP_COPY]	= { "copy", 2 },
	[OP_DEDUPE]	= { "dedupe", 1 },
	[OP_UNSHARE]	= { "unshare", 1 },
};

static const char *const sub_names[NR_LOGOPS - NR_OPS] = {
	"swrite", "strunc", "inject",
};

/* Flags of a logged operation; recorded by name. */
#define LF_KEEP		0x01	/* FALLOC_FL_KEEP_SIZE */
#define LF_MSYNC	0x02	/* msync(MS_SYNC) before munmap */
#define LF_SRCFILE	0x04	/* copy, dedupe: from FILE.fsxsrc */
#define LF_PREP		0x08	/* dedupe: make both ranges the same */
#define LF_EOF		0x10	/* --fixed-size: a write past EOF */
#define LF_POLLUTE	0x20	/* --pollute-eof: junk past EOF first */
#define LF_REOPEN	0x40	/* --reopen: reopen FILE after it */
#define NR_LF		7

static const char *const lf_names[NR_LF] = {
	"keep", "msync", "srcfile", "prep", "eof", "pollute", "reopen",
};

/* An operation: what to do (chosen at random or replayed) and its log. */
struct logent {
	unsigned long n;	/* operation number */
	int op;
	unsigned int flags;
	uint64_t off, len;	/* the range; trunc, strunc: the new size */
	uint64_t src;		/* clone, copy, dedupe: source offset */
	uint64_t tag;		/* written data is a function of it */
	uint64_t done;		/* copy: bytes copied */
	uint64_t before, after;	/* file size; swrite, strunc: source's */
};

static struct logent oplog[NLOG];
static unsigned long nlogged;
static struct logent *cur;	/* entry of the running operation */

static uint64_t maxlen = 1 << 20, maxop = 64 << 10, bsize = 4096;
static uint64_t dalign = 4096, seed = 1;
static uint64_t nops = 10000, verify_every = 1000, progress, inject_at;
static uint64_t reopen_every;
static unsigned long nskip, nverify, neof;
static bool quiet, verbose, strict, fixed;
static bool flush_inval, sync_each, verify_each, pollute_eof;
static int inject_model = -1;	/* --inject-model: a class to get wrong */
static const char *fname, *save_name, *record_name, *replay_name;
static char *sname;

static int fd = -1, dfd = -1, sfd = -1;
static unsigned char *good, *sgood;	/* shadows of FILE and the source */
static uint64_t fsize, ssize;		/* and their sizes */
static unsigned char *buf, *dbuf, *vbuf;
static uint64_t bufsize, dbufsize, pagesize, rng;
static unsigned long opnum;

/* The operation record: --record-ops FILE, or memory (FILE.fsxops) */
static FILE *rec;
static char *rec_mem;
static size_t rec_memlen;

/* I/O engines of read, write, dread and dwrite */
enum { ENG_SYNC, ENG_AIO, ENG_URING };
static const char *const engine_names[] = { "sync", "aio", "uring" };
static int engine;
static io_context_t aio_ctx;
static struct io_uring ring;

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
	return op < NR_OPS ? ops[op].name : sub_names[op - NR_OPS];
}

static int op_code(const char *name)
{
	for (int op = 0; op < NR_LOGOPS; op++)
		if (!strcmp(name, op_name(op)))
			return op;
	return -1;
}

/* Operations on the clone source, whose size the log shows */
static bool src_op(int op)
{
	return op == OP_SWRITE || op == OP_STRUNC;
}

static bool has_src(int op)
{
	return op == OP_CLONE || op == OP_SCLONE || op == OP_COPY ||
	       op == OP_DEDUPE;
}

/* Operations whose data (or --pollute-eof junk) depends on the tag */
static bool has_tag(const struct logent *a)
{
	switch (a->op) {
	case OP_WRITE:
	case OP_MWRITE:
	case OP_PMWRITE:
	case OP_DWRITE:
	case OP_SWRITE:
		return true;
	default:
		return a->flags & (LF_PREP | LF_POLLUTE);
	}
}

/* One line of the record: op number, name, offset, length, the rest. */
static void record(const struct logent *a)
{
	if (!rec)
		return;
	fprintf(rec, "%lu %s 0x%llx 0x%llx", a->n, op_name(a->op),
		(unsigned long long)a->off, (unsigned long long)a->len);
	if (has_src(a->op))
		fprintf(rec, " src=0x%llx", (unsigned long long)a->src);
	if (has_tag(a))
		fprintf(rec, " tag=0x%llx", (unsigned long long)a->tag);
	for (int i = 0; i < NR_LF; i++)
		if (a->flags & 1U << i)
			fprintf(rec, " %s", lf_names[i]);
	fputc('\n', rec);
}

static struct logent *log_op(const struct logent *a)
{
	cur = &oplog[nlogged++ % NLOG];
	*cur = *a;
	cur->before = cur->after = src_op(a->op) ? ssize : fsize;
	cur->done = a->len;
	record(cur);
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
	case OP_STRUNC:
		return false;
	case OP_DEDUPE:
		if (!(le->flags & LF_SRCFILE) && x >= le->src &&
		    x - le->src < le->len)
			return true;
		fallthrough;
	default:
		if (le->flags & LF_POLLUTE && x >= le->before &&
		    x < roundup(le->before, pagesize))
			return true;
		return x >= le->off && x - le->off < le->done;
	}
}

static void print_logent(FILE *f, const struct logent *le, uint64_t mark)
{
	fprintf(f, "%c%8lu %-8s", mark != NO_MARK && touches(le, mark) ?
		'*' : ' ', le->n, op_name(le->op));
	if (le->op != OP_TRUNC && le->op != OP_FSYNC && le->op != OP_FDSYNC &&
	    le->op != OP_STRUNC)
		fprintf(f, " 0x%08llx len 0x%06llx", (unsigned long long)le->off,
			(unsigned long long)le->len);
	if (has_src(le->op))
		fprintf(f, " from 0x%llx", (unsigned long long)le->src);
	if (le->op == OP_COPY && le->done != le->len)
		fprintf(f, " copied 0x%llx", (unsigned long long)le->done);
	for (int i = 0; i < NR_LF; i++)
		if (le->flags & 1U << i)
			fprintf(f, " %s", lf_names[i]);
	fprintf(f, " %s 0x%llx", src_op(le->op) ? "ssize" : "size",
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

/* A failed run leaves the record of all its operations behind. */
static void save_record(void)
{
	const char *path = record_name;
	char *mpath = NULL;
	FILE *f;

	if (!rec || fflush(rec))
		return;
	if (!path) {
		if (asprintf(&mpath, "%s.fsxops", fname) < 0)
			return;
		path = mpath;
		f = fopen(path, "w");
		if (!f || fwrite(rec_mem, 1, rec_memlen, f) != rec_memlen ||
		    fclose(f)) {
			fprintf(stderr, "fsx: %s: %s\n", path, strerror(errno));
			free(mpath);
			return;
		}
	}
	fprintf(stderr, "fsx: the operations of this run are in %s (fsx --replay-ops %s FILE replays them)\n",
		path, path);
	free(mpath);
}

static void __noreturn failed(uint64_t mark)
{
	dump_log(mark);
	save_record();
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

static const char *errname(int err)
{
	const char *s = strerrorname_np(err);

	return s ? s : "?";
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
		     le->op != OP_DWRITE) || off < le->off ||
		    off - le->off >= le->len)
			continue;
		m = umin(n, le->off + le->len - off);
		for (k = 0; k < m && got[k] == pattern(le->tag, off + k); k++)
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

/* r bytes came from a read of len at off: as many as the shadow has? */
static void check_count(const char *what, uint64_t off, uint64_t len,
			uint64_t r)
{
	uint64_t want = off < fsize ? umin(len, fsize - off) : 0;

	if (r != want)
		fail_op("%s of 0x%llx len 0x%llx returned %llu bytes, expected %llu (size 0x%llx)",
			what, (unsigned long long)off, (unsigned long long)len,
			(unsigned long long)r, (unsigned long long)want,
			(unsigned long long)fsize);
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


/* --aio, --uring: set up; the kernel may refuse (exit EXIT_ENGINE). */
static void engine_setup(void)
{
	int err = 0;

	if (engine == ENG_AIO)
		err = io_queue_init(1, &aio_ctx);
	else if (engine == ENG_URING)
		err = io_uring_queue_init(4, &ring, 0);
	if (!err)
		return;
	fprintf(stderr, "fsx: %s not available: %s: %s (%s)\n",
		engine_names[engine], engine == ENG_AIO ? "io_setup" :
		"io_uring_setup", errname(-err), strerror(-err));
	exit(EXIT_ENGINE);
}

static void __noreturn io_failed(const char *what, uint64_t off, uint64_t len,
				 int err)
{
	fail_op("%s %s of 0x%llx len 0x%llx: %s (%s)", engine_names[engine],
		what, (unsigned long long)off, (unsigned long long)len,
		errname(err), strerror(err));
}

static ssize_t aio_once(const char *what, int f, bool wr, void *p,
			size_t len, uint64_t off)
{
	struct iocb cb, *cbs[1] = { &cb };
	struct io_event ev;
	int r;

	if (wr)
		io_prep_pwrite(&cb, f, p, len, off);
	else
		io_prep_pread(&cb, f, p, len, off);
	r = io_submit(aio_ctx, 1, cbs);
	if (r < 0)
		fail_op("aio %s of 0x%llx len 0x%zx: io_submit: %s (%s)", what,
			(unsigned long long)off, len, errname(-r),
			strerror(-r));
	if (r != 1)
		fail_op("aio %s of 0x%llx len 0x%zx: io_submit took %d requests",
			what, (unsigned long long)off, len, r);
	r = io_getevents(aio_ctx, 1, 1, &ev, NULL);
	if (r < 0)
		fail_op("aio %s of 0x%llx len 0x%zx: io_getevents: %s (%s)",
			what, (unsigned long long)off, len, errname(-r),
			strerror(-r));
	if (r != 1)
		fail_op("aio %s of 0x%llx len 0x%zx: io_getevents returned %d events",
			what, (unsigned long long)off, len, r);
	return (long)ev.res;
}

static ssize_t uring_once(const char *what, int f, bool wr, void *p,
			  size_t len, uint64_t off)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	struct io_uring_cqe *cqe;
	int r, res;

	if (!sqe)
		fail_op("uring %s: no free submission queue entry", what);
	if (wr)
		io_uring_prep_write(sqe, f, p, len, off);
	else
		io_uring_prep_read(sqe, f, p, len, off);
	r = io_uring_submit(&ring);
	if (r != 1)
		fail_op("uring %s of 0x%llx len 0x%zx: io_uring_submit returned %d (%s)",
			what, (unsigned long long)off, len, r,
			r < 0 ? errname(-r) : "not 1");
	r = io_uring_wait_cqe(&ring, &cqe);
	if (r)
		fail_op("uring %s of 0x%llx len 0x%zx: io_uring_wait_cqe: %s (%s)",
			what, (unsigned long long)off, len, errname(-r),
			strerror(-r));
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

/* One read or write request: bytes transferred or -errno. */
static ssize_t io_once(const char *what, int f, bool wr, void *p, size_t len,
		       uint64_t off)
{
	ssize_t r;

	if (engine == ENG_AIO)
		return aio_once(what, f, wr, p, len, off);
	if (engine == ENG_URING)
		return uring_once(what, f, wr, p, len, off);
	do
		r = wr ? pwrite(f, p, len, off) : pread(f, p, len, off);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/*
 * Read len bytes at off into p, of which want lie before EOF: after a
 * short read, read the rest, until want bytes came or a read returned 0
 * bytes.  Returns the bytes read; an error fails the run.
 */
static uint64_t io_read(const char *what, int f, unsigned char *p,
			uint64_t len, uint64_t off, uint64_t want)
{
	uint64_t done = 0;
	ssize_t r;

	do {
		r = io_once(what, f, false, p + done, len - done, off + done);
		if (r < 0)
			io_failed(what, off + done, len - done, -r);
		done += r;
	} while (r && done < want);
	return done;
}

/* Write all of it; a short write goes on with the rest, 0 bytes fail. */
static void io_write(const char *what, int f, unsigned char *p, uint64_t len,
		     uint64_t off)
{
	for (uint64_t done = 0; done < len;) {
		ssize_t r = io_once(what, f, true, p + done, len - done,
				    off + done);

		if (r < 0)
			io_failed(what, off + done, len - done, -r);
		if (!r)
			fail_op("%s %s of 0x%llx len 0x%llx: wrote 0 bytes",
				engine_names[engine], what,
				(unsigned long long)off + done,
				(unsigned long long)(len - done));
		done += r;
	}
}

/* Errors that mean that the file system lacks an operation */
static bool unsupported(int op, int err)
{
	switch (err) {
	case EOPNOTSUPP:
	case ENOTTY:
	case ENOSYS:
		return true;
	case EINVAL:		/* FIDEDUPERANGE, no ->remap_file_range */
		return op == OP_DEDUPE;
	case EXDEV:
		return op == OP_COPY;
	default:
		return false;
	}
}

/* A call of class op failed: may it be unsupported? */
static bool tolerate(int op, const char *call)
{
	int err = errno;

	if (unsupported(op, err) && !ops[op].worked && !strict) {
		ops[op].off = true;
		printf("fsx: %s not supported (%s: %s), disabled\n",
		       ops[op].name, call, strerror(err));
		return false;
	}
	fail_op("%s: %s (%s)", call, errname(err), strerror(err));
}

static bool verify_now;	/* verify the whole file after this operation */

/* --inject-model: fsx gets its model of this operation wrong. */
static void model_injected(const char *what)
{
	fprintf(stderr, "fsx: op %lu: --inject-model %s: %s\n", opnum,
		ops[inject_model].name, what);
	inject_model = -1;
	verify_now = true;
}

/* Read [off, off + len) of f and compare it with shadow. */
static void check_file_range(int f, const unsigned char *shadow, uint64_t off,
			     uint64_t len, const char *what)
{
	ssize_t r = pread_full(f, vbuf, len, off);

	if (r < 0)
		fail_errno(what);
	if ((uint64_t)r != len)
		fail_op("%s: read %zd bytes of 0x%llx at 0x%llx", what, r,
			(unsigned long long)len, (unsigned long long)off);
	if (memcmp(shadow + off, vbuf, len))
		miscompare(what, off, shadow + off, vbuf, len);
}

static bool run(const struct logent *a);

static uint64_t eof_want(uint64_t off, uint64_t len)
{
	return off < fsize ? umin(len, fsize - off) : 0;
}

static bool pick_read(struct logent *a)
{
	a->off = rnd_off();
	a->len = rnd_len(maxop);
	if (!rnd_below(16))
		a->off = fsize + rnd_below(bsize);	/* at or past EOF */
	return true;
}

static bool exec_read(struct logent *a)
{
	uint64_t r = io_read("read", fd, buf, a->len, a->off,
			     eof_want(a->off, a->len));

	check_count("read", a->off, a->len, r);
	check_data("read", a->off, buf, r);
	return true;
}

static bool pick_write(struct logent *a)
{
	uint64_t len = rnd_len(maxop);

	if (fixed && !rnd_below(16)) {
		/* --fixed-size: across EOF, or at or past it */
		if (!fsize)
			return false;
		if (rnd_below(4))
			a->off = fsize - 1 - rnd_below(umin(len, fsize));
		else
			a->off = fsize + rnd_below(2 * bsize);
		a->len = len;
		a->flags |= LF_EOF;
		return true;
	}
	a->off = rnd_off();
	if (fixed)
		len = umin(len, fsize - a->off);
	if (!fixed && !rnd_below(8) && fsize < maxlen)
		a->off = fsize;				/* append */
	a->len = umin(len, maxlen - a->off);
	return true;
}

/*
 * --fixed-size: a write that reaches past EOF stops there; one that
 * starts at or past EOF fails with ENOSPC.  One request, no retries.
 */
static bool exec_write_eof(struct logent *a)
{
	uint64_t want = eof_want(a->off, a->len);
	ssize_t r;

	fill(buf, a->tag, a->off, a->len);
	r = io_once("write", fd, true, buf, a->len, a->off);
	if (!want && r != -ENOSPC)
		fail_op("%s write at 0x%llx, at or past EOF 0x%llx, returned %zd (%s), expected ENOSPC",
			engine_names[engine], (unsigned long long)a->off,
			(unsigned long long)fsize, r,
			r < 0 ? errname(-r) : "no error");
	if (want && r < 0)
		io_failed("write across EOF", a->off, a->len, -r);
	if (want && (uint64_t)r != want)
		fail_op("%s write of 0x%llx len 0x%llx across EOF 0x%llx wrote %zd bytes, expected %llu",
			engine_names[engine], (unsigned long long)a->off,
			(unsigned long long)a->len, (unsigned long long)fsize,
			r, (unsigned long long)want);
	memcpy(good + a->off, buf, want);
	neof++;
	return true;
}

static bool exec_write(struct logent *a)
{
	if (a->flags & LF_EOF)
		return exec_write_eof(a);
	fill(buf, a->tag, a->off, a->len);
	io_write("write", fd, buf, a->len, a->off);
	memcpy(good + a->off, buf, a->len);
	fsize = umax(fsize, a->off + a->len);
	return true;
}

/* Where a mapping operation works: a random range below EOF. */
static bool pick_mrange(struct logent *a)
{
	if (!fsize)
		return false;
	a->off = rnd_below(fsize);
	a->len = umin(rnd_len(maxop), fsize - a->off);
	return true;
}

static bool pick_mwrite(struct logent *a)
{
	if (!pick_mrange(a))
		return false;
	if (rnd_below(2))
		a->flags |= LF_MSYNC;
	return true;
}

/* A mapping of the range of a: whole pages around it. */
struct mrange {
	uint64_t moff;
	size_t mlen;
	unsigned char *p;	/* the range's first byte in the mapping */
};

static void map_range(const struct logent *a, int prot, int flags,
		      struct mrange *r)
{
	void *p;

	r->moff = a->off & ~(pagesize - 1);
	r->mlen = roundup(a->off + a->len, pagesize) - r->moff;
	p = mmap(NULL, r->mlen, prot, flags, fd, r->moff);
	if (p == MAP_FAILED)
		fail_errno("mmap");
	r->p = (unsigned char *)p + (a->off - r->moff);
}

static void unmap_range(const struct logent *a, const struct mrange *r)
{
	if (munmap(r->p - (a->off - r->moff), r->mlen))
		fail_errno("munmap");
}

static bool exec_mread(struct logent *a)
{
	struct mrange r;

	map_range(a, PROT_READ, MAP_SHARED, &r);
	check_data("mread", a->off, r.p, a->len);
	/* The rest of the EOF page must read as zeros (not with DAX). */
	if (!fixed && a->off + a->len == fsize && fsize % pagesize)
		check_data("mread past EOF", fsize, r.p + (fsize - a->off),
			   roundup(fsize, pagesize) - fsize);
	unmap_range(a, &r);
	return true;
}

static bool exec_mwrite(struct logent *a)
{
	struct mrange r;

	map_range(a, PROT_READ | PROT_WRITE, MAP_SHARED, &r);
	fill(buf, a->tag, a->off, a->len);
	memcpy(r.p, buf, a->len);
	if (a->flags & LF_MSYNC &&
	    msync(r.p - (a->off - r.moff), r.mlen, MS_SYNC))
		fail_errno("msync");
	unmap_range(a, &r);
	memcpy(good + a->off, buf, a->len);
	return true;
}

static bool exec_pmwrite(struct logent *a)
{
	struct mrange r;

	map_range(a, PROT_READ | PROT_WRITE, MAP_PRIVATE, &r);
	/* The mapping shows the file until written, then its own copy. */
	check_data("pmwrite before", a->off, r.p, a->len);
	fill(buf, a->tag, a->off, a->len);
	memcpy(r.p, buf, a->len);
	if (memcmp(r.p, buf, a->len))
		miscompare("pmwrite mapping", a->off, buf, r.p, a->len);
	unmap_range(a, &r);
	/* The shadow is unchanged: later reads check the file kept it. */
	return true;
}

static uint64_t rnd_dlen(void)
{
	return dalign * (1 + rnd_below(umax(maxop / dalign, 1)));
}

static bool pick_dread(struct logent *a)
{
	a->off = dalign * rnd_below(roundup(fsize, dalign) / dalign + 1);
	a->len = rnd_dlen();
	return true;
}

static bool exec_dread(struct logent *a)
{
	uint64_t r = io_read("dread", dfd, dbuf, a->len, a->off,
			     eof_want(a->off, a->len));

	check_count("dread", a->off, a->len, r);
	check_data("dread", a->off, dbuf, r);
	return true;
}

static bool pick_dwrite(struct logent *a)
{
	uint64_t amax = maxlen / dalign * dalign;

	if (amax < dalign)		/* --fixed-size: a file that small */
		return false;
	a->off = umin(rnd_off() / dalign * dalign, amax - dalign);
	a->len = umin(rnd_dlen(), amax - a->off);
	return true;
}

static bool exec_dwrite(struct logent *a)
{
	fill(dbuf, a->tag, a->off, a->len);
	io_write("dwrite", dfd, dbuf, a->len, a->off);
	memcpy(good + a->off, dbuf, a->len);
	fsize = umax(fsize, a->off + a->len);
	return true;
}

static bool pick_trunc(struct logent *a)
{
	a->off = rnd_below(maxlen + 1);
	return true;
}

static bool exec_trunc(struct logent *a)
{
	if (ftruncate(fd, a->off))
		fail_errno("ftruncate");
	if (a->off < fsize)
		memset(good + a->off, 0, fsize - a->off);
	fsize = a->off;
	return true;
}

/* falloc, punch, zero and unshare: a random range. */
static bool pick_falloc(struct logent *a)
{
	a->off = rnd_off();
	a->len = umin(rnd_len(maxop), maxlen - a->off);
	if (rnd_below(2) || a->op == OP_PUNCH)
		a->flags |= LF_KEEP;
	return true;
}

static int falloc_mode(const struct logent *a)
{
	int keep = a->flags & LF_KEEP ? FALLOC_FL_KEEP_SIZE : 0;

	switch (a->op) {
	case OP_PUNCH:
		return FALLOC_FL_PUNCH_HOLE | keep;
	case OP_ZERO:
		return FALLOC_FL_ZERO_RANGE | keep;
	case OP_UNSHARE:
		return FALLOC_FL_UNSHARE_RANGE | keep;
	case OP_COLLAPSE:
		return FALLOC_FL_COLLAPSE_RANGE;
	case OP_INSERT:
		return FALLOC_FL_INSERT_RANGE;
	default:
		return keep;
	}
}

static bool do_falloc(const struct logent *a)
{
	if (fallocate(fd, falloc_mode(a), a->off, a->len))
		return tolerate(a->op, "fallocate");
	ops[a->op].worked = true;
	return true;
}

/*
 * fallocate mode 0 or KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE, UNSHARE_RANGE.
 * The shadow is zero past EOF, so zeroing needs no care about the size.
 */
static bool exec_falloc(struct logent *a)
{
	if (a->op == OP_UNSHARE && inject_model == OP_UNSHARE &&
	    !(a->flags & LF_KEEP) && a->off + a->len > fsize)
		model_injected("skipped fallocate(UNSHARE_RANGE) that extends the file");
	else if (!do_falloc(a))
		return false;
	if (a->op == OP_PUNCH || a->op == OP_ZERO)
		memset(good + a->off, 0, a->len);
	if (!(a->flags & LF_KEEP))
		fsize = umax(fsize, a->off + a->len);
	return true;
}

/* Block-aligned; the range must end before EOF. */
static bool pick_collapse(struct logent *a)
{
	uint64_t nb = fsize ? (fsize - 1) / bsize : 0, ob, lb;

	if (!nb)
		return false;
	ob = rnd_below(nb);
	lb = 1 + rnd_below(umin(nb - ob, umax(maxop / bsize, 1)));
	a->off = ob * bsize;
	a->len = lb * bsize;
	return true;
}

static bool exec_collapse(struct logent *a)
{
	if (!do_falloc(a))
		return false;
	memmove(good + a->off, good + a->off + a->len,
		fsize - a->off - a->len);
	memset(good + fsize - a->len, 0, a->len);
	fsize -= a->len;
	return true;
}

/* Block-aligned; the offset must be below EOF. */
static bool pick_insert(struct logent *a)
{
	uint64_t lbmax = umin((maxlen - fsize) / bsize, umax(maxop / bsize, 1));

	if (!fsize || !lbmax)
		return false;
	a->off = bsize * rnd_below((fsize - 1) / bsize + 1);
	a->len = bsize * (1 + rnd_below(lbmax));
	return true;
}

static bool exec_insert(struct logent *a)
{
	if (!do_falloc(a))
		return false;
	memmove(good + a->off + a->len, good + a->off, fsize - a->off);
	memset(good + a->off, 0, a->len);
	fsize += a->len;
	return true;
}

/* Rewrite part of the clone source, so that clones carry fresh data. */
static void swrite(void)
{
	struct logent a = { .n = opnum, .op = OP_SWRITE,
			    .tag = opnum | SCRATCH_TAG };

	a.off = bsize * rnd_below(maxlen / bsize);
	a.len = umin(rnd_len(maxop), maxlen - a.off);
	run(&a);
}

static bool exec_swrite(struct logent *a)
{
	fill(buf, a->tag, a->off, a->len);
	pwrite_full(sfd, buf, a->len, a->off);
	memcpy(sgood + a->off, buf, a->len);
	ssize = umax(ssize, a->off + a->len);
	return true;
}

static bool exec_strunc(struct logent *a)
{
	if (ftruncate(sfd, a->off))
		fail_errno("ftruncate of the clone source");
	if (a->off < ssize)
		memset(sgood + a->off, 0, ssize - a->off);
	ssize = a->off;
	return true;
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

static bool pick_clone(struct logent *a)
{
	uint64_t amax = maxlen / bsize * bsize, blen, lo = 0;

	if (!rnd_below(4))
		swrite();
	pick_src(ssize, &a->src, &a->len, &blen);
	/*
	 * A length that is not block-aligned reaches the source's EOF and
	 * must reach the destination's EOF too.
	 */
	if (a->len % bsize)
		lo = roundup(fsize > a->len ? fsize - a->len : 0, bsize);
	if (lo + blen > amax)
		return false;
	a->off = lo + bsize * rnd_below((amax - blen - lo) / bsize + 1);
	return true;
}

static bool pick_sclone(struct logent *a)
{
	uint64_t amax = maxlen / bsize * bsize, blen, nlo, nhi, k;

	if (!fsize)
		return false;
	pick_src(fsize, &a->src, &a->len, &blen);
	/* below the source; an unaligned tail can only go past EOF */
	nlo = !(a->len % bsize) && a->src >= blen ?
	      (a->src - blen) / bsize + 1 : 0;
	/* above it */
	nhi = amax >= a->src + 2 * blen ?
	      (amax - a->src - 2 * blen) / bsize + 1 : 0;
	if (!nlo && !nhi)
		return false;
	k = rnd_below(nlo + nhi);
	a->off = k < nlo ? k * bsize : a->src + blen + (k - nlo) * bsize;
	return true;
}

static bool exec_clone(struct logent *a)
{
	bool within = a->op == OP_SCLONE;
	struct file_clone_range fcr = {
		.src_fd = within ? fd : sfd, .src_offset = a->src,
		.src_length = a->len, .dest_offset = a->off,
	};

	if (ioctl(fd, FICLONERANGE, &fcr))
		return tolerate(a->op, "FICLONERANGE");
	ops[a->op].worked = true;
	memmove(good + a->off, (within ? good : sgood) + a->src, a->len);
	fsize = umax(fsize, a->off + a->len);
	return true;
}

/* The bytes a copy must copy: the kernel stops at the source's EOF. */
static uint64_t copy_want(const struct logent *a)
{
	uint64_t size = a->flags & LF_SRCFILE ? ssize : fsize;

	return a->src < size ? umin(a->len, size - a->src) : 0;
}

/* From FILE.fsxsrc, sometimes past its EOF, to anywhere in FILE */
static bool pick_copy_from_src(struct logent *a)
{
	a->flags |= LF_SRCFILE;
	a->src = rnd_below(8) ? rnd_below(ssize) : ssize + rnd_below(bsize);
	a->len = rnd_len(maxop);
	a->off = rnd_off();
	a->len = umin(a->len, maxlen - a->off);
	return true;
}

/*
 * Within FILE, never overlapping: below the source, whose range may reach
 * past EOF (the file does not grow, so short copies go on the same), or
 * above it, maybe past EOF (the source range ends before EOF then).
 */
static bool pick_copy_within(struct logent *a)
{
	uint64_t top = fixed ? fsize : maxlen, len;

	if (!fsize)
		return false;
	a->src = rnd_below(fsize);
	len = rnd_len(maxop);
	if (fixed)
		len = umin(len, fsize - a->src);
	if (a->src && rnd_below(2)) {
		a->len = umin(len, a->src);
		a->off = rnd_below(a->src - a->len + 1);
		return true;
	}
	len = umin(len, fsize - a->src);
	if (a->src + 2 * len > top)
		len = (top - a->src) / 2;
	if (!len)
		return false;
	a->len = len;
	a->off = a->src + len + rnd_below(top - a->src - 2 * len + 1);
	return true;
}

static bool pick_copy(struct logent *a)
{
	if (sfd >= 0 && !rnd_below(3))
		return pick_copy_from_src(a);
	return pick_copy_within(a);
}

/* copy_file_range until done, as short copies may be; 0 bytes: EOF. */
static bool copy_loop(int from, struct logent *a, uint64_t *done)
{
	loff_t in = a->src, out = a->off;
	ssize_t r;

	while (*done < a->len) {
		r = copy_file_range(from, &in, fd, &out, a->len - *done, 0);
		if (r < 0 && !*done)
			return tolerate(OP_COPY, "copy_file_range");
		if (r < 0)
			fail_op("copy_file_range of 0x%llx len 0x%llx to 0x%llx, after %llu bytes: %s (%s)",
				(unsigned long long)a->src,
				(unsigned long long)a->len,
				(unsigned long long)a->off,
				(unsigned long long)*done, errname(errno),
				strerror(errno));
		if (!r)
			break;
		if ((uint64_t)r > a->len - *done)
			fail_op("copy_file_range copied %zd bytes, %llu asked",
				r, (unsigned long long)(a->len - *done));
		*done += r;
	}
	if ((uint64_t)in != a->src + *done || (uint64_t)out != a->off + *done)
		fail_op("copy_file_range moved the offsets to 0x%llx and 0x%llx after %llu bytes",
			(unsigned long long)in, (unsigned long long)out,
			(unsigned long long)*done);
	return true;
}

static bool exec_copy(struct logent *a)
{
	bool srcf = a->flags & LF_SRCFILE;
	const unsigned char *sh = srcf ? sgood : good;
	uint64_t want = copy_want(a), done = 0;

	if (inject_model == OP_COPY && want && (a->off + want > fsize ||
	    memcmp(good + a->off, sh + a->src, want))) {
		model_injected("skipped copy_file_range, the shadow has the copy");
		done = want;
	} else if (!copy_loop(srcf ? sfd : fd, a, &done)) {
		return false;
	}
	ops[OP_COPY].worked = true;
	if (done != want)
		fail_op("copy_file_range of 0x%llx len 0x%llx%s to 0x%llx copied %llu bytes, expected %llu (source size 0x%llx)",
			(unsigned long long)a->src, (unsigned long long)a->len,
			srcf ? " of FILE.fsxsrc" : "",
			(unsigned long long)a->off, (unsigned long long)done,
			(unsigned long long)want,
			(unsigned long long)(srcf ? ssize : fsize));
	a->done = done;
	if (!done)
		return true;
	memmove(good + a->off, sh + a->src, done);
	fsize = umax(fsize, a->off + done);
	return true;
}

/*
 * Can FIDEDUPERANGE take these ranges whole?  Block-aligned offsets, both
 * ranges within EOF, the length block-aligned or reaching both EOFs, and
 * within FILE apart (by whole blocks).
 */
static bool dedupe_fits(bool srcf, uint64_t s, uint64_t d, uint64_t len)
{
	uint64_t insize = srcf ? ssize : fsize, blen = roundup(len, bsize);

	if (!len || s % bsize || d % bsize || s + len > insize ||
	    d + len > fsize)
		return false;
	if (len % bsize && (s + len != insize || d + len != fsize))
		return false;
	return srcf || d + blen <= s || s + blen <= d;
}

/* Identical ranges that a recent clone or copy left behind, if any */
static bool dedupe_from_log(struct logent *a)
{
	for (unsigned long i = nlogged; i-- > 0 && nlogged - i <= NLOG;) {
		const struct logent *le = &oplog[i % NLOG];
		bool srcf = le->op == OP_CLONE ||
			    (le->op == OP_COPY && le->flags & LF_SRCFILE);
		uint64_t insize = srcf ? ssize : fsize, len = le->done;

		if ((le->op != OP_CLONE && le->op != OP_SCLONE &&
		     le->op != OP_COPY) || le->src >= insize ||
		    le->off >= fsize)
			continue;
		len = umin(len, umin(insize - le->src, fsize - le->off));
		if (len % bsize &&
		    (le->src + len != insize || le->off + len != fsize))
			len -= len % bsize;
		if (!dedupe_fits(srcf, le->src, le->off, len) ||
		    memcmp((srcf ? sgood : good) + le->src, good + le->off,
			   len))
			continue;
		a->src = le->src;
		a->off = le->off;
		a->len = len;
		a->flags |= srcf ? LF_SRCFILE : 0;
		return true;
	}
	return false;
}

/* Random block-aligned ranges within EOF, apart within FILE */
static bool dedupe_random(struct logent *a, bool srcf)
{
	uint64_t insize = srcf ? ssize : fsize, nin = insize / bsize;
	uint64_t nout = fsize / bsize, lb, sb, nlo, nhi, k;

	lb = umin(umin(nin, nout), umax(maxop / bsize, 1));
	if (!srcf)
		lb = umin(lb, nout / 2);
	if (!lb)
		return false;
	lb = 1 + rnd_below(lb);
	sb = rnd_below(nin - lb + 1);
	if (srcf) {
		k = rnd_below(nout - lb + 1);
	} else {
		nlo = sb >= lb ? sb - lb + 1 : 0;
		nhi = nout >= sb + 2 * lb ? nout - sb - 2 * lb + 1 : 0;
		if (!nlo && !nhi)
			return false;
		k = rnd_below(nlo + nhi);
		k = k < nlo ? k : sb + lb + k - nlo;
	}
	a->src = bsize * sb;
	a->off = bsize * k;
	a->len = bsize * lb;
	a->flags |= srcf ? LF_SRCFILE : 0;
	return true;
}

/*
 * Unaligned tails: the source truncated (strunc) so that a range of it
 * and one of FILE of the same length both end at EOF.
 */
static bool dedupe_eof(struct logent *a)
{
	struct logent t = { .n = opnum, .op = OP_STRUNC, .tag = opnum };
	uint64_t tail = fsize % bsize, len;

	if (sfd < 0 || !tail)
		return false;
	len = tail + bsize * rnd_below(umin(fsize / bsize,
					    umax(maxop / bsize, 1)) + 1);
	a->src = bsize * rnd_below((maxlen - len) / bsize + 1);
	a->off = fsize - len;
	a->len = len;
	a->flags |= LF_SRCFILE;
	t.off = a->src + len;
	run(&t);
	return true;
}

static bool pick_dedupe(struct logent *a)
{
	bool srcf = sfd >= 0 && !rnd_below(3);
	unsigned int how = rnd_below(8);

	if (how == 0 && dedupe_from_log(a))
		return true;
	if (how == 1 && dedupe_eof(a)) {
		a->flags |= rnd_below(2) ? LF_PREP : 0;
		return true;
	}
	if (!dedupe_random(a, srcf))
		return false;
	a->flags |= how >= 5 ? LF_PREP : 0;
	return true;
}

/* LF_PREP: the same fresh data to both ranges, so that they match. */
static void dedupe_prep(const struct logent *a, int from, unsigned char *sh)
{
	fill(buf, a->tag, a->src, a->len);
	pwrite_full(from, buf, a->len, a->src);
	pwrite_full(fd, buf, a->len, a->off);
	memcpy(sh + a->src, buf, a->len);
	memcpy(good + a->off, buf, a->len);
}

static const char *dedupe_status(int status)
{
	if (status == FILE_DEDUPE_RANGE_SAME)
		return "SAME";
	return status == FILE_DEDUPE_RANGE_DIFFERS ? "DIFFERS" : "?";
}

static void __noreturn dedupe_failed(const struct logent *a, int from,
				     const unsigned char *sh, bool same,
				     const struct file_dedupe_range_info *info)
{
	/* Data unlike the shadows explain it best. */
	check_file_range(from, sh, a->src, a->len, "dedupe source");
	check_file_range(fd, good, a->off, a->len, "dedupe destination");
	fail_op("FIDEDUPERANGE of 0x%llx len 0x%llx%s to 0x%llx: status %d (%s), %llu bytes deduped; expected %s",
		(unsigned long long)a->src, (unsigned long long)a->len,
		a->flags & LF_SRCFILE ? " of FILE.fsxsrc" : "",
		(unsigned long long)a->off, info->status,
		dedupe_status(info->status),
		(unsigned long long)info->bytes_deduped,
		same ? "SAME, all of them (the ranges are identical)" :
		"DIFFERS (the ranges differ)");
}

/* FIDEDUPERANGE: the kernel must tell identical ranges; no data changes. */
static bool exec_dedupe(struct logent *a)
{
	static struct file_dedupe_range *r;
	struct file_dedupe_range_info *info;
	bool srcf = a->flags & LF_SRCFILE, same;
	unsigned char *sh = srcf ? sgood : good;
	int from = srcf ? sfd : fd;

	if (!r)
		r = malloc(sizeof(*r) + sizeof(r->info[0]));
	if (!r)
		fail_op("out of memory");
	if (a->flags & LF_PREP)
		dedupe_prep(a, from, sh);
	same = !memcmp(sh + a->src, good + a->off, a->len);
	if (inject_model == OP_DEDUPE) {
		model_injected("expects the wrong dedupe status");
		same = !same;
	}
	memset(r, 0, sizeof(*r) + sizeof(r->info[0]));
	r->src_offset = a->src;
	r->src_length = a->len;
	r->dest_count = 1;
	info = &r->info[0];
	info->dest_fd = fd;
	info->dest_offset = a->off;
	if (ioctl(from, FIDEDUPERANGE, r))
		return tolerate(OP_DEDUPE, "FIDEDUPERANGE");
	if (info->status < 0) {
		errno = -info->status;
		return tolerate(OP_DEDUPE, "FIDEDUPERANGE status");
	}
	ops[OP_DEDUPE].worked = true;
	if (same ? info->status == FILE_DEDUPE_RANGE_SAME &&
		   info->bytes_deduped == a->len :
		   info->status == FILE_DEDUPE_RANGE_DIFFERS)
		return true;
	dedupe_failed(a, from, sh, same, info);
}

static bool exec_sync(struct logent *a)
{
	if (a->op == OP_FSYNC ? fsync(fd) : fdatasync(fd))
		fail_errno(a->op == OP_FSYNC ? "fsync" : "fdatasync");
	return true;
}

static bool pick_none(struct logent *a)
{
	(void)a;
	return true;
}

static void verify_all(void);

/* --inject-corruption: flip a byte behind the shadow's back. */
static bool exec_inject(struct logent *a)
{
	unsigned char b;

	if (pread(fd, &b, 1, a->off) != 1)
		fail_errno("pread");
	b = ~b;
	if (pwrite(fd, &b, 1, a->off) != 1)
		fail_errno("pwrite");
	fprintf(stderr, "fsx: op %lu: corrupted the byte at 0x%llx\n", opnum,
		(unsigned long long)a->off);
	verify_now = true;
	return true;
}

static bool (*const pickers[NR_OPS])(struct logent *) = {
	[OP_READ] = pick_read,		[OP_WRITE] = pick_write,
	[OP_MREAD] = pick_mrange,	[OP_MWRITE] = pick_mwrite,
	[OP_PMWRITE] = pick_mrange,	[OP_DREAD] = pick_dread,
	[OP_DWRITE] = pick_dwrite,	[OP_TRUNC] = pick_trunc,
	[OP_FALLOC] = pick_falloc,	[OP_PUNCH] = pick_falloc,
	[OP_ZERO] = pick_falloc,	[OP_UNSHARE] = pick_falloc,
	[OP_COLLAPSE] = pick_collapse,	[OP_INSERT] = pick_insert,
	[OP_CLONE] = pick_clone,	[OP_SCLONE] = pick_sclone,
	[OP_COPY] = pick_copy,		[OP_DEDUPE] = pick_dedupe,
	[OP_FSYNC] = pick_none,		[OP_FDSYNC] = pick_none,
};

static bool (*const execs[NR_LOGOPS])(struct logent *) = {
	[OP_READ] = exec_read,		[OP_WRITE] = exec_write,
	[OP_MREAD] = exec_mread,	[OP_MWRITE] = exec_mwrite,
	[OP_PMWRITE] = exec_pmwrite,	[OP_DREAD] = exec_dread,
	[OP_DWRITE] = exec_dwrite,	[OP_TRUNC] = exec_trunc,
	[OP_FALLOC] = exec_falloc,	[OP_PUNCH] = exec_falloc,
	[OP_ZERO] = exec_falloc,	[OP_UNSHARE] = exec_falloc,
	[OP_COLLAPSE] = exec_collapse,	[OP_INSERT] = exec_insert,
	[OP_CLONE] = exec_clone,	[OP_SCLONE] = exec_clone,
	[OP_COPY] = exec_copy,		[OP_DEDUPE] = exec_dedupe,
	[OP_FSYNC] = exec_sync,		[OP_FDSYNC] = exec_sync,
	[OP_SWRITE] = exec_swrite,	[OP_STRUNC] = exec_strunc,
	[OP_INJECT] = exec_inject,
};

/*
 * --pollute-eof: where the operation takes EOF, if it moves it; reaching
 * further than the EOF page means the whole page (as the reference fsx).
 */
static uint64_t eof_end(const struct logent *a)
{
	switch (a->op) {
	case OP_TRUNC:
		return a->off != fsize ? maxlen : 0;
	case OP_COLLAPSE:
	case OP_INSERT:
		return maxlen;
	case OP_FALLOC:
	case OP_ZERO:
	case OP_UNSHARE:
		if (a->flags & LF_KEEP)
			return 0;
		fallthrough;
	case OP_WRITE:
	case OP_CLONE:
	case OP_SCLONE:
		return a->off + a->len;
	case OP_COPY:		/* nothing to copy: nothing moves */
		return copy_want(a) ? a->off + copy_want(a) : 0;
	default:		/* dwrite too: see the header */
		return 0;
	}
}

static unsigned char *map_eof_page(void)
{
	void *p = mmap(NULL, pagesize, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       fsize & ~(pagesize - 1));

	if (p == MAP_FAILED)
		fail_errno("mmap of the EOF page");
	return p;
}

/*
 * Junk past EOF in the EOF page, written through a mapping: the kernel
 * must zero it when EOF moves over it.  Returns its range in lo, hi.
 */
static void pollute(const struct logent *a, uint64_t *lo, uint64_t *hi)
{
	uint64_t pg = fsize % pagesize, end = eof_end(a);
	unsigned char *p;

	if (!pg || end <= fsize)
		return;
	p = map_eof_page();
	*lo = fsize;
	*hi = umin(fsize - pg + pagesize, end);
	fill(p + pg, a->tag | JUNK_TAG, *lo, *hi - *lo);
	if (munmap(p, pagesize))
		fail_errno("munmap");
}

/* The operation did not happen (unsupported): take the junk back. */
static void unpollute(uint64_t lo, uint64_t hi)
{
	unsigned char *p = map_eof_page();

	memset(p + lo % pagesize, 0, hi - lo);
	if (munmap(p, pagesize))
		fail_errno("munmap");
}

/* What was junk reads as the shadow (zeros or new data) now. */
static void check_pollution(uint64_t lo, uint64_t hi)
{
	unsigned char *p;

	if (lo < umin(hi, fsize))
		check_file_range(fd, good, lo, umin(hi, fsize) - lo,
				 "read after --pollute-eof");
	/* Junk left in the EOF page past EOF must read as zeros too. */
	if (fsize >= hi || !(fsize % pagesize) ||
	    fsize / pagesize != lo / pagesize)
		return;
	p = map_eof_page();
	check_data("mapped EOF page after --pollute-eof", fsize,
		   p + fsize % pagesize, pagesize - fsize % pagesize);
	if (munmap(p, pagesize))
		fail_errno("munmap");
}

/* --flush-inval: write back and drop the cached range of a write. */
static void flush_after(const struct logent *a)
{
	uint64_t lo = a->off & ~(pagesize - 1), end = umin(a->off + a->done,
							   fsize);
	void *p;
	int err;

	if (a->op != OP_WRITE && a->op != OP_MWRITE && a->op != OP_DWRITE &&
	    a->op != OP_COPY)
		return;
	if (fdatasync(fd))
		fail_errno("fdatasync (--flush-inval)");
	err = posix_fadvise(fd, a->off, a->done, POSIX_FADV_DONTNEED);
	if (err)
		fail_op("posix_fadvise DONTNEED: %s", strerror(err));
	if (end <= lo)
		return;
	p = mmap(NULL, end - lo, PROT_READ, MAP_SHARED, fd, lo);
	if (p == MAP_FAILED)
		fail_errno("mmap (--flush-inval)");
	if (msync(p, end - lo, MS_INVALIDATE))
		fail_errno("msync MS_INVALIDATE");
	if (munmap(p, end - lo))
		fail_errno("munmap");
}

/* --reopen: close FILE (and the O_DIRECT descriptor) and open it again. */
static void reopen(void)
{
	if (close(fd))
		fail_errno("close (--reopen)");
	fd = open(fname, O_RDWR);
	if (fd < 0)
		fail_errno("open (--reopen)");
	if (dfd < 0)
		return;
	if (close(dfd))
		fail_errno("close of the O_DIRECT descriptor (--reopen)");
	dfd = open(fname, O_RDWR | O_DIRECT);
	if (dfd < 0)
		fail_errno("open O_DIRECT (--reopen)");
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

/* Log, record and execute an operation, with the modes around it. */
static bool run(const struct logent *a)
{
	struct logent *le = log_op(a);
	uint64_t lo = 0, hi = 0;
	bool ok;

	if (le->flags & LF_POLLUTE)
		pollute(le, &lo, &hi);
	ok = execs[le->op](le);
	le->after = src_op(le->op) ? ssize : fsize;
	if (!ok && hi)
		unpollute(lo, hi);
	if (ok && hi)
		check_pollution(lo, hi);
	if (ok && flush_inval)
		flush_after(le);
	if (le->flags & LF_REOPEN)
		reopen();
	if (sync_each && fsync(fd))
		fail_errno("fsync (--sync-each)");
	if (verify_now || verify_each) {
		verify_now = false;
		verify_all();
	}
	if (verbose)
		print_logent(stdout, le, NO_MARK);
	cur = NULL;
	return ok;
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

/* One random operation */
static void random_op(void)
{
	struct logent a = { .n = opnum, .tag = opnum };

	a.op = pick_op();
	if (a.op < 0)
		fail_op("every operation is switched off");
	if (!pickers[a.op](&a)) {
		nskip++;
		return;
	}
	if (pollute_eof && !fixed && fsize % pagesize && eof_end(&a) > fsize)
		a.flags |= LF_POLLUTE;
	if (reopen_every && !rnd_below(reopen_every))
		a.flags |= LF_REOPEN;
	if (run(&a))
		ops[a.op].count++;
	else
		nskip++;
}

static void inject(void)
{
	struct logent a = { .n = opnum, .op = OP_INJECT, .len = 1,
			    .tag = opnum };

	a.off = mix(seed ^ opnum) % fsize;
	run(&a);
}

static void on_signal(int sig)
{
	fprintf(stderr, "fsx: op %lu: %s\n", opnum,
		sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
	dump_log(NO_MARK);
	save_record();
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

/* --replay-ops: the record being replayed and its line number */
static FILE *rf;
static unsigned long rline;

static void __noreturn bad_record(const char *why)
{
	fprintf(stderr, "fsx: %s:%lu: %s\n", replay_name, rline, why);
	exit(2);
}

/*
 * The first line of a record has what the data and the layout depend on:
 * "# fsx ops: seed=S maxlen=L maxop=O bsize=B align=A fixed=F".
 */
static void replay_header(void)
{
	static const char *const keys[] = {
		"seed", "maxlen", "maxop", "bsize", "align", "fixed",
	};
	uint64_t *const vars[] = {
		&seed, &maxlen, &maxop, &bsize, &dalign, NULL,
	};
	char line[512], *tok, *save, *eq;
	uint64_t v;
	size_t k;

	rf = fopen(replay_name, "r");
	if (!rf) {
		fprintf(stderr, "fsx: %s: %s\n", replay_name, strerror(errno));
		exit(2);
	}
	rline = 1;
	if (!fgets(line, sizeof(line), rf) || strncmp(line, "# fsx ops:", 10))
		bad_record("not a record of fsx operations");
	for (tok = strtok_r(line + 10, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save)) {
		eq = strchr(tok, '=');
		if (!eq || !parse_num(eq + 1, &v))
			bad_record("expected KEY=NUMBER in the header");
		*eq = '\0';
		for (k = 0; k < 6 && strcmp(tok, keys[k]); k++)
			;
		if (k == 6)
			bad_record("unknown key in the header");
		if (vars[k])
			*vars[k] = v;
		else
			fixed = v;
	}
}

static void replay_word(struct logent *a, char *tok)
{
	unsigned long long v;
	int i;

	if (sscanf(tok, "src=%llx", &v) == 1) {
		a->src = v;
		return;
	}
	if (sscanf(tok, "tag=%llx", &v) == 1) {
		a->tag = v;
		return;
	}
	for (i = 0; i < NR_LF && strcmp(tok, lf_names[i]); i++)
		;
	if (i == NR_LF)
		bad_record("unknown word");
	a->flags |= 1U << i;
}

/* Could the operation run without going out of fsx's buffers? */
static bool replay_valid(const struct logent *a)
{
	bool src = src_op(a->op) || a->op == OP_CLONE ||
		   a->flags & LF_SRCFILE;

	if (src && sfd < 0)
		return false;
	if (a->op == OP_TRUNC || a->op == OP_STRUNC)
		return a->off <= maxlen;
	if (a->op == OP_INJECT)
		return a->off < maxlen;
	if (a->off > maxlen + bsize || a->len > maxlen ||
	    a->src > maxlen + bsize)
		return false;
	switch (a->op) {
	case OP_READ:
		return a->len <= bufsize;
	case OP_DREAD:
		return a->len <= dbufsize && !(a->off % dalign) &&
		       !(a->len % dalign);
	case OP_DWRITE:
		return a->len <= dbufsize && !(a->off % dalign) &&
		       !(a->len % dalign) && a->off + a->len <= maxlen;
	case OP_WRITE:
	case OP_MWRITE:
	case OP_PMWRITE:
	case OP_SWRITE:
		return a->len <= bufsize && a->off + a->len <= maxlen;
	case OP_DEDUPE:
		if (a->flags & LF_PREP && a->len > bufsize)
			return false;
		return a->src + a->len <= maxlen && a->off + a->len <= maxlen;
	default:
		return a->off + a->len <= maxlen;
	}
}

/* "N NAME OFFSET LENGTH [src=S] [tag=T] [FLAG]..." */
static bool replay_next(struct logent *a)
{
	unsigned long long off, len;
	char line[512], name[16], *tok, *save;
	int end;

	do {
		if (!fgets(line, sizeof(line), rf))
			return false;
		rline++;
	} while (line[0] == '#' || line[0] == '\n');
	memset(a, 0, sizeof(*a));
	if (sscanf(line, "%lu %15s %llx %llx%n", &a->n, name, &off, &len,
		   &end) != 4)
		bad_record("expected NUMBER NAME OFFSET LENGTH [WORD]...");
	a->op = op_code(name);
	if (a->op < 0)
		bad_record("unknown operation");
	a->off = off;
	a->len = len;
	a->tag = a->n;
	for (tok = strtok_r(line + end, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save))
		replay_word(a, tok);
	if (!replay_valid(a))
		bad_record("out of range, or needs FILE.fsxsrc");
	return true;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: fsx [-N ops] [-S seed] [-l maxlen] [-o maxop] [-b bsize] [-a align]\n"
		"           [-c verify-every] [-p progress-every] [-q] [-v] [-R] [-D] [-F]\n"
		"           [--no-CLASS]... [--strict] [--fixed-size] [--save SHADOW]\n"
		"           [--aio | --uring] [--reopen P] [--flush-inval] [--sync-each]\n"
		"           [--pollute-eof] [--verify-each] [--record-ops LOG] FILE\n"
		"       fsx --replay-ops LOG [options] FILE\n"
		"       fsx --check SHADOW FILE\n"
		"classes:");
	for (int i = 0; i < NR_OPS; i++)
		fprintf(stderr, " %s", ops[i].name);
	fputc('\n', stderr);
	return 2;
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

enum {
	O_STRICT = 256, O_SAVE, O_CHECK, O_INJECT, O_FIXED, O_AIO, O_URING,
	O_REOPEN, O_FLUSH, O_SYNC_EACH, O_POLLUTE, O_VERIFY_EACH, O_RECORD,
	O_REPLAY, O_INJECT_MODEL, O_NO,
};

static const struct option base_opts[] = {
	{ "strict", no_argument, NULL, O_STRICT },
	{ "fixed-size", no_argument, NULL, O_FIXED },
	{ "save", required_argument, NULL, O_SAVE },
	{ "check", required_argument, NULL, O_CHECK },
	{ "verify-only", required_argument, NULL, O_CHECK },
	{ "inject-corruption", required_argument, NULL, O_INJECT },
	{ "inject-model", required_argument, NULL, O_INJECT_MODEL },
	{ "aio", no_argument, NULL, O_AIO },
	{ "uring", no_argument, NULL, O_URING },
	{ "reopen", required_argument, NULL, O_REOPEN },
	{ "flush-inval", no_argument, NULL, O_FLUSH },
	{ "sync-each", no_argument, NULL, O_SYNC_EACH },
	{ "pollute-eof", no_argument, NULL, O_POLLUTE },
	{ "verify-each", no_argument, NULL, O_VERIFY_EACH },
	{ "record-ops", required_argument, NULL, O_RECORD },
	{ "replay-ops", required_argument, NULL, O_REPLAY },
	{ "help", no_argument, NULL, 'h' },
};

/* Options that only set a flag or a name */
static const struct { int opt; bool *flag; } flag_opts[] = {
	{ 'q', &quiet },		{ 'v', &verbose },
	{ O_STRICT, &strict },		{ O_FIXED, &fixed },
	{ O_FLUSH, &flush_inval },	{ O_SYNC_EACH, &sync_each },
	{ O_POLLUTE, &pollute_eof },	{ O_VERIFY_EACH, &verify_each },
};

static const struct { int opt; const char **name; } name_opts[] = {
	{ O_SAVE, &save_name },		{ O_RECORD, &record_name },
	{ O_REPLAY, &replay_name },
};

/* Options without a number; false for a bad one. */
static bool other_opt(int opt, const char **check)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(flag_opts); i++) {
		if (opt == flag_opts[i].opt) {
			*flag_opts[i].flag = true;
			return true;
		}
	}
	for (i = 0; i < ARRAY_SIZE(name_opts); i++) {
		if (opt == name_opts[i].opt) {
			*name_opts[i].name = optarg;
			return true;
		}
	}
	switch (opt) {
	case 'R':
		switch_off(OP_MREAD, OP_MWRITE);
		switch_off(OP_PMWRITE, OP_PMWRITE);
		break;
	case 'D':
		switch_off(OP_DREAD, OP_DWRITE);
		break;
	case 'F':
		switch_off(OP_FALLOC, OP_INSERT);
		switch_off(OP_UNSHARE, OP_UNSHARE);
		break;
	case O_CHECK:
		*check = optarg;
		break;
	case O_AIO:
	case O_URING:
		if (engine)
			return false;		/* one engine */
		engine = opt == O_AIO ? ENG_AIO : ENG_URING;
		break;
	case O_INJECT_MODEL:
		inject_model = op_code(optarg);
		return inject_model == OP_COPY || inject_model == OP_DEDUPE ||
		       inject_model == OP_UNSHARE;
	case O_NO + OP_CLONE:	/* both kinds */
		switch_off(OP_CLONE, OP_SCLONE);
		break;
	case O_NO + OP_FSYNC:	/* and fdatasync */
		switch_off(OP_FSYNC, OP_FDSYNC);
		break;
	default:
		if (opt < O_NO || opt >= O_NO + NR_OPS)
			return false;
		switch_off(opt - O_NO, opt - O_NO);
	}
	return true;
}

static bool check_args(void)
{
	if (fixed) {		/* nothing that changes the size or layout */
		switch_off(OP_TRUNC, OP_SCLONE);
		switch_off(OP_DEDUPE, OP_UNSHARE);
		if (!pow2(bsize) || !pow2(dalign) || !maxop) {
			fprintf(stderr, "fsx: -b, -a: powers of two >= 512; -o > 0\n");
			return false;
		}
		return true;
	}
	if (!pow2(bsize) || !pow2(dalign) || !maxop ||
	    maxlen < 2 * umax(bsize, dalign)) {
		fprintf(stderr, "fsx: -b, -a: powers of two >= 512; -o > 0; -l >= 2 * -b, 2 * -a\n");
		return false;
	}
	return true;
}

static int parse_args(int argc, char **argv, const char **check)
{
	static const char numopts[] = "NSlobacp";
	static uint64_t *const numvars[] = {
		&nops, &seed, &maxlen, &maxop, &bsize, &dalign, &verify_every,
		&progress,
	};
	static char names[NR_OPS][16];
	static struct option lopts[ARRAY_SIZE(base_opts) + NR_OPS + 1];
	uint64_t *var;
	const char *num;
	int i, opt;

	memcpy(lopts, base_opts, sizeof(base_opts));
	for (i = 0; i < NR_OPS; i++) {
		snprintf(names[i], sizeof(names[i]), "no-%s", ops[i].name);
		lopts[ARRAY_SIZE(base_opts) + i] = (struct option){
			names[i], no_argument, NULL, O_NO + i };
	}
	while ((opt = getopt_long(argc, argv, "N:S:l:o:b:a:c:p:qvRDFh",
				  lopts, NULL)) != -1) {
		num = opt < 256 ? strchr(numopts, opt) : NULL;
		var = num ? numvars[num - numopts] : opt == O_INJECT ?
		      &inject_at : opt == O_REOPEN ? &reopen_every : NULL;
		if (var && !parse_num(optarg, var)) {
			fprintf(stderr, "fsx: bad number '%s'\n", optarg);
			return -1;
		}
		if (!var && !other_opt(opt, check))
			return -1;
	}
	if (optind != argc - 1)
		return -1;
	if (*check)
		return 0;
	if (replay_name)
		replay_header();
	return check_args() ? 0 : -1;
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

static bool need_src(void)
{
	return !fixed && (replay_name || !ops[OP_CLONE].off ||
			  !ops[OP_COPY].off || !ops[OP_DEDUPE].off);
}

/* FILE.fsxsrc: the source of clone and some copies and dedupes */
static void setup_src(void)
{
	if (asprintf(&sname, "%s.fsxsrc", fname) < 0)
		exit(1);
	sfd = open(sname, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (sfd < 0)
		fail_errno(sname);
	ssize = maxlen / 2 + rnd_below(maxlen / 2);
	fill(sgood, SCRATCH_TAG, 0, ssize);
	pwrite_full(sfd, sgood, ssize, 0);
}

static void setup_record(void)
{
	rec = record_name ? fopen(record_name, "w") :
	      open_memstream(&rec_mem, &rec_memlen);
	if (!rec)
		fail_errno(record_name ? record_name : "open_memstream");
	fprintf(rec, "# fsx ops: seed=%llu maxlen=0x%llx maxop=0x%llx bsize=%llu align=%llu fixed=%d\n",
		(unsigned long long)seed, (unsigned long long)maxlen,
		(unsigned long long)maxop, (unsigned long long)bsize,
		(unsigned long long)dalign, fixed);
}

static void setup(void)
{
	pagesize = sysconf(_SC_PAGESIZE);
	if (fixed)
		setup_fixed();
	rng = mix(seed);
	bufsize = maxop + 2 * bsize;
	dbufsize = roundup(umax(maxop, dalign), dalign);
	if (!fixed)
		good = calloc(1, maxlen + pagesize);
	sgood = calloc(1, maxlen + pagesize);
	buf = malloc(bufsize);
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
	if (need_src())
		setup_src();
	engine_setup();
	setup_record();
	signal(SIGBUS, on_signal);
	signal(SIGSEGV, on_signal);
}

static void after_op(void)
{
	if (!replay_name && inject_at && opnum >= inject_at && fsize) {
		inject();
		inject_at = 0;
	}
	if (verify_every && opnum % verify_every == 0)
		verify_all();
	if (progress && opnum % progress == 0)
		printf("fsx: op %lu, size 0x%llx\n", opnum,
		       (unsigned long long)fsize);
}

/* --replay-ops: every class runs, but what turns out unsupported. */
static void replay(void)
{
	struct logent a;

	nops = 0;
	while (replay_next(&a)) {
		opnum = a.n;
		nops = umax(nops, a.n);
		if (a.op < NR_OPS && ops[a.op].off)
			nskip++;
		else if (run(&a) && a.op < NR_OPS)
			ops[a.op].count++;
		else if (a.op < NR_OPS)
			nskip++;
		after_op();
	}
	fclose(rf);
}

static void print_start(void)
{
	printf("fsx: %s, seed %llu, %llu ops, maxlen 0x%llx, maxop 0x%llx, bsize %llu, align %llu, disabled:",
	       fname, (unsigned long long)seed, (unsigned long long)nops,
	       (unsigned long long)maxlen, (unsigned long long)maxop,
	       (unsigned long long)bsize, (unsigned long long)dalign);
	for (int i = 0; i < NR_OPS; i++)
		if (ops[i].off)
			printf(" %s", ops[i].name);
	printf("\n");
	if (replay_name)
		printf("fsx: replaying %s\n", replay_name);
}

/* --strict: every class that is on claims support, so it must have run. */
static bool all_ran(void)
{
	bool ok = true;

	for (int i = 0; strict && !replay_name && i < NR_OPS; i++) {
		if (ops[i].off || ops[i].count)
			continue;
		fprintf(stderr, "fsx: --strict: no %s operation ran\n",
			ops[i].name);
		ok = false;
	}
	return ok;
}

static void finish(void)
{
	if (rec && fclose(rec))
		fail_errno(record_name ? record_name : "fclose");
	rec = NULL;
	free(rec_mem);
	if (sfd >= 0) {
		close(sfd);
		unlink(sname);
	}
	if (engine == ENG_AIO)
		io_queue_release(aio_ctx);
	else if (engine == ENG_URING)
		io_uring_queue_exit(&ring);
}

int main(int argc, char **argv)
{
	const char *check = NULL;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv, &check))
		return usage();
	if (check)
		return check_saved(check, argv[optind]);
	fname = argv[optind];
	if (replay_name)	/* what the record has, not what is off */
		for (i = 0; i < NR_OPS; i++)
			ops[i].off = false;
	setup();
	if (!quiet)
		print_start();
	if (replay_name) {
		replay();
	} else {
		for (opnum = 1; opnum <= nops; opnum++) {
			random_op();
			after_op();
		}
	}
	opnum = nops;
	verify_all();
	if (save_name)
		save_shadow();
	printf("fsx: %llu ops, 0 miscompares, seed %llu (counts:",
	       (unsigned long long)nops, (unsigned long long)seed);
	for (i = 0; i < NR_OPS; i++)
		printf(" %s %lu", ops[i].name, ops[i].count);
	if (fixed)
		printf(" eof %lu", neof);
	printf(" skip %lu verify %lu)\n", nskip, nverify);
	if (!all_ran())
		failed(NO_MARK);
	finish();
	return 0;
}
