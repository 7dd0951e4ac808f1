// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd request counters and the "fusetd stats" command.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/fuse.h>

#include "stats.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const opcode_names[] = {
	[FUSE_LOOKUP]		= "LOOKUP",
	[FUSE_IOMAP_CONFIG]	= "IOMAP_CONFIG",
	[FUSE_IOMAP_IOEND]	= "IOMAP_IOEND",
	[FUSE_IOMAP_BEGIN]	= "IOMAP_BEGIN",
	[FUSE_IOMAP_END]	= "IOMAP_END",
	[FUSE_FORGET]		= "FORGET",
	[FUSE_GETATTR]		= "GETATTR",
	[FUSE_SETATTR]		= "SETATTR",
	[FUSE_READLINK]		= "READLINK",
	[FUSE_SYMLINK]		= "SYMLINK",
	[FUSE_MKNOD]		= "MKNOD",
	[FUSE_MKDIR]		= "MKDIR",
	[FUSE_UNLINK]		= "UNLINK",
	[FUSE_RMDIR]		= "RMDIR",
	[FUSE_RENAME]		= "RENAME",
	[FUSE_LINK]		= "LINK",
	[FUSE_OPEN]		= "OPEN",
	[FUSE_READ]		= "READ",
	[FUSE_WRITE]		= "WRITE",
	[FUSE_STATFS]		= "STATFS",
	[FUSE_RELEASE]		= "RELEASE",
	[FUSE_FSYNC]		= "FSYNC",
	[FUSE_SETXATTR]		= "SETXATTR",
	[FUSE_GETXATTR]		= "GETXATTR",
	[FUSE_LISTXATTR]	= "LISTXATTR",
	[FUSE_REMOVEXATTR]	= "REMOVEXATTR",
	[FUSE_FLUSH]		= "FLUSH",
	[FUSE_INIT]		= "INIT",
	[FUSE_OPENDIR]		= "OPENDIR",
	[FUSE_READDIR]		= "READDIR",
	[FUSE_RELEASEDIR]	= "RELEASEDIR",
	[FUSE_FSYNCDIR]		= "FSYNCDIR",
	[FUSE_GETLK]		= "GETLK",
	[FUSE_SETLK]		= "SETLK",
	[FUSE_SETLKW]		= "SETLKW",
	[FUSE_ACCESS]		= "ACCESS",
	[FUSE_CREATE]		= "CREATE",
	[FUSE_INTERRUPT]	= "INTERRUPT",
	[FUSE_BMAP]		= "BMAP",
	[FUSE_DESTROY]		= "DESTROY",
	[FUSE_IOCTL]		= "IOCTL",
	[FUSE_POLL]		= "POLL",
	[FUSE_NOTIFY_REPLY]	= "NOTIFY_REPLY",
	[FUSE_BATCH_FORGET]	= "BATCH_FORGET",
	[FUSE_FALLOCATE]	= "FALLOCATE",
	[FUSE_READDIRPLUS]	= "READDIRPLUS",
	[FUSE_RENAME2]		= "RENAME2",
	[FUSE_LSEEK]		= "LSEEK",
	[FUSE_COPY_FILE_RANGE]	= "COPY_FILE_RANGE",
	[FUSE_SETUPMAPPING]	= "SETUPMAPPING",
	[FUSE_REMOVEMAPPING]	= "REMOVEMAPPING",
	[FUSE_SYNCFS]		= "SYNCFS",
	[FUSE_TMPFILE]		= "TMPFILE",
	[FUSE_STATX]		= "STATX",
	[FUSE_GET_FMAP]		= "GET_FMAP",
	[FUSE_GET_DAXDEV]	= "GET_DAXDEV",
	[FUSE_FREEZE_FS]	= "FREEZE_FS",
	[FUSE_UNFREEZE_FS]	= "UNFREEZE_FS",
	[FUSE_SHUTDOWN_FS]	= "SHUTDOWN_FS",
};

static const char *const event_names[FT_EV_NR] = {
	[FT_EV_IOEND_UNWRITTEN]		= "ioend_unwritten",
	[FT_EV_IOEND_SHARED]		= "ioend_shared",
	[FT_EV_IOEND_APPEND]		= "ioend_append",
	[FT_EV_IOEND_WRITEBACK]		= "ioend_writeback",
	[FT_EV_IOEND_DIRECT]		= "ioend_direct",
	[FT_EV_IOEND_ERROR]		= "ioend_error",
	[FT_EV_COW_ALLOC_BLOCKS]	= "cow_alloc_blocks",
	[FT_EV_COW_REMAP_BLOCKS]	= "cow_remap_blocks",
	[FT_EV_COW_CANCEL_BLOCKS]	= "cow_cancel_blocks",
	[FT_EV_COW_WRITE_BLOCKS]	= "cow_write_blocks",
	[FT_EV_CLONE]			= "clone",
	[FT_EV_COPY_RANGE]		= "copy_range",
	[FT_EV_SHARED_BLOCKS]		= "shared_blocks",
	[FT_EV_COPIED_BYTES]		= "copied_bytes",
	[FT_EV_NOTIFY_REFUSED]		= "notify_refused",
	[FT_EV_INLINE_BEGIN]		= "inline_begin",
	[FT_EV_INLINE_END]		= "inline_end",
	[FT_EV_INLINE_MOVE_OUT]		= "inline_move_out",
	[FT_EV_INLINE_MOVE_IN]		= "inline_move_in",
	[FT_EV_UNSHARE_BLOCKS]		= "unshare_blocks",
	[FT_EV_FAULT_SKIP_IOEND]	= "fault-skip-ioend",
	[FT_EV_FAULT_STALE_MAP]		= "fault-stale-map",
	[FT_EV_FAULT_DROP_CLONE]	= "fault-drop-clone",
	[FT_EV_FAULT_DROP_UNSHARE]	= "fault-drop-unshare",
	[FT_EV_RETRY_CACHE]		= "retry_cache",
	[FT_EV_WIRE_NODEID_1]		= "wire_nodeid_1",
	[FT_EV_FREEZE]			= "freeze",
	[FT_EV_SETFLAGS]		= "setflags",
	[FT_EV_UNFREEZE]		= "unfreeze",
	[FT_EV_SHUTDOWN]		= "shutdown",
	[FT_EV_DEV_INVAL_NS]		= "dev_inval_ns",
};

/* Upper-case name of a FUSE opcode without "FUSE_", or NULL if unknown. */
const char *fuse_opcode_name(uint32_t opcode)
{
	return opcode < ARRAY_SIZE(opcode_names) ? opcode_names[opcode] : NULL;
}

/* The opcode of such a name, or -1. */
int fuse_opcode_lookup(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(opcode_names); i++)
		if (opcode_names[i] && !strcmp(opcode_names[i], name))
			return i;
	return -1;
}

/* Upper-case name of a notification code without "FUSE_NOTIFY_". */
static const char *fuse_notify_name(uint32_t code)
{
	switch (code) {
	case FUSE_NOTIFY_IOMAP_DEV_INVAL:
		return "IOMAP_DEV_INVAL";
	case FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS:
		return "IOMAP_UPSERT_MAPPINGS";
	case FUSE_NOTIFY_IOMAP_INVAL_MAPPINGS:
		return "IOMAP_INVAL_MAPPINGS";
	}
	return NULL;
}

static void stats_zero(struct ft_stats *s)
{
	unsigned int i;

	for (i = 0; i < FT_STATS_NR_OPS; i++)
		atomic_store(&s->ops[i], 0);
	for (i = 0; i < FT_STATS_NR_NOTIFY; i++)
		atomic_store(&s->notify[i], 0);
	for (i = 0; i < FT_STATS_NR_EVENTS; i++)
		atomic_store(&s->events[i], 0);
}

/* Counters in path (created, zeroed), or private ones if path is NULL. */
struct ft_stats *stats_create(const char *path)
{
	struct ft_stats *s;
	int fd;

	if (!path)
		return calloc(1, sizeof(*s));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, sizeof(*s)) < 0) {
		close(fd);
		return NULL;
	}
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (s == MAP_FAILED)
		return NULL;
	stats_zero(s);
	s->nr_ops = FT_STATS_NR_OPS;
	s->nr_notify = FT_STATS_NR_NOTIFY;
	memcpy(s->magic, FT_STATS_MAGIC, sizeof(s->magic));
	return s;
}

void stats_count_op(struct ft_stats *stats, uint32_t opcode)
{
	if (opcode < FT_STATS_NR_OPS)
		atomic_fetch_add_explicit(&stats->ops[opcode], 1,
					  memory_order_relaxed);
}

/* A notification the kernel accepted, by code. */
void stats_count_notify(struct ft_stats *stats, uint32_t code)
{
	if (stats && code < FT_STATS_NR_NOTIFY)
		atomic_fetch_add_explicit(&stats->notify[code], 1,
					  memory_order_relaxed);
}

void stats_event(struct ft_stats *stats, enum ft_event ev, uint64_t n)
{
	if (stats && n)
		atomic_fetch_add_explicit(&stats->events[ev], n,
					  memory_order_relaxed);
}

struct stat_line {
	char		name[32];
	uint64_t	count;
};

static int cmp_line(const void *a, const void *b)
{
	return strcmp(((const struct stat_line *)a)->name,
		      ((const struct stat_line *)b)->name);
}

static void print_counts(struct ft_stats *s)
{
	static struct stat_line lines[FT_STATS_NR_OPS + FT_STATS_NR_NOTIFY +
				      FT_EV_NR];
	const char *name;
	unsigned int i, n = 0;
	uint64_t count;

	for (i = 0; i < FT_STATS_NR_OPS; i++) {
		count = atomic_load(&s->ops[i]);
		if (!count)
			continue;
		name = fuse_opcode_name(i);
		if (name)
			snprintf(lines[n].name, sizeof(lines[n].name), "%s",
				 name);
		else
			snprintf(lines[n].name, sizeof(lines[n].name),
				 "OPCODE_%u", i);
		lines[n++].count = count;
	}
	for (i = 0; i < FT_STATS_NR_NOTIFY; i++) {
		count = atomic_load(&s->notify[i]);
		if (!count)
			continue;
		name = fuse_notify_name(i);
		if (name)
			snprintf(lines[n].name, sizeof(lines[n].name),
				 "NOTIFY_%s", name);
		else
			snprintf(lines[n].name, sizeof(lines[n].name),
				 "NOTIFY_%u", i);
		lines[n++].count = count;
	}
	for (i = 0; i < FT_EV_NR; i++) {
		count = atomic_load(&s->events[i]);
		if (!count)
			continue;
		snprintf(lines[n].name, sizeof(lines[n].name), "%s",
			 event_names[i]);
		lines[n++].count = count;
	}
	qsort(lines, n, sizeof(lines[0]), cmp_line);
	for (i = 0; i < n; i++)
		printf("%s %llu\n", lines[i].name,
		       (unsigned long long)lines[i].count);
}

/* Print the counters in path, or zero them if reset. */
int stats_show(const char *path, int reset)
{
	struct ft_stats *s;
	struct stat stb;
	int fd;

	fd = open(path, (reset ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &stb) < 0 || (size_t)stb.st_size < sizeof(*s)) {
		close(fd);
		return -EINVAL;
	}
	s = mmap(NULL, sizeof(*s), PROT_READ | (reset ? PROT_WRITE : 0),
		 MAP_SHARED, fd, 0);
	close(fd);
	if (s == MAP_FAILED)
		return -errno;
	if (memcmp(s->magic, FT_STATS_MAGIC, sizeof(s->magic)) ||
	    s->nr_ops != FT_STATS_NR_OPS) {
		munmap(s, sizeof(*s));
		return -EINVAL;
	}
	if (reset)
		stats_zero(s);
	else
		print_counts(s);
	munmap(s, sizeof(*s));
	return 0;
}
