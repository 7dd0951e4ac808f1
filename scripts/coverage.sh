#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Line coverage of our own kernel files (fs/fuse/*.[ch] of this repository,
# not upstream fs/fuse) by the KUnit suites and the VM suite (make coverage).
#
#   kunit  the KUnit suites in UML with UML's gcov (scripts/kunit.sh with
#          KUNIT_GCOV=1: a UML build of its own, cached beside the plain
#          one); the UML kernel writes .gcda files when it exits
#   vm     fuse.ko, cuse.ko and virtiofs.ko built with GCOV_PROFILE=y and -g
#          against the dev kernel (CONFIG_GCOV_KERNEL=y; FI_KERNEL=san, make
#          coverage SAN=1, for the sanitizer variant) in a tree of their own,
#          $BUILD/coverage/mod, so that the plain modules stay as they are;
#          the VM suite runs on them (vm.sh --gcov: the guest copies the
#          counters from debugfs to a disk of their own)
#
# Both are captured with lcov, restricted to our files and merged into
# $BUILD/coverage/{kunit,vm,all}.info; genhtml writes the report to
# $BUILD/coverage/html, and $BUILD/coverage/summary.txt has a table of
# lines hit per file (the one in Documentation/dev/testing.rst).
#
# COVERAGE_PARTS="kunit vm" selects parts (a part not run is taken from
# the last run's .info, if any); COVERAGE_TESTS=NAME,... the VM tests
# (default: all), COVERAGE_TIMEOUT the VM run's limit in seconds.
# The exit status is that of the runs: failing tests still give a report.
. "$(dirname "$0")/lib.sh"

parts=${COVERAGE_PARTS:-kunit vm}
vmtests=${COVERAGE_TESTS:-all}
cov=$BUILD/coverage
mod=$cov/mod
kodir=$mod/build/tree/fs/fuse
rc=0
has() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }
command -v lcov >/dev/null || die "no lcov (run scripts/setup.sh)"
mkdir -p "$cov"

# Our kernel files, by name: fs/fuse/NAME in the assembled trees and in
# the coverage data.
ours=$(cd "$TOP/fs/fuse" && ls -- *.[ch])

# normalise RAW OUT: keep the records of our files, named as in the
# repository (the build compiled copies of them, with the same lines).
normalise() {
	local raw=$1 out=$2
	awk -v top="$TOP" -v ours="$ours" '
		BEGIN { n = split(ours, o, "\n"); for (i = 1; i <= n; i++) mine[o[i]] = 1 }
		/^SF:/ {
			f = $0; sub(/^.*\//, "", f)
			keep = ($0 ~ /\/fs\/fuse\/[^\/]*$/) && (f in mine)
			if (keep) print "SF:" top "/fs/fuse/" f
			next
		}
		keep { print }
		/^end_of_record/ { keep = 0 }
	' "$raw" > "$out.tmp"
	# merge the records of a file that several objects include (headers)
	if [ -s "$out.tmp" ]; then
		lcov -q -a "$out.tmp" -o "$out"
	else
		: > "$out"
	fi
	rm -f "$out.tmp"
}

# capture NAME DIR: lcov's capture of the .gcda files under DIR.
capture() {
	local name=$1 dir=$2
	log "capturing $name coverage from $dir"
	lcov -q --capture --directory "$dir" --test-name "$name" \
		-o "$cov/$name-raw.info" >"$cov/lcov-$name.log" 2>&1 ||
		{ cat "$cov/lcov-$name.log" >&2; die "lcov --capture for $name"; }
	normalise "$cov/$name-raw.info" "$cov/$name.info"
}

"$TOP/scripts/assemble.sh"

if has kunit; then
	log "KUnit in UML with gcov (log in $cov/kunit.log)"
	KUNIT_GCOV=1 "$TOP/scripts/kunit.sh" >"$cov/kunit.log" 2>&1 || rc=1
	grep -a 'Testing complete' "$cov/kunit.log" | tail -1 >&2 || true
	udir=$(KUNIT_GCOV=1 uml_dir)
	ls "$udir"/fs/fuse/*.gcda >/dev/null 2>&1 ||
		die "the UML kernel wrote no .gcda files in $udir/fs/fuse"
	capture kunit "$udir/fs/fuse"
fi

if has vm; then
	kdir=$(devkernel_dir)
	san=; [ "$FI_KERNEL" = san ] && san=" SAN=1"
	[ -e "$kdir/.built" ] || die "no $FI_KERNEL kernel; run 'make kernel$san'"
	grep -q '^CONFIG_GCOV_KERNEL=y' "$kdir/.config" ||
		die "$kdir has no CONFIG_GCOV_KERNEL; rebuild it ('make kernel$san')"
	log "building the modules with GCOV_PROFILE=y in $mod"
	mkdir -p "$mod"
	BUILD=$mod/build "$TOP/scripts/assemble.sh"
	cp "$TOP/Kbuild" "$mod/Kbuild"
	# -g as in UML (its gcov needs DEBUG_INFO): gcc then gives the same
	# lines a count (declarations that are zero-initialised, too), so
	# that the two builds' lines can be merged
	make -s -C "$kdir" M="$mod" GCOV_PROFILE=y KCFLAGS=-g modules \
		>"$cov/build.log" 2>&1 ||
		{ tail -20 "$cov/build.log" >&2; die "module build (see $cov/build.log)"; }
	[ -x "$BUILD/tests/bin/fusetd" ] ||
		die "no test programs in $BUILD/tests (make tests)"
	log "VM tests ($vmtests) on the $FI_KERNEL kernel (log in $cov/vm.log)"
	FUSE_KO_DIR=$kodir "$TOP/scripts/vm.sh" --tests "$vmtests" \
		--timeout "${COVERAGE_TIMEOUT:-7200}" --gcov "$cov/vm-gcda" \
		>"$cov/vm.log" 2>&1 || rc=1
	tail -1 "$cov/vm.log" >&2
	# The guest's files are named by the objects' paths on this host;
	# put them beside the objects and their .gcno files.
	find "$kodir" -name '*.gcda' -delete
	n=0
	while read -r f; do
		cp "$f" "$kodir/" && n=$((n + 1))
	done < <(find "$cov/vm-gcda" -path '*/fs/fuse/*.gcda')
	[ "$n" -gt 0 ] || die "no gcov data came out of the guest (see $cov/vm.log)"
	capture vm "$kodir"
fi

infos=()
for p in kunit vm; do
	if [ -s "$cov/$p.info" ]; then infos+=(-a "$cov/$p.info"); fi
done
[ ${#infos[@]} -gt 0 ] || die "no coverage data"
lcov -q "${infos[@]}" -o "$cov/all.info"
rm -rf "$cov/html"
genhtml -q --prefix "$TOP" --title "fuse-iomap: KUnit and VM suite" \
	--legend -o "$cov/html" "$cov/all.info" >"$cov/genhtml.log" 2>&1 ||
	{ cat "$cov/genhtml.log" >&2; die "genhtml"; }

# lines FILE.info: "NAME HIT FOUND" for each of our files in it.
lines() {
	[ -s "$1" ] || return 0
	awk '/^SF:/ { f = $0; sub(/^.*\//, "", f) }
	     /^DA:/ { split(substr($0, 4), d, ","); n[f]++; if (d[2] > 0) h[f]++ }
	     END { for (f in n) print f, h[f] + 0, n[f] }' "$1"
}
# The table, as reStructuredText: lines hit / instrumented lines, per
# source (KUnit in UML, the VM suite, both).  A file that one build does
# not compile (famfs.c needs FS_DAX, which UML has not) shows "-".
{
	for f in $ours; do echo "$f"; done
	lines "$cov/kunit.info" | sed 's/^/K /'
	lines "$cov/vm.info" | sed 's/^/V /'
	lines "$cov/all.info" | sed 's/^/A /'
} | awk '
	NF == 1 { order[++nf] = $1; next }
	{ hit[$1, $2] = $3; found[$1, $2] = $4; tot_h[$1] += $3; tot_n[$1] += $4 }
	function cell(k, f) {
		if (!((k, f) in found) || !found[k, f]) return "-"
		return sprintf("%5.1f%% %5d/%-5d", 100 * hit[k, f] / found[k, f],
			       hit[k, f], found[k, f])
	}
	function tcell(k) {
		if (!tot_n[k]) return "-"
		return sprintf("%5.1f%% %5d/%-5d", 100 * tot_h[k] / tot_n[k],
			       tot_h[k], tot_n[k])
	}
	BEGIN { rule = sprintf("%-24s  %-18s  %-18s  %-18s", "========================",
		"==================", "==================", "==================") }
	END {
		print rule
		printf "%-24s  %-18s  %-18s  %-18s\n", "file", "KUnit (UML)", "VM suite", "combined"
		print rule
		for (i = 1; i <= nf; i++) {
			f = order[i]
			if (!(("A", f) in found)) continue
			printf "%-24s  %-18s  %-18s  %-18s\n", "``" f "``",
			       cell("K", f), cell("V", f), cell("A", f)
		}
		printf "%-24s  %-18s  %-18s  %-18s\n", "all", tcell("K"), tcell("V"), tcell("A")
		print rule
	}' > "$cov/summary.txt"
cat "$cov/summary.txt"
log "HTML report: $cov/html/index.html"
exit $rc
