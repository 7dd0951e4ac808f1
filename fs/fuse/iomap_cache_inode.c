// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-iomap: the mapping caches of iomap inodes.
 *
 * Each iomap inode keeps the mappings the server gave it in two caches
 * (iomap_cache.c): the read cache says where the file's data is, the write
 * cache where writes may go in place.  ->iomap_begin looks there first and
 * asks the server only on a miss; the server's answer is stored, and the
 * server may also push mappings ahead of use and take them back with
 * notifications (iomap_notify.c).
 *
 * Coherence rests on the inode's sequence number, bumped under the cache
 * lock whenever cached mappings are dropped: by layout changes of the
 * kernel (truncate, fallocate, clone, ioends that convert or remap), by a
 * write the server answered with new blocks, and by the server's own
 * invalidations and upserts.  A begin reply is stored only if the number
 * has not moved since before the request was sent and no layout change is
 * in flight, so an answer that raced with a change is used once and never
 * cached.  The number is also iomap's validity cookie, so a buffered write
 * or writeback that holds a mapping maps again after any such change.
 *
 * The caches of a connection share a limit (FUSE_IOMAP_CONFIG
 * cache_maxbytes, at most the module parameter iomap_cache_maxbytes) and
 * a shrinker.  Both evict with the caches' clock, across the connection's
 * inodes in turn.  A server that sets cache_maxbytes 0 caches nothing.
 *
 * Locking: fuse_iomap_cache_conn.lock (the list of inodes with entries)
 * nests outside fuse_iomap_inode.cache_lock; fuse_inode.lock may be held
 * around both.  Nothing under these locks sleeps or allocates.
 */

#include <kunit/visibility.h>
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/shrinker.h>
#include <linux/wait_bit.h>

#include "fuse_i.h"
#include "iomap_trace.h"

static unsigned int iomap_cache_maxbytes = 64 << 20;
module_param(iomap_cache_maxbytes, uint, 0644);
MODULE_PARM_DESC(iomap_cache_maxbytes,
		 "Most memory the mapping caches of one iomap connection may use (bytes)");

static struct dentry *fuse_iomap_debugfs_root;

static inline struct fuse_iomap_cache_conn *fuse_iomap_cc(struct inode *inode)
{
	return &get_fuse_conn(inode)->iomap_conn.cache;
}

static inline struct fuse_iomap_inode *fuse_iomap_ii(struct inode *inode)
{
	return FUSE_IOMAP_I(inode);
}

static inline unsigned long fuse_iomap_ii_entries(struct fuse_iomap_inode *ii)
{
	return fuse_iomap_cache_count(&ii->rcache) +
	       fuse_iomap_cache_count(&ii->wcache);
}

/*
 * Change an inode's caches: fuse_iomap_cache_wlock() takes the cache lock
 * and returns the entries held, fuse_iomap_cache_wunlock() adds what
 * changed since to the connection's count and drops the lock.
 */
static unsigned long fuse_iomap_cache_wlock(struct fuse_iomap_inode *ii)
	__acquires(&ii->cache_lock)
{
	write_lock(&ii->cache_lock);
	return fuse_iomap_ii_entries(ii);
}

static void fuse_iomap_cache_wunlock(struct fuse_iomap_cache_conn *cc,
				     struct fuse_iomap_inode *ii,
				     unsigned long before)
	__releases(&ii->cache_lock)
{
	atomic_long_add((long)fuse_iomap_ii_entries(ii) - (long)before,
			&cc->nr_entries);
	write_unlock(&ii->cache_lock);
}

/* Count an event of the connection's caches. */
void fuse_iomap_cache_stat(struct fuse_conn *fc,
			   enum fuse_iomap_cache_stat stat)
{
	atomic_long_inc(&fc->iomap_conn.cache.stats[stat]);
}

/* Does this connection cache mappings at all? */
bool fuse_iomap_cache_enabled(const struct fuse_conn *fc)
{
	return READ_ONCE(fc->iomap_conn.cache.max_entries) != 0;
}

/* The limit the kernel offers in FUSE_IOMAP_CONFIG. */
u32 fuse_iomap_cache_max_offer(void)
{
	return READ_ONCE(iomap_cache_maxbytes);
}

void fuse_iomap_cache_inode_init(struct inode *inode,
				 struct fuse_iomap_inode *ii)
{
	ii->inode = inode;
	atomic_set(&ii->cache_pins, 0);
	rwlock_init(&ii->cache_lock);
	ii->changing = 0;
	fuse_iomap_cache_init(&ii->rcache);
	fuse_iomap_cache_init(&ii->wcache);
	INIT_LIST_HEAD(&ii->cache_link);
}

/* Free both caches of an inode that is being evicted. */
void fuse_iomap_cache_inode_destroy(struct inode *inode)
{
	struct fuse_iomap_cache_conn *cc = fuse_iomap_cc(inode);
	struct fuse_iomap_inode *ii = fuse_iomap_ii(inode);
	unsigned long nr;

	/*
	 * Off the list first: then no scan can reach the inode.  A device
	 * invalidation may still be walking its caches: wait for it.
	 */
	spin_lock(&cc->lock);
	list_del_init(&ii->cache_link);
	spin_unlock(&cc->lock);
	wait_var_event(&ii->cache_pins, !atomic_read(&ii->cache_pins));

	write_lock(&ii->cache_lock);
	nr = fuse_iomap_ii_entries(ii);
	fuse_iomap_cache_destroy(&ii->rcache);
	fuse_iomap_cache_destroy(&ii->wcache);
	write_unlock(&ii->cache_lock);
	atomic_long_sub(nr, &cc->nr_entries);
}

/*
 * Entries one step of a scan looks at with the cache locks held.  The
 * caches of a connection may hold over a million entries (64 MiB by
 * default); a walk over all of them under one spinlock would keep every
 * CPU that maps, fills or evicts waiting for as long.
 */
#define FUSE_IOMAP_CACHE_STEP	256UL

/* The clock for the held_ns of trace_fuse_iomap_cache_step(), if on. */
static u64 fuse_iomap_cache_step_start(void)
{
	return trace_fuse_iomap_cache_step_enabled() ? ktime_get_ns() : 0;
}

static u64 fuse_iomap_cache_step_held(u64 start)
{
	return start ? ktime_get_ns() - start : 0;
}

/*
 * Evict up to @nr_to_scan entries' worth of scanning from the inodes of a
 * connection, each in turn, a step of at most FUSE_IOMAP_CACHE_STEP
 * entries per hold of the locks.  An entry used since the last scan
 * survives one more, so twice the excess frees at least the excess.
 */
static unsigned long fuse_iomap_cache_scan(struct fuse_iomap_cache_conn *cc,
					   unsigned long nr_to_scan)
{
	unsigned long freed = 0;

	while (nr_to_scan) {
		unsigned long step = min(nr_to_scan, FUSE_IOMAP_CACHE_STEP);
		unsigned long nr_r, nr_w, before, after;
		struct fuse_iomap_inode *ii;
		u64 start;

		spin_lock(&cc->lock);
		ii = list_first_entry_or_null(&cc->inodes,
					      struct fuse_iomap_inode,
					      cache_link);
		if (!ii) {
			spin_unlock(&cc->lock);
			break;
		}
		start = fuse_iomap_cache_step_start();
		list_move_tail(&ii->cache_link, &cc->inodes);

		before = fuse_iomap_cache_wlock(ii);
		nr_r = min(step, fuse_iomap_cache_count(&ii->rcache));
		nr_w = min(step - nr_r, fuse_iomap_cache_count(&ii->wcache));
		fuse_iomap_cache_evict(&ii->rcache, nr_r);
		fuse_iomap_cache_evict(&ii->wcache, nr_w);
		after = fuse_iomap_ii_entries(ii);
		fuse_iomap_cache_wunlock(cc, ii, before);

		if (!after)
			list_del_init(&ii->cache_link);
		trace_fuse_iomap_cache_step(ii->inode, "evict", nr_r + nr_w,
					    before - after,
					    fuse_iomap_cache_step_held(start));
		spin_unlock(&cc->lock);

		freed += before - after;
		/* Each inode on the list costs at least one. */
		nr_to_scan -= min(nr_to_scan, max(nr_r + nr_w, 1UL));
	}
	return freed;
}

/* Bring the connection's caches back under their limit. */
static void fuse_iomap_cache_enforce(struct fuse_conn *fc)
{
	struct fuse_iomap_cache_conn *cc = &fc->iomap_conn.cache;
	long over = atomic_long_read(&cc->nr_entries) - cc->max_entries;
	unsigned long freed;

	if (over <= 0)
		return;
	/* Some slack, so that the next fills do not scan again at once. */
	over += cc->max_entries / 64;
	freed = fuse_iomap_cache_scan(cc, 2 * over);
	atomic_long_add(freed, &cc->stats[FUSE_IOMAP_STAT_EVICTIONS]);
}

static unsigned long fuse_iomap_cache_shrink_count(struct shrinker *shrink,
						   struct shrink_control *sc)
{
	struct fuse_iomap_cache_conn *cc = shrink->private_data;
	long nr = atomic_long_read(&cc->nr_entries);

	return nr > 0 ? nr : SHRINK_EMPTY;
}

static unsigned long fuse_iomap_cache_shrink_scan(struct shrinker *shrink,
						  struct shrink_control *sc)
{
	struct fuse_iomap_cache_conn *cc = shrink->private_data;
	unsigned long freed;

	freed = fuse_iomap_cache_scan(cc, sc->nr_to_scan);
	atomic_long_add(freed, &cc->stats[FUSE_IOMAP_STAT_SHRUNK]);
	return freed;
}

/* After a change that may have given an empty cache entries. */
static void fuse_iomap_cache_track(struct inode *inode)
{
	struct fuse_iomap_cache_conn *cc = fuse_iomap_cc(inode);
	struct fuse_iomap_inode *ii = fuse_iomap_ii(inode);

	if (!list_empty_careful(&ii->cache_link) ||
	    !fuse_iomap_ii_entries(ii))
		return;
	spin_lock(&cc->lock);
	if (list_empty(&ii->cache_link))
		list_add_tail(&ii->cache_link, &cc->inodes);
	spin_unlock(&cc->lock);
}

/**
 * fuse_iomap_cache_serves - may a cached mapping serve an operation?
 * @map: the mapping, from the cache the operation looks in
 * @opflags: FUSE_IOMAP_OP_* of the operation
 *
 * Reads take anything the read cache has (direct I/O no delalloc).
 * Writes take blocks they can write in place: not shared ones, which need
 * the old data as a source; delalloc only for buffered writes, as
 * writeback and direct I/O need real blocks.
 *
 * Return: true if the operation can use @map as it is.
 */
VISIBLE_IF_KUNIT
bool fuse_iomap_cache_serves(const struct fuse_iomap_io *map, u32 opflags)
{
	if (!(opflags & FUSE_IOMAP_OP_WRITE))
		return !((opflags & FUSE_IOMAP_OP_DIRECT) &&
			 map->type == FUSE_IOMAP_TYPE_DELALLOC);
	if (map->flags & FUSE_IOMAP_F_SHARED)
		return false;
	switch (map->type) {
	case FUSE_IOMAP_TYPE_MAPPED:
	case FUSE_IOMAP_TYPE_UNWRITTEN:
		return true;
	case FUSE_IOMAP_TYPE_DELALLOC:
		return !(opflags & (FUSE_IOMAP_OP_DIRECT |
				    FUSE_IOMAP_OP_WRITEBACK));
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_cache_serves);

/**
 * fuse_iomap_cache_find - look for a cached mapping an operation can use
 * @inode: the file
 * @pos: file position
 * @opflags: FUSE_IOMAP_OP_* of the operation
 * @map: set to the mapping on a hit
 * @seq: set to the inode's sequence number the mapping is valid for
 *
 * Reports (FIEMAP, SEEK_DATA/HOLE) always ask the server.
 *
 * Return: true on a hit.
 */
bool fuse_iomap_cache_find(struct inode *inode, u64 pos, u32 opflags,
			   struct fuse_iomap_io *map, u64 *seq)
{
	struct fuse_conn *fc = get_fuse_conn(inode);
	struct fuse_iomap_inode *ii = fuse_iomap_ii(inode);
	bool write = opflags & FUSE_IOMAP_OP_WRITE;
	bool hit;

	if (!fuse_iomap_cache_enabled(fc) || (opflags & FUSE_IOMAP_OP_REPORT))
		return false;

	read_lock(&ii->cache_lock);
	hit = fuse_iomap_cache_lookup(write ? &ii->wcache : &ii->rcache, pos,
				      map) &&
	      fuse_iomap_cache_serves(map, opflags);
	*seq = atomic64_read(&ii->seq);
	read_unlock(&ii->cache_lock);

	fuse_iomap_cache_stat(fc, hit ? FUSE_IOMAP_STAT_HITS :
					FUSE_IOMAP_STAT_MISSES);
	trace_fuse_iomap_cache_lookup(inode, pos, opflags, hit ? map : NULL);
	return hit;
}

/* Sample what a fill must find unchanged; before sending the request. */
void fuse_iomap_cache_sample(struct inode *inode,
			     struct fuse_iomap_cache_cookie *cookie)
{
	cookie->seq = atomic64_read(&fuse_iomap_ii(inode)->seq);
	cookie->gen = atomic64_read(&fuse_iomap_cc(inode)->gen);
}

/* Only the types the caches hold, and write mappings usable in place. */
static bool fuse_iomap_cache_keeps(const struct fuse_iomap_io *map,
				   bool write)
{
	switch (map->type) {
	case FUSE_IOMAP_TYPE_HOLE:
		return !write;
	case FUSE_IOMAP_TYPE_DELALLOC:
	case FUSE_IOMAP_TYPE_MAPPED:
	case FUSE_IOMAP_TYPE_UNWRITTEN:
		return !(write && (map->flags & FUSE_IOMAP_F_SHARED));
	}
	return false;
}

/* Store @map (when @put) in @c; account the change. */
static void fuse_iomap_cache_put(struct fuse_iomap_cache *c,
				 const struct fuse_iomap_io *map,
				 struct fuse_iomap_cache_prealloc *pa)
{
	struct fuse_iomap_io m = *map;

	/*
	 * NEW tells the first user of freshly allocated blocks to zero what
	 * it does not write; whoever comes later finds them initialised.
	 */
	m.flags &= ~FUSE_IOMAP_F_NEW;
	fuse_iomap_cache_upsert(c, &m, pa);
}

/**
 * fuse_iomap_cache_plan - what to cache of a FUSE_IOMAP_BEGIN reply
 * @out: the reply, validated, without RETRY_CACHE
 * @opflags: FUSE_IOMAP_OP_* of the request
 * @rmap: set to the mapping for the read cache, or NULL
 * @wmap: set to the mapping for the write cache, or NULL
 * @gone: set to the range the read cache must forget, or NULL
 *
 * The read mapping of a read, and of a write answered PURE_OVERWRITE, is
 * where the data is: it goes to the read cache.  A write mapping counts
 * for later writes only if the request was for direct I/O or writeback,
 * which write to the device: a buffered write or page fault only fills
 * the page cache, and its answer (say PURE_OVERWRITE over blocks another
 * file shares) need not be a place to write to.  A write answered with a
 * mapping of its own may have been given new blocks: what the read cache
 * holds for that range (a hole, say) is about to become wrong.
 */
VISIBLE_IF_KUNIT
void fuse_iomap_cache_plan(const struct fuse_iomap_begin_out *out,
			   u32 opflags, const struct fuse_iomap_io **rmap,
			   const struct fuse_iomap_io **wmap,
			   const struct fuse_iomap_io **gone)
{
	bool to_disk = opflags & (FUSE_IOMAP_OP_DIRECT |
				  FUSE_IOMAP_OP_WRITEBACK);

	*rmap = *wmap = *gone = NULL;
	if (!(opflags & FUSE_IOMAP_OP_WRITE)) {
		*rmap = &out->read;
	} else if (out->write.type == FUSE_IOMAP_TYPE_PURE_OVERWRITE) {
		*rmap = &out->read;
		if (to_disk)
			*wmap = &out->read;
	} else {
		*gone = &out->write;
		if (to_disk)
			*wmap = &out->write;
	}
	if (*rmap && !fuse_iomap_cache_keeps(*rmap, false))
		*rmap = NULL;
	if (*wmap && !fuse_iomap_cache_keeps(*wmap, true))
		*wmap = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_cache_plan);

/**
 * fuse_iomap_cache_fill - store a FUSE_IOMAP_BEGIN reply
 * @inode: the file
 * @out: the reply, validated, without RETRY_CACHE
 * @opflags: FUSE_IOMAP_OP_* of the request
 * @cookie: fuse_iomap_cache_sample() from before the request was sent
 *
 * Stores what fuse_iomap_cache_plan() picks, unless the layout changed
 * since @cookie was taken, as the reply may predate the change.
 *
 * Return: the sequence number the reply's mappings are valid for.
 */
u64 fuse_iomap_cache_fill(struct inode *inode,
			  const struct fuse_iomap_begin_out *out, u32 opflags,
			  const struct fuse_iomap_cache_cookie *cookie)
{
	struct fuse_conn *fc = get_fuse_conn(inode);
	struct fuse_iomap_cache_conn *cc = &fc->iomap_conn.cache;
	struct fuse_iomap_inode *ii = fuse_iomap_ii(inode);
	const struct fuse_iomap_io *rmap = NULL, *wmap = NULL, *gone = NULL;
	struct fuse_iomap_cache_prealloc rpa = {}, wpa = {}, gpa = {};
	const gfp_t gfp = GFP_NOFS | __GFP_NOWARN;
	unsigned long before;
	u64 seq = cookie->seq;
	bool fresh;

	if (!fuse_iomap_cache_enabled(fc))
		return seq;

	fuse_iomap_cache_plan(out, opflags, &rmap, &wmap, &gone);
	/* A failed allocation only means that nothing gets cached. */
	if (rmap && fuse_iomap_cache_prealloc_fill(&rpa, gfp))
		rmap = NULL;
	if (wmap && fuse_iomap_cache_prealloc_fill(&wpa, gfp))
		wmap = NULL;
	/* ... or that all of an extent the blocks are cut from goes. */
	if (gone)
		fuse_iomap_cache_prealloc_fill(&gpa, gfp);

	before = fuse_iomap_cache_wlock(ii);
	fresh = atomic64_read(&ii->seq) == cookie->seq &&
		atomic64_read(&cc->gen) == cookie->gen && !ii->changing;
	if (gone) {
		/* Dropping is always safe, even without a split entry. */
		fuse_iomap_cache_remove(&ii->rcache, gone->offset,
					gone->length, &gpa);
		atomic64_inc(&ii->seq);
		/* This reply is valid after the bump, unless it was stale. */
		if (fresh)
			seq++;
	}
	if (fresh && rmap)
		fuse_iomap_cache_put(&ii->rcache, rmap, &rpa);
	if (fresh && wmap)
		fuse_iomap_cache_put(&ii->wcache, wmap, &wpa);
	fuse_iomap_cache_wunlock(cc, ii, before);
	fuse_iomap_cache_prealloc_release(&rpa);
	fuse_iomap_cache_prealloc_release(&wpa);
	fuse_iomap_cache_prealloc_release(&gpa);

	if (rmap || wmap) {
		fuse_iomap_cache_stat(fc, fresh ? FUSE_IOMAP_STAT_FILLS :
					  FUSE_IOMAP_STAT_FILLS_RACED);
		fuse_iomap_cache_track(inode);
		fuse_iomap_cache_enforce(fc);
	}
	return seq;
}

/*
 * Forget the blocks of a file range in both caches and bump the sequence
 * number, under the cache lock: a fill sampled before cannot store, and
 * every mapping handed out before is invalid for iomap.  With entries in
 * @pa (one per cache), an entry that covers the range and more on both
 * sides keeps its two ends; without, it goes whole.
 */
static void fuse_iomap_cache_drop(struct inode *inode, u64 offset,
				  u64 length, bool begin,
				  struct fuse_iomap_cache_prealloc *pa)
{
	struct fuse_iomap_cache_conn *cc = fuse_iomap_cc(inode);
	struct fuse_iomap_inode *ii = fuse_iomap_ii(inode);
	unsigned long before;

	before = fuse_iomap_cache_wlock(ii);
	fuse_iomap_cache_remove_blocks(&ii->rcache, offset, length,
				       i_blocksize(inode), pa);
	fuse_iomap_cache_remove_blocks(&ii->wcache, offset, length,
				       i_blocksize(inode), pa);
	atomic64_inc(&ii->seq);
	if (begin)
		ii->changing++;
	fuse_iomap_cache_wunlock(cc, ii, before);
	trace_fuse_iomap_cache_inval(inode, offset, length, "kernel");
}

/**
 * fuse_iomap_cache_invalidate - the mappings of a file range changed
 * @inode: the file
 * @offset: file offset, bytes
 * @length: bytes; FUSE_IOMAP_INVAL_TO_EOF for everything from @offset on
 *
 * For changes the kernel makes around a request to the server: call it
 * before sending the request and again after the answer, so that nothing
 * the server said in between is kept.  May be called under fi->lock.
 */
void fuse_iomap_cache_invalidate(struct inode *inode, u64 offset, u64 length)
{
	fuse_iomap_cache_drop(inode, offset, length, false, NULL);
	fuse_iomap_cache_stat(get_fuse_conn(inode),
			      FUSE_IOMAP_STAT_LAYOUT_INVALS);
}

/**
 * fuse_iomap_cache_change_begin - a layout change of a range is starting
 * @inode: the file
 * @offset: file offset, bytes
 * @length: bytes; FUSE_IOMAP_INVAL_TO_EOF for everything from @offset on
 *
 * Like fuse_iomap_cache_invalidate(), and until the matching
 * fuse_iomap_cache_change_end() no begin reply is cached, while mappings
 * the server pushes during the change are: they are newer than it.  May
 * sleep: what is left of an extent the range is cut from stays cached.
 */
void fuse_iomap_cache_change_begin(struct inode *inode, u64 offset,
				   u64 length)
{
	struct fuse_iomap_cache_prealloc pa = {};

	/*
	 * Keep the rest of an extent the range is cut from: the next I/O
	 * around it (say the next write into the same preallocated extent)
	 * needs no upcall.  Without the memory it is dropped whole.
	 */
	if (fuse_iomap_cache_enabled(get_fuse_conn(inode)))
		fuse_iomap_cache_prealloc_fill(&pa, GFP_NOFS | __GFP_NOWARN);
	fuse_iomap_cache_drop(inode, offset, length, true, &pa);
	fuse_iomap_cache_prealloc_release(&pa);
	fuse_iomap_cache_stat(get_fuse_conn(inode),
			      FUSE_IOMAP_STAT_LAYOUT_INVALS);
}

/* The layout change is complete; the server has answered. */
void fuse_iomap_cache_change_end(struct inode *inode)
{
	struct fuse_iomap_inode *ii = fuse_iomap_ii(inode);

	write_lock(&ii->cache_lock);
	atomic64_inc(&ii->seq);
	if (!WARN_ON_ONCE(!ii->changing))
		ii->changing--;
	write_unlock(&ii->cache_lock);
}

/**
 * fuse_iomap_cache_upsert_mappings - store mappings the server pushed
 * @inode: the file
 * @rmap: read mapping to store, or NULL
 * @wmap: write mapping to store, or NULL
 *
 * The mappings were validated by fuse_iomap_check_upsert().  They replace
 * whatever the caches held for their ranges, and the sequence number
 * moves, so that no begin reply from before them overwrites them.
 *
 * Return: 0, -EOPNOTSUPP if the connection does not cache, or -ENOMEM.
 */
int fuse_iomap_cache_upsert_mappings(struct inode *inode,
				     const struct fuse_iomap_io *rmap,
				     const struct fuse_iomap_io *wmap)
{
	struct fuse_conn *fc = get_fuse_conn(inode);
	struct fuse_iomap_cache_conn *cc = &fc->iomap_conn.cache;
	struct fuse_iomap_inode *ii = fuse_iomap_ii(inode);
	struct fuse_iomap_cache_prealloc rpa = {}, wpa = {};
	unsigned long before;
	int err = 0;

	if (!fuse_iomap_cache_enabled(fc))
		return -EOPNOTSUPP;
	if (rmap)
		err = fuse_iomap_cache_prealloc_fill(&rpa, GFP_KERNEL);
	if (!err && wmap)
		err = fuse_iomap_cache_prealloc_fill(&wpa, GFP_KERNEL);
	if (err)
		goto out;

	before = fuse_iomap_cache_wlock(ii);
	if (rmap)
		fuse_iomap_cache_put(&ii->rcache, rmap, &rpa);
	if (wmap)
		fuse_iomap_cache_put(&ii->wcache, wmap, &wpa);
	atomic64_inc(&ii->seq);
	fuse_iomap_cache_wunlock(cc, ii, before);

	fuse_iomap_cache_stat(fc, FUSE_IOMAP_STAT_UPSERTS);
	fuse_iomap_cache_track(inode);
	fuse_iomap_cache_enforce(fc);
out:
	fuse_iomap_cache_prealloc_release(&rpa);
	fuse_iomap_cache_prealloc_release(&wpa);
	return err;
}

/**
 * fuse_iomap_cache_inval_mappings - forget mappings the server revoked
 * @inode: the file
 * @read: file range of the read cache to forget (length 0: none)
 * @write: file range of the write cache to forget (length 0: none)
 *
 * The ranges were checked by fuse_iomap_check_inval_range().
 */
void fuse_iomap_cache_inval_mappings(struct inode *inode,
				     const struct fuse_range *read,
				     const struct fuse_range *write)
{
	struct fuse_iomap_cache_conn *cc = fuse_iomap_cc(inode);
	struct fuse_iomap_inode *ii = fuse_iomap_ii(inode);
	struct fuse_iomap_cache_prealloc pa = {};
	unsigned long before;

	/* Split rather than drop what the ranges are cut from, if we can. */
	fuse_iomap_cache_prealloc_fill(&pa, GFP_KERNEL | __GFP_NOWARN);
	before = fuse_iomap_cache_wlock(ii);
	fuse_iomap_cache_remove(&ii->rcache, read->offset, read->length, &pa);
	fuse_iomap_cache_remove(&ii->wcache, write->offset, write->length,
				&pa);
	atomic64_inc(&ii->seq);
	fuse_iomap_cache_wunlock(cc, ii, before);
	fuse_iomap_cache_prealloc_release(&pa);

	fuse_iomap_cache_stat(get_fuse_conn(inode), FUSE_IOMAP_STAT_INVALS);
	if (read->length)
		trace_fuse_iomap_cache_inval(inode, read->offset, read->length,
					     "server (read)");
	if (write->length)
		trace_fuse_iomap_cache_inval(inode, write->offset,
					     write->length, "server (write)");
}

/* Forget one inode's mappings of a device range, a step at a time. */
static void fuse_iomap_cache_dev_inval_inode(struct fuse_iomap_cache_conn *cc,
					     struct fuse_iomap_inode *ii,
					     u32 dev, u64 addr, u64 length)
{
	struct fuse_iomap_cache *caches[] = { &ii->rcache, &ii->wcache };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(caches); i++) {
		struct fuse_iomap_cache_walk walk = {};
		unsigned long before, scanned, dropped;
		bool done;
		u64 start;

		do {
			scanned = walk.scanned;
			dropped = walk.dropped;
			before = fuse_iomap_cache_wlock(ii);
			start = fuse_iomap_cache_step_start();
			done = fuse_iomap_cache_remove_dev(caches[i], dev, addr,
							   length, &walk,
							   FUSE_IOMAP_CACHE_STEP);
			/* Mappings iomap holds from before are stale now. */
			if (walk.dropped != dropped)
				atomic64_inc(&ii->seq);
			trace_fuse_iomap_cache_step(ii->inode, "dev_inval",
						    walk.scanned - scanned,
						    walk.dropped - dropped,
						    fuse_iomap_cache_step_held(start));
			fuse_iomap_cache_wunlock(cc, ii, before);
			cond_resched();
		} while (!done);
	}
}

/**
 * fuse_iomap_cache_dev_inval - forget every mapping of a device range
 * @fc: the connection
 * @dev: device cookie
 * @addr: device offset, bytes
 * @length: bytes; FUSE_IOMAP_INVAL_TO_EOF for the rest of the device
 *
 * Also moves the connection's generation first, so that no begin reply
 * sent before is stored.  The caches are walked in steps, with no lock
 * held between them: the inodes of the connection's list are taken off it
 * at the start and put back one at a time, each pinned while its caches
 * are walked (its eviction waits for the pin; a reference would make this
 * thread, the server's, evict the inode when it put the last one, which
 * may wait for the server).  Inodes that get mappings meanwhile got them
 * from replies sent after the generation moved, or from upserts, which
 * are newer than this invalidation.  When this returns, no mapping of the
 * range that the server gave before is left.  One device invalidation
 * walks at a time, so that each sees the inodes another has set aside.
 */
void fuse_iomap_cache_dev_inval(struct fuse_conn *fc, u32 dev, u64 addr,
				u64 length)
{
	struct fuse_iomap_cache_conn *cc = &fc->iomap_conn.cache;
	struct fuse_iomap_inode *ii;
	LIST_HEAD(todo);

	atomic64_inc(&cc->gen);
	mutex_lock(&cc->dev_inval_mutex);
	spin_lock(&cc->lock);
	list_splice_init(&cc->inodes, &todo);
	while ((ii = list_first_entry_or_null(&todo, struct fuse_iomap_inode,
					      cache_link))) {
		list_move_tail(&ii->cache_link, &cc->inodes);
		atomic_inc(&ii->cache_pins);
		spin_unlock(&cc->lock);

		fuse_iomap_cache_dev_inval_inode(cc, ii, dev, addr, length);
		if (atomic_dec_and_test(&ii->cache_pins))
			wake_up_var(&ii->cache_pins);

		spin_lock(&cc->lock);
	}
	spin_unlock(&cc->lock);
	mutex_unlock(&cc->dev_inval_mutex);
	fuse_iomap_cache_stat(fc, FUSE_IOMAP_STAT_DEV_INVALS);
}

static const char * const fuse_iomap_stat_names[FUSE_IOMAP_NR_STATS] = {
	[FUSE_IOMAP_STAT_HITS]		= "hits",
	[FUSE_IOMAP_STAT_MISSES]	= "misses",
	[FUSE_IOMAP_STAT_FILLS]		= "fills",
	[FUSE_IOMAP_STAT_FILLS_RACED]	= "fills_raced",
	[FUSE_IOMAP_STAT_RETRIES]	= "retries",
	[FUSE_IOMAP_STAT_UPSERTS]	= "upserts",
	[FUSE_IOMAP_STAT_INVALS]	= "invals",
	[FUSE_IOMAP_STAT_DEV_INVALS]	= "dev_invals",
	[FUSE_IOMAP_STAT_LAYOUT_INVALS]	= "layout_invals",
	[FUSE_IOMAP_STAT_EVICTIONS]	= "evictions",
	[FUSE_IOMAP_STAT_SHRUNK]	= "shrunk",
	[FUSE_IOMAP_STAT_REJECTED]	= "rejected",
};

static int fuse_iomap_cache_stats_show(struct seq_file *m, void *v)
{
	struct fuse_iomap_cache_conn *cc = m->private;
	size_t esize = fuse_iomap_cache_entry_size();
	long nr = atomic_long_read(&cc->nr_entries);
	int i;

	for (i = 0; i < FUSE_IOMAP_NR_STATS; i++)
		seq_printf(m, "%s %ld\n", fuse_iomap_stat_names[i],
			   atomic_long_read(&cc->stats[i]));
	seq_printf(m, "entries %ld\n", nr);
	seq_printf(m, "bytes %ld\n", nr * (long)esize);
	seq_printf(m, "max_entries %lu\n", cc->max_entries);
	seq_printf(m, "max_bytes %lu\n", cc->max_entries * esize);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fuse_iomap_cache_stats);

void fuse_iomap_cache_debugfs_init(void)
{
	fuse_iomap_debugfs_root = debugfs_create_dir("fuse-iomap", NULL);
}

void fuse_iomap_cache_debugfs_exit(void)
{
	debugfs_remove(fuse_iomap_debugfs_root);
}

void fuse_iomap_cache_conn_init(struct fuse_conn *fc)
{
	struct fuse_iomap_cache_conn *cc = &fc->iomap_conn.cache;

	spin_lock_init(&cc->lock);
	INIT_LIST_HEAD(&cc->inodes);
	mutex_init(&cc->dev_inval_mutex);
}

/**
 * fuse_iomap_cache_conn_setup - start caching for an iomap connection
 * @fc: the connection, configured (FUSE_IOMAP_CONFIG answered)
 * @maxbytes: the server's limit; 0 turns caching off
 *
 * Creates the connection's counters in debugfs
 * (fuse-iomap/<connection>/cache) and, when caching, its shrinker.  No
 * file I/O has happened yet.
 */
void fuse_iomap_cache_conn_setup(struct fuse_conn *fc, u32 maxbytes)
{
	struct fuse_iomap_cache_conn *cc = &fc->iomap_conn.cache;
	char name[16];

	snprintf(name, sizeof(name), "%u", fc->dev);
	cc->debugfs = debugfs_create_dir(name, fuse_iomap_debugfs_root);
	debugfs_create_file("cache", 0444, cc->debugfs, cc,
			    &fuse_iomap_cache_stats_fops);

	maxbytes = min(maxbytes, fuse_iomap_cache_max_offer());
	if (maxbytes < fuse_iomap_cache_entry_size())
		return;

	cc->shrinker = shrinker_alloc(0, "fuse-iomap:%u", fc->dev);
	if (!cc->shrinker) {
		pr_warn_ratelimited("fuse: no memory for a mapping cache shrinker; not caching\n");
		return;
	}
	cc->shrinker->count_objects = fuse_iomap_cache_shrink_count;
	cc->shrinker->scan_objects = fuse_iomap_cache_shrink_scan;
	cc->shrinker->private_data = cc;
	shrinker_register(cc->shrinker);
	WRITE_ONCE(cc->max_entries, maxbytes / fuse_iomap_cache_entry_size());
}

/* The connection is going away; its inodes are gone already. */
void fuse_iomap_cache_conn_put(struct fuse_conn *fc)
{
	struct fuse_iomap_cache_conn *cc = &fc->iomap_conn.cache;

	debugfs_remove(cc->debugfs);
	shrinker_free(cc->shrinker);
	WARN_ON_ONCE(atomic_long_read(&cc->nr_entries));
}
