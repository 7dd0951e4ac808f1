#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fusetd in classic mode: directory trees, renames, hard and symbolic links,
# special files, a 200-entry directory, the namespace error codes, and all
# of it unchanged after restarting the daemon.
. "$(dirname "$0")/lib.sh"

M=$T_MNT

umount_on_exit "$T_TMP/$T_NAME.*"

# A NAME of N bytes: name N
name() { head -c "$1" /dev/zero | tr '\0' n; }

# Everything about the tree: names, types, sizes, links, modes, owners,
# inode numbers, mtimes, file contents and symlink targets.
manifest() {
	(cd "$M" && find . | sort | while read -r p; do
		stat -c '%n %F %s %h %a %u %g %i %Y' "$p"
		if [ -L "$p" ]; then
			readlink "$p"
		elif [ -f "$p" ]; then
			md5sum < "$p"
		fi
	done)
}

[ -b "$T_DISK1" ] || size="-s 64M"
t_mkfs $size
require "mount" fs_mount

check "mkdir -p of a tree" mkdir -p "$M/a/b/c/d" "$M/x/y"
check "tree exists" test -d "$M/a/b/c/d"
check_eq "root link count" 4 "$(stat -c %h "$M")"
echo one > "$M/a/b/f1"
echo two > "$M/a/b/f2"

check "rename within a directory" mv "$M/a/b/f1" "$M/a/b/g1"
check "old name is gone" test ! -e "$M/a/b/f1"
check_eq "renamed file content" one "$(cat "$M/a/b/g1")"
check "rename across directories" mv "$M/a/b/g1" "$M/x/g1"
check_eq "moved file content" one "$(cat "$M/x/g1")"
check "rename over an existing file" mv "$M/a/b/f2" "$M/x/g1"
check_eq "replaced file content" two "$(cat "$M/x/g1")"
check "replacing name is gone" test ! -e "$M/a/b/f2"

check_eq "parent link count before moving a subdirectory" 3 \
	"$(stat -c %h "$M/a/b")"
check "rename a directory across directories" mv "$M/a/b/c" "$M/x/c"
check "moved subtree is complete" test -d "$M/x/c/d"
check_eq "old parent link count" 2 "$(stat -c %h "$M/a/b")"
check_eq "new parent link count" 4 "$(stat -c %h "$M/x")"
mkdir "$M/x/empty"
check "rename a directory over an empty one" mv -T "$M/x/y" "$M/x/empty"
check "replacing directory is gone" test ! -e "$M/x/y"
check_eq "link count after replacing a directory" 4 "$(stat -c %h "$M/x")"
check_fails "rename a directory over a non-empty one" "Directory not empty" \
	mv -T "$M/x/empty" "$M/a"

echo data > "$M/x/h"
check "hard link in another directory" ln "$M/x/h" "$M/a/h2"
check "hard link in the root" ln "$M/x/h" "$M/h3"
check_eq "link count of 3 names" 3 "$(stat -c %h "$M/x/h")"
check_eq "links share the inode" "$(stat -c %i "$M/x/h")" "$(stat -c %i "$M/h3")"
check "unlink one name" rm "$M/a/h2"
check_eq "link count after unlink" 2 "$(stat -c %h "$M/h3")"
check_eq "content through the other link" data "$(cat "$M/h3")"

check "symlink" ln -s ../x/g1 "$M/a/s1"
check_eq "readlink" ../x/g1 "$(readlink "$M/a/s1")"
check_eq "read through the symlink" two "$(cat "$M/a/s1")"
long=$(name 3000)
check "symlink with a 3000-byte target" ln -s "$long" "$M/long"
check_eq "readlink of the long target" "$long" "$(readlink "$M/long")"
check "fifo" mkfifo "$M/fifo"
check_eq "fifo type" fifo "$(stat -c %F "$M/fifo")"
check "character device node" mknod "$M/null" c 1 3
check_eq "device node type and number" "character special file 1,3" \
	"$(stat -c '%F %t,%T' "$M/null")"

mkdir "$M/big"
for i in $(seq 1 200); do : > "$M/big/file$i"; done
ls "$M/big" | sort > "$T_TMP/$T_NAME.got"
seq 1 200 | sed 's/^/file/' | sort > "$T_TMP/$T_NAME.want"
check "readdir lists the 200 files created" \
	cmp "$T_TMP/$T_NAME.want" "$T_TMP/$T_NAME.got"
for i in $(seq 1 2 200); do rm "$M/big/file$i"; done
ls "$M/big" | sort > "$T_TMP/$T_NAME.got"
seq 2 2 200 | sed 's/^/file/' | sort > "$T_TMP/$T_NAME.want"
check "readdir after removing every other file" \
	cmp "$T_TMP/$T_NAME.want" "$T_TMP/$T_NAME.got"

check_fails "rmdir of a non-empty directory" "Directory not empty" rmdir "$M/x"
check_fails "mkdir of an existing name" "File exists" mkdir "$M/x"
check_fails "open of a missing file" "No such file or directory" cat "$M/nope"
check_fails "mkdir below a file" "Not a directory" mkdir "$M/h3/sub"
check_fails "name of 256 bytes" "File name too long" touch "$M/$(name 256)"
check "name of 255 bytes" touch "$M/$(name 255)"

check "rm -r of a directory" rm -r "$M/big"
check "rmdir of an empty directory" rmdir "$M/x/c/d"
check "removed entries are gone" test ! -e "$M/big" -a ! -e "$M/x/c/d"

manifest > "$T_TMP/$T_NAME.before"
check "umount" umount "$T_MNT"
require "mount with a new daemon" fs_mount
manifest > "$T_TMP/$T_NAME.after"
check "namespace identical after restarting the daemon" \
	cmp "$T_TMP/$T_NAME.before" "$T_TMP/$T_NAME.after"
check "create after the restart" mkdir "$M/a/new"
check "unlink after the restart" rm "$M/h3"
manifest > "$T_TMP/$T_NAME.before"
check "umount again" umount "$T_MNT"
require "mount a third time" fs_mount
manifest > "$T_TMP/$T_NAME.after"
check "changes made after a restart persist" \
	cmp "$T_TMP/$T_NAME.before" "$T_TMP/$T_NAME.after"
check "final umount" umount "$T_MNT"
check "fusetd fsck finds the image clean" "$FUSETD" fsck "$T_DISK1"
t_done
