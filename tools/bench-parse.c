/*
 * bench-parse.c: parse the four responses written by
 * shared/bench/gen-cluster.py from disk, 16 KiB at a time as libcurl
 * would hand them over, build the worker view, and print CPU time and
 * peak RSS, to compare with the anchors (anchor-go, anchor-py).
 *
 * usage: bench-parse DIR [rounds]
 */

#include <sys/resource.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mview.h"

#define CHUNK	16384

static const char	*names[4] = {
	"WorkerStats", "WorkerJobs", "StorageList", "SchedDiag"
};
static double		 spent[5];	/* CPU s per response, then build */

/* CPU seconds used by the process so far, user + system. */
static double
cpu_now(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
}

/* Feed one file into a stream in CHUNK-byte reads; bytes read or -1. */
static long long
feed_file(struct json_stream *s, const char *dir, const char *name)
{
	char		 path[1024], buf[CHUNK];
	long long	 total = 0;
	ssize_t		 n;
	int		 fd;

	snprintf(path, sizeof(path), "%s/%s.json", dir, name);
	if ((fd = open(path, O_RDONLY)) == -1) {
		perror(path);
		return (-1);
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		total += n;
		if (json_stream_feed(s, buf, n) == -1)
			break;
	}
	close(fd);
	if (n < 0 || json_stream_end(s) == -1) {
		fprintf(stderr, "%s: %s\n", path, n < 0 ? "read error" :
		    json_stream_error(s));
		total = -1;
	}
	json_stream_free(s);
	return (total);
}

/* One refresh: four responses, then the view; bytes parsed or -1. */
static long long
refresh(const char *dir, struct mview **vp)
{
	struct mview_round	*r;
	long long		 n, total = 0;
	double			 t;
	char			*cause;
	int			 c;

	if ((r = mview_round_new()) == NULL)
		return (-1);
	for (c = 0; c < 4; c++) {
		t = cpu_now();
		if ((n = feed_file(mview_resp_round(r, c), dir, names[c])) ==
		    -1) {
			mview_round_free(r);
			return (-1);
		}
		total += n;
		spent[c] += cpu_now() - t;
	}
	t = cpu_now();
	if ((*vp = mview_build(r, NULL, NULL, NULL, &cause)) == NULL) {
		fprintf(stderr, "build: %s\n", cause);
		total = -1;
	}
	mview_round_free(r);
	spent[4] += cpu_now() - t;
	return (total);
}

/* Print the anchors' summary line for the view. */
static void
summary(const struct mview *v)
{
	long long	sectors = 0, queued = 0;
	size_t		i;
	int		t;

	for (i = 0; i < v->nw; i++) {
		sectors += v->w[i].nsectors > 0 ? v->w[i].nsectors : 0;
		for (t = 0; t < MV_NTASKS; t++)
			queued += v->w[i].queued[t];
	}
	printf("workers=%zu sealing_sectors=%lld queued=%lld\n", v->nw,
	    sectors, queued);
}

/* Run the refreshes and print the figures. */
int
main(int argc, char *argv[])
{
	struct rusage	 ru;
	struct mview	*v = NULL;
	long long	 bytes = 0, n;
	double		 t0, t1;
	int		 i, rounds;

	if (argc < 2) {
		fprintf(stderr, "usage: bench-parse DIR [rounds]\n");
		return (2);
	}
	rounds = argc > 2 ? atoi(argv[2]) : 1;
	t0 = cpu_now();
	for (i = 0; i < rounds; i++) {
		mview_free(v);
		if ((n = refresh(argv[1], &v)) == -1)
			return (1);
		bytes += n;
	}
	t1 = cpu_now();
	summary(v);
	getrusage(RUSAGE_SELF, &ru);
	printf("rounds=%d bytes=%lld cpu=%.3fs per-round=%.3fs "
	    "%.0fMB/s peak-rss=%.1fMiB\n", rounds, bytes, t1 - t0,
	    (t1 - t0) / rounds, bytes / 1e6 / (t1 - t0),
	    ru.ru_maxrss / 1024.0);
	for (i = 0; i < 5; i++)
		printf("%s%s %.3fs", i ? ", " : "per round: ",
		    i < 4 ? names[i] : "build", spent[i] / rounds);
	printf("\n");
	mview_free(v);
	return (0);
}
