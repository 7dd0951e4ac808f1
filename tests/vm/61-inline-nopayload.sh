#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inline data as the posted series moves it (fuse4fs, for ext4's inline
# data): test 60 with fusetd --inline-nopayload, whose config reply does
# not ask for FUSE_IOMAP_CONFIG_INLINE_PAYLOAD.  INLINE replies carry no
# data; the kernel reads it with FUSE_READ and writes it back with
# FUSE_WRITE, without a file handle.  Every check of 60 runs, and the data
# must come and go by those requests, never by IOMAP_END.
. /tests/vm/lib.sh

sub_test 60-iomap-inline INLINE_NOPAYLOAD=1
t_done
