#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The testers are tested: a checker that cannot fail proves nothing.
# fusetd --fault makes the daemon lie on purpose, and the checkers the VM
# suite relies on must catch each lie:
#   drop-clone  clones and copies answered as done but not done: fsx
#               (clone, sclone and copy classes) reads a wrong destination;
#   skip-ioend  IOMAP_IOEND answered but ignored (no unwritten conversion,
#               no copy-on-write remap, no size): fsx's O_DIRECT reads see
#               zeros or old data;
#   stale-map   mappings from before a remap or conversion served again:
#               fsx reads stale data;
#   drop-unshare  FALLOC_FL_UNSHARE_RANGE answered as done but blocks left
#               shared: no data changes, so only a sharing check (FIEMAP,
#               as test 52 makes) can see it, and it does.
# Each fault must also have fired (the daemon counts it), so a pass of
# the checker cannot come from a fault that never happened.
. /tests/vm/lib.sh

umount_on_exit

fault_mount() {
	"$FUSETD" mount --iomap --fault "$1" --stats "$STATS" "$T_DISK1" "$T_MNT"
}
fired() { op_count "fault-$1"; }

t_mkfs -s 448M

# A server that skips ioends also loses the sizes it should record, and
# refuses clones against them (EINVAL): leave clones out, for the data.
for fault in drop-clone skip-ioend:--no-clone:--no-dedupe stale-map; do
	opts=$(echo "${fault#*:}" | tr : ' ')
	[ "$opts" = "$fault" ] && opts=
	fault=${fault%%:*}
	require "mount with --fault $fault" fault_mount "$fault"
	log=$T_TMP/$T_NAME.$fault.log
	# shellcheck disable=SC2086
	fsx -q -N "${FSX_FAULT_OPS:-3000}" -S 7 -l 1m -o 128k $opts \
		"$T_MNT/f-$fault" > "$log" 2>&1
	rc=$?
	check_eq "fsx fails under --fault $fault" 1 "$rc"
	check "with a miscompare" grep -q '^fsx: MISCOMPARE' "$log"
	grep -m1 -A3 '^fsx: ' "$log" | sed 's/^/# /'
	check "the fault fired ($(fired "$fault") times)" \
		test "$(fired "$fault")" -gt 0
	check "umount" umount "$T_MNT"
done

# drop-unshare: the data is right, the sharing is not.
require "mount with --fault drop-unshare" fault_mount drop-unshare
fileverify write "$T_MNT/a" 262144 1
fsop clone "$T_MNT/a" 0 "$T_MNT/b" 0 262144
check "an unshare is answered as done" \
	fsop falloc unshare,keep "$T_MNT/b" 0 262144
check "the data checker cannot tell" fileverify check "$T_MNT/b" 262144 1
check "FIEMAP still shows shared blocks, as 52 would catch" \
	sh -c "extmap fiemap $T_MNT/b | grep -q shared"
check "the fault fired ($(fired drop-unshare) times)" \
	test "$(fired drop-unshare)" -gt 0
check "umount" umount "$T_MNT"
t_done
