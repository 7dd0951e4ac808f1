#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Assemble the patched fs/fuse tree from Debian's linux-source package:
#
#   build/tree/fs/fuse/           upstream fs/fuse + the hunks of
#                                 fs/fuse/patches/series on upstream files
#                                 + our fs/fuse/*.[ch]; tests/kunit/*.c
#                                 as fs/fuse/tests/, where the kernel
#                                 keeps the KUnit tests of a directory
#   build/tree/include/uapi/linux fuse.h (patched) + our include/uapi headers
#
# Files are only rewritten when their content changed, so kbuild rebuilds
# only what we touched.
. "$(dirname "$0")/lib.sh"

src=$(kernel_src)
tree=$BUILD/tree
stage=$BUILD/stage
rm -rf "$stage"
mkdir -p "$stage/fs/fuse" "$stage/include/uapi/linux" "$tree"

cp -p "$src"/fs/fuse/* "$stage/fs/fuse/"
cp -p "$src/include/uapi/linux/fuse.h" "$stage/include/uapi/linux/"

# The hunks of the series on upstream files; the files it creates are ours
# (scripts/series.sh), copied below.
series_created > "$stage/.created"
# MAINTAINERS is changed in the series, but not built
echo MAINTAINERS >> "$stage/.created"
while read -r p _; do
	case "$p" in ''|'#'*) continue ;; esac
	patch_filter "$stage/.created" < "$TOP/fs/fuse/patches/$p" \
		> "$stage/.hunks"
	grep -q '^diff --git ' "$stage/.hunks" || continue
	patch -p1 -s -F0 --no-backup-if-mismatch -d "$stage" \
		< "$stage/.hunks" || die "patch $p does not apply"
done < "$TOP/fs/fuse/patches/series"
rm -f "$stage/.created" "$stage/.hunks"

for f in "$TOP"/fs/fuse/*.[ch] "$TOP"/fs/fuse/Makefile.iomap; do
	[ -e "$f" ] || continue
	[ -e "$stage/fs/fuse/$(basename "$f")" ] &&
		die "$(basename "$f") would overwrite an upstream file"
	cp "$f" "$stage/fs/fuse/"
done
mkdir -p "$stage/fs/fuse/tests"
cp "$TOP"/tests/kunit/*_kunit.c "$stage/fs/fuse/tests/"
cp "$TOP"/include/uapi/linux/*.h "$stage/include/uapi/linux/"

# Sync stage -> tree by content; drop files that disappeared.
(cd "$stage" && find . -type f) | while read -r f; do
	if ! cmp -s "$stage/$f" "$tree/$f"; then
		mkdir -p "$(dirname "$tree/$f")"
		cp "$stage/$f" "$tree/$f"
	fi
done
for d in fs/fuse fs/fuse/tests include/uapi/linux; do
	for f in "$tree/$d"/*.[ch] "$tree/$d"/Makefile*; do
		[ -e "$f" ] || continue
		[ -e "$stage/$d/$(basename "$f")" ] || rm -f "$f"
	done
done
rm -rf "$stage"
