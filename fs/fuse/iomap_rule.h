/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuse-iomap: how the checks of what a server sends name a broken rule.
 *
 * Every check of server input (FUSE_IOMAP_BEGIN replies in
 * iomap_validate.c, mapping notifications in iomap_notify.c, the
 * FUSE_IOMAP_CONFIG reply in iomap_config.c, famfs maps in famfs_fmap.c)
 * returns an errno and sets its caller's "const char **rule" to the name
 * of the rule, which the caller reports rate-limited.  The KUnit cases
 * check both.  Only those files include this header.
 */
#ifndef _FS_FUSE_IOMAP_RULE_H
#define _FS_FUSE_IOMAP_RULE_H

#include <linux/errno.h>

static inline int fuse_rule_broken(const char **rule, const char *text,
				   int err)
{
	*rule = text;
	return err;
}

/* In a function with a "const char **rule" parameter: */
#define BAD(text)	fuse_rule_broken(rule, (text), -EFSCORRUPTED)
#define INVAL(text)	fuse_rule_broken(rule, (text), -EINVAL)

#endif /* _FS_FUSE_IOMAP_RULE_H */
