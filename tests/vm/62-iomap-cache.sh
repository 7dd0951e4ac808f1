#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The mapping cache of iomap inodes.  With the cache warm, random 4 KiB
# direct reads and pure overwrites cost less than one upcall per hundred
# I/Os (the daemon counts every request), while the same reads with the
# cache off cost one each.  Data stays right while another thread punches,
# zeroes, clones and truncates the same file (cachestress checks both
# threads against shadow copies).  Random direct writes into preallocated
# blocks cost an IOEND each but no begin upcall: each conversion keeps
# the rest of its extent cached.  A file of a million extents pushed
# through the cache keeps its memory within the configured limit.  Every
# kind of malformed notification is refused with its errno.
. /tests/vm/lib.sh

umount_on_exit

# Requests the daemon received (notifications it sent are not upcalls).
upcalls() {
	"$FUSETD" stats "$STATS" |
		awk '$1 ~ /^[A-Z]/ && $1 !~ /^NOTIFY_/ { n += $2 } END { print n + 0 }'
}
wait_mount() {
	_n=0
	while ! mounted && [ $_n -lt 100 ]; do sleep 0.1; _n=$((_n + 1)); done
	mounted
}

f=$T_MNT/f
IOS=2048		# 8 MiB of 4 KiB I/Os
fio_run() {
	# fio_run NAME RW [fio options]: random 4 KiB direct I/O over $f.
	_name=$1 _rw=$2; shift 2
	fio --name="$_name" --filename="$f" --size=32M --io_size=8M --bs=4k \
		--rw="$_rw" --direct=1 --ioengine=psync --randrepeat=0 \
		--output="$T_TMP/$_name.log" "$@" || { cat "$T_TMP/$_name.log"; false; }
}

t_mkfs
require "mount with --iomap (cache on)" iomap_mount
check "cache limit negotiated" test "$(cstat max_bytes)" -gt 0
check "32 MiB written directly" fileverify write -d "$f" 33554432 1
umount "$T_MNT"

# Cold kernel cache; opening the file pushes its map (upsert on open).
require "remount" iomap_mount
check "the file checks out" fileverify check -d "$f" 33554432 1
check "the daemon pushed mappings ($(op_count NOTIFY_IOMAP_UPSERT_MAPPINGS))" \
	test "$(op_count NOTIFY_IOMAP_UPSERT_MAPPINGS)" -gt 0

u0=$(upcalls)
check "random direct reads, cache warm" fio_run rr randread
u1=$(upcalls)
diag "cache on: $((u1 - u0)) upcalls for $IOS random 4k direct reads"
check "reads: fewer than 1 upcall per 100 I/Os ($((u1 - u0)) for $IOS)" \
	test $(( (u1 - u0) * 100 )) -lt $IOS

u0=$(upcalls)
check "random pure overwrites, crc32c verified" fio_run rw randwrite \
	--verify=crc32c --do_verify=1 --verify_fatal=1
u1=$(upcalls)
diag "cache on: $((u1 - u0)) upcalls for $IOS overwrites and $IOS verify reads"
check "overwrites: fewer than 1 upcall per 100 I/Os ($((u1 - u0)) for $((2 * IOS)))" \
	test $(( (u1 - u0) * 100 )) -lt $((2 * IOS))
check "cache hits counted ($(cstat hits))" test "$(cstat hits)" -ge $((3 * IOS))
check_eq "no READ or WRITE requests" "0 0" "$(op_count READ) $(op_count WRITE)"

# The same reads without the cache, to show what it saves.
umount "$T_MNT"
require "mount with --no-cache" \
	"$FUSETD" mount --iomap --no-cache --stats "$STATS" "$T_DISK1" "$T_MNT"
check_eq "no cache limit without the server asking" 0 "$(cstat max_bytes)"
u0=$(upcalls)
check "random direct reads, cache off" fio_run rr-off randread
u1=$(upcalls)
diag "cache off: $((u1 - u0)) upcalls for $IOS random 4k direct reads"
check "without the cache every read is an upcall" test $((u1 - u0)) -ge $IOS
check_eq "nothing cached" 0 "$(cstat entries)"
umount "$T_MNT"

# Writes into preallocated (unwritten) blocks: each IOEND converts the
# blocks written, and the kernel forgets only those, keeping the rest of
# the extent cached around them (dropping the whole extent made every
# next write an upcall), so only the first write asks.  fio verifies the
# data as it goes and again after a remount.
require "remount (cache on)" iomap_mount
pf=$T_MNT/prealloc
pfio() {
	fio --name=pre --filename="$pf" --size=32M --io_size=8M --bs=4k \
		--rw=randwrite --direct=1 --ioengine=io_uring --iodepth=8 \
		--fallocate=none --verify=crc32c --verify_fatal=1 \
		--output="$T_TMP/pre.log" "$@" || { cat "$T_TMP/pre.log"; false; }
}
require "a preallocated file" sh -c "touch $pf && fsop falloc - $pf 0 33554432"
b0=$(op_count IOMAP_BEGIN) e0=$(op_count IOMAP_IOEND)
check "random direct writes into it" pfio --do_verify=0
b1=$(op_count IOMAP_BEGIN) e1=$(op_count IOMAP_IOEND)
diag "$((b1 - b0)) begin and $((e1 - e0)) ioend upcalls for $IOS writes"
check "every write converted its block ($((e1 - e0)) ioends)" \
	test $((e1 - e0)) -ge $IOS
check "the extent stayed cached around them ($((b1 - b0)) begins)" \
	test $(( (b1 - b0) * 100 )) -lt $IOS
check "the data, crc32c verified" pfio --verify_only
umount "$T_MNT"
require "remount" iomap_mount
check "the data after a remount" pfio --verify_only
rm -f "$pf"
umount "$T_MNT"

# Layout changes racing with I/O through cached mappings of the same file.
require "remount (cache on)" iomap_mount
for seed in 1 2; do
	check "cachestress seed $seed: io and layout threads, shadow-checked" \
		cachestress "$T_MNT/stress$seed" 1500 "$seed"
done
check_fails "cachestress catches a corrupted shadow copy" "byte 12345 is" \
	cachestress -c "$T_MNT/stress3" 20 3
check "layout changes dropped cached ranges ($(cstat layout_invals))" \
	test "$(cstat layout_invals)" -gt 0
check "and I/O still hit the cache ($(cstat hits))" test "$(cstat hits)" -gt 0
diag "$(tr '\n' ' ' < "$DBG/$(conn_id)/cache")"
umount "$T_MNT"
check "fsck clean after the cache tests" "$FUSETD" fsck "$T_DISK1"

# Malformed notifications: each refused with its errno, nothing changed.
"$FUSETD" mount -f --iomap --probe-notify --stats "$STATS" "$T_DISK1" \
	"$T_MNT" > "$T_TMP/probe.out" &
require "mount with --probe-notify" wait_mount
: > "$T_MNT/probe"
# devinval-valid frees the block at 256 MiB: cache it in the device first
DEVBLK=268435456
dd if="$T_DISK1" of=/dev/null bs=4096 skip=65536 count=1 2>/dev/null
check_eq "the freed block is in the device's page cache" 1 \
	"$(fsop resident "$T_DISK1" $DEVBLK 4096)"
cat "$T_MNT/probe"	# the open sends the probes
probe() { awk -v p="$1" '$2 == p { $1 = $2 = ""; sub(/^ +/, ""); print }' "$T_TMP/probe.out"; }
EINVAL="Invalid argument"
EUCLEAN="Structure needs cleaning"
while read -r name want; do
	case "$want" in
	EINVAL) want=$EINVAL ;;
	EUCLEAN) want=$EUCLEAN ;;
	ESTALE) want="Stale file handle" ;;
	ENODEV) want="No such device" ;;
	ENOSYS) want="Function not implemented" ;;
	OK) want=accepted ;;
	esac
	check_eq "notification $name" "$want" "$(probe "$name")"
done <<EOF
upsert-short EINVAL
upsert-long EINVAL
upsert-unknown-nodeid ESTALE
upsert-not-iomap EINVAL
upsert-wrong-attr-ino EINVAL
upsert-misaligned EUCLEAN
upsert-zero-length EUCLEAN
upsert-overflow EUCLEAN
upsert-past-device EUCLEAN
upsert-unknown-dev EUCLEAN
upsert-retry-cache EUCLEAN
upsert-inline EUCLEAN
upsert-new EUCLEAN
upsert-write-hole EUCLEAN
upsert-bad-type EUCLEAN
inval-short EINVAL
inval-misaligned EINVAL
inval-overflow EINVAL
inval-unknown-nodeid ESTALE
devinval-long EINVAL
devinval-unknown-dev ENODEV
devinval-overflow EINVAL
devinval-reserved EINVAL
inc-epoch ENOSYS
prune ENOSYS
upsert-valid OK
inval-valid OK
devinval-valid OK
EOF
check_eq "refusals counted by the kernel" 25 "$(cstat rejected)"
check_eq "and by the daemon" 25 "$(op_count notify_refused)"
check_eq "the device invalidation dropped the block's page cache" 0 \
	"$(fsop resident "$T_DISK1" $DEVBLK 4096)"
check_eq "one accepted upsert applied" 1 "$(cstat upserts)"
check "the file system still works" sh -c "
	fileverify write -d $T_MNT/after 1048576 3 &&
	fileverify check $T_MNT/after 1048576 3"
umount "$T_MNT"
wait_gone fusetd

# A connection without a mapping cache has nowhere to put an upsert: a
# valid one is refused with EOPNOTSUPP, and an invalidation has nothing
# to do.
"$FUSETD" mount -f --iomap --no-cache --probe-notify --stats "$STATS" \
	"$T_DISK1" "$T_MNT" > "$T_TMP/probe-nocache.out" &
require "mount with --no-cache --probe-notify" wait_mount
cat "$T_MNT/probe"
nocache() { awk -v p="$1" '$2 == p { $1 = $2 = ""; sub(/^ +/, ""); print }' "$T_TMP/probe-nocache.out"; }
check_eq "notification upsert-valid without a cache" \
	"Operation not supported" "$(nocache upsert-valid)"
check_eq "notification inval-valid without a cache" accepted \
	"$(nocache inval-valid)"
umount "$T_MNT"
wait_gone fusetd

# A million extents through a cache limited to 1 MiB.
NEXT=${CACHE_EXTENTS:-1000000}
LIMIT=1048576
require "mkfs of the large disk" "$FUSETD" mkfs "$T_DISK3"
require "a file of $NEXT extents (offline)" \
	"$FUSETD" fragment "$T_DISK3" frag "$NEXT"
require "mount it with a 1 MiB cache, pushing $NEXT mappings on open" \
	"$FUSETD" mount --iomap --cache-maxbytes $LIMIT \
	--upsert-on-open $NEXT --stats "$STATS" "$T_DISK3" "$T_MNT"
t0=$(date +%s)
# fio's open pushes the first half of the map (a mapping per extent and
# per hole between), then its random reads across the file (zeros: the
# extents are unwritten) fill the cache with the answers to the misses.
check "random direct reads across the file" \
	fio --name=frag --filename="$T_MNT/frag" --bs=4k --rw=randread \
	--direct=1 --ioengine=psync --io_size=4M --randrepeat=0 \
	--output="$T_TMP/frag.log"
diag "open, $(op_count NOTIFY_IOMAP_UPSERT_MAPPINGS) upserts and 1024 reads took $(( $(date +%s) - t0 )) s"
check "$NEXT mappings were pushed" \
	test "$(op_count NOTIFY_IOMAP_UPSERT_MAPPINGS)" -ge $NEXT
check_eq "and accepted" 0 "$(op_count notify_refused)"
bytes=$(cstat bytes)
diag "$(tr '\n' ' ' < "$DBG/$(conn_id)/cache")"
check "cache within its limit ($bytes of $LIMIT bytes)" test "$bytes" -le $LIMIT
check "entries were evicted for the limit ($(cstat evictions))" \
	test "$(cstat evictions)" -gt $((NEXT / 2))
slab=$(slab_settled fuse_iomap_cache_entry)
check "the slab of cached mappings is bounded too ($slab bytes)" \
	test "$slab" -gt 0 -a "$slab" -le $((LIMIT * 3 / 2))
id=$(conn_id)
umount "$T_MNT"
wait_gone fusetd
check "the connection's counters went with it" test ! -e "$DBG/$id"
t_done
