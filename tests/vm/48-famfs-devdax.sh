#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# famfs on device-dax instances (/dev/daxR.N), what famfs names: 6.12's
# device-dax has no dax operations, so fs/fuse/famfs_devdax.c gives the
# instance's memory a dax_device of its own, and famfs.c maps its pages
# as device-dax does.  Needs three emulated pmem regions (scripts/vm.sh's
# default --memmap "256M!2G 256M!4G 256M!4608M"): pmem1 becomes a devdax
# instance with 4 KiB pages, pmem2 one with 2 MiB pages, what ndctl makes
# by default (the last test of a run: it takes them from the others).
# - the famfs tests over devdax: 40 (files spanning pmem0 and the 4 KiB
#   instance), 42 (fsx) and 47 (the famfs_fused personality, with its
#   4 KiB-chunk file and test 40 under it) on the 2 MiB instance;
# - memory the daemon maps through the char device is shared with the
#   files: a file's mapping of it reads and writes the same bytes;
# - one connection holds an instance: a second mount's open is EBUSY;
# - refused: a char device that is no devdax instance, a regular file;
# - the instance unbound under a mapping: the unbind returns, the mapping
#   is gone (SIGBUS), read() fails with EIO, umount works; bound again, a
#   new mount reads every byte back.
. /tests/vm/lib.sh

famfs_begin
DAXNS='' UNBOUND=''
cleanup() {
	if mounted; then umount "$T_MNT"; fi
	if grep -q " $T_TMP/mnt2 " /proc/mounts; then umount "$T_TMP/mnt2"; fi
	[ -n "$UNBOUND" ] &&
		echo "$DAXNS" > /sys/bus/dax/drivers/device_dax/bind
	famfs_restore
}
trap cleanup EXIT

if [ ! -b /dev/pmem1 ] || [ ! -b /dev/pmem2 ]; then
	skip "famfs on devdax" "needs pmem1 and pmem2 (vm.sh's default --memmap)"
	exit 0
fi
DAX=$(devdax_make /dev/pmem1 4096)
require "pmem1 as a devdax instance with 4 KiB pages: $DAX" test -c "$DAX"
DAX2M=$(devdax_make /dev/pmem2 2097152)
require "pmem2 as one with 2 MiB pages: $DAX2M" test -c "$DAX2M"
DAXNS=$(basename "$DAX")
famfs_on

# ---- the famfs tests on devdax ----
sub_test 40-famfs-io FAMFS_DEVICES="/dev/pmem0 $DAX"
sub_test 42-famfs-fsx FAMFS_DEVICES="$DAX2M" FSX_OPS="${FSX_OPS:-2000}"
sub_test 47-personality-famfs FAMFS_DEVICES="$DAX2M" PERS_TESTS=40-famfs-io \
	FSX_OPS="${FSX_OPS:-1000}"
famfs_on

# ---- memory the daemon maps too ----
MB2=2097152
SPECS="-F a:8M:simple:2M -F b:4M:simple:4M"
for d in "$DAX" "$DAX2M"; do
	FAMFS_DEVS="-d $d"
	require "mount on $d, the daemon mapping a's first 2 MiB through it" \
		famfs_mount --hold-map a
	check "a mapping of a reads what the daemon laid down" \
		mmapverify check "$T_MNT/a" 8388608 1
	check "mmap writes to a land in the memory the daemon maps" \
		sh -c "mmapverify write '$T_MNT/a' $MB2 7 &&
		       '$FUSETD' famfs --check a --seed 7 $FAMFS_DEVS $SPECS \
			 2>&1 | grep -q 'offset 2097152 '"
	check "read() sees them" fileverify check -o 0 "$T_MNT/a" $MB2 7
	check "umount" umount "$T_MNT"
	wait_gone fusetd
done

# ---- one connection per instance ----
FAMFS_DEVS="-d $DAX"
require "mount" famfs_mount --keep
check "its first open claims the instance" \
	fileverify check "$T_MNT/b" $((2 * MB2)) 2
mkdir -p "$T_TMP/mnt2"
# shellcheck disable=SC2086
require "a second mount of the same files" \
	"$FUSETD" famfs --keep --stats "$T_TMP/s2" $FAMFS_DEVS $SPECS "$T_TMP/mnt2"
check_fails "its open is EBUSY" "Device or resource busy" \
	dd if="$T_TMP/mnt2/b" of=/dev/null bs=4096 count=1
check "the kernel says why" sh -c \
	"dmesg | grep -q 'another famfs connection holds it'"
check "umount the second" umount "$T_TMP/mnt2"
check "the first still works" \
	sh -c "mmapverify write '$T_MNT/a' 8388608 5 &&
	       '$FUSETD' famfs --check a --seed 5 $FAMFS_DEVS $SPECS >/dev/null"
check "umount the first" umount "$T_MNT"
wait_gone fusetd

# ---- devices famfs refuses ----
# the daemon names its -d path: a symlink, pointed elsewhere once it runs
ln -sf "$DAX" "$T_TMP/dev"
FAMFS_DEVS="-d $T_TMP/dev"
require "mount on a symlink to $DAX" famfs_mount --keep
ln -sf /dev/null "$T_TMP/dev"
check_fails "a char device that is no devdax instance: ENODEV" \
	"No such device" dd if="$T_MNT/b" of=/dev/null bs=4096 count=1
check "the kernel says why" sh -c \
	"dmesg | grep -q 'it is not a device-dax instance'"
check "umount" umount "$T_MNT"
wait_gone fusetd
ln -sf "$DAX" "$T_TMP/dev"
require "mount again" famfs_mount --keep
rm -f "$T_TMP/dev"
: > "$T_TMP/dev"
check_fails "a regular file: ENODEV" "No such device" \
	dd if="$T_MNT/b" of=/dev/null bs=4096 count=1
check "umount" umount "$T_MNT"
wait_gone fusetd
rm -f "$T_TMP/dev"

# ---- the instance unbound under a mapping ----
FAMFS_DEVS="-d $DAX"
require "mount" famfs_mount --keep
hold_map "$T_MNT/b" $((2 * MB2))
UNBOUND=1
unbind /sys/bus/dax/drivers/device_dax "$DAXNS"
check "device_dax let go of $DAXNS" \
	test ! -e "/sys/bus/dax/drivers/device_dax/$DAXNS"
check "famfs was told" sh -c \
	"dmesg | grep -q 'famfs: device 0 ($DAXNS): removal at 0x0'"
touch "$T_TMP/go"
wait $hold
rc=$?
sed 's/^/# /' "$T_TMP/hold"
check_eq "the mapping of the removed instance is gone: SIGBUS" 3 $rc
check_fails "read() fails" "Input/output error" \
	dd if="$T_MNT/b" of=/dev/null bs=4096 count=1
check "umount" umount "$T_MNT"
wait_gone fusetd
echo "$DAXNS" > /sys/bus/dax/drivers/device_dax/bind
UNBOUND=
require "$DAX is back after a bind" test -e "/sys/bus/dax/drivers/device_dax/$DAXNS"
require "a new mount on it" famfs_mount --keep
check "every byte of a is there" fileverify check "$T_MNT/a" 8388608 5
check "b too" fileverify check "$T_MNT/b" $((2 * MB2)) 2
check "umount" umount "$T_MNT"
t_done
