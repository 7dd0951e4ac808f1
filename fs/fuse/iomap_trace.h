/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuse-iomap tracepoints: mapping upcalls, ioends and the mapping caches.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM fuse_iomap

#if !defined(_FUSE_IOMAP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _FUSE_IOMAP_TRACE_H

#include <linux/tracepoint.h>

struct fuse_iomap_io;
struct fuse_iomap_ioend_in;

/* A mapping the kernel uses, from the server or from a cache. */
DECLARE_EVENT_CLASS(fuse_iomap_map_class,
		    TP_PROTO(struct inode *inode, u64 pos, u32 opflags,
			     const struct fuse_iomap_io *map),
		    TP_ARGS(inode, pos, opflags, map),
		    TP_STRUCT__entry(__field(dev_t, dev)
				     __field(u64, ino)
				     __field(u64, pos)
				     __field(u32, opflags)
				     __field(bool, found)
				     __field(u64, offset)
				     __field(u64, length)
				     __field(u64, addr)
				     __field(u16, type)
				     __field(u16, flags)
				     __field(u32, mdev)),
		    TP_fast_assign(__entry->dev = inode->i_sb->s_dev;
				   __entry->ino = get_fuse_inode(inode)->orig_ino;
				   __entry->pos = pos;
				   __entry->opflags = opflags;
				   __entry->found = !!map;
				   __entry->offset = map ? map->offset : 0;
				   __entry->length = map ? map->length : 0;
				   __entry->addr = map ? map->addr : 0;
				   __entry->type = map ? map->type : 0;
				   __entry->flags = map ? map->flags : 0;
				   __entry->mdev = map ? map->dev : 0;),
		    TP_printk("dev %d:%d ino %llu pos 0x%llx opflags 0x%x %s offset 0x%llx length 0x%llx addr 0x%llx type %s flags 0x%x mdev %u",
			      MAJOR(__entry->dev), MINOR(__entry->dev),
			      __entry->ino, __entry->pos, __entry->opflags,
			      __entry->found ? "found" : "miss",
			      __entry->offset, __entry->length, __entry->addr,
			      __print_symbolic(__entry->type,
					       { FUSE_IOMAP_TYPE_HOLE, "hole" },
					       { FUSE_IOMAP_TYPE_DELALLOC,
						 "delalloc" },
					       { FUSE_IOMAP_TYPE_MAPPED,
						 "mapped" },
					       { FUSE_IOMAP_TYPE_UNWRITTEN,
						 "unwritten" },
					       { FUSE_IOMAP_TYPE_INLINE,
						 "inline" }),
			      __entry->flags, __entry->mdev)
);

#define DEFINE_FUSE_IOMAP_MAP_EVENT(name)				\
DEFINE_EVENT(fuse_iomap_map_class, name,				\
	     TP_PROTO(struct inode *inode, u64 pos, u32 opflags,	\
		      const struct fuse_iomap_io *map),			\
	     TP_ARGS(inode, pos, opflags, map))

/* the server's answer to FUSE_IOMAP_BEGIN: the mapping iomap will use */
DEFINE_FUSE_IOMAP_MAP_EVENT(fuse_iomap_begin);

/* a cache lookup; "miss" means a FUSE_IOMAP_BEGIN follows */
DEFINE_FUSE_IOMAP_MAP_EVENT(fuse_iomap_cache_lookup);

/* FUSE_IOMAP_END sent */
DEFINE_FUSE_IOMAP_MAP_EVENT(fuse_iomap_end);

/* a mapping the server pushed (one per direction) */
DEFINE_FUSE_IOMAP_MAP_EVENT(fuse_iomap_upsert);

/* FUSE_IOMAP_IOEND sent, and the server's answer */
TRACE_EVENT(fuse_iomap_ioend,
	    TP_PROTO(struct inode *inode, const struct fuse_iomap_ioend_in *in,
		     int error),
	    TP_ARGS(inode, in, error),
	    TP_STRUCT__entry(__field(dev_t, dev)
			     __field(u64, ino)
			     __field(u64, pos)
			     __field(u64, written)
			     __field(u64, new_addr)
			     __field(u32, flags)
			     __field(int, io_error)
			     __field(int, error)),
	    TP_fast_assign(__entry->dev = inode->i_sb->s_dev;
			   __entry->ino = get_fuse_inode(inode)->orig_ino;
			   __entry->pos = in->pos;
			   __entry->written = in->written;
			   __entry->new_addr = in->new_addr;
			   __entry->flags = in->flags;
			   __entry->io_error = in->error;
			   __entry->error = error;),
	    TP_printk("dev %d:%d ino %llu pos 0x%llx written 0x%llx new_addr 0x%llx flags 0x%x io_error %d error %d",
		      MAJOR(__entry->dev), MINOR(__entry->dev), __entry->ino,
		      __entry->pos, __entry->written, __entry->new_addr,
		      __entry->flags, __entry->io_error, __entry->error)
);

/* cached mappings of a file range dropped, and who asked */
TRACE_EVENT(fuse_iomap_cache_inval,
	    TP_PROTO(struct inode *inode, u64 offset, u64 length,
		     const char *who),
	    TP_ARGS(inode, offset, length, who),
	    TP_STRUCT__entry(__field(dev_t, dev)
			     __field(u64, ino)
			     __field(u64, offset)
			     __field(u64, length)
			     __string(who, who)),
	    TP_fast_assign(__entry->dev = inode->i_sb->s_dev;
			   __entry->ino = get_fuse_inode(inode)->orig_ino;
			   __entry->offset = offset;
			   __entry->length = length;
			   __assign_str(who);),
	    TP_printk("dev %d:%d ino %llu offset 0x%llx length 0x%llx by %s",
		      MAJOR(__entry->dev), MINOR(__entry->dev), __entry->ino,
		      __entry->offset, __entry->length, __get_str(who))
);

/*
 * One step of a scan over an inode's cached mappings (a device
 * invalidation or an eviction), with the time the cache lock was held
 */
TRACE_EVENT(fuse_iomap_cache_step,
	    TP_PROTO(struct inode *inode, const char *why,
		     unsigned long scanned, unsigned long dropped, u64 held_ns),
	    TP_ARGS(inode, why, scanned, dropped, held_ns),
	    TP_STRUCT__entry(__field(dev_t, dev)
			     __field(u64, ino)
			     __field(unsigned long, scanned)
			     __field(unsigned long, dropped)
			     __field(u64, held_ns)
			     __string(why, why)),
	    TP_fast_assign(__entry->dev = inode->i_sb->s_dev;
			   __entry->ino = get_fuse_inode(inode)->orig_ino;
			   __entry->scanned = scanned;
			   __entry->dropped = dropped;
			   __entry->held_ns = held_ns;
			   __assign_str(why);),
	    TP_printk("dev %d:%d ino %llu %s scanned %lu dropped %lu held_ns %llu",
		      MAJOR(__entry->dev), MINOR(__entry->dev), __entry->ino,
		      __get_str(why), __entry->scanned, __entry->dropped,
		      __entry->held_ns)
);

/* a page fault on famfs devdax memory, mapped by famfs itself */
TRACE_EVENT(fuse_famfs_devdax_fault,
	    TP_PROTO(struct inode *inode, u64 pos, unsigned int order,
		     u64 dev_off, vm_fault_t result),
	    TP_ARGS(inode, pos, order, dev_off, result),
	    TP_STRUCT__entry(__field(dev_t, dev)
			     __field(u64, ino)
			     __field(u64, pos)
			     __field(u64, dev_off)
			     __field(unsigned int, order)
			     __field(unsigned int, result)),
	    TP_fast_assign(__entry->dev = inode->i_sb->s_dev;
			   __entry->ino = get_fuse_inode(inode)->orig_ino;
			   __entry->pos = pos;
			   __entry->dev_off = dev_off;
			   __entry->order = order;
			   __entry->result = (__force unsigned int)result;),
	    TP_printk("dev %d:%d ino %llu pos 0x%llx order %u device offset 0x%llx result 0x%x%s%s",
		      MAJOR(__entry->dev), MINOR(__entry->dev), __entry->ino,
		      __entry->pos, __entry->order, __entry->dev_off,
		      __entry->result,
		      __entry->result & (__force unsigned int)VM_FAULT_NOPAGE ?
		      " NOPAGE" : "",
		      __entry->result & (__force unsigned int)VM_FAULT_FALLBACK ?
		      " FALLBACK" : "")
);

#endif /* _FUSE_IOMAP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE iomap_trace
#include <trace/define_trace.h>
