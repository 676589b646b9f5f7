/*
 * switch.h: moving workers from one miner to another (switch.c,
 * switchstate.c, switchcmd.c, inventory.c).
 */

#ifndef SWITCH_H
#define SWITCH_H

#include <stdint.h>

#define SWITCH_TRIES	10	/* failures of one step before error */
#define SWITCH_UNKNOWN_TRIES 3	/* rounds an unknown outcome may hide */

/* A switch as a whole; the values are the Go tool's on disk. */
enum switch_state {
	SW_SWITCHING = 0,
	SW_COMPLETE = 1,
	SW_CANCELED = 2,
	SW_ERROR = 3
};

/* The step of one worker; the values are the Go tool's on disk. */
enum worker_step {
	WS_PICKED = 0,
	WS_DISABLEAP_CONFIRMING = 1,
	WS_SWITCH_WAITING = 2,
	WS_SWITCH_CONFIRMING = 3,
	WS_STOP_WAITING = 4,
	WS_STOP_CONFIRMING = 5,
	WS_COMPLETE = 6,
	WS_ERROR = 7
};

/* What a worker's command in flight is, or was when we stopped. */
enum worker_action {
	WA_NONE = 0,
	WA_DISABLEAP,
	WA_START,
	WA_STOP
};

struct sw;

/* One worker of a switch. */
struct sw_worker {
	struct sw		*sw;
	char			 id[37];	/* worker uuid on "from" */
	char			*hostname;
	enum worker_step	 step;
	enum worker_step	 failed_step;	/* for resume */
	int			 tries;
	char			*error;		/* last error */
	char			*output;	/* output of the last command */
	char			*waiting;	/* what it waits for now */
	uint64_t		 since;		/* wall ms: step entered */
	uint64_t		 action_at;	/* wall ms: last action ended */
	enum worker_action	 action;	/* in flight or unknown */
	int			 start_tried;	/* a start ran: check first */
	int			 unknown;	/* outcome unknown */
	char			 new_id[37];	/* worker uuid on "to" */
	char			**known;	/* ids under "to" before */
	size_t			 nknown;
	struct exec_job		*job;		/* running command */
	int			 copy_done;	/* script copied, start next */
};

/* One switch. */
struct sw {
	char			 id[37];
	enum switch_state	 state;
	char			*error;
	char			*from;
	char			*to;
	int			 count;
	char			**req_workers;	/* as asked, or NULL */
	size_t			 nreq_workers;
	int			 disable_ap;
	uint64_t		 created;	/* wall ms */
	int			 unsaved;	/* not on disk yet: no steps */
	int			 canceling;	/* a cancel is being written */
	int			 removing;	/* left out of the file */
	struct sw_worker	*w;
	size_t			 nw;
	struct sw		*next;
};

/* switch.c */
void		 switch_init(struct uv_loop_s *);
void		 switch_shutdown(void);
struct sw	*switch_first(void);
struct sw	*switch_find(const char *);
void		 switch_add(struct sw *);
void		 switch_delete(struct sw *);
void		 switch_free(struct sw *);
void		 switch_save(void (*)(int, const char *, void *), void *);
void		 switch_kick(struct sw *);
int		 switch_worker_busy(const char *, const char *);
int		 switch_miner_busy(const char *);
const char	*switch_state_name(enum switch_state);
const char	*switch_step_name(enum worker_step);

void		 switch_update_state(struct sw *);

/* switchstate.c */
int		 switchstate_load(const char *, char **);
char		*switchstate_text(size_t *);

/* switchcmd.c */
void		 switchcmd_new(struct reply *, int, char **);
void		 switchcmd_get(struct reply *, int, char **);
void		 switchcmd_list(struct reply *, int, char **);
void		 switchcmd_cancel(struct reply *, int, char **);
void		 switchcmd_remove(struct reply *, int, char **);
void		 switchcmd_resume(struct reply *, int, char **);
void		 switchcmd_metrics(struct reply *, int, char **);

/* inventory.c */
void		 inventory_init(struct uv_loop_s *);
void		 inventory_refresh(void);
void		 inventory_shutdown(void);
const char	*inventory_check(const char *);
struct inventory_addrs;
struct inventory_addrs *inventory_addrs_copy(void);
const char	*inventory_addrs_find(const struct inventory_addrs *,
		    const char *);
void		 inventory_addrs_free(struct inventory_addrs *);
const char	*inventory_status(char *, size_t);
int		 inventory_ready(void);

#endif /* SWITCH_H */
