// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-iomap: block devices registered by the server, and the /dev/fuse
 * ioctls of the iomap protocol.
 *
 * A server registers each block device it maps files to with
 * FUSE_DEV_IOC_BACKING_OPEN (type FUSE_BACKING_TYPE_IOMAP) and gets a cookie
 * (1..FUSE_IOMAP_MAX_DEVS) to put in its mappings.  On a connection that
 * negotiated FUSE_IOMAP, backing ids are iomap device cookies: the
 * connection does not also do passthrough (see fuse_iomap_init_reply).
 *
 * I/O takes a reference on the device for as long as iomap uses one of its
 * mappings (->iomap_begin to ->iomap_end).  BACKING_CLOSE only unpublishes
 * the cookie; the file is released with the last reference.
 */

#include <kunit/visibility.h>
#include <linux/blkdev.h>
#include <linux/buffer_head.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/sched/mm.h>

#include "fuse_i.h"

#define FUSE_IOMAP_MAX_DEVS	1024

struct fuse_iomap_dev {
	u32 cookie;
	struct file *file;
	struct block_device *bdev;
	bool writable;
	refcount_t ref;
	struct rcu_head rcu;
};

void fuse_iomap_conn_init(struct fuse_conn *fc)
{
	xa_init_flags(&fc->iomap_conn.devs, XA_FLAGS_ALLOC1);
	fuse_iomap_cache_conn_init(fc);
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_conn_init);

void fuse_iomap_dev_put(struct fuse_iomap_dev *dev)
{
	if (dev && refcount_dec_and_test(&dev->ref)) {
		fput(dev->file);
		kfree_rcu(dev, rcu);
	}
}

/* Drop every device; the connection is going away. */
void fuse_iomap_conn_put(struct fuse_conn *fc)
{
	struct fuse_iomap_dev *dev;
	unsigned long id;

	fuse_iomap_cache_conn_put(fc);
	xa_for_each(&fc->iomap_conn.devs, id, dev)
		fuse_iomap_dev_put(dev);
	xa_destroy(&fc->iomap_conn.devs);
	fuse_iomap_server_put(fc);
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_conn_put);

/**
 * fuse_iomap_dev_get - look up a device cookie and take a reference
 * @fc: the connection
 * @cookie: the cookie from a mapping
 * @info: filled with what the validator needs to know about the device
 *
 * Return: the device, or NULL for FUSE_IOMAP_DEV_NULL and unknown cookies
 * (@info->found tells them apart for the validator).
 */
struct fuse_iomap_dev *fuse_iomap_dev_get(struct fuse_conn *fc, u32 cookie,
					  struct fuse_iomap_devinfo *info)
{
	struct fuse_iomap_dev *dev = NULL;

	memset(info, 0, sizeof(*info));
	if (cookie == FUSE_IOMAP_DEV_NULL)
		return NULL;

	rcu_read_lock();
	dev = xa_load(&fc->iomap_conn.devs, cookie);
	if (dev && !refcount_inc_not_zero(&dev->ref))
		dev = NULL;
	rcu_read_unlock();
	if (!dev)
		return NULL;

	info->found = true;
	info->writable = dev->writable;
	info->size = bdev_nr_bytes(dev->bdev);
	return dev;
}

/**
 * fuse_iomap_dev_drop_cache - forget a freed range in the device's cache
 * @dev: the device
 * @addr: device offset, bytes
 * @length: bytes; FUSE_IOMAP_INVAL_TO_EOF for the rest of the device
 *
 * The server reads and writes its metadata through the block device's
 * page cache; blocks it freed may now take file data, which the kernel
 * writes around that cache.  So dirty buffers of the range must never be
 * written back over that data (as clean_bdev_aliases() does for kernel
 * filesystems that allocate blocks), and clean pages are dropped so the
 * server does not read stale copies.  Only whole blocks and pages inside
 * the range are touched.
 */
void fuse_iomap_dev_drop_cache(struct fuse_iomap_dev *dev, u64 addr,
			       u64 length)
{
	struct address_space *mapping = dev->bdev->bd_mapping;
	unsigned int blkbits = mapping->host->i_blkbits;
	u64 size = bdev_nr_bytes(dev->bdev), end;
	u64 first, last;

	if (addr >= size)
		return;
	if (length == FUSE_IOMAP_INVAL_TO_EOF ||
	    check_add_overflow(addr, length, &end) || end > size)
		end = size;

	first = DIV_ROUND_UP_ULL(addr, 1ULL << blkbits);
	last = end >> blkbits;
	/* without buffer heads, the block device's cache keeps none */
	if (IS_ENABLED(CONFIG_BUFFER_HEAD) && last > first)
		clean_bdev_aliases(dev->bdev, first, last - first);

	first = DIV_ROUND_UP_ULL(addr, PAGE_SIZE);
	last = end >> PAGE_SHIFT;
	if (last > first)
		invalidate_mapping_pages(mapping, first, last - 1);
}

struct block_device *fuse_iomap_dev_bdev(const struct fuse_iomap_dev *dev)
{
	return dev ? dev->bdev : NULL;
}

u32 fuse_iomap_dev_cookie(const struct fuse_iomap_dev *dev)
{
	return dev ? dev->cookie : FUSE_IOMAP_DEV_NULL;
}

/* The cookie of a registered block device, for ioends that name a bio's. */
u32 fuse_iomap_dev_cookie_of(struct fuse_conn *fc, struct block_device *bdev)
{
	struct fuse_iomap_dev *dev;
	unsigned long id;
	u32 cookie = FUSE_IOMAP_DEV_NULL;

	rcu_read_lock();
	xa_for_each(&fc->iomap_conn.devs, id, dev) {
		if (dev->bdev == bdev) {
			cookie = dev->cookie;
			break;
		}
	}
	rcu_read_unlock();
	return cookie;
}

/* FUSE_DEV_IOC_BACKING_OPEN with FUSE_BACKING_TYPE_IOMAP */
int fuse_iomap_dev_open(struct fuse_conn *fc,
			const struct fuse_backing_map *map)
{
	struct fuse_iomap_dev *dev;
	struct file *file;
	u32 id;
	int err;

	err = fuse_iomap_may_add_dev(fc);
	if (err)
		return err;
	if (map->flags & ~FUSE_BACKING_TYPE_MASK || map->padding)
		return -EINVAL;

	file = fget(map->fd);
	if (!file)
		return -EBADF;
	err = -ENOTBLK;
	if (!S_ISBLK(file_inode(file)->i_mode) || !file_bdev(file))
		goto out_fput;
	err = -EBADF;
	if (!(file->f_mode & FMODE_READ))
		goto out_fput;

	err = -ENOMEM;
	dev = kzalloc(sizeof(*dev), GFP_KERNEL_ACCOUNT);
	if (!dev)
		goto out_fput;
	dev->file = file;
	dev->bdev = file_bdev(file);
	dev->writable = file->f_mode & FMODE_WRITE;
	refcount_set(&dev->ref, 1);

	/* Published with its cookie set: lookups are lockless. */
	xa_lock(&fc->iomap_conn.devs);
	err = __xa_alloc(&fc->iomap_conn.devs, &id, NULL,
			 XA_LIMIT(1, FUSE_IOMAP_MAX_DEVS), GFP_KERNEL_ACCOUNT);
	if (!err) {
		dev->cookie = id;
		__xa_store(&fc->iomap_conn.devs, id, dev, GFP_KERNEL_ACCOUNT);
	}
	xa_unlock(&fc->iomap_conn.devs);
	if (err) {
		kfree(dev);
		err = err == -EBUSY ? -ENOSPC : err;
		goto out_fput;
	}
	return id;

out_fput:
	fput(file);
	return err;
}

/* FUSE_DEV_IOC_BACKING_CLOSE on an iomap connection */
int fuse_iomap_dev_close(struct fuse_conn *fc, int id)
{
	struct fuse_iomap_dev *dev;

	if (id <= 0 || id > FUSE_IOMAP_MAX_DEVS)
		return -EINVAL;
	dev = xa_erase(&fc->iomap_conn.devs, id);
	if (!dev)
		return -ENOENT;
	fuse_iomap_dev_put(dev);
	return 0;
}

/*
 * /dev/fuse files a privileged mount helper granted iomap to before the
 * mount (FUSE_DEV_IOC_ADD_IOMAP), so that the unprivileged server it
 * hands the file to is offered iomap.  Keyed by the struct file; an entry
 * goes when the mount takes it or the file is released.
 */
static DEFINE_XARRAY(fuse_iomap_grants);

/* The connection's device of a /dev/fuse file; NULL until it is mounted. */
static struct fuse_dev *fuse_iomap_file_dev(struct file *file)
{
	return READ_ONCE(file->private_data);
}

static long fuse_iomap_ioctl_add_iomap(struct file *file)
{
	if (!fuse_iomap_permitted())
		return -EPERM;
	/* mounted: INIT, which offers iomap or not, has gone out */
	if (fuse_iomap_file_dev(file))
		return -EBUSY;
	return xa_err(xa_store(&fuse_iomap_grants, (unsigned long)file,
			       xa_mk_value(1), GFP_KERNEL_ACCOUNT));
}

/**
 * fuse_iomap_dev_take_grant - did a helper grant iomap to this file?
 * @file: the /dev/fuse file being mounted
 *
 * Return: true if it did; the grant is used up.
 */
bool fuse_iomap_dev_take_grant(struct file *file)
{
	return !!xa_erase(&fuse_iomap_grants, (unsigned long)file);
}

/* A /dev/fuse file goes away: so does a grant the mount did not take. */
void fuse_iomap_dev_release(struct file *file)
{
	xa_erase(&fuse_iomap_grants, (unsigned long)file);
}

static long fuse_iomap_ioctl_support(struct file *file,
				     struct fuse_iomap_support __user *argp)
{
	struct fuse_iomap_support s = { };

	if (fuse_iomap_permitted() ||
	    xa_load(&fuse_iomap_grants, (unsigned long)file))
		s.flags |= FUSE_IOMAP_SUPPORT_FILEIO;
	return copy_to_user(argp, &s, sizeof(s)) ? -EFAULT : 0;
}

/*
 * The block size of a registered device's page cache, which the server
 * uses for its metadata: set_blocksize() of the file it registered, which
 * must be open O_EXCL.
 */
static long fuse_iomap_ioctl_set_blocksize(struct file *file,
					   struct fuse_iomap_set_blocksize __user *argp)
{
	struct fuse_iomap_set_blocksize sb;
	struct fuse_dev *fud = fuse_iomap_file_dev(file);
	struct fuse_iomap_devinfo info;
	struct fuse_iomap_dev *dev;
	long err;

	if (copy_from_user(&sb, argp, sizeof(sb)))
		return -EFAULT;
	if (!fud)
		return -EINVAL;
	if (!fud->fc->iomap_conn.iomap)
		return -EPERM;
	dev = fuse_iomap_dev_get(fud->fc, sb.backing_id, &info);
	if (!dev)
		return -ENOENT;
	err = set_blocksize(dev->file, sb.blocksize);
	fuse_iomap_dev_put(dev);
	return err;
}

/*
 * A server that serves its own page cache's writeback must not recurse into
 * filesystem reclaim; let it set PF_MEMALLOC_NOFS on the calling thread.
 */
static long fuse_iomap_ioctl_set_nofs(u32 __user *argp)
{
	u32 on;

	if (get_user(on, argp))
		return -EFAULT;
	if (on > 1)
		return -EINVAL;
	if (on)
		current->flags |= PF_MEMALLOC_NOFS;
	else
		current->flags &= ~PF_MEMALLOC_NOFS;
	return 0;
}

/* /dev/fuse ioctls that upstream does not know; -ENOTTY for the rest. */
long fuse_iomap_dev_ioctl(struct file *file, unsigned int cmd,
			  void __user *argp)
{
	switch (cmd) {
	case FUSE_DEV_IOC_IOMAP_SUPPORT:
		return fuse_iomap_ioctl_support(file, argp);
	case FUSE_DEV_IOC_SET_NOFS:
		return fuse_iomap_ioctl_set_nofs(argp);
	case FUSE_DEV_IOC_ADD_IOMAP:
		return fuse_iomap_ioctl_add_iomap(file);
	case FUSE_DEV_IOC_IOMAP_SET_BLOCKSIZE:
		return fuse_iomap_ioctl_set_blocksize(file, argp);
	default:
		return -ENOTTY;
	}
}
