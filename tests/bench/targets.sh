# SPDX-License-Identifier: GPL-2.0
# The targets of "make bench" (sourced by run.sh; busybox ash).
#
# One line per target: NAME|SETUP COMMAND|DESCRIPTION.  Target N (from 1,
# in this order) gets partition N of the bench disk, whether or not it is
# selected, so a target's place on the disk never depends on the others;
# scripts/bench.sh makes one partition per line.  A new target is a line
# here and, if no setup function fits, a tgt_* function below.
#
# The setup command is run as "CMD up PART MNT" and "CMD down PART MNT"
# (the table's extra words come after "down"/"up" PART MNT).  "up" must set
#   BT_FILE   the file (or device) fio works on
#   BT_STATS  a fusetd stats file, or empty when the server has no counters
#   BT_PID    the server's pid (for its CPU time), or empty
BENCH_TARGETS='
raw|tgt_raw|the block device itself: the limit
ext4|tgt_ext4|kernel ext4 on the same device
fuse2fs|tgt_fuse2fs|classic FUSE: Debian fuse2fs (libfuse 2) on ext4, default options
classic|tgt_fusetd|fusetd, classic FUSE: data through READ/WRITE
iomap|tgt_fusetd --iomap --map-ahead 1M|fusetd --iomap --map-ahead 1M: the kernel does the I/O on the mapped blocks, which it caches; a read that misses is pushed the mappings of the rest of it
iomap-nocache|tgt_fusetd --iomap --no-cache|fusetd --iomap --no-cache: every mapping is an upcall
ext4-last|tgt_ext4|kernel ext4 again, on the last partition and run last: what placement and order alone do to a ratio
'

# bench_targets: the table without blank lines.
bench_targets() { echo "$BENCH_TARGETS" | grep '|'; }

tgt_raw() {
	BT_FILE=$2 BT_STATS='' BT_PID=''
}

tgt_ext4() {
	case "$1" in
	up)
		$MKE2FS -q -F -t ext4 "$2" || return 1
		mount -t ext4 "$2" "$3" || return 1
		BT_FILE=$3/bench.dat BT_STATS='' BT_PID=''
		;;
	down) umount "$3" ;;
	esac
}

tgt_fuse2fs() {
	case "$1" in
	up)
		$MKE2FS -q -F -t ext4 "$2" || return 1
		fuse2fs "$2" "$3" || return 1
		BT_FILE=$3/bench.dat BT_STATS=''
		BT_PID=$(pidof fuse2fs | tr ' ' '\n' | tail -1)
		;;
	down) umount "$3" && wait_gone fuse2fs ;;
	esac
}

# tgt_fusetd up|down PART MNT [fusetd mount options]
tgt_fusetd() {
	_op=$1 _part=$2 _mnt=$3
	shift 3
	case "$_op" in
	up)
		BT_STATS=$BENCH_TMP/$(basename "$_part").stats
		fusetd mkfs "$_part" || return 1
		fusetd mount "$@" --stats "$BT_STATS" "$_part" "$_mnt" || return 1
		BT_FILE=$_mnt/bench.dat
		# The newest fusetd is the one serving this mount.
		BT_PID=$(pidof fusetd | tr ' ' '\n' | sort -n | tail -1)
		;;
	down) umount "$_mnt" ;;
	esac
}
