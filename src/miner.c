/*
 * miner.c: the miners the daemon watches.  Each miner is checked by a
 * handshake (Version, ActorAddress, ActorSectorSize, AuthVerify), then
 * polled in rounds of WorkerStats, WorkerJobs, StorageList,
 * SealingSchedDiag and StorageLocal (plus StorageInfo for paths not seen
 * before), from which mview.c builds the worker view.  A miner that
 * cannot be reached is retried with capped backoff; nothing waits.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "pilot.h"
#include "miner.h"
#include "rpc.h"
#include "script.h"
#include "switch.h"

#define MINER_BACKOFF_MIN	1000	/* first retry, ms */
#define MINER_BACKOFF_MAX	60000	/* retry cap, ms */
#define MINER_INFOS_MAX		64	/* StorageInfo calls per round */

enum {
	M_VERSION, M_ACTOR, M_SECTORSIZE, M_AUTH, M_ROUND0,
	M_STORAGEINFO = M_ROUND0 + MV_NCALLS
};

/* One RPC of a miner in flight. */
struct miner_call {
	struct miner		*m;
	int			 method;	/* M_* */
	struct json_stream	*js;
	struct rpc_call		*rpc;
	struct mview_pathinfo	 info;		/* StorageInfo result */
	struct mview_version	 version;
	struct mview_actor	 actor;
	uint64_t		 size;
	unsigned int		 perms;
	struct miner_call	*next;
};

/* A wait for the next round of any miner. */
struct miner_waiter {
	miner_round_cb		 cb;
	void			*arg;
};

static uv_loop_t	*miner_loop;
static struct miner	*miner_list;
static struct miner	*miner_pending;	/* "miner add" in its handshake */
static miner_round_cb	 miner_round_hook;
static void		*miner_round_arg;

static void	 miner_handshake(struct miner *);
static void	 miner_round(struct miner *);
static void	 miner_schedule(struct miner *, uint64_t);

/* Name of method index I, for logs and metrics. */
const char *
miner_method_name(int i)
{
	static const char *const names[] = {
		"Version", "ActorAddress", "ActorSectorSize", "AuthVerify",
		"WorkerStats", "WorkerJobs", "StorageList",
		"SealingSchedDiag", "StorageLocal", "StorageInfo"
	};

	return (i >= 0 && i < MINER_NMETHODS ? names[i] : "?");
}

/* Name of a miner state. */
const char *
miner_state_name(enum miner_state s)
{
	switch (s) {
	case MINER_CONNECTING:	return ("connecting");
	case MINER_UP:		return ("up");
	default:		return ("down");
	}
}

/* Remember the hook told about every finished round. */
void
miner_on_round(miner_round_cb cb, void *arg)
{
	miner_round_hook = cb;
	miner_round_arg = arg;
}

/* Set up the miner module on LOOP. */
void
miner_init(uv_loop_t *loop)
{
	miner_loop = loop;
}

/* First miner of the list. */
struct miner *
miner_first(void)
{
	return (miner_list);
}

/* Find a miner by id; f and t prefixes name the same actor. */
struct miner *
miner_find(const char *id)
{
	struct miner	*m;
	uint64_t	 actor;

	if (miner_id_parse(id, &actor) == -1)
		return (NULL);
	for (m = miner_list; m != NULL; m = m->next)
		if (m->actor == actor)
			return (m);
	return (NULL);
}

/* Record an error of M, logging it when it changes. */
static void
miner_error(struct miner *m, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("miner_error");
	va_end(ap);
	if (m->last_error == NULL || strcmp(m->last_error, s) != 0)
		log_warnx("miner %s: %s", m->id, s);
	free(m->last_error);
	m->last_error = s;
	m->error_at = (uint64_t)time(NULL);
}

/* Free a call record (its rpc is gone). */
static void
miner_call_free(struct miner_call *c)
{
	struct miner_call	**pp;

	for (pp = &c->m->calls; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	json_stream_free(c->js);
	mview_pathinfo_clear(&c->info);
	free(c);
}

/* Cancel every call of M. */
static void
miner_cancel(struct miner *m)
{
	while (m->calls != NULL) {
		if (m->calls->rpc != NULL)
			rpc_cancel(m->calls->rpc);
		miner_call_free(m->calls);
	}
	if (m->round != NULL) {
		mview_round_free(m->round);
		m->round = NULL;
	}
}

/* Feed response bytes of a call to its JSON stream. */
static int
miner_sink(struct rpc_call *rpc, const char *p, size_t n)
{
	struct miner_call	*c = rpc->sinkarg;

	return (json_stream_feed(c->js, p, n));
}

/* The stream's error of call C without the "Method: " it starts with. */
static const char *
miner_json_why(struct miner_call *c)
{
	const char	*why = json_stream_error(c->js);
	const char	*name = miner_method_name(c->method);
	size_t		 n = strlen(name);

	if (strncmp(why, name, n) == 0 && strncmp(why + n, ": ", 2) == 0)
		why += n + 2;
	return (why);
}

/*
 * Tell why call C failed, or NULL if its response is good; the caller
 * names the method.  DOWN is set when the miner could not be reached at
 * all, or refused the call with an error object (checked again as when
 * it is down).
 */
static const char *
miner_call_error(struct miner_call *c, struct rpc_call *rpc, char *buf,
    size_t len, int *down)
{
	const char	*why;

	*down = 0;
	if (json_stream_error(c->js) != NULL && rpc->received > 0 &&
	    rpc->http_status != 401 && rpc->http_status != 404) {
		*down = json_stream_rpc_error(c->js, NULL);
		why = miner_json_why(c);
		if (rpc->http_status == 200)
			return (why);
		snprintf(buf, len, "HTTP %ld: %s", rpc->http_status, why);
		return (buf);
	}
	/*
	 * XXX A body shorter than its Content-Length can leave the kept
	 * connection unusable; curl then fails the next call on it, which
	 * gets the blame.
	 */
	if ((why = rpc_transport_error(rpc, buf, len)) != NULL) {
		*down = 1;
		if (rpc->http_status == 404)
			snprintf(buf, len, "HTTP 404: no lotus-miner API at "
			    "%s/rpc/v0", c->m->address);
		return (buf);
	}
	if (json_stream_end(c->js) == -1)
		return (miner_json_why(c));
	return (NULL);
}

/* A new call record of METHOD for M, not started yet. */
static struct miner_call *
miner_call_new(struct miner *m, int method)
{
	struct miner_call	*c;

	c = xcalloc(1, sizeof(*c));
	c->m = m;
	c->method = method;
	c->next = m->calls;
	m->calls = c;
	return (c);
}

/* Start call C with PARAMS; JS parses, DONE runs at the end. */
static void
miner_call_start(struct miner_call *c, const char *params,
    struct json_stream *js, rpc_done_cb done)
{
	struct rpc_opts		 o;

	c->js = js;
	memset(&o, 0, sizeof(o));
	o.timeout_ms = pd->conf->rpc_timeout;
	o.sink = miner_sink;
	o.done = done;
	o.arg = c;
	c->rpc = rpc_start(c->m->address, c->m->token,
	    miner_method_name(c->method), params, &o);
	c->rpc->sinkarg = c;
	json_stream_expect_id(js, c->rpc->id);
	c->m->stat[c->method].calls++;
}

/* Count a finished call in the method's statistics. */
static void
miner_count(struct miner_call *c, struct rpc_call *rpc, int failed)
{
	struct miner_stat	*st = &c->m->stat[c->method];

	st->ms += rpc->elapsed;
	if (failed)
		st->errors++;
	c->rpc = NULL;
}

/* Take M, whose "miner add" handshake ended, off the pending list. */
static void
miner_unpend(struct miner *m)
{
	struct miner	**pp;

	for (pp = &miner_pending; *pp != NULL; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	m->next = NULL;
}

/* The handshake failed: mark M down and retry later. */
static void
miner_down(struct miner *m, const char *fmt, ...)
{
	struct reply	*r;
	va_list		 ap;
	char		*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("miner_down");
	va_end(ap);
	if (m->adding != NULL) {
		/* "miner add" refused: tell the client, forget the miner. */
		r = m->adding;
		m->adding = NULL;
		miner_unpend(m);
		reply_error(r, m->refused ? RC_CONFLICT : RC_MINERDOWN,
		    "cannot add %s: %s", m->id, s);
		reply_finish(r);
		free(s);
		miner_free(m);
		return;
	}
	miner_error(m, "%s", s);
	free(s);
	miner_cancel(m);
	if (m->state != MINER_DOWN)
		log_warnx("miner %s is down, retrying in %llu ms", m->id,
		    (unsigned long long)m->backoff);
	m->state = MINER_DOWN;
	miner_schedule(m, m->backoff);
	m->backoff = m->backoff * 2 > MINER_BACKOFF_MAX ?
	    MINER_BACKOFF_MAX : m->backoff * 2;
	if (m->backoff > pd->conf->poll_interval)
		m->backoff = pd->conf->poll_interval;
}

/* Check the result of handshake step C; -1 when M is now down. */
static int
miner_hs_check(struct miner_call *c, struct rpc_call *rpc)
{
	struct miner	*m = c->m;
	char		 buf[512];
	const char	*why;
	int		 down;

	if ((why = miner_call_error(c, rpc, buf, sizeof(buf), &down)) ==
	    NULL) {
		miner_count(c, rpc, 0);
		return (0);
	}
	miner_count(c, rpc, 1);
	if (rpc->http_status == 401) {
		why = "HTTP 401: the miner rejected the token";
		m->refused = 1;
	} else if (json_stream_rpc_error(c->js, NULL))
		m->refused = 1;
	miner_down(m, "%s: %s", miner_method_name(c->method), why);
	return (-1);
}

/* Handshake done: M is up; poll it and make its script. */
static void miner_up(struct miner *);

/* A handshake step answered. */
static void
miner_hs_done(struct rpc_call *rpc, void *arg)
{
	struct miner_call	*c = arg;
	struct miner		*m = c->m;
	int			 method = c->method;

	if (miner_hs_check(c, rpc) == -1)
		return;		/* c was freed with the other calls */
	switch (method) {
	case M_VERSION:
		free(m->version);
		m->version = xstrdup(c->version.version);
		break;
	case M_ACTOR:
		if (c->actor.id != m->actor) {
			m->refused = 1;
			miner_down(m, "ActorAddress: the miner at %s is "
			    "%c0%llu, not %s", m->address, c->actor.network,
			    (unsigned long long)c->actor.id, m->id);
			return;
		}
		m->network = c->actor.network;
		if (m->network != pd->conf->network)
			log_warnx("miner %s answers as %c0%llu but network "
			    "is %c: a %s build", m->id, m->network,
			    (unsigned long long)c->actor.id,
			    pd->conf->network, m->network == 't' ?
			    "testnet" : "mainnet");
		break;
	case M_SECTORSIZE:
		if (c->size < 2048 || (c->size & (c->size - 1)) != 0) {
			m->refused = 1;
			miner_down(m, "ActorSectorSize: %llu bytes is not a "
			    "sector size", (unsigned long long)c->size);
			return;
		}
		m->sector_size = c->size;
		break;
	case M_AUTH:
		if (!(c->perms & MV_PERM_ADMIN)) {
			m->refused = 1;
			miner_down(m, "AuthVerify: the token lacks the admin "
			    "permission (it has %s)", (c->perms &
			    MV_PERM_WRITE) ? "read and write" :
			    (c->perms & MV_PERM_READ) ? "read only" :
			    "no permission");
			return;
		}
		break;
	}
	miner_call_free(c);
	if (method == M_AUTH)
		miner_up(m);
	else {
		m->step = method + 1;
		miner_handshake(m);
	}
}

/* Run the next handshake step of M. */
static void
miner_handshake(struct miner *m)
{
	struct miner_call	*c;
	struct json_stream	*js;
	char			*params = NULL;

	c = miner_call_new(m, m->step);
	switch (m->step) {
	case M_VERSION:
		js = mview_resp_version(&c->version);
		break;
	case M_ACTOR:
		js = mview_resp_actor(&c->actor);
		break;
	case M_SECTORSIZE:
		js = mview_resp_sector_size(&c->size);
		params = util_printf("[\"%s\"]", m->id);
		break;
	default:
		js = mview_resp_auth(&c->perms);
		/* The token is checked by the miner it belongs to. */
		params = util_printf("[\"%s\"]", m->token);
		break;
	}
	miner_call_start(c, params ? params : "[]", js, miner_hs_done);
	if (params != NULL) {
		explicit_bzero(params, strlen(params));
		free(params);
	}
}

/* The poll or retry timer of M fired. */
static void
miner_timer_cb(uv_timer_t *t)
{
	struct miner	*m = t->data;

	if (m->calls != NULL || m->building)
		return;		/* a round or handshake still runs */
	if (m->state == MINER_UP)
		miner_round(m);
	else {
		m->step = M_VERSION;
		miner_handshake(m);
	}
}

/* Run M's timer in MS milliseconds. */
static void
miner_schedule(struct miner *m, uint64_t ms)
{
	uv_timer_start(m->timer, miner_timer_cb, ms, 0);
}

/* Fetch M's worker view now, unless a round already runs. */
void
miner_refresh(struct miner *m)
{
	if (m->state == MINER_UP && m->calls == NULL && !m->building)
		miner_round(m);
}

/* The view of one round, built on a worker thread. */
struct miner_build {
	uv_work_t		 work;
	struct miner		*m;
	struct mview_round	*round;
	struct inventory_addrs	*addrs;	/* a copy: the loop may change it */
	struct mview		*stale;	/* the view before, to free */
	struct mview		*view;
	char			*cause;
};

/* Where a worker host is reached, for mapping its sealing path. */
static const char *
miner_lookup(void *arg, const char *hostname)
{
	return (inventory_addrs_find(arg, hostname));
}

/* Build the view, off the loop: it takes milliseconds on big miners. */
static void
miner_build_work(uv_work_t *w)
{
	struct miner_build	*b = w->data;

	b->view = mview_build(b->round, b->m->memory, miner_lookup,
	    b->addrs, &b->cause);
	/* Freeing big rounds and views takes time too: not on the loop. */
	mview_round_free(b->round);
	b->round = NULL;
	mview_free(b->stale);
	b->stale = NULL;
}

/* Back on the loop with a new view, or why there is none. */
static void
miner_build_after(uv_work_t *w, int status)
{
	struct miner_build	*b = w->data;
	struct miner		*m = b->m;
	struct mview		*v = b->view;

	inventory_addrs_free(b->addrs);
	m->building = 0;
	if (m->orphan) {
		/* Removed or stopping while it was built. */
		mview_free(v);
		free(b->cause);
		free(b);
		miner_free(m);
		return;
	}
	if (v == NULL)
		miner_error(m, "worker view: %s", b->cause ? b->cause :
		    uv_strerror(status));
	else {
		m->stale = m->view;	/* freed by the next build */
		m->view = v;
		m->view_started = m->round_started;
		m->view_wall = m->round_wall;
		m->view_done = uv_now(miner_loop);
		m->view_seq = m->round_seq;
		log_debug("miner %s: round %llu: %zu workers", m->id,
		    (unsigned long long)m->round_seq, v->nw);
	}
	free(b->cause);
	free(b);
	miner_schedule(m, pd->conf->poll_interval);
	if (v != NULL && miner_round_hook != NULL)
		miner_round_hook(m, miner_round_arg);
}

/* Finish a round: build the view off the loop; the old one stays
 * until the new one is ready, and stays for good if it fails. */
static void
miner_round_end(struct miner *m)
{
	struct miner_build	*b;

	b = xcalloc(1, sizeof(*b));
	b->m = m;
	b->round = m->round;
	b->stale = m->stale;
	m->stale = NULL;
	b->addrs = inventory_addrs_copy();
	m->round = NULL;
	m->building = 1;
	b->work.data = b;
	if (uv_queue_work(miner_loop, &b->work, miner_build_work,
	    miner_build_after) != 0)
		fatalx("miner: cannot queue the view build");
}

/* A failed round: transport trouble makes M down, bad data does not. */
static void
miner_round_failed(struct miner *m)
{
	char	*why = m->round_error;

	m->round_error = NULL;
	mview_round_free(m->round);
	m->round = NULL;
	if (m->round_down)
		miner_down(m, "%s", why);
	else {
		miner_error(m, "%s (round %llu ignored)", why,
		    (unsigned long long)m->round_seq);
		miner_schedule(m, pd->conf->poll_interval);
	}
	free(why);
}

static void	 miner_round_done(struct rpc_call *, void *);

/* Ask StorageInfo for the paths the memory does not know yet. */
static int
miner_round_infos(struct miner *m)
{
	struct miner_call	*c;
	const char		**ids;
	size_t			 n, i;

	ids = NULL;
	if (mview_memory_missing(m->memory, m->round, &ids, &n) == -1 ||
	    n == 0) {
		free(ids);
		return (0);
	}
	for (i = 0; i < n && i < MINER_INFOS_MAX; i++) {
		struct buf	 p = { 0 };

		c = miner_call_new(m, M_STORAGEINFO);
		buf_addstr(&p, "[");
		buf_json_str(&p, ids[i]);	/* ids come from the miner */
		buf_addstr(&p, "]");
		miner_call_start(c, p.data, mview_resp_storage_info(&c->info),
		    miner_round_done);
		buf_free(&p);
	}
	free(ids);
	m->infos = 1;
	return (1);
}

/* A call of a round answered. */
static void
miner_round_done(struct rpc_call *rpc, void *arg)
{
	struct miner_call	*c = arg;
	struct miner		*m = c->m;
	const char		*why;
	char			 buf[512];
	int			 down;

	why = miner_call_error(c, rpc, buf, sizeof(buf), &down);
	miner_count(c, rpc, why != NULL);
	if (why != NULL && !m->round_failed) {
		m->round_failed = 1;
		m->round_down = down;
		m->round_error = util_printf("%s: %s",
		    miner_method_name(c->method), why);
	} else if (why == NULL && c->method == M_STORAGEINFO)
		mview_memory_add_info(m->memory, &c->info);
	miner_call_free(c);
	if (m->calls != NULL)
		return;
	if (m->round_failed)
		miner_round_failed(m);
	else if (m->infos || !miner_round_infos(m))
		miner_round_end(m);
}

/* Start a round of the four view calls and StorageLocal. */
static void
miner_round(struct miner *m)
{
	struct miner_call	*c;
	int			 i;

	m->round = mview_round_new();
	m->round_failed = 0;
	m->infos = 0;
	m->round_started = uv_now(miner_loop);
	m->round_wall = util_wall_ms();
	m->round_seq++;
	for (i = 0; i < MV_NCALLS; i++) {
		c = miner_call_new(m, M_ROUND0 + i);
		miner_call_start(c, i == MV_SCHEDDIAG ? "[false]" : "[]",
		    mview_resp_round(m->round, i), miner_round_done);
	}
}

/* A script job run off the loop. */
struct miner_script {
	uv_work_t		 work;
	struct script_miner	 sm;
	char			*id;
	char			*address;
	char			*token;
	char			*tdir;
	char			*sdir;
	char			*path;
	char			*cause;
	char			*warning;	/* port collision */
	int			 rv;
	miner_script_cb		 cb;
	void			*arg;
};

/* Render and write one script, on a worker thread. */
static void
miner_script_work(uv_work_t *w)
{
	struct miner_script	*s = w->data;

	s->rv = script_make(s->tdir, s->sdir, &s->sm, &s->path, &s->cause);
}

/* Free a script job. */
static void
miner_script_free(struct miner_script *s)
{
	free(s->id);
	free(s->address);
	if (s->token != NULL)
		explicit_bzero(s->token, strlen(s->token));
	free(s->token);
	free(s->tdir);
	free(s->sdir);
	free(s->path);
	free(s->cause);
	free(s->warning);
	free(s);
}

/* Back on the loop after a script was written or failed. */
static void
miner_script_after(uv_work_t *w, int status)
{
	struct miner_script	*s = w->data;
	struct miner		*m;

	if (status != 0 && s->rv == 0) {
		s->rv = -1;
		s->cause = util_printf("%s", uv_strerror(status));
	}
	if ((m = miner_find(s->id)) != NULL) {
		m->script_busy = 0;
		m->script_ok = s->rv == 0;
		free(m->script_error);
		m->script_error = s->rv == 0 ? NULL : xstrdup(s->cause);
	}
	if (s->rv == 0)
		log_info("miner %s: wrote %s", s->id, s->path);
	else
		log_warnx("miner %s: cannot make its script: %s", s->id,
		    s->cause);
	if (s->cb != NULL)
		s->cb(s->id, s->rv, s->rv == 0 ? s->path : s->cause,
		    s->warning, s->arg);
	miner_script_free(s);
}

/* Check M's script port against the other miners'. */
static char *
miner_port_check(const struct miner *m)
{
	const struct miner	*o;
	const char		*ids[256];
	size_t			 n = 0;
	char			*cause = NULL;

	for (o = miner_list; o != NULL && n < 256; o = o->next)
		if (o != m)
			ids[n++] = o->id;
	if (script_port_collision(m->id, ids, n, &cause) == 0)
		return (NULL);
	return (cause);
}

/*
 * Make M's start script off the loop; CB (may be NULL) hears how it
 * went.  Returns -1 when M's sector size is not known yet.
 */
int
miner_script(struct miner *m, miner_script_cb cb, void *arg)
{
	struct miner_script	*s;

	if (m->sector_size == 0)
		return (-1);
	s = xcalloc(1, sizeof(*s));
	s->id = xstrdup(m->id);
	s->address = xstrdup(m->address);
	s->token = xstrdup(m->token);
	s->sm.id = s->id;
	s->sm.address = s->address;
	s->sm.token = s->token;
	s->sm.sector_size = m->sector_size;
	s->tdir = pd->conf->template_dir ? xstrdup(pd->conf->template_dir) :
	    NULL;
	s->sdir = xstrdup(pd->conf->script_dir);
	s->warning = miner_port_check(m);
	if (s->warning != NULL)
		log_warnx("miner %s: %s", m->id, s->warning);
	s->cb = cb;
	s->arg = arg;
	s->work.data = s;
	m->script_busy = 1;
	if (uv_queue_work(miner_loop, &s->work, miner_script_work,
	    miner_script_after) != 0)
		fatalx("miner_script: cannot queue work");
	return (0);
}

/* The handshake of M passed: poll it. */
static void
miner_up(struct miner *m)
{
	struct reply	*r;

	if ((r = m->adding) != NULL) {
		m->adding = NULL;
		miner_unpend(m);
		if (minercmd_added(m, r) == -1)
			return;		/* added twice at once: M is freed */
	}
	if (m->state != MINER_UP)
		log_info("miner %s is up: %s, sector size %llu, lotus %s",
		    m->id, m->address, (unsigned long long)m->sector_size,
		    m->version);
	m->state = MINER_UP;
	m->backoff = MINER_BACKOFF_MIN;
	m->refused = 0;
	if (r == NULL && !m->script_ok)
		miner_script(m, NULL, NULL);
	miner_round(m);
}

/* Make a miner from its configuration; not started. */
struct miner *
miner_new(const struct miner_conf *mc)
{
	struct miner	*m;

	m = xcalloc(1, sizeof(*m));
	m->id = xstrdup(mc->id);
	m->actor = mc->actor;
	m->address = xstrdup(mc->address);
	m->token = xstrdup(mc->token);
	m->runtime = mc->runtime;
	m->state = MINER_CONNECTING;
	m->backoff = MINER_BACKOFF_MIN;
	m->memory = mview_memory_new();
	m->timer = xcalloc(1, sizeof(*m->timer));
	uv_timer_init(miner_loop, m->timer);
	m->timer->data = m;
	return (m);
}

/* Start M's handshake; a miner being added waits on the pending list. */
void
miner_start(struct miner *m)
{
	if (m->adding != NULL) {
		m->next = miner_pending;
		miner_pending = m;
	}
	m->step = M_VERSION;
	miner_handshake(m);
}

/* Free a miner's timer once closed. */
static void
miner_timer_free(uv_handle_t *h)
{
	free(h);
}

/* Stop M and free it; it must not be on the list. */
void
miner_free(struct miner *m)
{
	miner_cancel(m);
	if (m->building) {
		/* The view is being built: free M when it is done. */
		m->orphan = 1;
		return;
	}
	if (!uv_is_closing((uv_handle_t *)m->timer)) {
		uv_timer_stop(m->timer);
		uv_close((uv_handle_t *)m->timer, miner_timer_free);
	}
	if (m->adding != NULL) {
		reply_error(m->adding, RC_INTERNAL, "the daemon is stopping");
		reply_finish(m->adding);
	}
	mview_free(m->view);
	mview_free(m->stale);
	mview_memory_free(m->memory);
	explicit_bzero(m->token, strlen(m->token));
	free(m->token);
	free(m->id);
	free(m->address);
	free(m->last_error);
	free(m->script_error);
	free(m->version);
	free(m);
}

/* Put M on the list. */
void
miner_link(struct miner *m)
{
	struct miner	**pp;

	for (pp = &miner_list; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = m;
	m->next = NULL;
}

/* Take M off the list. */
void
miner_unlink(struct miner *m)
{
	struct miner	**pp;

	for (pp = &miner_list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	m->next = NULL;
}

/* Tell whether M still matches its configuration entry MC. */
static int
miner_same(const struct miner *m, const struct miner_conf *mc)
{
	return (strcmp(m->id, mc->id) == 0 &&
	    strcmp(m->address, mc->address) == 0 &&
	    strcmp(m->token, mc->token) == 0);
}

/* Make the running miners match CONF: start new, stop gone, restart
 * changed ones. */
void
miner_sync(struct config *conf)
{
	struct miner_conf	*mc;
	struct miner		*m, *next;

	for (m = miner_list; m != NULL; m = next) {
		next = m->next;
		for (mc = conf->miners; mc != NULL; mc = mc->next)
			if (mc->actor == m->actor && miner_same(m, mc))
				break;
		if (mc == NULL) {
			log_info("miner %s: removed or changed", m->id);
			miner_unlink(m);
			miner_free(m);
		}
	}
	for (mc = conf->miners; mc != NULL; mc = mc->next) {
		if (miner_find(mc->id) != NULL)
			continue;
		m = miner_new(mc);
		miner_link(m);
		miner_start(m);
	}
}

/* Stop every miner. */
void
miner_shutdown(void)
{
	struct miner	*m;

	while ((m = miner_list) != NULL) {
		miner_list = m->next;
		miner_free(m);
	}
	/* Miners still being added: their timers must close too. */
	while ((m = miner_pending) != NULL) {
		miner_pending = m->next;
		miner_free(m);
	}
}

/* Write every miner's script again (templates or paths changed). */
void
miner_rescript(void)
{
	struct miner	*m;

	for (m = miner_list; m != NULL; m = m->next)
		if (!m->script_busy && m->sector_size != 0)
			miner_script(m, NULL, NULL);
}
