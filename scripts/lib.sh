# SPDX-License-Identifier: GPL-2.0
# Common settings for the fuse-iomap scripts; sourced, not run.
#
# Everything expensive (the extracted kernel source, the dev kernel, the UML
# kernel) lives in a cache outside the clone, keyed by the Debian source
# package version and by a hash of the configuration that went into it.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${FUSE_IOMAP_CACHE:-/var/cache/fuse-iomap}
SRC_PKG=linux-source-6.12
SRC_TAR=/usr/src/linux-source-6.12.tar.xz
BUILD=${BUILD:-$TOP/build}
JOBS=${JOBS:-$(nproc)}

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Debian version of the source package, e.g. 6.12.117-1~deb12u1.
src_version() {
	dpkg-query -W -f='${Version}' "$SRC_PKG" 2>/dev/null ||
		die "$SRC_PKG is not installed (run scripts/setup.sh)"
}

# Extract the whole source once per package version; prints its path.
kernel_src() {
	local ver dir
	ver=$(src_version)
	dir=$CACHE/src-$ver
	if [ ! -e "$dir/.extracted" ]; then
		[ -f "$SRC_TAR" ] || die "$SRC_TAR missing (run scripts/setup.sh)"
		log "extracting $SRC_TAR into $dir"
		rm -rf "$dir"
		mkdir -p "$dir"
		tar -xf "$SRC_TAR" -C "$dir"
		touch "$dir/.extracted"
	fi
	echo "$dir/linux-source-6.12"
}

# The files the patch series creates, one per line (fs/fuse/patches/series:
# "NAME [CREATED...]" lines; scripts/series.sh).
series_created() {
	grep -Ev '^[[:space:]]*(#|$)' "$TOP/fs/fuse/patches/series" |
		cut -s -d' ' -f2- | tr ' ' '\n' | grep .
}

# patch_filter LIST: the mail on stdin without the diff sections of the
# files LIST names (fs/fuse/patches: the files the series creates).
patch_filter() {
	awk -v list="$1" '
		BEGIN { while ((getline f < list) > 0) skip["a/" f] = 1 }
		/^diff --git / { drop = ($3 in skip) }
		!drop { print }'
}

# Short hash of files (and extra words) that define a cached build.
cfg_hash() {
	cat "$@" | sha256sum | cut -c1-12
}

# The UML gcov build's fixes (scripts/kunit.sh): a compiler flag, and an
# edit of its linker scripts.
UML_GCOV_KCFLAGS=-Dmangle_path=kernel_mangle_path
UML_GCOV_LDS_FIX='s/\*(\.fini_array)/*(SORT(.fini_array.*)) &/'
# Build directory of the UML kernel that runs the KUnit suites, keyed by
# source version and kunitconfig; KUNIT_GCOV=1: the gcov build of make
# coverage, keyed by both its fragments so that it never replaces the
# plain one.
uml_dir() {
	local k=$TOP/tests/kunit
	if [ "${KUNIT_GCOV:-}" = 1 ]; then
		echo "$CACHE/uml-gcov-$(src_version)-$(cfg_hash "$k/.kunitconfig" \
			"$k/coverage.kunitconfig" \
			<(echo "$UML_GCOV_KCFLAGS $UML_GCOV_LDS_FIX"))"
	else
		echo "$CACHE/uml-$(src_version)-$(cfg_hash "$k/.kunitconfig")"
	fi
}

# The dev kernel comes in two variants; FI_KERNEL picks one (make ... SAN=1
# sets it to san):
#   dev  tinyconfig + devkernel.config: lockdep, kmemleak and the other
#        debug options (make vmtest, bench, soak and fuzz by default)
#   san  the same + sankernel.config: KASAN, UBSAN and KFENCE besides
#        (make check runs the VM suite on it)
FI_KERNEL=${FI_KERNEL:-dev}
case "$FI_KERNEL" in dev|san) ;; *) die "FI_KERNEL=$FI_KERNEL: dev or san" ;; esac
export FI_KERNEL

# The config fragments of the selected variant, in merge order.
kernel_fragments() {
	echo "$TOP/scripts/devkernel.config"
	[ "$FI_KERNEL" = dev ] || echo "$TOP/scripts/sankernel.config"
}

# Output directory of the selected dev kernel variant for the current
# source and fragments.
devkernel_dir() {
	local name=kernel
	[ "$FI_KERNEL" = dev ] || name=kernel-$FI_KERNEL
	# shellcheck disable=SC2046
	echo "$CACHE/$name-$(src_version)-$(cfg_hash $(kernel_fragments))"
}

# make check's VM runs.  KASAN and lockdep together make the sanitizer
# kernel about six times as slow as the dev kernel under TCG, too slow for
# the whole suite in CI's 90 minutes, so it runs the tests where a server
# controls the most (the privilege boundaries, the hostile server, fsx on
# iomap and famfs files, the notification flood, famfs and its bad
# input), with SAN_ENV's smaller sizes; the dev kernel runs all the other
# tests (DEV_TESTS), and Debian's stock kernel all of them at full size.
# The sanitizer kernel has every debug option of the dev kernel, so no
# test loses lockdep or kmemleak.
SAN_TESTS=13-privilege,70-hostile-server,36-iomap-fsx,63-iomap-bounds
SAN_TESTS+=,40-famfs-io,41-famfs-bad,42-famfs-fsx
SAN_ENV="--env FSX_OPS=1000 --env FLOOD_NOTIFICATIONS=20000"
# (the famfs seed needs its 10,000 to reach every GET_DAXDEV check)
SAN_ENV+=" --env HOSTILE_MESSAGES=1000 --env HOSTILE_FAMFS_MESSAGES=10000"
# (a seed's time limit is the clock's: the sanitizers are slower)
SAN_ENV+=" --env HOSTILE_LIMIT=900"
DEV_TESTS=$(cd "$TOP/tests/vm" && ls [0-9]*.sh | sed 's/\.sh$//' |
	grep -vxF "$(echo "$SAN_TESTS" | tr , '\n')" | paste -sd,)

# The VM tests run on Debian's stock kernel (vm.sh --stock) by make check
# and make vmtest-stock: every one but 10-module-cycles, which cycles
# fuse.ko and cuse.ko (16 cycles fuseiomap.ko; 17 skips itself there).
# Without the dev kernel's debug options they run about three times as
# fast (390 s against 1,154 s on 2026-12-06).
STOCK_TESTS=$(cd "$TOP/tests/vm" && ls [0-9]*.sh | sed 's/\.sh$//' |
	grep -v '^10-module-cycles$' | paste -sd,)
STOCK_ENV=
print_stock_tests() { echo "$STOCK_TESTS"; }
print_stock_env() { echo "$STOCK_ENV"; }

# Release of Debian's stock kernel built from our source version, e.g.
# 6.12.118+deb12-amd64 for 6.12.118-1~deb12u1 (STOCK_KVER overrides).
stock_kver() {
	local ver p
	if [ -n "${STOCK_KVER:-}" ]; then echo "$STOCK_KVER"; return; fi
	ver=$(src_version)
	for p in $(apt-cache pkgnames linux-headers-6.12. |
		   grep -E '^linux-headers-6\.12\.[0-9]+\+deb[0-9]+-amd64$' | sort); do
		if [ "$(apt-cache show --no-all-versions "$p" 2>/dev/null |
			sed -n 's/^Version: //p' | head -1)" = "$ver" ]; then
			echo "${p#linux-headers-}"
			return
		fi
	done
	die "no Debian kernel of source version $ver (linux-headers-*-amd64)"
}

# Build directory of the stock kernel's headers (linux-headers-<kver>).
stock_kdir() {
	local d=/usr/src/linux-headers-$(stock_kver)
	[ -e "$d/Module.symvers" ] || die "$d missing (run scripts/setup.sh)"
	echo "$d"
}
