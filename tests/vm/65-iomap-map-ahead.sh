#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Mappings pushed ahead of a read (fusetd --map-ahead 1M): a read that
# misses the mapping cache, and whose answer covers only the first of the
# extents it spans, also pushes the mappings of the rest of the read
# (FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS).  A file of one-block extents then
# costs one FUSE_IOMAP_BEGIN per read instead of one per extent, direct
# and buffered (readahead), and the kernel reads through the pushed
# mappings: every byte is checked.  Pushes race with ioends: a push the
# daemon makes before it sees an IOEND says what the blocks were before
# the write (unwritten, or a hole), and the kernel keeps it, as it keeps
# any push made during a layout change; the daemon's answer to the IOEND
# must take it back.  Random direct writes of 256 KiB over a file of
# one-block unwritten extents (an ioend converts more pieces than the
# daemon pushes again) run beside a reader of 256 KiB direct reads
# that keeps missing the cache in the same ranges; the data read back
# through the same mount's cache must be what was written.  One IOEND is
# held back for 3 s (fusetd --defer-on) while the daemon serves the
# reader, so that the race is run, not hoped for.
. /tests/vm/lib.sh

umount_on_exit

N=1024				# one-block extents: 4 MiB, four windows
SIZE=$((N * 4096))
f=$T_MNT/frag
ahead_mount() {
	"$FUSETD" mount --iomap --map-ahead 1M --upsert-on-open 0 "$@" \
		--stats "$STATS" "$T_DISK1" "$T_MNT"
}
begins() { op_count IOMAP_BEGIN; }
upserts() { op_count NOTIFY_IOMAP_UPSERT_MAPPINGS; }

t_mkfs
require "a file of $N one-block extents (offline)" \
	"$FUSETD" fragment -w 7 "$T_DISK1" frag $N
check "fusetd refuses --map-ahead that is not whole blocks" \
	sh -c "! '$FUSETD' mount --iomap --map-ahead 1000 '$T_DISK1' '$T_MNT' 2>/dev/null"
check "and --map-ahead under --personality fuse4fs" \
	sh -c "! '$FUSETD' mount --personality fuse4fs --map-ahead 1M '$T_DISK1' '$T_MNT' 2>/dev/null"

# Without pushing ahead: an upcall per extent, from a cold cache each time.
plain_mount() {
	"$FUSETD" mount --iomap --upsert-on-open 0 --stats "$STATS" \
		"$T_DISK1" "$T_MNT"
}
# cold_read MOUNT [-d]: mount with the function MOUNT and read the whole
# file, directly with -d, pattern checked; $b: the begin upcalls it took.
cold_read() {
	require "mount ($1)" "$1"
	b0=$(begins)
	# shellcheck disable=SC2086 # $2: -d or nothing
	check "${2:+direct }sequential read ($1), pattern checked" \
		fileverify check $2 "$f" $SIZE 7
	b=$(( $(begins) - b0 ))
	diag "$1 ${2:-(buffered)}: $b begin upcalls for $N extents"
}
cold_read plain_mount -d
plain=$b
check "one begin upcall per extent ($plain)" test "$plain" -ge $N
t_umount
cold_read plain_mount
plain_ra=$b
check_eq "FIEMAP sees $N extents" "extents $N bytes $SIZE" \
	"$(extmap count "$f")"
t_umount

# With it: an upcall per read, the rest pushed.
u0=$(upserts)
cold_read ahead_mount -d
u=$(( $(upserts) - u0 ))
check "one begin upcall per 1 MiB read ($b for 4 MiB)" test "$b" -le 4
check "the rest came as upserts ($u)" test "$u" -ge $((N - b))
check_eq "all of them taken" 0 "$(op_count notify_refused)"
check "the kernel used them: hits ($(cstat hits))" \
	test "$(cstat hits)" -ge $((N - b))
b0=$(begins)
check "read again: pattern checked" fileverify check -d "$f" $SIZE 7
check_eq "no upcall the second time" 0 $(( $(begins) - b0 ))
t_umount
cold_read ahead_mount
check "readahead: a quarter of the upcalls or fewer ($b, $plain_ra without)" \
	test $((4 * b)) -le "$plain_ra"
t_umount

# Pushed mappings are written through as well as read: overwrite in
# place, then random buffered reads verify every block.
require "remount" ahead_mount
check "direct sequential read" fileverify check -d "$f" $SIZE 7
check "overwrite in place: random direct 4 KiB writes, crc32c" \
	fio --name=ow --filename="$f" --size=$SIZE --bs=4k --rw=randwrite \
	--direct=1 --ioengine=psync --verify=crc32c --do_verify=0 \
	--fallocate=none --output="$T_TMP/ow.log"
check_eq "the overwrite kept the layout" "extents $N bytes $SIZE" \
	"$(extmap count "$f")"
check_eq "no push refused" 0 "$(op_count notify_refused)"
t_umount
require "remount" ahead_mount
check "random buffered 4 KiB reads verify" \
	fio --name=ow --filename="$f" --size=$SIZE --bs=4k --rw=randwrite \
	--direct=0 --ioengine=psync --verify=crc32c --verify_only \
	--fallocate=none --output="$T_TMP/ow-verify.log"
t_umount

# Pushes racing with ioends.  pre: $N one-block unwritten extents, none
# touching another on disk, so that an ioend converts up to 64 pieces.
require "a file of $N one-block unwritten extents (offline)" \
	"$FUSETD" fragment -u "$T_DISK1" pre $N
# The fourth IOEND waits 3 s in the daemon, which goes on serving the
# reader meanwhile: the reader's misses in the range get its old mappings.
require "mount, the fourth IOEND deferred" ahead_mount \
	--defer-on 3000@IOMAP_IOEND:4
p=$T_MNT/pre
rm -f "$T_TMP/stop"
(
	while [ ! -e "$T_TMP/stop" ]; do
		fio --name=rd --filename="$p" --size=$SIZE --bs=256k \
			--rw=randread --direct=1 --ioengine=psync \
			--io_size=4M --randrepeat=0 --output=/dev/null || break
	done
) &
reader=$!
e0=$(op_count IOMAP_IOEND) i0=$(op_count NOTIFY_IOMAP_INVAL_MAPPINGS)
check "random direct 256 KiB writes over it, a reader racing" \
	fio --name=pre --filename="$p" --size=$SIZE --bs=256k \
	--rw=randwrite --direct=1 --ioengine=psync --verify=crc32c \
	--do_verify=0 --fallocate=none --output="$T_TMP/pre.log"
: > "$T_TMP/stop"
wait $reader
e=$(( $(op_count IOMAP_IOEND) - e0 ))
i=$(( $(op_count NOTIFY_IOMAP_INVAL_MAPPINGS) - i0 ))
diag "$e ioends, $i invalidations sent with them"
check "ioends took back what they did not push again ($i)" \
	test "$i" -gt 0
check "read back through the same mount's cache, crc32c" \
	fio --name=pre --filename="$p" --size=$SIZE --bs=256k \
	--rw=randwrite --direct=1 --ioengine=psync --verify=crc32c \
	--verify_only --fallocate=none --output="$T_TMP/pre-verify.log"
t_umount
check "fsck clean" "$FUSETD" fsck "$T_DISK1"
