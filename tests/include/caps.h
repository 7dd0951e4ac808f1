/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dropping CAP_SYS_RAWIO, as an unprivileged server or mount helper runs:
 * the kernel then does not offer FUSE_IOMAP, nor take a grant of it.
 * Other capabilities (mount needs CAP_SYS_ADMIN) stay.
 */
#ifndef FUSE_IOMAP_TESTS_CAPS_H
#define FUSE_IOMAP_TESTS_CAPS_H

#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

static inline int drop_rawio(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	unsigned int word = CAP_SYS_RAWIO / 32;
	uint32_t bit = 1U << (CAP_SYS_RAWIO % 32);

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[word].effective &= ~bit;
	data[word].permitted &= ~bit;
	data[word].inheritable &= ~bit;
	return syscall(SYS_capset, &hdr, data);
}

#endif /* FUSE_IOMAP_TESTS_CAPS_H */
