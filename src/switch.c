/*
 * switch.c: the switch engine.  Each worker of a switch walks its steps
 * (disable AP, wait for idle, start under the new miner, confirm, wait
 * for drain, stop the old worker, confirm), one step per round of the
 * miner the step depends on.  Every action is written to disk before it
 * runs, and every action is confirmed from a round that started after
 * the action ended; a command's exit status alone proves nothing.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "pilot.h"
#include "check.h"
#include "exec.h"
#include "miner.h"
#include "store.h"
#include "switch.h"

#define SWITCH_FILE	"switch.json"	/* in the state dir */

/* Names a worker and its switch across asynchronous callbacks. */
struct switch_ref {
	char			 sw[37];
	char			 w[37];
};

static uv_loop_t	*switch_loop;
static struct sw	*switch_list;
static struct sw	*switch_tail;		/* last of switch_list */

static void	 switch_eval(struct sw_worker *, struct miner *);
static void	 switch_action_run(struct sw_worker *);

/* Name of a switch state. */
const char *
switch_state_name(enum switch_state s)
{
	switch (s) {
	case SW_SWITCHING:	return ("switching");
	case SW_COMPLETE:	return ("complete");
	case SW_CANCELED:	return ("canceled");
	default:		return ("error");
	}
}

/* Name of a worker step. */
const char *
switch_step_name(enum worker_step s)
{
	switch (s) {
	case WS_PICKED:			return ("picked");
	case WS_DISABLEAP_CONFIRMING:	return ("disable-ap-confirming");
	case WS_SWITCH_WAITING:		return ("switch-waiting");
	case WS_SWITCH_CONFIRMING:	return ("switch-confirming");
	case WS_STOP_WAITING:		return ("stop-waiting");
	case WS_STOP_CONFIRMING:	return ("stop-confirming");
	case WS_COMPLETE:		return ("complete");
	default:			return ("error");
	}
}

/* First switch of the list. */
struct sw *
switch_first(void)
{
	return (switch_list);
}

/* Find a switch by id, or by a unique prefix of at least 4 chars. */
struct sw *
switch_find(const char *id)
{
	struct sw	*s, *found = NULL;
	size_t		 len = strlen(id);

	for (s = switch_list; s != NULL; s = s->next) {
		if (strcmp(s->id, id) == 0)
			return (s);
		if (len >= 4 && strncmp(s->id, id, len) == 0) {
			if (found != NULL)
				return (NULL);
			found = s;
		}
	}
	return (found);
}

/* Append S to the list. */
void
switch_add(struct sw *s)
{
	if (switch_tail == NULL)
		switch_list = s;
	else
		switch_tail->next = s;
	s->next = NULL;
	switch_tail = s;
}

/* Take S off the list and free it. */
void
switch_delete(struct sw *s)
{
	struct sw	**pp;

	for (pp = &switch_list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	if (switch_tail == s)
		for (switch_tail = switch_list; switch_tail != NULL &&
		    switch_tail->next != NULL; switch_tail = switch_tail->next)
			;
	switch_free(s);
}

/* Free a switch; a command still running is let go without callback. */
void
switch_free(struct sw *s)
{
	size_t	 i, k;

	for (i = 0; i < s->nw; i++) {
		struct sw_worker *w = &s->w[i];

		if (w->job != NULL)
			exec_abandon(w->job);
		free(w->hostname);
		free(w->error);
		free(w->output);
		free(w->waiting);
		for (k = 0; k < w->nknown; k++)
			free(w->known[k]);
		free(w->known);
	}
	for (i = 0; i < s->nreq_workers; i++)
		free(s->req_workers[i]);
	free(s->req_workers);
	free(s->w);
	free(s->error);
	free(s->from);
	free(s->to);
	free(s);
}

/* Find the worker a reference names, or NULL if it is gone. */
static struct sw_worker *
switch_deref(const struct switch_ref *ref)
{
	struct sw	*s;
	size_t		 i;

	for (s = switch_list; s != NULL; s = s->next) {
		if (strcmp(s->id, ref->sw) != 0)
			continue;
		for (i = 0; i < s->nw; i++)
			if (strcmp(s->w[i].id, ref->w) == 0)
				return (&s->w[i]);
	}
	return (NULL);
}

/* A reference to W for a callback. */
static struct switch_ref *
switch_ref(const struct sw_worker *w)
{
	struct switch_ref	*ref;

	ref = xcalloc(1, sizeof(*ref));
	memcpy(ref->sw, w->sw->id, sizeof(ref->sw));
	memcpy(ref->w, w->id, sizeof(ref->w));
	return (ref);
}

/* Write every switch to the state file; CB hears when it is on disk. */
void
switch_save(void (*cb)(int, const char *, void *), void *arg)
{
	char	*path, *text;
	size_t	 len;

	text = switchstate_text(&len);
	path = util_printf("%s/%s", pd->conf->state_dir, SWITCH_FILE);
	store_write(path, text, len, 0600, cb, arg);
	free(path);
}

/* Set a string field to formatted text. */
static void
switch_set(char **field, const char *fmt, ...)
{
	va_list	 ap;
	char	*s = NULL;

	if (fmt != NULL) {
		va_start(ap, fmt);
		if (vasprintf(&s, fmt, ap) == -1)
			fatal("switch_set");
		va_end(ap);
	}
	free(*field);
	*field = s;
}

/* Compute a switch's state from its workers. */
void
switch_update_state(struct sw *s)
{
	size_t	 i, done = 0, failed = 0;

	if (s->state != SW_SWITCHING)
		return;
	for (i = 0; i < s->nw; i++) {
		done += (s->w[i].step == WS_COMPLETE);
		failed += (s->w[i].step == WS_ERROR);
	}
	if (done + failed < s->nw)
		return;
	s->state = failed ? SW_ERROR : SW_COMPLETE;
	log_info("switch %s: %s (%zu of %zu workers moved)", s->id,
	    switch_state_name(s->state), done, s->nw);
}

/* Move W to step STEP: tries start again. */
static void
switch_step(struct sw_worker *w, enum worker_step step)
{
	log_info("switch %s: worker %s (%s): %s -> %s", w->sw->id,
	    w->hostname, w->id, switch_step_name(w->step),
	    switch_step_name(step));
	w->step = step;
	w->since = util_wall_ms();
	if (step != WS_ERROR) {
		/* A new step starts clean; an error keeps why. */
		w->tries = 0;
		w->unknown = 0;
		switch_set(&w->error, NULL);
	}
	switch_set(&w->waiting, NULL);
	switch_update_state(w->sw);
	switch_save(NULL, NULL);
}

/*
 * The outcome of W's last action was unknown (a timeout, a restart) and
 * the miners show no sign of it: go back to run it again.  Returns 0 if
 * W is not in a confirming step.
 */
static int
switch_revert(struct sw_worker *w)
{
	enum worker_step	 back;

	switch (w->step) {
	case WS_DISABLEAP_CONFIRMING:
		back = WS_PICKED;
		break;
	case WS_SWITCH_CONFIRMING:
		back = WS_SWITCH_WAITING;
		w->start_tried = 1;
		break;
	case WS_STOP_CONFIRMING:
		back = WS_STOP_WAITING;
		break;
	default:
		return (0);
	}
	log_warnx("switch %s: worker %s: no sign of the interrupted action; "
	    "it runs again", w->sw->id, w->hostname);
	w->unknown = 0;
	switch_step(w, back);
	return (1);
}

/* Count a failed try of W's step; after SWITCH_TRIES it is in error. */
static void
switch_fail(struct sw_worker *w, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("switch_fail");
	va_end(ap);
	w->tries++;
	log_warnx("switch %s: worker %s: %s: try %d of %d: %s", w->sw->id,
	    w->hostname, switch_step_name(w->step), w->tries, SWITCH_TRIES,
	    msg);
	free(w->error);
	w->error = msg;
	if (w->unknown && w->tries >= SWITCH_UNKNOWN_TRIES &&
	    switch_revert(w))
		return;
	if (w->tries >= SWITCH_TRIES) {
		w->failed_step = w->step;
		switch_step(w, WS_ERROR);
		return;
	}
	switch_save(NULL, NULL);
}

/* Note what W waits for now; no try is counted. */
static void
switch_wait(struct sw_worker *w, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("switch_wait");
	va_end(ap);
	if (w->waiting == NULL || strcmp(w->waiting, msg) != 0)
		log_debug("switch %s: worker %s waits: %s", w->sw->id,
		    w->hostname, msg);
	free(w->waiting);
	w->waiting = msg;
}

/* Find a worker of view V by hostname, not ID. */
static struct mview_worker *
switch_by_host(const struct mview *v, const char *host, const char *not_id)
{
	size_t	 i;

	for (i = 0; i < v->nw; i++)
		if (strcmp(v->w[i].hostname, host) == 0 &&
		    strcasecmp(v->w[i].id, not_id) != 0)
			return (&v->w[i]);
	return (NULL);
}

/*
 * Look the old worker W up in FROM's view.  Returns it when it can be
 * judged; NULL with *gone set when it is not listed at all; NULL after
 * noting a transient state (restarted, disabled, tasks unknown).
 */
static struct mview_worker *
switch_old(struct sw_worker *w, struct miner *from, int *gone)
{
	struct mview_worker	*vw, *other;

	*gone = 0;
	if ((vw = mview_find(from->view, w->id)) == NULL) {
		other = switch_by_host(from->view, w->hostname, w->id);
		if (other != NULL) {
			switch_wait(w, "worker restarted: %s runs as %s "
			    "under %s now", w->hostname, other->id, from->id);
			return (NULL);
		}
		*gone = 1;
		return (NULL);
	}
	if (!vw->enabled) {
		switch_wait(w, "%s lists the worker as disabled (it cannot "
		    "reach it)", from->id);
		return (NULL);
	}
	if (vw->tasks_null) {
		switch_wait(w, "%s got no task list from the worker (not "
		    "answering)", from->id);
		return (NULL);
	}
	return (vw);
}

/* Tell whether M's view started after W's last action ended. */
static int
switch_fresh(const struct sw_worker *w, const struct miner *m)
{
	return (m != NULL && m->view != NULL && m->view_wall > w->action_at);
}

/* Find the new worker of W under TO: its hostname, an id not known
 * before the start. */
static struct mview_worker *
switch_new_worker(const struct sw_worker *w, const struct miner *to)
{
	const struct mview	*v = to->view;
	size_t			 i, k;

	for (i = 0; i < v->nw; i++) {
		if (strcmp(v->w[i].hostname, w->hostname) != 0)
			continue;
		for (k = 0; k < w->nknown; k++)
			if (strcasecmp(w->known[k], v->w[i].id) == 0)
				break;
		if (k == w->nknown)
			return (&v->w[i]);
	}
	return (NULL);
}

/* The target confirms the start: note the new worker, go on. */
static void
switch_started(struct sw_worker *w, const struct mview_worker *nw,
    const char *to)
{
	snprintf(w->new_id, sizeof(w->new_id), "%s", nw->id);
	log_info("switch %s: worker %s runs under %s as %s", w->sw->id,
	    w->hostname, to, nw->id);
	w->start_tried = 0;
	switch_step(w, WS_STOP_WAITING);
}

/* Remember which worker ids TO has now, before a start. */
static void
switch_remember(struct sw_worker *w, const struct miner *to)
{
	size_t	 i;

	for (i = 0; i < w->nknown; i++)
		free(w->known[i]);
	free(w->known);
	w->nknown = to->view->nw;
	w->known = xcalloc(w->nknown + 1, sizeof(char *));
	for (i = 0; i < w->nknown; i++)
		w->known[i] = xstrdup(to->view->w[i].id);
}

/* Write W's action to disk, then run it. */
static void
switch_action_saved(int rv, const char *cause, void *arg)
{
	struct switch_ref	*ref = arg;
	struct sw_worker	*w;

	(void)cause;
	w = switch_deref(ref);
	free(ref);
	if (w == NULL || pd->stopping)
		return;
	if (w->sw->state != SW_SWITCHING) {
		/* Canceled meanwhile: the action does not run. */
		w->action = WA_NONE;
		switch_save(NULL, NULL);
		return;
	}
	if (rv != 0) {
		/* Not on disk: do not act; the next round tries again. */
		w->action = WA_NONE;
		return;
	}
	switch_action_run(w);
}

/* Begin action A of W: record it on disk first. */
static void
switch_action(struct sw_worker *w, enum worker_action a)
{
	w->action = a;
	w->copy_done = 0;
	if (a == WA_START)
		w->start_tried = 1;
	switch_set(&w->waiting, "%s command running",
	    a == WA_DISABLEAP ? "disable-AP" : a == WA_START ? "start" :
	    "stop");
	switch_save(switch_action_saved, switch_ref(w));
}

/* Step picked: disable AP first when asked. */
static void
switch_eval_picked(struct sw_worker *w, struct miner *from)
{
	if (!w->sw->disable_ap) {
		switch_step(w, WS_SWITCH_WAITING);
		return;
	}
	if (from == NULL || from->state != MINER_UP) {
		switch_wait(w, "miner %s unreachable", w->sw->from);
		return;
	}
	switch_action(w, WA_DISABLEAP);
}

/* Step disable-ap-confirming: WorkerStats must not list AP any more. */
static void
switch_eval_apconfirm(struct sw_worker *w, struct miner *from)
{
	struct mview_worker	*vw;
	int			 gone;

	if (!switch_fresh(w, from))
		return;
	if ((vw = switch_old(w, from, &gone)) == NULL) {
		if (gone)
			switch_fail(w, "worker %s is not listed by %s", w->id,
			    from->id);
		return;
	}
	if (vw->tasks & MV_TASKBIT(MV_AP)) {
		switch_fail(w, "%s still lists AP among the worker's tasks",
		    from->id);
		return;
	}
	switch_step(w, WS_SWITCH_WAITING);
}

/* Step switch-waiting: once idle, start the worker under the target. */
static void
switch_eval_waiting(struct sw_worker *w, struct miner *m,
    struct miner *from, struct miner *to)
{
	struct mview_worker	*vw, *nw;
	int			 gone;

	if (to == NULL || to->state != MINER_UP || to->view == NULL) {
		switch_wait(w, "miner %s unreachable", w->sw->to);
		return;
	}
	if (w->start_tried) {
		/* A start ran before: never run it again unchecked. */
		if (!switch_fresh(w, to))
			return;
		if ((nw = switch_new_worker(w, to)) != NULL) {
			switch_started(w, nw, to->id);
			return;
		}
	}
	if (m != from)
		return;		/* the rest is judged on rounds of "from" */
	if (!switch_fresh(w, from))
		return;
	if ((vw = switch_old(w, from, &gone)) == NULL) {
		if (gone)
			switch_fail(w, "worker %s is not listed by %s", w->id,
			    from->id);
		return;
	}
	if (!vw->can_switch) {
		switch_wait(w, "%s", vw->switch_why);
		return;
	}
	if (!to->script_ok) {
		/* Try to make it again; the step waits for it. */
		if (!to->script_busy)
			miner_script(to, NULL, NULL);
		switch_wait(w, "no start script for %s%s%s", to->id,
		    to->script_error ? ": " : " yet", to->script_error ?
		    to->script_error : "");
		return;
	}
	switch_remember(w, to);
	switch_action(w, WA_START);
}

/* Step switch-confirming: a new worker with that name under the target. */
static void
switch_eval_confirming(struct sw_worker *w, struct miner *to)
{
	struct mview_worker	*nw;

	if (!switch_fresh(w, to))
		return;
	if ((nw = switch_new_worker(w, to)) != NULL) {
		switch_started(w, nw, to->id);
		return;
	}
	switch_fail(w, "no new worker named %s under %s yet", w->hostname,
	    to->id);
}

/* Step stop-waiting: once drained, stop the old worker. */
static void
switch_eval_stopwait(struct sw_worker *w, struct miner *from)
{
	struct mview_worker	*vw;
	int			 gone;

	if (!switch_fresh(w, from))
		return;
	if ((vw = switch_old(w, from, &gone)) == NULL) {
		if (gone) {
			log_info("switch %s: worker %s (%s) left %s by "
			    "itself", w->sw->id, w->hostname, w->id,
			    from->id);
			switch_step(w, WS_COMPLETE);
		}
		return;
	}
	if (!vw->can_stop) {
		switch_wait(w, "%s", vw->stop_why);
		return;
	}
	switch_action(w, WA_STOP);
}

/* Step stop-confirming: the old worker must be gone from the source. */
static void
switch_eval_stopconfirm(struct sw_worker *w, struct miner *from)
{
	if (!switch_fresh(w, from))
		return;
	if (mview_find(from->view, w->id) != NULL) {
		switch_fail(w, "%s still lists the old worker %s", from->id,
		    w->id);
		return;
	}
	switch_step(w, WS_COMPLETE);
}

/* Take W one step further, if the round of M allows it. */
static void
switch_eval(struct sw_worker *w, struct miner *m)
{
	struct miner	*from = miner_find(w->sw->from);
	struct miner	*to = miner_find(w->sw->to);

	if (w->job != NULL || w->action != WA_NONE ||
	    w->sw->state != SW_SWITCHING || w->sw->unsaved)
		return;
	switch (w->step) {
	case WS_PICKED:
		switch_eval_picked(w, from);
		break;
	case WS_DISABLEAP_CONFIRMING:
		if (m == from)
			switch_eval_apconfirm(w, from);
		break;
	case WS_SWITCH_WAITING:
		if (m == from || (m == to && w->start_tried))
			switch_eval_waiting(w, m, from, to);
		break;
	case WS_SWITCH_CONFIRMING:
		if (m == to)
			switch_eval_confirming(w, to);
		break;
	case WS_STOP_WAITING:
		if (m == from)
			switch_eval_stopwait(w, from);
		break;
	case WS_STOP_CONFIRMING:
		if (m == from)
			switch_eval_stopconfirm(w, from);
		break;
	default:
		break;
	}
}

/* A round of miner M ended: move the workers that depend on it. */
static void
switch_on_round(struct miner *m, void *arg)
{
	struct sw	*s;
	size_t		 i;

	(void)arg;
	for (s = switch_list; s != NULL; s = s->next) {
		if (s->state != SW_SWITCHING)
			continue;
		if (miner_find(s->from) != m && miner_find(s->to) != m)
			continue;
		for (i = 0; i < s->nw; i++)
			switch_eval(&s->w[i], m);
	}
}

/* Start the workers of a new or resumed switch that need no round. */
void
switch_kick(struct sw *s)
{
	size_t	 i;

	for (i = 0; i < s->nw; i++)
		if (s->w[i].step == WS_PICKED)
			switch_eval(&s->w[i], NULL);
}

/* Values put into a command's placeholders. */
struct switch_vals {
	const char	*host;
	const char	*miner;
	char		*repo;
	char		*script;
};

/* Tell whether V may go into a command: a word no shell or ansible
 * argument parser can split or expand. */
static int
switch_safe(const char *v)
{
	return (*v != '\0' && *v != '-' &&
	    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._/+-~") == strlen(v));
}

/* Replace the placeholders of WORD; NULL when a value is unsafe. */
static char *
switch_fill(const char *word, const struct switch_vals *v, char **why)
{
	static const char *const names[] = { "{host}", "{miner}", "{repo}",
	    "{script}" };
	const char	*vals[4] = { v->host, v->miner, v->repo, v->script };
	struct buf	 b = { 0 };
	const char	*p = word;
	size_t		 i, n;

	while (*p != '\0') {
		for (i = 0; i < 4; i++)
			if (strncmp(p, names[i], strlen(names[i])) == 0)
				break;
		if (i == 4) {
			buf_add(&b, p++, 1);
			continue;
		}
		if (vals[i] == NULL || !switch_safe(vals[i])) {
			*why = util_printf("unsafe value for %s: \"%s\"",
			    names[i], vals[i] ? vals[i] : "");
			buf_free(&b);
			return (NULL);
		}
		buf_addstr(&b, vals[i]);
		n = strlen(names[i]);
		p += n;
	}
	if (b.data == NULL)
		buf_add(&b, "", 0);
	return (b.data);
}

/* Build the argv of TEMPLATE with V filled in; NULL and WHY if unsafe. */
static char **
switch_argv(char **tmpl, const struct switch_vals *v, char **why)
{
	char	**argv;
	size_t	 n, i;

	for (n = 0; tmpl[n] != NULL; n++)
		;
	argv = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++)
		if ((argv[i] = switch_fill(tmpl[i], v, why)) == NULL) {
			util_argv_free(argv);
			return (NULL);
		}
	return (argv);
}

/* The worker repo of MINER, from the configured pattern. */
static char *
switch_repo(const char *miner)
{
	struct buf	 b = { 0 };
	const char	*p = pd->conf->worker_repo, *q;

	while ((q = strstr(p, "{miner}")) != NULL) {
		buf_add(&b, p, (size_t)(q - p));
		buf_addstr(&b, miner);
		p = q + strlen("{miner}");
	}
	buf_addstr(&b, p);
	return (b.data);
}

static void	 switch_action_done(struct exec_job *, void *);

/* Run command TMPL for W with placeholders for MINER; -1 if refused. */
static int
switch_exec(struct sw_worker *w, char **tmpl, const char *miner)
{
	struct switch_vals	 v;
	char			**argv, *why = NULL;
	const char		*bad;

	memset(&v, 0, sizeof(v));
	if ((bad = check_worker_host(w->hostname)) != NULL) {
		switch_fail(w, "host \"%s\": %s", w->hostname, bad);
		return (-1);
	}
	if (!inventory_ready()) {
		/* Not listed yet: no try is lost on it. */
		switch_wait(w, "the inventory: %s", inventory_check(
		    w->hostname));
		return (-1);
	}
	if ((bad = inventory_check(w->hostname)) != NULL) {
		switch_fail(w, "host \"%s\": %s", w->hostname, bad);
		return (-1);
	}
	v.host = w->hostname;
	v.miner = miner;
	v.repo = switch_repo(miner);
	v.script = util_printf("%s/%s.sh", pd->conf->script_dir, miner);
	argv = switch_argv(tmpl, &v, &why);
	free(v.repo);
	free(v.script);
	if (argv == NULL) {
		switch_fail(w, "command refused: %s", why);
		free(why);
		return (-1);
	}
	w->job = exec_run(argv, pd->conf->command_timeout,
	    switch_action_done, switch_ref(w));
	util_argv_free(argv);
	return (0);
}

/* Run the command of W's recorded action. */
static void
switch_action_run(struct sw_worker *w)
{
	struct config	*c = pd->conf;
	int		 rv;

	switch (w->action) {
	case WA_DISABLEAP:
		rv = switch_exec(w, c->cmd_disable_ap, w->sw->from);
		break;
	case WA_START:
		rv = switch_exec(w, w->copy_done ? c->cmd_start :
		    c->cmd_copy_script, w->sw->to);
		break;
	case WA_STOP:
		rv = switch_exec(w, c->cmd_stop, w->sw->from);
		break;
	default:
		return;
	}
	if (rv == -1) {
		w->action = WA_NONE;
		switch_save(NULL, NULL);
	}
}

/* Keep a command's output and how it ended on W. */
static void
switch_keep_output(struct sw_worker *w, struct exec_job *j)
{
	char	 how[128], *cmd;

	exec_describe(j, how, sizeof(how));
	cmd = util_argv_join(j->argv);
	switch_set(&w->output, "$ %s\n%s%s[%s]", cmd, j->truncated ?
	    "[...]\n" : "", j->output.data ? j->output.data : "", how);
	log_info("switch %s: worker %s: %s: %s", w->sw->id, w->hostname,
	    cmd, how);
	free(cmd);
}

/* The last non-empty line of a command's output into BUF, or NULL. */
static const char *
switch_last_line(const struct exec_job *j, char *buf, size_t len)
{
	const char	*p, *end;

	buf[0] = '\0';
	if (j->output.data == NULL)
		return (NULL);
	end = j->output.data + j->output.len;
	while (end > j->output.data && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	for (p = end; p > j->output.data && p[-1] != '\n'; p--)
		;
	if (p == end)
		return (NULL);
	snprintf(buf, len, "%.*s", (int)(end - p), p);
	return (buf);
}

/* W's command ended; its outcome moves W only as far as it proves. */
static void
switch_action_done(struct exec_job *j, void *arg)
{
	struct switch_ref	*ref = arg;
	struct sw_worker	*w = switch_deref(ref);
	char			 how[128];
	int			 ok;

	free(ref);
	if (w == NULL)
		return;
	w->job = NULL;
	switch_keep_output(w, j);
	ok = j->exited && j->exit_status == 0 && !j->timed_out &&
	    !j->spawn_error && !j->term_signal;
	exec_describe(j, how, sizeof(how));
	if (ok && w->action == WA_START && !w->copy_done &&
	    w->sw->state == SW_SWITCHING) {
		w->copy_done = 1;
		switch_action_run(w);	/* copy done: now start */
		return;
	}
	if (ok && w->action == WA_START && !w->copy_done) {
		/* Canceled after the copy: the start never runs. */
		w->action = WA_NONE;
		switch_save(NULL, NULL);
		return;
	}
	w->action_at = util_wall_ms();
	if (!ok && w->action == WA_START && w->copy_done && j->timed_out) {
		/* Outcome unknown: the target decides first. */
		w->action = WA_NONE;
		switch_step(w, WS_SWITCH_CONFIRMING);
		w->unknown = 1;
		switch_set(&w->error, "start command %s: outcome unknown",
		    how);
		switch_save(NULL, NULL);
		return;
	}
	if (!ok) {
		enum worker_action a = w->action;
		char last[160];

		w->action = WA_NONE;
		switch_fail(w, "%s command failed: %s%s%s", a == WA_DISABLEAP ?
		    "disable-AP" : a == WA_START ? (w->copy_done ? "start" :
		    "copy-script") : "stop", how, switch_last_line(j, last,
		    sizeof(last)) ? ": " : "", last);
		return;
	}
	switch (w->action) {
	case WA_DISABLEAP:
		w->action = WA_NONE;
		switch_step(w, WS_DISABLEAP_CONFIRMING);
		break;
	case WA_START:
		w->action = WA_NONE;
		switch_step(w, WS_SWITCH_CONFIRMING);
		break;
	default:
		w->action = WA_NONE;
		switch_step(w, WS_STOP_CONFIRMING);
		break;
	}
}

/* Tell whether worker ID of miner FROM is in an unfinished switch. */
int
switch_worker_busy(const char *from, const char *id)
{
	struct sw	*s;
	size_t		 i;

	for (s = switch_list; s != NULL; s = s->next) {
		/* A change being written may yet be undone: busy. */
		if (s->state != SW_SWITCHING && s->state != SW_ERROR &&
		    !s->unsaved)
			continue;
		if (miner_find(s->from) != miner_find(from))
			continue;
		for (i = 0; i < s->nw; i++)
			if (strcasecmp(s->w[i].id, id) == 0 &&
			    s->w[i].step != WS_COMPLETE)
				return (1);
	}
	return (0);
}

/* Tell whether an unfinished switch uses miner ID. */
int
switch_miner_busy(const char *id)
{
	struct sw	*s;
	uint64_t	 a, b, c;

	if (miner_id_parse(id, &a) == -1)
		return (0);
	for (s = switch_list; s != NULL; s = s->next) {
		/* A canceled or failed switch may be resumed. */
		if (s->state == SW_COMPLETE)
			continue;
		if ((miner_id_parse(s->from, &b) == 0 && a == b) ||
		    (miner_id_parse(s->to, &c) == 0 && a == c))
			return (1);
	}
	return (0);
}

/* Set up the engine: hear every miner round. */
void
switch_init(uv_loop_t *loop)
{
	switch_loop = loop;
	miner_on_round(switch_on_round, NULL);
}

/* Free every switch; running commands were killed by exec_shutdown. */
void
switch_shutdown(void)
{
	struct sw	*s;

	while ((s = switch_list) != NULL) {
		switch_list = s->next;
		switch_free(s);
	}
	switch_tail = NULL;
}
