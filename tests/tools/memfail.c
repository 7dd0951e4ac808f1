// SPDX-License-Identifier: GPL-2.0
/*
 * memfail: memory failure and device removal under a shared mapping, for
 * the famfs tests.
 *
 *   memfail poison FILE OFF
 *	Map the page of FILE at OFF (MAP_SHARED), fault it in, and inject
 *	a memory failure into it with madvise(MADV_HWPOISON) (which needs
 *	CAP_SYS_ADMIN and CONFIG_MEMORY_FAILURE).  Prints what madvise
 *	returned and which SIGBUS, if any, it raised; then touches the page
 *	again, which must raise SIGBUS.
 *	Exit: 0 when the second touch raised SIGBUS, 1 otherwise.
 *
 *   memfail hold FILE SIZE READY GO
 *	Map [0, SIZE) of FILE (MAP_SHARED), read every page, create READY,
 *	wait (up to 10 minutes) until GO exists, then read every page again.
 *	Exit: 3 on a SIGBUS during the second pass (printed with its file
 *	offset), 0 without one, 1 on an error.
 *
 * Exit 2: usage.
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
#include <sys/stat.h>
#include <unistd.h>

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;
static volatile int bus_code;
static volatile uintptr_t bus_addr;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	bus_code = si->si_code;
	bus_addr = (uintptr_t)si->si_addr;
	if (bus_armed)
		siglongjmp(bus_jmp, 1);
	/* raised by madvise() itself: note it and return */
}

static const char *bus_name(int code)
{
	switch (code) {
	case BUS_MCEERR_AR: return "BUS_MCEERR_AR";
	case BUS_MCEERR_AO: return "BUS_MCEERR_AO";
	case BUS_ADRERR: return "BUS_ADRERR";
	case BUS_OBJERR: return "BUS_OBJERR";
	default: return "other";
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: memfail poison FILE OFF\n"
			"       memfail hold FILE SIZE READY GO\n");
	return 2;
}

static void *map(const char *path, off_t off, size_t len)
{
	void *p;
	int fd;

	fd = open(path, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "memfail: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "memfail: mmap: %s\n", strerror(errno));
		return NULL;
	}
	return p;
}

/* Read one byte of every page of [p, p + len); 0, or 3 on a SIGBUS. */
static int touch(volatile const unsigned char *p, size_t len, size_t page)
{
	volatile size_t i = 0;

	if (sigsetjmp(bus_jmp, 1)) {
		bus_armed = 0;
		printf("SIGBUS (%s) at file offset %zu\n", bus_name(bus_code),
		       (size_t)(bus_addr - (uintptr_t)p));
		return 3;
	}
	bus_armed = 1;
	for (i = 0; i < len; i += page)
		(void)p[i];
	bus_armed = 0;
	return 0;
}

static int do_poison(const char *path, off_t off, size_t page)
{
	unsigned char *p = map(path, off, page);
	int ret;

	if (!p)
		return 1;
	if (touch(p, page, page))
		return 1;
	bus_code = 0;
	ret = madvise(p, page, MADV_HWPOISON);
	printf("madvise: %s\n", ret ? strerror(errno) : "ok");
	printf("signal: %s\n", bus_code ? bus_name(bus_code) : "none");
	if (ret)
		return 1;
	ret = touch(p, page, page);
	if (!ret)
		printf("the poisoned page still reads\n");
	munmap(p, page);
	return ret == 3 ? 0 : 1;
}

static int do_hold(const char *path, size_t len, const char *ready,
		   const char *go, size_t page)
{
	unsigned char *p = map(path, 0, len);
	struct stat st;
	int fd, i, ret;

	if (!p || touch(p, len, page))
		return 1;
	fd = open(ready, O_WRONLY | O_CREAT, 0644);
	if (fd < 0) {
		fprintf(stderr, "memfail: %s: %s\n", ready, strerror(errno));
		return 1;
	}
	close(fd);
	for (i = 0; i < 6000 && stat(go, &st); i++)
		usleep(100000);
	ret = touch(p, len, page);
	if (!ret)
		printf("every page still reads\n");
	munmap(p, len);
	return ret;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO | SA_NODEFER };
	size_t page = sysconf(_SC_PAGESIZE);

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGBUS, &sa, NULL);
	if (argc == 4 && !strcmp(argv[1], "poison"))
		return do_poison(argv[2], strtoull(argv[3], NULL, 0), page);
	if (argc == 6 && !strcmp(argv[1], "hold"))
		return do_hold(argv[2], strtoull(argv[3], NULL, 0), argv[4],
			       argv[5], page);
	return usage();
}
