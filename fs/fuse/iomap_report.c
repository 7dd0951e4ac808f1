// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-iomap: FIEMAP, SEEK_DATA/SEEK_HOLE and FIBMAP of iomap inodes,
 * answered from the server's mappings through iomap's helpers.
 */

#include <linux/fiemap.h>
#include <linux/iomap.h>
#include <linux/pagemap.h>

#include "fuse_i.h"

int fuse_iomap_fiemap(struct inode *inode, struct fiemap_extent_info *fi,
		      u64 start, u64 len)
{
	int ret;

	if (!fuse_inode_is_iomap(inode))
		return -EOPNOTSUPP;

	inode_lock_shared(inode);
	ret = iomap_fiemap(inode, fi, start, len, &fuse_iomap_read_ops);
	inode_unlock_shared(inode);
	return ret;
}

loff_t fuse_iomap_lseek(struct file *file, loff_t offset, int whence)
{
	struct inode *inode = file_inode(file);

	inode_lock_shared(inode);
	if (whence == SEEK_HOLE)
		offset = iomap_seek_hole(inode, offset, &fuse_iomap_read_ops);
	else
		offset = iomap_seek_data(inode, offset, &fuse_iomap_read_ops);
	inode_unlock_shared(inode);
	if (offset < 0)
		return offset;
	return vfs_setpos(file, offset, inode->i_sb->s_maxbytes);
}

sector_t fuse_iomap_bmap(struct address_space *mapping, sector_t block)
{
	struct inode *inode = mapping->host;
	sector_t ret;

	filemap_write_and_wait(mapping);
	inode_lock_shared(inode);
	ret = iomap_bmap(mapping, block, &fuse_iomap_read_ops);
	inode_unlock_shared(inode);
	return ret;
}
