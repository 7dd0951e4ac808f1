/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuse-iomap beside a kernel's built-in FUSE.
 *
 * Kbuild.coexist includes this header before every file of the build that
 * loads as fuseiomap.ko next to the FUSE of a distribution kernel (Debian
 * builds FUSE in).  Everything that is global to the system gets a name
 * of its own: filesystem types, misc device (dynamic minor), sysfs
 * directory, slab caches, trace system and message prefix.
 *
 * vmlinux already exports every symbol fs/fuse exports, and modpost
 * refuses a module that exports one again.  Only cuse and virtiofs use
 * those exports, and neither is built here (the kernel's own keep working
 * with its own FUSE), so this build exports nothing.
 */
#ifndef _FS_FUSE_COEXIST_H
#define _FS_FUSE_COEXIST_H

#define pr_fmt(fmt) "fuseiomap: " fmt

#define FUSE_NAMES_DEFINED
#define FUSE_NAME_FS		"fuseiomap"
#define FUSE_NAME_FSBLK		"fuseiomapblk"
#define FUSE_NAME_FSCTL		"fuseiomapctl"
#define FUSE_NAME_SYSFS		"fuse-iomap"
#define FUSE_NAME_DEV		"fuse-iomap"
#define FUSE_NAME_DEV_MINOR	MISC_DYNAMIC_MINOR
#define FUSE_NAME_CUSE		"cuse-iomap"
#define FUSE_NAME_CUSE_MINOR	MISC_DYNAMIC_MINOR
#define FUSE_NAME_CACHE_INODE	"fuseiomap_inode"
#define FUSE_NAME_CACHE_REQ	"fuseiomap_request"
#define FUSE_NAME_TRACE_SYSTEM	fuseiomap

#include <linux/export.h>
#undef EXPORT_SYMBOL
#define EXPORT_SYMBOL(sym)	static_assert(sizeof(typeof(sym)))
#undef EXPORT_SYMBOL_GPL
#define EXPORT_SYMBOL_GPL(sym)	static_assert(sizeof(typeof(sym)))

#endif /* _FS_FUSE_COEXIST_H */
