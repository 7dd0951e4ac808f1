// SPDX-License-Identifier: GPL-2.0
/*
 * membench: copy bandwidth through a shared mapping of a file, for the
 * famfs bench (tests/bench/famfs.sh): a famfs file against a device-dax
 * instance of the same memory, the limit.
 *
 *   membench FILE SIZE SECONDS MODE
 *
 * Maps [0, SIZE) of FILE with MAP_SHARED (SIZE in bytes, or with a K, M
 * or G suffix; a device-dax instance wants a multiple of its alignment),
 * touches every page once (a read for the read modes, a write for the
 * write ones), then copies for SECONDS (decimals allowed):
 *   seqread      memcpy of 1 MiB chunks from the mapping, cycling over SIZE
 *   seqwrite     the same into the mapping
 *   randread4k   memcpy of 4 KiB from 4 KiB-aligned offsets drawn by an
 *                xorshift64 of fixed seed
 *   randwrite4k  the same into the mapping
 * The write modes end with msync(MS_SYNC) inside the timed part (on DAX,
 * the write-back of the CPU caches the stores dirtied), but on a
 * character device: device-dax has no ->fsync, msync() fails with EINVAL
 * there (vfs_fsync_range()), its programs flush their own stores.
 *
 * Prints one line:
 *   MB/s=X ops/s=Y fault_ms=Z pmd=P pte=Q
 * fault_ms: the first touch, which takes every page fault, kept out of
 * the timed part; pmd, pte: how the mapping is mapped after it, in 2 MiB
 * PMD entries and 4 KiB PTEs, from the PAGEMAP_SCAN ioctl of
 * /proc/self/pagemap (6.7 on; "-" without it): PAGE_IS_HUGE is a range
 * pmd_trans_huge_lock() takes, DAX PMDs (pmd_devmap()) included.
 * Exit: 0 ok, 1 error, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef PAGEMAP_SCAN
/* <linux/fs.h> of 6.7 on */
struct page_region {
	__u64 start;
	__u64 end;
	__u64 categories;
};

struct pm_scan_arg {
	__u64 size;
	__u64 flags;
	__u64 start;
	__u64 end;
	__u64 walk_end;
	__u64 vec;
	__u64 vec_len;
	__u64 max_pages;
	__u64 category_inverted;
	__u64 category_mask;
	__u64 category_anyof_mask;
	__u64 return_mask;
};

#define PAGEMAP_SCAN	_IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_PRESENT	(1 << 3)
#define PAGE_IS_HUGE	(1 << 6)
#endif

#define CHUNK		(1UL << 20)	/* the sequential modes' copy */
#define RAND_BS		4096UL		/* the random modes' copy */
#define PMD_BYTES	(2UL << 20)	/* x86-64's PMD mapping */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum mode { SEQREAD, SEQWRITE, RANDREAD, RANDWRITE };

static const char *const mode_names[] = {
	[SEQREAD] = "seqread",
	[SEQWRITE] = "seqwrite",
	[RANDREAD] = "randread4k",
	[RANDWRITE] = "randwrite4k",
};

static int usage(void)
{
	fprintf(stderr,
		"usage: membench FILE SIZE SECONDS seqread|seqwrite|randread4k|randwrite4k\n");
	return 2;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The copies must happen: tell the compiler that memory is used. */
static inline void sink(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* SIZE: bytes, or K, M, G (binary) */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/*
 * Count the PMD and PTE mappings of [p, p + size) with PAGEMAP_SCAN;
 * -1 without it.
 */
static int count_maps(void *p, uint64_t size, long page, long long *pmd,
		      long long *pte)
{
	struct page_region vec[64];
	struct pm_scan_arg arg;
	uint64_t end = (uintptr_t)p + size, huge = 0, small = 0;
	int fd, n, i;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return -1;
	memset(&arg, 0, sizeof(arg));
	arg.size = sizeof(arg);
	arg.start = (uintptr_t)p;
	arg.end = end;
	arg.vec = (uintptr_t)vec;
	arg.vec_len = ARRAY_SIZE(vec);
	arg.category_mask = PAGE_IS_PRESENT;
	arg.return_mask = PAGE_IS_PRESENT | PAGE_IS_HUGE;
	do {
		n = ioctl(fd, PAGEMAP_SCAN, &arg);
		if (n < 0) {
			close(fd);
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (vec[i].categories & PAGE_IS_HUGE)
				huge += vec[i].end - vec[i].start;
			else
				small += vec[i].end - vec[i].start;
		}
		arg.start = arg.walk_end;
	} while (arg.walk_end && arg.walk_end < end);
	close(fd);
	*pmd = huge / PMD_BYTES;
	*pte = small / page;
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t size, off = 0, bytes = 0, ops = 0, seed = 88172645463325252ULL;
	double secs, t0, t1, tf, elapsed;
	long long pmd = 0, pte = 0;
	unsigned char *map, *buf;
	int fd, m, write, maps;
	long page = sysconf(_SC_PAGESIZE);
	uint64_t i, npages, len;
	struct stat st;
	char *end;

	if (argc != 5)
		return usage();
	if (parse_size(argv[2], &size) || !size || size % RAND_BS)
		return usage();
	errno = 0;
	secs = strtod(argv[3], &end);
	if (errno || end == argv[3] || *end || !(secs > 0))
		return usage();
	for (m = 0; m < 4; m++)
		if (!strcmp(argv[4], mode_names[m]))
			break;
	if (m == 4)
		return usage();
	write = m == SEQWRITE || m == RANDWRITE;

	fd = open(argv[1], write ? O_RDWR : O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "membench: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	/* a mapping past EOF would SIGBUS */
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < size) {
		fprintf(stderr, "membench: %s: %lld bytes, fewer than %llu\n",
			argv[1], (long long)st.st_size,
			(unsigned long long)size);
		return 1;
	}
	map = mmap(NULL, size, write ? PROT_READ | PROT_WRITE : PROT_READ,
		   MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "membench: mmap: %s\n", strerror(errno));
		return 1;
	}
	buf = aligned_alloc(page, CHUNK);
	if (!buf) {
		fprintf(stderr, "membench: out of memory\n");
		return 1;
	}
	for (i = 0; i < CHUNK; i++)
		buf[i] = (unsigned char)(i * 7 + 1);

	/* every page once: the faults, timed apart */
	t0 = now();
	for (i = 0; i < size; i += page) {
		if (write)
			*(volatile unsigned char *)(map + i) = (unsigned char)i;
		else
			(void)*(volatile unsigned char *)(map + i);
	}
	tf = now() - t0;
	maps = count_maps(map, size, page, &pmd, &pte);

	npages = size / RAND_BS;
	t0 = now();
	do {
		switch (m) {
		case SEQREAD:
		case SEQWRITE:
			len = size - off < CHUNK ? size - off : CHUNK;
			if (write)
				memcpy(map + off, buf, len);
			else
				memcpy(buf, map + off, len);
			sink(buf);
			off += len;
			if (off == size)
				off = 0;
			bytes += len;
			ops++;
			break;
		default:
			/* a batch between clock reads */
			for (i = 0; i < 64; i++) {
				off = xorshift64(&seed) % npages * RAND_BS;
				if (write)
					memcpy(map + off, buf, RAND_BS);
				else
					memcpy(buf, map + off, RAND_BS);
				sink(buf);
			}
			bytes += 64 * RAND_BS;
			ops += 64;
			break;
		}
		t1 = now();
	} while (t1 - t0 < secs);
	if (write && !S_ISCHR(st.st_mode) && msync(map, size, MS_SYNC)) {
		fprintf(stderr, "membench: msync: %s\n", strerror(errno));
		return 1;
	}
	elapsed = now() - t0;

	printf("MB/s=%.1f ops/s=%.0f fault_ms=%.1f", bytes / elapsed / 1e6,
	       ops / elapsed, tf * 1e3);
	if (maps)
		printf(" pmd=- pte=-\n");
	else
		printf(" pmd=%lld pte=%lld\n", pmd, pte);
	munmap(map, size);
	free(buf);
	close(fd);
	return 0;
}
