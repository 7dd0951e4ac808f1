#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: boot the dev kernel once and run tests/bench/run.sh, every fio
# job against every target (tests/bench/jobs.sh, tests/bench/targets.sh) on
# one virtio disk, then compute the report on the host (scripts/bench.py).
#
# Environment:
#   BENCH_QUICK=1      smoke test of the harness: 1 repetition of 1 s, 32 MiB
#                      (and BENCH_BIG=64M BENCH_EXTENTS=2000)
#   BENCH_REPS=5 BENCH_RUNTIME=5 BENCH_RAMP=0 BENCH_SIZE=256M
#   BENCH_JOBS=a,b     BENCH_TARGETS=a,b   (default: all)
#   BENCH_PROFILE=JOB:TARGET,...  perf profiles after the measured runs
#   BENCH_PROFILE_HZ=499  their sampling rate (perf record -F)
#   BENCH_CACHE=unsafe qemu cache mode of the bench disk
#   BENCH_SMP=2        guest vCPUs
#   BENCH_OUT=DIR      default results/bench-<date>
#   BENCH_README=1     put the new table into README.md
#   BENCH_FAMFS=0      skip the famfs jobs (tests/bench/famfs.sh)
#   BENCH_APPS=0       skip the application workloads (tests/bench/apps.sh)
#   BENCH_BIG=4G BENCH_EXTENTS=100000  the files of the -4g and -100kext
#                      jobs (tests/bench/layouts.sh)
#   BENCH_TIMEOUT      of the VM run: 3600 s, more for those files
#   BENCH_KERNEL=stock Debian's stock kernel of our source version (no
#                      lockdep, kmemleak or other debug options) with the
#                      coexisting fuseiomap.ko beside its built-in FUSE,
#                      instead of the dev kernel and our fuse.ko
#   BENCH_ICOUNT=1     qemu -icount shift=0,sleep=off,align=off: the guest
#                      clock counts emulated instructions (1 ns each), so
#                      times measure work, not the host; single-threaded
#                      TCG (the vCPUs take turns); see bench.rst
. "$(dirname "$0")/lib.sh"

default_profile=randread-4k-qd1-direct:iomap,randread-4k-qd1-direct:ext4
default_profile+=,seqread-1m-direct:iomap,seqread-1m-direct:ext4
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	reps=${BENCH_REPS:-1} runtime=${BENCH_RUNTIME:-1} size=${BENCH_SIZE:-32M}
	profile=${BENCH_PROFILE-randread-4k-qd1-direct:iomap}
else
	reps=${BENCH_REPS:-5} runtime=${BENCH_RUNTIME:-5} size=${BENCH_SIZE:-256M}
	profile=${BENCH_PROFILE-$default_profile}
fi
ramp=${BENCH_RAMP:-0}
cache=${BENCH_CACHE:-unsafe}
smp=${BENCH_SMP:-2}
stamp=$(date +%Y%m%d-%H%M%S)
out=${BENCH_OUT:-$TOP/results/bench-$stamp}

stock= kname="the dev kernel"
if [ "${BENCH_KERNEL:-dev}" = stock ]; then
	stock=$(stock_kver)
	kernel=/boot/vmlinuz-$stock kname=$stock
	[ -r "$kernel" ] || die "no $kernel; run scripts/setup.sh"
	[ -e "${COEXIST_KO:-$BUILD/coexist/fs/fuse/fuseiomap.ko}" ] ||
		die "no fuseiomap.ko; run scripts/coexist.sh build"
else
	kdir=$(devkernel_dir)
	[ -e "$kdir/.built" ] || die "no dev kernel; run 'make kernel'"
	kernel=$kdir/arch/x86/boot/bzImage
fi
dir=$BUILD/bench
rm -rf "$dir"
mkdir -p "$dir/raw"

# One partition per line of the target table, each half as big again as
# the fio file plus room for the filesystems' metadata, the files of the
# -Nfiles jobs (4 x 32 MiB, tests/bench/jobs.sh), and the application
# workloads' files (a source tree: 12.6 MB in 542 files).
ntargets=$(grep -cE '^[A-Za-z0-9_.-]+\|' "$TOP/tests/bench/targets.sh")
size_mib=$(numfmt --from=iec "$size" | awk '{ printf "%d", $1 / 1048576 }')
part_mib=$(( size_mib * 3 / 2 + 64 + 4 * 32 ))
[ "${BENCH_APPS:-1}" = 0 ] || part_mib=$(( part_mib + 128 ))
# The files of tests/bench/layouts.sh that a selected job works on: the
# big file, and the fragmented one, whose filler takes twice its blocks
# (and 2,000 more) while it is made, and then all the rest, transiently.
# BENCH_QUICK=1 makes them small (64 MiB, 2,000 extents), so that the
# smoke test stays one; set BENCH_BIG and BENCH_EXTENTS for the real ones.
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	big=${BENCH_BIG:-64M} extents=${BENCH_EXTENTS:-2000}
else
	big=${BENCH_BIG:-4G} extents=${BENCH_EXTENTS:-100000}
fi
layout_used() {
	local j
	for j in $(grep -E "^[A-Za-z0-9_.-]+\|.*--bench_file=$1( |\$)" \
		"$TOP/tests/bench/jobs.sh" | cut -d'|' -f1); do
		[ -z "${BENCH_JOBS:-}" ] && return 0
		case ",$BENCH_JOBS," in *",$j,"*) return 0 ;; esac
	done
	return 1
}
# Laying them out takes minutes per target under TCG (the fragmented file
# 3 on ext4, 19 on iomap on 2026-12-07): more time.
timeout=${BENCH_TIMEOUT:-3600}
if layout_used big; then
	part_mib=$(( part_mib + $(numfmt --from=iec "$big") / 1048576 + 64 ))
	timeout=${BENCH_TIMEOUT:-$(( timeout + 1200 ))}
fi
if layout_used frag; then
	part_mib=$(( part_mib + (extents + 1000) * 8 / 1024 + 64 ))
	timeout=${BENCH_TIMEOUT:-$(( timeout + 1800 * ntargets ))}
fi
python3 "$TOP/scripts/bench.py" mkdisk "$dir/disk.img" "$ntargets" "$part_mib"
truncate -s 256M "$dir/results.img"
"$TOP/scripts/initramfs.sh" --bench ${stock:+--stock "$stock"} \
	"$dir/initramfs.cpio"

append="console=ttyS0 printk.time=1 panic=-1 oops=panic hung_task_panic=1"
# A loaded host can stall a TCG vCPU for longer than the default 20 s.
append+=" watchdog_thresh=60"
# The famfs jobs run in the same boot, after the others, on /dev/pmem0.
tests=bench/run
[ "${BENCH_FAMFS:-1}" = 1 ] && tests+=,bench/famfs
append+=" memmap=256M!2G fi.tests=$tests fi.fuse=enable_iomap=1"
append+=" fi.bench.reps=$reps fi.bench.runtime=$runtime fi.bench.ramp=$ramp"
append+=" fi.bench.size=$size fi.bench.big=$big fi.bench.extents=$extents"
[ -n "${BENCH_JOBS:-}" ] && append+=" fi.bench.jobs=$BENCH_JOBS"
[ -n "${BENCH_TARGETS:-}" ] && append+=" fi.bench.targets=$BENCH_TARGETS"
[ -n "$profile" ] && append+=" fi.bench.profile=$profile"
[ -n "${BENCH_PROFILE_HZ:-}" ] && append+=" fi.bench.profile_hz=$BENCH_PROFILE_HZ"
[ "${BENCH_APPS:-1}" = 0 ] && append+=" fi.bench.apps=0"
[ -n "$stock" ] && append+=" fi.coexist=1"
accel=TCG icount=()
if [ "${BENCH_ICOUNT:-0}" = 1 ]; then
	# shellcheck disable=SC2054 # one option, its value has commas
	icount=(-icount shift=0,sleep=off,align=off)
	accel="TCG, -icount shift=0,sleep=off,align=off"
fi

logf=$dir/console.log
log "booting $kname (TCG): $ntargets targets, $reps x ${runtime}s," \
	"$size; console in $logf"
start=$(date +%s)
set +e
timeout "$timeout" qemu-system-x86_64 -accel tcg "${icount[@]}" \
	-smp "$smp" -m 4G \
	-nographic -no-reboot -monitor none -serial stdio \
	-kernel "$kernel" -initrd "$dir/initramfs.cpio" \
	-append "$append" \
	-drive file="$dir/disk.img",if=virtio,format=raw,cache=$cache \
	-drive file="$dir/results.img",if=virtio,format=raw,cache=unsafe \
	</dev/null 2>&1 | tee "$logf" | sed -u -n 's/\r$//; /^# bench: /p' >&2
wall=$(( $(date +%s) - start ))
log "qemu exited after ${wall}s"
"$TOP/scripts/vm-verdict.sh" "$logf"
verdict=$?
set -e

tar -xf "$dir/results.img" -C "$dir/raw" 2>/dev/null ||
	die "no results on the results disk; see $logf"
mkdir -p "$out"
cp "$logf" "$out/console.log"
rc=0
python3 "$TOP/scripts/bench.py" report "$dir/raw" "$out" \
	"date=$(date -u '+%Y-%m-%d %H:%M UTC')" \
	"accel=$accel" \
	"qemu=$(qemu-system-x86_64 --version | head -1)" \
	"host_cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1) ($(nproc) CPUs)" \
	"disk=virtio-blk, raw image, cache=$cache, $ntargets GPT partitions of $part_mib MiB" \
	"wall=$(( wall / 60 )) min $(( wall % 60 )) s for the whole VM run" || rc=$?
cp -r "$dir/raw/profile" "$out/" 2>/dev/null || :
cp "$dir/raw/dmesg.txt" "$dir/raw/env.txt" "$out/"
tar -czf "$out/raw.tar.gz" -C "$dir/raw" .
if [ "${BENCH_README:-0}" = 1 ]; then
	python3 "$TOP/scripts/bench.py" readme "$out/readme.md" "$TOP/README.md"
fi
cat "$out/readme.md"
sed -n 's/\r$//; s/^# famfs-bench: //p' "$logf" > "$out/famfs.md"
if [ -s "$out/famfs.md" ]; then
	echo
	cat "$out/famfs.md"
else
	rm -f "$out/famfs.md"
fi
log "results in $out (summary.md, results.json, ratios.png)"
[ "$verdict" = 0 ] && [ "$rc" = 0 ]
