#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fusetd famfs --personality famfs: the daemon on the wire as famfs_fused
# (with libfuse pull request 1414) is (tests/daemon/personality.h): famfs
# asked for on INIT bit 43, the dax device as the mount source and, by
# its realpath, in the GET_DAXDEV reply (index in the node id), the whole
# fmap in one GET_FMAP reply, an interleaved file as one extent of exactly
# the file's size in 4 KiB or 2 MiB chunks.  The kernel gives bit 43 the
# famfs meaning when only famfs is enabled, so iomap is switched off for
# the run (enable_iomap=0).  First its own checks with 4 KiB chunks and a
# symlink as --daxdev, then the famfs tests 40 and 42 (fewer fsx
# operations) under FUSETD_PERSONALITY=famfs (PERS_TESTS="..." picks
# others, "" none).
. /tests/vm/lib.sh

IOMAP_PARAM=$FUSE_PARAMS/enable_iomap
old_iomap=$(cat $IOMAP_PARAM)
cleanup() {
	famfs_cleanup
	echo "$old_iomap" > $IOMAP_PARAM
}
famfs_begin
trap cleanup EXIT

# FAMFS_DEVICES=/dev/daxR.N (test 48): on a devdax instance, as famfs
DEV=${FAMFS_DEVICES:-/dev/pmem0}
require "a DAX device $DEV" test -b "$DEV" -o -c "$DEV"
famfs_on
echo N > $IOMAP_PARAM
FAMFS_DEVS="-d $DEV"
ln -sf "$DEV" "$T_TMP/dax"

# a: interleaved, 3 strips, size not a multiple of 4 KiB; s: simple
ASIZE=5000001
SSIZE=3000000
SPECS="-F a:$ASIZE:ilv:3:2M -F s:$SSIZE:simple:2M"
P="--personality famfs --chunk-size 4K"
# shellcheck disable=SC2086
require "mount fusetd famfs $P --daxdev $T_TMP/dax" \
	famfs_mount $P --daxdev "$T_TMP/dax"
src=$(awk -v m="$T_MNT" '$5 == m { for (i = 7; $i != "-"; i++); print $(i + 2) }' \
	/proc/self/mountinfo)
check_eq "the mount source is the --daxdev path" "$T_TMP/dax" "$src"
# shellcheck disable=SC2086
"$FUSETD" famfs --dump a $P $FAMFS_DEVS $SPECS | sed 's/^/# /'
check_eq "size of the interleaved file" $ASIZE "$(stat -c %s "$T_MNT/a")"
check "a: the laid-down pattern reads back" fileverify check "$T_MNT/a" $ASIZE 1
check "s: too" fileverify check "$T_MNT/s" $SSIZE 2
check "a: mmap reads" mmapverify check "$T_MNT/a" $ASIZE 1
check "a: O_DIRECT reads" fileverify check -d "$T_MNT/a" $ASIZE 1
check_eq "one GET_FMAP per file, never a size retry" 2 "$(op_count GET_FMAP)"
check_eq "one GET_DAXDEV" 1 "$(op_count GET_DAXDEV)"
check "write() a new pattern" fileverify write -o 0 "$T_MNT/a" $ASIZE 11
# shellcheck disable=SC2086
check "on the device, 4 KiB chunk by chunk where the layout says" \
	"$FUSETD" famfs $P --check a --seed 11 $FAMFS_DEVS $SPECS
check "mmap writes across chunks" mmapverify write -o 4093 "$T_MNT/a" 1000000 12
check "read() sees them" fileverify check -o 4093 "$T_MNT/a" 1000000 12
check "and the bytes around them are kept" sh -c "
	fileverify check -o 0 $T_MNT/a 4093 11 &&
	fileverify check -o 1004093 $T_MNT/a $((ASIZE - 1004093)) 11"
check "fsx over the 4 KiB-chunk file" \
	fsx -q --fixed-size --strict -N "${FSX_OPS:-1000}" -S 47 -o 64k -a 512 \
	"$T_MNT/a"
check_fails "a write at EOF fails" "No space left on device" \
	dd if=/dev/zero of="$T_MNT/a" bs=1 seek=$ASIZE count=1 conv=notrunc
for op in READ WRITE IOMAP_BEGIN; do
	check_eq "no $op" 0 "$(op_count $op)"
done
diag "requests: $("$FUSETD" stats "$STATS" | tr '\n' ' ')"
check "umount" umount "$T_MNT"
wait_gone fusetd

# The famfs tests, under the personality (2 MiB chunks; PERS_TESTS: which).
for t in ${PERS_TESTS-40-famfs-io 42-famfs-fsx}; do
	sub_test "$t" FUSETD_PERSONALITY=famfs FSX_OPS="${FSX_OPS:-1000}"
done
t_done
