/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fusetd request counters.  With --stats FILE the serving daemon maps FILE
 * shared and bumps one counter per received request, so that tests can read
 * the counts at any time with "fusetd stats FILE".
 */
#ifndef FUSETD_STATS_H
#define FUSETD_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#define FT_STATS_MAGIC		"FTSTATS1"
#define FT_STATS_NR_OPS		4096	/* opcodes 0..4095 */
#define FT_STATS_NR_NOTIFY	128	/* reserved for notifications */

struct ft_stats {
	char			magic[8];
	uint32_t		nr_ops;
	uint32_t		nr_notify;
	_Atomic uint64_t	ops[FT_STATS_NR_OPS];
	_Atomic uint64_t	notify[FT_STATS_NR_NOTIFY];
};

struct ft_stats *stats_create(const char *path);
void stats_count_op(struct ft_stats *stats, uint32_t opcode);
int stats_show(const char *path, int reset);

#endif /* FUSETD_STATS_H */
