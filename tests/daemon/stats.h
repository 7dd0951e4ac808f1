/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fusetd request counters.  With --stats FILE the serving daemon maps FILE
 * shared and bumps one counter per received request, and event counters
 * (IOEND flags, copy-on-write, clones), so that tests can read the counts
 * at any time with "fusetd stats FILE".
 */
#ifndef FUSETD_STATS_H
#define FUSETD_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define FT_STATS_MAGIC		"FTSTATS2"
#define FT_STATS_NR_OPS		4096	/* opcodes 0..4095 */
#define FT_STATS_NR_NOTIFY	128	/* reserved for notifications */
#define FT_STATS_NR_EVENTS	64

/*
 * Event counters, printed in lower case (see stats.c for the names), the
 * faults as "fault-NAME".
 */
enum ft_event {
	FT_EV_IOEND_UNWRITTEN,		/* IOEND requests with this flag */
	FT_EV_IOEND_SHARED,
	FT_EV_IOEND_APPEND,
	FT_EV_IOEND_WRITEBACK,
	FT_EV_IOEND_DIRECT,
	FT_EV_IOEND_ERROR,		/* IOEND requests with error != 0 */
	FT_EV_COW_ALLOC_BLOCKS,		/* blocks put in a COW fork */
	FT_EV_COW_REMAP_BLOCKS,		/* COW fork blocks moved to the file */
	FT_EV_COW_CANCEL_BLOCKS,	/* COW fork blocks freed unused */
	FT_EV_COW_WRITE_BLOCKS,		/* shared blocks copied by the daemon */
	FT_EV_CLONE,			/* COPY_FILE_RANGE with CLONE done */
	FT_EV_COPY_RANGE,		/* COPY_FILE_RANGE without it done */
	FT_EV_SHARED_BLOCKS,		/* blocks shared by either */
	FT_EV_COPIED_BYTES,		/* bytes copied as data by either */
	FT_EV_NOTIFY_REFUSED,		/* notifications the kernel refused */
	FT_EV_INLINE_BEGIN,		/* IOMAP_BEGIN answered INLINE */
	FT_EV_INLINE_END,		/* IOMAP_END with inline data stored */
	FT_EV_INLINE_MOVE_OUT,		/* inline files moved to a block */
	FT_EV_INLINE_MOVE_IN,		/* files truncated back inline */
	FT_EV_UNSHARE_BLOCKS,		/* shared blocks FALLOCATE unshared */
	FT_EV_FAULT_SKIP_IOEND,		/* --fault NAME fired (fault.c) */
	FT_EV_FAULT_STALE_MAP,
	FT_EV_FAULT_DROP_CLONE,
	FT_EV_FAULT_DROP_UNSHARE,
	FT_EV_RETRY_CACHE,		/* upsert + RETRY_CACHE answers */
	FT_EV_WIRE_NODEID_1,		/* requests for node 1 (node 2 root) */
	FT_EV_FREEZE,			/* FREEZE_FS answered */
	FT_EV_SETFLAGS,			/* chattr: FS_IOC_SETFLAGS */
	FT_EV_UNFREEZE,			/* UNFREEZE_FS answered */
	FT_EV_SHUTDOWN,			/* SHUTDOWN_FS answered */
	FT_EV_DEV_INVAL_NS,		/* ns the kernel took over DEV_INVALs */
	FT_EV_NR
};

struct ft_stats {
	char			magic[8];
	uint32_t		nr_ops;
	uint32_t		nr_notify;
	_Atomic uint64_t	ops[FT_STATS_NR_OPS];
	_Atomic uint64_t	notify[FT_STATS_NR_NOTIFY];
	_Atomic uint64_t	events[FT_STATS_NR_EVENTS];
};

_Static_assert(FT_EV_NR <= FT_STATS_NR_EVENTS, "too many events");
/* one layout for every ABI: an i386 fusetd's file reads on x86-64 */
_Static_assert(offsetof(struct ft_stats, ops) == 16, "ops at 16");
_Static_assert(sizeof(struct ft_stats) ==
	       16 + 8 * (FT_STATS_NR_OPS + FT_STATS_NR_NOTIFY +
			 FT_STATS_NR_EVENTS), "no padding");

struct ft_stats *stats_create(const char *path);
void stats_count_op(struct ft_stats *stats, uint32_t opcode);
void stats_event(struct ft_stats *stats, enum ft_event ev, uint64_t n);
void stats_count_notify(struct ft_stats *stats, uint32_t code);
int stats_show(const char *path, int reset);
const char *fuse_opcode_name(uint32_t opcode);
int fuse_opcode_lookup(const char *name);

#endif /* FUSETD_STATS_H */
