#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fusetd in classic mode: copy_file_range shares whole blocks (reflink)
# and copies partial ones, writes to shared blocks copy them first, and
# PUNCH_HOLE and ZERO_RANGE on shared blocks leave the other file alone;
# the data matches shadow copies on tmpfs, also after a restart, the
# blocks come back when the copies are deleted, and fusetd fsck finds the
# image consistent after every unmount.
. "$(dirname "$0")/lib.sh"

M=$T_MNT
SHADOW=$T_TMP/$T_NAME.shadow

cleanup() {
	cd /
	if mounted; then umount "$T_MNT" 2>/dev/null || umount -l "$T_MNT"; fi
	rm -rf "$SHADOW" "$STATS"
}
trap cleanup EXIT

# count NAME: a request or event count from the daemon's stats.
count() {
	"$FUSETD" stats "$STATS" |
		awk -v n="$1" '$1 == n { c = $2 } END { print c + 0 }'
}
free_blocks() { stat -f -c %f "$M"; }

# both CMD...: run CMD with @ standing for the shadow and the fs directory.
both() {
	for _dir in "$SHADOW" "$M"; do
		_cmd=$(echo "$*" | sed "s|@|$_dir|g")
		eval "$_cmd" >/dev/null || return 1
	done
}

# falloc MODE FILE OFF LEN: fallocate in the fs, its model in the shadow.
falloc() {
	fsop falloc "$1" "$M/$2" "$3" "$4" &&
		fsop model "$1" "$SHADOW/$2" "$3" "$4"
}

# same DESC FILE...: the files match their shadows.
same() {
	_d=$1; shift
	_ok=1
	for _f in "$@"; do
		cmp "$SHADOW/$_f" "$M/$_f" || _ok=0
	done
	check_eq "$_d" 1 "$_ok"
}

fsck_clean() {
	check "fusetd fsck finds the image clean $1" "$FUSETD" fsck "$T_DISK1"
}

# wait_free WANT: space comes back when the kernel forgets deleted inodes.
wait_free() {
	_n=0
	while [ "$(free_blocks)" != "$1" ] && [ $_n -lt 50 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	check_eq "$2" "$1" "$(free_blocks)"
}

[ -b "$T_DISK1" ] || size="-s 64M"
t_mkfs $size
require "mount" fs_mount
rm -rf "$SHADOW"
mkdir -p "$SHADOW"

size=$((4194304 + 1234))
: > "$M/src"	# the root directory gets its block
empty=$(free_blocks)
require "4 MiB + 1234 bytes of data" fileverify write "$M/src" $size 1
cp "$M/src" "$SHADOW/src"
free0=$(free_blocks)

check "copy_file_range of the whole file" both "fsop copy @/src 0 @/dst 0 $size"
same "the copy reads back" dst
check "the copy shares its blocks: no space used ($free0 -> $(free_blocks))" \
	[ "$(free_blocks)" = "$free0" ]
check "the daemon got COPY_FILE_RANGE" [ "$(count COPY_FILE_RANGE)" -gt 0 ]
check "and shared blocks ($(count shared_blocks))" \
	[ "$(count shared_blocks)" -ge 1025 ]
check_eq "and copied no data" 0 "$(count copied_bytes)"

dd if=/dev/urandom of="$T_TMP/$T_NAME.patch" bs=10000 count=1 2>/dev/null
check "overwrite part of the copy" \
	both "dd if=$T_TMP/$T_NAME.patch of=@/dst bs=10000 seek=100 conv=notrunc 2>/dev/null"
same "the copy has the new data, the source kept the old" src dst
check "the write copied the shared blocks first ($(count cow_write_blocks))" \
	[ "$(count cow_write_blocks)" -ge 3 ]
check "source still passes its pattern check" fileverify check "$M/src" $size 1

check "misaligned copy_file_range copies data" \
	both "fsop copy @/src 100 @/odd 7 50000"
same "the misaligned copy reads back" odd
check "data was copied ($(count copied_bytes) bytes)" \
	[ "$(count copied_bytes)" -ge 50000 ]
check "aligned copy into the middle of a file" \
	both "fsop copy @/src 8192 @/dst 409600 100001"
check "copy of the EOF block onto data" \
	both "fsop copy @/src 4194304 @/dst 8192 1234"
check "copy past EOF" both "fsop copy @/src 0 @/far 1048576 20000"
same "all copies read back" src dst odd far
check_fails "overlapping copy in one file" "Invalid argument" \
	fsop copy "$M/src" 0 "$M/src" 4096 8192

check "punch a hole in shared blocks" falloc punch,keep dst 5000 30000
check "zero a range of shared blocks" falloc zero dst 70000 50000
check "zero a range past EOF, keeping the size" \
	falloc zero,keep dst $((size - 100)) 20000
check "zero a range past EOF" falloc zero far 1060000 30000
check "punch a whole-block range" falloc punch,keep dst 2097152 262144
same "punched and zeroed files read back, the source unchanged" src dst far
check_fails "COLLAPSE_RANGE does not pass the classic kernel" \
	"Operation not supported" fsop falloc collapse "$M/dst" 4096 4096
check_fails "INSERT_RANGE does not pass the classic kernel" \
	"Operation not supported" fsop falloc insert "$M/dst" 4096 4096
check "preallocate past EOF, keeping the size" \
	falloc keep dst $((size + 8192)) 65536
check "truncate down and up" \
	both "truncate -s 3000000 @/dst && truncate -s 3500000 @/dst"
same "after preallocation and truncation" src dst

check "umount" umount "$M"
fsck_clean "after the first unmount"
require "mount with a new daemon" fs_mount
same "all files intact after restarting the daemon" src dst odd far
check "source passes its pattern check" fileverify check "$M/src" $size 1
check "delete the copies" rm "$M/dst" "$M/odd" "$M/far"
check "delete the source" rm "$M/src"
wait_free "$empty" "every block came back"
check "umount again" umount "$M"
fsck_clean "after deleting everything"
require "mount a third time" fs_mount
check_eq "free blocks unchanged by the restart" "$empty" "$(free_blocks)"
check "final umount" umount "$M"
fsck_clean "at the end"
t_done
