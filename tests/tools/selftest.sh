#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Self-test of the test tools: good data passes, and every kind of damage
# is caught (a checker that cannot fail proves nothing).
T_BIN=${T_BIN:-$(dirname "$0")}
fv=$T_BIN/fileverify
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
pass=0 fail=0
ok() { if "$@"; then pass=$((pass + 1)); echo "ok - $desc"; else fail=$((fail + 1)); echo "not ok - $desc"; fi; }
no() { if "$@" 2>/dev/null; then fail=$((fail + 1)); echo "not ok - $desc"; else pass=$((pass + 1)); echo "ok - $desc"; fi; }

desc="write + check 3 MiB+5"; ok sh -c "$fv write $d/f 3145733 7 && $fv check $d/f 3145733 7"
desc="a different seed is caught"; no $fv check "$d/f" 3145733 8
desc="a wrong size is caught"; no $fv check "$d/f" 3145732 7
printf 'X' | dd of="$d/f" bs=1 seek=2000000 conv=notrunc 2>/dev/null
desc="one flipped byte is caught"; no $fv check "$d/f" 3145733 7
desc="ranged write + check"; ok sh -c "$fv write -o 8192 $d/g 4096 3 && $fv check -o 8192 $d/g 4096 3"
desc="ranged check of zeros fails"; no $fv check -o 0 "$d/g" 4096 3
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
