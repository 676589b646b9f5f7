/*
 * switchcmd.c: the control commands of the switch engine: switch new,
 * get, list, cancel, remove, resume, and metrics.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uuid/uuid.h>
#include <uv.h>

#include "pilot.h"
#include "check.h"
#include "exec.h"
#include "miner.h"
#include "store.h"
#include "switch.h"

/* A switch new request, parsed. */
struct switchcmd_req {
	const char	*from;
	const char	*to;
	int		 count;		/* -1: all */
	int		 have_count;
	char		*workers;	/* comma list, or NULL */
	int		 disable_ap;
	int		 dry_run;
};

/* A count from 1 to 100000, or 0 if S is not one. */
static int
switchcmd_count(const char *s)
{
	char	*end;
	long	 v;

	if (*s < '0' || *s > '9')
		return (0);
	v = strtol(s, &end, 10);
	return (*end == '\0' && v >= 1 && v <= 100000 ? (int)v : 0);
}

/* The words of switch new; count and worker take a value. */
static const char	*switchcmd_words[] = {
	"disable-ap", "dry-run", "count", "worker"
};
#define SWITCHCMD_NWORDS	4

/* The index of S in switchcmd_words, or SWITCHCMD_NWORDS. */
static int
switchcmd_word(const char *s)
{
	int	k;

	for (k = 0; k < SWITCHCMD_NWORDS; k++)
		if (strcmp(s, switchcmd_words[k]) == 0)
			break;
	return (k);
}

/* Parse the words after FROM TO; -1 with a usage error on R. */
static int
switchcmd_parse(struct reply *r, int argc, char **argv,
    struct switchcmd_req *q)
{
	unsigned int	 seen = 0;
	int		 i, k;

	memset(q, 0, sizeof(*q));
	q->from = argv[0];
	q->to = argv[1];
	for (i = 2; i < argc; i++) {
		k = switchcmd_word(argv[i]);
		if (k < SWITCHCMD_NWORDS && (seen & (1u << k))) {
			reply_error(r, RC_USAGE, "\"%s\" given twice",
			    argv[i]);
			return (-1);
		}
		seen |= k < SWITCHCMD_NWORDS ? 1u << k : 0;
		if (k >= 2 && k < SWITCHCMD_NWORDS && (i + 1 == argc ||
		    switchcmd_word(argv[i + 1]) < SWITCHCMD_NWORDS)) {
			reply_error(r, RC_USAGE, "%s needs %s", argv[i],
			    k == 2 ? "a number or all" : "ID[,ID...]");
			return (-1);
		}
		if (strcmp(argv[i], "disable-ap") == 0)
			q->disable_ap = 1;
		else if (strcmp(argv[i], "dry-run") == 0)
			q->dry_run = 1;
		else if (strcmp(argv[i], "count") == 0 && i + 1 < argc) {
			q->have_count = 1;
			if (strcmp(argv[++i], "all") == 0)
				q->count = -1;
			else if ((q->count = switchcmd_count(argv[i])) ==
			    0) {
				reply_error(r, RC_USAGE, "count \"%s\" must be "
				    "a number from 1 to 100000, or all",
				    argv[i]);
				return (-1);
			}
		} else if (strcmp(argv[i], "worker") == 0 && i + 1 < argc)
			q->workers = argv[++i];
		else {
			reply_error(r, RC_USAGE, "unexpected \"%s\"; usage: "
			    "switch new FROM TO [count N|all] [worker "
			    "ID[,ID...]] [disable-ap] [dry-run]", argv[i]);
			return (-1);
		}
	}
	if (q->have_count == (q->workers != NULL)) {
		reply_error(r, RC_USAGE, "say which workers: count N, count "
		    "all, or worker ID[,ID...] (one of them)");
		return (-1);
	}
	return (0);
}

/* Why worker W of miner FROM cannot be picked, or NULL if it can. */
static const char *
switchcmd_unfit(const struct mview_worker *w, const char *from)
{
	const char	*why;

	if (!w->eligible)
		return (w->eligible_why ? w->eligible_why : "not eligible");
	if (!w->hostname_safe || (why = check_worker_host(w->hostname)) !=
	    NULL)
		return ("hostname unfit for a command line");
	if (switch_worker_busy(from, w->id))
		return ("already in an unfinished switch");
	if ((why = inventory_check(w->hostname)) != NULL)
		return (why);
	return (NULL);
}

/* Check the miners of a request; NULL and an error on R if unusable. */
static int
switchcmd_miners(struct reply *r, const struct switchcmd_req *q,
    struct miner **from, struct miner **to)
{
	uint64_t	 a, b;
	const char	*why;

	if ((why = check_miner_id(q->from, &a)) != NULL ||
	    (why = check_miner_id(q->to, &b)) != NULL) {
		reply_error(r, RC_USAGE, "miner id: %s", why);
		return (-1);
	}
	if (a == b) {
		reply_error(r, RC_USAGE, "from and to are the same miner");
		return (-1);
	}
	if ((*from = miner_find(q->from)) == NULL ||
	    (*to = miner_find(q->to)) == NULL) {
		reply_error(r, RC_NOTFOUND, "no miner %s", *from == NULL ?
		    q->from : q->to);
		return (-1);
	}
	if ((*from)->state != MINER_UP || (*from)->view == NULL ||
	    (*to)->state != MINER_UP || (*to)->view == NULL) {
		struct miner *m = (*from)->state != MINER_UP ||
		    (*from)->view == NULL ? *from : *to;

		reply_error(r, RC_MINERDOWN, "miner %s is %s%s%s", m->id,
		    m->view == NULL && m->state == MINER_UP ? "not polled yet" :
		    miner_state_name(m->state), m->last_error ? ": " : "",
		    m->last_error ? m->last_error : "");
		return (-1);
	}
	return (0);
}

/* Find worker NAME (uuid or hostname) in view V. */
static struct mview_worker *
switchcmd_lookup(const struct mview *v, const char *name)
{
	struct mview_worker	*w, *found = NULL;
	size_t			 i;

	if ((w = mview_find(v, name)) != NULL)
		return (w);
	for (i = 0; i < v->nw; i++)
		if (strcmp(v->w[i].hostname, name) == 0) {
			if (found != NULL)
				return (NULL);	/* ambiguous */
			found = &v->w[i];
		}
	return (found);
}

/* The workers a request names; NULL and an error on R if one is unfit. */
static struct mview_worker **
switchcmd_listed(struct reply *r, const struct switchcmd_req *q,
    const struct miner *from, size_t *n)
{
	struct mview_worker	**out, *w;
	char			*copy, *p, *name;
	const char		*why;
	size_t			 k;

	copy = xstrdup(q->workers);
	out = xcalloc(strlen(copy) + 1, sizeof(*out));
	*n = 0;
	for (p = copy; (name = strsep(&p, ",")) != NULL;) {
		if (*name == '\0')
			continue;
		if ((w = switchcmd_lookup(from->view, name)) == NULL) {
			reply_error(r, RC_NOTFOUND, "no single worker \"%s\" "
			    "on %s", name, from->id);
			goto bad;
		}
		if ((why = switchcmd_unfit(w, from->id)) != NULL) {
			reply_error(r, RC_CONFLICT, "worker %s (%s) cannot "
			    "be moved: %s", w->hostname, w->id, why);
			goto bad;
		}
		for (k = 0; k < *n; k++)
			if (out[k] == w)
				break;
		if (k == *n)
			out[(*n)++] = w;
	}
	free(copy);
	return (out);
bad:
	free(copy);
	free(out);
	return (NULL);
}

/* The workers a count picks, least busy first; NULL and an error on R. */
static struct mview_worker **
switchcmd_counted(struct reply *r, const struct switchcmd_req *q,
    const struct miner *from, size_t *n)
{
	struct mview_worker	**all, **out;
	size_t			 nall, i, free_n = 0;

	nall = mview_candidates(from->view, &all);
	out = xcalloc(nall + 1, sizeof(*out));
	for (i = 0; i < nall; i++)
		if (switchcmd_unfit(all[i], from->id) == NULL)
			out[free_n++] = all[i];
	free(all);
	mview_sort_candidates(out, free_n);
	if (q->count > 0 && (size_t)q->count > free_n) {
		reply_error(r, RC_CONFLICT, "%s has %zu worker(s) that can be "
		    "moved now, asked for %d", from->id, free_n, q->count);
		free(out);
		return (NULL);
	}
	if (free_n == 0) {
		reply_error(r, RC_CONFLICT, "%s has no worker that can be "
		    "moved now", from->id);
		free(out);
		return (NULL);
	}
	*n = q->count > 0 ? (size_t)q->count : free_n;
	return (out);
}

/* dry-run: show what would be picked and why the others would not. */
static void
switchcmd_dry(struct reply *r, const struct miner *from,
    struct mview_worker **pick, size_t n)
{
	const struct mview	*v = from->view;
	const char		*why;
	size_t			 i, k;

	for (k = 0; k < n; k++)
		reply_line(r, "would move %s %s", pick[k]->id,
		    pick[k]->hostname);
	for (i = 0; i < v->nw; i++) {
		for (k = 0; k < n; k++)
			if (pick[k] == &v->w[i])
				break;
		if (k < n)
			continue;
		why = switchcmd_unfit(&v->w[i], from->id);
		reply_line(r, "would leave %s %s: %s", v->w[i].id,
		    v->w[i].hostname, why ? why : "not picked");
	}
}

/* A new switch of the picked workers. */
static struct sw *
switchcmd_make(const struct switchcmd_req *q, const struct miner *from,
    const struct miner *to, struct mview_worker **pick, size_t n)
{
	struct sw	*s;
	uuid_t		 u;
	size_t		 k;

	s = xcalloc(1, sizeof(*s));
	uuid_generate_random(u);
	uuid_unparse_lower(u, s->id);
	s->state = SW_SWITCHING;
	s->from = xstrdup(from->id);
	s->to = xstrdup(to->id);
	s->count = q->count > 0 ? q->count : 0;
	s->disable_ap = q->disable_ap;
	s->created = util_wall_ms();
	if (q->workers != NULL) {
		/* The Go tool reads req.worker as worker UUIDs. */
		s->req_workers = xcalloc(n + 1, sizeof(char *));
		for (k = 0; k < n; k++)
			s->req_workers[s->nreq_workers++] =
			    xstrdup(pick[k]->id);
	}
	s->w = xcalloc(n, sizeof(*s->w));
	s->nw = n;
	for (k = 0; k < n; k++) {
		s->w[k].sw = s;
		memcpy(s->w[k].id, pick[k]->id, sizeof(s->w[k].id));
		s->w[k].hostname = xstrdup(pick[k]->hostname);
		s->w[k].step = WS_PICKED;
		s->w[k].since = s->created;
	}
	return (s);
}

/* A deferred reply about one switch. */
struct switchcmd_op {
	struct reply	*r;
	char		 id[37];
};

/* A new switch is on disk (or not): answer, then start it. */
static void
switchcmd_new_saved(int rv, const char *cause, void *arg)
{
	struct switchcmd_op	*op = arg;
	struct reply		*r = op->r;
	struct sw		*s = switch_find(op->id);
	size_t			 k;

	free(op);
	if (s == NULL) {
		reply_error(r, RC_INTERNAL, "the switch vanished");
	} else if (rv != 0) {
		reply_error(r, RC_INTERNAL, "switch not saved: %s", cause);
		switch_delete(s);
	} else {
		reply_line(r, "switch %s", s->id);
		for (k = 0; k < s->nw; k++)
			reply_line(r, "worker %s %s", s->w[k].id,
			    s->w[k].hostname);
		log_info("switch %s: %s -> %s, %zu worker(s)%s", s->id,
		    s->from, s->to, s->nw, s->disable_ap ?
		    ", disable AP first" : "");
		s->unsaved = 0;
		switch_kick(s);
	}
	reply_finish(r);
}

/* switch new FROM TO [count N|all] [worker ID,...] [disable-ap]
 * [dry-run]: every check before any side effect. */
void
switchcmd_new(struct reply *r, int argc, char **argv)
{
	struct switchcmd_req	 q;
	struct miner		*from, *to;
	struct mview_worker	**pick;
	struct sw		*s;
	struct switchcmd_op	*op;
	size_t			 n;

	if (switchcmd_parse(r, argc, argv, &q) == -1 ||
	    switchcmd_miners(r, &q, &from, &to) == -1)
		return;
	pick = q.workers ? switchcmd_listed(r, &q, from, &n) :
	    switchcmd_counted(r, &q, from, &n);
	if (pick == NULL) {
		if (q.dry_run)
			switchcmd_dry(r, from, NULL, 0);	/* say why */
		return;
	}
	if (n == 0) {
		reply_error(r, RC_USAGE, "no worker named");
		free(pick);
		return;
	}
	if (q.dry_run) {
		switchcmd_dry(r, from, pick, n);
		free(pick);
		return;
	}
	s = switchcmd_make(&q, from, to, pick, n);
	free(pick);
	s->unsaved = 1;
	switch_add(s);
	op = xcalloc(1, sizeof(*op));
	op->r = reply_defer(r);
	memcpy(op->id, s->id, sizeof(op->id));
	switch_save(switchcmd_new_saved, op);
}

/* A wall time in ms as UTC text. */
static const char *
switchcmd_time(uint64_t ms, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 t = (time_t)(ms / 1000);

	if (ms == 0)
		return ("-");
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return (buf);
}

/* What worker W waits for right now, in words. */
static const char *
switchcmd_waiting(const struct sw_worker *w, char *buf, size_t len)
{
	const struct miner	*m;
	const char		*mid;

	if (w->step == WS_COMPLETE || w->step == WS_ERROR)
		return (NULL);
	if (w->sw->state == SW_CANCELED)
		return ("nothing: the switch is canceled");
	if (w->job != NULL)
		return (w->waiting);
	mid = w->step == WS_SWITCH_CONFIRMING ? w->sw->to : w->sw->from;
	if ((m = miner_find(mid)) == NULL)
		snprintf(buf, len, "miner %s is not configured", mid);
	else if (m->state != MINER_UP)
		snprintf(buf, len, "miner %s unreachable%s%s", m->id,
		    m->last_error ? ": " : "", m->last_error ?
		    m->last_error : "");
	else if (w->waiting != NULL)
		return (w->waiting);
	else
		snprintf(buf, len, "the next round of %s", m->id);
	return (buf);
}

/* Add the text of W's last command output, a line each. */
static void
switchcmd_output(struct reply *r, const char *out)
{
	const char	*nl;

	for (; out != NULL && *out != '\0'; out = nl + 1) {
		nl = strchr(out, '\n');
		reply_line(r, "    | %.*s", nl ? (int)(nl - out) :
		    (int)strlen(out), out);
		if (nl == NULL)
			break;
	}
}

/* Worker W of a switch as text lines. */
static void
switchcmd_get_worker(struct reply *r, const struct sw_worker *w)
{
	char		 since[32], buf[512];
	const char	*wait;

	reply_line(r, "worker %s %s step=%s since=%s tries=%d%s%s",
	    w->hostname, w->id, switch_step_name(w->step),
	    switchcmd_time(w->since, since, sizeof(since)), w->tries,
	    w->new_id[0] ? " new-id=" : "", w->new_id);
	if (w->step == WS_ERROR)
		reply_line(r, "  failed in %s", switch_step_name(
		    w->failed_step));
	if ((wait = switchcmd_waiting(w, buf, sizeof(buf))) != NULL)
		reply_line(r, "  waiting for: %s", wait);
	if (w->error != NULL)
		reply_line(r, "  last error: %s", w->error);
	if (w->output != NULL) {
		reply_line(r, "  last command:");
		switchcmd_output(r, w->output);
	}
}

/* Switch S as one JSON object. */
static void
switchcmd_json(struct buf *j, const struct sw *s)
{
	char		 buf[512];
	const char	*wait;
	size_t		 i;

	buf_addstr(j, "{\"id\":");
	buf_json_str(j, s->id);
	buf_addstr(j, ",\"state\":");
	buf_json_str(j, switch_state_name(s->state));
	buf_addstr(j, ",\"from\":");
	buf_json_str(j, s->from);
	buf_addstr(j, ",\"to\":");
	buf_json_str(j, s->to);
	buf_printf(j, ",\"count\":%d,\"disable_ap\":%s,\"created\":%llu,"
	    "\"workers\":[", s->count, s->disable_ap ? "true" : "false",
	    (unsigned long long)s->created);
	for (i = 0; i < s->nw; i++) {
		const struct sw_worker *w = &s->w[i];

		buf_addstr(j, i ? ",{\"id\":" : "{\"id\":");
		buf_json_str(j, w->id);
		buf_addstr(j, ",\"hostname\":");
		buf_json_str(j, w->hostname);
		buf_addstr(j, ",\"step\":");
		buf_json_str(j, switch_step_name(w->step));
		buf_printf(j, ",\"since\":%llu,\"tries\":%d,\"new_id\":",
		    (unsigned long long)w->since, w->tries);
		buf_json_str(j, w->new_id[0] ? w->new_id : NULL);
		buf_addstr(j, ",\"waiting\":");
		wait = switchcmd_waiting(w, buf, sizeof(buf));
		buf_json_str(j, wait);
		buf_addstr(j, ",\"error\":");
		buf_json_str(j, w->error);
		buf_addstr(j, ",\"output\":");
		buf_json_str(j, w->output);
		buf_addstr(j, "}");
	}
	buf_addstr(j, "]}");
}

/* Find the switch ARG names, or answer not-found. */
static struct sw *
switchcmd_find(struct reply *r, const char *arg)
{
	struct sw	*s;
	struct sw	*t;
	int		 n = 0;

	if ((s = switch_find(arg)) != NULL)
		return (s);
	for (t = switch_first(); t != NULL; t = t->next)
		n += strncmp(t->id, arg, strlen(arg)) == 0;
	if (n > 1)
		reply_error(r, RC_NOTFOUND, "switch %s is ambiguous: %d "
		    "switches start so", arg, n);
	else
		reply_error(r, RC_NOTFOUND, "no switch %s%s", arg,
		    strlen(arg) < 4 ? " (a prefix needs 4 characters)" : "");
	return (NULL);
}

/* switch get ID: a switch and each worker's step and wait. */
void
switchcmd_get(struct reply *r, int argc, char **argv)
{
	struct sw	*s;
	struct buf	 j = { 0 };
	char		 t[32];
	size_t		 i;

	(void)argc;
	if ((s = switchcmd_find(r, argv[0])) == NULL)
		return;
	if (r->json) {
		switchcmd_json(&j, s);
		reply_line(r, "%s", j.data);
		buf_free(&j);
		return;
	}
	reply_line(r, "switch %s state=%s from=%s to=%s created=%s", s->id,
	    switch_state_name(s->state), s->from, s->to,
	    switchcmd_time(s->created, t, sizeof(t)));
	reply_line(r, "request %s%d%s", s->nreq_workers ? "workers=" :
	    "count=", s->nreq_workers ? (int)s->nreq_workers : s->count,
	    s->disable_ap ? " disable-ap" : "");
	for (i = 0; i < s->nw; i++)
		switchcmd_get_worker(r, &s->w[i]);
}

/* switch list: one line per switch with its progress. */
void
switchcmd_list(struct reply *r, int argc, char **argv)
{
	struct sw	*s;
	struct buf	 j = { 0 };
	size_t		 i, done;

	(void)argc;
	(void)argv;
	for (s = switch_first(); s != NULL; s = s->next) {
		if (r->json) {
			buf_addstr(&j, j.len ? "," : "[");
			switchcmd_json(&j, s);
			continue;
		}
		for (i = done = 0; i < s->nw; i++)
			done += (s->w[i].step == WS_COMPLETE);
		reply_line(r, "%s %s %s->%s %zu/%zu moved", s->id,
		    switch_state_name(s->state), s->from, s->to, done, s->nw);
	}
	if (r->json)
		reply_line(r, "%s]", j.len ? j.data : "[");
	buf_free(&j);
}

/* A worker's fields before and after a resume, to undo it if unsaved. */
struct switchcmd_wold {
	enum worker_step	 step;
	int			 tries;
	uint64_t		 since;
	int			 start_tried;
	enum worker_step	 nstep;		/* as the resume left it */
	uint64_t		 nsince;
};

/* A cancel or resume being written: what it changed, to undo it. */
struct switchcmd_undo {
	struct reply		*r;
	char			 id[37];
	int			 resume;
	enum switch_state	 state;
	size_t			 nw;
	struct switchcmd_wold	 w[];
};

/* Note the state of S, and of its workers for a resume. */
static struct switchcmd_undo *
switchcmd_undo_new(struct sw *s, int resume)
{
	struct switchcmd_undo	*u;
	size_t			 i;

	u = xcalloc(1, sizeof(*u) + (resume ? s->nw : 0) * sizeof(u->w[0]));
	memcpy(u->id, s->id, sizeof(u->id));
	u->resume = resume;
	u->state = s->state;
	u->nw = resume ? s->nw : 0;
	for (i = 0; i < u->nw; i++) {
		u->w[i].step = u->w[i].nstep = s->w[i].step;
		u->w[i].tries = s->w[i].tries;
		u->w[i].since = u->w[i].nsince = s->w[i].since;
		u->w[i].start_tried = s->w[i].start_tried;
	}
	return (u);
}

/*
 * Undo a resume that could not be saved: the switch's state, and each
 * worker the resume moved that has not moved since (a command that ran
 * meanwhile keeps its outcome).
 */
static void
switchcmd_unresume(struct switchcmd_undo *u, struct sw *s)
{
	struct switchcmd_wold	*o;
	size_t			 i;

	if (s->nw != u->nw)
		return;
	if (s->state == SW_SWITCHING)
		s->state = u->state;
	for (i = 0; i < s->nw; i++) {
		o = &u->w[i];
		if ((o->nstep == o->step && o->nsince == o->since) ||
		    s->w[i].step != o->nstep || s->w[i].since != o->nsince)
			continue;
		s->w[i].step = o->step;
		s->w[i].tries = o->tries;
		s->w[i].since = o->since;
		s->w[i].start_tried = o->start_tried;
	}
}

/*
 * A cancel or resume is on disk, or not: then it is undone, in memory
 * and in a new write, and the answer is the error.  No step is taken
 * while it is written (unsaved).  A cancel changes the switch in memory
 * only once it is on disk (until then the file shows it, canceling); a
 * resumed switch goes on once saved.
 */
static void
switchcmd_saved(int rv, const char *cause, void *arg)
{
	struct switchcmd_undo	*u = arg;
	struct sw		*s = switch_find(u->id);
	const char		*what = u->resume ? "resumed" : "canceled";

	if (s != NULL) {
		s->unsaved = 0;
		s->canceling = 0;
		/* Complete or failed meanwhile: that stands, and is saved. */
		if (!u->resume && rv == 0 && s->state == SW_SWITCHING)
			s->state = SW_CANCELED;
		else if (!u->resume && rv == 0)
			switch_save(NULL, NULL);
	}
	if (rv != 0) {
		log_warnx("switch %s: not %s, state file: %s", u->id, what,
		    cause);
		reply_error(u->r, RC_INTERNAL, "switch %s not %s: %s", u->id,
		    what, cause);
		if (s != NULL) {
			if (u->resume)
				switchcmd_unresume(u, s);
			switch_save(NULL, NULL);
		}
	} else {
		log_info("switch %s: %s", u->id, what);
		if (s != NULL && s->state == SW_SWITCHING)
			switch_kick(s);
	}
	reply_finish(u->r);
	free(u);
}

/* The switch ARG names, for a change: not while one is being written. */
static struct sw *
switchcmd_find_idle(struct reply *r, const char *arg)
{
	struct sw	*s;

	if ((s = switchcmd_find(r, arg)) == NULL || !s->unsaved)
		return (s);
	reply_error(r, RC_CONFLICT, "switch %s: a change is being saved; try "
	    "again", s->id);
	return (NULL);
}

/* switch cancel ID: no further steps; half-moved workers are named. */
void
switchcmd_cancel(struct reply *r, int argc, char **argv)
{
	struct switchcmd_undo	*u;
	struct sw		*s;
	size_t			 i;

	(void)argc;
	if ((s = switchcmd_find_idle(r, argv[0])) == NULL)
		return;
	if (s->state != SW_SWITCHING) {
		reply_error(r, RC_CONFLICT, "switch %s is %s, not switching",
		    s->id, switch_state_name(s->state));
		return;
	}
	u = switchcmd_undo_new(s, 0);
	s->canceling = 1;
	s->unsaved = 1;
	reply_line(r, "canceled %s", s->id);
	for (i = 0; i < s->nw; i++) {
		const struct sw_worker *w = &s->w[i];

		if (w->job != NULL)
			reply_line(r, "worker %s: a command is running and "
			    "will finish; its outcome is recorded",
			    w->hostname);
		if (w->step >= WS_SWITCH_CONFIRMING &&
		    w->step <= WS_STOP_CONFIRMING)
			reply_line(r, "worker %s: half moved (%s): started "
			    "under %s, old worker still on %s; resume to "
			    "finish, or stop it by hand", w->hostname,
			    switch_step_name(w->step), s->to, s->from);
		else if (s->disable_ap && w->step > WS_PICKED &&
		    w->step < WS_COMPLETE)
			reply_line(r, "worker %s: AP stays disabled on its "
			    "worker under %s (lotus-worker tasks enable AP "
			    "turns it back on)", w->hostname, s->from);
	}
	u->r = reply_defer(r);
	switch_save(switchcmd_saved, u);
}

/* The file without the switch is on disk (or not): finish the remove. */
static void
switchcmd_removed(int rv, const char *cause, void *arg)
{
	struct switchcmd_op	*op = arg;
	struct sw		*s = switch_find(op->id);

	if (rv != 0) {
		if (s != NULL)
			s->removing = 0;
		reply_error(op->r, RC_INTERNAL, "not removed: %s", cause);
	} else {
		reply_line(op->r, "removed %s", op->id);
		log_info("switch %s: removed", op->id);
		if (s != NULL)
			switch_delete(s);
	}
	reply_finish(op->r);
	free(op);
}

/* switch remove ID: forget a switch that is not running. */
void
switchcmd_remove(struct reply *r, int argc, char **argv)
{
	struct switchcmd_op	*op;
	struct sw		*s;

	(void)argc;
	if ((s = switchcmd_find_idle(r, argv[0])) == NULL)
		return;
	if (s->state == SW_SWITCHING) {
		reply_error(r, RC_CONFLICT, "switch %s is active; cancel it "
		    "first", s->id);
		return;
	}
	if (s->removing) {
		reply_error(r, RC_CONFLICT, "switch %s is being removed",
		    s->id);
		return;
	}
	/* Gone from the file first; from memory once that is on disk. */
	s->removing = 1;
	op = xcalloc(1, sizeof(*op));
	op->r = reply_defer(r);
	memcpy(op->id, s->id, sizeof(op->id));
	switch_save(switchcmd_removed, op);
}

/* The step whose action must run again after a failure in STEP. */
static enum worker_step
switchcmd_retry_step(enum worker_step step)
{
	switch (step) {
	case WS_DISABLEAP_CONFIRMING:
		return (WS_PICKED);
	case WS_SWITCH_CONFIRMING:
		return (WS_SWITCH_WAITING);
	case WS_STOP_CONFIRMING:
		return (WS_STOP_WAITING);
	default:
		return (step);
	}
}

/* switch resume ID: failed workers try again; a canceled switch goes on. */
void
switchcmd_resume(struct reply *r, int argc, char **argv)
{
	struct switchcmd_undo	*u;
	struct sw		*s;
	size_t			 i;

	(void)argc;
	if ((s = switchcmd_find_idle(r, argv[0])) == NULL)
		return;
	if (s->state == SW_SWITCHING || s->state == SW_COMPLETE) {
		reply_error(r, RC_CONFLICT, "switch %s is %s; nothing to "
		    "resume", s->id, switch_state_name(s->state));
		return;
	}
	u = switchcmd_undo_new(s, 1);
	for (i = 0; i < s->nw; i++) {
		struct sw_worker *w = &s->w[i];

		if (w->step != WS_ERROR)
			continue;
		w->step = switchcmd_retry_step(w->failed_step);
		if (w->step == WS_SWITCH_WAITING)
			w->start_tried = 1;	/* check the target first */
		w->tries = 0;
		w->since = util_wall_ms();
		reply_line(r, "worker %s back to %s", w->hostname,
		    switch_step_name(w->step));
	}
	for (i = 0; i < s->nw; i++) {
		u->w[i].nstep = s->w[i].step;
		u->w[i].nsince = s->w[i].since;
	}
	s->state = SW_SWITCHING;
	s->unsaved = 1;
	reply_line(r, "resumed %s", s->id);
	u->r = reply_defer(r);
	switch_save(switchcmd_saved, u);
}

/* One metric family of RPC statistics, per miner and method. */
static void
switchcmd_rpc_family(struct reply *r, const char *name, const char *help,
    const char *type, int which)
{
	struct miner	*m;
	int		 k;

	reply_line(r, "# HELP lotus_pilot_rpc_%s %s.", name, help);
	reply_line(r, "# TYPE lotus_pilot_rpc_%s %s", name, type);
	for (m = miner_first(); m != NULL; m = m->next)
		for (k = 0; k < MINER_NMETHODS; k++) {
			if (which == 2)
				reply_line(r, "lotus_pilot_rpc_%s{miner=\"%s\","
				    "method=\"%s\"} %.3f", name, m->id,
				    miner_method_name(k),
				    (double)m->stat[k].ms / 1000.0);
			else
				reply_line(r, "lotus_pilot_rpc_%s{miner=\"%s\","
				    "method=\"%s\"} %lu", name, m->id,
				    miner_method_name(k), which ?
				    m->stat[k].errors : m->stat[k].calls);
		}
}

/* metrics: the Prometheus text format. */
void
switchcmd_metrics(struct reply *r, int argc, char **argv)
{
	struct miner	*m;
	struct sw	*s;
	unsigned long	 sw[4] = { 0 }, ws[8] = { 0 };
	size_t		 i;
	int		 k;

	(void)argc;
	(void)argv;
	reply_line(r, "# HELP lotus_pilot_build_info Version of lotus-pilotd.");
	reply_line(r, "# TYPE lotus_pilot_build_info gauge");
	reply_line(r, "lotus_pilot_build_info{version=\"%s\"} 1",
	    PACKAGE_VERSION);
	reply_line(r, "# HELP lotus_pilot_miner_up Whether a miner answers.");
	reply_line(r, "# TYPE lotus_pilot_miner_up gauge");
	for (m = miner_first(); m != NULL; m = m->next)
		reply_line(r, "lotus_pilot_miner_up{miner=\"%s\"} %d", m->id,
		    m->state == MINER_UP);
	switchcmd_rpc_family(r, "calls_total", "RPC calls by method",
	    "counter", 0);
	switchcmd_rpc_family(r, "errors_total", "Failed RPC calls",
	    "counter", 1);
	switchcmd_rpc_family(r, "seconds_total", "Time in RPC calls",
	    "counter", 2);
	for (s = switch_first(); s != NULL; s = s->next) {
		sw[s->state]++;
		for (i = 0; i < s->nw; i++)
			ws[s->w[i].step]++;
	}
	reply_line(r, "# HELP lotus_pilot_switches Switches by state.");
	reply_line(r, "# TYPE lotus_pilot_switches gauge");
	for (k = 0; k < 4; k++)
		reply_line(r, "lotus_pilot_switches{state=\"%s\"} %lu",
		    switch_state_name((enum switch_state)k), sw[k]);
	reply_line(r, "# HELP lotus_pilot_workers Workers of switches by "
	    "step.");
	reply_line(r, "# TYPE lotus_pilot_workers gauge");
	for (k = 0; k < 8; k++)
		reply_line(r, "lotus_pilot_workers{step=\"%s\"} %lu",
		    switch_step_name((enum worker_step)k), ws[k]);
	reply_line(r, "# HELP lotus_pilot_commands_total Remote commands.");
	reply_line(r, "# TYPE lotus_pilot_commands_total counter");
	reply_line(r, "lotus_pilot_commands_total{result=\"run\"} %lu",
	    exec_stat(EXEC_STAT_RUN));
	reply_line(r, "lotus_pilot_commands_total{result=\"failed\"} %lu",
	    exec_stat(EXEC_STAT_FAILED));
	reply_line(r, "lotus_pilot_commands_total{result=\"timedout\"} %lu",
	    exec_stat(EXEC_STAT_TIMEDOUT));
}
