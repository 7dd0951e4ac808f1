// SPDX-License-Identifier: GPL-2.0
/*
 * extmap: print how a file's data is laid out, as the kernel reports it.
 *
 *   extmap seek FILE     "data START END" per SEEK_DATA/SEEK_HOLE segment
 *   extmap fiemap FILE   "extent LOGICAL LENGTH [unwritten] [inline]
 *                        [shared]" per FIEMAP extent (physical
 *                        addresses are not printed, so that tests can
 *                        compare layouts across runs)
 *   extmap count FILE    "extents N bytes B": how many extents FIEMAP
 *                        reports over the whole file (asked for in
 *                        batches, so any number) and the bytes they map
 *   extmap bmap FILE N   the FIBMAP block of file block N
 *
 * Exit: 0 ok, 1 a call failed, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/fiemap.h>
#include <linux/fs.h>

#define NR_EXTENTS	64
#define COUNT_BATCH	1024

static int fail(const char *what)
{
	fprintf(stderr, "extmap: %s: %s\n", what, strerror(errno));
	return 1;
}

static int do_seek(int fd)
{
	off_t data = 0, hole;

	for (;;) {
		data = lseek(fd, data, SEEK_DATA);
		if (data < 0)
			return errno == ENXIO ? 0 : fail("SEEK_DATA");
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0)
			return fail("SEEK_HOLE");
		printf("data %lld %lld\n", (long long)data, (long long)hole);
		data = hole;
	}
}

static int do_fiemap(int fd)
{
	struct fiemap *fm;
	unsigned int i;

	fm = calloc(1, sizeof(*fm) + NR_EXTENTS * sizeof(fm->fm_extents[0]));
	if (!fm)
		return fail("calloc");
	fm->fm_length = FIEMAP_MAX_OFFSET;
	fm->fm_extent_count = NR_EXTENTS;
	if (ioctl(fd, FS_IOC_FIEMAP, fm))
		return fail("FS_IOC_FIEMAP");
	for (i = 0; i < fm->fm_mapped_extents; i++) {
		const struct fiemap_extent *e = &fm->fm_extents[i];

		printf("extent %llu %llu%s%s%s\n",
		       (unsigned long long)e->fe_logical,
		       (unsigned long long)e->fe_length,
		       e->fe_flags & FIEMAP_EXTENT_UNWRITTEN ? " unwritten" : "",
		       e->fe_flags & FIEMAP_EXTENT_DATA_INLINE ? " inline" : "",
		       e->fe_flags & FIEMAP_EXTENT_SHARED ? " shared" : "");
	}
	free(fm);
	return 0;
}

/* Every extent, COUNT_BATCH at a time, each batch from the end of the last. */
static int do_count(int fd)
{
	unsigned long long n = 0, bytes = 0, next = 0;
	const struct fiemap_extent *e;
	struct fiemap *fm;
	unsigned int i;
	int last = 0;

	fm = malloc(sizeof(*fm) + COUNT_BATCH * sizeof(fm->fm_extents[0]));
	if (!fm)
		return fail("malloc");
	while (!last) {
		memset(fm, 0, sizeof(*fm));
		fm->fm_start = next;
		fm->fm_length = FIEMAP_MAX_OFFSET - next;
		fm->fm_extent_count = COUNT_BATCH;
		if (ioctl(fd, FS_IOC_FIEMAP, fm)) {
			free(fm);
			return fail("FS_IOC_FIEMAP");
		}
		if (!fm->fm_mapped_extents)
			break;
		for (i = 0; i < fm->fm_mapped_extents; i++) {
			e = &fm->fm_extents[i];
			/* a batch starting inside an extent reports it again */
			if (e->fe_logical + e->fe_length <= next)
				continue;
			n++;
			bytes += e->fe_logical + e->fe_length -
				 (e->fe_logical < next ? next : e->fe_logical);
			next = e->fe_logical + e->fe_length;
			last |= !!(e->fe_flags & FIEMAP_EXTENT_LAST);
		}
		if (fm->fm_mapped_extents < COUNT_BATCH)
			break;
	}
	free(fm);
	printf("extents %llu bytes %llu\n", n, bytes);
	return 0;
}

int main(int argc, char **argv)
{
	int fd, blk;

	if (argc < 3)
		goto usage;
	fd = open(argv[2], O_RDONLY);
	if (fd < 0)
		return fail(argv[2]);
	if (!strcmp(argv[1], "seek") && argc == 3)
		return do_seek(fd);
	if (!strcmp(argv[1], "fiemap") && argc == 3)
		return do_fiemap(fd);
	if (!strcmp(argv[1], "count") && argc == 3)
		return do_count(fd);
	if (!strcmp(argv[1], "bmap") && argc == 4) {
		blk = atoi(argv[3]);
		if (ioctl(fd, FIBMAP, &blk))
			return fail("FIBMAP");
		printf("%d\n", blk);
		return 0;
	}
usage:
	fprintf(stderr, "usage: extmap seek|fiemap|count FILE | extmap bmap FILE N\n");
	return 2;
}
