# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the VM test scripts (busybox ash compatible).
#
# Each tests/vm/NN-name.sh sources this file, runs its checks and exits.
# Every check prints one TAP-style line, "ok - <script>: <what>" or
# "not ok - <script>: <what>"; the guest runner numbers and counts them.
# A script that exits non-zero without having printed "not ok" is counted as
# one failure by the runner.
#
# Environment (set by the guest runner; defaults let a script run on a host
# whose kernel has FUSE, against image files instead of disks):
#   T_DISK1, T_DISK2  scratch block devices (fresh each VM run) or image files
#   T_DISK3           a large (8 GiB) sparse scratch device, for metadata
#   T_PMEM            DAX-capable pmem block device, if any
#   T_MNT             mount point for the filesystem under test
#   T_TMP             scratch directory on tmpfs (shadow copies etc.)
#   T_BIN             directory holding fusetd, the test tools and fuse2fs
#   T_FUSE_PARAMS     parameters fuse.ko was loaded with (for re-insmod)
#   FUSE_IOMAP_COEXIST 1 when the module under test is fuseiomap.ko beside
#                     a built-in FUSE (Debian's stock kernel): our programs
#                     then use /dev/fuse-iomap and filesystem type fuseiomap

T_NAME=${T_NAME:-$(basename "$0" .sh)}
T_TMP=${T_TMP:-/tmp/fuse-iomap-test}
T_MNT=${T_MNT:-$T_TMP/mnt}
T_BIN=${T_BIN:-/usr/bin}
T_DISK1=${T_DISK1:-$T_TMP/disk1.img}
T_DISK2=${T_DISK2:-$T_TMP/disk2.img}
T_DISK3=${T_DISK3:-$T_TMP/disk3.img}
T_FAILS=0
MKE2FS=/usr/sbin/mke2fs		# e2fsprogs', not busybox's
E2FSCK=/usr/sbin/e2fsck
mkdir -p "$T_TMP" "$T_MNT"

pass() { echo "ok - $T_NAME: $*"; }
fail() { echo "not ok - $T_NAME: $*"; T_FAILS=$((T_FAILS + 1)); }
skip() { echo "ok - $T_NAME: $1 # SKIP $2"; }
diag() { echo "# $*"; }

# check DESC CMD...: passes when CMD exits 0.
check() {
	_d=$1; shift
	if "$@"; then pass "$_d"; else fail "$_d (exit $?: $*)"; fi
}

# require DESC CMD...: like check, but a failure ends the script.
require() {
	_d=$1; shift
	if "$@"; then pass "$_d"; else fail "$_d (exit $?: $*)"; exit 1; fi
}

# wait_gone NAME: wait up to 5 s for processes called NAME to exit
# (fusetd: its i386 build fusetd32 too).
wait_gone() {
	_n=0
	_w=$1
	[ "$1" = fusetd ] && _w="fusetd fusetd32"
	# shellcheck disable=SC2086
	while pidof $_w >/dev/null && [ $_n -lt 50 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
}

# check_fails DESC ERRNO-TEXT CMD...: CMD must fail and print ERRNO-TEXT.
check_fails() {
	_d=$1; _e=$2; shift 2
	_out=$("$@" 2>&1) && { fail "$_d (unexpected success)"; return; }
	case "$_out" in
	*"$_e"*) pass "$_d" ;;
	*) fail "$_d (wanted '$_e', got '$_out')" ;;
	esac
}

# check_eq DESC EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (expected '$2', got '$3')"; fi
}

# The module under test: fuse.ko, or fuseiomap.ko beside a built-in FUSE.
if [ "${FUSE_IOMAP_COEXIST:-}" = 1 ]; then
	FUSE_MOD=fuseiomap FUSE_SYSFS=/sys/fs/fuse-iomap FUSE_CTLFS=fuseiomapctl
	FUSE_TYPE=fuseiomap
else
	FUSE_MOD=fuse FUSE_SYSFS=/sys/fs/fuse FUSE_CTLFS=fusectl FUSE_TYPE=fuse
fi
FUSE_PARAMS=/sys/module/$FUSE_MOD/parameters
# fusectl_mount: the connections directory of the module under test
fusectl_mount() {
	grep -q " $FUSE_SYSFS/connections " /proc/mounts ||
		mount -t $FUSE_CTLFS $FUSE_CTLFS "$FUSE_SYSFS/connections"
}

# The test daemon, mounted on $T_DISK1 at $T_MNT with its stats in $STATS.
# FUSETD in the environment names another build of it (sub_test NAME
# FUSETD=$T_BIN/fusetd32: the i386 one, test 71).
FUSETD=${FUSETD:-$T_BIN/fusetd}
STATS=$T_TMP/$T_NAME.stats
mounted() { grep -q " $T_MNT fuse" /proc/mounts; }
# umount_on_exit [PATH...]: the EXIT trap of a test with nothing else to
# undo: leave $T_MNT, unmount it (lazily if it is busy) and remove the
# PATHs (patterns are expanded then).  Tests with more define cleanup()
# and trap it themselves.
t_umount() {
	cd /
	if mounted; then umount "$T_MNT" 2>/dev/null || umount -l "$T_MNT"; fi
	# shellcheck disable=SC2086 # patterns, expanded at exit
	[ -z "$T_EXIT_RM" ] || rm -rf $T_EXIT_RM
}
umount_on_exit() { T_EXIT_RM="$*"; trap t_umount EXIT; }
# t_mkfs [ARGS...]: a fresh image at $T_DISK1 (fusetd mkfs ARGS), or the
# test stops.
t_mkfs() { require "mkfs${1:+ $*}" "$FUSETD" mkfs "$@" "$T_DISK1"; }
fs_mount() { "$FUSETD" mount --stats "$STATS" "$T_DISK1" "$T_MNT"; }
iomap_mount() { "$FUSETD" mount --iomap --stats "$STATS" "$T_DISK1" "$T_MNT"; }

# io_uring's hand-offs to io-wq workers (tracepoint
# io_uring:io_uring_queue_async_work): uring_trace_have fails without the
# event; uring_trace_start clears the trace and enables it;
# uring_trace_stop prints how many fired and disables it;
# uring_trace_restore (for an EXIT trap) puts tracing back as it was.
UR_TR=/sys/kernel/tracing
UR_EV=$UR_TR/events/io_uring/io_uring_queue_async_work
ur_tracing_on=
uring_trace_have() {
	grep -q " $UR_TR " /proc/mounts || mount -t tracefs tracefs $UR_TR
	[ -d "$UR_EV" ]
}
uring_trace_start() {
	ur_tracing_on=$(cat $UR_TR/tracing_on)
	echo 0 > $UR_TR/tracing_on
	echo > $UR_TR/trace
	echo 1 > "$UR_EV/enable"
	echo 1 > $UR_TR/tracing_on
}
uring_trace_stop() {
	echo 0 > $UR_TR/tracing_on
	grep -c io_uring_queue_async_work $UR_TR/trace
	echo 0 > "$UR_EV/enable"
	echo > $UR_TR/trace
}
uring_trace_restore() {
	[ -w "$UR_EV/enable" ] && echo 0 > "$UR_EV/enable"
	[ -n "$ur_tracing_on" ] && echo "$ur_tracing_on" > $UR_TR/tracing_on
	return 0
}
# umount_and_trace_on_exit: umount_on_exit, and put tracing back too.
umount_and_trace_on_exit() {
	umount_on_exit
	trap 'uring_trace_restore; t_umount' EXIT
}

# The daemon's famfs mode.  famfs_begin saves the enable_famfs parameter
# and sets an EXIT trap (famfs_cleanup: unmount $T_MNT, put the parameter
# back); famfs_on sets it; famfs_mount [ARGS...] mounts the files of
# $SPECS (fusetd -F specs) on the devices of $FAMFS_DEVS.
FAMFS_PARAM=$FUSE_PARAMS/enable_famfs
FAMFS_DEVS="-d ${T_PMEM:-/dev/pmem0}"
famfs_restore() {
	if [ -n "$old_famfs" ]; then echo "$old_famfs" > $FAMFS_PARAM; fi
}
famfs_cleanup() {
	if mounted; then umount "$T_MNT"; fi
	famfs_restore
}
famfs_begin() {
	old_famfs=$(cat $FAMFS_PARAM 2>/dev/null)
	trap famfs_cleanup EXIT
}
famfs_on() { echo 1 > $FAMFS_PARAM; }
# famfs_devices: FAMFS_DEVS for the famfs tests: "-d DEV" for each of
# $FAMFS_DEVICES if set (pmem block or devdax char devices, test 48), else
# /dev/pmem0 and /dev/pmem1 if there is one (one device only under
# FUSETD_PERSONALITY=famfs: famfs_fused serves one).  Ends the test
# without a device.
famfs_devices() {
	_devs=${FAMFS_DEVICES:-/dev/pmem0}
	if [ -z "${FAMFS_DEVICES:-}" ] && [ -b /dev/pmem1 ] &&
	   [ "${FUSETD_PERSONALITY:-}" != famfs ]; then
		_devs="$_devs /dev/pmem1"
	fi
	FAMFS_DEVS=
	for _fd in $_devs; do
		require "a DAX device $_fd" test -b "$_fd" -o -c "$_fd"
		FAMFS_DEVS="$FAMFS_DEVS -d $_fd"
	done
}
famfs_mount() {
	# shellcheck disable=SC2086
	"$FUSETD" famfs --stats "$STATS" $FAMFS_DEVS $SPECS "$@" "$T_MNT"
}

# module_reload: unload fuse.ko and cuse.ko (or fuseiomap.ko) and load
# them again, with the runner's parameters.  Nothing may hold the module (fusectl is part of it).
module_reload() {
	umount "$FUSE_SYSFS/connections"
	if [ "$FUSE_MOD" = fuseiomap ]; then
		check "rmmod fuseiomap" rmmod fuseiomap
		# shellcheck disable=SC2086
		check "insmod fuseiomap $T_FUSE_PARAMS" \
			insmod /lib/modules/fuseiomap.ko $T_FUSE_PARAMS
		check "/dev/fuse-iomap is back" test -c /dev/fuse-iomap
		return
	fi
	rmmod cuse 2>/dev/null
	grep -w ^fuse /proc/modules | sed 's/^/# /'
	check "rmmod fuse" rmmod fuse
	# shellcheck disable=SC2086
	check "insmod fuse $T_FUSE_PARAMS" insmod /lib/modules/fuse.ko $T_FUSE_PARAMS
	check "insmod cuse" insmod /lib/modules/cuse.ko
	check "/dev/fuse is back" test -c /dev/fuse
}

# op_count NAME: how many NAME requests (or events) the daemon counted.
op_count() {
	"$FUSETD" stats "$STATS" |
		awk -v op="$1" '$1 == op { n = $2 } END { print n + 0 }'
}

# The counters of each connection's mapping caches, in debugfs (which
# init mounts): $DBG/<connection>/cache, "name value" lines.
DBG=/sys/kernel/debug/fuse-iomap

# conn_id: the connection number of the mount on $T_MNT, the kernel's
# dev_t decoded from the st_dev that stat(2) encodes for userspace.
conn_id() {
	_d=$(stat -c %d "$T_MNT")
	echo $(( (((_d >> 8) & 0xfff) << 20) | (_d & 0xff) |
		 ((_d >> 12) & 0xfff00) ))
}

# cstat NAME [CONN]: a counter of the mapping caches of connection CONN
# (by default the one mounted on $T_MNT).
cstat() {
	awk -v k="$1" '$1 == k { print $2 }' "$DBG/${2:-$(conn_id)}/cache"
}

# shrink_slab CACHE: hand back what the slab cache keeps of freed objects.
# KASAN's quarantine keeps them and /proc/slabinfo counts them as active;
# the shrink file empties it (kasan_cache_shrink()), elsewhere it only
# flushes the per-CPU slabs.  shrink_all: every cache.
shrink_slab() {
	[ -w "/sys/kernel/slab/$1/shrink" ] && echo 1 > "/sys/kernel/slab/$1/shrink"
	return 0
}
shrink_all() {
	for _s in /sys/kernel/slab/*/shrink; do echo 1 > "$_s" 2>/dev/null; done
	return 0
}

# slab_bytes CACHE: bytes of the objects in use in CACHE, at the objects'
# own size, without the redzones and metadata KASAN adds (slabinfo's
# objsize includes them).
slab_bytes() {
	_n=$(awk -v s="$1" '$1 == s { print $2 }' /proc/slabinfo)
	_o=$(cat "/sys/kernel/slab/$1/object_size" 2>/dev/null ||
	     awk -v s="$1" '$1 == s { print $4 }' /proc/slabinfo)
	echo $((${_n:-0} * ${_o:-0}))
}

# slab_settled CACHE: the fewest bytes slab_bytes counts in CACHE over
# three shrinks in a row.  An object freed while others are shrunk waits
# in KASAN's quarantine or a CPU's slab and counts as in use until the
# next shrink; what the cache really holds is in every reading.
slab_settled() {
	_min=
	for _i in 1 2 3; do
		shrink_slab "$1"
		_s=$(slab_bytes "$1")
		{ [ -z "$_min" ] || [ "$_s" -lt "$_min" ]; } && _min=$_s
	done
	echo "$_min"
}

# t_now: centiseconds since boot; t_secs CS: them as seconds;
# t_rate N CS: N per second over CS centiseconds.
t_now() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }
t_secs() { awk -v cs="$1" 'BEGIN { printf "%.2f\n", cs / 100 }'; }
t_rate() { awk -v n="$1" -v cs="$2" 'BEGIN { printf "%d\n", (cs > 0 ? n * 100 / cs : 0) }'; }

# sub_test NAME [VAR=VALUE...]: run tests/vm/NAME.sh as part of this
# script, with the assignments in its environment (FUSETD_PERSONALITY,
# say); its checks are named "$T_NAME+NAME: ...".  A failure there fails
# this script too; an exit without a "not ok" line is one failure here.
sub_test() {
	_st=$1; shift
	_so=$T_TMP/$T_NAME+$_st.out
	diag "$T_NAME: running $_st $*"
	( cd /tmp && env "$@" T_NAME="$T_NAME+$_st" sh "/tests/vm/$_st.sh"
	  echo $? > "$_so.rc" ) 2>&1 | tee "$_so"
	_rc=$(cat "$_so.rc")
	if grep -q '^not ok ' "$_so"; then
		T_FAILS=$((T_FAILS + 1))
	elif [ "$_rc" != 0 ]; then
		fail "$_st exited $_rc"
	fi
	if mounted; then umount "$T_MNT"; fi
	wait_gone fusetd
}

# Exit status for the end of a script.
t_done() { [ "$T_FAILS" = 0 ]; }

# hold_map FILE LEN: a process maps all LEN bytes of FILE, touches them,
# and touches them again once $T_TMP/go exists (memfail hold: exit 3 for
# a SIGBUS then, its report in $T_TMP/hold); $hold is its pid.
hold_map() {
	rm -f "$T_TMP/ready" "$T_TMP/go"
	memfail hold "$1" "$2" "$T_TMP/ready" "$T_TMP/go" > "$T_TMP/hold" 2>&1 &
	hold=$!
	require "a process maps all of $(basename "$1")" \
		wait_for_file "$T_TMP/ready"
}

# wait_output WANT CMD...: up to 30 s for CMD's output to become WANT;
# fails if it never does.
wait_output() {
	_w=$1; shift
	_i=0
	while [ "$("$@")" != "$_w" ] && [ $_i -lt 300 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ "$("$@")" = "$_w" ]
}

# wait_for_file FILE [SECONDS]: wait until FILE exists, 30 s at most;
# fails if it never does.
wait_for_file() {
	_n=0
	while [ ! -e "$1" ] && [ $_n -lt $((${2:-30} * 10)) ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	[ -e "$1" ]
}

# run_jobs N FUNC: FUNC 1 ... FUNC N at once; returns when all have.
run_jobs() {
	_j=1
	while [ $_j -le "$1" ]; do
		"$2" $_j &
		_j=$((_j + 1))
	done
	wait
}

# unbind DRIVER DEVICE: unbind DEVICE from DRIVER (its sysfs directory);
# checks that the unbind returns within 60 s.
unbind() {
	echo "$2" > "$1/unbind" &
	_u=$!
	_n=0
	while kill -0 $_u 2>/dev/null && [ $_n -lt 600 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	check "the unbind returned" sh -c "! kill -0 $_u 2>/dev/null"
	wait $_u
}

# devdax_make PMEM ALIGN: turn the namespace of pmem block device PMEM
# (e.g. /dev/pmem1) into a device-dax instance with ALIGN-byte pages, the
# sysfs steps "ndctl create-namespace -f -e NS -m devdax -a ALIGN" takes;
# prints the instance's char device (/dev/daxR.N).
devdax_make() {
	_ns=$(basename "$(readlink -f "/sys/block/${1#/dev/}/device")")
	_reg=$(basename "$(readlink -f "/sys/bus/nd/devices/$_ns/..")")
	_dax=$(cat "/sys/bus/nd/devices/$_reg/dax_seed")
	_d=/sys/bus/nd/devices/$_dax
	echo "$_ns" > /sys/bus/nd/drivers/nd_pmem/unbind &&
	cat /proc/sys/kernel/random/uuid > "$_d/uuid" &&
	echo pmem > "$_d/mode" &&
	echo "$2" > "$_d/align" &&
	echo "$_ns" > "$_d/namespace" &&
	echo "$_dax" > /sys/bus/nd/drivers/dax_pmem/bind || return 1
	# the dax bus instance the nd_dax device made
	_i=$(ls "$_d" | grep '^dax[0-9]*\.[0-9]*$' | head -1)
	[ -z "$_i" ] && _i=$(ls "$_d/dax_region" 2>/dev/null | grep '^dax' | head -1)
	[ -c "/dev/$_i" ] || { ls -R "$_d" | head -40 >&2; return 1; }
	echo "/dev/$_i"
}
