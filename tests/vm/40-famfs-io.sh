#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# famfs files end to end: fusetd famfs lays files out on the pmem devices
# (simple extents round robin over the devices, interleaved extents with
# strips across them, an fmap too big for the first GET_FMAP buffer) and
# serves GET_FMAP and GET_DAXDEV.  read(), write() and shared mappings
# (read and write) and copy_file_range are checked byte for byte against
# what the daemon laid down, and writes against the bytes on the devices where the daemon's
# layout says they belong; the daemon must see no READ, WRITE or iomap
# request, and no GET_FMAP again, during the data phase; 2 MiB-aligned
# files take PMD faults (fs_dax:dax_pmd_fault_done).  With two pmem
# devices (vm.sh --memmap "256M!2G 256M!4G") the layouts span both;
# FAMFS_DEVICES="DEV..." names the devices (pmem or devdax, test 48).
. /tests/vm/lib.sh

TRACE=/sys/kernel/debug/tracing
famfs_begin

famfs_devices
DEVS=$FAMFS_DEVS
ndevs=$(echo $DEVS | wc -w)
ndevs=$((ndevs / 2))
diag "$ndevs device(s): $DEVS"

# name size seed: seeds are the -F order, from 1
FILES="simple 12582912 1
tail 10489856 2
ilv 25165824 3
ilv4 33554432 4
big 16777216 5"
SPECS="-F simple:12582912:simple:4M -F tail:10489856:simple:4M
	-F ilv:25165824:ilv:3:2M:2 -F ilv4:33554432:ilv:2:4M -F big:16M:ilv:24:2M:8"

# dev_check NAME SEED: the file's bytes on the devices, by the layout
dev_check() {
	# shellcheck disable=SC2086
	"$FUSETD" famfs --check "$1" --seed "$2" $DEVS $SPECS >/dev/null
}
each() { # CMD...: run "CMD name size seed" for every file; fail on one
	echo "$FILES" | while read -r n s seed; do
		"$@" "$n" "$s" "$seed" || { echo "# $* $n failed"; exit 1; }
	done
}

famfs_on
require "mount fusetd famfs" famfs_mount
check_eq "the files are listed" "big ilv ilv4 simple tail" \
	"$(ls "$T_MNT" | tr '\n' ' ' | sed 's/ $//')"
check_eq "size of a file that ends inside a 2 MiB unit" 10489856 \
	"$(stat -c %s "$T_MNT/tail")"

# Metadata phase: the first open of each file fetches its fmap.
each sh -c ': < "$0/$1"' "$T_MNT"
if [ "${FUSETD_PERSONALITY:-}" = famfs ]; then
	# famfs_fused never retries: the big file's fmap is one extent
	check_eq "one GET_FMAP per file" 5 "$(op_count GET_FMAP)"
else
	check_eq "one GET_FMAP per file, one more for the big fmap's retry" 6 \
		"$(op_count GET_FMAP)"
fi
check_eq "one GET_DAXDEV per device" "$ndevs" "$(op_count GET_DAXDEV)"
"$FUSETD" stats --reset "$STATS"

# Data phase.
rd() { fileverify check "$T_MNT/$1" "$2" "$3"; }
rd_direct() { fileverify check -d "$T_MNT/$1" "$2" "$3"; }
mrd() { mmapverify check "$T_MNT/$1" "$2" "$3"; }
check "read() matches what the daemon laid down" each rd
check "O_DIRECT read() too" each rd_direct
# cat reads until read() returns 0, at EOF: where the extents end too
rd_eof() { [ "$(cat "$T_MNT/$1" | wc -c)" = "$2" ]; }
check "read() to EOF ends there without an error" each rd_eof
check "mmap reads match" each mrd

wr() { fileverify write -o 0 "$T_MNT/$1" "$2" $(($3 + 10)); }
devck() { dev_check "$1" $(($3 + 10)); }
rd10() { fileverify check "$T_MNT/$1" "$2" $(($3 + 10)); }
mrd10() { mmapverify check "$T_MNT/$1" "$2" $(($3 + 10)); }
check "write() a new pattern into every file" each wr
check "the writes are on the devices where the layout puts them" each devck
check "read() sees the writes" each rd10
check "mmap sees the writes" each mrd10

mwr() { mmapverify write "$T_MNT/$1" "$2" $(($3 + 20)); }
devck20() { dev_check "$1" $(($3 + 20)); }
rd20() { fileverify check "$T_MNT/$1" "$2" $(($3 + 20)); }
check "mmap writes into every file" each mwr
check "read() sees the mmap writes" each rd20
check "the mmap writes are on the devices" each devck20

# PMD faults for the 2 MiB-aligned files: fs/dax.c's on pmem, famfs's own
# on devdax memory.
DEVDAX_EV=$TRACE/events/fuse_iomap/fuse_famfs_devdax_fault
if [ -d $TRACE/events/fs_dax ] && [ -d $DEVDAX_EV ]; then
	echo 0 > $TRACE/tracing_on
	echo > $TRACE/trace
	echo 1 > $TRACE/events/fs_dax/dax_pmd_fault_done/enable
	echo 1 > $DEVDAX_EV/enable
	echo 1 > $TRACE/tracing_on
	out=$(mmapverify check -v "$T_MNT/simple" 12582912 21)
	mmapverify check "$T_MNT/ilv" 25165824 23
	echo 0 > $TRACE/tracing_on
	echo 0 > $TRACE/events/fs_dax/dax_pmd_fault_done/enable
	echo 0 > $DEVDAX_EV/enable
	pmd=$(grep -c 'dax_pmd_fault_done.*NOPAGE\|devdax_fault.*order 9 .*NOPAGE' \
		$TRACE/trace)
	fallback=$(grep -c 'dax_pmd_fault_done.*FALLBACK\|devdax_fault.*order 9 .*FALLBACK' \
		$TRACE/trace)
	echo 1 > $TRACE/tracing_on	# as it was, for the tests after this
	diag "$out; PMD faults: $pmd mapped, $fallback fell back"
	check_eq "mmap of a 2 MiB multiple is 2 MiB aligned" yes "${out##*: }"
	check_eq "each 2 MiB of the two files is one PMD fault" 18 "$pmd"
else
	fail "no fs_dax or fuse_famfs_devdax_fault trace events"
fi

# Unaligned pieces across chunk and extent boundaries.
check "mmap write of 3 MiB + 17 at 4 KiB - 5 (interleaved)" \
	mmapverify write -o 4091 "$T_MNT/ilv" 3145745 33
check "read() of that piece" fileverify check -o 4091 "$T_MNT/ilv" 3145745 33
check "bytes around it unchanged" \
	sh -c "fileverify check -o 0 $T_MNT/ilv 4091 23 &&
	       fileverify check -o 3149836 $T_MNT/ilv 22015988 23"
check "write() across the 4 MiB extent boundary (simple)" \
	fileverify write -o 4190000 "$T_MNT/simple" 10000 34
check "mmap read of it" mmapverify check -o 4190000 "$T_MNT/simple" 10000 34

# copy_file_range is the kernel's, between famfs files (other file
# systems get EXDEV from the VFS, as always).
check "copy_file_range between famfs files" \
	sh -c "fsop copy $T_MNT/ilv4 5000000 $T_MNT/simple 5000000 3000000 \
		>/dev/null &&
	       fileverify check -o 5000000 $T_MNT/simple 3000000 24"
check "unaligned, and within one file" \
	sh -c "fsop copy $T_MNT/big 4091 $T_MNT/tail 1000003 3000000 \
		>/dev/null &&
	       fsop copy $T_MNT/tail 1000003 $T_MNT/tail 5000000 3000000 \
		>/dev/null &&
	       fsop copy $T_MNT/tail 5000000 $T_MNT/simple 4091 3000000 \
		>/dev/null &&
	       fileverify check -o 4091 $T_MNT/simple 3000000 25"
check_fails "copy_file_range past EOF stops there" "No space left on device" \
	fsop copy "$T_MNT/simple" 0 "$T_MNT/tail" $((10489856 - 100)) 1000

# The size is the fmap's.
size=10489856
check_fails "a write at EOF fails" "No space left on device" \
	dd if=/dev/zero of="$T_MNT/tail" bs=4096 seek=2561 count=1 conv=notrunc
dd if=/dev/zero of="$T_MNT/tail" bs=8192 seek=1280 count=1 conv=notrunc \
	2>/dev/null
check_eq "a write across EOF stops there" $size "$(stat -c %s "$T_MNT/tail")"
check "it wrote up to EOF" sh -c "dd if=$T_MNT/tail bs=4096 skip=2560 2>/dev/null |
	cmp - /dev/zero 2>&1 | grep -q EOF"
# simple is 12 MiB, exactly what its extents map: reads at EOF and past
# the map end (no error)
check_eq "a read at EOF, where the map ends, reads nothing" 0 \
	"$(dd if="$T_MNT/simple" bs=4096 skip=3072 count=1 2>/dev/null | wc -c)"
check_eq "a read far past the map reads nothing" 0 \
	"$(dd if="$T_MNT/simple" bs=4096 skip=9000 count=1 2>/dev/null | wc -c)"
check_eq "a read across EOF stops there" 5000 \
	"$(tail -c 5000 "$T_MNT/simple" | wc -c)"
check_fails "truncate is refused" "Operation not permitted" \
	truncate -s 0 "$T_MNT/tail"
check_fails "an O_TRUNC open is refused" "Operation not permitted" \
	sh -c ": > $T_MNT/tail"
check_fails "fallocate is refused" "Operation not supported" \
	fsop falloc - "$T_MNT/tail" 0 4096
check_eq "the size did not change" $size "$(stat -c %s "$T_MNT/tail")"

# The data phase sent nothing to the server but what the tests asked.
for op in READ WRITE IOMAP_BEGIN IOMAP_END IOMAP_IOEND GET_FMAP GET_DAXDEV \
	  COPY_FILE_RANGE; do
	check_eq "no $op during the data phase" 0 "$(op_count $op)"
done
# The daemon answers GETXATTR with ENODATA, which the kernel does not
# latch: only the first write() to each file asks for security.capability.
xa=$(op_count GETXATTR)
check "at most one GETXATTR per file for all those writes ($xa)" \
	test "$xa" -le 5
diag "requests of the data phase: $("$FUSETD" stats "$STATS" | tr '\n' ' ')"

# The devices are released at unmount: a new mount claims them again.
check "umount" umount "$T_MNT"
wait_gone fusetd
require "remount without laying the files down again" famfs_mount --keep
check "the mmap writes survived" \
	sh -c "fileverify check -o 4091 $T_MNT/ilv 3145745 33 &&
	       fileverify check $T_MNT/ilv4 33554432 24 &&
	       fileverify check $T_MNT/big 16777216 25"
check_eq "the devices were claimed again" "$ndevs" "$(op_count GET_DAXDEV)"
check "umount" umount "$T_MNT"
t_done
