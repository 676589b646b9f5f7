/*
 * mview-t.c: tests of the response parsers and the worker view against
 * the example cluster in t/data/fixtures (the expected results of its
 * README) and against broken and unusual responses.  Prints TAP.
 *
 * MVIEW_UPDATE=1 rewrites the golden files t/data/mview/*.ok.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mview.h"

static int	 tap_n;
static int	 tap_failed;
static char	 datadir[512];

/* Report one check. */
static int
ok(int cond, const char *fmt, ...)
{
	va_list	ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	return (cond);
}

/* Check two integers are equal. */
static int
is_int(long long got, long long want, const char *desc)
{
	if (!ok(got == want, "%s", desc))
		printf("# got %lld, want %lld\n", got, want);
	return (got == want);
}

/* Check two strings are equal (NULL is a value). */
static int
is_str(const char *got, const char *want, const char *desc)
{
	int	eq;

	eq = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);
	if (!ok(eq, "%s", desc))
		printf("# got \"%s\"\n# want \"%s\"\n", got ? got : "(null)",
		    want ? want : "(null)");
	return (eq);
}

/* Check got contains want. */
static int
like(const char *got, const char *want, const char *desc)
{
	int	m = got != NULL && strstr(got, want) != NULL;

	if (!ok(m, "%s", desc))
		printf("# got \"%s\"\n# want it to contain \"%s\"\n",
		    got ? got : "(null)", want);
	return (m);
}

/* Read a whole file under the data directory; NULL if it is missing. */
static char *
slurp(const char *rel, size_t *len)
{
	char	 path[1024], *buf;
	FILE	*f;
	long	 n;

	snprintf(path, sizeof(path), "%s/%s", datadir, rel);
	if ((f = fopen(path, "rb")) == NULL)
		return (NULL);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if ((buf = malloc(n + 1)) == NULL || fread(buf, 1, n, f) !=
	    (size_t)n) {
		printf("Bail out! cannot read %s\n", path);
		exit(255);
	}
	buf[n] = '\0';
	fclose(f);
	*len = n;
	return (buf);
}

/* Feed text in chunks; 0 or -1, keeping the error in err. */
static int
feed(struct json_stream *s, const char *buf, size_t len, size_t chunk,
    char *err, size_t errlen)
{
	size_t	off, n;
	int	rv = 0;

	for (off = 0; off < len && rv == 0; off += n) {
		n = len - off < chunk ? len - off : chunk;
		rv = json_stream_feed(s, buf + off, n);
	}
	if (rv == 0)
		rv = json_stream_end(s);
	if (err != NULL)
		snprintf(err, errlen, "%s", rv ? json_stream_error(s) : "");
	json_stream_free(s);
	return (rv);
}

/* Feed a fixture file; a missing file bails out. */
static int
feed_file(struct json_stream *s, const char *rel, size_t chunk, char *err,
    size_t errlen)
{
	size_t	 len;
	char	*buf;
	int	 rv;

	if ((buf = slurp(rel, &len)) == NULL) {
		printf("Bail out! missing %s/%s\n", datadir, rel);
		exit(255);
	}
	rv = feed(s, buf, len, chunk, err, errlen);
	free(buf);
	return (rv);
}

/* Feed a string whole. */
static int
feed_str(struct json_stream *s, const char *text, char *err, size_t errlen)
{
	return (feed(s, text, strlen(text), strlen(text) + 1, err, errlen));
}

/* Addresses of the fixture hosts (README "Addresses"), for 9.1 (a). */
static const char *
lookup(void *arg, const char *host)
{
	static const char	*table[][2] = {
		{ "worker-01", "192.0.2.101:50031" },
		{ "worker-02", "192.0.2.102:50031" },
		{ "worker-03", "192.0.2.103:50031" },
		{ "worker-04", "192.0.2.104:50031" },
		{ "worker-05", "192.0.2.105:57254" },
		{ "worker-06", "192.0.2.106:57254" },
		{ "wdpost-01", "192.0.2.121:3456" }
	};
	size_t			 i;

	(void)arg;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i][0], host) == 0)
			return (table[i][1]);
	return (NULL);
}

/* How to load a round of the fixture cluster. */
struct load {
	const char	*miner;		/* "f01000" */
	const char	*stats;		/* other WorkerStats file, or NULL */
	int		 stock;		/* StorageLocal + StorageInfo */
	size_t		 chunk;
};

/* Read the StorageInfo records the round lacks into mem. */
static void
load_infos(struct mview_memory *mem, struct mview_round *r,
    const char *miner, size_t chunk)
{
	struct mview_pathinfo	 pi;
	const char		**ids;
	char			 rel[256];
	size_t			 i, n;

	if (mview_memory_missing(mem, r, &ids, &n) == -1)
		return;
	for (i = 0; i < n; i++) {
		memset(&pi, 0, sizeof(pi));
		snprintf(rel, sizeof(rel), "fixtures/%s.StorageInfo.%s.json",
		    miner, ids[i]);
		if (feed_file(mview_resp_storage_info(&pi), rel, chunk, NULL,
		    0) == 0)
			mview_memory_add_info(mem, &pi);
		mview_pathinfo_clear(&pi);
	}
	free(ids);
}

/* Load one round of a fixture miner; NULL (and a failed check) if not. */
static struct mview_round *
load_round(const struct load *l, struct mview_memory *mem)
{
	static const char	*names[MV_NCALLS] = {
		"WorkerStats", "WorkerJobs", "StorageList",
		"SealingSchedDiag", "StorageLocal"
	};
	struct mview_round	*r = mview_round_new();
	char			 rel[256], err[512];
	int			 c, n = l->stock ? MV_NCALLS : MV_SCHEDDIAG + 1;

	for (c = 0; c < n; c++) {
		if (c == MV_WORKERSTATS && l->stats != NULL)
			snprintf(rel, sizeof(rel), "%s", l->stats);
		else
			snprintf(rel, sizeof(rel), "fixtures/%s.%s.json",
			    l->miner, names[c]);
		if (feed_file(mview_resp_round(r, c), rel, l->chunk, err,
		    sizeof(err)) == -1) {
			ok(0, "load %s: %s", rel, err);
			mview_round_free(r);
			return (NULL);
		}
	}
	if (l->stock && mem != NULL)
		load_infos(mem, r, l->miner, l->chunk);
	return (r);
}

/* Build the view of a fixture miner. */
static struct mview *
load_view(const struct load *l, struct mview_memory *mem, mview_lookup lk)
{
	struct mview_round	*r;
	struct mview		*v;
	char			*cause;

	if ((r = load_round(l, mem)) == NULL)
		return (NULL);
	if ((v = mview_build(r, mem, lk, NULL, &cause)) == NULL) {
		ok(0, "build %s: %s", l->miner, cause);
		free(cause);
	}
	mview_round_free(r);
	return (v);
}

/* The worker of a view with this hostname. */
static struct mview_worker *
host(const struct mview *v, const char *hostname)
{
	size_t	i;

	for (i = 0; v != NULL && i < v->nw; i++)
		if (strcmp(v->w[i].hostname, hostname) == 0)
			return (&v->w[i]);
	return (NULL);
}

/* Counts of one state as "PC1:2,PC2:1" ("-" for none). */
static const char *
counts(const uint32_t *cnt, char *buf, size_t len)
{
	size_t	off = 0;
	int	t;

	snprintf(buf, len, "-");
	for (t = 0; t < MV_NTASKS; t++)
		if (cnt[t] != 0)
			off += snprintf(buf + off, len - off, "%s%s:%u",
			    off ? "," : "", mview_task_short(t), cnt[t]);
	return (buf);
}

/* Sector numbers as "99 101" ("-" for none, "unknown"). */
static const char *
sectors(const struct mview_worker *w, char *buf, size_t len)
{
	size_t	off = 0;
	int64_t	i;

	if (w->nsectors < 0)
		return ("unknown");
	snprintf(buf, len, "-");
	for (i = 0; i < w->nsectors; i++)
		off += snprintf(buf + off, len - off, "%s%llu", off ? " " : "",
		    (unsigned long long)w->sectors[i]);
	return (buf);
}

/* One row of the README's table "What lotus-pilot should conclude". */
struct expect {
	const char	*host;
	int		 kept;
	const char	*running, *prepared, *assigned, *sched, *sectors;
	int		 can_switch, can_stop;
};

/* Check one worker against its row. */
static void
check_row(const struct mview *v, const struct expect *x, const char *tag)
{
	struct mview_worker	*w = host(v, x->host);
	char			 b[256], d[128];

	snprintf(d, sizeof(d), "%s %s: present", tag, x->host);
	if (!ok(w != NULL, "%s", d))
		return;
	snprintf(d, sizeof(d), "%s %s: kept by workerCheck", tag, x->host);
	is_int(w->eligible, x->kept, d);
	if (!x->kept)
		return;
	snprintf(d, sizeof(d), "%s %s: running", tag, x->host);
	is_str(counts(w->running, b, sizeof(b)), x->running, d);
	snprintf(d, sizeof(d), "%s %s: prepared", tag, x->host);
	is_str(counts(w->prepared, b, sizeof(b)), x->prepared, d);
	snprintf(d, sizeof(d), "%s %s: assigned", tag, x->host);
	is_str(counts(w->assigned, b, sizeof(b)), x->assigned, d);
	snprintf(d, sizeof(d), "%s %s: queued", tag, x->host);
	is_str(counts(w->queued, b, sizeof(b)), x->sched, d);
	snprintf(d, sizeof(d), "%s %s: sealing sectors", tag, x->host);
	is_str(sectors(w, b, sizeof(b)), x->sectors, d);
	snprintf(d, sizeof(d), "%s %s: canSwitch", tag, x->host);
	is_int(w->can_switch, x->can_switch, d);
	snprintf(d, sizeof(d), "%s %s: canStop", tag, x->host);
	is_int(w->can_stop, x->can_stop, d);
}

static const struct expect f01000_rows[] = {
	{ "wdpost-01", 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
	{ "miner-a", 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
	{ "worker-01", 1, "PC1:2", "PC1:1", "-", "PC1:1",
	    "99 101 102 104 105", 0, 0 },
	{ "worker-02", 1, "PC2:1", "-", "PC1:1", "-", "103 106", 0, 0 },
	{ "worker-03", 1, "FIN:1", "-", "-", "C1:1", "96 97 98", 1, 0 },
	{ "worker-04", 1, "-", "-", "-", "-", "-", 1, 1 }
};

static const struct expect f01001_rows[] = {
	{ "worker-06", 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
	{ "miner-b", 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
	{ "worker-05", 1, "PC1:2,PC2:1", "-", "AP:1", "-", "49 50 51 52",
	    0, 0 }
};

/* Check a view of f01000 against the README's table. */
static void
check_f01000(const struct mview *v, const char *tag)
{
	size_t	i;

	for (i = 0; i < sizeof(f01000_rows) / sizeof(f01000_rows[0]); i++)
		check_row(v, &f01000_rows[i], tag);
}

/* Check a view of f01001 against the README's table. */
static void
check_f01001(const struct mview *v, const char *tag)
{
	size_t	i;

	for (i = 0; i < sizeof(f01001_rows) / sizeof(f01001_rows[0]); i++)
		check_row(v, &f01001_rows[i], tag);
}

/* The pick order of a view as "a b c". */
static const char *
picks(const struct mview *v, char *buf, size_t len)
{
	struct mview_worker	**c;
	ssize_t			  n, i;
	size_t			  off = 0;

	buf[0] = '\0';
	if ((n = mview_candidates(v, &c)) == -1)
		return ("(oom)");
	for (i = 0; i < n; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? " " : "",
		    c[i]->hostname);
	free(c);
	return (buf);
}
