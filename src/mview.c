/*
 * mview.c: the worker view of one miner, joined from one round of
 * WorkerStats, WorkerJobs, StorageList and SealingSchedDiag(false).
 *
 * The counts follow gh-efforts/lotus-pilot (pilot/worker.go): jobs by
 * RunWait (0 running, 1 prepared, >= 2 assigned, < 0 ignored), queued
 * requests attributed through the sector's presence in the worker's
 * sealing path.  Where the Go tool guesses, this fails safe: a worker
 * whose sealing path is not known has unknown sectors, never none, so
 * it cannot be stopped; a sector on the sealing paths of two workers
 * counts for both.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mview.h"

#define MV_SWITCH_TASKS	(MV_TASKBIT(MV_AP) | MV_TASKBIT(MV_PC1) | \
			    MV_TASKBIT(MV_PC2))

/* A growable string for reasons. */
struct mv_sb {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 oom;
};

/* An owner of a sector: a worker, and the next owner of that sector. */
struct mv_own {
	uint32_t	worker;
	uint32_t	next;		/* index + 1, or 0 */
};

static void	mv_sb_add(struct mv_sb *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));

/* Append formatted text to a string builder. */
static void
mv_sb_add(struct mv_sb *sb, const char *fmt, ...)
{
	va_list	 ap;
	char	*np;
	int	 n;

	if (sb->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->p ? sb->p + sb->len : NULL,
	    sb->p ? sb->cap - sb->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0 || sb->len + n + 1 > sb->cap) {
		sb->cap = sb->len + (n < 0 ? 0 : n) + 64;
		if (n < 0 || (np = realloc(sb->p, sb->cap)) == NULL) {
			sb->oom = 1;
			return;
		}
		sb->p = np;
		va_start(ap, fmt);
		vsnprintf(sb->p + sb->len, sb->cap - sb->len, fmt, ap);
		va_end(ap);
	}
	sb->len += n;
}

/* Whether a hostname is fit for a command line: [A-Za-z0-9._-]. */
static int
mv_host_safe(const char *h)
{
	if (*h == '\0' || *h == '-' || *h == '.')
		return (0);
	return (strspn(h, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == strlen(h));
}

/* Kind and eligibility of a worker from its task list and flag. */
static void
mv_eligible(struct mview_worker *w)
{
	if (w->tasks_null)
		w->kind = MV_KIND_UNKNOWN;
	else if (w->tasks & MV_TASKBIT(MV_WDP))
		w->kind = MV_KIND_WDPOST;
	else if (w->tasks & MV_TASKBIT(MV_WNP))
		w->kind = MV_KIND_WNPOST;
	else
		w->kind = MV_KIND_SEALING;
	w->eligible = 0;
	if (w->kind == MV_KIND_WDPOST)
		w->eligible_why = "window PoSt worker";
	else if (w->kind == MV_KIND_WNPOST)
		w->eligible_why = "winning PoSt worker";
	else if (!w->enabled)
		w->eligible_why = "disabled";
	else if (w->tasks_null)
		w->eligible_why = "task list unknown";
	else if (!(w->tasks & (MV_TASKBIT(MV_PC1) | MV_TASKBIT(MV_PC2))))
		w->eligible_why = "accepts neither PC1 nor PC2";
	else {
		w->eligible = 1;
		w->eligible_why = NULL;
	}
}

/* Set the sealing path of a worker from the fork's Paths field. */
static int
mv_fork_path(struct mview_worker *w, const struct mv_stat *st)
{
	if (st->seal_path == NULL) {
		w->pathsrc = st->paths == 1 ? MV_PATH_NONE : MV_PATH_UNKNOWN;
		return (0);
	}
	if ((w->paths = calloc(1, sizeof(char *))) == NULL ||
	    (w->paths[0] = strdup(st->seal_path)) == NULL)
		return (-1);
	w->npaths = 1;
	w->pathsrc = MV_PATH_STATS;
	return (0);
}

/* Make the workers of the view from WorkerStats. */
static int
mv_workers(struct mv_ctx *c)
{
	struct mview_round	*r = c->r;
	struct mview_worker	*w;
	struct mv_stat		*st;
	size_t			 i;
	int			 rv;

	if ((c->v->w = calloc(r->nstat + 1, sizeof(*w))) == NULL ||
	    (c->wmap = mview_map_new()) == NULL)
		return (-1);
	for (i = 0; i < r->nstat; i++) {
		st = &r->stat[i];
		w = &c->v->w[c->v->nw++];
		memcpy(w->uuid, st->uuid, 16);
		json_uuid_format(w->uuid, w->id);
		w->nsectors = -1;
		if ((w->hostname = strdup(st->hostname)) == NULL)
			return (-1);
		w->hostname_safe = mv_host_safe(w->hostname);
		w->enabled = st->enabled;
		w->tasks = st->tasks;
		w->tasks_null = st->tasks_null;
		mv_eligible(w);
		if ((rv = mview_map_put(c->wmap, w->uuid, 16, i)) == -1)
			return (-1);
		if (rv == 1) {
			c->cause = strdup("WorkerStats: duplicate worker key");
			return (-1);
		}
		if (st->paths != -1 && mv_fork_path(w, st) == -1)
			return (-1);
	}
	return (0);
}

/* Index the paths of StorageList by id. */
static int
mv_paths(struct mv_ctx *c)
{
	size_t	i;
	int	rv;

	if ((c->pmap = mview_map_new()) == NULL)
		return (-1);
	for (i = 0; i < c->r->npath; i++) {
		rv = mview_map_put(c->pmap, c->r->path[i].id,
		    strlen(c->r->path[i].id), i);
		if (rv == -1)
			return (-1);
		if (rv == 1) {
			c->cause = strdup("StorageList: duplicate path id");
			return (-1);
		}
	}
	return (0);
}

/* Order sector ids (miner index, number). */
static int
mv_cmp_sector(const void *a, const void *b)
{
	const uint64_t	*x = a, *y = b;

	if (x[0] != y[0])
		return (x[0] < y[0] ? -1 : 1);
	if (x[1] != y[1])
		return (x[1] < y[1] ? -1 : 1);
	return (0);
}

/* Collect the distinct sectors on the worker's paths into pairs. */
static int
mv_worker_sectors(struct mv_ctx *c, struct mview_worker *w,
    uint64_t **pairs, size_t *n)
{
	struct mv_path	*p;
	uint64_t	*v = NULL;
	size_t		 i, k, cap = 0, m = 0;
	uint32_t	 pi;

	for (i = 0; i < w->npaths; i++) {
		if (mview_map_get(c->pmap, w->paths[i], strlen(w->paths[i]),
		    &pi) == -1)
			continue;
		p = &c->r->path[pi];
		for (k = 0; k < p->n; k++) {
			if (mview_map_grow(&v, &cap, m + 1, 2 * sizeof(*v)) ==
			    -1) {
				free(v);
				return (-1);
			}
			v[2 * m] = c->r->decl[p->first + k].miner;
			v[2 * m + 1] = c->r->decl[p->first + k].number;
			m++;
		}
	}
	if (m > 1)
		qsort(v, m, 2 * sizeof(*v), mv_cmp_sector);
	for (i = k = 0; i < m; i++)
		if (k == 0 || mv_cmp_sector(&v[2 * i], &v[2 * (k - 1)]) != 0) {
			v[2 * k] = v[2 * i];
			v[2 * k++ + 1] = v[2 * i + 1];
		}
	*pairs = v;
	*n = k;
	return (0);
}

/* Record worker wi as an owner of the sector (miner, number). */
static int
mv_own_add(struct mview_map *om, struct mv_own **own, size_t *n,
    size_t *cap, const uint64_t key[2], uint32_t wi)
{
	uint32_t	first = 0;

	if (mview_map_grow(own, cap, *n, sizeof(**own)) == -1)
		return (-1);
	if (mview_map_get(om, key, 16, &first) == -1)
		first = 0;
	(*own)[*n].worker = wi;
	(*own)[*n].next = first;
	(*n)++;
	return (mview_map_put(om, key, 16, *n) == -1 ? -1 : 0);
}

/*
 * Sealing sectors of each worker whose path is known, and the map from
 * sector (real miner id, number) to its owners for the queue.
 */
static int
mv_sectors(struct mv_ctx *c, struct mview_map *om, struct mv_own **own,
    size_t *nown)
{
	struct mview_worker	*w;
	uint64_t		*pairs, key[2];
	size_t			 i, k, n, cap = 0;

	for (i = 0; i < c->v->nw; i++) {
		w = &c->v->w[i];
		if (w->pathsrc == MV_PATH_UNKNOWN)
			continue;
		if (mv_worker_sectors(c, w, &pairs, &n) == -1)
			return (-1);
		w->nsectors = n;
		if (n > 0 && (w->sectors = calloc(n, sizeof(uint64_t))) ==
		    NULL) {
			free(pairs);
			return (-1);
		}
		for (k = 0; k < n; k++) {
			w->sectors[k] = pairs[2 * k + 1];
			key[0] = c->r->miner[pairs[2 * k]];
			key[1] = pairs[2 * k + 1];
			if (mv_own_add(om, own, nown, &cap, key, i) == -1) {
				free(pairs);
				return (-1);
			}
		}
		free(pairs);
	}
	return (0);
}

/* Add a ret-wait job of the nil UUID to every worker of its host. */
static void
mv_retwait(struct mv_ctx *c, struct mview_map *hm, const uint32_t *next,
    const struct mv_job *j)
{
	uint32_t	k;

	if (mview_map_get(hm, j->hostname, strlen(j->hostname), &k) == -1)
		return;
	for (; k != 0; k = next[k - 1])
		c->v->w[k - 1].retwait[j->task]++;
}

/* Count one job of a known worker by its RunWait. */
static void
mv_job_count(struct mview_worker *w, const struct mv_job *j)
{
	if (j->runwait < 0)
		return;
	if (j->runwait == 1) {
		w->prepared[j->task]++;
		return;
	}
	if (j->runwait > 1) {
		w->assigned[j->task]++;
		return;
	}
	w->running[j->task]++;
	if (j->task == MV_PC1 && (!w->have_last_pc1 ||
	    j->start.sec > w->last_pc1.sec ||
	    (j->start.sec == w->last_pc1.sec &&
	    j->start.nsec > w->last_pc1.nsec))) {
		w->last_pc1 = j->start;
		w->have_last_pc1 = 1;
	}
}

/* Index workers by hostname: map to first + 1, next[] chains. */
static int
mv_hosts(struct mv_ctx *c, struct mview_map *hm, uint32_t *next)
{
	struct mview_worker	*w;
	uint32_t		 first;
	size_t			 i;

	for (i = 0; i < c->v->nw; i++) {
		w = &c->v->w[i];
		if (mview_map_get(hm, w->hostname, strlen(w->hostname),
		    &first) == -1)
			first = 0;
		next[i] = first;
		if (mview_map_put(hm, w->hostname, strlen(w->hostname),
		    i + 1) == -1)
			return (-1);
	}
	return (0);
}

/* Count the jobs of WorkerJobs per worker; nil-UUID jobs per host. */
static int
mv_jobs(struct mv_ctx *c)
{
	static const uint8_t	 nil[16];
	struct mview_round	*r = c->r;
	struct mview_map	*hm;
	uint32_t		*next, *jw, k;
	size_t			 i;
	int			 rv = -1;

	hm = mview_map_new();
	next = calloc(c->v->nw + 1, sizeof(*next));
	jw = calloc(r->njobkey + 1, sizeof(*jw));
	if (hm == NULL || next == NULL || jw == NULL ||
	    mv_hosts(c, hm, next) == -1)
		goto out;
	for (i = 0; i < r->njobkey; i++) {
		if (memcmp(r->jobkey[i], nil, 16) == 0)
			jw[i] = UINT32_MAX - 1;
		else if (mview_map_get(c->wmap, r->jobkey[i], 16, &jw[i]) == -1)
			jw[i] = UINT32_MAX;
	}
	for (i = 0; i < r->njob; i++) {
		k = jw[r->job[i].worker];
		if (k == UINT32_MAX - 1) {
			c->v->orphan_jobs++;
			if (r->job[i].runwait == -1 && r->job[i].hostname)
				mv_retwait(c, hm, next, &r->job[i]);
		} else if (k != UINT32_MAX)
			mv_job_count(&c->v->w[k], &r->job[i]);
	}
	rv = 0;
 out:
	mview_map_free(hm);
	free(next);
	free(jw);
	return (rv);
}

/* Attribute the queued requests through the owners of their sectors. */
static void
mv_sched(struct mv_ctx *c, struct mview_map *om, const struct mv_own *own)
{
	struct mv_req	*q;
	uint64_t	 key[2];
	uint32_t	 k;
	size_t		 i;

	for (i = 0; i < c->r->nreq; i++) {
		q = &c->r->req[i];
		key[0] = q->miner;
		key[1] = q->number;
		if (mview_map_get(om, key, 16, &k) == -1) {
			c->v->unattributed[q->task]++;
			continue;
		}
		for (; k != 0; k = own[k - 1].next)
			c->v->w[own[k - 1].worker].queued[q->task]++;
	}
}

/*
 * Write "2 PC1 running, 1 PC1 queued" for the tasks in mask; with
 * retwait, ret-wait jobs too.  Returns how many entries were written.
 */
static int
mv_reason_jobs(struct mv_sb *sb, const struct mview_worker *w,
    uint32_t mask, int retwait)
{
	static const char	*states[5] = {
		"running", "prepared", "assigned", "queued", "ret-wait"
	};
	const uint32_t		*cnt[5] = {
		w->running, w->prepared, w->assigned, w->queued, w->retwait
	};
	int			 t, k, n = 0;

	for (t = 0; t < MV_NTASKS; t++) {
		if (!(mask & MV_TASKBIT(t)))
			continue;
		for (k = 0; k < (retwait ? 5 : 4); k++)
			if (cnt[k][t] != 0)
				mv_sb_add(sb, "%s%u %s %s", n++ ? ", " : "",
				    cnt[k][t], mview_task_short(t), states[k]);
	}
	return (n);
}

/* Decide whether the worker can switch and stop, and say why not. */
static int
mv_judge(struct mview_worker *w)
{
	struct mv_sb	sw = { NULL, 0, 0, 0 }, st = { NULL, 0, 0, 0 };
	int		n;

	w->can_switch = mv_reason_jobs(&sw, w, MV_SWITCH_TASKS, 0) == 0;
	n = mv_reason_jobs(&st, w, UINT32_MAX, 1);
	if (w->nsectors < 0)
		mv_sb_add(&st, "%ssealing path unknown", n ? ", " : "");
	else if (w->nsectors > 0)
		mv_sb_add(&st, "%s%lld sector%s in its sealing path",
		    n ? ", " : "", (long long)w->nsectors,
		    w->nsectors == 1 ? "" : "s");
	w->can_stop = st.len == 0;
	w->switch_why = sw.p;
	w->stop_why = st.p;
	return (sw.oom || st.oom ? -1 : 0);
}

/* Order workers by hostname, then id. */
static int
mv_cmp_worker(const void *a, const void *b)
{
	const struct mview_worker	*x = a, *y = b;
	int				 d;

	if ((d = strcmp(x->hostname, y->hostname)) != 0)
		return (d);
	return (strcmp(x->id, y->id));
}

/* Free what one worker of a view holds. */
static void
mv_worker_free(struct mview_worker *w)
{
	size_t	i;

	free(w->hostname);
	for (i = 0; i < w->npaths; i++)
		free(w->paths[i]);
	free(w->paths);
	free(w->sectors);
	free(w->switch_why);
	free(w->stop_why);
}

/* Free a view. */
void
mview_free(struct mview *v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < v->nw; i++)
		mv_worker_free(&v->w[i]);
	free(v->w);
	free(v);
}

/* Check the round has the three calls the view cannot do without. */
static int
mv_round_ok(struct mv_ctx *c)
{
	static const enum mview_call	 need[3] = {
		MV_WORKERSTATS, MV_WORKERJOBS, MV_STORAGELIST
	};
	int				 i;

	for (i = 0; i < 3; i++) {
		if (c->r->have[need[i]])
			continue;
		if ((c->cause = malloc(128)) != NULL)
			snprintf(c->cause, 128, "no complete %s response in "
			    "this round", mview_call_method(need[i]));
		return (-1);
	}
	return (0);
}

/* Whether path ID is one the miner process opened itself. */
static int
mv_path_local(const struct mview_round *r, const char *id)
{
	size_t	i;

	for (i = 0; i < r->nlocal; i++)
		if (strcmp(r->local[i], id) == 0)
			return (1);
	return (0);
}

/*
 * The miner's own local worker seals on its paths: never move it.
 * XXX Found only through its paths; on stock lotus with no path known
 * and PC1/PC2 enabled on the miner it looks like any worker.
 */
static void
mv_local_workers(struct mv_ctx *c)
{
	struct mview_worker	*w;
	size_t			 i, k;

	for (i = 0; i < c->v->nw; i++) {
		w = &c->v->w[i];
		if (!w->eligible)
			continue;	/* keep the first reason */
		for (k = 0; k < w->npaths; k++)
			if (mv_path_local(c->r, w->paths[k])) {
				w->eligible = 0;
				w->eligible_why =
				    "the miner's own local worker";
				break;
			}
	}
}

/* Join the round into counts, paths, sectors and verdicts. */
static int
mv_join(struct mv_ctx *c)
{
	struct mview_map	*om;
	struct mv_own		*own = NULL;
	size_t			 i, nown = 0;
	int			 rv = -1;

	if (mv_workers(c) == -1 || mv_paths(c) == -1)
		return (-1);
	if (c->mem != NULL && mview_memory_map(c) == -1)
		return (-1);
	mv_local_workers(c);
	if ((om = mview_map_new()) == NULL)
		return (-1);
	if (mv_sectors(c, om, &own, &nown) == -1 || mv_jobs(c) == -1)
		goto out;
	mv_sched(c, om, own);
	for (i = 0; i < c->v->nw; i++)
		if (mv_judge(&c->v->w[i]) == -1)
			goto out;
	rv = 0;
 out:
	mview_map_free(om);
	free(own);
	return (rv);
}

/*
 * Build the view of one miner from a complete round.  mem (may be NULL)
 * keeps path records and bindings across rounds for workers without
 * the fork's Paths; lookup (may be NULL) gives a host's address for
 * spec 9.1 (a).  On failure returns NULL with an allocated *cause.
 */
struct mview *
mview_build(struct mview_round *r, struct mview_memory *mem,
    mview_lookup lookup, void *arg, char **cause)
{
	struct mv_ctx	c;

	memset(&c, 0, sizeof(c));
	c.r = r;
	c.mem = mem;
	c.lookup = lookup;
	c.arg = arg;
	*cause = NULL;
	if (mv_round_ok(&c) == -1 || (c.v = calloc(1, sizeof(*c.v))) == NULL ||
	    mv_join(&c) == -1) {
		*cause = c.cause != NULL ? c.cause : strdup("out of memory");
		mview_free(c.v);
		c.v = NULL;
	} else {
		c.v->have_sched = r->have[MV_SCHEDDIAG];
		qsort(c.v->w, c.v->nw, sizeof(*c.v->w), mv_cmp_worker);
	}
	mview_map_free(c.wmap);
	mview_map_free(c.pmap);
	return (c.v);
}

/* The worker with this id (UUID text), or NULL. */
struct mview_worker *
mview_find(const struct mview *v, const char *id)
{
	size_t	i;

	for (i = 0; i < v->nw; i++)
		if (strcasecmp(v->w[i].id, id) == 0)
			return (&v->w[i]);
	return (NULL);
}

/* How many workers can be moved (minerWorkerAll). */
size_t
mview_count_eligible(const struct mview *v)
{
	size_t	i, n = 0;

	for (i = 0; i < v->nw; i++)
		n += v->w[i].eligible;
	return (n);
}

/* Sum of the four counts of task t. */
static uint64_t
mv_load(const struct mview_worker *w, int t)
{
	return ((uint64_t)w->running[t] + w->prepared[t] + w->assigned[t] +
	    w->queued[t]);
}

/* Order of candidates: least busy first (see mview_sort_candidates). */
static int
mv_cmp_candidate(const void *a, const void *b)
{
	const struct mview_worker	*x = *(struct mview_worker *const *)a;
	const struct mview_worker	*y = *(struct mview_worker *const *)b;
	uint64_t			 lx, ly;
	int64_t				 sx, sy;

	lx = mv_load(x, MV_AP) + mv_load(x, MV_PC1);
	ly = mv_load(y, MV_AP) + mv_load(y, MV_PC1);
	if (lx != ly)
		return (lx < ly ? -1 : 1);
	if (mv_load(x, MV_PC2) != mv_load(y, MV_PC2))
		return (mv_load(x, MV_PC2) < mv_load(y, MV_PC2) ? -1 : 1);
	if (x->have_last_pc1 != y->have_last_pc1)
		return (x->have_last_pc1 ? 1 : -1);
	if (x->have_last_pc1 && (x->last_pc1.sec != y->last_pc1.sec ||
	    x->last_pc1.nsec != y->last_pc1.nsec))
		return (x->last_pc1.sec < y->last_pc1.sec ||
		    (x->last_pc1.sec == y->last_pc1.sec &&
		    x->last_pc1.nsec < y->last_pc1.nsec) ? -1 : 1);
	sx = x->nsectors < 0 ? INT64_MAX : x->nsectors;
	sy = y->nsectors < 0 ? INT64_MAX : y->nsectors;
	if (sx != sy)
		return (sx < sy ? -1 : 1);
	return (mv_cmp_worker(x, y));
}

/*
 * Sort candidates for `switch new --count N`: fewest AP+PC1 (running,
 * prepared, assigned, queued), then fewest PC2, then the oldest last
 * PC1 start (none counts as oldest), then fewest sealing sectors
 * (unknown after any number), then hostname, then id.
 */
void
mview_sort_candidates(struct mview_worker **w, size_t n)
{
	if (n > 1)
		qsort(w, n, sizeof(*w), mv_cmp_candidate);
}

/* The eligible workers in pick order, in a new array; count or -1. */
ssize_t
mview_candidates(const struct mview *v, struct mview_worker ***out)
{
	size_t	i, n = 0;

	if ((*out = calloc(v->nw + 1, sizeof(**out))) == NULL)
		return (-1);
	for (i = 0; i < v->nw; i++)
		if (v->w[i].eligible)
			(*out)[n++] = &v->w[i];
	mview_sort_candidates(*out, n);
	return (n);
}
