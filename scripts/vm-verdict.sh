#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Judge a guest console log: print the TAP block with our own verdicts added
# (guest finished, no kernel splat) and the host's checks (TAP lines in an
# optional second file), then "N passed, N failed".
#
# A guest that crashed or hung prints no TAP block.  Its tests' results
# were streamed to the console as they ran, so they are taken from there,
# with the name of the test that was running.  The first splat is quoted
# ("#   " lines) so that a CI log shows what the kernel said.
. "$(dirname "$0")/lib.sh"

logf=$1
hostchecks=${2:-}
clean=$(tr -d '\r' < "$logf")
tap=$(printf '%s\n' "$clean" | sed -n '/^# ---- TAP begin/,/^# ---- TAP end/p')
extra=()
if [ -z "$tap" ]; then
	tap=$(printf '%s\n' "$clean" | grep -E '^(not )?ok ' || true)
	last=$(printf '%s\n' "$clean" | sed -n 's/^# --- //p' | tail -1)
	extra+=("not ok - vm: the guest did not finish${last:+ (running $last)}; see $logf")
fi

splats='Oops|BUG:|WARNING:|Kernel panic|general protection fault|'
splats+='possible circular locking|possible recursive locking|'
splats+='inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|'
splats+='unreferenced object|kmemleak:.*suspected|KASAN|UBSAN|'
splats+='blocked for more than|soft lockup|hard LOCKUP|list_add corruption|'
splats+='list_del corruption|Call Trace:'
benign='lockdep: fixing up|Lock dependency validator|'
benign+='kmemleak: Kernel memory leak detector initialized|kmemleak: Automatic'
hits=$(printf '%s\n' "$clean" | grep -anE "$splats" | grep -avE "$benign" || true)
n=0
while IFS= read -r line; do
	[ -n "$line" ] || continue
	extra+=("not ok - vm: kernel splat: ${line#*:}")
	n=$((n + 1))
	[ $n -ge 5 ] && break
done <<< "$hits"
[ $n = 0 ] && extra+=("ok - vm: no kernel splat in the guest log")
if [ -n "$hostchecks" ] && [ -s "$hostchecks" ]; then
	while IFS= read -r line; do extra+=("$line"); done < "$hostchecks"
fi

printf '%s\n' "$tap" | grep -E '^(not )?ok |^# ' | grep -v '^# ---- TAP' || true
printf '%s\n' "${extra[@]}"
if [ $n != 0 ]; then
	# The first splat, from the test marker before it, 60 lines at most.
	first=${hits%%:*}
	printf '%s\n' "$clean" | head -n "$first" | grep -n '^# --- ' |
		tail -1 | sed 's/^[0-9]*:# --- /#   in test: /' || true
	printf '%s\n' "$clean" | sed -n "$((first > 5 ? first - 5 : 1)),$((first + 55))p" |
		sed 's/^/#   /'
fi

pass=$(printf '%s\n' "$tap" "${extra[@]}" | grep -c '^ok ' || true)
fail=$(printf '%s\n' "$tap" "${extra[@]}" | grep -c '^not ok ' || true)
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
