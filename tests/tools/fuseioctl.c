// SPDX-License-Identifier: GPL-2.0
/*
 * fuseioctl: issue the fork's /dev/fuse ioctls from a shell test.
 *
 *   fuseioctl support   print the FUSE_DEV_IOC_IOMAP_SUPPORT flags (hex)
 *   fuseioctl bogus     issue an undefined /dev/fuse ioctl (expect ENOTTY)
 *
 * Exit: 0 ok, 1 the ioctl failed (its error is printed), 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/fuse.h>

int main(int argc, char **argv)
{
	struct fuse_iomap_support s = { 0 };
	int fd, ret;

	if (argc != 2)
		goto usage;
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "fuseioctl: /dev/fuse: %s\n", strerror(errno));
		return 1;
	}
	if (!strcmp(argv[1], "support")) {
		ret = ioctl(fd, FUSE_DEV_IOC_IOMAP_SUPPORT, &s);
		if (!ret)
			printf("0x%llx\n", (unsigned long long)s.flags);
	} else if (!strcmp(argv[1], "bogus")) {
		ret = ioctl(fd, _IO(FUSE_DEV_IOC_MAGIC, 222));
	} else {
		goto usage;
	}
	if (ret) {
		fprintf(stderr, "fuseioctl: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
usage:
	fprintf(stderr, "usage: fuseioctl support|bogus\n");
	return 2;
}
