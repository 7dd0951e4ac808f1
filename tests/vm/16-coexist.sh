#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fuseiomap.ko beside the FUSE that Debian's stock kernel builds in (runs
# under "vm.sh --stock"; skipped on the dev kernel).  Each has its own
# filesystem types, device, sysfs directory, connections, slab caches and
# trace system.  An iomap mount of ours and a mount of Debian's fuse2fs on
# the built-in FUSE work side by side; fuse2fs also runs unchanged on ours
# through fuseiomap-run; unloading ours leaves the built-in FUSE working.
. /tests/vm/lib.sh

if [ "${FUSE_IOMAP_COEXIST:-}" != 1 ]; then
	skip "fuseiomap.ko beside a built-in FUSE" "not the stock kernel"
	exit 0
fi
M2=$T_TMP/mnt2
mkdir -p "$M2"
cleanup() {
	mounted && umount "$T_MNT"
	grep -q " $M2 " /proc/mounts && umount "$M2"
}
trap cleanup EXIT

fstype() { awk -v m="$1" '$2 == m { print $3 }' /proc/mounts; }
majmin() { stat -c '%t:%T' "$1"; }
has_fs() { grep -qE "[[:space:]]$1\$" /proc/filesystems; }

# The names of the two FUSEs.
check "the kernel's FUSE is built in" test ! -e /sys/module/fuse/initstate
check "ours is a module" test "$(cat /sys/module/fuseiomap/initstate)" = live
for t in fuse fuseblk fusectl fuseiomap fuseiomapblk fuseiomapctl; do
	check "filesystem type $t" has_fs $t
done
check_eq "/dev/fuse is 10:229 (hex e5)" "a:e5" "$(majmin /dev/fuse)"
check "/dev/fuse-iomap has a minor of its own ($(majmin /dev/fuse-iomap))" \
	test "$(majmin /dev/fuse-iomap)" != "$(majmin /dev/fuse)"
check "/sys/fs/fuse and /sys/fs/fuse-iomap" \
	test -d /sys/fs/fuse/connections -a -d /sys/fs/fuse-iomap/connections
check "slab caches of ours" grep -q "^fuseiomap_inode " /proc/slabinfo
TR=/sys/kernel/tracing
grep -q " $TR " /proc/mounts || mount -t tracefs tracefs $TR
check "trace systems fuse and fuseiomap" test -d $TR/events/fuse -a \
	-d $TR/events/fuseiomap -a -d $TR/events/fuse_iomap

# Side by side: an iomap mount of ours, fuse2fs on the built-in FUSE.
require "fusetd mkfs" "$FUSETD" mkfs "$T_DISK1"
require "mount with --iomap (fuseiomap.ko)" iomap_mount
check_eq "it is a fuseiomap mount" fuseiomap "$(fstype "$T_MNT")"
require "mke2fs" $MKE2FS -q -F -t ext4 "$T_DISK2" 64M
require "fuse2fs mounts on the built-in FUSE" fuse2fs "$T_DISK2" "$M2"
t=$(fstype "$M2")
check "it is a fuse or fuseblk mount ($t)" \
	sh -c "echo '$t' | grep -qE '^fuse(blk)?(\.|$)'"
check "8 MiB written on both at once" sh -c "
	fileverify write '$T_MNT/f' 8388608 7 & a=\$!
	fileverify write '$M2/f' 8388608 8 && wait \$a"
sync
echo 3 > /proc/sys/vm/drop_caches
check "both read back" sh -c "
	fileverify check '$T_MNT/f' 8388608 7 && fileverify check '$M2/f' 8388608 8"
check "the iomap mount asked for mappings" test "$(op_count IOMAP_BEGIN)" -gt 0
check_eq "and moved no data through the server" 0 \
	"$(( $(op_count READ) + $(op_count WRITE) ))"
fusectl_mount
grep -q " /sys/fs/fuse/connections " /proc/mounts ||
	mount -t fusectl fusectl /sys/fs/fuse/connections
check_eq "one connection in each FUSE's fusectl" "1 1" \
	"$(ls /sys/fs/fuse-iomap/connections | wc -l) $(ls /sys/fs/fuse/connections | wc -l)"
check "umount ours" umount "$T_MNT"
wait_gone fusetd
check "umount fuse2fs" umount "$M2"
wait_gone fuse2fs
check "the ext4 image is consistent" $E2FSCK -fn "$T_DISK2"

# The mount helper convention, with the coexisting type.
require "mount -t fuseiomap.fusetd -o iomap" \
	mount -t fuseiomap.fusetd "$T_DISK1" "$T_MNT" -o "iomap,stats=$STATS.h"
check_eq "mounted as fuseiomap.fusetd" fuseiomap.fusetd "$(fstype "$T_MNT")"
check "the file reads back" fileverify check "$T_MNT/f" 8388608 7
check "umount" umount "$T_MNT"
wait_gone fusetd

# An unchanged libfuse server on ours: Debian's fuse2fs via fuseiomap-run.
require "fuseiomap-run fuse2fs" fuseiomap-run fuse2fs "$T_DISK2" "$M2"
t=$(fstype "$M2")
check "fuse2fs's mount is on fuseiomap.ko ($t)" \
	sh -c "echo '$t' | grep -qE '^fuseiomap(blk)?(\.|$)'"
check "its file reads back" fileverify check "$M2/f" 8388608 8
check "and takes a new one" fileverify write "$M2/g" 1048576 9
check "umount" umount "$M2"
wait_gone fuse2fs
check "the ext4 image is consistent" $E2FSCK -fn "$T_DISK2"

# Unloading ours leaves the built-in FUSE as it was.
umount /sys/fs/fuse-iomap/connections 2>/dev/null
check "rmmod fuseiomap" rmmod fuseiomap
check "/dev/fuse-iomap is gone" test ! -e /dev/fuse-iomap
check "no fuseiomap filesystem types any more" \
	sh -c '! grep -q fuseiomap /proc/filesystems'
require "fuse2fs mounts on the built-in FUSE again" fuse2fs "$T_DISK2" "$M2"
check "both files read back" sh -c "
	fileverify check '$M2/f' 8388608 8 && fileverify check '$M2/g' 1048576 9"
check "umount" umount "$M2"
wait_gone fuse2fs
# shellcheck disable=SC2086
check "insmod fuseiomap again" insmod /lib/modules/fuseiomap.ko $T_FUSE_PARAMS
check "/dev/fuse-iomap is back" test -c /dev/fuse-iomap
t_done
