#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 32-bit servers on the 64-bit kernel (IA32_EMULATION): fusetd32, the test
# daemon built for i386 (tests/Makefile bin32), serves iomap and famfs
# files, so its requests, replies, notifications and ioctls go through the
# kernel's compat paths with the i386 layout of every wire structure.
# tests/abi checks that layout at compile time; this is the run-time side:
#   - /dev/fuse ioctls through compat_ptr_ioctl from 32-bit processes:
#     IOMAP_SUPPORT and an undefined one (fuseioctl32), ADD_IOMAP from a
#     32-bit mount helper, BACKING_OPEN with the iomap type and each of its
#     refusals (--probe-backing: fuse_backing_map's flags and padding read
#     where they are), BACKING_CLOSE and 1,024 registrations
#     (--fill-devs), IOMAP_SET_BLOCKSIZE, SET_NOFS (fuse4fs personality);
#   - FUSE_IOMAP_CONFIG: the reply's fields took effect, from the first to
#     the last: s_id (in the kernel's message for an FS_IOC_SHUTDOWN, which
#     a 32-bit fsop32 sends), s_maxbytes, and
#     cache_maxbytes (the mapping cache's limit in debugfs), the field an
#     i386 server sends last;
#   - iomap direct and buffered I/O and mmap, from 64-bit and 32-bit
#     clients, verified against the written pattern, with IOMAP_BEGIN and
#     IOMAP_IOEND seen and no READ or WRITE; the 64-bit fusetd reads the
#     32-bit daemon's counters; then test 30 as a whole on fusetd32;
#   - mapping notifications: fuse4fs personality upserts, all taken;
#   - famfs: test 40 as a whole on fusetd32 (GET_FMAP, GET_DAXDEV,
#     read/write/mmap verified, on the devices where the layout says).
# The kernel needs COMPAT_32BIT_TIME besides IA32_EMULATION: i386 glibc
# uses the 32-bit time syscalls whenever the value fits.
. /tests/vm/lib.sh

FUSETD64=$FUSETD
FUSETD=$T_BIN/fusetd32
cleanup() { if mounted; then umount "$T_MNT"; fi; }
trap cleanup EXIT

# elf FILE: its ELF class and machine, "01 03" for i386
elf() { od -An -tx1 -j4 -N1 "$1"; od -An -tx1 -j18 -N1 "$1"; }

for b in fusetd32 fuseioctl32 fileverify32 mmapverify32 fsop32; do
	require "$b is an i386 program" test "$(elf "$T_BIN/$b" | xargs)" = "01 03"
done
# i386 glibc calls the 32-bit time syscalls whenever the value fits (its
# ppoll() with no timeout, which fusetd waits in, is ppoll_time32): a
# kernel without COMPAT_32BIT_TIME (Debian's has it) fails them, ENOSYS.
require "the kernel has the 32-bit time syscalls (COMPAT_32BIT_TIME)" \
	grep -q " [Tt] __ia32_compat_sys_ppoll_time32\$" /proc/kallsyms

# /dev/fuse ioctls from a 32-bit process
check_eq "IOMAP_SUPPORT: FILEIO, as to a 64-bit process" \
	"$(fuseioctl support)" "$(fuseioctl32 support)"
check_eq "which is 0x1" 0x1 "$(fuseioctl32 support)"
check_fails "an undefined /dev/fuse ioctl: ENOTTY" "Inappropriate ioctl" \
	fuseioctl32 bogus

t_mkfs
"$FUSETD" mount -f --iomap --probe-backing --cache-maxbytes 1M \
	--stats "$STATS" "$T_DISK1" "$T_MNT" > "$T_TMP/probe.out" &
n=0
while ! mounted && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
require "fusetd32 mounts with --iomap" mounted
ls "$T_MNT" >/dev/null	# waits for INIT, and so for the probes
probe() { awk -v p="$1" '$2 == p { $1 = $2 = ""; sub(/^ +/, ""); print }' "$T_TMP/probe.out"; }
check_eq "BACKING_OPEN of a regular file" "Block device required" \
	"$(probe not-a-block-device)"
check_eq "BACKING_OPEN with unknown flags" "Invalid argument" \
	"$(probe unknown-flags)"
check_eq "BACKING_OPEN with non-zero padding" "Invalid argument" \
	"$(probe nonzero-padding)"
check_eq "BACKING_OPEN of a closed fd" "Bad file descriptor" "$(probe bad-fd)"
check_eq "IOMAP_CONFIG was answered once" 1 "$(op_count IOMAP_CONFIG)"

# The data: direct, buffered, mmap; 64-bit and 32-bit clients.
f=$T_MNT/f
check "direct write + read of 1 MiB" \
	sh -c "fileverify write -d $f 1048576 1 && fileverify check -d $f 1048576 1"
check "a 32-bit client's direct write past 4 GiB" \
	fileverify32 write -d -o 5368709120 "$f" 65536 2
check "reads back, from 64 and 32 bits" \
	sh -c "fileverify check -d -o 5368709120 $f 65536 2 &&
	       fileverify32 check -d -o 5368709120 $f 65536 2"
check_eq "the size" 5368774656 "$(stat -c %s "$f")"
check "a sub-block direct write (512 bytes at 4608)" \
	fileverify32 write -d -o 4608 "$f" 512 3
check "reads back, and the rest of that block kept its data" \
	sh -c "fileverify check -d -o 4608 $f 512 3 &&
	       fileverify check -d -o 4096 $f 512 1 &&
	       fileverify check -d -o 5120 $f 3072 1"
g=$T_MNT/g
check "buffered write of 3 MiB + 5 at 12345" \
	fileverify32 write -o 12345 "$g" 3145733 4
check "mmap write of 100 KiB + 3 at 1 MiB - 7, from a 32-bit client" \
	mmapverify32 write -o 1048569 "$g" 102403 5
sync
echo 3 > /proc/sys/vm/drop_caches
check "the buffered write reads back from the disk" \
	sh -c "fileverify check -o 12345 $g 1036224 4 &&
	       fileverify check -o 1150972 $g 2007106 4"
check "the mmap write reads back, by read() and by mmap" \
	sh -c "fileverify check -o 1048569 $g 102403 5 &&
	       mmapverify32 check -o 1048569 $g 102403 5"
begins=$(op_count IOMAP_BEGIN)
ioends=$(op_count IOMAP_IOEND)
check "the daemon answered mappings ($begins IOMAP_BEGIN)" test "$begins" -gt 0
check "and ioends ($ioends IOMAP_IOEND)" test "$ioends" -gt 0
check_eq "no READ or WRITE request" "0 0" "$(op_count READ) $(op_count WRITE)"
check_eq "the 64-bit fusetd reads the 32-bit daemon's counters" \
	"$("$FUSETD" stats "$STATS")" "$("$FUSETD64" stats "$STATS")"

# IOMAP_CONFIG took effect, to its last field.
mb=$(cstat max_bytes)
check "cache_maxbytes: the mapping cache's limit is the 1 MiB asked ($mb)" \
	test "${mb:-0}" -le 1048576 -a "${mb:-0}" -gt $((1048576 - 1024))
s0=$(op_count SETATTR)
check_eq "s_maxbytes: the server's 1 TiB maximum file size" "File too large" \
	"$(truncate -s 1099511631872 "$f" 2>&1 | sed 's/.*: //')"
check_eq "the kernel refused it itself (no SETATTR)" "$s0" "$(op_count SETATTR)"
n0=$(dmesg | grep -c "fuse: fusetd shut down")
check "FS_IOC_SHUTDOWN (sync first), from a 32-bit process" \
	fsop32 shutdown "$T_MNT" 0
check_eq "SHUTDOWN_FS reached the server" 1 "$(op_count SHUTDOWN_FS)"
check_eq "s_id: the kernel names the file system fusetd" $((n0 + 1)) \
	"$(dmesg | grep -c "fuse: fusetd shut down")"
check "umount" umount "$T_MNT"
wait
check "fusetd32 fsck: the image is clean" "$FUSETD" fsck "$T_DISK1"
check "and so says the 64-bit fsck" "$FUSETD64" fsck "$T_DISK1"

# BACKING_OPEN and BACKING_CLOSE, 1,024 times.
require "mount, registering the device until refused" \
	"$FUSETD" mount --iomap --fill-devs --stats "$STATS" \
	"$T_DISK1" "$T_MNT" 2> "$T_TMP/fill.log"
ls "$T_MNT" >/dev/null
n=0
while ! grep -q "fill-devs:" "$T_TMP/fill.log" && [ $n -lt 300 ]; do
	sleep 0.1; n=$((n + 1))
done
diag "$(grep "fill-devs:" "$T_TMP/fill.log")"
ENOSPC="No space left on device"
check "1024 registrations, cookies in order, the 1025th refused" \
	grep -q "fill-devs: 1024 registered, cookies in order, then: $ENOSPC;" \
	"$T_TMP/fill.log"
check "BACKING_CLOSE gave one back, taken again, then ENOSPC" \
	grep -q "closed 1024: ok; again: 1024; then: $ENOSPC\$" "$T_TMP/fill.log"
check "I/O through the first cookie" fileverify check -d -o 8192 "$f" 1040384 1
check "umount" umount "$T_MNT"
wait_gone fusetd

# IOMAP_SET_BLOCKSIZE (test 54 leaves 1024 behind: ask for 2048)
require "mount with --set-blocksize 2048" "$FUSETD" mount --iomap \
	--set-blocksize 2048 --stats "$STATS" "$T_DISK1" "$T_MNT"
check "I/O goes on" fileverify check -d -o 4096 "$f" 512 1
check_eq "IOMAP_SET_BLOCKSIZE set it" 2048 "$(blockdev --getbsz "$T_DISK1")"
check "umount" umount "$T_MNT"
wait_gone fusetd

# ADD_IOMAP from a 32-bit mount helper, for a server without CAP_SYS_RAWIO
out=$(fuseioctl32 grant 3 "$FUSETD" mount --iomap --drop-rawio --fuse-fd 3 \
	--stats "$STATS" "$T_DISK1" "$T_MNT")
check_eq "the 32-bit helper's grant, and SUPPORT of it" "granted, support 0x1" \
	"$out"
check "a direct read" fileverify check -d -o 5368709120 "$f" 65536 2
check "the server without CAP_SYS_RAWIO has iomap" \
	test "$(op_count IOMAP_CONFIG)" = 1 -a "$(op_count READ)" = 0
check "umount" umount "$T_MNT"
wait_gone fusetd

# The fuse4fs personality: SET_NOFS and SUPPORT, then every miss upserted
# (FUSE_NOTIFY_IOMAP_UPSERT_MAPPINGS) and answered RETRY_CACHE.
require "mount with the fuse4fs personality" "$FUSETD" mount \
	--personality fuse4fs --stats "$STATS" "$T_DISK1" "$T_MNT"
check "direct read" fileverify check -d -o 8192 "$f" 1040384 1
check "direct write into a hole at 8 MiB, and back" sh -c "
	fileverify write -d -o 8388608 $f 65536 6 &&
	fileverify check -d -o 8388608 $f 65536 6"
r=$(op_count retry_cache)
check "misses answered with an upsert and RETRY_CACHE ($r)" test "$r" -gt 0
check_eq "one upsert each" "$r" "$(op_count NOTIFY_IOMAP_UPSERT_MAPPINGS)"
check_eq "the kernel refused none" 0 "$(op_count notify_refused)"
check "umount" umount "$T_MNT"
wait_gone fusetd
check "fsck" "$FUSETD" fsck "$T_DISK1"

# The iomap and famfs tests as they are, on the 32-bit daemon.
for t in ${COMPAT_TESTS-30-iomap-dio 40-famfs-io}; do
	sub_test "$t" FUSETD="$FUSETD"
done
t_done
