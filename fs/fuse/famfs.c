// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-iomap: famfs files, the DAX data path.
 *
 * On a connection that negotiated FUSE_DAX_FMAP, every regular file that
 * is not an iomap file is a famfs file: its data lives in DAX memory and
 * the kernel holds its whole map.  The first open of such a file fetches
 * the map with FUSE_GET_FMAP (one size retry, see seed 003), validates it
 * (famfs_fmap.c), makes sure every device it names is held, and keeps it
 * on the inode until the inode is evicted.  From then on reads, writes and
 * page faults resolve offsets from the map and go through fs/dax.c, but
 * for the faults on devdax memory, which famfs maps as device-dax does
 * (fuse_famfs_devdax_fault()): no request reaches the server on any data
 * path.
 *
 * Devices are device-dax instances (/dev/daxX.Y, what famfs names;
 * famfs_devdax.c) or DAX-capable pmem block devices.  The server names
 * each one by path in the reply to FUSE_GET_DAXDEV, asked lazily, the
 * first time an fmap uses its index.  The path is resolved from the
 * server's root and opened with its credentials, never the opener's
 * (fuse_famfs_dev_lookup()), a pmem device claimed exclusively by the
 * connection; the connection then holds the device
 * open, and is the holder of its dax_device (pmem) or holds the instance
 * (devdax), until the connection goes away (at unmount, once the server
 * has closed /dev/fuse).  A memory failure a pmem device reports marks
 * the range poisoned, and accesses there fail with -EIO (read/write) or
 * SIGBUS (faults) instead of touching it.  A device being removed (pmem
 * namespace or devdax instance unbound) poisons all of itself, and every
 * mapping of it is dropped before its pages go away.
 *
 * Files are not resized (the fmap fixes the size), so there is no
 * allocation, no truncation and no hole: a write past the size is cut
 * short, and one starting at or past it fails with -ENOSPC.
 */

#include <linux/blkdev.h>
#include <linux/cred.h>
#include <linux/dax.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iomap.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/pfn_t.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "fuse_i.h"
#include "iomap_trace.h"

/* A DAX device the server named, held for the connection's life. */
struct fuse_famfs_dev {
	u32			index;
	struct fuse_conn	*fc;		/* that holds it */
	struct file		*bdev_file;	/* pmem */
	struct block_device	*bdev;		/* pmem */
	struct fuse_famfs_devdax *devdax;	/* devdax */
	const void		*ident;		/* the same for one device */
	char			label[32];	/* for messages: pmem0, dax1.0 */
	struct dax_device	*dax_dev;
	u64			start_off;	/* of the bdev in the dax_device */
	u64			size;		/* bytes */
	spinlock_t		lock;		/* protects poison */
	bool			poisoned;	/* poison is not empty */
	struct fuse_famfs_poison poison;	/* in dax_device offsets */
};

/* Per-connection famfs state: the devices, by index, and the fmaps. */
struct fuse_famfs_conn {
	struct mutex		lock;		/* serialises GET_DAXDEV */
	struct fuse_famfs_dev	*devs[FUSE_FAMFS_MAX_DAXDEVS];
	spinlock_t		fmaps_lock;	/* fmaps, and installing one */
	struct list_head	fmaps;		/* installed, by fmap->node */
};

static const struct iomap_ops fuse_famfs_iomap_ops;
static const struct address_space_operations fuse_famfs_aops;
static const struct file_operations fuse_famfs_fops;

#define famfs_warn(inode, fmt, ...)					\
	pr_warn_ratelimited("fuse: famfs: inode %llu: " fmt "\n",	\
			    get_node_id(inode), ##__VA_ARGS__)

bool fuse_inode_is_famfs(struct inode *inode)
{
	return test_bit(FUSE_I_FAMFS, &get_fuse_inode(inode)->state);
}

/* The map of an opened famfs file; set once, before any I/O. */
static struct fuse_famfs_fmap *fuse_famfs_fmap_of(struct inode *inode)
{
	/* pairs with the smp_store_release() in fuse_famfs_open() */
	return smp_load_acquire(&get_fuse_inode(inode)->famfs_fmap);
}

/* The famfs state of a connection, once the first famfs open set it up. */
static struct fuse_famfs_conn *fuse_famfs_conn_of(struct fuse_conn *fc)
{
	/* pairs with the cmpxchg() in fuse_famfs_conn_get() */
	return smp_load_acquire(&fc->famfs);
}

/* Device @i, once its GET_DAXDEV succeeded; then held until conn_put. */
static struct fuse_famfs_dev *fuse_famfs_dev_of(struct fuse_famfs_conn *fconn,
						u32 i)
{
	/* pairs with the smp_store_release() in fuse_famfs_get_devs() */
	return smp_load_acquire(&fconn->devs[i]);
}

/* Called for new inodes; regular files of famfs connections become DAX. */
void fuse_famfs_init_inode(struct inode *inode)
{
	struct fuse_inode *fi = get_fuse_inode(inode);

	if (!get_fuse_conn(inode)->iomap_conn.famfs ||
	    !S_ISREG(inode->i_mode) || fuse_inode_is_iomap(inode))
		return;
	fi->famfs_fmap = NULL;
	set_bit(FUSE_I_FAMFS, &fi->state);
	inode->i_flags |= S_DAX;
	inode->i_fop = &fuse_famfs_fops;
	inode->i_data.a_ops = &fuse_famfs_aops;
	/* fs/dax.c maps and writes back whole pages, and wants this */
	inode->i_blkbits = PAGE_SHIFT;
}

/**
 * fuse_famfs_attr_blksize - a server's block size for a famfs inode
 * @inode: the famfs inode, with fi->lock held
 * @blksize: fuse_attr.blksize of new attributes, or 0
 *
 * The block size stays PAGE_SIZE: dax_writeback_mapping_range() refuses
 * (and WARNs about) any other, and DAX faults map whole pages anyway.
 */
void fuse_famfs_attr_blksize(struct inode *inode, u32 blksize)
{
	lockdep_assert_held(&get_fuse_inode(inode)->lock);
	if (blksize && blksize != PAGE_SIZE)
		pr_warn_ratelimited("fuse: famfs: inode %llu: block size %u ignored; famfs files have pages\n",
				    get_node_id(inode), blksize);
}

/* After truncate_inode_pages_final(): no DAX entry refers to the map. */
void fuse_famfs_evict_inode(struct inode *inode)
{
	struct fuse_inode *fi = get_fuse_inode(inode);

	struct fuse_famfs_conn *fconn;

	if (!fuse_inode_is_famfs(inode) || !fi->famfs_fmap)
		return;
	/* installed, so the connection's famfs state exists */
	fconn = fuse_famfs_conn_of(get_fuse_conn(inode));
	spin_lock(&fconn->fmaps_lock);
	list_del(&fi->famfs_fmap->node);
	spin_unlock(&fconn->fmaps_lock);
	fuse_famfs_fmap_free(fi->famfs_fmap);
	fi->famfs_fmap = NULL;
}

/* The size of a famfs file is the fmap's, never an attribute reply's. */
u32 fuse_famfs_cache_mask(struct inode *inode)
{
	return fuse_inode_is_famfs(inode) ? STATX_SIZE : 0;
}

/*
 * Called with fi->lock held on the attributes of a SETATTR reply, before
 * the size is taken from them: a famfs file keeps the fmap's size.
 */
void fuse_famfs_setattr_reply(struct inode *inode, struct fuse_attr *attr)
{
	lockdep_assert_held(&get_fuse_inode(inode)->lock);
	if (fuse_inode_is_famfs(inode))
		attr->size = i_size_read(inode);
}

int fuse_famfs_setattr_check(struct inode *inode, const struct iattr *attr)
{
	if (!fuse_inode_is_famfs(inode) || !(attr->ia_valid & ATTR_SIZE) ||
	    attr->ia_size == i_size_read(inode))
		return 0;
	return -EPERM;
}

/* ---- devices ---- */

static struct fuse_famfs_conn *fuse_famfs_conn_get(struct fuse_conn *fc)
{
	struct fuse_famfs_conn *fconn = fuse_famfs_conn_of(fc), *old;

	if (fconn)
		return fconn;
	fconn = kzalloc(sizeof(*fconn), GFP_KERNEL);
	if (!fconn)
		return NULL;
	mutex_init(&fconn->lock);
	spin_lock_init(&fconn->fmaps_lock);
	INIT_LIST_HEAD(&fconn->fmaps);
	old = cmpxchg(&fc->famfs, NULL, fconn);
	if (old) {
		mutex_destroy(&fconn->lock);
		kfree(fconn);
		return old;
	}
	return fconn;
}

/*
 * Drop the DAX entries and page table mappings of @inode, a famfs file on
 * a device that is going away: they refer to the device's struct pages,
 * which go away with it.  Faults wait on the invalidate lock and then
 * find the range poisoned; the dirty entries are written back first (the
 * device is still alive), because invalidation keeps dirty entries.
 */
static void fuse_famfs_drop_mappings(struct inode *inode)
{
	struct address_space *mapping = inode->i_mapping;
	int err;

	filemap_invalidate_lock(mapping);
	err = filemap_write_and_wait(mapping);
	if (!err)
		err = invalidate_inode_pages2(mapping);
	/* and what devdax faults mapped, which has no DAX entry */
	unmap_mapping_range(mapping, 0, 0, 1);
	filemap_invalidate_unlock(mapping);
	if (err)
		famfs_warn(inode, "mappings of a removed device were not dropped: %d",
			   err);
}

/* Does @inode have a map that uses device @index, and mappings? */
static bool fuse_famfs_uses_dev(struct inode *inode, u32 index)
{
	const struct fuse_famfs_fmap *f;

	if (!fuse_inode_is_famfs(inode) ||
	    (mapping_empty(inode->i_mapping) &&
	     !mapping_mapped(inode->i_mapping)))
		return false;
	f = fuse_famfs_fmap_of(inode);
	return f && (f->devmask & BIT(index));
}

/* Drop the mappings of every file of @sb on device @index. */
static void fuse_famfs_sb_drop_dev(struct super_block *sb, u32 index)
{
	struct inode *inode, *done = NULL;

	spin_lock(&sb->s_inode_list_lock);
	list_for_each_entry(inode, &sb->s_inodes, i_sb_list) {
		spin_lock(&inode->i_lock);
		if ((inode->i_state & (I_FREEING | I_WILL_FREE | I_NEW)) ||
		    !fuse_famfs_uses_dev(inode, index)) {
			spin_unlock(&inode->i_lock);
			continue;
		}
		__iget(inode);
		spin_unlock(&inode->i_lock);
		spin_unlock(&sb->s_inode_list_lock);

		/* the reference keeps @inode on the list: go on from it */
		iput(done);
		fuse_famfs_drop_mappings(inode);
		done = inode;
		cond_resched();
		spin_lock(&sb->s_inode_list_lock);
	}
	spin_unlock(&sb->s_inode_list_lock);
	iput(done);
}

/*
 * The device is going away (kill_dax(), before its pages are torn down):
 * no file may keep a mapping of it.  fc->killsb keeps the superblocks on
 * fc->mounts alive and their inodes from being evicted by an unmount.
 */
static void fuse_famfs_dev_remove(struct fuse_famfs_dev *dev)
{
	struct fuse_conn *fc = dev->fc;
	struct fuse_mount *fm;

	down_read(&fc->killsb);
	list_for_each_entry(fm, &fc->mounts, fc_entry)
		if (fm->sb)
			fuse_famfs_sb_drop_dev(fm->sb, dev->index);
	up_read(&fc->killsb);
}

/*
 * memory_failure() on the device's pages, or the device going away
 * (MF_MEM_PRE_REMOVE, the whole range): remember the range so that I/O
 * and faults there fail from now on.  For a removal, drop every mapping
 * of the device too; for a failure, let the generic handler unmap the
 * page and signal the processes that map it (-EOPNOTSUPP).
 */
static void fuse_famfs_dev_failed(struct fuse_famfs_dev *dev, u64 offset,
				  u64 len, bool remove)
{
	spin_lock(&dev->lock);
	fuse_famfs_poison_add(&dev->poison, offset, len);
	WRITE_ONCE(dev->poisoned, true);
	spin_unlock(&dev->lock);
	pr_warn_ratelimited("fuse: famfs: device %u (%s): %s at %#llx, %#llx bytes: I/O there now fails\n",
			    dev->index, dev->label,
			    remove ? "removal" : "memory failure", offset, len);
	if (remove)
		fuse_famfs_dev_remove(dev);
}

static int fuse_famfs_notify_failure(struct dax_device *dax_dev, u64 offset,
				     u64 len, int mf_flags)
{
	struct fuse_famfs_dev *dev = dax_holder(dax_dev);
	bool remove = mf_flags & MF_MEM_PRE_REMOVE;

	if (!dev)
		return -EOPNOTSUPP;
	fuse_famfs_dev_failed(dev, offset, len, remove);
	return remove ? 0 : -EOPNOTSUPP;
}

/* A devdax instance is being unbound: the same as a pmem removal. */
static void fuse_famfs_devdax_gone(void *data)
{
	fuse_famfs_dev_failed(data, 0, U64_MAX, true);
}

static const struct dax_holder_operations fuse_famfs_holder_ops = {
	.notify_failure	= fuse_famfs_notify_failure,
};

static bool fuse_famfs_dev_poisoned(struct fuse_famfs_dev *dev, u64 addr,
				    u64 len)
{
	bool hit;

	if (!READ_ONCE(dev->poisoned))
		return false;
	spin_lock(&dev->lock);
	hit = fuse_famfs_poison_hit(&dev->poison, addr, len);
	spin_unlock(&dev->lock);
	return hit;
}

static void fuse_famfs_dev_free(struct fuse_famfs_dev *dev)
{
	if (dev->devdax)
		fuse_famfs_devdax_close(dev->devdax);	/* and the file */
	else if (dev->dax_dev)
		fs_put_dax(dev->dax_dev, dev);
	/* gives the exclusive claim back now, not at a deferred fput */
	if (dev->bdev_file)
		bdev_fput(dev->bdev_file);
	kfree(dev);
}

/* Is @ident held under another index already?  Under fconn->lock. */
static bool fuse_famfs_dev_held(struct fuse_famfs_conn *fconn,
				const void *ident)
{
	unsigned int i;

	for (i = 0; i < FUSE_FAMFS_MAX_DAXDEVS; i++)
		if (fconn->devs[i] && fconn->devs[i]->ident == ident)
			return true;
	return false;
}

/* Hold the devdax instance at @path, opened for read and write. */
static int fuse_famfs_devdax_hold(struct inode *inode,
				  struct fuse_famfs_conn *fconn,
				  struct fuse_famfs_dev *dev,
				  const struct path *path, const char *name)
{
	const struct cred *cred = get_fuse_conn(inode)->iomap_conn.server_cred;
	const char *why;
	struct file *file;
	int err;

	file = dentry_open(path, O_RDWR | O_LARGEFILE, cred);
	if (IS_ERR(file)) {
		famfs_warn(inode, "device %u: cannot open %s: %ld", dev->index,
			   name, PTR_ERR(file));
		return PTR_ERR(file);
	}
	err = fuse_famfs_devdax_open(file, fuse_famfs_devdax_gone, dev,
				     &dev->devdax, &why);
	if (err) {
		fput(file);
		famfs_warn(inode, "device %u: %s: %s", dev->index, name, why);
		return err;
	}
	dev->ident = fuse_famfs_devdax_ident(dev->devdax);
	strscpy(dev->label, fuse_famfs_devdax_name(dev->devdax));
	if (fuse_famfs_dev_held(fconn, dev->ident)) {
		famfs_warn(inode, "device %u: %s is held under another index already",
			   dev->index, name);
		return -EBUSY;
	}
	dev->dax_dev = fuse_famfs_devdax_dax(dev->devdax);
	dev->size = fuse_famfs_devdax_size(dev->devdax);
	return 0;
}

/*
 * Open the DAX-capable block device at @path, claimed exclusively with the
 * connection as holder (a filesystem mounted on it, or another famfs
 * connection, keeps it), and become the holder of its dax_device.
 */
static int fuse_famfs_pmem_hold(struct inode *inode,
				struct fuse_famfs_conn *fconn,
				struct fuse_famfs_dev *dev,
				const struct path *path, const char *name)
{
	u32 index = dev->index;
	int err;

	dev->bdev_file = bdev_file_open_by_dev(d_inode(path->dentry)->i_rdev,
					       BLK_OPEN_READ | BLK_OPEN_WRITE,
					       fconn, NULL);
	if (IS_ERR(dev->bdev_file)) {
		err = PTR_ERR(dev->bdev_file);
		dev->bdev_file = NULL;
		famfs_warn(inode, "device %u: cannot open %s: %d", index,
			   name, err);
		return err;
	}
	dev->bdev = file_bdev(dev->bdev_file);
	dev->ident = dev->bdev->bd_disk;
	snprintf(dev->label, sizeof(dev->label), "%pg", dev->bdev);
	if (!blk_queue_dax(bdev_get_queue(dev->bdev))) {
		famfs_warn(inode, "device %u: %s is not a DAX-capable block device",
			   index, name);
		return -EOPNOTSUPP;
	}
	/*
	 * One holder per dax_device, and 6.12's fs_dax_get_by_bdev() leaks
	 * an inode reference when the holder is taken: catch a device named
	 * twice before asking it.
	 */
	if (fuse_famfs_dev_held(fconn, dev->ident)) {
		famfs_warn(inode, "device %u: %s is held under another index already",
			   index, name);
		return -EBUSY;
	}
	dev->dax_dev = fs_dax_get_by_bdev(dev->bdev, &dev->start_off, dev,
					  &fuse_famfs_holder_ops);
	if (!dev->dax_dev) {
		famfs_warn(inode, "device %u: DAX of %s is in use or unusable",
			   index, name);
		return -EBUSY;
	}
	dev->size = bdev_nr_bytes(dev->bdev);
	return 0;
}

/*
 * Find the device @name as the server that accepted famfs sees it: from
 * its root, with its credentials (iomap_init.c keeps both), and check that
 * it may open it for reading and writing, as open(2) would.  The task that
 * happens to open the first file using a device (any user, in any mount
 * namespace) has no say in which device that is.  Called with the
 * server's credentials in force.
 */
static int fuse_famfs_dev_lookup(struct inode *inode, u32 index,
				 const char *name, struct path *path)
{
	const struct path *root = &get_fuse_conn(inode)->iomap_conn.server_root;
	struct inode *dinode;
	int err;

	err = vfs_path_lookup(root->dentry, root->mnt, name, LOOKUP_FOLLOW,
			      path);
	if (err) {
		famfs_warn(inode, "device %u: cannot find %s: %d", index, name,
			   err);
		return err;
	}
	dinode = d_inode(path->dentry);
	err = -ENODEV;
	if (!S_ISCHR(dinode->i_mode) && !S_ISBLK(dinode->i_mode)) {
		famfs_warn(inode, "device %u: %s is not a device", index, name);
		goto out_path;
	}
	err = -EACCES;
	if ((path->mnt->mnt_flags & MNT_NODEV) ||
	    (path->mnt->mnt_sb->s_iflags & SB_I_NODEV)) {
		famfs_warn(inode, "device %u: %s is on a nodev mount", index,
			   name);
		goto out_path;
	}
	err = inode_permission(mnt_idmap(path->mnt), dinode,
			       MAY_READ | MAY_WRITE);
	if (err) {
		famfs_warn(inode, "device %u: the server may not open %s: %d",
			   index, name, err);
		goto out_path;
	}
	return 0;

out_path:
	path_put(path);
	return err;
}

/* Open the device a GET_DAXDEV reply named: devdax or pmem. */
static int fuse_famfs_dev_open(struct inode *inode,
			       struct fuse_famfs_conn *fconn, u32 index,
			       const char *name, struct fuse_famfs_dev **devp)
{
	const struct cred *server = get_fuse_conn(inode)->iomap_conn.server_cred;
	const struct cred *old;
	struct fuse_famfs_dev *dev;
	struct path path;
	int err;

	/* iomap_init.c keeps them whenever famfs was negotiated */
	if (!server)
		return -EPERM;
	old = override_creds(server);
	err = fuse_famfs_dev_lookup(inode, index, name, &path);
	if (err)
		goto out_creds;
	err = -ENOMEM;
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		goto out_path;
	dev->index = index;
	dev->fc = get_fuse_conn(inode);
	spin_lock_init(&dev->lock);

	if (S_ISCHR(d_inode(path.dentry)->i_mode))
		err = fuse_famfs_devdax_hold(inode, fconn, dev, &path, name);
	else
		err = fuse_famfs_pmem_hold(inode, fconn, dev, &path, name);
	if (err)
		fuse_famfs_dev_free(dev);
	else
		*devp = dev;
out_path:
	path_put(&path);
out_creds:
	revert_creds(old);
	return err;
}

/* FUSE_GET_DAXDEV for @index, then the device it names. */
static int fuse_famfs_get_daxdev(struct inode *inode,
				 struct fuse_famfs_conn *fconn, u32 index,
				 struct fuse_famfs_dev **devp)
{
	struct fuse_get_daxdev_in inarg = { .daxdev_num = index };
	struct fuse_daxdev_out *out;
	const char *rule;
	struct fuse_args args = {};
	ssize_t len;
	int err;

	out = kzalloc(sizeof(*out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	fuse_iomap_args(&args, FUSE_GET_DAXDEV, index, &inarg, sizeof(inarg));
	fuse_iomap_args_out(&args, out, sizeof(*out), true);
	len = fuse_simple_request(get_fuse_mount(inode), &args);
	if (len < 0) {
		err = len == -ENOSYS ? -EOPNOTSUPP : len;
		famfs_warn(inode, "GET_DAXDEV %u failed: %zd", index, len);
		goto out;
	}
	err = fuse_famfs_check_daxdev(out, len, index, &rule);
	if (err) {
		famfs_warn(inode, "GET_DAXDEV %u: %s", index, rule);
		goto out;
	}
	err = fuse_famfs_dev_open(inode, fconn, index, out->name, devp);
out:
	kfree(out);
	return err;
}

/*
 * Hold every device @f names, asking for those not held yet, and check
 * that each of its ranges ends inside its device.
 */
static int fuse_famfs_get_devs(struct inode *inode,
			       const struct fuse_famfs_fmap *f)
{
	struct fuse_famfs_conn *fconn;
	unsigned long mask = f->devmask;
	struct fuse_famfs_dev *dev;
	unsigned int i;
	int err = 0;

	fconn = fuse_famfs_conn_get(get_fuse_conn(inode));
	if (!fconn)
		return -ENOMEM;
	for_each_set_bit(i, &mask, FUSE_FAMFS_MAX_DAXDEVS) {
		if (fuse_famfs_dev_of(fconn, i))
			continue;
		err = mutex_lock_killable(&fconn->lock);
		if (err)
			return err;
		if (!fconn->devs[i]) {
			err = fuse_famfs_get_daxdev(inode, fconn, i, &dev);
			if (!err) {
				/* pairs with fuse_famfs_dev_of() */
				smp_store_release(&fconn->devs[i], dev);
			}
		}
		mutex_unlock(&fconn->lock);
		if (err)
			return err;
	}
	for (i = 0; i < f->nstrips; i++) {
		const struct fuse_famfs_strip *s = &f->strips[i];

		dev = fconn->devs[s->dev];
		/* the parser checked that dev_off + len does not overflow */
		if (s->dev_off + s->len > dev->size) {
			famfs_warn(inode, "GET_FMAP: range %#llx+%#llx past the end of device %u (%#llx)",
				   s->dev_off, s->len, s->dev, dev->size);
			return -EFSCORRUPTED;
		}
	}
	return 0;
}

/* The connection is going away, and with it every famfs inode. */
void fuse_famfs_conn_put(struct fuse_conn *fc)
{
	struct fuse_famfs_conn *fconn = fc->famfs;
	unsigned int i;

	if (!fconn)
		return;
	/* every inode was evicted before the connection's last reference */
	WARN_ON_ONCE(!list_empty(&fconn->fmaps));
	for (i = 0; i < FUSE_FAMFS_MAX_DAXDEVS; i++)
		if (fconn->devs[i])
			fuse_famfs_dev_free(fconn->devs[i]);
	mutex_destroy(&fconn->lock);
	kfree(fconn);
	fc->famfs = NULL;
}

/* ---- the map ---- */

/* FUSE_GET_FMAP, asking once more if the server needs a bigger buffer. */
static int fuse_famfs_get_fmap(struct inode *inode,
			       struct fuse_famfs_fmap **fmapp)
{
	struct fuse_mount *fm = get_fuse_mount(inode);
	struct fuse_get_fmap_in inarg = {};
	size_t bufsize = FUSE_FAMFS_FMAP_BUFSIZE, needed;
	const char *rule = NULL;
	bool retried = false;
	struct fuse_args args;
	ssize_t len;
	void *buf;
	int err;

again:
	/* up to 32 KiB: no need for contiguous pages */
	buf = kvzalloc(bufsize, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	memset(&args, 0, sizeof(args));
	inarg.size = bufsize;
	fuse_iomap_args(&args, FUSE_GET_FMAP, get_node_id(inode), &inarg,
			sizeof(inarg));
	fuse_iomap_args_out(&args, buf, bufsize, true);
	len = fuse_simple_request(fm, &args);
	if (len < 0) {
		err = len == -ENOSYS ? -EOPNOTSUPP : len;
		famfs_warn(inode, "GET_FMAP failed: %zd", len);
		goto out;
	}

	err = fuse_famfs_fmap_reply_size(buf, len, bufsize, &needed);
	if (err < 0) {
		rule = "asked for a buffer size out of range";
	} else if (err && retried) {
		rule = "asked for a bigger buffer twice";
		err = -EFSCORRUPTED;
	} else if (err) {
		retried = true;
		bufsize = needed;
		kvfree(buf);
		goto again;
	} else {
		err = fuse_famfs_fmap_parse(buf, len, fmapp, &rule);
	}
	if (err && rule)
		famfs_warn(inode, "GET_FMAP: %s", rule);
out:
	kvfree(buf);
	return err;
}

/* The installed fmap, other than @f, that shares memory with @f. */
static struct fuse_famfs_fmap *
fuse_famfs_overlapping(struct fuse_famfs_conn *fconn,
		       const struct fuse_famfs_fmap *f)
{
	struct fuse_famfs_fmap *other;

	lockdep_assert_held(&fconn->fmaps_lock);
	list_for_each_entry(other, &fconn->fmaps, node)
		if (fuse_famfs_fmap_overlap(f, other))
			return other;
	return NULL;
}

/*
 * Give @inode the fmap @f (its devices held), unless another live inode
 * maps some of the same memory: fs/dax.c lets one mapping own a DAX page.
 * That is a corrupt layout, or the same file's old inode, still in use
 * after the server gave the file a new generation; the open fails with
 * -EBUSY until it is gone.
 *
 * A racing open may have installed a map first, from another reply (a
 * server may answer differently): the size must be that of the map that
 * stays, so the loser changes neither.
 */
static int fuse_famfs_install(struct inode *inode, struct fuse_famfs_fmap *f)
{
	struct fuse_famfs_conn *fconn = fuse_famfs_conn_of(get_fuse_conn(inode));
	struct fuse_inode *fi = get_fuse_inode(inode);
	struct fuse_famfs_fmap *other = NULL;
	u64 other_id = 0;

	f->owner = get_node_id(inode);
	spin_lock(&fconn->fmaps_lock);
	if (!fi->famfs_fmap) {
		other = fuse_famfs_overlapping(fconn, f);
		if (other) {
			other_id = other->owner;
		} else {
			spin_lock(&fi->lock);
			i_size_write(inode, f->file_size);
			/* pairs with fuse_famfs_fmap_of() */
			smp_store_release(&fi->famfs_fmap, f);
			spin_unlock(&fi->lock);
			list_add(&f->node, &fconn->fmaps);
			f = NULL;
		}
	}
	spin_unlock(&fconn->fmaps_lock);
	fuse_famfs_fmap_free(f);
	if (!other)
		return 0;
	famfs_warn(inode, "GET_FMAP: its memory is mapped by inode %llu, which is in use",
		   other_id);
	return -EBUSY;
}

/*
 * Called from fuse_finish_open(): fetch and validate the map on the first
 * open, and make the open's flags fit a file the kernel does all I/O of.
 * A bad map fails the open.
 */
int fuse_famfs_open(struct inode *inode, struct file *file)
{
	struct fuse_file *ff = file->private_data;
	struct fuse_famfs_fmap *f;
	int err;

	ff->open_flags &= ~(FOPEN_DIRECT_IO | FOPEN_PASSTHROUGH |
			    FOPEN_PARALLEL_DIRECT_WRITES);
	ff->open_flags |= FOPEN_KEEP_CACHE;
	file->f_mode |= FMODE_CAN_ODIRECT;

	/*
	 * The fmap fixes the size.  Without FUSE_ATOMIC_O_TRUNC, O_TRUNC is
	 * a truncate, refused in fuse_famfs_setattr_check(); with it the
	 * kernel would set the size to 0 after this open: refuse it here.
	 */
	if ((file->f_flags & O_TRUNC) && get_fuse_conn(inode)->atomic_o_trunc &&
	    i_size_read(inode))
		return -EPERM;

	if (fuse_famfs_fmap_of(inode))
		return 0;
	err = fuse_famfs_get_fmap(inode, &f);
	if (err)
		return err;
	err = fuse_famfs_get_devs(inode, f);
	if (err) {
		fuse_famfs_fmap_free(f);
		return err;
	}
	return fuse_famfs_install(inode, f);
}

/* ---- iomap ---- */

static int fuse_famfs_iomap_begin(struct inode *inode, loff_t pos,
				  loff_t length, unsigned int flags,
				  struct iomap *iomap, struct iomap *srcmap)
{
	const struct fuse_famfs_fmap *f = fuse_famfs_fmap_of(inode);
	struct fuse_famfs_conn *fconn;
	struct fuse_famfs_dev *dev = NULL;
	struct fuse_famfs_map m;

	/*
	 * iomap asks for a read's position before dax_iomap_iter() stops
	 * at the size: at or past EOF there may be no map at all (the size
	 * can be the map's end), and a read there ends, it does not fail.
	 * Writes stop at the size and faults check it before asking.
	 */
	if (!(flags & (IOMAP_WRITE | IOMAP_FAULT)) &&
	    pos >= i_size_read(inode)) {
		iomap->offset = pos;
		iomap->length = length;
		iomap->addr = IOMAP_NULL_ADDR;
		iomap->type = IOMAP_HOLE;
		iomap->flags = 0;
		return 0;
	}

	fconn = fuse_famfs_conn_of(get_fuse_conn(inode));
	if (f && fconn && !fuse_famfs_resolve(f, pos, &m))
		dev = fuse_famfs_dev_of(fconn, m.dev);
	if (!dev) {
		famfs_warn(inode, "no mapping for offset %lld (size %lld, mapped %llu)",
			   pos, i_size_read(inode), f ? f->mapped : 0);
		return -EIO;
	}
	iomap->offset = pos;
	iomap->length = m.len;
	iomap->addr = dev->start_off + m.dev_off;
	iomap->type = IOMAP_MAPPED;
	iomap->flags = 0;
	iomap->bdev = dev->bdev;
	iomap->dax_dev = dev->dax_dev;
	if (fuse_famfs_dev_poisoned(dev, iomap->addr,
				    min_t(u64, m.len, length))) {
		famfs_warn(inode, "offset %lld is on poisoned memory of device %u",
			   pos, dev->index);
		return flags & IOMAP_FAULT ? -EHWPOISON : -EIO;
	}
	return 0;
}

static const struct iomap_ops fuse_famfs_iomap_ops = {
	.iomap_begin	= fuse_famfs_iomap_begin,
};

/* ---- read, write, mmap ---- */

static ssize_t fuse_famfs_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	ssize_t ret;

	if (fuse_is_bad(inode))
		return -EIO;
	if (!iov_iter_count(to))
		return 0;
	ret = fuse_iomap_lock(iocb, false);
	if (ret)
		return ret;
	ret = dax_iomap_rw(iocb, to, &fuse_famfs_iomap_ops);
	inode_unlock_shared(inode);
	file_accessed(iocb->ki_filp);
	return ret;
}

static ssize_t fuse_famfs_write_iter(struct kiocb *iocb,
				     struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	loff_t size;
	ssize_t ret;

	if (fuse_is_bad(inode))
		return -EIO;
	ret = fuse_iomap_lock(iocb, true);
	if (ret)
		return ret;
	ret = generic_write_checks(iocb, from);
	if (ret <= 0)
		goto out;
	/* nothing to allocate: the fmap fixes the size */
	size = i_size_read(inode);
	if (iocb->ki_pos >= size) {
		ret = -ENOSPC;
		goto out;
	}
	iov_iter_truncate(from, size - iocb->ki_pos);
	ret = fuse_iomap_file_modified(iocb);
	if (ret)
		goto out;
	ret = dax_iomap_rw(iocb, from, &fuse_famfs_iomap_ops);
out:
	inode_unlock(inode);
	if (ret > 0)
		ret = generic_write_sync(iocb, ret);
	return ret;
}

/*
 * The devdax instance and place a fault of @order at @vmf lands on, if
 * it is one that fuse_famfs_devdax_fault() maps: the rest (pmem, copy-on-write
 * faults of private mappings, which map no DAX page) go to fs/dax.c.
 * Under the invalidate lock.
 */
static struct fuse_famfs_dev *
fuse_famfs_fault_devdax(struct vm_fault *vmf, unsigned int order,
			struct fuse_famfs_map *m, vm_fault_t *ret)
{
	struct vm_area_struct *vma = vmf->vma;
	struct inode *inode = file_inode(vma->vm_file);
	const struct fuse_famfs_fmap *f = fuse_famfs_fmap_of(inode);
	struct fuse_famfs_conn *fconn = fuse_famfs_conn_of(get_fuse_conn(inode));
	unsigned long addr = vmf->address & ~((PAGE_SIZE << order) - 1);
	u64 size = PAGE_SIZE << order;
	struct fuse_famfs_dev *dev;

	lockdep_assert_held(&inode->i_mapping->invalidate_lock);
	pgoff_t pgoff;
	loff_t pos;

	if (vmf->cow_page || !f || !fconn)
		return NULL;
	*ret = VM_FAULT_FALLBACK;
	if (order) {
		/* a PMD, inside the VMA and the file, in step with both */
		pgoff = linear_page_index(vma, addr);
		if (order != PMD_ORDER || addr < vma->vm_start ||
		    addr + size > vma->vm_end || (pgoff & (PTRS_PER_PMD - 1)) ||
		    ((vmf->flags & FAULT_FLAG_WRITE) &&
		     !(vma->vm_flags & VM_SHARED)))
			return NULL;
		pos = (loff_t)pgoff << PAGE_SHIFT;
		if (pos + size > round_up(i_size_read(inode), PAGE_SIZE))
			return NULL;
	} else {
		pos = (loff_t)vmf->pgoff << PAGE_SHIFT;
		if (pos >= i_size_read(inode))
			return NULL;	/* fs/dax.c: SIGBUS */
	}
	if (fuse_famfs_resolve(f, pos, m))
		return NULL;
	dev = fuse_famfs_dev_of(fconn, m->dev);
	if (!dev || !dev->devdax)
		return NULL;
	if (m->len < size)
		return order ? dev : NULL;	/* VM_FAULT_FALLBACK */
	*ret = 0;
	return dev;
}

/*
 * Map devdax memory as device-dax maps its own: a devmap entry for the
 * pfn, no DAX page cache entry, no page->mapping (fs/dax.c sets that on
 * every page it maps, which corrupts device-dax's compound pages and
 * clashes with the char device's own claim on the pages the server maps
 * through it).  Write faults of shared mappings come back as pfn_mkwrite.
 */
static vm_fault_t fuse_famfs_devdax_fault(struct vm_fault *vmf,
					  unsigned int order,
					  struct fuse_famfs_dev *dev,
					  const struct fuse_famfs_map *m)
{
	struct inode *inode = file_inode(vmf->vma->vm_file);
	u64 size = PAGE_SIZE << order;
	vm_fault_t ret;
	pfn_t pfn;
	int id;

	if (fuse_famfs_dev_poisoned(dev, m->dev_off, size)) {
		if (order)
			return VM_FAULT_FALLBACK;
		famfs_warn(inode, "offset %llu is on poisoned memory of device %u",
			   (u64)vmf->pgoff << PAGE_SHIFT, dev->index);
		return VM_FAULT_SIGBUS;
	}
	id = dax_read_lock();
	if (fuse_famfs_devdax_pfn(dev->devdax, m->dev_off, size, &pfn))
		ret = order ? VM_FAULT_FALLBACK : VM_FAULT_SIGBUS;
	else if (!order)
		ret = vmf_insert_mixed(vmf->vma, vmf->address, pfn);
	else if (!IS_ALIGNED(pfn_t_to_pfn(pfn), 1UL << order))
		ret = VM_FAULT_FALLBACK;
	else
		ret = vmf_insert_pfn_pmd(vmf, pfn,
					 vmf->flags & FAULT_FLAG_WRITE);
	dax_read_unlock(id);
	trace_fuse_famfs_devdax_fault(inode,
				      (u64)linear_page_index(vmf->vma,
							     vmf->address) << PAGE_SHIFT,
				      order, m->dev_off, ret);
	return ret;
}

static vm_fault_t fuse_famfs_huge_fault(struct vm_fault *vmf,
					unsigned int order)
{
	struct inode *inode = file_inode(vmf->vma->vm_file);
	bool write = (vmf->flags & FAULT_FLAG_WRITE) &&
		     (vmf->vma->vm_flags & VM_SHARED);
	struct fuse_famfs_dev *dev;
	struct fuse_famfs_map m;
	vm_fault_t ret;
	pfn_t pfn;

	if (write)
		sb_start_pagefault(inode->i_sb);
	filemap_invalidate_lock_shared(inode->i_mapping);
	dev = fuse_famfs_fault_devdax(vmf, order, &m, &ret);
	if (!dev)
		ret = dax_iomap_fault(vmf, order, &pfn, NULL,
				      &fuse_famfs_iomap_ops);
	else if (!ret)
		ret = fuse_famfs_devdax_fault(vmf, order, dev, &m);
	filemap_invalidate_unlock_shared(inode->i_mapping);
	if (write)
		sb_end_pagefault(inode->i_sb);
	return ret;
}

static vm_fault_t fuse_famfs_fault(struct vm_fault *vmf)
{
	return fuse_famfs_huge_fault(vmf, 0);
}

/*
 * A write to a read-only PTE of a shared mapping: fs/dax.c's for pmem; a
 * devdax PTE is made writable by the caller, once the instance is still
 * there (the invalidate lock orders this against its removal).
 */
static vm_fault_t fuse_famfs_pfn_mkwrite(struct vm_fault *vmf)
{
	struct inode *inode = file_inode(vmf->vma->vm_file);
	struct fuse_famfs_dev *dev;
	struct fuse_famfs_map m;
	vm_fault_t ret;

	filemap_invalidate_lock_shared(inode->i_mapping);
	dev = fuse_famfs_fault_devdax(vmf, 0, &m, &ret);
	if (dev && !ret && fuse_famfs_dev_poisoned(dev, m.dev_off, PAGE_SIZE))
		ret = VM_FAULT_SIGBUS;
	filemap_invalidate_unlock_shared(inode->i_mapping);
	if (!dev)
		return fuse_famfs_fault(vmf);
	return ret;
}

static const struct vm_operations_struct fuse_famfs_vm_ops = {
	.fault		= fuse_famfs_fault,
	.huge_fault	= fuse_famfs_huge_fault,
	.page_mkwrite	= fuse_famfs_fault,
	.pfn_mkwrite	= fuse_famfs_pfn_mkwrite,
};

static int fuse_famfs_mmap(struct file *file, struct vm_area_struct *vma)
{
	file_accessed(file);
	vma->vm_ops = &fuse_famfs_vm_ops;
	vm_flags_set(vma, VM_HUGEPAGE);
	return 0;
}

/*
 * FUSE's file operations with famfs's I/O.  No ->fallocate: the fmap
 * fixes a famfs file's layout (EOPNOTSUPP), and no ->remap_file_range.
 */
static const struct file_operations fuse_famfs_fops = {
	.llseek		= fuse_file_llseek,
	.read_iter	= fuse_famfs_read_iter,
	.write_iter	= fuse_famfs_write_iter,
	.mmap		= fuse_famfs_mmap,
	.open		= fuse_open,
	.flush		= fuse_flush,
	.release	= fuse_release,
	.fsync		= fuse_fsync,
	.lock		= fuse_file_lock,
	.get_unmapped_area = thp_get_unmapped_area,
	.flock		= fuse_file_flock,
	.splice_read	= fuse_splice_read,
	.splice_write	= fuse_splice_write,
	.unlocked_ioctl	= fuse_file_ioctl,
	.compat_ioctl	= fuse_file_compat_ioctl,
	.poll		= fuse_file_poll,
	.copy_file_range = fuse_copy_file_range,
};

/*
 * Write back the CPU cache lines that DAX write faults dirtied.  fs/dax.c
 * takes the pfn from each entry; the dax_device only says whether to
 * flush, so one whose cache needs it covers all devices of the file.
 */
static int fuse_famfs_writepages(struct address_space *mapping,
				 struct writeback_control *wbc)
{
	struct inode *inode = mapping->host;
	const struct fuse_famfs_fmap *f = fuse_famfs_fmap_of(inode);
	struct fuse_famfs_conn *fconn;
	struct dax_device *dax_dev = NULL;
	unsigned long mask;
	unsigned int i;

	fconn = fuse_famfs_conn_of(get_fuse_conn(inode));
	if (!f || !fconn)
		return 0;	/* never mapped: nothing is dirty */
	mask = f->devmask;
	for_each_set_bit(i, &mask, FUSE_FAMFS_MAX_DAXDEVS) {
		dax_dev = fconn->devs[i]->dax_dev;
		if (dax_write_cache_enabled(dax_dev))
			break;
	}
	if (!dax_dev)
		return 0;
	return dax_writeback_mapping_range(mapping, dax_dev, wbc);
}

static const struct address_space_operations fuse_famfs_aops = {
	.writepages	= fuse_famfs_writepages,
	.dirty_folio	= noop_dirty_folio,
};
