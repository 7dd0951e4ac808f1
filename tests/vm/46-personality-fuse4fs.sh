#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fusetd --personality fuse4fs: the daemon on the wire as fuse4fs over
# libfuse 3.99 is (tests/daemon/personality.h): the root is node 2
# (mount option root_nodeid=2), INIT 7.99, FUSE_IOMAP_CONFIG without a
# cache limit (the kernel's default cache), every IOMAP_BEGIN miss for a
# read or an in-place write answered by an upsert of the read mapping
# and RETRY_CACHE, so that writes go through cached read mappings;
# FREEZE_FS, UNFREEZE_FS and SHUTDOWN_FS answered.
# First its own checks of those facts, then the iomap tests 30, 35, 36
# (fewer fsx operations) and 62 run unchanged under
# FUSETD_PERSONALITY=fuse4fs (PERS_TESTS="..." picks others, "" none).
. /tests/vm/lib.sh

export FUSETD_PERSONALITY=fuse4fs
cleanup() { if mounted; then umount "$T_MNT"; fi; }
trap cleanup EXIT


t_mkfs
# no --iomap: the personality implies it
require "mount with the fuse4fs personality" fs_mount
line=$(grep " $T_MNT " /proc/self/mountinfo)
diag "mountinfo: $line"
case "$line" in
*root_nodeid=2*) pass "mountinfo shows root_nodeid=2" ;;
*) skip "mountinfo shows root_nodeid=2" "the kernel does not print it" ;;
esac
check_eq "the root's inode number is 2 (node 2)" 2 "$(stat -c %i "$T_MNT")"
check "the kernel caches without being asked ($(cstat max_bytes) bytes)" \
	test "$(cstat max_bytes)" -gt 0

f=$T_MNT/f
check "direct write of 1 MiB" fileverify write -d "$f" 1048576 1
check "buffered write of 1 MiB + 3 into another file" \
	fileverify write "$T_MNT/g" 1048579 2
sync
ino=$(stat -c %i "$f")
check "a file's inode number is neither 1 nor 2 ($ino)" test "$ino" -gt 2
check_eq "\".\" of the root is 2 in readdir" 2 \
	"$(ls -ia "$T_MNT" | awk '$2 == "." { print $1 }')"
umount "$T_MNT"

# Cold cache: each miss is one upsert and one RETRY_CACHE answer.
require "remount" fs_mount
check "the direct file reads back" fileverify check -d "$f" 1048576 1
check "the buffered file too" fileverify check "$T_MNT/g" 1048579 2
b0=$(op_count IOMAP_BEGIN)
r0=$(op_count retry_cache)
check "IOMAP_BEGIN misses answered RETRY_CACHE ($r0 of $b0)" test "$r0" -gt 0
check_eq "one upsert per RETRY_CACHE answer" "$r0" \
	"$(op_count NOTIFY_IOMAP_UPSERT_MAPPINGS)"
check_eq "the kernel took them all" "$r0" "$(cstat upserts)"
b0=$(op_count IOMAP_BEGIN)
check "a direct read again" fileverify check -d "$f" 1048576 1
check_eq "it asked the server nothing" "$b0" "$(op_count IOMAP_BEGIN)"
# The kernel writes in place through the cached (read) mapping.
b0=$(op_count IOMAP_BEGIN)
check "direct overwrite of the cached range" \
	fileverify write -d -o 65536 "$f" 262144 3
check_eq "it asked the server nothing" "$b0" "$(op_count IOMAP_BEGIN)"
check "the overwrite reads back" fileverify check -d -o 65536 "$f" 262144 3
r0=$(op_count retry_cache)
check "direct write into a hole at 8 MiB" \
	fileverify write -d -o 8388608 "$f" 65536 4
check "new blocks upserted unwritten and answered RETRY_CACHE" \
	test "$(op_count retry_cache)" -gt "$r0"
check "the write reads back, the rest too" sh -c "
	fileverify check -d -o 8388608 $f 65536 4 &&
	fileverify check -d -o 0 $f 65536 1 &&
	fileverify check -d -o 327680 $f 720896 1"
check "an ioend converted them" test "$(op_count ioend_unwritten)" -gt 0
check_eq "no request named node 1" 0 "$(op_count wire_nodeid_1)"
check_eq "no READ or WRITE" "0 0" "$(op_count READ) $(op_count WRITE)"
# Freezing, thawing and shutting down reach the server, once each.
check "fsfreeze --freeze" fsfreeze --freeze "$T_MNT"
check "fsfreeze --unfreeze" fsfreeze --unfreeze "$T_MNT"
check_eq "FREEZE_FS and UNFREEZE_FS answered and counted" "1 1 1 1" \
	"$(op_count FREEZE_FS) $(op_count UNFREEZE_FS) $(op_count freeze) $(op_count unfreeze)"
diag "requests: $("$FUSETD" stats "$STATS" | tr '\n' ' ')"
diag "cache: $(tr '\n' ' ' < "$DBG/$(conn_id)/cache")"
check "FS_IOC_SHUTDOWN (sync first)" fsop shutdown "$T_MNT" 0
check_eq "SHUTDOWN_FS answered and counted" "1 1" \
	"$(op_count SHUTDOWN_FS) $(op_count shutdown)"
check "umount" umount "$T_MNT"

# --no-cache: a limit of 0 asked in so many words; BEGINs answered directly.
require "mount with --no-cache" \
	"$FUSETD" mount --no-cache --stats "$STATS" "$T_DISK1" "$T_MNT"
check_eq "no cache" 0 "$(cstat max_bytes)"
check "reads without a cache" sh -c "
	fileverify check -d -o 0 $f 65536 1 &&
	fileverify check -d -o 65536 $f 262144 3 &&
	fileverify check -d -o 327680 $f 720896 1 &&
	fileverify check -d -o 8388608 $f 65536 4"
check_eq "no RETRY_CACHE, no upsert" "0 0" \
	"$(op_count retry_cache) $(op_count NOTIFY_IOMAP_UPSERT_MAPPINGS)"
check "umount" umount "$T_MNT"
check "fsck" "$FUSETD" fsck "$T_DISK1"

# The iomap tests, unchanged, under the personality (PERS_TESTS: which).
for t in ${PERS_TESTS-30-iomap-dio 35-iomap-buffered 36-iomap-fsx 62-iomap-cache}; do
	case $t in
	36-*) sub_test "$t" FSX_OPS="${FSX_OPS:-500}" ;;
	62-*) sub_test "$t" CACHE_EXTENTS="${CACHE_EXTENTS:-100000}" ;;
	*) sub_test "$t" ;;
	esac
done
t_done
