// SPDX-License-Identifier: GPL-2.0
/*
 * hostile: a FUSE server that mutates its replies and notifications.
 *
 *   hostile serve [--seed S] [--rate P] [--count N] [--duration SEC]
 *                 [--threads N] [--notify-us US] [--classic]
 *                 [--garbage-config] [--cache-maxbytes N] [--famfs PMEMDEV]
 *                 [--done FILE] [--summary FILE] [--pidfile FILE] [-f]
 *                 DEVICE MOUNTPOINT
 *   hostile io --mode MODE [--seed S] [--seconds N] [--stop FILE] DIR
 *
 * serve mounts a fixed tree whose files live on DEVICE (see tree.c),
 * negotiates iomap (unless --classic) and famfs (with --famfs, when
 * offered), then answers each request correctly or, with probability P
 * (default 0.5), with a mutated reply, and sends notifications from a
 * thread of its own, mutated with the same probability.  Once N mutated
 * messages (replies and notifications) have gone out, or SEC seconds have
 * passed, it writes the summary to the --done file and serves correctly
 * from then on, until unmounted or killed; the summary also goes to
 * stderr and --summary at exit.  --garbage-config mutates the reply to
 * FUSE_IOMAP_CONFIG.  --famfs PMEMDEV offers FUSE_DAX_FMAP: regular
 * files that are not iomap files get fmaps on PMEMDEV (famfs.c).
 * Without -f it detaches once mounted.
 *
 * Each thread draws from its own PRNG stream of the seed: the decisions of
 * a thread are reproducible for a seed, the interleaving of threads is not.
 *
 * io runs one kind of I/O against the files under DIR in a loop until
 * SECONDS pass or FILE exists, ignoring errors (see io.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <linux/fs.h>

#include "hostile.h"
#include "fusedev.h"

static struct hs_server server;

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static const char *errname(int e)
{
	const char *n = e ? strerrorname_np(e) : NULL;

	return n ? n : "other";
}

static void print_errnos(FILE *f, const uint64_t *v, size_t n)
{
	size_t e;
	int any = 0;

	for (e = 0; e < n; e++) {
		uint64_t c = __atomic_load_n(&v[e], __ATOMIC_RELAXED);

		if (!c)
			continue;
		fprintf(f, "%s%s %llu", any ? ", " : "", errname(e),
			(unsigned long long)c);
		any = 1;
	}
	if (!any)
		fprintf(f, "none");
}

void hs_summary(struct hs_server *s, int fd)
{
	static const struct { const char *name; uint32_t op; } shown[] = {
		{ "LOOKUP", FUSE_LOOKUP }, { "GETATTR", FUSE_GETATTR },
		{ "SETATTR", FUSE_SETATTR }, { "OPEN", FUSE_OPEN },
		{ "READ", FUSE_READ }, { "WRITE", FUSE_WRITE },
		{ "READDIRPLUS", FUSE_READDIRPLUS }, { "FALLOCATE", FUSE_FALLOCATE },
		{ "IOMAP_BEGIN", FUSE_IOMAP_BEGIN }, { "IOMAP_END", FUSE_IOMAP_END },
		{ "IOMAP_IOEND", FUSE_IOMAP_IOEND },
		{ "IOMAP_CONFIG", FUSE_IOMAP_CONFIG },
		{ "GET_FMAP", FUSE_GET_FMAP }, { "GET_DAXDEV", FUSE_GET_DAXDEV },
	};
	FILE *f = fdopen(dup(fd), "w");
	unsigned int i;

	if (!f)
		return;
	fprintf(f, "hostile: seed %llu, %llu requests, %llu mutated, %llu notifications (errors by errno: ",
		(unsigned long long)s->seed, (unsigned long long)CGET(s, requests),
		(unsigned long long)(CGET(s, mutated) + CGET(s, notify_mutated)),
		(unsigned long long)CGET(s, notifies));
	print_errnos(f, s->c.notify_errno, ARRAY_SIZE(s->c.notify_errno));
	fprintf(f, ")\n");
	fprintf(f, "hostile: mode %s%s%s, rate %.2f, %u threads\n",
		s->iomap > 0 ? "iomap" : "classic", s->famfs ? "+famfs" : "",
		s->garbage_config ? " (garbage config)" : "", s->rate,
		s->nthreads);
	fprintf(f, "hostile: replies %llu, mutated %llu, notifications mutated %llu, accepted %llu\n",
		(unsigned long long)CGET(s, replies),
		(unsigned long long)CGET(s, mutated),
		(unsigned long long)CGET(s, notify_mutated),
		(unsigned long long)CGET(s, notify_ok));
	fprintf(f, "hostile: mutated replies by class:");
	for (i = 0; i < MC_NR; i++)
		fprintf(f, " %s %llu", hs_class_names[i],
			(unsigned long long)CGET(s, classes[i]));
	fprintf(f, "\nhostile: requests (mutated) by opcode:");
	for (i = 0; i < ARRAY_SIZE(shown); i++)
		fprintf(f, " %s %llu (%llu)", shown[i].name,
			(unsigned long long)CGET(s, ops[op_slot(shown[i].op)]),
			(unsigned long long)CGET(s, mutated_ops[op_slot(shown[i].op)]));
	if (s->famfs) {
		fprintf(f, "\nhostile: famfs GET_FMAP mutations by field:");
		for (i = 0; i < FM_NR; i++)
			fprintf(f, " %s %llu", hs_fmap_mut_names[i],
				(unsigned long long)CGET(s, fmap_muts[i]));
		fprintf(f, "\nhostile: famfs GET_DAXDEV mutations by field:");
		for (i = 0; i < DM_NR; i++)
			fprintf(f, " %s %llu", hs_daxdev_mut_names[i],
				(unsigned long long)CGET(s, daxdev_muts[i]));
	}
	fprintf(f, "\nhostile: reply writes refused by errno: ");
	print_errnos(f, s->c.reply_errno, ARRAY_SIZE(s->c.reply_errno));
	fprintf(f, "\n");
	fclose(f);
}

static void write_summary(struct hs_server *s, const char *path)
{
	char tmp[4096];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	hs_summary(s, fd);
	close(fd);
	rename(tmp, path);
}

static void go_calm(struct hs_server *s)
{
	if (__atomic_exchange_n(&s->calm, 1, __ATOMIC_ACQ_REL))
		return;
	if (s->done_path)
		write_summary(s, s->done_path);
}

void hs_mutated(struct hs_server *s)
{
	uint64_t total = CGET(s, mutated) + CGET(s, notify_mutated);

	if (s->count && total >= s->count)
		go_calm(s);
	else if (s->duration && now_ns() - s->start_ns >= s->duration * 1000000000ULL)
		go_calm(s);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: hostile serve [--seed S] [--rate P] [--count N] [--duration SEC]\n"
		"                     [--threads N] [--notify-us US] [--classic]\n"
		"                     [--garbage-config] [--cache-maxbytes N] [--famfs PMEMDEV]\n"
		"                     [--done FILE] [--summary FILE] [--pidfile FILE] [-f]\n"
		"                     DEVICE MOUNTPOINT\n"
		"       hostile io --mode direct|buffered|mmap|falloc|meta|famfs [--seed S]\n"
		"                  [--seconds N] [--stop FILE] DIR\n");
	exit(2);
}

static int serve_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "threads", required_argument, NULL, 't' },
		{ "notify-us", required_argument, NULL, 'u' },
		{ "classic", no_argument, NULL, 'c' },
		{ "garbage-config", no_argument, NULL, 'g' },
		{ "cache-maxbytes", required_argument, NULL, 'C' },
		{ "famfs", required_argument, NULL, 'F' },
		{ "done", required_argument, NULL, 'D' },
		{ "summary", required_argument, NULL, 'S' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct hs_server *s = &server;
	const char *pidfile = NULL, *dev, *mnt;
	pthread_t readers[64], notifier;
	struct hs_thread threads[64];
	int c, foreground = 0, err;
	unsigned int i;
	FILE *pf;

	s->rate = 0.5;
	s->nthreads = 4;
	s->notify_us = 200;
	s->want_iomap = 1;
	s->cache_maxbytes = 1 << 20;
	while ((c = getopt_long(argc, argv, "f", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': foreground = 1; break;
		case 's': s->seed = strtoull(optarg, NULL, 0); break;
		case 'r': s->rate = strtod(optarg, NULL); break;
		case 'n': s->count = strtoull(optarg, NULL, 0); break;
		case 'd': s->duration = strtoul(optarg, NULL, 0); break;
		case 't': s->nthreads = strtoul(optarg, NULL, 0); break;
		case 'u': s->notify_us = strtoul(optarg, NULL, 0); break;
		case 'c': s->want_iomap = 0; break;
		case 'g': s->garbage_config = 1; break;
		case 'C': s->cache_maxbytes = strtoul(optarg, NULL, 0); break;
		case 'F': s->famfs_dev = optarg; break;
		case 'D': s->done_path = optarg; break;
		case 'S': s->summary_path = optarg; break;
		case 'p': pidfile = optarg; break;
		default: usage();
		}
	}
	if (optind + 2 != argc || !s->nthreads || s->nthreads > 64 ||
	    s->rate < 0 || s->rate > 1)
		usage();
	dev = argv[optind];
	mnt = argv[optind + 1];

	pthread_mutex_init(&s->lock, NULL);
	tree_init(s);
	s->devfd = open(dev, O_RDWR | O_CLOEXEC);
	if (s->devfd < 0) {
		perror(dev);
		return 1;
	}
	if (ioctl(s->devfd, BLKGETSIZE64, &s->dev_size) < 0) {
		off_t end = lseek(s->devfd, 0, SEEK_END);

		s->dev_size = end > 0 ? end : 0;
	}
	if (s->dev_size < HS_REGION * (s->nnodes + 1)) {
		fprintf(stderr, "hostile: %s: need %llu MiB\n", dev,
			HS_REGION * (s->nnodes + 1) >> 20);
		return 1;
	}
	if (s->famfs_dev) {
		int pfd = open(s->famfs_dev, O_RDONLY | O_CLOEXEC);

		if (pfd < 0 || ioctl(pfd, BLKGETSIZE64, &s->famfs_size) < 0) {
			perror(s->famfs_dev);
			return 1;
		}
		close(pfd);
		if (s->famfs_size < HS_REGION * s->nnodes) {
			fprintf(stderr, "hostile: %s: need %llu MiB\n",
				s->famfs_dev, HS_REGION * s->nnodes >> 20);
			return 1;
		}
	}
	s->fd = fusedev_open(0);
	if (s->fd < 0) {
		fprintf(stderr, "hostile: %s: %s\n", fusedev_path(),
			strerror(-s->fd));
		return 1;
	}
	err = fusedev_mount(s->fd, "hostile", mnt, NULL, 0,
			    "allow_other,default_permissions");
	if (err) {
		fprintf(stderr, "hostile: mount on %s: %s\n", mnt, strerror(-err));
		return 1;
	}
	if (!foreground) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			umount2(mnt, MNT_DETACH);
			return 1;
		}
		if (pid > 0)
			_exit(0);
		setsid();
	}
	if (pidfile) {
		pf = fopen(pidfile, "w");
		if (pf) {
			fprintf(pf, "%d\n", (int)getpid());
			fclose(pf);
		}
	}
	if (chdir("/") < 0)
		perror("chdir");
	signal(SIGPIPE, SIG_IGN);

	s->start_ns = now_ns();
	for (i = 0; i < s->nthreads; i++) {
		threads[i] = (struct hs_thread) {
			.s = s,
			.idx = i,
			.in_buf = malloc(HS_IN_BUF),
			.out_buf = calloc(1, HS_OUT_BUF),
			.junk_buf = calloc(1, 2 * HS_OUT_BUF),
		};
		if (!threads[i].in_buf || !threads[i].out_buf ||
		    !threads[i].junk_buf) {
			perror("malloc");
			return 1;
		}
		rng_seed(&threads[i].rng, s->seed, i);
		pthread_create(&readers[i], NULL, hs_reader, &threads[i]);
	}
	pthread_create(&notifier, NULL, hs_notifier, s);
	for (i = 0; i < s->nthreads; i++)
		pthread_join(readers[i], NULL);
	s->stopping = 1;
	pthread_join(notifier, NULL);

	hs_summary(s, STDERR_FILENO);
	if (s->summary_path)
		write_summary(s, s->summary_path);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "serve"))
		return serve_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "io"))
		return io_main(argc - 1, argv + 1);
	usage();
	return 2;
}
