// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd: the fuse-iomap test FUSE server.
 *
 *   fusetd mkfs [-s SIZE] [-i INODES] [-p POOLBLOCKS] IMAGE
 *   fusetd mount [-f] [--personality fuse4fs] [--iomap [--inject RULE] [--ro-dev] [--no-ioend] [--no-end] [--want-end] [--probe-backing]
 *                [--cache-maxbytes N | --no-cache] [--upsert-on-open N] [--map-ahead BYTES] [--probe-notify]]
 *                [--inline-max BYTES] [--drop-rawio[-late]] [--die-on OPCODE[:N[:FLAG]]] [--flood N:INO]
 *                [--defer-on MS@OPCODE[:N[:FLAG]]] [--fill-devs] [--fault NAME[,NAME...]]
 *                [--fuse-fd N] [--set-blocksize N] [--probe-grant] [--inline-nopayload]
 *                [--valid SECS] [--dev-inval-on-fsync] [--stats FILE] [-o OPTS] IMAGE MOUNTPOINT
 *   fusetd stats [--reset] FILE
 *   fusetd fsck [-v] IMAGE
 *   fusetd selftest [-v] [--big] [DIR]
 *   fusetd famfs ... (see famfs.h)
 *
 * It speaks the /dev/fuse protocol directly (no libfuse) and serves one
 * filesystem image in a single thread.
 *
 * --personality fuse4fs (or FUSETD_PERSONALITY=fuse4fs) behaves on the
 * wire like fuse4fs over libfuse 3.99 (personality.h); it implies --iomap.
 *
 * --fault NAME turns on a deliberate bug (fault.c), to prove that a test
 * catches it; each one counts "fault-NAME" in the stats when it fires:
 * skip-ioend (IOMAP_IOEND does nothing), stale-map (reads keep getting the
 * mapping a range had before an ioend changed it), drop-clone
 * (COPY_FILE_RANGE and clones do nothing), drop-unshare (unshare leaves
 * the blocks shared).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "caps.h"
#include "die.h"
#include "famfs.h"
#include "fusedev.h"
#include "pattern.h"
#include "proto.h"

#define LOCK_TRIES	100	/* 100ms apart */
#define MOUNT_OPTS	"allow_other,default_permissions"

_Noreturn static void usage(void)
{
	fprintf(stderr,
		"usage: fusetd mkfs [-s SIZE] [-i INODES] [-p POOLBLOCKS] IMAGE\n"
		"       fusetd mount [-f] [--personality fuse4fs] [--iomap [--inject RULE] [--ro-dev] [--no-ioend] [--no-end] [--want-end] [--probe-backing]\n"
		"                    [--cache-maxbytes N | --no-cache] [--upsert-on-open N] [--map-ahead BYTES] [--probe-notify]]\n"
		"                    [--inline-max BYTES] [--drop-rawio[-late]] [--die-on OPCODE[:N[:FLAG]]] [--flood N:INO]\n"
		"                    [--defer-on MS@OPCODE[:N[:FLAG]]] [--fill-devs] [--fault NAME[,NAME...]] [--stats FILE]\n"
		"                    [--fuse-fd N] [--set-blocksize N] [--probe-grant] [--inline-nopayload] [--coexist]\n"
		"                    [--flip-type FILE] [--valid SECS] [--dev-inval-on-fsync] [-o OPTS] IMAGE MOUNTPOINT\n"
		"         --want-end: every mapping asks for FUSE_IOMAP_END (FUSE_IOMAP_F_WANT_IOMAP_END)\n"
		"         --map-ahead BYTES: a read that missed the mapping cache and spans extents also pushes\n"
		"           the mappings of the rest of the read (at most BYTES)\n"
		"         --valid SECS: entry and attribute timeout of replies (default 1, as libfuse's)\n"
		"         --dev-inval-on-fsync: every FSYNC first takes back all mappings of the image (DEV_INVAL)\n"
		"         --fuse-fd N: mount with /dev/fuse file N (from a mount helper: fuseioctl grant)\n"
		"         --coexist: fuse-iomap's fuseiomap.ko beside a built-in FUSE: /dev/fuse-iomap and\n"
		"           filesystem type fuseiomap (also FUSE_IOMAP_COEXIST=1, which famfs mount follows)\n"
		"         --set-blocksize N: register the device O_EXCL, IOMAP_SET_BLOCKSIZE to N\n"
		"         --probe-grant: FUSE_DEV_IOC_ADD_IOMAP after the mount; prints its errno\n"
		"         --drop-rawio-late: drop CAP_SYS_RAWIO after mount(2), before answering INIT\n"
		"         --inline-nopayload: INLINE mappings without data, which moves with READ/WRITE\n"
		"         --flip-type FILE: the file whose inode number FILE holds reads as a directory\n"
		"         --personality fuse4fs: on the wire like fuse4fs over libfuse 3.99 (implies --iomap;\n"
		"           also FUSETD_PERSONALITY=fuse4fs; see personality.h)\n"
		"         --fault: deliberate bugs, counted as \"fault-NAME\" in the stats (see fault.c):\n"
		"           skip-ioend    IOMAP_IOEND succeeds and does nothing (no unwritten conversion, remap, size)\n"
		"           stale-map     reads keep the mapping an ioend's remap or conversion replaced\n"
		"           drop-clone    COPY_FILE_RANGE (clone or copy) succeeds and does nothing\n"
		"           drop-unshare  FALLOC_FL_UNSHARE_RANGE succeeds and leaves the blocks shared\n"
		"       fusetd stats [--reset] FILE\n"
		"       fusetd fsck [-v] IMAGE\n"
		"       fusetd fragment [-w SEED | -u] IMAGE NAME EXTENTS\n"
		"       fusetd selftest [-v] [--big] [DIR]\n"
		"       fusetd famfs ... (fusetd famfs --help)\n"
		"       mount -t fuse.fusetd IMAGE MOUNTPOINT [-o iomap,stats=FILE]\n"
		"         (mount.fuse.fusetd, a link to fusetd, is the helper mount(8) runs;\n"
		"          mount -t fuseiomap.fusetd runs mount.fuseiomap.fusetd, which mounts with --coexist)\n");
	exit(2);
}

static void error(const char *what, int err)
{
	fprintf(stderr, "fusetd: %s: %s\n", what, strerror(err));
}

/*
 * An image has one user at a time.  Wait a while for it, as a daemon whose
 * filesystem was just unmounted may still be writing the image back.
 */
static int lock_image(int fd, const char *path)
{
	int i;

	for (i = 0; i < LOCK_TRIES; i++) {
		if (!flock(fd, LOCK_EX | LOCK_NB))
			return 0;
		if (errno != EWOULDBLOCK)
			break;
		usleep(100 * 1000);
	}
	error(path, errno == EWOULDBLOCK ? EBUSY : errno);
	return -1;
}

/* A byte count with an optional K, M, G or T suffix. */
static int parse_size(const char *s, uint64_t *size)
{
	unsigned long long v;
	unsigned int shift;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || (*end && end[1]))
		return -1;
	switch (*end) {
	case '\0':
		shift = 0;
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	default:
		return -1;
	}
	if (v > UINT64_MAX >> shift)
		return -1;
	*size = (uint64_t)v << shift;
	return 0;
}

/* --flood N:INO */
static int parse_flood(const char *arg, struct fusetd *d)
{
	unsigned long long n, ino;
	char *end;

	errno = 0;
	n = strtoull(arg, &end, 0);
	if (errno || end == arg || *end != ':' || !n)
		return -1;
	arg = end + 1;
	ino = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || !ino)
		return -1;
	d->flood_left = n;
	d->flood_ino = ino;
	return 0;
}

/* Size the image: a regular file becomes size bytes, a device must fit. */
static int image_resize(int fd, uint64_t *size)
{
	uint64_t dev_size;
	struct stat stb;
	int err;

	if (fstat(fd, &stb) < 0)
		return -errno;
	if (S_ISREG(stb.st_mode) && *size)
		return ftruncate(fd, *size) < 0 ? -errno : 0;
	err = store_dev_size(fd, &dev_size);
	if (err)
		return err;
	if (!*size)
		*size = dev_size;
	return *size > dev_size ? -ENOSPC : 0;
}

static int cmd_mkfs(int argc, char **argv)
{
	uint64_t size = 0, inodes = 0, pool = 0;
	const char *path;
	int c, fd, err;

	while ((c = getopt(argc, argv, "s:i:p:")) != -1) {
		switch (c) {
		case 's':
			if (parse_size(optarg, &size))
				usage();
			break;
		case 'i':
			if (parse_size(optarg, &inodes) || !inodes)
				usage();
			break;
		case 'p':
			if (parse_size(optarg, &pool) || !pool)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	path = argv[optind];

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		error(path, errno);
		return 1;
	}
	if (lock_image(fd, path))
		return 1;
	err = image_resize(fd, &size);
	if (!err)
		err = store_mkfs(fd, size, inodes, pool);
	if (err == -ENOSPC) {
		fprintf(stderr, "fusetd: %s: image too small\n", path);
		return 1;
	}
	if (err) {
		error(path, -err);
		return 1;
	}
	close(fd);
	return 0;
}

/* Fork; the parent exits 0, the child carries on detached. */
int daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	setsid();
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

static int cmd_mount(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "stats", required_argument, NULL, 'S' },
		{ "iomap", no_argument, NULL, 'I' },
		{ "inject", required_argument, NULL, 'J' },
		{ "ro-dev", no_argument, NULL, 'R' },
		{ "no-ioend", no_argument, NULL, 'N' },
		{ "no-end", no_argument, NULL, 'E' },
		{ "want-end", no_argument, NULL, 'w' },
		{ "inline-max", required_argument, NULL, 'L' },
		{ "probe-backing", no_argument, NULL, 'P' },
		{ "drop-rawio", no_argument, NULL, 'D' },
		{ "drop-rawio-late", no_argument, NULL, 'r' },
		{ "cache-maxbytes", required_argument, NULL, 'C' },
		{ "no-cache", no_argument, NULL, 'n' },
		{ "upsert-on-open", required_argument, NULL, 'U' },
		{ "map-ahead", required_argument, NULL, 'm' },
		{ "probe-notify", no_argument, NULL, 'p' },
		{ "die-on", required_argument, NULL, 'X' },
		{ "defer-on", required_argument, NULL, 'T' },
		{ "flood", required_argument, NULL, 'F' },
		{ "fill-devs", no_argument, NULL, 'V' },
		{ "fault", required_argument, NULL, 'B' },
		{ "personality", required_argument, NULL, 'Y' },
		{ "fuse-fd", required_argument, NULL, 'H' },
		{ "set-blocksize", required_argument, NULL, 'K' },
		{ "probe-grant", no_argument, NULL, 'G' },
		{ "inline-nopayload", no_argument, NULL, 'W' },
		{ "fuse-type", no_argument, NULL, 'M' },
		{ "coexist", no_argument, NULL, 'Q' },
		{ "flip-type", required_argument, NULL, 'Z' },
		{ "valid", required_argument, NULL, 'A' },
		{ "dev-inval-on-fsync", no_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 },
	};
	const char *stats_path = NULL, *image, *mnt, *pers = NULL;
	const char *inject = NULL;
	int upsert_explicit = 0, fuse_fd = -1, probe_grant = 0, as_type = 0;
	int drop_late = 0;
	char opts[1024] = "", data[1100];
	struct fusetd d = {
		.cache_maxbytes = 16 << 20,
		.upsert_on_open = 64,
		.valid_secs = 1,
	};
	uint64_t size;
	int c, fd, foreground = 0, err, close_err;
	uint64_t inline_max = 0;
	size_t len;

	while ((c = getopt_long(argc, argv, "fo:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			foreground = 1;
			break;
		case 'o':
			len = strlen(opts);
			if (snprintf(opts + len, sizeof(opts) - len, ",%s",
				     optarg) >= (int)(sizeof(opts) - len))
				usage();
			break;
		case 'S':
			stats_path = optarg;
			break;
		case 'M':
			/* as mount(8) would show it: the image, fuse.fusetd */
			as_type = 1;
			break;
		case 'Q':
			/* fuseiomap.ko beside a built-in FUSE (fusedev.h) */
			setenv("FUSE_IOMAP_COEXIST", "1", 1);
			break;
		case 'I':
			d.want_iomap = 1;
			break;
		case 'R':
			d.ro_dev = 1;
			break;
		case 'N':
			d.no_ioend = 1;
			break;
		case 'E':
			d.no_end = 1;
			break;
		case 'w':
			d.want_end = 1;
			break;
		case 'L':
			/* an inline file is at most one block */
			if (parse_size(optarg, &inline_max) ||
			    inline_max > FT_BLOCK_SIZE)
				usage();
			break;
		case 'P':
			d.probe_backing = 1;
			break;
		case 'C':
			if (parse_size(optarg, &size) || size > UINT32_MAX)
				usage();
			d.cache_maxbytes = size;
			d.cache_explicit = 1;
			break;
		case 'n':
			d.cache_maxbytes = 0;
			d.cache_explicit = 1;
			break;
		case 'U':
			if (parse_size(optarg, &size) || size > UINT32_MAX)
				usage();
			d.upsert_on_open = size;
			upsert_explicit = 1;
			break;
		case 'm':
			if (parse_size(optarg, &size) || size % FT_BLOCK_SIZE ||
			    size / FT_BLOCK_SIZE > UINT32_MAX)
				usage();
			d.map_ahead = size / FT_BLOCK_SIZE;
			break;
		case 'p':
			d.probe_notify = 1;
			break;
		case 'A':
			if (parse_size(optarg, &size) || size > UINT32_MAX)
				usage();
			d.valid_secs = size;
			break;
		case 'O':
			d.dev_inval_on_fsync = 1;
			break;
		case 'D':
			if (drop_rawio()) {
				error("capset", errno);
				return 1;
			}
			break;
		case 'r':
			drop_late = 1;
			break;
		case 'J':
			d.inject = inject_lookup(optarg);
			if (!d.inject)
				usage();
			inject = optarg;
			break;
		case 'X':
			if (die_on_parse(optarg))
				usage();
			break;
		case 'T':
			if (defer_on_parse(optarg))
				usage();
			break;
		case 'F':
			if (parse_flood(optarg, &d))
				usage();
			break;
		case 'V':
			d.fill_devs = 1;
			break;
		case 'B':
			if (fault_parse(&d, optarg))
				usage();
			break;
		case 'Y':
			pers = optarg;
			break;
		case 'H':
			fuse_fd = atoi(optarg);
			break;
		case 'K':
			d.set_blocksize = strtoul(optarg, NULL, 0);
			break;
		case 'G':
			probe_grant = 1;
			break;
		case 'W':
			d.inline_nopayload = 1;
			break;
		case 'Z':
			d.flip_type = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind + 2 != argc)
		usage();
	d.personality = pers_choose(pers, FT_PERS_FUSE4FS);
	if (d.personality < 0)
		return 2;
	if (d.personality == FT_PERS_FUSE4FS) {
		/* its INLINE mappings carry no data (FUSE_READ/FUSE_WRITE) */
		if (inject && !strncmp(inject, "inline", 6)) {
			fprintf(stderr,
				"fusetd: --personality fuse4fs: no inline --inject rules\n");
			return 2;
		}
		d.inline_nopayload = 1;
		d.want_iomap = 1;
		/* it pushes mappings only when asked for one */
		if (!upsert_explicit)
			d.upsert_on_open = 0;
		if (d.map_ahead) {
			fprintf(stderr,
				"fusetd: --personality fuse4fs: no --map-ahead\n");
			return 2;
		}
	}
	image = argv[optind];
	d.image = image;
	mnt = argv[optind + 1];

	fd = open(image, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		error(image, errno);
		return 1;
	}
	if (lock_image(fd, image))
		return 1;
	err = store_open(&d.st, fd, 0);
	if (err) {
		if (err == -EINVAL || err == -EUCLEAN)
			fprintf(stderr, "fusetd: %s: not a fusetd image\n",
				image);
		else
			error(image, -err);
		return 1;
	}
	d.st.inline_max = inline_max;
	d.stats = stats_create(stats_path);
	if (!d.stats) {
		error(stats_path ? stats_path : "stats", errno);
		return 1;
	}
	d.st.stats = d.stats;
	d.in_buf = malloc(FT_IN_BUF_SIZE);
	d.out_buf = malloc(FT_MAX_IO);
	if (!d.in_buf || !d.out_buf) {
		error("buffers", ENOMEM);
		return 1;
	}
	/* --fuse-fd: a /dev/fuse file from a mount helper (fuseioctl grant) */
	if (fuse_fd >= 0) {
		d.fuse_fd = fuse_fd;
		if (fcntl(fuse_fd, F_SETFL, O_NONBLOCK) ||
		    fcntl(fuse_fd, F_SETFD, FD_CLOEXEC)) {
			error("--fuse-fd", errno);
			return 1;
		}
	} else {
		d.fuse_fd = fusedev_open(O_NONBLOCK);
	}
	if (d.fuse_fd < 0) {
		error(fusedev_path(), -d.fuse_fd);
		return 1;
	}

	/* fuse4fs: root_nodeid=2 whenever iomap file I/O would be offered */
	if (d.personality == FT_PERS_FUSE4FS)
		d.nodeid_shift = pers_fuse4fs_prepare(d.fuse_fd);
	snprintf(data, sizeof(data), MOUNT_OPTS "%s%s",
		 d.nodeid_shift ? ",root_nodeid=2" : "", opts);
	err = fusedev_mount(d.fuse_fd, as_type ? image : "fusetd", mnt,
			    as_type ? "fusetd" : NULL, 0, data);
	if (err) {
		fprintf(stderr, "fusetd: mount %s on %s: %s\n", image, mnt,
			strerror(-err));
		return 1;
	}
	/*
	 * --drop-rawio-late: a privileged mount helper (fusermount3 is setuid
	 * root) mounted for a server without CAP_SYS_RAWIO, which answers
	 * INIT: the kernel offered iomap to the helper, and must refuse it
	 * to the server.
	 */
	if (drop_late && drop_rawio()) {
		error("capset", errno);
		umount2(mnt, MNT_DETACH);
		return 1;
	}
	/* --probe-grant: a grant after the mount comes too late */
	if (probe_grant)
		printf("probe-grant: %s\n",
		       ioctl(d.fuse_fd, FUSE_DEV_IOC_ADD_IOMAP) ? strerror(errno) :
								 "accepted");
	fflush(stdout);
	if (!foreground && daemonize()) {
		error("fork", errno);
		umount2(mnt, MNT_DETACH);
		return 1;
	}
	if (chdir("/") < 0)
		error("chdir /", errno);

	err = fusetd_serve(&d);
	if (err)
		error("reading /dev/fuse", -err);
	close_err = store_close(&d.st);
	if (close_err)
		error(image, -close_err);
	free(d.deferred);
	fault_free(&d);
	free(d.in_buf);
	free(d.out_buf);
	return err || close_err;
}

static int cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reset", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int c, reset = 0, err;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != 'r')
			usage();
		reset = 1;
	}
	if (optind + 1 != argc)
		usage();
	err = stats_show(argv[optind], reset);
	if (err == -EINVAL)
		fprintf(stderr, "fusetd: %s: not a stats file\n", argv[optind]);
	else if (err)
		error(argv[optind], -err);
	return !!err;
}

/* Check an image that no daemon serves; exit 1 on any inconsistency. */
static int cmd_fsck(int argc, char **argv)
{
	struct ft_store st;
	int c, fd, err, verbose = 0, problems;
	const char *path;

	while ((c = getopt(argc, argv, "v")) != -1) {
		if (c != 'v')
			usage();
		verbose = 1;
	}
	if (optind + 1 != argc)
		usage();
	path = argv[optind];
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		error(path, errno);
		return 1;
	}
	if (lock_image(fd, path))
		return 1;
	err = store_open(&st, fd, 1);
	if (err) {
		if (err == -EINVAL || err == -EUCLEAN)
			fprintf(stderr, "fusetd: %s: not a fusetd image\n",
				path);
		else
			error(path, -err);
		return 1;
	}
	problems = store_fsck(&st, verbose);
	store_close(&st);
	close(fd);
	if (problems) {
		printf("%s: %d problems\n", path, problems);
		return 1;
	}
	printf("%s: clean\n", path);
	return 0;
}

/* Create a regular file NAME in the root directory of an open store. */
static int create_file(struct ft_store *st, const char *name,
		       struct ft_inode **inode)
{
	const uint32_t mode = S_IFREG | 0644;
	struct ft_inode *root = store_inode(st, FT_ROOT_INO);
	uint64_t ino;
	int err;

	err = store_inode_alloc(st, mode, 0, 0, &ino);
	if (err)
		return err;
	*inode = store_inode(st, ino);
	return dir_add(st, root, name, ino, mode);
}

/* One block of a file: fileverify's pattern of seed, or (seed < 0) zeros. */
static int write_block(struct ft_store *st, struct ft_inode *inode,
		       uint64_t off, int64_t seed)
{
	static char buf[FT_BLOCK_SIZE];
	ssize_t got;
	size_t j;

	for (j = 0; j < FT_BLOCK_SIZE; j++)
		buf[j] = seed < 0 ? 0 : byte_at((uint64_t)seed, off + j);
	got = file_write(st, inode, buf, FT_BLOCK_SIZE, off);
	if (got == FT_BLOCK_SIZE)
		return 0;
	return got < 0 ? (int)got : -EIO;
}

/*
 * N one-block extents contiguous in the file, written with fileverify's
 * pattern of seed, or (unwritten) preallocated: each block of NAME is
 * placed just before the same block of NAME.pad, which takes the next
 * free block, so no two of NAME's blocks touch.
 */
static int fragment_apart(struct ft_store *st, struct ft_inode *inode,
			  const char *name, uint64_t n, uint64_t seed,
			  int unwritten)
{
	struct ft_inode *pad;
	char padname[256];
	uint64_t i, off;
	int err;

	if (snprintf(padname, sizeof(padname), "%s.pad", name) >=
	    (int)sizeof(padname))
		return -ENAMETOOLONG;
	err = create_file(st, padname, &pad);
	for (i = 0; i < n && !err; i++) {
		off = i * FT_BLOCK_SIZE;
		if (unwritten)
			err = file_fallocate(st, inode, 0, off, FT_BLOCK_SIZE);
		else
			err = write_block(st, inode, off, (int64_t)seed);
		if (!err)
			err = write_block(st, pad, off, -1);
	}
	return err;
}

/*
 * fragment: create a file of N one-block unwritten extents, one every
 * other block, offline (a million through FUSE would take hours under
 * emulation).  For tests of the kernel's mapping cache limits.  With -w
 * SEED the extents are contiguous in the file, written, and hold
 * fileverify's pattern of SEED; with -u they are contiguous in the file
 * and unwritten (neither touches its neighbours on disk either way).
 */
static int cmd_fragment(int argc, char **argv)
{
	struct ft_inode *inode;
	uint64_t n, i, seed = 0;
	struct ft_store st;
	const char *path;
	int c, fd, err, written = 0, unwritten = 0, apart;

	while ((c = getopt(argc, argv, "uw:")) != -1) {
		if (c == 'u') {
			unwritten = 1;
			continue;
		}
		if (c != 'w' || parse_size(optarg, &seed))
			usage();
		written = 1;
	}
	if (written && unwritten)
		usage();
	apart = written || unwritten;
	if (optind + 3 != argc || parse_size(argv[optind + 2], &n) || !n)
		usage();
	path = argv[optind];
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		error(path, errno);
		return 1;
	}
	if (lock_image(fd, path))
		return 1;
	err = store_open(&st, fd, 0);
	if (err) {
		error(path, -err);
		return 1;
	}
	err = create_file(&st, argv[optind + 1], &inode);
	if (!err && apart)
		err = fragment_apart(&st, inode, argv[optind + 1], n, seed,
				     unwritten);
	for (i = 0; i < n && !err && !apart; i++)
		err = file_fallocate(&st, inode, 0, 2 * i * FT_BLOCK_SIZE,
				     FT_BLOCK_SIZE);
	if (!err && !apart)
		inode->size = 2 * n * FT_BLOCK_SIZE;
	if (!err && unwritten)
		inode->size = n * FT_BLOCK_SIZE;
	if (store_close(&st) && !err)
		err = -EIO;
	close(fd);
	if (err) {
		error(argv[optind + 1], -err);
		return 1;
	}
	return 0;
}

/*
 * The mount helper convention: mount(8) runs "mount.fuse.fusetd IMAGE DIR
 * -o OPTS" (util-linux's mount.fuse runs "fusetd IMAGE DIR -o OPTS"), or
 * "mount.fuseiomap.fusetd" for "mount -t fuseiomap.fusetd".
 * OPTS are mount(8)'s generic options, which a FUSE mount does without,
 * and ours: iomap, and stats=FILE.
 */
static int mount_helper(int argc, char **argv, int coexist)
{
	static const char *const generic[] = {
		"rw", "defaults", "auto", "noauto", "user", "nouser", "_netdev",
		"suid", "nosuid", "dev", "nodev", "exec", "noexec", "async",
		"atime", "relatime",
	};
	char *args[16], *opts = NULL, *o, *save = NULL;
	int n = 0, i, c;

	args[n++] = "mount";
	args[n++] = "--fuse-type";
	if (coexist)
		args[n++] = "--coexist";
	while ((c = getopt(argc, argv, "o:svnf")) != -1) {
		if (c == 'o')
			opts = optarg;
		else if (c == '?')
			usage();
	}
	if (optind + 2 != argc)
		usage();
	for (o = opts ? strtok_r(opts, ",", &save) : NULL; o;
	     o = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < (int)(sizeof(generic) / sizeof(generic[0])); i++)
			if (!strcmp(o, generic[i]))
				break;
		if (i < (int)(sizeof(generic) / sizeof(generic[0])))
			continue;
		if (!strcmp(o, "iomap")) {
			args[n++] = "--iomap";
		} else if (!strncmp(o, "stats=", 6)) {
			args[n++] = "--stats";
			args[n++] = o + 6;
		} else {
			fprintf(stderr, "fusetd: unknown mount option %s\n", o);
			return 32;	/* mount(8): mount failure */
		}
	}
	args[n++] = argv[optind];
	args[n++] = argv[optind + 1];
	args[n] = NULL;
	optind = 0;	/* a fresh getopt for cmd_mount() */
	return cmd_mount(n, args) ? 32 : 0;
}

int main(int argc, char **argv)
{
	const char *self = strrchr(argv[0], '/');

	self = self ? self + 1 : argv[0];
	if (!strcmp(self, "mount.fuseiomap.fusetd"))
		return mount_helper(argc, argv, 1);
	if (!strcmp(self, "mount.fuse.fusetd") ||
	    (argc > 2 && argv[1][0] == '/'))
		return mount_helper(argc, argv, 0);
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "mkfs"))
		return cmd_mkfs(argc - 1, argv + 1);
	if (!strcmp(argv[1], "mount"))
		return cmd_mount(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stats"))
		return cmd_stats(argc - 1, argv + 1);
	if (!strcmp(argv[1], "fsck"))
		return cmd_fsck(argc - 1, argv + 1);
	if (!strcmp(argv[1], "fragment"))
		return cmd_fragment(argc - 1, argv + 1);
	if (!strcmp(argv[1], "selftest"))
		return selftest_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "famfs"))
		return famfs_main(argc - 1, argv + 1);
	usage();
}
