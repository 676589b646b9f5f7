/*
 * check.c: checks of values that come from outside: miner ids, API
 * addresses, host names, tokens and durations.  Messages never show a
 * token.  Durations are also written back here, as Go writes them.
 */

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pilot.h"
#include "check.h"

#define DIGITS		"0123456789"
#define LETTERS		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DURATION_MAX	9223372036854ULL /* ms; Go's limit, 2562047h */

static const char *check_port(const char *);
static const char *check_number(const char **, uint64_t *, uint64_t *,
		    uint64_t *, int *);

/* Check a miner API address: IPv4:port, [IPv6]:port or name:port. */
const char *
check_address(const char *v)
{
	unsigned char	 addr[sizeof(struct in6_addr)];
	char		 host[256];
	const char	*h, *end;
	size_t		 len;

	if (strchr(v, '/') != NULL)
		return ("expected host:port, not a multiaddr or API info");
	if (*v == '[') {
		h = v + 1;
		if ((end = strchr(h, ']')) == NULL)
			return ("no ] after [");
		len = end++ - h;
		if (*end != ':')
			return ("expected [IPv6]:port");
	} else {
		h = v;
		if ((end = strrchr(h, ':')) == NULL)
			return ("expected host:port");
		len = end - h;
	}
	if (len == 0)
		return ("no host");
	if (len >= sizeof(host))
		return ("host name too long");
	memcpy(host, h, len);
	host[len] = '\0';
	if (*v == '[') {
		if (inet_pton(AF_INET6, host, addr) != 1)
			return ("bad IPv6 address");
	} else if (strchr(host, ':') != NULL)
		return ("an IPv6 address needs [brackets]");
	else if (host[strspn(host, DIGITS ".")] == '\0') {
		if (inet_pton(AF_INET, host, addr) != 1)
			return ("bad IPv4 address");
	} else if (check_hostname(host) != NULL)
		return ("bad host name");
	return (check_port(end + 1));
}

/* Check a port number, 1 to 65535, in decimal. */
static const char *
check_port(const char *s)
{
	if (*s == '\0' || strlen(s) > 5 || s[strspn(s, DIGITS)] != '\0' ||
	    atoi(s) < 1 || atoi(s) > 65535)
		return ("port must be from 1 to 65535");
	return (NULL);
}

/* Check a DNS name: dot-separated labels of letters, digits and -. */
const char *
check_hostname(const char *h)
{
	size_t	 n;

	if (strlen(h) > 253)
		return ("host name too long");
	for (;;) {
		n = strspn(h, LETTERS DIGITS "-");
		if (n == 0 || n > 63 || h[0] == '-' || h[n - 1] == '-')
			return ("bad host name");
		h += n;
		if (*h == '\0')
			return (NULL);
		if (*h++ != '.')
			return ("bad host name");
	}
}

/*
 * Check a worker host name as the inventory and commands take it:
 * letters, digits, and . _ - inside; no pattern, no option.
 */
const char *
check_worker_host(const char *h)
{
	static const char *const reserved[] = { "all", "ungrouped",
	    "localhost", NULL };
	int	 i;

	if (*h == '\0' || *h == '-' || *h == '.' || strlen(h) > 253 ||
	    strstr(h, "..") != NULL)
		return ("not a plain host name");
	if (strspn(h, LETTERS DIGITS "._-") != strlen(h))
		return ("not a plain host name (letters, digits, . _ -)");
	/* ansible reads these as groups or as the controller itself. */
	for (i = 0; reserved[i] != NULL; i++)
		if (strcasecmp(h, reserved[i]) == 0)
			return ("a name ansible reserves, not one host");
	if (strspn(h, DIGITS ".") == strlen(h))
		return ("an address, not a host name");
	return (NULL);
}

/* Check a token of len bytes: it lands in scripts, so few bytes pass. */
const char *
check_token(const char *token, size_t len)
{
	if (len == 0)
		return ("empty");
	if (len > CHECK_TOKEN_MAX)
		return ("longer than 4096 bytes");
	if (strspn(token, LETTERS DIGITS "._-") != len)
		return ("may hold only letters, digits, . _ and -");
	return (NULL);
}

/* Check a miner id, f0 or t0 and an actor number, and return the number. */
const char *
check_miner_id(const char *id, uint64_t *actor)
{
	const char	*s;

	if ((id[0] != 'f' && id[0] != 't') || id[1] != '0')
		return ("must start with f0 or t0");
	s = id + 2;
	if (*s == '\0')
		return ("no actor number after f0 or t0");
	if (s[strspn(s, DIGITS)] != '\0')
		return ("the actor number must be decimal digits");
	if (s[0] == '0' && s[1] != '\0')
		return ("leading zero in the actor number");
	for (*actor = 0; *s != '\0'; s++) {
		if (*actor > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return ("actor number too large");
		*actor = *actor * 10 + (uint64_t)(*s - '0');
	}
	return (NULL);
}

/* Parse a miner id such as f01000 into its actor number; -1 if bad. */
int
miner_id_parse(const char *id, uint64_t *actor)
{
	return (check_miner_id(id, actor) == NULL ? 0 : -1);
}

/*
 * Check a duration written as Go writes them, numbers with units ms, s,
 * m or h, such as 1h30m or 1.5s, and return it in milliseconds.  It must
 * be positive and a whole number of milliseconds.
 */
const char *
check_duration(const char *s, uint64_t *msp)
{
	static const struct {
		const char	*name;
		uint64_t	 ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }
	};
	const char	*why;
	uint64_t	 total = 0, n, frac, scale, unit;
	size_t		 len, i;
	int		 digits;

	if (*s == '-' || strcmp(s, "0") == 0)
		return ("must be positive");
	while (*s != '\0') {
		why = check_number(&s, &n, &frac, &scale, &digits);
		if (why != NULL)
			return (why);
		if (digits == 0)
			return ("not a duration such as 30s, 5m or 1h30m");
		if ((len = strcspn(s, DIGITS ".")) == 0)
			return ("missing unit (ms, s, m or h)");
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (strlen(units[i].name) == len &&
			    strncmp(units[i].name, s, len) == 0)
				break;
		}
		if (i == sizeof(units) / sizeof(units[0]))
			return ("unknown unit (use ms, s, m or h)");
		s += len;
		unit = units[i].ms;
		if (frac * unit % scale != 0)
			return ("finer than a millisecond");
		if (n > DURATION_MAX / unit ||
		    n * unit + frac * unit / scale > DURATION_MAX - total)
			return ("too large");
		total += n * unit + frac * unit / scale;
	}
	if (total == 0)
		return ("must be positive");
	*msp = total;
	return (NULL);
}

/* Scan digits[.digits] at *sp into n and the fraction frac / scale. */
static const char *
check_number(const char **sp, uint64_t *n, uint64_t *frac, uint64_t *scale,
    int *digits)
{
	const char	*s = *sp;

	*n = *frac = 0;
	*scale = 1;
	*digits = 0;
	for (; *s >= '0' && *s <= '9'; s++, (*digits)++) {
		if (*n > (UINT64_MAX - 9) / 10)
			return ("too large");
		*n = *n * 10 + (uint64_t)(*s - '0');
	}
	if (*s == '.') {
		/* Nine digits are exact in ms for every unit; more are not. */
		for (s++; *s >= '0' && *s <= '9'; s++, (*digits)++) {
			if (*scale < 1000000000) {
				*frac = *frac * 10 + (uint64_t)(*s - '0');
				*scale *= 10;
			} else if (*s != '0')
				return ("finer than a millisecond");
		}
	}
	*sp = s;
	return (NULL);
}

/* Parse a duration such as 1h30m into milliseconds; -1 if it is bad. */
int
duration_parse(const char *s, uint64_t *ms)
{
	return (check_duration(s, ms) == NULL ? 0 : -1);
}

/* Write ms as Go writes a duration: 500ms, 30s, 1.5s, 5m0s, 1h0m0s. */
const char *
duration_format(uint64_t ms, char *buf, size_t size)
{
	char		 frac[8] = "";
	uint64_t	 h;
	unsigned int	 m, s;
	size_t		 n;

	if (ms > 0 && ms < 1000) {
		snprintf(buf, size, "%ums", (unsigned int)ms);
		return (buf);
	}
	h = ms / 3600000;
	m = ms / 60000 % 60;
	s = ms / 1000 % 60;
	if (ms % 1000 != 0) {
		snprintf(frac, sizeof(frac), ".%03u",
		    (unsigned int)(ms % 1000));
		for (n = strlen(frac); frac[n - 1] == '0'; n--)
			frac[n - 1] = '\0';
	}
	if (h > 0)
		snprintf(buf, size, "%" PRIu64 "h%um%u%ss", h, m, s, frac);
	else if (m > 0)
		snprintf(buf, size, "%um%u%ss", m, s, frac);
	else
		snprintf(buf, size, "%u%ss", s, frac);
	return (buf);
}
