// SPDX-License-Identifier: GPL-2.0
/*
 * hostile io: one I/O worker for the hostile server's tree.  Errors are
 * expected (the server lies) and only counted; what matters is that every
 * call returns.  The tests run several workers under timeout(1).
 *
 *   direct    O_DIRECT reads and writes, 4 KiB aligned, some RWF_NOWAIT
 *   buffered  unaligned reads and writes, fsync and fdatasync
 *   mmap      shared and private mappings, loads and stores, msync
 *             (SIGBUS and SIGSEGV are caught and counted)
 *   falloc    fallocate (every mode), ftruncate, SEEK_DATA/HOLE, FIEMAP
 *   meta      stat, readdir, open/close, statfs, access of every node
 *   famfs     the files that are famfs files on a famfs mount: opens
 *             (O_DIRECT, O_TRUNC, read-only), reads and writes across
 *             EOF, shared and private mappings up to and past EOF,
 *             fsync, truncate to the size and off it, fallocate, chmod
 *             and utimes (SETATTR), and now and then drop_caches, so
 *             that inodes go and their next open asks for the fmap again
 *
 * Prints "io MODE: N ops, E errors (by errno: ...)" at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <linux/fiemap.h>
#include <linux/fs.h>

#include "hostile.h"

static const char *const files[] = {
	"f0", "f1", "f2", "f3", "c0", "d/g0", "d/g1", "famfs0", "famfs1",
};

/* famfs files on an iomap+famfs mount, and one that is an iomap file */
static const char *const famfs_files[] = {
	"famfs0", "famfs1", "c0", "d/g1", "famfs0", "famfs1", "f0",
};

static uint64_t ops, errs, errnos[160];
static sigjmp_buf fault_jmp;
static volatile sig_atomic_t faulting;

static void count(int ret)
{
	ops++;
	if (ret < 0) {
		errs++;
		errnos[errno < 160 ? errno : 0]++;
	}
}

static void on_fault(int sig)
{
	if (faulting)
		siglongjmp(fault_jmp, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int open_random(struct hs_rng *g, const char *dir, int flags)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir,
		 files[rng_below(g, ARRAY_SIZE(files))]);
	return open(path, flags | O_CLOEXEC);
}

static uint64_t io_pos(struct hs_rng *g, uint64_t align)
{
	/* mostly inside the region, sometimes past it */
	uint64_t end = rng_chance(g, 0.9) ? HS_REGION : HS_REGION + (4 << 20);

	return rng_below(g, end) / align * align;
}

static void do_direct(struct hs_rng *g, const char *dir, uint8_t *buf)
{
	int fd = open_random(g, dir, O_RDWR | O_DIRECT);
	unsigned int i;

	count(fd);
	if (fd < 0)
		return;
	for (i = 0; i < 8; i++) {
		size_t len = HS_BLOCK * (1 + rng_below(g, 32));
		off_t pos = io_pos(g, HS_BLOCK);
		struct iovec iov = { buf, len };
		int flags = rng_chance(g, 0.1) ? RWF_NOWAIT : 0;

		if (rng_chance(g, 0.5))
			count(preadv2(fd, &iov, 1, pos, flags));
		else
			count(pwritev2(fd, &iov, 1, pos, flags));
	}
	close(fd);
}

static void do_buffered(struct hs_rng *g, const char *dir, uint8_t *buf)
{
	int fd = open_random(g, dir, O_RDWR);
	unsigned int i;

	count(fd);
	if (fd < 0)
		return;
	for (i = 0; i < 8; i++) {
		size_t len = 1 + rng_below(g, 65536);
		off_t pos = io_pos(g, 1);

		switch (rng_below(g, 10)) {
		case 0:
			count(fsync(fd));
			break;
		case 1:
			count(fdatasync(fd));
			break;
		case 2: case 3: case 4: case 5:
			count(pread(fd, buf, len, pos));
			break;
		default:
			count(pwrite(fd, buf, len, pos));
			break;
		}
	}
	close(fd);
}

/* Loads and stores at random places of a mapping, SIGBUS counted. */
static void poke(struct hs_rng *g, volatile uint8_t *p, size_t len, int n)
{
	volatile int i;		/* kept across a siglongjmp() */

	for (i = 0; i < n; i++) {
		size_t at = rng_below(g, len);

		faulting = 1;
		if (sigsetjmp(fault_jmp, 1)) {
			faulting = 0;
			errno = EFAULT;
			count(-1);
			continue;
		}
		if (rng_chance(g, 0.5))
			p[at] = (uint8_t)rng_next(g);
		else
			(void)p[at];
		faulting = 0;
		ops++;
	}
}

static void do_mmap(struct hs_rng *g, const char *dir)
{
	int fd = open_random(g, dir, O_RDWR);
	size_t len = HS_BLOCK * (1 + rng_below(g, 1024));
	int shared = rng_chance(g, 0.8);
	volatile uint8_t *p;
	struct stat st;
	unsigned int i;

	count(fd);
	if (fd < 0)
		return;
	if (!fstat(fd, &st) && st.st_size < (off_t)len && rng_chance(g, 0.5))
		count(ftruncate(fd, len));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
	count(p == MAP_FAILED ? -1 : 0);
	if (p == MAP_FAILED) {
		close(fd);
		return;
	}
	for (i = 0; i < 16; i++) {
		poke(g, p, len, 1);
		if (shared && rng_chance(g, 0.1))
			count(msync((void *)p, len, rng_chance(g, 0.5) ? MS_SYNC : MS_ASYNC));
	}
	munmap((void *)p, len);
	close(fd);
}

static void do_falloc(struct hs_rng *g, const char *dir)
{
	static const int modes[] = {
		0, FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_ZERO_RANGE, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE,
	};
	int fd = open_random(g, dir, O_RDWR);
	char fbuf[sizeof(struct fiemap) + 8 * sizeof(struct fiemap_extent)];
	struct fiemap *fm = (void *)fbuf;
	uint64_t align = rng_chance(g, 0.7) ? HS_BLOCK : 1;

	count(fd);
	if (fd < 0)
		return;
	switch (rng_below(g, 5)) {
	case 0:
	case 1:
		count(fallocate(fd, modes[rng_below(g, ARRAY_SIZE(modes))],
				io_pos(g, align), align * (1 + rng_below(g, 256))));
		break;
	case 2:
		count(ftruncate(fd, io_pos(g, align)));
		break;
	case 3:
		count(lseek(fd, io_pos(g, 1), rng_chance(g, 0.5) ? SEEK_DATA : SEEK_HOLE));
		break;
	default:
		memset(fbuf, 0, sizeof(fbuf));
		fm->fm_start = io_pos(g, 1);
		fm->fm_length = rng_chance(g, 0.5) ? FIEMAP_MAX_OFFSET : 1 << 20;
		fm->fm_extent_count = 8;
		count(ioctl(fd, FS_IOC_FIEMAP, fm));
		break;
	}
	close(fd);
}

static void famfs_mmap(struct hs_rng *g, int fd, off_t size)
{
	/* whole 2 MiB units (PMD faults) or any length, up to past EOF */
	size_t len = rng_chance(g, 0.5) ? (2 << 20) * (1 + rng_below(g, 5)) :
		     HS_BLOCK * (1 + rng_below(g, (size + (4 << 20)) / HS_BLOCK));
	int shared = rng_chance(g, 0.8);
	volatile uint8_t *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
	count(p == MAP_FAILED ? -1 : 0);
	if (p == MAP_FAILED)
		return;
	poke(g, p, len, 8);
	if (shared && rng_chance(g, 0.3))
		count(msync((void *)p, len, rng_chance(g, 0.5) ? MS_SYNC : MS_ASYNC));
	munmap((void *)p, len);
}

static void do_famfs(struct hs_rng *g, const char *dir, uint8_t *buf)
{
	int flags = rng_chance(g, 0.1) ? O_RDONLY :
		    rng_chance(g, 0.15) ? O_RDWR | O_DIRECT :
		    rng_chance(g, 0.03) ? O_RDWR | O_TRUNC : O_RDWR;
	struct timespec ts[2] = { { 0, UTIME_NOW }, { 1700000000, 0 } };
	char path[4096];
	struct stat st = { 0 };
	unsigned int i;
	off_t size;
	int fd;

	if (rng_chance(g, 0.1)) {	/* evict unused inodes and dentries */
		fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
		count(fd < 0 ? -1 : write(fd, "2", 1));
		if (fd >= 0)
			close(fd);
	}
	snprintf(path, sizeof(path), "%s/%s", dir,
		 famfs_files[rng_below(g, ARRAY_SIZE(famfs_files))]);
	fd = open(path, flags | O_CLOEXEC);
	count(fd);
	if (fd < 0)
		return;
	count(fstat(fd, &st) ? -1 : 0);
	size = st.st_size;	/* 0 if it failed */
	for (i = 0; i < 8; i++) {
		size_t len = 1 + rng_below(g, 32 * HS_BLOCK);
		off_t pos = rng_below(g, size + (2 << 20));

		if (flags & O_DIRECT) {
			len = HS_BLOCK * (1 + rng_below(g, 32));
			pos &= ~(HS_BLOCK - 1);
		}
		switch (rng_below(g, 12)) {
		case 0: case 1: case 2:
			count(pread(fd, buf, len, pos));
			break;
		case 3: case 4: case 5:
			count(pwrite(fd, buf, len, pos));
			break;
		case 6: case 7:
			famfs_mmap(g, fd, size);
			break;
		case 8:
			count(rng_chance(g, 0.5) ? fsync(fd) : fdatasync(fd));
			break;
		case 9:		/* to the size, a block off it, or fallocate */
			if (rng_chance(g, 0.3))
				count(fallocate(fd, 0, pos, len));
			else
				count(ftruncate(fd, size + (off_t)HS_BLOCK *
						((off_t)rng_below(g, 3) - 1)));
			break;
		case 10:
			count(rng_chance(g, 0.5) ? fchmod(fd, 0666) :
			      futimens(fd, ts));
			break;
		default:
			count(fstat(fd, &st));
			count(lseek(fd, pos, rng_chance(g, 0.5) ? SEEK_DATA : SEEK_HOLE));
			break;
		}
	}
	close(fd);
}

static void do_meta(struct hs_rng *g, const char *dir)
{
	char path[4096];
	struct statfs sfs;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;

	switch (rng_below(g, 6)) {
	case 0:
	case 1:
		snprintf(path, sizeof(path), "%s/%s", dir,
			 files[rng_below(g, ARRAY_SIZE(files))]);
		count(stat(path, &st));
		break;
	case 2:
		snprintf(path, sizeof(path), "%s%s", dir,
			 rng_chance(g, 0.5) ? "" : "/d");
		d = opendir(path);
		count(d ? 0 : -1);
		if (!d)
			break;
		errno = 0;
		while ((de = readdir(d)))
			ops++;
		if (errno)
			count(-1);
		closedir(d);
		break;
	case 3:
		fd = open_random(g, dir, O_RDONLY);
		count(fd);
		if (fd >= 0)
			close(fd);
		break;
	case 4:
		count(statfs(dir, &sfs));
		break;
	default:
		snprintf(path, sizeof(path), "%s/%s", dir,
			 rng_chance(g, 0.5) ? "nonexistent" : "d/g0");
		count(access(path, R_OK | W_OK));
		break;
	}
}

int io_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' },
		{ "stop", required_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	const char *mode = NULL, *stop = NULL, *dir;
	unsigned long seconds = 60;
	uint64_t seed = 1, deadline;
	struct hs_rng g;
	uint8_t *buf;
	struct stat st;
	unsigned int e;
	int c, m;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': mode = optarg; break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 't': seconds = strtoul(optarg, NULL, 0); break;
		case 'x': stop = optarg; break;
		default: return 2;
		}
	}
	if (!mode || optind + 1 != argc)
		return 2;
	dir = argv[optind];
	if (!strcmp(mode, "direct"))
		m = 0;
	else if (!strcmp(mode, "buffered"))
		m = 1;
	else if (!strcmp(mode, "mmap"))
		m = 2;
	else if (!strcmp(mode, "falloc"))
		m = 3;
	else if (!strcmp(mode, "meta"))
		m = 4;
	else if (!strcmp(mode, "famfs"))
		m = 5;
	else
		return 2;
	if (posix_memalign((void **)&buf, HS_BLOCK, 32 * HS_BLOCK + 65536))
		return 1;
	memset(buf, 0xa5, 32 * HS_BLOCK + 65536);
	signal(SIGBUS, on_fault);
	signal(SIGSEGV, on_fault);
	rng_seed(&g, seed, 2000 + m);
	deadline = now_ns() + seconds * 1000000000ULL;

	while (now_ns() < deadline && !(stop && !stat(stop, &st))) {
		switch (m) {
		case 0: do_direct(&g, dir, buf); break;
		case 1: do_buffered(&g, dir, buf); break;
		case 2: do_mmap(&g, dir); break;
		case 3: do_falloc(&g, dir); break;
		case 4: do_meta(&g, dir); break;
		default: do_famfs(&g, dir, buf); break;
		}
	}
	printf("io %s: %llu ops, %llu errors (by errno:", mode,
	       (unsigned long long)ops, (unsigned long long)errs);
	for (e = 0; e < ARRAY_SIZE(errnos); e++)
		if (errnos[e])
			printf(" %s %llu", e && strerrorname_np(e) ?
			       strerrorname_np(e) : "other",
			       (unsigned long long)errnos[e]);
	printf(")\n");
	return 0;
}
