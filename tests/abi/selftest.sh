#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Self-test of the ABI check (tests/abi): the header as it is passes with
# -m32 and -m64, and every way of getting the i386 layout wrong is caught.
# A header that relies on implicit padding (nopad.sh) still passes the
# layout asserts with -m64, which is why tests that only ever ran 64-bit
# never saw it; -m32 must fail on each structure that changes there, and
# -Wpadded must fail on -m64 too.
#   UAPI_INC=DIR selftest.sh  (the assembled tree's include/uapi)
cd "$(dirname "$0")" || exit 1
UAPI_INC=${UAPI_INC:-../../build/tree/include/uapi}
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
pass=0 fail=0
ok() { if "$@"; then pass=$((pass + 1)); echo "ok - $desc"; else fail=$((fail + 1)); echo "not ok - $desc"; fi; }
# build NAME [MAKE-VARIABLE...]: the check into $d/NAME, its output in $d/NAME.log
build() {
	_n=$1; shift
	make -k O="$d/$_n" UAPI_INC="${inc:-$UAPI_INC}" "$@" > "$d/$_n.log" 2>&1
}
built() { test -e "$d/$1/.abi-build/abi-$2.o"; }
says() { grep -q "$2" "$d/$1.log" || { echo "# no '$2' in $1:"; sed 's/^/#   /' "$d/$1.log" | tail -20; false; }; }

desc="the header passes with -m32 and -m64, -Wpadded"
build good; ok sh -c "test -e $d/good/.abi-build/abi-m32.o && test -e $d/good/.abi-build/abi-m64.o"

build nopad ABI_NOPAD=all WPADDED=
desc="without its explicit padding, the layout asserts pass with -m64"
ok built nopad m64
desc="... and fail with -m32"
ok sh -c "! test -e $d/nopad/.abi-build/abi-m32.o"
for s in fuse_iomap_config_in fuse_iomap_config_out fuse_iomap_ioend_in \
	 fuse_iomap_dev_inval_out fuse_famfs_fmap_header \
	 fuse_famfs_simple_ext fuse_daxdev_out; do
	desc="-m32 reports the size of struct $s"
	ok says nopad "static assertion failed: \"sizeof(struct $s) is not"
done
desc="-m32 reports the field offsets that move on i386"
ok says nopad 'fuse_famfs_simple_ext.se_offset is not at 8'

# The header before config_out had its explicit tail padding: 100 bytes
# on i386, 104 (4 bytes of implicit tail padding) on x86-64.
build tail ABI_NOPAD=fuse_iomap_config_out.padding WPADDED=
desc="config_out without its tail padding: -m64 layout asserts pass"
ok built tail m64
desc="... -m32 fails on its size"
ok says tail 'sizeof(struct fuse_iomap_config_out) is not 104'
build tailpad ABI_NOPAD=fuse_iomap_config_out.padding
desc="... and -Wpadded fails on -m64 too"
ok sh -c "! test -e $d/tailpad/.abi-build/abi-m64.o && grep -q 'padding struct size to alignment boundary' $d/tailpad.log"

# An ioctl whose argument changed size changes its number.
mkdir -p "$d/ioc/linux"
cp "$UAPI_INC"/linux/fuse*.h "$d/ioc/linux/"
sed -i 's/\(FUSE_DEV_IOC_SET_NOFS.*\)uint32_t)/\1unsigned long)/' \
	"$d/ioc/linux/fuse_iomap.h"
inc=$d/ioc build ioc
desc="an ioctl argument of 'unsigned long': -m64 fails on the number"
ok says ioc 'FUSE_DEV_IOC_SET_NOFS is not'
desc="... -m32 passes (4 bytes there): only both builds see both"
ok built ioc m32

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
