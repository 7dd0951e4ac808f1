/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fusetd --die-on OPCODE[:N[:FLAG]]: kill the daemon with SIGKILL when it
 * reads the N-th request (from 1, default 1) of OPCODE, before answering
 * it, so that a test can kill the server while exactly that request is
 * pending.  OPCODE is a name as "fusetd stats" prints it (IOMAP_IOEND,
 * GET_FMAP) or a number.  FLAG, for IOMAP_BEGIN (an opflag: fault, write,
 * direct, ...) and IOMAP_IOEND (direct, writeback, ...), counts only the
 * requests with that flag.  The request is counted in the stats first,
 * and one line naming it goes to stderr:
 *
 *   fusetd: --die-on: SIGKILL at IOMAP_IOEND 1 (unique 42, nodeid 2, flags direct,unwritten,append pos 0 written 65536)
 *
 * fusetd --defer-on MS@OPCODE[:N[:FLAG]]: the image server answers that
 * request MS milliseconds late and serves the others meanwhile, as a
 * multi-threaded server would, so that a test can act while exactly that
 * request is pending; it is counted when it is read.
 */
#ifndef FUSETD_DIE_H
#define FUSETD_DIE_H

#include <stddef.h>
#include <linux/fuse.h>

int die_on_parse(const char *arg);
int defer_on_parse(const char *arg);
void die_on_request(const struct fuse_in_header *hdr, size_t len);
/* Return: how many ms to defer this request by, or 0. */
unsigned long defer_on_request(const struct fuse_in_header *hdr, size_t len);

#endif /* FUSETD_DIE_H */
