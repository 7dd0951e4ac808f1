#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# famfs across hosts, the first host: lay the files out, write new data
# through famfs (write(2) and a shared mapping), and leave it in the
# shared memory for the second host (famfs-read.sh).
. /tests/share/lib.sh

famfs_begin
require "a pmem device in the shared memory" test -b /dev/pmem0
famfs_on
require "mount fusetd famfs" famfs_mount
check "write(2) new data into a simple file" \
	fileverify write -o 0 "$T_MNT/doc" 6291456 $SEED_DOC
check "a shared mapping writes an interleaved file" \
	mmapverify write "$T_MNT/ilv" 8388608 $SEED_ILV
check "write(2) a file that ends inside a page" \
	fileverify write -o 0 "$T_MNT/tail" 3000000 $SEED_TAIL
check "the data path sent no READ or WRITE" \
	test "$(op_count READ)" = 0 -a "$(op_count WRITE)" = 0
umount "$T_MNT"
wait_gone fusetd
check "doc's bytes are on the device" share_check doc 6291456 $SEED_DOC
check "ilv's bytes are on the device" share_check ilv 8388608 $SEED_ILV
check "tail's bytes are on the device" share_check tail 3000000 $SEED_TAIL
exit 0
