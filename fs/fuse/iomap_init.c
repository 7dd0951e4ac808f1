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
 * The two posted series both claim INIT bit 43, and real servers of both
 * echo it.  So bit 43 gets exactly one meaning per connection, fixed before
 * INIT is sent:
 *
 *   permitted       mount source          bit 43           bit 44
 *   iomap           any                   FUSE_IOMAP       -
 *   famfs           any                   FUSE_DAX_FMAP    FUSE_DAX_FMAP
 *   both            character device      FUSE_DAX_FMAP    FUSE_DAX_FMAP
 *   both            anything else         FUSE_IOMAP       FUSE_DAX_FMAP
 *
 * famfs names its devdax device (/dev/daxX.Y) as the source; an iomap
 * server names a block device or an image file.  Bit 44 is this module's
 * own, unambiguous famfs flag, so that one server can have both features.
 * Whatever the server echoes, it gets the feature the kernel meant.
 */

#include <linux/capability.h>
#include <linux/module.h>
#include <linux/namei.h>

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

/**
 * fuse_iomap_offer_flags - the INIT flags to offer
 * @iomap_ok: this mount is permitted iomap
 * @famfs_ok: this mount is permitted famfs
 * @famfs_source: the mount's source names a character device
 *
 * Return: the flags to send and the meaning of bit 43 among them.
 */
struct fuse_iomap_offer fuse_iomap_offer_flags(bool iomap_ok, bool famfs_ok,
					       bool famfs_source)
{
	struct fuse_iomap_offer o = { };

	famfs_ok = famfs_ok && IS_ENABLED(CONFIG_FS_DAX);
	if (famfs_ok && (!iomap_ok || famfs_source)) {
		o.wire = FUSE_DAX_FMAP_BIT43 | FUSE_DAX_FMAP;
		o.bit43_famfs = true;
	} else if (iomap_ok) {
		o.wire = FUSE_IOMAP;
		if (famfs_ok)
			o.wire |= FUSE_DAX_FMAP;
	}
	return o;
}

/**
 * fuse_iomap_accept_flags - the features a connection gets
 * @offer: what INIT offered
 * @reply: the server's INIT reply flags
 *
 * @reply must already include flags2 (it does only when the server set
 * FUSE_INIT_EXT, so an old server never gets either feature).
 *
 * Return: FUSE_IOMAP and/or FUSE_DAX_FMAP (bit 44), whatever bit the
 * server echoed famfs on.
 */
u64 fuse_iomap_accept_flags(const struct fuse_iomap_offer *offer, u64 reply)
{
	u64 got = offer->wire & reply & (FUSE_IOMAP | FUSE_DAX_FMAP);

	if (offer->bit43_famfs && (got & FUSE_DAX_FMAP_BIT43))
		got = (got & ~FUSE_DAX_FMAP_BIT43) | FUSE_DAX_FMAP;
	return got;
}

/**
 * fuse_iomap_mount_source - note what the mount's source names
 * @fc: the new connection, before INIT is sent
 * @source: the first argument of mount(2), or NULL
 *
 * Resolved in the mounting task; a source that is no path (an image name,
 * "fusetd") is simply not a character device.
 */
void fuse_iomap_mount_source(struct fuse_conn *fc, const char *source)
{
	struct path path;

	if (!source || !*source || kern_path(source, LOOKUP_FOLLOW, &path))
		return;
	fc->iomap_conn.source_chr = S_ISCHR(d_inode(path.dentry)->i_mode);
	path_put(&path);
}

/**
 * fuse_iomap_mount_setup - what INIT may offer this mount
 * @fc: the new connection, before INIT is sent
 * @source: the first argument of mount(2), or NULL
 * @file: the /dev/fuse file of the mount
 */
void fuse_iomap_mount_setup(struct fuse_conn *fc, const char *source,
			    struct file *file)
{
	fuse_iomap_mount_source(fc, source);
	fc->iomap_conn.granted = fuse_iomap_dev_take_grant(file);
}

/* Called while building the INIT request, in the mounting task. */
u64 fuse_iomap_init_offer(struct fuse_mount *fm)
{
	struct fuse_iomap_conn *ic = &fm->fc->iomap_conn;
	bool rawio = capable(CAP_SYS_RAWIO);
	struct fuse_iomap_offer o;

	o = fuse_iomap_offer_flags(enable_iomap && (rawio || ic->granted),
				   enable_famfs && rawio, ic->source_chr);
	ic->bit43_famfs = o.bit43_famfs;
	ic->offered_famfs = !!(o.wire & FUSE_DAX_FMAP);
	ic->offered_iomap = !o.bit43_famfs && (o.wire & FUSE_IOMAP);
	return o.wire;
}

/*
 * The minor the INIT request announces: the posted series' experimental
 * 7.99 with iomap (its libfuse sends mapping notifications only then), the
 * stock one otherwise.  Servers that believe 7.99 may also try the
 * notifications of 7.42..7.45; fuse_iomap_notify() answers them ENOSYS.
 */
u32 fuse_iomap_init_minor(const struct fuse_conn *fc, u32 minor)
{
	return fc->iomap_conn.offered_iomap ? FUSE_IOMAP_KERNEL_MINOR : minor;
}

/* Called with the server's INIT reply flags (flags2 included). */
void fuse_iomap_init_reply(struct fuse_conn *fc, u64 reply)
{
	struct fuse_iomap_conn *ic = &fc->iomap_conn;
	struct fuse_iomap_offer o = { .bit43_famfs = ic->bit43_famfs };
	u64 got;

	if (ic->offered_iomap)
		o.wire |= FUSE_IOMAP;
	if (ic->offered_famfs)
		o.wire |= FUSE_DAX_FMAP;
	if (ic->bit43_famfs)
		o.wire |= FUSE_DAX_FMAP_BIT43;

	got = fuse_iomap_accept_flags(&o, reply);
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
	/* the server owns its devices: syncfs(2) must reach it */
	fc->sync_fs = 1;
}
