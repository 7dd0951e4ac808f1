#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# virtiofs on our fuse.ko: the dev kernel has VIRTIO_FS=m and FUSE_DAX=y,
# as Debian configures them, and virtiofs.ko is built with our module
# (a stock virtiofs.ko cannot work with our struct fuse_conn).  vm.sh
# exports a directory with Debian's virtiofsd (qemu 7.2: no DAX window)
# holding host1 (1 MiB, seed 11) and host2 (4097 bytes, seed 12), written
# by fileverify on the host.
. /tests/vm/lib.sh

if [ -z "${VIRTIOFS_TAG:-}" ]; then
	skip "virtiofs" "no virtiofsd export in this boot"
	exit 0
fi
umount_on_exit
mounted() { grep -q " $T_MNT virtiofs " /proc/mounts; }
M=$T_MNT

require "insmod virtiofs.ko" insmod /lib/modules/virtiofs.ko
check "it uses our fuse.ko" test -e /sys/module/fuse/holders/virtiofs
check_fails "-o dax=always is refused: no DAX window" "Invalid argument" \
	mount -t virtiofs "$VIRTIOFS_TAG" "$M" -o dax=always
require "mount -t virtiofs $VIRTIOFS_TAG" mount -t virtiofs "$VIRTIOFS_TAG" "$M"
check "the host's files read as the host wrote them" sh -c "
	fileverify check '$M/host1' 1048576 11 &&
	fileverify check '$M/host2' 4097 12"
check "a file written here" fileverify write "$M/guest" 3145728 13
check "a direct write" fileverify write -d "$M/direct" 1048576 14
sync
echo 3 > /proc/sys/vm/drop_caches
check "reads back from the host after the caches are dropped" sh -c "
	fileverify check '$M/guest' 3145728 13 &&
	fileverify check -d '$M/direct' 1048576 14"
check "namespace operations" sh -c "
	mkdir -p '$M/d/e' && mv '$M/guest' '$M/d/e/moved' &&
	ln -s d/e/moved '$M/link' && rm '$M/host2' &&
	fileverify check '$M/link' 3145728 13 && test ! -e '$M/host2'"
check "umount" umount "$M"
check "remount" mount -t virtiofs "$VIRTIOFS_TAG" "$M"
check "the data is on the host" fileverify check "$M/d/e/moved" 3145728 13
check "umount" umount "$M"
check "rmmod virtiofs" rmmod virtiofs
check "and no longer holds fuse.ko" test ! -e /sys/module/fuse/holders/virtiofs
t_done
