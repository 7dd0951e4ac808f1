// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd --fault NAME[,NAME...]: deliberate bugs, off by default, so that
 * a test can prove that its checker catches that kind of bug.  Unlike
 * --inject (inject.c), which breaks the protocol where the kernel must
 * notice, these answers are valid and merely wrong: the kernel trusts
 * them and the application sees the result.  Each time a fault changes
 * what the daemon does, it is counted in the stats as "fault-NAME", so
 * that a test can assert that the fault fired at all.
 *
 * skip-ioend
 *	A successful FUSE_IOMAP_IOEND (one that wrote bytes) is answered
 *	with success, and nothing is done: no unwritten conversion, no
 *	remap of the COW fork, no size update.  (Failed ioends are handled
 *	as usual.)  What was written into new or preallocated blocks reads
 *	back as zeros, and what overwrote shared (reflinked) blocks reads
 *	back as the old data, as soon as the page cache does not serve the
 *	read: at once for direct I/O, after drop_caches, POSIX_FADV_DONTNEED
 *	or a remount for buffered I/O.  A file that writes extended is back
 *	at its old size after a remount (the kernel owns the size while it
 *	is mounted).  The unused COW blocks stay allocated until unmount;
 *	fsck stays clean.
 *
 * stale-map
 *	After an ioend remapped the COW fork or converted unwritten blocks,
 *	FUSE_IOMAP_BEGIN for reads (and FIEMAP, SEEK_DATA/HOLE) keeps
 *	answering that range with the mapping it had before: the old block,
 *	or unwritten; so do the mappings pushed to the kernel's cache after
 *	the ioend and at open (their write mapping is left uncached, so the
 *	kernel never writes through a stale one).  The daemon's metadata is
 *	right; only its answers lie, until the range's mapping changes by
 *	other means (truncate, punch, clone over it, ...).  A read that
 *	misses the page cache gets zeros where an unwritten block was
 *	written, and the old data of a COW-written block, or whatever now
 *	occupies it if it was freed and reused.  Direct reads show it at
 *	once, buffered reads after the page cache is dropped; a remount
 *	hides it (nothing of it is on disk), unless a stale read was
 *	written back meanwhile.
 *
 * drop-clone
 *	FUSE_COPY_FILE_RANGE, with or without FUSE_COPY_FILE_RANGE_CLONE,
 *	is answered with full success (the whole length, or as much as a
 *	copy would have copied) and changes nothing.  FICLONE, FICLONERANGE,
 *	copy_file_range (the part the kernel reflinks) and FIDEDUPERANGE
 *	succeed, but the destination keeps its old content (zeros where it
 *	had none) instead of the source's: a data checker sees it at once.
 *	A dedupe changes no data anyway: only the missing sharing (FIEMAP
 *	without FIEMAP_EXTENT_SHARED, free space) shows that one.
 *
 * drop-unshare
 *	FUSE_FALLOCATE with FALLOC_FL_UNSHARE_RANGE is answered with success
 *	and changes nothing, and FUSE_IOMAP_BEGIN with FUSE_IOMAP_OP_UNSHARE
 *	gets the plain read mapping (PURE_OVERWRITE) of shared blocks, so
 *	the kernel copies nothing: the unshare silently leaves the blocks
 *	shared (and the holes unallocated).  No data checker can catch
 *	this: the data is what it was, and later writes to the range still
 *	go out of place, because the daemon still counts the references.
 *	Only a checker that looks at sharing sees it: FIEMAP still reports
 *	FIEMAP_EXTENT_SHARED in the range after the unshare (and statfs
 *	shows no blocks spent on it; on a full filesystem, a later write to
 *	the range can fail with ENOSPC, which an unshare is meant to rule
 *	out).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static const struct {
	const char	*name;
	enum ft_event	ev;
} faults[FT_FAULT_NR] = {
	[FT_FAULT_SKIP_IOEND]	= { "skip-ioend", FT_EV_FAULT_SKIP_IOEND },
	[FT_FAULT_STALE_MAP]	= { "stale-map", FT_EV_FAULT_STALE_MAP },
	[FT_FAULT_DROP_CLONE]	= { "drop-clone", FT_EV_FAULT_DROP_CLONE },
	[FT_FAULT_DROP_UNSHARE]	= { "drop-unshare", FT_EV_FAULT_DROP_UNSHARE },
};

/* Turn on the faults of a comma-separated list of names; -1 if unknown. */
int fault_parse(struct fusetd *d, const char *list)
{
	const char *p = list, *end;
	unsigned int i;
	size_t len;

	for (;;) {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		for (i = 0; i < FT_FAULT_NR; i++)
			if (strlen(faults[i].name) == len &&
			    !strncmp(faults[i].name, p, len))
				break;
		if (i == FT_FAULT_NR)
			return -1;
		d->faults |= 1U << i;
		if (!end)
			return 0;
		p = end + 1;
	}
}

int fault_on(const struct fusetd *d, enum ft_fault f)
{
	return !!(d->faults & (1U << f));
}

/* Is the fault on?  If so, it fires: count it. */
int fault_fire(struct fusetd *d, enum ft_fault f)
{
	if (!fault_on(d, f))
		return 0;
	stats_event(d->stats, faults[f].ev, 1);
	return 1;
}

/*
 * stale-map: the mappings the daemon keeps answering with.  A record
 * says that blocks [lblk, lblk + len) of ino, now written at new_pblk on,
 * were old_type at old_pblk on before the ioend.  It holds while the file
 * still maps its blocks to new_pblk: a record that no longer matches the
 * file is dropped when found.
 */
struct ft_stale {
	uint64_t		ino;
	uint64_t		lblk;
	uint64_t		len;
	uint64_t		new_pblk;
	uint64_t		old_pblk;	/* not for holes */
	enum ft_map_type	old_type;
};

#define FT_MAX_STALE	65536

static void stale_drop(struct fusetd *d, size_t i)
{
	d->stale[i] = d->stale[--d->nr_stale];
}

/* Does the file still map the record's block lblk as the ioend left it? */
static int stale_live(struct fusetd *d, const struct ft_stale *s,
		      struct ft_inode *inode, uint64_t lblk, struct ft_map *m)
{
	if (!inode)
		return 0;
	ext_map(&d->st, inode, lblk, m);
	return m->type == FT_MAP_DATA &&
	       m->pblk == s->new_pblk + (lblk - s->lblk);
}

/* Forget what the records of ino say about [lblk, lblk + n). */
static int stale_forget(struct fusetd *d, uint64_t ino, uint64_t lblk,
			uint64_t n)
{
	uint64_t end = lblk + n, cut;
	struct ft_stale *s, right;
	size_t i = 0;

	while (i < d->nr_stale) {
		s = &d->stale[i];
		if (s->ino != ino || s->lblk >= end ||
		    s->lblk + s->len <= lblk) {
			i++;
			continue;
		}
		if (s->lblk >= lblk && s->lblk + s->len <= end) {
			stale_drop(d, i);
			continue;
		}
		if (s->lblk < lblk && s->lblk + s->len > end) {
			if (d->nr_stale == d->cap_stale)
				return -ENOMEM;
			right = *s;
			cut = end - s->lblk;
			right.lblk += cut;
			right.len -= cut;
			right.new_pblk += cut;
			right.old_pblk += cut;
			s->len = lblk - s->lblk;
			d->stale[d->nr_stale++] = right;
			return 0;
		}
		if (s->lblk < lblk) {
			s->len = lblk - s->lblk;
		} else {
			cut = end - s->lblk;
			s->lblk += cut;
			s->len -= cut;
			s->new_pblk += cut;
			s->old_pblk += cut;
		}
		i++;
	}
	return 0;
}

/* Room for one more record, dropping those that went stale themselves. */
static int stale_room(struct fusetd *d)
{
	struct ft_stale *s;
	struct ft_map m;
	size_t i, cap;

	if (d->nr_stale < d->cap_stale)
		return 0;
	for (i = 0; i < d->nr_stale; ) {
		s = &d->stale[i];
		if (stale_live(d, s, store_inode(&d->st, s->ino), s->lblk, &m))
			i++;
		else
			stale_drop(d, i);
	}
	if (d->nr_stale < d->cap_stale)
		return 0;
	if (d->cap_stale >= FT_MAX_STALE)
		return -ENOSPC;
	cap = d->cap_stale ? 2 * d->cap_stale : 64;
	s = realloc(d->stale, cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	d->stale = s;
	d->cap_stale = cap;
	return 0;
}

/*
 * An ioend is about to map blocks [lblk, lblk + n) of a file written at
 * new_pblk on (a COW remap, or an unwritten conversion in place): with
 * stale-map, remember what they are mapped to now.
 */
void fault_stale_note(struct fusetd *d, struct ft_inode *inode,
		      uint64_t lblk, uint64_t n, uint64_t new_pblk)
{
	uint64_t ino = store_ino(&d->st, inode), done, len;
	struct ft_map m;

	/* room for the one record that forgetting may split in two */
	if (!fault_on(d, FT_FAULT_STALE_MAP) || stale_room(d) ||
	    stale_forget(d, ino, lblk, n))
		return;
	for (done = 0; done < n; done += len) {
		ext_map(&d->st, inode, lblk + done, &m);
		len = m.len < n - done ? m.len : n - done;
		if (m.type == FT_MAP_DATA && m.pblk == new_pblk + done)
			continue;	/* that would be no lie */
		if (stale_room(d))
			return;
		d->stale[d->nr_stale++] = (struct ft_stale) {
			.ino = ino,
			.lblk = lblk + done,
			.len = len,
			.new_pblk = new_pblk + done,
			.old_pblk = m.type == FT_MAP_HOLE ? 0 : m.pblk,
			.old_type = m.type,
		};
	}
}

/*
 * stale-map: the mapping to answer for block lblk of a file instead of
 * the real one, at most max blocks of it, in io.  Returns the number of
 * blocks it covers, 0 if there is no lie to tell there.
 */
uint64_t fault_stale_map(struct fusetd *d, struct ft_inode *inode,
			 uint64_t lblk, uint64_t max, struct fuse_iomap_io *io)
{
	uint64_t ino = store_ino(&d->st, inode), len;
	struct ft_stale *s;
	struct ft_map m;
	size_t i;

	if (!fault_on(d, FT_FAULT_STALE_MAP))
		return 0;
	for (i = 0; i < d->nr_stale; i++) {
		s = &d->stale[i];
		if (s->ino == ino && s->lblk <= lblk &&
		    lblk - s->lblk < s->len)
			break;
	}
	if (i == d->nr_stale)
		return 0;
	if (!stale_live(d, s, inode, lblk, &m)) {
		/* changed since: forget the lie */
		stale_drop(d, i);
		return 0;
	}
	len = s->lblk + s->len - lblk;
	if (len > m.len)
		len = m.len;
	if (len > max)
		len = max;
	if (s->old_type == FT_MAP_HOLE)
		iomap_map_hole(lblk, len, io);
	else
		iomap_map_blocks(d, lblk, s->old_type,
				 s->old_pblk + (lblk - s->lblk), len, io);
	fault_fire(d, FT_FAULT_STALE_MAP);
	return len;
}

void fault_free(struct fusetd *d)
{
	free(d->stale);
	d->stale = NULL;
	d->nr_stale = d->cap_stale = 0;
}
