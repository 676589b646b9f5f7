/*
 * util-t.c: unit tests, printing TAP, for durations, miner ids, argv
 * words, UTF-8, whole-file reads, atomic writes and the runtime miners
 * file.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pilot.h"

static int	 tests, failed;
static char	 tmpdir[] = "/tmp/lotus-pilot-util-t.XXXXXX";

static int	 ok(int, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));

/* Report one check; the description is printf-like. */
static int
ok(int cond, const char *fmt, ...)
{
	va_list	 ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		failed++;
	return (cond);
}

/* Compare two strings, showing both when they differ. */
static void
is(const char *got, const char *want, const char *desc)
{
	if (!ok(got != NULL && strcmp(got, want) == 0, "%s", desc))
		printf("# got \"%s\", want \"%s\"\n", got ? got : "(null)",
		    want);
}

/* Good and bad durations, and formatting back. */
static void
test_duration(void)
{
	static const struct {
		const char	*in;
		uint64_t	 ms;
		const char	*out;
	} good[] = {
		{ "30s", 30000, "30s" }, { "1m0s", 60000, "1m0s" },
		{ "5m", 300000, "5m0s" }, { "1h", 3600000, "1h0m0s" },
		{ "500ms", 500, "500ms" }, { "1.5s", 1500, "1.5s" },
		{ "1h30m", 5400000, "1h30m0s" }, { "1.25m", 75000, "1m15s" },
		{ ".5s", 500, "500ms" }, { "1m30.25s", 90250, "1m30.25s" },
		{ "0.1h", 360000, "6m0s" }, { "2s0ms", 2000, "2s" },
		{ "1.0000000000s", 1000, "1s" }, { "25h1m1.5s", 90061500,
		    "25h1m1.5s" }, { "2562047h", 9223369200000ULL,
		    "2562047h0m0s" }
	};
	static const char *const bad[] = {
		"", "0", "0s", "-1s", "-0s", "+1s", "5", "1.5", "5d", "5us",
		"5 minutes", "1h 30m", "s", ".s", "1..5s", "0.5ms", "1.0001s",
		"1.0000000001s", "2562048h", "99999999999999999999s",
		"184467440737095516160ms", "1e3s", " 5s"
	};
	char		 buf[32];
	uint64_t	 ms;
	size_t		 i;
	int		 rv;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ms = 0;
		rv = duration_parse(good[i].in, &ms);
		ok(rv == 0 && ms == good[i].ms, "duration \"%s\" is %llu ms",
		    good[i].in, (unsigned long long)good[i].ms);
		duration_format(good[i].ms, buf, sizeof(buf));
		is(buf, good[i].out, "duration format");
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(duration_parse(bad[i], &ms) == -1,
		    "duration \"%s\" is refused", bad[i]);
	is(duration_format(0, buf, sizeof(buf)), "0s", "format of 0");
	is(duration_format(999, buf, sizeof(buf)), "999ms", "format of 999");
	is(duration_format(3600001, buf, sizeof(buf)), "1h0m0.001s",
	    "format of 1h and 1ms");
}

/* Miner ids: f0 or t0 and an actor number. */
static void
test_miner_id(void)
{
	static const char *const bad[] = {
		"", "f0", "f", "f1000", "F01000", "f001000", "f01000x",
		"x01000", "f0-1", "f0 1", "f018446744073709551616"
	};
	uint64_t	 actor;
	size_t		 i;

	ok(miner_id_parse("f01000", &actor) == 0 && actor == 1000,
	    "f01000 is actor 1000");
	ok(miner_id_parse("t017387", &actor) == 0 && actor == 17387,
	    "t017387 is actor 17387");
	ok(miner_id_parse("f00", &actor) == 0 && actor == 0, "f00 is 0");
	ok(miner_id_parse("f018446744073709551615", &actor) == 0 &&
	    actor == UINT64_MAX, "largest actor number");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(miner_id_parse(bad[i], &actor) == -1,
		    "miner id \"%s\" is refused", bad[i]);
}

/* Split a line and join the words with '|' for comparison. */
static char *
split_joined(const char *line, char **cause)
{
	char	**argv, *out;
	size_t	  i, len = 1;

	*cause = NULL;
	if ((argv = util_argv_split(line, cause)) == NULL)
		return (NULL);
	for (i = 0; argv[i] != NULL; i++)
		len += strlen(argv[i]) + 1;
	out = xcalloc(1, len);
	for (i = 0; argv[i] != NULL; i++) {
		if (i > 0)
			strcat(out, "|");
		strcat(out, argv[i]);
	}
	util_argv_free(argv);
	return (out);
}

/* Words as sh(1) splits them, without expansion; and quoting back. */
static void
test_argv(void)
{
	static const struct {
		const char	*in;
		const char	*words;		/* joined with '|' */
	} good[] = {
		{ "a b  c", "a|b|c" }, { "  a\tb  ", "a|b" }, { "", "" },
		{ "ansible {host} -a \"x y; z\"", "ansible|{host}|-a|x y; z" },
		{ "'a b' \"c d\"", "a b|c d" }, { "a'b'\"c\"d", "abcd" },
		{ "a\\ b", "a b" },
		{ "\"a\\\"b\\\\c\\$d\\e\"", "a\"b\\c$d\\e" },
		{ "'a\\b'", "a\\b" }, { "$HOME `x` *", "$HOME|`x`|*" },
		{ "'' x", "|x" }, { "a '' b", "a||b" }
	};
	static const struct {
		const char	*in;
		const char	*cause;
	} bad[] = {
		{ "a 'b", "unbalanced single quote" },
		{ "a \"b", "unbalanced double quote" },
		{ "a \"b\\\"", "unbalanced double quote" },
		{ "a b\\", "backslash at the end" }
	};
	char	*words[] = { "ansible", "{host}", "x y", "it's", "a\"b$c",
	    "", "a\\b", "-a", "src={script} dest=/root/{miner}.sh", NULL };
	char	*s, *cause, *line, **argv;
	size_t	 i;
	int	 same;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		s = split_joined(good[i].in, &cause);
		is(s, good[i].words, good[i].in);
		free(s);
		free(cause);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = split_joined(bad[i].in, &cause);
		ok(s == NULL, "split \"%s\" fails", bad[i].in);
		is(cause, bad[i].cause, "with the right cause");
		free(s);
		free(cause);
	}
	line = util_argv_join(words);
	is(line, "ansible {host} \"x y\" \"it's\" 'a\"b$c' \"\" 'a\\b' -a "
	    "\"src={script} dest=/root/{miner}.sh\"", "join quotes words");
	argv = util_argv_split(line, &cause);
	for (same = argv != NULL, i = 0; same && words[i] != NULL; i++)
		same = argv[i] != NULL && strcmp(argv[i], words[i]) == 0;
	ok(same && argv[i] == NULL, "joined words split back the same");
	util_argv_free(argv);
	free(line);
	words[0] = "it's \"q\"";
	words[1] = NULL;
	line = util_argv_join(words);
	is(line, "'it'\\''s \"q\"'", "a word with both quotes");
	s = split_joined(line, &cause);
	is(s, words[0], "splits back");
	free(s);
	free(line);
}

/* Well-formed UTF-8 only. */
static void
test_utf8(void)
{
	static const struct {
		const char	*s;
		int		 valid;
		const char	*desc;
	} cases[] = {
		{ "plain ascii", 1, "ascii" },
		{ "caf\xc3\xa9", 1, "two bytes" },
		{ "\xe2\x82\xac", 1, "three bytes" },
		{ "\xf0\x9f\x9a\x80", 1, "four bytes" },
		{ "\xf4\x8f\xbf\xbf", 1, "U+10FFFF" },
		{ "\xc0\xaf", 0, "overlong two bytes" },
		{ "\xc1\xbf", 0, "overlong C1" },
		{ "\xe0\x80\xaf", 0, "overlong three bytes" },
		{ "\xf0\x80\x80\xaf", 0, "overlong four bytes" },
		{ "\xed\xa0\x80", 0, "surrogate D800" },
		{ "\xed\xbf\xbf", 0, "surrogate DFFF" },
		{ "\xf4\x90\x80\x80", 0, "above U+10FFFF" },
		{ "\xf5\x80\x80\x80", 0, "lead byte F5" },
		{ "\xc3", 0, "truncated" },
		{ "\xe2\x82", 0, "truncated three bytes" },
		{ "\x80", 0, "lone continuation" },
		{ "a\xc3(", 0, "bad continuation" },
		{ "\xff", 0, "byte FF" }
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(util_utf8_valid(cases[i].s, strlen(cases[i].s)) ==
		    cases[i].valid, "utf8: %s", cases[i].desc);
	ok(util_utf8_valid("a\0b", 3) == 1, "utf8: NUL is a character");
	ok(util_utf8_valid("\xc3\xa9", 1) == 0, "utf8: cut by length");
}

/* Count the entries of dir other than . and .. */
static int
dir_entries(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return (n);
}

/* Atomic writes and whole-file reads. */
static void
test_files(void)
{
	struct stat	 sb;
	char		 path[256], bad[256], stale[300], *want, *buf;
	char		*cause;
	size_t		 len;

	snprintf(path, sizeof(path), "%s/state.json", tmpdir);
	snprintf(bad, sizeof(bad), "%s/missing/state.json", tmpdir);
	umask(077);
	ok(util_write_atomic(path, "one\n", 4, 0640, &cause) == 0,
	    "write a new file");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0640,
	    "mode 0640, whatever the umask");
	umask(022);
	ok(util_write_atomic(path, "two\n", 4, 0600, &cause) == 0,
	    "write over it");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0600,
	    "mode 0600");
	buf = util_read_file(path, 100, &len, &cause);
	ok(buf != NULL && len == 4 && strcmp(buf, "two\n") == 0,
	    "read the new content back");
	free(buf);
	ok(dir_entries(tmpdir) == 1, "no temporary file left behind");

	ok(util_write_atomic(bad, "x", 1, 0600, &cause) == -1,
	    "write in a missing directory fails");
	want = util_printf("cannot write %s: No such file or directory", bad);
	is(cause, want, "cause names the file");
	free(want);
	free(cause);
	ok(dir_entries(tmpdir) == 1, "and leaves nothing behind");

	snprintf(stale, sizeof(stale), "%s.tmp.%ld", path, (long)getpid());
	close(open(stale, O_CREAT|O_WRONLY, 0600));
	ok(util_write_atomic(path, "three\n", 6, 0600, &cause) == 0,
	    "a stale temporary file of our pid is no obstacle");
	ok(dir_entries(tmpdir) == 1, "and is gone");
	snprintf(bad, sizeof(bad), "%s/dir", tmpdir);
	mkdir(bad, 0700);
	ok(util_write_atomic(bad, "x", 1, 0600, &cause) == -1,
	    "write over a directory fails");
	want = util_printf("cannot write %s: Is a directory", bad);
	is(cause, want, "cause says why");
	free(want);
	free(cause);
	ok(dir_entries(tmpdir) == 2, "no temporary file left behind");
	rmdir(bad);
	snprintf(bad, sizeof(bad), "%s/missing/state.json", tmpdir);

	ok(util_read_file(path, 3, &len, &cause) == NULL,
	    "read refuses a file over maxlen");
	want = util_printf("cannot read %s: larger than 3 bytes", path);
	is(cause, want, "cause says how large");
	free(want);
	free(cause);
	ok(util_read_file(bad, 3, &len, &cause) == NULL,
	    "read of a missing file fails");
	want = util_printf("cannot open %s: No such file or directory", bad);
	is(cause, want, "cause names the file");
	free(want);
	free(cause);
	unlink(path);
}

/* A runtime miner saved to miners.conf comes back on the next load. */
static void
test_runtime(void)
{
	struct config		*conf;
	struct miner_conf	*m;
	struct stat		 sb;
	char			 path[256], rpath[256], text[512], *cause;
	char			*buf;
	FILE			*fp;

	snprintf(path, sizeof(path), "%s/pilot.conf", tmpdir);
	snprintf(rpath, sizeof(rpath), "%s/miners.conf", tmpdir);
	if ((fp = fopen(path, "w")) == NULL)
		return;
	fprintf(fp, "[pilot]\nstate_dir = %s\n\n[miner f01000]\naddress = "
	    "192.0.2.10:2345\ntoken = made.up-token_1\n", tmpdir);
	fclose(fp);
	if (!ok(config_load(path, &conf, &cause) == 0, "load a config"))
		return;
	ok(config_find_miner(conf, "t01000") == conf->miners,
	    "t01000 finds f01000");
	ok(config_find_miner(conf, "f01001") == NULL, "f01001 is unknown");
	m = xcalloc(1, sizeof(*m));
	m->id = xstrdup("f02000");
	m->actor = 2000;
	m->address = xstrdup("192.0.2.20:1234");
	m->token = xstrdup("another.made-up_token");
	m->origin = xstrdup("control socket");
	m->runtime = 1;
	conf->miners->next = m;
	ok(config_save_runtime(conf, &cause) == 0, "save runtime miners");
	ok(stat(rpath, &sb) == 0 && (sb.st_mode & 07777) == 0600,
	    "miners.conf has mode 0600");
	buf = util_read_file(rpath, 4096, NULL, &cause);
	snprintf(text, sizeof(text), "# lotus-pilotd writes this file: the "
	    "miners added through its control\n# socket.  Do not edit it "
	    "while the daemon runs.\n\n[miner f02000]\naddress = "
	    "192.0.2.20:1234\ntoken = another.made-up_token\n");
	is(buf, text, "miners.conf holds only the runtime miner");
	free(buf);
	config_free(conf);

	ok(config_load(path, &conf, &cause) == 0 &&
	    config_load_runtime(conf, &cause) == 0, "load both again");
	m = config_find_miner(conf, "f02000");
	ok(m != NULL && m->runtime && strcmp(m->token,
	    "another.made-up_token") == 0, "the runtime miner is back");
	snprintf(text, sizeof(text), "%s:4", rpath);
	ok(m != NULL && strcmp(m->origin, text) == 0,
	    "its origin is miners.conf:4");
	config_free(conf);
	unlink(rpath);
	unlink(path);
}

/* Run every group of checks; the plan comes last. */
int
main(void)
{
	umask(022);
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! cannot make %s: %s\n", tmpdir,
		    strerror(errno));
		return (1);
	}
	test_duration();
	test_miner_id();
	test_argv();
	test_utf8();
	test_files();
	test_runtime();
	rmdir(tmpdir);
	printf("1..%d\n", tests);
	return (failed != 0);
}
