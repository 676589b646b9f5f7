/*
 * mview.h: parsing of lotus-miner responses and the per-miner worker view.
 *
 * json.c splits a JSON-RPC response body, fed in chunks as it arrives,
 * into small elements (one worker, one job, one sector declaration) and
 * hands each to a callback with its jsmn tokens; subtrees nobody needs are
 * skipped unparsed.  mview-resp.c turns the elements of each miner method
 * into plain records, mview.c joins one round of them into the worker
 * view, mview-format.c prints it.  None of these files does any I/O.
 */

#ifndef MVIEW_H
#define MVIEW_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

/* json.c */

#define JSON_PATH_MAX	4	/* wildcard levels above an element */

/* Type of a token, with the literals told apart. */
enum json_type {
	JSON_INVALID,
	JSON_OBJECT,
	JSON_ARRAY,
	JSON_STRING,
	JSON_NUMBER,
	JSON_TRUE,
	JSON_FALSE,
	JSON_NULL
};

/* What a rule does with the value at its position. */
enum json_action {
	JSON_SKIP,	/* ignore it, unparsed */
	JSON_DESCEND,	/* walk into it (outside elements) */
	JSON_ELEM,	/* capture it whole and hand it to the callback */
	JSON_KEEP	/* inside an element: keep it, apply kids below */
};

/*
 * A rule for one member (key) or for every member or item (key NULL).
 * A rule list ends with an entry whose action is 0 and key NULL, so the
 * last entry of a list must not be a SKIP rule for key NULL.
 */
struct json_node {
	const char		*key;
	enum json_action	 action;
	char			 type;		/* DESCEND: '{' or '['; ELEM:
						   'f' if flat (a hint) */
	char			 nullok;	/* DESCEND: null is empty */
	const struct json_node	*kids;		/* rules one level below */
	const char *const	*ints;		/* flat ELEM: member names of
						   an all-integer object */
};

#define JSON_INTS_MAX	4	/* names in a json_node's ints */

/* Events handed to the callback. */
enum json_event {
	JSON_EV_ENTER,	/* a DESCEND container opened */
	JSON_EV_NULL,	/* a DESCEND position held null */
	JSON_EV_ELEM,	/* an element was captured */
	JSON_EV_END	/* the response ended well */
};

/* One level of the wildcard path above an element. */
struct json_pathent {
	const char	*key;		/* decoded member name, or NULL */
	size_t		 index;		/* item index when key is NULL */
};

/* An element, or the position of an ENTER or NULL event. */
struct json_elem {
	const char		*buf;	/* element text (ELEM only) */
	size_t			 len;
	const struct json_pathent *path; /* wildcard levels, outer first */
	int			 npath;
	const char		*why;	/* set by an accessor that failed */
	const void		*tok;	/* tokens, private to json.c */
	int			 ntok;
	const uint64_t		*ints;	/* or the values of the rule's ints,
					   in its order, all present */
};

struct json_stream;

typedef int (*json_cb)(void *, struct json_stream *, enum json_event,
    struct json_elem *);

/* How one method's response is split. */
struct json_spec {
	const char		*method;	/* "WorkerStats" */
	struct json_node	 result;	/* rule for the result */
	json_cb			 cb;
};

/* A time as epoch seconds and nanoseconds, UTC. */
struct json_time {
	int64_t		sec;
	int32_t		nsec;
};

struct json_stream *json_stream_new(const struct json_spec *, void *);
void		 json_stream_expect_id(struct json_stream *, uint64_t);
int		 json_stream_feed(struct json_stream *, const void *, size_t);
int		 json_stream_end(struct json_stream *);
const char	*json_stream_error(const struct json_stream *);
int		 json_stream_rpc_error(const struct json_stream *, int64_t *);
void		 json_stream_free(struct json_stream *);
int		 json_stream_fail(struct json_stream *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
int		 json_type(struct json_elem *, int);
int		 json_size(const struct json_elem *, int);
int		 json_next(const struct json_elem *, int);
int		 json_get(struct json_elem *, int, const char *);
const char	*json_raw(const struct json_elem *, int, size_t *);
int		 json_str(struct json_elem *, int, char *, size_t);
char		*json_strdup(struct json_elem *, int);
int		 json_streq(struct json_elem *, int, const char *);
int		 json_u64(struct json_elem *, int, uint64_t *);
int		 json_i64(struct json_elem *, int, int64_t *);
int		 json_bool(struct json_elem *, int, int *);
int		 json_time(struct json_elem *, int, struct json_time *);
int		 json_uuid(struct json_elem *, int, uint8_t [16]);
int		 json_unescape(const char *, size_t, char *, size_t,
		    const char **);
int		 json_time_parse(const char *, size_t, struct json_time *);
void		 json_time_format(const struct json_time *, int, char *,
		    size_t);
int		 json_uuid_parse(const char *, size_t, uint8_t [16]);
void		 json_uuid_format(const uint8_t [16], char [37]);
const char	*json_safe(const char *, char *, size_t);

/* mview-resp.c */

/* Task types of lotus sealtasks, in the order of the spec's table. */
enum mview_task {
	MV_DC, MV_AP, MV_PC1, MV_PC2, MV_C1, MV_C2, MV_FIN, MV_FUS, MV_GET,
	MV_UNS, MV_RU, MV_PR1, MV_PR2, MV_GSK, MV_FRU, MV_DL, MV_WDP, MV_WNP,
	MV_UNK,
	MV_NTASKS
};
#define MV_TASKBIT(t)	(1U << (t))

/* The calls of one round. */
enum mview_call {
	MV_WORKERSTATS,
	MV_WORKERJOBS,
	MV_STORAGELIST,
	MV_SCHEDDIAG,
	MV_STORAGELOCAL,
	MV_NCALLS
};

/* Permissions of AuthVerify. */
#define MV_PERM_READ	0x01
#define MV_PERM_WRITE	0x02
#define MV_PERM_SIGN	0x04
#define MV_PERM_ADMIN	0x08

/* Result of Version. */
struct mview_version {
	char		version[128];
	uint32_t	api_version;	/* 66816 = 1.5.0 */
	uint64_t	block_delay;
	char		agent[64];	/* "" before lotus 1.32 */
};

/* Result of ActorAddress. */
struct mview_actor {
	uint64_t	id;		/* 1000 for f01000 */
	char		network;	/* 'f' or 't' */
};

/* Result of StorageInfo: one path of the sector index. */
struct mview_pathinfo {
	char		*id;
	int		 can_seal;
	int		 can_store;
	char		**hostport;	/* "host:port" of each URL */
	size_t		 nurls;
};

struct mview_round;

const char	*mview_task_short(enum mview_task);
const char	*mview_task_name(enum mview_task);
enum mview_task	 mview_task_parse(const char *);
const char	*mview_call_method(enum mview_call);
struct mview_round *mview_round_new(void);
void		 mview_round_free(struct mview_round *);
int		 mview_round_have(const struct mview_round *, enum mview_call);
struct json_stream *mview_resp_round(struct mview_round *, enum mview_call);
struct json_stream *mview_resp_version(struct mview_version *);
struct json_stream *mview_resp_actor(struct mview_actor *);
struct json_stream *mview_resp_sector_size(uint64_t *);
struct json_stream *mview_resp_auth(unsigned int *);
struct json_stream *mview_resp_storage_info(struct mview_pathinfo *);
void		 mview_pathinfo_clear(struct mview_pathinfo *);
int		 mview_actor_parse(const char *, struct mview_actor *);

/*
 * Records of one round, shared by mview-resp.c (which fills them) and
 * mview.c (which joins them).  Not for other files.
 */
struct mv_stat {			/* one WorkerStats entry */
	uint8_t		 uuid[16];
	char		*hostname;
	int		 enabled;
	uint32_t	 tasks;
	int		 tasks_null;
	int		 paths;		/* -1 absent, 0 null, 1 a list */
	char		*seal_path;	/* first CanSeal entry */
};

struct mv_job {				/* one WorkerJobs entry */
	uint64_t	 miner;
	uint64_t	 number;
	int64_t		 runwait;
	struct json_time start;
	uint32_t	 worker;	/* index into jobkey */
	uint8_t		 task;
	char		*hostname;	/* nil-UUID jobs only */
};

struct mv_decl {			/* one StorageList declaration */
	uint64_t	 number;
	uint32_t	 miner;		/* index into miner */
	uint32_t	 ft;		/* SectorFileType */
};

struct mv_path {			/* one StorageList path */
	char		*id;
	size_t		 first;		/* its declarations in decl */
	size_t		 n;
};

struct mv_req {				/* one queued scheduler request */
	uint64_t	 miner;
	uint64_t	 number;
	uint8_t		 task;
};

struct mv_target {
	struct mview_round	*round;
	enum mview_call		 call;
};

struct mview_round {
	int		 have[MV_NCALLS];
	struct mv_target target[MV_NCALLS];
	struct mv_stat	*stat;
	size_t		 nstat, capstat;
	uint8_t		(*jobkey)[16];
	size_t		 njobkey, capjobkey;
	struct mv_job	*job;
	size_t		 njob, capjob;
	struct mv_path	*path;
	size_t		 npath, cappath;
	struct mv_decl	*decl;
	size_t		 ndecl, capdecl;
	uint64_t	*miner;
	size_t		 nminer, capminer, lastminer;
	struct mv_req	*req;
	size_t		 nreq, capreq;
	char		**local;
	size_t		 nlocal, caplocal;
};

/* Address of a worker host for spec 9.1 (a): "host:port", or NULL. */
typedef const char *(*mview_lookup)(void *, const char *);

/* State of one mview_build, shared by mview.c and mview-memory.c. */
struct mv_ctx {
	struct mview_round	*r;
	struct mview_memory	*mem;
	struct mview		*v;	/* v->w[i] is r->stat[i] */
	struct mview_map	*wmap;	/* worker uuid -> i */
	struct mview_map	*pmap;	/* path id -> index in r->path */
	mview_lookup		 lookup;
	void			*arg;
	char			*cause;
};

/* mview.c */

/* Where a worker's sealing path came from. */
enum mview_pathsrc {
	MV_PATH_UNKNOWN,	/* not known: sectors unknown */
	MV_PATH_NONE,		/* WorkerStats lists paths, none CanSeal */
	MV_PATH_STATS,		/* WorkerStats.Paths (the gh-efforts fork) */
	MV_PATH_JOBS,		/* spec 9.2 (b): its running jobs */
	MV_PATH_ADDR,		/* spec 9.1 (a): its address in the URLs */
	MV_PATH_KEPT		/* bound in an earlier round */
};

/* What kind of worker, from its task list. */
enum mview_kind {
	MV_KIND_UNKNOWN,	/* Tasks null or missing */
	MV_KIND_SEALING,
	MV_KIND_WDPOST,
	MV_KIND_WNPOST
};

/* One worker of one miner, as the pilot sees it. */
struct mview_worker {
	uint8_t		 uuid[16];
	char		 id[37];		/* uuid as text */
	char		*hostname;
	int		 hostname_safe;	/* fit for a command line */
	int		 enabled;
	uint32_t	 tasks;		/* MV_TASKBIT set */
	int		 tasks_null;	/* Tasks was null or missing */
	enum mview_kind	 kind;
	int		 eligible;
	const char	*eligible_why;	/* when not eligible */
	enum mview_pathsrc pathsrc;
	char		**paths;	/* sealing path ids */
	size_t		 npaths;
	uint32_t	 running[MV_NTASKS];
	uint32_t	 prepared[MV_NTASKS];
	uint32_t	 assigned[MV_NTASKS];
	uint32_t	 queued[MV_NTASKS];
	uint32_t	 retwait[MV_NTASKS]; /* nil-UUID RunWait -1 jobs */
	int64_t		 nsectors;	/* -1: unknown */
	uint64_t	*sectors;	/* sector numbers, sorted */
	int		 have_last_pc1;
	struct json_time last_pc1;	/* latest Start of a running PC1 */
	int		 can_switch;
	char		*switch_why;	/* when it cannot switch */
	int		 can_stop;
	char		*stop_why;	/* when it cannot stop */
};

/* The worker view of one miner, built from one round. */
struct mview {
	struct mview_worker	*w;		/* sorted by hostname, id */
	size_t			 nw;
	int			 have_sched;	/* SchedDiag was read */
	uint32_t		 unattributed[MV_NTASKS]; /* queued */
	size_t			 orphan_jobs;	/* nil-UUID jobs */
};

struct mview_memory;


struct mview	*mview_build(struct mview_round *, struct mview_memory *,
		    mview_lookup, void *, char **);
void		 mview_free(struct mview *);
struct mview_worker *mview_find(const struct mview *, const char *);
size_t		 mview_count_eligible(const struct mview *);
ssize_t		 mview_candidates(const struct mview *,
		    struct mview_worker ***);
void		 mview_sort_candidates(struct mview_worker **, size_t);

/* mview-memory.c */

struct mview_memory *mview_memory_new(void);
void		 mview_memory_free(struct mview_memory *);
int		 mview_memory_add_info(struct mview_memory *,
		    const struct mview_pathinfo *);
int		 mview_memory_missing(struct mview_memory *,
		    const struct mview_round *, const char ***, size_t *);
int		 mview_memory_map(struct mv_ctx *);

/* mview-map.c */

struct mview_map;

int		 mview_map_grow(void *, size_t *, size_t, size_t);
struct mview_map *mview_map_new(void);
void		 mview_map_free(struct mview_map *);
int		 mview_map_put(struct mview_map *, const void *, size_t,
		    uint32_t);
int		 mview_map_get(const struct mview_map *, const void *, size_t,
		    uint32_t *);
size_t		 mview_map_count(const struct mview_map *);

/* mview-format.c */

#define MV_FMT_ALL	0x01	/* also workers that are not eligible */

char		*mview_format_text(const struct mview *, int);
char		*mview_format_json(const struct mview *, int);

#endif /* MVIEW_H */
