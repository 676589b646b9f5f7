/*
 * exec.c: run remote commands (ansible by default) as child processes
 * of the loop: argv only, no local shell, one parallel limit for all,
 * output kept for the operator, the whole process group killed at the
 * timeout.  Nothing here waits: exits and output arrive as callbacks.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "pilot.h"
#include "exec.h"

static uv_loop_t	*exec_loop;
static int		 exec_parallel = 1;
static int		 exec_nrunning;
static struct exec_job	*exec_queue_head, *exec_queue_tail;
static struct exec_job	*exec_active;		/* running jobs */
static unsigned long	 exec_stats[3];

static void	 exec_next(void);

/* Set up the runner on LOOP with a parallel limit. */
int
exec_init(uv_loop_t *loop, int parallel)
{
	exec_loop = loop;
	exec_parallel = parallel > 0 ? parallel : 1;
	return (0);
}

/* Change the parallel limit; queued commands may start. */
void
exec_set_parallel(int parallel)
{
	exec_parallel = parallel > 0 ? parallel : 1;
	exec_next();
}

/* Counters of commands run, failed and timed out. */
unsigned long
exec_stat(int which)
{
	return (exec_stats[which]);
}

/* Keep output bytes, dropping the oldest half when over the cap. */
static void
exec_keep(struct exec_job *j, const char *p, size_t n)
{
	size_t	 drop;

	buf_add(&j->output, p, n);
	if (j->output.len <= j->output_max)
		return;
	drop = j->output.len - j->output_max / 2;
	memmove(j->output.data, j->output.data + drop, j->output.len - drop);
	j->output.len -= drop;
	j->output.data[j->output.len] = '\0';
	j->truncated = 1;
}

/* Free a job's memory. */
static void
exec_free(struct exec_job *j)
{
	util_argv_free(j->argv);
	buf_free(&j->output);
	free(j);
}

/* Report a finished job once every handle of it is closed. */
static void
exec_finish(struct exec_job *j)
{
	if (j->pending > 0 || j->finished)
		return;
	j->finished = 1;
	j->elapsed = uv_now(exec_loop) - j->started;
	exec_stats[EXEC_STAT_RUN]++;
	if (j->timed_out)
		exec_stats[EXEC_STAT_TIMEDOUT]++;
	else if (j->spawn_error || !j->exited || j->exit_status != 0)
		exec_stats[EXEC_STAT_FAILED]++;
	if (!j->abandoned)
		j->done(j, j->arg);
	exec_free(j);
}

/* Count one closed handle of a job and free the handle. */
static void
exec_closed(uv_handle_t *h)
{
	struct exec_job	*j = h->data;

	free(h);
	j->pending--;
	exec_finish(j);
}

/* Close HANDLE of job J if it is open. */
static void
exec_close(struct exec_job *j, uv_handle_t *h)
{
	if (h != NULL && !uv_is_closing(h)) {
		h->data = j;
		uv_close(h, exec_closed);
	}
}

/* Take a running job off the active list and start the next one. */
static void
exec_unlist(struct exec_job *j)
{
	if (!j->running)
		return;
	j->running = 0;
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		exec_active = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	exec_nrunning--;
	exec_next();
}

/* Close everything of a job whose process is gone. */
static void
exec_wrapup(struct exec_job *j)
{
	exec_close(j, (uv_handle_t *)j->out[0]);
	exec_close(j, (uv_handle_t *)j->out[1]);
	exec_close(j, (uv_handle_t *)j->timer);
	exec_close(j, (uv_handle_t *)j->proc);
	j->out[0] = j->out[1] = NULL;
	j->timer = NULL;
	j->proc = NULL;
	exec_unlist(j);
}

/* The grace time after exit ran out, or the timeout hit. */
static void
exec_timer_cb(uv_timer_t *t)
{
	struct exec_job	*j = t->data;

	if (j->exited) {
		exec_wrapup(j);
		return;
	}
	/* Timed out: kill the whole process group, wait for the exit. */
	j->timed_out = 1;
	if (j->proc != NULL && j->proc->pid > 0)
		kill(-j->proc->pid, SIGKILL);
}

/* The child exited: wait briefly for the rest of its output. */
static void
exec_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct exec_job	*j = p->data;

	j->exited = 1;
	j->exit_status = (int)status;
	j->term_signal = sig;
	/* Whatever the command left behind in its group goes too. */
	if (j->timed_out)
		kill(-p->pid, SIGKILL);
	if (j->out[0] == NULL && j->out[1] == NULL)
		exec_wrapup(j);
	else
		uv_timer_start(j->timer, exec_timer_cb, EXEC_GRACE_MS, 0);
}

/* Give libuv a buffer for child output. */
static void
exec_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)h;
	(void)hint;
	b->base = xmalloc(4096);
	b->len = 4096;
}

/* Keep child output; on EOF close that pipe. */
static void
exec_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct exec_job	*j = s->data;
	int		 i;

	if (n > 0)
		exec_keep(j, b->base, (size_t)n);
	free(b->base);
	if (n >= 0)
		return;
	for (i = 0; i < 2; i++)
		if (j->out[i] == (uv_pipe_t *)s) {
			exec_close(j, (uv_handle_t *)s);
			j->out[i] = NULL;
		}
	if (j->exited && j->out[0] == NULL && j->out[1] == NULL)
		exec_wrapup(j);
}

/* Allocate and open the handles of a job. */
static void
exec_handles(struct exec_job *j)
{
	int	 i;

	j->proc = xcalloc(1, sizeof(*j->proc));
	j->proc->data = j;
	j->timer = xcalloc(1, sizeof(*j->timer));
	uv_timer_init(exec_loop, j->timer);
	j->timer->data = j;
	j->pending = 2;
	for (i = 0; i < 2; i++) {
		j->out[i] = xcalloc(1, sizeof(*j->out[i]));
		uv_pipe_init(exec_loop, j->out[i], 0);
		j->out[i]->data = j;
		j->pending++;
	}
}

/* Start job J now. */
static void
exec_start(struct exec_job *j)
{
	uv_process_options_t	 o;
	uv_stdio_container_t	 io[3];
	int			 rv, i;

	exec_handles(j);
	memset(&o, 0, sizeof(o));
	io[0].flags = UV_IGNORE;
	for (i = 0; i < 2; i++) {
		io[i + 1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
		io[i + 1].data.stream = (uv_stream_t *)j->out[i];
	}
	o.file = j->argv[0];
	o.args = j->argv;
	o.exit_cb = exec_exit_cb;
	o.stdio = io;
	o.stdio_count = 3;
	/* Its own session and process group, so a timeout kills it all. */
	o.flags = UV_PROCESS_DETACHED | UV_PROCESS_WINDOWS_HIDE;
	j->started = uv_now(exec_loop);
	j->running = 1;
	j->next = exec_active;
	if (exec_active != NULL)
		exec_active->prev = j;
	exec_active = j;
	exec_nrunning++;
	if ((rv = uv_spawn(exec_loop, j->proc, &o)) != 0) {
		j->spawn_error = rv;
		j->exited = 1;
		exec_keep(j, uv_strerror(rv), strlen(uv_strerror(rv)));
		exec_wrapup(j);
		return;
	}
	for (i = 0; i < 2; i++)
		uv_read_start((uv_stream_t *)j->out[i], exec_alloc,
		    exec_read_cb);
	uv_timer_start(j->timer, exec_timer_cb, j->timeout_ms, 0);
}

/* Start queued jobs while the parallel limit allows. */
static void
exec_next(void)
{
	struct exec_job	*j;

	while (exec_nrunning < exec_parallel && exec_queue_head != NULL) {
		j = exec_queue_head;
		exec_queue_head = j->next;
		if (exec_queue_head == NULL)
			exec_queue_tail = NULL;
		j->next = j->prev = NULL;
		exec_start(j);
	}
}

/*
 * Queue ARGV (copied) to run with a TIMEOUT_MS; DONE runs once it has
 * exited (or failed to start, or was killed) and its output is in.
 */
struct exec_job *
exec_run(char **argv, uint64_t timeout_ms, exec_done_cb done, void *arg)
{
	struct exec_job	*j;
	int		 n, i;

	for (n = 0; argv[n] != NULL; n++)
		;
	j = xcalloc(1, sizeof(*j));
	j->argv = xcalloc((size_t)n + 1, sizeof(char *));
	for (i = 0; i < n; i++)
		j->argv[i] = xstrdup(argv[i]);
	j->timeout_ms = timeout_ms;
	j->output_max = EXEC_OUTPUT_MAX;
	j->done = done;
	j->arg = arg;
	if (exec_queue_tail != NULL) {
		exec_queue_tail->next = j;
		j->prev = exec_queue_tail;
	} else
		exec_queue_head = j;
	exec_queue_tail = j;
	exec_next();
	return (j);
}

/* Like exec_run, keeping up to MAX bytes of output. */
struct exec_job *
exec_run_max(char **argv, uint64_t timeout_ms, size_t max, exec_done_cb done,
    void *arg)
{
	struct exec_job	*j;

	j = exec_run(argv, timeout_ms, done, arg);
	j->output_max = max;
	return (j);
}

/* Drop a queued job, or let a running one end without a callback. */
void
exec_abandon(struct exec_job *j)
{
	if (j->running || j->pending > 0) {
		j->abandoned = 1;
		return;
	}
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		exec_queue_head = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	else
		exec_queue_tail = j->prev;
	exec_free(j);
}

/* Describe how a job ended, for logs and replies. */
const char *
exec_describe(const struct exec_job *j, char *buf, size_t len)
{
	if (j->spawn_error)
		snprintf(buf, len, "cannot run %s: %s", j->argv[0],
		    uv_strerror(j->spawn_error));
	else if (j->timed_out)
		snprintf(buf, len, "timed out after %llu ms, killed",
		    (unsigned long long)j->timeout_ms);
	else if (j->term_signal)
		snprintf(buf, len, "killed by signal %d", j->term_signal);
	else
		snprintf(buf, len, "exit status %d", j->exit_status);
	return (buf);
}

/* Kill every running command and drop the queue. */
void
exec_shutdown(void)
{
	struct exec_job	*j;

	while (exec_queue_head != NULL)
		exec_abandon(exec_queue_head);
	for (j = exec_active; j != NULL; j = j->next) {
		j->abandoned = 1;
		j->timed_out = 1;
		if (j->proc != NULL && j->proc->pid > 0 && !j->exited)
			kill(-j->proc->pid, SIGKILL);
	}
}
