// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd request loop: read a request from /dev/fuse, validate it, dispatch
 * it by opcode and write the reply.  Also INIT negotiation and DESTROY.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/uio.h>

#include "die.h"
#include "fusedev.h"
#include "proto.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* INIT flags we ask for; the reply carries those the kernel offered too. */
#define FT_INIT_FLAGS	(FUSE_ASYNC_READ | FUSE_BIG_WRITES |		\
			 FUSE_ATOMIC_O_TRUNC | FUSE_EXPORT_SUPPORT |	\
			 FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO |	\
			 FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES |	\
			 FUSE_INIT_EXT)

static int op_init(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_init_in *in = r->in;
	struct fuse_init_out out = { .major = FUSE_KERNEL_VERSION };
	uint64_t flags = in->flags;
	int err;

	if (d->minor)
		return -EPROTO;
	if (in->major > FUSE_KERNEL_VERSION)	/* the kernel will retry */
		return reply_ok(d, r, &out, FUSE_COMPAT_INIT_OUT_SIZE);
	if (in->major < FUSE_KERNEL_VERSION || in->minor < FT_MIN_MINOR) {
		ft_warn("unsupported kernel protocol %u.%u", in->major,
			in->minor);
		return -EPROTO;
	}
	if ((flags & FUSE_INIT_EXT) &&
	    r->in_len >= offsetof(struct fuse_init_in, flags2) +
			 sizeof(in->flags2))
		flags |= (uint64_t)in->flags2 << 32;
	flags &= FT_INIT_FLAGS | (d->want_iomap ? FUSE_IOMAP : 0);
	if (d->want_iomap && !(flags & FUSE_IOMAP))
		fprintf(stderr,
			"fusetd: kernel did not offer FUSE_IOMAP; serving classic I/O\n");

	d->kernel_minor = in->minor;
	out.minor = in->minor < FUSE_KERNEL_MINOR_VERSION ?
		    in->minor : FUSE_KERNEL_MINOR_VERSION;
	/* libfuse 3.99 answers with its own minor, whatever the kernel's */
	if (d->personality == FT_PERS_FUSE4FS)
		out.minor = FT_IOMAP_MINOR;
	out.max_readahead = in->max_readahead;
	out.flags = flags;
	out.flags2 = flags >> 32;
	out.max_write = FT_MAX_WRITE;
	out.time_gran = 1;
	out.max_pages = FT_MAX_PAGES;
	d->minor = out.minor;
	err = reply_ok(d, r, &out, sizeof(out));
	/* The kernel has processed the reply: devices can be registered. */
	if (!err && (flags & FUSE_IOMAP))
		d->iomap = !iomap_register(d);
	return err;
}

/* Unmount: pending copy-on-write allocations will never be written. */
static int op_destroy(struct fusetd *d, const struct ft_req *r)
{
	int err;

	cow_free_all(&d->st);
	err = store_sync(&d->st);

	return err ? err : reply_ok(d, r, NULL, 0);
}

/* INTERRUPT (requests are never pending) and NOTIFY_REPLY. */
static int op_ignore(struct fusetd *d, const struct ft_req *r)
{
	(void)d;
	(void)r;
	return 0;
}

struct ft_op {
	ft_op_fn	fn;
	size_t		in_size;	/* fixed-size part of the body */
	int		noreply;	/* the kernel expects no reply */
};

static const struct ft_op ft_ops[] = {
	[FUSE_LOOKUP]	    = { op_lookup, 0, 0 },
	[FUSE_FORGET]	    = { op_forget, sizeof(struct fuse_forget_in), 1 },
	[FUSE_GETATTR]	    = { op_getattr, sizeof(struct fuse_getattr_in), 0 },
	[FUSE_SETATTR]	    = { op_setattr, sizeof(struct fuse_setattr_in), 0 },
	[FUSE_READLINK]	    = { op_readlink, 0, 0 },
	[FUSE_SYMLINK]	    = { op_symlink, 0, 0 },
	[FUSE_MKNOD]	    = { op_mknod, sizeof(struct fuse_mknod_in), 0 },
	[FUSE_MKDIR]	    = { op_mkdir, sizeof(struct fuse_mkdir_in), 0 },
	[FUSE_UNLINK]	    = { op_unlink, 0, 0 },
	[FUSE_RMDIR]	    = { op_rmdir, 0, 0 },
	[FUSE_RENAME]	    = { op_rename, sizeof(struct fuse_rename_in), 0 },
	[FUSE_LINK]	    = { op_link, sizeof(struct fuse_link_in), 0 },
	[FUSE_OPEN]	    = { op_open, sizeof(struct fuse_open_in), 0 },
	[FUSE_READ]	    = { op_read, sizeof(struct fuse_read_in), 0 },
	[FUSE_WRITE]	    = { op_write, sizeof(struct fuse_write_in), 0 },
	[FUSE_STATFS]	    = { op_statfs, 0, 0 },
	[FUSE_RELEASE]	    = { op_release, sizeof(struct fuse_release_in), 0 },
	[FUSE_FSYNC]	    = { op_fsync, sizeof(struct fuse_fsync_in), 0 },
	[FUSE_FLUSH]	    = { op_release, sizeof(struct fuse_flush_in), 0 },
	[FUSE_INIT]	    = { op_init, offsetof(struct fuse_init_in, flags2),
				0 },
	[FUSE_IOMAP_BEGIN]  = { op_iomap_begin,
				sizeof(struct fuse_iomap_begin_in), 0 },
	[FUSE_IOMAP_END]    = { op_iomap_end, sizeof(struct fuse_iomap_end_in),
				0 },
	[FUSE_IOMAP_CONFIG] = { op_iomap_config,
				sizeof(struct fuse_iomap_config_in), 0 },
	[FUSE_IOMAP_IOEND]  = { op_iomap_ioend,
				sizeof(struct fuse_iomap_ioend_in), 0 },
	[FUSE_OPENDIR]	    = { op_opendir, sizeof(struct fuse_open_in), 0 },
	[FUSE_READDIR]	    = { op_readdir, sizeof(struct fuse_read_in), 0 },
	[FUSE_RELEASEDIR]   = { op_release, sizeof(struct fuse_release_in), 0 },
	[FUSE_FSYNCDIR]	    = { op_fsync, sizeof(struct fuse_fsync_in), 0 },
	[FUSE_ACCESS]	    = { op_access, sizeof(struct fuse_access_in), 0 },
	[FUSE_GETXATTR]	    = { op_getxattr, sizeof(struct fuse_getxattr_in),
				0 },
	[FUSE_LISTXATTR]    = { op_listxattr, sizeof(struct fuse_getxattr_in),
				0 },
	[FUSE_CREATE]	    = { op_create, sizeof(struct fuse_create_in), 0 },
	[FUSE_INTERRUPT]    = { op_ignore, sizeof(struct fuse_interrupt_in), 1 },
	[FUSE_DESTROY]	    = { op_destroy, 0, 0 },
	[FUSE_NOTIFY_REPLY] = { op_ignore, 0, 1 },
	[FUSE_BATCH_FORGET] = { op_batch_forget,
				sizeof(struct fuse_batch_forget_in), 1 },
	[FUSE_FALLOCATE]    = { op_fallocate, sizeof(struct fuse_fallocate_in),
				0 },
	[FUSE_READDIRPLUS]  = { op_readdirplus, sizeof(struct fuse_read_in), 0 },
	[FUSE_RENAME2]	    = { op_rename2, sizeof(struct fuse_rename2_in), 0 },
	[FUSE_LSEEK]	    = { op_lseek, sizeof(struct fuse_lseek_in), 0 },
	[FUSE_COPY_FILE_RANGE] = { op_copy_file_range,
				   sizeof(struct fuse_copy_file_range_in), 0 },
	[FUSE_IOCTL]	    = { op_ioctl, sizeof(struct fuse_ioctl_in), 0 },
	[FUSE_SYNCFS]	    = { op_syncfs, sizeof(struct fuse_syncfs_in), 0 },
	[FUSE_FREEZE_FS]    = { op_freeze_fs, sizeof(struct fuse_freezefs_in), 0 },
	[FUSE_UNFREEZE_FS]  = { op_unfreeze_fs, 0, 0 },
	[FUSE_SHUTDOWN_FS]  = { op_shutdown_fs,
				sizeof(struct fuse_shutdownfs_in), 0 },
};

/* Send cnt iovecs as the reply to r; iov[0] is set to the header here. */
static int reply_iov(struct fusetd *d, const struct ft_req *r, int error,
		     struct iovec *iov, int cnt)
{
	int err = fusedev_send(d->fuse_fd, r->hdr->unique, error, 0, iov, cnt);

	/* ENOENT: the request was interrupted; ENODEV: unmounted */
	if (err && err != -ENOENT && err != -ENODEV)
		ft_warn("reply to opcode %u: %s", r->hdr->opcode,
			strerror(-err));
	return 0;
}

int reply_ok(struct fusetd *d, const struct ft_req *r, const void *arg,
	     size_t len)
{
	struct iovec iov[2] = { [1] = { (void *)arg, len } };

	return reply_iov(d, r, 0, iov, len ? 2 : 1);
}

int reply_two(struct fusetd *d, const struct ft_req *r, const void *arg1,
	      size_t len1, const void *arg2, size_t len2)
{
	struct iovec iov[3] = {
		[1] = { (void *)arg1, len1 },
		[2] = { (void *)arg2, len2 },
	};

	return reply_iov(d, r, 0, iov, 3);
}

static void reply_err(struct fusetd *d, const struct ft_req *r, int err)
{
	struct iovec iov[1];

	reply_iov(d, r, err, iov, 1);
}

/*
 * Point s[0..n-1] at n consecutive NUL-terminated strings that start at
 * offset off of the body; -EINVAL if they do not all fit.
 */
int req_strings(const struct ft_req *r, size_t off, const char **s,
		unsigned int n)
{
	const char *p = (const char *)r->in + off;
	const char *end = (const char *)r->in + r->in_len;
	const char *nul;
	unsigned int i;

	for (i = 0; i < n; i++) {
		nul = p < end ? memchr(p, '\0', end - p) : NULL;
		if (!nul) {
			ft_warn("opcode %u: unterminated string argument",
				r->hdr->opcode);
			return -EINVAL;
		}
		s[i] = p;
		p = nul + 1;
	}
	return 0;
}

static uint64_t monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/*
 * --defer-on: keep a copy of the request in d->in_buf to answer later.
 * One at a time; the matcher fires once.
 */
static int defer_request(struct fusetd *d, size_t len)
{
	unsigned long ms = defer_on_request((const void *)d->in_buf, len);

	if (!ms || d->deferred)
		return 0;
	d->deferred = malloc(len);
	if (!d->deferred)
		return 0;	/* answered now, then */
	memcpy(d->deferred, d->in_buf, len);
	d->deferred_len = len;
	d->deferred_due = monotonic_ms() + ms;
	return 1;
}

/* How long until the deferred request is due, for ppoll(); NULL: none. */
static const struct timespec *deferred_wait(struct fusetd *d,
					    struct timespec *ts)
{
	uint64_t now;

	if (!d->deferred)
		return NULL;
	now = monotonic_ms();
	now = d->deferred_due > now ? d->deferred_due - now : 0;
	ts->tv_sec = now / 1000;
	ts->tv_nsec = now % 1000 * 1000000;
	return ts;
}

static void fusetd_dispatch(struct fusetd *d, size_t len);

/* Answer the deferred request if it is due. */
static void deferred_answer(struct fusetd *d)
{
	struct timespec ts;

	if (!deferred_wait(d, &ts) || ts.tv_sec || ts.tv_nsec)
		return;
	memcpy(d->in_buf, d->deferred, d->deferred_len);
	fusetd_dispatch(d, d->deferred_len);
	free(d->deferred);
	d->deferred = NULL;
}

/* Handle the request of len bytes in d->in_buf. */
void fusetd_handle(struct fusetd *d, size_t len)
{
	const struct fuse_in_header *hdr = (const void *)d->in_buf;

	if (len < sizeof(*hdr)) {
		ft_warn("short request of %zu bytes", len);
		return;
	}
	stats_count_op(d->stats, hdr->opcode);
	die_on_request(hdr, len);
	if (!defer_request(d, len))
		fusetd_dispatch(d, len);
}

/* Answer the request of len bytes in d->in_buf, counted already. */
static void fusetd_dispatch(struct fusetd *d, size_t len)
{
	struct fuse_in_header *hdr = (void *)d->in_buf;
	struct ft_req r = { .hdr = hdr };
	const struct ft_op *op = NULL;
	int err;

	if (hdr->opcode < ARRAY_SIZE(ft_ops) && ft_ops[hdr->opcode].fn)
		op = &ft_ops[hdr->opcode];

	err = fusedev_request(hdr, len, &r.in, &r.in_len);
	if (err) {
		ft_warn("opcode %u: length %u, read %zu, extensions %u",
			hdr->opcode, hdr->len, len, hdr->total_extlen * 8);
		goto out;
	}
	if (!op) {
		err = -ENOSYS;
		goto out;
	}
	if (r.in_len < op->in_size) {
		ft_warn("opcode %u: body of %zu bytes, want %zu", hdr->opcode,
			r.in_len, op->in_size);
		err = -EINVAL;
		goto out;
	}
	if (!d->minor && hdr->opcode != FUSE_INIT) {
		ft_warn("opcode %u before INIT", hdr->opcode);
		err = -EIO;
		goto out;
	}
	/* --personality fuse4fs with root_nodeid=2: fusetd's inode numbers */
	pers_request_in(d, hdr, hdr + 1, r.in_len);
	err = op->fn(d, &r);
out:
	if (err && !(op && op->noreply))
		reply_err(d, &r, err);
}

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/*
 * Serve requests until the filesystem is unmounted or SIGTERM, SIGINT or
 * SIGHUP arrives.  The signals are only let in while waiting for a request,
 * so a request is never cut short.
 */
int fusetd_serve(struct fusetd *d)
{
	static const int stop_sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa = { .sa_handler = on_stop_signal };
	struct pollfd pfd = { .fd = d->fuse_fd, .events = POLLIN };
	const struct timespec no_wait = { 0, 0 };
	sigset_t block, wait_mask;
	unsigned int i;
	ssize_t n;

	sigemptyset(&block);
	for (i = 0; i < ARRAY_SIZE(stop_sigs); i++) {
		sigaddset(&block, stop_sigs[i]);
		sigaction(stop_sigs[i], &sa, NULL);
	}
	sigprocmask(SIG_BLOCK, &block, &wait_mask);

	while (!stop_signal) {
		/* --flood: do not wait while notifications are due */
		int flooding = flood_pending(d);
		const struct timespec *wait;
		struct timespec ts;
		int ready;

		wait = flooding ? &no_wait : deferred_wait(d, &ts);
		ready = ppoll(&pfd, 1, wait, &wait_mask);
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (flooding)
			flood_batch(d);
		deferred_answer(d);
		if (!ready)
			continue;
		n = read(d->fuse_fd, d->in_buf, FT_IN_BUF_SIZE);
		if (n < 0) {
			/* ENOENT: the request was interrupted meanwhile */
			if (errno == EINTR || errno == EAGAIN ||
			    errno == ENOENT)
				continue;
			if (errno == ENODEV)	/* unmounted */
				return 0;
			return -errno;
		}
		if (!n)		/* not /dev/fuse, but do not spin */
			return -EPIPE;
		fusetd_handle(d, n);
	}
	fprintf(stderr, "fusetd: stopped by signal %d\n", (int)stop_signal);
	return 0;
}
