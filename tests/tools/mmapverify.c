// SPDX-License-Identifier: GPL-2.0
/*
 * mmapverify: check or write fileverify's deterministic pattern through a
 * shared mapping of a file, for tests of mmap on DAX (famfs) files.
 *
 *   mmapverify check [-v] [-o OFF] FILE SIZE SEED
 *   mmapverify write [-v] [-o OFF] FILE SIZE SEED
 *
 * Maps [OFF, OFF+SIZE) of FILE (from the page holding OFF) with
 * MAP_SHARED (read-only for check), compares every byte with the
 * pattern of SEED, or stores it and calls msync(MS_SYNC).  -v prints the mapping's address and whether it is
 * 2 MiB aligned (which PMD faults need).  A SIGBUS while touching the
 * mapping is reported with its file offset.
 * Exit: 0 ok, 1 mismatch or error, 2 usage, 3 SIGBUS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pattern.h"

static sigjmp_buf bus_jmp;
static volatile uintptr_t bus_addr;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	bus_addr = (uintptr_t)si->si_addr;
	siglongjmp(bus_jmp, 1);
}

static int usage(void)
{
	fprintf(stderr, "usage: mmapverify check|write [-v] [-o OFF] FILE SIZE SEED\n");
	return 2;
}

/* Compare or store [0, size) of the mapping, file offset off onwards. */
static int run(unsigned char *p, uint64_t off, uint64_t size, uint64_t seed,
	       int write)
{
	uint64_t i = 0, fo, w;

	while (i < size) {
		fo = off + i;
		/* whole little-endian words where aligned, for speed */
		if (!(fo & 7) && size - i >= 8) {
			w = word_at(seed, fo);
			if (write)
				memcpy(p + i, &w, 8);
			if (write || !memcmp(p + i, &w, 8)) {
				i += 8;
				continue;
			}
		} else if (write) {
			p[i++] = byte_at(seed, fo);
			continue;
		}
		/* a byte at a time until the mismatching one */
		if (p[i] != byte_at(seed, fo)) {
			fprintf(stderr, "mmapverify: offset %llu: 0x%02x, expected 0x%02x\n",
				(unsigned long long)fo, p[i],
				byte_at(seed, fo));
			return 1;
		}
		i++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO };
	volatile uint64_t off = 0;
	uint64_t size, seed, delta;
	int c, fd, write, verbose = 0, ret;
	unsigned char *volatile p;
	unsigned char *base;

	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "write"))
		write = 1;
	else if (!strcmp(argv[1], "check"))
		write = 0;
	else
		return usage();
	optind = 2;
	while ((c = getopt(argc, argv, "vo:")) != -1) {
		if (c == 'v')
			verbose = 1;
		else if (c == 'o')
			off = strtoull(optarg, NULL, 0);
		else
			return usage();
	}
	if (optind + 3 != argc)
		return usage();
	size = strtoull(argv[optind + 1], NULL, 0);
	seed = strtoull(argv[optind + 2], NULL, 0);

	fd = open(argv[optind], write ? O_RDWR : O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "mmapverify: %s: %s\n", argv[optind],
			strerror(errno));
		return 1;
	}
	/* mappings start on a page: map from there, use from off */
	delta = off % sysconf(_SC_PAGESIZE);
	base = mmap(NULL, size + delta,
		    write ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED,
		    fd, off - delta);
	if (base == MAP_FAILED) {
		fprintf(stderr, "mmapverify: mmap: %s\n", strerror(errno));
		return 1;
	}
	p = base + delta;
	if (verbose)
		printf("mapped at %p, 2 MiB aligned: %s\n", (void *)base,
		       ((uintptr_t)base & ((2UL << 20) - 1)) ? "no" : "yes");
	sigaction(SIGBUS, &sa, NULL);
	if (sigsetjmp(bus_jmp, 1)) {
		fprintf(stderr, "mmapverify: SIGBUS at file offset %llu\n",
			(unsigned long long)(off + (bus_addr - (uintptr_t)p)));
		return 3;
	}
	ret = run(p, off, size, seed, write);
	if (!ret && write && msync(base, size + delta, MS_SYNC)) {
		fprintf(stderr, "mmapverify: msync: %s\n", strerror(errno));
		ret = 1;
	}
	munmap(base, size + delta);
	close(fd);
	return ret;
}
