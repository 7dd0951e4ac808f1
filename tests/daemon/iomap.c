// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd iomap mode: answer FUSE_IOMAP_BEGIN/END/IOEND from the extent
 * lists, so that the kernel moves file data to and from the device itself.
 *
 * Device addresses are image offsets: block b lives at b * FT_BLOCK_SIZE
 * of the registered block device.  Writes into holes get new blocks as
 * unwritten extents, converted when FUSE_IOMAP_IOEND reports the data on
 * disk; a crash in between leaves zeros, never stale blocks.
 *
 * Shared (reflinked) blocks are never written in place.  Direct writes and
 * writeback to them get new blocks from the inode's COW fork (cow.c),
 * which FUSE_IOMAP_IOEND with SHARED moves into the file, dropping a
 * reference to the old blocks.  Buffered writes and page faults only fill
 * the page cache, so they get PURE_OVERWRITE: the copy happens when the
 * pages are written back.
 *
 * fallocate(FALLOC_FL_UNSHARE_RANGE) first has the kernel unshare through
 * the page cache (iomap_file_unshare(): FUSE_IOMAP_OP_WRITE|UNSHARE).
 * Written shared blocks are answered as writeback over them would be: the
 * COW fork's blocks, flagged SHARED, with the shared blocks as the read
 * mapping, the source iomap copies from; writeback then finds the same
 * fork and its ioend remaps it.  Anything else needs no copy and gets
 * what a buffered write would, so iomap leaves it alone: private and
 * unwritten blocks their read mapping with PURE_OVERWRITE, holes a
 * DELALLOC write mapping (a write mapping may not be a hole, and nothing
 * is written through it).  The FUSE_FALLOCATE that follows allocates the
 * holes and unshares what is left (falloc.c).
 *
 * Inline files (inline.c) are answered INLINE, one block from offset 0
 * with the data after the reply, for writes through PURE_OVERWRITE; the
 * kernel hands changed data back with FUSE_IOMAP_END.  Requests an INLINE
 * mapping cannot serve move the data to a block first: writeback, write
 * faults (the kernel will write the folio back), writes that would end
 * past --inline-max, and requests that offer no room for the data.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "proto.h"

/*
 * --probe-backing: before registering for real, show how the kernel
 * answers bad registrations ("probe NAME ERRNO" on stdout).
 */
static void probe_backing(struct fusetd *d)
{
	static const struct {
		const char *name;
		int nonblock;		/* use a regular file's fd */
		uint32_t flags;
		uint64_t padding;
	} probes[] = {
		{ "not-a-block-device", 1, FUSE_BACKING_TYPE_IOMAP, 0 },
		{ "unknown-flags", 0, FUSE_BACKING_TYPE_IOMAP | 0x100, 0 },
		{ "nonzero-padding", 0, FUSE_BACKING_TYPE_IOMAP, 1 },
		{ "bad-fd", -1, FUSE_BACKING_TYPE_IOMAP, 0 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		struct fuse_backing_map map = {
			.fd = d->st.fd,
			.flags = probes[i].flags,
			.padding = probes[i].padding,
		};
		int fd = -1, ret;

		if (probes[i].nonblock > 0)
			map.fd = fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		else if (probes[i].nonblock < 0)
			map.fd = 9999;
		ret = ioctl(d->fuse_fd, FUSE_DEV_IOC_BACKING_OPEN, &map);
		printf("probe %s %s\n", probes[i].name,
		       ret < 0 ? strerror(errno) : "accepted");
		if (ret > 0)
			ioctl(d->fuse_fd, FUSE_DEV_IOC_BACKING_CLOSE, &ret);
		if (fd >= 0)
			close(fd);
	}
	fflush(stdout);
}

/* Register the image once more, through a descriptor of its own. */
static int register_again(struct fusetd *d)
{
	struct fuse_backing_map map = { .flags = FUSE_BACKING_TYPE_IOMAP };
	int id, err;

	map.fd = open(d->image, O_RDONLY | O_CLOEXEC);
	if (map.fd < 0)
		return -errno;
	id = ioctl(d->fuse_fd, FUSE_DEV_IOC_BACKING_OPEN, &map);
	err = errno;
	close(map.fd);		/* the kernel keeps its own reference */
	return id < 0 ? -err : id;
}

/*
 * --fill-devs: register the image again and again until the kernel
 * refuses, each time through a new open file (held by the kernel until
 * the connection goes), check that the cookies came in order, then give
 * the last one back, take it again and be refused again.  The devices
 * stay registered until unmount.  One line on stderr tells the outcome:
 *
 *   fusetd: fill-devs: 1024 registered, cookies in order, then: No space left on device; closed 1024: ok; again: 1024; then: No space left on device
 */
static void fill_devs(struct fusetd *d)
{
	int id, last = d->dev_cookie, n = 1, in_order = 1, refused, again;
	const char *closed = "ok";

	for (;;) {
		id = register_again(d);
		if (id < 0)
			break;
		n++;
		if (id != last + 1)
			in_order = 0;
		last = id;
	}
	refused = -id;
	if (ioctl(d->fuse_fd, FUSE_DEV_IOC_BACKING_CLOSE, &last) < 0)
		closed = strerror(errno);
	again = register_again(d);
	id = register_again(d);
	fprintf(stderr,
		"fusetd: fill-devs: %d registered, cookies %s, then: %s; closed %d: %s; again: %d; then: %s\n",
		n, in_order ? "in order" : "out of order", strerror(refused),
		last, closed, again, id < 0 ? strerror(-id) : "accepted");
}

int iomap_register(struct fusetd *d)
{
	struct fuse_backing_map map = {
		.fd = d->st.fd,
		.flags = FUSE_BACKING_TYPE_IOMAP,
	};
	int id;

	if (d->probe_backing)
		probe_backing(d);

	/* --ro-dev: hand out write mappings on a read-only registration. */
	if (d->ro_dev) {
		map.fd = open(d->image, O_RDONLY | O_CLOEXEC);
		if (map.fd < 0) {
			ft_warn("%s: %s", d->image, strerror(errno));
			return -1;
		}
	}
	/* --set-blocksize: set_blocksize() wants an exclusive opener */
	if (d->set_blocksize) {
		map.fd = open(d->image, O_RDWR | O_EXCL | O_CLOEXEC);
		if (map.fd < 0) {
			ft_warn("%s: %s", d->image, strerror(errno));
			return -1;
		}
	}
	id = ioctl(d->fuse_fd, FUSE_DEV_IOC_BACKING_OPEN, &map);
	if (d->ro_dev || d->set_blocksize)
		close(map.fd);	/* the kernel holds its own reference */
	if (id > 0 && d->set_blocksize) {
		struct fuse_iomap_set_blocksize bs = {
			.backing_id = id,
			.blocksize = d->set_blocksize,
		};

		if (ioctl(d->fuse_fd, FUSE_DEV_IOC_IOMAP_SET_BLOCKSIZE, &bs)) {
			ft_warn("IOMAP_SET_BLOCKSIZE %u: %s", bs.blocksize,
				strerror(errno));
			return -1;
		}
	}

	if (id <= 0) {
		ft_warn("cannot register the device for iomap: %s",
			strerror(id < 0 ? errno : EIO));
		return -1;
	}
	d->dev_cookie = id;
	if (d->fill_devs)
		fill_devs(d);
	return 0;
}

/* A hole runs to the next extent, or to the largest file size. */
void iomap_map_hole(uint64_t lblk, uint64_t len, struct fuse_iomap_io *io)
{
	if (len > FT_MAX_BLOCKS - lblk)
		len = FT_MAX_BLOCKS - lblk;
	*io = (struct fuse_iomap_io) {
		.offset = lblk * FT_BLOCK_SIZE,
		.length = len * FT_BLOCK_SIZE,
		.addr = FUSE_IOMAP_NULL_ADDR,
		.type = FUSE_IOMAP_TYPE_HOLE,
	};
}

void iomap_map_blocks(const struct fusetd *d, uint64_t lblk,
		      enum ft_map_type type, uint64_t pblk, uint64_t len,
		      struct fuse_iomap_io *io)
{
	*io = (struct fuse_iomap_io) {
		.offset = lblk * FT_BLOCK_SIZE,
		.length = len * FT_BLOCK_SIZE,
		.addr = pblk * FT_BLOCK_SIZE,
		.type = type == FT_MAP_UNWRITTEN ? FUSE_IOMAP_TYPE_UNWRITTEN :
						   FUSE_IOMAP_TYPE_MAPPED,
		.dev = d->dev_cookie,
	};
}

static const struct fuse_iomap_io pure_overwrite = {
	.addr = FUSE_IOMAP_NULL_ADDR,
	.type = FUSE_IOMAP_TYPE_PURE_OVERWRITE,
};

/* Answer INLINE: one block at offset with len bytes of data after it. */
static int reply_inline(struct fusetd *d, const struct ft_req *r,
			uint64_t offset, const void *data, size_t len)
{
	struct fuse_iomap_begin_out out = {
		.read = {
			.offset = offset,
			.length = FT_BLOCK_SIZE,
			.addr = FUSE_IOMAP_NULL_ADDR,
			.type = FUSE_IOMAP_TYPE_INLINE,
		},
		.write = pure_overwrite,
	};

	len = inject_inline_len(d, len);
	stats_event(d->stats, FT_EV_INLINE_BEGIN, 1);
	if (!len)
		return reply_ok(d, r, &out, sizeof(out));
	return reply_two(d, r, &out, sizeof(out), data, len);
}

/* Does a write of count bytes at pos end within --inline-max? */
static int write_fits(const struct fusetd *d, uint64_t pos, uint64_t count)
{
	uint64_t max = d->st.inline_max;

	return pos <= max && count <= max - pos;
}

/*
 * FUSE_IOMAP_BEGIN of an inline file: answer INLINE (returns 1), or move
 * the data to a block, or leave a position past the inline block to the
 * extent map, which has nothing there (returns 0).
 */
static int begin_inline(struct fusetd *d, const struct ft_req *r,
			struct ft_inode *inode)
{
	static const char zeros[FT_BLOCK_SIZE];
	const struct fuse_iomap_begin_in *in = r->in;
	uint32_t op = in->opflags;
	const char *data;
	int err;

	if (op & FUSE_IOMAP_OP_WRITEBACK) {
		/* nothing dirties an inline file's folio but a write fault */
		ft_warn("inode %llu: writeback of an inline file",
			(unsigned long long)in->attr_ino);
	} else if ((op & (FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_FAULT)) ==
		   (FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_FAULT) &&
		   !inject_inline_fault(d)) {
		/* the kernel will write the folio back: it needs a block */
	} else if ((op & FUSE_IOMAP_OP_WRITE) &&
		   !write_fits(d, in->pos, in->count)) {
		/* grows past --inline-max */
	} else if (d->inline_nopayload && in->inline_size) {
		ft_warn("inode %llu: room for inline data never asked for",
			(unsigned long long)in->attr_ino);
		return -EPROTO;
	} else if (!d->inline_nopayload && in->inline_size < inode->size) {
		/* no room offered for the data */
	} else if (in->pos >= FT_BLOCK_SIZE) {
		return 0;
	} else {
		/* the kernel reads it with FUSE_READ without a payload */
		data = inline_data(&d->st, inode);
		err = reply_inline(d, r, 0, data ? data : zeros,
				   d->inline_nopayload ? 0 : inode->size);
		return err ? err : 1;
	}
	err = inline_move_out(&d->st, inode);
	return err;
}

/* Give the hole at lblk (m->len blocks long) blocks for a write. */
static int alloc_for_write(struct fusetd *d, struct ft_inode *inode,
			   uint64_t lblk, uint64_t want, struct ft_map *m)
{
	uint64_t start, got;

	if (want > m->len)
		want = m->len;
	got = store_alloc(&d->st, ext_goal(&d->st, inode, lblk), want, &start);
	if (!got)
		return -ENOSPC;
	if (ext_set(&d->st, inode, lblk, got, start, FT_EXT_UNWRITTEN)) {
		block_put(&d->st, start, got);
		return -ENOSPC;
	}
	m->type = FT_MAP_UNWRITTEN;
	m->pblk = start;
	m->len = got;
	return 0;
}

/*
 * A direct write covering part of a block of a COW mapping leaves the
 * rest of the block as it is on disk: give the new blocks at either end
 * of [pos, end) the old data first (m maps file block lblk).
 */
static int cow_fill_edges(struct fusetd *d, uint64_t lblk, uint64_t n,
			  const struct ft_map *m, uint64_t cow, uint64_t pos,
			  uint64_t end)
{
	uint64_t b[2] = { pos / FT_BLOCK_SIZE, end / FT_BLOCK_SIZE };
	uint64_t off[2] = { pos, end };
	int i, err;

	for (i = 0; i < 2; i++) {
		if (!(off[i] % FT_BLOCK_SIZE) || b[i] < lblk ||
		    b[i] >= lblk + n)
			continue;
		if (i && b[1] == b[0] && pos % FT_BLOCK_SIZE)
			continue;	/* the same block as the head */
		if (m->type == FT_MAP_DATA) {
			err = store_copy_block(&d->st, m->pblk + b[i] - lblk,
					       cow + b[i] - lblk);
		} else {
			memset(d->st.bounce, 0, FT_BLOCK_SIZE);
			err = store_write_blocks(&d->st, d->st.bounce,
						 cow + b[i] - lblk, 1);
		}
		if (err)
			return err;
	}
	return 0;
}

/*
 * A direct write or writeback over blocks m maps at lblk (n of them, all
 * shared or all not): take the COW fork's blocks for the range, or new
 * ones if the blocks are shared.  Returns 1 with *cow and *n set, 0 to
 * write in place.
 */
static int cow_blocks_for(struct fusetd *d, uint64_t ino, uint64_t lblk,
			  const struct ft_map *m, int shared, uint64_t *n,
			  uint64_t *cow)
{
	struct ft_extent c;
	uint64_t got;

	if (!cow_find(&d->st, ino, lblk, &c)) {
		if (*n > c.lblk + c.len - lblk)
			*n = c.lblk + c.len - lblk;
		*cow = c.pblk + (lblk - c.lblk);
		return 1;
	}
	/* never cover the start of a COW fork entry with something else */
	if (*n > c.lblk - lblk)
		*n = c.lblk - lblk;
	if (!shared)
		return 0;
	got = store_alloc(&d->st, m->pblk + m->len, *n, cow);
	if (!got)
		return -ENOSPC;
	if (cow_add(&d->st, ino, lblk, *cow, got)) {
		block_put(&d->st, *cow, got);
		return -ENOMEM;
	}
	*n = got;
	stats_event(d->stats, FT_EV_COW_ALLOC_BLOCKS, got);
	return 1;
}

int op_iomap_begin(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_iomap_begin_in *in = r->in;
	struct fuse_iomap_begin_out out = { .write = pure_overwrite };
	uint32_t op = in->opflags;
	int write = op & FUSE_IOMAP_OP_WRITE;
	int unshare = write && (op & FUSE_IOMAP_OP_UNSHARE);
	uint64_t ino = r->hdr->nodeid, lblk, want, n, cow;
	struct ft_inode *inode;
	struct ft_map m;
	int shared, err;
	ssize_t got;

	err = node_get(d, ino, &inode);
	if (err)
		return err;
	if (!S_ISREG(inode->mode) || in->attr_ino != ino)
		return -EINVAL;
	if (!in->count || in->pos >= FT_MAX_SIZE)
		return -EFBIG;
	if (inline_file(inode)) {
		err = begin_inline(d, r, inode);
		if (err)
			return err < 0 ? err : 0;
	} else if (inject_inline_not_eof(d, in, inode->size)) {
		got = file_read(&d->st, inode, d->out_buf, FT_BLOCK_SIZE,
				in->pos / FT_BLOCK_SIZE * FT_BLOCK_SIZE);
		if (got < 0)
			return got;
		return reply_inline(d, r, in->pos / FT_BLOCK_SIZE *
				    FT_BLOCK_SIZE, d->out_buf,
				    d->inline_nopayload ? 0 : got);
	}
	lblk = in->pos / FT_BLOCK_SIZE;
	want = (in->pos + in->count - 1) / FT_BLOCK_SIZE + 1;
	if (want > FT_MAX_BLOCKS)
		want = FT_MAX_BLOCKS;
	want -= lblk;

	/* --fault stale-map: what the range was before an ioend */
	if (!write && fault_stale_map(d, inode, lblk, want, &out.read))
		goto reply;
	ext_map(&d->st, inode, lblk, &m);
	if (m.type == FT_MAP_HOLE) {
		iomap_map_hole(lblk, m.len, &out.read);
		if (unshare) {
			/* nothing to copy; FALLOCATE allocates the hole */
			out.write = out.read;
			out.write.type = FUSE_IOMAP_TYPE_DELALLOC;
		} else if (write) {
			/* writeback only writes what it mapped before */
			if (op & FUSE_IOMAP_OP_WRITEBACK)
				ft_warn("inode %llu: writeback into a hole at %llu",
					(unsigned long long)ino,
					(unsigned long long)in->pos);
			err = alloc_for_write(d, inode, lblk, want, &m);
			if (err)
				return err;
			iomap_map_blocks(d, lblk, m.type, m.pblk, m.len, &out.write);
			out.write.flags = FUSE_IOMAP_F_NEW;
			out.read.length = out.write.length;
		}
		goto reply;
	}

	n = m.len < want ? m.len : want;
	shared = block_shared(&d->st, m.pblk);
	n = block_run(&d->st, m.pblk, n, shared);
	if (unshare && !(shared && m.type == FT_MAP_DATA))
		unshare = 0;		/* nothing to copy */
	/* --fault drop-unshare: leave the blocks shared */
	if (unshare && fault_fire(d, FT_FAULT_DROP_UNSHARE))
		unshare = 0;
	if (unshare ||
	    (write && (op & (FUSE_IOMAP_OP_DIRECT | FUSE_IOMAP_OP_WRITEBACK)))) {
		err = cow_blocks_for(d, ino, lblk, &m, shared, &n, &cow);
		if (err < 0)
			return err;
		if (err) {
			iomap_map_blocks(d, lblk, FT_MAP_DATA, cow, n, &out.write);
			out.write.flags = FUSE_IOMAP_F_SHARED;
			if (op & FUSE_IOMAP_OP_DIRECT) {
				err = cow_fill_edges(d, lblk, n, &m, cow,
						     in->pos,
						     in->pos + in->count);
				if (err)
					return err;
			}
		}
	}
	iomap_map_blocks(d, lblk, m.type, m.pblk, n, &out.read);
	if (shared && !write)
		out.read.flags = FUSE_IOMAP_F_SHARED;
reply:
	/* --want-end: hear of every mapping's end (not of instructions) */
	if (d->want_end) {
		out.read.flags |= FUSE_IOMAP_F_WANT_IOMAP_END;
		if (out.write.type <= FUSE_IOMAP_TYPE_INLINE)
			out.write.flags |= FUSE_IOMAP_F_WANT_IOMAP_END;
	}
	/* --map-ahead: push the rest of a read (not FIEMAP's) */
	if (!write && !(op & FUSE_IOMAP_OP_REPORT) && !d->inject)
		notify_map_ahead(d, inode, lblk, want,
				 out.read.length / FT_BLOCK_SIZE);
	err = inject_begin(d, in->pos, &out);
	if (err < 0)
		return err;
	/* --personality fuse4fs: through the mapping cache (pers_iomap.c) */
	if (d->personality == FT_PERS_FUSE4FS && !d->inject)
		return pers_iomap_reply(d, r, &out);
	return reply_ok(d, r, &out, err);
}

/* Describe the filesystem: its block size and largest file. */
int op_iomap_config(struct fusetd *d, const struct ft_req *r)
{
	struct fuse_iomap_config_out out = {
		.flags = FUSE_IOMAP_CONFIG_SID | FUSE_IOMAP_CONFIG_BLOCKSIZE |
			 FUSE_IOMAP_CONFIG_MAXBYTES,
		.s_id = "fusetd",
		.s_blocksize = FT_BLOCK_SIZE,
		.s_maxbytes = FT_MAX_SIZE,
	};

	/*
	 * The kernel caches mappings by default; ask for our limit, or with
	 * --no-cache (0) for no mapping cache at all.  fuse4fs leaves it to
	 * the kernel, unless --cache-maxbytes or --no-cache says otherwise.
	 */
	if (d->personality != FT_PERS_FUSE4FS || d->cache_explicit) {
		out.flags |= FUSE_IOMAP_CONFIG_CACHE_MAXBYTES;
		out.cache_maxbytes = d->cache_maxbytes;
	}
	/*
	 * Our inline data travels in BEGIN and END; fuse4fs's (and with
	 * --inline-nopayload ours) comes with FUSE_READ/FUSE_WRITE.
	 */
	if (!d->inline_nopayload)
		out.flags |= FUSE_IOMAP_CONFIG_INLINE_PAYLOAD;

	return reply_ok(d, r, &out, sizeof(out));
}

/*
 * FUSE_IOMAP_END.  For an INLINE mapping the kernel wrote or zeroed, the
 * request carries the data up to EOF: the new content of the file, whose
 * size is where the data ends.  A file that moved to a block meanwhile (a
 * write fault while the kernel wrote) gets the bytes written there.
 */
int op_iomap_end(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_iomap_end_in *in = r->in;
	size_t len = r->in_len - sizeof(*in);
	struct ft_inode *inode;
	ssize_t n;
	int err;

	if (d->no_end)
		return -ENOSYS;
	if (in->map.type != FUSE_IOMAP_TYPE_INLINE ||
	    !(in->opflags & (FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_ZERO)) ||
	    in->written <= 0)
		return reply_ok(d, r, NULL, 0);

	if (len != in->inline_size || in->map.offset || len > FT_BLOCK_SIZE) {
		ft_warn("IOMAP_END with %zu bytes of inline data, %u announced, at %llu",
			len, in->inline_size,
			(unsigned long long)in->map.offset);
		return -EINVAL;
	}
	err = node_get(d, r->hdr->nodeid, &inode);
	if (err)
		return err;
	if (!S_ISREG(inode->mode))
		return -EINVAL;
	err = inject_inline_end_error(d);
	if (err)
		return err;
	if (inline_file(inode) && inline_fits(&d->st, len)) {
		err = inline_set(&d->st, inode, in + 1, len);
	} else {
		err = inline_move_out(&d->st, inode);
		n = err ? err : file_write(&d->st, inode, in + 1, len, 0);
		err = n < 0 ? n : 0;
	}
	if (err)
		return err;
	stats_event(d->stats, FT_EV_INLINE_END, 1);
	return reply_ok(d, r, NULL, 0);
}

/*
 * Mark the blocks of [lblk, end) written.  Shared blocks are never
 * written in place, so a shared unwritten block stays unwritten: making
 * it written would show another file's data here.
 */
static int convert_unwritten(struct fusetd *d, struct ft_inode *inode,
			     uint64_t lblk, uint64_t end)
{
	struct ft_map m;
	int err;

	while (lblk < end) {
		ext_map(&d->st, inode, lblk, &m);
		if (m.len > end - lblk)
			m.len = end - lblk;
		if (m.type == FT_MAP_UNWRITTEN) {
			if (block_shared(&d->st, m.pblk)) {
				m.len = block_run(&d->st, m.pblk, m.len, 1);
				ft_warn("inode %llu: ioend over shared unwritten block %llu",
					(unsigned long long)store_ino(&d->st, inode),
					(unsigned long long)lblk);
			} else {
				m.len = block_run(&d->st, m.pblk, m.len, 0);
				fault_stale_note(d, inode, lblk, m.len, m.pblk);
				err = ext_set(&d->st, inode, lblk, m.len,
					      m.pblk, 0);
				if (err)
					return err;
			}
		}
		lblk += m.len;
	}
	return 0;
}

/*
 * Move the COW fork's blocks under [lblk, end) into the file, dropping a
 * reference to what they replace.  new_addr, if not NULL_ADDR, is where
 * the kernel wrote the data of byte pos.
 */
static int remap_cow(struct fusetd *d, struct ft_inode *inode, uint64_t lblk,
		     uint64_t end, uint64_t pos, uint64_t new_addr)
{
	uint64_t ino = store_ino(&d->st, inode), n, p, moved = 0;
	struct ft_extent c, x = { 0 };
	int err;

	while (lblk < end) {
		if (cow_find(&d->st, ino, lblk, &c)) {
			lblk = c.lblk < end ? c.lblk : end;
			continue;
		}
		n = (c.lblk + c.len < end ? c.lblk + c.len : end) - lblk;
		p = c.pblk + (lblk - c.lblk);
		if (!moved && new_addr != FUSE_IOMAP_NULL_ADDR &&
		    lblk == pos / FT_BLOCK_SIZE &&
		    new_addr != p * FT_BLOCK_SIZE + pos % FT_BLOCK_SIZE &&
		    new_addr != p * FT_BLOCK_SIZE)
			ft_warn("inode %llu: ioend at %llu wrote to %llu, COW fork has %llu",
				(unsigned long long)ino,
				(unsigned long long)pos,
				(unsigned long long)new_addr,
				(unsigned long long)(p * FT_BLOCK_SIZE));
		x.pblk = p;
		fault_stale_note(d, inode, lblk, n, p);
		err = ext_replace(&d->st, inode, lblk, n, &x, ext_put_old, NULL);
		if (err)
			return err;
		cow_remove(&d->st, ino, lblk, n, 0);
		stats_event(d->stats, FT_EV_COW_REMAP_BLOCKS, n);
		moved += n;
		lblk += n;
	}
	if (!moved)
		ft_warn("inode %llu: shared ioend at %llu found no COW fork",
			(unsigned long long)ino, (unsigned long long)pos);
	return 0;
}

static void count_ioend(struct fusetd *d, const struct fuse_iomap_ioend_in *in)
{
	static const struct {
		uint32_t flag;
		enum ft_event ev;
	} flags[] = {
		{ FUSE_IOMAP_IOEND_UNWRITTEN, FT_EV_IOEND_UNWRITTEN },
		{ FUSE_IOMAP_IOEND_SHARED, FT_EV_IOEND_SHARED },
		{ FUSE_IOMAP_IOEND_APPEND, FT_EV_IOEND_APPEND },
		{ FUSE_IOMAP_IOEND_WRITEBACK, FT_EV_IOEND_WRITEBACK },
		{ FUSE_IOMAP_IOEND_DIRECT, FT_EV_IOEND_DIRECT },
	};
	unsigned int i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (in->flags & flags[i].flag)
			stats_event(d->stats, flags[i].ev, 1);
	if (in->error)
		stats_event(d->stats, FT_EV_IOEND_ERROR, 1);
}

int op_iomap_ioend(struct fusetd *d, const struct ft_req *r)
{
	const struct fuse_iomap_ioend_in *in = r->in;
	struct fuse_iomap_ioend_out out;
	uint64_t ino = r->hdr->nodeid, lblk, end, done;
	struct ft_inode *inode;
	int err;

	if (d->no_ioend)
		return -ENOSYS;

	err = node_get(d, ino, &inode);
	if (err)
		return err;
	count_ioend(d, in);
	if (in->pos > FT_MAX_SIZE || in->written > FT_MAX_SIZE - in->pos)
		return -EINVAL;
	if (inline_file(inode) && in->written && !in->error) {
		/* the kernel writes inline data back with IOMAP_END only */
		ft_warn("inode %llu: ioend of an inline file",
			(unsigned long long)ino);
		err = inline_move_out(&d->st, inode);
		if (err)
			return err;
	}
	err = inject_ioend(d, in->pos);
	if (err)
		return err;
	/* --fault skip-ioend: forget what was written */
	if (!in->error && in->written &&
	    fault_fire(d, FT_FAULT_SKIP_IOEND)) {
		out.newsize = inode->size;
		return reply_ok(d, r, &out, sizeof(out));
	}
	lblk = in->pos / FT_BLOCK_SIZE;
	end = (in->pos + in->written + FT_BLOCK_SIZE - 1) / FT_BLOCK_SIZE;
	if (in->error) {
		/* nothing was written: out-of-place blocks are garbage */
		ft_warn("ioend of inode %llu reports error %d",
			(unsigned long long)ino, in->error);
		cow_cancel(&d->st, ino, lblk, end - lblk);
	} else if (in->written) {
		if (in->flags & FUSE_IOMAP_IOEND_SHARED) {
			err = remap_cow(d, inode, lblk, end, in->pos,
					in->new_addr);
			if (err)
				return err;
		}
		if (in->flags & FUSE_IOMAP_IOEND_UNWRITTEN) {
			err = convert_unwritten(d, inode, lblk, end);
			if (err)
				return err;
		}
		if ((in->flags & FUSE_IOMAP_IOEND_APPEND) &&
		    in->pos + in->written > inode->size)
			inode->size = in->pos + in->written;
		inode_touch(inode, FT_MTIME | FT_CTIME);
		/*
		 * The kernel forgot these; tell it where they are now
		 * (fuse4fs waits to be asked), and take back the rest: what
		 * was pushed while the ioend was on its way (an open,
		 * --map-ahead) says what the blocks were before it.
		 */
		if ((in->flags & (FUSE_IOMAP_IOEND_SHARED |
				  FUSE_IOMAP_IOEND_UNWRITTEN)) &&
		    d->personality != FT_PERS_FUSE4FS) {
			done = notify_upsert_range(d, inode, lblk, end - lblk,
						   16);
			if (done < end - lblk)
				notify_inval_range(d, store_ino(&d->st, inode),
						   (lblk + done) * FT_BLOCK_SIZE,
						   (end - lblk - done) *
						   FT_BLOCK_SIZE);
		}
	}
	out.newsize = inode->size;
	return reply_ok(d, r, &out, sizeof(out));
}
