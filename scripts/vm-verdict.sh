#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Judge a guest console log: print the TAP block with our own verdicts added
# (guest finished, no kernel splat), then "N passed, N failed".
. "$(dirname "$0")/lib.sh"

logf=$1
tap=$(sed -n '/^# ---- TAP begin/,/^# ---- TAP end/p' "$logf" | tr -d '\r')
extra=()
if [ -z "$tap" ]; then
	extra+=("not ok - vm: the guest did not finish (crash or timeout); see $logf")
	tail -30 "$logf" >&2
fi

splats='Oops|BUG:|WARNING:|Kernel panic|general protection fault|'
splats+='possible circular locking|possible recursive locking|'
splats+='inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|'
splats+='unreferenced object|kmemleak:.*suspected|KASAN|UBSAN|'
splats+='blocked for more than|soft lockup|hard LOCKUP|list_add corruption|'
splats+='list_del corruption|Call Trace:'
n=0
while IFS= read -r line; do
	extra+=("not ok - vm: kernel splat: $line")
	n=$((n + 1))
	[ $n -ge 5 ] && break
done < <(grep -aE "$splats" "$logf" | grep -av 'lockdep: fixing up\|Lock dependency validator\|kmemleak: Kernel memory leak detector initialized\|kmemleak: Automatic' | tr -d '\r')
[ $n = 0 ] && extra+=("ok - vm: no kernel splat in the guest log")

printf '%s\n' "$tap" | grep -E '^(not )?ok |^# ' | grep -v '^# ---- TAP'
printf '%s\n' "${extra[@]}"

pass=$(printf '%s\n' "$tap" "${extra[@]}" | grep -c '^ok ' || true)
fail=$(printf '%s\n' "$tap" "${extra[@]}" | grep -c '^not ok ' || true)
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
