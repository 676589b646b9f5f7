/*
 * lotus-pilot: worker start scripts.  A template with the Go text/template
 * placeholders {{.MinerID}}, {{.MinerAPIInfo}} and {{.Port}} is rendered
 * per miner and written to SCRIPT_DIR/<miner>.sh, mode 0700.
 *
 * Only those three placeholders are understood.  Spaces inside the braces
 * and Go's trim markers ("{{- " drops the white space before the action,
 * " -}}" the white space after it) work exactly as in Go.  Any other action
 * (fields, functions, keywords, pipelines, variables, comments) and any
 * unterminated or empty action is an error "FILE:LINE:COL: problem", with
 * LINE and COL (in bytes, from 1) of the "{{" that opens it, and no script
 * is written.  A "}}" outside an action is plain text, as in Go.
 *
 * This file depends on libc only, so that it can be tested on its own.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* memmem, mkostemp */
#endif

#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gorand.h"
#include "script.h"

#ifndef PILOT_DATADIR
#define PILOT_DATADIR		"/usr/share/lotus-pilot"
#endif
#define SCRIPT_TEMPLATE_DIR	PILOT_DATADIR "/templates"
#define SCRIPT_QUOTE_MAX	60	/* action bytes shown in errors */
#define SCRIPT_DNS_MAX		253	/* longest DNS name */
#define SCRIPT_LABEL_MAX	63	/* longest DNS label */

/* The placeholders, in the order of script_fields. */
enum script_field {
	SCRIPT_F_MINERID,
	SCRIPT_F_APIINFO,
	SCRIPT_F_PORT
};

static const char *script_fields[] = {
	".MinerID",
	".MinerAPIInfo",
	".Port"
};

/* One action of a template, "{{" up to "}}". */
struct script_action {
	size_t		 start;		/* offset of the "{{" */
	size_t		 end;		/* offset past the "}}" */
	int		 ltrim;		/* opened with "{{- " */
	int		 rtrim;		/* closed with " -}}" */
	enum script_field field;
};

/* A growing output buffer, always NUL-terminated. */
struct script_buf {
	char		*data;
	size_t		 len;
	size_t		 size;
};

static int	 script_fail(char **, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
static char	*script_vprintf(const char *, va_list)
		    __attribute__((__format__(printf, 1, 0)));
static char	*script_printf(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
static void	*script_alloc(void *, size_t);
static char	*script_quote(const char *, size_t);
static int	 script_space(int);
static size_t	 script_close(const char *, size_t, size_t, int *);
static size_t	 script_skip(const char *, size_t, size_t);
static size_t	 script_field_end(const char *, size_t, size_t);
static int	 script_action(const char *, const char *, size_t, size_t,
		    struct script_action *, char **);
static int	 script_action_fail(const char *, const char *, size_t,
		    size_t, int, const char *, char **);
static int	 script_field_find(const char *, size_t,
		    enum script_field *);
static void	 script_buf_add(struct script_buf *, const char *, size_t);
static int	 script_value_ok(const char *);
static int	 script_token_ok(const char *);
static int	 script_dns_ok(const char *);
static int	 script_port_parse(const char *, unsigned int *);
static int	 script_host(const char *, char **, const char **,
		    const char **, char **);
static int	 script_host_ip6(const char *, size_t, char **, char **);
static int	 script_read_all(int, char *, size_t, size_t *);
static int	 script_write_all(int, const char *, size_t);
static int	 script_sync_dir(const char *);
static int	 script_write_tmp(const char *, const char *, const char *,
		    size_t, char **);

/* Format into a new string, vprintf style. */
static char *
script_vprintf(const char *fmt, va_list ap)
{
	va_list	 copy;
	char	*s;
	int	 n;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		abort();
	s = script_alloc(NULL, (size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return (s);
}

/* Format into a new string. */
static char *
script_printf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = script_vprintf(fmt, ap);
	va_end(ap);
	return (s);
}

/* Set *cause to a new message and return -1. */
static int
script_fail(char **cause, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	*cause = script_vprintf(fmt, ap);
	va_end(ap);
	return (-1);
}

/* realloc that gives up on the process when memory runs out. */
static void *
script_alloc(void *p, size_t size)
{
	void	*q;

	q = realloc(p, size == 0 ? 1 : size);
	if (q == NULL) {
		fputs("lotus-pilot: out of memory\n", stderr);
		abort();
	}
	return (q);
}

/* Quote bytes for a message: "...", with \", \\, \n, \t, \r and \xHH. */
static char *
script_quote(const char *s, size_t len)
{
	struct script_buf	 b = { NULL, 0, 0 };
	char			 esc[8];
	size_t			 i;
	unsigned char		 c;

	script_buf_add(&b, "\"", 1);
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c == '\n' || c == '\t' || c == '\r')
			snprintf(esc, sizeof(esc), "\\%c",
			    c == '\n' ? 'n' : c == '\t' ? 't' : 'r');
		else if (c < 0x20 || c >= 0x7f)
			snprintf(esc, sizeof(esc), "\\x%02x", c);
		else
			snprintf(esc, sizeof(esc), "%c", c);
		script_buf_add(&b, esc, strlen(esc));
	}
	script_buf_add(&b, "\"", 1);
	return (b.data);
}

/* Go's white space inside actions and for trimming: " \t\r\n". */
static int
script_space(int c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

/*
 * Length of the closing delimiter at p: 2 for "}}", 4 for a trim marker
 * " -}}" (one white space byte, '-', "}}"), else 0.
 */
static size_t
script_close(const char *t, size_t len, size_t p, int *rtrim)
{
	*rtrim = 0;
	if (len - p >= 4 && script_space(t[p]) && t[p + 1] == '-' &&
	    t[p + 2] == '}' && t[p + 3] == '}') {
		*rtrim = 1;
		return (4);
	}
	if (len - p >= 2 && t[p] == '}' && t[p + 1] == '}')
		return (2);
	return (0);
}

/* Skip white space inside an action, stopping at a " -}}". */
static size_t
script_skip(const char *t, size_t len, size_t p)
{
	int	 rtrim;

	while (p < len && script_space(t[p]) &&
	    script_close(t, len, p, &rtrim) == 0)
		p++;
	return (p);
}

/* End of a field chain such as ".MinerID" or ".A.b_2" starting at p. */
static size_t
script_field_end(const char *t, size_t len, size_t p)
{
	while (p < len && (t[p] == '.' || t[p] == '_' ||
	    isalnum((unsigned char)t[p])))
		p++;
	return (p);
}

/* Which placeholder the field text names, or -1 for none. */
static int
script_field_find(const char *s, size_t len, enum script_field *f)
{
	size_t	 i;

	for (i = 0; i < sizeof(script_fields) / sizeof(*script_fields); i++) {
		if (strlen(script_fields[i]) == len &&
		    memcmp(script_fields[i], s, len) == 0) {
			*f = (enum script_field)i;
			return (0);
		}
	}
	return (-1);
}

/*
 * Fail with "NAME:LINE:COL: WHAT QUOTED" for the action at start.  The
 * quote runs to the first "}}" or, if to_eol is set or there is none, to
 * the end of the line; it is cut after SCRIPT_QUOTE_MAX bytes.
 */
static int
script_action_fail(const char *name, const char *t, size_t len,
    size_t start, int to_eol, const char *what, char **cause)
{
	const char	*nl, *cl;
	char		*q;
	size_t		 i, line, col, end;

	line = 1;
	col = 1;
	for (i = 0; i < start; i++) {
		col++;
		if (t[i] == '\n') {
			line++;
			col = 1;
		}
	}
	nl = memchr(t + start, '\n', len - start);
	end = nl != NULL ? (size_t)(nl - t) : len;
	cl = memmem(t + start + 2, len - start - 2, "}}", 2);
	if (!to_eol && cl != NULL)
		end = (size_t)(cl - t) + 2;
	if (end - start > SCRIPT_QUOTE_MAX) {
		q = script_quote(t + start, SCRIPT_QUOTE_MAX);
		script_fail(cause, "%s:%zu:%zu: %s %s...", name, line, col,
		    what, q);
	} else {
		q = script_quote(t + start, end - start);
		script_fail(cause, "%s:%zu:%zu: %s %s", name, line, col,
		    what, q);
	}
	free(q);
	return (-1);
}

/* Read the action whose "{{" is at start. */
static int
script_action(const char *name, const char *t, size_t len, size_t start,
    struct script_action *a, char **cause)
{
	const char	*what;
	size_t		 p, f, n;

	memset(a, 0, sizeof(*a));
	a->start = start;
	p = start + 2;
	if (len - p >= 2 && t[p] == '-' && script_space(t[p + 1])) {
		a->ltrim = 1;
		p += 2;
	}
	p = script_skip(t, len, p);
	if (script_close(t, len, p, &a->rtrim) != 0)
		what = "empty action";
	else if (p == len)
		return (script_action_fail(name, t, len, start, 1,
		    "unterminated action", cause));
	else if (t[p] == '/' && p + 1 < len && t[p + 1] == '*')
		what = "unsupported comment";
	else if (isalpha((unsigned char)t[p]) || t[p] == '_')
		what = "unsupported function or keyword";
	else if (t[p] != '.')
		what = "unsupported action";
	else
		what = NULL;
	if (what != NULL)
		return (script_action_fail(name, t, len, start, 0, what,
		    cause));

	f = p;
	p = script_skip(t, len, script_field_end(t, len, p));
	if ((n = script_close(t, len, p, &a->rtrim)) == 0) {
		if (p == len || t[p] == '}')
			return (script_action_fail(name, t, len, start, 1,
			    "unterminated action", cause));
		what = t[p] == '|' ? "unsupported pipeline" :
		    "unsupported action";
		return (script_action_fail(name, t, len, start, 0, what,
		    cause));
	}
	a->end = p + n;
	if (script_field_find(t + f, script_field_end(t, len, f) - f,
	    &a->field) == -1)
		return (script_action_fail(name, t, len, start, 0,
		    "unknown placeholder", cause));
	return (0);
}

/* Append bytes to a buffer. */
static void
script_buf_add(struct script_buf *b, const char *s, size_t len)
{
	if (b->size - b->len <= len) {
		b->size = (b->len + len + 1) * 2;
		b->data = script_alloc(b->data, b->size);
	}
	memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0';
}

/* A MinerAPIInfo value holds only multiaddr and token bytes. */
static int
script_value_ok(const char *s)
{
	if (*s == '\0')
		return (0);
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && strchr("._:/-", *s) == NULL)
			return (0);
	}
	return (1);
}

/*
 * Render a template for one miner into a new buffer (*out, *outlen; the
 * buffer is NUL-terminated).  name is used in error messages.  The values
 * are checked again here, since they end up in a shell script.
 */
int
script_render(const char *name, const char *t, size_t len,
    const char *miner_id, const char *api_info, int port, char **out,
    size_t *outlen, char **cause)
{
	struct script_buf	 b = { NULL, 0, 0 };
	struct script_action	 a;
	const char		*open;
	char			 num[16];
	size_t			 i, k;

	*out = NULL;
	*outlen = 0;
	if (script_id_parse(miner_id, NULL) == -1)
		return (script_fail(cause, "cannot render %s: bad miner id",
		    name));
	if (!script_value_ok(api_info))
		return (script_fail(cause, "cannot render %s: bad "
		    "MinerAPIInfo value", name));
	if (port < 1 || port > 65535)
		return (script_fail(cause, "cannot render %s: bad port %d",
		    name, port));
	snprintf(num, sizeof(num), "%d", port);

	script_buf_add(&b, "", 0);
	for (i = 0; ; i = a.end) {
		open = memmem(t + i, len - i, "{{", 2);
		if (open == NULL) {
			script_buf_add(&b, t + i, len - i);
			break;
		}
		if (script_action(name, t, len, (size_t)(open - t), &a,
		    cause) == -1) {
			free(b.data);
			return (-1);
		}
		for (k = a.start; a.ltrim && k > i && script_space(t[k - 1]);)
			k--;
		script_buf_add(&b, t + i, k - i);
		if (a.field == SCRIPT_F_MINERID)
			script_buf_add(&b, miner_id, strlen(miner_id));
		else if (a.field == SCRIPT_F_APIINFO)
			script_buf_add(&b, api_info, strlen(api_info));
		else
			script_buf_add(&b, num, strlen(num));
		while (a.rtrim && a.end < len && script_space(t[a.end]))
			a.end++;
	}
	*out = b.data;
	*outlen = b.len;
	return (0);
}

/*
 * Parse a miner id: 'f' or 't', '0', then the actor number in decimal
 * without leading zeros ("f00" is actor 0).  Nothing else is accepted, so
 * an id can be used as a file name.  actor may be NULL.
 */
int
script_id_parse(const char *id, uint64_t *actor)
{
	const char	*p;
	uint64_t	 v;

	if (id == NULL || (id[0] != 'f' && id[0] != 't') || id[1] != '0')
		return (-1);
	p = id + 2;
	if (*p == '\0' || (p[0] == '0' && p[1] != '\0'))
		return (-1);
	for (v = 0; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return (-1);
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return (-1);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (actor != NULL)
		*actor = v;
	return (0);
}

/*
 * The worker port of an actor, as the Go tool computes it:
 * 50000 + rand.New(rand.NewSource(int64(actor))).Intn(9999).
 */
int
script_port(uint64_t actor)
{
	struct gorand	 r;

	gorand_seed(&r, gorand_seed_from_id(actor));
	return (SCRIPT_PORT_BASE + gorand_intn(&r, SCRIPT_PORT_SPAN));
}

/*
 * Check that the port of miner id is not the port of another miner in
 * others (ids naming the same actor, and ids that do not parse, are
 * skipped).  On a collision, or if id does not parse, return -1 and say
 * which in *cause.
 */
int
script_port_collision(const char *id, const char *const *others, size_t n,
    char **cause)
{
	uint64_t	 actor, other;
	size_t		 i;
	int		 port;

	if (script_id_parse(id, &actor) == -1)
		return (script_fail(cause, "bad miner id"));
	port = script_port(actor);
	for (i = 0; i < n; i++) {
		if (script_id_parse(others[i], &other) == -1 || other == actor)
			continue;
		if (script_port(other) == port)
			return (script_fail(cause, "port %d of %s collides "
			    "with %s", port, id, others[i]));
	}
	return (0);
}

/* Whether a token is non-empty and only has bytes of [A-Za-z0-9._-]. */
static int
script_token_ok(const char *s)
{
	if (*s == '\0')
		return (0);
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && strchr("._-", *s) == NULL)
			return (0);
	}
	return (1);
}

/*
 * Whether s is a DNS name we can put in a /dns multiaddr: labels of 1-63
 * letters, digits and hyphens, not starting or ending with a hyphen, at
 * most 253 bytes in all, the last label not all digits (that would be a
 * mistyped IPv4 address).
 */
static int
script_dns_ok(const char *s)
{
	size_t	 n, total;
	int	 digits;

	total = strlen(s);
	if (total == 0 || total > SCRIPT_DNS_MAX)
		return (0);
	for (;;) {
		n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
		if (n == 0 || n > SCRIPT_LABEL_MAX || s[0] == '-' ||
		    s[n - 1] == '-')
			return (0);
		digits = strspn(s, "0123456789") == n;
		if (s[n] == '\0')
			return (!digits);
		if (s[n] != '.')
			return (0);
		s += n + 1;
	}
}

/* Parse a TCP port: 1-65535 in decimal, no sign, no leading zero. */
static int
script_port_parse(const char *s, unsigned int *port)
{
	size_t	 n;

	n = strspn(s, "0123456789");
	if (n == 0 || n > 5 || s[n] != '\0' || s[0] == '0')
		return (-1);
	*port = (unsigned int)strtoul(s, NULL, 10);
	return (*port > 65535 ? -1 : 0);
}

/* Check and print an IPv6 address (len bytes at s) as a multiaddr needs. */
static int
script_host_ip6(const char *s, size_t len, char **host, char **cause)
{
	struct in6_addr	 in6;
	char		 buf[INET6_ADDRSTRLEN], *a;

	a = script_alloc(NULL, len + 1);
	memcpy(a, s, len);
	a[len] = '\0';
	if (strchr(a, '%') != NULL)
		script_fail(cause, "an IPv6 zone cannot be written in "
		    "MINER_API_INFO");
	else if (inet_pton(AF_INET6, a, &in6) != 1)
		script_fail(cause, "bad IPv6 address");
	else if (IN6_IS_ADDR_V4MAPPED(&in6))
		script_fail(cause, "IPv4-mapped IPv6 address, write it as "
		    "A.B.C.D:PORT");
	else if (IN6_IS_ADDR_UNSPECIFIED(&in6))
		script_fail(cause, "unspecified address");
	else {
		inet_ntop(AF_INET6, &in6, buf, sizeof(buf));
		*host = script_printf("%s", buf);
		free(a);
		return (0);
	}
	free(a);
	return (-1);
}

/*
 * Split host:port or [ipv6]:port and check both parts.  *host is a new
 * string (the canonical form of an IP address), *proto the multiaddr
 * protocol, *port points into the address.
 */
static int
script_host(const char *addr, char **host, const char **proto,
    const char **port, char **cause)
{
	struct in_addr	 in;
	const char	*colon, *close;
	char		*h;

	if (addr[0] == '[') {
		close = strchr(addr, ']');
		if (close == NULL || close[1] != ':')
			return (script_fail(cause, "no port after the IPv6 "
			    "address, want [ADDR]:PORT"));
		*proto = "ip6";
		*port = close + 2;
		return (script_host_ip6(addr + 1, (size_t)(close - addr - 1),
		    host, cause));
	}
	if ((colon = strrchr(addr, ':')) == NULL)
		return (script_fail(cause, "no port, want HOST:PORT"));
	if (strchr(addr, ':') != colon)
		return (script_fail(cause, "an IPv6 address must be written "
		    "in brackets, [ADDR]:PORT"));
	*port = colon + 1;
	h = script_alloc(NULL, (size_t)(colon - addr) + 1);
	memcpy(h, addr, (size_t)(colon - addr));
	h[colon - addr] = '\0';
	if (inet_pton(AF_INET, h, &in) == 1) {
		*proto = "ip4";
		if (in.s_addr == htonl(INADDR_ANY)) {
			free(h);
			return (script_fail(cause, "unspecified address"));
		}
	} else if (script_dns_ok(h))
		*proto = "dns";
	else {
		free(h);
		return (script_fail(cause, "not an IPv4 address, [IPv6] "
		    "address or DNS name"));
	}
	*host = h;
	return (0);
}

/*
 * Build MINER_API_INFO, TOKEN:MULTIADDR/http, from the miner's API address
 * (A.B.C.D:PORT, [IPv6]:PORT or NAME:PORT) and its token.  Anything that
 * cannot be written that way fails; the message never shows the token.
 */
int
script_api_info(const char *address, const char *token, char **out,
    char **cause)
{
	const char	*proto, *port;
	char		*host, *why, *q;
	unsigned int	 pnum;

	*out = NULL;
	host = NULL;
	proto = port = NULL;
	if (token == NULL || !script_token_ok(token))
		return (script_fail(cause, "the token is empty or has a "
		    "byte outside [A-Za-z0-9._-]"));
	if (address == NULL)
		return (script_fail(cause, "no miner API address"));
	q = script_quote(address, strlen(address));
	if (script_host(address, &host, &proto, &port, &why) == -1) {
		script_fail(cause, "bad miner API address %s: %s", q, why);
		free(why);
		free(q);
		return (-1);
	}
	if (script_port_parse(port, &pnum) == -1) {
		script_fail(cause, "bad miner API address %s: bad port", q);
		free(host);
		free(q);
		return (-1);
	}
	*out = script_printf("%s:/%s/%s/tcp/%u/http", token, proto, host,
	    pnum);
	free(host);
	free(q);
	return (0);
}

/* The template for a sector size: 64 GiB, or 32 GiB for everything else. */
const char *
script_template_name(uint64_t sector_size)
{
	if (sector_size == SCRIPT_SIZE_64G)
		return (SCRIPT_TEMPLATE_64G);
	return (SCRIPT_TEMPLATE_32G);
}

/* Read from fd into buf (size bytes) until end of file or buf is full. */
static int
script_read_all(int fd, char *buf, size_t size, size_t *got)
{
	ssize_t	 n;

	*got = 0;
	while (*got < size) {
		n = read(fd, buf + *got, size - *got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return (0);
}

/*
 * Read a template file into a new NUL-terminated buffer.  Files above
 * SCRIPT_TEMPLATE_MAX bytes are refused.  On failure errno tells why
 * (ENOENT: there is no such file).
 */
int
script_template_read(const char *path, char **text, size_t *len,
    char **cause)
{
	struct stat	 st;
	char		*buf;
	int		 fd, saved;

	*text = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO put there must not hang the daemon. */
	if ((fd = open(path, O_RDONLY|O_NONBLOCK|O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		saved = errno;
		script_fail(cause, "cannot read %s: %s", path,
		    strerror(saved));
		if (fd != -1)
			close(fd);
		errno = saved;
		return (-1);
	}
	if (!S_ISREG(st.st_mode) || st.st_size > SCRIPT_TEMPLATE_MAX) {
		close(fd);
		if (S_ISREG(st.st_mode))
			script_fail(cause, "%s: template larger than %d bytes",
			    path, SCRIPT_TEMPLATE_MAX);
		else
			script_fail(cause, "%s: not a regular file", path);
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		return (-1);
	}
	buf = script_alloc(NULL, SCRIPT_TEMPLATE_MAX + 2);
	if (script_read_all(fd, buf, SCRIPT_TEMPLATE_MAX + 1, len) == -1 ||
	    *len > SCRIPT_TEMPLATE_MAX) {
		saved = *len > SCRIPT_TEMPLATE_MAX ? EFBIG : errno;
		close(fd);
		free(buf);
		*len = 0;
		script_fail(cause, "cannot read %s: %s", path,
		    strerror(saved));
		errno = saved;
		return (-1);
	}
	close(fd);
	buf[*len] = '\0';
	*text = script_alloc(buf, *len + 1);
	return (0);
}

/*
 * Find and read the template for a sector size: in the operator's
 * directory tdir first (if not NULL), then in the shipped
 * PILOT_DATADIR/templates.  *path is the file that was read.
 */
int
script_template_load(const char *tdir, uint64_t sector_size, char **path,
    char **text, size_t *len, char **cause)
{
	const char	*name;
	char		*p;
	int		 saved;

	name = script_template_name(sector_size);
	*path = NULL;
	if (tdir != NULL) {
		p = script_printf("%s/%s", tdir, name);
		if (script_template_read(p, text, len, cause) == 0) {
			*path = p;
			return (0);
		}
		saved = errno;
		free(p);
		if (saved != ENOENT)
			return (-1);
		free(*cause);
		*cause = NULL;
	}
	p = script_printf("%s/%s", SCRIPT_TEMPLATE_DIR, name);
	if (script_template_read(p, text, len, cause) == -1) {
		saved = errno;
		if (saved == ENOENT && tdir != NULL) {
			free(*cause);
			script_fail(cause, "no template %s in %s or %s", name,
			    tdir, SCRIPT_TEMPLATE_DIR);
		}
		free(p);
		return (-1);
	}
	*path = p;
	return (0);
}

/* Write all of data to fd. */
static int
script_write_all(int fd, const char *data, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(fd, data, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		data += n;
		len -= (size_t)n;
	}
	return (0);
}

/* fsync a directory, so that a rename or unlink in it is on disk. */
static int
script_sync_dir(const char *dir)
{
	int	 fd, saved;

	if ((fd = open(dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC)) == -1)
		return (-1);
	if (fsync(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	return (close(fd));
}

/*
 * Write data to a new temporary file in dir, mode SCRIPT_MODE, synced.
 * *tmp is its name.  On failure nothing is left behind and errno is set.
 */
static int
script_write_tmp(const char *dir, const char *id, const char *data,
    size_t len, char **tmp)
{
	int	 fd, saved;

	*tmp = script_printf("%s/.%s.sh.XXXXXX", dir, id);
	if ((fd = mkostemp(*tmp, O_CLOEXEC)) == -1)
		goto fail;
	if (fchmod(fd, SCRIPT_MODE) == -1 ||
	    script_write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		goto fail_unlink;
	}
	if (close(fd) == -1)
		goto fail_unlink;
	return (0);

fail_unlink:
	saved = errno;
	unlink(*tmp);
	errno = saved;
fail:
	free(*tmp);
	*tmp = NULL;
	return (-1);
}

/*
 * Write a script to DIR/ID.sh atomically: temporary file in DIR, mode
 * 0700, fsync, rename, fsync of DIR.  The id is checked first, so the
 * file cannot land outside DIR.  *path (if path is not NULL) is the file.
 */
int
script_write(const char *dir, const char *id, const char *data, size_t len,
    char **path, char **cause)
{
	char	*p, *tmp;
	int	 saved;

	if (path != NULL)
		*path = NULL;
	if (script_id_parse(id, NULL) == -1)
		return (script_fail(cause, "bad miner id"));
	p = script_printf("%s/%s.sh", dir, id);
	if (script_write_tmp(dir, id, data, len, &tmp) == -1) {
		script_fail(cause, "cannot write %s: %s", p, strerror(errno));
		free(p);
		return (-1);
	}
	if (rename(tmp, p) == -1 || script_sync_dir(dir) == -1) {
		saved = errno;
		unlink(tmp);
		script_fail(cause, "cannot write %s: %s", p, strerror(saved));
		free(tmp);
		free(p);
		return (-1);
	}
	free(tmp);
	if (path != NULL)
		*path = p;
	else
		free(p);
	return (0);
}

/* Remove DIR/ID.sh; a script that is not there is not an error. */
int
script_remove(const char *dir, const char *id, char **cause)
{
	char	*p;
	int	 saved;

	if (script_id_parse(id, NULL) == -1)
		return (script_fail(cause, "bad miner id"));
	p = script_printf("%s/%s.sh", dir, id);
	if ((unlink(p) == -1 && errno != ENOENT) ||
	    script_sync_dir(dir) == -1) {
		saved = errno;
		script_fail(cause, "cannot remove %s: %s", p,
		    strerror(saved));
		free(p);
		return (-1);
	}
	free(p);
	return (0);
}

/*
 * Make the start script of one miner: pick and read the template (tdir
 * first, then the shipped one), render it and write it to sdir/ID.sh.
 * *path (if path is not NULL) is the script written.
 */
int
script_make(const char *tdir, const char *sdir, const struct script_miner *m,
    char **path, char **cause)
{
	uint64_t	 actor;
	char		*info, *tpath, *text, *out;
	size_t		 len, outlen;
	int		 r;

	if (path != NULL)
		*path = NULL;
	if (script_id_parse(m->id, &actor) == -1)
		return (script_fail(cause, "bad miner id"));
	if (script_api_info(m->address, m->token, &info, cause) == -1)
		return (-1);
	if (script_template_load(tdir, m->sector_size, &tpath, &text, &len,
	    cause) == -1) {
		free(info);
		return (-1);
	}
	r = script_render(tpath, text, len, m->id, info, script_port(actor),
	    &out, &outlen, cause);
	if (r == 0 && outlen == 0) {
		/* An empty start script would "succeed" and start nothing. */
		if (asprintf(cause, "%s: the template renders to nothing",
		    tpath) == -1)
			*cause = NULL;
		free(out);
		r = -1;
	} else if (r == 0) {
		r = script_write(sdir, m->id, out, outlen, path, cause);
		free(out);
	}
	free(info);
	free(tpath);
	free(text);
	return (r);
}
