#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every kind of bad FUSE_IOMAP_BEGIN reply is refused: fusetd --inject
# breaks one rule in every reply for positions at or beyond 64 MiB; a
# direct read or write and a buffered write there must fail with the
# rule's errno (EUCLEAN, "Structure needs cleaning", for corrupt
# mappings), a buffered read with EIO, I/O below 64 MiB keeps working,
# nothing splats (the runner checks the kernel log), and no data is lost.
# The mounts have no mapping cache, so that every I/O asks for a mapping
# (62-iomap-cache checks the notifications, the cache's own input).
. /tests/vm/lib.sh

umount_on_exit
f=$T_MNT/f
far=67108864	# FT_INJECT_POS

t_mkfs
require "mount" "$FUSETD" mount --iomap --no-cache --stats "$STATS" "$T_DISK1" "$T_MNT"
require "data below the injection point" fileverify write -d -o 0 "$f" 65536 1
require "data beyond the injection point" fileverify write -d -o $far "$f" 4096 2
require "umount" umount "$T_MNT"

corrupt="Structure needs cleaning"
for rule in bad-type kernel-flag zero-length unaligned-offset \
	    unaligned-length beyond-maxbytes offset-overflow no-dev \
	    unknown-dev null-addr unaligned-addr beyond-device \
	    hole-with-dev pure-overwrite-read nocache retry-cache \
	    not-covering inline short-reply errno; do
	case $rule in
	short-reply|errno) want="Input/output error" ;;
	*) want=$corrupt ;;
	esac
	if ! "$FUSETD" mount --iomap --no-cache --inject $rule --stats "$STATS" \
		"$T_DISK1" "$T_MNT"; then
		fail "$rule: mount"
		continue
	fi
	check_fails "$rule: direct read is refused" "$want" \
		fileverify check -d -o $far "$f" 4096 2
	check_fails "$rule: direct write is refused" "$want" \
		fileverify write -d -o $far "$f" 4096 3
	# A failed read_folio leaves the folio !uptodate: EIO.
	check_fails "$rule: buffered read is refused" "Input/output error" \
		fileverify check -o $far "$f" 4096 2
	check_fails "$rule: buffered write is refused" "$want" \
		fileverify write -o $far "$f" 4096 3
	check "$rule: the filesystem keeps working" \
		fileverify check -d -o 0 "$f" 65536 1
	umount "$T_MNT" || fail "$rule: umount"
done

require "mount without injection" \
	"$FUSETD" mount --iomap --no-cache --stats "$STATS" "$T_DISK1" "$T_MNT"
check "no data lost: both ranges intact" \
	sh -c "fileverify check -d -o 0 $f 65536 1 && fileverify check -d -o $far $f 4096 2"
check "umount" umount "$T_MNT"
t_done
