/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fusetd famfs mode: files laid out on DAX (pmem) devices, served with
 * FUSE_GET_FMAP and FUSE_GET_DAXDEV; the kernel does all their I/O.
 *
 *   fusetd famfs [--stats FILE] [--bad] [--keep] [--ro] [--atomic-o-trunc]
 *                [--hold-map NAME]
 *                [--personality famfs [--daxdev PATH] [--chunk-size 4K|2M]]
 *                [--die-on OPCODE[:N[:FLAG]]] -d DEV [-d DEV]... -F SPEC... MOUNTPOINT
 *   fusetd famfs --check NAME SEED -d DEV... -F SPEC...
 *   fusetd famfs --dump NAME -d DEV... -F SPEC...
 *
 * SPEC is NAME:SIZE:simple:EXTSIZE (extents of EXTSIZE bytes, round robin
 * over the devices) or NAME:SIZE:ilv:NSTRIPS:CHUNK[:NEXTENTS] (NEXTENTS
 * interleaved extents of NSTRIPS strips, strip j of extent i on device
 * (i + j) mod ndevs).  Sizes take K, M and G; every extent is 2 MiB
 * aligned, allocations leave a 2 MiB gap.  The layout is a pure function
 * of the devices and specs, so --check can find a file's bytes on the
 * devices again: it compares them with the pattern of SEED (that of
 * tests/tools/fileverify).  Mounting lays file N (from 1, in -F order)
 * down with seed N (--keep: the data already there stays; --ro mounts read
 * only, for a second host of the same memory).  --dump prints
 * a file's extents.  Devices are pmem block devices or devdax char devices
 * (read and written through short-lived mappings); --hold-map NAME keeps
 * the first 2 MiB of file NAME's first strip mapped through its devdax
 * device while serving (famfs shares its memory with the server).  --atomic-o-trunc asks for FUSE_ATOMIC_O_TRUNC (and
 * then ignores O_TRUNC: sizes are the layout's).
 *
 * --personality famfs (or FUSETD_PERSONALITY=famfs) behaves on the wire
 * like famfs_fused (personality.h): one device, served as --daxdev PATH
 * (the mount source too), and an interleaved file is one extent of the
 * file's size in --chunk-size chunks.  --check and --dump lay files out
 * the same way under it.
 *
 * --die-on kills the daemon at the N-th request of OPCODE (see die.h).
 *
 * --bad adds files named bad-CLASS whose GET_FMAP reply breaks one rule
 * each, and baddev-CLASS files whose device reply is bad; see famfs_bad.c.
 */
#ifndef FUSETD_FAMFS_H
#define FUSETD_FAMFS_H

#include <stdint.h>
#include <sys/types.h>
#include <linux/fuse.h>

#include "stats.h"

#define FF_ALIGN	(2ULL << 20)
#define FF_MAX_DEVS	8
#define FF_MAX_FILES	128
#define FF_BAD_DEV_BASE	20	/* device indices of the bad device replies */
/* baddev-nodev names this path, which 41-famfs-bad makes on a nodev mount */
#define FF_NODEV_PATH	"/run/famfs-nodev/pmem0"

struct ff_strip {
	uint32_t	dev;
	uint64_t	off;
	uint64_t	len;
};

struct ff_ext {
	uint64_t	len;		/* file bytes */
	uint64_t	chunk;		/* interleaved; 0 for simple */
	uint32_t	nstrips;
	struct ff_strip	s[FUSE_FAMFS_MAX_STRIPS];
};

struct ff_file {
	char		name[64];
	uint64_t	size;
	uint64_t	seed;		/* 0: no data laid down */
	uint32_t	ext_type;
	uint32_t	nextents;
	struct ff_ext	*e;
	int		bad;		/* FF_BAD_* class, or 0 */
};

struct ff_dev {
	const char	*path;
	int		fd;		/* O_RDWR, O_DIRECT on a bdev */
	int		devdax;		/* a devdax char device */
	uint64_t	align;		/* devdax: its page size */
	uint64_t	size;
	uint64_t	next;		/* allocation cursor */
};

struct famfsd {
	int		fuse_fd;
	struct ft_stats	*stats;
	uint32_t	minor;
	int		famfs;		/* FUSE_DAX_FMAP negotiated */
	int		personality;	/* FT_PERS_NONE or FT_PERS_FAMFS */
	const char	*daxdev;	/* --daxdev: mount source, GET_DAXDEV */
	uint64_t	chunk;		/* --chunk-size (famfs personality) */
	int		atomic_o_trunc;	/* ask for FUSE_ATOMIC_O_TRUNC */
	unsigned int	ndevs;
	struct ff_dev	devs[FF_MAX_DEVS];
	uint64_t	spare[FF_MAX_DEVS];	/* see ff_spare() */
	int		spare_set[FF_MAX_DEVS];
	unsigned int	nfiles;
	struct ff_file	files[FF_MAX_FILES];
	char		*in_buf;
	char		*out_buf;
};

/* famfs_layout.c */
int ff_add_dev(struct famfsd *d, const char *path);
int ff_add_spec(struct famfsd *d, const char *spec);
int ff_alloc(struct famfsd *d, uint32_t dev, uint64_t len, uint64_t *off);
int ff_spare(struct famfsd *d, uint32_t dev, uint64_t *off);
int ff_lay_down(struct famfsd *d, const struct ff_file *f, uint64_t seed);
int ff_check(struct famfsd *d, const struct ff_file *f, uint64_t seed);
int ff_hold_map(struct famfsd *d, const struct ff_file *f);
void ff_dump(const struct ff_file *f);
struct ff_file *ff_find(struct famfsd *d, const char *name);
size_t ff_fmap(const struct ff_file *f, void *buf, size_t max);

/* famfs_bad.c */
int ff_add_bad_files(struct famfsd *d);
ssize_t ff_bad_fmap(const struct famfsd *d, const struct ff_file *f,
		    void *buf, size_t max, uint32_t bufsize);
int ff_bad_daxdev(const struct famfsd *d, uint32_t index,
		  struct fuse_daxdev_out *out);

/* famfs_serve.c */
int famfs_main(int argc, char **argv);

/* main.c */
int daemonize(void);

#endif /* FUSETD_FAMFS_H */
