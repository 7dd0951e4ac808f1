#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# copy_file_range, FIDEDUPERANGE and FALLOC_FL_UNSHARE_RANGE of iomap
# files.  The kernel copies: block-aligned ranges between iomap files by
# a reflink (one FUSE_COPY_FILE_RANGE with the clone flag, blocks shared
# afterwards), everything else through the page cache, so the copy sees
# the source's dirty page cache, data just written through a mapping or
# directly, and extends the destination as a write would.  Each copy
# is checked against the same copy between shadow files on tmpfs, also
# after drop_caches, and every file again after umount, fsck and a
# remount with a new daemon.  Copies between an iomap mount and a classic
# mount go both ways.  A dedupe of identical ranges shares them, of
# different ones changes nothing; an unshare leaves no block shared, keeps
# the data, allocates holes, moves the size unless KEEP_SIZE, and its
# writeback reaches the server as IOEND.  No READ or WRITE request ever.
. /tests/vm/lib.sh

M=$T_MNT
C=$T_TMP/$T_NAME.classic
S=$T_TMP/$T_NAME.shadow
CSTATS=$T_TMP/$T_NAME.cstats

cleanup() {
	cd /
	mounted && umount "$M"
	grep -q " $C fuse" /proc/mounts && umount "$C"
	rm -rf "$S"
}
trap cleanup EXIT
mkdir -p "$C" "$S"

# run CMD...: CMD with @ for the iomap mount and % for the classic one,
# then again with both for the shadow directories
run() {
	_c=$(echo "$*" | sed "s|@|$M|g; s|%|$C|g")
	eval "$_c" >/dev/null || return 1
	_c=$(echo "$*" | sed "s|@|$S|g; s|%|$S/classic|g")
	eval "$_c" >/dev/null
}

# falloc MODE FILE OFF LEN: fallocate in the iomap mount, its model in
# the shadow (tmpfs cannot unshare)
falloc() {
	fsop falloc "$1" "$M/$2" "$3" "$4" &&
		fsop model "$1" "$S/$2" "$3" "$4"
}

# same DESC FILE...: the files (@name or %name) match their shadows
same() {
	_d=$1; shift
	_ok=1
	for _f in "$@"; do
		_r=$(echo "$_f" | sed "s|^@|$M/|; s|^%|$C/|")
		_s=$(echo "$_f" | sed "s|^@|$S/|; s|^%|$S/classic/|")
		cmp "$_s" "$_r" || _ok=0
	done
	check_eq "$_d" 1 "$_ok"
}
drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }
shared() { extmap fiemap "$1" | grep -c shared; }
mkdir -p "$S/classic"

t_mkfs -s 448M
require "mkfs of the classic disk" "$FUSETD" mkfs -s 448M "$T_DISK2"
require "mount with --iomap" iomap_mount
require "classic mount beside it" \
	"$FUSETD" mount --stats "$CSTATS" "$T_DISK2" "$C"

# A source with dirty page cache, never written back, copied unaligned.
run fileverify write @/src 1000000 1
run fsop copy @/src 1000 @/dst 5000 300000
same "unaligned copy from a dirty source" @/dst
drop_caches
same "the same after drop_caches" @/dst @/src

# Block-aligned: one clone request, the blocks shared, no data moved.
n=$(op_count COPY_FILE_RANGE)
run fsop copy @/src 65536 @/al 0 524288
same "aligned copy" @/al
check_eq "it was one clone request" $((n + 1)) "$(op_count COPY_FILE_RANGE)"
check "its blocks are shared" test "$(shared "$M/al")" -gt 0

# Over a destination whose mappings are cached: they must not survive.
run fileverify write -d @/cached 1048576 8
run fileverify check -d @/cached 1048576 8
run fsop copy @/src 131072 @/cached 262144 393216
same "an aligned copy over cached mappings" @/cached
run fsop copy @/src 1 @/cached 300001 5000
same "an unaligned one" @/cached
drop_caches
same "both after drop_caches" @/cached

# Short copies: to the source's EOF (clipped there), into the middle of a
# larger file (the source's EOF block must not be cloned over it), past
# the destination's EOF (the gap reads zeros), within one file.
run fileverify write @/big 2000000 2
sync
run fsop copy @/src 0 @/big 8192 2000000
same "a copy to the source's EOF into the middle of a file" @/big
run fsop copy @/src 4096 @/gap 3000000 70000
same "a copy past the destination's EOF" @/gap
run fsop copy @/src 100 @/src 600001 12345
same "a copy within one file" @/src

# A file written through a shared mapping, and one written directly.
run fileverify write -m -o 40000 @/mm 50000 3
run fsop copy @/mm 30000 @/dst 0 70000
same "a copy from a file written through mmap" @/dst
run fileverify write -d -o 0 @/dw 1048576 4
run fsop copy @/dw 512 @/dst 7 800000
same "a copy from a file just written directly" @/dst
drop_caches
same "all of them after drop_caches" @/src @/dst @/al @/big @/gap @/mm @/dw

# Between the iomap mount and a classic one, both ways.
run fsop copy @/src 3 %/fromiomap 11 500000
same "iomap to classic" %/fromiomap
run fileverify write %/c 300000 5
run fsop copy %/c 17 @/fromclassic 4096 290000
same "classic to iomap" @/fromclassic

# Dedupe: identical ranges become shared, different ones stay.
run fileverify write @/d1 262144 6
run fileverify write @/d2 262144 6
sync
check_eq "dedupe of identical ranges" "same 262144" \
	"$(fsop dedupe "$M/d1" 0 "$M/d2" 0 262144)"
check "they share blocks now" test "$(shared "$M/d2")" -gt 0
run fileverify write @/d3 262144 7
check_eq "dedupe of different ranges" "differs" \
	"$(fsop dedupe "$M/d1" 0 "$M/d3" 0 262144)"
check_eq "and it shared nothing" 0 "$(shared "$M/d3")"
same "dedupe changed no data" @/d1 @/d2 @/d3

# Unshare: the clone's blocks become private, with their data.
i=$(op_count IOMAP_IOEND)
check "unshare" falloc unshare,keep al 0 524288
same "unshare keeps the data" @/al
check_eq "nothing of the file is shared" 0 "$(shared "$M/al")"
check "its writeback ended in IOEND ($i before)" \
	test "$(op_count IOMAP_IOEND)" -gt "$i"
check "unshare past EOF" falloc unshare al 0 700000
same "unshare without KEEP_SIZE moves the size" @/al
check "and allocates the hole past the old EOF" \
	sh -c "extmap fiemap $M/al | grep -q unwritten"
check "unshare of half a file" falloc unshare,keep d2 0 131072
check_eq "a dedupe's blocks unshared" "extent 131072 131072 shared" \
	"$(extmap fiemap "$M/d2" | tail -1)"
same "with their data" @/d2
drop_caches
same "after drop_caches" @/al @/d2

check_eq "no READ request" 0 "$(op_count READ)"
check_eq "no WRITE request" 0 "$(op_count WRITE)"
check "umount" umount "$M"
check "umount of the classic mount" umount "$C"
check "fsck of the image" "$FUSETD" fsck "$T_DISK1"
check "fsck of the classic image" "$FUSETD" fsck "$T_DISK2"
require "remount with a new daemon" iomap_mount
require "classic remount" "$FUSETD" mount --stats "$CSTATS" "$T_DISK2" "$C"
same "every file after the restart" @/src @/dst @/al @/big @/gap @/mm \
	@/dw @/cached @/fromclassic @/d1 @/d2 @/d3 %/fromiomap %/c
t_done
