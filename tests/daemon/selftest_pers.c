// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd selftest, the personalities (personality.h): their wire
 * encodings, checked without a kernel on an image of their own, with
 * requests handled as if read from /dev/fuse and everything the daemon
 * writes back (notifications, then the reply) read off a pipe.
 *
 * Covered: choosing a personality (option, environment, wrong command);
 * node id translation for root_nodeid=2 both ways, in request bodies and
 * notifications; entries, attributes and directory entries of the root
 * (node 2) and a file (EXCLUSIVE | IOMAP); node 1 refused and counted;
 * IOMAP_BEGIN misses answered by an upsert of the block map and exactly
 * the RETRY_CACHE layout the kernel's validator wants (reads, holes,
 * writes into holes, shared blocks), direct answers for REPORT,
 * out-of-place writes and a kernel older than 7.99; the INIT minor;
 * IOMAP_CONFIG without CACHE_MAXBYTES; FREEZE_FS, UNFREEZE_FS and
 * SHUTDOWN_FS; and famfs_fused's layout of an interleaved file (one
 * extent of the file's size, 4 KiB or 2 MiB chunks) in its fmap.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "famfs.h"
#include "proto.h"

#define BS		FT_BLOCK_SIZE
#define MAX_NOTIFY	4

static struct fusetd d;
static int reply_fd;
static uint64_t unique = 1;

/* What came back before the last reply. */
static unsigned int nr_notify;
static uint32_t notify_code[MAX_NOTIFY];
static struct fuse_iomap_upsert_mappings_out notify_up[MAX_NOTIFY];

/* selftest.c counts and prints; every format here is a literal */
#define result(ok, ...)	selftest_result(ok, "personality: " __VA_ARGS__)

/* Keep expected complaints off stderr. */
static int quiet(int on)
{
	static int saved = -1;
	int null;

	fflush(stderr);
	if (on) {
		saved = dup(STDERR_FILENO);
		null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, STDERR_FILENO);
			close(null);
		}
	} else if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
		saved = -1;
	}
	return 0;
}

/*
 * Send one request with node id @nodeid as the wire has it; returns the
 * reply's error (negative) or body length, the body in @out.  The
 * notifications sent before the reply are in notify_*.
 */
static int request(uint32_t opcode, uint64_t nodeid, const void *a,
		   size_t alen, const void *b, size_t blen, void *out,
		   size_t outlen)
{
	static char body[FT_MAX_IO];
	struct fuse_out_header oh;
	uint64_t u = unique++;
	ssize_t n;

	nr_notify = 0;
	selftest_handle(&d, opcode, nodeid, u, a, alen, b, blen);
	for (;;) {
		if (read(reply_fd, &oh, sizeof(oh)) != sizeof(oh))
			return -EIO;
		n = oh.len - sizeof(oh);
		if (n < 0 || n > (ssize_t)sizeof(body) ||
		    (n && read(reply_fd, body, n) != n))
			return -EIO;
		if (oh.unique)
			break;
		if (nr_notify < MAX_NOTIFY) {
			notify_code[nr_notify] = oh.error;
			memcpy(&notify_up[nr_notify], body,
			       (size_t)n < sizeof(notify_up[0]) ?
			       (size_t)n : sizeof(notify_up[0]));
		}
		nr_notify++;
	}
	if (oh.unique != u)
		return -EIO;
	if (oh.error)
		return oh.error;
	if (out)
		memcpy(out, body, (size_t)n < outlen ? (size_t)n : outlen);
	return n;
}

static uint64_t event(enum ft_event ev)
{
	return atomic_load(&d.stats->events[ev]);
}

static int begin(uint64_t nodeid, uint32_t op, uint64_t pos, uint64_t count,
		 struct fuse_iomap_begin_out *out)
{
	struct fuse_iomap_begin_in in = {
		.opflags = op, .attr_ino = nodeid, .pos = pos, .count = count,
	};

	memset(out, 0xff, sizeof(*out));
	return request(FUSE_IOMAP_BEGIN, nodeid, &in, sizeof(in), NULL, 0,
		       out, sizeof(*out));
}

static int is_retry(const struct fuse_iomap_io *io)
{
	static const struct fuse_iomap_io want = {
		.addr = FUSE_IOMAP_NULL_ADDR,
		.type = FUSE_IOMAP_TYPE_RETRY_CACHE,
	};

	return !memcmp(io, &want, sizeof(want));
}

/* Exactly the answer iomap_validate.c takes as "look again". */
static int retry_reply(int n, const struct fuse_iomap_begin_out *out)
{
	return n == (int)sizeof(*out) && is_retry(&out->read) &&
	       is_retry(&out->write);
}

/* One upsert about @nodeid, write mapping NOCACHE. */
static int one_upsert(uint64_t nodeid)
{
	const struct fuse_iomap_upsert_mappings_out *up = &notify_up[0];

	return nr_notify == 1 &&
	       notify_code[0] == FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS &&
	       up->nodeid == nodeid && up->attr_ino == nodeid &&
	       up->write.type == FUSE_IOMAP_TYPE_NOCACHE &&
	       up->write.addr == FUSE_IOMAP_NULL_ADDR && !up->write.flags &&
	       !up->write.dev;
}

static void test_choose(void)
{
	int a, b, c, e;

	setenv(FT_PERS_ENV, "famfs", 1);
	a = pers_choose(NULL, FT_PERS_FUSE4FS);
	b = pers_choose(NULL, FT_PERS_FAMFS);
	setenv(FT_PERS_ENV, "fuse4fs", 1);
	c = pers_choose("none", FT_PERS_FUSE4FS);
	quiet(1);
	e = pers_choose("famfs", FT_PERS_FUSE4FS) < 0 &&
	    pers_choose("bogus", FT_PERS_FUSE4FS) < 0;
	setenv(FT_PERS_ENV, "bogus", 1);
	e = e && pers_choose(NULL, FT_PERS_FAMFS) < 0;
	quiet(0);
	unsetenv(FT_PERS_ENV);
	result(a == FT_PERS_NONE && b == FT_PERS_FAMFS && c == FT_PERS_NONE &&
	       e && pers_choose(NULL, FT_PERS_FAMFS) == FT_PERS_NONE,
	       "chosen by option or environment, for its own command only");
}

static void test_translation(void)
{
	struct {
		struct fuse_in_header h;
		union {
			struct fuse_link_in link;
			struct fuse_rename2_in rename2;
			struct fuse_copy_file_range_in copy;
			struct fuse_iomap_begin_in begin;
			struct fuse_iomap_ioend_in ioend;
			struct {
				struct fuse_batch_forget_in in;
				struct fuse_forget_one one[3];
			} forget;
		};
	} m;
	struct fuse_iomap_inval_mappings_out inv = {
		.nodeid = 7, .attr_ino = 7,
	};
	struct fuse_iomap_inval_mappings_out *pi;
	struct fuse_iomap_dev_inval_out dev = { .dev = 3 };
	uint64_t tmp[16];
	int ok;

	d.nodeid_shift = 0;
	ok = pers_wire_nodeid(&d, 1) == 1 && pers_local_nodeid(&d, 2) == 2;
	d.nodeid_shift = 1;
	ok = ok && pers_wire_nodeid(&d, FT_ROOT_INO) == FT_PERS_ROOT_NODEID &&
	     pers_wire_nodeid(&d, 2) == 3 && pers_wire_nodeid(&d, 0) == 0 &&
	     pers_local_nodeid(&d, FT_PERS_ROOT_NODEID) == FT_ROOT_INO &&
	     pers_local_nodeid(&d, 1) == 0 && pers_local_nodeid(&d, 0) == 0;
	result(ok, "root_nodeid=2: wire node = inode + 1, node 1 is no inode");

	memset(&m, 0, sizeof(m));
	m.h.opcode = FUSE_LINK;
	m.h.nodeid = 2;
	m.link.oldnodeid = 9;
	pers_request_in(&d, &m.h, &m.link, sizeof(m.link));
	ok = m.h.nodeid == 1 && m.link.oldnodeid == 8;
	m.h.opcode = FUSE_RENAME2;
	m.rename2.newdir = 2;
	pers_request_in(&d, &m.h, &m.rename2, sizeof(m.rename2));
	ok = ok && m.h.nodeid == 0 && m.rename2.newdir == 1;
	m.h.opcode = FUSE_COPY_FILE_RANGE;
	m.copy.nodeid_out = 5;
	pers_request_in(&d, &m.h, &m.copy, sizeof(m.copy));
	ok = ok && m.copy.nodeid_out == 4;
	m.h.opcode = FUSE_IOMAP_IOEND;
	m.ioend.attr_ino = 5;
	pers_request_in(&d, &m.h, &m.ioend, sizeof(m.ioend));
	ok = ok && m.ioend.attr_ino == 4;
	m.h.opcode = FUSE_BATCH_FORGET;
	m.forget.in.count = 3;
	m.forget.one[0].nodeid = 3;
	m.forget.one[1].nodeid = 4;
	m.forget.one[2].nodeid = 5;
	/* a count longer than the body: only what is there */
	pers_request_in(&d, &m.h, &m.forget,
			sizeof(m.forget.in) + 2 * sizeof(m.forget.one[0]));
	ok = ok && m.forget.one[0].nodeid == 2 && m.forget.one[1].nodeid == 3 &&
	     m.forget.one[2].nodeid == 5;
	result(ok, "node ids of request headers and bodies (link, rename2, copy, ioend, batch forget)");

	pi = (void *)pers_notify_body(&d, FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS,
				      &inv, sizeof(inv), tmp, sizeof(tmp));
	ok = pi->nodeid == 8 && pi->attr_ino == 8 && inv.nodeid == 7 &&
	     pers_notify_body(&d, FUSE_NOTIFY_IOMAP_DEV_INVAL, &dev,
			      sizeof(dev), tmp, sizeof(tmp)) == (void *)&dev;
	result(ok, "notifications carry wire node ids, device ones untouched");
}

/* The root is node 2, node 1 is nothing, a new file is inode + 1. */
static uint64_t test_nodes(void)
{
	struct fuse_create_in cin = { .mode = 0644, .flags = O_RDWR };
	struct fuse_getattr_in gin = { 0 };
	struct fuse_read_in rin = { .size = 4096 };
	struct fuse_getxattr_in xin = { .size = 0 };
	struct fuse_getxattr_out xout;
	struct fuse_entry_out e[2];
	struct fuse_attr_out a;
	struct fuse_dirent *de;
	char buf[4096];
	uint64_t f, ev;
	int n, ok;

	n = request(FUSE_CREATE, FT_PERS_ROOT_NODEID, &cin, sizeof(cin), "f",
		    2, e, sizeof(e));
	f = e[0].nodeid;
	ok = n > 0 && f > FT_PERS_ROOT_NODEID && e[0].attr.ino == f &&
	     store_inode(&d.st, f - 1) &&
	     e[0].attr.flags == (FUSE_ATTR_EXCLUSIVE | FUSE_ATTR_IOMAP);
	result(ok, "CREATE in node 2: node and ino %llu (inode %llu), EXCLUSIVE | IOMAP",
	       (unsigned long long)f, (unsigned long long)(f - 1));
	n = request(FUSE_GETATTR, FT_PERS_ROOT_NODEID, &gin, sizeof(gin), NULL,
		    0, &a, sizeof(a));
	result(n > 0 && a.attr.ino == FT_PERS_ROOT_NODEID &&
	       S_ISDIR(a.attr.mode) && !a.attr.flags,
	       "GETATTR of node 2: the root, ino 2");
	ev = event(FT_EV_WIRE_NODEID_1);
	quiet(1);
	n = request(FUSE_GETATTR, 1, &gin, sizeof(gin), NULL, 0, &a,
		    sizeof(a));
	quiet(0);
	result(n == -ESTALE && event(FT_EV_WIRE_NODEID_1) == ev + 1,
	       "node 1 is stale, and counted");
	n = request(FUSE_READDIR, FT_PERS_ROOT_NODEID, &rin, sizeof(rin), NULL,
		    0, buf, sizeof(buf));
	de = (void *)buf;
	ok = n > 0 && de->ino == FT_PERS_ROOT_NODEID && de->namelen == 1;
	de = (void *)(buf + FUSE_DIRENT_SIZE(de));
	ok = ok && de->ino == FT_PERS_ROOT_NODEID && de->namelen == 2;
	de = (void *)((char *)de + FUSE_DIRENT_SIZE(de));
	ok = ok && de->ino == f && de->namelen == 1 && de->name[0] == 'f';
	result(ok, "READDIR of node 2: \".\" and \"..\" are 2, \"f\" is %llu",
	       (unsigned long long)f);
	n = request(FUSE_GETXATTR, f, &xin, sizeof(xin), "security.capability",
		    sizeof("security.capability"), &xout, sizeof(xout));
	ok = n == -ENODATA;
	xin.size = 0;
	n = request(FUSE_LISTXATTR, f, &xin, sizeof(xin), NULL, 0, &xout,
		    sizeof(xout));
	ok = ok && n == sizeof(xout) && !xout.size;
	result(ok, "GETXATTR ENODATA, LISTXATTR an empty list, as fuse4fs");
	return f;
}

static int write_file(uint64_t nodeid, uint64_t off, size_t len)
{
	struct fuse_write_in in = { .offset = off, .size = len };
	struct fuse_write_out out;
	static char data[64 * 1024];

	memset(data, 0x5a, sizeof(data));
	return request(FUSE_WRITE, nodeid, &in, sizeof(in), data, len, &out,
		       sizeof(out));
}

static void test_begin(uint64_t f)
{
	const struct fuse_iomap_io *rd = &notify_up[0].read;
	struct fuse_iomap_begin_out out;
	struct fuse_copy_file_range_in cp = {
		.len = 16 * BS, .flags = FUSE_COPY_FILE_RANGE_CLONE,
	};
	struct fuse_create_in cin = { .mode = 0644, .flags = O_RDWR };
	struct fuse_write_out wo;
	struct fuse_entry_out e[2];
	struct ft_map m;
	uint64_t g, retries = event(FT_EV_RETRY_CACHE);
	int n;

	result(write_file(f, 0, 16 * BS) == sizeof(struct fuse_write_out),
	       "64 KiB written to f");
	n = begin(f, 0, BS, BS, &out);
	result(retry_reply(n, &out) && one_upsert(f) &&
	       rd->type == FUSE_IOMAP_TYPE_MAPPED && rd->offset == BS &&
	       rd->length == 15 * BS && rd->dev == d.dev_cookie && !rd->flags,
	       "read miss: the extent from the position upserted, RETRY_CACHE answered");
	n = begin(f, 0, 1 << 20, BS, &out);
	result(retry_reply(n, &out) && one_upsert(f) &&
	       rd->type == FUSE_IOMAP_TYPE_HOLE && rd->offset == 1 << 20 &&
	       rd->addr == FUSE_IOMAP_NULL_ADDR && !rd->dev,
	       "read miss in a hole: the hole upserted");
	n = begin(f, FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_DIRECT, 1 << 20,
		  2 * BS, &out);
	ext_map(&d.st, store_inode(&d.st, f - 1), (1 << 20) / BS, &m);
	result(retry_reply(n, &out) && one_upsert(f) &&
	       rd->type == FUSE_IOMAP_TYPE_UNWRITTEN && rd->offset == 1 << 20 &&
	       rd->length >= 2 * BS && !rd->flags &&
	       m.type == FT_MAP_UNWRITTEN && rd->addr == m.pblk * BS,
	       "write into a hole: blocks allocated, upserted unwritten (not NEW)");
	n = begin(f, FUSE_IOMAP_OP_WRITE, 0, BS, &out);
	result(retry_reply(n, &out) && one_upsert(f) &&
	       rd->type == FUSE_IOMAP_TYPE_MAPPED && rd->offset == 0,
	       "in-place write: the read mapping upserted");
	n = begin(f, FUSE_IOMAP_OP_REPORT, 0, BS, &out);
	result(n == sizeof(out) && !nr_notify &&
	       out.read.type == FUSE_IOMAP_TYPE_MAPPED,
	       "REPORT answered directly");
	result(event(FT_EV_RETRY_CACHE) == retries + 4,
	       "RETRY_CACHE answers counted");

	n = request(FUSE_CREATE, FT_PERS_ROOT_NODEID, &cin, sizeof(cin), "g",
		    2, e, sizeof(e));
	g = e[0].nodeid;
	cp.nodeid_out = g;
	n = n > 0 ? request(FUSE_COPY_FILE_RANGE, f, &cp, sizeof(cp), NULL, 0,
			    &wo, sizeof(wo)) : n;
	result(n == sizeof(wo) && nr_notify == 2 &&
	       notify_code[0] == FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS &&
	       notify_up[0].nodeid == g && notify_up[1].nodeid == f,
	       "a clone from f to g (node id in the body), invalidations with wire ids");
	n = begin(g, 0, 0, BS, &out);
	result(retry_reply(n, &out) && one_upsert(g) &&
	       rd->type == FUSE_IOMAP_TYPE_MAPPED &&
	       rd->flags == FUSE_IOMAP_F_SHARED,
	       "read of shared blocks: upserted SHARED");
	n = begin(g, FUSE_IOMAP_OP_WRITE, 0, BS, &out);
	result(n == sizeof(out) && !nr_notify &&
	       out.write.type == FUSE_IOMAP_TYPE_PURE_OVERWRITE,
	       "buffered write over shared blocks answered directly");
	n = begin(g, FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_DIRECT, 0, BS, &out);
	result(n == sizeof(out) && !nr_notify &&
	       (out.write.flags & FUSE_IOMAP_F_SHARED),
	       "out-of-place write answered directly");
	n = begin(g, 0, 0, BS, &out);
	result(n == sizeof(out) && !nr_notify,
	       "read over a pending COW fork entry answered directly");

	d.kernel_minor = 41;
	n = begin(f, 0, 0, BS, &out);
	result(n == sizeof(out) && !nr_notify &&
	       out.read.type == FUSE_IOMAP_TYPE_MAPPED &&
	       notify_send(&d, FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS, &cp, 48) ==
	       -EOPNOTSUPP,
	       "kernel 7.41: no notifications, answered directly");
	d.kernel_minor = FT_IOMAP_MINOR;
}

static void test_requests(void)
{
	struct fuse_init_in in = {
		.major = FUSE_KERNEL_VERSION, .minor = 41,
		.flags = FUSE_INIT_EXT,
	};
	struct fuse_freezefs_in fz = { 0 };
	struct fuse_shutdownfs_in sd = { 0 };
	struct fuse_iomap_config_in cin = { 0 };
	struct fuse_iomap_config_out cout;
	struct fuse_init_out out;
	uint32_t minor = d.minor;
	int n, ok;

	d.minor = 0;
	n = request(FUSE_INIT, 0, &in, sizeof(in), NULL, 0, &out, sizeof(out));
	result(n == sizeof(out) && out.minor == FT_IOMAP_MINOR &&
	       d.kernel_minor == 41,
	       "INIT: libfuse 3.99's minor 99 whatever the kernel's");
	d.minor = minor;
	d.kernel_minor = FT_IOMAP_MINOR;

	n = request(FUSE_IOMAP_CONFIG, 0, &cin, sizeof(cin), NULL, 0, &cout,
		    sizeof(cout));
	ok = n > 0 && !(cout.flags & FUSE_IOMAP_CONFIG_CACHE_MAXBYTES);
	d.cache_explicit = 1;
	n = request(FUSE_IOMAP_CONFIG, 0, &cin, sizeof(cin), NULL, 0, &cout,
		    sizeof(cout));
	d.cache_explicit = 0;
	result(ok && n > 0 && (cout.flags & FUSE_IOMAP_CONFIG_CACHE_MAXBYTES) &&
	       cout.cache_maxbytes == d.cache_maxbytes,
	       "IOMAP_CONFIG: no CACHE_MAXBYTES unless asked on the command line");

	ok = !request(FUSE_FREEZE_FS, 0, &fz, sizeof(fz), NULL, 0, NULL, 0) &&
	     !request(FUSE_UNFREEZE_FS, 0, NULL, 0, NULL, 0, NULL, 0) &&
	     !request(FUSE_SHUTDOWN_FS, 0, &sd, sizeof(sd), NULL, 0, NULL, 0);
	result(ok && event(FT_EV_FREEZE) == 1 && event(FT_EV_UNFREEZE) == 1 &&
	       event(FT_EV_SHUTDOWN) == 1,
	       "FREEZE_FS, UNFREEZE_FS, SHUTDOWN_FS answered 0 and counted");
}

/* famfs_fused's interleaved file: one extent, the file's size. */
static void test_famfs_layout(uint64_t chunk)
{
	static struct famfsd fd;
	static char buf[4096];
	const struct fuse_famfs_fmap_header *h = (void *)buf;
	const struct fuse_famfs_iext *ie = (void *)(h + 1);
	const struct fuse_famfs_simple_ext *se = (void *)(ie + 1);
	size_t len;
	uint32_t j;
	int ok;

	memset(&fd, 0, sizeof(fd));
	fd.personality = FT_PERS_FAMFS;
	fd.chunk = chunk;
	fd.ndevs = 1;
	fd.devs[0].size = 1ULL << 30;
	ok = !ff_add_spec(&fd, "f:5000001:ilv:3:4M:4");
	len = ok ? ff_fmap(&fd.files[0], buf, sizeof(buf)) : 0;
	ok = ok && len == sizeof(*h) + sizeof(*ie) + 3 * sizeof(*se) &&
	     h->file_type == FUSE_FAMFS_FILE_REG && h->nextents == 1 &&
	     h->ext_type == FUSE_FAMFS_EXT_INTERLEAVE &&
	     h->file_size == 5000001 && ie->ie_nbytes == 5000001 &&
	     ie->ie_chunk_size == chunk && ie->ie_nstrips == 3;
	for (j = 0; ok && j < 3; j++)
		ok = se[j].se_len == FF_ALIGN && !se[j].se_devindex &&
		     !(se[j].se_offset % FF_ALIGN);
	result(ok, "famfs: an ilv file is one extent of 5000001 bytes, chunk %llu, 2 MiB strips",
	       (unsigned long long)chunk);
	free(fd.files[0].e);
}

void selftest_personality(const char *dir)
{
	char path[4096];
	int fd, pipefd[2];
	uint64_t f;

	snprintf(path, sizeof(path), "%s/fusetd-selftest-pers.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0 || pipe(pipefd)) {
		perror(path);
		result(0, "a scratch image in %s", dir);
		return;
	}
	unlink(path);
	if (ftruncate(fd, 64 << 20) || store_mkfs(fd, 64 << 20, 0, 0) ||
	    store_open(&d.st, fd, 0)) {
		result(0, "make an image in %s", dir);
		return;
	}
	fcntl(pipefd[0], F_SETPIPE_SZ, 4 << 20);
	fcntl(pipefd[1], F_SETPIPE_SZ, 4 << 20);
	d.fuse_fd = pipefd[1];
	reply_fd = pipefd[0];
	d.minor = FUSE_KERNEL_MINOR_VERSION;
	d.kernel_minor = FT_IOMAP_MINOR;
	d.personality = FT_PERS_FUSE4FS;
	d.iomap = 1;
	d.dev_cookie = 1;
	d.cache_maxbytes = 16 << 20;
	d.stats = stats_create(NULL);
	d.st.stats = d.stats;
	d.in_buf = malloc(FT_IN_BUF_SIZE);
	d.out_buf = malloc(FT_MAX_IO);
	if (!d.stats || !d.in_buf || !d.out_buf) {
		result(0, "memory for the daemon");
		return;
	}

	test_choose();
	test_translation();
	d.nodeid_shift = 1;
	f = test_nodes();
	test_begin(f);
	test_requests();
	test_famfs_layout(4096);
	test_famfs_layout(FF_ALIGN);

	cow_free_all(&d.st);
	result(!store_fsck(&d.st, 0), "fsck after the personality tests");
	store_close(&d.st);
	close(fd);
	close(pipefd[0]);
	close(pipefd[1]);
	free(d.in_buf);
	free(d.out_buf);
	free(d.stats);
}
