/*
 * exec.h: remote commands run as child processes (exec.c).
 */

#ifndef EXEC_H
#define EXEC_H

#define EXEC_OUTPUT_MAX	(16 * 1024)	/* output kept per command, bytes */
#define EXEC_GRACE_MS	500		/* wait for pipes after exit, ms */

struct exec_job;
typedef void	 (*exec_done_cb)(struct exec_job *, void *);

/* One command, queued or running. */
struct exec_job {
	char		**argv;		/* owned copy */
	uint64_t	 timeout_ms;
	exec_done_cb	 done;
	void		*arg;
	struct buf	 output;	/* stdout and stderr, tail kept */
	int		 truncated;	/* output lost its head */
	size_t		 output_max;	/* bytes of output kept */
	int		 exit_status;	/* valid if exited */
	int		 term_signal;	/* killed by this signal, or 0 */
	int		 exited;
	int		 timed_out;
	int		 spawn_error;	/* libuv error, or 0 */
	uint64_t	 started;	/* uv_now, ms */
	uint64_t	 elapsed;
	int		 running;
	int		 pending;	/* handles still open */
	int		 finished;	/* done callback ran */
	int		 abandoned;	/* owner gone: no callback */
	struct uv_process_s *proc;
	struct uv_pipe_s *out[2];
	struct uv_timer_s *timer;
	struct exec_job	*prev, *next;
};

int		 exec_init(struct uv_loop_s *, int);
void		 exec_set_parallel(int);
struct exec_job	*exec_run(char **, uint64_t, exec_done_cb, void *);
struct exec_job	*exec_run_max(char **, uint64_t, size_t, exec_done_cb,
		    void *);
void		 exec_abandon(struct exec_job *);
void		 exec_shutdown(void);
const char	*exec_describe(const struct exec_job *, char *, size_t);
unsigned long	 exec_stat(int);

#define EXEC_STAT_RUN		0
#define EXEC_STAT_FAILED	1
#define EXEC_STAT_TIMEDOUT	2

#endif /* EXEC_H */
