// SPDX-License-Identifier: GPL-2.0
/*
 * fuseioctl: issue the fork's /dev/fuse ioctls from a shell test.
 *
 *   fuseioctl support   print the FUSE_DEV_IOC_IOMAP_SUPPORT flags (hex)
 *   fuseioctl bogus     issue an undefined /dev/fuse ioctl (expect ENOTTY)
 *   fuseioctl grant [--drop-rawio] FD CMD [ARG...]
 *                       a mount helper: open /dev/fuse, grant iomap to it
 *                       (FUSE_DEV_IOC_ADD_IOMAP), print what SUPPORT says of
 *                       it, and run CMD with it as descriptor FD (for
 *                       fusetd mount --fuse-fd FD); --drop-rawio drops
 *                       CAP_SYS_RAWIO first, so that the grant must fail
 *   fuseioctl backing-open [--drop-rawio] PID FD DEV
 *                       take a copy of descriptor FD of process PID (a
 *                       server's /dev/fuse file, pidfd_getfd()), open the
 *                       block device DEV read-write, and register it as an
 *                       iomap device on that connection
 *                       (FUSE_DEV_IOC_BACKING_OPEN); print "cookie N" and
 *                       give it back; --drop-rawio drops CAP_SYS_RAWIO
 *                       before the ioctl, so that it must fail
 *
 * Exit: 0 ok, 1 the ioctl failed (its error is printed), 2 usage.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/fuse.h>

#include "caps.h"
#include "fusedev.h"

static int grant(int argc, char **argv)
{
	struct fuse_iomap_support s = { 0 };
	int fd, target, i = 2;

	if (i < argc && !strcmp(argv[i], "--drop-rawio")) {
		if (drop_rawio()) {
			perror("fuseioctl: capset");
			return 1;
		}
		i++;
	}
	if (argc - i < 2)
		return 2;
	target = atoi(argv[i]);
	fd = open(fusedev_path(), O_RDWR);
	if (fd < 0) {
		perror(fusedev_path());
		return 1;
	}
	if (ioctl(fd, FUSE_DEV_IOC_ADD_IOMAP)) {
		fprintf(stderr, "fuseioctl: grant: %s\n", strerror(errno));
		return 1;
	}
	if (ioctl(fd, FUSE_DEV_IOC_IOMAP_SUPPORT, &s)) {
		fprintf(stderr, "fuseioctl: support: %s\n", strerror(errno));
		return 1;
	}
	printf("granted, support 0x%llx\n", (unsigned long long)s.flags);
	fflush(stdout);
	if (fd != target && (dup2(fd, target) < 0 || close(fd))) {
		perror("fuseioctl: dup2");
		return 1;
	}
	execvp(argv[i + 1], argv + i + 1);
	perror("fuseioctl: exec");
	return 1;
}

static int backing_open(int argc, char **argv)
{
	struct fuse_backing_map map = { .flags = FUSE_BACKING_TYPE_IOMAP };
	int pidfd, fuse, i = 2, drop = 0, id;

	if (i < argc && !strcmp(argv[i], "--drop-rawio")) {
		drop = 1;
		i++;
	}
	if (argc - i != 3)
		return 2;
	pidfd = syscall(SYS_pidfd_open, atoi(argv[i]), 0);
	if (pidfd < 0) {
		perror("fuseioctl: pidfd_open");
		return 1;
	}
	fuse = syscall(SYS_pidfd_getfd, pidfd, atoi(argv[i + 1]), 0);
	if (fuse < 0) {
		perror("fuseioctl: pidfd_getfd");
		return 1;
	}
	map.fd = open(argv[i + 2], O_RDWR | O_CLOEXEC);
	if (map.fd < 0) {
		perror(argv[i + 2]);
		return 1;
	}
	if (drop && drop_rawio()) {
		perror("fuseioctl: capset");
		return 1;
	}
	id = ioctl(fuse, FUSE_DEV_IOC_BACKING_OPEN, &map);
	if (id < 0) {
		fprintf(stderr, "fuseioctl: backing-open: %s\n", strerror(errno));
		return 1;
	}
	printf("cookie %d\n", id);
	if (ioctl(fuse, FUSE_DEV_IOC_BACKING_CLOSE, &id)) {
		fprintf(stderr, "fuseioctl: backing-close: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct fuse_iomap_support s = { 0 };
	int fd, ret;

	if (argc >= 2 && !strcmp(argv[1], "grant")) {
		ret = grant(argc, argv);
		if (ret == 2)
			goto usage;
		return ret;
	}
	if (argc >= 2 && !strcmp(argv[1], "backing-open")) {
		ret = backing_open(argc, argv);
		if (ret == 2)
			goto usage;
		return ret;
	}
	if (argc != 2)
		goto usage;
	fd = open(fusedev_path(), O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "fuseioctl: %s: %s\n", fusedev_path(),
			strerror(errno));
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
	fprintf(stderr, "usage: fuseioctl support|bogus\n"
		"       fuseioctl grant [--drop-rawio] FD CMD [ARG...]\n"
		"       fuseioctl backing-open [--drop-rawio] PID FD DEV\n");
	return 2;
}
