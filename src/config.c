/*
 * config.c: the configuration file, read with inih, and the file of
 * miners added at run time, <state_dir>/miners.conf.
 *
 * inih cuts long lines silently, tells no line numbers and says nothing
 * of a section with no keys, so our reader hands it one checked line at
 * a time, counts lines and reads the section headers itself.
 */

#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pilot.h"
#include "check.h"

#ifndef PILOT_SOCKET
#define PILOT_SOCKET	"/run/lotus-pilot/pilot.sock"
#endif
#ifndef PILOT_STATEDIR
#define PILOT_STATEDIR	"/var/lib/lotus-pilot"
#endif

#define CONFIG_FILE_MAX	(1024 * 1024)	/* largest file, bytes */
#define CONFIG_LINE_MAX	8192		/* longest line, bytes */
#define CONFIG_RUNTIME	"miners.conf"	/* in state_dir */
#define PARALLEL_MAX	1000		/* most commands at once */
#define SPACE		" \t\r\n\v\f"

/* The defaults: the worker repo and ansible commands of the Go tool. */
#define DEFAULT_REPO	"/media/nvme/{miner}/.lotusworker"
#define DEFAULT_DISABLE_AP "ansible {host} -m shell -a " \
	"\"lotus-worker --worker-repo={repo} tasks disable AP\""
#define DEFAULT_COPY_SCRIPT "ansible {host} -m copy -a " \
	"\"src={script} dest=/root/{miner}.sh mode=0700\""
#define DEFAULT_START	"ansible {host} -m shell -a \"bash /root/{miner}.sh\""
#define DEFAULT_INVENTORY "ansible-inventory --list"
#define DEFAULT_STOP	"ansible {host} -m shell -a " \
	"\"lotus-worker --worker-repo={repo} stop\""

enum section {
	SECTION_NONE,
	SECTION_PILOT,
	SECTION_MINER
};

struct parse;
struct key;
typedef int	 key_set(struct parse *, const struct key *, const char *);
typedef const char *key_check(const char *);

/* One key: its section, how its value is set and where it goes. */
struct key {
	const char	*name;
	enum section	 section;
	key_set		*set;
	size_t		 off;		/* in struct config or miner_conf */
	key_check	*check;		/* for config_set_string */
	int		 runtime;	/* allowed in miners.conf */
};

static key_set	 config_set_duration, config_set_parallel, config_set_string;
static key_set	 config_set_group, config_set_network, config_set_command;
static key_set	 config_set_token_file;
static key_check config_check_path, config_check_socket, config_check_repo;
static key_check config_check_token;

#define P(n, set, f, check) \
	{ n, SECTION_PILOT, set, offsetof(struct config, f), check, 0 }
#define M(n, set, f, check, rt) \
	{ n, SECTION_MINER, set, offsetof(struct miner_conf, f), check, rt }
static const struct key keys[] = {
	P("poll_interval", config_set_duration, poll_interval, NULL),
	P("cache_timeout", config_set_duration, cache_timeout, NULL),
	P("command_timeout", config_set_duration, command_timeout, NULL),
	P("rpc_timeout", config_set_duration, rpc_timeout, NULL),
	P("parallel", config_set_parallel, parallel, NULL),
	P("socket", config_set_string, socket_path, config_check_socket),
	P("socket_group", config_set_group, socket_group, NULL),
	P("admin_group", config_set_group, admin_group, NULL),
	P("state_dir", config_set_string, state_dir, config_check_path),
	P("template_dir", config_set_string, template_dir, config_check_path),
	P("script_dir", config_set_string, script_dir, config_check_path),
	P("worker_repo", config_set_string, worker_repo, config_check_repo),
	P("network", config_set_network, network, NULL),
	P("disable_ap_command", config_set_command, cmd_disable_ap, NULL),
	P("copy_script_command", config_set_command, cmd_copy_script, NULL),
	P("start_command", config_set_command, cmd_start, NULL),
	P("stop_command", config_set_command, cmd_stop, NULL),
	P("inventory_command", config_set_command, cmd_inventory, NULL),
	M("address", config_set_string, address, check_address, 1),
	M("token", config_set_string, token, config_check_token, 1),
	M("token_file", config_set_token_file, token_file, NULL, 0)
};
#undef P
#undef M
#define NKEYS		(sizeof(keys) / sizeof(keys[0]))

/* One file being parsed. */
struct parse {
	const char		*file;		/* for messages */
	const char		*buf;		/* the whole file */
	size_t			 len;
	size_t			 off;		/* start of the next line */
	int			 lineno;	/* of the line last read */
	int			 runtime;	/* this is miners.conf */
	struct config		*conf;
	enum section		 section;
	char			 secname[64];	/* "pilot", "miner f01000" */
	int			 secline;	/* line of its header */
	int			 pilotline;	/* line of [pilot], or 0 */
	int			 seen[NKEYS];	/* line of each key, or 0 */
	struct miner_conf	*miner;		/* of the current section */
	struct miner_conf	**first;	/* first miner of this file */
	struct miner_conf	**tail;		/* where the next one goes */
	char			*cause;		/* the first error */
};

static int	 config_parse(struct config *, const char *, int, char **);
static void	 config_ini_setup(void);
static char	*config_reader(char *, int, void *);
static int	 config_section(struct parse *, const char *);
static int	 config_miner(struct parse *, const char *, size_t);
static int	 config_section_end(struct parse *);
static int	 config_handler(void *, const char *, const char *,
		    const char *);
static int	 config_key(struct parse *, const char *, const char *);
static int	 config_error(struct parse *, int, const char *, ...)
		    __attribute__((__format__(printf, 3, 4)));
static int	 config_bad(struct parse *, const struct key *, const char *,
		    const char *, ...)
		    __attribute__((__format__(printf, 4, 5)));
static void	*config_field(struct parse *, const struct key *);
static const char *config_placeholder(const char *);
static void	 config_defaults(struct config *);
static void	 config_print_opt(FILE *, const char *, const char *);
static void	 config_print_argv(FILE *, const char *, char **);

/* Read the configuration file path into a new struct config. */
int
config_load(const char *path, struct config **out, char **cause)
{
	struct config	*conf;

	conf = xcalloc(1, sizeof(*conf));
	conf->path = xstrdup(path);
	conf->poll_interval = 60 * 1000;
	conf->cache_timeout = 30 * 1000;
	conf->command_timeout = 30 * 1000;
	conf->rpc_timeout = 30 * 1000;
	conf->parallel = 10;
	conf->network = 'f';
	if (config_parse(conf, path, 0, cause) == -1) {
		config_free(conf);
		return (-1);
	}
	config_defaults(conf);
	*out = conf;
	return (0);
}

/* Fill in the strings the file left out. */
static void
config_defaults(struct config *conf)
{
	char	*cause;

	if (conf->socket_path == NULL)
		conf->socket_path = xstrdup(PILOT_SOCKET);
	if (conf->state_dir == NULL)
		conf->state_dir = xstrdup(PILOT_STATEDIR);
	if (conf->script_dir == NULL)
		conf->script_dir = util_printf("%s/scripts", conf->state_dir);
	if (conf->worker_repo == NULL)
		conf->worker_repo = xstrdup(DEFAULT_REPO);
	/* Constants: they split without fail. */
	if (conf->cmd_disable_ap == NULL)
		conf->cmd_disable_ap = util_argv_split(DEFAULT_DISABLE_AP,
		    &cause);
	if (conf->cmd_copy_script == NULL)
		conf->cmd_copy_script = util_argv_split(DEFAULT_COPY_SCRIPT,
		    &cause);
	if (conf->cmd_start == NULL)
		conf->cmd_start = util_argv_split(DEFAULT_START, &cause);
	if (conf->cmd_stop == NULL)
		conf->cmd_stop = util_argv_split(DEFAULT_STOP, &cause);
	if (conf->cmd_inventory == NULL)
		conf->cmd_inventory = util_argv_split(DEFAULT_INVENTORY,
		    &cause);
}

/* Add the miners of <state_dir>/miners.conf; a missing file is none. */
int
config_load_runtime(struct config *conf, char **cause)
{
	struct stat	 sb;
	char		*path;
	int		 rv = 0;

	path = util_printf("%s/%s", conf->state_dir, CONFIG_RUNTIME);
	if (stat(path, &sb) == 0 || errno != ENOENT)
		rv = config_parse(conf, path, 1, cause);
	free(path);
	return (rv);
}

/* The runtime miners of CONF as the text of miners.conf. */
char *
config_runtime_text(const struct config *conf, size_t *len)
{
	struct miner_conf	*m;
	FILE			*fp;
	char			*buf;

	if ((fp = open_memstream(&buf, len)) == NULL)
		fatal("%s", __func__);
	fprintf(fp, "# lotus-pilotd writes this file: the miners added "
	    "through its control\n# socket.  Do not edit it while the "
	    "daemon runs.\n");
	for (m = conf->miners; m != NULL; m = m->next) {
		if (m->runtime)
			fprintf(fp, "\n[miner %s]\naddress = %s\ntoken = %s\n",
			    m->id, m->address, m->token);
	}
	if (fclose(fp) != 0)
		fatal("%s", __func__);
	return (buf);
}

/* Write the runtime miners to STATE/miners.conf, atomically. */
int
config_save_runtime(const struct config *conf, char **cause)
{
	char	*buf, *path;
	size_t	 len;
	int	 rv;

	buf = config_runtime_text(conf, &len);
	path = util_printf("%s/%s", conf->state_dir, CONFIG_RUNTIME);
	rv = util_write_atomic(path, buf, len, 0600, cause);
	explicit_bzero(buf, len);
	free(buf);
	free(path);
	return (rv);
}

/* Parse one file into conf; on error its miners are taken out again. */
static int
config_parse(struct config *conf, const char *path, int runtime,
    char **cause)
{
	struct parse	 p;
	char		*buf;
	size_t		 len;
	int		 rv;

	if ((buf = util_read_file(path, CONFIG_FILE_MAX, &len, cause)) == NULL)
		return (-1);
	memset(&p, 0, sizeof(p));
	p.file = path;
	p.buf = buf;
	p.len = len;
	p.runtime = runtime;
	p.conf = conf;
	for (p.first = &conf->miners; *p.first != NULL;
	    p.first = &(*p.first)->next)
		;
	p.tail = p.first;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		p.off = 3;		/* a UTF-8 byte order mark */

	config_ini_setup();
	rv = ini_parse_stream(config_reader, &p, config_handler, &p);
	if (rv == -2)
		fatalx("%s: out of memory", __func__);
	if (rv > 0)
		config_error(&p, rv, "syntax error");
	config_section_end(&p);
	explicit_bzero(buf, len);
	free(buf);
	if (p.cause != NULL) {
		config_free_miners(*p.first);
		*p.first = NULL;
		*cause = p.cause;
		return (-1);
	}
	return (0);
}

/*
 * Set the run-time knobs of Debian's inih: comments are whole lines only,
 * since a command may hold ';' or '#'; no continuation lines; a heap line
 * buffer one line long, which our reader checks against.
 */
static void
config_ini_setup(void)
{
	ini_allow_inline_comments = 0;
	ini_allow_multiline = 0;
	ini_allow_no_value = 0;
	ini_allow_bom = 0;
	ini_stop_on_first_error = 1;
	ini_use_stack = 0;
	ini_allow_realloc = 0;
	ini_initial_alloc = ini_max_line = CONFIG_LINE_MAX + 2;
}

/* Hand inih the next line, checked; NULL ends the parse. */
static char *
config_reader(char *str, int num, void *arg)
{
	struct parse	*p = arg;
	const char	*line, *nl, *s;
	size_t		 len;

	if (p->cause != NULL || p->off >= p->len)
		return (NULL);
	line = p->buf + p->off;
	nl = memchr(line, '\n', p->len - p->off);
	len = nl != NULL ? (size_t)(nl - line) : p->len - p->off;
	p->off += len + 1;
	p->lineno++;
	if (len > CONFIG_LINE_MAX || len + 2 > (size_t)num) {
		config_error(p, p->lineno, "line longer than %d bytes",
		    CONFIG_LINE_MAX);
		return (NULL);
	}
	if (memchr(line, '\0', len) != NULL || !util_utf8_valid(line, len)) {
		config_error(p, p->lineno, "line is not UTF-8 text");
		return (NULL);
	}
	memcpy(str, line, len);
	memcpy(str + len, "\n", 2);

	s = str + strspn(str, SPACE);
	if (*s == '[') {
		if (config_section(p, s) == -1)
			return (NULL);
	} else if (*s != '\0' && *s != '#' && *s != ';' &&
	    s[strcspn(s, "=:")] != '=') {
		config_error(p, p->lineno, "expected \"name = value\"");
		return (NULL);
	}
	return (str);
}

/* Begin the section whose header is line: [pilot] or [miner ID]. */
static int
config_section(struct parse *p, const char *line)
{
	const char	*name, *end, *id;
	size_t		 len;

	if (config_section_end(p) == -1)
		return (-1);
	memset(p->seen, 0, sizeof(p->seen));
	p->secline = p->lineno;
	p->miner = NULL;
	if ((end = strchr(line, ']')) == NULL)
		return (config_error(p, p->lineno, "unterminated section "
		    "header"));
	if (end[1 + strspn(end + 1, SPACE)] != '\0')
		return (config_error(p, p->lineno, "text after section "
		    "header"));
	name = line + 1 + strspn(line + 1, " \t");
	for (len = end - name; len > 0 &&
	    (name[len - 1] == ' ' || name[len - 1] == '\t'); len--)
		;
	if (len == 5 && strncmp(name, "pilot", 5) == 0 && !p->runtime) {
		if (p->pilotline != 0)
			return (config_error(p, p->lineno, "duplicate section "
			    "[pilot] (first at %s:%d)", p->file, p->pilotline));
		p->pilotline = p->lineno;
		p->section = SECTION_PILOT;
		strcpy(p->secname, "pilot");
		return (0);
	}
	if (len > 6 && strncmp(name, "miner", 5) == 0 &&
	    (name[5] == ' ' || name[5] == '\t')) {
		id = name + 5 + strspn(name + 5, " \t");
		return (config_miner(p, id, name + len - id));
	}
	return (config_error(p, p->lineno, "unknown section [%.*s]",
	    (int)len, name));
}

/* Begin a [miner ID] section, refusing a second one for an actor. */
static int
config_miner(struct parse *p, const char *id, size_t len)
{
	struct miner_conf	*m;
	const char		*why;
	char			*s;
	uint64_t		 actor;

	s = xmalloc(len + 1);
	memcpy(s, id, len);
	s[len] = '\0';
	if ((why = check_miner_id(s, &actor)) != NULL) {
		config_error(p, p->lineno, "bad miner id \"%s\": %s", s, why);
		free(s);
		return (-1);
	}
	if ((m = config_find_miner(p->conf, s)) != NULL) {
		if (strcmp(m->id, s) == 0)
			config_error(p, p->lineno, "duplicate miner %s (first "
			    "at %s)", s, m->origin);
		else
			config_error(p, p->lineno, "duplicate miner %s (same "
			    "actor as %s at %s)", s, m->id, m->origin);
		free(s);
		return (-1);
	}
	m = xcalloc(1, sizeof(*m));
	m->id = s;
	m->actor = actor;
	m->origin = util_printf("%s:%d", p->file, p->lineno);
	m->runtime = p->runtime;
	*p->tail = m;
	p->tail = &m->next;
	p->miner = m;
	p->section = SECTION_MINER;
	snprintf(p->secname, sizeof(p->secname), "miner %s", s);
	return (0);
}

/* Check that the miner section just ended has an address and a token. */
static int
config_section_end(struct parse *p)
{
	struct miner_conf	*m = p->miner;

	if (p->cause != NULL)
		return (-1);
	if (m == NULL)
		return (0);
	if (m->address == NULL)
		return (config_error(p, p->secline, "no address in [%s]",
		    p->secname));
	if (m->token == NULL)
		return (config_error(p, p->secline, "no token%s in [%s]",
		    p->runtime ? "" : " or token_file", p->secname));
	return (0);
}

/* Take one name = value pair from inih; 0 stops the parse. */
static int
config_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	(void)section;		/* ours, from the reader, is exact */
	return (config_key(arg, name, value) == 0);
}

/* Check and set one key of the current section. */
static int
config_key(struct parse *p, const char *name, const char *value)
{
	const struct key	*k;
	size_t			 i;

	if (p->section == SECTION_NONE)
		return (config_error(p, p->lineno, "key \"%s\" outside any "
		    "section", name));
	for (i = 0; i < NKEYS; i++) {
		k = &keys[i];
		if (k->section == p->section && strcmp(k->name, name) == 0 &&
		    (k->runtime || !p->runtime))
			break;
	}
	if (i == NKEYS)
		return (config_error(p, p->lineno, "unknown key \"%s\" in [%s]",
		    name, p->secname));
	if (p->seen[i] != 0)
		return (config_error(p, p->lineno, "duplicate key \"%s\" in "
		    "[%s] (first at %s:%d)", name, p->secname, p->file,
		    p->seen[i]));
	p->seen[i] = p->lineno;
	if (p->miner != NULL && p->miner->token != NULL &&
	    strncmp(name, "token", 5) == 0)
		return (config_error(p, p->lineno, "both token and token_file "
		    "in [%s]", p->secname));
	if (*value == '\0')
		return (config_bad(p, k, value, "empty value"));
	return (k->set(p, k, value));
}

/* Record the first error, "FILE:LINE: message", and return -1. */
static int
config_error(struct parse *p, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	int	 n;

	if (p->cause != NULL)
		return (-1);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	msg = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	p->cause = util_printf("%s:%d: %s", p->file, line, msg);
	free(msg);
	return (-1);
}

/* Report a bad value of key k, quoted unless it may hold a token. */
static int
config_bad(struct parse *p, const struct key *k, const char *value,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 why[128];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* A token, or a pasted "TOKEN:..." API info as address. */
	if (k->check == config_check_token || (k->check == check_address &&
	    (strchr(value, '/') != NULL || strlen(value) > 64)))
		return (config_error(p, p->lineno, "bad %s: %s", k->name,
		    why));
	return (config_error(p, p->lineno, "bad %s \"%s\": %s", k->name,
	    value, why));
}

/* The field of key k in the config or the current miner. */
static void *
config_field(struct parse *p, const struct key *k)
{
	if (k->section == SECTION_MINER)
		return ((char *)p->miner + k->off);
	return ((char *)p->conf + k->off);
}

/* Set a string that k->check accepts. */
static int
config_set_string(struct parse *p, const struct key *k, const char *v)
{
	const char	*why;
	char		**field = config_field(p, k);

	if ((why = k->check(v)) != NULL)
		return (config_bad(p, k, v, "%s", why));
	*field = xstrdup(v);
	return (0);
}

/* Set a duration such as 30s or 1h30m. */
static int
config_set_duration(struct parse *p, const struct key *k, const char *v)
{
	const char	*why;

	if ((why = check_duration(v, config_field(p, k))) != NULL)
		return (config_bad(p, k, v, "%s", why));
	return (0);
}

/* Set parallel, a number of commands at once from 1 to PARALLEL_MAX. */
static int
config_set_parallel(struct parse *p, const struct key *k, const char *v)
{
	const char	*s = v + (*v == '-');
	int		 n = 0;

	if (*s == '\0' || s[strspn(s, "0123456789")] != '\0')
		return (config_bad(p, k, v, "not a number"));
	for (; *s != '\0' && n <= PARALLEL_MAX; s++)
		n = n * 10 + (*s - '0');
	if (*v == '-' || n < 1 || n > PARALLEL_MAX)
		return (config_bad(p, k, v, "must be from 1 to %d",
		    PARALLEL_MAX));
	*(int *)config_field(p, k) = n;
	return (0);
}

/* Set a group by name or number and resolve it now. */
static int
config_set_group(struct parse *p, const struct key *k, const char *v)
{
	struct group	*gr;
	unsigned long	 n;
	gid_t		 gid;

	if (v[strspn(v, "0123456789")] == '\0') {
		errno = 0;
		n = strtoul(v, NULL, 10);
		gid = (gid_t)n;
		if (errno != 0 || n != gid || gid == (gid_t)-1)
			return (config_bad(p, k, v, "group id too large"));
	} else if ((gr = getgrnam(v)) != NULL)
		gid = gr->gr_gid;
	else
		return (config_bad(p, k, v, "unknown group"));
	*(char **)config_field(p, k) = xstrdup(v);
	if (strcmp(k->name, "socket_group") == 0)
		p->conf->socket_gid = gid;
	else
		p->conf->admin_gid = gid;
	return (0);
}

/* Set the network: f (mainnet) or t (testnet). */
static int
config_set_network(struct parse *p, const struct key *k, const char *v)
{
	if (strcmp(v, "f") != 0 && strcmp(v, "t") != 0)
		return (config_bad(p, k, v, "must be f or t"));
	*(char *)config_field(p, k) = *v;
	return (0);
}

/* Set a command for worker hosts, split into words now. */
static int
config_set_command(struct parse *p, const struct key *k, const char *v)
{
	char		**argv, *why;
	const char	 *bad = NULL;
	int		  i;

	if ((argv = util_argv_split(v, &why)) == NULL) {
		config_bad(p, k, v, "%s", why);
		free(why);
		return (-1);
	}
	for (i = 0; argv[i] != NULL && bad == NULL; i++)
		bad = config_placeholder(argv[i]);
	if (argv[0] == NULL || *argv[0] == '\0')
		config_bad(p, k, v, "empty command");
	else if (bad != NULL)
		config_bad(p, k, v, "unknown placeholder %.*s",
		    (int)strcspn(bad, "}") + 1, bad);
	else {
		*(char ***)config_field(p, k) = argv;
		return (0);
	}
	util_argv_free(argv);
	return (-1);
}

/* Find a {name} in s other than {host} {miner} {repo} {script}. */
static const char *
config_placeholder(const char *s)
{
	const char	*known = "{host}{miner}{repo}{script}", *k;
	size_t		 n;

	for (; (s = strchr(s, '{')) != NULL; s++) {
		n = strspn(s + 1, "abcdefghijklmnopqrstuvwxyz_");
		if (n == 0 || s[n + 1] != '}')
			continue;
		for (k = known; *k != '\0'; k += strcspn(k, "}") + 1) {
			if (strncmp(k, s, n + 2) == 0)
				break;
		}
		if (*k == '\0')
			return (s);
	}
	return (NULL);
}

/* Read a miner's token from the one line of a file. */
static int
config_set_token_file(struct parse *p, const struct key *k, const char *v)
{
	const char	*why, *prefix = "";
	char		*buf, *cause;
	size_t		 len;

	if ((why = config_check_path(v)) != NULL)
		return (config_bad(p, k, v, "%s", why));
	buf = util_read_file(v, CHECK_TOKEN_MAX + 2, &len, &cause);
	if (buf == NULL) {
		config_error(p, p->lineno, "token_file: %s", cause);
		free(cause);
		return (-1);
	}
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (memchr(buf, '\n', len) != NULL)
		why = "more than one line";
	else if (len == 0)
		why = "empty";
	else if ((why = check_token(buf, len)) == NULL) {
		p->miner->token = buf;
		p->miner->token_file = xstrdup(v);
		return (0);
	} else
		prefix = "token ";
	explicit_bzero(buf, len);
	free(buf);
	return (config_bad(p, k, v, "%s%s", prefix, why));
}

/* Check a path: it must be absolute. */
static const char *
config_check_path(const char *v)
{
	return (*v == '/' ? NULL : "not an absolute path");
}

/* Check the socket path: absolute, and short enough for sun_path. */
static const char *
config_check_socket(const char *v)
{
	struct sockaddr_un	 sun;

	if (strlen(v) >= sizeof(sun.sun_path))
		return ("longer than 107 bytes");
	return (config_check_path(v));
}

/* Check worker_repo: it lands in commands, so few bytes pass. */
static const char *
config_check_repo(const char *v)
{
	const char	*s;

	if (strstr(v, "{miner}") == NULL)
		return ("must contain {miner}");
	if (*v != '/' && *v != '~')
		return ("not an absolute path");
	for (s = v; *s != '\0'; s++) {
		if (strncmp(s, "{miner}", 7) == 0)
			s += 6;
		else if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/~+-", *s) == NULL)
			return ("may hold only letters, digits, . _ / ~ + - "
			    "and {miner}");
	}
	return (NULL);
}

/* Check a token. */
static const char *
config_check_token(const char *v)
{
	return (check_token(v, strlen(v)));
}

/* Find a miner by id; f01000 and t01000 name the same one. */
struct miner_conf *
config_find_miner(const struct config *conf, const char *id)
{
	struct miner_conf	*m;
	uint64_t		 actor;

	if (miner_id_parse(id, &actor) == -1)
		return (NULL);
	for (m = conf->miners; m != NULL && m->actor != actor; m = m->next)
		;
	return (m);
}

/* Print the configuration in a form that loads into the same. */
void
config_print(const struct config *conf, FILE *fp)
{
	struct miner_conf	*m;
	char			 b[4][32];

	fprintf(fp, "# lotus-pilotd configuration, defaults filled in.  "
	    "\"token = (hidden)\"\n# stands for a token not shown: put it "
	    "back before loading this.\n[pilot]\n");
	fprintf(fp, "poll_interval = %s\ncache_timeout = %s\n"
	    "command_timeout = %s\nrpc_timeout = %s\n",
	    duration_format(conf->poll_interval, b[0], sizeof(b[0])),
	    duration_format(conf->cache_timeout, b[1], sizeof(b[1])),
	    duration_format(conf->command_timeout, b[2], sizeof(b[2])),
	    duration_format(conf->rpc_timeout, b[3], sizeof(b[3])));
	fprintf(fp, "parallel = %d\nsocket = %s\n", conf->parallel,
	    conf->socket_path);
	config_print_opt(fp, "socket_group", conf->socket_group);
	config_print_opt(fp, "admin_group", conf->admin_group);
	fprintf(fp, "state_dir = %s\n", conf->state_dir);
	config_print_opt(fp, "template_dir", conf->template_dir);
	fprintf(fp, "script_dir = %s\nworker_repo = %s\nnetwork = %c\n",
	    conf->script_dir, conf->worker_repo, conf->network);
	config_print_argv(fp, "disable_ap_command", conf->cmd_disable_ap);
	config_print_argv(fp, "copy_script_command", conf->cmd_copy_script);
	config_print_argv(fp, "start_command", conf->cmd_start);
	config_print_argv(fp, "stop_command", conf->cmd_stop);
	config_print_argv(fp, "inventory_command", conf->cmd_inventory);
	for (m = conf->miners; m != NULL; m = m->next) {
		fprintf(fp, "\n%s[miner %s]\naddress = %s\n",
		    m->runtime ? "# added at run time\n" : "", m->id,
		    m->address);
		if (m->token_file != NULL)
			fprintf(fp, "token_file = %s\n", m->token_file);
		else
			fprintf(fp, "token = (hidden)\n");
	}
}

/* Print a key that may be unset. */
static void
config_print_opt(FILE *fp, const char *key, const char *value)
{
	if (value != NULL)
		fprintf(fp, "%s = %s\n", key, value);
	else
		fprintf(fp, "# %s is not set\n", key);
}

/* Print a command, quoted so that it splits into the same words. */
static void
config_print_argv(FILE *fp, const char *key, char **argv)
{
	char	*line;

	line = util_argv_join(argv);
	fprintf(fp, "%s = %s\n", key, line);
	free(line);
}

/* Free a list of miners, wiping their tokens. */
void
config_free_miners(struct miner_conf *m)
{
	struct miner_conf	*next;

	for (; m != NULL; m = next) {
		next = m->next;
		if (m->token != NULL)
			explicit_bzero(m->token, strlen(m->token));
		free(m->token);
		free(m->token_file);
		free(m->id);
		free(m->address);
		free(m->origin);
		free(m);
	}
}

/* Free a configuration and everything in it. */
void
config_free(struct config *conf)
{
	if (conf == NULL)
		return;
	free(conf->path);
	free(conf->socket_path);
	free(conf->socket_group);
	free(conf->admin_group);
	free(conf->state_dir);
	free(conf->template_dir);
	free(conf->script_dir);
	free(conf->worker_repo);
	util_argv_free(conf->cmd_disable_ap);
	util_argv_free(conf->cmd_copy_script);
	util_argv_free(conf->cmd_start);
	util_argv_free(conf->cmd_stop);
	util_argv_free(conf->cmd_inventory);
	config_free_miners(conf->miners);
	free(conf);
}
