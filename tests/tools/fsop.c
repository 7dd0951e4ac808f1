// SPDX-License-Identifier: GPL-2.0
/*
 * fsop: the range operations busybox lacks, for tests.
 *
 *   fsop copy SRC OFF_IN DST OFF_OUT LEN    copy_file_range(2) until LEN
 *                                           bytes are copied or it returns 0
 *   fsop clone SRC OFF_IN DST OFF_OUT LEN   ioctl(FICLONERANGE)
 *   fsop dedupe SRC OFF_IN DST OFF_OUT LEN  ioctl(FIDEDUPERANGE); prints
 *                                           "same N" (N bytes deduped) or
 *                                           "differs"
 *   fsop falloc MODE FILE OFF LEN           fallocate(2); MODE is "-" or a
 *                                           comma list of keep, punch,
 *                                           zero, collapse, insert, unshare
 *   fsop model MODE FILE OFF LEN            what falloc MODE does to the
 *                                           data and size of FILE, done
 *                                           with plain reads and writes
 *                                           (for shadow copies)
 *   fsop hold FILE OFF LEN READY GO         open FILE, create READY, wait
 *                                           for GO to exist, then write
 *                                           LEN bytes at OFF through the
 *                                           descriptor opened before (so
 *                                           a test can stop the server in
 *                                           between)
 *   fsop mapfail FILE OFF                   map the page at OFF shared and
 *                                           read it, write(2) a page of
 *                                           0xa5 there, which must fail,
 *                                           check that the mapping still
 *                                           shows the page's earlier bytes
 *                                           (the file's), and store
 *                                           through the mapping either
 *                                           way; prints the errno of the
 *                                           write and of close(2), which
 *                                           writes the stored page back
 *
 *   fsop resident FILE OFF LEN              how many pages of FILE (a block
 *                                           device, say) from OFF on are
 *                                           in the page cache (mincore)
 *
 *   fsop shutdown PATH FLAGS                ioctl(FS_IOC_SHUTDOWN) on PATH
 *                                           (a file or directory): 0 sync
 *                                           first, 1 flush the log, 2 now
 *   fsop dirty FILE OFF LEN [READY GO]      store 0x5a in every byte of a
 *                                           shared mapping of LEN bytes at
 *                                           OFF (a page multiple), with
 *                                           the file closed, and unmap it;
 *                                           with READY and GO, create READY
 *                                           after storing and wait for GO
 *                                           to exist before unmapping (FUSE
 *                                           writes the pages back then)
 *   fsop dirty-late FILE OFF LEN READY GO   the same, but read every page,
 *                                           create READY and wait for GO
 *                                           before storing
 *   fsop claim DEV                          open the block device DEV
 *                                           O_EXCL, as mount(2) and mkfs
 *                                           do: fails with EBUSY while
 *                                           someone holds it exclusively
 *
 * copy prints the bytes copied.  Exit: 0 ok, 1 a call failed, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/fs.h>

#define CHUNK	(1 << 20)

static int fail(const char *what)
{
	fprintf(stderr, "fsop: %s: %s\n", what, strerror(errno));
	return 1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: fsop copy|clone|dedupe SRC OFF_IN DST OFF_OUT LEN\n"
		"       fsop falloc|model MODE FILE OFF LEN\n"
		"       fsop hold FILE OFF LEN READY GO\n"
		"       fsop mapfail FILE OFF\n"
		"       fsop resident FILE OFF LEN\n"
		"       fsop shutdown PATH FLAGS\n"
		"       fsop dirty FILE OFF LEN [READY GO]\n"
		"       fsop dirty-late FILE OFF LEN READY GO\n"
		"       fsop claim DEV\n");
	return 2;
}

static int parse_mode(const char *s, int *mode)
{
	char *copy = strdup(s), *tok, *save = NULL;

	*mode = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "keep"))
			*mode |= FALLOC_FL_KEEP_SIZE;
		else if (!strcmp(tok, "punch"))
			*mode |= FALLOC_FL_PUNCH_HOLE;
		else if (!strcmp(tok, "zero"))
			*mode |= FALLOC_FL_ZERO_RANGE;
		else if (!strcmp(tok, "collapse"))
			*mode |= FALLOC_FL_COLLAPSE_RANGE;
		else if (!strcmp(tok, "insert"))
			*mode |= FALLOC_FL_INSERT_RANGE;
		else if (!strcmp(tok, "unshare"))
			*mode |= FALLOC_FL_UNSHARE_RANGE;
		else if (strcmp(tok, "-"))
			return -1;
	}
	free(copy);
	return 0;
}

static int copy(int argc, char **argv, int clone)
{
	off_t in = strtoll(argv[3], NULL, 0), out = strtoll(argv[5], NULL, 0);
	long long len = strtoll(argv[6], NULL, 0), done = 0;
	int sfd, dfd;
	ssize_t n;

	(void)argc;
	sfd = open(argv[2], O_RDONLY);
	if (sfd < 0)
		return fail(argv[2]);
	dfd = open(argv[4], O_WRONLY | O_CREAT, 0644);
	if (dfd < 0)
		return fail(argv[4]);
	if (clone) {
		struct file_clone_range r = {
			.src_fd = sfd, .src_offset = in, .src_length = len,
			.dest_offset = out,
		};

		return ioctl(dfd, FICLONERANGE, &r) ? fail("FICLONERANGE") : 0;
	}
	while (done < len) {
		n = copy_file_range(sfd, &in, dfd, &out, len - done, 0);
		if (n < 0)
			return fail("copy_file_range");
		if (!n)
			break;
		done += n;
	}
	printf("%lld\n", done);
	return 0;
}

static int dedupe(char **argv)
{
	struct {
		struct file_dedupe_range r;
		struct file_dedupe_range_info info;
	} d = {
		.r = {
			.src_offset = strtoull(argv[3], NULL, 0),
			.src_length = strtoull(argv[6], NULL, 0),
			.dest_count = 1,
		},
		.info = { .dest_offset = strtoull(argv[5], NULL, 0) },
	};
	int sfd, dfd;

	sfd = open(argv[2], O_RDONLY);
	if (sfd < 0)
		return fail(argv[2]);
	dfd = open(argv[4], O_RDWR);
	if (dfd < 0)
		return fail(argv[4]);
	d.info.dest_fd = dfd;
	if (ioctl(sfd, FIDEDUPERANGE, &d))
		return fail("FIDEDUPERANGE");
	if (d.info.status < 0) {
		errno = -d.info.status;
		return fail("FIDEDUPERANGE status");
	}
	if (d.info.status == FILE_DEDUPE_RANGE_DIFFERS)
		printf("differs\n");
	else
		printf("same %llu\n", (unsigned long long)d.info.bytes_deduped);
	return 0;
}

static int rw(int fd, char *buf, size_t len, off_t off, int write)
{
	ssize_t n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);

	return n == (ssize_t)len ? 0 : -1;
}

/* Move [from, size) to to (the file grows or shrinks by to - from). */
static int shift(int fd, off_t from, off_t to, off_t size, char *buf)
{
	off_t left = size - from, pos, n;

	while (left > 0) {
		n = left < CHUNK ? left : CHUNK;
		/* going right, copy from the end; going left, from the start */
		pos = to > from ? from + left - n : size - left;
		if (rw(fd, buf, n, pos, 0) || rw(fd, buf, n, pos + to - from, 1))
			return -1;
		left -= n;
	}
	return 0;
}

static int model(int fd, int mode, off_t off, off_t len)
{
	static char buf[CHUNK];
	struct stat stb;
	off_t size, end = off + len, n, pos;

	if (fstat(fd, &stb))
		return -1;
	size = stb.st_size;
	if (mode & FALLOC_FL_COLLAPSE_RANGE)
		return shift(fd, end, off, size, buf) ||
		       ftruncate(fd, size - len);
	if (mode & FALLOC_FL_INSERT_RANGE) {
		if (shift(fd, off, end, size, buf))
			return -1;
		memset(buf, 0, sizeof(buf));
		for (pos = off; pos < end; pos += n) {
			n = end - pos < CHUNK ? end - pos : CHUNK;
			if (rw(fd, buf, n, pos, 1))
				return -1;
		}
		return 0;
	}
	if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
		memset(buf, 0, sizeof(buf));
		for (pos = off; pos < end && pos < size; pos += n) {
			n = end - pos < CHUNK ? end - pos : CHUNK;
			if (pos + n > size)
				n = size - pos;
			if (rw(fd, buf, n, pos, 1))
				return -1;
		}
	}
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > size)
		return ftruncate(fd, end);
	return 0;
}

static int falloc(char **argv, int emulate)
{
	off_t off = strtoll(argv[4], NULL, 0), len = strtoll(argv[5], NULL, 0);
	int mode, fd;

	if (parse_mode(argv[2], &mode))
		return usage();
	fd = open(argv[3], O_RDWR);
	if (fd < 0)
		return fail(argv[3]);
	if (emulate ? model(fd, mode, off, len) : fallocate(fd, mode, off, len))
		return fail(emulate ? "model" : "fallocate");
	return close(fd) ? fail("close") : 0;
}

/* Create @ready, then wait for @go to exist. */
static int handshake(const char *ready, const char *go)
{
	int fd = open(ready, O_WRONLY | O_CREAT, 0644);

	if (fd < 0)
		return fail(ready);
	close(fd);
	while (access(go, F_OK))
		usleep(10000);
	return 0;
}

static int hold(char **argv)
{
	off_t off = strtoll(argv[3], NULL, 0);
	long long len = strtoll(argv[4], NULL, 0), done = 0;
	static char buf[CHUNK];
	ssize_t n;
	int fd;

	fd = open(argv[2], O_RDWR);
	if (fd < 0)
		return fail(argv[2]);
	if (handshake(argv[5], argv[6]))
		return 1;
	memset(buf, 0xab, sizeof(buf));
	while (done < len) {
		n = pwrite(fd, buf, len - done < CHUNK ? len - done : CHUNK,
			   off + done);
		if (n <= 0)
			return fail("pwrite");
		done += n;
	}
	return close(fd) ? fail("close") : 0;
}

static int mapfail(char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	off_t off = strtoll(argv[3], NULL, 0) / page * page;
	unsigned char *before, *buf;
	volatile unsigned char *p;
	ssize_t n;
	long i;
	int fd;

	fd = open(argv[2], O_RDWR);
	if (fd < 0)
		return fail(argv[2]);
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	before = malloc(page);
	buf = malloc(page);
	if (p == MAP_FAILED || !before || !buf)
		return fail("mmap");
	/* a read fault: the page is mapped, read-only until a store */
	memcpy(before, (void *)p, page);
	memset(buf, 0xa5, page);
	n = pwrite(fd, buf, page, off);
	if (n >= 0) {
		fprintf(stderr, "fsop: pwrite did not fail (%zd)\n", n);
		return 1;
	}
	printf("pwrite: %s\n", strerror(errno));
	for (i = 0; i < page && p[i] == before[i]; i++)
		;
	if (i < page)
		fprintf(stderr, "fsop: offset %lld: the mapping shows 0x%02x of the failed write, the file has 0x%02x\n",
			(long long)(off + i), p[i], before[i]);
	/* a write fault on the page the failed write touched, either way */
	p[0] = before[0];
	if (munmap((void *)p, page))
		return fail("munmap");
	free(before);
	free(buf);
	/* the stored page may need what the write could not get */
	printf("close: %s\n", close(fd) ? strerror(errno) : "ok");
	return i < page;
}

static int resident(char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	off_t off = strtoll(argv[3], NULL, 0);
	size_t len = strtoull(argv[4], NULL, 0), n, i, count = 0;
	unsigned char *vec;
	void *p;
	int fd;

	if (off % page || !len)
		return usage();
	fd = open(argv[2], O_RDONLY);
	if (fd < 0)
		return fail(argv[2]);
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, off);
	if (p == MAP_FAILED)
		return fail("mmap");
	n = (len + page - 1) / page;
	vec = calloc(n, 1);
	if (!vec || mincore(p, len, vec))
		return fail("mincore");
	for (i = 0; i < n; i++)
		count += vec[i] & 1;
	printf("%zu\n", count);
	free(vec);
	munmap(p, len);
	close(fd);
	return 0;
}

/* XFS's and ext4's shutdown ioctl, generic in later kernels' <linux/fs.h> */
#ifndef FS_IOC_SHUTDOWN
#define FS_IOC_SHUTDOWN	_IOR('X', 125, __u32)
#endif

static int shutdown_fs(char **argv)
{
	__u32 flags = strtoul(argv[3], NULL, 0);
	int fd = open(argv[2], O_RDONLY);

	if (fd < 0)
		return fail(argv[2]);
	if (ioctl(fd, FS_IOC_SHUTDOWN, &flags))
		return fail("FS_IOC_SHUTDOWN");
	close(fd);
	return 0;
}

static int dirty(char **argv, int late)
{
	off_t off = strtoll(argv[3], NULL, 0);
	size_t len = strtoull(argv[4], NULL, 0);
	long page = sysconf(_SC_PAGESIZE);
	void *p;
	int fd;

	if (off % page || !len)
		return usage();
	fd = open(argv[2], O_RDWR);
	if (fd < 0)
		return fail(argv[2]);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	if (p == MAP_FAILED)
		return fail("mmap");
	/* closed first: a close(2) would flush (write back) the pages */
	close(fd);
	if (late) {
		volatile unsigned char sum = 0;
		size_t i;

		for (i = 0; i < len; i += page)
			sum += ((unsigned char *)p)[i];
		if (handshake(argv[5], argv[6]))
			return 1;
	}
	memset(p, 0x5a, len);
	if (!late && argv[5] && handshake(argv[5], argv[6]))
		return 1;
	munmap(p, len);
	return 0;
}

static int claim(char **argv)
{
	int fd = open(argv[2], O_RDONLY | O_EXCL | O_CLOEXEC);

	if (fd < 0)
		return fail(argv[2]);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 7 && !strcmp(argv[1], "copy"))
		return copy(argc, argv, 0);
	if (argc == 7 && !strcmp(argv[1], "clone"))
		return copy(argc, argv, 1);
	if (argc == 7 && !strcmp(argv[1], "dedupe"))
		return dedupe(argv);
	if (argc == 6 && !strcmp(argv[1], "falloc"))
		return falloc(argv, 0);
	if (argc == 6 && !strcmp(argv[1], "model"))
		return falloc(argv, 1);
	if (argc == 7 && !strcmp(argv[1], "hold"))
		return hold(argv);
	if (argc == 4 && !strcmp(argv[1], "mapfail"))
		return mapfail(argv);
	if (argc == 5 && !strcmp(argv[1], "resident"))
		return resident(argv);
	if (argc == 4 && !strcmp(argv[1], "shutdown"))
		return shutdown_fs(argv);
	if ((argc == 5 || argc == 7) && !strcmp(argv[1], "dirty"))
		return dirty(argv, 0);
	if (argc == 7 && !strcmp(argv[1], "dirty-late"))
		return dirty(argv, 1);
	if (argc == 3 && !strcmp(argv[1], "claim"))
		return claim(argv);
	return usage();
}
