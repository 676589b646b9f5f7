/*
 * script-t: TAP tests of worker start scripts (src/script.c) and of the
 * Go math/rand port behind their ports (src/gorand.c).
 *
 * Data come from $top_srcdir (default "."): t/data/ports.txt and
 * t/data/gorand.txt, made by real Go with tools/gen-gorand.go, the golden
 * scripts t/data/script/NAME-ID.ok and the default templates in templates/.
 * SCRIPT_T_UPDATE=1 rewrites the golden scripts instead of comparing.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/gorand.h"
#include "../src/script.h"

#define TOKEN	"eyJhbGciOiJIUzI1NiJ9.eyJBbGxvdyI6WyJhZG1pbiJdfQ.made-up_0"
#define INFO	TOKEN ":/ip4/192.0.2.10/tcp/2345/http"

static int	 tap_n;
static int	 tap_failed;
static char	 tmp_root[64];

static void	 ok(int, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
static void	 diag(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
static void	 is(const char *, const char *, const char *);
static void	 is_int(long long, long long, const char *);
static void	 skip(const char *, const char *);
static char	*srcpath(const char *);
static char	*slurp(const char *, size_t *);
static int	 rm_entry(const char *, const struct stat *, int,
		    struct FTW *);
static int	 count_entries(const char *);
static char	*render(const char *, char **);
static void	 put(const char *, const char *, const char *, size_t);

/* Print one TAP result line. */
static void
ok(int pass, const char *fmt, ...)
{
	va_list	 ap;
	char	 desc[512], *p;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	for (p = desc; *p != '\0'; p++) {
		if (*p == '#' || *p == '\n' || *p == '\r')
			*p = '_';
	}
	tap_n++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - %s\n", pass ? "" : "not ", tap_n, desc);
}

/* Print a TAP comment. */
static void
diag(const char *fmt, ...)
{
	va_list	 ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

/* Pass if two strings (either may be NULL) are equal. */
static void
is(const char *got, const char *want, const char *desc)
{
	int	 pass;

	if (got == NULL || want == NULL)
		pass = got == want;
	else
		pass = strcmp(got, want) == 0;
	ok(pass, "%s", desc);
	if (!pass) {
		diag("got:  %s", got != NULL ? got : "(null)");
		diag("want: %s", want != NULL ? want : "(null)");
	}
}

/* Pass if two numbers are equal. */
static void
is_int(long long got, long long want, const char *desc)
{
	ok(got == want, "%s", desc);
	if (got != want)
		diag("got %lld, want %lld", got, want);
}

/* Count one check as skipped. */
static void
skip(const char *desc, const char *why)
{
	printf("ok %d - %s # SKIP %s\n", ++tap_n, desc, why);
}

/* A path below $top_srcdir, newly allocated. */
static char *
srcpath(const char *rel)
{
	const char	*top;
	char		*p;

	if ((top = getenv("top_srcdir")) == NULL)
		top = ".";
	if (asprintf(&p, "%s/%s", top, rel) == -1)
		abort();
	return (p);
}

/* Read a whole file, NUL-terminated; NULL if it cannot be read. */
static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if ((f = fopen(path, "r")) == NULL)
		return (NULL);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if (n < 0 || (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return (NULL);
	}
	*len = fread(buf, 1, (size_t)n, f);
	buf[*len] = '\0';
	fclose(f);
	return (buf);
}

/* nftw callback removing everything under the temporary directory. */
static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

/* Number of entries in a directory, without "." and "..". */
static int
count_entries(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	int		 n;

	if ((d = opendir(dir)) == NULL)
		return (-1);
	n = 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return (n);
}

/* Render a template text for f01000 (INFO, port 50031). */
static char *
render(const char *text, char **cause)
{
	char	*out;
	size_t	 len;

	*cause = NULL;
	if (script_render("t.tmpl", text, strlen(text), "f01000", INFO,
	    50031, &out, &len, cause) == -1)
		return (NULL);
	if (strlen(out) != len)
		diag("length %zu of output differs from strlen", len);
	return (out);
}

/* Go's raw Int63 and Intn values from t/data/gorand.txt. */
static void
test_gorand_values(void)
{
	struct gorand	 r;
	FILE		*f;
	char		*path, line[256];
	long long	 seed, k, n, want, got;
	int		 lines;

	path = srcpath("t/data/gorand.txt");
	if ((f = fopen(path, "r")) == NULL) {
		ok(0, "open %s", path);
		free(path);
		return;
	}
	lines = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "int63 %lld %lld %lld", &seed, &k, &want) ==
		    3) {
			gorand_seed(&r, seed);
			for (got = 0; k >= 0; k--)
				got = gorand_int63(&r);
			is_int(got, want, "int63 like Go");
			lines++;
		} else if (sscanf(line, "intn %lld %lld %lld", &seed, &n,
		    &want) == 3) {
			gorand_seed(&r, seed);
			is_int(gorand_intn(&r, (int32_t)n), want,
			    "intn like Go");
			lines++;
		}
	}
	fclose(f);
	free(path);
	ok(lines >= 100, "gorand.txt has %d values", lines);
	gorand_seed(&r, 1);
	is_int(gorand_intn(&r, 0), -1, "intn(0) is refused");
	is_int(gorand_int31n(&r, -5), -1, "int31n(-5) is refused");
}

/* Conversion of uint64 actor ids to Go's int64 seeds. */
static void
test_seed_from_id(void)
{
	is_int(gorand_seed_from_id(0), 0, "seed of id 0");
	is_int(gorand_seed_from_id(INT64_MAX), INT64_MAX, "seed of 2^63-1");
	ok(gorand_seed_from_id((uint64_t)INT64_MAX + 1) == INT64_MIN,
	    "id 2^63 wraps to -2^63");
	is_int(gorand_seed_from_id(UINT64_MAX), -1, "id 2^64-1 wraps to -1");
	is_int(gorand_seed_from_id(UINT64_MAX - 1), -2, "id 2^64-2 is -2");
}

/* One line of ports.txt: a named case on its own, a bulk one counted. */
static void
check_port_line(const char *line, int *bulk, int *bad, int *named)
{
	struct gorand	 r;
	uintmax_t	 id;
	int		 want, got, used;
	const char	*note;

	if (sscanf(line, "%ju %d%n", &id, &want, &used) != 2)
		return;
	got = script_port((uint64_t)id);
	note = strchr(line + used, '#');
	if (note == NULL) {
		(*bulk)++;
		if (got != want && (*bad)++ < 5)
			diag("id %ju: got %d, want %d", id, got, want);
		return;
	}
	(*named)++;
	ok(got == want, "port %d of id %ju (%.*s)", got, id,
	    (int)strcspn(note + 2, "\n"), note + 2);
	if (strstr(note, "rejection") != NULL) {
		gorand_seed(&r, gorand_seed_from_id((uint64_t)id));
		ok(gorand_int31(&r) > INT32_MAX - (int32_t)(2147483648U %
		    SCRIPT_PORT_SPAN), "id %ju exercises the rejection loop",
		    id);
	}
}

/* The id to port table made by real Go. */
static void
test_ports(void)
{
	FILE	*f;
	char	*path, line[256];
	int	 bulk, bad, named;

	path = srcpath("t/data/ports.txt");
	if ((f = fopen(path, "r")) == NULL) {
		ok(0, "open %s", path);
		free(path);
		return;
	}
	bulk = bad = named = 0;
	while (fgets(line, sizeof(line), f) != NULL)
		check_port_line(line, &bulk, &bad, &named);
	fclose(f);
	free(path);
	ok(named >= 25, "%d ids checked one by one", named);
	ok(bulk >= 2000 && bad == 0, "%d of %d random ids get Go's port",
	    bulk - bad, bulk);
	is_int(script_port(1000), 50031, "id 1000 gets 50031 (spec)");
	is_int(script_port(17387), 57688, "id 17387 gets 57688 (spec)");
}

/* Miner ids: which parse, to what, and which are refused. */
static void
test_ids(void)
{
	static const char *bad[] = {
		"../x", "f01000/..", "f0", "x01000", "f001", "", "f01000 ",
		"f0-1", "F01000", "f1000", "t0", "f01000.sh", "f0 1",
		"f018446744073709551616", "f099999999999999999999",
		"f0+1", "f01000\n", "/f01000"
	};
	uint64_t	 a;
	size_t		 i;

	ok(script_id_parse("f01000", &a) == 0 && a == 1000, "f01000 is 1000");
	ok(script_id_parse("t017387", &a) == 0 && a == 17387,
	    "t017387 is 17387");
	ok(script_id_parse("f00", &a) == 0 && a == 0, "f00 is actor 0");
	ok(script_id_parse("f018446744073709551615", &a) == 0 &&
	    a == UINT64_MAX, "f0 with 2^64-1 parses");
	ok(script_id_parse("t01000", NULL) == 0, "actor may be NULL");
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ok(script_id_parse(bad[i], &a) == -1, "id \"%s\" is refused",
		    bad[i]);
	ok(script_id_parse(NULL, &a) == -1, "a NULL id is refused");
}

/* One MinerAPIInfo case: want is the value, or the message if fail. */
static void
api_case(const char *addr, const char *token, int fail, const char *want)
{
	char	*out, *cause, desc[256];
	int	 r;

	cause = NULL;
	r = script_api_info(addr, token, &out, &cause);
	snprintf(desc, sizeof(desc), "MinerAPIInfo of \"%s\"%s", addr,
	    fail ? " is refused" : "");
	if (r != (fail ? -1 : 0)) {
		ok(0, "%s", desc);
		diag("result %d, out %s, cause %s", r,
		    out != NULL ? out : "(null)",
		    cause != NULL ? cause : "(null)");
	} else
		is(fail ? cause : out, want, desc);
	if (fail)
		ok(out == NULL && (*token == '\0' ||
		    strstr(cause, token) == NULL),
		    "no value and no token for \"%s\"", addr);
	free(out);
	free(cause);
}

/* DNS names at and over the limits: 63 bytes a label, 253 in all. */
static void
test_api_names(void)
{
	char	 name[300], addr[320], want[400];

	memset(name, 'a', 63);
	strcpy(name + 63, ".example.org");
	snprintf(addr, sizeof(addr), "%s:2345", name);
	snprintf(want, sizeof(want), TOKEN ":/dns/%s/tcp/2345/http", name);
	api_case(addr, TOKEN, 0, want);
	memset(name, 'a', 64);
	strcpy(name + 64, ".example.org");
	snprintf(addr, sizeof(addr), "%s:2345", name);
	snprintf(want, sizeof(want), "bad miner API address \"%s\": not an "
	    "IPv4 address, [IPv6] address or DNS name", addr);
	api_case(addr, TOKEN, 1, want);
	/* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 bytes. */
	memset(name, 'b', 253);
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	snprintf(addr, sizeof(addr), "%s:2345", name);
	snprintf(want, sizeof(want), TOKEN ":/dns/%s/tcp/2345/http", name);
	api_case(addr, TOKEN, 0, want);
	name[253] = 'b';
	name[254] = '\0';
	snprintf(addr, sizeof(addr), "%s:2345", name);
	snprintf(want, sizeof(want), "bad miner API address \"%s\": not an "
	    "IPv4 address, [IPv6] address or DNS name", addr);
	api_case(addr, TOKEN, 1, want);
}

/* MinerAPIInfo from IPv4, IPv6 and DNS addresses, and refusals. */
static void
test_api_info(void)
{
	static const char	*bad_addr = "bad miner API address ";
	char			 want[512];
	size_t			 i;
	static const struct {
		const char	*addr;
		const char	*why;
	} bad[] = {
		{ "192.0.2.10", "no port, want HOST:PORT" },
		{ "192.0.2.10:", "bad port" },
		{ "192.0.2.10:0", "bad port" },
		{ "192.0.2.10:65536", "bad port" },
		{ "192.0.2.10:02345", "bad port" },
		{ "192.0.2.10:+234", "bad port" },
		{ "192.0.2.10:23a", "bad port" },
		{ "192.0.2.256:2345", "not an IPv4 address, [IPv6] address "
		    "or DNS name" },
		{ "192.0.2:2345", "not an IPv4 address, [IPv6] address or "
		    "DNS name" },
		{ "0.0.0.0:2345", "unspecified address" },
		{ "2001:db8::1:2345", "an IPv6 address must be written in "
		    "brackets, [ADDR]:PORT" },
		{ "[2001:db8::1]", "no port after the IPv6 address, want "
		    "[ADDR]:PORT" },
		{ "[2001:db8::1]2345", "no port after the IPv6 address, want "
		    "[ADDR]:PORT" },
		{ "[2001:db8::g]:2345", "bad IPv6 address" },
		{ "[192.0.2.1]:2345", "bad IPv6 address" },
		{ "[fe80::1%eth0]:2345", "an IPv6 zone cannot be written in "
		    "MINER_API_INFO" },
		{ "[::ffff:192.0.2.1]:2345", "IPv4-mapped IPv6 address, "
		    "write it as A.B.C.D:PORT" },
		{ "[::]:2345", "unspecified address" },
		{ ":2345", "not an IPv4 address, [IPv6] address or DNS name" },
		{ "miner_1.example.org:2345", "not an IPv4 address, [IPv6] "
		    "address or DNS name" },
		{ "-miner.example.org:2345", "not an IPv4 address, [IPv6] "
		    "address or DNS name" },
		{ "miner-.example.org:2345", "not an IPv4 address, [IPv6] "
		    "address or DNS name" },
		{ "miner..example.org:2345", "not an IPv4 address, [IPv6] "
		    "address or DNS name" },
		{ "example.org.:2345", "not an IPv4 address, [IPv6] address "
		    "or DNS name" },
		{ "miner.123:2345", "not an IPv4 address, [IPv6] address or "
		    "DNS name" },
		{ "a b.example.org:2345", "not an IPv4 address, [IPv6] "
		    "address or DNS name" },
		{ "m\"x.invalid:2345", "not an IPv4 address, [IPv6] address "
		    "or DNS name" },
	};

	api_case("192.0.2.10:2345", TOKEN, 0, INFO);
	api_case("[2001:db8::1]:2345", TOKEN, 0,
	    TOKEN ":/ip6/2001:db8::1/tcp/2345/http");
	api_case("[2001:DB8:0:0:0:0:0:1]:1", TOKEN, 0,
	    TOKEN ":/ip6/2001:db8::1/tcp/1/http");
	api_case("[::1]:65535", TOKEN, 0, TOKEN ":/ip6/::1/tcp/65535/http");
	api_case("miner-a.example.org:1234", TOKEN, 0,
	    TOKEN ":/dns/miner-a.example.org/tcp/1234/http");
	api_case("localhost:2345", TOKEN, 0,
	    TOKEN ":/dns/localhost/tcp/2345/http");
	api_case("m1.invalid:2345", "a", 0, "a:/dns/m1.invalid/tcp/2345/http");
	api_case("123.example.org:2345", TOKEN, 0,
	    TOKEN ":/dns/123.example.org/tcp/2345/http");
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		snprintf(want, sizeof(want), "%s\"%s\": %s", bad_addr,
		    bad[i].addr, bad[i].why);
		if (strchr(bad[i].addr, '"') != NULL)
			snprintf(want, sizeof(want), "%s\"m\\\"x.invalid:2345\""
			    ": %s", bad_addr, bad[i].why);
		api_case(bad[i].addr, TOKEN, 1, want);
	}
	test_api_names();
	api_case("192.0.2.10:2345", "", 1,
	    "the token is empty or has a byte outside [A-Za-z0-9._-]");
	api_case("192.0.2.10:2345", "secret:x", 1,
	    "the token is empty or has a byte outside [A-Za-z0-9._-]");
	api_case("192.0.2.10:2345", "secret'x", 1,
	    "the token is empty or has a byte outside [A-Za-z0-9._-]");
	api_case("192.0.2.10:2345", "secret x", 1,
	    "the token is empty or has a byte outside [A-Za-z0-9._-]");
}

/* Placeholders with and without spaces, trim markers, stray braces. */
static void
test_forms(void)
{
	static const struct {
		const char	*text;
		const char	*want;
		const char	*desc;
	} c[] = {
		{ "{{.MinerID}}", "f01000", "no spaces" },
		{ "{{ .MinerID }}", "f01000", "spaces inside" },
		{ "{{\t.Port  }}", "50031", "tab and spaces inside" },
		{ "{{\n.Port\r\n}}", "50031", "newlines inside" },
		{ "{{.MinerAPIInfo}}", INFO, "MinerAPIInfo" },
		{ "id={{.MinerID}} port={{.Port}}\n", "id=f01000 port=50031\n",
		    "text around actions is kept" },
		{ "{{.Port}}{{.Port}}", "5003150031", "two actions in a row" },
		{ "", "", "empty template" },
		{ "no actions\n", "no actions\n", "template without actions" },
		{ "a \n\t {{- .Port}} b", "a50031 b", "{{- trims before" },
		{ "a {{.Port -}} \r\n\t b", "a 50031b", "-}} trims after" },
		{ "a \n {{- .Port -}} \n b", "a50031b", "trim on both sides" },
		{ "a{{- .Port}}", "a50031", "{{- with nothing to trim" },
		{ "{{- .Port -}}", "50031", "trim markers at both ends" },
		{ "a {{-\t.Port}}", "a50031", "{{- then a tab" },
		{ "a {{-\n.Port}}", "a50031", "{{- then a newline" },
		{ "{{.Port\t-}} b", "50031b", "a tab then -}}" },
		{ "{{.Port\n-}} b", "50031b", "a newline then -}}" },
		{ "{{.Port -}}\n\n{{- .MinerID}}", "50031f01000",
		    "white space between two trims vanishes" },
		{ "{{.Port -}}   ", "50031", "trim up to the end" },
		{ "x {{-  .Port  -}} y", "x50031y", "extra spaces with trims" },
		{ "a }} b", "a }} b", "stray }} is text" },
		{ "}}{{.Port}}}}", "}}50031}}", "}} around an action is text" },
		{ "a -}} b", "a -}} b", "stray -}} is text" },
		{ "{ {.Port} }", "{ {.Port} }", "single braces are text" },
		{ "${x}{{.Port}}", "${x}50031", "shell braces are text" },
		{ "a-{{.Port}}-b", "a-50031-b", "dashes outside are text" },
	};
	char	*out, *cause;
	size_t	 i;

	for (i = 0; i < sizeof(c) / sizeof(*c); i++) {
		out = render(c[i].text, &cause);
		is(out, c[i].want, c[i].desc);
		if (cause != NULL)
			diag("cause: %s", cause);
		free(out);
		free(cause);
	}
}

/* A long action is cut after 60 bytes in the message. */
static void
test_error_long(void)
{
	char	 text[128], want[160], *out, *cause;

	memset(text, 'o', sizeof(text));
	memcpy(text, "x\n  {{.F", 8);
	memcpy(text + 100, "}}", 3);
	snprintf(want, sizeof(want), "t.tmpl:2:3: unknown placeholder "
	    "\"%.60s\"...", text + 4);
	out = render(text, &cause);
	is(cause, want, "a long action is cut in the message");
	free(out);
	free(cause);
}

/* Every template error, with its exact message; nothing is rendered. */
static void
test_errors(void)
{
	static const struct {
		const char	*text;
		const char	*want;
	} c[] = {
		{ "{{.Foo}}", "t.tmpl:1:1: unknown placeholder \"{{.Foo}}\"" },
		{ "ab\ncd {{ .Foo }}\n",
		    "t.tmpl:2:4: unknown placeholder \"{{ .Foo }}\"" },
		{ "\t{{.minerID}}",
		    "t.tmpl:1:2: unknown placeholder \"{{.minerID}}\"" },
		{ "{{.}}", "t.tmpl:1:1: unknown placeholder \"{{.}}\"" },
		{ "{{.MinerID.Foo}}",
		    "t.tmpl:1:1: unknown placeholder \"{{.MinerID.Foo}}\"" },
		{ "{{.Port}} {{.Bad}}",
		    "t.tmpl:1:11: unknown placeholder \"{{.Bad}}\"" },
		{ "{{printf \"%d\" .Port}}", "t.tmpl:1:1: unsupported "
		    "function or keyword \"{{printf \\\"%d\\\" .Port}}\"" },
		{ "{{if .Port}}x{{end}}", "t.tmpl:1:1: unsupported function "
		    "or keyword \"{{if .Port}}\"" },
		{ "{{ len .MinerID }}", "t.tmpl:1:1: unsupported function or "
		    "keyword \"{{ len .MinerID }}\"" },
		{ "{{.Port | printf \"%d\"}}", "t.tmpl:1:1: unsupported "
		    "pipeline \"{{.Port | printf \\\"%d\\\"}}\"" },
		{ "{{.Port|html}}",
		    "t.tmpl:1:1: unsupported pipeline \"{{.Port|html}}\"" },
		{ "{{/* note */}}",
		    "t.tmpl:1:1: unsupported comment \"{{/* note */}}\"" },
		{ "{{- /* note */ -}}", "t.tmpl:1:1: unsupported comment "
		    "\"{{- /* note */ -}}\"" },
		{ "x\n{{.MinerID",
		    "t.tmpl:2:1: unterminated action \"{{.MinerID\"" },
		{ "{{.MinerID}\nnext {{.Port}}",
		    "t.tmpl:1:1: unterminated action \"{{.MinerID}\"" },
		{ "{{.MinerID} }",
		    "t.tmpl:1:1: unterminated action \"{{.MinerID} }\"" },
		{ "x {{", "t.tmpl:1:3: unterminated action \"{{\"" },
		{ "x {{ \n", "t.tmpl:1:3: unterminated action \"{{ \"" },
		{ "{{}}", "t.tmpl:1:1: empty action \"{{}}\"" },
		{ "{{ }}", "t.tmpl:1:1: empty action \"{{ }}\"" },
		{ "{{-  -}}", "t.tmpl:1:1: empty action \"{{-  -}}\"" },
		{ "{{- -}}", "t.tmpl:1:1: unsupported action \"{{- -}}\"" },
		{ "{{$x := .Port}}",
		    "t.tmpl:1:1: unsupported action \"{{$x := .Port}}\"" },
		{ "{{.Port .MinerID}}",
		    "t.tmpl:1:1: unsupported action \"{{.Port .MinerID}}\"" },
		{ "{{ -.Port}}",
		    "t.tmpl:1:1: unsupported action \"{{ -.Port}}\"" },
		{ "{{.Port-}}",
		    "t.tmpl:1:1: unsupported action \"{{.Port-}}\"" },
		{ "{{(.Port)}}",
		    "t.tmpl:1:1: unsupported action \"{{(.Port)}}\"" },
		{ "{{\"a\"}}",
		    "t.tmpl:1:1: unsupported action \"{{\\\"a\\\"}}\"" },
		{ "{{{.Port}}",
		    "t.tmpl:1:1: unsupported action \"{{{.Port}}\"" },
		{ "{{.F\001o}}",
		    "t.tmpl:1:1: unsupported action \"{{.F\\x01o}}\"" },
		{ "{{.Foo\n}}",
		    "t.tmpl:1:1: unknown placeholder \"{{.Foo\\n}}\"" },
	};
	char	*out, *cause;
	size_t	 i;

	for (i = 0; i < sizeof(c) / sizeof(*c); i++) {
		out = render(c[i].text, &cause);
		is(cause, c[i].want, c[i].want);
		ok(out == NULL, "no output for error %zu", i + 1);
		free(out);
		free(cause);
	}
	test_error_long();
}

/* script_render refuses values that do not belong in a shell script. */
static void
test_render_values(void)
{
	char	*out, *cause;
	size_t	 len;

	cause = NULL;
	ok(script_render("t.tmpl", "x", 1, "f01000;rm", INFO, 50031, &out,
	    &len, &cause) == -1 && out == NULL, "bad miner id refused");
	is(cause, "cannot render t.tmpl: bad miner id", "its message");
	free(cause);
	ok(script_render("t.tmpl", "x", 1, "f01000", "tok'en:/ip4/x", 50031,
	    &out, &len, &cause) == -1, "quote in MinerAPIInfo refused");
	is(cause, "cannot render t.tmpl: bad MinerAPIInfo value",
	    "its message");
	free(cause);
	ok(script_render("t.tmpl", "x", 1, "f01000", "", 50031, &out, &len,
	    &cause) == -1, "empty MinerAPIInfo refused");
	free(cause);
	ok(script_render("t.tmpl", "x", 1, "f01000", INFO, 0, &out, &len,
	    &cause) == -1, "port 0 refused");
	is(cause, "cannot render t.tmpl: bad port 0", "its message");
	free(cause);
	ok(script_render("t.tmpl", "x", 1, "f01000", INFO, 65536, &out, &len,
	    &cause) == -1, "port 65536 refused");
	free(cause);
	ok(script_render("t.tmpl", "a\0{{.Port}}", 11, "f01000", INFO, 1,
	    &out, &len, &cause) == 0 && len == 3 && memcmp(out, "a\0001", 3) ==
	    0, "a NUL byte in the text is copied");
	free(out);
}

/* Compare (or with SCRIPT_T_UPDATE rewrite) one golden script. */
static void
golden_check(const char *out, size_t len, const char *tmpl, const char *id)
{
	char	*rel, *path, *want;
	size_t	 wlen;
	FILE	*f;

	if (asprintf(&rel, "t/data/script/%.9s-%s.ok", tmpl, id) == -1)
		abort();
	path = srcpath(rel);
	if (getenv("SCRIPT_T_UPDATE") != NULL &&
	    (f = fopen(path, "w")) != NULL) {
		fwrite(out, 1, len, f);
		fclose(f);
	}
	want = slurp(path, &wlen);
	ok(want != NULL && wlen == len && memcmp(out, want, len) == 0,
	    "%s for %s is %s", tmpl, id, rel);
	free(want);
	free(path);
	free(rel);
}

/* Render a shipped template for one miner and check the golden file. */
static void
golden(const char *tmpl, const char *id, const char *addr)
{
	char		*rel, *path, *text, *info, *out, *cause;
	size_t		 len, outlen;
	uint64_t	 actor;

	if (asprintf(&rel, "templates/%s", tmpl) == -1)
		abort();
	path = srcpath(rel);
	text = slurp(path, &len);
	info = cause = out = NULL;
	script_id_parse(id, &actor);
	if (text == NULL ||
	    script_api_info(addr, TOKEN, &info, &cause) == -1 ||
	    script_render(tmpl, text, len, id, info, script_port(actor),
	    &out, &outlen, &cause) == -1) {
		ok(0, "render %s for %s: %s", tmpl, id,
		    cause != NULL ? cause : "cannot read");
	} else
		golden_check(out, outlen, tmpl, id);
	free(out);
	free(cause);
	free(info);
	free(text);
	free(path);
	free(rel);
}

/* Golden output of both default templates for several miners. */
static void
test_golden(void)
{
	golden("worker32G.tmpl", "f01000", "192.0.2.10:2345");
	golden("worker32G.tmpl", "f017387", "miner-a.example.org:1234");
	golden("worker32G.tmpl", "t028064", "[2001:db8::7]:2345");
	golden("worker64G.tmpl", "f01001", "192.0.2.11:2345");
	golden("worker64G.tmpl", "f02147483648", "[2001:db8::1]:2345");
	golden("worker64G.tmpl", "t017387", "miner-b.example.org:2345");
}

/* Write a file with the given contents (NULL: make a directory). */
static void
put(const char *dir, const char *name, const char *data, size_t len)
{
	char	*p;
	FILE	*f;

	if (asprintf(&p, "%s/%s", dir, name) == -1)
		abort();
	if (data == NULL)
		mkdir(p, 0755);
	else if ((f = fopen(p, "w")) != NULL) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
	free(p);
}

/* One template lookup: which file is read, or the message. */
static void
load_case(const char *tdir, uint64_t size, const char *want_path,
    const char *want_text, const char *desc)
{
	char	*path, *text, *cause;
	size_t	 len;

	cause = NULL;
	if (script_template_load(tdir, size, &path, &text, &len, &cause) ==
	    -1) {
		ok(want_path == NULL, "%s", desc);
		is(cause, want_text, "its message");
		free(cause);
		return;
	}
	is(path, want_path, desc);
	if (want_text != NULL)
		is(text, want_text, "the text read");
	ok(strlen(text) == len, "the text is NUL-terminated");
	free(path);
	free(text);
}

/* The template for a sector size, operator's directory first. */
static void
test_load(void)
{
	char	*dir, *big, *data32, *data64, *p;

	is(script_template_name(SCRIPT_SIZE_64G), "worker64G.tmpl", "64 GiB");
	is(script_template_name(UINT64_C(34359738368)), "worker32G.tmpl",
	    "32 GiB");
	is(script_template_name(0), "worker32G.tmpl", "unknown size: 32 GiB");
	is(script_template_name(UINT64_C(2048)), "worker32G.tmpl",
	    "2 KiB sectors: 32 GiB template, like the Go tool");

	if (asprintf(&dir, "%s/tmpl", tmp_root) == -1)
		abort();
	mkdir(dir, 0755);
	put(dir, "worker32G.tmpl", "mine {{.Port}}\n", 15);
	if (asprintf(&data32, "%s/worker32G.tmpl", dir) == -1 ||
	    asprintf(&data64, "%s/templates/worker64G.tmpl",
	    PILOT_DATADIR) == -1)
		abort();
	load_case(dir, 0, data32, "mine {{.Port}}\n", "operator dir first");
	load_case(dir, SCRIPT_SIZE_64G, data64, NULL,
	    "shipped template when the operator has none");
	load_case(NULL, SCRIPT_SIZE_64G, data64, NULL,
	    "shipped template without an operator dir");

	big = malloc(SCRIPT_TEMPLATE_MAX + 1);
	memset(big, '#', SCRIPT_TEMPLATE_MAX + 1);
	put(dir, "worker32G.tmpl", big, SCRIPT_TEMPLATE_MAX);
	load_case(dir, 0, data32, NULL, "a template of 1 MiB is read");
	put(dir, "worker32G.tmpl", big, SCRIPT_TEMPLATE_MAX + 1);
	if (asprintf(&p, "%s: template larger than 1048576 bytes", data32) ==
	    -1)
		abort();
	load_case(dir, 0, NULL, p, "a template over 1 MiB is refused");
	free(p);
	free(big);

	remove(data32);
	put(dir, "worker32G.tmpl", NULL, 0);
	if (asprintf(&p, "%s: not a regular file", data32) == -1)
		abort();
	load_case(dir, 0, NULL, p, "a directory is refused, no fallback");
	remove(data32);
	mkfifo(data32, 0600);
	load_case(dir, 0, NULL, p, "a FIFO is refused at once");
	free(p);
	free(data32);
	free(data64);
	free(dir);
}

/* Reading a missing template says so, with errno ENOENT. */
static void
test_read_missing(void)
{
	char	*path, *text, *cause, *want;
	size_t	 len;

	if (asprintf(&path, "%s/none.tmpl", tmp_root) == -1 ||
	    asprintf(&want, "cannot read %s: %s", path, strerror(ENOENT)) ==
	    -1)
		abort();
	errno = 0;
	ok(script_template_read(path, &text, &len, &cause) == -1 &&
	    errno == ENOENT && text == NULL, "missing template: ENOENT");
	is(cause, want, "its message");
	free(cause);
	free(want);
	free(path);
}

/* Whether a file has the wanted mode and content. */
static void
check_file(const char *path, const char *want, const char *desc)
{
	struct stat	 st;
	char		*got;
	size_t		 len;

	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == SCRIPT_MODE,
	    "%s: mode 0700", desc);
	got = slurp(path, &len);
	is(got, want, desc);
	free(got);
}

/* script_write: the file, its mode, and ids that are refused. */
static void
test_write(void)
{
	static const char *bad[] = {
		"../x", "f01000/..", "f0", "x01000", "f001", "../f01000", ""
	};
	char	*dir, *path, *cause, *want;
	size_t	 i;
	mode_t	 old;

	if (asprintf(&dir, "%s/scripts", tmp_root) == -1)
		abort();
	mkdir(dir, 0755);
	ok(script_write(dir, "f01000", "#!/bin/sh\n", 10, &path, &cause) ==
	    0, "script written");
	if (asprintf(&want, "%s/f01000.sh", dir) == -1)
		abort();
	is(path, want, "to DIR/ID.sh");
	check_file(want, "#!/bin/sh\n", "first content");
	free(path);

	chmod(want, 0644);
	old = umask(0777);
	ok(script_write(dir, "f01000", "new\n", 4, NULL, &cause) == 0,
	    "script rewritten under umask 0777");
	umask(old);
	check_file(want, "new\n", "content replaced");
	is_int(count_entries(dir), 1, "no temporary file left");

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cause = NULL;
		ok(script_write(dir, bad[i], "x", 1, &path, &cause) == -1 &&
		    path == NULL, "id \"%s\" is refused", bad[i]);
		is(cause, "bad miner id", "its message");
		free(cause);
	}
	is_int(count_entries(dir), 1, "refused ids wrote nothing");
	is_int(count_entries(tmp_root), 2, "nothing written beside DIR");
	free(want);
	free(dir);
}

/* script_write failures leave no temporary file behind. */
static void
test_write_fail(void)
{
	char	*dir, *cause, *want;

	if (asprintf(&dir, "%s/missing", tmp_root) == -1 ||
	    asprintf(&want, "cannot write %s/f01000.sh: %s", dir,
	    strerror(ENOENT)) == -1)
		abort();
	ok(script_write(dir, "f01000", "x", 1, NULL, &cause) == -1,
	    "writing into a missing dir fails");
	is(cause, want, "its message");
	ok(access(dir, F_OK) == -1, "the dir is not made");
	free(cause);
	free(want);
	free(dir);

	/* A non-empty directory where the script goes: rename fails. */
	if (asprintf(&dir, "%s/blocked", tmp_root) == -1 ||
	    asprintf(&want, "cannot write %s/f01000.sh: %s", dir,
	    strerror(EISDIR)) == -1)
		abort();
	mkdir(dir, 0755);
	put(dir, "f01000.sh", NULL, 0);
	put(dir, "f01000.sh/keep", "x", 1);
	ok(script_write(dir, "f01000", "x", 1, NULL, &cause) == -1,
	    "rename over a directory fails");
	is(cause, want, "its message");
	is_int(count_entries(dir), 1, "the temporary file is removed");
	free(cause);
	free(want);
	free(dir);
}

/* script_remove: removes, accepts a missing script, refuses bad ids. */
static void
test_remove(void)
{
	char	*dir, *path, *cause;

	if (asprintf(&dir, "%s/scripts", tmp_root) == -1 ||
	    asprintf(&path, "%s/f01000.sh", dir) == -1)
		abort();
	ok(access(path, F_OK) == 0, "script there before");
	ok(script_remove(dir, "f01000", &cause) == 0, "script removed");
	ok(access(path, F_OK) == -1 && errno == ENOENT, "file is gone");
	ok(script_remove(dir, "f01000", &cause) == 0,
	    "removing a missing script is fine");
	ok(script_remove(dir, "../scripts/f01000", &cause) == -1,
	    "bad id refused");
	is(cause, "bad miner id", "its message");
	free(cause);
	free(path);
	free(dir);
}

/* Two miners whose ids give the same port. */
static void
test_collision(void)
{
	const char	*others[] = {
		"f01001", "bogus", "t01000", "f017480"
	};
	const char	*zero[] = { "f02147483647" };
	char		*cause;

	cause = NULL;
	ok(script_port_collision("f01000", others, 3, &cause) == 0,
	    "no collision among f01001, bogus, t01000");
	ok(script_port_collision("f01000", others, 4, &cause) == -1,
	    "f01000 and f017480 share a port");
	is(cause, "port 50031 of f01000 collides with f017480",
	    "the message names both");
	free(cause);
	ok(script_port_collision("f00", zero, 1, &cause) == -1,
	    "actor 0 and 2^31-1 share a port");
	is(cause, "port 56273 of f00 collides with f02147483647",
	    "the message names both");
	free(cause);
	ok(script_port_collision("f01000", NULL, 0, &cause) == 0,
	    "no other miners, no collision");
	ok(script_port_collision("f0x", others, 4, &cause) == -1,
	    "a bad id is refused");
	is(cause, "bad miner id", "its message");
	free(cause);
}

/* Run shellcheck over a file. */
static void
shellcheck(const char *path)
{
	char	*cmd;

	if (asprintf(&cmd, "shellcheck -s bash '%s'", path) == -1)
		abort();
	ok(system(cmd) == 0, "shellcheck is clean on %s",
	    strrchr(path, '/') + 1);
	free(cmd);
}

/* script_make end to end, then shellcheck on what it wrote. */
static void
test_make(void)
{
	struct script_miner	 m;
	char			*dir, *path, *cause, *want, *got;
	char			*golden_path;
	size_t			 len;
	int			 have_sc;

	if (asprintf(&dir, "%s/made", tmp_root) == -1)
		abort();
	mkdir(dir, 0755);
	have_sc = system("command -v shellcheck >/dev/null 2>&1") == 0;

	m.id = "f017387";
	m.address = "miner-a.example.org:1234";
	m.token = TOKEN;
	m.sector_size = UINT64_C(34359738368);
	ok(script_make(NULL, dir, &m, &path, &cause) == 0, "f017387 made");
	golden_path = srcpath("t/data/script/worker32G-f017387.ok");
	want = slurp(golden_path, &len);
	got = slurp(path, &len);
	is(got, want, "same as the golden 32 GiB script");
	if (have_sc)
		shellcheck(path);
	else
		skip("shellcheck on the 32 GiB script", "no shellcheck");
	free(got);
	free(want);
	free(golden_path);
	free(path);

	m.id = "t01001";
	m.address = "[2001:db8::1]:2345";
	m.sector_size = SCRIPT_SIZE_64G;
	ok(script_make(NULL, dir, &m, &path, &cause) == 0, "t01001 made");
	if (have_sc)
		shellcheck(path);
	else
		skip("shellcheck on the 64 GiB script", "no shellcheck");
	free(path);

	m.id = "f01002";
	m.address = "192.0.2.1";
	ok(script_make(NULL, dir, &m, &path, &cause) == -1 && path == NULL,
	    "bad address: no script");
	is(cause, "bad miner API address \"192.0.2.1\": no port, want "
	    "HOST:PORT", "its message");
	free(cause);
	is_int(count_entries(dir), 2, "only the two good scripts exist");
	free(dir);
}

int
main(void)
{
	strcpy(tmp_root, "/tmp/script-t.XXXXXX");
	if (mkdtemp(tmp_root) == NULL) {
		printf("Bail out! cannot make a temporary directory\n");
		return (1);
	}
	test_gorand_values();
	test_seed_from_id();
	test_ports();
	test_ids();
	test_api_info();
	test_forms();
	test_errors();
	test_render_values();
	test_golden();
	test_load();
	test_read_missing();
	test_write();
	test_write_fail();
	test_remove();
	test_collision();
	test_make();
	nftw(tmp_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	printf("1..%d\n", tap_n);
	return (tap_failed == 0 ? 0 : 1);
}
