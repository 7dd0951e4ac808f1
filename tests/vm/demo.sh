#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo of "make run": one workload on the three kinds of file our
# fuse.ko serves, all from our test daemon, fusetd:
# - classic FUSE: the daemon moves every byte (READ and WRITE requests);
# - iomap: the daemon only says where the file's blocks are on the disk
#   (IOMAP_BEGIN, and IOMAP_IOEND after writes) and the kernel moves the
#   data to and from the disk itself;
# - famfs: the file's whole map is fetched once at open (GET_FMAP); then
#   reads and writes go straight to the (emulated) memory, no request.
# The workload writes 32 MiB, syncs, drops the page cache and reads the
# data back, checking every byte.  For each kind: the time it took and
# the requests the daemon saw meanwhile.
. /tests/vm/lib.sh

MB=32
SIZE=$((MB * 1048576))
DATA_OPS="READ WRITE IOMAP_BEGIN IOMAP_END IOMAP_IOEND GET_FMAP GET_DAXDEV"
REPORT=$T_TMP/demo.report
: > "$REPORT"

now() { cut -d' ' -f1 /proc/uptime; }

# run KIND FILE [fileverify write options]: the workload on FILE, then a
# line of the report
run() {
	_kind=$1 _file=$2
	shift 2
	"$FUSETD" stats --reset "$STATS"
	_t0=$(now)
	fileverify write "$@" "$_file" $SIZE 42 && sync &&
		echo 3 > /proc/sys/vm/drop_caches &&
		fileverify check "$_file" $SIZE 42
	_rc=$?
	_t1=$(now)
	check "$_kind: $MB MiB written, read back and verified" test $_rc = 0
	_reqs=
	for _op in $DATA_OPS; do
		_n=$(op_count "$_op")
		[ "$_n" != 0 ] && _reqs="$_reqs $_op $_n"
	done
	_all=$("$FUSETD" stats "$STATS" | awk '{ n += $2 } END { print n + 0 }')
	printf '%-8s %6.2f s   %s (all requests: %s)\n' "$_kind" \
		"$(echo "$_t1 $_t0" | awk '{ print $1 - $2 }')" \
		"${_reqs:- none on the data path}" "$_all" >> "$REPORT"
}

famfs_begin

require "fusetd mkfs $T_DISK1" "$FUSETD" mkfs "$T_DISK1"
require "classic mount of $T_DISK1" fs_mount
run classic "$T_MNT/data"
check "umount" umount "$T_MNT"
wait_gone fusetd

require "iomap mount of $T_DISK1" iomap_mount
run iomap "$T_MNT/data"
check "umount" umount "$T_MNT"
wait_gone fusetd

famfs_on
SPECS="-F data:${MB}M:simple:${MB}M"
require "famfs mount on ${T_PMEM:-/dev/pmem0}" famfs_mount
run famfs "$T_MNT/data" -o 0
check "umount" umount "$T_MNT"

diag ""
diag "$MB MiB written, synced and read back, by kind of file:"
sed 's/^/#   /' "$REPORT"
diag "(classic: the daemon copies the data; iomap: the kernel does, the"
diag " daemon only maps; famfs: the map was fetched at open)"
t_done
