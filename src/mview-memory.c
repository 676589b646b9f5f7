/*
 * mview-memory.c: what the view of one miner keeps across rounds, and
 * the mapping of workers to sealing paths on stock lotus (spec 9).
 *
 * Stock lotus has no WorkerStats.Paths.  The sealing paths are the
 * StorageList paths whose cached StorageInfo says CanSeal and that
 * StorageLocal does not name as the miner's own.  They are grouped by
 * the host:port of their single URL (one group per worker process); a
 * path with several URLs is a group of its own.  A group is bound to a
 * worker UUID (9.2 (b)) when all the worker's running PC1/PC2/C1/FIN
 * sectors lie in it and no other worker's do, or else (9.1 (a)) when
 * the lookup callback (or a hint learned earlier) gives the worker's
 * host:port.  A binding is kept while its UUID lives; conflicting
 * evidence drops it.  A worker left unbound has an unknown path.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mview.h"

/* A cached StorageInfo record. */
struct mv_info {
	char		*id;
	int		 can_seal;
	char		*addr;		/* host:port of its one URL, or NULL */
};

/* A worker bound to a group in an earlier round. */
struct mv_bind {
	uint8_t		 uuid[16];
	char		*group;
};

/* Where a hostname's worker was found before, and which UUID it was. */
struct mv_hint {
	char		*hostname;
	char		*addr;
	uint8_t		 uuid[16];
};

struct mview_memory {
	struct mv_info		*info;
	size_t			 ninfo, capinfo;
	struct mview_map	*infomap;	/* path id -> info */
	struct mview_map	*local;		/* the miner's own path ids */
	struct mv_bind		*bind;
	size_t			 nbind, capbind;
	struct mv_hint		*hint;
	size_t			 nhint, caphint;
};

/* A group of sealing paths of this round. */
struct mv_group {
	char		*key;		/* "A:host:port" or "P:path id" */
	const char	*addr;		/* host:port, or NULL */
	uint32_t	*paths;		/* indexes into r->path */
	size_t		 npaths, cap;
	int		 claims;	/* workers pointing here by (b) */
	int64_t		 owner;		/* bound worker, or -1 */
};

/* The mapping of one round. */
struct mv_map9 {
	struct mv_group		*g;
	size_t			 ng, capg;
	struct mview_map	*gmap;		/* key -> group */
	int64_t			*pgroup;	/* r->path index -> group */
	struct mview_map	*smap;		/* sector -> chain + 1 */
	struct mv_sdecl {
		uint32_t	 group;
		uint32_t	 ft;
		uint32_t	 next;
	}			*sd;
	size_t			 nsd, capsd;
	int64_t			*ev;		/* per worker: group, -1, -2 */
	enum mview_pathsrc	*src;
};

/* Make an empty memory. */
struct mview_memory *
mview_memory_new(void)
{
	struct mview_memory	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return (NULL);
	if ((m->infomap = mview_map_new()) == NULL) {
		free(m);
		return (NULL);
	}
	return (m);
}

/* Free the bindings of a memory. */
static void
mv_binds_free(struct mv_bind *b, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(b[i].group);
	free(b);
}

/* Free a memory. */
void
mview_memory_free(struct mview_memory *m)
{
	size_t	i;

	if (m == NULL)
		return;
	for (i = 0; i < m->ninfo; i++) {
		free(m->info[i].id);
		free(m->info[i].addr);
	}
	for (i = 0; i < m->nhint; i++) {
		free(m->hint[i].hostname);
		free(m->hint[i].addr);
	}
	free(m->info);
	free(m->hint);
	mv_binds_free(m->bind, m->nbind);
	mview_map_free(m->infomap);
	mview_map_free(m->local);
	free(m);
}

/* Keep a StorageInfo record (a newer one replaces the older); 0 or -1. */
int
mview_memory_add_info(struct mview_memory *m, const struct mview_pathinfo *pi)
{
	struct mv_info	*in;
	uint32_t	 k;
	char		*id, *addr = NULL;

	if (pi->nurls == 1 && pi->hostport[0][0] != '\0' &&
	    (addr = strdup(pi->hostport[0])) == NULL)
		return (-1);
	if (mview_map_get(m->infomap, pi->id, strlen(pi->id), &k) == 0) {
		in = &m->info[k];
		free(in->addr);
		in->addr = addr;
		in->can_seal = pi->can_seal;
		return (0);
	}
	if ((id = strdup(pi->id)) == NULL || mview_map_grow(&m->info,
	    &m->capinfo, m->ninfo, sizeof(*m->info)) == -1 ||
	    mview_map_put(m->infomap, id, strlen(id), m->ninfo) == -1) {
		free(id);
		free(addr);
		return (-1);
	}
	in = &m->info[m->ninfo++];
	in->id = id;
	in->addr = addr;
	in->can_seal = pi->can_seal;
	return (0);
}

/* Take the round's StorageLocal, if it has one, as the miner's paths. */
static int
mv_local(struct mview_memory *m, const struct mview_round *r)
{
	struct mview_map	*nm;
	size_t			 i;

	if (!r->have[MV_STORAGELOCAL])
		return (0);
	if ((nm = mview_map_new()) == NULL)
		return (-1);
	for (i = 0; i < r->nlocal; i++)
		if (mview_map_put(nm, r->local[i], strlen(r->local[i]), 1) ==
		    -1) {
			mview_map_free(nm);
			return (-1);
		}
	mview_map_free(m->local);
	m->local = nm;
	return (0);
}

/* Whether path id is one of the miner's own. */
static int
mv_is_local(const struct mview_memory *m, const char *id)
{
	uint32_t	v;

	return (m->local != NULL &&
	    mview_map_get(m->local, id, strlen(id), &v) == 0);
}

/* Whether some worker of the round lacks the fork's Paths. */
static int
mv_need_map(const struct mview_round *r)
{
	size_t	i;

	for (i = 0; i < r->nstat; i++)
		if (r->stat[i].paths == -1)
			return (1);
	return (!r->have[MV_WORKERSTATS]);
}

/*
 * The StorageList path ids of the round that need a StorageInfo call
 * (not cached, not the miner's own), as a new array of pointers into
 * the round; none when every worker has the fork's Paths.  0 or -1.
 */
int
mview_memory_missing(struct mview_memory *m, const struct mview_round *r,
    const char ***ids, size_t *n)
{
	uint32_t	v;
	size_t		i;

	*n = 0;
	if ((*ids = calloc(r->npath + 1, sizeof(**ids))) == NULL ||
	    mv_local(m, r) == -1)
		return (-1);
	if (!mv_need_map(r))
		return (0);
	for (i = 0; i < r->npath; i++) {
		if (mv_is_local(m, r->path[i].id) ||
		    mview_map_get(m->infomap, r->path[i].id,
		    strlen(r->path[i].id), &v) == 0)
			continue;
		(*ids)[(*n)++] = r->path[i].id;
	}
	return (0);
}

/* Add path pi to the group named by its address or id. */
static int
mv_group_add(struct mv_map9 *mp, const struct mv_info *in, const char *id,
    uint32_t pi)
{
	struct mv_group	*g;
	char		*key;
	size_t		 len;
	uint32_t	 k;

	len = strlen(in->addr != NULL ? in->addr : id) + 3;
	if ((key = malloc(len)) == NULL)
		return (-1);
	snprintf(key, len, "%s%s", in->addr != NULL ? "A:" : "P:",
	    in->addr != NULL ? in->addr : id);
	if (mview_map_get(mp->gmap, key, len - 1, &k) == 0)
		free(key);
	else {
		if (mview_map_grow(&mp->g, &mp->capg, mp->ng,
		    sizeof(*mp->g)) == -1 ||
		    mview_map_put(mp->gmap, key, len - 1, mp->ng) == -1) {
			free(key);
			return (-1);
		}
		k = mp->ng++;
		memset(&mp->g[k], 0, sizeof(mp->g[k]));
		mp->g[k].key = key;
		mp->g[k].addr = in->addr != NULL ? key + 2 : NULL;
		mp->g[k].owner = -1;
	}
	g = &mp->g[k];
	if (mview_map_grow(&g->paths, &g->cap, g->npaths,
	    sizeof(*g->paths)) == -1)
		return (-1);
	g->paths[g->npaths++] = pi;
	mp->pgroup[pi] = k;
	return (0);
}

/* Group the sealing paths of the round (CanSeal, not the miner's). */
static int
mv_groups(struct mv_ctx *c, struct mv_map9 *mp)
{
	struct mview_round	*r = c->r;
	struct mv_info		*in;
	uint32_t		 k;
	size_t			 i;

	for (i = 0; i < r->npath; i++) {
		mp->pgroup[i] = -1;
		if (mv_is_local(c->mem, r->path[i].id) ||
		    mview_map_get(c->mem->infomap, r->path[i].id,
		    strlen(r->path[i].id), &k) == -1)
			continue;
		in = &c->mem->info[k];
		if (in->can_seal &&
		    mv_group_add(mp, in, r->path[i].id, i) == -1)
			return (-1);
	}
	return (0);
}

/* Index the declarations on sealing paths by sector. */
static int
mv_sector_index(struct mv_ctx *c, struct mv_map9 *mp)
{
	struct mview_round	*r = c->r;
	struct mv_decl		*d;
	uint64_t		 key[2];
	uint32_t		 first;
	size_t			 i, k;

	for (i = 0; i < r->npath; i++) {
		if (mp->pgroup[i] < 0)
			continue;
		for (k = 0; k < r->path[i].n; k++) {
			d = &r->decl[r->path[i].first + k];
			key[0] = r->miner[d->miner];
			key[1] = d->number;
			if (mview_map_get(mp->smap, key, 16, &first) == -1)
				first = 0;
			if (mview_map_grow(&mp->sd, &mp->capsd, mp->nsd,
			    sizeof(*mp->sd)) == -1)
				return (-1);
			mp->sd[mp->nsd].group = mp->pgroup[i];
			mp->sd[mp->nsd].ft = d->ft;
			mp->sd[mp->nsd++].next = first;
			if (mview_map_put(mp->smap, key, 16, mp->nsd) == -1)
				return (-1);
		}
	}
	return (0);
}

/* File type a running job of this task leaves on its worker's path. */
static uint32_t
mv_evidence_ft(int task)
{
	switch (task) {
	case MV_PC1:
		return (1);	/* unsealed */
	case MV_PC2:
	case MV_C1:
	case MV_FIN:
		return (4);	/* cache */
	default:
		return (0);
	}
}

/* Note that worker wi's running job points at the job's group(s). */
static void
mv_evidence_job(struct mv_map9 *mp, int64_t wi, const struct mv_job *j)
{
	uint64_t	key[2] = { j->miner, j->number };
	uint32_t	k, need = mv_evidence_ft(j->task);

	if (need == 0 || j->runwait != 0 ||
	    mview_map_get(mp->smap, key, 16, &k) == -1)
		return;
	for (; k != 0; k = mp->sd[k - 1].next) {
		if (!(mp->sd[k - 1].ft & need))
			continue;
		if (mp->ev[wi] == -1)
			mp->ev[wi] = mp->sd[k - 1].group;
		else if (mp->ev[wi] != mp->sd[k - 1].group)
			mp->ev[wi] = -2;
	}
}

/* Option (b): what the running jobs of each unmapped worker say. */
static void
mv_evidence(struct mv_ctx *c, struct mv_map9 *mp)
{
	struct mview_round	*r = c->r;
	uint32_t		 wi;
	size_t			 i, prev = SIZE_MAX;
	int			 known = 0;

	for (i = 0; i < c->v->nw; i++)
		mp->ev[i] = -1;
	for (i = 0; i < r->njob; i++) {
		if (r->job[i].worker != prev) {
			prev = r->job[i].worker;
			known = mview_map_get(c->wmap, r->jobkey[prev], 16,
			    &wi) == 0 && r->stat[wi].paths == -1;
		}
		if (known)
			mv_evidence_job(mp, wi, &r->job[i]);
	}
	for (i = 0; i < c->v->nw; i++)
		if (mp->ev[i] >= 0)
			mp->g[mp->ev[i]].claims++;
}

/* The group a remembered binding of this worker names, or -1. */
static int64_t
mv_kept(struct mv_ctx *c, struct mv_map9 *mp, const uint8_t uuid[16])
{
	uint32_t	k;
	size_t		i;

	for (i = 0; i < c->mem->nbind; i++)
		if (memcmp(c->mem->bind[i].uuid, uuid, 16) == 0)
			break;
	if (i == c->mem->nbind || mview_map_get(mp->gmap,
	    c->mem->bind[i].group, strlen(c->mem->bind[i].group), &k) == -1)
		return (-1);
	return (k);
}

/* The hint for a new UUID of a hostname, or NULL. */
static const char *
mv_hint(const struct mview_memory *m, const char *hostname,
    const uint8_t uuid[16])
{
	size_t	i;

	for (i = 0; i < m->nhint; i++)
		if (strcmp(m->hint[i].hostname, hostname) == 0)
			return (memcmp(m->hint[i].uuid, uuid, 16) != 0 ?
			    m->hint[i].addr : NULL);
	return (NULL);
}

/* Forget the hint of a hostname: its evidence conflicted. */
static void
mv_hint_drop(struct mview_memory *m, const char *hostname)
{
	size_t	i;

	for (i = 0; i < m->nhint; i++)
		if (strcmp(m->hint[i].hostname, hostname) == 0) {
			free(m->hint[i].hostname);
			free(m->hint[i].addr);
			m->hint[i] = m->hint[--m->nhint];
			return;
		}
}

/* Bind by evidence (b) and by what earlier rounds found. */
static void
mv_bind_known(struct mv_ctx *c, struct mv_map9 *mp)
{
	int64_t	g, kept;
	size_t	i;

	for (i = 0; i < c->v->nw; i++) {
		if (c->r->stat[i].paths != -1)
			continue;
		g = mp->ev[i];
		if (g >= 0 && mp->g[g].claims > 1)
			g = -1;			/* shared: no evidence */
		kept = mv_kept(c, mp, c->v->w[i].uuid);
		if (mp->ev[i] == -2 || (g >= 0 && kept >= 0 && g != kept)) {
			mv_hint_drop(c->mem, c->v->w[i].hostname);
			continue;		/* conflict: drop */
		}
		if (g < 0 && kept >= 0 && mp->g[kept].claims > 0)
			continue;		/* another's evidence */
		if (g < 0 && kept < 0)
			continue;
		mp->src[i] = g >= 0 ? MV_PATH_JOBS : MV_PATH_KEPT;
		mp->g[g >= 0 ? g : kept].owner = i;
	}
}

/* The group of an address: "host:port" exactly, or a bare host once. */
static int64_t
mv_addr_group(struct mv_map9 *mp, const char *addr)
{
	size_t	i, hl = strlen(addr);
	int64_t	found = -1;

	for (i = 0; i < mp->ng; i++) {
		if (mp->g[i].addr == NULL)
			continue;
		if (strcmp(mp->g[i].addr, addr) == 0)
			return (i);
		if (strchr(addr, ':') == NULL &&
		    strncmp(mp->g[i].addr, addr, hl) == 0 &&
		    mp->g[i].addr[hl] == ':') {
			if (found != -1)
				return (-1);
			found = i;
		}
	}
	return (found);
}

/*
 * Option (a): bind unbound workers through their host's address.  The
 * claims of an unowned group count down once per candidate, so only a
 * group no evidence pointed at (0) and exactly one candidate chose
 * (-1) is bound.
 */
static void
mv_bind_addr(struct mv_ctx *c, struct mv_map9 *mp)
{
	const char	*addr;
	int64_t		*cand;
	size_t		 i;

	if ((cand = calloc(c->v->nw + 1, sizeof(*cand))) == NULL)
		return;
	for (i = 0; i < c->v->nw; i++) {
		cand[i] = -1;
		if (c->r->stat[i].paths != -1 || mp->src[i] != MV_PATH_UNKNOWN)
			continue;
		addr = c->lookup != NULL ?
		    c->lookup(c->arg, c->v->w[i].hostname) : NULL;
		if (addr == NULL)
			addr = mv_hint(c->mem, c->v->w[i].hostname,
			    c->v->w[i].uuid);
		if (addr != NULL && (cand[i] = mv_addr_group(mp, addr)) >= 0 &&
		    mp->g[cand[i]].owner == -1)
			mp->g[cand[i]].claims--;
	}
	for (i = 0; i < c->v->nw; i++)
		if (cand[i] >= 0 && mp->g[cand[i]].owner == -1 &&
		    mp->g[cand[i]].claims == -1) {
			mp->src[i] = MV_PATH_ADDR;
			mp->g[cand[i]].owner = i;
		}
	free(cand);
}

/* Give worker i the paths of its group. */
static int
mv_apply(struct mv_ctx *c, struct mv_map9 *mp, size_t i, struct mv_group *g)
{
	struct mview_worker	*w = &c->v->w[i];
	size_t			 k;

	if ((w->paths = calloc(g->npaths + 1, sizeof(char *))) == NULL)
		return (-1);
	for (k = 0; k < g->npaths; k++) {
		if ((w->paths[k] = strdup(c->r->path[g->paths[k]].id)) ==
		    NULL)
			return (-1);
		w->npaths++;
	}
	w->pathsrc = mp->src[i];
	return (0);
}

/* Remember hostname -> address of uuid, replacing an older hint. */
static int
mv_hint_set(struct mview_memory *m, const char *hostname, const char *addr,
    const uint8_t uuid[16])
{
	struct mv_hint	*h;
	size_t		 i;
	char		*a;

	if ((a = strdup(addr)) == NULL)
		return (-1);
	for (i = 0; i < m->nhint; i++)
		if (strcmp(m->hint[i].hostname, hostname) == 0)
			break;
	if (i == m->nhint) {
		if (mview_map_grow(&m->hint, &m->caphint, m->nhint,
		    sizeof(*m->hint)) == -1 ||
		    (m->hint[i].hostname = strdup(hostname)) == NULL) {
			free(a);
			return (-1);
		}
		m->hint[m->nhint++].addr = NULL;
	}
	h = &m->hint[i];
	free(h->addr);
	h->addr = a;
	memcpy(h->uuid, uuid, 16);
	return (0);
}

/* Apply the bindings; they replace the remembered ones. */
static int
mv_commit(struct mv_ctx *c, struct mv_map9 *mp)
{
	struct mv_bind	*nb = NULL;
	struct mv_group	*g;
	size_t		 i, n = 0, cap = 0;

	for (i = 0; i < mp->ng; i++) {
		g = &mp->g[i];
		if (g->owner < 0)
			continue;
		if (mv_apply(c, mp, g->owner, g) == -1 ||
		    mview_map_grow(&nb, &cap, n, sizeof(*nb)) == -1 ||
		    (nb[n].group = strdup(g->key)) == NULL)
			goto fail;
		memcpy(nb[n++].uuid, c->v->w[g->owner].uuid, 16);
		if (g->addr != NULL && mp->src[g->owner] != MV_PATH_ADDR &&
		    mv_hint_set(c->mem, c->v->w[g->owner].hostname,
		    g->addr, c->v->w[g->owner].uuid) == -1)
			goto fail;
	}
	mv_binds_free(c->mem->bind, c->mem->nbind);
	c->mem->bind = nb;
	c->mem->nbind = n;
	c->mem->capbind = cap;
	return (0);
 fail:
	mv_binds_free(nb, n);
	return (-1);
}

/* Free the mapping of one round. */
static void
mv_map9_free(struct mv_map9 *mp)
{
	size_t	i;

	for (i = 0; i < mp->ng; i++) {
		free(mp->g[i].key);
		free(mp->g[i].paths);
	}
	free(mp->g);
	mview_map_free(mp->gmap);
	mview_map_free(mp->smap);
	free(mp->pgroup);
	free(mp->sd);
	free(mp->ev);
	free(mp->src);
}

/*
 * Map the workers without the fork's Paths to sealing paths (spec 9.4)
 * and remember the bindings; called by mview_build.  0 or -1.
 */
int
mview_memory_map(struct mv_ctx *c)
{
	struct mv_map9	mp;
	int		rv = -1;

	if (mv_local(c->mem, c->r) == -1)
		return (-1);
	memset(&mp, 0, sizeof(mp));
	mp.gmap = mview_map_new();
	mp.smap = mview_map_new();
	mp.pgroup = calloc(c->r->npath + 1, sizeof(*mp.pgroup));
	mp.ev = calloc(c->v->nw + 1, sizeof(*mp.ev));
	mp.src = calloc(c->v->nw + 1, sizeof(*mp.src));
	if (mp.gmap == NULL || mp.smap == NULL || mp.pgroup == NULL ||
	    mp.ev == NULL || mp.src == NULL)
		goto out;
	if (mv_groups(c, &mp) == -1 || mv_sector_index(c, &mp) == -1)
		goto out;
	mv_evidence(c, &mp);
	mv_bind_known(c, &mp);
	mv_bind_addr(c, &mp);
	rv = mv_commit(c, &mp);
 out:
	mv_map9_free(&mp);
	return (rv);
}
