#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the dev kernel (x86_64, tinyconfig + scripts/devkernel.config, and
# scripts/sankernel.config for FI_KERNEL=san) into the cache, unless a
# build for this source version and these fragments exists.
# Prints the build directory (usable as KDIR) on stdout.
. "$(dirname "$0")/lib.sh"

src=$(kernel_src)
out=$(devkernel_dir)

# One build per directory: a second caller waits for the first.
mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9
if [ -e "$out/.built" ]; then
	echo "$out"
	exit 0
fi

log "building the $FI_KERNEL kernel in $out (cold cache: ~20 minutes on 2 cores)"
frags=$(kernel_fragments)
mkdir -p "$out"
make -s -C "$src" O="$out" ARCH=x86_64 tinyconfig >/dev/null
# shellcheck disable=SC2086
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
	$frags >/dev/null
make -s -C "$src" O="$out" ARCH=x86_64 olddefconfig >/dev/null

# olddefconfig silently drops options whose dependencies are missing.
missing=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n) opt=${line%%=*}
		grep -q "^$opt=" "$out/.config" && { log "$opt should be off"; missing=1; } ;;
	CONFIG_*) grep -qx "$line" "$out/.config" || { log "config lost: $line"; missing=1; } ;;
	esac
done < <(cat $frags)
[ "$missing" = 0 ] || die "the dev kernel config is incomplete"

make -C "$src" O="$out" ARCH=x86_64 -j"$JOBS" bzImage modules >"$out/build.log" 2>&1 ||
	{ tail -40 "$out/build.log" >&2; die "dev kernel build failed"; }
# Module builds against this tree need Module.symvers and the scripts.
touch "$out/.built"
echo "$out"
