/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The /dev/fuse wire as every test program speaks it: which FUSE to talk
 * to, mounting, the body of a request, replies and notifications.
 *
 * By default the FUSE loaded as "fuse" (/dev/fuse, filesystem type
 * "fuse").  With FUSE_IOMAP_COEXIST=1 in the environment, fuse-iomap's
 * coexisting module fuseiomap.ko, which loads beside a kernel's built-in
 * FUSE: /dev/fuse-iomap, filesystem type "fuseiomap" (fs/fuse/coexist.h
 * has the names).
 */
#ifndef FUSE_IOMAP_TESTS_FUSEDEV_H
#define FUSE_IOMAP_TESTS_FUSEDEV_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/uio.h>
#include <linux/fuse.h>

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

/*
 * fusedev_open - open the misc device, with O_RDWR | O_CLOEXEC and @flags
 *
 * Return: the file descriptor, or -errno.
 */
static inline int fusedev_open(int flags)
{
	int fd = open(fusedev_path(), O_RDWR | O_CLOEXEC | flags);

	return fd < 0 ? -errno : fd;
}

/*
 * fusedev_mount - mount a FUSE filesystem served through @fd
 * @fd: the open /dev/fuse file
 * @source: what /proc/mounts shows as the source
 * @mnt: where
 * @subtype: NULL, or the type's subtype ("fusetd" for fuse.fusetd)
 * @mflags: mount(2) flags
 * @opts: more options after the ones every server needs, or ""
 *
 * The root is a directory, owned by the caller.
 *
 * Return: 0 or -errno.
 */
static inline int fusedev_mount(int fd, const char *source, const char *mnt,
				const char *subtype, unsigned long mflags,
				const char *opts)
{
	char data[1400], fstype[64];

	snprintf(data, sizeof(data),
		 "fd=%d,rootmode=40000,user_id=%u,group_id=%u%s%s", fd,
		 (unsigned int)getuid(), (unsigned int)getgid(),
		 *opts ? "," : "", opts);
	snprintf(fstype, sizeof(fstype), "%s%s%s", fusedev_fstype(),
		 subtype ? "." : "", subtype ? subtype : "");
	return mount(source, mnt, fstype, mflags, data) < 0 ? -errno : 0;
}

/*
 * fusedev_request - find the body of a request read from /dev/fuse
 * @buf: what read(2) returned
 * @len: its length
 * @in: set to the body, after the header
 * @in_len: set to its length, without the extensions (total_extlen)
 *
 * Return: 0, or -EIO if the header's lengths do not fit what was read.
 */
static inline int fusedev_request(const void *buf, size_t len,
				  const void **in, size_t *in_len)
{
	const struct fuse_in_header *hdr = buf;
	size_t ext;

	if (len < sizeof(*hdr) || hdr->len != len)
		return -EIO;
	ext = (size_t)hdr->total_extlen * 8;
	if (ext > len - sizeof(*hdr))
		return -EIO;
	*in = hdr + 1;
	*in_len = len - sizeof(*hdr) - ext;
	return 0;
}

/*
 * fusedev_send - write a reply, or a notification (@unique 0, @error its
 * code), with the fuse_out_header in iov[0], which this fills in
 * @hdr_len: the length the header claims; 0 for the true one
 *
 * Return: 0 or -errno (ENOENT: the request was interrupted; ENODEV: the
 * filesystem is gone, or the notification is not supported).
 */
static inline int fusedev_send(int fd, uint64_t unique, int32_t error,
			       uint32_t hdr_len, struct iovec *iov, int cnt)
{
	struct fuse_out_header oh = {
		.len = hdr_len,
		.error = error,
		.unique = unique,
	};
	int i;

	if (!oh.len) {
		oh.len = sizeof(oh);
		for (i = 1; i < cnt; i++)
			oh.len += iov[i].iov_len;
	}
	iov[0].iov_base = &oh;
	iov[0].iov_len = sizeof(oh);
	return writev(fd, iov, cnt) < 0 ? -errno : 0;
}

#endif
