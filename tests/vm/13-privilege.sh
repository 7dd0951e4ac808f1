#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The privilege model at each boundary where a server's power over devices
# grows (Documentation/filesystems/fuse-iomap.rst, "Privilege model"):
# - BACKING_OPEN: a task without CAP_SYS_RAWIO that holds an iomap
#   server's /dev/fuse file cannot register a block device on it; a task
#   with it can (the control: the call is otherwise good);
# - module parameters: clearing enable_iomap leaves a mounted iomap
#   filesystem as it is, and the next mount gets no iomap;
# - INIT reply: a privileged mount helper (as fusermount3, setuid root,
#   is for any user) mounting for a server without CAP_SYS_RAWIO does not
#   give that server iomap or famfs: the kernel refuses the reply's flag
#   and says so, and the server serves classic I/O (data checked, no
#   iomap request);
# - famfs devices: resolved from the famfs server's root and opened with
#   its credentials.  A user in its own user and mount namespace who puts
#   another device over the device's path before the first open cannot
#   redirect the files there; the same bind mount in the server's own
#   namespace does redirect them (the control: the data check catches a
#   redirection).  The device is claimed exclusively while famfs holds it.
. /tests/vm/lib.sh

EPERM="Operation not permitted"
IOMAP_PARAM=$FUSE_PARAMS/enable_iomap
old_iomap=$(cat "$IOMAP_PARAM")
cleanup() {
	umount /dev/pmem0 2>/dev/null
	famfs_cleanup
	case "$old_iomap" in Y|1) echo 1 > "$IOMAP_PARAM" ;; *) echo 0 > "$IOMAP_PARAM" ;; esac
}
famfs_begin
trap cleanup EXIT

not() { ! "$@" 2>/dev/null; }
# fuse_fd PID: the number of PID's /dev/fuse descriptor
fuse_fd() {
	for _f in /proc/"$1"/fd/*; do
		case "$(readlink "$_f")" in /dev/fuse*) echo "${_f##*/}"; return ;; esac
	done
}

echo 1 > "$IOMAP_PARAM"
t_mkfs
require "mount with iomap" iomap_mount
pid=$(pidof fusetd)
fd=$(fuse_fd "$pid")
diag "server $pid, /dev/fuse on descriptor $fd"
check "a task with CAP_SYS_RAWIO registers a device on the server's connection" \
	sh -c "fuseioctl backing-open $pid $fd $T_DISK2 | grep -q '^cookie [0-9]'"
dmesg -c >/dev/null
check_fails "a task without it cannot" "$EPERM" \
	fuseioctl backing-open --drop-rawio "$pid" "$fd" "$T_DISK2"
check "the kernel says why" sh -c \
	"dmesg | grep -q 'BACKING_OPEN of an iomap device without CAP_SYS_RAWIO'"

# The parameter is read at mount: this mount keeps iomap.
echo 0 > "$IOMAP_PARAM"
"$FUSETD" stats --reset "$STATS"
check "enable_iomap cleared: direct write and read on the iomap mount" sh -c \
	"fileverify write -d $T_MNT/d 1048576 1 && fileverify check -d $T_MNT/d 1048576 1"
check "through IOMAP_BEGIN still" test "$(op_count IOMAP_BEGIN)" -gt 0
check "and it can still register devices" \
	sh -c "fuseioctl backing-open $pid $fd $T_DISK2 | grep -q '^cookie [0-9]'"
umount "$T_MNT"
wait_gone fusetd
"$FUSETD" mount --iomap --stats "$STATS" "$T_DISK1" "$T_MNT" 2> "$T_TMP/off.err"
check "the next mount is not offered iomap" \
	grep -q "did not offer FUSE_IOMAP" "$T_TMP/off.err"
check "and reads the data with READ" fileverify check -d "$T_MNT/d" 1048576 1
check_eq "no iomap request" 0 "$(op_count IOMAP_BEGIN)"
umount "$T_MNT"
wait_gone fusetd
echo 1 > "$IOMAP_PARAM"

# A privileged helper's mount, an unprivileged server.
dmesg -c >/dev/null
"$FUSETD" mount --iomap --drop-rawio-late --stats "$STATS" "$T_DISK1" "$T_MNT" \
	2> "$T_TMP/late.err"
require "mounted for a server that drops CAP_SYS_RAWIO before INIT" mounted
check "the kernel refuses the server iomap" sh -c \
	"dmesg | grep -q 'server without CAP_SYS_RAWIO (pid [0-9]*) accepted iomap; refused'"
check "its BACKING_OPEN is refused" grep -q "$EPERM" "$T_TMP/late.err"
check "the data reads back" fileverify check -d "$T_MNT/d" 1048576 1
check "direct write and read" sh -c \
	"fileverify write -d $T_MNT/e 1048576 2 && fileverify check -d $T_MNT/e 1048576 2"
check "buffered write and read" sh -c \
	"fileverify write $T_MNT/b 3145728 3 && fileverify check $T_MNT/b 3145728 3"
check_eq "with READ and WRITE, not iomap" "0 0" \
	"$(op_count IOMAP_BEGIN) $(op_count IOMAP_IOEND)"
check "WRITE was used" test "$(op_count WRITE)" -gt 0
umount "$T_MNT"
wait_gone fusetd

# famfs: a file on pmem0; the decoy pmem1 holds other bytes.
require "two pmem devices" test -b /dev/pmem0 -a -b /dev/pmem1
famfs_on
check "the decoy holds other bytes" \
	dd if=/dev/urandom of=/dev/pmem1 bs=1M count=32 conv=fsync status=none
FAMFS_DEVS="-d /dev/pmem0" SPECS="-F f:4194304:simple:2M"
famfs_redirect() { # WHO: bind pmem1 over /dev/pmem0, then open the file
	case $1 in
	user) unshare -Urm sh -c "mount --bind /dev/pmem1 /dev/pmem0 &&
		fileverify check $T_MNT/f 4194304 1" ;;
	server) mount --bind /dev/pmem1 /dev/pmem0 &&
		fileverify check "$T_MNT/f" 4194304 1 ;;
	*) return 2 ;;
	esac
}

require "famfs mount on pmem0" famfs_mount
check "a user in its own user and mount namespace cannot redirect the file" \
	famfs_redirect user
check_fails "the server's device is claimed while famfs holds it" \
	"Device or resource busy" fsop claim /dev/pmem0
check "the file still reads back" fileverify check "$T_MNT/f" 4194304 1
umount "$T_MNT"
wait_gone fusetd

# The control: the server's own namespace decides, so there it redirects.
require "famfs mount on pmem0 again" famfs_mount
check "a bind mount in the server's namespace does redirect the file" \
	not famfs_redirect server
umount /dev/pmem0
umount "$T_MNT"
wait_gone fusetd
t_done
