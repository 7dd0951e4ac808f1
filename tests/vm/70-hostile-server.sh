#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A hostile server (tests/hostile) answers with mutated replies and sends
# mutated notifications while six workers do direct, buffered, mmap,
# fallocate/truncate and metadata I/O.  For each seed: the wanted number
# of mutated messages goes out, every worker returns (errors are fine,
# hangs are not), umount works and the server exits.  Then the same in
# classic mode, with a garbage FUSE_IOMAP_CONFIG reply, with the server
# killed mid-run, and finally fuse.ko is removed and loaded again.  With
# a pmem device, one more seed negotiates famfs as well (--famfs): the
# regular files that are not iomap files get fmaps on $T_PMEM, GET_FMAP
# and GET_DAXDEV replies are mutated field by field, and famfs workers
# open, read, write, map, truncate and chmod them and drop the inode
# cache so that fmaps are asked for again; the replies must have been
# mutated in every field class, the kernel must have refused some, and
# afterwards a famfs file must work again.  The
# runner fails the run on any oops, WARN, lockdep, kmemleak or hung-task
# report in the console.
#
# HOSTILE_MESSAGES   mutated messages per seed (default 3000)
# HOSTILE_SEEDS      seeds in iomap mode, comma-separated (default 1,2)
# HOSTILE_LIMIT      seconds a seed may take to get there (default 300)
# HOSTILE_FAMFS_SEED the famfs seed (default 3; "none" skips it)
# HOSTILE_FAMFS_MESSAGES  its mutated messages (default 4 x HOSTILE_MESSAGES:
#                    most are not famfs replies)
. /tests/vm/lib.sh

H=$T_BIN/hostile
MSGS=${HOSTILE_MESSAGES:-3000}
SEEDS=$(echo "${HOSTILE_SEEDS:-1,2}" | tr , ' ')
LIMIT=${HOSTILE_LIMIT:-300}
RATE=${HOSTILE_RATE:-0.5}
MODES="direct buffered mmap falloc meta direct"
STOP=$T_TMP/hostile.stop
PIDF=$T_TMP/hostile.pid
TOTAL=0

cleanup() {
	touch "$STOP"
	mounted && umount -l "$T_MNT"
}
trap cleanup EXIT

fusectl_mount

# start_workers TAG SEED: the I/O workers, in the background.
start_workers() {
	rm -f "$STOP"
	WPIDS=
	_i=0
	for _m in $MODES; do
		_i=$((_i + 1))
		timeout -s KILL $((LIMIT + 120)) "$H" io --mode "$_m" \
			--seed "$(($2 * 10 + _i))" --seconds $((LIMIT + 60)) \
			--stop "$STOP" "$T_MNT" > "$T_TMP/io.$1.$_i" 2>&1 &
		WPIDS="$WPIDS $!"
	done
}

# abort_conn: release whatever waits on the connection of $T_MNT.
abort_conn() {
	for _c in "$FUSE_SYSFS"/connections/*; do
		[ -e "$_c/abort" ] && echo 1 > "$_c/abort"
	done
}

# stop_workers TAG: ask the workers to stop; each must return in 60 s.
stop_workers() {
	touch "$STOP"
	_n=0
	while [ $_n -lt 600 ]; do
		_alive=
		for _p in $WPIDS; do
			kill -0 "$_p" 2>/dev/null && _alive="$_alive $_p"
		done
		[ -z "$_alive" ] && break
		sleep 0.1
		_n=$((_n + 1))
	done
	if [ -n "$_alive" ]; then
		for _p in $_alive; do
			diag "$1: worker $_p stuck in: $(cat /proc/$_p/wchan 2>/dev/null)"
			cat /proc/$_p/stack 2>/dev/null | sed 's/^/# /'
		done
		fail "$1: every worker returned (stuck:$_alive)"
		abort_conn
	else
		pass "$1: every worker returned"
	fi
	for _p in $WPIDS; do wait "$_p" 2>/dev/null; done
	_ok=0
	for _f in "$T_TMP"/io."$1".*; do
		grep -q "^io .*: [0-9]* ops" "$_f" && _ok=$((_ok + 1))
		diag "$(cat "$_f")"
	done
	check_eq "$1: workers that finished by themselves" \
		"$(echo $MODES | wc -w)" "$_ok"
}

# server_gone: the server exits once its mount is gone.
server_gone() {
	_n=0
	while kill -0 "$(cat "$PIDF")" 2>/dev/null && [ $_n -lt 100 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	_p=$(cat "$PIDF")
	kill -0 "$_p" 2>/dev/null || return 0
	# still there: what each of its threads waits in
	diag "server $_p: $(grep -E '^(State|Threads)' /proc/$_p/status | tr '\n' ' ')"
	for _t in /proc/$_p/task/*; do
		diag "server thread ${_t##*/}: $(tr '\n' ' ' < "$_t/stack" 2>/dev/null | head -c 600)"
	done
	return 1
}

# mutated FILE: the "M mutated" of a summary
mutated() {
	sed -n 's/^hostile: seed [0-9]*, [0-9]* requests, \([0-9]*\) mutated.*/\1/p' "$1"
}

# run TAG SEED COUNT [serve options]: one mount, fuzzed until COUNT.
run() {
	_tag=$1 _seed=$2 _count=$3
	shift 3
	_done=$T_TMP/done.$_tag _sum=$T_TMP/summary.$_tag
	rm -f "$_done" "$_sum" "$PIDF"
	require "$_tag: mount the hostile server" "$H" serve --seed "$_seed" \
		--rate "$RATE" --count "$_count" --done "$_done" \
		--summary "$_sum" --pidfile "$PIDF" "$@" "$T_DISK1" "$T_MNT"
	start_workers "$_tag" "$_seed"
	_start=$(date +%s)
	_t=0
	while [ ! -e "$_done" ] && [ $_t -lt "$LIMIT" ] &&
	      kill -0 "$(cat "$PIDF")" 2>/dev/null; do
		sleep 1
		_t=$(($(date +%s) - _start))
	done
	check "$_tag: $_count mutated messages within ${LIMIT}s (${_t}s)" \
		test -e "$_done"
	stop_workers "$_tag"
	check "$_tag: umount" umount "$T_MNT"
	check "$_tag: the server exits" server_gone
	[ -e "$_sum" ] && sed 's/^/# /' "$_sum"
	_m=$(mutated "$_done" 2>/dev/null)
	check "$_tag: the summary counts at least $_count mutated (${_m:-none})" \
		test "${_m:-0}" -ge "$_count"
	TOTAL=$((TOTAL + ${_m:-0}))
}

require "the device holds the tree" test -b "$T_DISK1" -o -f "$T_DISK1"

for seed in $SEEDS; do
	run "iomap-seed$seed" "$seed" "$MSGS"
	# the begin replies themselves were fuzzed, not only the rest
	b=$(sed -n 's/.* IOMAP_BEGIN [0-9]* (\([0-9]*\)).*/\1/p' \
		"$T_TMP/summary.iomap-seed$seed")
	check "iomap-seed$seed: mutated IOMAP_BEGIN replies (${b:-0})" \
		test "${b:-0}" -gt 0
	grep -q "mode iomap" "$T_TMP/summary.iomap-seed$seed" ||
		fail "iomap-seed$seed: iomap was not negotiated"
done

# famfs too: two famfs files (simple and interleaved extents) and the
# classic ones, beside the iomap files.  Fewer notifications, so that the
# mutated messages are mostly replies.
FSEED=${HOSTILE_FAMFS_SEED:-3}
FPARAM=$FUSE_PARAMS/enable_famfs
if [ -n "$T_PMEM" ] && [ "$FSEED" != none ]; then
	old_famfs=$(cat $FPARAM)
	echo 1 > $FPARAM
	dmesg -c > /dev/null
	modes=$MODES
	MODES="famfs famfs famfs mmap direct meta"
	run "famfs-seed$FSEED" "$FSEED" "${HOSTILE_FAMFS_MESSAGES:-$((MSGS * 4))}" \
		--famfs "$T_PMEM" \
		--notify-us 2000
	MODES=$modes
	sum=$T_TMP/summary.famfs-seed$FSEED
	check "famfs-seed$FSEED: iomap and famfs were negotiated" \
		grep -q "mode iomap+famfs" "$sum"
	f=$(sed -n 's/.* GET_FMAP [0-9]* (\([0-9]*\)).*/\1/p' "$sum")
	check "famfs-seed$FSEED: mutated GET_FMAP replies (${f:-0})" \
		test "${f:-0}" -gt 50
	d=$(sed -n 's/.* GET_DAXDEV \([0-9]*\) .*/\1/p' "$sum")
	check "famfs-seed$FSEED: GET_DAXDEV requests (${d:-0})" \
		test "${d:-0}" -gt 0
	# every field of the header, the extents, the strips and the payload
	z=$(sed -n 's/^hostile: famfs GET_FMAP mutations by field://p' "$sum" |
		awk '{ for (i = 2; i <= NF; i += 2) if ($i == 0) print $(i - 1) }')
	check_eq "famfs-seed$FSEED: every GET_FMAP field was mutated" "" \
		"$(echo $z)"
	check "famfs-seed$FSEED: the kernel refused bad fmaps by name" \
		sh -c "dmesg | grep -q 'fuse: famfs: inode [0-9]*: GET_FMAP: '"
	# every field of the device reply too (fmaps on devices the server
	# has not got bring a GET_DAXDEV at each open)
	check "famfs-seed$FSEED: GET_DAXDEV requests for other devices (${d:-0})" \
		test "${d:-0}" -gt 50
	z=$(sed -n 's/^hostile: famfs GET_DAXDEV mutations by field://p' "$sum" |
		awk '{ for (i = 2; i <= NF; i += 2) if ($i == 0) print $(i - 1) }')
	check_eq "famfs-seed$FSEED: every GET_DAXDEV field was mutated" "" \
		"$(echo $z)"
	check "famfs-seed$FSEED: the kernel refused bad device replies by name" \
		sh -c "dmesg | grep -q 'fuse: famfs: inode [0-9]*: GET_DAXDEV [0-9]*: '"
	dmesg | grep 'fuse: famfs' | sed 's/^[^]]*] //' | sort | uniq -c |
		sort -rn | head -20 | sed 's/^/# /'
	# A fresh mount of a calm server: famfs files work again.
	rm -f "$PIDF"
	require "famfs-calm: mount" "$H" serve --seed "$FSEED" --rate 0 \
		--famfs "$T_PMEM" --pidfile "$PIDF" "$T_DISK1" "$T_MNT"
	check_eq "famfs-calm: size of famfs1 (interleaved)" 9437307 \
		"$(stat -c %s "$T_MNT/famfs1")"
	check "famfs-calm: write and read back famfs1" sh -c \
		"fileverify write -o 0 $T_MNT/famfs1 9437307 5 &&
		 fileverify check $T_MNT/famfs1 9437307 5 &&
		 mmapverify check $T_MNT/famfs1 9437307 5"
	check "famfs-calm: write and read back famfs0 (mmap)" sh -c \
		"mmapverify write $T_MNT/famfs0 6290456 6 &&
		 fileverify check $T_MNT/famfs0 6290456 6"
	check "famfs-calm: chmod keeps the fmap's size" sh -c \
		"chmod 600 $T_MNT/famfs0 && test \$(stat -c %s $T_MNT/famfs0) = 6290456"
	check "famfs-calm: umount" umount "$T_MNT"
	check "famfs-calm: the server exits" server_gone
	echo "$old_famfs" > $FPARAM
fi

run classic 7 $((MSGS / 2)) --classic
grep -q "mode classic" "$T_TMP/summary.classic" ||
	fail "classic: the mount was not classic"

# A garbage FUSE_IOMAP_CONFIG reply: the connection is refused or runs
# with odd settings; either way the I/O returns and umount works.
for seed in 11 12 13; do
	rm -f "$PIDF"
	require "config-seed$seed: mount with a garbage config" "$H" serve \
		--seed "$seed" --garbage-config --duration 10 \
		--pidfile "$PIDF" "$T_DISK1" "$T_MNT"
	start_workers "config-seed$seed" "$seed"
	sleep 8
	stop_workers "config-seed$seed"
	check "config-seed$seed: umount" umount "$T_MNT"
	check "config-seed$seed: the server exits" server_gone
done

# The server killed in the middle of the storm.
rm -f "$PIDF"
require "kill: mount" "$H" serve --seed 21 --rate "$RATE" --pidfile "$PIDF" \
	"$T_DISK1" "$T_MNT"
start_workers kill 21
sleep 10
kill -9 "$(cat "$PIDF")"
check "kill: the server is gone" server_gone
stop_workers kill
check "kill: umount of the dead mount" umount "$T_MNT"

diag "mutated messages in all: $TOTAL"

module_reload
t_done
