// SPDX-License-Identifier: GPL-2.0
/*
 * fileverify: write or check a file of deterministic pseudo-random
 * content, so tests can verify data after umount and daemon restart
 * without keeping a shadow copy.  Every 8-byte word is a function of the
 * seed and its file offset.
 *
 *   fileverify write [-d|-m] [-s] [-n] [-a] [-F] [-o OFF] FILE SIZE SEED
 *   fileverify check [-d|-m] [-n] [-o OFF] FILE SIZE SEED
 *
 * -s opens with O_DSYNC; -n issues every read and write with RWF_NOWAIT;
 * -F skips the fsync write ends with (FUSE's takes the inode lock);
 * -a opens with O_APPEND, so the kernel puts the bytes meant for OFF at
 * the end of the file, and a check at OFF tells whether that was OFF.
 * -d uses O_DIRECT with aligned 1 MiB buffers; -m goes through a
 * MAP_SHARED mapping instead (write first extends the file to OFF+SIZE if
 * it is shorter, and ends with msync); a SIGBUS prints "SIGBUS" and exits
 * 1.  -o writes or checks only [OFF, OFF+SIZE) (write does not truncate
 * then).  check also requires the file size to be exactly SIZE when -o is
 * not given.
 * Exit: 0 ok, 1 mismatch or I/O error, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pattern.h"

#define CHUNK	(1u << 20)

static int rw_flags;	/* RWF_NOWAIT with -n */

static ssize_t xfer(int fd, void *buf, size_t len, off_t off, int write)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return write ? pwritev2(fd, &iov, 1, off, rw_flags) :
		       preadv2(fd, &iov, 1, off, rw_flags);
}

static void fill(unsigned char *buf, size_t len, uint64_t seed, uint64_t off)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = byte_at(seed, off + i);
}

static int usage(void)
{
	fprintf(stderr, "usage: fileverify write|check [-d|-m] [-s] [-n] [-a] [-F] [-o OFF] FILE SIZE SEED\n");
	return 2;
}

static void on_sigbus(int sig)
{
	static const char msg[] = "fileverify: SIGBUS\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

/* -m: write or check [off, off + size) through a shared mapping. */
static int do_mmap(int fd, int writing, uint64_t off, uint64_t size,
		   uint64_t seed)
{
	uint64_t start = off & ~(uint64_t)(sysconf(_SC_PAGESIZE) - 1);
	size_t len = off + size - start;
	unsigned char *map;
	struct stat st;
	int ret = 0;

	if (!size)
		return 0;
	signal(SIGBUS, on_sigbus);
	if (writing && (fstat(fd, &st) || (uint64_t)st.st_size < off + size) &&
	    ftruncate(fd, off + size)) {
		fprintf(stderr, "fileverify: ftruncate: %s\n", strerror(errno));
		return 1;
	}
	map = mmap(NULL, len, PROT_READ | (writing ? PROT_WRITE : 0),
		   MAP_SHARED, fd, start);
	if (map == MAP_FAILED) {
		fprintf(stderr, "fileverify: mmap: %s\n", strerror(errno));
		return 1;
	}
	if (writing) {
		fill(map + (off - start), size, seed, off);
		if (msync(map, len, MS_SYNC)) {
			fprintf(stderr, "fileverify: msync: %s\n",
				strerror(errno));
			ret = 1;
		}
	} else {
		for (uint64_t i = 0; i < size; i++) {
			unsigned char want = byte_at(seed, off + i);

			if (map[off - start + i] != want) {
				fprintf(stderr,
					"fileverify: mismatch at %llu: want 0x%02x got 0x%02x\n",
					(unsigned long long)(off + i), want,
					map[off - start + i]);
				ret = 1;
				break;
			}
		}
	}
	munmap(map, len);
	return ret;
}

static int do_write(int fd, unsigned char *buf, uint64_t off, uint64_t size,
		    uint64_t seed)
{
	for (uint64_t done = 0; done < size;) {
		size_t n = size - done < CHUNK ? size - done : CHUNK;
		ssize_t r;

		fill(buf, n, seed, off + done);
		r = xfer(fd, buf, n, off + done, 1);
		if (r <= 0) {
			fprintf(stderr, "fileverify: write at %llu: %s\n",
				(unsigned long long)(off + done),
				r ? strerror(errno) : "short write");
			return 1;
		}
		done += r;
	}
	return 0;
}

static int do_check(int fd, unsigned char *buf, uint64_t off, uint64_t size,
		    uint64_t seed)
{
	for (uint64_t done = 0; done < size;) {
		size_t n = size - done < CHUNK ? size - done : CHUNK;
		ssize_t r = xfer(fd, buf, n, off + done, 0);

		if (r <= 0) {
			fprintf(stderr, "fileverify: read at %llu: %s\n",
				(unsigned long long)(off + done),
				r ? strerror(errno) : "unexpected EOF");
			return 1;
		}
		for (ssize_t i = 0; i < r; i++) {
			unsigned char want = byte_at(seed, off + done + i);

			if (buf[i] != want) {
				fprintf(stderr,
					"fileverify: mismatch at %llu: want 0x%02x got 0x%02x\n",
					(unsigned long long)(off + done + i),
					want, buf[i]);
				return 1;
			}
		}
		done += r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t off = 0, size, seed;
	int direct = 0, dsync = 0, ranged = 0, mapped = 0, append = 0;
	int nofsync = 0;
	int opt, fd, ret;
	int writing;
	unsigned char *buf;
	struct stat st;

	if (argc < 2)
		return usage();
	writing = !strcmp(argv[1], "write");
	if (!writing && strcmp(argv[1], "check"))
		return usage();
	optind = 2;
	while ((opt = getopt(argc, argv, "dmsnaFo:")) != -1) {
		if (opt == 'a') {
			append = O_APPEND;
		} else if (opt == 'F') {
			nofsync = 1;
		} else if (opt == 'm') {
			mapped = 1;
		} else if (opt == 's') {
			dsync = O_DSYNC;
		} else if (opt == 'n') {
			rw_flags = RWF_NOWAIT;
		} else if (opt == 'd') {
			direct = 1;
		} else if (opt == 'o') {
			off = strtoull(optarg, NULL, 0);
			ranged = 1;
		} else {
			return usage();
		}
	}
	if (argc - optind != 3 || (mapped && direct) ||
	    (append && (!writing || mapped || !ranged)))
		return usage();
	size = strtoull(argv[optind + 1], NULL, 0);
	seed = strtoull(argv[optind + 2], NULL, 0);

	fd = open(argv[optind],
		  (writing ? (mapped ? O_RDWR : O_WRONLY) | O_CREAT : O_RDONLY) |
		  (writing && !ranged ? O_TRUNC : 0) | (direct ? O_DIRECT : 0) |
		  dsync | append,
		  0644);
	if (fd < 0) {
		fprintf(stderr, "fileverify: %s: %s\n", argv[optind],
			strerror(errno));
		return 1;
	}
	if (posix_memalign((void **)&buf, 4096, CHUNK))
		return 1;
	if (mapped)
		ret = do_mmap(fd, writing, off, size, seed);
	else
		ret = writing ? do_write(fd, buf, off, size, seed) :
				do_check(fd, buf, off, size, seed);
	if (!ret && !writing && !ranged) {
		if (fstat(fd, &st) || (uint64_t)st.st_size != size) {
			fprintf(stderr, "fileverify: size %lld, want %llu\n",
				(long long)st.st_size, (unsigned long long)size);
			ret = 1;
		}
	}
	if (!ret && writing && !nofsync && fsync(fd)) {
		fprintf(stderr, "fileverify: fsync: %s\n", strerror(errno));
		ret = 1;
	}
	free(buf);
	close(fd);
	return ret;
}
