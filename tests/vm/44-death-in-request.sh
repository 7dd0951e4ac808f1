#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A server killed while one chosen request is outstanding (fusetd
# --die-on: SIGKILL when it reads that request, before answering): the
# FUSE_IOMAP_IOEND of an extending O_DIRECT write, the IOEND of buffered
# writeback under fsync, the FUSE_IOMAP_BEGIN of an mmap write fault, the
# FUSE_GET_FMAP of a famfs open (the first request and the size retry)
# and the GET_DAXDEV after it.  Each time the application gets EIO,
# ENOTCONN or ECONNABORTED (SIGBUS for the fault) within a generous
# bound, the daemon's log and counters show that it died on that very
# request, umount works, and a fresh daemon finds the data written and
# fsynced before, and (image mode) an image that fsck passes.  Then
# fuse.ko is unloaded and loaded again.
. /tests/vm/lib.sh

famfs_begin

LOG=$T_TMP/$T_NAME.log
LIMIT=120	# seconds; only to tell a hang from a slow emulator
DEAD="Input/output error|Transport endpoint is not connected|Software caused connection abort"

# bg NAME CMD...: run CMD in the background, its output in $T_TMP/NAME.out
bg() {
	_name=$1; shift
	"$@" > "$T_TMP/$_name.out" 2>&1 &
	BGPID=$!
}
# finish PID: FIN is its exit status once it ends, or "hung" after $LIMIT
# s (not in a subshell: only this shell can reap it)
finish() {
	_n=0
	while kill -0 "$1" 2>/dev/null && [ $_n -lt $((LIMIT * 10)) ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		FIN=hung
		return
	fi
	wait "$1"
	FIN=$?
}
# app_failed NAME PID: the application ended with one of the errors of a
# dead connection
app_failed() {
	finish "$2"
	_rc=$FIN
	diag "$1: exit $_rc: $(head -c 200 "$T_TMP/$1.out")"
	check "$1: the application returned (exit $_rc)" test "$_rc" != hung
	check "$1: with an error of a dead connection" \
		sh -c "test '$_rc' != 0 && grep -Eq '$DEAD' '$T_TMP/$1.out'"
}
# died_on WHAT: the daemon's last words name the request
died_on() {
	wait_gone fusetd
	check "the daemon is gone" sh -c "! pidof fusetd >/dev/null"
	diag "daemon: $(grep -- --die-on "$LOG")"
	check "it died on $1" grep -q -- "--die-on: SIGKILL at $1 " "$LOG"
}

f=$T_MNT/f
t_mkfs
require "mount with --iomap" iomap_mount
check "4 MiB written and fsynced" fileverify write "$T_MNT/safe" 4194304 1
check "1 MiB written directly" fileverify write -d "$T_MNT/dsafe" 1048576 2
check "umount" umount "$T_MNT"
wait_gone fusetd

# (a) The IOEND of an extending O_DIRECT write into a hole: unwritten
# blocks to convert, and a size to record.
require "mount, to die on the first IOMAP_IOEND" \
	"$FUSETD" mount --iomap --die-on IOMAP_IOEND:1 --stats "$STATS" \
	"$T_DISK1" "$T_MNT" 2> "$LOG"
bg dio fileverify write -d "$f" 1048576 3
app_failed dio "$BGPID"
died_on "IOMAP_IOEND 1"
check "an IOEND of the direct write" \
	grep -Eq -- "--die-on: .*flags [a-z,]*direct.* written 1048576 " "$LOG"
check_eq "the only IOEND the daemon read" 1 "$(op_count IOMAP_IOEND)"
check_eq "and it never handled it" 0 "$(op_count ioend_direct)"
check_fails "I/O on the dead mount fails" "" cat "$T_MNT/safe"
check "umount of the dead mount" umount "$T_MNT"
require "remount with a new daemon" iomap_mount
check "fsynced data survived" fileverify check "$T_MNT/safe" 4194304 1
check "direct data survived" fileverify check -d "$T_MNT/dsafe" 1048576 2
check_eq "the unreported direct write did not extend its file" 0 \
	"$(stat -c %s "$f" 2>/dev/null || echo 0)"
check "the file system works" fileverify write -d "$T_MNT/after-a" 65536 4
check "umount" umount "$T_MNT"
wait_gone fusetd
check "fsck of the image" "$FUSETD" fsck "$T_DISK1"

# (b) The IOEND of buffered writeback, started by fsync.
require "mount, to die on the first IOMAP_IOEND" \
	"$FUSETD" mount --iomap --die-on IOMAP_IOEND:1 --stats "$STATS" \
	"$T_DISK1" "$T_MNT" 2> "$LOG"
bg wb fileverify write "$T_MNT/wb" 4194304 5
app_failed wb "$BGPID"
died_on "IOMAP_IOEND 1"
check "an IOEND of writeback" \
	grep -Eq -- "--die-on: .*flags [a-z,]*writeback" "$LOG"
check_eq "the only IOEND the daemon read" 1 "$(op_count IOMAP_IOEND)"
bg sync sync
finish "$BGPID"
check_eq "sync returns" 0 "$FIN"
check "umount of the dead mount" umount "$T_MNT"
require "remount with a new daemon" iomap_mount
check "fsynced data survived" fileverify check "$T_MNT/safe" 4194304 1
check "direct data survived" fileverify check -d "$T_MNT/dsafe" 1048576 2
check "data written after the first death survived" \
	fileverify check -d "$T_MNT/after-a" 65536 4
diag "the file whose writeback was cut: $(stat -c %s "$T_MNT/wb") bytes"
check "umount" umount "$T_MNT"
wait_gone fusetd
check "fsck of the image" "$FUSETD" fsck "$T_DISK1"

# (c) The IOMAP_BEGIN of an mmap write fault (page_mkwrite), on a mount
# without a mapping cache so that the fault has to ask.
require "mount, to die on the first IOMAP_BEGIN of a fault" \
	"$FUSETD" mount --iomap --no-cache --die-on IOMAP_BEGIN:1:fault \
	--stats "$STATS" "$T_DISK1" "$T_MNT" 2> "$LOG"
bg mkwrite fileverify write -m -o 0 "$T_MNT/safe" 65536 8
finish "$BGPID"
diag "mkwrite: exit $FIN: $(head -c 200 "$T_TMP/mkwrite.out")"
check "mkwrite: the application returned (exit $FIN)" test "$FIN" != hung
check "mkwrite: with SIGBUS" \
	sh -c "test '$FIN' != 0 && grep -q SIGBUS '$T_TMP/mkwrite.out'"
died_on "IOMAP_BEGIN 1"
check "a BEGIN of a write fault" \
	grep -Eq -- "--die-on: .*opflags [a-z_,]*write[a-z_,]*fault" "$LOG"
check_fails "I/O on the dead mount fails" "" cat "$T_MNT/dsafe"
check "umount of the dead mount" umount "$T_MNT"
require "remount with a new daemon" iomap_mount
check "the faulted file kept its fsynced data" \
	fileverify check "$T_MNT/safe" 4194304 1
check "mmap writes work again" fileverify write -m "$T_MNT/after-c" 65536 9
check "umount" umount "$T_MNT"
wait_gone fusetd
require "remount with a new daemon" iomap_mount
check "and their data is on the image" \
	fileverify check -m "$T_MNT/after-c" 65536 9
check "umount" umount "$T_MNT"
wait_gone fusetd
check "fsck of the image" "$FUSETD" fsck "$T_DISK1"

# (d) GET_FMAP at a famfs open, and (e) the GET_DAXDEV that follows it.
if [ -b "${T_PMEM:-/dev/pmem0}" ]; then
	SPECS="-F small:4M:simple:2M -F big:16M:ilv:24:2M:8"
	famfs_on
	require "famfs mount" famfs_mount
	check "write() into a famfs file" \
		fileverify write -o 0 "$T_MNT/small" 4194304 6
	check "and into one with a big fmap" \
		fileverify write -o 0 "$T_MNT/big" 16777216 7
	check "umount" umount "$T_MNT"
	wait_gone fusetd

	require "famfs mount, to die on the first GET_FMAP" \
		famfs_mount --keep --die-on GET_FMAP:1 2> "$LOG"
	bg fmap cat "$T_MNT/small"
	app_failed fmap "$BGPID"
	died_on "GET_FMAP 1"
	check "with the first buffer" grep -q -- "--die-on: .*buffer 4096)" "$LOG"
	check_eq "the only GET_FMAP, and no GET_DAXDEV" "1 0" \
		"$(op_count GET_FMAP) $(op_count GET_DAXDEV)"
	check "umount of the dead mount" umount "$T_MNT"

	# the big fmap takes a second GET_FMAP with a bigger buffer
	require "famfs mount, to die on the size retry" \
		famfs_mount --keep --die-on GET_FMAP:2 2> "$LOG"
	bg retry cat "$T_MNT/big"
	app_failed retry "$BGPID"
	died_on "GET_FMAP 2"
	b=$(sed -n 's/.*--die-on: .*buffer \([0-9]*\)).*/\1/p' "$LOG")
	check "the retry asked with a bigger buffer (${b:-none})" \
		test "${b:-0}" -gt 4096
	check "umount of the dead mount" umount "$T_MNT"

	require "famfs mount, to die on the first GET_DAXDEV" \
		famfs_mount --keep --die-on GET_DAXDEV:1 2> "$LOG"
	bg daxdev cat "$T_MNT/small"
	app_failed daxdev "$BGPID"
	died_on "GET_DAXDEV 1"
	check_eq "after one GET_FMAP" "1 1" \
		"$(op_count GET_FMAP) $(op_count GET_DAXDEV)"
	check "umount of the dead mount" umount "$T_MNT"

	require "famfs mount with a new daemon" famfs_mount --keep
	check "the famfs data survived" \
		fileverify check "$T_MNT/small" 4194304 6
	check "the big file's too" fileverify check "$T_MNT/big" 16777216 7
	check_eq "the device was claimed again" 1 "$(op_count GET_DAXDEV)"
	check "umount" umount "$T_MNT"
	wait_gone fusetd
	famfs_restore
else
	skip "famfs GET_FMAP and GET_DAXDEV" "no pmem device"
fi

module_reload
old_famfs=	# the new module has the runner's parameters
t_done
