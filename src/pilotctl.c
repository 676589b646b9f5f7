/*
 * pilotctl: send one command to lotus-pilotd and print its reply.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION	"unknown"
#endif
#ifndef PILOT_SOCKET
#define PILOT_SOCKET	"/run/lotus-pilot/pilot.sock"
#endif

#define CTL_PROTOCOL	1		/* protocol we speak */
#define CTL_REQUEST_MAX	4096		/* longest request, bytes */
#define CTL_REPLY_MAX	(64 << 20)	/* longest reply line, bytes */
#define CTL_SHOW_MAX	80		/* bytes quoted in errors */
#define CTL_TIMEOUT	10		/* default of -t, seconds */
#define CTL_TIMEOUT_MAX	86400		/* largest -t, seconds */

/* Exit statuses, as documented in pilotctl(1). */
#define EXIT_REFUSED	1		/* the daemon said no */
#define EXIT_USAGE	2		/* bad usage */
#define EXIT_CONNECT	3		/* no daemon, or no answer */
#define EXIT_PROTOCOL	4		/* the protocol was broken */

/* A connection to the daemon and its read buffer. */
struct conn {
	const char	*path;		/* socket path, for messages */
	int		 fd;
	int		 seconds;	/* how long to wait, 0 forever */
	char		*buf;
	size_t		 size;		/* bytes allocated */
	size_t		 len;		/* bytes held */
	size_t		 off;		/* start of the next line */
	size_t		 seen;		/* bytes after off without LF */
};

/* One reply line, split. */
struct line {
	int		 code;
	int		 last;		/* a space after the code */
	const char	*text;
};

static const struct option longopts[] = {
	{ "help",	no_argument,		NULL,	'h' },
	{ "json",	no_argument,		NULL,	'j' },
	{ "socket",	required_argument,	NULL,	's' },
	{ "timeout",	required_argument,	NULL,	't' },
	{ "version",	no_argument,		NULL,	'V' },
	{ NULL,		0,			NULL,	0 }
};

/* Print the usage line to f. */
static void
usage(FILE *f)
{
	fprintf(f, "usage: pilotctl [-hjV] [-s socket] [-t seconds] "
	    "command [argument ...]\n");
}

/* Quote received text for a message: printable ASCII, at most 80 bytes. */
static const char *
show(const char *s, size_t len)
{
	static char	 buf[CTL_SHOW_MAX + 4];
	size_t		 i, n;

	n = len > CTL_SHOW_MAX ? CTL_SHOW_MAX : len;
	for (i = 0; i < n; i++)
		buf[i] = s[i] >= ' ' && s[i] < 0x7f ? s[i] : '?';
	buf[n] = '\0';
	if (n < len)
		memcpy(buf + n, "...", 4);
	return (buf);
}

/* Report a reply that breaks the protocol; return the exit status. */
static int
proto_error(const char *what, const char *s, size_t len)
{
	warnx("protocol error: %s: \"%s\"", what, show(s, len));
	return (EXIT_PROTOCOL);
}

/* Read a miner token from one line of standard input, or NULL. */
static char *
read_token(void)
{
	char	*line = NULL;
	size_t	 size = 0;
	ssize_t	 n;

	if ((n = getline(&line, &size, stdin)) == -1) {
		if (ferror(stdin))
			warn("cannot read the token from standard input");
		else
			warnx("no token on standard input");
		free(line);
		return (NULL);
	}
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	return (line);
}

/*
 * Check the words and join them into one request line; return 0 or an
 * exit status.  A word is never quoted in a message: it may be a token.
 */
static int
build_request(int json, int argc, char **argv, char **reqp, size_t *lenp)
{
	char	*p;
	size_t	 len, n;
	int	 i;

	len = json ? 5 : 0;
	for (i = 0; i < argc; i++) {
		if (argv[i][0] == '\0') {
			warnx("argument %d is empty", i + 1);
			return (EXIT_USAGE);
		}
		for (p = argv[i]; *p != '\0'; p++)
			if (*p == ' ' || iscntrl((unsigned char)*p)) {
				warnx("argument %d contains whitespace or a "
				    "control character", i + 1);
				return (EXIT_USAGE);
			}
		len += p - argv[i] + 1;
	}
	if (len - 1 > CTL_REQUEST_MAX) {
		warnx("command too long: %zu bytes, at most %d", len - 1,
		    CTL_REQUEST_MAX);
		return (EXIT_USAGE);
	}
	if ((p = *reqp = malloc(len + 1)) == NULL) {
		warn(NULL);
		return (EXIT_REFUSED);
	}
	if (json) {
		memcpy(p, "json ", 5);
		p += 5;
	}
	for (i = 0; i < argc; i++) {
		n = strlen(argv[i]);
		memcpy(p, argv[i], n);
		p += n;
		*p++ = i + 1 < argc ? ' ' : '\n';
	}
	*p = '\0';
	*lenp = len;
	return (0);
}

/* Report that the daemon did not answer in time; return the status. */
static int
conn_timeout(struct conn *c)
{
	warnx("no answer from the daemon at %s within %d second%s", c->path,
	    c->seconds, c->seconds == 1 ? "" : "s");
	return (EXIT_CONNECT);
}

/* Connect to the daemon's socket; return 0 or an exit status. */
static int
conn_open(struct conn *c)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(c->path) >= sizeof(sun.sun_path)) {
		warnx("cannot connect to %s: %s", c->path,
		    strerror(ENAMETOOLONG));
		return (EXIT_CONNECT);
	}
	memcpy(sun.sun_path, c->path, strlen(c->path));

	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		warn("socket");
		return (EXIT_CONNECT);
	}

	/* With stdout closed, replies must not be printed into the socket. */
	if (c->fd <= STDERR_FILENO) {
		fd = fcntl(c->fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
		close(c->fd);
		if ((c->fd = fd) == -1) {
			warn("fcntl");
			return (EXIT_CONNECT);
		}
	}

	/* Bounds connect() on a full backlog, and every write. */
	tv.tv_sec = c->seconds;
	tv.tv_usec = 0;
	if (setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1) {
		warn("setsockopt");
		return (EXIT_CONNECT);
	}

	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			warnx("no daemon at %s", c->path);
		else if (errno == EAGAIN || errno == EINTR)
			return (conn_timeout(c));
		else
			warn("cannot connect to %s", c->path);
		return (EXIT_CONNECT);
	}
	return (0);
}

/* Send the whole request; return 0 or an exit status. */
static int
conn_send(struct conn *c, const char *req, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(c->fd, req, len)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return (conn_timeout(c));
			warn("cannot send to %s", c->path);
			return (EXIT_PROTOCOL);
		}
		req += n;
		len -= n;
	}
	return (0);
}

/* Make room for more bytes; return 0 or an exit status. */
static int
conn_grow(struct conn *c)
{
	char	*p;
	size_t	 size;

	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->len < c->size)
		return (0);
	if (c->size >= CTL_REPLY_MAX)
		return (proto_error("reply line too long", c->buf, c->len));
	size = c->size == 0 ? 8192 : c->size * 2;
	if ((p = realloc(c->buf, size)) == NULL) {
		warn(NULL);
		return (EXIT_PROTOCOL);
	}
	c->buf = p;
	c->size = size;
	return (0);
}

/* Wait for and read more bytes; return 0 or an exit status. */
static int
conn_fill(struct conn *c, const char *what)
{
	struct pollfd	 pfd;
	ssize_t		 n;
	int		 rv;

	if ((rv = conn_grow(c)) != 0)
		return (rv);
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	while ((rv = poll(&pfd, 1, c->seconds ? c->seconds * 1000 : -1)) ==
	    -1 && errno == EINTR)
		continue;
	if (rv == 0)
		return (conn_timeout(c));
	n = -1;
	if (rv != -1)
		while ((n = read(c->fd, c->buf + c->len,
		    c->size - c->len)) == -1 && errno == EINTR)
			continue;
	if (n == -1) {
		warn("connection to %s lost", c->path);
		return (EXIT_PROTOCOL);
	}
	if (n == 0 && c->len > 0)
		return (proto_error("connection closed mid-line", c->buf,
		    c->len));
	if (n == 0) {
		warnx("protocol error: connection closed before %s", what);
		return (EXIT_PROTOCOL);
	}
	c->len += n;
	return (0);
}

/* Read one line without its CR LF; return 0 or an exit status. */
static int
conn_getline(struct conn *c, char **sp, size_t *lenp, const char *what)
{
	char	*nl;
	int	 rv;

	for (;;) {
		if (c->len > c->off + c->seen && (nl = memchr(c->buf + c->off +
		    c->seen, '\n', c->len - c->off - c->seen)) != NULL)
			break;
		c->seen = c->len - c->off;
		if ((rv = conn_fill(c, what)) != 0)
			return (rv);
	}
	c->seen = 0;
	*sp = c->buf + c->off;
	c->off = nl + 1 - c->buf;
	if (nl > *sp && nl[-1] == '\r')
		nl--;
	*nl = '\0';
	*lenp = nl - *sp;
	return (0);
}

/* Split a reply line: three digits, dash or space, text; 0 or -1. */
static int
line_parse(const char *s, size_t len, struct line *l)
{
	size_t	 i;

	if (len < 4 || (s[3] != ' ' && s[3] != '-'))
		return (-1);
	for (i = 0; i < 3; i++)
		if (s[i] < '0' || s[i] > '9')
			return (-1);
	for (i = 4; i < len; i++)
		if (s[i] != '\t' && iscntrl((unsigned char)s[i]))
			return (-1);
	l->code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	l->last = s[3] == ' ';
	l->text = s + 4;
	return (0);
}

/* Map a reply code to the exit status; -1 if it is no reply code. */
static int
code_status(int code)
{
	if (code >= 200 && code < 300)
		return (0);
	if (code < 400 || code >= 600)
		return (-1);
	if (code == 400 || code == 401 || code == 413 || code == 415)
		return (EXIT_USAGE);
	return (EXIT_REFUSED);
}

/* Act on a final line: report an error; return the exit status. */
static int
line_final(const struct line *l, const char *s, size_t len)
{
	size_t	 n;
	int	 rv;

	if ((rv = code_status(l->code)) <= 0)
		return (rv);
	n = strspn(l->text, "abcdefghijklmnopqrstuvwxyz0123456789-");
	if (n == 0 || l->text[n] != ':')
		return (proto_error("bad error reply", s, len));
	warnx("%s", l->text);
	return (rv);
}

/* Read the greeting and check the protocol; return 0 or an exit status. */
static int
read_greeting(struct conn *c)
{
	struct line	 l;
	const char	*p;
	char		*s;
	size_t		 len;
	int		 rv;

	if ((rv = conn_getline(c, &s, &len, "the greeting")) != 0)
		return (rv);
	if (line_parse(s, len, &l) == -1 || !l.last)
		return (proto_error("bad greeting", s, len));
	if (l.code != 220 && code_status(l.code) > 0)
		return (line_final(&l, s, len));
	p = strrchr(l.text, ' ');
	if (l.code != 220 || strncmp(l.text, "lotus-pilotd ", 13) != 0 ||
	    p == NULL || p - l.text < 9 || strncmp(p - 9, " protocol", 9) ||
	    p[1] == '\0' || strspn(p + 1, "0123456789") != strlen(p + 1) ||
	    strlen(p + 1) > 9)
		return (proto_error("bad greeting", s, len));
	if (atoi(p + 1) != CTL_PROTOCOL) {
		warnx("protocol mismatch: daemon speaks %d, pilotctl speaks %d",
		    atoi(p + 1), CTL_PROTOCOL);
		return (EXIT_PROTOCOL);
	}
	return (0);
}

/* Read the reply and print its data lines; return the exit status. */
static int
read_reply(struct conn *c)
{
	struct line	 l;
	char		*s;
	size_t		 len;
	int		 code = -1, rv;

	for (;;) {
		if ((rv = conn_getline(c, &s, &len, "the final line")) != 0)
			return (rv);
		if (line_parse(s, len, &l) == -1)
			return (proto_error("bad reply line", s, len));
		if (code_status(l.code) == -1)
			return (proto_error("unknown reply code", s, len));
		if (code != -1 && l.code != code)
			return (proto_error("reply code changed", s, len));
		code = l.code;
		if (l.last)
			return (line_final(&l, s, len));
		fprintf(code_status(code) ? stderr : stdout, "%s\n", l.text);
	}
}

/* Talk to the daemon: greeting, request, reply; return the exit status. */
static int
run(struct conn *c, const char *req, size_t len)
{
	int	 rv;

	if ((rv = conn_open(c)) != 0)
		return (rv);
	if ((rv = read_greeting(c)) != 0)
		return (rv);
	if ((rv = conn_send(c, req, len)) != 0)
		return (rv);
	return (read_reply(c));
}

/* Parse the argument of -t; return 0 or -1 after a message. */
static int
parse_timeout(const char *s, int *secp)
{
	char	*ep;
	long	 n;

	errno = 0;
	n = strtol(s, &ep, 10);
	if (!isdigit((unsigned char)*s) || *ep != '\0' || errno != 0 ||
	    n > CTL_TIMEOUT_MAX) {
		warnx("bad timeout: %s: seconds from 0 to %d expected",
		    show(s, strlen(s)), CTL_TIMEOUT_MAX);
		return (-1);
	}
	*secp = n;
	return (0);
}

/* Tell whether the command is "miner add ID ADDR -". */
static int
token_from_stdin(int argc, char **argv)
{
	return (argc == 5 && strcmp(argv[0], "miner") == 0 &&
	    strcmp(argv[1], "add") == 0 && strcmp(argv[4], "-") == 0);
}

/* Parse the options; return -1 to exit with *status at once. */
static int
options(int *argcp, char ***argvp, struct conn *c, int *json, int *status)
{
	int	 ch;

	*status = EXIT_USAGE;
	while ((ch = getopt_long(*argcp, *argvp, "+hjs:t:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			*status = 0;
			return (-1);
		case 'j':
			*json = 1;
			break;
		case 's':
			c->path = optarg;
			break;
		case 't':
			if (parse_timeout(optarg, &c->seconds) == -1)
				return (-1);
			break;
		case 'V':
			printf("pilotctl %s\n", PACKAGE_VERSION);
			*status = 0;
			return (-1);
		default:
			usage(stderr);
			return (-1);
		}
	}
	*argcp -= optind;
	*argvp += optind;
	if (*argcp == 0) {
		usage(stderr);
		return (-1);
	}
	if (*c->path == '\0') {
		warnx("empty socket path");
		return (-1);
	}
	return (0);
}

/* Send the command of the command line and print the reply. */
int
main(int argc, char *argv[])
{
	struct conn	 c;
	char		*req = NULL, *token = NULL;
	size_t		 len = 0;
	int		 json = 0, rv;

	/* getopt(3) names the program by argv[0], err(3) by its base name. */
	argv[0] = "pilotctl";
	memset(&c, 0, sizeof(c));
	c.fd = -1;
	c.seconds = CTL_TIMEOUT;
	if ((c.path = getenv("PILOTCTL_SOCKET")) == NULL || *c.path == '\0')
		c.path = PILOT_SOCKET;
	if (options(&argc, &argv, &c, &json, &rv) == -1)
		return (rv);

	/* A token read from stdin stays out of the process list. */
	if (token_from_stdin(argc, argv)) {
		if ((token = read_token()) == NULL)
			return (EXIT_USAGE);
		argv[4] = token;
	}

	/* A daemon that closes the socket is an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);

	if ((rv = build_request(json, argc, argv, &req, &len)) == 0)
		rv = run(&c, req, len);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		/* A reader that stopped early (| head) wants no message. */
		if (errno != EPIPE)
			warn("cannot write the reply");
		if (rv == 0)
			rv = EXIT_REFUSED;
	}

	if (c.fd != -1)
		close(c.fd);
	free(c.buf);
	if (req != NULL)
		explicit_bzero(req, len);
	free(req);
	if (token != NULL)
		explicit_bzero(token, strlen(token));
	free(token);
	return (rv);
}
