// SPDX-License-Identifier: GPL-2.0
/*
 * fusetd directories: files of FT_DIRENTS_PER_BLOCK fixed-size entries per
 * block, a slot being free when its ino is 0.  A directory's size is always
 * a whole number of blocks; "." and ".." are not stored.
 */
#include <errno.h>
#include <string.h>

#include "store.h"

#define PER_BLOCK	FT_DIRENTS_PER_BLOCK
#define BLOCK_ENTS	(PER_BLOCK * sizeof(struct ft_dirent))

static uint64_t slot_off(uint64_t slot)
{
	return slot / PER_BLOCK * FT_BLOCK_SIZE +
	       slot % PER_BLOCK * sizeof(struct ft_dirent);
}

static uint64_t nr_slots(const struct ft_inode *dir)
{
	return dir->size / FT_BLOCK_SIZE * PER_BLOCK;
}

static int read_block(struct ft_store *st, struct ft_inode *dir, uint64_t blk,
		      struct ft_dirent *ents)
{
	ssize_t n = file_read(st, dir, ents, BLOCK_ENTS, blk * FT_BLOCK_SIZE);

	if (n < 0)
		return n;
	return n == BLOCK_ENTS ? 0 : -EIO;
}

static int write_slot(struct ft_store *st, struct ft_inode *dir,
		      uint64_t slot, const struct ft_dirent *ent)
{
	ssize_t n = file_write(st, dir, ent, sizeof(*ent), slot_off(slot));

	if (n < 0)
		return n;
	return n == sizeof(*ent) ? 0 : -EIO;
}

/*
 * Look for name.  Returns 1 with its entry and slot if found; otherwise 0
 * with *slot the first free slot, which may be one past the last block.
 */
static int dir_scan(struct ft_store *st, struct ft_inode *dir,
		    const char *name, struct ft_dirent *found, uint64_t *slot)
{
	struct ft_dirent ents[PER_BLOCK];
	size_t len = strlen(name);
	uint64_t blk, free_slot = nr_slots(dir);
	unsigned int i;
	int err;

	for (blk = 0; blk < dir->size / FT_BLOCK_SIZE; blk++) {
		err = read_block(st, dir, blk, ents);
		if (err)
			return err;
		for (i = 0; i < PER_BLOCK; i++) {
			if (!ents[i].ino) {
				if (free_slot == nr_slots(dir))
					free_slot = blk * PER_BLOCK + i;
				continue;
			}
			if (ents[i].namelen == len &&
			    !memcmp(ents[i].name, name, len)) {
				*found = ents[i];
				*slot = blk * PER_BLOCK + i;
				return 1;
			}
		}
	}
	*slot = free_slot;
	return 0;
}

int dir_lookup(struct ft_store *st, struct ft_inode *dir, const char *name,
	       uint64_t *ino, uint64_t *slot)
{
	struct ft_dirent ent;
	int ret = dir_scan(st, dir, name, &ent, slot);

	if (ret < 0)
		return ret;
	if (!ret)
		return -ENOENT;
	*ino = ent.ino;
	return 0;
}

/* Add name -> ino; name must be at most FT_NAME_MAX bytes. */
int dir_add(struct ft_store *st, struct ft_inode *dir, const char *name,
	    uint64_t ino, uint32_t mode)
{
	char block[FT_BLOCK_SIZE];
	struct ft_dirent ent;
	uint64_t slot;
	ssize_t n;
	int ret;

	ret = dir_scan(st, dir, name, &ent, &slot);
	if (ret)
		return ret < 0 ? ret : -EEXIST;

	memset(&ent, 0, sizeof(ent));
	ent.ino = ino;
	ent.type = FT_DT(mode);
	ent.namelen = strlen(name);
	memcpy(ent.name, name, ent.namelen);
	if (slot < nr_slots(dir))
		return write_slot(st, dir, slot, &ent);

	/* append a block, so the directory stays a whole number of blocks */
	memset(block, 0, sizeof(block));
	memcpy(block, &ent, sizeof(ent));
	n = file_write(st, dir, block, sizeof(block), dir->size);
	if (n < 0)
		return n;
	return n == sizeof(block) ? 0 : -EIO;
}

/* Point the entry in slot at ino (rename over an existing name). */
int dir_set(struct ft_store *st, struct ft_inode *dir, uint64_t slot,
	    uint64_t ino, uint32_t mode)
{
	struct ft_dirent ent;
	ssize_t n;

	n = file_read(st, dir, &ent, sizeof(ent), slot_off(slot));
	if (n < 0)
		return n;
	if (n != sizeof(ent) || !ent.ino)
		return -EIO;
	ent.ino = ino;
	ent.type = FT_DT(mode);
	return write_slot(st, dir, slot, &ent);
}

int dir_remove(struct ft_store *st, struct ft_inode *dir, uint64_t slot)
{
	struct ft_dirent ent;

	memset(&ent, 0, sizeof(ent));
	return write_slot(st, dir, slot, &ent);
}

/*
 * The first used entry at or after *slot: returns 1 and updates *slot, or
 * 0 at the end of the directory.
 */
int dir_next(struct ft_store *st, struct ft_inode *dir, uint64_t *slot,
	     struct ft_dirent *ent)
{
	struct ft_dirent ents[PER_BLOCK];
	uint64_t s = *slot;
	unsigned int i;
	int err;

	while (s < nr_slots(dir)) {
		err = read_block(st, dir, s / PER_BLOCK, ents);
		if (err)
			return err;
		for (i = s % PER_BLOCK; i < PER_BLOCK; i++, s++) {
			if (!ents[i].ino)
				continue;
			*ent = ents[i];
			ent->name[ent->namelen] = '\0';
			*slot = s;
			return 1;
		}
	}
	return 0;
}

/* 1 if dir has no entries, 0 if it has, negative errno on error. */
int dir_is_empty(struct ft_store *st, struct ft_inode *dir)
{
	struct ft_dirent ent;
	uint64_t slot = 0;
	int ret = dir_next(st, dir, &slot, &ent);

	return ret < 0 ? ret : !ret;
}
