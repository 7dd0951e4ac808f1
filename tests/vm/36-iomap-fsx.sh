#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fsx against iomap files: every operation class of fstests' fsx and more
# (buffered, direct (4 KiB and sub-block) and mmap reads and writes,
# truncate, every fallocate mode including unshare, reflink within and
# between files, copy_file_range, dedupe, fsync), each byte checked
# against fsx's shadow copy, through plain system calls, libaio and
# io_uring (where any error, EAGAIN included, fails the run), and with
# fstests' modes (post-EOF pollution, flush and invalidate, close and
# reopen, sync and verify after every operation).  Several seeds; every
# operation class must have run (--strict: an unsupported one fails).
# Then the data must survive umount, a daemon restart and remount byte for
# byte, the daemon's image must pass fsck, and the daemon must have seen
# no READ or WRITE at all.  Last, io_uring direct I/O on a mount without a
# mapping cache.
#
# FSX_OPS    operations per seed (default 2000; see "make soak")
# FSX_SEEDS  comma-separated seeds (default 1,...,6); seed N runs on file
#            sN with the parameters of configuration N mod 6 below
# FSX_JOBS   seeds run at once (default 1)
. /tests/vm/lib.sh

umount_on_exit
ops=${FSX_OPS:-2000}
SEEDS=$(echo "${FSX_SEEDS:-1,2,3,4,5,6}" | tr , ' ')
jobs=${FSX_JOBS:-1}

# run_fsx NAME FSX-ARGS...: one fsx run, its shadow kept for later.
run_fsx() {
	_n=$1; shift
	_t0=$(t_now)
	if fsx -q --strict --save "$T_TMP/$_n.shadow" "$@" "$T_MNT/$_n" \
		> "$T_TMP/$_n.log" 2>&1; then
		_t=$(($(t_now) - _t0))
		# the operations this run did, from its last line
		_o=$(sed -n 's/^fsx: \([0-9]*\) ops,.*/\1/p' "$T_TMP/$_n.log" | tail -1)
		pass "fsx $_n: $(tail -1 "$T_TMP/$_n.log")"
		diag "fsx $_n: ${_o:-?} ops in $(t_secs "$_t") s, $(t_rate "${_o:-0}" "$_t") ops/s"
	else
		fail "fsx $_n"
		tail -80 "$T_TMP/$_n.log"
	fi
	# Each class must have run: "read 0" would be a silent skip.
	for c in read write mread mwrite pmwrite dread dwrite trunc falloc punch \
		 zero collapse insert clone sclone fsync fdsync copy dedupe \
		 unshare; do
		grep -q "[( ]$c 0[ )]" "$T_TMP/$_n.log" &&
			fail "fsx $_n: no $c operation ran"
	done
}

t_mkfs -s 448M
require "mount with --iomap" iomap_mount

# seed N: one of six configurations (file size, operation size, sub-block
# direct I/O, I/O engine, verify interval, fstests' modes)
seed_fsx() {
	case $(($1 % 6)) in
	1) run_fsx "s$1" -N "$ops" -S "$1" -l 1m -o 128k ;;
	2) run_fsx "s$1" -N "$ops" -S "$1" -l 4m -o 256k -a 512 --aio ;;
	3) run_fsx "s$1" -N "$ops" -S "$1" -l 256k -o 32k -c 100 --uring ;;
	4) run_fsx "s$1" -N "$ops" -S "$1" -l 1m -o 256k -a 512 --uring ;;
	5) run_fsx "s$1" -N "$ops" -S "$1" -l 1m --pollute-eof --flush-inval \
		--reopen 50 --record-ops "$T_TMP/s$1.ops" ;;
	*) run_fsx "s$1" -N "$ops" -S "$1" -l 256k -o 64k --sync-each \
		--verify-each --uring ;;
	esac
}
# slot J: the seeds of job slot J, in turn
slot() {
	_k=0
	for seed in $SEEDS; do
		_k=$((_k + 1))
		[ $(((_k - 1) % jobs + 1)) = "$1" ] && seed_fsx "$seed"
	done
}
total=$(($(echo $SEEDS | wc -w) * ops))
t0=$(t_now)
run_jobs "$jobs" slot
t=$(($(t_now) - t0))
diag "iomap fsx: $total ops in $(t_secs "$t") s with $jobs job(s): $(t_rate $total $t) ops/s"

check_eq "no READ request in $total operations" 0 "$(op_count READ)"
check_eq "no WRITE request either" 0 "$(op_count WRITE)"
for op in IOMAP_BEGIN IOMAP_IOEND FALLOCATE COPY_FILE_RANGE; do
	check "the daemon answered $op ($(op_count "$op"))" \
		test "$(op_count "$op")" -gt 0
done
"$FUSETD" stats "$STATS" | grep -E '^(ioend|cow|clone)' | sed 's/^/# /'

check "umount" umount "$T_MNT"
check "fsck of the image" "$FUSETD" fsck "$T_DISK1"
require "remount with a new daemon" iomap_mount
for seed in $SEEDS; do
	check "fsx s$seed: data after the restart" \
		fsx --check "$T_TMP/s$seed.shadow" "$T_MNT/s$seed"
done
check "umount" umount "$T_MNT"

# No mapping cache: every I/O asks the server, io_uring never tries NOWAIT.
require "mount with --no-cache" \
	"$FUSETD" mount --iomap --no-cache --stats "$STATS" "$T_DISK1" "$T_MNT"
run_fsx nocache -N $((ops / 2)) -S 99 -l 1m -o 256k -a 512 --uring
check "umount" umount "$T_MNT"
check "fsck of the image" "$FUSETD" fsck "$T_DISK1"
require "remount" iomap_mount
check "fsx nocache: data after the restart" \
	fsx --check "$T_TMP/nocache.shadow" "$T_MNT/nocache"
check "umount" umount "$T_MNT"
t_done
