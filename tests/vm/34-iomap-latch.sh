#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Server-supplied values outside the I/O path: bad device registrations
# are refused with clear errors, and a server that answers IOMAP_IOEND
# with ENOSYS is never asked again on that connection.  Also the request
# flags around mappings: RWF_NOWAIT I/O is served from the mapping cache or
# gets EAGAIN (EOPNOTSUPP without a cache), never blocking on an upcall,
# and O_DSYNC direct writes end in FUSE_FSYNC.
. /tests/vm/lib.sh

umount_on_exit

t_mkfs
"$FUSETD" mount -f --iomap --probe-backing --no-ioend --stats "$STATS" \
	"$T_DISK1" "$T_MNT" > "$T_TMP/probe.out" &
n=0
while ! mounted && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
require "mount" mounted
ls "$T_MNT" >/dev/null	# waits for INIT, and so for the probes

probe() { awk -v p="$1" '$2 == p { $1 = $2 = ""; sub(/^ +/, ""); print }' "$T_TMP/probe.out"; }
check_eq "a regular file is not a device" "Block device required" \
	"$(probe not-a-block-device)"
check_eq "unknown registration flags" "Invalid argument" "$(probe unknown-flags)"
check_eq "non-zero padding" "Invalid argument" "$(probe nonzero-padding)"
check_eq "a closed fd" "Bad file descriptor" "$(probe bad-fd)"

# Each write into a hole would normally end with an IOEND.
for i in 0 1 2 3 4; do
	fileverify write -d -o $((i * 1048576)) "$T_MNT/f" 4096 $i ||
		fail "direct write $i"
done
check_eq "IOMAP_IOEND answered ENOSYS once, then never sent again" 1 \
	"$(op_count IOMAP_IOEND)"
check "umount" umount "$T_MNT"
wait

# Without IOEND the unwritten blocks were never converted: the rest runs
# on a server that implements it, and pushes no mappings on open, so that
# only what the kernel asked for or was pushed after ioends is cached.
require "mount" "$FUSETD" mount --iomap --upsert-on-open 0 --stats "$STATS" \
	"$T_DISK1" "$T_MNT"
require "data to read" sh -c "fileverify write -d -o 0 $T_MNT/f 4096 0 &&
	fileverify write -d -o 1048576 $T_MNT/f 4096 1"
# RWF_NOWAIT never waits for an upcall: served from the mapping cache
# (the daemon pushed the blocks its ioends converted), or -EAGAIN.
before=$(op_count IOMAP_BEGIN)
check "RWF_NOWAIT direct read of cached blocks" \
	fileverify check -d -n -o 0 "$T_MNT/f" 4096 0
check_fails "RWF_NOWAIT direct read of a range never mapped: EAGAIN" \
	"Resource temporarily unavailable" \
	fileverify check -d -n -o 8192 "$T_MNT/f" 4096 0
check_fails "RWF_NOWAIT buffered write into it: EAGAIN" \
	"Resource temporarily unavailable" \
	fileverify write -n -o 8192 "$T_MNT/f" 4096 2
check_fails "RWF_NOWAIT direct write into it: EAGAIN" \
	"Resource temporarily unavailable" \
	fileverify write -d -n -o 8192 "$T_MNT/f" 4096 2
check_eq "no mapping was asked for by them" "$before" "$(op_count IOMAP_BEGIN)"
dd if=/dev/zero of="$T_TMP/z4k" bs=4096 count=1 2>/dev/null
check "the range is still a hole" \
	sh -c "dd if=$T_MNT/f bs=4096 skip=2 count=1 2>/dev/null | cmp - $T_TMP/z4k"
check "the data is untouched" fileverify check -d -o 0 "$T_MNT/f" 4096 0
check "umount" umount "$T_MNT"

# Without a mapping cache every mapping is an upcall: iomap files do not
# claim FMODE_NOWAIT, so RWF_NOWAIT is refused up front.
require "mount without a mapping cache" \
	"$FUSETD" mount --iomap --no-cache --stats "$STATS" "$T_DISK1" "$T_MNT"
before=$(op_count IOMAP_BEGIN)
check_fails "no cache: RWF_NOWAIT direct read: EOPNOTSUPP" \
	"Operation not supported" \
	fileverify check -d -n -o 0 "$T_MNT/f" 4096 0
check_fails "no cache: RWF_NOWAIT direct write: EOPNOTSUPP" \
	"Operation not supported" \
	fileverify write -d -n -o 0 "$T_MNT/f" 4096 0
check_eq "no mapping was asked for by them either" "$before" \
	"$(op_count IOMAP_BEGIN)"

# fileverify fsyncs once at the end; O_DSYNC adds one per 1 MiB write.
before=$(op_count FSYNC)
check "plain direct write of 4 MiB" fileverify write -d "$T_MNT/g" 4194304 7
plain=$(( $(op_count FSYNC) - before ))
before=$(op_count FSYNC)
check "O_DSYNC direct write of 4 MiB" \
	fileverify write -d -s "$T_MNT/h" 4194304 8
dsync=$(( $(op_count FSYNC) - before ))
check_eq "a plain write is synced once, by fsync" 1 "$plain"
check "O_DSYNC writes are synced as they complete ($dsync FSYNC)" \
	test "$dsync" -ge 5
check "O_DSYNC data reads back" fileverify check -d "$T_MNT/h" 4194304 8
check "umount" umount "$T_MNT"
t_done
