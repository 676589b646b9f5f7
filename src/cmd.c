/*
 * cmd.c: the table of control commands, its dispatcher, and the
 * commands that belong to the daemon itself.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <uv.h>

#include "pilot.h"
#include "miner.h"
#include "switch.h"

#define CMD_ARGS_MAX	32		/* words in one request */

#define CMD_MUTATES	0x01		/* changes state: admins only */
#define CMD_JSON	0x02		/* has a JSON form */

/* One control command. */
struct cmd {
	const char	*name;		/* command words */
	const char	*usage;		/* its arguments */
	int		 minargs;
	int		 maxargs;
	int		 flags;
	void		(*fn)(struct reply *, int, char **);
	const char	*help;		/* one line */
};

static void	 cmd_help(struct reply *, int, char **);
static void	 cmd_quit(struct reply *, int, char **);
static void	 cmd_status(struct reply *, int, char **);
static void	 cmd_version(struct reply *, int, char **);

static const struct cmd cmd_table[] = {
	{ "help", "[COMMAND ...]", 0, 3, CMD_JSON, cmd_help,
	    "list the commands, or explain one" },
	{ "metrics", "", 0, 0, 0, switchcmd_metrics,
	    "print metrics in the Prometheus text format" },
	{ "miner add", "ID ADDR TOKEN", 3, 3, CMD_MUTATES, minercmd_add,
	    "add a miner at ADDR (host:port) with an admin TOKEN" },
	{ "miner list", "", 0, 0, CMD_JSON, minercmd_list,
	    "list the miners with their state" },
	{ "miner remove", "ID", 1, 1, CMD_MUTATES, minercmd_remove,
	    "remove a miner added at run time" },
	{ "miner worker", "ID|all", 1, 1, CMD_JSON, minercmd_worker,
	    "show the workers of a miner, or a count per miner" },
	{ "quit", "", 0, 0, 0, cmd_quit,
	    "close this connection" },
	{ "script create", "ID|all", 1, 1, CMD_MUTATES, minercmd_script,
	    "write the worker start script of a miner, or of all" },
	{ "status", "", 0, 0, CMD_JSON, cmd_status,
	    "show the daemon's state" },
	{ "switch cancel", "ID", 1, 1, CMD_MUTATES, switchcmd_cancel,
	    "stop a switch after the steps running now" },
	{ "switch get", "ID", 1, 1, CMD_JSON, switchcmd_get,
	    "show a switch and each of its workers" },
	{ "switch list", "", 0, 0, CMD_JSON, switchcmd_list,
	    "list the switches" },
	{ "switch new", "FROM TO [count N|all] [worker ID[,ID...]] "
	    "[disable-ap] [dry-run]", 2, 8, CMD_MUTATES, switchcmd_new,
	    "move workers from miner FROM to miner TO" },
	{ "switch remove", "ID", 1, 1, CMD_MUTATES, switchcmd_remove,
	    "forget a finished or canceled switch" },
	{ "switch resume", "ID", 1, 1, CMD_MUTATES, switchcmd_resume,
	    "retry the failed workers of a switch" },
	{ "version", "", 0, 0, CMD_JSON, cmd_version,
	    "show the versions of the daemon and its libraries" },
};
#define CMD_COUNT	(sizeof(cmd_table) / sizeof(cmd_table[0]))

/* Stable names of the reply codes. */
const char *
reply_name(int code)
{
	switch (code) {
	case RC_OK:		return ("ok");
	case RC_GREETING:	return ("greeting");
	case RC_USAGE:		return ("bad-usage");
	case RC_UNKNOWN:	return ("unknown-command");
	case RC_DENIED:		return ("denied");
	case RC_NOTFOUND:	return ("not-found");
	case RC_CONFLICT:	return ("conflict");
	case RC_TOOLONG:	return ("line-too-long");
	case RC_ENCODING:	return ("bad-encoding");
	case RC_MINERDOWN:	return ("unavailable");
	default:		return ("internal");
	}
}

/* Replace control characters (text from miners) by '?'. */
static void
cmd_clean(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* Add one data line to a reply. */
void
reply_line(struct reply *r, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("reply_line");
	va_end(ap);
	/* A data line never holds a control character: framing. */
	cmd_clean(s);
	buf_printf(&r->lines, "%s\n", s);
	free(s);
}

/* End a reply with an error CODE and a message. */
void
reply_error(struct reply *r, enum reply_code code, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("reply_error");
	va_end(ap);
	cmd_clean(s);
	buf_reset(&r->lines);
	free(r->message);
	r->code = code;
	r->message = util_printf("%s: %s", reply_name(code), s);
	free(s);
}

/*
 * Answer R later: the handler keeps the returned reply, fills it when
 * the answer is known (a miner responded) and passes it to
 * reply_finish.  The connection reads no further request meanwhile.
 */
struct reply *
reply_defer(struct reply *r)
{
	struct reply	*d;

	d = xcalloc(1, sizeof(*d));
	d->code = RC_OK;
	d->json = r->json;
	d->conn = r->conn;
	d->lines = r->lines;		/* lines so far go with it */
	memset(&r->lines, 0, sizeof(r->lines));
	r->deferred = 1;
	control_defer(d);
	return (d);
}

/* Send a deferred reply (if its client is still there) and free it. */
void
reply_finish(struct reply *d)
{
	log_debug("control: deferred reply: %d", d->code);
	control_finish(d);
	buf_free(&d->lines);
	free(d->message);
	free(d);
}

/* Tell whether the peer may run mutating commands. */
int
cmd_is_admin(const struct peer *p)
{
	const struct config	*conf = pd->conf;
	int			 i;

	if (p->uid == 0 || p->uid == geteuid())
		return (1);
	if (conf->admin_group == NULL)
		return (0);
	if (p->gid == conf->admin_gid)
		return (1);
	for (i = 0; i < p->ngroups; i++)
		if (p->groups[i] == conf->admin_gid)
			return (1);
	return (0);
}

/* Count the words of NAME. */
static int
cmd_words(const char *name)
{
	int	 n = 1;

	for (; *name != '\0'; name++)
		n += (*name == ' ');
	return (n);
}

/* Tell whether the first words of ARGV spell NAME. */
static int
cmd_matches(const char *name, int argc, char **argv)
{
	size_t	 len;
	int	 i, n = cmd_words(name);

	if (argc < n)
		return (0);
	for (i = 0; i < n; i++) {
		len = strcspn(name, " ");
		if (strlen(argv[i]) != len || strncmp(name, argv[i], len))
			return (0);
		name += len + (name[len] == ' ');
	}
	return (1);
}

/* Find the command ARGV names, or NULL. */
static const struct cmd *
cmd_find(int argc, char **argv)
{
	size_t	 i;

	for (i = 0; i < CMD_COUNT; i++)
		if (cmd_matches(cmd_table[i].name, argc, argv))
			return (&cmd_table[i]);
	return (NULL);
}

/* Answer an unknown command, listing what may follow its first word. */
static void
cmd_unknown(struct reply *r, int argc, char **argv)
{
	struct buf	 subs = { 0 };
	size_t		 i, len = strlen(argv[0]);

	for (i = 0; i < CMD_COUNT; i++) {
		if (strncmp(cmd_table[i].name, argv[0], len) != 0 ||
		    cmd_table[i].name[len] != ' ')
			continue;
		buf_printf(&subs, "%s%s", subs.len ? ", " : "",
		    cmd_table[i].name + len + 1);
	}
	if (subs.len > 0 && argc > 1)
		reply_error(r, RC_UNKNOWN, "no command \"%s %s\"; \"%s\" "
		    "takes: %s", argv[0], argv[1], argv[0], subs.data);
	else if (subs.len > 0)
		reply_error(r, RC_UNKNOWN, "\"%s\" needs one of: %s",
		    argv[0], subs.data);
	else
		reply_error(r, RC_UNKNOWN, "no command \"%s\" (try \"help\")",
		    argv[0]);
	buf_free(&subs);
}

/* Split LINE into words at spaces and tabs; LINE is changed. */
static int
cmd_split(char *line, char **argv, int max)
{
	char	*w;
	int	 argc = 0;

	while ((w = strsep(&line, " \t")) != NULL) {
		if (*w == '\0')
			continue;
		if (argc == max)
			return (-1);
		argv[argc++] = w;
	}
	return (argc);
}

/* Run one request line on behalf of PEER. */
void
cmd_dispatch(const char *line, const struct peer *peer, struct reply *r)
{
	const struct cmd	*c;
	char			*copy, *argv[CMD_ARGS_MAX];
	int			 argc, nargs, json = 0;

	copy = xstrdup(line);
	if ((argc = cmd_split(copy, argv, CMD_ARGS_MAX)) == -1) {
		reply_error(r, RC_USAGE, "more than %d words", CMD_ARGS_MAX);
		goto out;
	}
	if (argc > 0 && strcmp(argv[0], "json") == 0) {
		json = 1;
		argc--;
		memmove(argv, argv + 1, argc * sizeof(*argv));
	}
	if (argc == 0) {
		reply_error(r, RC_USAGE, "json needs a command");
		goto out;
	}
	if ((c = cmd_find(argc, argv)) == NULL) {
		cmd_unknown(r, argc, argv);
		goto out;
	}
	nargs = argc - cmd_words(c->name);
	if (json && !(c->flags & CMD_JSON))
		reply_error(r, RC_USAGE, "%s has no JSON form", c->name);
	else if ((c->flags & CMD_MUTATES) && !cmd_is_admin(peer))
		reply_error(r, RC_DENIED, "%s changes state and uid %u is "
		    "not an admin", c->name, (unsigned)peer->uid);
	else if (nargs < c->minargs || nargs > c->maxargs)
		reply_error(r, RC_USAGE, "usage: %s%s%s", c->name,
		    *c->usage ? " " : "", c->usage);
	else {
		r->json = json;
		c->fn(r, nargs, argv + argc - nargs);
	}
	if ((c->flags & CMD_MUTATES) && r->deferred)
		log_info("control: uid %u: %s: answer follows",
		    (unsigned)peer->uid, c->name);
	else if (c->flags & CMD_MUTATES)
		log_info("control: uid %u: %s: %d", (unsigned)peer->uid,
		    c->name, r->code);
out:
	free(copy);
}

/* Tell whether command NAME falls under the words of QUERY. */
static int
cmd_under(const char *name, const char *query)
{
	size_t	 len = strlen(query);

	return (strncmp(name, query, len) == 0 &&
	    (name[len] == '\0' || name[len] == ' '));
}

/* Describe command C as one JSON object. */
static void
cmd_help_json(struct buf *j, const struct cmd *c)
{
	buf_addstr(j, j->len ? "," : "[");
	buf_addstr(j, "{\"command\":");
	buf_json_str(j, c->name);
	buf_addstr(j, ",\"usage\":");
	buf_json_str(j, c->usage);
	buf_printf(j, ",\"mutates\":%s,\"json\":%s,\"help\":",
	    (c->flags & CMD_MUTATES) ? "true" : "false",
	    (c->flags & CMD_JSON) ? "true" : "false");
	buf_json_str(j, c->help);
	buf_addstr(j, "}");
}

/* help [COMMAND]: the command list, from the dispatch table. */
static void
cmd_help(struct reply *r, int argc, char **argv)
{
	const struct cmd	*c;
	struct buf		 j = { 0 }, q = { 0 };
	size_t			 i, n = 0;
	int			 k;

	for (k = 0; k < argc; k++)
		buf_printf(&q, "%s%s", k ? " " : "", argv[k]);
	for (i = 0; i < CMD_COUNT; i++) {
		c = &cmd_table[i];
		if (argc > 0 && !cmd_under(c->name, q.data))
			continue;
		n++;
		if (r->json)
			cmd_help_json(&j, c);
		else
			reply_line(r, "%s%s%s%s  -- %s", c->name,
			    *c->usage ? " " : "", c->usage,
			    (c->flags & CMD_MUTATES) ? " (admin)" : "",
			    c->help);
	}
	if (argc > 0 && n == 0)
		reply_error(r, RC_NOTFOUND, "no command \"%s\"", q.data);
	else if (r->json)
		reply_line(r, "%s]", j.len ? j.data : "[");
	buf_free(&j);
	buf_free(&q);
}

/* quit: end the connection after the reply. */
static void
cmd_quit(struct reply *r, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	r->quit = 1;
	r->message = xstrdup("bye");
}

/* status: what the daemon is and how it runs. */
static void
cmd_status(struct reply *r, int argc, char **argv)
{
	struct miner		*m;
	struct buf		 j = { 0 };
	char			 up[32], inv[256];
	int			 nminers = 0, nup = 0;

	(void)argc;
	(void)argv;
	for (m = miner_first(); m != NULL; m = m->next) {
		nminers++;
		nup += (m->state == MINER_UP);
	}
	duration_format((uv_now(pd->loop) - pd->started) / 1000 * 1000,
	    up, sizeof(up));
	if (!r->json) {
		reply_line(r, "daemon lotus-pilotd %s", PACKAGE_VERSION);
		reply_line(r, "protocol %d", PILOT_PROTOCOL);
		reply_line(r, "pid %d", (int)getpid());
		reply_line(r, "uptime %s", up);
		reply_line(r, "config %s", pd->conf_path);
		reply_line(r, "socket %s", pd->socket_path);
		reply_line(r, "state-dir %s", pd->conf->state_dir);
		reply_line(r, "miners %d", nminers);
		reply_line(r, "miners-up %d", nup);
		reply_line(r, "inventory %s", inventory_status(inv,
		    sizeof(inv)));
		reply_line(r, "clients %d", control_clients());
		reply_line(r, "requests %lu", pd->requests);
		return;
	}
	buf_printf(&j, "{\"daemon\":\"lotus-pilotd\",\"version\":");
	buf_json_str(&j, PACKAGE_VERSION);
	buf_printf(&j, ",\"protocol\":%d,\"pid\":%d,\"uptime\":",
	    PILOT_PROTOCOL, (int)getpid());
	buf_json_str(&j, up);
	buf_addstr(&j, ",\"config\":");
	buf_json_str(&j, pd->conf_path);
	buf_addstr(&j, ",\"socket\":");
	buf_json_str(&j, pd->socket_path);
	buf_addstr(&j, ",\"state_dir\":");
	buf_json_str(&j, pd->conf->state_dir);
	buf_printf(&j, ",\"miners\":%d,\"miners_up\":%d,\"clients\":%d,"
	    "\"requests\":%lu,\"inventory\":", nminers, nup,
	    control_clients(), pd->requests);
	buf_json_str(&j, inventory_status(inv, sizeof(inv)));
	buf_addstr(&j, "}");
	reply_line(r, "%s", j.data);
	buf_free(&j);
}

/* version: the daemon, the protocol and the libraries. */
static void
cmd_version(struct reply *r, int argc, char **argv)
{
	curl_version_info_data	*cv = curl_version_info(CURLVERSION_NOW);

	(void)argc;
	(void)argv;
	if (r->json)
		reply_line(r, "{\"lotus-pilotd\":\"%s\",\"protocol\":%d,"
		    "\"libuv\":\"%s\",\"libcurl\":\"%s\"}", PACKAGE_VERSION,
		    PILOT_PROTOCOL, uv_version_string(), cv->version);
	else
		reply_line(r, "lotus-pilotd %s protocol %d libuv %s "
		    "libcurl %s", PACKAGE_VERSION, PILOT_PROTOCOL,
		    uv_version_string(), cv->version);
}
