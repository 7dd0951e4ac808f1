// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-iomap: INIT negotiation of FUSE_IOMAP and FUSE_DAX_FMAP.
 *
 * Both features let the server point the kernel at arbitrary ranges of a
 * device, so they are offered only when the administrator allowed them
 * (module parameters) and the mounting process holds CAP_SYS_RAWIO.  The
 * server turns a feature on by echoing its flag; a flag the kernel did not
 * offer is ignored, as INIT does for every other flag.
 *
 * The two posted series both claim INIT bit 43.  We keep it for FUSE_IOMAP
 * and give FUSE_DAX_FMAP bit 44, so each flag means exactly one feature.
 */

#include <linux/capability.h>
#include <linux/module.h>

#include "fuse_i.h"

static bool enable_iomap;
module_param(enable_iomap, bool, 0644);
MODULE_PARM_DESC(enable_iomap,
		 "Offer iomap file I/O to servers holding CAP_SYS_RAWIO");

static bool enable_famfs;
module_param(enable_famfs, bool, 0644);
MODULE_PARM_DESC(enable_famfs,
		 "Offer famfs DAX fmaps to servers holding CAP_SYS_RAWIO");

/* May servers of this kernel, run by the current task, use iomap? */
bool fuse_iomap_permitted(void)
{
	return enable_iomap && capable(CAP_SYS_RAWIO);
}

/* The INIT flags to offer, given what this mount is permitted. */
u64 fuse_iomap_offer_flags(bool iomap_ok, bool famfs_ok)
{
	u64 flags = 0;

	if (iomap_ok)
		flags |= FUSE_IOMAP;
	if (famfs_ok && IS_ENABLED(CONFIG_FS_DAX))
		flags |= FUSE_DAX_FMAP;
	return flags;
}

/*
 * The features the connection gets: those both offered by us and requested
 * in the server's reply.  @reply must already include flags2 (it does only
 * when the server set FUSE_INIT_EXT, so an old server never gets either).
 */
u64 fuse_iomap_accept_flags(u64 offered, u64 reply)
{
	return offered & reply & (FUSE_IOMAP | FUSE_DAX_FMAP);
}

/* Called while building the INIT request, in the mounting task. */
u64 fuse_iomap_init_offer(struct fuse_mount *fm)
{
	struct fuse_iomap_conn *ic = &fm->fc->iomap_conn;
	bool rawio = capable(CAP_SYS_RAWIO);
	u64 flags;

	flags = fuse_iomap_offer_flags(enable_iomap && rawio,
				       enable_famfs && rawio);
	ic->offered_iomap = !!(flags & FUSE_IOMAP);
	ic->offered_famfs = !!(flags & FUSE_DAX_FMAP);
	return flags;
}

/* Called with the server's INIT reply flags (flags2 included). */
void fuse_iomap_init_reply(struct fuse_conn *fc, u64 reply)
{
	struct fuse_iomap_conn *ic = &fc->iomap_conn;
	u64 offered = 0, got;

	if (ic->offered_iomap)
		offered |= FUSE_IOMAP;
	if (ic->offered_famfs)
		offered |= FUSE_DAX_FMAP;

	got = fuse_iomap_accept_flags(offered, reply);
	ic->iomap = !!(got & FUSE_IOMAP);
	ic->famfs = !!(got & FUSE_DAX_FMAP);

	if (!ic->iomap)
		return;
	/*
	 * Backing ids of an iomap connection are device cookies, so it
	 * cannot also register passthrough files.
	 */
	fc->passthrough = 0;
	/*
	 * The kernel must write back and wait before the server frees
	 * blocks, which an OPEN with O_TRUNC cannot wait for: truncate with
	 * SETATTR after the open instead.
	 */
	fc->atomic_o_trunc = 0;
}
