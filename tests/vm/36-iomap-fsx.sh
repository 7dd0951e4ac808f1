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
# FSX_OPS    operations per seed (default 3000; see "make soak")
# FSX_SEEDS  comma-separated seeds (default 1,2,3); seed N runs on file sN
#            with the parameters of configuration (N - 1) mod 3 below
# FSX_JOBS   seeds run at once (default 1)
. /tests/vm/lib.sh

cleanup() { mounted && umount "$T_MNT"; }
trap cleanup EXIT
ops=${FSX_OPS:-3000}
SEEDS=$(echo "${FSX_SEEDS:-1,2,3}" | tr , ' ')
jobs=${FSX_JOBS:-1}

# run_fsx NAME FSX-ARGS...: one fsx run, its shadow kept for later.
run_fsx() {
	_n=$1; shift
	_t0=$(t_now)
	if fsx -q --strict --save "$T_TMP/$_n.shadow" "$@" "$T_MNT/$_n" \
		> "$T_TMP/$_n.log" 2>&1; then
		_t=$(($(t_now) - _t0))
		pass "fsx $_n: $(tail -1 "$T_TMP/$_n.log")"
		diag "fsx $_n: $ops ops in $(t_secs "$_t") s, $(t_rate "$ops" "$_t") ops/s"
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

# seed N: one of three configurations (file size, operation size,
# sub-block direct I/O, verify interval)
seed_fsx() {
	case $(($1 % 3)) in
	1) run_fsx "s$1" -N "$ops" -S "$1" -l 1m -o 128k ;;
	2) run_fsx "s$1" -N "$ops" -S "$1" -l 4m -o 256k -a 512 ;;
	*) run_fsx "s$1" -N "$ops" -S "$1" -l 256k -o 32k -c 100 ;;
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
j=1
while [ $j -le "$jobs" ]; do
	slot $j &
	j=$((j + 1))
done
wait
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
t_done
