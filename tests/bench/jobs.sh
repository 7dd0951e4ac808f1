# SPDX-License-Identifier: GPL-2.0
# The fio jobs of "make bench" (sourced by run.sh; busybox ash).
#
# One line per job: NAME|METRIC|FIO OPTIONS.  METRIC is what the report
# ranks the job by: "bw" (MB/s) or "iops".  Every job also gets
# --filename, --size, --time_based, --runtime, --ramp_time and JSON output
# from run.sh; random jobs use fio's default fixed seed, so every target
# sees the same offsets.  Buffered write jobs end with an fsync that counts
# in their time, so that dirty pages left in the page cache do not flatter
# the filesystems that have one.  The -Njobs rows run N writers on the one
# file, the -Nfiles rows N writers on files of their own (32 MiB each,
# written by fio before the run, next to the file; not on raw): with the
# shared inode lock for aligned overwrites, writers of one file need not
# wait for each other any more than writers of separate files.  The
# -prealloc rows write into a file fio preallocates (fallocate(2)) before
# each repetition and removes after it: every write lands in unwritten
# blocks and converts them (an IOEND upcall on iomap, the journal on
# ext4), the case of databases and VM images.  The -4g
# and -100kext rows are the cost as the work grows: direct reads of a
# 4 GiB file and of a file of 100,000 extents of one block each, the files
# of tests/bench/layouts.sh (--bench_file=NAME: run.sh lays the file out
# once per target and takes the option out; not on raw).
BENCH_JOBS='
seqread-1m-direct|bw|--rw=read --bs=1M --direct=1 --ioengine=psync
seqread-1m-buffered|bw|--rw=read --bs=1M --direct=0 --ioengine=psync
seqwrite-1m-direct|bw|--rw=write --bs=1M --direct=1 --ioengine=psync
seqwrite-1m-buffered|bw|--rw=write --bs=1M --direct=0 --ioengine=psync --end_fsync=1
randread-4k-qd1-direct|iops|--rw=randread --bs=4k --direct=1 --ioengine=io_uring --iodepth=1
randread-4k-qd32-direct|iops|--rw=randread --bs=4k --direct=1 --ioengine=io_uring --iodepth=32
randread-4k-qd1-buffered|iops|--rw=randread --bs=4k --direct=0 --ioengine=io_uring --iodepth=1
randread-4k-qd32-buffered|iops|--rw=randread --bs=4k --direct=0 --ioengine=io_uring --iodepth=32
randwrite-4k-qd1-direct|iops|--rw=randwrite --bs=4k --direct=1 --ioengine=io_uring --iodepth=1
randwrite-4k-qd32-direct|iops|--rw=randwrite --bs=4k --direct=1 --ioengine=io_uring --iodepth=32
randwrite-4k-qd1-buffered|iops|--rw=randwrite --bs=4k --direct=0 --ioengine=io_uring --iodepth=1 --end_fsync=1
randwrite-4k-qd32-buffered|iops|--rw=randwrite --bs=4k --direct=0 --ioengine=io_uring --iodepth=32 --end_fsync=1
randwrite-4k-qd1-direct-2jobs|iops|--rw=randwrite --bs=4k --direct=1 --ioengine=io_uring --iodepth=1 --numjobs=2 --group_reporting
randwrite-4k-qd1-direct-4jobs|iops|--rw=randwrite --bs=4k --direct=1 --ioengine=io_uring --iodepth=1 --numjobs=4 --group_reporting
randwrite-4k-qd1-direct-2files|iops|--rw=randwrite --bs=4k --direct=1 --ioengine=io_uring --iodepth=1 --numjobs=2 --group_reporting --size=32M --fallocate=none --overwrite=1 --filename_format=multi.$jobnum
randwrite-4k-qd1-direct-4files|iops|--rw=randwrite --bs=4k --direct=1 --ioengine=io_uring --iodepth=1 --numjobs=4 --group_reporting --size=32M --fallocate=none --overwrite=1 --filename_format=multi.$jobnum
mmap-randread-4k|iops|--rw=randread --bs=4k --ioengine=mmap
randwrite-4k-qd1-direct-prealloc|iops|--rw=randwrite --bs=4k --direct=1 --ioengine=io_uring --iodepth=1 --size=64M --fallocate=native --unlink=1 --filename_format=prealloc.$jobnum
randwrite-4k-qd32-direct-prealloc|iops|--rw=randwrite --bs=4k --direct=1 --ioengine=io_uring --iodepth=32 --size=64M --fallocate=native --unlink=1 --filename_format=prealloc.$jobnum
randread-4k-qd1-direct-4g|iops|--bench_file=big --rw=randread --bs=4k --direct=1 --ioengine=io_uring --iodepth=1
seqread-1m-direct-4g|bw|--bench_file=big --rw=read --bs=1M --direct=1 --ioengine=psync
randread-4k-qd1-direct-100kext|iops|--bench_file=frag --rw=randread --bs=4k --direct=1 --ioengine=io_uring --iodepth=1
seqread-1m-direct-100kext|bw|--bench_file=frag --rw=read --bs=1M --direct=1 --ioengine=psync
'

# bench_jobs: the table without blank lines.
bench_jobs() { echo "$BENCH_JOBS" | grep '|'; }
