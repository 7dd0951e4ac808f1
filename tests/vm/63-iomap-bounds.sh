#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Bounds a server controls.  Devices: a server registering its device
# again and again (fusetd --fill-devs, each time through a new open file)
# gets cookies 1..1024 in order and ENOSPC for the 1025th, a cookie given
# back can be taken again, the mount works, and at unmount the kernel lets
# go of the 1024 open files and leaks nothing (kmemleak).  Notifications:
# FLOOD_NOTIFICATIONS (default 200,000) upserts and invalidations about a
# file of 8,192 one-block extents (fusetd --flood) while fio overwrites
# and verifies its first half, direct reads check its second half and fsx
# changes the layout of another file: the mapping cache stays within its
# 64 KiB limit (the flood alone keeps more mappings than that), no slab
# cache grows with the notifications, the data
# checks out, and after a remount too.
. /tests/vm/lib.sh

cleanup() {
	[ -n "$STOP" ] && touch "$STOP"
	mounted && umount "$T_MNT"
}
trap cleanup EXIT

LOG=$T_TMP/$T_NAME.log
KMEMLEAK=/sys/kernel/debug/kmemleak

# Allocated struct files (the kernel holds one per registration).  The
# count is a per-CPU counter read without summing: off by up to 32 per
# CPU, so differences are good to 128 on two CPUs.
nr_files() { awk '{ print $1 }' /proc/sys/fs/file-nr; }
# wait_for CMD...: up to 60 s for CMD to succeed
wait_for() {
	_n=0
	while ! "$@" && [ $_n -lt 600 ]; do sleep 0.1; _n=$((_n + 1)); done
	"$@"
}

# kmemleak_clean WHEN: no unreferenced objects
kmemleak_clean() {
	if [ ! -e $KMEMLEAK ]; then
		skip "kmemleak $1" "not in this kernel"
		return
	fi
	sleep 6		# kmemleak reports objects older than 5 s
	echo scan > $KMEMLEAK
	_leaks=$(grep -c "^unreferenced object" $KMEMLEAK)
	check_eq "kmemleak finds nothing $1" 0 "$_leaks"
	[ "$_leaks" = 0 ] || head -40 $KMEMLEAK | sed 's/^/# /'
}

# ---- devices
[ -e $KMEMLEAK ] && echo clear > $KMEMLEAK
t_mkfs
f0=$(nr_files)
require "mount, registering the device until refused" \
	"$FUSETD" mount --iomap --fill-devs --stats "$STATS" \
	"$T_DISK1" "$T_MNT" 2> "$LOG"
check "the daemon reports" wait_for grep -q "fill-devs:" "$LOG"
diag "$(grep "fill-devs:" "$LOG")"
f1=$(nr_files)
ENOSPC="No space left on device"
check "1024 registrations succeeded" grep -q "fill-devs: 1024 registered" "$LOG"
check "with cookies 1..1024 in order" grep -q "cookies in order" "$LOG"
check "the 1025th was refused with ENOSPC" \
	grep -q "1024 registered, cookies in order, then: $ENOSPC;" "$LOG"
check "a cookie given back is handed out again, then ENOSPC" \
	grep -q "closed 1024: ok; again: 1024; then: $ENOSPC\$" "$LOG"
check "the kernel holds the open files ($f0 -> $f1)" \
	test $((f1 - f0)) -ge $((1024 - 128))
check "I/O through the first cookie" fileverify write -d "$T_MNT/d" 4194304 1
check "buffered too" fileverify write "$T_MNT/b" 4194304 2
check "and both read back" sh -c "fileverify check -d $T_MNT/d 4194304 1 &&
	fileverify check $T_MNT/b 4194304 2"
check "umount" umount "$T_MNT"
wait_gone fusetd
files_back() { [ $(($(nr_files) - f0)) -le 128 ]; }
wait_for files_back
check "the open files were let go ($f0 -> $f1 -> $(nr_files))" files_back
kmemleak_clean "after 1024 devices"
check "fsck of the image" "$FUSETD" fsck "$T_DISK1"

# ---- notifications
N=${FLOOD_NOTIFICATIONS:-200000}
LIMIT=65536
BLOCKS=8192
half=$((BLOCKS * 4096 / 2))
t_mkfs
require "a file of $BLOCKS one-block written extents (offline)" \
	"$FUSETD" fragment -w 9 "$T_DISK1" frag $BLOCKS
require "mount" iomap_mount
ino=$(stat -c %i "$T_MNT/frag")
# extmap prints the first 64 extents
ext=$(extmap fiemap "$T_MNT/frag" | awk '$3 == 4096' | grep -c .)
check_eq "its first 64 extents are one block each" 64 "$ext"
umount "$T_MNT"
wait_gone fusetd

slabs() { awk 'NR > 2 { print $1, $2 }' /proc/slabinfo; }
# Objects in use in our caches (fuse_inode, fuse_request: or fuseiomap_*
# for the coexisting module; the iomap inodes' own state), after handing
# back what KASAN's quarantine and RCU still keep of freed objects.
OURS="fuse_iomap_cache_entry fuse_iomap_inode $(awk 'NR > 2 && $1 ~ /^fuse(iomap)?_(inode|request)$/ { print $1 }' /proc/slabinfo)"
ours_in_use() {
	sleep 1		# kfree_rcu(), call_rcu()
	for _c in $OURS; do
		shrink_slab "$_c"
		echo "$_c $(awk -v s="$_c" '$1 == s { print $2 }' /proc/slabinfo)"
	done
}
ours_in_use > "$T_TMP/ours.before"
shrink_all
slabs > "$T_TMP/slab.before"
require "mount with a $LIMIT-byte cache, to flood inode $ino once opened" \
	"$FUSETD" mount --iomap --cache-maxbytes $LIMIT --flood "$N:$ino" \
	--stats "$STATS" "$T_DISK1" "$T_MNT" 2> "$LOG"
CONN=$(conn_id)
check "a cache limit of at most $LIMIT bytes ($(cstat max_bytes "$CONN"))" \
	test "$(cstat max_bytes "$CONN")" -gt 0 -a "$(cstat max_bytes "$CONN")" -le $LIMIT

STOP=$T_TMP/stop
rm -f "$STOP"
# worker NAME CMD...: run CMD until $STOP exists; a failure ends it
worker() {
	_name=$1; shift
	(
		_runs=0
		while [ ! -e "$STOP" ]; do
			"$@" > "$T_TMP/$_name.out" 2>&1 || exit 1
			_runs=$((_runs + 1))
		done
		echo "$_runs runs" > "$T_TMP/$_name.out"
	) &
}
worker fio fio --name=ow --filename="$T_MNT/frag" --size=$half --io_size=2M \
	--bs=4k --rw=randrw --direct=1 --ioengine=psync --randrepeat=0 \
	--verify=crc32c --do_verify=1 --verify_fatal=1
fio_pid=$!
worker reader fileverify check -d -o $half "$T_MNT/frag" $half 9
reader_pid=$!
worker fsx fsx -q --strict -N 300 -l 1m -o 64k --save "$T_TMP/fsx.shadow" \
	"$T_MNT/fsx"
fsx_pid=$!

# Sample the cache while the flood lasts.
max=0 maxslab=0 samples=0
flooded() {
	[ $(($(op_count NOTIFY_IOMAP_UPSERT_MAPPINGS) +
	     $(op_count NOTIFY_IOMAP_INVAL_MAPPINGS) +
	     $(op_count NOTIFY_IOMAP_DEV_INVAL) +
	     $(op_count notify_refused))) -ge "$N" ]
}
t0=$(date +%s)
n=0
while ! flooded && [ $n -lt 3600 ]; do
	b=$(cstat bytes "$CONN")
	[ "$b" -gt $max ] && max=$b
	s=$(slab_settled fuse_iomap_cache_entry)
	[ "$s" -gt $maxslab ] && maxslab=$s
	samples=$((samples + 1))
	sleep 0.5
	n=$((n + 1))
done
t1=$(date +%s)
check "the flood ended" flooded
diag "$(grep "flood:" "$LOG") in $((t1 - t0)) s"
touch "$STOP"
for w in fio:$fio_pid reader:$reader_pid fsx:$fsx_pid; do
	wait "${w#*:}"
	check "${w%:*} ran through the flood ($(tail -1 "$T_TMP/${w%:*}.out"))" \
		test $? = 0
done
check "all $N notifications were sent" grep -q "flood: $N notifications" "$LOG"
check_eq "none was refused" "0 0" "$(op_count notify_refused) $(cstat rejected "$CONN")"
diag "$(tr '\n' ' ' < "$DBG/$CONN/cache")"
check "the kernel applied them ($(cstat upserts "$CONN") upserts, $(cstat invals "$CONN") invals)" \
	test $(( $(cstat upserts "$CONN") + $(cstat invals "$CONN") )) -ge $((N * 9 / 10))
check "entries were evicted for the limit ($(cstat evictions "$CONN"))" \
	test "$(cstat evictions "$CONN")" -gt 0
# A change inserts up to two entries and then evicts down to the limit:
# a sample may catch two entries more per CPU inserting.
check "the cache stayed within $LIMIT bytes and 4 entries ($samples samples, most $max)" \
	test "$max" -le $((LIMIT + 4 * 56))
check "and ended within $LIMIT ($(cstat bytes "$CONN"))" test "$(cstat bytes "$CONN")" -le $LIMIT
check "and its slab too (most ${maxslab} bytes)" \
	test "$maxslab" -le $((LIMIT * 3 / 2))
shrink_all
slabs > "$T_TMP/slab.after"
# (kmemleak_object tracks every allocation: it grows with the I/O)
grow=$(awk 'NR == FNR { a[$1] = $2; next } $1 == "kmemleak_object" { next }
	    { d = $2 - a[$1]; if (d > m) { m = d; n = $1 } }
	    END { print m + 0, n }' "$T_TMP/slab.before" "$T_TMP/slab.after")
# A leak per notification grows a cache by N or more; the workers' own
# objects stay far below 5,000 (the floor for small floods).
lim=$((N / 20)); [ $lim -lt 5000 ] && lim=5000
check "no slab cache grew with the notifications (most: $grow objects)" \
	test "${grow%% *}" -lt $lim
check "the file's second half reads back" \
	fileverify check -o $half "$T_MNT/frag" $half 9
check "umount" umount "$T_MNT"
wait_gone fusetd
check "the connection's counters went with it" test ! -e "$DBG/$CONN"
ours_in_use > "$T_TMP/ours.after"
diag "in use before the mount: $(tr '\n' ' ' < "$T_TMP/ours.before")"
diag "after the umount: $(tr '\n' ' ' < "$T_TMP/ours.after")"
# (other tests' inodes may still be in the inode cache: at most as many)
check "our slab caches are back to the pre-mount level after umount" \
	awk 'NR == FNR { a[$1] = $2; next } $2 > a[$1] { bad = 1 }
	     END { exit bad }' "$T_TMP/ours.before" "$T_TMP/ours.after"
kmemleak_clean "after the flood"

require "remount" iomap_mount
check "the second half after the remount" \
	fileverify check -d -o $half "$T_MNT/frag" $half 9
check "fsx's last file after the remount" \
	fsx --check "$T_TMP/fsx.shadow" "$T_MNT/fsx"
check "umount" umount "$T_MNT"
wait_gone fusetd
check "fsck of the image" "$FUSETD" fsck "$T_DISK1"
STOP=
t_done
