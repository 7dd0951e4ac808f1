// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-iomap: famfs on device-dax instances (/dev/daxX.Y).
 *
 * famfs names its memory by a devdax character device.  In 6.12 the
 * dax_device of a device-dax instance has no dax_operations (the posted
 * famfs series adds them, and 6.12 has no fs_dax_get() to take its
 * holder), so fs/dax.c cannot use it.  This file gives such an instance
 * a dax_device of our own: direct access to the instance's physical
 * range through the kernel's linear map, where device-dax put its pages.
 *
 * What we rely on, all of it public:
 * - the char device is bound to the device_dax driver, which found its
 *   struct device (the cdev's parent) and put its pages under one
 *   dev_pagemap (get_dev_pagemap());
 * - the range comes from the instance's documented sysfs attributes
 *   "resource" and "size" (Documentation/ABI/testing/sysfs-bus-dax), read
 *   through their show() methods: 6.12 exports no accessor for them.  This
 *   is the one place that does so;
 * - the range is one physically contiguous run inside that dev_pagemap
 *   (a multi-range instance is refused; fuse_famfs_devdax_span() in the
 *   pure famfs_fmap.c has the rule);
 * - while we hold it, a devres action of ours sits on the instance: an
 *   unbind runs it before device-dax tears its pages down (devres runs
 *   in reverse order), and it calls back famfs, which drops every
 *   mapping of the device, and then kills our dax_device (no access
 *   after kill_dax()'s synchronize_srcu()).  A resize needs the instance
 *   unbound, so the range cannot change under us.
 *
 * fs/dax.c reads and writes through that dax_device.  Page faults do not
 * go through fs/dax.c: it points every page it maps at the file's
 * mapping, which would corrupt the compound pages device-dax makes for
 * an align above PAGE_SIZE and fight with the char device's own claim
 * on the pages the server maps.  famfs.c maps the pfns itself, as
 * device-dax does (fuse_famfs_devdax_pfn()).
 *
 * One connection at a time holds an instance (a global claim list), as
 * the holder of a pmem dax_device is one, so that two mounts never map
 * the same memory.
 */

#include <linux/dax.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pfn_t.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "famfs_i.h"

struct fuse_famfs_devdax {
	struct list_head	node;		/* on fuse_famfs_devdax_claims */
	struct file		*file;		/* the open /dev/daxX.Y */
	struct device		*dev;		/* its device, referenced */
	struct dax_device	*dax_dev;	/* ours, for fs/dax.c */
	phys_addr_t		start;
	u64			size;		/* bytes */
	bool			bound;		/* our devres action is on dev */
	void			(*remove)(void *data);
	void			*data;
};

/* Instances a connection holds; under fuse_famfs_devdax_lock. */
static LIST_HEAD(fuse_famfs_devdax_claims);
static DEFINE_MUTEX(fuse_famfs_devdax_lock);

static long fuse_famfs_devdax_direct_access(struct dax_device *dax_dev,
					    pgoff_t pgoff, long nr_pages,
					    enum dax_access_mode mode,
					    void **kaddr, pfn_t *pfn)
{
	struct fuse_famfs_devdax *dd = dax_get_private(dax_dev);
	phys_addr_t phys;

	if (!dd)
		return -ENXIO;
	if (pgoff >= PHYS_PFN(dd->size))
		return 0;	/* -ERANGE */
	phys = dd->start + PFN_PHYS(pgoff);
	if (kaddr)
		*kaddr = __va(phys);
	if (pfn)
		*pfn = phys_to_pfn_t(phys, PFN_DEV | PFN_MAP);
	return min_t(u64, PHYS_PFN(dd->size) - pgoff, nr_pages);
}

static int fuse_famfs_devdax_zero_page_range(struct dax_device *dax_dev,
					     pgoff_t pgoff, size_t nr_pages)
{
	void *kaddr;
	long avail;

	while (nr_pages) {
		avail = fuse_famfs_devdax_direct_access(dax_dev, pgoff,
							nr_pages, DAX_ACCESS,
							&kaddr, NULL);
		if (avail <= 0)
			return avail ? avail : -ERANGE;
		memset(kaddr, 0, PFN_PHYS(avail));
		pgoff += avail;
		nr_pages -= avail;
	}
	return 0;
}

static const struct dax_operations fuse_famfs_devdax_ops = {
	.direct_access		= fuse_famfs_devdax_direct_access,
	.zero_page_range	= fuse_famfs_devdax_zero_page_range,
};

/**
 * fuse_famfs_devdax_pfn - the pfn of device bytes, for a page fault
 * @dd: the instance
 * @off: byte offset into it, page aligned
 * @len: bytes that must be there, from @off
 * @pfn: the pfn of @off
 *
 * The caller maps the pfn as device-dax maps its own pages: a devmap
 * entry, no page cache entry, no page->mapping (fs/dax.c would set it on
 * every page, which corrupts device-dax's compound pages and fights with
 * the char device's own claim on them).  Under dax_read_lock(): the
 * kill_dax() of an unbind waits for the caller to be done.
 *
 * Return: 0, -ENXIO once the instance is going away, -ERANGE past its end.
 */
int fuse_famfs_devdax_pfn(const struct fuse_famfs_devdax *dd, u64 off,
			  u64 len, pfn_t *pfn)
{
	if (!dax_alive(dd->dax_dev))
		return -ENXIO;
	if (off >= dd->size || len > dd->size - off)
		return -ERANGE;
	*pfn = phys_to_pfn_t(dd->start + off, PFN_DEV | PFN_MAP);
	return 0;
}

/*
 * device-dax is being unbound from the instance, under its device lock,
 * before it tears the pages down: nothing may map or access them after.
 */
static void fuse_famfs_devdax_unbind(void *data)
{
	struct fuse_famfs_devdax *dd = data;

	dd->bound = false;
	dd->remove(dd->data);
	kill_dax(dd->dax_dev);
}

/* The show() method of @dev's attribute @name, as a number. */
static int fuse_famfs_devdax_attr(struct device *dev, const char *name,
				  char *page, u64 *val)
{
	const struct attribute_group *const *grp;
	struct attribute *const *attr;
	struct device_attribute *da;
	ssize_t len;

	for (grp = dev->type ? dev->type->groups : NULL; grp && *grp; grp++)
		for (attr = (*grp)->attrs; attr && *attr; attr++) {
			if (strcmp((*attr)->name, name))
				continue;
			da = container_of(*attr, struct device_attribute, attr);
			if (!da->show)
				return -EIO;
			len = da->show(dev, da, page);
			if (len <= 0 || len >= PAGE_SIZE)
				return len < 0 ? len : -EIO;
			page[len] = '\0';
			return kstrtoull(strim(page), 0, val);
		}
	return -ENOENT;
}

/*
 * The physical range of the instance: one contiguous run of its device
 * pages.  Under the device lock, with the instance bound to device_dax.
 */
static int fuse_famfs_devdax_range(struct fuse_famfs_devdax *dd,
				   const char **why)
{
	struct dev_pagemap *pgmap;
	u64 start, size;
	char *page;
	int err;

	device_lock_assert(dd->dev);
	page = (char *)__get_free_page(GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	err = fuse_famfs_devdax_attr(dd->dev, "resource", page, &start);
	if (!err)
		err = fuse_famfs_devdax_attr(dd->dev, "size", page, &size);
	free_page((unsigned long)page);
	if (err) {
		*why = "its range cannot be read";
		return err;
	}
	pgmap = get_dev_pagemap(PHYS_PFN(start), NULL);
	if (!pgmap) {
		*why = "it has no device pages";
		return -EOPNOTSUPP;
	}
	if (pgmap->type != MEMORY_DEVICE_GENERIC) {
		*why = "its pages are not device-dax pages";
		err = -EOPNOTSUPP;
	} else {
		err = fuse_famfs_devdax_span(start, size, pgmap->ranges,
					     pgmap->nr_range, why);
	}
	put_dev_pagemap(pgmap);
	dd->start = start;
	dd->size = size;
	return err;
}

/* The device-dax instance of char device @file, bound to device_dax. */
static struct device *fuse_famfs_devdax_device(struct file *file)
{
	struct inode *inode = file_inode(file);
	struct kobject *parent;
	struct device *dev;

	if (!S_ISCHR(inode->i_mode) || !inode->i_cdev)
		return NULL;
	parent = inode->i_cdev->kobj.parent;
	if (!parent)
		return NULL;
	dev = kobj_to_dev(parent);
	if (!dev->bus || strcmp(dev->bus->name, "dax") ||
	    dev->devt != inode->i_rdev)
		return NULL;
	return get_device(dev);
}

static bool fuse_famfs_devdax_claimed(struct device *dev)
{
	struct fuse_famfs_devdax *dd;

	lockdep_assert_held(&fuse_famfs_devdax_lock);
	list_for_each_entry(dd, &fuse_famfs_devdax_claims, node)
		if (dd->dev == dev)
			return true;
	return false;
}

/* Under the device lock and fuse_famfs_devdax_lock. */
static int fuse_famfs_devdax_claim(struct fuse_famfs_devdax *dd,
				   const char **why)
{
	struct dax_device *dax_dev;
	int err;

	device_lock_assert(dd->dev);
	lockdep_assert_held(&fuse_famfs_devdax_lock);
	if (!dd->dev->driver || strcmp(dd->dev->driver->name, "device_dax")) {
		*why = "it is not bound to device_dax";
		return -ENODEV;
	}
	if (fuse_famfs_devdax_claimed(dd->dev)) {
		*why = "another famfs connection holds it";
		return -EBUSY;
	}
	err = fuse_famfs_devdax_range(dd, why);
	if (err)
		return err;

	dax_dev = alloc_dax(dd, &fuse_famfs_devdax_ops);
	if (IS_ERR(dax_dev)) {
		*why = "no dax_device for it";
		return PTR_ERR(dax_dev);
	}
	/* as device-dax: copies that bypass the CPU cache, no MAP_SYNC need */
	set_dax_nocache(dax_dev);
	set_dax_synchronous(dax_dev);
	dd->dax_dev = dax_dev;

	err = devm_add_action(dd->dev, fuse_famfs_devdax_unbind, dd);
	if (err) {
		*why = "it cannot tell us of an unbind";
		kill_dax(dax_dev);
		put_dax(dax_dev);
		dd->dax_dev = NULL;
		return err;
	}
	dd->bound = true;
	list_add(&dd->node, &fuse_famfs_devdax_claims);
	return 0;
}

/**
 * fuse_famfs_devdax_open - hold a device-dax instance for famfs
 * @file: the instance's char device, open for read and write
 * @remove: called once if the instance goes away (under its device lock,
 *	before its pages do), to drop every mapping of it
 * @data: for @remove
 * @ddp: the held instance, on success; it owns @file from then on
 * @why: why not, on failure
 *
 * Return: 0, -ENODEV if @file is no bound device-dax instance, -EBUSY if
 * another connection holds it, -EOPNOTSUPP if famfs cannot use it.
 */
int fuse_famfs_devdax_open(struct file *file, void (*remove)(void *),
			   void *data, struct fuse_famfs_devdax **ddp,
			   const char **why)
{
	struct fuse_famfs_devdax *dd;
	int err;

	dd = kzalloc(sizeof(*dd), GFP_KERNEL);
	if (!dd)
		return -ENOMEM;
	dd->file = file;
	dd->remove = remove;
	dd->data = data;
	dd->dev = fuse_famfs_devdax_device(file);
	if (!dd->dev) {
		*why = "it is not a device-dax instance";
		kfree(dd);
		return -ENODEV;
	}
	device_lock(dd->dev);
	mutex_lock(&fuse_famfs_devdax_lock);
	err = fuse_famfs_devdax_claim(dd, why);
	mutex_unlock(&fuse_famfs_devdax_lock);
	device_unlock(dd->dev);
	if (err) {
		put_device(dd->dev);
		kfree(dd);
		return err;
	}
	*ddp = dd;
	return 0;
}

/* Let go of @dd and the file it was opened with. */
void fuse_famfs_devdax_close(struct fuse_famfs_devdax *dd)
{
	device_lock(dd->dev);
	if (dd->bound)
		devm_remove_action(dd->dev, fuse_famfs_devdax_unbind, dd);
	dd->bound = false;
	mutex_lock(&fuse_famfs_devdax_lock);
	list_del(&dd->node);
	mutex_unlock(&fuse_famfs_devdax_lock);
	device_unlock(dd->dev);

	kill_dax(dd->dax_dev);
	put_dax(dd->dax_dev);
	fput(dd->file);
	put_device(dd->dev);
	kfree(dd);
}

struct dax_device *fuse_famfs_devdax_dax(const struct fuse_famfs_devdax *dd)
{
	return dd->dax_dev;
}

u64 fuse_famfs_devdax_size(const struct fuse_famfs_devdax *dd)
{
	return dd->size;
}

const char *fuse_famfs_devdax_name(const struct fuse_famfs_devdax *dd)
{
	return dev_name(dd->dev);
}

/* What two opens of one instance have in common. */
const void *fuse_famfs_devdax_ident(const struct fuse_famfs_devdax *dd)
{
	return dd->dev;
}
