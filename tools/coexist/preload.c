// SPDX-License-Identifier: GPL-2.0
/*
 * fuseiomap-preload.so: an unchanged FUSE server on fuse-iomap's coexisting
 * module (fuseiomap.ko beside a kernel's built-in FUSE).
 *
 * libfuse opens "/dev/fuse" and mounts filesystem type "fuse", "fuseblk",
 * "fuse.SUBTYPE" or "fuseblk.SUBTYPE" with mount(2); both names belong to
 * the kernel's own FUSE.  Preloaded (fuseiomap-run does it), this library
 * turns the open into one of /dev/fuse-iomap and the mount into one of
 * "fuseiomap", "fuseiomapblk", "fuseiomap.SUBTYPE" or "fuseiomapblk.SUBTYPE".
 * Nothing else changes.
 *
 * It cannot reach fusermount, the setuid helper unprivileged servers mount
 * through: the dynamic linker ignores LD_PRELOAD for setuid programs.
 * Servers must therefore run as root (or with CAP_SYS_ADMIN), which iomap
 * asks of them anyway (CAP_SYS_RAWIO).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#define OLD_DEV	"/dev/fuse"
#define NEW_DEV	"/dev/fuse-iomap"

static const char *dev_path(const char *path)
{
	return path && !strcmp(path, OLD_DEV) ? NEW_DEV : path;
}

/* "fuse[blk][.SUBTYPE]" -> "fuseiomap[blk][.SUBTYPE]"; others unchanged */
static const char *fs_type(const char *type, char *buf, size_t size)
{
	const char *rest;

	if (!type || strncmp(type, "fuse", 4))
		return type;
	rest = type + 4;
	if (!strncmp(rest, "blk", 3))
		rest += 3;
	if (*rest && *rest != '.')
		return type;		/* fusectl and the like */
	if (snprintf(buf, size, "fuseiomap%s", type + 4) >= (int)size)
		return type;
	return buf;
}

static mode_t open_mode(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
}

#define REAL(ret, name, ...)						\
	static ret (*real_##name)(__VA_ARGS__);				\
	static ret (*get_##name(void))(__VA_ARGS__)			\
	{								\
		if (!real_##name)					\
			real_##name = dlsym(RTLD_NEXT, #name);		\
		return real_##name;					\
	}

REAL(int, open, const char *, int, ...)
REAL(int, open64, const char *, int, ...)
REAL(int, openat, int, const char *, int, ...)
REAL(int, openat64, int, const char *, int, ...)
REAL(int, __open_2, const char *, int)
REAL(int, __open64_2, const char *, int)
REAL(int, mount, const char *, const char *, const char *, unsigned long,
     const void *)

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return get_open()(dev_path(path), flags, mode);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return get_open64()(dev_path(path), flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return get_openat()(dirfd, dev_path(path), flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return get_openat64()(dirfd, dev_path(path), flags, mode);
}

int __open_2(const char *path, int flags)
{
	return get___open_2()(dev_path(path), flags);
}

int __open64_2(const char *path, int flags)
{
	return get___open64_2()(dev_path(path), flags);
}

int mount(const char *source, const char *target, const char *type,
	  unsigned long flags, const void *data)
{
	char buf[256];

	return get_mount()(source, target, fs_type(type, buf, sizeof(buf)),
			   flags, data);
}
