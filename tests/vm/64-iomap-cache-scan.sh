#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scans of the mapping cache hold its locks for bounded steps.  A file of
# SCAN_EXTENTS (105,000) one-block unwritten extents with a hole after
# each, its map pushed when it is opened (three mappings per extent: read
# and write, and the hole), fills the caches of a connection to their
# limit (SCAN_LIMIT, fusetd's default 16 MiB: 299,593 mappings).  Eviction
# to the limit and then a device invalidation of the whole image walk the
# entries in steps of at most 256 with the locks held: the
# fuse_iomap_cache_step tracepoint reports each step, what it looked at
# and how long it held the locks.  A reader keeps reading the file while
# the invalidation walks; the invalidation drops every mapping on the
# device, the reads after it ask the server again, and every byte read is
# zero.  The module's own limit, 64 MiB, is SCAN_EXTENTS=420000
# SCAN_LIMIT=67108864 (Documentation/dev/bench.rst has the numbers).
. /tests/vm/lib.sh

N=${SCAN_EXTENTS:-105000}
LIMIT=${SCAN_LIMIT:-16777216}
STEP=256
TR=/sys/kernel/tracing

cleanup() {
	[ -n "$EV" ] && echo 0 > "$EV/enable"
	[ -n "$tracing_on" ] && echo "$tracing_on" > $TR/tracing_on
	: > "$T_TMP/stop"
	wait
	t_umount
}
trap cleanup EXIT

grep -q " $TR " /proc/mounts || mount -t tracefs tracefs $TR
# (the trace system is fuse_iomap, or the coexisting module's own)
EV=$(ls -d $TR/events/*/fuse_iomap_cache_step 2>/dev/null | head -n 1)
require "the step tracepoint exists" test -e "$EV/enable"

# steps WHY: "count max-scanned sum-scanned sum-dropped max-held-ns
# sum-held-ns" of the traced steps of one kind.
steps() {
	awk -v why="$1" '
	/fuse_iomap_cache_step:/ {
		for (i = 1; i < NF; i++) v[$i] = $(i + 1)
		if ($0 !~ " " why " scanned ") next
		n++; s += v["scanned"]; d += v["dropped"]
		if (v["scanned"] > ms) ms = v["scanned"]
		if (v["held_ns"] + 0 > mh) mh = v["held_ns"] + 0
		h += v["held_ns"]
	}
	END { printf "%d %d %d %d %.0f %.0f\n", n, ms, s, d, mh, h }' "$TR/trace"
}
field() { echo "$1" | cut -d' ' -f"$2"; }

require "mkfs of the large disk" "$FUSETD" mkfs "$T_DISK3"
t0=$(date +%s)
require "a file of $N extents (offline)" \
	"$FUSETD" fragment "$T_DISK3" frag "$N"
require "mount, pushing the file's map on open, DEV_INVAL on fsync" \
	"$FUSETD" mount --iomap --cache-maxbytes "$LIMIT" --upsert-on-open $((2 * N)) \
	--dev-inval-on-fsync --valid 3600 --stats "$STATS" "$T_DISK3" "$T_MNT"
require "a file to fsync" touch "$T_MNT/trigger"
max=$(cstat max_entries)
diag "cache limit: $max entries ($(cstat max_bytes) bytes)"

echo 16384 > $TR/buffer_size_kb
: > $TR/trace
echo 1 > "$EV/enable"
# (another test may have left the ring buffer off)
tracing_on=$(cat $TR/tracing_on)
echo 1 > $TR/tracing_on

# One open for the whole test: the shell's, which the reader below uses.
exec 3< "$T_MNT/frag"
diag "layout and open ($(op_count NOTIFY_IOMAP_UPSERT_MAPPINGS) upserts) took $(( $(date +%s) - t0 )) s"
check "the whole map was pushed" \
	test "$(op_count NOTIFY_IOMAP_UPSERT_MAPPINGS)" -ge $((2 * N))
check_eq "and accepted" 0 "$(op_count notify_refused)"
full=$(cstat entries)
check "the cache is at its limit ($full of $max entries)" \
	test "$full" -ge $((max * 9 / 10)) -a "$full" -le "$max"
ev=$(steps evict)
diag "eviction steps: $ev (count max-scanned scanned dropped max-held-ns held-ns)"
check "eviction went in steps ($(field "$ev" 1))" test "$(field "$ev" 1)" -gt 1
check "no eviction step looked at more than $STEP entries ($(field "$ev" 2))" \
	test "$(field "$ev" 2)" -le $STEP

# The reader: 64 KiB at a time from the last quarter of the file (the end
# of the map, pushed last, is what the cache still holds), each
# compared with zeros, until told to stop.
dd if=/dev/zero of="$T_TMP/zero" bs=64k count=1 2>/dev/null
rm -f "$T_TMP/stop"
b0=$(op_count IOMAP_BEGIN)
require "the reader's position" dd bs=4k skip=$((N * 3 / 2)) count=0 <&3
(
	n=0 bad=0
	while [ ! -e "$T_TMP/stop" ]; do
		dd bs=64k count=1 of="$T_TMP/chunk" 2>/dev/null <&3 || break
		[ -s "$T_TMP/chunk" ] || break
		cmp -s "$T_TMP/chunk" "$T_TMP/zero" || bad=$((bad + 1))
		n=$((n + 1))
	done
	echo "$n $bad" > "$T_TMP/reader"
) &
sleep 2
check_eq "before the invalidation its reads were served from the cache" \
	"$b0" "$(op_count IOMAP_BEGIN)"

: > $TR/trace
b0=$(op_count IOMAP_BEGIN)
t0=$(date +%s)
check "fsync: the daemon takes back every mapping of its device" \
	sync "$T_MNT/trigger"
diag "the invalidation took $(( $(op_count dev_inval_ns) / 1000 )) us in the kernel ($(( $(date +%s) - t0 )) s with the fsync)"
sleep 2
: > "$T_TMP/stop"
wait
exec 3<&-
di=$(steps dev_inval)
diag "invalidation steps: $di (count max-scanned scanned dropped max-held-ns held-ns)"
check_eq "one device invalidation" 1 "$(cstat dev_invals)"
check "no invalidation step looked at more than $STEP entries ($(field "$di" 2))" \
	test "$(field "$di" 2)" -le $STEP
check "the walk went in steps ($(field "$di" 1) for $full entries)" \
	test "$(field "$di" 1)" -ge $((full * 9 / 10 / STEP))
check "it looked at the entries ($(field "$di" 3) of $full)" \
	test "$(field "$di" 3)" -ge $((full * 9 / 10))
check "it dropped the mappings of the device ($(field "$di" 4))" \
	test "$(field "$di" 4)" -ge $((full * 4 / 10))
diag "$(cstat entries) entries left"
r=$(cat "$T_TMP/reader")
check "the reader read on ($(field "$r" 1) reads)" test "$(field "$r" 1)" -gt 2
check_eq "and read zeros only" 0 "$(field "$r" 2)"
check "its reads after the invalidation asked the server ($(( $(op_count IOMAP_BEGIN) - b0 )))" \
	test "$(op_count IOMAP_BEGIN)" -gt "$b0"
echo 0 > "$EV/enable"
echo 1408 > $TR/buffer_size_kb
umount "$T_MNT"
wait_gone fusetd
check "the image checks out" "$FUSETD" fsck "$T_DISK3"
t_done
