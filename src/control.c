/*
 * control.c: the control socket: accept clients, read request lines,
 * answer them through cmd.c.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "pilot.h"

#define CONTROL_BACKLOG		64
#define CONTROL_WQ_MAX		(1024 * 1024)	/* pause reading above, bytes */
#define CONTROL_CLIENTS_MAX	256		/* clients at once */

/* One client connection. */
struct ctl_conn {
	uv_pipe_t		 pipe;
	struct peer		 peer;
	char			 line[PILOT_LINE_MAX + 1];
	size_t			 len;		/* bytes in line */
	int			 discarding;	/* skipping an overlong line */
	int			 closing;
	int			 paused;	/* slow reader: not read */
	int			 quitting;	/* quit asked, shutting down */
	int			 eof;		/* EOF: close after reply */
	struct reply		*waiting;	/* deferred reply pending */
	struct buf		 held;		/* input read meanwhile */
	struct ctl_conn		*prev, *next;
};

/* A write in flight, freed by its callback. */
struct ctl_write {
	uv_write_t		 req;
	struct ctl_conn		*conn;
	char			*data;
};

static uv_pipe_t	 control_server;
static int		 control_listening;
static char		*control_path;
static struct ctl_conn	*control_conns;
static int		 control_nconns;
static uv_timer_t	 control_backoff;	/* accept paused on EMFILE */

static void	 control_accept(uv_stream_t *, int);
static void	 control_close(struct ctl_conn *);
static void	 control_alloc(uv_handle_t *, size_t, uv_buf_t *);
static void	 control_read(uv_stream_t *, ssize_t, const uv_buf_t *);
static void	 control_quit(struct ctl_conn *);
static void	 control_input(struct ctl_conn *, const char *, size_t);

/* Check that the directory of the socket PATH exists, for a clear word. */
static int
control_check_dir(const char *path, char **cause)
{
	struct stat	 st;
	char		*dir, *slash;
	int		 rv = 0;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) == -1) {
		*cause = util_printf("cannot listen on %s: directory %s: %s",
		    path, dir, strerror(errno));
		rv = -1;
	} else if (!S_ISDIR(st.st_mode)) {
		*cause = util_printf("cannot listen on %s: %s is not a "
		    "directory", path, dir);
		rv = -1;
	}
	free(dir);
	return (rv);
}

/* Tell whether a daemon answers on PATH; remove a stale socket file. */
static int
control_check(const char *path, char **cause)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	int			 fd, rv;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return (control_check_dir(path, cause));
		*cause = util_printf("cannot stat %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	if (!S_ISSOCK(st.st_mode)) {
		*cause = util_printf("%s exists and is not a socket", path);
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		*cause = util_printf("socket: %s", strerror(errno));
		return (-1);
	}
	rv = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rv == 0) {
		*cause = util_printf("another lotus-pilotd answers on %s",
		    path);
		return (-1);
	}
	if (errno != ECONNREFUSED) {
		*cause = util_printf("cannot connect to %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	log_info("removing stale socket %s", path);
	if (unlink(path) == -1) {
		*cause = util_printf("cannot remove %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/* Give the socket its group and mode 0660. */
int
control_regroup(const struct config *conf, char **cause)
{
	gid_t	 gid = conf->socket_group ? conf->socket_gid : (gid_t)-1;

	if (chown(control_path, (uid_t)-1, gid) == -1) {
		*cause = util_printf("cannot chown %s: %s", control_path,
		    strerror(errno));
		return (-1);
	}
	if (chmod(control_path, 0660) == -1) {
		*cause = util_printf("cannot chmod %s: %s", control_path,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/* Create the control socket at PATH and start listening. */
int
control_init(uv_loop_t *loop, const char *path, const struct config *conf,
    char **cause)
{
	mode_t	 old;
	int	 rv;

	if (control_check(path, cause) == -1)
		return (-1);
	control_path = xstrdup(path);
	uv_pipe_init(loop, &control_server, 0);
	uv_timer_init(loop, &control_backoff);
	old = umask(0117);
	rv = uv_pipe_bind(&control_server, path);
	umask(old);
	if (rv == 0 && control_regroup(conf, cause) == -1)
		rv = 1;
	else if (rv == 0)
		rv = uv_listen((uv_stream_t *)&control_server,
		    CONTROL_BACKLOG, control_accept);
	if (rv < 0)
		*cause = util_printf("cannot listen on %s: %s", path,
		    uv_strerror(rv));
	if (rv != 0) {
		uv_close((uv_handle_t *)&control_server, NULL);
		uv_close((uv_handle_t *)&control_backoff, NULL);
		free(control_path);
		control_path = NULL;
		return (-1);
	}
	control_listening = 1;
	return (0);
}

/* Read the peer's uid, gid, pid and groups from the kernel. */
static int
control_peer(struct ctl_conn *c)
{
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	uv_os_fd_t	 fd;

	if (uv_fileno((uv_handle_t *)&c->pipe, &fd) != 0)
		return (-1);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return (-1);
	c->peer.uid = cred.uid;
	c->peer.gid = cred.gid;
	c->peer.pid = cred.pid;
	len = sizeof(c->peer.groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, c->peer.groups,
	    &len) == -1) {
		/* Too many groups: only the primary group counts. */
		c->peer.ngroups = 0;
	} else
		c->peer.ngroups = (int)(len / sizeof(gid_t));
	return (0);
}

/* Resume accepting after a pause for lack of descriptors. */
static void
control_resume(uv_timer_t *t)
{
	(void)t;
	if (control_listening)
		control_accept((uv_stream_t *)&control_server, 0);
}

/* Free a connection once its handle is closed. */
static void
control_free(uv_handle_t *h)
{
	struct ctl_conn	*c = h->data;

	free(c);
}

/* Free a finished write; resume reading once the queue drained. */
static void
control_written(uv_write_t *req, int status)
{
	struct ctl_write	*w = (struct ctl_write *)req;
	struct ctl_conn		*c = w->conn;

	free(w->data);
	free(w);
	if (status < 0 && status != UV_ECANCELED && !c->closing) {
		log_debug("control: write: %s", uv_strerror(status));
		control_close(c);
		return;
	}
	if (c->paused && !c->closing && !c->quitting && !c->waiting &&
	    uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) <
	    CONTROL_WQ_MAX / 2) {
		c->paused = 0;
		c->pipe.data = c;
		uv_read_start((uv_stream_t *)&c->pipe, control_alloc,
		    control_read);
	}
}

/* Queue LEN bytes of DATA (taken over) to the client. */
static void
control_send(struct ctl_conn *c, char *data, size_t len)
{
	struct ctl_write	*w;
	uv_buf_t		 b;
	int			 rv;

	if (c->closing) {
		free(data);
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->conn = c;
	w->data = data;
	b = uv_buf_init(data, (unsigned int)len);
	if ((rv = uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1,
	    control_written)) < 0) {
		log_debug("control: write: %s", uv_strerror(rv));
		free(data);
		free(w);
		control_close(c);
	}
}

/* Turn a finished reply into protocol lines and send them. */
static void
control_answer(struct ctl_conn *c, struct reply *r)
{
	struct buf	 out = { 0 };
	const char	*p, *nl;

	for (p = r->lines.data; p != NULL && *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		buf_printf(&out, "%03d-%.*s\n", r->code, (int)(nl - p), p);
	}
	if (r->message != NULL)
		buf_printf(&out, "%03d %s\n", r->code, r->message);
	else
		buf_printf(&out, "%03d %s\n", r->code, reply_name(r->code));
	control_send(c, out.data, out.len);
}

/* Close the connection once the shutdown request completes. */
static void
control_shut(uv_shutdown_t *req, int status)
{
	struct ctl_conn	*c = req->data;

	(void)status;
	free(req);
	control_close(c);
}

/* End a connection after what is queued has been sent. */
static void
control_quit(struct ctl_conn *c)
{
	uv_shutdown_t	*req;

	uv_read_stop((uv_stream_t *)&c->pipe);
	c->quitting = 1;
	req = xcalloc(1, sizeof(*req));
	req->data = c;
	if (uv_shutdown(req, (uv_stream_t *)&c->pipe, control_shut) < 0) {
		free(req);
		control_close(c);
	}
}

/* Note that reply D will come later; stop reading meanwhile. */
void
control_defer(struct reply *d)
{
	struct ctl_conn	*c = d->conn;

	c->waiting = d;
}

/* Send deferred reply D, then go on with the held input. */
void
control_finish(struct reply *d)
{
	struct ctl_conn	*c = d->conn;
	struct buf	 held;

	if (c == NULL)
		return;		/* the client went away */
	c->waiting = NULL;
	control_answer(c, d);
	if (d->quit)
		control_quit(c);
	if (c->closing || c->quitting)
		return;
	held = c->held;
	memset(&c->held, 0, sizeof(c->held));
	if (held.len > 0)
		control_input(c, held.data, held.len);
	buf_free(&held);
	if (c->eof && c->waiting == NULL && !c->closing && !c->quitting)
		control_quit(c);
	if (c->eof || c->closing || c->quitting)
		return;
	if (c->waiting == NULL && !c->closing && !c->quitting &&
	    !c->paused)
		uv_read_start((uv_stream_t *)&c->pipe, control_alloc,
		    control_read);
}

/* Tell whether LINE holds a control character other than tab. */
static int
control_has_ctrl(const char *line, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') ||
		    line[i] == 0x7f)
			return (1);
	return (0);
}

/* Answer one complete request line. */
static void
control_request(struct ctl_conn *c, const char *line, size_t len)
{
	struct reply	 r;

	memset(&r, 0, sizeof(r));
	r.code = RC_OK;
	r.conn = c;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (strspn(line, " \t") >= len)
		return;		/* a blank line gets no reply */
	pd->requests++;
	if (!util_utf8_valid(line, len))
		reply_error(&r, RC_ENCODING, "request is not valid UTF-8");
	else if (control_has_ctrl(line, len))
		reply_error(&r, RC_ENCODING,
		    "request holds a control character");
	else {
		c->line[len] = '\0';
		cmd_dispatch(line, &c->peer, &r);
	}
	if (r.deferred) {
		buf_free(&r.lines);
		free(r.message);
		return;
	}
	control_answer(c, &r);
	buf_free(&r.lines);
	free(r.message);
	if (r.quit)
		control_quit(c);
}

/* Send the answer to an overlong line. */
static void
control_toolong(struct ctl_conn *c)
{
	struct reply	 r;

	memset(&r, 0, sizeof(r));
	reply_error(&r, RC_TOOLONG, "request longer than %d bytes",
	    PILOT_LINE_MAX);
	control_answer(c, &r);
	free(r.message);
	pd->requests++;
}

/* Split incoming bytes into lines and answer each. */
static void
control_input(struct ctl_conn *c, const char *p, size_t n)
{
	const char	*nl;
	size_t		 take;

	while (n > 0 && !c->closing && !c->quitting) {
		if (c->waiting != NULL) {
			/* A reply is pending: keep the rest for later. */
			buf_add(&c->held, p, n);
			uv_read_stop((uv_stream_t *)&c->pipe);
			return;
		}
		nl = memchr(p, '\n', n);
		take = nl ? (size_t)(nl - p) : n;
		if (c->discarding) {
			if (nl != NULL)
				c->discarding = 0;
		} else if (c->len + take > PILOT_LINE_MAX) {
			c->len = 0;
			c->discarding = (nl == NULL);
			control_toolong(c);
		} else {
			memcpy(c->line + c->len, p, take);
			c->len += take;
			if (nl != NULL) {
				control_request(c, c->line, c->len);
				c->len = 0;
			}
		}
		take += (nl != NULL);
		p += take;
		n -= take;
	}
	if (!c->closing && !c->quitting && uv_stream_get_write_queue_size(
	    (uv_stream_t *)&c->pipe) > CONTROL_WQ_MAX) {
		c->paused = 1;
		uv_read_stop((uv_stream_t *)&c->pipe);
	}
}

/* Hand libuv a buffer to read into. */
static void
control_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)h;
	(void)hint;
	b->base = xmalloc(8192);
	b->len = 8192;
}

/* Take bytes from a client, or close it on EOF or error. */
static void
control_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct ctl_conn	*c = s->data;

	if (n > 0)
		control_input(c, b->base, (size_t)n);
	else if (n == UV_EOF && c->waiting != NULL)
		c->eof = 1;		/* answer first, then close */
	else if (n == UV_EOF && !c->quitting)
		control_quit(c);	/* half-closed: flush replies first */
	else if (n < 0) {
		log_debug("control: read: %s", uv_strerror((int)n));
		control_close(c);
	}
	free(b->base);
}

/* Close a connection; its memory goes in the close callback. */
static void
control_close(struct ctl_conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	if (c->waiting != NULL)
		c->waiting->conn = NULL;
	c->waiting = NULL;
	buf_free(&c->held);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		control_conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	control_nconns--;
	uv_close((uv_handle_t *)&c->pipe, control_free);
}

/* Greet a new client. */
static void
control_greet(struct ctl_conn *c)
{
	char	*g;

	g = util_printf("%03d lotus-pilotd %s protocol %d\n", RC_GREETING,
	    PACKAGE_VERSION, PILOT_PROTOCOL);
	control_send(c, g, strlen(g));
}

/* Accept a pending client. */
static void
control_accept(uv_stream_t *server, int status)
{
	struct ctl_conn	*c;
	int		 rv;

	if (status < 0) {
		log_warnx("control: accept: %s", uv_strerror(status));
		return;
	}
	c = xcalloc(1, sizeof(*c));
	uv_pipe_init(server->loop, &c->pipe, 0);
	c->pipe.data = c;
	if ((rv = uv_accept(server, (uv_stream_t *)&c->pipe)) < 0) {
		uv_close((uv_handle_t *)&c->pipe, control_free);
		if (rv == UV_EMFILE || rv == UV_ENFILE) {
			log_warnx("control: accept: %s, pausing 1s",
			    uv_strerror(rv));
			uv_timer_start(&control_backoff, control_resume,
			    1000, 0);
		}
		return;
	}
	if (control_peer(c) == -1) {
		log_warn("control: cannot read peer credentials");
		uv_close((uv_handle_t *)&c->pipe, control_free);
		return;
	}
	c->next = control_conns;
	if (control_conns != NULL)
		control_conns->prev = c;
	control_conns = c;
	control_nconns++;
	log_debug("control: client uid %u pid %d connected",
	    (unsigned)c->peer.uid, (int)c->peer.pid);
	if (control_nconns > CONTROL_CLIENTS_MAX) {
		/* Keep descriptors for the miners: say why and close. */
		char *busy = util_printf("%03d %s: more than %d clients\n",
		    RC_MINERDOWN, reply_name(RC_MINERDOWN),
		    CONTROL_CLIENTS_MAX);

		log_warnx("control: more than %d clients, refusing uid %u",
		    CONTROL_CLIENTS_MAX, (unsigned)c->peer.uid);
		control_send(c, busy, strlen(busy));
		control_quit(c);
		return;
	}
	control_greet(c);
	uv_read_start((uv_stream_t *)&c->pipe, control_alloc, control_read);
}

/* Number of connected clients. */
int
control_clients(void)
{
	return (control_nconns);
}

/* Stop listening, close every client and remove the socket. */
void
control_shutdown(void)
{
	if (!control_listening)
		return;
	control_listening = 0;
	uv_close((uv_handle_t *)&control_server, NULL);
	uv_close((uv_handle_t *)&control_backoff, NULL);
	while (control_conns != NULL)
		control_close(control_conns);
	/* Closing the server handle makes libuv unlink the socket file. */
	free(control_path);
	control_path = NULL;
}
