#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Self-test of the test tools: good data passes, and every kind of damage
# is caught (a checker that cannot fail proves nothing).  Also fusetd's
# storage self-test, whose fsck must catch damage too.
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
desc="mmap write + check"; ok sh -c "$fv write -m -o 100 $d/m 9000 5 && $fv check -o 100 $d/m 9000 5 && $fv check -m -o 100 $d/m 9000 5"
desc="mmap check of another seed fails"; no $fv check -m -o 100 "$d/m" 9000 6
desc="mmap check past EOF fails with SIGBUS"; ok sh -c "! $fv check -m -o 16384 $d/m 10 5 2>$d/bus && grep -q SIGBUS $d/bus"

# fsx: random operations checked against a shadow copy.  It would switch
# off what fails with EOPNOTSUPP by itself, but then we could not tell
# which classes must have run, so switch off what $d's file system lacks.
fsx=$T_BIN/fsx
all="read write mread mwrite pmwrite dread dwrite trunc falloc punch zero collapse insert clone sclone fsync fdsync"
fs=$(stat -f -c %T "$d")
case $fs in
xfs)	off= want=$all ;;
btrfs)	off="--no-collapse --no-insert"
	want="read write mread mwrite pmwrite dread dwrite trunc falloc punch zero clone sclone fsync fdsync" ;;
ext2/ext3) # and ext4
	off=--no-clone
	want="read write mread mwrite pmwrite dread dwrite trunc falloc punch zero collapse insert fsync fdsync" ;;
tmpfs)	off="-D --no-zero --no-collapse --no-insert --no-clone"
	want="read write mread mwrite pmwrite trunc falloc punch fsync fdsync" ;;
*)	off="-D -F --no-clone" want="read write mread mwrite pmwrite trunc fsync fdsync" ;;
esac
# ran OUT CLASS...: fsx passed and each class ran at least once
ran() {
	out=$1; shift
	line=$(grep '^fsx: .* ops, 0 miscompares' "$out") || { cat "$out"; return 1; }
	echo "# $line"
	for c; do
		case $line in *" $c "[1-9]*) ;; *) echo "# $c never ran"; return 1 ;; esac
	done
}
fsx_run() { $fsx -q -N 3000 -S 7 $off --save "$d/shadow" "$d/fsx" >"$d/fsx.out" 2>&1 && ran "$d/fsx.out" $want; }
fsx_same() { $fsx -q -N 3000 -S 7 $off "$d/fsx2" >/dev/null && cmp "$d/fsx" "$d/fsx2"; }
fsx_inject() {
	$fsx -q -N 1000 -S 7 $off --inject-corruption 400 "$d/fsx3" >"$d/inj.out" 2>&1
	[ $? = 1 ] && grep -q '^fsx: MISCOMPARE' "$d/inj.out"
}
# Classes that did not run must have been reported as unsupported.
fsx_unsupp() {
	$fsx -q -N 500 -S 3 "$d/fsx4" >"$d/all.out" 2>&1 || { cat "$d/all.out"; return 1; }
	for c in $all; do
		grep -q "^fsx: .* $c [1-9]" "$d/all.out" ||
			grep -q "^fsx: $c not supported" "$d/all.out" ||
			{ [ "${c#d}" != "$c" ] && grep -q "O_DIRECT not supported" "$d/all.out"; } ||
			{ echo "# $c neither ran nor was reported"; return 1; }
	done
	grep 'not supported' "$d/all.out" | sed 's/^/# /'
}
fsx_strict() { $fsx -q -N 500 -S 3 --strict "$d/fsx4" >/dev/null 2>&1; [ $? = 1 ]; }
# --fixed-size: the file's bytes are the first shadow; a file that grows
# when written past EOF (any file here) is caught at the first such write.
fsx_fixed() {
	head -c 1000003 /dev/urandom > "$d/fixed"
	$fsx -q --fixed-size --no-write -N 2000 -S 4 $off "$d/fixed" >"$d/fixed.out" 2>&1 &&
		ran "$d/fixed.out" read mread mwrite pmwrite fsync
}
fsx_fixed_inject() {
	$fsx -q --fixed-size --no-write -N 1000 -S 4 $off --inject-corruption 300 "$d/fixed" >"$d/finj.out" 2>&1
	[ $? = 1 ] && grep -q '^fsx: MISCOMPARE' "$d/finj.out"
}
fsx_fixed_grows() {
	$fsx -q --fixed-size -N 3000 -S 4 $off "$d/fixed" >"$d/fgrow.out" 2>&1
	[ $? = 1 ] && grep -q -e 'across EOF' -e 'expected ENOSPC' "$d/fgrow.out"
}
flip() { # FILE OFFSET: change the byte at OFFSET
	b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
	c=X; [ "$b" = 88 ] && c=Y
	printf '%s' $c | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

desc="fsx: 3000 ops on $fs pass, and ran: $want"; ok fsx_run
desc="fsx: the same seed writes the same file"; ok fsx_same
desc="fsx --check: the file matches the --save shadow"; ok sh -c "[ -s $d/fsx ] && $fsx -q --check $d/shadow $d/fsx"
cp "$d/shadow" "$d/long"; head -c 1 /dev/zero >>"$d/long"
desc="fsx --check: one byte too many is caught"; no $fsx -q --check "$d/shadow" "$d/long"
flip "$d/fsx" $(($(stat -c %s "$d/fsx") / 2))
desc="fsx --check: one flipped byte is caught"; no $fsx -q --check "$d/shadow" "$d/fsx"
desc="fsx: a byte flipped behind its back is a miscompare"; ok fsx_inject
if [ "${off#-D}" = "$off" ] &&
   dd if=/dev/zero of="$d/probe" bs=512 count=1 oflag=direct 2>/dev/null; then
	desc="fsx: sub-block (512) direct I/O"
	ok sh -c "$fsx -q -N 2000 -S 5 -a 512 -l 256k $off $d/fsx5 >$d/512.out 2>&1 && grep -q ' dwrite [1-9]' $d/512.out"
fi
desc="fsx --fixed-size: starts from the file's bytes, within its size"; ok fsx_fixed
desc="fsx --fixed-size: a byte flipped behind its back is a miscompare"; ok fsx_fixed_inject
desc="fsx --fixed-size: a write past EOF that is not cut short is caught"; ok fsx_fixed_grows
desc="fsx: unsupported operations are reported and switched off"; ok fsx_unsupp
if grep -q 'not supported' "$d/all.out"; then
	desc="fsx --strict: an unsupported operation is a failure"; ok fsx_strict
fi

desc="fusetd storage self-test (fsck after every step)"
ok sh -c "$T_BIN/fusetd selftest $d >$d/fusetd-selftest.log 2>&1 || { cat $d/fusetd-selftest.log; false; }"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
