#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fsx over famfs files (fsx --fixed-size): buffered, O_DIRECT (4 KiB and
# sub-block) and shared and private mmap reads and writes, copy_file_range
# within the file, fsync, and writes across and past EOF (cut at EOF,
# ENOSPC past it), through io_uring on one file and libaio (with reopens
# and flush+invalidate) on the other, every byte
# checked against fsx's shadow, on a simple file (2 MiB extents, round
# robin over the devices, a size that ends inside a page) and an
# interleaved one (3 strips of 2 MiB chunks).  Each seed S runs on both
# files (as fsx seed 1000 + S on the interleaved one), starting from what
# the previous seed left (the first from the
# pattern fusetd laid down, checked first).  The daemon must see no READ,
# WRITE or iomap request and no GET_FMAP after the first opens; after a
# remount (new inodes, fmaps fetched again) the files must match the
# last shadows byte for byte.
#
# FSX_OPS    operations per file and seed (default 3000)
# FSX_SEEDS  comma-separated seeds (default 1,2,3)
# FSX_JOBS   seeds run at once, each set on files of its own (default 1)
. /tests/vm/lib.sh

famfs_begin

ops=${FSX_OPS:-3000}
SEEDS=$(echo "${FSX_SEEDS:-1,2,3}" | tr , ' ')
jobs=${FSX_JOBS:-1}

famfs_devices

# Files s$j (simple) and i$j (interleaved) for each job slot j; file n of
# the -F list is laid down with fileverify's pattern of seed n.
SSIZE=5243954		# 5 MiB + 1234: the EOF is inside a page
ISIZE=9437201		# 9 MiB + 17
SPECS= FILES= n=0
j=1
while [ $j -le "$jobs" ]; do
	SPECS="$SPECS -F s$j:$SSIZE:simple:2M -F i$j:$ISIZE:ilv:3:2M:2"
	FILES="$FILES s$j:$SSIZE:$((n + 1)) i$j:$ISIZE:$((n + 2))"
	n=$((n + 2))
	j=$((j + 1))
done

famfs_on
require "mount fusetd famfs ($jobs set(s) of files)" famfs_mount
for f in $FILES; do
	name=${f%%:*} rest=${f#*:}
	size=${rest%%:*} seed=${rest#*:}
	check "$name: the laid-down pattern reads back ($size bytes)" \
		fileverify check "$T_MNT/$name" "$size" "$seed"
done
"$FUSETD" stats --reset "$STATS"

# fsx_file NAME SEED ARGS...: one fsx run over a famfs file
fsx_file() {
	_n=$1 _s=$2
	shift 2
	_log=$T_TMP/fsx.$_n.$_s.log
	_t0=$(t_now)
	if fsx -q --fixed-size --strict --save "$T_TMP/$_n.shadow" -N "$ops" \
		-S "$_s" "$@" "$T_MNT/$_n" > "$_log" 2>&1; then
		_t=$(($(t_now) - _t0))
		pass "fsx $_n seed $_s: $(tail -1 "$_log")"
		diag "fsx $_n seed $_s: $ops ops in $(t_secs "$_t") s, $(t_rate "$ops" "$_t") ops/s"
	else
		fail "fsx $_n seed $_s"
		tail -80 "$_log"
	fi
	for c in read write mread mwrite pmwrite dread dwrite fsync fdsync copy \
		 eof; do
		grep -q "[( ]$c 0[ )]" "$_log" &&
			fail "fsx $_n seed $_s: no $c operation ran"
	done
}

# slot J: the seeds of job slot J, in turn, on s$J and i$J
slot() {
	_k=0
	for seed in $SEEDS; do
		_k=$((_k + 1))
		[ $(((_k - 1) % jobs + 1)) = "$1" ] || continue
		fsx_file "s$1" "$seed" -o 128k --uring
		fsx_file "i$1" $((seed + 1000)) -o 256k -a 512 --aio \
			--reopen 50 --flush-inval
	done
}

nseeds=$(echo $SEEDS | wc -w)
t0=$(t_now)
run_jobs "$jobs" slot
t=$(($(t_now) - t0))
total=$((nseeds * 2 * ops))
diag "famfs fsx: $total ops in $(t_secs "$t") s with $jobs job(s): $(t_rate $total $t) ops/s"

for op in READ WRITE IOMAP_BEGIN IOMAP_END IOMAP_IOEND GET_FMAP; do
	check_eq "no $op in $total operations" 0 "$(op_count $op)"
done
diag "requests of the fsx runs: $("$FUSETD" stats "$STATS" | tr '\n' ' ')"

check "umount" umount "$T_MNT"
wait_gone fusetd
require "remount, the files as they are" famfs_mount --keep
for f in $FILES; do
	name=${f%%:*}
	check "$name: the last shadow after the remount" \
		fsx --check "$T_TMP/$name.shadow" "$T_MNT/$name"
done
check "umount" umount "$T_MNT"
t_done
