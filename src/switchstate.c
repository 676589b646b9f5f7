/*
 * switchstate.c: state/switch.json, read at start and written after
 * every change.  The layout is the Go lotus-pilot's (an object of
 * switches by id, integer states, its field names), so either tool can
 * read the other's file; our extra fields are ignored by the Go tool.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include "pilot.h"
#include "check.h"
#include "mview.h"
#include "switch.h"

#define SWITCHSTATE_MAX		(64 * 1024 * 1024)	/* file size cap */

/* The parsed file, while it is read. */
struct sst {
	const char	*text;
	jsmntok_t	*t;
	int		 n;
	const char	*path;
	char		*why;		/* first error */
};

/* Index of the token after the value at I. */
static int
sst_skip(const struct sst *p, int i)
{
	int	 n, k;

	switch (p->t[i].type) {
	case JSMN_OBJECT:
		n = p->t[i].size;
		for (i++, k = 0; k < n; k++)
			i = sst_skip(p, sst_skip(p, i));
		return (i);
	case JSMN_ARRAY:
		n = p->t[i].size;
		for (i++, k = 0; k < n; k++)
			i = sst_skip(p, i);
		return (i);
	default:
		return (i + 1);
	}
}

/* Value index of member KEY of the object at I, or -1. */
static int
sst_get(const struct sst *p, int i, const char *key)
{
	int	 n, k, j = i + 1;
	size_t	 len = strlen(key);

	if (p->t[i].type != JSMN_OBJECT)
		return (-1);
	n = p->t[i].size;
	for (k = 0; k < n; k++) {
		if ((size_t)(p->t[j].end - p->t[j].start) == len &&
		    memcmp(p->text + p->t[j].start, key, len) == 0)
			return (j + 1);
		j = sst_skip(p, j + 1);
	}
	return (-1);
}

/* Record the first error. */
static int
sst_bad(struct sst *p, const char *what, const char *key)
{
	if (p->why == NULL)
		p->why = util_printf("%s: %s", what, key);
	return (-1);
}

/* The string at I, unescaped and allocated, or NULL. */
static char *
sst_str(struct sst *p, int i)
{
	const char	*why;
	size_t		 len;
	char		*s;

	if (i < 0 || p->t[i].type != JSMN_STRING)
		return (NULL);
	len = (size_t)(p->t[i].end - p->t[i].start);
	s = xmalloc(len * 4 + 1);
	if (json_unescape(p->text + p->t[i].start, len, s, len * 4 + 1,
	    &why) == -1 || !util_utf8_valid(s, strlen(s))) {
		free(s);
		return (NULL);
	}
	return (s);
}

/* The integer at I into *V; -1 if it is not one. */
static int
sst_int(struct sst *p, int i, int64_t *v)
{
	char	 buf[32], *end;
	size_t	 len;

	if (i < 0 || p->t[i].type != JSMN_PRIMITIVE)
		return (-1);
	len = (size_t)(p->t[i].end - p->t[i].start);
	if (len == 0 || len >= sizeof(buf))
		return (-1);
	memcpy(buf, p->text + p->t[i].start, len);
	buf[len] = '\0';
	*v = strtoll(buf, &end, 10);
	return (*end == '\0' ? 0 : -1);
}

/* The boolean at I: 1, 0, or -1 if absent or not a boolean. */
static int
sst_bool(struct sst *p, int i)
{
	if (i < 0 || p->t[i].type != JSMN_PRIMITIVE)
		return (-1);
	if (p->text[p->t[i].start] == 't')
		return (1);
	if (p->text[p->t[i].start] == 'f')
		return (0);
	return (-1);
}

/* Copy a uuid string at I into OUT; -1 if it is not a uuid. */
static int
sst_uuid(struct sst *p, int i, char out[37])
{
	uint8_t	 u[16];

	if (i < 0 || p->t[i].type != JSMN_STRING ||
	    json_uuid_parse(p->text + p->t[i].start,
	    (size_t)(p->t[i].end - p->t[i].start), u) == -1)
		return (-1);
	json_uuid_format(u, out);
	return (0);
}

/* An optional integer member: absent keeps DEF. */
static int
sst_opt(struct sst *p, int obj, const char *key, int64_t def, int64_t *v)
{
	int	 i = sst_get(p, obj, key);

	*v = def;
	if (i < 0 || p->text[p->t[i].start] == 'n')
		return (0);
	return (sst_int(p, i, v));
}

/* Read the known worker ids of a start. */
static int
sst_known(struct sst *p, int i, struct sw_worker *w)
{
	int	 k, j;

	if (i < 0 || p->text[p->t[i].start] == 'n')
		return (0);
	if (p->t[i].type != JSMN_ARRAY)
		return (-1);
	w->known = xcalloc((size_t)p->t[i].size + 1, sizeof(char *));
	for (k = 0, j = i + 1; k < p->t[i].size; k++, j++) {
		if ((w->known[k] = sst_str(p, j)) == NULL)
			return (-1);
		w->nknown++;
	}
	return (0);
}

/* Read one worker of a switch from the object at I. */
static int
sst_worker(struct sst *p, int i, struct sw_worker *w)
{
	int64_t	 v;
	int	 j;

	if (p->t[i].type != JSMN_OBJECT)
		return (sst_bad(p, "worker", "not an object"));
	if (sst_uuid(p, sst_get(p, i, "workerID"), w->id) == -1)
		return (sst_bad(p, "worker", "no valid workerID"));
	if ((w->hostname = sst_str(p, sst_get(p, i, "hostname"))) == NULL ||
	    check_worker_host(w->hostname) != NULL)
		return (sst_bad(p, w->id, "missing or bad hostname"));
	if (sst_int(p, sst_get(p, i, "state"), &v) == -1 || v < 0 ||
	    v > WS_ERROR)
		return (sst_bad(p, w->id, "state is not 0 to 7"));
	w->step = (enum worker_step)v;
	if (sst_opt(p, i, "try", 0, &v) == -1 || v < 0)
		return (sst_bad(p, w->id, "bad try"));
	w->tries = (int)v;
	w->error = sst_str(p, sst_get(p, i, "errMsg"));
	if (w->error != NULL && *w->error == '\0') {
		free(w->error);
		w->error = NULL;
	}
	if (sst_opt(p, i, "failedState", w->step, &v) == -1 || v < 0 ||
	    v >= WS_COMPLETE)
		v = w->step == WS_ERROR ? WS_PICKED : w->step;
	w->failed_step = (enum worker_step)v;
	if (sst_opt(p, i, "since", 0, &v) == -1 ||
	    (w->since = (uint64_t)v, sst_opt(p, i, "actionAt", 0, &v)) == -1)
		return (sst_bad(p, w->id, "bad time"));
	w->action_at = (uint64_t)v;
	if (sst_opt(p, i, "action", 0, &v) == -1 || v < 0 || v > WA_STOP)
		return (sst_bad(p, w->id, "bad action"));
	w->action = (enum worker_action)v;
	w->start_tried = sst_bool(p, sst_get(p, i, "startTried")) == 1;
	w->unknown = sst_bool(p, sst_get(p, i, "unknownOutcome")) == 1;
	if ((j = sst_get(p, i, "newWorkerID")) >= 0 &&
	    p->t[j].end > p->t[j].start)
		sst_uuid(p, j, w->new_id);
	w->output = sst_str(p, sst_get(p, i, "output"));
	if (sst_known(p, sst_get(p, i, "known"), w) == -1)
		return (sst_bad(p, w->id, "bad known list"));
	return (0);
}

/* Read the request of a switch from the object at I. */
static int
sst_request(struct sst *p, int i, struct sw *s)
{
	int64_t	 v;
	uint64_t a, b;
	int	 j, k;

	if (i < 0 || p->t[i].type != JSMN_OBJECT)
		return (sst_bad(p, s->id, "no req object"));
	s->from = sst_str(p, sst_get(p, i, "from"));
	s->to = sst_str(p, sst_get(p, i, "to"));
	if (s->from == NULL || check_miner_id(s->from, &a) != NULL ||
	    s->to == NULL || check_miner_id(s->to, &a) != NULL)
		return (sst_bad(p, s->id, "bad req.from or req.to"));
	if (sst_opt(p, i, "count", 0, &v) == -1 || v < 0 || v > 100000)
		return (sst_bad(p, s->id, "bad req.count"));
	s->count = (int)v;
	if (check_miner_id(s->from, &a) == NULL &&
	    miner_id_parse(s->to, &b) == 0 && a == b)
		return (sst_bad(p, s->id, "req.from and req.to are one miner"));
	s->disable_ap = sst_bool(p, sst_get(p, i, "disableAP")) == 1;
	j = sst_get(p, i, "worker");
	if (j < 0 || p->text[p->t[j].start] == 'n')
		return (0);
	if (p->t[j].type != JSMN_ARRAY)
		return (sst_bad(p, s->id, "req.worker is not a list"));
	s->req_workers = xcalloc((size_t)p->t[j].size + 1, sizeof(char *));
	for (k = 0; k < p->t[j].size; k++) {
		if ((s->req_workers[k] = sst_str(p, j + 1 + k)) == NULL)
			return (sst_bad(p, s->id, "bad req.worker entry"));
		s->nreq_workers++;
	}
	return (0);
}

/* Read one switch from the object at I. */
static struct sw *
sst_switch(struct sst *p, int i)
{
	struct sw	*s;
	int64_t		 v;
	int		 j, k, n;

	s = xcalloc(1, sizeof(*s));
	if (p->t[i].type != JSMN_OBJECT ||
	    sst_uuid(p, sst_get(p, i, "id"), s->id) == -1) {
		sst_bad(p, "switch", "not an object with a valid id");
		goto bad;
	}
	if (sst_int(p, sst_get(p, i, "state"), &v) == -1 || v < 0 ||
	    v > SW_ERROR) {
		sst_bad(p, s->id, "state is not 0 to 3");
		goto bad;
	}
	s->state = (enum switch_state)v;
	s->error = sst_str(p, sst_get(p, i, "errMsg"));
	if (sst_request(p, sst_get(p, i, "req"), s) == -1 ||
	    sst_opt(p, i, "created", 0, &v) == -1)
		goto bad;
	s->created = (uint64_t)v;
	if ((j = sst_get(p, i, "worker")) < 0 || p->t[j].type != JSMN_OBJECT) {
		sst_bad(p, s->id, "no worker object");
		goto bad;
	}
	if ((n = p->t[j].size) == 0) {
		sst_bad(p, s->id, "a switch without workers");
		goto bad;
	}
	s->w = xcalloc((size_t)n + 1, sizeof(*s->w));
	for (k = 0, j++; k < n; k++, j = sst_skip(p, j + 1)) {
		s->w[k].sw = s;
		s->nw++;
		if (sst_worker(p, j + 1, &s->w[k]) == -1)
			goto bad;
	}
	return (s);
bad:
	switch_free(s);
	return (NULL);
}

/* Order switch ids. */
static int
sst_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Refuse a file that names one switch twice. */
static void
sst_dups(struct sst *p, struct sw *list)
{
	struct sw	*s;
	char		**ids;
	size_t		 n = 0, i;

	for (s = list; s != NULL; s = s->next)
		n++;
	ids = xcalloc(n + 1, sizeof(char *));
	for (n = 0, s = list; s != NULL; s = s->next)
		ids[n++] = s->id;
	qsort(ids, n, sizeof(char *), sst_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(ids[i - 1], ids[i]) == 0) {
			sst_bad(p, ids[i], "the switch is in the file twice");
			break;
		}
	free(ids);
}

/* A command was in flight when the daemon stopped: its outcome is
 * unknown, so the worker goes to the step that checks it. */
static void
sst_interrupted(struct sw_worker *w, uint64_t now)
{
	static const char *const names[] = { "", "disable-AP", "start",
	    "stop" };

	if (w->action == WA_NONE)
		return;
	log_warnx("switch %s: worker %s: %s command was running when the "
	    "daemon stopped; checking its outcome", w->sw->id, w->hostname,
	    names[w->action]);
	if (w->action == WA_DISABLEAP)
		w->step = WS_DISABLEAP_CONFIRMING;
	else if (w->action == WA_START)
		w->step = WS_SWITCH_CONFIRMING;
	else
		w->step = WS_STOP_CONFIRMING;
	w->action = WA_NONE;
	w->unknown = 1;
	w->action_at = now;
	w->since = now;
	w->tries = 0;
}

/*
 * Read the switches in PATH.  A missing file means none; anything that
 * is not a switch file stops the start with CAUSE and nothing is
 * written over it.
 */
int
switchstate_load(const char *path, char **cause)
{
	struct sst	 p;
	struct sw	*s, *list = NULL, **tail = &list;
	jsmn_parser	 jp;
	char		*text;
	size_t		 len, i;
	int		 n, k, j;

	memset(&p, 0, sizeof(p));
	if (access(path, F_OK) == -1 && errno == ENOENT)
		return (0);
	if ((text = util_read_file(path, SWITCHSTATE_MAX, &len, cause)) ==
	    NULL)
		return (-1);
	jsmn_init(&jp);
	n = jsmn_parse(&jp, text, len, NULL, 0);
	if (n < 1) {
		*cause = util_printf("%s: not valid JSON (%s)", path,
		    n == JSMN_ERROR_PART ? "truncated" : "syntax error");
		free(text);
		return (-1);
	}
	p.text = text;
	p.path = path;
	p.t = xcalloc((size_t)n, sizeof(jsmntok_t));
	jsmn_init(&jp);
	p.n = jsmn_parse(&jp, text, len, p.t, (unsigned int)n);
	if (p.t[0].type != JSMN_OBJECT)
		sst_bad(&p, "top level", "not an object of switches");
	for (k = 0, j = 1; p.why == NULL && k < p.t[0].size; k++,
	    j = sst_skip(&p, j + 1)) {
		if ((s = sst_switch(&p, j + 1)) == NULL)
			break;
		for (i = 0; i < s->nw; i++)
			sst_interrupted(&s->w[i], util_wall_ms());
		*tail = s;
		tail = &s->next;
	}
	free(p.t);
	free(text);
	if (p.why == NULL)
		sst_dups(&p, list);
	if (p.why != NULL) {
		*cause = util_printf("%s: %s", path, p.why);
		free(p.why);
		while ((s = list) != NULL) {
			list = s->next;
			switch_free(s);
		}
		return (-1);
	}
	while ((s = list) != NULL) {
		list = s->next;
		switch_add(s);
	}
	return (0);
}

/* Write worker W as a JSON member. */
static void
sst_write_worker(struct buf *b, const struct sw_worker *w)
{
	size_t	 k;

	buf_json_str(b, w->id);
	buf_addstr(b, ":{\"workerID\":");
	buf_json_str(b, w->id);
	buf_addstr(b, ",\"hostname\":");
	buf_json_str(b, w->hostname);
	buf_printf(b, ",\"state\":%d,\"errMsg\":", (int)w->step);
	buf_json_str(b, w->error ? w->error : "");
	buf_printf(b, ",\"try\":%d,\"failedState\":%d,\"since\":%llu,"
	    "\"actionAt\":%llu,\"action\":%d,\"startTried\":%s,"
	    "\"unknownOutcome\":%s,\"newWorkerID\":", w->tries,
	    (int)w->failed_step, (unsigned long long)w->since,
	    (unsigned long long)w->action_at, (int)w->action,
	    w->start_tried ? "true" : "false", w->unknown ? "true" : "false");
	buf_json_str(b, w->new_id);
	buf_addstr(b, ",\"output\":");
	buf_json_str(b, w->output);
	buf_addstr(b, ",\"known\":[");
	for (k = 0; k < w->nknown; k++) {
		if (k > 0)
			buf_addstr(b, ",");
		buf_json_str(b, w->known[k]);
	}
	buf_addstr(b, "]}");
}

/* Write switch S as a JSON member. */
static void
sst_write_switch(struct buf *b, const struct sw *s)
{
	size_t	 i;

	buf_json_str(b, s->id);
	buf_addstr(b, ":{\"id\":");
	buf_json_str(b, s->id);
	/* A cancel being written is what the file says. */
	buf_printf(b, ",\"state\":%d,\"errMsg\":",
	    (int)(s->canceling ? SW_CANCELED : s->state));
	buf_json_str(b, s->error ? s->error : "");
	buf_addstr(b, ",\"req\":{\"from\":");
	buf_json_str(b, s->from);
	buf_addstr(b, ",\"to\":");
	buf_json_str(b, s->to);
	buf_printf(b, ",\"count\":%d,\"worker\":", s->count);
	if (s->nreq_workers == 0)
		buf_addstr(b, "null");
	for (i = 0; i < s->nreq_workers; i++) {
		buf_addstr(b, i ? "," : "[");
		buf_json_str(b, s->req_workers[i]);
	}
	buf_printf(b, "%s,\"disableAP\":%s},\"worker\":{", s->nreq_workers ?
	    "]" : "", s->disable_ap ? "true" : "false");
	for (i = 0; i < s->nw; i++) {
		if (i > 0)
			buf_addstr(b, ",");
		sst_write_worker(b, &s->w[i]);
	}
	buf_printf(b, "},\"created\":%llu}", (unsigned long long)s->created);
}

/* Every switch as the text of switch.json. */
char *
switchstate_text(size_t *len)
{
	struct buf	 b = { 0 };
	struct sw	*s;

	buf_addstr(&b, "{");
	for (s = switch_first(); s != NULL; s = s->next) {
		if (s->removing)
			continue;
		if (b.len > 1)
			buf_addstr(&b, ",\n");
		sst_write_switch(&b, s);
	}
	buf_addstr(&b, "}\n");
	*len = b.len;
	return (b.data);
}
