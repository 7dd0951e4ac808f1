// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd extent maps: the sorted, non-overlapping file->disk mappings of an
 * inode.  Small maps live in the inode (iext); larger ones in leaves of
 * FT_LEAF_EXTENTS extents, kept in file order by the inode's index blocks.
 * A leaf's key is its first extent, read from the leaf itself, so lookups
 * are a binary search over leaves and then within one: O(log n).
 *
 * Leaves split when full, merge with a neighbour when two of them fit in
 * half a leaf, and the map moves back into the inode when it shrinks to a
 * quarter of that.  An update first reserves the pool blocks it may need,
 * so it either fails with ENOSPC having changed nothing, or completes.
 */
#include <errno.h>
#include <string.h>

#include "store.h"

#define LEAF_CAP	FT_LEAF_EXTENTS
#define INLINE_CAP	FT_INLINE_EXTENTS
#define PER_INDEX	FT_INDEX_PER_BLOCK

/* A run of extents: the inode's own, or one leaf. */
struct node {
	struct ft_extent	*e;
	uint32_t		*nr;
	uint32_t		cap;
};

/* Position of an extent: node i (always 0 in the inode), slot j. */
struct cursor {
	uint32_t	i;
	uint32_t	j;
};

static uint64_t ext_end(const struct ft_extent *e)
{
	return e->lblk + e->len;
}

static void *pool_block(const struct ft_store *st, uint64_t b)
{
	return (char *)st->sb + b * FT_BLOCK_SIZE;
}

static uint64_t *idx_slot(const struct ft_store *st,
			  const struct ft_inode *inode, uint32_t i)
{
	uint64_t *ib = pool_block(st, inode->index[i / PER_INDEX]);

	return &ib[i % PER_INDEX];
}

static struct ft_leaf *leaf_at(const struct ft_store *st,
			       const struct ft_inode *inode, uint32_t i)
{
	return pool_block(st, *idx_slot(st, inode, i));
}

static uint32_t nr_nodes(const struct ft_inode *inode)
{
	return inode->nr_leaves ? inode->nr_leaves : 1;
}

static void node_get(const struct ft_store *st, const struct ft_inode *inode,
		     uint32_t i, struct node *n)
{
	struct ft_leaf *leaf;

	if (!inode->nr_leaves) {
		n->e = (struct ft_extent *)inode->iext;
		n->nr = (uint32_t *)&inode->nr_extents;
		n->cap = INLINE_CAP;
		return;
	}
	leaf = leaf_at(st, inode, i);
	n->e = leaf->ext;
	n->nr = &leaf->nr;
	n->cap = LEAF_CAP;
}

/* Node count changes by delta; the inode's total follows. */
static void node_add(struct ft_inode *inode, struct node *n, int delta)
{
	*n->nr += delta;
	if (inode->nr_leaves)
		inode->nr_extents += delta;
}

/* The node that holds (or would hold) block lblk. */
static uint32_t find_node(const struct ft_store *st,
			  const struct ft_inode *inode, uint64_t lblk)
{
	uint32_t lo = 0, hi = nr_nodes(inode), mid;

	/* the last leaf whose first extent starts at or before lblk */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (leaf_at(st, inode, mid)->ext[0].lblk <= lblk)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Position the cursor on the first extent ending after lblk; 0 if none. */
static int seek(const struct ft_store *st, const struct ft_inode *inode,
		uint64_t lblk, struct cursor *c)
{
	uint32_t lo, hi, mid;
	struct node n;

	c->i = find_node(st, inode, lblk);
	node_get(st, inode, c->i, &n);
	lo = 0;
	hi = *n.nr;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ext_end(&n.e[mid]) <= lblk)
			lo = mid + 1;
		else
			hi = mid;
	}
	c->j = lo;
	if (lo < *n.nr)
		return 1;
	if (c->i + 1 >= nr_nodes(inode))
		return 0;
	c->i++;
	c->j = 0;
	return 1;
}

static struct ft_extent *cur_ext(const struct ft_store *st,
				 const struct ft_inode *inode,
				 const struct cursor *c)
{
	struct node n;

	node_get(st, inode, c->i, &n);
	return &n.e[c->j];
}

static int cur_next(const struct ft_store *st, const struct ft_inode *inode,
		    struct cursor *c)
{
	struct node n;

	node_get(st, inode, c->i, &n);
	if (c->j + 1 < *n.nr) {
		c->j++;
		return 1;
	}
	if (c->i + 1 >= nr_nodes(inode))
		return 0;
	c->i++;
	c->j = 0;
	return 1;
}

static int cur_prev(const struct ft_store *st, const struct ft_inode *inode,
		    struct cursor *c)
{
	struct node n;

	if (c->j) {
		c->j--;
		return 1;
	}
	if (!c->i)
		return 0;
	c->i--;
	node_get(st, inode, c->i, &n);
	c->j = *n.nr - 1;
	return 1;
}

/* Insert leaf block b as leaf number p, growing the index if needed. */
static void idx_insert(struct ft_store *st, struct ft_inode *inode,
		       uint32_t p, uint64_t b)
{
	uint64_t *ib;
	uint32_t k;

	if (inode->nr_leaves == inode->nr_index * PER_INDEX) {
		inode->index[inode->nr_index] = pool_alloc(st);
		ib = pool_block(st, inode->index[inode->nr_index]);
		memset(ib, 0, FT_BLOCK_SIZE);
		inode->nr_index++;
	}
	for (k = inode->nr_leaves; k > p; k--)
		*idx_slot(st, inode, k) = *idx_slot(st, inode, k - 1);
	*idx_slot(st, inode, p) = b;
	inode->nr_leaves++;
}

/* Drop leaf number p from the index and free its block. */
static void idx_remove(struct ft_store *st, struct ft_inode *inode,
		       uint32_t p)
{
	uint32_t k;

	pool_free(st, *idx_slot(st, inode, p));
	for (k = p; k + 1 < inode->nr_leaves; k++)
		*idx_slot(st, inode, k) = *idx_slot(st, inode, k + 1);
	inode->nr_leaves--;
	*idx_slot(st, inode, inode->nr_leaves) = 0;
	if (inode->nr_index > 1 &&
	    inode->nr_leaves <= (inode->nr_index - 1) * PER_INDEX) {
		inode->nr_index--;
		pool_free(st, inode->index[inode->nr_index]);
		inode->index[inode->nr_index] = 0;
	}
}

static struct ft_leaf *new_leaf(struct ft_store *st, struct ft_inode *inode,
				uint64_t *b)
{
	struct ft_leaf *leaf;

	*b = pool_alloc(st);
	leaf = pool_block(st, *b);
	memset(leaf, 0, sizeof(*leaf));
	leaf->magic = FT_LEAF_MAGIC;
	leaf->ino = store_ino(st, inode);
	return leaf;
}

/* Move the inode's extents into a leaf of their own. */
static void to_tree(struct ft_store *st, struct ft_inode *inode)
{
	struct ft_leaf *leaf;
	uint64_t b;

	leaf = new_leaf(st, inode, &b);
	memcpy(leaf->ext, inode->iext, inode->nr_extents * sizeof(leaf->ext[0]));
	leaf->nr = inode->nr_extents;
	memset(inode->iext, 0, sizeof(inode->iext));
	idx_insert(st, inode, 0, b);
}

/* Move the extents of the only leaf back into the inode. */
static void to_inline(struct ft_store *st, struct ft_inode *inode)
{
	struct ft_leaf *leaf = leaf_at(st, inode, 0);

	memcpy(inode->iext, leaf->ext, leaf->nr * sizeof(leaf->ext[0]));
	idx_remove(st, inode, 0);
	pool_free(st, inode->index[0]);
	inode->index[0] = 0;
	inode->nr_index = 0;
}

/* Split full leaf i: its upper half goes to a new leaf i + 1. */
static void split_leaf(struct ft_store *st, struct ft_inode *inode, uint32_t i)
{
	struct ft_leaf *leaf = leaf_at(st, inode, i), *right;
	uint32_t keep = leaf->nr / 2;
	uint64_t b;

	right = new_leaf(st, inode, &b);
	right->nr = leaf->nr - keep;
	memcpy(right->ext, &leaf->ext[keep], right->nr * sizeof(right->ext[0]));
	memset(&leaf->ext[keep], 0, right->nr * sizeof(leaf->ext[0]));
	leaf->nr = keep;
	idx_insert(st, inode, i + 1, b);
}

/* Insert x, which overlaps no extent; pool blocks are reserved. */
static void insert(struct ft_store *st, struct ft_inode *inode,
		   const struct ft_extent *x)
{
	struct cursor c;
	struct node n;

	if (!inode->nr_leaves && inode->nr_extents == INLINE_CAP)
		to_tree(st, inode);
	if (!seek(st, inode, x->lblk, &c)) {
		/* after every extent: the end of the last node */
		c.i = nr_nodes(inode) - 1;
		node_get(st, inode, c.i, &n);
		c.j = *n.nr;
	}
	node_get(st, inode, c.i, &n);
	if (*n.nr == n.cap) {
		split_leaf(st, inode, c.i);
		node_get(st, inode, c.i, &n);
		if (c.j > *n.nr) {
			c.j -= *n.nr;
			c.i++;
			node_get(st, inode, c.i, &n);
		}
	}
	memmove(&n.e[c.j + 1], &n.e[c.j], (*n.nr - c.j) * sizeof(n.e[0]));
	n.e[c.j] = *x;
	node_add(inode, &n, 1);
}

/* Merge leaf i + 1 into leaf i. */
static void merge_leaves(struct ft_store *st, struct ft_inode *inode,
			 uint32_t i)
{
	struct ft_leaf *a = leaf_at(st, inode, i), *b = leaf_at(st, inode, i + 1);

	memcpy(&a->ext[a->nr], b->ext, b->nr * sizeof(b->ext[0]));
	a->nr += b->nr;
	idx_remove(st, inode, i + 1);
}

/* Remove the extent under the cursor; the cursor is invalid afterwards. */
static void remove_at(struct ft_store *st, struct ft_inode *inode,
		      const struct cursor *c)
{
	uint32_t i = c->i;
	struct node n;

	node_get(st, inode, i, &n);
	memmove(&n.e[c->j], &n.e[c->j + 1],
		(*n.nr - c->j - 1) * sizeof(n.e[0]));
	memset(&n.e[*n.nr - 1], 0, sizeof(n.e[0]));
	node_add(inode, &n, -1);
	if (!inode->nr_leaves)
		return;
	if (!*n.nr && inode->nr_leaves > 1) {
		idx_remove(st, inode, i);
	} else if (i + 1 < inode->nr_leaves &&
		   *n.nr + leaf_at(st, inode, i + 1)->nr <= LEAF_CAP / 2) {
		merge_leaves(st, inode, i);
	} else if (i > 0 &&
		   *n.nr + leaf_at(st, inode, i - 1)->nr <= LEAF_CAP / 2) {
		merge_leaves(st, inode, i - 1);
	}
	if (inode->nr_leaves == 1 && inode->nr_extents <= INLINE_CAP / 2)
		to_inline(st, inode);
}

/*
 * Make sure that inserting inserts extents cannot run out of pool blocks
 * or index slots: each may split a leaf and grow the index, and the first
 * may move the map out of the inode.
 */
static int reserve(const struct ft_store *st, const struct ft_inode *inode,
		   unsigned int inserts)
{
	uint64_t need = 2 * inserts + 2;

	if (!inserts)
		return 0;
	if (st->sb->free_pool < need ||
	    inode->nr_leaves + inserts + 1 > FT_MAX_LEAVES)
		return -ENOSPC;
	return 0;
}

/* How block lblk of inode is mapped, and for how many blocks. */
void ext_map(struct ft_store *st, const struct ft_inode *inode, uint64_t lblk,
	     struct ft_map *map)
{
	const struct ft_extent *e;
	struct cursor c;

	if (!seek(st, inode, lblk, &c)) {
		map->type = FT_MAP_HOLE;
		map->len = UINT64_MAX - lblk;
		return;
	}
	e = cur_ext(st, inode, &c);
	if (e->lblk > lblk) {
		map->type = FT_MAP_HOLE;
		map->len = e->lblk - lblk;
		return;
	}
	map->type = e->flags & FT_EXT_UNWRITTEN ? FT_MAP_UNWRITTEN :
						  FT_MAP_DATA;
	map->pblk = e->pblk + (lblk - e->lblk);
	map->len = ext_end(e) - lblk;
}

/* The first extent ending after lblk; -ENOENT if there is none. */
int ext_next(struct ft_store *st, const struct ft_inode *inode, uint64_t lblk,
	     struct ft_extent *ext)
{
	struct cursor c;

	if (!seek(st, inode, lblk, &c))
		return -ENOENT;
	*ext = *cur_ext(st, inode, &c);
	return 0;
}

/* The last extent; -ENOENT if there is none. */
int ext_last(struct ft_store *st, const struct ft_inode *inode,
	     struct ft_extent *ext)
{
	struct node n;

	if (!inode->nr_extents)
		return -ENOENT;
	node_get(st, inode, nr_nodes(inode) - 1, &n);
	*ext = n.e[*n.nr - 1];
	return 0;
}

/* Preferred disk block for file block lblk: following what precedes it. */
uint64_t ext_goal(struct ft_store *st, const struct ft_inode *inode,
		  uint64_t lblk)
{
	const struct ft_extent *e;
	struct cursor c;

	if (!inode->nr_extents)
		return 0;
	if (!seek(st, inode, lblk, &c)) {
		c.i = nr_nodes(inode) - 1;
		e = NULL;
	} else {
		e = cur_ext(st, inode, &c);
		if (e->lblk < lblk)
			return e->pblk + (lblk - e->lblk);
		if (!cur_prev(st, inode, &c))
			return 0;
	}
	if (!e) {
		struct node n;

		node_get(st, inode, c.i, &n);
		c.j = *n.nr - 1;
	}
	e = cur_ext(st, inode, &c);
	return e->pblk + (lblk - e->lblk);
}

static int mergeable(const struct ft_extent *a, const struct ft_extent *b)
{
	return ext_end(a) == b->lblk && a->pblk + a->len == b->pblk &&
	       a->flags == b->flags && (uint64_t)a->len + b->len <= UINT32_MAX;
}

/* Add x, which overlaps nothing, merging it with its neighbours. */
static void insert_merged(struct ft_store *st, struct ft_inode *inode,
			  const struct ft_extent *x)
{
	struct ft_extent *prev = NULL, *next, merged = *x;
	struct cursor c;

	if (x->lblk && seek(st, inode, x->lblk - 1, &c)) {
		prev = cur_ext(st, inode, &c);
		if (!mergeable(prev, x))
			prev = NULL;
	}
	if (prev) {
		prev->len += x->len;
		merged = *prev;
	} else {
		insert(st, inode, x);
	}
	if (!seek(st, inode, ext_end(&merged), &c))
		return;
	next = cur_ext(st, inode, &c);
	if (!mergeable(&merged, next))
		return;
	merged.len += next->len;
	remove_at(st, inode, &c);
	seek(st, inode, merged.lblk, &c);
	cur_ext(st, inode, &c)->len = merged.len;
}

/*
 * Map [lblk, lblk + len) (len may run past the largest file) as map says,
 * or make it a hole if map is NULL.  old is told each piece of mapping
 * removed.  inode->blocks follows.  Either fails with ENOSPC having
 * changed nothing, or succeeds.
 */
int ext_replace(struct ft_store *st, struct ft_inode *inode, uint64_t lblk,
		uint64_t len, const struct ft_extent *map, ext_old_fn old,
		void *arg)
{
	uint64_t end = len > UINT64_MAX - lblk ? UINT64_MAX : lblk + len;
	struct ft_extent *e, piece, right;
	unsigned int inserts = map ? 1 : 0;
	struct cursor c;
	int err;

	if (seek(st, inode, lblk, &c)) {
		e = cur_ext(st, inode, &c);
		if (e->lblk < lblk && ext_end(e) > end)
			inserts++;
	}
	err = reserve(st, inode, inserts);
	if (err)
		return err;

	while (seek(st, inode, lblk, &c)) {
		e = cur_ext(st, inode, &c);
		if (e->lblk >= end)
			break;
		piece = *e;
		if (piece.lblk < lblk) {
			piece.pblk += lblk - piece.lblk;
			piece.len -= lblk - piece.lblk;
			piece.lblk = lblk;
		}
		if (ext_end(&piece) > end)
			piece.len = end - piece.lblk;
		inode->blocks -= piece.len;
		if (old)
			old(st, arg, &piece);

		if (e->lblk < lblk && ext_end(e) > end) {
			right = *e;
			right.pblk += end - e->lblk;
			right.len = ext_end(e) - end;
			right.lblk = end;
			e->len = lblk - e->lblk;
			insert(st, inode, &right);
			break;
		}
		if (e->lblk < lblk) {
			e->len = lblk - e->lblk;
			continue;
		}
		if (ext_end(e) > end) {
			e->pblk += end - e->lblk;
			e->len -= end - e->lblk;
			e->lblk = end;
			break;
		}
		remove_at(st, inode, &c);
	}
	if (map) {
		piece = *map;
		piece.lblk = lblk;
		piece.len = end - lblk;
		insert_merged(st, inode, &piece);
		inode->blocks += piece.len;
	}
	return 0;
}

/* Map [lblk, lblk + len) to pblk with flags; frees nothing. */
int ext_set(struct ft_store *st, struct ft_inode *inode, uint64_t lblk,
	    uint64_t len, uint64_t pblk, uint32_t flags)
{
	struct ft_extent x = { .pblk = pblk, .flags = flags };

	if (len > UINT32_MAX)
		return -EINVAL;
	return ext_replace(st, inode, lblk, len, &x, NULL, NULL);
}

/* An ext_old_fn that drops the references of what was mapped. */
void ext_put_old(struct ft_store *st, void *arg, const struct ft_extent *old)
{
	(void)arg;
	block_put(st, old->pblk, old->len);
}

/* Unmap [lblk, lblk + len) (len may run past the end), dropping its blocks. */
int ext_punch(struct ft_store *st, struct ft_inode *inode, uint64_t lblk,
	      uint64_t len)
{
	return ext_replace(st, inode, lblk, len, NULL, ext_put_old, NULL);
}

/* Make sure no extent straddles block lblk (for shifting at lblk). */
int ext_split(struct ft_store *st, struct ft_inode *inode, uint64_t lblk)
{
	struct ft_extent *e, right;
	struct cursor c;
	int err;

	if (!seek(st, inode, lblk, &c))
		return 0;
	e = cur_ext(st, inode, &c);
	if (e->lblk >= lblk)
		return 0;
	err = reserve(st, inode, 1);
	if (err)
		return err;
	right = *e;
	right.lblk = lblk;
	right.pblk += lblk - e->lblk;
	right.len = ext_end(e) - lblk;
	e->len = lblk - e->lblk;
	insert(st, inode, &right);
	return 0;
}

/*
 * Move every extent at or after block from by delta blocks.  No extent may
 * straddle from, and a move down must land on a hole.
 */
void ext_shift(struct ft_store *st, struct ft_inode *inode, uint64_t from,
	       int64_t delta)
{
	struct ft_extent *e;
	struct cursor c;

	if (!seek(st, inode, from, &c))
		return;
	do {
		e = cur_ext(st, inode, &c);
		e->lblk += delta;
	} while (cur_next(st, inode, &c));
}

/*
 * Whether inode's extent tree is sound enough to walk: index and leaf
 * blocks in the pool and owned by ino, leaf counts in range, the total
 * right.  0 if so, -EUCLEAN if not.
 */
int ext_check_tree(struct ft_store *st, const struct ft_inode *inode,
		   uint64_t ino)
{
	const struct ft_leaf *leaf;
	uint64_t total = 0, b;
	uint32_t i;

	if (!inode->nr_leaves)
		return inode->nr_index || inode->nr_extents > INLINE_CAP ?
		       -EUCLEAN : 0;
	if (!inode->nr_index || inode->nr_index > FT_INODE_INDEX ||
	    inode->nr_leaves > inode->nr_index * PER_INDEX ||
	    inode->nr_leaves <= (inode->nr_index - 1) * PER_INDEX)
		return -EUCLEAN;
	for (i = 0; i < inode->nr_index; i++)
		if (!pool_valid(st, inode->index[i]))
			return -EUCLEAN;
	for (i = 0; i < inode->nr_leaves; i++) {
		b = *idx_slot(st, inode, i);
		if (!pool_valid(st, b))
			return -EUCLEAN;
		leaf = pool_block(st, b);
		if (leaf->magic != FT_LEAF_MAGIC || leaf->ino != ino ||
		    !leaf->nr || leaf->nr > LEAF_CAP)
			return -EUCLEAN;
		total += leaf->nr;
	}
	return total == inode->nr_extents ? 0 : -EUCLEAN;
}

/*
 * Call fn for each extent in stored order, without searching, so that a
 * damaged tree can be looked at (ext_check_tree() must pass first).
 * Stops at the first non-zero return of fn and returns it.
 */
int ext_walk(struct ft_store *st, const struct ft_inode *inode,
	     int (*fn)(void *arg, const struct ft_extent *e), void *arg)
{
	struct node n;
	uint32_t i, j;
	int ret;

	for (i = 0; i < nr_nodes(inode); i++) {
		node_get(st, inode, i, &n);
		for (j = 0; j < *n.nr; j++) {
			ret = fn(arg, &n.e[j]);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Call fn for each index and leaf block of inode's tree. */
void ext_tree_blocks(struct ft_store *st, const struct ft_inode *inode,
		     void (*fn)(void *arg, uint64_t b), void *arg)
{
	uint32_t i;

	for (i = 0; inode->nr_leaves && i < inode->nr_index; i++)
		fn(arg, inode->index[i]);
	for (i = 0; i < inode->nr_leaves; i++)
		fn(arg, *idx_slot(st, inode, i));
}
