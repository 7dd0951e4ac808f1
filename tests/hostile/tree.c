// SPDX-License-Identifier: GPL-2.0
/*
 * hostile: the tree it serves, kept correct, and the stock FUSE requests.
 *
 * A root with a few iomap files, a classic file and a directory holding
 * one of each; two famfs files when famfs was negotiated (famfs.c: then
 * every regular file that is not an iomap file is one).  The tree is fixed
 * (no create, unlink or rename): the fuzzing is in the replies.  Each
 * file owns HS_REGION bytes of the device at a fixed place, so its
 * mappings are the identity (file offset x at base + x) and every
 * unmutated reply is valid.  Classic files read and write the same region
 * with pread/pwrite.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "hostile.h"

/* of every entry; see mut_attr() */
static uint64_t generation = 1;

static struct hs_node nodes[] = {
	{ HS_ROOT, HS_ROOT, "", HS_DIR, 0, 0 },
	{ 2, HS_ROOT, "d", HS_DIR, 0, 0 },
	{ 3, HS_ROOT, "f0", HS_IOMAP, 0, 0 },
	{ 4, HS_ROOT, "f1", HS_IOMAP, 0, 0 },
	{ 5, HS_ROOT, "f2", HS_IOMAP, 0, 0 },
	{ 6, HS_ROOT, "f3", HS_IOMAP, 0, 0 },
	{ 7, HS_ROOT, "c0", HS_CLASSIC, 0, 0 },
	{ 8, 2, "g0", HS_IOMAP, 0, 0 },
	{ 9, 2, "g1", HS_CLASSIC, 0, 0 },
	{ 10, HS_ROOT, "famfs0", HS_FAMFS, 0, 0 },
	{ 11, HS_ROOT, "famfs1", HS_FAMFS, 0, 0 },
};

void tree_init(struct hs_server *s)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nodes); i++) {
		nodes[i].base = i * HS_REGION;
		/* start with some data, so that reads have something to map */
		nodes[i].size = nodes[i].kind == HS_DIR ? 0 : 1 << 20;
		if (nodes[i].kind == HS_FAMFS)
			nodes[i].size = famfs_size(&nodes[i]);
	}
	s->nodes = nodes;
	s->nnodes = ARRAY_SIZE(nodes);
}

/* The node, or NULL; the famfs file exists only with famfs. */
struct hs_node *tree_node(struct hs_server *s, uint64_t ino)
{
	if (ino < 1 || ino > s->nnodes)
		return NULL;
	if (s->nodes[ino - 1].kind == HS_FAMFS && !s->famfs)
		return NULL;
	return &s->nodes[ino - 1];
}

static int node_is_iomap(const struct hs_server *s, const struct hs_node *n)
{
	return s->iomap && n->kind == HS_IOMAP;
}

void tree_fill_attr(struct hs_server *s, const struct hs_node *n,
		    struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = n->ino;
	a->blksize = HS_BLOCK;
	if (n->kind == HS_DIR) {
		a->mode = S_IFDIR | 0777;
		a->nlink = 2;
		a->size = 4096;
	} else {
		a->mode = S_IFREG | 0666;
		a->nlink = 1;
		pthread_mutex_lock(&s->lock);
		a->size = n->size;
		pthread_mutex_unlock(&s->lock);
		a->blocks = (a->size + 511) / 512;
		if (node_is_iomap(s, n))
			a->flags = FUSE_ATTR_IOMAP;
	}
	a->atime = a->mtime = a->ctime = 1700000000;
}

#define INIT_FLAGS	(FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_MAX_PAGES |	\
			 FUSE_INIT_EXT | FUSE_DO_READDIRPLUS |			\
			 FUSE_READDIRPLUS_AUTO | FUSE_PARALLEL_DIROPS |		\
			 FUSE_EXPORT_SUPPORT)

int op_init(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep)
{
	const struct fuse_init_in *in = r->in;
	struct fuse_init_out *out = (void *)rep->buf;
	struct hs_server *s = t->s;
	uint64_t flags = in->flags;

	if (in->major != FUSE_KERNEL_VERSION)
		return -EPROTO;
	if ((flags & FUSE_INIT_EXT) &&
	    r->in_len >= offsetof(struct fuse_init_in, flags2) + sizeof(in->flags2))
		flags |= (uint64_t)in->flags2 << 32;
	flags &= INIT_FLAGS | (s->want_iomap ? FUSE_IOMAP : 0) |
		 (s->famfs_dev ? FUSE_DAX_FMAP : 0);
	memset(out, 0, sizeof(*out));
	out->major = FUSE_KERNEL_VERSION;
	out->minor = in->minor < FUSE_KERNEL_MINOR_VERSION ?
		     in->minor : FUSE_KERNEL_MINOR_VERSION;
	out->max_readahead = in->max_readahead;
	out->flags = flags;
	out->flags2 = flags >> 32;
	out->max_write = HS_MAX_WRITE;
	out->max_background = 16;
	out->congestion_threshold = 12;
	out->time_gran = 1;
	out->max_pages = HS_MAX_PAGES;
	rep->len = sizeof(*out);
	s->famfs = !!(flags & FUSE_DAX_FMAP);
	/* iomap is turned on in loop.c once the kernel has this reply */
	s->iomap = (flags & FUSE_IOMAP) ? -1 : 0;
	return 0;
}

static void fill_entry(struct hs_server *s, const struct hs_node *n,
		       struct fuse_entry_out *e)
{
	memset(e, 0, sizeof(*e));
	e->nodeid = n->ino;
	e->generation = __atomic_load_n(&generation, __ATOMIC_RELAXED);
	/* short timeouts: more LOOKUP and GETATTR, more replies to mutate */
	e->entry_valid = 0;
	e->entry_valid_nsec = 50 * 1000 * 1000;
	e->attr_valid = 0;
	e->attr_valid_nsec = 0;
	tree_fill_attr(s, n, &e->attr);
}

int op_lookup(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep)
{
	struct hs_server *s = t->s;
	const char *name = r->in;
	unsigned int i;

	if (!r->in_len || memchr(name, 0, r->in_len) == NULL)
		return -EINVAL;
	for (i = 0; i < s->nnodes; i++) {
		struct hs_node *n = tree_node(s, i + 1);

		if (n && n->ino != HS_ROOT && n->parent == r->hdr->nodeid &&
		    !strcmp(n->name, name)) {
			fill_entry(s, n, (void *)rep->buf);
			rep->len = sizeof(struct fuse_entry_out);
			return 0;
		}
	}
	return -ENOENT;
}

static int attr_reply(struct hs_server *s, uint64_t ino, struct hs_reply *rep)
{
	struct fuse_attr_out *out = (void *)rep->buf;
	struct hs_node *n = tree_node(s, ino);

	if (!n)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	tree_fill_attr(s, n, &out->attr);
	rep->len = sizeof(*out);
	return 0;
}

int op_getattr(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep)
{
	return attr_reply(t->s, r->hdr->nodeid, rep);
}

int op_setattr(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep)
{
	const struct fuse_setattr_in *in = r->in;
	struct hs_server *s = t->s;
	struct hs_node *n = tree_node(s, r->hdr->nodeid);

	if (!n)
		return -ENOENT;
	if (in->valid & FATTR_SIZE) {
		if (n->kind == HS_DIR)
			return -EISDIR;
		if (n->kind == HS_FAMFS)
			return -EPERM;
		if (in->size > HS_REGION)
			return -EFBIG;
		pthread_mutex_lock(&s->lock);
		n->size = in->size;
		pthread_mutex_unlock(&s->lock);
	}
	return attr_reply(s, n->ino, rep);
}

int op_open(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep)
{
	struct fuse_open_out *out = (void *)rep->buf;
	struct hs_node *n = tree_node(t->s, r->hdr->nodeid);

	if (!n)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->fh = n->ino;
	if (n->kind == HS_DIR)
		out->open_flags = FOPEN_CACHE_DIR * (rng_below(&t->rng, 2));
	rep->len = sizeof(*out);
	return 0;
}

/* Classic files: the region of the device, bounded by the known size. */
int op_read(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep)
{
	const struct fuse_read_in *in = r->in;
	struct hs_server *s = t->s;
	struct hs_node *n = tree_node(s, r->hdr->nodeid);
	uint64_t size, len = in->size;
	ssize_t got;

	if (!n || n->kind == HS_DIR)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	size = n->size;
	pthread_mutex_unlock(&s->lock);
	if (in->offset >= size)
		len = 0;
	else if (len > size - in->offset)
		len = size - in->offset;
	if (len > HS_MAX_WRITE)
		len = HS_MAX_WRITE;
	if (!len) {
		rep->len = 0;
		return 0;
	}
	got = pread(s->devfd, rep->buf, len, n->base + in->offset);
	if (got < 0)
		return -errno;
	rep->len = got;
	return 0;
}

int op_write(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep)
{
	const struct fuse_write_in *in = r->in;
	struct fuse_write_out *out = (void *)rep->buf;
	struct hs_server *s = t->s;
	struct hs_node *n = tree_node(s, r->hdr->nodeid);
	size_t len = r->in_len - sizeof(*in);
	ssize_t done;

	if (!n || n->kind == HS_DIR)
		return -EINVAL;
	if (in->size < len)
		len = in->size;
	if (in->offset >= HS_REGION || len > HS_REGION - in->offset)
		return -ENOSPC;
	done = pwrite(s->devfd, (const uint8_t *)(in + 1), len,
		      n->base + in->offset);
	if (done < 0)
		return -errno;
	pthread_mutex_lock(&s->lock);
	if (in->offset + done > n->size)
		n->size = in->offset + done;
	pthread_mutex_unlock(&s->lock);
	memset(out, 0, sizeof(*out));
	out->size = done;
	rep->len = sizeof(*out);
	return 0;
}

int op_empty(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep)
{
	(void)t;
	(void)r;
	rep->len = 0;
	return 0;
}

/* Requests the kernel expects no reply to. */
int op_none(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep)
{
	(void)t;
	(void)r;
	rep->noreply = 1;
	return 0;
}

/* The tree is fixed. */
int op_perm(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep)
{
	(void)t;
	(void)r;
	(void)rep;
	return -EPERM;
}

/* Children of a directory in order, "." and ".." first; off is the index. */
static int dir_entry(struct hs_server *s, uint64_t dir, uint64_t idx,
		     const struct hs_node **n, const char **name)
{
	uint64_t k = 2;
	unsigned int i;

	if (idx < 2) {
		*n = tree_node(s, dir);
		*name = idx ? ".." : ".";
		return 0;
	}
	for (i = 0; i < s->nnodes; i++) {
		const struct hs_node *c = tree_node(s, i + 1);

		if (!c || c->ino == HS_ROOT || c->parent != dir)
			continue;
		if (k++ == idx) {
			*n = c;
			*name = c->name;
			return 0;
		}
	}
	return -1;
}

static int readdir_common(struct hs_thread *t, const struct hs_req *r,
			  struct hs_reply *rep, int plus)
{
	const struct fuse_read_in *in = r->in;
	struct hs_server *s = t->s;
	const struct hs_node *n;
	const char *name;
	uint64_t idx = in->offset;
	size_t max = in->size < HS_OUT_BUF / 2 ? in->size : HS_OUT_BUF / 2;
	size_t used = 0;

	if (!tree_node(s, r->hdr->nodeid) ||
	    tree_node(s, r->hdr->nodeid)->kind != HS_DIR)
		return -ENOTDIR;
	while (!dir_entry(s, r->hdr->nodeid, idx, &n, &name)) {
		size_t namelen = strlen(name);
		size_t entlen = plus ? FUSE_NAME_OFFSET_DIRENTPLUS + namelen :
				       FUSE_NAME_OFFSET + namelen;
		size_t padded = FUSE_DIRENT_ALIGN(entlen);
		struct fuse_dirent *de;

		if (used + padded > max)
			break;
		memset(rep->buf + used, 0, padded);
		if (plus) {
			struct fuse_direntplus *dp = (void *)(rep->buf + used);

			/* "." and ".." get no entry, as libfuse does */
			if (idx >= 2)
				fill_entry(s, n, &dp->entry_out);
			de = &dp->dirent;
		} else {
			de = (void *)(rep->buf + used);
		}
		de->ino = n ? n->ino : HS_ROOT;
		de->off = idx + 1;
		de->namelen = namelen;
		de->type = n && n->kind == HS_DIR ? DT_DIR : DT_REG;
		memcpy(de->name, name, namelen);
		used += padded;
		idx++;
	}
	rep->len = used;
	return 0;
}

int op_readdir(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep)
{
	return readdir_common(t, r, rep, 0);
}

int op_readdirplus(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep)
{
	return readdir_common(t, r, rep, 1);
}

int op_statfs(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep)
{
	struct fuse_statfs_out *out = (void *)rep->buf;

	(void)r;
	memset(out, 0, sizeof(*out));
	out->st.blocks = t->s->dev_size / HS_BLOCK;
	out->st.bfree = out->st.bavail = out->st.blocks / 2;
	out->st.files = out->st.ffree = 100;
	out->st.bsize = out->st.frsize = HS_BLOCK;
	out->st.namelen = 255;
	rep->len = sizeof(*out);
	return 0;
}

/*
 * Preallocation is a no-op (the region is always there); punch and zero
 * write zeros to the region; collapse and insert are not supported.
 */
int op_fallocate(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep)
{
	const struct fuse_fallocate_in *in = r->in;
	struct hs_server *s = t->s;
	struct hs_node *n = tree_node(s, r->hdr->nodeid);
	static const uint8_t zeros[65536];
	uint64_t off, end;

	(void)rep;
	if (!n || n->kind == HS_DIR)
		return -EINVAL;
	if (n->kind == HS_FAMFS)
		return -EPERM;
	if (in->mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE |
			 FALLOC_FL_ZERO_RANGE))
		return -EOPNOTSUPP;
	if (in->offset >= HS_REGION || in->length > HS_REGION - in->offset)
		return -ENOSPC;
	if (in->mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
		for (off = in->offset, end = in->offset + in->length; off < end;) {
			size_t len = end - off < sizeof(zeros) ? end - off : sizeof(zeros);

			if (pwrite(s->devfd, zeros, len, n->base + off) < 0)
				return -errno;
			off += len;
		}
	}
	if (!(in->mode & (FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))) {
		pthread_mutex_lock(&s->lock);
		if (in->offset + in->length > n->size)
			n->size = in->offset + in->length;
		pthread_mutex_unlock(&s->lock);
	}
	rep->len = 0;
	return 0;
}

/* ---- field-level garbage of the stock replies ---- */

/*
 * A type change makes the kernel mark the inode bad, and a bad inode stays
 * bad while it is cached.  So that the tree heals, every such mutation
 * moves the generation of all later entries on: the next lookup finds the
 * cached inode stale and gets a fresh one.  The root cannot be looked up
 * again, so its type is never changed.
 */
void tree_new_generation(void)
{
	__atomic_add_fetch(&generation, 1, __ATOMIC_RELAXED);
}

void mut_attr(struct hs_thread *t, struct fuse_attr *a, uint64_t nodeid)
{
	struct hs_rng *g = &t->rng;
	static const uint32_t modes[] = {
		S_IFDIR | 0755, S_IFREG | 0644, S_IFLNK | 0777, S_IFCHR | 0600,
		S_IFIFO | 0600, S_IFSOCK | 0600, 0, 0xffffffff,
	};
	int root = nodeid == HS_ROOT || a->ino == HS_ROOT;
	/* the first three make the inode bad (wrong type, invalid size) */
	unsigned int c = rng_below(g, 12);

	if (root && c < 3)
		c = 3 + rng_below(g, 9);
	switch (c) {
	case 0:
		a->mode = modes[rng_below(g, ARRAY_SIZE(modes))];
		break;
	case 1:
		a->size = rng_interesting(g);
		break;
	case 2:
		a->blocks = rng_interesting(g);
		a->size = rng_below(g, 4) * HS_REGION + rng_below(g, 4096);
		break;
	case 3:		/* FUSE_ATTR_IOMAP where it does not belong */
	case 4:
		a->flags ^= FUSE_ATTR_IOMAP;
		break;
	case 5:
		a->flags = (rng_next(g) & ~FUSE_ATTR_IOMAP) |
			   (a->flags & FUSE_ATTR_IOMAP);
		break;
	case 6:
		a->blksize = rng_chance(g, 0.5) ? rng_interesting(g) :
			     1U << rng_below(g, 32);
		break;
	case 7:
		a->ino = rng_interesting(g);
		break;
	case 8:
		a->nlink = rng_interesting(g);
		break;
	case 9:
		a->mtime = rng_interesting(g);
		a->mtimensec = rng_next(g);
		a->atimensec = rng_next(g);
		break;
	case 10:
		a->uid = rng_next(g);
		a->gid = rng_next(g);
		a->rdev = rng_next(g);
		break;
	default:
		a->size = rng_below(g, 2 * HS_REGION);
		break;
	}
	if (c < 3)
		tree_new_generation();
}

void mut_entry(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep)
{
	struct fuse_entry_out *e = (void *)rep->buf;
	struct hs_rng *g = &t->rng;

	(void)r;
	if (rep->len < sizeof(*e))
		return;
	switch (rng_below(g, 5)) {
	case 0:		/* another node's id, or none; never the root's */
		e->nodeid = rng_chance(g, 0.7) ? rng_below(g, t->s->nnodes + 2) :
			    rng_interesting(g);
		if (e->nodeid == HS_ROOT)
			e->nodeid = 0;
		break;
	case 1:
		e->generation = rng_next(g);
		e->entry_valid = rng_interesting(g);
		e->attr_valid = rng_interesting(g);
		e->entry_valid_nsec = rng_next(g);
		e->attr_valid_nsec = rng_next(g);
		break;
	default:
		mut_attr(t, &e->attr, e->nodeid);
		break;
	}
}

void mut_attr_out(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep)
{
	struct fuse_attr_out *o = (void *)rep->buf;

	(void)r;
	if (rep->len < sizeof(*o))
		return;
	if (rng_chance(&t->rng, 0.2)) {
		o->attr_valid = rng_interesting(&t->rng);
		o->attr_valid_nsec = rng_next(&t->rng);
	}
	mut_attr(t, &o->attr, r->hdr->nodeid);
}

void mut_open(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep)
{
	struct fuse_open_out *o = (void *)rep->buf;
	static const uint32_t flags[] = {
		FOPEN_DIRECT_IO, FOPEN_KEEP_CACHE, FOPEN_NONSEEKABLE,
		FOPEN_CACHE_DIR, FOPEN_STREAM, FOPEN_NOFLUSH,
		FOPEN_PARALLEL_DIRECT_WRITES, FOPEN_PASSTHROUGH,
	};

	(void)r;
	if (rep->len < sizeof(*o))
		return;
	if (rng_chance(&t->rng, 0.3)) {
		o->open_flags = rng_next(&t->rng);
	} else {
		o->open_flags |= flags[rng_below(&t->rng, ARRAY_SIZE(flags))];
		if (o->open_flags & FOPEN_PASSTHROUGH)
			o->backing_id = rng_below(&t->rng, 4);
	}
	if (rng_chance(&t->rng, 0.3))
		o->fh = rng_next(&t->rng);
}

/* Directory entries: lengths, offsets and ids that do not add up. */
void mut_dirents(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep)
{
	struct hs_rng *g = &t->rng;
	int plus = r->hdr->opcode == FUSE_READDIRPLUS;
	size_t hdr = plus ? sizeof(struct fuse_entry_out) : 0;
	struct fuse_dirent *de;

	if (rep->len < hdr + FUSE_NAME_OFFSET)
		return;
	de = (void *)(rep->buf + hdr);
	switch (rng_below(g, 6)) {
	case 0:
		de->namelen = rng_chance(g, 0.5) ? rng_interesting(g) :
			      rng_below(g, 1200);
		break;
	case 1:
		de->off = rng_interesting(g);
		break;
	case 2:
		de->namelen = 0;
		break;
	case 3:		/* a name with a slash, or "." for a real node */
		if (de->namelen)
			de->name[0] = rng_chance(g, 0.5) ? '/' : '.';
		if (de->namelen > 1)
			de->namelen = 1;
		break;
	case 4:
		de->type = rng_next(g);
		de->ino = rng_interesting(g);
		break;
	default:
		if (plus)
			mut_entry(t, r, rep);
		else
			de->off = 0;
		break;
	}
}

void mut_write(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep)
{
	struct fuse_write_out *o = (void *)rep->buf;
	const struct fuse_write_in *in = r->in;

	if (rep->len < sizeof(*o))
		return;
	o->size = rng_chance(&t->rng, 0.5) ? in->size + 1 + rng_below(&t->rng, 8192) :
		  (uint32_t)rng_interesting(&t->rng);
}
