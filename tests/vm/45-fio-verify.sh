#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fio --verify over iomap and famfs files: several fio jobs at once, each
# on a file of its own, write every block with a crc32c header that fio
# reads back and checks as it goes (verify_backlog) and at the end of each
# pass.  Then the files' checksums must survive a umount and a remount
# with a new daemon (an empty page cache and mapping cache: everything is
# read from the device again).
#
# iomap: random direct writes through libaio and io_uring (4 KiB to
# 128 KiB), buffered writes with an fsync every 32, and writes through a
# shared mapping, on files fio preallocates (unwritten extents converted
# by IOMAP_IOEND); the daemon must see no READ or WRITE, and its image
# must pass fsck.  famfs: buffered, direct libaio and mmap writes on a
# simple and two interleaved files; no READ, WRITE or iomap request, one
# GET_FMAP per file.
#
# FIO_MB     MiB per file (default 8; make soak: 32)
# FIO_LOOPS  passes over each file (default 1; make soak: 16)
. /tests/vm/lib.sh

famfs_begin

mb=${FIO_MB:-8}
loops=${FIO_LOOPS:-1}
bytes=$((mb * 1048576))

# fio_run NAME JOBFILE NJOBS: run the jobs; each must have written its
# file LOOPS times over and read back (verified) every byte it wrote.
# The terse output's fields: 3 job, 5 error, 6 KiB read, 47 KiB written.
fio_run() {
	_t0=$(t_now)
	if fio --output-format=terse --output="$T_TMP/$1.log" "$2"; then
		_t=$(($(t_now) - _t0))
		_mib=$((mb * loops * $3))
		pass "$1: fio, $3 jobs"
		diag "$1: $_mib MiB written and verified in $(t_secs "$_t") s, $(t_rate $((_mib * 1024)) "$_t") KiB/s"
	else
		fail "$1: fio"
	fi
	check "$1: every job wrote $((mb * loops)) MiB and verified it all" \
		awk -F';' -v kib=$((mb * loops * 1024)) -v n="$3" '
			$1 == 3 { jobs++
				  printf "# %s: error %s, wrote %s KiB, verified %s KiB\n",
					 $3, $5, $47, $6
				  if ($5 != 0 || $47 != kib || $6 != kib) bad = 1 }
			END { exit bad || jobs != n }' "$T_TMP/$1.log"
}

# sums NAME FILE...: the files' checksums, kept as $T_TMP/NAME.sums
sums() {
	_n=$1; shift
	(cd "$T_MNT" && md5sum "$@") > "$T_TMP/$_n.sums"
}
sums_again() { (cd "$T_MNT" && md5sum -c -s "$T_TMP/$1.sums"); }

common() {
	cat <<-EOF
	[global]
	size=${mb}m
	loops=$loops
	bs=4k
	iodepth=16
	verify=crc32c
	verify_fatal=1
	verify_backlog=64
	do_verify=1
	EOF
}

# ---- iomap ----
t_mkfs -s 448M
require "mount with --iomap" iomap_mount
"$FUSETD" stats --reset "$STATS"
{
	common
	cat <<-EOF
	[dio-libaio]
	filename=$T_MNT/j1
	rw=randwrite
	direct=1
	ioengine=libaio
	[dio-uring]
	filename=$T_MNT/j2
	rw=randwrite
	direct=1
	ioengine=io_uring
	bsrange=4k-128k
	[buffered]
	filename=$T_MNT/j3
	rw=randwrite
	ioengine=psync
	fsync=32
	[mmap]
	filename=$T_MNT/j4
	rw=randwrite
	ioengine=mmap
	EOF
} > "$T_TMP/iomap.fio"
fio_run iomap "$T_TMP/iomap.fio" 4
check_eq "no READ request" 0 "$(op_count READ)"
check_eq "no WRITE request" 0 "$(op_count WRITE)"
check "IOMAP_BEGIN requests ($(op_count IOMAP_BEGIN))" \
	test "$(op_count IOMAP_BEGIN)" -gt 0
check "IOMAP_IOEND requests ($(op_count IOMAP_IOEND))" \
	test "$(op_count IOMAP_IOEND)" -gt 0
check "sync" sync
check "checksums" sums iomap j1 j2 j3 j4
check "umount" umount "$T_MNT"
wait_gone fusetd
require "remount with a new daemon" iomap_mount
check "the same checksums after the remount" sums_again iomap
check_eq "no READ request after it either" 0 "$(op_count READ)"
check "umount" umount "$T_MNT"
wait_gone fusetd
check "fusetd fsck finds the image clean" "$FUSETD" fsck "$T_DISK1"

# ---- famfs ----
require "a pmem device" test -b /dev/pmem0
SPECS="-F f1:$bytes:simple:2M -F f2:$bytes:ilv:3:2M -F f3:$bytes:ilv:2:2M"
famfs_on
require "mount fusetd famfs" famfs_mount
"$FUSETD" stats --reset "$STATS"
{
	common
	cat <<-EOF
	fallocate=none
	[buffered]
	filename=$T_MNT/f1
	rw=randwrite
	ioengine=psync
	fsync=32
	[dio-libaio]
	filename=$T_MNT/f2
	rw=randwrite
	direct=1
	ioengine=libaio
	bsrange=4k-128k
	[mmap]
	filename=$T_MNT/f3
	rw=randwrite
	ioengine=mmap
	EOF
} > "$T_TMP/famfs.fio"
fio_run famfs "$T_TMP/famfs.fio" 3
for op in READ WRITE IOMAP_BEGIN IOMAP_END IOMAP_IOEND; do
	check_eq "no $op request" 0 "$(op_count $op)"
done
check_eq "one GET_FMAP per file" 3 "$(op_count GET_FMAP)"
check_eq "the files kept their size" "$bytes $bytes $bytes" \
	"$(stat -c %s "$T_MNT/f1" "$T_MNT/f2" "$T_MNT/f3" | tr '\n' ' ' | sed 's/ $//')"
check "checksums" sums famfs f1 f2 f3
check "umount" umount "$T_MNT"
wait_gone fusetd
require "remount, the files as they are" famfs_mount --keep
check "the same checksums after the remount" sums_again famfs
check "umount" umount "$T_MNT"
t_done
