/*
 * miner.h: the miners the daemon watches (miner.c).
 */

#ifndef MINER_H
#define MINER_H

#include "mview.h"

/* How far the daemon is with one miner. */
enum miner_state {
	MINER_CONNECTING,	/* first handshake running */
	MINER_UP,		/* handshake done, polling */
	MINER_DOWN		/* unreachable or refused: retrying */
};

/* Counters of one RPC method, for metrics. */
struct miner_stat {
	unsigned long	 calls;
	unsigned long	 errors;
	uint64_t	 ms;		/* total duration */
};

#define MINER_NMETHODS	10

struct miner_call;
struct miner;

/* Somebody told of every miner's complete round. */
typedef void	 (*miner_round_cb)(struct miner *, void *);
/* How making a script went: id, 0 or -1, path or cause, warning. */
typedef void	 (*miner_script_cb)(const char *, int, const char *,
		    const char *, void *);

/* One miner. */
struct miner {
	char			*id;		/* "f01000" */
	uint64_t		 actor;
	char			*address;	/* host:port */
	char			*token;		/* never log */
	int			 runtime;	/* added at run time */
	enum miner_state	 state;
	char			*last_error;
	uint64_t		 error_at;	/* wall time of last_error, s */
	char			*version;
	uint64_t		 sector_size;
	char			 network;	/* as the miner answered */
	uint64_t		 backoff;	/* next retry delay, ms */
	struct uv_timer_s	*timer;
	int			 step;		/* handshake step */
	struct miner_call	*calls;		/* calls in flight */
	struct mview_round	*round;		/* round being fetched */
	struct mview_memory	*memory;	/* path bindings, StorageInfo */
	int			 round_failed;
	int			 round_down;	/* failure was transport */
	char			*round_error;
	int			 infos;		/* StorageInfo calls out */
	uint64_t		 round_started;	/* uv_now, ms */
	uint64_t		 round_wall;	/* wall clock at start, ms */
	uint64_t		 round_seq;
	struct mview		*view;		/* last good round, or NULL */
	struct mview		*stale;		/* the one before, to free */
	uint64_t		 view_started;	/* uv_now of its round, ms */
	uint64_t		 view_wall;	/* wall ms of its round */
	uint64_t		 view_done;	/* uv_now when built, ms */
	uint64_t		 view_seq;
	int			 script_ok;	/* script made since start */
	int			 script_busy;	/* a script job runs */
	char			*script_error;	/* why the last one failed */
	struct reply		*adding;	/* pending "miner add" */
	int			 refused;	/* the miner said no */
	int			 building;	/* its view is being built */
	int			 orphan;	/* freed once the build ends */
	struct miner_stat	 stat[MINER_NMETHODS];
	struct miner		*next;
};

/* miner.c */
void		 miner_init(struct uv_loop_s *);
void		 miner_sync(struct config *);
void		 miner_shutdown(void);
struct miner	*miner_first(void);
struct miner	*miner_find(const char *);
struct miner	*miner_new(const struct miner_conf *);
void		 miner_start(struct miner *);
void		 miner_free(struct miner *);
void		 miner_link(struct miner *);
void		 miner_unlink(struct miner *);
int		 miner_script(struct miner *, miner_script_cb, void *);
void		 miner_rescript(void);
const char	*miner_state_name(enum miner_state);
void		 miner_refresh(struct miner *);
void		 miner_on_round(miner_round_cb, void *);
const char	*miner_method_name(int);

/* minercmd.c */
void		 minercmd_add(struct reply *, int, char **);
int		 minercmd_added(struct miner *, struct reply *);
void		 minercmd_remove(struct reply *, int, char **);
void		 minercmd_list(struct reply *, int, char **);
void		 minercmd_worker(struct reply *, int, char **);
void		 minercmd_script(struct reply *, int, char **);

#endif /* MINER_H */
