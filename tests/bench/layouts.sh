# SPDX-License-Identifier: GPL-2.0
# The files of "make bench" that are laid out for particular jobs (sourced
# by run.sh; busybox ash): the cost as the work grows.
#
# A job with --bench_file=NAME among its options (jobs.sh; run.sh takes it
# out before fio sees it) works on NAME.dat beside the target's own file,
# of layout_size NAME bytes, instead of on the target's file.  run.sh lays
# it out once per target, before the first repetition, with
# "layout_NAME FILE PART", and records its FIEMAP extent count.  Block
# device targets (raw) have no such files and skip these jobs.
#
# One line per layout: NAME|DESCRIPTION.  Sizes come from the kernel
# command line: fi.bench.big=SIZE (4G) and fi.bench.extents=N (100000);
# scripts/bench.sh grows the partitions to fit (its layout_mib).
BENCH_LAYOUTS='
big|one file of fi.bench.big (4 GiB) written with 1 MiB direct writes
frag|fi.bench.extents (100,000) blocks of 4 KiB, each an extent of its own: written into single free blocks left between the blocks of a filler file
'

bench_layouts() { echo "$BENCH_LAYOUTS" | grep '|'; }

layout_big_size=4G layout_extents=100000

# layout_size NAME: the file's size in bytes, a multiple of layout_bs, so
# that fio neither leaves a tail unwritten nor, finding the file shorter
# than its size, lays it out anew (it unlinks and rewrites it).  The
# fragmented file's blocks are rounded up to a multiple of 16 (100,000 is
# one).
layout_size() {
	case "$1" in
	big) numfmt_iec "$layout_big_size" ;;
	frag) echo $(( (layout_extents + 15) / 16 * 16 * 4096 )) ;;
	esac
}

# layout_bs NAME: the block size of its layout's writes and read-through.
layout_bs() {
	case "$1" in
	big) echo 1M ;;
	frag) echo 64k ;;
	esac
}

# numfmt_iec SIZE: 4G, 512M, 64k or bytes, in bytes (busybox has no numfmt).
numfmt_iec() {
	case "$1" in
	*[gG]) echo $(( ${1%?} << 30 )) ;;
	*[mM]) echo $(( ${1%?} << 20 )) ;;
	*[kK]) echo $(( ${1%?} << 10 )) ;;
	*) echo "$1" ;;
	esac
}

# job_layout JOB: the layout a job works on, or nothing.
job_layout() {
	bench_jobs | awk -F'|' -v j="$1" '$1 == j { print $3 }' |
		sed -n 's/.*--bench_file=\([^ ]*\).*/\1/p'
}

# layout_step NAME: the seconds since the last step (or the start, with
# NAME "start"), as a line "seconds_NAME S" of $BENCH_TMP/layout-steps,
# which run.sh adds to the layout's figures.
layout_step() {
	_now=$(cut -d' ' -f1 /proc/uptime)
	if [ "$1" = start ]; then
		: > "$BENCH_TMP/layout-steps"
	else
		echo "seconds_$1 $(awk "BEGIN { print $_now - $_t_step }")" \
			>> "$BENCH_TMP/layout-steps"
	fi
	_t_step=$_now
}

# layout_big FILE PART: written in order with 1 MiB direct writes, on a
# filesystem that has only bench.dat yet: as few extents as the
# filesystem makes (ext4: one per 128 MiB).
layout_big() {
	fio --name=big --filename="$1" --size="$(layout_size big)" \
		--rw=write --bs=1M --direct=1 --ioengine=psync --fallocate=none \
		--output="$BENCH_TMP/layout-big.log"
}

# layout_frag FILE PART: every block of FILE an extent of its own, with
# the same logical layout on every filesystem.  Writing every other block
# and then the blocks between does not do it: ext4 and fusetd both aim a
# block at the disk block that follows its neighbour's (ext4_ext_find_goal,
# fusetd's ext_goal), so the second pass fills the gaps the first left and
# the file ends up in a handful of extents.  Instead the free space is cut
# into single blocks first:
#  1. a filler of 2 × (EXTENTS + 1,000) blocks is preallocated, then the
#     rest of the filesystem with files of 64 MiB, 4 MiB, 256 KiB and 4 KiB
#     until none fits;
#  2. every other block of the filler is punched out (fio's falloc engine:
#     fallocate PUNCH_HOLE), which leaves free blocks with a used one
#     between each two;
#  3. FILE is written with 64 KiB direct writes: each block lands in one of
#     those single free blocks, two blocks apart from its neighbour;
#  4. the fillers are removed.
# ext4 keeps 4,096 clusters back for its metadata (reserved_clusters);
# they would stay free through step 1 and give FILE one run of that many
# blocks, so the layout lowers them to 512 (enough for the punches' extent
# splits) for its duration.
layout_frag() {
	_lf=$1 _fill=${1%/*}/fill
	_span=$(( (layout_extents + 1000) * 2 ))
	_resv=/sys/fs/ext4/${2##*/}/reserved_clusters
	_old=
	if [ -w "$_resv" ]; then
		_old=$(cat "$_resv")
		echo 512 > "$_resv" || return 1
	fi
	rm -rf "$_fill"
	mkdir -p "$_fill" || return 1
	_rc=0
	layout_step start
	if fallocate -l $((_span * 4096)) "$_fill/holes"; then
		_i=0
		for _s in 64M 4M 256k 4k; do
			_b=$(numfmt_iec $_s)
			while fallocate -l "$_b" "$_fill/$_i" 2>/dev/null; do
				_i=$((_i + 1))
			done
			rm -f "$_fill/$_i"
		done
		sync
		layout_step fill
		fio --name=holes --filename="$_fill/holes" --ioengine=falloc \
			--rw=trim:4k --bs=4k --size=$((_span * 4096)) \
			--output="$BENCH_TMP/layout-holes.log" &&
		sync &&
		layout_step punch &&
		fio --name=frag --filename="$_lf" --size="$(layout_size frag)" \
			--rw=write --bs=64k --direct=1 --ioengine=psync \
			--fallocate=none --output="$BENCH_TMP/layout-frag.log" &&
		layout_step write || _rc=1
		echo "fill files: $_i" >> "$BENCH_TMP/layout-frag.log"
	else
		_rc=1
	fi
	rm -rf "$_fill"
	[ -n "$_old" ] && echo "$_old" > "$_resv"
	sync
	layout_step clean
	return $_rc
}
