// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-iomap: FUSE_IOMAP_CONFIG, sent once right after INIT.
 *
 * An iomap server describes its filesystem like a kernel filesystem's
 * fill_super would: block size, maximum file size, s_id, UUID, link limit
 * and timestamp range.  The request goes out from the INIT reply handler;
 * the connection counts as initialised only once the answer is applied, so
 * no file operation can see the superblock half configured.  A server that
 * answers ENOSYS keeps FUSE's defaults.
 */

#include <kunit/visibility.h>
#include <linux/backing-dev.h>
#include <linux/fs.h>
#include <linux/slab.h>

#include "fuse_i.h"
#include "iomap_rule.h"

#define FUSE_IOMAP_CONFIG_ALL	(FUSE_IOMAP_CONFIG_SID | \
				 FUSE_IOMAP_CONFIG_UUID | \
				 FUSE_IOMAP_CONFIG_BLOCKSIZE | \
				 FUSE_IOMAP_CONFIG_MAX_LINKS | \
				 FUSE_IOMAP_CONFIG_TIME | \
				 FUSE_IOMAP_CONFIG_MAXBYTES | \
				 FUSE_IOMAP_CONFIG_CACHE_MAXBYTES | \
				 FUSE_IOMAP_CONFIG_INLINE_PAYLOAD)

struct fuse_iomap_config_args {
	struct fuse_args args;
	struct fuse_iomap_config_in in;
	struct fuse_iomap_config_out out;
};

#define FUSE_IOMAP_CONFIG_END(flag, field) \
	{ flag, offsetofend(struct fuse_iomap_config_out, field) }

/* Where the field of each flag ends, the last field first. */
static const struct {
	u64 flag;
	size_t end;
} fuse_iomap_config_ends[] = {
	FUSE_IOMAP_CONFIG_END(FUSE_IOMAP_CONFIG_CACHE_MAXBYTES, cache_maxbytes),
	FUSE_IOMAP_CONFIG_END(FUSE_IOMAP_CONFIG_MAXBYTES, s_maxbytes),
	FUSE_IOMAP_CONFIG_END(FUSE_IOMAP_CONFIG_TIME, s_time_max),
	FUSE_IOMAP_CONFIG_END(FUSE_IOMAP_CONFIG_MAX_LINKS, s_max_links),
	FUSE_IOMAP_CONFIG_END(FUSE_IOMAP_CONFIG_BLOCKSIZE, s_blocksize),
	FUSE_IOMAP_CONFIG_END(FUSE_IOMAP_CONFIG_UUID, s_uuid_len),
	FUSE_IOMAP_CONFIG_END(FUSE_IOMAP_CONFIG_SID, s_id),
};

/* Bytes of the reply that a field set in @flags needs. */
static size_t fuse_iomap_config_needs(u64 flags)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fuse_iomap_config_ends); i++)
		if (flags & fuse_iomap_config_ends[i].flag)
			return fuse_iomap_config_ends[i].end;
	return offsetofend(struct fuse_iomap_config_out, flags);
}

/**
 * fuse_iomap_check_config - validate a FUSE_IOMAP_CONFIG reply
 * @out: the reply, zero-filled past @size
 * @size: how many bytes the server sent
 * @rule: set to the violated rule on failure
 *
 * Return: 0 or -EFSCORRUPTED.
 */
VISIBLE_IF_KUNIT
int fuse_iomap_check_config(const struct fuse_iomap_config_out *out,
			    size_t size, const char **rule)
{
	if (size < fuse_iomap_config_needs(0))
		return BAD("reply too short for its flags");
	if (out->flags & ~FUSE_IOMAP_CONFIG_ALL)
		return BAD("unknown or unoffered config flags");
	if (size < fuse_iomap_config_needs(out->flags))
		return BAD("reply too short for its flags");
	if ((out->flags & FUSE_IOMAP_CONFIG_SID) &&
	    !memchr(out->s_id, 0, sizeof(out->s_id)))
		return BAD("s_id not NUL-terminated");
	if ((out->flags & FUSE_IOMAP_CONFIG_UUID) &&
	    out->s_uuid_len > sizeof(out->s_uuid))
		return BAD("UUID longer than 16 bytes");
	if ((out->flags & FUSE_IOMAP_CONFIG_BLOCKSIZE) &&
	    (!is_power_of_2(out->s_blocksize) ||
	     out->s_blocksize < SECTOR_SIZE || out->s_blocksize > PAGE_SIZE))
		return BAD("block size not a power of two in [512, PAGE_SIZE]");
	if ((out->flags & FUSE_IOMAP_CONFIG_TIME) &&
	    (!out->s_time_gran || out->s_time_gran > NSEC_PER_SEC ||
	     NSEC_PER_SEC % out->s_time_gran ||
	     out->s_time_min >= out->s_time_max))
		return BAD("bad timestamp granularity or range");
	if ((out->flags & FUSE_IOMAP_CONFIG_MAXBYTES) &&
	    (out->s_maxbytes <= 0 || out->s_maxbytes > MAX_LFS_FILESIZE))
		return BAD("maximum file size out of range");
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(fuse_iomap_check_config);

static void fuse_iomap_config_apply(struct super_block *sb,
				    const struct fuse_iomap_config_out *out)
{
	if (out->flags & FUSE_IOMAP_CONFIG_SID)
		strscpy(sb->s_id, out->s_id, sizeof(sb->s_id));
	if (out->flags & FUSE_IOMAP_CONFIG_UUID)
		super_set_uuid(sb, out->s_uuid, out->s_uuid_len);
	if (out->flags & FUSE_IOMAP_CONFIG_BLOCKSIZE) {
		sb->s_blocksize = out->s_blocksize;
		sb->s_blocksize_bits = ilog2(out->s_blocksize);
	}
	if (out->flags & FUSE_IOMAP_CONFIG_MAX_LINKS)
		sb->s_max_links = out->s_max_links;
	if (out->flags & FUSE_IOMAP_CONFIG_TIME) {
		sb->s_time_gran = out->s_time_gran;
		sb->s_time_min = out->s_time_min;
		sb->s_time_max = out->s_time_max;
	}
	if (out->flags & FUSE_IOMAP_CONFIG_MAXBYTES)
		sb->s_maxbytes = out->s_maxbytes;
	if (out->flags & FUSE_IOMAP_CONFIG_INLINE_PAYLOAD)
		get_fuse_conn_super(sb)->iomap_conn.inline_payload = 1;
}

/*
 * Mappings are cached by default, as in the posted series, up to the
 * module's limit; a server may lower the limit, 0 turning the cache off.
 */
static u32 fuse_iomap_config_cache(const struct fuse_iomap_config_out *out,
				   int error)
{
	if (error || !(out->flags & FUSE_IOMAP_CONFIG_CACHE_MAXBYTES))
		return fuse_iomap_cache_max_offer();
	return out->cache_maxbytes;
}

static void fuse_iomap_config_end(struct fuse_mount *fm,
				  struct fuse_args *args, int error)
{
	struct fuse_iomap_config_args *ca =
		container_of(args, struct fuse_iomap_config_args, args);
	struct fuse_conn *fc = fm->fc;
	const char *rule = NULL;

	if (!error)
		error = fuse_iomap_check_config(&ca->out,
						args->out_args[0].size, &rule);
	if (error && error != -ENOSYS) {
		if (rule)
			pr_warn_ratelimited("fuse: bad FUSE_IOMAP_CONFIG reply: %s\n",
					    rule);
		fc->conn_error = 1;
	} else if (!error) {
		fuse_iomap_config_apply(fm->sb, &ca->out);
	}
	if (!fc->conn_error)
		fuse_iomap_cache_conn_setup(fc,
					    fuse_iomap_config_cache(&ca->out,
								    error));
	kfree(ca);

	fuse_set_initialized(fc);
	wake_up_all(&fc->blocked_waitq);
}

/*
 * FUSE limits a mount to 1% of the dirty threshold, strictly, and keeps
 * its own writeback accounting, because its writeback copies data to the
 * server.  iomap writeback is the kernel's own, accounted by the page
 * cache, so an iomap connection is throttled like a kernel filesystem.
 * No file exists yet, so no writeback is being accounted.
 */
static void fuse_iomap_setup_bdi(struct super_block *sb)
{
	struct backing_dev_info *bdi = sb->s_bdi;

	bdi->capabilities |= BDI_CAP_WRITEBACK_ACCT;
	bdi->capabilities &= ~BDI_CAP_STRICTLIMIT;
	bdi_set_max_ratio(bdi, 100);
}

/**
 * fuse_iomap_send_config - configure an iomap connection after INIT
 * @fm: the mount whose INIT reply is being processed
 *
 * Return: true if the request was queued; its completion then finishes the
 * initialisation of the connection, and the caller must not.
 */
bool fuse_iomap_send_config(struct fuse_mount *fm)
{
	struct fuse_iomap_config_args *ca;

	if (!fm->fc->iomap_conn.iomap || fm->fc->conn_error)
		return false;

	fuse_iomap_setup_bdi(fm->sb);

	ca = kzalloc(sizeof(*ca), GFP_KERNEL);
	if (!ca)
		return false;	/* FUSE's defaults will do */

	ca->in.flags = FUSE_IOMAP_CONFIG_ALL;
	ca->in.maxbytes = MAX_LFS_FILESIZE;
	ca->in.cache_maxbytes = fuse_iomap_cache_max_offer();
	fuse_iomap_args(&ca->args, FUSE_IOMAP_CONFIG, 0, &ca->in,
			sizeof(ca->in));
	fuse_iomap_args_out(&ca->args, &ca->out, sizeof(ca->out), true);
	ca->args.force = true;
	ca->args.nocreds = true;
	ca->args.end = fuse_iomap_config_end;

	if (fuse_simple_background(fm, &ca->args, GFP_KERNEL)) {
		kfree(ca);
		return false;
	}
	return true;
}
