/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tests' deterministic data: every 8-byte word is a function of a
 * seed and its file offset, so data can be checked without a shadow copy.
 * fileverify writes and checks it, fusetd famfs lays it down on pmem,
 * mmapverify checks it through a mapping.
 */
#ifndef FUSE_IOMAP_TESTS_PATTERN_H
#define FUSE_IOMAP_TESTS_PATTERN_H

#include <stdint.h>

static inline uint64_t word_at(uint64_t seed, uint64_t off)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL ^ (off >> 3);

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static inline unsigned char byte_at(uint64_t seed, uint64_t off)
{
	return word_at(seed, off) >> ((off & 7) * 8);
}

#endif /* FUSE_IOMAP_TESTS_PATTERN_H */
