// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-iomap: the one place where mappings from a FUSE server are checked,
 * and the conversions between the wire mapping and struct iomap.
 *
 * A server is not trusted to return sane mappings.  Every mapping passes
 * fuse_iomap_check_io() before the kernel uses any of its fields, and every
 * FUSE_IOMAP_BEGIN reply passes fuse_iomap_check_begin().  A violation is
 * reported with the name of the rule it broke, so the caller can log it
 * once per inode and rule (rate-limited) and fail the I/O with
 * -EFSCORRUPTED, as a kernel filesystem does for corrupt metadata.
 */

#include <kunit/visibility.h>
#include <linux/iomap.h>
#include <linux/overflow.h>

#include "fuse_i.h"
#include "iomap_rule.h"

#define FUSE_IOMAP_F_FROM_SERVER	(FUSE_IOMAP_F_NEW | \
					 FUSE_IOMAP_F_DIRTY | \
					 FUSE_IOMAP_F_SHARED | \
					 FUSE_IOMAP_F_MERGED | \
					 FUSE_IOMAP_F_BOUNDARY | \
					 FUSE_IOMAP_F_WANT_IOMAP_END)

static bool fuse_iomap_type_known(u16 type)
{
	switch (type) {
	case FUSE_IOMAP_TYPE_HOLE:
	case FUSE_IOMAP_TYPE_DELALLOC:
	case FUSE_IOMAP_TYPE_MAPPED:
	case FUSE_IOMAP_TYPE_UNWRITTEN:
	case FUSE_IOMAP_TYPE_INLINE:
	case FUSE_IOMAP_TYPE_NOCACHE:
	case FUSE_IOMAP_TYPE_RETRY_CACHE:
	case FUSE_IOMAP_TYPE_PURE_OVERWRITE:
		return true;
	}
	return false;
}

/* Checks of a mapping that uses no device: holes, delalloc, inline. */
static int fuse_iomap_check_nodev(const struct fuse_iomap_io *map,
				  const char **rule)
{
	if (map->dev != FUSE_IOMAP_DEV_NULL)
		return BAD("mapping without blocks names a device");
	if (map->addr != FUSE_IOMAP_NULL_ADDR)
		return BAD("mapping without blocks has an address");
	if (map->type != FUSE_IOMAP_TYPE_INLINE)
		return 0;
	if (map->length > PAGE_SIZE)
		return BAD("inline mapping longer than a page");
	/* iomap copies the data of one mapping to and from one page. */
	if (offset_in_page(map->offset) + map->length > PAGE_SIZE)
		return BAD("inline mapping crosses a page boundary");
	return 0;
}

/* Checks of a mapping to device blocks: mapped and unwritten. */
static int fuse_iomap_check_blocks(const struct fuse_iomap_io *map,
				   enum fuse_iomap_dir dir,
				   const struct fuse_iomap_devinfo *dev,
				   const char **rule)
{
	u64 end;

	if (map->dev == FUSE_IOMAP_DEV_NULL)
		return BAD("mapping with blocks names no device");
	if (!dev || !dev->found)
		return BAD("unknown device cookie");
	if (map->addr == FUSE_IOMAP_NULL_ADDR)
		return BAD("mapping with blocks has no address");
	if (!IS_ALIGNED(map->addr, SECTOR_SIZE))
		return BAD("device address not sector aligned");
	if (check_add_overflow(map->addr, map->length, &end))
		return BAD("device address + length overflows");
	if (dir == FUSE_IOMAP_WRITE_MAP && !dev->writable)
		return BAD("write mapping on a read-only device");
	if (!dev->size) {
		/* The device went away: a softer error, as for upserts. */
		*rule = "device has no size (gone?)";
		return -EINVAL;
	}
	if (end > dev->size)
		return BAD("mapping beyond the end of the device");
	return 0;
}

/**
 * fuse_iomap_check_io - validate one mapping from the server
 * @map: the mapping, as received
 * @dir: whether it is a read or a write mapping
 * @lim: block size and maximum file size of the inode
 * @dev: what the device table knows about @map->dev (may be NULL when
 *	 the cookie is not registered)
 * @rule: set to the name of the violated rule on failure
 *
 * Return: 0, -EFSCORRUPTED for a nonsensical mapping, or -EINVAL when the
 * mapping points at a device that has gone away.
 */
int fuse_iomap_check_io(const struct fuse_iomap_io *map,
			enum fuse_iomap_dir dir,
			const struct fuse_iomap_limits *lim,
			const struct fuse_iomap_devinfo *dev,
			const char **rule)
{
	u64 end;

	if (!fuse_iomap_type_known(map->type))
		return BAD("unknown mapping type");

	switch (map->type) {
	case FUSE_IOMAP_TYPE_PURE_OVERWRITE:
		if (dir != FUSE_IOMAP_WRITE_MAP)
			return BAD("pure overwrite as a read mapping");
		fallthrough;
	case FUSE_IOMAP_TYPE_RETRY_CACHE:
	case FUSE_IOMAP_TYPE_NOCACHE:
		/* Instructions, not mappings: no other field may be used. */
		if (map->flags || map->dev != FUSE_IOMAP_DEV_NULL ||
		    map->addr != FUSE_IOMAP_NULL_ADDR)
			return BAD("instruction carries flags, device or address");
		return 0;
	}

	if (map->flags & ~FUSE_IOMAP_F_FROM_SERVER)
		return BAD("unknown or kernel-only mapping flags");
	if (!map->length)
		return BAD("zero length");
	if (!IS_ALIGNED(map->offset, lim->blocksize))
		return BAD("file offset not block aligned");
	if (!IS_ALIGNED(map->length, lim->blocksize))
		return BAD("length not block aligned");
	if (map->offset >= lim->maxbytes)
		return BAD("file offset beyond the maximum file size");
	if (check_add_overflow(map->offset, map->length, &end))
		return BAD("file offset + length overflows");

	if (fuse_iomap_type_has_blocks(map->type))
		return fuse_iomap_check_blocks(map, dir, dev, rule);
	return fuse_iomap_check_nodev(map, rule);
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_check_io);

static bool fuse_iomap_covers(const struct fuse_iomap_io *map, u64 pos)
{
	/* Overflow of offset + length was excluded by fuse_iomap_check_io. */
	return map->offset <= pos && pos < map->offset + map->length;
}

/*
 * Checks of the INLINE mapping a begin reply hands iomap (the read mapping;
 * for writes through PURE_OVERWRITE) against the request and the inline
 * data that came with the reply.
 */
static int fuse_iomap_check_inline(const struct fuse_iomap_io *map,
				   u32 opflags,
				   const struct fuse_iomap_limits *lim,
				   const char **rule)
{
	u64 below_eof;

	/* Writeback writes folios to blocks; it can never map one inline. */
	if (opflags & FUSE_IOMAP_OP_WRITEBACK)
		return BAD("inline mapping for writeback");
	/*
	 * A write fault dirties the folio for writeback: the server must
	 * move the data to a block first.
	 */
	if ((opflags & (FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_FAULT)) ==
	    (FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_FAULT))
		return BAD("inline mapping for a write fault");
	/* iomap_write_begin_inline() writes only inline files, not tails. */
	if ((opflags & (FUSE_IOMAP_OP_WRITE | FUSE_IOMAP_OP_ZERO)) &&
	    map->offset)
		return BAD("inline mapping written at a file offset other than 0");
	if (!lim->inline_buf)
		return BAD("inline mapping without room offered for its data");
	/* iomap copies from the mapping's start to EOF. */
	if (map->offset + map->length < lim->isize)
		return BAD("inline mapping does not reach EOF");
	/* the kernel reads the data itself, from the start to EOF */
	if (lim->inline_fetch)
		return 0;
	below_eof = lim->isize > map->offset ? lim->isize - map->offset : 0;
	if (lim->inline_bytes < min(map->length, below_eof))
		return BAD("inline data shorter than the file");
	if (lim->inline_bytes > map->length)
		return BAD("inline data longer than the mapping");
	return 0;
}

/**
 * fuse_iomap_check_overwrite - may a write go through this read mapping
 * @read: the read mapping a PURE_OVERWRITE write mapping points to
 * @rdev: device table entry of @read->dev (NULL if not registered)
 * @rule: set to the name of the violated rule on failure
 *
 * For begin replies and upserts alike: the read mapping must be fit for
 * writing, too.
 *
 * Return: 0 or -EFSCORRUPTED.
 */
int fuse_iomap_check_overwrite(const struct fuse_iomap_io *read,
			       const struct fuse_iomap_devinfo *rdev,
			       const char **rule)
{
	if (fuse_iomap_type_has_blocks(read->type) &&
	    (!rdev || !rdev->writable))
		return BAD("write mapping on a read-only device");
	return 0;
}

/**
 * fuse_iomap_check_begin - validate a FUSE_IOMAP_BEGIN reply
 * @out: the reply
 * @opflags: the FUSE_IOMAP_OP_* flags of the request
 * @pos: the file position of the request
 * @lim: block size and maximum file size of the inode; its size, and the
 *	 inline data that came with the reply, for INLINE mappings
 * @rdev: device table entry of @out->read.dev (NULL if not registered)
 * @wdev: device table entry of @out->write.dev (NULL if not registered)
 * @rule: set to the name of the violated rule on failure
 *
 * For requests without FUSE_IOMAP_OP_WRITE the write mapping is ignored
 * and not checked.  A write mapping of type PURE_OVERWRITE means "write
 * through the read mapping", which must then satisfy the write rules.
 * Inline data is only written through PURE_OVERWRITE of an INLINE read
 * mapping, so that it comes once, with the reply.
 */
int fuse_iomap_check_begin(const struct fuse_iomap_begin_out *out,
			   u32 opflags, u64 pos,
			   const struct fuse_iomap_limits *lim,
			   const struct fuse_iomap_devinfo *rdev,
			   const struct fuse_iomap_devinfo *wdev,
			   const char **rule)
{
	const struct fuse_iomap_io *wmap;
	bool write = opflags & FUSE_IOMAP_OP_WRITE;
	int ret;

	ret = fuse_iomap_check_io(&out->read, FUSE_IOMAP_READ_MAP, lim, rdev,
				  rule);
	if (ret)
		return ret;
	if (out->read.type == FUSE_IOMAP_TYPE_NOCACHE)
		return BAD("do-not-cache in a begin reply");
	/* "Look in the cache again": nothing else of the reply counts. */
	if (out->read.type == FUSE_IOMAP_TYPE_RETRY_CACHE)
		return lim->cache ? 0 :
				    BAD("retry-cache without a mapping cache");
	if (!fuse_iomap_covers(&out->read, pos))
		return BAD("read mapping does not cover the position");
	if (out->read.type == FUSE_IOMAP_TYPE_INLINE) {
		ret = fuse_iomap_check_inline(&out->read, opflags, lim, rule);
		if (ret)
			return ret;
	} else if (lim->inline_bytes) {
		return BAD("inline data without an inline mapping");
	}
	if ((opflags & FUSE_IOMAP_OP_DIRECT) &&
	    out->read.type == FUSE_IOMAP_TYPE_DELALLOC)
		return BAD("delalloc mapping for direct I/O");
	if (!write)
		return 0;

	ret = fuse_iomap_check_io(&out->write, FUSE_IOMAP_WRITE_MAP, lim, wdev,
				  rule);
	if (ret)
		return ret;
	switch (out->write.type) {
	case FUSE_IOMAP_TYPE_NOCACHE:
		return BAD("do-not-cache in a begin reply");
	case FUSE_IOMAP_TYPE_RETRY_CACHE:
		return lim->cache ? 0 :
				    BAD("retry-cache without a mapping cache");
	case FUSE_IOMAP_TYPE_PURE_OVERWRITE:
		wmap = &out->read;
		ret = fuse_iomap_check_overwrite(wmap, rdev, rule);
		if (ret)
			return ret;
		break;
	default:
		/* iomap would copy inline data to a mapping without it. */
		if (out->write.type == FUSE_IOMAP_TYPE_INLINE)
			return BAD("inline write mapping without pure overwrite");
		if (out->read.type == FUSE_IOMAP_TYPE_INLINE)
			return BAD("inline read mapping with a separate write mapping");
		wmap = &out->write;
		if (!fuse_iomap_covers(wmap, pos))
			return BAD("write mapping does not cover the position");
		/* One device reference serves both (fuse_iomap_map()). */
		if (fuse_iomap_type_has_blocks(out->read.type) &&
		    fuse_iomap_type_has_blocks(wmap->type) &&
		    out->read.dev != wmap->dev)
			return BAD("out-of-place write from another device");
		break;
	}
	/* Zeroing and unsharing leave holes alone: they may be told so. */
	if (wmap->type == FUSE_IOMAP_TYPE_HOLE &&
	    !(opflags & (FUSE_IOMAP_OP_ZERO | FUSE_IOMAP_OP_UNSHARE)))
		return BAD("write into a hole");
	if ((opflags & FUSE_IOMAP_OP_DIRECT) &&
	    wmap->type == FUSE_IOMAP_TYPE_DELALLOC)
		return BAD("delalloc mapping for direct I/O");
	/* Writeback writes dirty data now: it needs real blocks. */
	if ((opflags & FUSE_IOMAP_OP_WRITEBACK) &&
	    !fuse_iomap_type_has_blocks(wmap->type))
		return BAD("writeback mapping without blocks");
	/*
	 * Unsharing reads every block of its source; iomap refuses (with a
	 * WARN) to treat a source block as fresh, i.e. to zero it instead.
	 */
	if ((opflags & FUSE_IOMAP_OP_UNSHARE) && wmap != &out->read &&
	    (out->read.flags & FUSE_IOMAP_F_NEW))
		return BAD("unshare source marked new");
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_check_begin);

/**
 * fuse_iomap_choose - pick the mappings of a valid begin reply iomap uses
 * @out: the reply; fuse_iomap_check_begin() accepted it
 * @opflags: the FUSE_IOMAP_OP_* flags of the request
 * @src: set to the mapping holding the old data of an out-of-place
 *	 write, or NULL
 *
 * Reads, and writes answered with PURE_OVERWRITE, use the read mapping.
 * Other writes go to the write mapping; a read mapping that is not a hole
 * then holds the data that partial blocks must be merged with.
 *
 * Return: the mapping to do the I/O with.
 */
const struct fuse_iomap_io *
fuse_iomap_choose(const struct fuse_iomap_begin_out *out, u32 opflags,
		  const struct fuse_iomap_io **src)
{
	*src = NULL;
	if (!(opflags & FUSE_IOMAP_OP_WRITE) ||
	    out->write.type == FUSE_IOMAP_TYPE_PURE_OVERWRITE)
		return &out->read;
	if (out->read.type != FUSE_IOMAP_TYPE_HOLE)
		*src = &out->read;
	return &out->write;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_choose);

/* Wire flags that iomap in this kernel knows, with their iomap names. */
static const struct {
	u16 wire;
	u16 iomap;
} fuse_iomap_flag_map[] = {
	{ FUSE_IOMAP_F_NEW,		IOMAP_F_NEW },
	{ FUSE_IOMAP_F_DIRTY,		IOMAP_F_DIRTY },
	{ FUSE_IOMAP_F_SHARED,		IOMAP_F_SHARED },
	{ FUSE_IOMAP_F_MERGED,		IOMAP_F_MERGED },
	{ FUSE_IOMAP_F_SIZE_CHANGED,	IOMAP_F_SIZE_CHANGED },
	{ FUSE_IOMAP_F_STALE,		IOMAP_F_STALE },
	{ FUSE_IOMAP_F_WANT_IOMAP_END,	FUSE_IOMAP_F_IOMAP_WANT_END },
};

/**
 * fuse_iomap_to_iomap - convert a validated wire mapping for iomap
 * @src: the mapping; fuse_iomap_check_io() accepted it
 * @bdev: the block device of @src->dev, NULL for mappings without blocks
 * @dst: the iomap to fill
 *
 * FUSE_IOMAP_F_BOUNDARY has no iomap counterpart in 6.12 and is dropped;
 * WANT_IOMAP_END is kept in a filesystem-private iomap flag.
 */
void fuse_iomap_to_iomap(const struct fuse_iomap_io *src,
			 struct block_device *bdev, struct iomap *dst)
{
	int i;

	dst->offset = src->offset;
	dst->length = src->length;
	dst->type = src->type;	/* the wire values are iomap's */
	dst->flags = 0;
	for (i = 0; i < ARRAY_SIZE(fuse_iomap_flag_map); i++)
		if (src->flags & fuse_iomap_flag_map[i].wire)
			dst->flags |= fuse_iomap_flag_map[i].iomap;
	dst->addr = fuse_iomap_type_has_blocks(src->type) ?
		    src->addr : IOMAP_NULL_ADDR;
	dst->bdev = bdev;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_to_iomap);

/* The mapping as reported back to the server in FUSE_IOMAP_END. */
void fuse_iomap_from_iomap(const struct iomap *src, u32 dev,
			   struct fuse_iomap_io *dst)
{
	int i;

	dst->offset = src->offset;
	dst->length = src->length;
	dst->type = src->type;
	dst->flags = 0;
	for (i = 0; i < ARRAY_SIZE(fuse_iomap_flag_map); i++)
		if (src->flags & fuse_iomap_flag_map[i].iomap)
			dst->flags |= fuse_iomap_flag_map[i].wire;
	dst->addr = src->addr;
	dst->dev = fuse_iomap_type_has_blocks(src->type) ? dev :
		   FUSE_IOMAP_DEV_NULL;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_from_iomap);

/* iomap operation flags as sent to the server. */
u32 fuse_iomap_op_to_wire(unsigned int flags)
{
	static const struct {
		unsigned int iomap;
		u32 wire;
	} map[] = {
		{ IOMAP_WRITE,		FUSE_IOMAP_OP_WRITE },
		{ IOMAP_ZERO,		FUSE_IOMAP_OP_ZERO },
		{ IOMAP_REPORT,		FUSE_IOMAP_OP_REPORT },
		{ IOMAP_FAULT,		FUSE_IOMAP_OP_FAULT },
		{ IOMAP_DIRECT,		FUSE_IOMAP_OP_DIRECT },
		{ IOMAP_NOWAIT,		FUSE_IOMAP_OP_NOWAIT },
		{ IOMAP_OVERWRITE_ONLY,	FUSE_IOMAP_OP_OVERWRITE_ONLY },
		{ IOMAP_UNSHARE,	FUSE_IOMAP_OP_UNSHARE },
#ifdef CONFIG_FS_DAX
		{ IOMAP_DAX,		FUSE_IOMAP_OP_DAX },
#endif
	};
	u32 wire = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (flags & map[i].iomap)
			wire |= map[i].wire;
	return wire;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_op_to_wire);
