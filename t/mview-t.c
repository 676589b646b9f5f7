/*
 * mview-t.c: tests of the response parsers and the worker view against
 * the example cluster in t/data/fixtures (the expected results of its
 * README) and against broken and unusual responses.  Prints TAP.  Data
 * is found under $top_srcdir/t/data (else $srcdir, else .).
 *
 * MVIEW_UPDATE=1 rewrites the golden files (t/data/mview, .ok).
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

/* The fork cluster: README "What lotus-pilot should conclude". */
static void
test_cluster(void)
{
	struct load		 l0 = { "f01000", NULL, 0, 4096 };
	struct load		 l1 = { "f01001", NULL, 0, 4096 };
	struct mview		*v0, *v1;
	struct mview_worker	*w;
	char			 b[256];

	v0 = load_view(&l0, NULL, NULL);
	v1 = load_view(&l1, NULL, NULL);
	if (!ok(v0 != NULL && v1 != NULL, "fork cluster: views built"))
		return;
	check_f01000(v0, "fork");
	check_f01001(v1, "fork");
	is_int(mview_count_eligible(v0), 4, "minerWorkerAll f01000 = 4");
	is_int(mview_count_eligible(v1), 1, "minerWorkerAll f01001 = 1");
	is_str(picks(v0, b, sizeof(b)), "worker-04 worker-03 worker-02 "
	    "worker-01", "switch new --from f01000 --count 1: pick order");
	w = host(v0, "worker-03");
	ok(w != NULL && !(w->tasks & MV_TASKBIT(MV_AP)),
	    "DisableAPConfirming passes for worker-03 (no AP in Tasks)");
	w = host(v0, "worker-04");
	ok(w != NULL && (w->tasks & MV_TASKBIT(MV_AP)),
	    "DisableAPConfirming fails for worker-04 (AP in Tasks)");
	is_int(v0->unattributed[MV_AP], 2, "f01000: AP 107, 108 unattributed");
	is_int(v1->unattributed[MV_C1] + v1->unattributed[MV_AP], 2,
	    "f01001: C1 45, AP 55 unattributed");
	w = host(v0, "worker-01");
	is_int(w->retwait[MV_PC1], 1, "ret-wait PC1 99 tied to worker-01 "
	    "by hostname, not counted as running");
	is_int(v0->orphan_jobs, 1, "one job under the nil UUID");
	is_str(w->switch_why, "2 PC1 running, 1 PC1 prepared, 1 PC1 queued",
	    "worker-01: why it cannot switch");
	is_str(w->stop_why, "2 PC1 running, 1 PC1 prepared, 1 PC1 queued, "
	    "1 PC1 ret-wait, 5 sectors in its sealing path",
	    "worker-01: why it cannot stop");
	json_time_format(&w->last_pc1, 1, b, sizeof(b));
	is_str(b, "2024-06-21T02:03:09.77120345Z",
	    "worker-01: last PC1 start = latest running PC1 (102)");
	is_str(host(v0, "worker-03")->stop_why, "1 C1 queued, 1 FIN running, "
	    "3 sectors in its sealing path", "worker-03: why it cannot stop");
	is_str(host(v0, "wdpost-01")->eligible_why, "window PoSt worker",
	    "wdpost-01: PoSt worker");
	is_str(host(v0, "miner-a")->eligible_why,
	    "accepts neither PC1 nor PC2", "miner-a: no PC1/PC2");
	w = host(v1, "worker-06");
	ok(w->tasks_null && !w->enabled && w->kind == MV_KIND_UNKNOWN,
	    "worker-06: Tasks null, disabled");
	is_str(w->eligible_why, "disabled", "worker-06: disabled");
	mview_free(v0);
	mview_free(v1);
}

/* Upstream lotus without Paths and without spec 9 help. */
static void
test_upstream(void)
{
	struct load		 l = { "f01000", "fixtures/variants/"
	    "upstream-no-Paths.f01000.WorkerStats.json", 0, 4096 };
	struct mview		*v;
	struct mview_worker	*w;
	char			 b[256];

	if (!ok((v = load_view(&l, NULL, NULL)) != NULL, "upstream: view"))
		return;
	w = host(v, "worker-01");
	is_str(counts(w->running, b, sizeof(b)), "PC1:2",
	    "upstream worker-01: running PC1:2");
	is_str(counts(w->prepared, b, sizeof(b)), "PC1:1",
	    "upstream worker-01: prepared PC1:1");
	is_str(counts(w->queued, b, sizeof(b)), "-",
	    "upstream worker-01: nothing queued (no path)");
	is_int(w->nsectors, -1, "upstream worker-01: sectors unknown, not 0");
	w = host(v, "worker-03");
	is_str(counts(w->running, b, sizeof(b)), "FIN:1",
	    "upstream worker-03: running FIN:1");
	ok(w->can_switch && !w->can_stop, "upstream worker-03: canSwitch "
	    "yes, canStop no");
	w = host(v, "worker-04");
	ok(w->can_switch, "upstream worker-04: canSwitch yes");
	ok(!w->can_stop, "upstream worker-04: canStop no (fail safe, where "
	    "the Go tool says yes)");
	is_str(w->stop_why, "sealing path unknown",
	    "upstream worker-04: reason");
	is_int(v->unattributed[MV_AP] + v->unattributed[MV_PC1] +
	    v->unattributed[MV_C1], 4, "upstream: all 4 requests "
	    "unattributed");
	mview_free(v);
}

/* Check a worker's binding: source and first path. */
static void
check_bind(const struct mview *v, const char *hostname,
    enum mview_pathsrc src, const char *path, const char *tag)
{
	struct mview_worker	*w = host(v, hostname);
	char			 d[128];

	snprintf(d, sizeof(d), "%s: %s bound by %s", tag, hostname,
	    src == MV_PATH_JOBS ? "its jobs (b)" : src == MV_PATH_ADDR ?
	    "its address (a)" : src == MV_PATH_KEPT ? "memory" : "nothing");
	if (!ok(w != NULL && w->pathsrc == src, "%s", d))
		printf("# source %d\n", w ? (int)w->pathsrc : -1);
	if (path == NULL || w == NULL)
		return;
	snprintf(d, sizeof(d), "%s: %s path %.8s", tag, hostname, path);
	is_str(w->npaths == 1 ? w->paths[0] : NULL, path, d);
}

/* Spec 9 on f01000: StorageLocal, (b) only, then (a) + (b). */
static void
test_stock_f01000(void)
{
	struct load		 l = { "f01000", "fixtures/variants/"
	    "upstream-no-Paths.f01000.WorkerStats.json", 1, 4096 };
	struct mview_memory	*mem = mview_memory_new();
	struct mview_round	*r;
	struct mview		*v;
	const char		**ids;
	char			 b[256];
	size_t			 n, i;
	int			 local = 0;

	r = load_round(&l, NULL);
	mview_memory_missing(mem, r, &ids, &n);
	is_int(n, 4, "stock f01000: StorageInfo wanted for 4 paths");
	for (i = 0; i < n; i++)
		local += strncmp(ids[i], "e3690fbe", 8) == 0 ||
		    strncmp(ids[i], "ddd74b29", 8) == 0;
	is_int(local, 0, "stock f01000: StorageLocal sets aside e3690fbe, "
	    "ddd74b29");
	free(ids);
	mview_round_free(r);
	mview_memory_free(mem);

	mem = mview_memory_new();
	v = load_view(&l, mem, NULL);
	check_bind(v, "worker-01", MV_PATH_JOBS,
	    "4fd555af-ee90-4916-8716-da1291db5f06", "stock (b)");
	check_bind(v, "worker-02", MV_PATH_JOBS,
	    "14d3b680-8d5c-4a9a-8317-34cddbb9bd11", "stock (b)");
	check_bind(v, "worker-03", MV_PATH_JOBS,
	    "ab66b39a-0d3f-49bc-b898-13740d57aae9", "stock (b)");
	check_bind(v, "worker-04", MV_PATH_UNKNOWN, NULL, "stock (b)");
	check_bind(v, "miner-a", MV_PATH_UNKNOWN, NULL,
	    "stock (b), GET 96 is no evidence");
	ok(host(v, "worker-04")->can_switch && !host(v, "worker-04")->can_stop,
	    "stock (b): worker-04 canSwitch yes, canStop no");
	is_str(host(v, "worker-04")->stop_why, "sealing path unknown",
	    "stock (b): worker-04 reason");
	is_str(picks(v, b, sizeof(b)), "worker-03 worker-04 worker-02 "
	    "worker-01", "stock (b): unknown sectors sort after known ones");
	mview_free(v);
	mview_memory_free(mem);

	mem = mview_memory_new();
	v = load_view(&l, mem, lookup);
	check_bind(v, "worker-04", MV_PATH_ADDR,
	    "9b488aab-d038-439b-9b3a-ccc5830a0763", "stock (a)+(b)");
	check_bind(v, "worker-01", MV_PATH_JOBS, NULL, "stock (a)+(b)");
	check_f01000(v, "stock (a)+(b)");
	is_str(picks(v, b, sizeof(b)), "worker-04 worker-03 worker-02 "
	    "worker-01", "stock (a)+(b): pick order as on the fork");
	mview_free(v);
	mview_memory_free(mem);
}

/* Spec 9 on f01001: worker-05 by (b), dead worker-06 by (a). */
static void
test_stock_f01001(void)
{
	struct load		 l = { "f01001",
	    "mview/upstream-no-Paths.f01001.WorkerStats.json", 1, 4096 };
	struct mview_memory	*mem = mview_memory_new();
	struct mview		*v;
	struct mview_worker	*w;

	v = load_view(&l, mem, NULL);
	check_bind(v, "worker-05", MV_PATH_JOBS,
	    "8a2f6dfa-710f-4022-bfeb-13266691d965", "stock f01001 (b)");
	check_bind(v, "worker-06", MV_PATH_UNKNOWN, NULL, "stock f01001 (b)");
	mview_free(v);
	mview_memory_free(mem);

	mem = mview_memory_new();
	v = load_view(&l, mem, lookup);
	check_f01001(v, "stock f01001 (a)+(b)");
	check_bind(v, "worker-06", MV_PATH_ADDR,
	    "2b3b1e18-7b0e-4356-b68d-4867132f6785", "stock f01001 (a)");
	w = host(v, "worker-06");
	is_int(w->nsectors, 1, "stock f01001: worker-06 holds sector 45, "
	    "not the shared store b040af93");
	is_int(host(v, "worker-05")->queued[MV_C1], 0,
	    "stock f01001: C1 45 not on worker-05");
	is_int(w->queued[MV_C1], 1, "stock f01001: C1 45 attributed to the "
	    "dead worker-06 (its path)");
	mview_free(v);
	mview_memory_free(mem);
}

/* Make a round from inline bodies (WorkerStats, WorkerJobs, StorageList). */
static struct mview_round *
round_of(const char *ws, const char *wj, const char *sl, const char *local)
{
	struct mview_round	*r = mview_round_new();
	char			 err[512];

	if (feed_str(mview_resp_round(r, MV_WORKERSTATS), ws, err,
	    sizeof(err)) == -1 ||
	    feed_str(mview_resp_round(r, MV_WORKERJOBS), wj, err,
	    sizeof(err)) == -1 ||
	    feed_str(mview_resp_round(r, MV_STORAGELIST), sl, err,
	    sizeof(err)) == -1 || (local != NULL &&
	    feed_str(mview_resp_round(r, MV_STORAGELOCAL), local, err,
	    sizeof(err)) == -1)) {
		ok(0, "inline round: %s", err);
		mview_round_free(r);
		return (NULL);
	}
	return (r);
}

/* Add a StorageInfo record parsed from text to mem. */
static void
info_of(struct mview_memory *mem, const char *text)
{
	struct mview_pathinfo	pi;
	char			err[256];

	memset(&pi, 0, sizeof(pi));
	if (feed_str(mview_resp_storage_info(&pi), text, err, sizeof(err)))
		ok(0, "inline StorageInfo: %s", err);
	else
		mview_memory_add_info(mem, &pi);
	mview_pathinfo_clear(&pi);
}

#define U1	"11111111-1111-4111-8111-111111111111"
#define U2	"22222222-2222-4222-8222-222222222222"
#define P1	"aaaaaaaa-0000-4000-8000-000000000001"
#define P2	"aaaaaaaa-0000-4000-8000-000000000002"
#define WS1	"{\"result\":{\"" U1 "\":{\"Info\":{\"Hostname\":\"h1\"}," \
		"\"Tasks\":[\"seal/v0/precommit/1\"],\"Enabled\":true}}}"
#define JOB(n, rw)	"{\"Sector\":{\"Miner\":1,\"Number\":" #n "}," \
		"\"Task\":\"seal/v0/precommit/1\",\"RunWait\":" #rw "," \
		"\"Start\":\"2024-01-01T00:00:00Z\"}"
#define SL2	"{\"result\":{\"" P1 "\":[{\"Miner\":1,\"Number\":7," \
		"\"SectorFileType\":1}],\"" P2 "\":[{\"Miner\":1," \
		"\"Number\":8,\"SectorFileType\":1}]}}"
#define INFO(p, host) "{\"result\":{\"ID\":\"" p "\",\"URLs\":" \
		"[\"http://" host "/remote\"],\"CanSeal\":true," \
		"\"CanStore\":false}}"

/* Build a view from inline bodies with mem; check one worker's path. */
static void
round_check(struct mview_memory *mem, const char *ws, const char *wj,
    const char *h, enum mview_pathsrc src, const char *path,
    const char *desc)
{
	struct mview_round	*r;
	struct mview		*v;
	char			*cause;

	if ((r = round_of(ws, wj, SL2, "{\"result\":{}}")) == NULL)
		return;
	if ((v = mview_build(r, mem, NULL, NULL, &cause)) == NULL) {
		ok(0, "%s: %s", desc, cause);
		free(cause);
	} else {
		check_bind(v, h, src, path, desc);
		mview_free(v);
	}
	mview_round_free(r);
}

/* Bindings across rounds: kept, dropped on conflict, dropped on restart. */
static void
test_memory(void)
{
	struct mview_memory	*mem = mview_memory_new();

	info_of(mem, INFO(P1, "192.0.2.1:3456"));
	info_of(mem, INFO(P2, "192.0.2.2:3456"));
	round_check(mem, WS1, "{\"result\":{\"" U1 "\":[" JOB(7, 0) "]}}",
	    "h1", MV_PATH_JOBS, P1, "round 1");
	round_check(mem, WS1, "{\"result\":{}}", "h1", MV_PATH_KEPT, P1,
	    "round 2, idle");
	round_check(mem, WS1, "{\"result\":{\"" U1 "\":[" JOB(8, 0) "]}}",
	    "h1", MV_PATH_UNKNOWN, NULL, "round 3, evidence for another path");
	round_check(mem, WS1, "{\"result\":{\"" U1 "\":[" JOB(8, 0) "]}}",
	    "h1", MV_PATH_JOBS, P2, "round 4, rebound");
	round_check(mem, WS1, "{\"result\":{\"" U1 "\":[" JOB(7, 0) ","
	    JOB(8, 0) "]}}", "h1", MV_PATH_UNKNOWN, NULL,
	    "round 5, evidence for two paths");
	round_check(mem, WS1, "{\"result\":{\"" U1 "\":[" JOB(7, 1) "]}}",
	    "h1", MV_PATH_UNKNOWN, NULL,
	    "round 6, prepared job is no evidence");
	round_check(mem, WS1, "{\"result\":{\"" U1 "\":[" JOB(7, 0) "]}}",
	    "h1", MV_PATH_JOBS, P1, "round 7");
	round_check(mem, "{\"result\":{\"" U2 "\":{\"Info\":{\"Hostname\":"
	    "\"h1\"},\"Enabled\":true}}}", "{\"result\":{}}", "h1",
	    MV_PATH_ADDR, P1, "round 8, h1 restarted: new UUID, learned "
	    "address");
	round_check(mem, WS1, "{\"result\":{}}", "h1", MV_PATH_UNKNOWN, NULL,
	    "round 9, the old UUID again: no binding, no hint of its own");
	mview_memory_free(mem);
}

/* One body for one call, and the error it must give (NULL: none). */
struct bad {
	enum mview_call	 call;
	const char	*body;
	const char	*error;
};

static const struct bad bads[] = {
	{ MV_WORKERSTATS, "", "WorkerStats: empty body" },
	{ MV_WORKERSTATS, "{\"jsonrpc\":\"2.0\",\"result\":{\"" U1 "\":{",
	    "WorkerStats: truncated body after 67 bytes" },
	{ MV_WORKERSTATS, "{\"result\":{}}\n{}", "WorkerStats: invalid JSON "
	    "at byte 14: trailing data after the response" },
	{ MV_WORKERSTATS, "{\"result\":{},}", "WorkerStats: invalid JSON at "
	    "byte 13: unexpected '}'" },
	{ MV_WORKERSTATS, "404 page not found\n",
	    "WorkerStats: not a JSON-RPC response" },
	{ MV_WORKERSTATS, "{\"result\":[]}", "WorkerStats: result: not an "
	    "object" },
	{ MV_WORKERSTATS, "{\"jsonrpc\":\"2.0\",\"id\":1}",
	    "WorkerStats: no result in the response" },
	{ MV_WORKERSTATS, "{\"result\":{},\"result\":{}}",
	    "WorkerStats: more than one result" },
	{ MV_WORKERSTATS, "{\"result\":{\"worker-1\":{}}}",
	    "WorkerStats: worker key worker-1: key: not a UUID" },
	{ MV_WORKERSTATS, "{\"result\":{\"" U1 "\":[]}}",
	    "WorkerStats: worker " U1 ": entry: not an object" },
	{ MV_WORKERSTATS, "{\"result\":{\"" U1 "\":{\"Info\":[]}}}",
	    "WorkerStats: worker " U1 ": Info: not an object" },
	{ MV_WORKERSTATS, "{\"result\":{\"" U1 "\":{\"Info\":{\"Hostname\":"
	    "\"a\xff" "b\"},\"Enabled\":true}}}",
	    "WorkerStats: worker " U1 ": Info.Hostname: invalid UTF-8" },
	{ MV_WORKERSTATS, "{\"result\":{\"" U1 "\":{\"Info\":{\"Hostname\":"
	    "\"\\ud800x\"},\"Enabled\":true}}}",
	    "WorkerStats: worker " U1 ": Info.Hostname: invalid escape" },
	{ MV_WORKERSTATS, "{\"result\":{\"" U1 "\":{\"Info\":{\"Hostname\":"
	    "\"h\"},\"Enabled\":1}}}",
	    "WorkerStats: worker " U1 ": Enabled: not a boolean" },
	{ MV_WORKERSTATS, "{\"result\":{\"" U1 "\":{\"Info\":{\"Hostname\":"
	    "\"h\"},\"Enabled\":true,\"Tasks\":\"x\"}}}",
	    "WorkerStats: worker " U1 ": Tasks: not an array" },
	{ MV_WORKERSTATS, "{\"result\":{\"" U1 "\":{\"Info\":{\"Hostname\":"
	    "\"h\"},\"Enabled\":true,\"Paths\":[{\"ID\":\"p\"}]}}}",
	    "WorkerStats: worker " U1 ": Paths: missing" },
	{ MV_WORKERSTATS, "{\"result\":{\"" U1 "\":{\"Info\":{\"Hostname\":"
	    "\"h\",\"Resources\":{\"Resources\":{\"x\":[1,2}}}},"
	    "\"Enabled\":true}}}", "WorkerStats: invalid JSON" },
	{ MV_WORKERSTATS, "{\"result\":{\"" U1 "\":{\"Info\":{\"Hostname\":"
	    "\"h\x01\"},\"Enabled\":true}}}", "WorkerStats: invalid JSON at "
	    "byte 72 in \"" U1 "\": control character in string" },
	{ MV_WORKERJOBS, "{\"result\":{\"" U1 "\":[{\"Sector\":{\"Miner\":1,"
	    "\"Number\":2},\"Task\":\"seal/v0/fetch\",\"RunWait\":1.5,"
	    "\"Start\":\"2024-06-21T06:47:19+08:00\"}]}}",
	    "WorkerJobs: worker " U1 ": job 0: RunWait: not an integer" },
	{ MV_WORKERJOBS, "{\"result\":{\"" U1 "\":[{\"Sector\":{\"Miner\":1,"
	    "\"Number\":2},\"Task\":\"seal/v0/fetch\",\"RunWait\":\"0\","
	    "\"Start\":\"2024-06-21T06:47:19+08:00\"}]}}",
	    "WorkerJobs: worker " U1 ": job 0: RunWait: not a number" },
	{ MV_WORKERJOBS, "{\"result\":{\"" U1 "\":[{\"Sector\":{\"Miner\":1,"
	    "\"Number\":18446744073709551616},\"Task\":\"seal/v0/fetch\","
	    "\"RunWait\":0,\"Start\":\"2024-06-21T06:47:19Z\"}]}}",
	    "WorkerJobs: worker " U1 ": job 0: Sector: number out of range" },
	{ MV_WORKERJOBS, "{\"result\":{\"" U1 "\":[{\"Sector\":{\"Miner\":1,"
	    "\"Number\":2},\"Task\":\"seal/v0/fetch\",\"RunWait\":0,"
	    "\"Start\":\"2024-06-21 06:47:19Z\"}]}}",
	    "WorkerJobs: worker " U1 ": job 0: Start: not an RFC 3339 time" },
	{ MV_WORKERJOBS, "{\"result\":{\"xyz\":[]}}",
	    "WorkerJobs: worker key xyz: key: not a UUID" },
	{ MV_WORKERJOBS, "{\"result\":{\"" U1 "\":{}}}",
	    "WorkerJobs: value in \"" U1 "\": not an array" },
	{ MV_WORKERJOBS, "{\"result\":{\"" U1 "\":7}}",
	    "WorkerJobs: value in \"" U1 "\": not an array" },
	{ MV_STORAGELIST, "{\"result\":{\"p1\":[{\"Miner\":1,\"Number\":-2,"
	    "\"SectorFileType\":1}]}}", "StorageList: path p1: declaration 0: "
	    "Number: negative" },
	{ MV_STORAGELIST, "{\"result\":{\"p1\":[{\"Miner\":1,"
	    "\"SectorFileType\":1}]}}", "StorageList: path p1: declaration 0: "
	    "Number: missing" },
	{ MV_STORAGELIST, "{\"result\":{\"p1\":[{\"Miner\":1,\"Number\":2,"
	    "\"SectorFileType\":1}],\"p2\":[{\"Miner\":1,\"Number\":2,"
	    "\"SectorFileType\":1}", "StorageList: truncated body" },
	{ MV_SCHEDDIAG, "{\"result\":{\"SchedInfo\":{\"Requests\":[{\"Sector\":"
	    "{\"Miner\":1,\"Number\":2},\"TaskType\":7}]}}}",
	    "SealingSchedDiag: request 0: TaskType: not a string" },
	{ MV_SCHEDDIAG, "{\"result\":{\"SchedInfo\":[]}}",
	    "SealingSchedDiag: SchedInfo: not an object" },
	{ MV_STORAGELOCAL, "{\"result\":{\"p1\":1}}",
	    "StorageLocal: path p1: local path: not a string" }
};

/* A StorageList body with one declaration d in path p1. */
#define DECL(d)	"{\"result\":{\"p1\":[" d "]}}"

/*
 * Declarations in the common shape are read by a fast path, all others
 * by the tokenizer: both must give the same values and the same errors,
 * wherever the chunks of the body end.
 */
static const struct {
	const char	*body;
	uint64_t	 miner, number, ft;	/* when error is NULL */
	const char	*error;
} ints[] = {
	{ DECL("{\"Miner\":1000,\"Number\":7,\"SectorFileType\":1}"),
	    1000, 7, 1, NULL },
	{ DECL("{\"SectorFileType\":4,\"Number\":8,\"Miner\":1}"),
	    1, 8, 4, NULL },
	{ DECL("{ \"Miner\" : 1 , \"Number\" : 9 , \"SectorFileType\" : 2 }"),
	    1, 9, 2, NULL },
	{ DECL("{\"Miner\":1,\"Num\\u0062er\":10,\"SectorFileType\":1}"),
	    1, 10, 1, NULL },
	{ DECL("{\"Miner\":1,\"Number\":11,\"SectorFileType\":1,\"X\":\"y\"}"),
	    1, 11, 1, NULL },
	{ DECL("{\"Miner\":1,\"Number\":99,\"Number\":12,"
	    "\"SectorFileType\":1}"), 1, 12, 1, NULL },
	{ DECL("{\"Miner\":0,\"Number\":0,\"SectorFileType\":0}"),
	    0, 0, 0, NULL },
	{ DECL("{\"Miner\":1,\"Number\":9999999999999999999,"
	    "\"SectorFileType\":1}"), 1, 9999999999999999999ULL, 1, NULL },
	{ DECL("{\"Miner\":1,\"Number\":18446744073709551615,"
	    "\"SectorFileType\":4294967295}"), 1, UINT64_MAX, UINT32_MAX,
	    NULL },
	{ DECL("{\"Miner\":1,\"Number\":-0,\"SectorFileType\":1}"),
	    1, 0, 1, NULL },
	{ DECL("{\"Miner\":1,\"Number\":07,\"SectorFileType\":1}"), 0, 0, 0,
	    "declaration 0: Number: not a number" },
	{ DECL("{\"Miner\":1,\"Number\":7.0,\"SectorFileType\":1}"), 0, 0, 0,
	    "declaration 0: Number: not an integer" },
	{ DECL("{\"Miner\":1,\"Number\":7e2,\"SectorFileType\":1}"), 0, 0, 0,
	    "declaration 0: Number: not an integer" },
	{ DECL("{\"Miner\":1,\"Number\":\"7\",\"SectorFileType\":1}"), 0, 0,
	    0, "declaration 0: Number: not a number" },
	{ DECL("{\"Miner\":1,\"Number\":null,\"SectorFileType\":1}"), 0, 0,
	    0, "declaration 0: Number: null" },
	{ DECL("{\"Miner\":1,\"Number\":-7,\"SectorFileType\":1}"), 0, 0, 0,
	    "declaration 0: Number: negative" },
	{ DECL("{\"Miner\":1,\"Number\":18446744073709551616,"
	    "\"SectorFileType\":1}"), 0, 0, 0,
	    "declaration 0: Number: number out of range" },
	{ DECL("{\"Miner\":1,\"Number\":7}"), 0, 0, 0,
	    "declaration 0: SectorFileType: missing" },
	{ DECL("{\"Miner\":1,\"Number\":7,\"SectorFileType\":4294967296}"),
	    0, 0, 0, "SectorFileType: number out of range" },
	{ DECL("{\"Miner\":1,\"Number\":7,\"SectorFileType\":1,}"), 0, 0, 0,
	    "invalid JSON" },
	{ DECL("{\"Miner\":1,\"Number\":7\"SectorFileType\":1}"), 0, 0, 0,
	    "invalid JSON" },
	{ DECL("{\"Miner\":1,\"Number\":7,\"SectorFileType\":1"), 0, 0, 0,
	    "invalid JSON" },
	{ DECL("{\"Miner\":1,\"Number\":7,\"SectorFileType\":1}}"), 0, 0, 0,
	    "invalid JSON" },
	{ DECL("{\"MinerX\":1,\"Number\":7,\"SectorFileType\":1}"), 0, 0,
	    0, "declaration 0: Miner: missing" },
	{ DECL("{\"Miner\":1,\"Number\":7,\"SectorFileType\":1,"
	    "\"Miner\":2}"), 2, 7, 1, NULL },
	{ DECL("[1,2,3]"), 0, 0, 0, "declaration: not an object" }
};

/* Every case of ints, cut into chunks of many sizes. */
static void
test_ints(void)
{
	static const size_t	 chunks[] = { 1, 2, 3, 5, 8, 13, 31, 4096 };
	struct mview_round	*r;
	char			 err[512], d[96];
	size_t			 i, c, len, bad;

	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		len = strlen(ints[i].body);
		for (c = bad = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			r = mview_round_new();
			if (feed(mview_resp_round(r, MV_STORAGELIST),
			    ints[i].body, len, chunks[c], err, sizeof(err)) ==
			    -1) {
				if (ints[i].error == NULL ||
				    strstr(err, ints[i].error) == NULL) {
					snprintf(d, sizeof(d), "ints %zu, "
					    "chunk %zu", i, chunks[c]);
					is_str(err, ints[i].error ?
					    ints[i].error : "(no error)", d);
					bad++;
				}
			} else if (ints[i].error != NULL || r->ndecl != 1 ||
			    r->miner[r->decl[0].miner] != ints[i].miner ||
			    r->decl[0].number != ints[i].number ||
			    r->decl[0].ft != ints[i].ft) {
				printf("# ints %zu, chunk %zu: %zu declarations"
				    ", first %llu/%llu/%llu\n", i, chunks[c],
				    r->ndecl, r->ndecl ? (unsigned long long)
				    r->miner[r->decl[0].miner] : 0ULL,
				    r->ndecl ? (unsigned long long)
				    r->decl[0].number : 0ULL, r->ndecl ?
				    (unsigned long long)r->decl[0].ft : 0ULL);
				bad++;
			}
			mview_round_free(r);
		}
		ok(bad == 0, "declaration %zu read alike in every chunking%s%s",
		    i, ints[i].error ? ": " : "", ints[i].error ?
		    ints[i].error : "");
	}
}

/* The response id against the request's (5), errors before or after it. */
static void
test_rpc_id(void)
{
	static const struct {
		const char	*body;
		const char	*error;		/* NULL: accepted */
		int		 rpcerr;	/* the miner's own error */
	} c[] = {
		{ "{\"jsonrpc\":\"2.0\",\"result\":{},\"id\":5}", NULL, 0 },
		{ "{\"id\":5,\"jsonrpc\":\"2.0\",\"result\":{}}", NULL, 0 },
		{ "{\"jsonrpc\":\"2.0\",\"result\":{},\"id\":6}",
		    "response id 6 is not the request's (5)", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1,\"message\":"
		    "\"boom\"},\"id\":6}",
		    "response id 6 is not the request's (5)", 0 },
		{ "{\"id\":6,\"jsonrpc\":\"2.0\",\"error\":{\"code\":1,"
		    "\"message\":\"boom\"}}",
		    "response id 6 is not the request's (5)", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1,\"message\":"
		    "\"boom\"},\"id\":5}", "boom (code 1)", 1 },
		{ "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1,\"message\":"
		    "\"boom\"},\"id\":null}", "boom (code 1)", 1 },
		{ "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1,\"message\":"
		    "\"boom\"}}", "boom (code 1)", 1 },
		{ "{\"jsonrpc\":\"2.0\",\"result\":{}}",
		    "no id in the response", 0 }
	};
	struct mview_round	*r;
	struct json_stream	*js;
	const char		*err;
	size_t			 i, k, n, len;
	int			 rv, bad, chunk;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		len = strlen(c[i].body);
		for (chunk = 1, bad = 0; chunk <= 2; chunk++) {
			r = mview_round_new();
			js = mview_resp_round(r, MV_STORAGELIST);
			json_stream_expect_id(js, 5);
			n = chunk == 1 ? 1 : len;
			for (k = 0, rv = 0; k < len && rv == 0; k += n)
				rv = json_stream_feed(js, c[i].body + k,
				    len - k < n ? len - k : n);
			if (rv == 0)
				rv = json_stream_end(js);
			err = rv ? json_stream_error(js) : NULL;
			if ((c[i].error == NULL) != (err == NULL) ||
			    (err != NULL && strstr(err, c[i].error) == NULL) ||
			    json_stream_rpc_error(js, NULL) != c[i].rpcerr) {
				printf("# case %zu, chunk %s: %s\n", i,
				    chunk == 1 ? "1 byte" : "whole",
				    err ? err : "(accepted)");
				bad++;
			}
			json_stream_free(js);
			mview_round_free(r);
		}
		ok(bad == 0, "response id case %zu: %s", i,
		    c[i].error ? c[i].error : "accepted");
	}
}

/* Responses the spec does not allow: an error, never a crash. */
static void
test_bad(void)
{
	struct mview_round	*r;
	char			 err[512], d[64];
	size_t			 i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		r = mview_round_new();
		snprintf(d, sizeof(d), "bad body %zu", i);
		if (ok(feed_str(mview_resp_round(r, bads[i].call), bads[i].body,
		    err, sizeof(err)) == -1, "%s fails", d))
			like(err, bads[i].error, d);
		else
			ok(0, "%s", d);
		ok(!mview_round_have(r, bads[i].call), "%s: round has no %s",
		    d, mview_call_method(bads[i].call));
		mview_round_free(r);
	}
}

/* Error envelopes: the method and the miner's message. */
static void
test_errors(void)
{
	static const char	*files[][2] = {
		{ "fixtures/errors/missing-permission.json",
		  "WorkerStats: missing permission to invoke 'WorkerStats' "
		  "(need 'admin') (code 1)" },
		{ "fixtures/errors/v1.36.missing-permission.json",
		  "WorkerStats: missing permission to invoke 'WorkerStats' "
		  "(need 'admin') (code 1)" },
		{ "fixtures/errors/parse-error.json",
		  "WorkerStats: Parse error (code -32700)" },
		{ "fixtures/errors/method-not-found.json",
		  "WorkerStats: method 'Filecoin.WorkerStatz' not found "
		  "(code -32601)" },
		{ "fixtures/errors/storage-stat-unreachable.json",
		  "WorkerStats: do request: Get \"http://192.0.2.106:57254/"
		  "remote/stat/2b3b1e18-7b0e-4356-b68d-4867132f6785\": "
		  "dial tcp 192.0.2.106:57254: connect: connection refused "
		  "(code 1)" }
	};
	struct mview_round	*r;
	struct json_stream	*s;
	struct mview_version	 v;
	int64_t			 code = 0;
	char			 err[512];
	size_t			 i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		r = mview_round_new();
		feed_file(mview_resp_round(r, MV_WORKERSTATS), files[i][0], 5,
		    err, sizeof(err));
		is_str(err, files[i][1], files[i][0]);
		mview_round_free(r);
	}
	s = mview_resp_version(&v);
	json_stream_feed(s, "{\"error\":{\"code\":-32601,\"message\":\"x\"}}",
	    40);
	ok(json_stream_rpc_error(s, &code) && code == -32601,
	    "error code kept for the caller");
	json_stream_free(s);
	is_int(feed_str(mview_resp_version(&v), "{\"error\":null,\"result\":"
	    "{\"Version\":\"1\",\"APIVersion\":1}}", err, sizeof(err)), 0,
	    "\"error\": null is no error");
}

/* Unusual but allowed responses. */
static void
test_variants(void)
{
	struct mview_round	*r;
	struct mview		*v;
	struct mview_worker	*w;
	char			 err[512], *cause;

	r = mview_round_new();
	is_int(feed_file(mview_resp_round(r, MV_WORKERSTATS),
	    "fixtures/variants/empty.WorkerStats.json", 3, err, sizeof(err)),
	    0, "WorkerStats {}");
	is_int(feed_file(mview_resp_round(r, MV_WORKERJOBS),
	    "fixtures/variants/empty.WorkerJobs.json", 3, err, sizeof(err)),
	    0, "WorkerJobs {}");
	is_int(feed_file(mview_resp_round(r, MV_SCHEDDIAG),
	    "fixtures/variants/empty.SealingSchedDiag.json", 3, err,
	    sizeof(err)), 0, "SchedDiag idle: nulls and {}");
	is_int(feed_str(mview_resp_round(r, MV_STORAGELIST),
	    "{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":null}", err, sizeof(err)),
	    0, "StorageList result null, sorted keys");
	v = mview_build(r, NULL, NULL, NULL, &cause);
	ok(v != NULL && v->nw == 0 && v->have_sched, "empty miner: no "
	    "workers");
	mview_free(v);
	mview_round_free(r);

	r = round_of("{\"result\":{\"" U1 "\":{\"Enabled\":true,\"Tasks\":"
	    "null,\"Paths\":null,\"Info\":{\"Hostname\":\"a\\u003cb\\u003e"
	    "\\u0026\\ud83d\\ude00\\\"\\\\\\/\\u00e9\",\"Agent\":{\"x\":[1]}},"
	    "\"Extra\":[{}]}}}", "{\"result\":{\"" U1 "\":null,\"00000000-"
	    "0000-0000-0000-000000000000\":[{\"Sector\":{\"Miner\":1,"
	    "\"Number\":5},\"Task\":\"seal/v0/x\",\"RunWait\":-3,\"Start\":"
	    "\"0001-01-01T00:00:00Z\",\"Hostname\":\"h\"}]}}",
	    "{\"result\":{}}", NULL);
	v = r != NULL ? mview_build(r, NULL, NULL, NULL, &cause) : NULL;
	w = v != NULL && v->nw == 1 ? &v->w[0] : NULL;
	if (ok(w != NULL, "odd worker parsed")) {
		is_str(w->hostname, "a<b>&\xf0\x9f\x98\x80\"\\/\xc3\xa9",
		    "hostname escapes decoded, surrogate pair joined");
		ok(!w->hostname_safe, "hostname not safe for a command line");
		ok(w->tasks_null && !w->eligible, "Tasks null: not eligible");
		is_int(w->nsectors, -1, "Paths null: sectors unknown");
		is_int(v->orphan_jobs, 1, "nil-UUID job of unknown task kept");
	}
	mview_free(v);
	mview_round_free(r);

	r = mview_round_new();
	is_int(feed_str(mview_resp_round(r, MV_SCHEDDIAG), "{\"result\":"
	    "{\"SchedInfo\":{\"Requests\":[{\"Sector\":{\"Miner\":1,\"Number\":"
	    "2},\"TaskType\":\"seal/v0/addpiece\",\"Priority\":0}],"
	    "\"OpenWindows\":null}}}", err, sizeof(err)), 0,
	    "old SchedDiag shape: no SchedId");
	is_int(r->nreq, 1, "old shape: one request");
	mview_round_free(r);
	r = mview_round_new();
	is_int(feed_str(mview_resp_round(r, MV_SCHEDDIAG), "{\"result\":"
	    "{\"SchedInfo\":null}}", err, sizeof(err)), 0, "SchedInfo null");
	is_int(feed_str(mview_resp_round(r, MV_WORKERSTATS), "\r\n {\"result\""
	    " : { } , \"jsonrpc\" : \"2.0\" } \n\t", err, sizeof(err)), 0,
	    "white space everywhere");
	mview_round_free(r);
}

/* The small methods. */
static void
test_small(void)
{
	struct mview_version	 v;
	struct mview_actor	 a;
	struct mview_pathinfo	 pi;
	uint64_t		 size = 0;
	unsigned int		 perms = 0;
	char			 err[512];

	memset(&pi, 0, sizeof(pi));
	feed_file(mview_resp_version(&v), "fixtures/f01000.Version.json", 7,
	    err, sizeof(err));
	ok(strcmp(v.version, "1.26.3+mainnet+git.7cac57375") == 0 &&
	    v.api_version == 66816 && v.block_delay == 30 && v.agent[0] == 0,
	    "Version 1.26");
	feed_file(mview_resp_version(&v), "fixtures/variants/"
	    "v1.36.f01000.Version.json", 7, err, sizeof(err));
	ok(v.api_version == 66816 && strcmp(v.agent, "lotus") == 0,
	    "Version 1.36 with Agent, sorted keys");
	feed_file(mview_resp_actor(&a), "fixtures/f01001.ActorAddress.json",
	    2, err, sizeof(err));
	ok(a.id == 1001 && a.network == 'f', "ActorAddress f01001");
	feed_file(mview_resp_actor(&a), "fixtures/variants/calibnet."
	    "ActorAddress.json", 2, err, sizeof(err));
	ok(a.id == 1000 && a.network == 't', "ActorAddress t01000 = 1000");
	ok(feed_str(mview_resp_actor(&a), "{\"result\":\"f3abc\"}", err,
	    sizeof(err)) == -1, "ActorAddress f3...: not an ID address");
	is_str(err, "ActorAddress: result: not an ID address: f3abc",
	    "ActorAddress error");
	ok(feed_str(mview_resp_actor(&a), "{\"result\":null}", err,
	    sizeof(err)) == -1, "ActorAddress null: an error");
	feed_file(mview_resp_sector_size(&size), "fixtures/f01001."
	    "ActorSectorSize.json", 3, err, sizeof(err));
	is_int(size, 68719476736LL, "ActorSectorSize 64 GiB");
	is_int(feed_str(mview_resp_sector_size(&size), "{\"result\":"
	    "18446744073709551615}", err, sizeof(err)), 0, "uint64 max");
	ok(size == UINT64_MAX, "uint64 max value");
	feed_file(mview_resp_auth(&perms), "fixtures/f01000.AuthVerify.json",
	    4, err, sizeof(err));
	is_int(perms, MV_PERM_READ | MV_PERM_WRITE | MV_PERM_SIGN |
	    MV_PERM_ADMIN, "AuthVerify: admin token");
	feed_str(mview_resp_auth(&perms), "{\"result\":[\"read\"]}", err,
	    sizeof(err));
	is_int(perms & MV_PERM_ADMIN, 0, "AuthVerify: read-only token");
	feed_file(mview_resp_storage_info(&pi), "fixtures/variants/v1.36."
	    "f01000.StorageInfo.4fd555af-ee90-4916-8716-da1291db5f06.json", 9,
	    err, sizeof(err));
	ok(pi.can_seal && !pi.can_store && pi.nurls == 1 &&
	    strcmp(pi.hostport[0], "192.0.2.101:50031") == 0,
	    "StorageInfo v1.36: CanSeal, host:port");
	feed_file(mview_resp_storage_info(&pi), "fixtures/f01001.StorageInfo."
	    "b040af93-4433-47b4-927d-5370b3667316.json", 9, err, sizeof(err));
	ok(!pi.can_seal && pi.nurls == 2 &&
	    strcmp(pi.hostport[1], "192.0.2.106:57254") == 0,
	    "StorageInfo: shared store with two URLs");
	mview_pathinfo_clear(&pi);
}

/* RFC 3339 times as Go writes them, and strings that are not. */
static void
test_time(void)
{
	static const struct {
		const char	*in;
		int64_t		 sec;
		int32_t		 nsec;
	} good[] = {
		{ "2024-06-21T06:47:19+08:00", 1718923639, 0 },
		{ "2024-06-21T11:59:40.1+08:00", 1718942380, 100000000 },
		{ "2024-06-21T10:03:09.77120345+08:00", 1718935389, 771203450 },
		{ "2024-06-20T23:30:55.28446137Z", 1718926255, 284461370 },
		{ "2024-06-21T03:20:33.612004991Z", 1718940033, 612004991 },
		{ "2024-06-21T01:45:10.905-02:30", 1718943310, 905000000 },
		{ "1970-01-01T00:00:00Z", 0, 0 },
		{ "2024-02-29T23:59:59.000000001Z", 1709251199, 1 },
		{ "0001-01-01T00:00:00Z", -62135596800LL, 0 }
	};
	static const char	*bad[] = {
		"2024-06-21T06:47:19", "2024-06-21 06:47:19Z",
		"2024-06-21T06:47:19.Z", "2024-02-30T00:00:00Z",
		"2023-02-29T00:00:00Z", "2024-06-21T24:00:00Z",
		"2024-06-21T06:47:60Z", "2024-06-21T06:47:19+24:00",
		"2024-06-21T06:47:19+0800", "2024-6-21T06:47:19Z",
		"2024-06-21T06:47:19z", "2024-06-21T06:47:19Zx"
	};
	struct json_time	 t;
	char			 buf[64];
	size_t			 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(json_time_parse(good[i].in, strlen(good[i].in), &t) == 0 &&
		    t.sec == good[i].sec && t.nsec == good[i].nsec,
		    "time %s", good[i].in);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(json_time_parse(bad[i], strlen(bad[i]), &t) == -1,
		    "not a time: %s", bad[i]);
	t.sec = 1718935389;
	t.nsec = 771203450;
	json_time_format(&t, 1, buf, sizeof(buf));
	is_str(buf, "2024-06-21T02:03:09.77120345Z", "format, nanoseconds");
	json_time_format(&t, 0, buf, sizeof(buf));
	is_str(buf, "2024-06-21T02:03:09Z", "format, seconds");
	t.sec = -62135596800LL;
	t.nsec = 0;
	json_time_format(&t, 1, buf, sizeof(buf));
	is_str(buf, "0001-01-01T00:00:00Z", "format, zero time");
}

/* UUIDs and string decoding. */
static void
test_strings(void)
{
	uint8_t		 u[16];
	char		 buf[64];
	const char	*why = NULL;

	ok(json_uuid_parse(U1, 36, u) == 0, "uuid");
	json_uuid_format(u, buf);
	is_str(buf, U1, "uuid round trip");
	ok(json_uuid_parse("90FF1FB6-6CB8-4D4A-924F-9171F1D11F08", 36, u) ==
	    0, "uuid upper case");
	ok(json_uuid_parse("90ff1fb6-6cb8-4d4a-924f-9171f1d11f0", 35, u) ==
	    -1, "uuid too short");
	ok(json_uuid_parse("90ff1fb6x6cb8-4d4a-924f-9171f1d11f08", 36, u) ==
	    -1, "uuid without hyphen");
	ok(json_uuid_parse("90ff1fb6-6cb8-4d4a-924f-9171f1d11fg8", 36, u) ==
	    -1, "uuid not hex");
	is_int(json_unescape("\\u00e9\\n", 8, buf, sizeof(buf), &why), 3,
	    "unescape");
	is_int(json_unescape("\\u0000", 6, buf, sizeof(buf), &why), -1,
	    "\\u0000 refused");
	is_int(json_unescape("\\udc00", 6, buf, sizeof(buf), &why), -1,
	    "lone low surrogate refused");
	is_int(json_unescape("\xc0\xaf", 2, buf, sizeof(buf), &why), -1,
	    "overlong UTF-8 refused");
	is_int(json_unescape("\xed\xa0\x80", 3, buf, sizeof(buf), &why), -1,
	    "UTF-8 surrogate refused");
	is_int(json_unescape("abcdef", 6, buf, 6, &why), -1, "too long");
	is_str(why, "too long", "too long: why");
	is_str(json_safe("a\nb\xc3\xa9", buf, sizeof(buf)), "a?b\xc3\xa9",
	    "safe: control bytes");
	is_str(json_safe("abcdefgh\xc3\xa9", buf, 10), "abcdef...",
	    "safe: cut at a character");
}

/* The JSON of a fixture view loaded in chunks of a given size. */
static char *
chunked(const struct load *l0, size_t chunk)
{
	struct load		 l = *l0;
	struct mview_memory	*mem = mview_memory_new();
	struct mview		*v;
	char			*out = NULL;

	l.chunk = chunk;
	if ((v = load_view(&l, mem, l.stock ? lookup : NULL)) != NULL)
		out = mview_format_json(v, MV_FMT_ALL);
	mview_free(v);
	mview_memory_free(mem);
	return (out);
}

/* Every chunk size gives the same view. */
static void
test_chunks(void)
{
	static const size_t	 sizes[] = { 1, 2, 3, 5, 16, 17, 64, 1000,
	    1 << 20 };
	static const struct load loads[] = {
		{ "f01000", NULL, 0, 0 },
		{ "f01001", NULL, 0, 0 },
		{ "f01000", "fixtures/variants/"
		    "upstream-no-Paths.f01000.WorkerStats.json", 1, 0 }
	};
	char			*want, *got;
	size_t			 i, k;
	int			 same;

	for (k = 0; k < sizeof(loads) / sizeof(loads[0]); k++) {
		want = chunked(&loads[k], 4096);
		same = want != NULL;
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			got = chunked(&loads[k], sizes[i]);
			same &= got != NULL && want != NULL &&
			    strcmp(got, want) == 0;
			free(got);
		}
		ok(same, "%s%s fed in chunks of 1 byte to 1 MiB: same view",
		    loads[k].miner, loads[k].stock ? " (stock)" : "");
		free(want);
	}
}

/* Compare text with a golden file; MVIEW_UPDATE=1 rewrites it. */
static void
golden(const char *rel, const char *text)
{
	char	 path[1024], *want;
	size_t	 len;
	FILE	*f;

	if (getenv("MVIEW_UPDATE") != NULL) {
		snprintf(path, sizeof(path), "%s/%s", datadir, rel);
		if ((f = fopen(path, "w")) != NULL) {
			fputs(text, f);
			fclose(f);
		}
	}
	if ((want = slurp(rel, &len)) == NULL) {
		ok(0, "golden %s: missing", rel);
		return;
	}
	is_str(text, want, rel);
	free(want);
}

/* The exact output of `miner worker ID` for the fixture cluster. */
static void
test_text(void)
{
	static const struct {
		struct load	 l;
		int		 flags;
		const char	*ok;
	} cases[] = {
		{ { "f01000", NULL, 0, 4096 }, 0, "mview/f01000.ok" },
		{ { "f01000", NULL, 0, 4096 }, MV_FMT_ALL,
		    "mview/f01000.all.ok" },
		{ { "f01001", NULL, 0, 4096 }, MV_FMT_ALL,
		    "mview/f01001.all.ok" },
		{ { "f01000", "fixtures/variants/"
		    "upstream-no-Paths.f01000.WorkerStats.json", 0, 4096 },
		    MV_FMT_ALL, "mview/upstream.f01000.all.ok" }
	};
	struct mview	*v;
	char		*t, rel[128];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if ((v = load_view(&cases[i].l, NULL, NULL)) == NULL)
			continue;
		t = mview_format_text(v, cases[i].flags);
		golden(cases[i].ok, t);
		free(t);
		t = mview_format_json(v, cases[i].flags);
		snprintf(rel, sizeof(rel), "%.*s.json.ok",
		    (int)(strlen(cases[i].ok) - 3), cases[i].ok);
		golden(rel, t);
		free(t);
		mview_free(v);
	}
}

/* A synthetic candidate for the sort test. */
static void
cand(struct mview_worker *w, const char *h, int ap, int pc1, int pc2,
    int64_t start, int64_t nsec)
{
	memset(w, 0, sizeof(*w));
	w->hostname = (char *)h;
	snprintf(w->id, sizeof(w->id), "%s", h);
	w->queued[MV_AP] = ap;
	w->assigned[MV_PC1] = pc1;
	w->prepared[MV_PC2] = pc2;
	w->have_last_pc1 = start != 0;
	w->last_pc1.sec = start;
	w->nsectors = nsec;
}

/* The pick order: AP+PC1, PC2, last PC1 start, sectors, hostname. */
static void
test_sort(void)
{
	struct mview_worker	 w[9], *p[9];
	char			 b[128];
	size_t			 i, off = 0;

	cand(&w[0], "i", 1, 1, 0, 0, 0);	/* AP+PC1 = 2 */
	cand(&w[1], "h", 0, 1, 0, 0, 0);	/* AP+PC1 = 1 */
	cand(&w[2], "g", 1, 0, 0, 0, 5);	/* AP+PC1 = 1, more sectors */
	cand(&w[3], "f", 0, 0, 2, 0, 0);	/* PC2 2 */
	cand(&w[4], "e", 0, 0, 1, 0, 0);	/* PC2 1 */
	cand(&w[5], "d", 0, 0, 0, 300, 0);	/* newer PC1 start */
	cand(&w[6], "c", 0, 0, 0, 200, 0);	/* older PC1 start */
	cand(&w[7], "b", 0, 0, 0, 0, -1);	/* sectors unknown */
	cand(&w[8], "a", 0, 0, 0, 0, 3);	/* 3 sectors */
	for (i = 0; i < 9; i++)
		p[i] = &w[i];
	mview_sort_candidates(p, 9);
	for (i = 0; i < 9; i++)
		off += snprintf(b + off, sizeof(b) - off, "%s", p[i]->hostname);
	is_str(b, "abcdefhgi", "mview_sort_candidates order");
	cand(&w[0], "y", 0, 0, 0, 0, 0);
	cand(&w[1], "x", 0, 0, 0, 0, 0);
	p[0] = &w[0];
	p[1] = &w[1];
	mview_sort_candidates(p, 2);
	is_str(p[0]->hostname, "x", "ties broken by hostname");
}

/* Run the tests; the plan comes last. */
int
main(void)
{
	const char	*top = getenv("top_srcdir");

	if (top == NULL)
		top = getenv("srcdir");
	snprintf(datadir, sizeof(datadir), "%s/t/data",
	    top != NULL ? top : ".");
	test_cluster();
	test_upstream();
	test_stock_f01000();
	test_stock_f01001();
	test_memory();
	test_bad();
	test_ints();
	test_rpc_id();
	test_errors();
	test_variants();
	test_small();
	test_time();
	test_strings();
	test_chunks();
	test_text();
	test_sort();
	printf("1..%d\n", tap_n);
	return (tap_failed != 0);
}
