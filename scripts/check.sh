#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Every check and test of the project; the last line is "N passed, N failed".
#
#   static:  checkpatch --strict on our files, the patch series (each
#            step builds W=1 clean and passes checkpatch), builds with
#            CONFIG_FUSE_IOMAP=n and CONFIG_FUSE_FAMFS=n, sparse (C=2)
#            and W=1 on the module and on the coexisting fuseiomap.ko
#            (against Debian's stock headers: FUSE_DAX=y there), a DKMS
#            build of it, coccicheck on the assembled fs/fuse, userspace
#            builds with -Werror (i386 ones too), the wire ABI checked
#            with -m32 and -m64 (tests/abi) and its self-test, the
#            userspace tool self-test, the documentation parsed by
#            docutils (and that check's self-test), the bench statistics
#            self-test
#   kunit:   every KUnit case in UML (each counts)
#   vm:      the VM tests of $DEV_TESTS on the dev kernel (each TAP line
#            counts), famfs across hosts (scripts/famfs-share.sh: three
#            boots on one memory), the tests of $SAN_TESTS on the
#            sanitizer kernel (KASAN, UBSAN, KFENCE; lib.sh says why not
#            all), then $STOCK_TESTS on Debian's stock kernel with
#            fuseiomap.ko
#
# CHECK_ONLY="static kunit vm" selects parts.
. "$(dirname "$0")/lib.sh"
set +e

parts=${CHECK_ONLY:-static kunit vm}
logdir=$BUILD/check
rm -rf "$logdir"
mkdir -p "$logdir"
pass=0 fail=0
t0=$(date +%s)
# Failures are repeated at the end, where a truncated CI log still shows them.
failures=$logdir/failures.txt
: > "$failures"

result() { # OK DESC [LOG]
	if [ "$1" = 0 ]; then
		pass=$((pass + 1)); echo "ok - $2"
	else
		fail=$((fail + 1))
		{
			echo "not ok - $2${3:+ (see $3)}"
			[ -n "${3:-}" ] && tail -20 "$3" | sed 's/^/#   /'
		} | tee -a "$failures"
	fi
}
has() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }
# tally LOG WHAT: count the TAP lines of a run that ends "N passed, N failed"
tally() {
	local v
	grep -E '^(not )?ok |^#   ' "$1"
	grep -E '^not ok |^#   ' "$1" >> "$failures"
	v=$(tail -1 "$1" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
	if [ -z "$v" ]; then
		result 1 "$2 produced no verdict" "$1"
	else
		pass=$((pass + ${v% *})) fail=$((fail + ${v#* }))
	fi
}

"$TOP/scripts/kernel.sh" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
kdir=$(devkernel_dir)
src=$(kernel_src)

if has static; then
	"$TOP/scripts/assemble.sh"
	# FUSE answers "not implemented by the server" with ENOSYS; that is
	# the protocol, not a syscall-number misuse.
	cp="$src/scripts/checkpatch.pl --strict --no-tree --terse --show-types"
	cp+=" --ignore ENOSYS"
	# checkpatch misreads patches when run inside a git work tree.
	for f in "$TOP"/fs/fuse/*.[ch] "$TOP"/include/uapi/linux/*.h \
		 "$TOP"/tests/kunit/*.c; do
		l=$logdir/checkpatch-$(basename "$f").log
		# uapi headers cannot use BIT()/BIT_ULL(), which are kernel-only.
		extra=
		case "$f" in */include/uapi/*) extra="--ignore BIT_MACRO" ;; esac
		(cd / && $cp $extra -f "$f") >"$l" 2>&1
		result $? "checkpatch --strict ${f#"$TOP"/}" "$l"
	done
	# The series (make series-check): one test per check and patch.
	l=$logdir/series.log
	"$TOP/scripts/series.sh" check >"$l" 2>&1
	tally "$l" "make series-check"

	# CONFIG_FUSE_IOMAP=n and CONFIG_FUSE_FAMFS=n build too, W=1 clean,
	# without the code they leave out (before the full build below, which
	# leaves the tree as the VM tests use it).
	for off in "CONFIG_FUSE_IOMAP=n fuse_iomap_map" \
		   "CONFIG_FUSE_FAMFS=n fuse_famfs_fmap_parse"; do
		l=$logdir/build-${off%%=*}.log
		make -C "$kdir" M="$TOP" W=1 "${off% *}" modules >"$l" 2>&1
		rc=$?
		bad=$(grep -E 'warning:|error:' "$l" | grep -c .)
		nm "$BUILD/tree/fs/fuse/fuse.ko" >>"$l" 2>&1
		! grep -q " ${off#* }\$" "$l" && [ "$rc" = 0 ] && [ "$bad" = 0 ]
		result $? "module builds with ${off% *}, W=1 clean, no ${off#* }()" "$l"
	done

	# Rebuild every object so that sparse and W=1 see all of them.
	l=$logdir/sparse.log
	touch "$BUILD"/tree/fs/fuse/*.c
	make -C "$kdir" M="$TOP" C=2 W=1 modules >"$l" 2>&1
	rc=$?
	bad=$(grep -E 'warning:|error:' "$l" | grep -c .)
	[ "$rc" = 0 ] && [ "$bad" = 0 ]
	result $? "module builds with sparse (C=2) and W=1, no warnings" "$l"

	l=$logdir/coexist.log
	touch "$BUILD"/coexist/fs/fuse/*.c 2>/dev/null
	W=1 C=2 "$TOP/scripts/coexist.sh" build >"$l" 2>&1
	rc=$?
	bad=$(grep -E 'warning:|error:' "$l" | grep -c .)
	[ "$rc" = 0 ] && [ "$bad" = 0 ]
	result $? "fuseiomap.ko builds against linux-headers-$(stock_kver), sparse and W=1 clean" "$l"

	l=$logdir/dkms.log
	"$TOP/scripts/dkms.sh" build >"$l" 2>&1
	result $? "DKMS builds fuseiomap.ko for $(stock_kver)" "$l"

	l=$logdir/coccicheck.log
	make -C "$kdir" coccicheck MODE=report M="$BUILD/tree/fs/fuse" \
		J="$JOBS" >"$l" 2>&1
	rc=$?
	# Only our files count: upstream fs/fuse has reports of its own.
	ours=$({ (cd "$TOP/fs/fuse" && ls -- *.[ch]) | sed 's|^|/fs/fuse/|'
		 (cd "$TOP/tests/kunit" && ls -- *.c) | sed 's|^|/fs/fuse/tests/|'; } |
		sed 's/\./\\./; s|$|:|' | paste -sd'|')
	grep -vE '^(/usr/bin/spatch|make|Please check|coccicheck failed)' "$l" |
		grep -E '\.[ch]:[0-9]+' | grep -E "$ours" > "$logdir/cocci-reports.log"
	[ "$rc" = 0 ] && [ ! -s "$logdir/cocci-reports.log" ]
	result $? "coccicheck MODE=report: no reports" "$logdir/cocci-reports.log"

	l=$logdir/userspace.log
	make -C "$TOP/tests" O="$BUILD/tests" STATIC=1 \
		UAPI_INC="$BUILD/tree/include/uapi" >"$l" 2>&1
	result $? "userspace test programs build with -Wall -Wextra -Werror" "$l"

	l=$logdir/abi-selftest.log
	UAPI_INC=$BUILD/tree/include/uapi "$TOP/tests/abi/selftest.sh" >"$l" 2>&1
	result $? "ABI check self-test (it fails without the explicit padding)" "$l"

	if [ -x "$TOP/tests/tools/selftest.sh" ]; then
		l=$logdir/tools-selftest.log
		T_BIN=$BUILD/tests/bin "$TOP/tests/tools/selftest.sh" >"$l" 2>&1
		result $? "test tools self-test (they can fail)" "$l"
	fi

	# The documentation parses without a docutils warning (a malformed
	# table renders as an error block), and the check catches bad ones.
	py=python3
	$py -c 'import docutils' 2>/dev/null || py=/usr/bin/python3
	l=$logdir/rst.log
	$py "$TOP/scripts/rst-check.py" "$TOP"/Documentation/*/*.rst >"$l" 2>&1
	result $? "Documentation/*/*.rst parse without warnings (docutils)" "$l"
	l=$logdir/rst-selftest.log
	$py "$TOP/scripts/rst-check.py" selftest >"$l" 2>&1
	tally "$l" "rst check self-test"

	# make bench's statistics (scripts/bench.py): each case counts; with
	# a corrupted t table the self-test must fail.
	l=$logdir/bench-selftest.log
	python3 "$TOP/scripts/bench.py" selftest >"$l" 2>&1
	tally "$l" "bench statistics self-test"
	l=$logdir/bench-selftest-broken.log
	BENCH_SELFTEST_BREAK=1 python3 "$TOP/scripts/bench.py" selftest >"$l" 2>&1
	rc=$?
	[ "$rc" != 0 ] && grep -q '^not ok ' "$l"
	result $? "bench statistics self-test fails with a wrong t table" "$l"
fi

if has kunit; then
	l=$logdir/kunit.log
	"$TOP/scripts/kunit.sh" >"$l" 2>&1
	rc=$?
	line=$(grep -a 'Testing complete' "$l" | tail -1)
	p=$(echo "$line" | sed -n 's/.*passed: \([0-9]*\).*/\1/p')
	f=$(echo "$line" | sed -n 's/.*failed: \([0-9]*\).*/\1/p')
	p=${p:-0} f=${f:-0}
	grep -a '\[FAILED\]' "$l" | sed 's/^/not ok - kunit: /' | tee -a "$failures"
	echo "# kunit: $p passed, $f failed"
	pass=$((pass + p)) fail=$((fail + f))
	if [ "$rc" != 0 ] || [ "$p" = 0 ]; then
		result 1 "kunit.py run" "$l"
	fi
fi

if has vm; then
	l=$logdir/vm.log
	make -s -C "$TOP" modules tests >"$logdir/vm-build.log" 2>&1 ||
		result 1 "build for the VM run" "$logdir/vm-build.log"
	"$TOP/scripts/vm.sh" --tests "$DEV_TESTS" >"$l" 2>&1
	tally "$l" "VM run"
	l=$logdir/famfs-share.log
	"$TOP/scripts/famfs-share.sh" >"$l" 2>&1
	tally "$l" "famfs across hosts"
	# The sanitizer kernel; fuse.ko is rebuilt for it in place.
	l=$logdir/vm-san.log
	if FI_KERNEL=san make -s -C "$TOP" kernel modules \
		>"$logdir/vm-san-build.log" 2>&1; then
		# shellcheck disable=SC2086
		FI_KERNEL=san "$TOP/scripts/vm.sh" --tests "$SAN_TESTS" $SAN_ENV \
			>"$l" 2>&1
		tally "$l" "VM run on the sanitizer kernel"
	else
		result 1 "build for the sanitizer kernel's VM run" \
			"$logdir/vm-san-build.log"
	fi
	l=$logdir/vm-stock.log
	# The module DKMS built (static part) is the one tested, if there is one.
	dko=$(find "$BUILD/dkms/tree" -name 'fuseiomap.ko*' -path "*/$(stock_kver)/*" \
		2>/dev/null | head -1)
	if "$TOP/scripts/coexist.sh" build >"$logdir/vm-stock-build.log" 2>&1; then
		echo "# stock kernel VM run with ${dko:-$BUILD/coexist/fs/fuse/fuseiomap.ko}"
		# shellcheck disable=SC2086
		COEXIST_KO=$dko "$TOP/scripts/vm.sh" --stock --tests "$STOCK_TESTS" \
			$STOCK_ENV >"$l" 2>&1
		tally "$l" "VM run on Debian's stock kernel"
	else
		result 1 "build of fuseiomap.ko for the stock VM run" \
			"$logdir/vm-stock-build.log"
	fi
fi

if [ -s "$failures" ]; then
	echo "# ---- the failures again"
	head -150 "$failures"
fi
echo "# make check took $(( $(date +%s) - t0 ))s; logs in $logdir"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
