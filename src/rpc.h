/*
 * rpc.h: JSON-RPC calls to lotus-miner (rpc.c).
 */

#ifndef RPC_H
#define RPC_H

#include <curl/curl.h>

#define RPC_BODY_MAX	(256UL * 1024 * 1024)	/* default body cap, bytes */

struct rpc_call;
typedef void	 (*rpc_done_cb)(struct rpc_call *, void *);
typedef int	 (*rpc_sink_cb)(struct rpc_call *, const char *, size_t);

/* How to run one call. */
struct rpc_opts {
	uint64_t	 timeout_ms;	/* whole call, connect included */
	size_t		 limit;		/* body cap when kept, 0: default */
	rpc_sink_cb	 sink;		/* streaming consumer, or NULL */
	rpc_done_cb	 done;		/* runs when the call ends */
	void		*arg;
};

/* One call in flight. */
struct rpc_call {
	CURL		*easy;
	struct curl_slist *headers;	/* holds the token: never log */
	char		*url;
	char		*request;
	char		*method;	/* without "Filecoin." */
	unsigned long	 id;
	rpc_sink_cb	 sink;
	rpc_done_cb	 done;
	void		*arg;
	void		*sinkarg;	/* for the sink's own use */
	struct buf	 body;		/* the body when no sink */
	size_t		 limit;
	size_t		 received;	/* body bytes seen */
	int		 toolarge;
	int		 paused;	/* by the budget */
	long		 http_status;
	CURLcode	 result;
	char		 error[CURL_ERROR_SIZE];
	uint64_t	 started;	/* uv_now, ms */
	uint64_t	 elapsed;	/* ms */
	struct rpc_call	*prev, *next;
};

int		 rpc_init(struct uv_loop_s *);
void		 rpc_shutdown(void);
struct rpc_call	*rpc_start(const char *, const char *, const char *,
		    const char *, const struct rpc_opts *);
void		 rpc_cancel(struct rpc_call *);
const char	*rpc_transport_error(struct rpc_call *, char *, size_t);

#endif /* RPC_H */
