#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The patch series of fuse-iomap against the 6.12 base.
#
# fs/fuse/patches/ holds it as git format-patch mails, in the order of its
# series file.  A mail's diff has the patch's changes to upstream files and
# to files that earlier patches created; the files a patch creates follow
# its name on its line of the series file and are not in the mail: they
# are kept whole, as they are at the end of the series, in fs/fuse/,
# include/uapi/linux/ and tests/kunit/ (fs/fuse/tests/ in the kernel
# tree).  So every line of our code is stored once, and the series is
# rebuilt from the end backwards: each patch is reverted in turn, and the
# files it creates removed, down to the upstream tree.  assemble.sh applies
# the same mails' hunks to upstream files forwards.
#
#   series.sh repo     the series as git history in $BUILD/series/repo
#                      (upstream, then one commit per patch)
#   series.sh format   that, written by git format-patch, with a cover
#                      letter, to $BUILD/series/out (make series)
#   series.sh check    every patch builds (W=1, the dev kernel) and passes
#                      checkpatch --strict, and the series ends in the
#                      tree assemble.sh makes (make series-check; one TAP
#                      line per check, then "N passed, N failed")
#   series.sh export   write the history of $BUILD/series/repo back: the
#                      mails and series file, and the files as the last
#                      commit has them
#
# To change the series: "series.sh repo", then in $BUILD/series/repo edit
# and commit, and fold the change into the patch it belongs to (git
# rebase -i upstream; "edit" a patch to change an earlier step), then
# "series.sh export".  A change to one of our files made in the checkout
# instead belongs to the patch that created the file, which is where it
# lands when the hunks of later patches still apply around it; "repo"
# says which patch does not revert when they do not.
. "$(dirname "$0")/lib.sh"

pdir=$TOP/fs/fuse/patches
sdir=$BUILD/series
repo=$sdir/repo
mode=${1:-}

# Files of ours that are not in the series: the coexisting build's.
LOCAL_ONLY="fs/fuse/coexist.h"

git_() {
	git -C "$repo" -c user.name="fuse-iomap developers" \
		-c user.email=fuse-iomap@lists.invalid "$@"
}

# Where a file of the kernel tree is kept in the checkout.
repo_path() {
	case "$1" in
	fs/fuse/tests/*) echo "tests/kunit/${1#fs/fuse/tests/}" ;;
	*) echo "$1" ;;
	esac
}

# The series file: "NAME [CREATED...]" lines.
series_lines() { grep -Ev '^[[:space:]]*(#|$)' "$pdir/series"; }

# The message of a mail for git commit: the Subject without [PATCH]
# (unfolded), a blank line, then the body up to '---'.
mail_message() {
	awk '/^Subject:/ { sub(/^Subject: (\[PATCH[^]]*\] )?/, ""); s = $0; h = 1; next }
	     h && /^ / { s = s $0; next }
	     h { print s; print ""; h = 0 }
	     /^---$/ { exit } f { print } /^$/ && !f { f = 1 }' "$1"
}

# Rebuild the series as history in $repo; dies naming the patch that
# does not revert.
build_repo() {
	local src p created f t n i
	local -a names trees

	src=$(kernel_src)
	rm -rf "$repo"
	mkdir -p "$repo/fs/fuse" "$repo/include/uapi/linux"
	cp "$src"/fs/fuse/* "$repo/fs/fuse/"
	cp "$src/include/uapi/linux/fuse.h" "$repo/include/uapi/linux/"
	cp "$src/MAINTAINERS" "$repo/"
	git_ init -q
	git_ add -A
	git_ commit -qm upstream
	git_ tag upstream

	# The end of the series: every mail's hunks on upstream files ...
	series_created > "$sdir/created"
	while read -r p _; do
		patch_filter "$sdir/created" < "$pdir/$p" > "$sdir/hunks"
		grep -q '^diff --git ' "$sdir/hunks" || continue
		patch -p1 -s -F0 --no-backup-if-mismatch -d "$repo" \
			< "$sdir/hunks" || die "$p does not apply to upstream files"
	done < <(series_lines)
	# ... and our files.
	while read -r f; do
		[ -f "$TOP/$(repo_path "$f")" ] ||
			die "$f (created by the series) is missing"
		mkdir -p "$repo/$(dirname "$f")"
		cp "$TOP/$(repo_path "$f")" "$repo/$f"
	done < <(series_created)
	for f in "$TOP"/fs/fuse/*.[ch] "$TOP"/fs/fuse/Makefile.iomap \
		 "$TOP"/include/uapi/linux/*.h "$TOP"/tests/kunit/*_kunit.c; do
		f=${f#"$TOP"/}
		case "$f" in tests/kunit/*) f=fs/fuse/tests/${f#tests/kunit/} ;; esac
		case " $LOCAL_ONLY " in *" $f "*) continue ;; esac
		series_created | grep -qxF "$f" ||
			die "$(repo_path "$f") is created by no patch of fs/fuse/patches/series"
	done

	# Backwards: revert each patch and remove what it created.
	mapfile -t names < <(series_lines | cut -d' ' -f1)
	n=${#names[@]}
	git_ add -A
	trees[n]=$(git_ write-tree)
	for ((i = n - 1; i >= 0; i--)); do
		p=${names[i]}
		patch -R -p1 -s -F0 --no-backup-if-mismatch -d "$repo" \
			< "$pdir/$p" > "$sdir/revert.log" 2>&1 ||
			die "$p does not revert from the files after it; see $sdir/revert.log"
		created=$(series_lines | awk -v p="$p" '$1 == p { $1 = ""; print }')
		for f in $created; do
			rm "$repo/$f"
		done
		git_ add -A
		trees[i]=$(git_ write-tree)
	done
	t=$(git_ rev-parse 'upstream^{tree}')
	[ "${trees[0]}" = "$t" ] ||
		die "reverting the whole series does not give the upstream tree"

	# Forwards: one commit per patch, with the mail's message and date.
	t=$(git_ rev-parse upstream)
	for ((i = 0; i < n; i++)); do
		p=$pdir/${names[i]}
		t=$(mail_message "$p" |
			GIT_AUTHOR_DATE=$(sed -n 's/^Date: //p; /^$/q' "$p") \
			GIT_COMMITTER_DATE=$(sed -n 's/^Date: //p; /^$/q' "$p") \
			git_ commit-tree "${trees[i + 1]}" -p "$t")
	done
	git_ reset -q --hard "$t"
	log "series of $n patches rebuilt in $repo"
}

format_series() {
	local out=$sdir/out

	rm -rf "$out"
	git_ format-patch -q --no-signature --zero-commit --cover-letter \
		-o "$out" upstream..HEAD
	# The cover letter's subject and blurb, from fs/fuse/patches/cover
	awk -v cover="$pdir/cover" '
		/\*\*\* SUBJECT HERE \*\*\*/ {
			getline s < cover; sub(/\*\*\* SUBJECT HERE \*\*\*/, s)
		}
		/^\*\*\* BLURB HERE \*\*\*$/ {
			getline s < cover	# the blank line after the subject
			while ((getline s < cover) > 0) print s
			next
		}
		{ print }' "$out/0000-cover-letter.patch" > "$out/cover.tmp"
	mv "$out/cover.tmp" "$out/0000-cover-letter.patch"
	log "$(ls "$out" | grep -c .) mails in $out"
}

export_series() {
	local c i=0 name created excl f

	git_ rev-parse -q --verify upstream >/dev/null ||
		die "no series in $repo: run $0 repo first"
	rm -f "$pdir"/*.patch
	: > "$pdir/series.new"
	for c in $(git_ rev-list --reverse upstream..HEAD); do
		i=$((i + 1))
		created=$(git_ diff --name-only --diff-filter=A "$c^" "$c" | paste -sd' ')
		excl=()
		for f in $created; do
			excl+=(":(exclude)$f")
		done
		[ -n "$(git_ diff --name-only --diff-filter=a "$c^" "$c" -- . "${excl[@]}")" ] ||
			die "$(git_ log -1 --format=%s "$c"): a patch that only creates files cannot be kept"
		name=$(git_ format-patch --no-signature --zero-commit \
			--no-numbered --start-number "$i" -o "$pdir" -1 "$c" \
			-- . "${excl[@]}")
		echo "$(basename "$name")${created:+ $created}" >> "$pdir/series.new"
	done
	{
		sed -n '/^#/p' "$pdir/series"
		cat "$pdir/series.new"
	} > "$pdir/series.tmp"
	mv "$pdir/series.tmp" "$pdir/series"
	rm -f "$pdir/series.new"
	# Our files as the series ends.
	series_created | while read -r f; do
		mkdir -p "$TOP/$(dirname "$(repo_path "$f")")"
		git_ show "HEAD:$f" > "$TOP/$(repo_path "$f")"
	done
	log "exported $i patches to $pdir"
}

# check: TAP lines, then "N passed, N failed".
check_series() {
	local pass=0 fail=0 kdir wt c i=0 s l p f bad rc
	local cp

	set +e
	cp="$(kernel_src)/scripts/checkpatch.pl --strict --no-tree --terse"
	# FILE_PATH_CHANGES: files added without a MAINTAINERS change; the
	# series adds them under fs/fuse/ (FUSE's entry has F: fs/fuse/),
	# and its uapi header with an F: line of its own.
	cp+=" --show-types --ignore ENOSYS --ignore FILE_PATH_CHANGES"

	ok() {
		if [ "$1" = 0 ]; then
			pass=$((pass + 1)); echo "ok - $2"
		else
			fail=$((fail + 1)); echo "not ok - $2${3:+ (see $3)}"
			[ -n "${3:-}" ] && tail -20 "$3" | sed 's/^/#   /'
		fi
	}
	mkdir -p "$sdir/log"
	if ! (build_repo) > "$sdir/log/repo.log" 2>&1; then
		ok 1 "the series rebuilds from fs/fuse/patches and our files" "$sdir/log/repo.log"
		echo "$pass passed, $fail failed"
		return 1
	fi
	ok 0 "the series rebuilds from fs/fuse/patches and our files, and reverts to upstream"

	# It ends where assemble.sh's forward application does.
	"$TOP/scripts/assemble.sh"
	l=$sdir/log/tree.log
	: > "$l"
	for f in $(git_ ls-files fs include); do
		cmp -s "$repo/$f" "$BUILD/tree/$f" || echo "differs: $f" >> "$l"
	done
	for f in $(cd "$BUILD/tree" && ls fs/fuse/*.[ch] fs/fuse/Makefile* fs/fuse/Kconfig \
			fs/fuse/tests/*.c include/uapi/linux/*.h); do
		case " $LOCAL_ONLY " in *" $f "*) continue ;; esac
		[ -e "$repo/$f" ] || echo "not in the series: $f" >> "$l"
	done
	[ ! -s "$l" ]
	ok $? "the series ends in the tree assemble.sh makes" "$l"

	format_series > "$sdir/log/format.log" 2>&1
	kdir=$(devkernel_dir)
	wt=$sdir/step
	rm -rf "$wt"
	git_ worktree prune
	git_ worktree add -q --detach "$wt" upstream
	printf '%s\n' 'NOSTDINC_FLAGS += -I$(KBUILD_EXTMOD)/include/uapi' \
		'obj-m += fs/fuse/' > "$wt/Kbuild"
	for c in $(git_ rev-list --reverse upstream..HEAD); do
		i=$((i + 1))
		s=$(git_ log -1 --format=%s "$c")
		l=$sdir/log/build-$(printf %04d "$i").log
		git -C "$wt" checkout -q "$c"
		git -C "$wt" clean -qfdx fs include
		make -C "$kdir" M="$wt" W=1 -j"$JOBS" modules > "$l" 2>&1
		rc=$?
		bad=$(grep -E 'warning:|error:|ERROR:' "$l" | grep -c .)
		[ "$rc" = 0 ] && [ "$bad" = 0 ]
		ok $? "series $i: builds, W=1 clean: $s" "$l"
		p=$(ls "$sdir/out/$(printf %04d "$i")-"*.patch)
		l=$sdir/log/checkpatch-$(printf %04d "$i").log
		(cd / && $cp "$p") > "$l" 2>&1
		ok $? "series $i: checkpatch --strict: $s" "$l"
	done
	git_ worktree remove --force "$wt"
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
}

case "$mode" in
repo)	build_repo ;;
format)	build_repo && format_series ;;
check)	check_series ;;
export)	export_series ;;
*)	die "usage: $0 repo|format|check|export" ;;
esac
