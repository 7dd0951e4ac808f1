#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fsx against iomap files: random buffered, direct (4 KiB and sub-block)
# and mmap reads and writes, truncate, every fallocate mode, reflink
# within and between files, fsync, each byte checked against fsx's shadow
# copy.  Several seeds; every operation class must have run (--strict: an
# unsupported one fails).  Then the data must survive umount, a daemon
# restart and remount byte for byte, the daemon's image must pass fsck,
# and the daemon must have seen no READ or WRITE at all.
#
# FSX_OPS operations per seed (default 3000; "make soak" runs 34000 per
# seed, over 100,000 in all) scales the run.
. /tests/vm/lib.sh

cleanup() { mounted && umount "$T_MNT"; }
trap cleanup EXIT
ops=${FSX_OPS:-3000}

# run_fsx NAME FSX-ARGS...: one fsx run, its shadow kept for later.
run_fsx() {
	_n=$1; shift
	if fsx -q --strict --save "$T_TMP/$_n.shadow" "$@" "$T_MNT/$_n" \
		> "$T_TMP/$_n.log" 2>&1; then
		pass "fsx $_n: $(tail -1 "$T_TMP/$_n.log")"
	else
		fail "fsx $_n"
		tail -80 "$T_TMP/$_n.log"
	fi
	# Each class must have run: "read 0" would be a silent skip.
	for c in read write mread mwrite pmwrite dread dwrite trunc falloc punch \
		 zero collapse insert clone sclone fsync; do
		grep -q "[( ]$c 0[ )]" "$T_TMP/$_n.log" &&
			fail "fsx $_n: no $c operation ran"
	done
}

require "mkfs" "$FUSETD" mkfs -s 448M "$T_DISK1"
require "mount with --iomap" iomap_mount

run_fsx s1 -N "$ops" -S 1 -l 1m -o 128k
run_fsx s2 -N "$ops" -S 2 -l 4m -o 256k -a 512
run_fsx s3 -N "$ops" -S 3 -l 256k -o 32k -c 100

check_eq "no READ request in $((3 * ops)) operations" 0 "$(op_count READ)"
check_eq "no WRITE request either" 0 "$(op_count WRITE)"
for op in IOMAP_BEGIN IOMAP_IOEND FALLOCATE COPY_FILE_RANGE; do
	check "the daemon answered $op ($(op_count "$op"))" \
		test "$(op_count "$op")" -gt 0
done
"$FUSETD" stats "$STATS" | grep -E '^(ioend|cow|clone)' | sed 's/^/# /'

check "umount" umount "$T_MNT"
check "fsck of the image" "$FUSETD" fsck "$T_DISK1"
require "remount with a new daemon" iomap_mount
for n in s1 s2 s3; do
	check "fsx $n: data after the restart" \
		fsx --check "$T_TMP/$n.shadow" "$T_MNT/$n"
done
check "umount" umount "$T_MNT"
t_done
