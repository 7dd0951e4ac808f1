#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# mount -t fuse.fusetd IMAGE DIR [-o iomap]: the mount helper convention
# every FUSE server follows (mount(8) runs mount.fuse.fusetd, a link to
# fusetd; fuseiomap.fusetd and mount.fuseiomap.fusetd on the stock kernel).
# The mount shows as fuse.fusetd with the image as its source;
# -o iomap gives an iomap mount (no WRITE or READ request for file data),
# without it a classic one; mount(8)'s generic options are accepted and an
# unknown one fails the mount.
. /tests/vm/lib.sh

trap 'mounted && umount "$T_MNT"' EXIT
require "fusetd mkfs" "$FUSETD" mkfs "$T_DISK1"
require "mount -t $FUSE_TYPE.fusetd -o iomap" \
	mount -t $FUSE_TYPE.fusetd "$T_DISK1" "$T_MNT" -o "iomap,nosuid,stats=$STATS"
check_eq "mounted as $FUSE_TYPE.fusetd from $T_DISK1" "$T_DISK1 $FUSE_TYPE.fusetd" \
	"$(awk -v m="$T_MNT" '$2 == m { print $1, $3 }' /proc/mounts)"
check "write and read back 4 MiB" sh -c \
	"fileverify write '$T_MNT/f' 4194304 3 && sync &&
	 echo 3 > /proc/sys/vm/drop_caches &&
	 fileverify check '$T_MNT/f' 4194304 3"
check "the kernel asked for mappings" test "$(op_count IOMAP_BEGIN)" -gt 0
check_eq "no WRITE request" 0 "$(op_count WRITE)"
check_eq "no READ request" 0 "$(op_count READ)"
check "umount" umount "$T_MNT"
wait_gone fusetd

require "mount -t $FUSE_TYPE.fusetd without iomap" \
	mount -t $FUSE_TYPE.fusetd "$T_DISK1" "$T_MNT" -o "stats=$STATS.2"
check "the file reads back" fileverify check "$T_MNT/f" 4194304 3
check "a classic mount: READ requests" \
	test "$("$FUSETD" stats "$STATS.2" | awk '$1 == "READ" { print $2 }')" -gt 0
check "umount" umount "$T_MNT"
wait_gone fusetd

check_fails "an unknown option fails the mount" "unknown mount option" \
	mount -t $FUSE_TYPE.fusetd "$T_DISK1" "$T_MNT" -o no-such-option
check "nothing is mounted" sh -c "! mounted"
t_done
