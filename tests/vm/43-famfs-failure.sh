#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# famfs and a device that fails or goes away, through the dax holder's
# notify_failure:
# - memory failure (madvise(MADV_HWPOISON) on a mapped page, which needs
#   CONFIG_MEMORY_FAILURE): the process is signalled, read() of the page
#   fails with EIO and a fault on it is SIGBUS, in this and in another
#   process, while the rest of the file and the other files still work;
# - removal (unbinding the pmem namespace while a process maps a file):
#   the unbind returns, the mapping is gone (the next touch is SIGBUS, not
#   a read of memory the kernel no longer manages), read() and new opens
#   fail with EIO, umount works, and after rebinding a new mount reads
#   every byte back.
# The daemon sees no READ or WRITE request.  The VM verdict fails the run
# on any splat (notably at umount, when the DAX entries go).
. /tests/vm/lib.sh

famfs_begin
NS=
DRV=
cleanup() {
	if mounted; then umount "$T_MNT"; fi
	[ -n "$NS" ] && [ ! -b /dev/pmem0 ] && echo "$NS" > "$DRV/bind"
	famfs_restore
}
trap cleanup EXIT

require "a pmem device" test -b /dev/pmem0
# a is seed 1, b seed 2, c seed 3 (the -F order)
SPECS="-F a:8M:simple:2M -F b:4M:simple:4M -F c:4M:simple:2M"
EIO="Input/output error"
MB4=4194304
BAD=$((MB4 + 65536))		# the poisoned page of a

famfs_on
require "mount fusetd famfs" famfs_mount
check "a reads back" fileverify check "$T_MNT/a" 8388608 1
check "b reads back" fileverify check "$T_MNT/b" $MB4 2

# ---- memory failure ----
require "the kernel handles memory failures" \
	test -e /proc/sys/vm/memory_failure_recovery
memfail poison "$T_MNT/a" $BAD > "$T_TMP/poison" 2>&1
rc=$?
sed 's/^/# /' "$T_TMP/poison"
check_eq "a fault on the poisoned page is SIGBUS" 0 $rc
check_eq "madvise(MADV_HWPOISON) reached the page" "madvise: ok" \
	"$(grep ^madvise: "$T_TMP/poison")"
check "the holder was told" sh -c \
	"dmesg | grep -q 'famfs: device 0 (pmem0): memory failure at'"
check_fails "read() of the poisoned page fails" "$EIO" \
	dd if="$T_MNT/a" of=/dev/null bs=4096 skip=$((BAD / 4096)) count=1
check "read() before it works" fileverify check -o 0 "$T_MNT/a" $BAD 1
check "read() after it works" fileverify check -o $((BAD + 4096)) \
	"$T_MNT/a" $((8388608 - BAD - 4096)) 1
mmapverify check "$T_MNT/a" 8388608 1 2> "$T_TMP/bus"
check_eq "another process' fault there is SIGBUS" 3 $?
check_eq "at the poisoned offset" "mmapverify: SIGBUS at file offset $BAD" \
	"$(cat "$T_TMP/bus")"
check "a write there fails" sh -c "! fileverify write -o $BAD \
	'$T_MNT/a' 4096 9 2>/dev/null"
check "b is untouched" fileverify check "$T_MNT/b" $MB4 2
check "mapped reads of b work" mmapverify check "$T_MNT/b" $MB4 2
check_eq "no READ request" 0 "$(op_count READ)"
check_eq "no WRITE request" 0 "$(op_count WRITE)"
check "umount" umount "$T_MNT"
wait_gone fusetd

# ---- removal ----
DEV=$(readlink -f /sys/block/pmem0/device)
NS=$(basename "$DEV")
DRV=$(readlink -f "$DEV/driver")
diag "pmem0 is $NS, bound to $(basename "$DRV")"
require "remount" famfs_mount --keep
hold_map "$T_MNT/b" $MB4
unbind "$DRV" "$NS"
check "/dev/pmem0 is gone" test ! -b /dev/pmem0
check "the holder was told" sh -c \
	"dmesg | grep -q 'famfs: device 0 (pmem0): removal at 0x0'"

touch "$T_TMP/go"
wait $hold
rc=$?
sed 's/^/# /' "$T_TMP/hold"
check_eq "the mapping of the removed device is gone: SIGBUS" 3 $rc
check_fails "read() fails" "$EIO" dd if="$T_MNT/b" of=/dev/null bs=4096 count=1
check_fails "a file first opened now fails too" "$EIO" \
	dd if="$T_MNT/c" of=/dev/null bs=4096 count=1
check_eq "no READ request" 0 "$(op_count READ)"
check "umount" umount "$T_MNT"
wait_gone fusetd

echo "$NS" > "$DRV/bind"
n=0
while [ ! -b /dev/pmem0 ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
require "pmem0 is back after a bind" test -b /dev/pmem0
require "a new mount on it" famfs_mount --keep
check "every byte of a is there, the poisoned page too" \
	fileverify check "$T_MNT/a" 8388608 1
check "b too" fileverify check "$T_MNT/b" $MB4 2
check "c too" fileverify check "$T_MNT/c" $MB4 3
check "umount" umount "$T_MNT"
t_done
