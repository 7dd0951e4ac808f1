#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fio's exec_prerun/exec_postrun for make bench (see run.sh):
#   hook.sh pre|post TARGET DIR REP
# pre:  flush and drop the page cache, reset the server's counters, sample
#       /proc/stat, the server's CPU time and the uptime into DIR/REP.cpu0;
# post: sample them into DIR/REP.cpu1, save the server's counters in
#       DIR/REP.upcalls.
op=$1 tgt=$2 dir=$3 rep=$4
STATS='' PID=''
. "/tmp/bench-tmp/target.$tgt"

server_ticks() { # utime + stime of the server in clock ticks, or -
	if [ -n "$PID" ] && [ -r "/proc/$PID/stat" ]; then
		awk '{ print $14 + $15 }' "/proc/$PID/stat"
	else
		echo -
	fi
}

case "$op" in
pre)
	# Each clone of a numjobs job runs the hook, and fio starts a clone's
	# I/O when its own hook returns.  One clone (mkdir is atomic) drops
	# the caches and samples; the others wait for it, so that no drop
	# lands in the I/O of a clone already running: it would empty the
	# mapping caches of the files open (their shrinker), and every
	# write would ask the server again.  The last clone to end samples
	# "post".  A waiter gives up after 120 s (a claiming clone that died)
	# and says so: that repetition's sample is then missing.
	if ! mkdir "$dir/$rep.pre" 2>/dev/null; then
		n=0
		while [ ! -e "$dir/$rep.cpu0" ]; do
			n=$((n + 1))
			if [ $n -gt 6000 ]; then
				echo "hook.sh: no sample $dir/$rep.cpu0 after 120 s" >&2
				exit 1
			fi
			sleep 0.02
		done
		exit 0
	fi
	t0=$(cut -d' ' -f1 /proc/uptime)
	sync
	echo 3 > /proc/sys/vm/drop_caches
	[ -n "$STATS" ] && fusetd stats --reset "$STATS"
	{ grep '^cpu ' /proc/stat; server_ticks; echo "$t0"; cut -d' ' -f1 /proc/uptime; } \
		> "$dir/$rep.cpu0.tmp"
	mv "$dir/$rep.cpu0.tmp" "$dir/$rep.cpu0"
	;;
post)
	{ grep '^cpu ' /proc/stat; server_ticks; cut -d' ' -f1 /proc/uptime; } \
		> "$dir/$rep.cpu1"
	[ -n "$STATS" ] && fusetd stats "$STATS" > "$dir/$rep.upcalls"
	;;
esac
exit 0
