#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the KUnit suites in UML with kunit.py.
#
# The UML kernel is built from a hard-linked copy of the cached source whose
# fs/fuse and uapi fuse headers are symlinks into our assembled tree; its
# build directory is cached, keyed by source version and kunitconfig.
#
# KUNIT_GCOV=1 (make coverage) adds tests/kunit/coverage.kunitconfig: UML's
# gcov, built from a source copy and in a build directory of their own
# (uml-gcov-*), so that the plain UML build is left alone.  Its .gcda files
# are removed before the run and written by the UML kernel when it exits.
. "$(dirname "$0")/lib.sh"

src=$(kernel_src)
ver=$(src_version)
usrc=$CACHE/uml-src-$ver/linux-source-6.12
out=$(uml_dir)
cfgs=(--kunitconfig="$TOP/tests/kunit/.kunitconfig")
gcov=
if [ "${KUNIT_GCOV:-}" = 1 ]; then
	gcov=1
	usrc=$CACHE/uml-gcov-src-$ver/linux-source-6.12
	cfgs+=(--kunitconfig="$TOP/tests/kunit/coverage.kunitconfig")
	# gcc 12's libgcov, linked into UML, defines a global mangle_path()
	# too: rename the kernel's (fs/seq_file.c) in this build
	cfgs+=(--make_options "KCFLAGS=$UML_GCOV_KCFLAGS")
	if [ -d "$out" ]; then
		find "$out" -name '*.gcda' -delete
	fi
fi

"$TOP/scripts/assemble.sh"

if [ ! -e "$usrc/.linked" ]; then
	log "making the UML source tree $usrc"
	rm -rf "$(dirname "$usrc")"
	mkdir -p "$(dirname "$usrc")"
	cp -al "$src" "$usrc"
	# gcc puts the destructors that write the .gcda files in
	# .fini_array.00100, which 6.12's UML linker scripts leave out of
	# .fini_array (fixed upstream later: "um: fix CONFIG_GCOV for
	# built-in code").  New files, not the hard-linked ones.
	if [ -n "$gcov" ]; then
		for f in arch/um/include/asm/common.lds.S arch/um/kernel/dyn.lds.S; do
			sed "$UML_GCOV_LDS_FIX" "$usrc/$f" > "$usrc/$f.new"
			cmp -s "$usrc/$f" "$usrc/$f.new" && die "$f: no .fini_array"
			mv "$usrc/$f.new" "$usrc/$f"
		done
	fi
	touch "$usrc/.linked"
fi
rm -rf "$usrc/fs/fuse"
ln -sfn "$BUILD/tree/fs/fuse" "$usrc/fs/fuse"
for h in "$BUILD"/tree/include/uapi/linux/*.h; do
	ln -sfn "$h" "$usrc/include/uapi/linux/$(basename "$h")"
done

cd "$usrc"
python3 tools/testing/kunit/kunit.py run --arch=um --jobs="$JOBS" \
	--build_dir="$out" "${cfgs[@]}" "$@"
