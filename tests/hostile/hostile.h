/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hostile: a FUSE server that serves a small, correct tree and then answers
 * with mutated replies and sends mutated notifications, to prove that the
 * kernel survives anything a server can write to /dev/fuse.
 *
 * Handlers compute the correct reply (tree.c, iomap.c, famfs.c); loop.c
 * decides per request, from a seeded PRNG, whether and how to mutate it
 * (mutate.c) before writing it; notify.c sends notifications from a
 * thread of its own.  io.c is "hostile io", the I/O workers of the tests.
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <linux/fuse.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Geometry: every file owns a fixed region of the device. */
#define HS_BLOCK	4096ULL
#define HS_REGION	(16ULL << 20)	/* bytes of device per file */
#define HS_MAXBYTES	(1ULL << 40)	/* s_maxbytes we configure */
#define HS_MAX_WRITE	(128 * 1024)
#define HS_MAX_PAGES	32
#define HS_IN_BUF	(HS_MAX_WRITE + 64 * 1024)
#define HS_OUT_BUF	(256 * 1024)	/* reply payloads, mutations included */

/* ---- PRNG (xorshift64*), one per thread so that each is reproducible ---- */
struct hs_rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct hs_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

static inline void rng_seed(struct hs_rng *r, uint64_t seed, uint64_t stream)
{
	r->s = (seed + 1) * 0x9E3779B97F4A7C15ULL ^ (stream + 1) * 0xBF58476D1CE4E5B9ULL;
	if (!r->s)
		r->s = 1;
	rng_next(r);
}

/* Uniform in [0, n); n > 0. */
static inline uint64_t rng_below(struct hs_rng *r, uint64_t n)
{
	return rng_next(r) % n;
}

/* True with probability p (0..1). */
static inline int rng_chance(struct hs_rng *r, double p)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0) < p;
}

uint64_t rng_interesting(struct hs_rng *r);	/* boundary values */

/* ---- the tree ---- */
enum hs_kind { HS_DIR, HS_IOMAP, HS_CLASSIC, HS_FAMFS };

struct hs_node {
	uint64_t	ino;		/* nodeid == attr.ino */
	uint64_t	parent;
	const char	*name;
	enum hs_kind	kind;
	uint64_t	base;		/* device offset of the file's region */
	uint64_t	size;		/* as the server knows it */
};

#define HS_ROOT		FUSE_ROOT_ID
#define FUSE_INT_REQ_BIT	(1ULL << 0)	/* the kernel's, not in the uapi */

/* ---- the server ---- */
struct hs_counters {
	uint64_t	requests;
	uint64_t	replies;
	uint64_t	mutated;	/* replies */
	uint64_t	classes[16];	/* mutated replies by class */
	uint64_t	reply_errno[160];	/* write(2) of a reply failed */
	uint64_t	notifies;
	uint64_t	notify_mutated;
	uint64_t	notify_ok;
	uint64_t	notify_errno[160];
	uint64_t	ops[64];	/* requests by opcode, see op_slot() */
	uint64_t	mutated_ops[64];
	uint64_t	fmap_muts[24];	/* GET_FMAP field mutations, famfs.c */
	uint64_t	daxdev_muts[8];	/* GET_DAXDEV ones */
};

struct hs_server {
	int		fd;		/* /dev/fuse */
	int		devfd;		/* the block device */
	uint64_t	dev_size;
	uint32_t	cookie;		/* iomap device cookie */
	uint64_t	seed;
	double		rate;		/* mutation probability per reply */
	uint64_t	count;		/* mutated messages wanted; 0: no limit */
	unsigned int	duration;	/* seconds of mutation; 0: no limit */
	unsigned int	nthreads;
	unsigned int	notify_us;	/* pause between notifications */
	int		want_iomap;
	int		iomap;		/* negotiated and device registered */
	int		famfs;		/* negotiated */
	const char	*famfs_dev;	/* --famfs: the pmem device path */
	uint64_t	famfs_size;	/* its size */
	int		famfs_dev_held;	/* the kernel took device 0 */
	unsigned int	daxdev_next;	/* the next GET_DAXDEV kind, in turn */
	int		garbage_config;
	uint32_t	cache_maxbytes;
	const char	*done_path;
	const char	*summary_path;

	pthread_mutex_t	lock;		/* sizes, counters' summary */
	int		initialised;	/* INIT answered */
	volatile int	calm;		/* count or duration reached */
	volatile int	stopping;	/* the connection is gone */
	uint64_t	start_ns;
	struct hs_counters c;		/* updated with __atomic builtins */
	struct hs_node	*nodes;
	unsigned int	nnodes;
};

struct hs_req {
	const struct fuse_in_header	*hdr;
	const void			*in;
	size_t				in_len;
};

struct hs_reply {
	int32_t		error;
	uint32_t	len;
	uint8_t		*buf;		/* HS_OUT_BUF */
	int		noreply;
};

struct hs_thread {
	struct hs_server	*s;
	struct hs_rng		rng;
	unsigned int		idx;
	uint8_t			*in_buf;
	uint8_t			*out_buf;
	uint8_t			*junk_buf;
};

typedef int (*hs_op_fn)(struct hs_thread *t, const struct hs_req *r,
			struct hs_reply *rep);
/* Field-level garbage for a reply of this opcode. */
typedef void (*hs_mut_fn)(struct hs_thread *t, const struct hs_req *r,
			  struct hs_reply *rep);

struct hs_op {
	const char	*name;
	hs_op_fn	fn;
	size_t		in_size;
	int		noreply;
	hs_mut_fn	mutate;
};

#define CINC(s, field)		__atomic_add_fetch(&(s)->c.field, 1, __ATOMIC_RELAXED)
#define CGET(s, field)		__atomic_load_n(&(s)->c.field, __ATOMIC_RELAXED)

/* main.c */
uint64_t now_ns(void);
void hs_mutated(struct hs_server *s);		/* one more mutated message */
void hs_summary(struct hs_server *s, int fd);

/* loop.c */
void *hs_reader(void *arg);
int hs_write(struct hs_server *s, uint64_t unique, int32_t error,
	     uint32_t hdr_len, const void *buf, size_t len);
const struct hs_op *hs_op_of(uint32_t opcode);
unsigned int op_slot(uint32_t opcode);
void hs_recent_unique(uint64_t unique);
uint64_t hs_pick_unique(struct hs_rng *r);

/* tree.c */
void tree_init(struct hs_server *s);
struct hs_node *tree_node(struct hs_server *s, uint64_t ino);
void tree_fill_attr(struct hs_server *s, const struct hs_node *n,
		    struct fuse_attr *a);
int op_init(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
int op_lookup(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
int op_getattr(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
int op_setattr(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
int op_open(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
int op_read(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
int op_write(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
int op_empty(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
int op_none(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
int op_perm(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
int op_readdir(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
int op_readdirplus(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
int op_statfs(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
int op_fallocate(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
void mut_attr(struct hs_thread *t, struct fuse_attr *a, uint64_t nodeid);
void tree_new_generation(void);
void mut_entry(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
void mut_attr_out(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
void mut_open(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
void mut_dirents(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
void mut_write(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);

/* iomap.c */
int iomap_register(struct hs_server *s);
void iomap_good_mapping(struct hs_thread *t, const struct hs_node *n,
			uint64_t pos, struct fuse_iomap_io *io);
void mut_iomap_io(struct hs_thread *t, struct fuse_iomap_io *io);
int op_iomap_begin(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
int op_iomap_end(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
int op_iomap_ioend(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
int op_iomap_config(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
void mut_iomap_begin(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
void mut_iomap_ioend(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
void mut_iomap_config(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);

/* famfs.c (only when FUSE_DAX_FMAP was negotiated) */
enum hs_fmap_mut {
	FM_FILE_TYPE, FM_HDR_RESERVED, FM_VERSION, FM_EXT_TYPE, FM_NEXTENTS,
	FM_RESERVED0, FM_FILE_SIZE, FM_RESERVED1, FM_DEVINDEX,
	FM_EXT_RESERVED, FM_OFFSET, FM_LENGTH, FM_NSTRIPS, FM_CHUNK,
	FM_NBYTES, FM_IEXT_RESERVED,
	/* the payload as a whole */
	FM_CUT, FM_APPEND, FM_OVERSIZE, FM_SIZE_RETRY, FM_NR
};
enum hs_daxdev_mut {
	DM_UNTERMINATED, DM_INDEX, DM_NAME, DM_RESERVED, DM_HELD_DEV,
	DM_EMPTY, DM_NR
};
extern const char *const hs_fmap_mut_names[FM_NR];
extern const char *const hs_daxdev_mut_names[DM_NR];
uint64_t famfs_size(const struct hs_node *n);
void famfs_reply_sent(struct hs_server *s, const struct hs_req *r,
		      const struct hs_reply *rep);
int op_get_fmap(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
int op_get_daxdev(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
void mut_get_fmap(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);
void mut_get_daxdev(struct hs_thread *t, const struct hs_req *r, struct hs_reply *rep);

/* mutate.c */
enum hs_class {
	MC_FIELDS, MC_BYTES, MC_TRUNCATE, MC_EXTEND, MC_ERRNO, MC_HDR_LEN,
	MC_WRONG_UNIQUE, MC_DUPLICATE, MC_DELAY, MC_NR
};
extern const char *const hs_class_names[MC_NR];
void hs_send_reply(struct hs_thread *t, const struct hs_req *r,
		   const struct hs_op *op, struct hs_reply *rep);
void mut_bytes(struct hs_rng *rng, uint8_t *buf, size_t len);

/* notify.c */
void *hs_notifier(void *arg);

/* io.c */
int io_main(int argc, char **argv);

#endif /* HOSTILE_H */
