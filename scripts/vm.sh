#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot the dev kernel under qemu (TCG) with our modules and run VM tests.
#
#   vm.sh [--tests all|NAME,...] [--fuse "param=val ..."] [--timeout SEC]
#         [--env NAME=VALUE]...   (exported to the guest's tests)
#         [--memmap "SIZE!START ..."]  (emulated pmem regions, one
#                                       /dev/pmemN each; default three, see below)
#         [--share-ram FILE]  (guest memory, pmem included, is FILE,
#                              mapped shared: a later boot with the same
#                              FILE finds the pmem as this one left it)
#         [--stock]  (boot Debian's stock kernel of our source version,
#                     /boot/vmlinuz-<kver> from linux-image-<kver>, which
#                     builds FUSE in, and load the coexisting fuseiomap.ko
#                     beside it; scripts/coexist.sh builds that module,
#                     COEXIST_KO=PATH names another build of it)
#         [--gcov DIR]  (make coverage: fuse.ko is built with GCOV_PROFILE;
#                        the guest writes its gcov counters to a fourth
#                        disk, unpacked into DIR after qemu exits)
#
# FUSE_KO_DIR names the directory of the fuse.ko, cuse.ko and virtiofs.ko
# to load (default $BUILD/tree/fs/fuse, where "make modules" builds them).
# fuse.ko (or fuseiomap.ko) is loaded with enable_iomap=1 unless --fuse
# says otherwise.
#
# Prints the guest's TAP block and "N passed, N failed"; exits non-zero on
# any failed test, a guest that did not finish, or any kernel splat (oops,
# WARN, BUG, lockdep, kmemleak, KASAN, hung task) in the guest log.
. "$(dirname "$0")/lib.sh"

VIRTIOFSD=${VIRTIOFSD:-/usr/lib/qemu/virtiofsd}
tests=all fuse=${VM_FUSE_PARAMS-enable_iomap=1} timeout=${VM_TIMEOUT:-3600} env=
# pmem0 for the famfs tests, pmem1 a second famfs device until test 48
# makes it a devdax instance with 4 KiB pages, pmem2 one with 2 MiB pages
memmap=${VM_MEMMAP:-256M!2G 256M!4G 256M!4608M}
share_ram= stock= gcov=
kodir=${FUSE_KO_DIR:-$BUILD/tree/fs/fuse}
export FUSE_KO_DIR=$kodir
while [ $# -gt 0 ]; do
	case "$1" in
	--tests) tests=$2; shift 2 ;;
	--fuse) fuse=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--env) env+=" $2"; shift 2 ;;
	--memmap) memmap=$2; shift 2 ;;
	--share-ram) share_ram=$2; shift 2 ;;
	--stock) stock=$(stock_kver); shift ;;
	--gcov) gcov=$2; shift 2 ;;
	*) die "unknown option $1" ;;
	esac
done

mkdir -p "$BUILD/vm"
if [ -n "$stock" ]; then
	kernel=/boot/vmlinuz-$stock
	[ -r "$kernel" ] || die "no $kernel; run scripts/setup.sh"
	[ -e "${COEXIST_KO:-$BUILD/coexist/fs/fuse/fuseiomap.ko}" ] ||
		die "no fuseiomap.ko; run scripts/coexist.sh"
	"$TOP/scripts/initramfs.sh" --stock "$stock" "$BUILD/vm/initramfs.cpio"
else
	kdir=$(devkernel_dir)
	san=; [ "$FI_KERNEL" = san ] && san=" SAN=1"
	[ -e "$kdir/.built" ] || die "no $FI_KERNEL kernel; run 'make kernel$san'"
	kernel=$kdir/arch/x86/boot/bzImage
	# fuse.ko must have been built against this variant (make modules
	# with the same SAN=): its release string tells.
	rel=$(cat "$kdir/include/config/kernel.release")
	vm=$(modinfo -F vermagic "$kodir/fuse.ko" 2>/dev/null || true)
	[ "${vm%% *}" = "$rel" ] ||
		die "fuse.ko is built for '${vm%% *}', not $rel; run 'make modules$san'"
	"$TOP/scripts/initramfs.sh" "$BUILD/vm/initramfs.cpio"
fi

# Fresh scratch disks every run; the third is large, sparse, and for tests
# that need room for metadata rather than data.
for d in disk1:512M disk2:512M disk3:8G; do
	rm -f "$BUILD/vm/${d%:*}.img"
	truncate -s "${d#*:}" "$BUILD/vm/${d%:*}.img"
done

logf=$BUILD/vm/console.log
# A hung task is reported (its stack and the locks held), not a panic: the
# run goes on, and vm-verdict.sh fails it on the report.
append="console=ttyS0 printk.time=1 panic=-1 oops=panic"
# TCG on a loaded host stalls vCPUs for seconds: report only long lockups
# (and RCU stalls: early boot's stop_machine() tripped the 21 s default
# with two VMs on two host cores), and tasks blocked for longer than the
# kernel's default 120 s (the dev kernel's 60 s is meant for KVM speed).
append+=" watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=60"
append+=" sysctl.kernel.hung_task_timeout_secs=120"
# PCI interrupts without ACPI: the sanitizer kernel under TCG on a loaded
# host ran into ACPICA's 30 s loop timeout evaluating qemu's _PRT for
# every device (half a minute each); virtio uses MSI-X anyway.
append+=" acpi=noirq"
for m in $memmap; do append+=" memmap=$m"; done
# Keep our slab caches visible in /proc/slabinfo (tests read them).
append+=" slab_nomerge"
append+=" fi.tests=$tests"
[ -n "$stock" ] && append+=" fi.coexist=1"
# The counters of a gcov run leave the guest on a disk of their own, in
# the last PCI slot, so that it is enumerated after the scratch disks
# (the -drive if=virtio disks are placed after the -device ones).
gdisk=()
if [ -n "$gcov" ]; then
	[ -z "$stock" ] || die "--gcov: only our fuse.ko on the dev kernel"
	rm -f "$BUILD/vm/gcov.img"
	truncate -s 64M "$BUILD/vm/gcov.img"
	gdisk=(-drive "file=$BUILD/vm/gcov.img,if=none,id=gcov,format=raw"
	       -device "virtio-blk-pci,drive=gcov,serial=gcov,addr=0x1e")
	append+=" fi.gcov=1"
fi
[ -n "$fuse" ] && append+=" fi.fuse=${fuse// /,}"
for e in $env; do append+=" fi.env.$e"; done

# Memory shared with other boots: two hosts on one memory device, in turn.
ram=()
if [ -n "$share_ram" ]; then
	[ -e "$share_ram" ] || truncate -s 4G "$share_ram"
	ram=(-object "memory-backend-file,id=ram0,size=4G,mem-path=$share_ram,share=on"
	     -machine "pc,memory-backend=ram0")
fi

# virtiofs (test 17) on the dev kernel: Debian's virtiofsd (qemu 7.2's,
# no DAX window) exports a fresh directory holding two files of known
# content; vhost-user needs the guest memory shared with it.
vfs=()
vfsd_pid=
vfs_fail=
case ",$tests," in *,all,*|*,17-virtiofs,*) want_vfs=1 ;; *) want_vfs= ;; esac
if [ -n "$want_vfs" ] && [ -z "$share_ram" ] && [ -z "$stock" ] &&
   [ -x "$VIRTIOFSD" ] && [ -e "$kodir/virtiofs.ko" ]; then
	share=$BUILD/vm/virtiofs
	rm -rf "$share" "$BUILD/vm/virtiofs.sock"
	mkdir -p "$share"
	"$BUILD/tests/bin/fileverify" write "$share/host1" 1048576 11
	"$BUILD/tests/bin/fileverify" write "$share/host2" 4097 12
	"$VIRTIOFSD" --socket-path="$BUILD/vm/virtiofs.sock" \
		-o source="$share" -o sandbox=chroot -o cache=auto -f \
		>"$BUILD/vm/virtiofsd.log" 2>&1 &
	vfsd_pid=$!
	n=0
	while [ ! -S "$BUILD/vm/virtiofs.sock" ] && [ $n -lt 50 ]; do
		sleep 0.1; n=$((n + 1))
	done
	if [ -S "$BUILD/vm/virtiofs.sock" ]; then
		vfs=(-chardev "socket,id=vfs,path=$BUILD/vm/virtiofs.sock"
		     -device "vhost-user-fs-pci,chardev=vfs,tag=fishare"
		     -object "memory-backend-memfd,id=ram0,size=4G,share=on"
		     -machine "pc,memory-backend=ram0")
		append+=" fi.env.VIRTIOFS_TAG=fishare"
	else
		# the rest of the suite runs; test 17 fails here instead
		log "virtiofsd did not start: $(tail -1 "$BUILD/vm/virtiofsd.log")"
		kill "$vfsd_pid" 2>/dev/null || true
		vfsd_pid=
		vfs_fail="not ok - 17-virtiofs: virtiofsd started (see $BUILD/vm/virtiofsd.log)"
	fi
fi

log "booting ${stock:-the $FI_KERNEL kernel} (TCG), tests: $tests; console in $logf"
start=$(date +%s)
timeout "$timeout" qemu-system-x86_64 -accel tcg -smp 2 -m 4G "${ram[@]}" "${vfs[@]}" \
	-nographic -no-reboot -monitor none -serial stdio \
	-kernel "$kernel" -initrd "$BUILD/vm/initramfs.cpio" \
	-append "$append" \
	-drive file="$BUILD/vm/disk1.img",if=virtio,format=raw,cache=unsafe \
	-drive file="$BUILD/vm/disk2.img",if=virtio,format=raw,cache=unsafe \
	-drive file="$BUILD/vm/disk3.img",if=virtio,format=raw,cache=unsafe \
	"${gdisk[@]}" </dev/null >"$logf" 2>&1
rc=$?
log "qemu exited $rc after $(( $(date +%s) - start ))s"
if [ -n "$gcov" ]; then
	rm -rf "$gcov"
	mkdir -p "$gcov"
	# an empty disk (the guest did not get that far) is no archive
	tar -xf "$BUILD/vm/gcov.img" -C "$gcov" 2>/dev/null ||
		log "no gcov data from the guest"
fi
# Checks made on the host after the guest, in TAP, for vm-verdict.sh.
hostchecks=$BUILD/vm/host-checks.tap
: > "$hostchecks"
[ -n "$vfs_fail" ] && echo "$vfs_fail" >> "$hostchecks"
if [ -n "$vfsd_pid" ]; then
	kill "$vfsd_pid" 2>/dev/null || true
	wait "$vfsd_pid" 2>/dev/null || true
	# test 17 moved its file there; a guest that did not run it left none
	if grep -aq '^ok - 17-virtiofs: the data is on the host' "$logf"; then
		if "$BUILD/tests/bin/fileverify" check "$share/d/e/moved" 3145728 13 \
			>/dev/null 2>&1; then
			echo "ok - 17-virtiofs: the host reads the guest's file" >> "$hostchecks"
		else
			echo "not ok - 17-virtiofs: the host reads the guest's file" >> "$hostchecks"
		fi
	fi
fi

# The demo's own output (listing, upcall counts) is worth showing.
if [ "$tests" = demo ]; then
	sed -n '/^# --- demo/,/^# demo took/p' "$logf" | tr -d '\r' |
		grep -v '^\[ *[0-9.]*\]'
fi
exec "$TOP/scripts/vm-verdict.sh" "$logf" "$hostchecks"
