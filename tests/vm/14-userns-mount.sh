#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A FUSE server mounted from a user namespace (FUSE is FS_USERNS_MOUNT):
# its root holds CAP_SYS_RAWIO only in its own namespace, so even with
# enable_iomap and enable_famfs set it is offered neither iomap nor
# famfs, and the mount is stock FUSE: direct, buffered and mmap I/O go
# through READ and WRITE, names and attributes work, and no iomap or
# famfs request is ever sent.  The same image mounted from the initial
# namespace afterwards gets iomap and finds the data.
. /tests/vm/lib.sh

NS=
cleanup() {
	if [ -n "$NS" ]; then
		nsrun umount "$T_MNT" 2>/dev/null
		kill "$NS" 2>/dev/null
	fi
	famfs_cleanup
}
famfs_begin
trap cleanup EXIT

# nsrun CMD...: CMD in the user and mount namespaces of $NS, as its root
nsrun() { nsenter -t "$NS" -U -m "$@"; }
ns_mounted() { nsrun grep -q " $T_MNT fuse" /proc/mounts; }

famfs_on
t_mkfs
unshare -Urm sleep 100000 &
NS=$!
n=0
while [ "$(readlink /proc/$NS/ns/user)" = "$(readlink /proc/self/ns/user)" ] &&
      [ $n -lt 50 ]; do
	sleep 0.1; n=$((n + 1))
done
require "a user namespace" \
	test "$(readlink /proc/$NS/ns/user)" != "$(readlink /proc/self/ns/user)"
check_eq "its root is uid 0 there" 0 "$(nsrun id -u)"

outside=$(fuseioctl support)
diag "FUSE_DEV_IOC_IOMAP_SUPPORT outside: $outside"
check "outside, iomap is offered" test "$outside" != 0x0
check_eq "inside, nothing is offered" 0x0 "$(nsrun fuseioctl support)"

require "mount with --iomap from the user namespace" \
	nsrun "$FUSETD" mount --iomap --stats "$STATS" "$T_DISK1" "$T_MNT" \
	2> "$T_TMP/ns.err"
check "the mount is in the namespace" ns_mounted
check "and not outside it" sh -c "! grep -q ' $T_MNT fuse' /proc/mounts"
check "the daemon reports the classic fallback" \
	grep -q "did not offer FUSE_IOMAP" "$T_TMP/ns.err"
check "direct write and read" sh -c \
	"nsenter -t $NS -U -m fileverify write -d $T_MNT/d 1048576 1 &&
	 nsenter -t $NS -U -m fileverify check -d $T_MNT/d 1048576 1"
check "buffered write and read" sh -c \
	"nsenter -t $NS -U -m fileverify write $T_MNT/b 4194304 2 &&
	 nsenter -t $NS -U -m fileverify check $T_MNT/b 4194304 2"
check "mmap write and read" sh -c \
	"nsenter -t $NS -U -m fileverify write -m $T_MNT/m 65536 3 &&
	 nsenter -t $NS -U -m fileverify check -m $T_MNT/m 65536 3"
check "mkdir, rename, link, chmod" sh -c \
	"nsenter -t $NS -U -m mkdir $T_MNT/dir &&
	 nsenter -t $NS -U -m mv $T_MNT/m $T_MNT/dir/m &&
	 nsenter -t $NS -U -m ln $T_MNT/dir/m $T_MNT/m2 &&
	 nsenter -t $NS -U -m chmod 600 $T_MNT/m2"
check_eq "attributes" "600 2 0" \
	"$(nsrun stat -c '%a %h %u' "$T_MNT/dir/m")"
check_eq "no iomap configuration, mapping or ioend request" "0 0 0" \
	"$(op_count IOMAP_CONFIG) $(op_count IOMAP_BEGIN) $(op_count IOMAP_IOEND)"
check "the data went through WRITE" test "$(op_count WRITE)" -gt 0
check "and came back through READ" test "$(op_count READ)" -gt 0
check "umount in the namespace" nsrun umount "$T_MNT"
wait_gone fusetd

if [ -b "${T_PMEM:-/dev/pmem0}" ]; then
	SPECS="-F small:4M:simple:2M"
	require "famfs mount from the user namespace" \
		nsrun "$FUSETD" famfs --stats "$STATS" $FAMFS_DEVS $SPECS \
		"$T_MNT" 2> "$T_TMP/nsfamfs.err"
	check "the daemon was not offered FUSE_DAX_FMAP" \
		grep -q "did not offer FUSE_DAX_FMAP" "$T_TMP/nsfamfs.err"
	check_fails "its files are classic FUSE files without data" \
		"Input/output error" nsrun cat "$T_MNT/small"
	check_eq "no GET_FMAP or GET_DAXDEV" "0 0" \
		"$(op_count GET_FMAP) $(op_count GET_DAXDEV)"
	check "umount in the namespace" nsrun umount "$T_MNT"
	wait_gone fusetd
else
	skip "famfs from a user namespace" "no pmem device"
fi
kill "$NS"
wait "$NS" 2>/dev/null
NS=

require "mount with --iomap from the initial namespace" iomap_mount
check "direct data" fileverify check -d "$T_MNT/d" 1048576 1
check "buffered data" fileverify check "$T_MNT/b" 4194304 2
check "mmap data" fileverify check "$T_MNT/dir/m" 65536 3
maps=$(( $(op_count IOMAP_BEGIN) + $(op_count NOTIFY_IOMAP_UPSERT_MAPPINGS) ))
check "now mapped through iomap ($maps IOMAP_BEGIN and upserts)" \
	test "$maps" -gt 0
check_eq "and no READ" 0 "$(op_count READ)"
check "umount" umount "$T_MNT"
wait_gone fusetd
check "fsck of the image" "$FUSETD" fsck "$T_DISK1"
t_done
