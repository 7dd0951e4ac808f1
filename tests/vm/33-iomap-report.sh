#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# FIEMAP, SEEK_DATA/SEEK_HOLE and FIBMAP of iomap files come from the
# server's mappings and match the layout the test created: data extents,
# a hole, and an unwritten (preallocated) extent that counts as a hole.
. /tests/vm/lib.sh

umount_on_exit
f=$T_MNT/f
p=$T_MNT/p

t_mkfs
require "mount" "$FUSETD" mount --iomap --stats "$STATS" "$T_DISK1" "$T_MNT"
require "64 KiB of data at 0" fileverify write -d -o 0 "$f" 65536 1
require "8 KiB of data at 1 MiB" fileverify write -d -o 1048576 "$f" 8192 2
require "preallocate 128 KiB" fallocate -l 131072 "$p"

check_eq "SEEK_DATA/SEEK_HOLE find both data ranges" \
	"data 0 65536 data 1048576 1056768" "$(extmap seek "$f" | xargs)"
check_eq "FIEMAP shows both extents" \
	"extent 0 65536 extent 1048576 8192" "$(extmap fiemap "$f" | xargs)"
check_eq "FIEMAP marks the preallocation unwritten" \
	"extent 0 131072 unwritten" "$(extmap fiemap "$p" | xargs)"
check_eq "an unwritten extent holds no data for SEEK_DATA" \
	"" "$(extmap seek "$p")"
check "FIBMAP of a data block is a device block" \
	test "$(extmap bmap "$f" 1)" -gt 0
check_eq "FIBMAP of a hole is 0" 0 "$(extmap bmap "$f" 100)"
check_eq "no READ request for any of it" 0 \
	"$("$FUSETD" stats "$STATS" | awk '$1 == "READ" { n = $2 } END { print n + 0 }')"
check_eq "FUSE_IOMAP_CONFIG was answered once" 1 \
	"$("$FUSETD" stats "$STATS" | awk '$1 == "IOMAP_CONFIG" { n = $2 } END { print n + 0 }')"
check_eq "the server's maximum file size applies" "File too large" \
	"$(truncate -s 2199023255552 "$f" 2>&1 | sed 's/.*: //')"
check "umount" umount "$T_MNT"
t_done
