#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# famfs across hosts, the second host: mount the first host's files read
# only, over the same memory, and read them byte for byte with no
# data-path request; nothing this host tries can change them.
#
# SHARE_EXPECT=fresh: the memory is not the first host's (scripts/
# famfs-share.sh runs this to show that the checks can fail): every data
# check must then fail.
. /tests/share/lib.sh

fresh=${SHARE_EXPECT:-}
# expect DESC CMD...: CMD passes with the first host's memory, fails
# without it
expect() {
	_d=$1; shift
	if [ "$fresh" = fresh ]; then
		if "$@" 2>/dev/null; then fail "$_d passed on fresh memory"
		else pass "$_d fails on fresh memory"; fi
	else
		check "$_d" "$@"
	fi
}

famfs_begin
require "a pmem device in the shared memory" test -b /dev/pmem0
famfs_on
require "mount the first host's files read-only" famfs_mount --keep --ro
expect "doc reads as the first host wrote it" \
	fileverify check "$T_MNT/doc" 6291456 $SEED_DOC
expect "ilv reads the same through a shared mapping" \
	mmapverify check "$T_MNT/ilv" 8388608 $SEED_ILV
expect "and through O_DIRECT" \
	fileverify check -d "$T_MNT/ilv" 8388608 $SEED_ILV
expect "tail reads as written, to its last byte" \
	fileverify check "$T_MNT/tail" 3000000 $SEED_TAIL
check "no READ, WRITE or iomap request: the data is read from memory" \
	test "$(op_count READ)" = 0 -a "$(op_count WRITE)" = 0 \
	-a "$(op_count IOMAP_BEGIN)" = 0
check "one GET_FMAP per file, nothing else" test "$(op_count GET_FMAP)" = 3
check_fails "write(2) is refused" "Read-only file system" \
	fileverify write -o 0 "$T_MNT/doc" 4096 7
check_fails "a writable shared mapping is refused" "Read-only file system" \
	mmapverify write "$T_MNT/ilv" 4096 7
check_fails "truncate is refused" "Read-only file system" \
	truncate -s 0 "$T_MNT/tail"
umount "$T_MNT"
wait_gone fusetd
expect "doc's bytes on the device are untouched" \
	share_check doc 6291456 $SEED_DOC
expect "ilv's bytes on the device are untouched" \
	share_check ilv 8388608 $SEED_ILV
exit 0
