// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-iomap: the per-inode mapping cache.
 *
 * One struct fuse_iomap_cache holds the mappings of one direction (read or
 * write) of one inode, as the server handed them to the kernel: disjoint
 * byte ranges of the file, each mapped to a device range or known to be a
 * hole or delalloc.  A newer mapping replaces whatever it overlaps;
 * neighbours that describe one contiguous extent are merged, so the tree
 * is always in its canonical form and a lookup returns the largest mapping
 * the cache can vouch for.
 *
 * Entries never overlap, so a plain rbtree keyed by file offset finds the
 * entry at a position in O(log n) with nothing augmented, as ext4's extent
 * status tree does.  The maple tree would be the other candidate, but it
 * indexes unsigned long (32 bits on 32-bit machines; file offsets are
 * 64 bits), its values are pointers, so every mapping would still need an
 * allocation of its own besides the tree's nodes, and an upsert (trims, a
 * split, the store, merges) would need worst-case node preallocation for
 * each of its stores.  With the rbtree a change needs at most two new
 * entries (a split and the new mapping), which the caller allocates
 * before taking its lock, so that nothing here sleeps, allocates or fails
 * halfway.
 *
 * Locking is the caller's: one lock per cache (or per inode for both of
 * its caches), a spinlock or an rwlock.  Upsert, remove, evict and destroy
 * change the tree and need the lock exclusively; lookup and next may share
 * it (lookup only sets an entry's referenced hint, with a marked store).
 * Nothing here sleeps.  Entries come from fuse_iomap_cache_prealloc_fill(), called
 * without the lock, with the gfp the caller's context allows.
 *
 * Mappings are checked by fuse_iomap_check_io() before they get here, and
 * the cache keeps only mappings iomap can use as they are: HOLE, DELALLOC,
 * MAPPED and UNWRITTEN.  The checks in fuse_iomap_cache_upsert() only keep
 * the tree consistent should a caller forget; they are not the validation.
 */

#include <kunit/visibility.h>
#include <linux/overflow.h>
#include <linux/rbtree.h>
#include <linux/slab.h>

#include "fuse_i.h"

/*
 * One cached mapping: 56 bytes on 64-bit machines.  The type is one of
 * the four cached types and fits in a byte; the wire flags fit in 16 bits.
 */
struct fuse_iomap_cache_entry {
	struct rb_node	node;
	u64		offset;		/* file offset, bytes */
	u64		length;		/* bytes, never 0 */
	u64		addr;		/* device offset, or FUSE_IOMAP_NULL_ADDR */
	u32		dev;		/* device cookie, or FUSE_IOMAP_DEV_NULL */
	u16		flags;		/* FUSE_IOMAP_F_* */
	u8		type;		/* FUSE_IOMAP_TYPE_* */
	u8		referenced;	/* looked up since the last eviction scan */
};

static struct kmem_cache *fuse_iomap_cache_slab;

/**
 * fuse_iomap_cache_module_init - create the slab cache of mapping entries
 *
 * Return: 0 or -ENOMEM.
 */
int fuse_iomap_cache_module_init(void)
{
	fuse_iomap_cache_slab = KMEM_CACHE(fuse_iomap_cache_entry,
					   SLAB_RECLAIM_ACCOUNT);
	return fuse_iomap_cache_slab ? 0 : -ENOMEM;
}

/**
 * fuse_iomap_cache_module_exit - destroy the slab cache of mapping entries
 *
 * Every cache must have been destroyed before.
 */
void fuse_iomap_cache_module_exit(void)
{
	kmem_cache_destroy(fuse_iomap_cache_slab);
}

static bool fuse_iomap_cache_type_ok(u16 type)
{
	switch (type) {
	case FUSE_IOMAP_TYPE_HOLE:
	case FUSE_IOMAP_TYPE_DELALLOC:
	case FUSE_IOMAP_TYPE_MAPPED:
	case FUSE_IOMAP_TYPE_UNWRITTEN:
		return true;
	}
	return false;
}

static inline struct fuse_iomap_cache_entry *
fuse_iomap_cache_entry_of(struct rb_node *node)
{
	return rb_entry_safe(node, struct fuse_iomap_cache_entry, node);
}

/* Exclusive end; no overflow, as upsert checked offset + length. */
static inline u64 fuse_iomap_cache_end(const struct fuse_iomap_cache_entry *e)
{
	return e->offset + e->length;
}

static void fuse_iomap_cache_to_io(const struct fuse_iomap_cache_entry *e,
				   struct fuse_iomap_io *out)
{
	out->offset = e->offset;
	out->length = e->length;
	out->addr = e->addr;
	out->type = e->type;
	out->flags = e->flags;
	out->dev = e->dev;
}

static void fuse_iomap_cache_from_io(struct fuse_iomap_cache_entry *e,
				     const struct fuse_iomap_io *map)
{
	e->offset = map->offset;
	e->length = map->length;
	e->addr = map->addr;
	e->type = map->type;
	e->flags = map->flags;
	e->dev = map->dev;
	e->referenced = 0;
}

/*
 * Whether an extent {@type, @flags, @dev, @addr} starting where @left ends
 * describes the same extent as @left.  A BOUNDARY mapping tells iomap not
 * to merge I/O across its start, so such mappings are never merged either.
 */
static bool fuse_iomap_cache_can_merge(const struct fuse_iomap_cache_entry *left,
				       u16 type, u16 flags, u32 dev, u64 addr)
{
	if (left->type != type || left->flags != flags || left->dev != dev)
		return false;
	if (flags & FUSE_IOMAP_F_BOUNDARY)
		return false;
	if (fuse_iomap_type_has_blocks(type))
		return left->addr + left->length == addr;
	return true;
}

/* The first entry that ends after @pos: the one covering it, or the next. */
static struct fuse_iomap_cache_entry *
fuse_iomap_cache_first_after(const struct fuse_iomap_cache *c, u64 pos)
{
	struct rb_node *node = c->root.rb_node;
	struct fuse_iomap_cache_entry *found = NULL;

	while (node) {
		struct fuse_iomap_cache_entry *e = fuse_iomap_cache_entry_of(node);

		if (pos < fuse_iomap_cache_end(e)) {
			found = e;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	return found;
}

static inline struct fuse_iomap_cache_entry *
fuse_iomap_cache_next_entry(struct fuse_iomap_cache_entry *e)
{
	return fuse_iomap_cache_entry_of(rb_next(&e->node));
}

static void fuse_iomap_cache_link(struct fuse_iomap_cache *c,
				  struct fuse_iomap_cache_entry *new)
{
	struct rb_node **link = &c->root.rb_node, *parent = NULL;

	while (*link) {
		struct fuse_iomap_cache_entry *e = fuse_iomap_cache_entry_of(*link);

		parent = *link;
		/* Callers made room: ranges never overlap. */
		WARN_ON_ONCE(new->offset < fuse_iomap_cache_end(e) &&
			     e->offset < fuse_iomap_cache_end(new));
		if (new->offset < e->offset)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&new->node, parent, link);
	rb_insert_color(&new->node, &c->root);
	WRITE_ONCE(c->nr_entries, c->nr_entries + 1);
}

static void fuse_iomap_cache_erase(struct fuse_iomap_cache *c,
				   struct fuse_iomap_cache_entry *e)
{
	rb_erase(&e->node, &c->root);
	WRITE_ONCE(c->nr_entries, c->nr_entries - 1);
	kmem_cache_free(fuse_iomap_cache_slab, e);
}

/* Drop the first @pos - offset bytes of @e; the entry keeps its place. */
static void fuse_iomap_cache_trim_front(struct fuse_iomap_cache_entry *e,
					u64 pos)
{
	u64 delta = pos - e->offset;

	e->offset = pos;
	e->length -= delta;
	if (fuse_iomap_type_has_blocks(e->type))
		e->addr += delta;
}

static unsigned int
fuse_iomap_cache_prealloc_count(const struct fuse_iomap_cache_prealloc *pa)
{
	unsigned int i, n = 0;

	for (i = 0; pa && i < ARRAY_SIZE(pa->entries); i++)
		n += !!pa->entries[i];
	return n;
}

static struct fuse_iomap_cache_entry *
fuse_iomap_cache_prealloc_take(struct fuse_iomap_cache_prealloc *pa)
{
	struct fuse_iomap_cache_entry *e;
	unsigned int i;

	for (i = 0; pa && i < ARRAY_SIZE(pa->entries); i++) {
		e = pa->entries[i];
		if (e) {
			pa->entries[i] = NULL;
			return e;
		}
	}
	return NULL;
}

/**
 * fuse_iomap_cache_prealloc_fill - allocate the entries the next change needs
 * @pa: preallocation; zeroed before first use, slots already filled are kept
 * @gfp: allocation flags; called without the cache lock when they can sleep
 *
 * Fills every empty slot of @pa, enough for one fuse_iomap_cache_upsert()
 * and for a fuse_iomap_cache_remove() that splits an entry.  Whatever the
 * result, fuse_iomap_cache_prealloc_release() must be called afterwards.
 *
 * Return: 0, or -ENOMEM with some slots possibly left empty.
 */
int fuse_iomap_cache_prealloc_fill(struct fuse_iomap_cache_prealloc *pa,
				   gfp_t gfp)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pa->entries); i++) {
		if (pa->entries[i])
			continue;
		pa->entries[i] = kmem_cache_alloc(fuse_iomap_cache_slab, gfp);
		if (!pa->entries[i])
			return -ENOMEM;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_cache_prealloc_fill);

/**
 * fuse_iomap_cache_prealloc_release - free the entries a change did not use
 * @pa: preallocation
 *
 * May be called with the cache lock held; @pa is empty afterwards.
 */
void fuse_iomap_cache_prealloc_release(struct fuse_iomap_cache_prealloc *pa)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pa->entries); i++) {
		if (pa->entries[i])
			kmem_cache_free(fuse_iomap_cache_slab, pa->entries[i]);
		pa->entries[i] = NULL;
	}
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_cache_prealloc_release);

/**
 * fuse_iomap_cache_init - set up an empty cache
 * @c: cache
 */
void fuse_iomap_cache_init(struct fuse_iomap_cache *c)
{
	c->root = RB_ROOT;
	c->nr_entries = 0;
	c->scan_pos = 0;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_cache_init);

/**
 * fuse_iomap_cache_destroy - free every entry of a cache
 * @c: cache; empty and ready for reuse afterwards
 *
 * Takes time linear in the number of entries; meant for inode eviction,
 * where nobody else can reach the cache.
 */
void fuse_iomap_cache_destroy(struct fuse_iomap_cache *c)
{
	struct fuse_iomap_cache_entry *e, *n;

	rbtree_postorder_for_each_entry_safe(e, n, &c->root, node)
		kmem_cache_free(fuse_iomap_cache_slab, e);
	c->root = RB_ROOT;
	WRITE_ONCE(c->nr_entries, 0);
	c->scan_pos = 0;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_cache_destroy);

/*
 * Make [@start, @end) empty.  An entry that covers the whole range and
 * more on both sides is split, with an entry from @pa; when @pa is empty
 * the entry is dropped whole instead, which only costs a later upcall.
 * Entries overlapping one edge are trimmed.
 */
static void fuse_iomap_cache_punch(struct fuse_iomap_cache *c, u64 start,
				   u64 end, struct fuse_iomap_cache_prealloc *pa)
{
	struct fuse_iomap_cache_entry *e, *next, *tail;

	e = fuse_iomap_cache_first_after(c, start);
	if (!e)
		return;

	if (e->offset < start) {
		if (fuse_iomap_cache_end(e) > end) {
			tail = fuse_iomap_cache_prealloc_take(pa);
			if (!tail) {
				fuse_iomap_cache_erase(c, e);
				return;
			}
			*tail = *e;
			RB_CLEAR_NODE(&tail->node);
			fuse_iomap_cache_trim_front(tail, end);
			e->length = start - e->offset;
			fuse_iomap_cache_link(c, tail);
			return;
		}
		e->length = start - e->offset;
		e = fuse_iomap_cache_next_entry(e);
	}

	while (e && e->offset < end) {
		if (fuse_iomap_cache_end(e) > end) {
			fuse_iomap_cache_trim_front(e, end);
			return;
		}
		next = fuse_iomap_cache_next_entry(e);
		fuse_iomap_cache_erase(c, e);
		e = next;
	}
}

/**
 * fuse_iomap_cache_upsert - cache a mapping, replacing what it overlaps
 * @c: cache, locked exclusively by the caller
 * @map: the mapping; fuse_iomap_check_io() accepted it
 * @pa: preallocation filled by fuse_iomap_cache_prealloc_fill()
 *
 * Entries that @map overlaps are trimmed, split or dropped; the part of an
 * entry with blocks that survives past @map keeps mapping the same device
 * bytes (its address moves with its offset).  The new mapping is then
 * merged with neighbours that continue it: same type, flags and device,
 * no BOUNDARY flag, and for MAPPED and UNWRITTEN contiguous addresses.
 * Takes at most two entries from @pa and never allocates or sleeps.
 *
 * Return: 0; -EINVAL for a mapping the cache does not hold (types other
 * than HOLE, DELALLOC, MAPPED and UNWRITTEN, an empty or overflowing
 * range); -ENOMEM if @pa has too few entries.  On error nothing changed.
 */
int fuse_iomap_cache_upsert(struct fuse_iomap_cache *c,
			    const struct fuse_iomap_io *map,
			    struct fuse_iomap_cache_prealloc *pa)
{
	struct fuse_iomap_cache_entry *e, *prev, *next;
	unsigned int need = 1;
	u64 start = map->offset, end;

	if (!fuse_iomap_cache_type_ok(map->type) || !map->length ||
	    check_add_overflow(map->offset, map->length, &end))
		return -EINVAL;

	e = fuse_iomap_cache_first_after(c, start);
	if (e && e->offset < start && fuse_iomap_cache_end(e) > end)
		need++;
	if (fuse_iomap_cache_prealloc_count(pa) < need)
		return -ENOMEM;

	fuse_iomap_cache_punch(c, start, end, pa);

	/* Now nothing overlaps; find the neighbours that may continue it. */
	next = fuse_iomap_cache_first_after(c, start);
	prev = fuse_iomap_cache_entry_of(next ? rb_prev(&next->node) :
						rb_last(&c->root));

	if (prev && fuse_iomap_cache_end(prev) == start &&
	    fuse_iomap_cache_can_merge(prev, map->type, map->flags, map->dev,
				       map->addr)) {
		prev->length += map->length;
		e = prev;
	} else {
		e = fuse_iomap_cache_prealloc_take(pa);
		/* Counted above, and the punch took at most the other one. */
		if (WARN_ON_ONCE(!e))
			return -ENOMEM;
		fuse_iomap_cache_from_io(e, map);
		fuse_iomap_cache_link(c, e);
	}

	if (next && next->offset == end &&
	    fuse_iomap_cache_can_merge(e, next->type, next->flags, next->dev,
				       next->addr)) {
		e->length += next->length;
		e->referenced |= next->referenced;
		fuse_iomap_cache_erase(c, next);
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_cache_upsert);

/**
 * fuse_iomap_cache_lookup - find the cached mapping of a file position
 * @c: cache, locked by the caller (shared is enough)
 * @pos: file offset, bytes
 * @out: set to the whole entry covering @pos
 *
 * Marks the entry as recently used, which spares it from the next
 * eviction scan.
 *
 * Return: true if an entry covers @pos, false otherwise.
 */
bool fuse_iomap_cache_lookup(struct fuse_iomap_cache *c, u64 pos,
			     struct fuse_iomap_io *out)
{
	struct fuse_iomap_cache_entry *e;

	e = fuse_iomap_cache_first_after(c, pos);
	if (!e || e->offset > pos)
		return false;
	/* Lookups may run in parallel: all of them store the same value. */
	if (!READ_ONCE(e->referenced))
		WRITE_ONCE(e->referenced, 1);
	fuse_iomap_cache_to_io(e, out);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_cache_lookup);

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * fuse_iomap_cache_next - find the entry covering or following a position
 * @c: cache, locked by the caller (shared is enough)
 * @pos: file offset, bytes
 * @out: set to the first entry that ends after @pos
 *
 * The KUnit tests walk caches with it (it exists only with KUnit);
 * unlike fuse_iomap_cache_lookup() it does not count as a use.
 *
 * Return: true if there is such an entry.
 */
bool fuse_iomap_cache_next(const struct fuse_iomap_cache *c, u64 pos,
			   struct fuse_iomap_io *out)
{
	const struct fuse_iomap_cache_entry *e;

	e = fuse_iomap_cache_first_after(c, pos);
	if (!e)
		return false;
	fuse_iomap_cache_to_io(e, out);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_cache_next);
#endif

/**
 * fuse_iomap_cache_remove - forget the mappings of a file range
 * @c: cache, locked exclusively by the caller
 * @offset: file offset, bytes
 * @length: bytes; 0 removes nothing, FUSE_IOMAP_INVAL_TO_EOF everything
 *	    from @offset on
 * @pa: preallocation for a split, or NULL
 *
 * Entries overlapping an edge of the range are trimmed.  An entry that
 * covers the range and more on both sides is split with an entry from
 * @pa; without one it is dropped whole.  Forgetting more than asked is
 * always safe, and so is a range that would pass U64_MAX: it is clipped,
 * and everything from @offset on is removed.  Never allocates or sleeps.
 */
void fuse_iomap_cache_remove(struct fuse_iomap_cache *c, u64 offset,
			     u64 length, struct fuse_iomap_cache_prealloc *pa)
{
	u64 end;

	if (!length)
		return;
	if (check_add_overflow(offset, length, &end))
		end = U64_MAX;
	fuse_iomap_cache_punch(c, offset, end, pa);
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_cache_remove);

/**
 * fuse_iomap_cache_remove_blocks - forget the mappings of the blocks a
 *				    file range touches
 * @c: cache, locked exclusively by the caller
 * @offset: file offset, bytes
 * @length: bytes; FUSE_IOMAP_INVAL_TO_EOF for everything from @offset on
 * @blocksize: the file's block size, a power of two
 * @pa: preallocation for a split, or NULL
 *
 * For the kernel's own layout changes, whose ranges are in bytes: the
 * ioend of a sub-block direct write, an unaligned punch or zero range, a
 * clone to the end of a file.  The server changes whole blocks, and iomap
 * uses a mapping for the whole block around a position, so a mapping
 * trimmed inside a block would still describe that block as it was (a
 * stale unwritten tail makes a buffered write zero the block's head).
 * The range is widened to whole blocks, to the end if it would pass
 * U64_MAX.
 */
void fuse_iomap_cache_remove_blocks(struct fuse_iomap_cache *c, u64 offset,
				    u64 length, u32 blocksize,
				    struct fuse_iomap_cache_prealloc *pa)
{
	u64 end;

	if (!length)
		return;
	if (check_add_overflow(offset, length, &end) ||
	    end > round_down(U64_MAX, (u64)blocksize))
		end = U64_MAX;
	else
		end = round_up(end, (u64)blocksize);
	fuse_iomap_cache_punch(c, round_down(offset, (u64)blocksize), end, pa);
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_cache_remove_blocks);

/**
 * fuse_iomap_cache_evict - drop entries not used lately, for a shrinker
 * @c: cache, locked exclusively by the caller
 * @nr_to_scan: how many entries to look at
 *
 * A clock: the scan starts where the previous one stopped and wraps
 * around.  Entries looked up since they were last scanned lose their mark
 * and stay; the others are freed.
 *
 * Return: the number of entries freed.
 */
unsigned long fuse_iomap_cache_evict(struct fuse_iomap_cache *c,
				     unsigned long nr_to_scan)
{
	struct fuse_iomap_cache_entry *e, *next;
	unsigned long freed = 0;

	e = fuse_iomap_cache_first_after(c, c->scan_pos);
	if (!e)
		e = fuse_iomap_cache_entry_of(rb_first(&c->root));

	for (; e && nr_to_scan; nr_to_scan--) {
		next = fuse_iomap_cache_next_entry(e);
		if (e->referenced) {
			WRITE_ONCE(e->referenced, 0);
		} else {
			fuse_iomap_cache_erase(c, e);
			freed++;
		}
		e = next ?: fuse_iomap_cache_entry_of(rb_first(&c->root));
	}
	c->scan_pos = e ? e->offset : 0;
	return freed;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_cache_evict);

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * fuse_iomap_cache_bytes - memory the entries of a cache take
 * @c: cache; may be read without the lock
 *
 * For the KUnit tests' accounting checks (it exists only with KUnit).
 *
 * Return: bytes, as slab objects (the struct holding the cache itself,
 * which lives in the inode, is not counted).
 */
size_t fuse_iomap_cache_bytes(const struct fuse_iomap_cache *c)
{
	return fuse_iomap_cache_count(c) * sizeof(struct fuse_iomap_cache_entry);
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_cache_bytes);
#endif

/**
 * fuse_iomap_cache_remove_dev - forget the mappings of a device range
 * @c: cache, locked exclusively by the caller
 * @dev: device cookie
 * @addr: device offset, bytes
 * @length: bytes; FUSE_IOMAP_INVAL_TO_EOF (or any length that would pass
 *	    U64_MAX) means to the end of the device
 * @walk: where the walk is, zeroed before the first step
 * @nr_to_scan: most entries to look at in this step, at least 1
 *
 * Every MAPPED or UNWRITTEN entry on @dev that overlaps the range is
 * dropped whole: forgetting more than asked is safe, and this way nothing
 * needs a split.  The cache is not indexed by device, so the whole tree
 * is walked, in file order and in steps, so that the caller can drop its
 * lock between them.  An entry that covers or follows @walk->pos when a
 * step begins is seen by that step or a later one; one stored below it in
 * between is not.
 *
 * Return: true when the walk has reached the end of the cache.
 */
bool fuse_iomap_cache_remove_dev(struct fuse_iomap_cache *c, u32 dev,
				 u64 addr, u64 length,
				 struct fuse_iomap_cache_walk *walk,
				 unsigned long nr_to_scan)
{
	struct fuse_iomap_cache_entry *e, *next;
	u64 end;

	if (!length)
		return true;
	if (check_add_overflow(addr, length, &end))
		end = U64_MAX;

	for (e = fuse_iomap_cache_first_after(c, walk->pos); e && nr_to_scan;
	     e = next, nr_to_scan--) {
		next = fuse_iomap_cache_next_entry(e);
		walk->scanned++;
		if (!fuse_iomap_type_has_blocks(e->type) || e->dev != dev)
			continue;
		if (e->addr >= end ||
		    (e->addr < addr && addr - e->addr >= e->length))
			continue;
		fuse_iomap_cache_erase(c, e);
		walk->dropped++;
	}
	if (!e)
		return true;
	walk->pos = e->offset;
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_cache_remove_dev);

/* Bytes one cached mapping takes, for turning a byte limit into entries */
size_t fuse_iomap_cache_entry_size(void)
{
	return sizeof(struct fuse_iomap_cache_entry);
}
