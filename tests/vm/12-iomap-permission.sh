#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The iomap permission model as FUSE_DEV_IOC_IOMAP_SUPPORT reports it: file
# I/O is offered only while enable_iomap is set (the runner loads fuse.ko
# with enable_iomap=1, and tests run as root, with CAP_SYS_RAWIO).  Unknown
# /dev/fuse ioctls still fail with ENOTTY.
. /tests/vm/lib.sh

param=$FUSE_PARAMS/enable_iomap
require "enable_iomap is a module parameter" test -w "$param"
old=$(cat "$param")

echo 1 > "$param"
check_eq "enable_iomap=1: FILEIO offered, no atomic writes" 0x1 \
	"$(fuseioctl support)"
echo 0 > "$param"
check_eq "enable_iomap=0: nothing offered" 0x0 "$(fuseioctl support)"
check_fails "undefined /dev/fuse ioctl" "Inappropriate ioctl" fuseioctl bogus

case "$old" in Y|1) echo 1 > "$param" ;; *) echo 0 > "$param" ;; esac
t_done
