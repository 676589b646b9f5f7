/*
 * inventory.c: the ansible inventory, so that a worker's hostname is
 * known to name exactly one host before any command runs on it.  The
 * list comes from inventory_command (ansible-inventory --list), run in
 * the background now and then; nothing waits for it.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS	/* linear parse, however deep */
#include <jsmn.h>

#include <uv.h>

#include "pilot.h"
#include "exec.h"
#include "switch.h"

#define INVENTORY_EVERY		60000	/* refresh period, ms */
#define INVENTORY_OUTPUT_MAX	(32 * 1024 * 1024)	/* listing, bytes */

/* What the last listing said. */
struct inventory {
	char		**hosts;
	size_t		 nhosts;
	char		**addrs;	/* ansible_host of hosts[i], or NULL */
	size_t		 naddrs;
	char		**groups;
	size_t		 ngroups;
};

static uv_loop_t	*inventory_loop;
static uv_timer_t	 inventory_timer;
static struct inventory	*inventory_now;
static char		*inventory_error;	/* why there is no list */
static struct exec_job	*inventory_job;
static int		 inventory_running;

static size_t	 inventory_host(struct inventory *, const char *,
		    const jsmntok_t *);

/* Free a listing. */
static void
inventory_free(struct inventory *inv)
{
	size_t	 i;

	if (inv == NULL)
		return;
	for (i = 0; i < inv->nhosts; i++)
		free(inv->hosts[i]);
	for (i = 0; i < inv->naddrs; i++)
		free(inv->addrs[i]);
	free(inv->addrs);
	for (i = 0; i < inv->ngroups; i++)
		free(inv->groups[i]);
	free(inv->hosts);
	free(inv->groups);
	free(inv);
}

/* Add the string token T of TEXT to a list. */
static void
inventory_push(char ***list, size_t *n, const char *text, const jsmntok_t *t)
{
	if ((*n & (*n - 1)) == 0)	/* grow at powers of two */
		*list = xrealloc(*list, (*n ? *n * 2 : 1) * sizeof(char *));
	(*list)[(*n)++] = util_printf("%.*s", t->end - t->start,
	    text + t->start);
}

/* Index of the token after the value at I. */
static int
inventory_skip(const jsmntok_t *t, int i)
{
	int	 n = t[i].size, k;

	if (t[i].type == JSMN_OBJECT) {
		for (i++, k = 0; k < n; k++)
			i = inventory_skip(t, inventory_skip(t, i));
		return (i);
	}
	if (t[i].type == JSMN_ARRAY) {
		for (i++, k = 0; k < n; k++)
			i = inventory_skip(t, i);
		return (i);
	}
	return (i + 1);
}

/* Tell whether string token T of TEXT is S. */
static int
inventory_is(const char *text, const jsmntok_t *t, const char *s)
{
	return ((size_t)(t->end - t->start) == strlen(s) &&
	    memcmp(text + t->start, s, strlen(s)) == 0);
}

/* Take the hosts of one group object at I. */
static void
inventory_group(struct inventory *inv, const char *text, const jsmntok_t *t,
    int i)
{
	int	 k, j, a;

	if (t[i].type != JSMN_OBJECT)
		return;
	for (k = 0, j = i + 1; k < t[i].size; k++, j = inventory_skip(t,
	    j + 1)) {
		if (t[j + 1].type != JSMN_ARRAY)
			continue;
		if (inventory_is(text, &t[j], "hosts"))
			for (a = 0; a < t[j + 1].size; a++)
				inventory_host(inv, text, &t[j + 2 + a]);
		else if (inventory_is(text, &t[j], "children"))
			for (a = 0; a < t[j + 1].size; a++)
				inventory_push(&inv->groups, &inv->ngroups,
				    text, &t[j + 2 + a]);
	}
}

/* Add host T with no address yet; duplicates go at the end. */
static size_t
inventory_host(struct inventory *inv, const char *text, const jsmntok_t *t)
{
	inventory_push(&inv->hosts, &inv->nhosts, text, t);
	if (inv->naddrs == 0 || (inv->naddrs & (inv->naddrs - 1)) == 0)
		inv->addrs = xrealloc(inv->addrs, (inv->naddrs ?
		    inv->naddrs * 2 : 1) * sizeof(char *));
	inv->addrs[inv->naddrs++] = NULL;
	return (inv->nhosts - 1);
}

/* Order host/address pairs by host. */
static int
inventory_cmp_pair(const void *a, const void *b)
{
	const char *const	*x = a, *const *y = b;

	return (strcmp(x[0], y[0]));
}

/* Order strings. */
static int
inventory_cmp(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/* Sort the lists and drop duplicates, so lookups are binary searches. */
static void
inventory_finish(struct inventory *inv)
{
	char	**pairs;
	size_t	 i, k;

	pairs = xcalloc(inv->nhosts * 2 + 1, sizeof(char *));
	for (i = 0; i < inv->nhosts; i++) {
		pairs[2 * i] = inv->hosts[i];
		pairs[2 * i + 1] = inv->addrs[i];
	}
	qsort(pairs, inv->nhosts, 2 * sizeof(char *), inventory_cmp_pair);
	for (i = k = 0; i < inv->nhosts; i++) {
		if (k > 0 && strcmp(inv->hosts[k - 1], pairs[2 * i]) == 0) {
			if (inv->addrs[k - 1] == NULL) {
				inv->addrs[k - 1] = pairs[2 * i + 1];
				pairs[2 * i + 1] = NULL;
			}
			free(pairs[2 * i]);
			free(pairs[2 * i + 1]);
			continue;
		}
		inv->hosts[k] = pairs[2 * i];
		inv->addrs[k++] = pairs[2 * i + 1];
	}
	inv->nhosts = inv->naddrs = k;
	free(pairs);
	qsort(inv->groups, inv->ngroups, sizeof(char *), inventory_cmp);
	for (i = k = 0; i < inv->ngroups; i++) {
		if (k > 0 && strcmp(inv->groups[k - 1], inv->groups[i]) == 0) {
			free(inv->groups[i]);
			continue;
		}
		inv->groups[k++] = inv->groups[i];
	}
	inv->ngroups = k;
}

/* Tell whether S is in the sorted LIST. */
static int
inventory_has(char **list, size_t n, const char *s)
{
	return (bsearch(&s, list, n, sizeof(char *), inventory_cmp) != NULL);
}

/* Take host H of _meta.hostvars and its ansible_host, vars at H + 1. */
static void
inventory_hostvars(struct inventory *inv, const char *text,
    const jsmntok_t *t, int h)
{
	size_t	 n;
	int	 k, j, i = h + 1;

	n = inventory_host(inv, text, &t[h]);
	if (t[i].type != JSMN_OBJECT)
		return;
	for (k = 0, j = i + 1; k < t[i].size; k++, j = inventory_skip(t,
	    j + 1))
		if (inventory_is(text, &t[j], "ansible_host") &&
		    t[j + 1].type == JSMN_STRING)
			inv->addrs[n] = util_printf("%.*s",
			    t[j + 1].end - t[j + 1].start,
			    text + t[j + 1].start);
}

/* Take the hosts of _meta.hostvars at I. */
static void
inventory_meta(struct inventory *inv, const char *text, const jsmntok_t *t,
    int i)
{
	int	 k, j, h, m;

	if (t[i].type != JSMN_OBJECT)
		return;
	for (k = 0, j = i + 1; k < t[i].size; k++, j = inventory_skip(t,
	    j + 1)) {
		if (!inventory_is(text, &t[j], "hostvars") ||
		    t[j + 1].type != JSMN_OBJECT)
			continue;
		for (m = 0, h = j + 2; m < t[j + 1].size; m++,
		    h = inventory_skip(t, h + 1))
			inventory_hostvars(inv, text, t, h);
	}
}

/* Parse ansible-inventory --list output; NULL with WHY if it is not. */
static struct inventory *
inventory_parse(const char *text, size_t len, const char **why)
{
	struct inventory	*inv;
	jsmn_parser		 p;
	jsmntok_t		*t;
	int			 n, k, j;

	jsmn_init(&p);
	if ((n = jsmn_parse(&p, text, len, NULL, 0)) < 1) {
		*why = "output is not JSON";
		return (NULL);
	}
	t = xcalloc((size_t)n, sizeof(*t));
	jsmn_init(&p);
	jsmn_parse(&p, text, len, t, (unsigned int)n);
	if (t[0].type != JSMN_OBJECT) {
		free(t);
		*why = "output is not a JSON object";
		return (NULL);
	}
	inv = xcalloc(1, sizeof(*inv));
	for (k = 0, j = 1; k < t[0].size; k++, j = inventory_skip(t, j + 1)) {
		if (inventory_is(text, &t[j], "_meta")) {
			inventory_meta(inv, text, t, j + 1);
			continue;
		}
		inventory_push(&inv->groups, &inv->ngroups, text, &t[j]);
		inventory_group(inv, text, t, j + 1);
	}
	free(t);
	return (inv);
}

/* A listing being parsed on a worker thread. */
struct inventory_work {
	uv_work_t		 work;
	char			*cmd;		/* for messages */
	char			*out;		/* the command's output */
	struct inventory	*inv;
	const char		*why;
};

/* Keep the last failure and log it when it changes. */
static void
inventory_fail(const char *cmd, const char *why)
{
	if (inventory_error == NULL || strstr(inventory_error, why) == NULL)
		log_warnx("inventory: %s: %s", cmd, why);
	free(inventory_error);
	inventory_error = util_printf("%s: %s", cmd, why);
}

/* Parse a listing, off the loop: inventories can be large. */
static void
inventory_parse_work(uv_work_t *w)
{
	struct inventory_work	*iw = w->data;
	const char		*out = iw->out;

	/* ansible may print warnings before the JSON document. */
	if (strchr(out, '{') != NULL)
		out = strchr(out, '{');
	if ((iw->inv = inventory_parse(out, strlen(out), &iw->why)) != NULL)
		inventory_finish(iw->inv);
}

/* Back on the loop: take the new listing. */
static void
inventory_parse_after(uv_work_t *w, int status)
{
	struct inventory_work	*iw = w->data;
	struct inventory	*inv = iw->inv;

	if (!inventory_running || inv == NULL) {
		if (inventory_running)
			inventory_fail(iw->cmd, iw->why ? iw->why :
			    uv_strerror(status));
		inventory_free(inv);
	} else {
		if (inventory_now == NULL ||
		    inventory_now->nhosts != inv->nhosts)
			log_info("inventory: %zu hosts, %zu groups",
			    inv->nhosts, inv->ngroups);
		inventory_free(inventory_now);
		inventory_now = inv;
		free(inventory_error);
		inventory_error = NULL;
	}
	free(iw->cmd);
	free(iw->out);
	free(iw);
}

/* The listing command ended: parse its answer off the loop. */
static void
inventory_done(struct exec_job *j, void *arg)
{
	struct inventory_work	*iw;
	char			 how[128];

	(void)arg;
	inventory_job = NULL;
	if (!j->exited || j->exit_status != 0 || j->timed_out) {
		inventory_fail(j->argv[0], exec_describe(j, how, sizeof(how)));
		return;
	}
	if (j->truncated) {
		inventory_fail(j->argv[0], "output too large");
		return;
	}
	iw = xcalloc(1, sizeof(*iw));
	iw->cmd = xstrdup(j->argv[0]);
	iw->out = xstrdup(j->output.data ? j->output.data : "");
	iw->work.data = iw;
	if (uv_queue_work(inventory_loop, &iw->work, inventory_parse_work,
	    inventory_parse_after) != 0)
		fatalx("inventory: cannot queue the parse");
}

/* Tell whether the inventory check is switched off. */
static int
inventory_off(void)
{
	char	**argv = pd->conf->cmd_inventory;

	return (argv == NULL || argv[0] == NULL ||
	    strcmp(argv[0], "none") == 0);
}

/* List the inventory again, unless a listing runs. */
void
inventory_refresh(void)
{
	if (inventory_off() || inventory_job != NULL || !inventory_running)
		return;
	inventory_job = exec_run_max(pd->conf->cmd_inventory,
	    pd->conf->command_timeout, INVENTORY_OUTPUT_MAX, inventory_done,
	    NULL);
}

/* The refresh timer fired. */
static void
inventory_tick(uv_timer_t *t)
{
	(void)t;
	inventory_refresh();
}

/* Start listing the inventory now and every INVENTORY_EVERY ms. */
void
inventory_init(uv_loop_t *loop)
{
	inventory_loop = loop;
	inventory_running = 1;
	uv_timer_init(loop, &inventory_timer);
	uv_timer_start(&inventory_timer, inventory_tick, 0, INVENTORY_EVERY);
}

/* Stop listing and forget the inventory. */
void
inventory_shutdown(void)
{
	if (!inventory_running)
		return;
	inventory_running = 0;
	uv_timer_stop(&inventory_timer);
	uv_close((uv_handle_t *)&inventory_timer, NULL);
	if (inventory_job != NULL)
		exec_abandon(inventory_job);
	inventory_job = NULL;
	inventory_free(inventory_now);
	inventory_now = NULL;
	free(inventory_error);
	inventory_error = NULL;
}

/* Why HOST may not receive commands, or NULL if it is one known host. */
const char *
inventory_check(const char *host)
{
	if (inventory_off())
		return (NULL);
	if (inventory_now == NULL)
		return (inventory_error ? inventory_error :
		    "the inventory is not listed yet");
	if (inventory_has(inventory_now->groups, inventory_now->ngroups, host))
		return ("names an inventory group, not one host");
	if (inventory_has(inventory_now->hosts, inventory_now->nhosts, host))
		return (NULL);
	return ("not a host of the inventory");
}


/* The state of the inventory in a few words, for status. */
const char *
inventory_status(char *buf, size_t len)
{
	if (inventory_off())
		snprintf(buf, len, "off");
	else if (inventory_now != NULL)
		snprintf(buf, len, "%zu hosts, %zu groups",
		    inventory_now->nhosts, inventory_now->ngroups);
	else if (inventory_error != NULL)
		snprintf(buf, len, "failed: %s", inventory_error);
	else
		snprintf(buf, len, "listing");
	return (buf);
}

/* Tell whether the check can answer: listed, or switched off. */
int
inventory_ready(void)
{
	return (inventory_off() || inventory_now != NULL);
}

/* A copy of the hosts' addresses, for a worker thread. */
struct inventory_addrs {
	char		**hosts;
	char		**addrs;
	size_t		 n;
};

/* Copy the known ansible_host addresses. */
struct inventory_addrs *
inventory_addrs_copy(void)
{
	struct inventory_addrs	*a;
	size_t			 i;

	a = xcalloc(1, sizeof(*a));
	if (inventory_now == NULL)
		return (a);
	a->hosts = xcalloc(inventory_now->naddrs + 1, sizeof(char *));
	a->addrs = xcalloc(inventory_now->naddrs + 1, sizeof(char *));
	for (i = 0; i < inventory_now->naddrs; i++) {
		if (inventory_now->addrs[i] == NULL)
			continue;
		a->hosts[a->n] = xstrdup(inventory_now->hosts[i]);
		a->addrs[a->n++] = xstrdup(inventory_now->addrs[i]);
	}
	return (a);
}

/* The address of HOST in copy A, or NULL. */
const char *
inventory_addrs_find(const struct inventory_addrs *a, const char *host)
{
	size_t	 i;

	for (i = 0; a != NULL && i < a->n; i++)
		if (strcmp(a->hosts[i], host) == 0)
			return (a->addrs[i]);
	return (NULL);
}

/* Free a copy. */
void
inventory_addrs_free(struct inventory_addrs *a)
{
	size_t	 i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++) {
		free(a->hosts[i]);
		free(a->addrs[i]);
	}
	free(a->hosts);
	free(a->addrs);
	free(a);
}
