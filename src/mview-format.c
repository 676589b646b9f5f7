/*
 * mview-format.c: the worker view as `miner worker ID` prints it, an
 * aligned text table or JSON, each returned as a new string.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mview.h"

#define MV_COLS		10	/* columns of the text table */
#define MV_CELL		512	/* widest cell kept, bytes */

static const char *mv_heads[MV_COLS] = {
	"ID", "HOSTNAME", "TASKS", "RUNNING", "PREPARED", "ASSIGNED",
	"QUEUED", "SECTORS", "LAST-PC1", "NOT-ELIGIBLE"
};

static const char *mv_srcs[] = {
	[MV_PATH_UNKNOWN] = "unknown", [MV_PATH_NONE] = "none",
	[MV_PATH_STATS] = "stats", [MV_PATH_JOBS] = "jobs",
	[MV_PATH_ADDR] = "address", [MV_PATH_KEPT] = "kept"
};

static const char *mv_kinds[] = {
	[MV_KIND_UNKNOWN] = "unknown", [MV_KIND_SEALING] = "sealing",
	[MV_KIND_WDPOST] = "wdpost", [MV_KIND_WNPOST] = "wnpost"
};

/* Short task names of a mask, "AP,PC1"; "-" if none, "?" if unknown. */
static void
mv_fmt_tasks(char *buf, size_t len, uint32_t mask, int unknown)
{
	size_t	off = 0;
	int	t;

	snprintf(buf, len, "%s", unknown ? "?" : "-");
	for (t = 0; t < MV_NTASKS && !unknown; t++) {
		if (!(mask & MV_TASKBIT(t)))
			continue;
		off += snprintf(buf + off, off < len ? len - off : 0, "%s%s",
		    off ? "," : "", mview_task_short(t));
	}
}

/* Counts per task, "PC1:2,PC2:1", or "-". */
static void
mv_fmt_counts(char *buf, size_t len, const uint32_t *cnt)
{
	size_t	off = 0;
	int	t;

	snprintf(buf, len, "-");
	for (t = 0; t < MV_NTASKS; t++) {
		if (cnt[t] == 0)
			continue;
		off += snprintf(buf + off, off < len ? len - off : 0,
		    "%s%s:%u", off ? "," : "", mview_task_short(t), cnt[t]);
	}
}

/* A hostname fit for a column: blanks and control bytes become '?'. */
static void
mv_fmt_host(char *buf, size_t len, const char *h)
{
	size_t	i;

	json_safe(h, buf, len);
	for (i = 0; buf[i] != '\0'; i++)
		if ((unsigned char)buf[i] <= ' ' || buf[i] == 0x7f)
			buf[i] = '?';
}

/* Fill the cells of one worker's row. */
static void
mv_fmt_row(const struct mview_worker *w, char cell[MV_COLS][MV_CELL])
{
	snprintf(cell[0], MV_CELL, "%s", w->id);
	mv_fmt_host(cell[1], MV_CELL, w->hostname);
	mv_fmt_tasks(cell[2], MV_CELL, w->tasks, w->tasks_null);
	mv_fmt_counts(cell[3], MV_CELL, w->running);
	mv_fmt_counts(cell[4], MV_CELL, w->prepared);
	mv_fmt_counts(cell[5], MV_CELL, w->assigned);
	mv_fmt_counts(cell[6], MV_CELL, w->queued);
	if (w->nsectors < 0)
		snprintf(cell[7], MV_CELL, "unknown");
	else
		snprintf(cell[7], MV_CELL, "%lld", (long long)w->nsectors);
	if (w->have_last_pc1)
		json_time_format(&w->last_pc1, 0, cell[8], MV_CELL);
	else
		snprintf(cell[8], MV_CELL, "-");
	snprintf(cell[9], MV_CELL, "%s", w->eligible ? "-" : w->eligible_why);
}

/* Print one row padded to the widths; the last column is not padded. */
static void
mv_fmt_line(FILE *f, char cell[MV_COLS][MV_CELL], const int *width,
    int ncols)
{
	int	i;

	for (i = 0; i < ncols - 1; i++)
		fprintf(f, "%-*s  ", width[i], cell[i]);
	fprintf(f, "%s\n", cell[ncols - 1]);
}

/* Whether worker w is printed with these flags. */
static int
mv_shown(const struct mview_worker *w, int flags)
{
	return (w->eligible || (flags & MV_FMT_ALL));
}

/*
 * The table printed by `miner worker ID`: one line per worker, sorted
 * by hostname; eligible workers only unless MV_FMT_ALL, which adds the
 * reason a worker cannot be moved.  A new string, or NULL.
 */
char *
mview_format_text(const struct mview *v, int flags)
{
	char		 cell[MV_COLS][MV_CELL];
	FILE		*f;
	char		*out = NULL;
	size_t		 len, i;
	int		 width[MV_COLS], k, ncols;

	ncols = flags & MV_FMT_ALL ? MV_COLS : MV_COLS - 1;
	for (k = 0; k < ncols; k++)
		width[k] = strlen(mv_heads[k]);
	for (i = 0; i < v->nw; i++) {
		if (!mv_shown(&v->w[i], flags))
			continue;
		mv_fmt_row(&v->w[i], cell);
		for (k = 0; k < ncols; k++)
			if ((int)strlen(cell[k]) > width[k])
				width[k] = strlen(cell[k]);
	}
	if ((f = open_memstream(&out, &len)) == NULL)
		return (NULL);
	for (k = 0; k < ncols; k++)
		snprintf(cell[k], MV_CELL, "%s", mv_heads[k]);
	mv_fmt_line(f, cell, width, ncols);
	for (i = 0; i < v->nw; i++) {
		if (!mv_shown(&v->w[i], flags))
			continue;
		mv_fmt_row(&v->w[i], cell);
		mv_fmt_line(f, cell, width, ncols);
	}
	if (fclose(f) != 0) {
		free(out);
		return (NULL);
	}
	return (out);
}

/* Write s as a JSON string, or null. */
static void
mv_json_str(FILE *f, const char *s)
{
	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* Write counts per task as a JSON object, {"PC1":2}. */
static void
mv_json_counts(FILE *f, const char *name, const uint32_t *cnt)
{
	int	t, n = 0;

	fprintf(f, ",\"%s\":{", name);
	for (t = 0; t < MV_NTASKS; t++)
		if (cnt[t] != 0)
			fprintf(f, "%s\"%s\":%u", n++ ? "," : "",
			    mview_task_short(t), cnt[t]);
	fputc('}', f);
}

/* Write the task list, the paths and the sectors of a worker. */
static void
mv_json_lists(FILE *f, const struct mview_worker *w)
{
	size_t	i;
	int	t, n = 0;

	fputs(",\"tasks\":", f);
	if (w->tasks_null)
		fputs("null", f);
	else {
		fputc('[', f);
		for (t = 0; t < MV_NTASKS; t++)
			if (w->tasks & MV_TASKBIT(t))
				fprintf(f, "%s\"%s\"", n++ ? "," : "",
				    mview_task_short(t));
		fputc(']', f);
	}
	fputs(",\"sealing_paths\":[", f);
	for (i = 0; i < w->npaths; i++) {
		fputs(i ? "," : "", f);
		mv_json_str(f, w->paths[i]);
	}
	fputs("],\"sector_numbers\":", f);
	if (w->nsectors < 0)
		fputs("null", f);
	else {
		fputc('[', f);
		for (i = 0; i < (size_t)w->nsectors; i++)
			fprintf(f, "%s%llu", i ? "," : "",
			    (unsigned long long)w->sectors[i]);
		fputc(']', f);
	}
}

/* Write one worker as a JSON object. */
static void
mv_json_worker(FILE *f, const struct mview_worker *w)
{
	char	buf[64];

	fprintf(f, "{\"id\":\"%s\",\"hostname\":", w->id);
	mv_json_str(f, w->hostname);
	fprintf(f, ",\"hostname_safe\":%s,\"enabled\":%s,\"kind\":\"%s\"",
	    w->hostname_safe ? "true" : "false",
	    w->enabled ? "true" : "false", mv_kinds[w->kind]);
	fprintf(f, ",\"eligible\":%s,\"not_eligible\":",
	    w->eligible ? "true" : "false");
	mv_json_str(f, w->eligible_why);
	mv_json_lists(f, w);
	fprintf(f, ",\"path_source\":\"%s\"", mv_srcs[w->pathsrc]);
	mv_json_counts(f, "running", w->running);
	mv_json_counts(f, "prepared", w->prepared);
	mv_json_counts(f, "assigned", w->assigned);
	mv_json_counts(f, "queued", w->queued);
	mv_json_counts(f, "ret_wait", w->retwait);
	if (w->nsectors < 0)
		fputs(",\"sectors\":null", f);
	else
		fprintf(f, ",\"sectors\":%lld", (long long)w->nsectors);
	fputs(",\"last_pc1_start\":", f);
	if (w->have_last_pc1)
		json_time_format(&w->last_pc1, 1, buf, sizeof(buf));
	mv_json_str(f, w->have_last_pc1 ? buf : NULL);
	fprintf(f, ",\"can_switch\":%s,\"switch_why\":",
	    w->can_switch ? "true" : "false");
	mv_json_str(f, w->switch_why);
	fprintf(f, ",\"can_stop\":%s,\"stop_why\":",
	    w->can_stop ? "true" : "false");
	mv_json_str(f, w->stop_why);
	fputc('}', f);
}

/*
 * The same data as JSON: {"workers":[...],"sched":bool,
 * "unattributed":{...},"orphan_jobs":N}, one line and a newline.
 */
char *
mview_format_json(const struct mview *v, int flags)
{
	FILE	*f;
	char	*out = NULL;
	size_t	 len, i;
	int	 n = 0;

	if ((f = open_memstream(&out, &len)) == NULL)
		return (NULL);
	fputs("{\"workers\":[", f);
	for (i = 0; i < v->nw; i++) {
		if (!mv_shown(&v->w[i], flags))
			continue;
		fputs(n++ ? "," : "", f);
		mv_json_worker(f, &v->w[i]);
	}
	fprintf(f, "],\"sched\":%s", v->have_sched ? "true" : "false");
	mv_json_counts(f, "unattributed", v->unattributed);
	fprintf(f, ",\"orphan_jobs\":%zu}\n", v->orphan_jobs);
	if (fclose(f) != 0) {
		free(out);
		return (NULL);
	}
	return (out);
}
