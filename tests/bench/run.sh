#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make bench", the guest side: every fio job of jobs.sh against every
# target of targets.sh, REPS times, in one boot.  Rounds are interleaved
# (for each repetition, for each job, every target in turn), so that a
# drift of the emulated machine hits every target alike and the ratios
# between targets within one job stay comparable.
#
# Nothing is parsed here: each run leaves fio's JSON, the daemon's request
# counts and /proc/stat samples under $BENCH_OUT, which is written as a
# tar archive onto the results disk at the end; scripts/bench-report.py
# does the statistics on the host.
#
# Kernel command line (all optional):
#   fi.bench.reps=N  fi.bench.runtime=SEC  fi.bench.ramp=SEC
#   fi.bench.size=SIZE  fi.bench.jobs=NAME,...  fi.bench.targets=NAME,...
#   fi.bench.profile=JOB:TARGET,...  (perf profiles after the measured runs)
#   fi.bench.apps=0  (no application workloads, tests/bench/apps.sh)
#   fi.bench.big=SIZE  fi.bench.extents=N  (the files of layouts.sh)
#   fi.bench.disk=DEV  (partition N is target N)  fi.bench.results=DEV
. /tests/vm/lib.sh
. /tests/bench/targets.sh
. /tests/bench/jobs.sh
. /tests/bench/apps.sh
. /tests/bench/layouts.sh

reps=3 runtime=5 ramp=0 size=256M jobs=all targets=all apps=1 profile=
profile_hz=499
disk=/dev/vda results=/dev/vdb
for w in $(cat /proc/cmdline); do
	case "$w" in
	fi.bench.reps=*) reps=${w#*=} ;;
	fi.bench.runtime=*) runtime=${w#*=} ;;
	fi.bench.ramp=*) ramp=${w#*=} ;;
	fi.bench.size=*) size=${w#*=} ;;
	fi.bench.jobs=*) jobs=${w#*=} ;;
	fi.bench.targets=*) targets=${w#*=} ;;
	fi.bench.profile=*) profile=${w#*=} ;;
	fi.bench.profile_hz=*) profile_hz=${w#*=} ;;
	fi.bench.apps=*) apps=${w#*=} ;;
	fi.bench.disk=*) disk=${w#*=} ;;
	fi.bench.results=*) results=${w#*=} ;;
	fi.bench.big=*) layout_big_size=${w#*=} ;;
	fi.bench.extents=*) layout_extents=${w#*=} ;;
	esac
done

BENCH_OUT=/tmp/bench
BENCH_TMP=/tmp/bench-tmp
rm -rf "$BENCH_OUT" "$BENCH_TMP"
mkdir -p "$BENCH_OUT/runs" "$BENCH_TMP"

# Progress goes to the console at once (the runner shows a script's
# output only when it ends).
progress() { echo "# bench: $*" > /dev/console; }

selected() { # LIST NAME
	[ "$1" = all ] && return 0
	case ",$1," in *",$2,"*) return 0 ;; esac
	return 1
}

# A target's variables live in BT_<id>_*; ids are names with - made _.
tid() { echo "$1" | tr -- '-.' '__'; }
tget() { eval "echo \"\$BT_$(tid "$1")_$2\""; }

# kmemleak keeps tracking, but its periodic scan of all memory would take
# seconds of a vCPU at random moments: only the runner's final scan stays.
kmemleak=/sys/kernel/debug/kmemleak
[ -e $kmemleak ] && echo scan=off > $kmemleak

# --- the header: what this was measured on
{
	echo "kernel=$(uname -r)"
	echo "kernel_build=$(uname -v)"
	echo "guest_cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
	echo "guest_cpus=$(grep -c '^processor' /proc/cpuinfo)"
	echo "guest_mem_kb=$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)"
	echo "fio=$(fio --version)"
	echo "fuse2fs=$(fuse2fs -V 2>&1 | head -1)"
	echo "fuse_params=$T_FUSE_PARAMS"
	echo "reps=$reps"
	echo "runtime=$runtime"
	echo "ramp=$ramp"
	echo "size=$size"
	echo "big=$layout_big_size"
	echo "extents=$layout_extents"
	echo "disk=$disk"
	echo "cmdline=$(cat /proc/cmdline)"
	[ -e $kmemleak ] && echo "kmemleak=tracking, automatic scan off"
	echo "user_hz=100"
} > "$BENCH_OUT/env.txt"
bench_targets > "$BENCH_OUT/targets.txt"
bench_jobs > "$BENCH_OUT/jobs.txt"

# --- bring every selected target up, each on its own partition
n=0
active=
while IFS='|' read -r name cmd _desc <&3; do
	n=$((n + 1))
	selected "$targets" "$name" || continue
	part=$disk$n
	mnt=/mnt/bench/$name
	mkdir -p "$mnt"
	if [ ! -b "$part" ]; then
		fail "target $name: no partition $part"
		continue
	fi
	BT_FILE='' BT_STATS='' BT_PID=''
	set -- $cmd
	fn=$1
	shift
	if ! "$fn" up "$part" "$mnt" "$@"; then
		fail "target $name: setup on $part"
		continue
	fi
	# Lay the file out once, written with data (not sparse, not
	# preallocated), so that every job finds the same allocated file.
	t0=$(cut -d' ' -f1 /proc/uptime)
	if ! fio --name=layout --filename="$BT_FILE" --size="$size" \
		--rw=write --bs=1M --direct=1 --ioengine=psync \
		--fallocate=none --output="$BENCH_TMP/layout.log"; then
		cat "$BENCH_TMP/layout.log"
		fail "target $name: laying out $size"
		continue
	fi
	sync
	t1=$(cut -d' ' -f1 /proc/uptime)
	id=$(tid "$name")
	eval "BT_${id}_FILE=\$BT_FILE BT_${id}_STATS=\$BT_STATS"
	eval "BT_${id}_PID=\$BT_PID BT_${id}_PART=\$part BT_${id}_CMD=\$cmd"
	printf 'STATS=%s\nPID=%s\n' "$BT_STATS" "$BT_PID" > "$BENCH_TMP/target.$name"
	active="$active $name"
	pass "target $name up on $part, $size laid out in $(awk "BEGIN { print $t1 - $t0 }")s"
	progress "target $name up on $part"
done 3<<EOF
$(bench_targets)
EOF
[ -n "$active" ] || { fail "no target came up"; exit 1; }

# jobfile JOB DIR REP TARGET...: a fio job file running JOB on each TARGET
# in turn (stonewall), one fio process for all of them: fio takes seconds
# to start under TCG.  Around each target's run, hook.sh drops the page
# cache, resets the daemon's counters and samples CPU time into
# DIR/TARGET/REP.*.
jobfile() {
	_job=$1 _dir=$2 _rep=$3
	shift 3
	echo "[global]"
	echo "size=$size"
	echo "time_based=1"
	echo "runtime=$runtime"
	echo "lat_percentiles=1"
	[ "$ramp" = 0 ] || echo "ramp_time=$ramp"
	_opts=$(bench_jobs | awk -F'|' -v j="$_job" '$1 == j { print $3 }')
	_lay=$(job_layout "$_job")
	echo "$_opts" | tr ' ' '\n' | grep -v '^--bench_file=' | sed -n 's/^--//p'
	for _t in "$@"; do
		_f=$(tget "$_t" FILE)
		_size=
		# Files of their own (filename_format), next to the target's;
		# a file of layouts.sh, laid out beside it.
		case "$_opts" in
		*--filename_format=*)
			[ -b "$_f" ] && continue
			_f="directory=${_f%/*}" ;;
		*--bench_file=*)
			[ -b "$_f" ] && continue
			_f="filename=${_f%/*}/$_lay.dat"
			_size=$(layout_size "$_lay") ;;
		*) _f="filename=$_f" ;;
		esac
		mkdir -p "$_dir/$_t"
		echo "[$_t]"
		echo "$_f"
		[ -z "$_size" ] || printf 'size=%s\nallow_file_create=0\n' "$_size"
		echo "stonewall"
		echo "exec_prerun=/tests/bench/hook.sh pre $_t $_dir/$_t $_rep"
		echo "exec_postrun=/tests/bench/hook.sh post $_t $_dir/$_t $_rep"
	done
}

# measure JOB REP: JOB on every target; fio's JSON in runs/JOB/REP.json.
measure() {
	_d=$BENCH_OUT/runs/$1
	mkdir -p "$_d"
	jobfile "$1" "$_d" "$2" $active > "$BENCH_TMP/job.fio"
	# exec_prerun leaves JOBNAME.prerun.txt in the working directory.
	(cd "$BENCH_TMP" && fio --output-format=json --output="$_d/$2.json" \
		job.fio > "$_d/$2.err" 2>&1)
	_rc=$?
	if [ $_rc != 0 ]; then
		fail "$1, repetition $2: fio exited $_rc"
		sed 's/^/#   /' "$_d/$2.err" | head -20
		echo "$_rc" > "$_d/$2.failed"
	fi
	[ -s "$_d/$2.err" ] || rm -f "$_d/$2.err"
	return $_rc
}

# --- the files of layouts.sh that selected jobs work on, each laid out
# once on every target with files, in the order of the table (the 4 GiB
# file before the free space is cut up for the fragmented one); then its
# extents are counted (FIEMAP), and a connection with a mapping cache
# (debugfs fuse-iomap/CONN/cache) has the file read through once with
# direct reads (layout_bs), from an empty cache (the page cache dropped, which
# also shrinks the mapping caches), to see what the cache holds of it.
layout_used() { # LAYOUT: whether a selected job works on it
	for _j in $(bench_jobs | cut -d'|' -f1); do
		selected "$jobs" "$_j" || continue
		[ "$(job_layout "$_j")" = "$1" ] && return 0
	done
	return 1
}

layout_cache() { # LAYOUT TARGET FILE OUT: the read-through and the cache
	_st=$(tget "$2" STATS)
	[ -n "$_st" ] || return 0
	# shellcheck disable=SC2034 # lib.sh's conn_id reads T_MNT
	_conn=$(T_MNT=/mnt/bench/$2; conn_id)
	_c=$DBG/$_conn/cache
	[ -r "$_c" ] || return 0
	sync
	echo 3 > /proc/sys/vm/drop_caches
	cp "$_c" "$4.cache0"
	fusetd stats --reset "$_st"
	if ! fio --name=readthrough --filename="$3" --size="$(layout_size "$1")" \
		--rw=read --bs="$(layout_bs "$1")" --direct=1 --ioengine=psync \
		--allow_file_create=0 --output="$BENCH_TMP/layout-read.log"; then
		cat "$BENCH_TMP/layout-read.log"
		fail "$1 on $2: the read-through"
		return 1
	fi
	cp "$_c" "$4.cache1"
	fusetd stats "$_st" > "$4.upcalls"
	pass "$1 on $2: read through, the mapping cache has $(awk '$1 == "entries" { print $2 }' "$4.cache1") entries"
}

for lay in $(bench_layouts | cut -d'|' -f1); do
	layout_used "$lay" || continue
	mkdir -p "$BENCH_OUT/layouts/$lay"
	for tgt in $active; do
		f=$(tget "$tgt" FILE)
		[ -b "$f" ] && continue
		f=${f%/*}/$lay.dat
		o=$BENCH_OUT/layouts/$lay/$tgt
		progress "laying out $lay on $tgt"
		t0=$(cut -d' ' -f1 /proc/uptime)
		: > "$BENCH_TMP/layout-steps"
		if ! "layout_$lay" "$f" "$(tget "$tgt" PART)"; then
			cat "$BENCH_TMP"/layout-*.log
			fail "$lay on $tgt: laying out"
			continue
		fi
		t1=$(cut -d' ' -f1 /proc/uptime)
		{
			echo "size $(stat -c %s "$f")"
			extmap count "$f" | awk '{ print $1, $2; print $3, $4 }'
			echo "seconds $(awk "BEGIN { print $t1 - $t0 }")"
			cat "$BENCH_TMP/layout-steps"
		} > "$o.txt"
		pass "$lay on $tgt laid out: $(tr '\n' ' ' < "$o.txt")"
		layout_cache "$lay" "$tgt" "$f" "$o"
	done
done

# Jobs on files of their own (filename_format): fio lays the files out
# now, on every target, so that neither their writes nor their upcalls
# fall into the first measured repetition.
for job in $(bench_jobs | cut -d'|' -f1); do
	selected "$jobs" "$job" || continue
	bench_jobs | awk -F'|' -v j="$job" '$1 == j { print $3 }' |
		grep -q -- '--filename_format=' || continue
	jobfile "$job" "$BENCH_TMP/layout/$job" 1 $active |
		awk '!/^exec_/ { print } /^\[global\]$/ { print "create_only=1" }' \
		> "$BENCH_TMP/layout.fio"
	(cd "$BENCH_TMP" && fio layout.fio > "$BENCH_TMP/layout.log" 2>&1) ||
		fail "$job: laying out its files"
done

nruns=0 nfail=0
start=$(cut -d. -f1 /proc/uptime)
rep=1
while [ $rep -le "$reps" ]; do
	for job in $(bench_jobs | cut -d'|' -f1); do
		selected "$jobs" "$job" || continue
		progress "repetition $rep/$reps: $job"
		measure "$job" "$rep" || nfail=$((nfail + 1))
		nruns=$((nruns + 1))
	done
	rep=$((rep + 1))
done
took=$(( $(cut -d. -f1 /proc/uptime) - start ))
echo "measured_seconds=$took" >> "$BENCH_OUT/env.txt"
check_eq "all $nruns fio runs completed (${took}s)" 0 "$nfail"

# --- the application workloads (apps.sh), interleaved the same way
if [ "$apps" != 0 ]; then
	start=$(cut -d. -f1 /proc/uptime)
	bench_apps_run $active
	echo "apps_seconds=$(( $(cut -d. -f1 /proc/uptime) - start ))" >> "$BENCH_OUT/env.txt"
fi

# --- profiles: outside the measured runs, so perf does not weigh on them
if [ -n "$profile" ] && command -v perf >/dev/null; then
	mkdir -p "$BENCH_OUT/profile"
	echo 0 > /proc/sys/kernel/kptr_restrict
	echo -1 > /proc/sys/kernel/perf_event_paranoid
	for jt in $(echo "$profile" | tr , ' '); do
		job=${jt%%:*} tgt=${jt#*:}
		case " $active " in *" $tgt "*) ;; *) continue ;; esac
		progress "profile: $job on $tgt"
		p=$BENCH_OUT/profile/$job.$tgt
		jobfile "$job" "$BENCH_TMP/profile/$job" 1 "$tgt" > "$BENCH_TMP/job.fio"
		(cd "$BENCH_TMP" && perf record -q -N -a -g -e cpu-clock -F "$profile_hz" \
			-o "$BENCH_TMP/perf.data" -- fio --output-format=json \
			--output="$p.json" job.fio) > "$p.err" 2>&1
		if [ ! -s "$BENCH_TMP/perf.data" ]; then
			fail "profile $job on $tgt: perf record failed"
			continue
		fi
		{
			echo "# $job on $tgt: flat profile (self time)"
			perf report -i "$BENCH_TMP/perf.data" --stdio --no-children \
				-g none --sort comm,sym --percent-limit 0.5 2>/dev/null |
				grep -v '^$'
			echo "# $job on $tgt: inclusive time (children)"
			perf report -i "$BENCH_TMP/perf.data" --stdio --children \
				-g none --sort sym --percent-limit 0.3 2>/dev/null |
				grep -v '^$'
		} > "$p.txt"
		rm -f "$BENCH_TMP/perf.data"
		[ -s "$p.err" ] || rm -f "$p.err"
		pass "profile $job on $tgt"
	done
fi

# --- tear down, then hand the results to the host
for tgt in $active; do
	set -- $(tget "$tgt" CMD)
	fn=$1
	shift
	check "target $tgt down" "$fn" down "$(tget "$tgt" PART)" "/mnt/bench/$tgt" "$@"
done
dmesg > "$BENCH_OUT/dmesg.txt"
progress "writing $(du -sk "$BENCH_OUT" | cut -f1) KiB of results to $results"
check "results written to $results" tar -cf "$results" -C "$BENCH_OUT" .
sync
t_done
