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

# membench (tests/bench/famfs.sh): each mode prints one line of figures
# above zero, and after the first touch every page of the 4 MiB is
# mapped, by 2 MiB PMDs or 4 KiB PTEs (or "-": no PAGEMAP_SCAN here).
mb=$T_BIN/membench
mb_run() {
	"$mb" "$d/mb" 4M 0.2 "$1" > "$d/mb.out" || return 1
	echo "# $1: $(cat "$d/mb.out")"
	awk '{ n++ }
	     !/^MB\/s=[0-9.]+ ops\/s=[0-9]+ fault_ms=[0-9.]+ pmd=[0-9-]+ pte=[0-9-]+$/ { bad = 1 }
	     { split($0, f, /[= ]/) }
	     f[2] <= 0 || f[4] <= 0 { bad = 1 }
	     f[8] != "-" && f[8] * 512 + f[10] != 1024 { bad = 1 }
	     END { exit bad || n != 1 }' "$d/mb.out"
}
truncate -s 4M "$d/mb"
for m in seqread randread4k seqwrite randwrite4k; do
	desc="membench $m: one line of figures, every page mapped"; ok mb_run $m
done
desc="membench: the writes land in the file"; no cmp -s -n 4194304 "$d/mb" /dev/zero
desc="membench: a file shorter than SIZE is an error (exit 1)"
ok sh -c "$mb $d/mb 8M 0.2 seqread 2>/dev/null; [ \$? = 1 ]"
for a in "4M 0.2 readseq" "4M 0 seqread" "4M x seqread" "4097 0.2 seqread" "4Q 0.2 seqread"; do
	desc="membench: bad arguments ($a) exit 2"
	ok sh -c "$mb $d/mb $a 2>/dev/null; [ \$? = 2 ]"
done

# fsx: random operations checked against a shadow copy.  It would switch
# off what fails with EOPNOTSUPP by itself, but then we could not tell
# which classes must have run, so switch off what $d's file system lacks.
# copy_file_range works everywhere; dedupe needs ->remap_file_range (xfs,
# btrfs) and unshare FALLOC_FL_UNSHARE_RANGE (xfs).
fsx=$T_BIN/fsx
all="read write mread mwrite pmwrite dread dwrite trunc falloc punch zero collapse insert clone sclone fsync fdsync copy dedupe unshare"
fs=$(stat -f -c %T "$d")
case $fs in
xfs)	off= want=$all ;;
btrfs)	off="--no-collapse --no-insert --no-unshare"
	want="read write mread mwrite pmwrite dread dwrite trunc falloc punch zero clone sclone fsync fdsync copy dedupe" ;;
ext2/ext3) # and ext4
	off="--no-clone --no-dedupe --no-unshare"
	want="read write mread mwrite pmwrite dread dwrite trunc falloc punch zero collapse insert fsync fdsync copy" ;;
tmpfs)	off="-D --no-zero --no-collapse --no-insert --no-clone --no-dedupe --no-unshare"
	want="read write mread mwrite pmwrite trunc falloc punch fsync fdsync copy" ;;
*)	off="-D -F --no-clone --no-dedupe"
	want="read write mread mwrite pmwrite trunc fsync fdsync copy" ;;
esac
# tmpfs leaves junk written past EOF through a mapping in the page cache
# when a write past EOF leaves a hole (the case of fstests' fsx -e).
pollute=--pollute-eof
[ "$fs" = tmpfs ] && pollute=
has() { case " $want " in *" $1 "*) ;; *) false ;; esac; }
skip() { echo "ok - $desc # SKIP $*"; }
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
		ran "$d/fixed.out" read mread mwrite pmwrite fsync copy
}
fsx_fixed_inject() {
	$fsx -q --fixed-size --no-write -N 1000 -S 4 $off --inject-corruption 300 "$d/fixed" >"$d/finj.out" 2>&1
	[ $? = 1 ] && grep -q '^fsx: MISCOMPARE' "$d/finj.out"
}
fsx_fixed_grows() {
	$fsx -q --fixed-size -N 3000 -S 4 $off "$d/fixed" >"$d/fgrow.out" 2>&1
	[ $? = 1 ] && grep -q -e 'across EOF' -e 'expected ENOSPC' "$d/fgrow.out"
}
# fstests' modes (-c, -f, -e), recorded for the replay below
fsx_modes() {
	$fsx -q -N 3000 -S 8 $off --reopen 40 --flush-inval $pollute \
		--record-ops "$d/modes.ops" --save "$d/modes.shadow" \
		"$d/modes" >"$d/modes.out" 2>&1 && ran "$d/modes.out" $want
}
# -y, -X: fsync and a whole-file verify after every operation
fsx_each() {
	$fsx -q -N 600 -S 9 $off --sync-each --verify-each $pollute \
		"$d/each" >"$d/each.out" 2>&1 && ran "$d/each.out" read write &&
		[ "$(sed -n 's/.* skip \([0-9]*\) verify \([0-9]*\))$/\1 + \2/p' \
			"$d/each.out" | xargs expr)" -gt 600 ]
}
# The recorded operations make the same file again, checked as they go.
fsx_replay() {
	[ "$(grep -c . "$d/modes.ops")" -gt 2900 ] &&
		$fsx -q --replay-ops "$d/modes.ops" "$d/replay" >"$d/replay.out" 2>&1 &&
		cmp "$d/modes" "$d/replay" && $fsx -q --check "$d/modes.shadow" "$d/replay" &&
		grep -q '^fsx: 3000 ops, 0 miscompares' "$d/replay.out"
}
# A failed run leaves its operations in FILE.fsxops: they fail again.
fsx_replay_fail() {
	grep -q "operations of this run are in $d/fsx3.fsxops" "$d/inj.out" &&
		grep -q ' inject ' "$d/fsx3.fsxops" || return 1
	$fsx -q --replay-ops "$d/fsx3.fsxops" "$d/fsx3r" >"$d/rinj.out" 2>&1
	[ $? = 1 ] && grep -q '^fsx: MISCOMPARE' "$d/rinj.out"
}
# fsx_engine ENGINE ALIGN: buffered and direct reads and writes by ENGINE;
# exit 3: the kernel refuses the engine
fsx_engine() {
	$fsx -q -N 2000 -S 10 -a "$2" -l 256k -o 32k "--$1" $off "$d/eng" >"$d/eng.out" 2>&1
	_rc=$?
	[ $_rc = 0 ] && { ran "$d/eng.out" read write $dio; return; }
	[ $_rc = 3 ] || cat "$d/eng.out"
	return $_rc
}
# fsx_engine_error ENGINE: an error result of a request (EFBIG past
# RLIMIT_FSIZE here) fails the run, naming the engine, operation and range.
fsx_engine_error() {
	(trap '' XFSZ; ulimit -f 256
	 exec $fsx -q -N 2000 -S 2 "--$1" -R -F --no-trunc --no-clone --no-copy \
		--no-dedupe --no-fsync $off "$d/efbig") >"$d/efbig.out" 2>&1
	[ $? = 1 ] && grep -q "^fsx: op [0-9]*: $1 d*write of 0x[0-9a-f]* len 0x[0-9a-f]*: EFBIG" "$d/efbig.out"
}
# fsx_model CLASS PATTERN: fsx's model of CLASS made wrong fails the run.
fsx_model() {
	$fsx -q -N 3000 -S 7 $off --inject-model "$1" "$d/model" >"$d/model.out" 2>&1
	[ $? = 1 ] && grep -q -- "--inject-model $1" "$d/model.out" &&
		grep -q -E "$2" "$d/model.out"
}
# --strict: a class that is on but never ran fails the run.
fsx_never_ran() {
	$fsx -q -N 20 -S 3 --strict $off "$d/fsx6" >"$d/never.out" 2>&1
	[ $? = 1 ] && grep -q -- '--strict: no .* operation ran' "$d/never.out"
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
desc="fsx: a replay of the log of a failed run fails the same way"; ok fsx_replay_fail
dio= aligns=
if [ "${off#-D}" = "$off" ]; then
	dio="dread dwrite" aligns=4096
fi
if [ -n "$dio" ] &&
   dd if=/dev/zero of="$d/probe" bs=512 count=1 oflag=direct 2>/dev/null; then
	aligns="512 4096"
	desc="fsx: sub-block (512) direct I/O"
	ok sh -c "$fsx -q -N 2000 -S 5 -a 512 -l 256k $off $d/fsx5 >$d/512.out 2>&1 && grep -q ' dwrite [1-9]' $d/512.out"
fi
for e in aio uring; do
	for a in ${aligns:-4096}; do
		desc="fsx --$e: read, write${dio:+, dread, dwrite} at -a $a"
		fsx_engine $e "$a"
		rc=$?
		if [ $rc = 3 ] && grep -q -e ENOSYS -e EPERM "$d/eng.out"; then
			skip "$(cat "$d/eng.out")"
			break
		fi
		ok [ $rc = 0 ]
	done
	[ $rc = 3 ] && continue
	desc="fsx --$e: an error result fails the run, naming engine, op, range, errno"
	ok fsx_engine_error $e
done
desc="fsx: --reopen --flush-inval $pollute, and ran: $want"; ok fsx_modes
desc="fsx: --sync-each --verify-each"; ok fsx_each
desc="fsx --replay-ops: the recorded run makes the same file"; ok fsx_replay
desc="fsx: a copy that the shadow has but the file lacks is caught"
ok fsx_model copy '^fsx: MISCOMPARE|verify: size'
if has dedupe; then
	desc="fsx: a dedupe status that the shadows contradict is a failure"
	ok fsx_model dedupe 'FIDEDUPERANGE.*expected'
fi
if has unshare; then
	desc="fsx: an unshare that did not extend the file is caught"
	ok fsx_model unshare 'verify: size'
fi
desc="fsx --strict: a class that never ran is a failure"; ok fsx_never_ran
desc="fsx --fixed-size: starts from the file's bytes, within its size"; ok fsx_fixed
desc="fsx --fixed-size: a byte flipped behind its back is a miscompare"; ok fsx_fixed_inject
desc="fsx --fixed-size: a write past EOF that is not cut short is caught"; ok fsx_fixed_grows
desc="fsx: unsupported operations are reported and switched off"; ok fsx_unsupp
if grep -q 'not supported' "$d/all.out"; then
	desc="fsx --strict: an unsupported operation is a failure"; ok fsx_strict
fi

# extmap count asks FIEMAP in batches of 1024: 1100 blocks of data with
# holes between are 1100 extents of 4 KiB, where the filesystem has FIEMAP.
em=$T_BIN/extmap
extmap_count() {
	i=0
	while [ $i -lt 1100 ]; do
		printf 'x' | dd of="$d/ext" bs=1 seek=$((i * 8192)) conv=notrunc 2>/dev/null || return 1
		i=$((i + 1))
	done
	sync "$d/ext" 2>/dev/null || sync
	[ "$("$em" count "$d/ext")" = "extents 1100 bytes 4505600" ] &&
		[ "$("$em" fiemap "$d/ext" | wc -l)" = 64 ]
}
desc="extmap count: every extent, past one FIEMAP batch"
if "$em" fiemap "$d/f" >/dev/null 2>&1; then
	ok extmap_count
else
	skip "no FIEMAP on $d"
fi

desc="fusetd storage self-test (fsck after every step)"
ok sh -c "$T_BIN/fusetd selftest $d >$d/fusetd-selftest.log 2>&1 || { cat $d/fusetd-selftest.log; false; }"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
