// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd famfs mode: the command line and the FUSE server.  The namespace
 * is one directory of regular files whose layout famfs_layout.c made;
 * the server answers metadata requests, GET_FMAP and GET_DAXDEV, and
 * nothing else: READ, WRITE and the iomap requests get EIO and are
 * counted, so that a test can show the kernel never sent them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "die.h"
#include "famfs.h"
#include "fusedev.h"
#include "personality.h"

#define FF_MAX_WRITE	(128 * 1024)
#define FF_IN_BUF	(FF_MAX_WRITE + 64 * 1024)
#define FF_OUT_BUF	(FUSE_FAMFS_MAX_FMAP_SIZE * 2)
#define FF_ROOT		FUSE_ROOT_ID
#define FF_TIMEOUT	3600

struct ff_req {
	const struct fuse_in_header	*hdr;
	const void			*in;
	size_t				in_len;
};

static void ff_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void ff_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fusetd famfs: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int reply(struct famfsd *d, const struct ff_req *r, int error,
		 const void *arg, size_t len)
{
	struct iovec iov[2] = { [1] = { (void *)arg, len } };
	int err = fusedev_send(d->fuse_fd, r->hdr->unique, error, 0, iov,
			       error || !len ? 1 : 2);

	if (err && err != -ENOENT && err != -ENODEV)
		ff_warn("reply to opcode %u: %s", r->hdr->opcode,
			strerror(-err));
	return 0;
}

static struct ff_file *file_of(struct famfsd *d, uint64_t nodeid)
{
	if (nodeid < FF_ROOT + 1 || nodeid - FF_ROOT - 1 >= d->nfiles)
		return NULL;
	return &d->files[nodeid - FF_ROOT - 1];
}

static void fill_attr(struct famfsd *d, uint64_t nodeid,
		      struct fuse_attr *a)
{
	struct ff_file *f = file_of(d, nodeid);

	memset(a, 0, sizeof(*a));
	a->ino = nodeid;
	a->blksize = 4096;
	a->nlink = 1;
	if (!f) {
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
		return;
	}
	a->mode = S_IFREG | 0644;
	a->size = f->size;
	a->blocks = (f->size + 511) / 512;
}

static int op_init(struct famfsd *d, const struct ff_req *r)
{
	const struct fuse_init_in *in = r->in;
	struct fuse_init_out out = { .major = FUSE_KERNEL_VERSION };
	uint64_t flags = in->flags, fmap;

	if (in->major != FUSE_KERNEL_VERSION)
		return reply(d, r, -EPROTO, NULL, 0);
	if ((flags & FUSE_INIT_EXT) &&
	    r->in_len >= offsetof(struct fuse_init_in, flags2) +
			 sizeof(in->flags2))
		flags |= (uint64_t)in->flags2 << 32;
	/* famfs_fused asks for famfs on the famfs series' bit 43 */
	fmap = d->personality == FT_PERS_FAMFS ? FT_FAMFS_BIT43 : FUSE_DAX_FMAP;
	flags &= FUSE_INIT_EXT | fmap | FUSE_ASYNC_READ |
		 (d->atomic_o_trunc ? FUSE_ATOMIC_O_TRUNC : 0);
	d->famfs = !!(flags & fmap);
	if (!d->famfs)
		ff_warn("kernel did not offer FUSE_DAX_FMAP%s; files have no data",
			fmap == FT_FAMFS_BIT43 ? " on bit 43" : "");
	out.minor = in->minor < FUSE_KERNEL_MINOR_VERSION ?
		    in->minor : FUSE_KERNEL_MINOR_VERSION;
	/* libfuse with famfs answers with its own minor */
	if (d->personality == FT_PERS_FAMFS)
		out.minor = FT_FAMFS_MINOR;
	out.max_readahead = in->max_readahead;
	out.flags = flags;
	out.flags2 = flags >> 32;
	out.max_write = FF_MAX_WRITE;
	out.time_gran = 1;
	d->minor = out.minor;
	return reply(d, r, 0, &out, sizeof(out));
}

static int op_lookup(struct famfsd *d, const struct ff_req *r)
{
	const char *name = r->in;
	struct fuse_entry_out out = { 0 };
	unsigned int i;

	if (!r->in_len || name[r->in_len - 1] != '\0')
		return reply(d, r, -EINVAL, NULL, 0);
	if (r->hdr->nodeid != FF_ROOT)
		return reply(d, r, -ENOTDIR, NULL, 0);
	for (i = 0; i < d->nfiles; i++) {
		if (strcmp(d->files[i].name, name))
			continue;
		out.nodeid = FF_ROOT + 1 + i;
		out.generation = 1;
		out.entry_valid = FF_TIMEOUT;
		out.attr_valid = FF_TIMEOUT;
		fill_attr(d, out.nodeid, &out.attr);
		return reply(d, r, 0, &out, sizeof(out));
	}
	return reply(d, r, -ENOENT, NULL, 0);
}

static int op_getattr(struct famfsd *d, const struct ff_req *r)
{
	struct fuse_attr_out out = { .attr_valid = FF_TIMEOUT };

	fill_attr(d, r->hdr->nodeid, &out.attr);
	return reply(d, r, 0, &out, sizeof(out));
}

/* Sizes are the layout's; everything else is accepted and ignored. */
static int op_setattr(struct famfsd *d, const struct ff_req *r)
{
	const struct fuse_setattr_in *in = r->in;
	struct fuse_attr_out out = { .attr_valid = FF_TIMEOUT };

	fill_attr(d, r->hdr->nodeid, &out.attr);
	if ((in->valid & FATTR_SIZE) && in->size != out.attr.size)
		return reply(d, r, -EPERM, NULL, 0);
	return reply(d, r, 0, &out, sizeof(out));
}

static int op_open(struct famfsd *d, const struct ff_req *r)
{
	struct fuse_open_out out = { 0 };

	return reply(d, r, 0, &out, sizeof(out));
}

static int op_statfs(struct famfsd *d, const struct ff_req *r)
{
	struct fuse_statfs_out out = {
		.st = { .bsize = 4096, .frsize = 4096, .namelen = 255 },
	};

	return reply(d, r, 0, &out, sizeof(out));
}

static int op_readdir(struct famfsd *d, const struct ff_req *r)
{
	const struct fuse_read_in *in = r->in;
	size_t len = 0, n;
	uint64_t i;

	for (i = in->offset; i < d->nfiles; i++) {
		const char *name = d->files[i].name;
		struct fuse_dirent *de = (void *)(d->out_buf + len);

		n = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + strlen(name));
		if (len + n > in->size || len + n > FF_OUT_BUF)
			break;
		memset(de, 0, n);
		de->ino = FF_ROOT + 1 + i;
		de->off = i + 1;
		de->namelen = strlen(name);
		de->type = S_IFREG >> 12;
		memcpy(de->name, name, de->namelen);
		len += n;
	}
	return reply(d, r, 0, d->out_buf, len);
}

static int op_get_fmap(struct famfsd *d, const struct ff_req *r)
{
	const struct fuse_get_fmap_in *in = r->in;
	struct ff_file *f = file_of(d, r->hdr->nodeid);
	ssize_t len;
	uint32_t need;

	if (!f)
		return reply(d, r, -EINVAL, NULL, 0);
	/* famfs_fused: the body is not read; the whole fmap, always */
	if (d->personality == FT_PERS_FAMFS) {
		len = ff_fmap(f, d->out_buf, FF_OUT_BUF);
		if ((size_t)len > FF_OUT_BUF)
			return reply(d, r, -E2BIG, NULL, 0);
		return reply(d, r, 0, d->out_buf, len);
	}
	if (f->bad)
		len = ff_bad_fmap(d, f, d->out_buf, FF_OUT_BUF, in->size);
	else
		len = ff_fmap(f, d->out_buf, FF_OUT_BUF);
	if (len < 0)
		return reply(d, r, len, NULL, 0);
	if ((size_t)len > FF_OUT_BUF)
		return reply(d, r, -E2BIG, NULL, 0);
	if ((size_t)len > in->size) {
		/* does not fit: tell the kernel the size it needs */
		need = len;
		return reply(d, r, 0, &need, sizeof(need));
	}
	return reply(d, r, 0, d->out_buf, len);
}

/*
 * famfs_fused: the index is the request's node id, the name the realpath
 * of its one device.
 */
static int get_daxdev_famfs(struct famfsd *d, const struct ff_req *r)
{
	struct fuse_daxdev_out out = { .index = 0 };
	char path[PATH_MAX];

	if (r->hdr->nodeid != 0)
		return reply(d, r, -EINVAL, NULL, 0);
	if (!realpath(d->daxdev, path))
		return reply(d, r, -errno, NULL, 0);
	if (snprintf(out.name, sizeof(out.name), "%s", path) >=
	    (int)sizeof(out.name))
		return reply(d, r, -ENAMETOOLONG, NULL, 0);
	return reply(d, r, 0, &out, sizeof(out));
}

static int op_get_daxdev(struct famfsd *d, const struct ff_req *r)
{
	const struct fuse_get_daxdev_in *in = r->in;
	struct fuse_daxdev_out out = { .index = in->daxdev_num };
	int err = 0;

	if (d->personality == FT_PERS_FAMFS)
		return get_daxdev_famfs(d, r);

	if (r->hdr->nodeid != in->daxdev_num)
		ff_warn("GET_DAXDEV %u with nodeid %llu", in->daxdev_num,
			(unsigned long long)r->hdr->nodeid);
	if (in->daxdev_num < d->ndevs)
		snprintf(out.name, sizeof(out.name), "%s",
			 d->devs[in->daxdev_num].path);
	else
		err = ff_bad_daxdev(d, in->daxdev_num, &out);
	return reply(d, r, err, &out, sizeof(out));
}

static int op_ok(struct famfsd *d, const struct ff_req *r)
{
	return reply(d, r, 0, NULL, 0);
}

static int op_noreply(struct famfsd *d, const struct ff_req *r)
{
	(void)d;
	(void)r;
	return 0;
}

/* No extended attributes, and not ENOSYS: the kernel keeps asking. */
static int op_enodata(struct famfsd *d, const struct ff_req *r)
{
	return reply(d, r, -ENODATA, NULL, 0);
}

static int op_eio(struct famfsd *d, const struct ff_req *r)
{
	return reply(d, r, -EIO, NULL, 0);
}

struct ff_op {
	uint32_t	opcode;
	int		(*fn)(struct famfsd *d, const struct ff_req *r);
	size_t		in_size;
};

static const struct ff_op ff_ops[] = {
	{ FUSE_INIT, op_init, offsetof(struct fuse_init_in, flags2) },
	{ FUSE_LOOKUP, op_lookup, 0 },
	{ FUSE_GETATTR, op_getattr, sizeof(struct fuse_getattr_in) },
	{ FUSE_SETATTR, op_setattr, sizeof(struct fuse_setattr_in) },
	{ FUSE_OPEN, op_open, sizeof(struct fuse_open_in) },
	{ FUSE_OPENDIR, op_open, sizeof(struct fuse_open_in) },
	{ FUSE_READDIR, op_readdir, sizeof(struct fuse_read_in) },
	{ FUSE_RELEASE, op_ok, 0 },
	{ FUSE_RELEASEDIR, op_ok, 0 },
	{ FUSE_FLUSH, op_ok, 0 },
	{ FUSE_FSYNC, op_ok, 0 },
	{ FUSE_FSYNCDIR, op_ok, 0 },
	{ FUSE_ACCESS, op_ok, 0 },
	{ FUSE_STATFS, op_statfs, 0 },
	{ FUSE_DESTROY, op_ok, 0 },
	{ FUSE_FORGET, op_noreply, 0 },
	{ FUSE_BATCH_FORGET, op_noreply, 0 },
	{ FUSE_INTERRUPT, op_noreply, 0 },
	{ FUSE_GETXATTR, op_enodata, 0 },
	{ FUSE_READ, op_eio, 0 },
	{ FUSE_WRITE, op_eio, 0 },
	{ FUSE_IOMAP_BEGIN, op_eio, 0 },
	{ FUSE_IOMAP_END, op_eio, 0 },
	{ FUSE_IOMAP_IOEND, op_eio, 0 },
	{ FUSE_GET_FMAP, op_get_fmap, sizeof(struct fuse_get_fmap_in) },
	{ FUSE_GET_DAXDEV, op_get_daxdev, sizeof(struct fuse_get_daxdev_in) },
};

static void handle(struct famfsd *d, size_t len)
{
	const struct fuse_in_header *hdr = (const void *)d->in_buf;
	struct ff_req r = { .hdr = hdr };
	size_t i;

	if (len < sizeof(*hdr) || hdr->len != len) {
		ff_warn("bad request of %zu bytes", len);
		return;
	}
	stats_count_op(d->stats, hdr->opcode);
	die_on_request(hdr, len);
	if (fusedev_request(hdr, len, &r.in, &r.in_len)) {
		reply(d, &r, -EIO, NULL, 0);
		return;
	}
	for (i = 0; i < sizeof(ff_ops) / sizeof(ff_ops[0]); i++) {
		if (ff_ops[i].opcode != hdr->opcode)
			continue;
		if (r.in_len < ff_ops[i].in_size) {
			reply(d, &r, -EINVAL, NULL, 0);
			return;
		}
		ff_ops[i].fn(d, &r);
		return;
	}
	reply(d, &r, -ENOSYS, NULL, 0);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static int serve(struct famfsd *d)
{
	struct sigaction sa = { .sa_handler = on_signal };
	ssize_t n;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop) {
		n = read(d->fuse_fd, d->in_buf, FF_IN_BUF);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ENOENT)
				continue;
			return errno == ENODEV ? 0 : -errno;
		}
		if (!n)
			return -EPIPE;
		handle(d, n);
	}
	return 0;
}

/*
 * --personality famfs: one device (the mount source and the GET_DAXDEV
 * name unless --daxdev says otherwise), no bad files, 4 KiB or 2 MiB
 * chunks.
 */
static int famfs_personality(struct famfsd *d, const char *pers,
			     const char *chunk, const char *dev, int ndevs,
			     int bad)
{
	d->personality = pers_choose(pers, FT_PERS_FAMFS);
	if (d->personality < 0)
		return -1;
	if (d->personality != FT_PERS_FAMFS) {
		if (chunk)
			ff_warn("--chunk-size needs --personality famfs");
		return chunk ? -1 : 0;
	}
	d->chunk = FF_ALIGN;
	if (chunk && !strcmp(chunk, "4K"))
		d->chunk = 4096;
	else if (chunk && strcmp(chunk, "2M"))
		d->chunk = strtoull(chunk, NULL, 0);
	if (d->chunk != 4096 && d->chunk != FF_ALIGN) {
		ff_warn("--chunk-size %s: famfs_fused uses 4K or 2M", chunk);
		return -1;
	}
	if (ndevs != 1 || bad) {
		ff_warn("--personality famfs: one -d device%s",
			bad ? ", no --bad" : "");
		return -1;
	}
	if (!d->daxdev)
		d->daxdev = dev;
	return 0;
}

_Noreturn static void usage(void)
{
	fprintf(stderr,
		"usage: fusetd famfs [-f] [--stats FILE] [--bad] [--keep] [--ro] [--atomic-o-trunc]\n"
		"                    [--hold-map NAME]\n"
		"                    [--personality famfs [--daxdev PATH] [--chunk-size 4K|2M]]\n"
		"                    [--die-on OPCODE[:N[:FLAG]]]\n"
		"                    -d DEV... -F SPEC... MOUNTPOINT\n"
		"       fusetd famfs --check NAME --seed SEED -d DEV... -F SPEC...\n"
		"       fusetd famfs --dump NAME -d DEV... -F SPEC...\n"
		"SPEC: NAME:SIZE:simple:EXTSIZE or NAME:SIZE:ilv:NSTRIPS:CHUNK[:NEXTENTS]\n");
	exit(2);
}

static int mount_and_serve(struct famfsd *d, const char *mnt, int foreground,
			   unsigned long mflags)
{
	int err;

	d->in_buf = malloc(FF_IN_BUF);
	d->out_buf = malloc(FF_OUT_BUF);
	if (!d->in_buf || !d->out_buf)
		return -ENOMEM;
	d->fuse_fd = fusedev_open(0);
	if (d->fuse_fd < 0)
		return d->fuse_fd;
	err = fusedev_mount(d->fuse_fd, d->daxdev ? d->daxdev : "famfs", mnt,
			    NULL, mflags, "allow_other,default_permissions");
	if (err)
		return err;
	if (!foreground && daemonize())
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	err = serve(d);
	if (err)
		ff_warn("reading /dev/fuse: %s", strerror(-err));
	return err;
}

int famfs_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "stats", required_argument, NULL, 'S' },
		{ "bad", no_argument, NULL, 'B' },
		{ "keep", no_argument, NULL, 'K' },
		{ "ro", no_argument, NULL, 'R' },
		{ "atomic-o-trunc", no_argument, NULL, 'T' },
		{ "check", required_argument, NULL, 'C' },
		{ "seed", required_argument, NULL, 's' },
		{ "dump", required_argument, NULL, 'U' },
		{ "die-on", required_argument, NULL, 'X' },
		{ "personality", required_argument, NULL, 'Y' },
		{ "daxdev", required_argument, NULL, 'D' },
		{ "chunk-size", required_argument, NULL, 'Z' },
		{ "hold-map", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pers = NULL, *chunk = NULL, *hold = NULL;
	const char *devs[FF_MAX_DEVS], *specs[FF_MAX_FILES];
	const char *stats_path = NULL, *check = NULL, *dump = NULL;
	int c, i, ndevs = 0, nspecs = 0, bad = 0, keep = 0, fg = 0, err;
	unsigned long mflags = 0;
	unsigned long long seed = 0;
	static struct famfsd d;
	struct ff_file *f;

	while ((c = getopt_long(argc, argv, "fd:F:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			fg = 1;
			break;
		case 'd':
			if (ndevs == FF_MAX_DEVS)
				usage();
			devs[ndevs++] = optarg;
			break;
		case 'F':
			if (nspecs == FF_MAX_FILES)
				usage();
			specs[nspecs++] = optarg;
			break;
		case 'S':
			stats_path = optarg;
			break;
		case 'B':
			bad = 1;
			break;
		case 'K':
			keep = 1;
			break;
		case 'R':
			/* another host's files: read them, never change them */
			mflags = MS_RDONLY;
			break;
		case 'T':
			d.atomic_o_trunc = 1;
			break;
		case 'C':
			check = optarg;
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'U':
			dump = optarg;
			break;
		case 'X':
			if (die_on_parse(optarg))
				usage();
			break;
		case 'Y':
			pers = optarg;
			break;
		case 'D':
			d.daxdev = optarg;
			break;
		case 'Z':
			chunk = optarg;
			break;
		case 'H':
			hold = optarg;
			break;
		default:
			usage();
		}
	}
	if (!ndevs || optind + (check || dump ? 0 : 1) != argc)
		usage();
	if (famfs_personality(&d, pers, chunk, devs[0], ndevs, bad))
		return 2;

	for (i = 0; i < ndevs; i++) {
		err = ff_add_dev(&d, devs[i]);
		if (err) {
			ff_warn("%s: %s", devs[i], strerror(-err));
			return 1;
		}
	}
	for (i = 0; i < nspecs; i++) {
		err = ff_add_spec(&d, specs[i]);
		if (err) {
			ff_warn("%s: %s", specs[i], strerror(-err));
			return 1;
		}
	}
	if (bad && ff_add_bad_files(&d)) {
		ff_warn("no room for the bad files");
		return 1;
	}

	if (check || dump) {
		f = ff_find(&d, check ? check : dump);
		if (!f) {
			ff_warn("no file %s", check ? check : dump);
			return 1;
		}
		if (dump) {
			ff_dump(f);
			return 0;
		}
		err = ff_check(&d, f, seed);
		printf("%s: %s\n", f->name, err ? "mismatch" : "ok");
		return !!err;
	}

	for (i = 0; i < nspecs && !keep; i++) {
		err = ff_lay_down(&d, &d.files[i], d.files[i].seed);
		if (err) {
			ff_warn("laying down %s: %s", d.files[i].name,
				strerror(-err));
			return 1;
		}
	}
	f = hold ? ff_find(&d, hold) : NULL;
	if (hold && (!f || ff_hold_map(&d, f))) {
		ff_warn("--hold-map %s: no such file on a devdax device", hold);
		return 1;
	}
	d.stats = stats_create(stats_path);
	if (!d.stats) {
		ff_warn("stats: %s", strerror(errno));
		return 1;
	}
	err = mount_and_serve(&d, argv[optind], fg, mflags);
	if (err) {
		ff_warn("mount on %s: %s", argv[optind], strerror(-err));
		return 1;
	}
	return 0;
}
