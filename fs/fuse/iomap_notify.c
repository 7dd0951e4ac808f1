// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-iomap: mapping notifications from the server.
 *
 * FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS pushes a read and a write mapping of
 * an inode into its caches, FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS takes file
 * ranges back, and FUSE_NOTIFY_IOMAP_DEV_INVAL takes back every mapping
 * of a device range.  Each message has exactly the size of its struct.
 *
 * Errors the server gets back from its write to /dev/fuse:
 *   -EINVAL	wrong size; not an iomap connection or inode; an attr_ino
 *		that is not the inode's; a range that is not block aligned or
 *		overflows; an upsert mapping on a device that went away
 *   -ESTALE	no such inode in core (or one being evicted)
 *   -ENODEV	a device invalidation for a cookie not registered
 *   -EFSCORRUPTED  an upsert mapping that breaks a mapping rule
 *   -EOPNOTSUPP	an upsert on a connection that does not cache
 *   -ENOSYS	a notification of protocol 7.44/7.45 (INC_EPOCH, PRUNE),
 *		which a server that believes our minor 7.99 may send
 * A refused notification changes nothing.
 *
 * Inodes are looked up without waiting: an inode on its way out has
 * nothing to invalidate, and its eviction may be waiting for the very
 * server thread that sends the notification.
 */

#include <kunit/visibility.h>
#include <linux/fs.h>

#include "fuse_i.h"
#include "iomap_rule.h"
#include "iomap_trace.h"

/*
 * Notifications of later protocols that a libfuse seeing minor 7.99 may
 * try; this kernel does not implement them.
 */
#define FUSE_NOTIFY_LATER_INC_EPOCH	8
#define FUSE_NOTIFY_LATER_PRUNE		9

/* Is @code a notification fuse_iomap_notify() answers? */
bool fuse_iomap_notify_claims(unsigned int code)
{
	return fuse_iomap_notify_size(code) ||
	       code == FUSE_NOTIFY_LATER_INC_EPOCH ||
	       code == FUSE_NOTIFY_LATER_PRUNE;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_notify_claims);

/* The exact size of a notification's message, or 0 for other codes. */
size_t fuse_iomap_notify_size(unsigned int code)
{
	switch (code) {
	case FUSE_NOTIFY_IOMAP_DEV_INVAL:
		return sizeof(struct fuse_iomap_dev_inval_out);
	case FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS:
		return sizeof(struct fuse_iomap_upsert_mappings_out);
	case FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS:
		return sizeof(struct fuse_iomap_inval_mappings_out);
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_notify_size);

/**
 * fuse_iomap_check_inval_range - validate a range to invalidate
 * @range: file or device range; length 0 means none,
 *	   FUSE_IOMAP_INVAL_TO_EOF everything from the offset on
 * @blocksize: alignment both ends must have
 * @rule: set to the violated rule on failure
 *
 * Return: 0 or -EINVAL.
 */
int fuse_iomap_check_inval_range(const struct fuse_range *range,
				 unsigned int blocksize, const char **rule)
{
	u64 end;

	if (!range->length)
		return 0;
	if (!IS_ALIGNED(range->offset, blocksize))
		return INVAL("invalidation offset not block aligned");
	if (range->length == FUSE_IOMAP_INVAL_TO_EOF)
		return 0;
	if (!IS_ALIGNED(range->length, blocksize))
		return INVAL("invalidation length not block aligned");
	if (check_add_overflow(range->offset, range->length, &end))
		return INVAL("invalidation offset + length overflows");
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_check_inval_range);

/* The rules an upserted mapping has beyond those of any mapping. */
static int fuse_iomap_check_upsert_io(const struct fuse_iomap_io *map,
				      enum fuse_iomap_dir dir,
				      const char **rule)
{
	switch (map->type) {
	case FUSE_IOMAP_TYPE_RETRY_CACHE:
		return BAD("retry-cache in an upsert");
	case FUSE_IOMAP_TYPE_INLINE:
		return BAD("inline mapping in an upsert");
	case FUSE_IOMAP_TYPE_HOLE:
		if (dir == FUSE_IOMAP_WRITE_MAP)
			return BAD("hole as an upserted write mapping");
		break;
	}
	if (map->flags & FUSE_IOMAP_F_NEW)
		return BAD("new blocks in an upsert (unwritten is meant)");
	return 0;
}

/**
 * fuse_iomap_check_upsert - validate the mappings of an upsert
 * @up: the notification
 * @lim: block size and maximum file size of the inode (@lim->cache set)
 * @rdev: device table entry of @up->read.dev
 * @wdev: device table entry of @up->write.dev
 * @rule: set to the violated rule on failure
 *
 * Each mapping follows the rules of fuse_iomap_check_io(); NOCACHE means
 * "leave this cache alone", and a PURE_OVERWRITE write mapping "write in
 * place through the read mapping", which must then be fit for writing.
 *
 * Return: 0, -EFSCORRUPTED, or -EINVAL for a device that went away.
 */
int fuse_iomap_check_upsert(const struct fuse_iomap_upsert_mappings_out *up,
			    const struct fuse_iomap_limits *lim,
			    const struct fuse_iomap_devinfo *rdev,
			    const struct fuse_iomap_devinfo *wdev,
			    const char **rule)
{
	const struct fuse_iomap_io *wmap = &up->write;
	int ret;

	ret = fuse_iomap_check_io(&up->read, FUSE_IOMAP_READ_MAP, lim, rdev,
				  rule);
	if (ret)
		return ret;
	if (up->read.type != FUSE_IOMAP_TYPE_NOCACHE) {
		ret = fuse_iomap_check_upsert_io(&up->read,
						 FUSE_IOMAP_READ_MAP, rule);
		if (ret)
			return ret;
	}

	ret = fuse_iomap_check_io(&up->write, FUSE_IOMAP_WRITE_MAP, lim, wdev,
				  rule);
	if (ret)
		return ret;
	switch (up->write.type) {
	case FUSE_IOMAP_TYPE_NOCACHE:
		return 0;
	case FUSE_IOMAP_TYPE_PURE_OVERWRITE:
		if (up->read.type == FUSE_IOMAP_TYPE_NOCACHE)
			return BAD("pure overwrite of an uncached read mapping");
		wmap = &up->read;
		ret = fuse_iomap_check_overwrite(wmap, rdev, rule);
		if (ret)
			return ret;
		break;
	}
	if (wmap->flags & FUSE_IOMAP_F_SHARED)
		return BAD("shared blocks as an upserted write mapping");
	return fuse_iomap_check_upsert_io(wmap, FUSE_IOMAP_WRITE_MAP, rule);
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_check_upsert);

static void fuse_iomap_notify_report(struct fuse_conn *fc, unsigned int code,
				     u64 ino, const char *rule, int err)
{
	fuse_iomap_cache_stat(fc, FUSE_IOMAP_STAT_REJECTED);
	pr_warn_ratelimited("fuse: iomap notification %u for inode %llu refused (%d): %s\n",
			    code, ino, err, rule);
}

/* find_inode_nowait() match: take a reference unless it is going away. */
static int fuse_iomap_notify_match(struct inode *inode, unsigned long hash,
				   void *data)
{
	u64 nodeid = *(u64 *)data;
	int ret = 1;

	if (get_node_id(inode) != nodeid)
		return 0;
	spin_lock(&inode->i_lock);
	if (inode->i_state & (I_NEW | I_FREEING | I_WILL_FREE))
		ret = -1;
	else
		__iget(inode);
	spin_unlock(&inode->i_lock);
	return ret;
}

/* Called with fc->killsb held for reading. */
static struct inode *fuse_iomap_notify_inode(struct fuse_conn *fc, u64 nodeid)
{
	struct fuse_mount *fm;
	struct inode *inode;

	list_for_each_entry(fm, &fc->mounts, fc_entry) {
		if (!fm->sb)
			continue;
		inode = find_inode_nowait(fm->sb, nodeid,
					  fuse_iomap_notify_match, &nodeid);
		if (inode)
			return inode;
	}
	return NULL;
}

/* The iomap inode of a notification, with a reference, or an ERR_PTR. */
static struct inode *fuse_iomap_notify_get(struct fuse_conn *fc, u64 nodeid,
					   u64 attr_ino, const char **rule)
{
	struct inode *inode = fuse_iomap_notify_inode(fc, nodeid);

	if (!inode)
		return ERR_PTR(fuse_rule_broken(rule, "no such inode", -ESTALE));
	if (!fuse_inode_is_iomap(inode)) {
		iput(inode);
		return ERR_PTR(INVAL("not an iomap inode"));
	}
	if (get_fuse_inode(inode)->orig_ino != attr_ino) {
		iput(inode);
		return ERR_PTR(INVAL("attr_ino is not the inode's"));
	}
	return inode;
}

static void fuse_iomap_notify_limits(struct inode *inode,
				     struct fuse_iomap_limits *lim)
{
	lim->blocksize = i_blocksize(inode);
	lim->maxbytes = inode->i_sb->s_maxbytes;
	lim->cache = true;
}

/**
 * fuse_iomap_upsert_plan - what an upsert puts in the caches
 * @up: the upsert, validated
 * @rwritable: the read mapping's device was registered for writing
 * @rmap: set to the mapping for the read cache, or NULL
 * @wmap: set to the mapping for the write cache, or NULL
 *
 * PURE_OVERWRITE writes over the read mapping.  So does NOCACHE, as in
 * the posted series, where a server (fuse4fs) that upserts only a read
 * mapping means writes to go there too: but only over blocks a write can
 * take in place, not a hole, delalloc or shared blocks, nor a device
 * registered read-only.  Writes there still ask the server.
 */
VISIBLE_IF_KUNIT
void fuse_iomap_upsert_plan(const struct fuse_iomap_upsert_mappings_out *up,
			    bool rwritable,
			    const struct fuse_iomap_io **rmap,
			    const struct fuse_iomap_io **wmap)
{
	const struct fuse_iomap_io *r = &up->read, *w = &up->write;

	*rmap = r->type != FUSE_IOMAP_TYPE_NOCACHE ? r : NULL;
	*wmap = NULL;
	if (w->type == FUSE_IOMAP_TYPE_PURE_OVERWRITE)
		*wmap = r;
	else if (w->type != FUSE_IOMAP_TYPE_NOCACHE)
		*wmap = w;
	else if (fuse_iomap_type_has_blocks(r->type) &&
		 !(r->flags & FUSE_IOMAP_F_SHARED) && rwritable)
		*wmap = r;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_upsert_plan);

static int fuse_iomap_notify_upsert(struct fuse_conn *fc,
				    const struct fuse_iomap_upsert_mappings_out *up,
				    const char **rule)
{
	const struct fuse_iomap_io *rmap = NULL, *wmap = NULL;
	struct fuse_iomap_devinfo rinfo, winfo;
	struct fuse_iomap_dev *rdev, *wdev;
	struct fuse_iomap_limits lim;
	struct inode *inode;
	int err;

	inode = fuse_iomap_notify_get(fc, up->nodeid, up->attr_ino, rule);
	if (IS_ERR(inode))
		return PTR_ERR(inode);
	fuse_iomap_notify_limits(inode, &lim);
	rdev = fuse_iomap_dev_get(fc, up->read.dev, &rinfo);
	wdev = fuse_iomap_dev_get(fc, up->write.dev, &winfo);
	err = fuse_iomap_check_upsert(up, &lim, &rinfo, &winfo, rule);
	fuse_iomap_dev_put(rdev);
	fuse_iomap_dev_put(wdev);
	if (err)
		goto out;

	fuse_iomap_upsert_plan(up, rinfo.writable, &rmap, &wmap);
	if (rmap)
		trace_fuse_iomap_upsert(inode, rmap->offset, 0, rmap);
	if (wmap)
		trace_fuse_iomap_upsert(inode, wmap->offset,
					FUSE_IOMAP_OP_WRITE, wmap);
	err = fuse_iomap_cache_upsert_mappings(inode, rmap, wmap);
	if (err)
		fuse_rule_broken(rule, err == -EOPNOTSUPP ?
				 "the connection does not cache mappings" :
				 "out of memory", err);
out:
	iput(inode);
	return err;
}

static int fuse_iomap_notify_inval(struct fuse_conn *fc,
				   const struct fuse_iomap_inval_mappings_out *inv,
				   const char **rule)
{
	struct inode *inode;
	int err;

	inode = fuse_iomap_notify_get(fc, inv->nodeid, inv->attr_ino, rule);
	if (IS_ERR(inode))
		return PTR_ERR(inode);
	err = fuse_iomap_check_inval_range(&inv->read, i_blocksize(inode),
					   rule);
	if (!err)
		err = fuse_iomap_check_inval_range(&inv->write,
						   i_blocksize(inode), rule);
	if (!err)
		fuse_iomap_cache_inval_mappings(inode, &inv->read, &inv->write);
	iput(inode);
	return err;
}

static int fuse_iomap_notify_dev_inval(struct fuse_conn *fc,
				       const struct fuse_iomap_dev_inval_out *inv,
				       const char **rule)
{
	struct fuse_iomap_devinfo info;
	struct fuse_iomap_dev *dev;
	struct fuse_mount *fm;
	unsigned int blocksize = SECTOR_SIZE;
	int err;

	if (inv->reserved)
		return INVAL("reserved field not zero");
	fm = list_first_entry_or_null(&fc->mounts, struct fuse_mount,
				      fc_entry);
	if (fm && fm->sb)
		blocksize = fm->sb->s_blocksize;
	err = fuse_iomap_check_inval_range(&inv->range, blocksize, rule);
	if (err)
		return err;
	dev = fuse_iomap_dev_get(fc, inv->dev, &info);
	if (!dev)
		return fuse_rule_broken(rule, "device cookie not registered",
					-ENODEV);
	fuse_iomap_cache_dev_inval(fc, inv->dev, inv->range.offset,
				   inv->range.length);
	fuse_iomap_dev_drop_cache(dev, inv->range.offset, inv->range.length);
	fuse_iomap_dev_put(dev);
	return 0;
}

/**
 * fuse_iomap_notify - handle an iomap notification from the server
 * @fc: the connection
 * @code: FUSE_NOTIFY_IOMAP_*
 * @buf: the message, copied from the server
 * @size: its size
 *
 * Return: 0, or the errno the server's write gets (see above).
 */
int fuse_iomap_notify(struct fuse_conn *fc, unsigned int code,
		      const void *buf, size_t size)
{
	const char *rule = "";
	u64 ino = 0;
	int err;

	if (!fuse_iomap_notify_size(code)) {
		rule = "not implemented by this kernel";
		err = -ENOSYS;
		goto out;
	}
	if (size != fuse_iomap_notify_size(code)) {
		rule = "wrong size";
		err = -EINVAL;
		goto out;
	}
	if (!fc->iomap_conn.iomap) {
		rule = "iomap not negotiated";
		err = -EINVAL;
		goto out;
	}

	down_read(&fc->killsb);
	switch (code) {
	case FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS: {
		const struct fuse_iomap_upsert_mappings_out *up = buf;

		ino = up->attr_ino;
		err = fuse_iomap_notify_upsert(fc, up, &rule);
		break;
	}
	case FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS: {
		const struct fuse_iomap_inval_mappings_out *inv = buf;

		ino = inv->attr_ino;
		err = fuse_iomap_notify_inval(fc, inv, &rule);
		break;
	}
	default: {
		const struct fuse_iomap_dev_inval_out *inv = buf;

		err = fuse_iomap_notify_dev_inval(fc, inv, &rule);
		break;
	}
	}
	up_read(&fc->killsb);
out:
	if (err)
		fuse_iomap_notify_report(fc, code, ino, rule, err);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_notify);
