/*
 * minercmd.c: the control commands about miners and their scripts:
 * miner add, remove, list, worker, and script create.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "pilot.h"
#include "check.h"
#include "miner.h"
#include "store.h"
#include "switch.h"

#define MINERCMD_RUNTIME	"miners.conf"	/* in the state dir */

/* A miner add or remove waiting for its file write. */
struct minercmd_op {
	struct reply		*r;
	char			*id;
	int			 adding;
	int			 scripts;	/* script jobs still out */
	int			 failed;
};

/* Write the runtime miners to the state directory, off the loop. */
static void
minercmd_persist(store_cb cb, void *arg)
{
	char	*path, *text;
	size_t	 len;

	text = config_runtime_text(pd->conf, &len);
	path = util_printf("%s/%s", pd->conf->state_dir, MINERCMD_RUNTIME);
	store_write(path, text, len, 0600, cb, arg);
	free(path);
}

/* Add a runtime miner entry for M to the running configuration. */
static void
minercmd_conf_add(const struct miner *m)
{
	struct miner_conf	*mc, **pp;

	mc = xcalloc(1, sizeof(*mc));
	mc->id = xstrdup(m->id);
	mc->actor = m->actor;
	mc->address = xstrdup(m->address);
	mc->token = xstrdup(m->token);
	mc->origin = xstrdup("control socket");
	mc->runtime = 1;
	for (pp = &pd->conf->miners; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = mc;
}

/* Take miner ID out of the running configuration. */
static void
minercmd_conf_remove(const char *id)
{
	struct miner_conf	*mc, **pp;
	uint64_t		 actor;

	if (miner_id_parse(id, &actor) == -1)
		return;
	for (pp = &pd->conf->miners; (mc = *pp) != NULL; pp = &mc->next)
		if (mc->actor == actor) {
			*pp = mc->next;
			mc->next = NULL;
			config_free_miners(mc);
			return;
		}
}

/* Free an operation. */
static void
minercmd_op_free(struct minercmd_op *op)
{
	free(op->id);
	free(op);
}

/* The script of an added miner is written (or not): answer. */
static void
minercmd_add_script(const char *id, int rv, const char *what,
    const char *warning, void *arg)
{
	struct minercmd_op	*op = arg;

	(void)id;
	if (rv == 0)
		reply_line(op->r, "script %s", what);
	else
		reply_line(op->r, "script not written: %s", what);
	if (warning != NULL)
		reply_line(op->r, "warning: %s", warning);
	reply_finish(op->r);
	minercmd_op_free(op);
}

/* The miners file is written after an add: make the script, answer. */
static void
minercmd_add_stored(int rv, const char *cause, void *arg)
{
	struct minercmd_op	*op = arg;
	struct miner		*m = miner_find(op->id);

	if (rv != 0) {
		if (m != NULL) {
			miner_unlink(m);
			miner_free(m);
		}
		minercmd_conf_remove(op->id);
		reply_error(op->r, RC_INTERNAL, "%s not added: %s", op->id,
		    cause);
		reply_finish(op->r);
		minercmd_op_free(op);
		return;
	}
	log_info("miner %s added at %s", op->id, m ? m->address : "?");
	if (m == NULL || miner_script(m, minercmd_add_script, op) == -1) {
		reply_finish(op->r);
		minercmd_op_free(op);
	}
}

/*
 * The handshake of a miner being added passed: keep it, persist.  -1
 * when the actor is known by now: M is refused and freed.
 */
int
minercmd_added(struct miner *m, struct reply *r)
{
	struct minercmd_op	*op;
	struct miner		*o;

	/* Another "miner add" of the same actor may have passed first. */
	if ((o = miner_find(m->id)) != NULL) {
		reply_error(r, RC_CONFLICT, "miner %s is already known as %s",
		    m->id, o->id);
		reply_finish(r);
		miner_free(m);
		return (-1);
	}
	miner_link(m);
	minercmd_conf_add(m);
	reply_line(r, "added %s at %s: sector size %llu, lotus %s", m->id,
	    m->address, (unsigned long long)m->sector_size, m->version);
	op = xcalloc(1, sizeof(*op));
	op->r = r;
	op->id = xstrdup(m->id);
	op->adding = 1;
	minercmd_persist(minercmd_add_stored, op);
	return (0);
}

/* miner add ID ADDR TOKEN: check the miner, then keep it. */
void
minercmd_add(struct reply *r, int argc, char **argv)
{
	struct miner_conf	 mc;
	struct miner		*m;
	const char		*why;
	uint64_t		 actor;

	(void)argc;
	if ((why = check_miner_id(argv[0], &actor)) != NULL) {
		reply_error(r, RC_USAGE, "miner id: %s", why);
		return;
	}
	if ((why = check_address(argv[1])) != NULL) {
		reply_error(r, RC_USAGE, "address: %s", why);
		return;
	}
	if ((why = check_token(argv[2], strlen(argv[2]))) != NULL) {
		reply_error(r, RC_USAGE, "token: %s", why);
		return;
	}
	if ((m = miner_find(argv[0])) != NULL) {
		reply_error(r, RC_CONFLICT, "miner %s is already known as %s",
		    argv[0], m->id);
		return;
	}
	memset(&mc, 0, sizeof(mc));
	mc.id = argv[0];
	mc.actor = actor;
	mc.address = argv[1];
	mc.token = argv[2];
	mc.runtime = 1;
	m = miner_new(&mc);
	m->adding = reply_defer(r);
	miner_start(m);
}

/* The script of a removed miner is gone (or was never there): answer. */
static void
minercmd_unlinked(uv_fs_t *req)
{
	struct minercmd_op	*op = req->data;

	if (req->result == 0)
		reply_line(op->r, "removed %s", req->path);
	else if (req->result != UV_ENOENT)
		reply_line(op->r, "cannot remove %s: %s", req->path,
		    uv_strerror((int)req->result));
	reply_line(op->r, "removed %s", op->id);
	uv_fs_req_cleanup(req);
	free(req);
	reply_finish(op->r);
	minercmd_op_free(op);
}

/* The miners file is written after a remove: delete the script. */
static void
minercmd_remove_stored(int rv, const char *cause, void *arg)
{
	struct minercmd_op	*op = arg;
	uv_fs_t			*req;
	char			*path;

	if (rv != 0) {
		reply_error(op->r, RC_INTERNAL, "%s removed, but %s", op->id,
		    cause);
		reply_finish(op->r);
		minercmd_op_free(op);
		return;
	}
	req = xcalloc(1, sizeof(*req));
	req->data = op;
	path = util_printf("%s/%s.sh", pd->conf->script_dir, op->id);
	if (uv_fs_unlink(pd->loop, req, path, minercmd_unlinked) != 0) {
		free(req);
		reply_finish(op->r);
		minercmd_op_free(op);
	}
	free(path);
}

/* miner remove ID: forget a miner added at run time. */
void
minercmd_remove(struct reply *r, int argc, char **argv)
{
	struct minercmd_op	*op;
	struct miner_conf	*mc;
	struct miner		*m;

	(void)argc;
	if ((m = miner_find(argv[0])) == NULL) {
		reply_error(r, RC_NOTFOUND, "no miner %s", argv[0]);
		return;
	}
	if (switch_miner_busy(m->id)) {
		reply_error(r, RC_CONFLICT, "%s is used by an unfinished "
		    "switch", m->id);
		return;
	}
	mc = config_find_miner(pd->conf, m->id);
	if (mc != NULL && !mc->runtime) {
		reply_error(r, RC_CONFLICT, "%s is defined at %s; remove it "
		    "there and reload", m->id, mc->origin);
		return;
	}
	op = xcalloc(1, sizeof(*op));
	op->id = xstrdup(m->id);
	op->r = reply_defer(r);
	miner_unlink(m);
	miner_free(m);
	minercmd_conf_remove(op->id);
	log_info("miner %s removed", op->id);
	minercmd_persist(minercmd_remove_stored, op);
}

/* Size in bytes as the operator says it: 32GiB, 64GiB, 2KiB. */
static const char *
minercmd_size(uint64_t size, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB",
	    "TiB" };
	int	 u = 0;

	if (size == 0)
		return ("-");
	while (u < 4 && size % 1024 == 0 && size >= 1024) {
		size /= 1024;
		u++;
	}
	snprintf(buf, len, "%llu%s", (unsigned long long)size, units[u]);
	return (buf);
}

/* Eligible worker count of M, or -1 without a view. */
static long
minercmd_workers(const struct miner *m)
{
	return (m->view ? (long)mview_count_eligible(m->view) : -1);
}

/* One miner as a JSON object. */
static void
minercmd_list_json(struct buf *j, const struct miner *m)
{
	buf_addstr(j, j->len ? ",{\"id\":" : "[{\"id\":");
	buf_json_str(j, m->id);
	buf_addstr(j, ",\"address\":");
	buf_json_str(j, m->address);
	buf_addstr(j, ",\"state\":");
	buf_json_str(j, miner_state_name(m->state));
	buf_printf(j, ",\"sector_size\":%llu,\"workers\":%ld,"
	    "\"runtime\":%s,\"version\":", (unsigned long long)m->sector_size,
	    minercmd_workers(m), m->runtime ? "true" : "false");
	buf_json_str(j, m->version);
	buf_addstr(j, ",\"last_error\":");
	buf_json_str(j, m->last_error);
	buf_printf(j, ",\"last_error_at\":%llu}",
	    (unsigned long long)m->error_at);
}

/* How long ago wall time AT (seconds) was, as " (5m0s ago)". */
static const char *
minercmd_age(uint64_t at, char *buf, size_t len)
{
	char		 d[32];
	uint64_t	 now = util_wall_ms() / 1000;

	if (at == 0)
		return ("");
	duration_format((now > at ? now - at : 0) * 1000, d, sizeof(d));
	snprintf(buf, len, " (%s ago)", d);
	return (buf);
}

/* miner list: each miner with its state; never a token. */
void
minercmd_list(struct reply *r, int argc, char **argv)
{
	struct miner	*m;
	struct buf	 j = { 0 };
	char		 size[32], workers[32], age[64];

	(void)argc;
	(void)argv;
	for (m = miner_first(); m != NULL; m = m->next) {
		if (r->json) {
			minercmd_list_json(&j, m);
			continue;
		}
		if (minercmd_workers(m) < 0)
			snprintf(workers, sizeof(workers), "-");
		else
			snprintf(workers, sizeof(workers), "%ld",
			    minercmd_workers(m));
		reply_line(r, "%s address=%s state=%s sector-size=%s "
		    "workers=%s error=%s%s", m->id, m->address,
		    miner_state_name(m->state),
		    minercmd_size(m->sector_size, size, sizeof(size)),
		    workers, m->last_error ? m->last_error : "-",
		    minercmd_age(m->error_at, age, sizeof(age)));
	}
	if (r->json)
		reply_line(r, "%s]", j.len ? j.data : "[");
	buf_free(&j);
}

/* Add TEXT to the reply, one data line per line of it. */
static void
minercmd_lines(struct reply *r, const char *text)
{
	const char	*nl;

	for (; *text != '\0'; text = nl + 1) {
		nl = strchr(text, '\n');
		if (nl == NULL) {
			reply_line(r, "%s", text);
			break;
		}
		reply_line(r, "%.*s", (int)(nl - text), text);
	}
}

/* miner worker all: the eligible worker count of every miner. */
static void
minercmd_worker_all(struct reply *r)
{
	struct miner	*m;
	struct buf	 j = { 0 };

	for (m = miner_first(); m != NULL; m = m->next) {
		if (r->json) {
			buf_addstr(&j, j.len ? "," : "{");
			buf_json_str(&j, m->id);
			buf_printf(&j, ":%ld", minercmd_workers(m));
		} else if (minercmd_workers(m) < 0)
			reply_line(r, "%s - (%s)", m->id,
			    miner_state_name(m->state));
		else
			reply_line(r, "%s %ld", m->id, minercmd_workers(m));
	}
	if (r->json)
		reply_line(r, "%s}", j.len ? j.data : "{");
	buf_free(&j);
}

/* miner worker ID|all: the worker view of a miner, from its cache. */
void
minercmd_worker(struct reply *r, int argc, char **argv)
{
	struct miner	*m;
	char		*text;

	(void)argc;
	if (strcmp(argv[0], "all") == 0) {
		minercmd_worker_all(r);
		return;
	}
	if ((m = miner_find(argv[0])) == NULL) {
		reply_error(r, RC_NOTFOUND, "no miner %s", argv[0]);
		return;
	}
	if (m->view == NULL) {
		reply_error(r, RC_MINERDOWN, "no worker data from %s yet "
		    "(%s%s%s)", m->id, miner_state_name(m->state),
		    m->last_error ? ": " : "",
		    m->last_error ? m->last_error : "");
		return;
	}
	/* Old data is shown at once; a fresh round is started for next. */
	if (uv_now(pd->loop) - m->view_done > pd->conf->cache_timeout)
		miner_refresh(m);
	text = r->json ? mview_format_json(m->view, MV_FMT_ALL) :
	    mview_format_text(m->view, MV_FMT_ALL);
	minercmd_lines(r, text);
	free(text);
}

/* One script job less; answer after the last. */
static void
minercmd_script_release(struct minercmd_op *op)
{
	if (--op->scripts > 0)
		return;
	if (op->failed > 0) {
		/* Keep the per-miner lines: they say which failed. */
		op->r->code = RC_INTERNAL;
		op->r->message = util_printf("internal: %d script(s) not "
		    "written", op->failed);
	}
	reply_finish(op->r);
	minercmd_op_free(op);
}

/* A script of "script create" is done: note it, answer after the last. */
static void
minercmd_script_done(const char *id, int rv, const char *what,
    const char *warning, void *arg)
{
	struct minercmd_op	*op = arg;

	if (rv == 0)
		reply_line(op->r, "%s wrote %s", id, what);
	else {
		reply_line(op->r, "%s failed: %s", id, what);
		op->failed++;
	}
	if (warning != NULL)
		reply_line(op->r, "%s warning: %s", id, warning);
	minercmd_script_release(op);
}

/* script create ID|all: write the start scripts again. */
void
minercmd_script(struct reply *r, int argc, char **argv)
{
	struct minercmd_op	*op;
	struct miner		*m, *one = NULL;
	int			 all = strcmp(argv[0], "all") == 0;

	(void)argc;
	if (!all && (one = miner_find(argv[0])) == NULL) {
		reply_error(r, RC_NOTFOUND, "no miner %s", argv[0]);
		return;
	}
	op = xcalloc(1, sizeof(*op));
	op->r = reply_defer(r);
	op->scripts = 1;	/* held until every job is queued */
	for (m = miner_first(); m != NULL; m = m->next) {
		if (!all && m != one)
			continue;
		op->scripts++;
		if (miner_script(m, minercmd_script_done, op) == -1) {
			op->scripts--;
			op->failed++;
			reply_line(op->r, "%s failed: sector size not known "
			    "yet (%s)", m->id, miner_state_name(m->state));
		}
	}
	minercmd_script_release(op);
}
