/*
 * mview-resp.c: the responses of the miner methods, element by element,
 * into plain records (struct mview_round) and small result structs.
 *
 * Missing or null fields are accepted where lotus omits them or older
 * releases lack them (Tasks, Paths, Hostname, SchedId, Agent, lists);
 * anything the spec does not allow is an error naming the method, the
 * worker key or path id, the field and what was wrong with it.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mview.h"

#define MV_HOST_MAX	255	/* longest hostname accepted */
#define MV_MINERS_MAX	256	/* distinct miner ids in StorageList */

static const struct {
	const char	*name;
	const char	*shortname;
} mv_tasks[MV_NTASKS] = {
	[MV_DC] = { "seal/v0/datacid", "DC" },
	[MV_AP] = { "seal/v0/addpiece", "AP" },
	[MV_PC1] = { "seal/v0/precommit/1", "PC1" },
	[MV_PC2] = { "seal/v0/precommit/2", "PC2" },
	[MV_C1] = { "seal/v0/commit/1", "C1" },
	[MV_C2] = { "seal/v0/commit/2", "C2" },
	[MV_FIN] = { "seal/v0/finalize", "FIN" },
	[MV_FUS] = { "seal/v0/finalizeunsealed", "FUS" },
	[MV_GET] = { "seal/v0/fetch", "GET" },
	[MV_UNS] = { "seal/v0/unseal", "UNS" },
	[MV_RU] = { "seal/v0/replicaupdate", "RU" },
	[MV_PR1] = { "seal/v0/provereplicaupdate/1", "PR1" },
	[MV_PR2] = { "seal/v0/provereplicaupdate/2", "PR2" },
	[MV_GSK] = { "seal/v0/regensectorkey", "GSK" },
	[MV_FRU] = { "seal/v0/finalize/replicaupdate", "FRU" },
	[MV_DL] = { "seal/v0/download/sector", "DL" },
	[MV_WDP] = { "post/v0/windowproof", "WDP" },
	[MV_WNP] = { "post/v0/winningproof", "WNP" },
	[MV_UNK] = { "", "UNK" }
};

static const char *mv_methods[MV_NCALLS] = {
	[MV_WORKERSTATS] = "WorkerStats",
	[MV_WORKERJOBS] = "WorkerJobs",
	[MV_STORAGELIST] = "StorageList",
	[MV_SCHEDDIAG] = "SealingSchedDiag",
	[MV_STORAGELOCAL] = "StorageLocal"
};

/* The short name of a task type, "PC1". */
const char *
mview_task_short(enum mview_task t)
{
	return (t < MV_NTASKS ? mv_tasks[t].shortname : "UNK");
}

/* The wire name of a task type, "seal/v0/precommit/1". */
const char *
mview_task_name(enum mview_task t)
{
	return (t < MV_NTASKS ? mv_tasks[t].name : "");
}

/* The task type of a wire name; MV_UNK when it is not known. */
enum mview_task
mview_task_parse(const char *s)
{
	int	t;

	if (strncmp(s, "seal/v0/", 8) != 0 && strncmp(s, "post/v0/", 8) != 0)
		return (MV_UNK);
	for (t = 0; t < MV_UNK; t++)
		if (strcmp(s + 8, mv_tasks[t].name + 8) == 0 &&
		    strncmp(s, mv_tasks[t].name, 8) == 0)
			return (t);
	return (MV_UNK);
}

/* The bare method name of a call of the round, "WorkerStats". */
const char *
mview_call_method(enum mview_call c)
{
	return (c < MV_NCALLS ? mv_methods[c] : "?");
}

/* Make an empty round. */
struct mview_round *
mview_round_new(void)
{
	return (calloc(1, sizeof(struct mview_round)));
}

/* Free a round and everything it holds. */
void
mview_round_free(struct mview_round *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nstat; i++) {
		free(r->stat[i].hostname);
		free(r->stat[i].seal_path);
	}
	for (i = 0; i < r->njob; i++)
		free(r->job[i].hostname);
	for (i = 0; i < r->npath; i++)
		free(r->path[i].id);
	for (i = 0; i < r->nlocal; i++)
		free(r->local[i]);
	free(r->stat);
	free(r->jobkey);
	free(r->job);
	free(r->path);
	free(r->decl);
	free(r->miner);
	free(r->req);
	free(r->local);
	free(r);
}

/* Whether the response of call c was read whole in this round. */
int
mview_round_have(const struct mview_round *r, enum mview_call c)
{
	return (c < MV_NCALLS && r->have[c]);
}

/* Fail for the element's worker key or path id and a field. */
static int
mv_fail(struct json_stream *s, struct json_elem *e, const char *what,
    const char *field)
{
	char	safe[80];

	if (e->npath > 0 && e->path[0].key != NULL)
		return (json_stream_fail(s, "%s %s: %s: %s", what,
		    json_safe(e->path[0].key, safe, sizeof(safe)), field,
		    e->why != NULL ? e->why : "invalid"));
	return (json_stream_fail(s, "%s: %s", field,
	    e->why != NULL ? e->why : "invalid"));
}

/* Read a SectorID object {Miner, Number} at token t. */
static int
mv_sector(struct json_elem *e, int t, uint64_t *miner, uint64_t *number)
{
	int	m, n;

	if ((m = json_get(e, t, "Miner")) == -1 ||
	    json_u64(e, m, miner) == -1 ||
	    (n = json_get(e, t, "Number")) == -1 ||
	    json_u64(e, n, number) == -1)
		return (-1);
	return (0);
}

/* Read a task type string at token t. */
static int
mv_task(struct json_elem *e, int t, uint8_t *task)
{
	char	buf[128];

	if (json_str(e, t, buf, sizeof(buf)) == -1)
		return (-1);
	*task = mview_task_parse(buf);
	return (0);
}

/* Read Tasks (array of task strings, null or missing) of a worker. */
static int
mv_stat_tasks(struct json_elem *e, int obj, struct mv_stat *st)
{
	uint8_t	task;
	int	t, i, n;

	st->tasks_null = 1;
	if ((t = json_get(e, obj, "Tasks")) == -1 ||
	    json_type(e, t) == JSON_NULL)
		return (0);
	if (json_type(e, t) != JSON_ARRAY) {
		e->why = "not an array";
		return (-1);
	}
	st->tasks_null = 0;
	n = json_size(e, t);
	for (i = 0, t++; i < n; i++, t = json_next(e, t)) {
		if (mv_task(e, t, &task) == -1)
			return (-1);
		st->tasks |= MV_TASKBIT(task);
	}
	return (0);
}

/* Read Paths (the fork's field): the first CanSeal path. */
static int
mv_stat_paths(struct json_elem *e, int obj, struct mv_stat *st)
{
	int	t, i, n, id, cs, canseal;

	st->paths = -1;
	if ((t = json_get(e, obj, "Paths")) == -1)
		return (0);
	st->paths = 0;
	if (json_type(e, t) == JSON_NULL)
		return (0);
	if (json_type(e, t) != JSON_ARRAY) {
		e->why = "not an array";
		return (-1);
	}
	st->paths = 1;
	n = json_size(e, t);
	for (i = 0, t++; i < n; i++, t = json_next(e, t)) {
		if ((cs = json_get(e, t, "CanSeal")) == -1 ||
		    json_bool(e, cs, &canseal) == -1 ||
		    (id = json_get(e, t, "ID")) == -1 ||
		    json_type(e, id) != JSON_STRING) {
			if (e->why == NULL || strcmp(e->why, "missing") != 0)
				e->why = "invalid path entry";
			return (-1);
		}
		if (canseal && st->seal_path == NULL &&
		    (st->seal_path = json_strdup(e, id)) == NULL)
			return (-1);
	}
	return (0);
}

/* One WorkerStats entry: the worker under its UUID key. */
static int
mv_stat_elem(struct mview_round *r, struct json_stream *s,
    struct json_elem *e)
{
	struct mv_stat	*st;
	int		 info, t;

	if (mview_map_grow(&r->stat, &r->capstat, r->nstat,
	    sizeof(*r->stat)) == -1)
		return (json_stream_fail(s, "out of memory"));
	st = &r->stat[r->nstat++];
	memset(st, 0, sizeof(*st));
	e->why = "not a UUID";
	if (json_uuid_parse(e->path[0].key, strlen(e->path[0].key),
	    st->uuid) == -1)
		return (mv_fail(s, e, "worker key", "key"));
	e->why = "not an object";
	if (json_type(e, 0) != JSON_OBJECT)
		return (mv_fail(s, e, "worker", "entry"));
	if ((info = json_get(e, 0, "Info")) == -1 ||
	    json_type(e, info) != JSON_OBJECT) {
		e->why = info == -1 ? "missing" : "not an object";
		return (mv_fail(s, e, "worker", "Info"));
	}
	if ((t = json_get(e, info, "Hostname")) == -1 ||
	    (st->hostname = json_strdup(e, t)) == NULL)
		return (mv_fail(s, e, "worker", "Info.Hostname"));
	if (strlen(st->hostname) > MV_HOST_MAX) {
		e->why = "too long";
		return (mv_fail(s, e, "worker", "Info.Hostname"));
	}
	if ((t = json_get(e, 0, "Enabled")) == -1 ||
	    json_bool(e, t, &st->enabled) == -1)
		return (mv_fail(s, e, "worker", "Enabled"));
	if (mv_stat_tasks(e, 0, st) == -1)
		return (mv_fail(s, e, "worker", "Tasks"));
	if (mv_stat_paths(e, 0, st) == -1)
		return (mv_fail(s, e, "worker", "Paths"));
	return (0);
}

/* The worker key of a WorkerJobs list: remember it. */
static int
mv_jobs_enter(struct mview_round *r, struct json_stream *s,
    struct json_elem *e)
{
	uint8_t	u[16];

	e->why = "not a UUID";
	if (json_uuid_parse(e->path[0].key, strlen(e->path[0].key), u) == -1)
		return (mv_fail(s, e, "worker key", "key"));
	if (mview_map_grow(&r->jobkey, &r->capjobkey, r->njobkey,
	    sizeof(*r->jobkey)) == -1)
		return (json_stream_fail(s, "out of memory"));
	memcpy(r->jobkey[r->njobkey++], u, 16);
	return (0);
}

/* Read the fields of one job into j; *field names the bad one. */
static int
mv_job_fields(struct json_elem *e, struct mv_job *j, int nil,
    const char **field)
{
	int	t;

	*field = "Sector";
	if ((t = json_get(e, 0, "Sector")) == -1 ||
	    mv_sector(e, t, &j->miner, &j->number) == -1)
		return (-1);
	*field = "Task";
	if ((t = json_get(e, 0, "Task")) == -1 || mv_task(e, t, &j->task) == -1)
		return (-1);
	*field = "RunWait";
	if ((t = json_get(e, 0, "RunWait")) == -1 ||
	    json_i64(e, t, &j->runwait) == -1)
		return (-1);
	*field = "Start";
	if ((t = json_get(e, 0, "Start")) == -1 ||
	    json_time(e, t, &j->start) == -1)
		return (-1);
	*field = "Hostname";
	if (!nil || (t = json_get(e, 0, "Hostname")) == -1 ||
	    json_type(e, t) == JSON_NULL)
		return (0);
	if ((j->hostname = json_strdup(e, t)) == NULL)
		return (-1);
	return (0);
}

/* One job of a WorkerJobs list. */
static int
mv_job_elem(struct mview_round *r, struct json_stream *s,
    struct json_elem *e)
{
	static const uint8_t	 nil[16];
	struct mv_job		*j;
	const char		*field = "entry";
	char			 safe[80], what[64];

	if (mview_map_grow(&r->job, &r->capjob, r->njob, sizeof(*r->job)) == -1)
		return (json_stream_fail(s, "out of memory"));
	j = &r->job[r->njob];
	memset(j, 0, sizeof(*j));
	j->worker = r->njobkey - 1;
	e->why = "not an object";
	if (json_type(e, 0) != JSON_OBJECT || mv_job_fields(e, j,
	    memcmp(r->jobkey[j->worker], nil, 16) == 0, &field) == -1) {
		free(j->hostname);
		snprintf(what, sizeof(what), "job %zu", e->path[1].index);
		return (json_stream_fail(s, "worker %s: %s: %s: %s",
		    json_safe(e->path[0].key, safe, sizeof(safe)), what,
		    field, e->why));
	}
	r->njob++;
	return (0);
}

/* A path id of StorageList: a new path with no declarations yet. */
static int
mv_path_enter(struct mview_round *r, struct json_stream *s,
    struct json_elem *e)
{
	struct mv_path	*p;

	if (mview_map_grow(&r->path, &r->cappath, r->npath,
	    sizeof(*r->path)) == -1)
		return (json_stream_fail(s, "out of memory"));
	p = &r->path[r->npath];
	p->first = r->ndecl;
	p->n = 0;
	if ((p->id = strdup(e->path[0].key)) == NULL)
		return (json_stream_fail(s, "out of memory"));
	r->npath++;
	return (0);
}

/* The index of a miner id in the round's small table. */
static int
mv_miner_index(struct mview_round *r, uint64_t miner, uint32_t *ix)
{
	size_t	i;

	if (r->nminer > 0 && r->miner[r->lastminer] == miner) {
		*ix = r->lastminer;
		return (0);
	}
	for (i = 0; i < r->nminer; i++)
		if (r->miner[i] == miner)
			break;
	if (i == r->nminer) {
		if (r->nminer == MV_MINERS_MAX || mview_map_grow(&r->miner,
		    &r->capminer, r->nminer, sizeof(*r->miner)) == -1)
			return (-1);
		r->miner[r->nminer++] = miner;
	}
	*ix = r->lastminer = i;
	return (0);
}

/* Which member of a declaration key token t names (3: none). */
static int
mv_decl_key(struct json_elem *e, int t)
{
	static const char	*names[3] = {
		"Miner", "Number", "SectorFileType"
	};
	const char		*p;
	size_t			 n;
	int			 k;

	if ((p = json_raw(e, t, &n)) == NULL)
		return (3);
	if (n == 5 && memcmp(p, "Miner", 5) == 0)
		return (0);
	if (n == 6 && memcmp(p, "Number", 6) == 0)
		return (1);
	if (n == 14 && memcmp(p, "SectorFileType", 14) == 0)
		return (2);
	if (memchr(p, '\\', n) == NULL)
		return (3);
	for (k = 0; k < 3; k++)
		if (json_streq(e, t, names[k]))
			break;
	return (k);
}

/* Read the three members of a declaration, in any order. */
static int
mv_decl_fields(struct json_elem *e, uint64_t v[3])
{
	int	i, k, n, t, seen = 0;

	n = json_size(e, 0);
	for (i = 0, t = 1; i < n; i++, t = json_next(e, t + 1)) {
		if ((k = mv_decl_key(e, t)) == 3)
			continue;
		if (json_u64(e, t + 1, &v[k]) == -1)
			return (-1 - k);
		seen |= 1 << k;
	}
	for (k = 0; k < 3; k++)
		if (!(seen & (1 << k))) {
			e->why = "missing";
			return (-1 - k);
		}
	return (0);
}

/* One declaration of a StorageList path. */
static int
mv_decl_elem(struct mview_round *r, struct json_stream *s,
    struct json_elem *e)
{
	static const char	*names[3] = {
		"Miner", "Number", "SectorFileType"
	};
	struct mv_decl		*d;
	uint64_t		 v[3];
	char			 safe[80];
	int			 k;

	if (e->ints != NULL)
		memcpy(v, e->ints, sizeof(v));
	else if (json_type(e, 0) != JSON_OBJECT) {
		e->why = "not an object";
		return (mv_fail(s, e, "path", "declaration"));
	} else if ((k = mv_decl_fields(e, v)) < 0) {
		return (json_stream_fail(s, "path %s: declaration %zu: %s: %s",
		    json_safe(e->path[0].key, safe, sizeof(safe)),
		    e->path[1].index, names[-1 - k], e->why));
	}
	if (v[2] > UINT32_MAX) {
		e->why = "number out of range";
		return (mv_fail(s, e, "path", "SectorFileType"));
	}
	if (mview_map_grow(&r->decl, &r->capdecl, r->ndecl,
	    sizeof(*r->decl)) == -1)
		return (json_stream_fail(s, "out of memory"));
	d = &r->decl[r->ndecl];
	if (mv_miner_index(r, v[0], &d->miner) == -1)
		return (json_stream_fail(s, "too many miner ids"));
	d->number = v[1];
	d->ft = v[2];
	r->ndecl++;
	r->path[r->npath - 1].n++;
	return (0);
}

/* One request of the scheduler queue. */
static int
mv_req_elem(struct mview_round *r, struct json_stream *s,
    struct json_elem *e)
{
	struct mv_req	*q;
	const char	*field = "Sector";
	int		 t;

	if (mview_map_grow(&r->req, &r->capreq, r->nreq, sizeof(*r->req)) == -1)
		return (json_stream_fail(s, "out of memory"));
	q = &r->req[r->nreq];
	e->why = "not an object";
	if (json_type(e, 0) != JSON_OBJECT ||
	    (t = json_get(e, 0, "Sector")) == -1 ||
	    mv_sector(e, t, &q->miner, &q->number) == -1 ||
	    (field = "TaskType", (t = json_get(e, 0, "TaskType")) == -1) ||
	    mv_task(e, t, &q->task) == -1)
		return (json_stream_fail(s, "request %zu: %s: %s",
		    e->path[0].index, field, e->why));
	r->nreq++;
	return (0);
}

/* One path of StorageLocal: the key is what counts. */
static int
mv_local_elem(struct mview_round *r, struct json_stream *s,
    struct json_elem *e)
{
	if (json_type(e, 0) != JSON_STRING) {
		e->why = "not a string";
		return (mv_fail(s, e, "path", "local path"));
	}
	if (mview_map_grow(&r->local, &r->caplocal, r->nlocal,
	    sizeof(*r->local)) == -1 ||
	    (r->local[r->nlocal] = strdup(e->path[0].key)) == NULL)
		return (json_stream_fail(s, "out of memory"));
	r->nlocal++;
	return (0);
}

/* Callback of the round's streams: dispatch on call and event. */
static int
mv_round_cb(void *arg, struct json_stream *s, enum json_event ev,
    struct json_elem *e)
{
	struct mv_target	*t = arg;
	struct mview_round	*r = t->round;

	if (ev == JSON_EV_END) {
		r->have[t->call] = 1;
		return (0);
	}
	switch (t->call) {
	case MV_WORKERSTATS:
		return (ev == JSON_EV_ELEM ? mv_stat_elem(r, s, e) : 0);
	case MV_WORKERJOBS:
		if (ev != JSON_EV_ELEM)
			return (e->npath == 1 ? mv_jobs_enter(r, s, e) : 0);
		return (mv_job_elem(r, s, e));
	case MV_STORAGELIST:
		if (ev != JSON_EV_ELEM)
			return (e->npath == 1 ? mv_path_enter(r, s, e) : 0);
		return (mv_decl_elem(r, s, e));
	case MV_SCHEDDIAG:
		return (ev == JSON_EV_ELEM ? mv_req_elem(r, s, e) : 0);
	case MV_STORAGELOCAL:
		return (ev == JSON_EV_ELEM ? mv_local_elem(r, s, e) : 0);
	default:
		return (-1);
	}
}

#define MV_END	{ NULL, JSON_SKIP, 0, 0, NULL, NULL }

static const struct json_node mv_ws_res[] = {
	{ "Resources", JSON_SKIP, 0, 0, NULL, NULL }, MV_END
};
static const struct json_node mv_ws_info[] = {
	{ "Resources", JSON_KEEP, 0, 0, mv_ws_res, NULL }, MV_END
};
static const struct json_node mv_ws_entry[] = {
	{ "Info", JSON_KEEP, 0, 0, mv_ws_info, NULL },
	{ "TaskCounts", JSON_SKIP, 0, 0, NULL, NULL }, MV_END
};
static const struct json_node mv_ws[] = {
	{ NULL, JSON_ELEM, 0, 0, mv_ws_entry, NULL }, MV_END
};
static const struct json_node mv_item[] = {
	{ NULL, JSON_ELEM, 0, 0, NULL, NULL }, MV_END
};
static const struct json_node mv_lists[] = {
	{ NULL, JSON_DESCEND, '[', 1, mv_item, NULL }, MV_END
};
static const char *const mv_decl_names[] = {
	"Miner", "Number", "SectorFileType", NULL
};
static const struct json_node mv_decl[] = {
	{ NULL, JSON_ELEM, 'f', 0, NULL, mv_decl_names }, MV_END
};
static const struct json_node mv_decls[] = {
	{ NULL, JSON_DESCEND, '[', 1, mv_decl, NULL }, MV_END
};
static const struct json_node mv_reqs[] = {
	{ "Requests", JSON_DESCEND, '[', 1, mv_item, NULL }, MV_END
};
static const struct json_node mv_diag[] = {
	{ "SchedInfo", JSON_DESCEND, '{', 1, mv_reqs, NULL }, MV_END
};

static const struct json_spec mv_specs[MV_NCALLS] = {
	[MV_WORKERSTATS] = { "WorkerStats",
	    { NULL, JSON_DESCEND, '{', 1, mv_ws, NULL }, mv_round_cb },
	[MV_WORKERJOBS] = { "WorkerJobs",
	    { NULL, JSON_DESCEND, '{', 1, mv_lists, NULL }, mv_round_cb },
	[MV_STORAGELIST] = { "StorageList",
	    { NULL, JSON_DESCEND, '{', 1, mv_decls, NULL }, mv_round_cb },
	[MV_SCHEDDIAG] = { "SealingSchedDiag",
	    { NULL, JSON_DESCEND, '{', 1, mv_diag, NULL }, mv_round_cb },
	[MV_STORAGELOCAL] = { "StorageLocal",
	    { NULL, JSON_DESCEND, '{', 1, mv_item, NULL }, mv_round_cb }
};

/*
 * A stream that reads the response of call c into the round.  The
 * round must be thrown away if the stream fails.
 */
struct json_stream *
mview_resp_round(struct mview_round *r, enum mview_call c)
{
	if (c >= MV_NCALLS)
		return (NULL);
	r->target[c].round = r;
	r->target[c].call = c;
	return (json_stream_new(&mv_specs[c], &r->target[c]));
}

/* Read the result of Version. */
static int
mv_version_cb(void *arg, struct json_stream *s, enum json_event ev,
    struct json_elem *e)
{
	struct mview_version	*v = arg;
	uint64_t		 api;
	int			 t;

	if (ev != JSON_EV_ELEM)
		return (0);
	memset(v, 0, sizeof(*v));
	if ((t = json_get(e, 0, "Version")) == -1 ||
	    json_str(e, t, v->version, sizeof(v->version)) == -1)
		return (mv_fail(s, e, "", "Version"));
	if ((t = json_get(e, 0, "APIVersion")) == -1 ||
	    json_u64(e, t, &api) == -1 || (api > UINT32_MAX &&
	    (e->why = "number out of range")))
		return (mv_fail(s, e, "", "APIVersion"));
	v->api_version = api;
	if ((t = json_get(e, 0, "BlockDelay")) != -1 &&
	    json_type(e, t) != JSON_NULL &&
	    json_u64(e, t, &v->block_delay) == -1)
		return (mv_fail(s, e, "", "BlockDelay"));
	if ((t = json_get(e, 0, "Agent")) != -1 &&
	    json_type(e, t) != JSON_NULL &&
	    json_str(e, t, v->agent, sizeof(v->agent)) == -1)
		return (mv_fail(s, e, "", "Agent"));
	return (0);
}

/*
 * Parse an ID address, "f01000" or "t01000", into the actor id and
 * the network letter; -1 if it is not an ID address.
 */
int
mview_actor_parse(const char *s, struct mview_actor *a)
{
	uint64_t	v = 0;
	size_t		i;

	if ((s[0] != 'f' && s[0] != 't') || s[1] != '0' || s[2] == '\0')
		return (-1);
	for (i = 2; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    v > (UINT64_MAX - (s[i] - '0')) / 10)
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	a->id = v;
	a->network = s[0];
	return (0);
}

/* Read the result of ActorAddress. */
static int
mv_actor_cb(void *arg, struct json_stream *s, enum json_event ev,
    struct json_elem *e)
{
	char	buf[64], safe[80];

	if (ev != JSON_EV_ELEM)
		return (0);
	if (json_str(e, 0, buf, sizeof(buf)) == -1)
		return (mv_fail(s, e, "", "result"));
	if (mview_actor_parse(buf, arg) == -1)
		return (json_stream_fail(s, "result: not an ID address: %s",
		    json_safe(buf, safe, sizeof(safe))));
	return (0);
}

/* Read the result of ActorSectorSize. */
static int
mv_size_cb(void *arg, struct json_stream *s, enum json_event ev,
    struct json_elem *e)
{
	if (ev == JSON_EV_ELEM && json_u64(e, 0, arg) == -1)
		return (mv_fail(s, e, "", "result"));
	return (0);
}

/* Read the result of AuthVerify: the permissions of the token. */
static int
mv_auth_cb(void *arg, struct json_stream *s, enum json_event ev,
    struct json_elem *e)
{
	static const char	*perms[] = { "read", "write", "sign", "admin" };
	unsigned int		*p = arg;
	int			 i, k, n, t;

	if (ev != JSON_EV_ELEM)
		return (0);
	*p = 0;
	if (json_type(e, 0) == JSON_NULL)
		return (0);
	if (json_type(e, 0) != JSON_ARRAY) {
		e->why = "not an array";
		return (mv_fail(s, e, "", "result"));
	}
	n = json_size(e, 0);
	for (i = 0, t = 1; i < n; i++, t++) {
		if (json_type(e, t) != JSON_STRING) {
			e->why = "not a string";
			return (mv_fail(s, e, "", "permission"));
		}
		for (k = 0; k < 4; k++)
			if (json_streq(e, t, perms[k]))
				*p |= 1U << k;
	}
	return (0);
}

/*
 * Reduce a URL to "host:port" ("[v6]:port" stays bracketed); NULL
 * when it has no scheme or no host.
 */
static char *
mv_hostport(const char *url)
{
	const char	*p, *q;

	if ((p = strstr(url, "://")) == NULL)
		return (NULL);
	p += 3;
	q = p + strcspn(p, "/?#");
	if (q == p)
		return (NULL);
	return (strndup(p, q - p));
}

/* Read the URLs of a StorageInfo record. */
static int
mv_info_urls(struct json_elem *e, int t, struct mview_pathinfo *pi)
{
	char	*url;
	int	 i, n;

	if (t == -1 || json_type(e, t) == JSON_NULL)
		return (0);
	if (json_type(e, t) != JSON_ARRAY) {
		e->why = "not an array";
		return (-1);
	}
	n = json_size(e, t);
	if ((pi->hostport = calloc(n + 1, sizeof(char *))) == NULL) {
		e->why = "out of memory";
		return (-1);
	}
	for (i = 0, t++; i < n; i++, t++) {
		if ((url = json_strdup(e, t)) == NULL)
			return (-1);
		pi->hostport[pi->nurls] = mv_hostport(url);
		if (pi->hostport[pi->nurls] == NULL &&
		    (pi->hostport[pi->nurls] = strdup("")) == NULL) {
			free(url);
			e->why = "out of memory";
			return (-1);
		}
		pi->nurls++;
		free(url);
	}
	return (0);
}

/* Free what a StorageInfo result holds. */
void
mview_pathinfo_clear(struct mview_pathinfo *pi)
{
	size_t	i;

	free(pi->id);
	for (i = 0; i < pi->nurls; i++)
		free(pi->hostport[i]);
	free(pi->hostport);
	memset(pi, 0, sizeof(*pi));
}

/* Read the result of StorageInfo. */
static int
mv_info_cb(void *arg, struct json_stream *s, enum json_event ev,
    struct json_elem *e)
{
	struct mview_pathinfo	*pi = arg;
	int			 t;

	if (ev != JSON_EV_ELEM)
		return (0);
	mview_pathinfo_clear(pi);
	if ((t = json_get(e, 0, "ID")) == -1 ||
	    (pi->id = json_strdup(e, t)) == NULL)
		return (mv_fail(s, e, "", "ID"));
	if (mv_info_urls(e, json_get(e, 0, "URLs"), pi) == -1)
		return (mv_fail(s, e, "", "URLs"));
	if ((t = json_get(e, 0, "CanSeal")) == -1 ||
	    json_bool(e, t, &pi->can_seal) == -1)
		return (mv_fail(s, e, "", "CanSeal"));
	if ((t = json_get(e, 0, "CanStore")) == -1 ||
	    json_bool(e, t, &pi->can_store) == -1)
		return (mv_fail(s, e, "", "CanStore"));
	return (0);
}

static const struct json_spec mv_version_spec = { "Version",
    { NULL, JSON_ELEM, 0, 0, NULL, NULL }, mv_version_cb };
static const struct json_spec mv_actor_spec = { "ActorAddress",
    { NULL, JSON_ELEM, 0, 0, NULL, NULL }, mv_actor_cb };
static const struct json_spec mv_size_spec = { "ActorSectorSize",
    { NULL, JSON_ELEM, 0, 0, NULL, NULL }, mv_size_cb };
static const struct json_spec mv_auth_spec = { "AuthVerify",
    { NULL, JSON_ELEM, 0, 0, NULL, NULL }, mv_auth_cb };
static const struct json_spec mv_info_spec = { "StorageInfo",
    { NULL, JSON_ELEM, 0, 0, NULL, NULL }, mv_info_cb };

/* A stream that reads the result of Version into v. */
struct json_stream *
mview_resp_version(struct mview_version *v)
{
	return (json_stream_new(&mv_version_spec, v));
}

/* A stream that reads the result of ActorAddress into a. */
struct json_stream *
mview_resp_actor(struct mview_actor *a)
{
	return (json_stream_new(&mv_actor_spec, a));
}

/* A stream that reads the result of ActorSectorSize into size. */
struct json_stream *
mview_resp_sector_size(uint64_t *size)
{
	return (json_stream_new(&mv_size_spec, size));
}

/* A stream that reads the result of AuthVerify into MV_PERM_ bits. */
struct json_stream *
mview_resp_auth(unsigned int *perms)
{
	return (json_stream_new(&mv_auth_spec, perms));
}

/* A stream that reads the result of StorageInfo into pi (zeroed). */
struct json_stream *
mview_resp_storage_info(struct mview_pathinfo *pi)
{
	return (json_stream_new(&mv_info_spec, pi));
}
