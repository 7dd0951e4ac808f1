#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Server-supplied values outside the I/O path: bad device registrations
# are refused with clear errors, and a server that answers IOMAP_IOEND
# with ENOSYS is never asked again on that connection.
. /tests/vm/lib.sh

op_count() { "$FUSETD" stats "$STATS" | awk -v op="$1" '$1 == op { n = $2 } END { print n + 0 }'; }
cleanup() { mounted && umount "$T_MNT"; }
trap cleanup EXIT

require "mkfs" "$FUSETD" mkfs "$T_DISK1"
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
t_done
