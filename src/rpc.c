/*
 * rpc.c: JSON-RPC calls to lotus-miner over HTTP, through the libcurl
 * multi socket interface driven by the libuv loop.  Nothing here waits
 * for the network: curl tells which sockets and timeouts to watch, libuv
 * tells curl when they fire.
 */

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <uv.h>

#include "pilot.h"
#include "rpc.h"

/* Watch on one of curl's sockets. */
struct rpc_sock {
	uv_poll_t		 poll;
	curl_socket_t		 fd;
	struct rpc_sock		*prev, *next;
};

static CURLM		*rpc_multi;
static uv_loop_t	*rpc_loop;
static uv_timer_t	 rpc_timer;
static unsigned long	 rpc_nextid = 1;
static int		 rpc_running;
static struct rpc_sock	*rpc_socks;		/* every watch */
static struct rpc_call	*rpc_calls;		/* every call in flight */
static uv_idle_t	 rpc_idle;		/* next iteration: run curl */
static int		 rpc_now;		/* curl asked for 0 ms */
static int		 rpc_npaused;		/* calls paused by the budget */
static size_t		 rpc_spent;		/* bytes since the yield */
/*
 * Body bytes parsed per loop iteration, then yield: 32 KiB is about
 * 0.05 ms of parsing, so a control client waits little for the loop
 * during a refresh (tools/bench: the socket's answer went from a median
 * of 0.6 ms to 0.25 ms with 128 KiB before, at no CPU cost measured).
 */
#define RPC_BUDGET	(32UL * 1024)

static void	 rpc_check(void);

/* Free a socket watch once libuv has closed it. */
static void
rpc_sock_free(uv_handle_t *h)
{
	free(h->data);
}

/* Stop watching a socket; its memory goes in the close callback. */
static void
rpc_sock_close(struct rpc_sock *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		rpc_socks = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, rpc_sock_free);
}

/* Tell curl that its socket is readable or writable. */
static void
rpc_poll_cb(uv_poll_t *p, int status, int events)
{
	struct rpc_sock	*s = p->data;
	int		 flags = 0, running;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(rpc_multi, s->fd, flags, &running);
	rpc_check();
}

/* curl asks to watch (or stop watching) socket FD. */
static int
rpc_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *sockp)
{
	struct rpc_sock	*s = sockp;
	int		 events = 0;

	(void)easy;
	(void)userp;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			rpc_sock_close(s);
			curl_multi_assign(rpc_multi, fd, NULL);
		}
		return (0);
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->fd = fd;
		if (uv_poll_init_socket(rpc_loop, &s->poll, fd) != 0) {
			free(s);
			return (-1);
		}
		s->poll.data = s;
		s->next = rpc_socks;
		if (rpc_socks != NULL)
			rpc_socks->prev = s;
		rpc_socks = s;
		curl_multi_assign(rpc_multi, fd, s);
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	uv_poll_start(&s->poll, events, rpc_poll_cb);
	return (0);
}

/* curl's timeout expired. */
static void
rpc_timer_cb(uv_timer_t *t)
{
	int	 running;

	(void)t;
	curl_multi_socket_action(rpc_multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	rpc_check();
}

/*
 * Next loop iteration: resume the calls paused by the budget, and run
 * curl's 0 ms timeout, after the loop has polled every other handle.
 */
static void
rpc_idle_cb(uv_idle_t *h)
{
	struct rpc_call	*c;
	int		 running;

	uv_idle_stop(h);
	rpc_spent = 0;
	for (c = rpc_calls; c != NULL && rpc_npaused > 0; c = c->next)
		if (c->paused) {
			c->paused = 0;
			rpc_npaused--;
			curl_easy_pause(c->easy, CURLPAUSE_CONT);
		}
	if (rpc_now) {
		rpc_now = 0;
		curl_multi_socket_action(rpc_multi, CURL_SOCKET_TIMEOUT, 0,
		    &running);
	}
	rpc_check();
}

/* curl asks for a timeout of MS milliseconds, or none when -1. */
static int
rpc_timerfunc(CURLM *multi, long ms, void *userp)
{
	(void)multi;
	(void)userp;
	if (ms < 0)
		uv_timer_stop(&rpc_timer);
	else if (ms == 0) {
		/* Not a 0 ms uv timer: libuv runs it again and again in
		 * one iteration while curl keeps asking for 0 ms. */
		uv_timer_stop(&rpc_timer);
		rpc_now = 1;
		uv_idle_start(&rpc_idle, rpc_idle_cb);
	} else
		uv_timer_start(&rpc_timer, rpc_timer_cb, (uint64_t)ms, 0);
	return (0);
}

/* Take response bytes from curl; hand them to the sink or keep them. */
static size_t
rpc_write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct rpc_call	*c = arg;
	size_t		 len = size * n;

	if (c->http_status == 0)
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE,
		    &c->http_status);
	if (c->sink != NULL && rpc_spent >= RPC_BUDGET) {
		/* Yield to the loop; curl keeps these bytes for later. */
		if (!c->paused) {
			c->paused = 1;
			rpc_npaused++;
		}
		uv_idle_start(&rpc_idle, rpc_idle_cb);
		return (CURL_WRITEFUNC_PAUSE);
	}
	rpc_spent += len;
	c->received += len;
	if (c->sink != NULL)
		return (c->sink(c, p, len) == 0 ? len : 0);
	if (c->body.len + len > c->limit) {
		c->toolarge = 1;
		return (0);
	}
	buf_add(&c->body, p, len);
	return (len);
}

/* Free a call and everything it holds. */
static void
rpc_free(struct rpc_call *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		rpc_calls = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->paused)
		rpc_npaused--;
	curl_easy_cleanup(c->easy);
	curl_slist_free_all(c->headers);
	buf_free(&c->body);
	free(c->request);
	free(c->url);
	free(c->method);
	free(c);
}

/* Hand every finished transfer to its owner. */
static void
rpc_check(void)
{
	struct rpc_call	*c;
	CURLMsg		*msg;
	int		 left;

	while ((msg = curl_multi_info_read(rpc_multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &c);
		c->result = msg->data.result;
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE,
		    &c->http_status);
		curl_multi_remove_handle(rpc_multi, c->easy);
		c->elapsed = uv_now(rpc_loop) - c->started;
		c->done(c, c->arg);
		rpc_free(c);
	}
}

/* Set up the multi handle on LOOP. */
int
rpc_init(uv_loop_t *loop)
{
	rpc_loop = loop;
	if ((rpc_multi = curl_multi_init()) == NULL)
		return (-1);
	uv_timer_init(loop, &rpc_timer);
	uv_idle_init(loop, &rpc_idle);
	curl_multi_setopt(rpc_multi, CURLMOPT_SOCKETFUNCTION, rpc_socket_cb);
	curl_multi_setopt(rpc_multi, CURLMOPT_TIMERFUNCTION, rpc_timerfunc);
	curl_multi_setopt(rpc_multi, CURLMOPT_MAX_HOST_CONNECTIONS, 4L);
	rpc_running = 1;
	return (0);
}

/* Set the options of one call's easy handle. */
static void
rpc_setopt(struct rpc_call *c, uint64_t timeout_ms)
{
	CURL	*e = c->easy;

	curl_easy_setopt(e, CURLOPT_URL, c->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->request);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(c->request));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, rpc_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_PRIVATE, c);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->error);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(timeout_ms < 10000 ? timeout_ms : 10000));
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	/* Plain HTTP to the one address configured: no proxy, no redirect. */
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	/* Reads as large as the parse budget: less work per byte. */
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)RPC_BUDGET);
}

/*
 * Start a call of Filecoin.METHOD with PARAMS (a JSON array text) on the
 * miner at ADDR (host:port).  DONE runs on the loop when it ends; the
 * call is freed after DONE returns.  Body bytes go to SINK when given,
 * else into c->body (at most LIMIT bytes).
 */
struct rpc_call *
rpc_start(const char *addr, const char *token, const char *method,
    const char *params, const struct rpc_opts *o)
{
	struct rpc_call	*c;
	char		*auth;

	c = xcalloc(1, sizeof(*c));
	if ((c->easy = curl_easy_init()) == NULL)
		fatalx("rpc_start: curl_easy_init failed");
	c->id = rpc_nextid++;
	c->method = xstrdup(method);
	c->url = util_printf("http://%s/rpc/v0", addr);
	/* The answer's id is compared by the caller's JSON stream. */
	c->request = util_printf("{\"jsonrpc\":\"2.0\",\"id\":%lu,"
	    "\"method\":\"Filecoin.%s\",\"params\":%s}", c->id, method,
	    params ? params : "[]");
	c->headers = curl_slist_append(NULL, "Content-Type: application/json");
	auth = util_printf("Authorization: Bearer %s", token);
	c->headers = curl_slist_append(c->headers, auth);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	c->sink = o->sink;
	c->done = o->done;
	c->arg = o->arg;
	c->limit = o->limit ? o->limit : RPC_BODY_MAX;
	c->started = uv_now(rpc_loop);
	rpc_setopt(c, o->timeout_ms);
	c->next = rpc_calls;
	if (rpc_calls != NULL)
		rpc_calls->prev = c;
	rpc_calls = c;
	if (curl_multi_add_handle(rpc_multi, c->easy) != CURLM_OK)
		fatalx("rpc_start: curl_multi_add_handle failed");
	return (c);
}

/* Abandon call C: its DONE callback will not run. */
void
rpc_cancel(struct rpc_call *c)
{
	curl_multi_remove_handle(rpc_multi, c->easy);
	rpc_free(c);
}

/* Describe why call C failed at the HTTP level, or NULL if it did not. */
const char *
rpc_transport_error(struct rpc_call *c, char *buf, size_t len)
{
	if (c->toolarge) {
		snprintf(buf, len, "response larger than %zu bytes",
		    c->limit);
		return (buf);
	}
	if (c->result != CURLE_OK) {
		snprintf(buf, len, "%s", c->error[0] ? c->error :
		    curl_easy_strerror(c->result));
		return (buf);
	}
	if (c->http_status == 401) {
		snprintf(buf, len, "HTTP 401: token rejected");
		return (buf);
	}
	if (c->http_status != 200 && c->http_status != 500 &&
	    c->http_status != 400) {
		snprintf(buf, len, "HTTP %ld", c->http_status);
		return (buf);
	}
	return (NULL);
}

/* Close the multi handle; calls still running are dropped. */
void
rpc_shutdown(void)
{
	if (!rpc_running)
		return;
	rpc_running = 0;
	while (rpc_calls != NULL)
		rpc_cancel(rpc_calls);
	curl_multi_cleanup(rpc_multi);
	rpc_multi = NULL;
	while (rpc_socks != NULL)
		rpc_sock_close(rpc_socks);
	uv_timer_stop(&rpc_timer);
	uv_close((uv_handle_t *)&rpc_timer, NULL);
	uv_idle_stop(&rpc_idle);
	uv_close((uv_handle_t *)&rpc_idle, NULL);
}
