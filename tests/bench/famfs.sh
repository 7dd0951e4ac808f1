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
# Then the limit: membench (tests/tools/membench.c) copies through a
# mapping of the famfs file, and, famfs unmounted and the namespace of
# /dev/pmem0 made a device-dax instance with 2 MiB pages (devdax_make),
# through a mapping of that instance: the same memory with no file system
# in between.  The device is one or the other, so these rounds cannot be
# interleaved: REPS runs of each mode on famfs, then REPS on devdax.  A
# second table gives their medians, the time of the first touch of every
# page (the page faults, outside the timed part) and how the mappings
# ended up mapped, PMDs and PTEs; the famfs file's faults are counted by
# result with fs/dax.c's tracepoints too.  Nothing turns the namespace
# back into /dev/pmem0: run this script last in its boot (scripts/bench.sh
# runs bench/run then bench/famfs; the guest of vm.sh --tests bench/famfs
# powers off after it).
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

# the membench modes (tests/tools/membench.c)
MODES='seqread seqwrite randread4k randwrite4k'
# fs/dax.c's fault events, where tracefs is (the dev kernel has
# CONFIG_EVENT_TRACING); device-dax's own faults have none
TR=/sys/kernel/tracing
grep -q " $TR tracefs " /proc/mounts || mount -t tracefs tracefs $TR 2>/dev/null
TRACE=
[ -d $TR/events/fs_dax ] && TRACE=1

require "a pmem device" test -b $DEV
old_famfs=$(cat $PARAM)
old_tbuf=
cleanup() {
	mounted && umount "$T_MNT"
	echo "$old_famfs" > $PARAM
	if [ -n "$old_tbuf" ]; then
		echo 0 > $TR/events/fs_dax/enable
		echo "$old_tbuf" > $TR/buffer_size_kb
	fi
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

# mrun MODE TARGET REP PATH: one membench run on PATH, its line in
# $out/mem.MODE.TARGET.REP and, with TRACE, the fs_dax fault events of its
# first touch (the only faults: every page is touched before the timed
# part) in the .faults file beside it: "PMD FALLBACK PTE OTHER LOST",
# dax_pmd_fault_done NOPAGE and FALLBACK, dax_pte_fault_done NOPAGE, any
# other result of either, events the ring buffer overwrote.
mrun() {
	_o=$out/mem.$1.$2.$3
	[ -n "$TRACE" ] && echo > $TR/trace
	membench "$4" $SIZE "$runtime" "$1" > "$_o" 2>&1 ||
		{ sed 's/^/# /' "$_o"; return 1; }
	[ -n "$TRACE" ] || return 0
	_lost=$(cat $TR/per_cpu/cpu*/stats | awk '$1 == "overrun:" { n += $2 } END { print n + 0 }')
	awk -v lost="$_lost" '
		/ dax_pmd_fault_done: / {
			if ($NF == "NOPAGE") pmd++
			else if ($NF == "FALLBACK") fb++
			else other++
		}
		/ dax_pte_fault_done: / { if ($NF == "NOPAGE") pte++; else other++ }
		END { print pmd + 0, fb + 0, pte + 0, other + 0, lost }' \
		$TR/trace > "$_o.faults"
}

# mblock TARGET PATH: REPS membench runs of every mode on PATH
mblock() {
	for m in $MODES; do
		rep=1
		while [ $rep -le "$reps" ]; do
			echo "# bench: famfs membench $m $1 $rep/$reps" > /dev/console
			mrun $m "$1" $rep "$2" || mfail=$((mfail + 1))
			rep=$((rep + 1))
		done
	done
}

mfail=0
if [ -n "$TRACE" ]; then
	# room for a PTE fault per page (24576 in 96 MiB), ~60 bytes each
	old_tbuf=$(cat $TR/buffer_size_kb)
	echo 4096 > $TR/buffer_size_kb
	echo 1 > $TR/events/fs_dax/dax_pmd_fault_done/enable
	echo 1 > $TR/events/fs_dax/dax_pte_fault_done/enable
fi
mblock famfs "$FILE"
[ -n "$TRACE" ] && echo 0 > $TR/events/fs_dax/enable
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
wait_gone fusetd

# ---- the same memory as a device-dax instance ----
DAX=$(devdax_make $DEV 2097152)
require "$DEV as a devdax instance with 2 MiB pages: $DAX" test -c "$DAX"
require "it has room for $SIZE bytes" \
	test "$(cat "/sys/bus/dax/devices/${DAX#/dev/}/size")" -ge $SIZE
mblock devdax "$DAX"
check_eq "every membench run completed" 0 "$mfail"

# mfield NAME MODE TARGET: the median of NAME=value over the REPS runs
mfield() {
	for _f in "$out/mem.$2.$3".[0-9]*; do
		case "$_f" in *.faults) continue ;; esac
		tr ' ' '\n' < "$_f" | sed -n "s|^$1=||p"
	done | median
}

t ""
t "| mode | devdax mmap MB/s | famfs mmap MB/s | famfs / devdax | devdax first touch ms | famfs first touch ms | devdax PMD/PTE | famfs PMD/PTE |"
t "|---|---:|---:|---:|---:|---:|---:|---:|"
for m in $MODES; do
	d=$(mfield MB/s $m devdax)
	f=$(mfield MB/s $m famfs)
	ratio=$(awk -v d="$d" -v f="$f" 'BEGIN { if (d > 0) printf "%.2f", f / d; else print "-" }')
	t "| $m | ${d:--} | ${f:--} | $ratio | $(mfield fault_ms $m devdax) |" \
		"$(mfield fault_ms $m famfs) |" \
		"$(mfield pmd $m devdax)/$(mfield pte $m devdax) |" \
		"$(mfield pmd $m famfs)/$(mfield pte $m famfs) |"
done
t ""
t "membench (tests/tools/membench.c), medians of $reps runs of ${runtime} s on"
t "$((SIZE >> 20)) MiB mapped MAP_SHARED; goal: famfs / devdax >= 0.95.  devdax:"
t "the namespace of $DEV as $DAX, 2 MiB alignment, after the famfs runs."
t "seq*: memcpy of 1 MiB chunks, rand*4k: of 4 KiB at random 4 KiB offsets;"
t "writes end with msync(MS_SYNC) on famfs (cache write-back), none on"
t "devdax (no fsync there).  First touch: one access per page before the"
t "timed part, which takes the faults; PMD/PTE: 2 MiB and 4 KiB entries"
t "mapping the range after it (PAGEMAP_SCAN, PAGE_IS_HUGE)."
if [ -n "$TRACE" ]; then
	_l=
	for m in $MODES; do
		# shellcheck disable=SC2046 # five numbers
		set -- $(cat "$out/mem.$m.famfs.1.faults" 2>/dev/null || echo - - - - -)
		_l="$_l; $m $1 PMD, $2 fallback, $3 PTE"
		[ "$4" = 0 ] || _l="$_l, $4 other"
		[ "$5" = 0 ] || _l="$_l ($5 events lost)"
	done
	t "famfs faults in the first touch of run 1 (fs/dax.c tracepoints"
	t "dax_pmd_fault_done NOPAGE, FALLBACK, dax_pte_fault_done)${_l#;}"
fi
t_done
