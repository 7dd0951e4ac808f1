#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inline data end to end: fusetd --inline-max 4096 keeps files of up to a
# page in its metadata and answers FUSE_IOMAP_BEGIN with INLINE mappings
# and the data; the kernel hands written data back with FUSE_IOMAP_END.
# Buffered, direct (falling back to the page cache) and mmap I/O,
# sub-block and extending writes within and past the limit (the daemon
# moves the file to a block), truncate down (back inline) and up, a shared
# mmap write (moved to a block at the write fault), FIEMAP's inline flag,
# SEEK_DATA/HOLE and FIBMAP; concurrent writers and mmap readers against
# growing writes; every file checked against a shadow copy, after
# dropping the caches and after a daemon restart; no READ or WRITE.
# Then fsx over a file that starts inline, a server without
# FUSE_IOMAP_END, a server that refuses the data, and injected bad inline
# replies: the application gets the error, the file is unchanged, nothing
# splats and the mount keeps working.
#
# INLINE_NOPAYLOAD=1 (test 61): the same without the payload extension, as
# the posted series has it: INLINE replies carry no data, the kernel reads
# it with FUSE_READ and hands it back with FUSE_WRITE (no file handle).
. /tests/vm/lib.sh

NOPAYLOAD=${INLINE_NOPAYLOAD:-}

umount_on_exit
drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }
inline_mount() {
	"$FUSETD" mount --iomap --inline-max 4096 --stats "$STATS" \
		${NOPAYLOAD:+--inline-nopayload} "$@" "$T_DISK1" "$T_MNT"
}
# data_path: how the inline data moved; "none" for a file on blocks
data_path() {
	if [ -n "$NOPAYLOAD" ]; then
		check "$1: inline data came with FUSE_READ" \
			test "$(op_count READ)" -gt 0
		check "$1: and went back with FUSE_WRITE, not IOMAP_END" \
			test "$(op_count WRITE)" -gt 0 -a "$(ev inline_end)" = 0
	else
		check_eq "$1: no READ or WRITE" 0 \
			"$(( $(op_count READ) + $(op_count WRITE) ))"
	fi
}
S=$T_TMP/inline-shadow
rm -rf "$S"
mkdir -p "$S"

# w NAME OFF LEN SEED [FILEVERIFY-OPTS]: write a pattern to the file and to
# its shadow copy; t NAME SIZE: truncate both; same NAME: compare them.
w() {
	_n=$1 _o=$2 _l=$3 _s=$4
	shift 4
	fileverify write "$@" -o "$_o" "$T_MNT/$_n" "$_l" "$_s" &&
		fileverify write -o "$_o" "$S/$_n" "$_l" "$_s"
}
t() { truncate -s "$2" "$T_MNT/$1" && truncate -s "$2" "$S/$1"; }
same() { cmp "$T_MNT/$1" "$S/$1"; }
layout() { extmap fiemap "$T_MNT/$1" | tr '\n' ';'; }
is_inline() { [ "$(layout "$1")" = "extent 0 4096 inline;" ]; }
not_inline() { case $(layout "$1") in *inline*) return 1 ;; esac; }
ev() { op_count "$1"; }
klog() { dmesg | grep -q "$1"; }

t_mkfs
require "mount with --iomap --inline-max 4096" inline_mount

# A small file lives inline.
check "buffered write of 3000 bytes into a new file" w f 0 3000 1
check "reads back from the page cache" same f
check_eq "FIEMAP: one inline extent" "extent 0 4096 inline;" "$(layout f)"
check_eq "SEEK_DATA/HOLE: data up to EOF" "data 0 3000" \
	"$(extmap seek "$T_MNT/f")"
check_eq "FIBMAP of inline data: no block" 0 "$(extmap bmap "$T_MNT/f" 0)"
drop_caches
check "reads back after dropping the caches" same f
check "direct read of inline data" fileverify check -d -o 0 "$T_MNT/f" 3000 1
check_eq "the daemon answered INLINE" 1 "$(( $(ev inline_begin) > 0 ))"
if [ -n "$NOPAYLOAD" ]; then
	check "and got the data back with FUSE_WRITE" test "$(op_count WRITE)" -gt 0
else
	check_eq "and got the data back in IOMAP_END" 1 "$(( $(ev inline_end) > 0 ))"
fi

# Sub-block writes, direct ones too (through the page cache), and mmap.
check "sub-block write" w f 100 10 2
check "sub-block write extending the file" w f 2999 50 3
check "O_DIRECT sub-block write into inline data" w f 512 1024 4 -d
check "O_DIRECT read after it" fileverify check -d -o 512 "$T_MNT/f" 1024 4
check "same data" same f
drop_caches
check "mmap read after dropping the caches" \
	fileverify check -m -o 100 "$T_MNT/f" 10 2
check "same data after dropping the caches" same f
check "extending write to exactly a page" w f 3049 1047 5
check_eq "size of a page" 4096 "$(stat -c %s "$T_MNT/f")"
check "still inline" is_inline f

# Past the limit the daemon moves the data to a block, and back when the
# file is truncated to a size that fits.
out=$(ev inline_move_out)
check "extending write past the limit" w f 4096 100 6
check "no longer inline" not_inline f
check_eq "the daemon moved it to a block" $((out + 1)) "$(ev inline_move_out)"
check "same data" same f
in=$(ev inline_move_in)
check "truncate down to 2000" t f 2000
check "inline again" is_inline f
check_eq "the daemon moved it back inline" $((in + 1)) "$(ev inline_move_in)"
check "same data after truncate down" same f
check "truncate up within the limit" t f 3500
check "still inline" is_inline f
check "the tail reads zeros" same f
check "truncate up past the limit" t f 10000
check "not inline" not_inline f
check "same data after truncate up" same f
check "truncate down to 1000" t f 1000
check "O_DIRECT aligned write into inline data" w f 0 512 7 -d
drop_caches
check "same data from the daemon" same f

# A shared mmap write faults for writing: the daemon moves the file out.
check "small file g" w g 0 1000 8
check "g is inline" is_inline g
out=$(ev inline_move_out)
check "shared mmap write into inline data" w g 100 50 9 -m
check_eq "the write fault moved it to a block" $((out + 1)) \
	"$(ev inline_move_out)"
check "g not inline" not_inline g
check "same data" same g
drop_caches
check "same data from disk" same g

# Writers are serialised: none loses another's bytes.
check "file c" w c 0 4000 10
for round in 1 2 3; do
	pids=
	for i in 0 1 2 3 4 5 6 7; do
		fileverify write -o $((i * 500)) "$T_MNT/c" 500 \
			$((round * 10 + i)) &
		pids="$pids $!"
	done
	ok=1
	for p in $pids; do wait "$p" || ok=0; done
	for i in 0 1 2 3 4 5 6 7; do
		fileverify write -o $((i * 500)) "$S/c" 500 $((round * 10 + i))
	done
	check_eq "round $round: 8 concurrent writers succeed" 1 "$ok"
	check "round $round: every writer's bytes are there" same c
done
check "c is inline" is_inline c

# mmap readers fill the page cache while a writer grows the file past the
# limit: the fills of the EOF folio must never see a stale INLINE mapping.
check "file r" w r 0 100 30
rm -f "$T_TMP/stop" "$T_TMP/bad"
(
	while [ ! -e "$T_TMP/stop" ]; do
		echo 1 > /proc/sys/vm/drop_caches
		fileverify check -m -o 0 "$T_MNT/r" 100 30 || : > "$T_TMP/bad"
	done
) &
reader=$!
ok=1
i=1
while [ $i -le 60 ]; do
	w r $((i * 100)) 100 $((30 + i)) || ok=0
	i=$((i + 1))
done
: > "$T_TMP/stop"
wait "$reader"
check_eq "60 appends across the limit under mmap readers" 1 "$ok"
check "the readers saw the right bytes" test ! -e "$T_TMP/bad"
check "same data" same r
check "r not inline" not_inline r

check "a block file b" w b 0 100000 50
check "a block file n of 8292 bytes" w n 0 8292 51
data_path "all of it"
"$FUSETD" stats "$STATS" | grep -E '^(inline|IOMAP)' | sed 's/^/# /'

check "umount" umount "$T_MNT"
check "fsck of the image" "$FUSETD" fsck "$T_DISK1"
require "remount with a new daemon" inline_mount
for n in f g c r b n; do
	check "$n: data after the restart" same $n
done
check "f is inline after the restart" is_inline f

# fsx over a file that starts inline: every operation class, the file
# moving to a block and back as it grows and shrinks around the limit.
"$FUSETD" stats --reset "$STATS" >/dev/null
if fsx -q --strict --save "$T_TMP/x.shadow" -N 1500 -S 11 -l 12k -o 4k \
	-a 512 "$T_MNT/x" > "$T_TMP/x.log" 2>&1; then
	pass "fsx over an inline file: $(tail -1 "$T_TMP/x.log")"
else
	fail "fsx over an inline file"
	tail -80 "$T_TMP/x.log"
fi
for c in read write mread mwrite pmwrite dread dwrite trunc falloc punch \
	 zero collapse insert clone sclone fsync copy dedupe unshare; do
	grep -q "[( ]$c 0[ )]" "$T_TMP/x.log" && fail "fsx: no $c operation ran"
done
ends=inline_end
[ -n "$NOPAYLOAD" ] && ends=	# the data goes back with WRITE
for e in inline_begin $ends inline_move_out inline_move_in; do
	check "fsx: the daemon counted $e ($(ev $e))" test "$(ev $e)" -gt 0
done
data_path "fsx"
check "umount" umount "$T_MNT"
check "fsck after fsx" "$FUSETD" fsck "$T_DISK1"

# A server without FUSE_IOMAP_END cannot take inline writes back with the
# payload extension; without it, END plays no part.
require "mount with --no-end" inline_mount --no-end
check "f is inline" is_inline f
if [ -n "$NOPAYLOAD" ]; then
	check "write into inline data works without END" w f 10 10 40
	check "the file has it" same f
else
	check_fails "write into inline data fails (END answered ENOSYS)" \
		"Operation not supported" fileverify write -o 10 "$T_MNT/f" 10 40
	check_fails "and fails at once the next time" \
		"Operation not supported" fileverify write -o 10 "$T_MNT/f" 10 41
	check "the file is unchanged" same f
	check "the kernel said why" klog "the server has no FUSE_IOMAP_END"
fi
drop_caches
check "reads of inline data still work" same f
check "block files are written as before" w b 5000 100 52
check "umount" umount "$T_MNT"

# A server that refuses the data: the write fails and is undone.
require "mount with --inject inline-end-error" \
	inline_mount --no-cache --inject inline-end-error
check_fails "overwrite of inline data fails with the server's error" \
	"No space left on device" fileverify write -o 10 "$T_MNT/f" 10 42
check_fails "extending write fails too" \
	"No space left on device" fileverify write -o 900 "$T_MNT/f" 300 43
check_eq "the size is back" 1000 "$(stat -c %s "$T_MNT/f")"
check "the file is unchanged (cached)" same f
drop_caches
check "the file is unchanged (from the daemon)" same f
check "the kernel said why" klog "write undone: the server refused the data"
check "umount" umount "$T_MNT"

# Bad inline replies: refused, nothing splats, the mount keeps working.
corrupt="Structure needs cleaning"
# Injected bad begin replies need requests to break: no mapping cache.
# (No data comes with a payload-less reply: nothing to be short.)
if [ -z "$NOPAYLOAD" ]; then
	require "mount with --inject inline-short" inline_mount --no-cache --inject inline-short
	check_fails "inline-short: buffered read fails" "Input/output error" \
		fileverify check -o 0 "$T_MNT/f" 1000 1
	check_fails "inline-short: direct read fails" "$corrupt" \
		fileverify check -d -o 0 "$T_MNT/f" 512 7
	check_fails "inline-short: write fails" "$corrupt" \
		fileverify write -o 10 "$T_MNT/f" 10 44
	check "inline-short: block files keep working" same b
	check "inline-short: the kernel named the rule" \
		klog "inline data shorter than the file"
	check "umount" umount "$T_MNT"
fi

require "mount with --inject inline-not-eof" inline_mount --no-cache --inject inline-not-eof
check_fails "inline-not-eof: direct read near EOF fails" "$corrupt" \
	fileverify check -d -o 4608 "$T_MNT/n" 3684 51
check "inline-not-eof: buffered read works" same n
check "inline-not-eof: the kernel named the rule" \
	klog "inline mapping does not reach EOF"
check "umount" umount "$T_MNT"

require "mount with --inject inline-write-fault" \
	inline_mount --no-cache --inject inline-write-fault
check_fails "inline-write-fault: the mmap writer gets SIGBUS" "SIGBUS" \
	fileverify write -m -o 10 "$T_MNT/f" 10 45
check "inline-write-fault: other files keep working" same g
check "inline-write-fault: the kernel named the rule" \
	klog "inline mapping for a write fault"
check "umount" umount "$T_MNT"

require "mount without injection" inline_mount
for n in f g c r b n; do
	check "$n: intact after the failures" same $n
done
check "fsx file: data after the restarts" \
	fsx --check "$T_TMP/x.shadow" "$T_MNT/x"
check "umount" umount "$T_MNT"
check "final fsck" "$FUSETD" fsck "$T_DISK1"
t_done
