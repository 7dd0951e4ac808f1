#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Aligned direct overwrites inside EOF take the inode lock shared, as in
# XFS: one that waits for its mapping does not hold up another.  Without
# the mapping cache every write asks the server; fusetd --defer-on answers
# the second write mapping request 20 s late and serves others meanwhile,
# as a multi-threaded server would.  The first write after the mount goes
# under the exclusive lock: it checks for suid bits and file capabilities
# to drop, then remembers there are none (S_NOSEC; FUSE clears it
# whenever it loads the server's attributes, so the mount asks for long
# entry and attribute timeouts).  The second (A) waits for its deferred
# mapping.  An aligned overwrite elsewhere (B) must then complete while A
# still waits (B skips the fsync at its end, -F: FUSE's fsync takes the
# inode lock exclusive).  After the attributes were loaded again, and for a
# sub-block write, B takes the exclusive lock: then it must wait for A,
# which is how the test shows it can tell the two apart; a close(2)
# meanwhile must not wait (FUSE's flush takes the inode lock, iomap's
# not).  The data of every write is checked after a remount, and the
# upcalls counted.  Writes by a user without CAP_FSETID drop a suid bit.
. /tests/vm/lib.sh

umount_on_exit

MIB=1048576
f=$T_MNT/f
done_a=$T_TMP/a.done

t_mkfs
require "mount" iomap_mount
require "a 1 MiB file of seed 1, written directly" \
	fileverify write -d "$f" $MIB 1
require "umount" umount "$T_MNT"

# held_write NAME SEED [VALID]: remount without a cache, the second write
# mapping answered 20 s late, entries and attributes valid for VALID s
# (3600); write 4 KiB of seed 2 at 0, then start A, 4 KiB of SEED at
# 4096, in the background until the server holds its mapping.  With a
# VALID of 1, the attributes are loaded again before A, after 2 s.
held_write() {
	rm -f "$done_a"
	require "$1: mount without a cache, the second write mapping 20 s late" \
		"$FUSETD" mount --iomap --no-cache --valid "${3:-3600}" \
		--stats "$STATS" --defer-on "20000@IOMAP_BEGIN:2:write" \
		"$T_DISK1" "$T_MNT"
	check "$1: the first write after the mount" \
		fileverify write -d -o 0 "$f" 4096 2
	if [ "${3:-3600}" = 1 ]; then
		sleep 2
		check "$1: the attributes loaded again" \
			test "$(stat -c %s "$f")" = $MIB
	fi
	_begins=$(op_count IOMAP_BEGIN)
	sh -c "fileverify write -d -o 4096 $f 4096 $2 && touch $done_a" &
	a=$!
	require "$1: A's mapping request reached the server" \
		wait_output $((_begins + 1)) op_count IOMAP_BEGIN
	a_began=$(cut -d' ' -f1 /proc/uptime)
}

# held_for: seconds since A's mapping request reached the server, which
# answers it after 20.
held_for() { awk -v t="$a_began" '{ printf "%d", $1 - t }' /proc/uptime; }

# a_written SEED: block 1 holds A's data.  A sync direct write ends its
# I/O before it drops the inode lock, so a write that waited for the lock
# finds A's data written; one that did not finds the old data, as A's
# mapping is still with the server.
a_written() { fileverify check -d -o 4096 "$f" 4096 "$1"; }

held_write shared 3
check "shared: B, 4 KiB of seed 4 at 64 KiB, meanwhile" \
	fileverify write -d -F -o 65536 "$f" 4096 4
check "shared: B completed while A still waited for its mapping" \
	test ! -e "$done_a"
check_fails "shared: A's data not written yet" "mismatch at 4096" a_written 3
wait $a
check_eq "shared: A completed" 0 "$?"
check_eq "shared: one IOMAP_BEGIN per write, and one per check" 4 \
	"$(op_count IOMAP_BEGIN)"
check "shared: umount" umount "$T_MNT"

# FUSE clears S_NOSEC when it loads the attributes: A then checks again,
# under the exclusive lock, and an aligned overwrite waits for it.
held_write reloaded 6 1
# close(2) of an iomap file does not take the inode lock (FUSE's flush
# does, to wait for its own writeback, which iomap files do not have).
check "reloaded: an open and close of the file, meanwhile" \
	sh -c "exec 4< $f && exec 4<&-"
held=$(held_for)
check "reloaded: the close returned before A's mapping came (after ${held} s of 20)" \
	test "$held" -lt 15
check "reloaded: B, 4 KiB of seed 4 at 64 KiB, meanwhile" \
	fileverify write -d -F -o 65536 "$f" 4096 4
check "reloaded: B waited for A: A's data is written" a_written 6
wait $a
check_eq "reloaded: A completed" 0 "$?"
check "reloaded: umount" umount "$T_MNT"

held_write exclusive 7
check "exclusive: 512 bytes of seed 5 at 128 KiB, meanwhile" \
	fileverify write -d -F -o 131072 "$f" 512 5
check "exclusive: the sub-block write waited for A: A's data is written" \
	a_written 7
wait $a
check_eq "exclusive: A completed" 0 "$?"
check "exclusive: umount" umount "$T_MNT"

require "remount" iomap_mount
check "the file is still 1 MiB" test "$(stat -c %s "$f")" = $MIB
check "block 0: seed 2" fileverify check -d -o 0 "$f" 4096 2
check "block 1: seed 7 (the last A)" fileverify check -d -o 4096 "$f" 4096 7
check "64 KiB: seed 4 (B)" fileverify check -d -o 65536 "$f" 4096 4
check "128 KiB: 512 bytes of seed 5" fileverify check -o 131072 "$f" 512 5
check "seed 1 between" sh -c "
	fileverify check -d -o 8192 $f $((65536 - 8192)) 1 &&
	fileverify check -d -o 69632 $f $((131072 - 69632)) 1 &&
	fileverify check -o 131584 $f $((135168 - 131584)) 1 &&
	fileverify check -d -o 135168 $f $((MIB - 135168)) 1"

# S_NOSEC is only a shortcut: a write by someone without CAP_FSETID still
# drops a suid bit set since (the chmod clears S_NOSEC), directly and
# through the page cache.  unshare -U runs fileverify as an unmapped user,
# for whom root's file has no CAP_FSETID; the file is writable by all.
g=$T_MNT/suid
require "a 64 KiB file of seed 1" fileverify write -d "$g" 65536 1
check "chmod 4777" chmod 4777 "$g"
check "root's write (CAP_FSETID)" fileverify write -d -F -o 0 "$g" 4096 1
check_eq "keeps suid" 4777 "$(stat -c %a "$g")"
for how in -d ""; do
	check "chmod 4777 ($how)" chmod 4777 "$g"
	check_eq "suid set ($how)" 4777 "$(stat -c %a "$g")"
	check "an unprivileged write of seed 8 ${how:+(direct)}" \
		unshare -U fileverify write $how -F -o 4096 "$g" 4096 8
	check_eq "the write dropped suid ($how)" 777 "$(stat -c %a "$g")"
done
check "the data written" fileverify check -d -o 4096 "$g" 4096 8
check "umount" umount "$T_MNT"
check "fusetd fsck finds the image clean" "$FUSETD" fsck "$T_DISK1"
require "remount" iomap_mount
check_eq "suid stays dropped on the server" 777 "$(stat -c %a "$g")"
check "umount" umount "$T_MNT"
t_done
