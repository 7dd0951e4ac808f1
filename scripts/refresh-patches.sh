#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Normalise the hook series: apply fs/fuse/patches/series to upstream in a
# scratch git repository, commit each patch with its own message, and
# re-export the series with git format-patch (diff --git headers, stats).
#
# To change a hook: edit the upstream file in $BUILD/refresh after running
# "refresh-patches.sh --keep", "git commit --amend" or "git rebase -i" there,
# then "refresh-patches.sh --export".
. "$(dirname "$0")/lib.sh"

repo=$BUILD/refresh
pdir=$TOP/fs/fuse/patches
mode=${1:-all}

git_() { git -C "$repo" -c user.name="fuse-iomap developers" -c user.email=fuse-iomap@lists.invalid "$@"; }

if [ "$mode" != --export ]; then
	src=$(kernel_src)
	rm -rf "$repo"
	mkdir -p "$repo/fs/fuse" "$repo/include/uapi/linux"
	cp "$src"/fs/fuse/* "$repo/fs/fuse/"
	cp "$src/include/uapi/linux/fuse.h" "$repo/include/uapi/linux/"
	git_ init -q
	git_ add -A
	git_ commit -qm upstream
	git_ tag upstream
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		patch -p1 -s -f --no-backup-if-mismatch -d "$repo" < "$pdir/$p" ||
			die "$p does not apply"
		git_ add -A
		# Keep the patch's own date so that a refresh changes nothing else.
		GIT_AUTHOR_DATE=$(sed -n 's/^Date: //p; /^$/q' "$pdir/$p")
		export GIT_AUTHOR_DATE
		# Message: the Subject without [PATCH] (unfolded), then the
		# body up to '---'.
		awk '/^Subject:/ { sub(/^Subject: (\[PATCH[^]]*\] )?/, ""); s = $0; h = 1; next }
		     h && /^ / { s = s $0; next }
		     h { print s; print ""; h = 0 }
		     /^---$/ { exit } f { print } /^$/ && !f { f = 1 }' "$pdir/$p" |
			git_ commit -q -F -
	done < "$pdir/series"
fi
[ "$mode" = --keep ] && { log "repository left in $repo"; exit 0; }

rm -f "$pdir"/*.patch
git_ format-patch -q --no-signature --zero-commit --no-numbered \
	-o "$pdir" upstream..HEAD
(cd "$pdir" && ls -1 *.patch) > "$pdir/series"
log "exported $(wc -l < "$pdir/series") patches"
