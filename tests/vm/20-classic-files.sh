#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fusetd in classic mode: files of assorted sizes, a sparse file, overwrites,
# truncation, appends and preallocation read back identical to shadow copies,
# also after restarting the daemon twice.
. "$(dirname "$0")/lib.sh"

SHADOW=$T_TMP/$T_NAME.shadow	# mirrors the filesystem's files
SRC=$T_TMP/$T_NAME.src		# input pieces

umount_on_exit "$SHADOW" "$SRC" "$STATS"

# op_count OPCODE: how many OPCODE requests the daemon received.

# random FILE BYTES
random() {
	if [ "$2" = 0 ]; then
		: > "$1"
	else
		dd if=/dev/urandom of="$1" bs="$2" count=1 2>/dev/null
	fi
}

# both CMD...: run CMD with @ standing for the shadow and the fs directory.
both() {
	for _dir in "$SHADOW" "$T_MNT"; do
		_cmd=$(echo "$*" | sed "s|@|$_dir|g")
		eval "$_cmd" || return 1
	done
}

# verify DESC: every shadow file matches, and the fs holds no other files.
verify() {
	_ok=1
	for _f in $(ls "$SHADOW"); do
		cmp "$SHADOW/$_f" "$T_MNT/$_f" || _ok=0
	done
	[ "$(ls "$SHADOW")" = "$(ls "$T_MNT")" ] || _ok=0
	check_eq "$1" 1 "$_ok"
}

[ -b "$T_DISK1" ] || size="-s 64M"
t_mkfs $size
require "mount" fs_mount
require "mount table shows the fuse mount" mounted
rm -rf "$SHADOW" "$SRC"
mkdir -p "$SHADOW" "$SRC"

sizes="0 1 4095 4096 4097 1048589 3145733"
for s in $sizes; do
	random "$SHADOW/s$s" $s
	cp "$SHADOW/s$s" "$T_MNT/s$s"
done
for s in $sizes; do
	check "$s-byte file reads back" cmp "$SHADOW/s$s" "$T_MNT/s$s"
done
ok=1
for s in $sizes; do
	[ "$(stat -c %s "$T_MNT/s$s")" = $s ] || ok=0
done
check_eq "file sizes" 1 "$ok"

# data at 0 and at 5 MiB, a hole between
random "$SRC/head" 12388
random "$SRC/tail" 7000
both "dd if=$SRC/head of=@/sparse 2>/dev/null &&
	dd if=$SRC/tail of=@/sparse bs=1024 seek=5120 conv=notrunc 2>/dev/null"
check "sparse file reads back" cmp "$SHADOW/sparse" "$T_MNT/sparse"
check_eq "sparse file size" $((5242880 + 7000)) "$(stat -c %s "$T_MNT/sparse")"
sectors=$(stat -c %b "$T_MNT/sparse")
check "sparse file allocates only its data ($sectors sectors)" \
	[ "$sectors" -le 64 ]

random "$SRC/patch" 5000
both "dd if=$SRC/patch of=@/s1048589 bs=1000 seek=300 conv=notrunc 2>/dev/null"
check "overwrite in the middle" cmp "$SHADOW/s1048589" "$T_MNT/s1048589"
both "dd if=$SRC/patch of=@/s4097 bs=1 seek=4000 count=200 conv=notrunc 2>/dev/null"
check "overwrite across a block boundary" cmp "$SHADOW/s4097" "$T_MNT/s4097"
both "dd if=$SRC/patch of=@/sparse bs=1000 seek=3000 conv=notrunc 2>/dev/null"
check "write into the hole" cmp "$SHADOW/sparse" "$T_MNT/sparse"

both "truncate -s 5000 @/s1048589 && truncate -s 300001 @/s1048589"
check "truncate down then up reads zeros" cmp "$SHADOW/s1048589" "$T_MNT/s1048589"
both "truncate -s 0 @/s4096 && truncate -s 8192 @/s4096"
check "truncate to 0 then up reads zeros" cmp "$SHADOW/s4096" "$T_MNT/s4096"
both "truncate -s 3000000 @/s3145733"
check "truncate down to mid-block" cmp "$SHADOW/s3145733" "$T_MNT/s3145733"

both "cat $SRC/patch >> @/s4095 && cat $SRC/patch >> @/s1 && cat $SRC/patch >> @/s0"
check "append" cmp "$SHADOW/s4095" "$T_MNT/s4095"
check "append to 1-byte file" cmp "$SHADOW/s1" "$T_MNT/s1"
check "append to empty file" cmp "$SHADOW/s0" "$T_MNT/s0"

both "cp $SRC/head @/s4097"
check "rewrite with shorter data (O_TRUNC)" cmp "$SHADOW/s4097" "$T_MNT/s4097"

# preallocated blocks read as zeros until written
check "fallocate 1 MiB" fallocate -l 1048576 "$T_MNT/prealloc"
dd if=/dev/zero of="$SHADOW/prealloc" bs=1048576 count=1 2>/dev/null
check "preallocated file reads zeros" cmp "$SHADOW/prealloc" "$T_MNT/prealloc"
both "dd if=$SRC/patch of=@/prealloc bs=1000 seek=10 conv=notrunc 2>/dev/null"
check "write into preallocated blocks" cmp "$SHADOW/prealloc" "$T_MNT/prealloc"

check_fails "truncate past the maximum file size" "File too large" \
	truncate -s 2199023255552 "$T_MNT/s1"

check "stats count WRITE requests" [ "$(op_count WRITE)" -gt 0 ]
check "stats count READ requests" [ "$(op_count READ)" -gt 0 ]
check_eq "stats count one INIT" 1 "$(op_count INIT)"
verify "all files identical before unmounting"

check "umount" umount "$T_MNT"
require "mount with a new daemon" fs_mount
verify "all files identical after restarting the daemon"
check_eq "new daemon counts its own INIT" 1 "$(op_count INIT)"

check "umount again" umount "$T_MNT"
require "mount a third time" fs_mount
verify "all files identical after a second restart"
check "final umount" umount "$T_MNT"
check "fusetd fsck finds the image clean" "$FUSETD" fsck "$T_DISK1"
t_done
