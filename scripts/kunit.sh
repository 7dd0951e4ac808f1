#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the KUnit suites in UML with kunit.py.
#
# The UML kernel is built from a hard-linked copy of the cached source whose
# fs/fuse and uapi fuse headers are symlinks into our assembled tree; its
# build directory is cached, keyed by source version and kunitconfig.
. "$(dirname "$0")/lib.sh"

src=$(kernel_src)
ver=$(src_version)
usrc=$CACHE/uml-src-$ver/linux-source-6.12
out=$CACHE/uml-$ver-$(cfg_hash "$TOP/tests/kunit/.kunitconfig")

"$TOP/scripts/assemble.sh"

if [ ! -e "$usrc/.linked" ]; then
	log "making the UML source tree $usrc"
	rm -rf "$(dirname "$usrc")"
	mkdir -p "$(dirname "$usrc")"
	cp -al "$src" "$usrc"
	touch "$usrc/.linked"
fi
rm -rf "$usrc/fs/fuse"
ln -sfn "$BUILD/tree/fs/fuse" "$usrc/fs/fuse"
for h in "$BUILD"/tree/include/uapi/linux/*.h; do
	ln -sfn "$h" "$usrc/include/uapi/linux/$(basename "$h")"
done

cd "$usrc"
python3 tools/testing/kunit/kunit.py run --arch=um --jobs="$JOBS" \
	--build_dir="$out" --kunitconfig="$TOP/tests/kunit/.kunitconfig" "$@"
