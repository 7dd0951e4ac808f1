#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# famfs across hosts: the dev kernel boots on one guest memory file three
# times.  The first host writes famfs files into the emulated pmem of that
# memory; the second mounts them read-only and reads them byte for byte
# (tests/share).  The third boot reads with fresh memory and must find
# none of the data: the checks of the second can fail.
#
# Prints the TAP lines of the three boots and "N passed, N failed".
. "$(dirname "$0")/lib.sh"

famfs=${VM_FUSE_PARAMS-enable_iomap=1}" enable_famfs=1"
mem=$BUILD/vm/famfs-share.ram
fresh=$BUILD/vm/famfs-fresh.ram
rm -f "$mem" "$fresh"
pass=0 fail=0 rc=0

boot() { # LOG TESTS RAM [ENV]
	local log=$1
	"$TOP/scripts/vm.sh" --tests "$2" --share-ram "$3" --fuse "$famfs" \
		--timeout 900 ${4:+--env "$4"} >"$log" 2>&1 || rc=1
	grep -E '^(not )?ok ' "$log"
	set -- $(tail -1 "$log" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
	if [ $# = 2 ]; then
		pass=$((pass + $1)) fail=$((fail + $2))
	else
		echo "not ok - famfs-share: $log has no verdict"
		fail=$((fail + 1))
	fi
}

mkdir -p "$BUILD/vm/share"
boot "$BUILD/vm/share/write.log" share/famfs-write "$mem"
boot "$BUILD/vm/share/read.log" share/famfs-read "$mem"
boot "$BUILD/vm/share/fresh.log" share/famfs-read "$fresh" SHARE_EXPECT=fresh
rm -f "$mem" "$fresh"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$rc" = 0 ]
