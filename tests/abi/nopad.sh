#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# nopad.sh IN OUT [STRUCT.FIELD...]: copy the header IN to OUT without the
# named members; "all" or none names every explicit padding field of
# fuse_iomap.h, each a member that x86-64 would put back by itself as
# implicit padding (so its 64-bit layout does not change), but i386, which
# aligns uint64_t to 4 bytes, would not.  That is the header as it would
# be if it relied on the compiler: tests/abi/selftest.sh shows that the
# -m32 check fails on it, and "make tests BIN32_NOPAD=..." builds
# the 32-bit test server against it (Documentation/dev/testing.rst).
ALL="fuse_iomap_config_in.zero fuse_iomap_config_out.s_pad
fuse_iomap_config_out.padding fuse_iomap_ioend_in.pad
fuse_iomap_dev_inval_out.reserved fuse_famfs_fmap_header.reserved
fuse_famfs_fmap_header.reserved0 fuse_famfs_simple_ext.reserved
fuse_daxdev_out.reserved2"

[ $# -ge 2 ] || { echo "usage: nopad.sh IN OUT [STRUCT.FIELD...|all]" >&2; exit 2; }
in=$1 out=$2
shift 2
fields=$*
[ -z "$fields" ] || [ "$fields" = all ] && fields=$ALL
awk -v fields="$fields" '
BEGIN { n = split(fields, f, " "); for (i = 1; i <= n; i++) drop[f[i]] = 1 }
/^struct [a-z0-9_]+ \{/ { cur = $2 }
/^\};/ { cur = "" }
cur != "" && match($0, /[A-Za-z0-9_]+(\[[0-9]+\])?;/) {
	name = substr($0, RSTART, RLENGTH)
	sub(/\[.*/, "", name); sub(/;$/, "", name)
	if ((cur "." name) in drop) { done[cur "." name] = 1; next }
}
{ print }
END {
	for (k in drop)
		if (!(k in done)) { print "nopad.sh: no member " k > "/dev/stderr"; bad = 1 }
	exit bad
}' "$in" > "$out" || { rm -f "$out"; exit 1; }
