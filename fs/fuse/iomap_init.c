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
 *
 * The privilege model (Documentation/filesystems/fuse-iomap.rst has it in
 * full).  Both features let a server aim the kernel's I/O at devices, so
 * at every boundary where that power grows the task asking must hold
 * CAP_SYS_RAWIO in the initial user namespace:
 *
 *   mount        the mounting task: whether INIT offers a feature at all
 *                (and only /dev/fuse mounts are ever offered one)
 *   INIT reply   the task writing the reply, i.e. the server: a feature
 *                it accepted is dropped unless it is privileged.  A setuid
 *                mount helper (fusermount3) passes the mount check for
 *                any user; this one it cannot pass for them
 *   BACKING_OPEN every registration of a block device (iomap_dev.c)
 *   famfs device resolved and opened with the root and credentials of
 *                the privileged server that accepted famfs (famfs.c)
 *
 * A grant by a privileged mount helper (FUSE_DEV_IOC_ADD_IOMAP) stands in
 * for the server's CAP_SYS_RAWIO for iomap, never for famfs.  The module
 * parameters are the administrator's switch for what new mounts may
 * negotiate: they are read at mount and by ADD_IOMAP; a mounted
 * filesystem keeps what its INIT negotiated until it is unmounted.
 */

#include <kunit/visibility.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs_struct.h>
#include <linux/module.h>
#include <linux/namei.h>

#include "fuse_i.h"

static bool enable_iomap;
module_param(enable_iomap, bool, 0644);
MODULE_PARM_DESC(enable_iomap,
		 "Offer iomap file I/O to servers holding CAP_SYS_RAWIO (read at mount)");

static bool enable_famfs;
module_param(enable_famfs, bool, 0644);
MODULE_PARM_DESC(enable_famfs,
		 "Offer famfs DAX fmaps to servers holding CAP_SYS_RAWIO (read at mount)");

/* May servers of this kernel, run by the current task, use iomap? */
bool fuse_iomap_permitted(void)
{
	return READ_ONCE(enable_iomap) && capable(CAP_SYS_RAWIO);
}

/**
 * fuse_iomap_server_features - what a server may keep of what it accepted
 * @got: FUSE_IOMAP and/or FUSE_DAX_FMAP, from fuse_iomap_accept_flags()
 * @rawio: the server (the task writing the INIT reply) has CAP_SYS_RAWIO
 * @granted: a privileged mount helper granted this mount iomap
 *
 * Return: @got without the features the server may not have.
 */
VISIBLE_IF_KUNIT
u64 fuse_iomap_server_features(u64 got, bool rawio, bool granted)
{
	if (rawio)
		return got;
	got &= ~FUSE_DAX_FMAP;
	if (!granted)
		got &= ~FUSE_IOMAP;
	return got;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_server_features);

/**
 * fuse_iomap_may_add_dev - may the current task register a block device?
 * @fc: the connection, on whose /dev/fuse file the ioctl came
 *
 * Anyone holding the /dev/fuse file can issue BACKING_OPEN, so the
 * privilege is checked on every call, as stock FUSE does for passthrough:
 * CAP_SYS_RAWIO, or a mount a privileged helper granted iomap to.
 *
 * Return: 0, or -EPERM.
 */
int fuse_iomap_may_add_dev(struct fuse_conn *fc)
{
	const struct fuse_iomap_conn *ic = &fc->iomap_conn;

	if (!ic->iomap)
		return -EPERM;
	if (ic->granted || capable(CAP_SYS_RAWIO))
		return 0;
	pr_warn_ratelimited("fuse: BACKING_OPEN of an iomap device without CAP_SYS_RAWIO (pid %d)\n",
			    task_tgid_vnr(current));
	return -EPERM;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_may_add_dev);

/* Keep the famfs server's root and credentials; see fuse_iomap_conn. */
static void fuse_iomap_server_hold(struct fuse_conn *fc)
{
	struct fuse_iomap_conn *ic = &fc->iomap_conn;

	get_fs_root(current->fs, &ic->server_root);
	ic->server_cred = get_current_cred();
}

void fuse_iomap_server_put(struct fuse_conn *fc)
{
	struct fuse_iomap_conn *ic = &fc->iomap_conn;

	if (!ic->server_cred)
		return;
	path_put(&ic->server_root);
	put_cred(ic->server_cred);
	ic->server_cred = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_server_put);

/**
 * fuse_iomap_offer_flags - the INIT flags to offer
 * @iomap_ok: this mount is permitted iomap
 * @famfs_ok: this mount is permitted famfs
 * @famfs_source: the mount's source names a character device
 *
 * Return: the flags to send and the meaning of bit 43 among them.
 */
VISIBLE_IF_KUNIT
struct fuse_iomap_offer fuse_iomap_offer_flags(bool iomap_ok, bool famfs_ok,
					       bool famfs_source)
{
	struct fuse_iomap_offer o = { };

	famfs_ok = famfs_ok && fuse_famfs_supported();
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
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_offer_flags);

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
VISIBLE_IF_KUNIT
u64 fuse_iomap_accept_flags(const struct fuse_iomap_offer *offer, u64 reply)
{
	u64 got = offer->wire & reply & (FUSE_IOMAP | FUSE_DAX_FMAP);

	if (offer->bit43_famfs && (got & FUSE_DAX_FMAP_BIT43))
		got = (got & ~FUSE_DAX_FMAP_BIT43) | FUSE_DAX_FMAP;
	return got;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_accept_flags);

/**
 * fuse_iomap_mount_source - note what the mount's source names
 * @fc: the new connection, before INIT is sent
 * @source: the first argument of mount(2), or NULL
 *
 * Resolved in the mounting task; a source that is no path (an image name,
 * "fusetd") is simply not a character device.
 */
VISIBLE_IF_KUNIT
void fuse_iomap_mount_source(struct fuse_conn *fc, const char *source)
{
	struct path path;

	if (!source || !*source || kern_path(source, LOOKUP_FOLLOW, &path))
		return;
	fc->iomap_conn.source_chr = S_ISCHR(d_inode(path.dentry)->i_mode);
	path_put(&path);
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_mount_source);

/**
 * fuse_iomap_mount_setup - what INIT may offer this mount
 * @fc: the new connection, before INIT is sent
 * @source: the first argument of mount(2), or NULL
 * @file: the /dev/fuse file of the mount
 */
void fuse_iomap_mount_setup(struct fuse_conn *fc, const char *source,
			    struct file *file)
{
	struct fuse_iomap_conn *ic = &fc->iomap_conn;
	bool iomap = READ_ONCE(enable_iomap), famfs = READ_ONCE(enable_famfs);
	bool rawio = (iomap || famfs) && capable(CAP_SYS_RAWIO);

	fuse_iomap_mount_source(fc, source);
	ic->granted = fuse_iomap_dev_take_grant(file);
	ic->may_iomap = iomap && (rawio || ic->granted);
	ic->may_famfs = famfs && rawio;
}

/*
 * Called while building the INIT request.  Only /dev/fuse mounts went
 * through fuse_iomap_mount_setup(); virtio-fs is offered neither feature.
 */
u64 fuse_iomap_init_offer(struct fuse_mount *fm)
{
	struct fuse_iomap_conn *ic = &fm->fc->iomap_conn;
	struct fuse_iomap_offer o;

	o = fuse_iomap_offer_flags(ic->may_iomap, ic->may_famfs,
				   ic->source_chr);
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
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_init_minor);

/*
 * Called with the server's INIT reply flags (flags2 included), in the
 * task that wrote the reply to /dev/fuse: the server.
 */
void fuse_iomap_init_reply(struct fuse_conn *fc, u64 reply)
{
	struct fuse_iomap_conn *ic = &fc->iomap_conn;
	struct fuse_iomap_offer o = { .bit43_famfs = ic->bit43_famfs };
	u64 got, kept, dropped;

	if (ic->offered_iomap)
		o.wire |= FUSE_IOMAP;
	if (ic->offered_famfs)
		o.wire |= FUSE_DAX_FMAP;
	if (ic->bit43_famfs)
		o.wire |= FUSE_DAX_FMAP_BIT43;

	got = fuse_iomap_accept_flags(&o, reply);
	kept = got ? fuse_iomap_server_features(got, capable(CAP_SYS_RAWIO),
						 ic->granted) : 0;
	dropped = got & ~kept;
	if (dropped)
		pr_warn_ratelimited("fuse: server without CAP_SYS_RAWIO (pid %d) accepted %s%s%s; refused\n",
				    task_tgid_vnr(current),
				    dropped & FUSE_IOMAP ? "iomap" : "",
				    dropped == (FUSE_IOMAP | FUSE_DAX_FMAP) ?
				    " and " : "",
				    dropped & FUSE_DAX_FMAP ? "famfs" : "");
	ic->iomap = !!(kept & FUSE_IOMAP);
	ic->famfs = !!(kept & FUSE_DAX_FMAP);
	if (ic->famfs)
		fuse_iomap_server_hold(fc);

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
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_init_reply);
