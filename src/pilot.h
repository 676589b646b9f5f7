/*
 * lotus-pilot: shared declarations of the daemon, lotus-pilotd.
 */

#ifndef PILOT_H
#define PILOT_H

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PILOT_PROTOCOL		1	/* version of the control protocol */
#define PILOT_LINE_MAX		4096	/* longest request line, bytes */

/* Reply codes of the control protocol, with their stable names. */
enum reply_code {
	RC_OK		= 200,	/* ok */
	RC_GREETING	= 220,	/* greeting sent on connect */
	RC_USAGE	= 400,	/* bad-usage: wrong arguments */
	RC_UNKNOWN	= 401,	/* unknown-command */
	RC_DENIED	= 403,	/* denied: mutating command, no right */
	RC_NOTFOUND	= 404,	/* not-found: no such miner or switch */
	RC_CONFLICT	= 409,	/* conflict: refused by the current state */
	RC_TOOLONG	= 413,	/* line-too-long */
	RC_ENCODING	= 415,	/* bad-encoding: not UTF-8 or control bytes */
	RC_INTERNAL	= 500,	/* internal: the daemon failed */
	RC_MINERDOWN	= 503	/* unavailable: a miner cannot be reached */
};

/* One miner as configured. */
struct miner_conf {
	char			*id;		/* "f01000", as written */
	uint64_t		 actor;		/* numeric actor id, 1000 */
	char			*address;	/* API host:port */
	char			*token;		/* admin token: never log */
	char			*token_file;	/* where the token came from */
	char			*origin;	/* "FILE:LINE" of the section */
	int			 runtime;	/* added at run time */
	struct miner_conf	*next;
};

/* The whole configuration; durations are in milliseconds. */
struct config {
	char			*path;		/* file it was read from */
	uint64_t		 poll_interval;	/* poll_interval, 1m */
	uint64_t		 cache_timeout;	/* cache_timeout, 30s */
	uint64_t		 command_timeout; /* command_timeout, 30s */
	uint64_t		 rpc_timeout;	/* rpc_timeout, 30s */
	int			 parallel;	/* parallel, 10 */
	char			*socket_path;	/* socket */
	char			*socket_group;	/* socket_group, or NULL */
	gid_t			 socket_gid;
	char			*admin_group;	/* admin_group, or NULL */
	gid_t			 admin_gid;
	char			*state_dir;	/* state_dir */
	char			*template_dir;	/* template_dir, or NULL */
	char			*script_dir;	/* or STATE/scripts */
	char			*worker_repo;	/* {miner} pattern */
	char			 network;	/* network: 'f' or 't' */
	char			**cmd_disable_ap; /* argv, NULL-terminated */
	char			**cmd_copy_script;
	char			**cmd_start;
	char			**cmd_stop;
	char			**cmd_inventory; /* lists hosts; "none": off */
	struct miner_conf	*miners;	/* config file, then runtime */
};

/* A growing byte buffer, always NUL-terminated. */
struct buf {
	char			*data;
	size_t			 len;
	size_t			 cap;
};

/* A reply being built for one request. */
struct reply {
	struct buf		 lines;		/* data lines, '\n' ended */
	int			 code;		/* final code, 200 by default */
	char			*message;	/* final text after the code */
	int			 json;		/* json form asked */
	int			 quit;		/* close after this reply */
	int			 deferred;	/* answered later */
	void			*conn;		/* its connection */
};

/* The peer at the other end of a control connection. */
struct peer {
	uid_t			 uid;
	gid_t			 gid;
	pid_t			 pid;
	gid_t			 groups[64];	/* supplementary groups */
	int			 ngroups;
};

/* What the whole daemon shares. */
struct daemon {
	struct uv_loop_s	*loop;
	struct config		*conf;
	const char		*conf_path;
	const char		*socket_path;	/* the socket in use */
	uint64_t		 started;	/* uv_now at start, ms */
	int			 foreground;
	int			 debug;
	int			 stopping;
	unsigned long		 requests;	/* requests served */
	unsigned long		 reloads;	/* successful reloads */
};

extern struct daemon	*pd;

/* buf.c */
void		 buf_add(struct buf *, const void *, size_t);
void		 buf_addstr(struct buf *, const char *);
void		 buf_printf(struct buf *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
void		 buf_json_str(struct buf *, const char *);
void		 buf_reset(struct buf *);
void		 buf_free(struct buf *);

/* cmd.c */
void		 cmd_dispatch(const char *, const struct peer *,
		    struct reply *);
int		 cmd_is_admin(const struct peer *);
void		 reply_line(struct reply *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
void		 reply_error(struct reply *, enum reply_code, const char *, ...)
		    __attribute__((__format__(printf, 3, 4)));
const char	*reply_name(int);
struct reply	*reply_defer(struct reply *);
void		 reply_finish(struct reply *);

/* control.c */
int		 control_init(struct uv_loop_s *, const char *,
		    const struct config *, char **);
int		 control_regroup(const struct config *, char **);
void		 control_shutdown(void);
void		 control_defer(struct reply *);
void		 control_finish(struct reply *);
int		 control_clients(void);

/* config.c */
int		 config_load(const char *, struct config **, char **);
int		 config_load_runtime(struct config *, char **);
int		 config_save_runtime(const struct config *, char **);
char		*config_runtime_text(const struct config *, size_t *);
void		 config_free_miners(struct miner_conf *);
void		 config_print(const struct config *, FILE *);
void		 config_free(struct config *);
struct miner_conf *config_find_miner(const struct config *, const char *);
int		 duration_parse(const char *, uint64_t *);
const char	*duration_format(uint64_t, char *, size_t);
int		 miner_id_parse(const char *, uint64_t *);

/* log.c */
void		 log_init(int, int);
void		 log_setdebug(int);
void		 log_warn(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
void		 log_warnx(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
void		 log_errx(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
void		 log_info(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
void		 log_debug(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
void		 fatal(const char *, ...)
		    __attribute__((__format__(printf, 1, 2), __noreturn__));
void		 fatalx(const char *, ...)
		    __attribute__((__format__(printf, 1, 2), __noreturn__));

/* util.c */
int		 util_write_atomic(const char *, const void *, size_t,
		    mode_t, char **);
char		*util_read_file(const char *, size_t, size_t *, char **);
int		 util_utf8_valid(const char *, size_t);
char		*util_printf(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
char		**util_argv_split(const char *, char **);
void		 util_argv_free(char **);
char		*util_argv_join(char **);
void		*xmalloc(size_t);
void		*xcalloc(size_t, size_t);
void		*xrealloc(void *, size_t);
char		*xstrdup(const char *);
uint64_t	 util_wall_ms(void);

#endif /* PILOT_H */
