#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make bench", famfs part (guest side; make bench runs it in the same boot
# after run.sh, vm.sh --tests bench/famfs runs it alone): fio read, write
# and mmap jobs on a famfs file of fusetd famfs against the same jobs on
# the raw pmem device, on another range of the same device.  Rounds are
# interleaved (each job: raw, then famfs, REPS times); the median
# throughput of each and their ratio go to the console as a Markdown
# table, lines starting "# famfs-bench: ", which scripts/bench.sh copies.
#
# Raw device jobs use O_DIRECT (the pmem driver copies each bio); its mmap
# job maps the block device, through the page cache, which is what a
# program that mmaps /dev/pmem0 gets on 6.12 (no DAX for block device
# files).  The famfs file is DAX for everything.
#
# Kernel command line (as run.sh): fi.bench.reps=N fi.bench.runtime=SEC;
# or the environment BENCH_REPS, BENCH_RUNTIME (vm.sh --env).
. /tests/vm/lib.sh

reps=${BENCH_REPS:-3} runtime=${BENCH_RUNTIME:-5}
for w in $(cat /proc/cmdline); do
	case "$w" in
	fi.bench.reps=*) reps=${w#*=} ;;
	fi.bench.runtime=*) runtime=${w#*=} ;;
	esac
done
PARAM=$FUSE_PARAMS/enable_famfs
DEV=/dev/pmem0
SIZE=$((96 << 20))		# the famfs file, and the raw range
RAW_OFF=$((128 << 20))		# past the famfs file and its allocation gap
out=$T_TMP/famfs-bench
mkdir -p "$out"

# NAME|FIO OPTIONS
JOBS='seqread-1m|--rw=read --bs=1M --ioengine=psync
seqwrite-1m|--rw=write --bs=1M --ioengine=psync
randread-4k|--rw=randread --bs=4k --ioengine=psync
randwrite-4k|--rw=randwrite --bs=4k --ioengine=psync
mmap-seqread-1m|--rw=read --bs=1M --ioengine=mmap
mmap-randread-4k|--rw=randread --bs=4k --ioengine=mmap
mmap-randwrite-4k|--rw=randwrite --bs=4k --ioengine=mmap'

require "a pmem device" test -b $DEV
old_famfs=$(cat $PARAM)
cleanup() {
	mounted && umount "$T_MNT"
	echo "$old_famfs" > $PARAM
}
trap cleanup EXIT
echo 1 > $PARAM
require "mount fusetd famfs" "$FUSETD" famfs --stats "$STATS" -d $DEV \
	-F "bench:$SIZE:simple:32M" "$T_MNT"
FILE=$T_MNT/bench
require "the famfs file is there" test -s "$FILE"
"$FUSETD" stats --reset "$STATS"

# run JOB TARGET REP: one fio run; prints the throughput in MB/s.
run() {
	_opts=$(echo "$JOBS" | awk -F'|' -v j="$1" '$1 == j { print $2 }')
	case "$2" in
	raw)
		_f="--filename=$DEV --offset=$RAW_OFF"
		case "$1" in mmap-*) ;; *) _f="$_f --direct=1" ;; esac
		;;
	famfs)
		_f="--filename=$FILE --fallocate=none"
		;;
	esac
	# shellcheck disable=SC2086
	fio --name="$1" $_f $_opts --size=$SIZE --time_based \
		--runtime="$runtime" --minimal > "$out/$1.$2.$3" 2>&1 ||
		{ echo 0; return 1; }
	# terse v3: field 7 read KiB/s, field 48 write KiB/s
	awk -F';' '{ printf "%.1f\n", ($7 + $48) * 1024 / 1e6 }' \
		"$out/$1.$2.$3"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

nfail=0
for job in $(echo "$JOBS" | cut -d'|' -f1); do
	: > "$out/$job.raw"
	: > "$out/$job.famfs"
	rep=1
	while [ $rep -le "$reps" ]; do
		echo "# bench: famfs $job $rep/$reps" > /dev/console
		for t in raw famfs; do
			run "$job" $t $rep >> "$out/$job.$t" ||
				nfail=$((nfail + 1))
		done
		rep=$((rep + 1))
	done
done
check_eq "every fio run completed" 0 "$nfail"
check_eq "no READ sent for the famfs file" 0 "$(op_count READ)"
check_eq "no WRITE sent for the famfs file" 0 "$(op_count WRITE)"

t() { echo "# famfs-bench: $*"; }
t "| job | raw /dev/pmem0 MB/s | famfs file MB/s | famfs / raw |"
t "|---|---:|---:|---:|"
for job in $(echo "$JOBS" | cut -d'|' -f1); do
	r=$(median < "$out/$job.raw")
	f=$(median < "$out/$job.famfs")
	ratio=$(awk -v r="$r" -v f="$f" 'BEGIN { if (r > 0) printf "%.2f", f / r; else print "-" }')
	t "| $job | $r | $f | $ratio |"
done
t ""
t "medians of $reps runs of ${runtime} s, psync queue depth 1, $((SIZE >> 20)) MiB;"
t "raw: O_DIRECT on $DEV (mmap: the block device's page cache), famfs: DAX"
check "umount" umount "$T_MNT"
t_done
