/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which FUSE a test program talks to.  By default the one loaded as "fuse"
 * (/dev/fuse, filesystem type "fuse").  With FUSE_IOMAP_COEXIST=1 in the
 * environment, fuse-iomap's coexisting module fuseiomap.ko, which loads
 * beside a kernel's built-in FUSE: /dev/fuse-iomap, filesystem type
 * "fuseiomap" (fs/fuse/coexist.h has the names).
 */
#ifndef FUSE_IOMAP_TESTS_FUSEDEV_H
#define FUSE_IOMAP_TESTS_FUSEDEV_H

#include <stdlib.h>
#include <string.h>

static inline int fusedev_coexist(void)
{
	const char *e = getenv("FUSE_IOMAP_COEXIST");

	return e && !strcmp(e, "1");
}

/* the misc device to open */
static inline const char *fusedev_path(void)
{
	return fusedev_coexist() ? "/dev/fuse-iomap" : "/dev/fuse";
}

/* the filesystem type to mount; a subtype follows it after a dot */
static inline const char *fusedev_fstype(void)
{
	return fusedev_coexist() ? "fuseiomap" : "fuse";
}

#endif
