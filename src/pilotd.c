/*
 * pilotd.c: lotus-pilotd's main: options, start-up, signals, reload
 * and shutdown.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <uv.h>

#include "pilot.h"
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif
#include "exec.h"
#include "miner.h"
#include "rpc.h"
#include "store.h"
#include "switch.h"

#ifndef PILOT_CONFIG
#define PILOT_CONFIG	"/etc/lotus-pilot/pilot.conf"
#endif

struct daemon		*pd;

static struct daemon	 pilotd;

static int	 pilotd_mkdir(const char *, char **);
static uv_signal_t	 sig_term, sig_int, sig_hup;

static const struct option pilotd_opts[] = {
	{ "check-config",	no_argument,		NULL, 'n' },
	{ "config",		required_argument,	NULL, 'c' },
	{ "debug",		no_argument,		NULL, 'd' },
	{ "foreground",		no_argument,		NULL, 'f' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "socket",		required_argument,	NULL, 's' },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL,			0,			NULL, 0 }
};

/* Print the usage line to FP. */
static void
pilotd_usage(FILE *fp)
{
	fprintf(fp, "usage: lotus-pilotd [-dfhnV] [-c file] [-s socket]\n");
}

/* Read the configuration, the runtime miners and the socket override. */
static struct config *
pilotd_load(const char *path, const char *sock, char **cause)
{
	struct config	*conf;

	if (config_load(path, &conf, cause) == -1)
		return (NULL);
	if (config_load_runtime(conf, cause) == -1) {
		config_free(conf);
		return (NULL);
	}
	if (sock != NULL) {
		free(conf->socket_path);
		conf->socket_path = xstrdup(sock);
	}
	return (conf);
}

/* Stop everything so the loop can end. */
static void
pilotd_stop(int signum)
{
	if (pd->stopping)
		return;
	pd->stopping = 1;
	log_info("stopping on %s", strsignal(signum));
#ifdef HAVE_SYSTEMD
	sd_notify(0, "STOPPING=1");
#endif
	control_shutdown();
	inventory_shutdown();
	exec_shutdown();
	miner_shutdown();
	rpc_shutdown();
	uv_close((uv_handle_t *)&sig_term, NULL);
	uv_close((uv_handle_t *)&sig_int, NULL);
	uv_close((uv_handle_t *)&sig_hup, NULL);
}

/* Refuse a new configuration that drops a miner a switch uses, or
 * whose script directory cannot be made. */
static int
pilotd_reload_check(struct config *conf, char **cause)
{
	struct miner	*m;

	for (m = miner_first(); m != NULL; m = m->next) {
		if (config_find_miner(conf, m->id) != NULL ||
		    !switch_miner_busy(m->id))
			continue;
		*cause = util_printf("miner %s is used by a switch that is "
		    "not finished; remove the switch first", m->id);
		return (-1);
	}
	return (pilotd_mkdir(conf->script_dir, cause));
}

/* Load the configuration again; keep the old one if the new is bad. */
static void
pilotd_reload(void)
{
	struct config	*conf;
	char		*cause = NULL;

	log_info("reloading %s", pd->conf_path);
	conf = pilotd_load(pd->conf_path, NULL, &cause);
	if (conf == NULL) {
		log_warnx("reload failed, keeping the running configuration: "
		    "%s", cause);
		free(cause);
		return;
	}
	if (pilotd_reload_check(conf, &cause) == -1) {
		log_warnx("reload failed, keeping the running configuration: "
		    "%s", cause);
		free(cause);
		config_free(conf);
		return;
	}
	if (strcmp(conf->socket_path, pd->socket_path) != 0)
		log_warnx("reload: socket change needs a restart, keeping %s",
		    pd->socket_path);
	free(conf->socket_path);
	conf->socket_path = xstrdup(pd->socket_path);
	if (strcmp(conf->state_dir, pd->conf->state_dir) != 0)
		log_warnx("reload: state_dir change needs a restart, "
		    "keeping %s", pd->conf->state_dir);
	free(conf->state_dir);
	conf->state_dir = xstrdup(pd->conf->state_dir);
	if (control_regroup(conf, &cause) == -1) {
		log_warnx("reload: %s", cause);
		free(cause);
	}
	config_free(pd->conf);
	pd->conf = conf;
	pd->socket_path = conf->socket_path;
	pd->reloads++;
	exec_set_parallel(conf->parallel);
	miner_sync(conf);
	miner_rescript();
	inventory_refresh();
	log_info("reloaded %s", pd->conf_path);
}

/* Handle SIGTERM, SIGINT and SIGHUP. */
static void
pilotd_signal(uv_signal_t *h, int signum)
{
	(void)h;
	if (signum == SIGHUP)
		pilotd_reload();
	else
		pilotd_stop(signum);
}

/*
 * Detach from the terminal.  The parent waits on a pipe until the child
 * says it listens, so start-up errors still reach the caller's exit
 * status.  Returns the write end in the child.
 */
static int
pilotd_detach(void)
{
	int	 p[2], fd;
	char	 msg[1024];
	ssize_t	 n;
	pid_t	 pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0) {
		close(p[1]);
		while ((n = read(p[0], msg, sizeof(msg) - 1)) == -1 &&
		    errno == EINTR)
			;
		if (n == 1 && msg[0] == '\0')
			_exit(0);
		if (n > 1) {
			msg[n] = '\0';
			fprintf(stderr, "lotus-pilotd: %s\n", msg + 1);
		}
		_exit(1);
	}
	close(p[0]);
	if (setsid() == -1)
		fatal("setsid");
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return (p[1]);
}

/* Tell the parent (if detached) and systemd that we are ready. */
static void
pilotd_ready(int notify_fd)
{
	char	 c = 0;

	if (notify_fd != -1) {
		if (write(notify_fd, &c, 1) != 1)
			log_warn("cannot notify the parent");
		close(notify_fd);
	}
#ifdef HAVE_SYSTEMD
	sd_notify(0, "READY=1");
#endif
}

/* Pass a start-up failure to the waiting parent, if detached. */
static void
pilotd_fail(int notify_fd, const char *cause)
{
	char	 msg[1024];
	int	 n;

	log_errx("%s", cause);
	if (notify_fd == -1)
		return;
	n = snprintf(msg, sizeof(msg), "%c%s", 1, cause);
	if (n > 0 && write(notify_fd, msg, (size_t)n < sizeof(msg) ?
	    (size_t)n : sizeof(msg) - 1) == -1)
		log_warn("cannot notify the parent");
	close(notify_fd);
}

/* Log the start-up line: version, socket, protocol and libraries. */
static void
pilotd_banner(void)
{
	curl_version_info_data	*cv = curl_version_info(CURLVERSION_NOW);

	log_info("lotus-pilotd %s starting: socket %s, protocol %d, "
	    "libuv %s, libcurl %s, config %s", PACKAGE_VERSION,
	    pd->socket_path, PILOT_PROTOCOL, uv_version_string(),
	    cv->version, pd->conf_path);
}

/* Parse the command line into PD; returns -1 to exit with STATUS. */
static int
pilotd_options(int argc, char **argv, const char **sock, int *check,
    int *status)
{
	int	 ch;

	while ((ch = getopt_long(argc, argv, "c:dfhns:V", pilotd_opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			pd->conf_path = optarg;
			break;
		case 'd':
			pd->debug = 1;
			break;
		case 'f':
			pd->foreground = 1;
			break;
		case 'h':
			pilotd_usage(stdout);
			*status = 0;
			return (-1);
		case 'n':
			*check = 1;
			break;
		case 's':
			if (optarg[0] != '/' || strlen(optarg) > 107) {
				fprintf(stderr, "lotus-pilotd: -s: the socket "
				    "must be an absolute path of at most 107 "
				    "bytes\n");
				*status = 1;
				return (-1);
			}
			*sock = optarg;
			break;
		case 'V':
			printf("lotus-pilotd %s\n", PACKAGE_VERSION);
			*status = 0;
			return (-1);
		default:
			pilotd_usage(stderr);
			*status = 1;
			return (-1);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "lotus-pilotd: unexpected argument \"%s\"\n",
		    argv[optind]);
		pilotd_usage(stderr);
		*status = 1;
		return (-1);
	}
	return (0);
}

/* Make a directory the daemon writes to, if it is missing. */
static int
pilotd_mkdir(const char *path, char **cause)
{
	struct stat	 st;

	if (mkdir(path, 0750) == -1 && errno != EEXIST) {
		*cause = util_printf("cannot create %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode)) {
		*cause = util_printf("%s is not a directory", path);
		return (-1);
	}
	return (0);
}

/* Read the switches saved by the last run. */
static int
pilotd_state(char **cause)
{
	char	*path;
	int	 rv;

	path = util_printf("%s/switch.json", pd->conf->state_dir);
	rv = switchstate_load(path, cause);
	free(path);
	return (rv);
}

/* Start the signal handlers. */
static void
pilotd_signals(void)
{
	/* A client that goes away must not kill us: writes get EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	uv_signal_init(pd->loop, &sig_term);
	uv_signal_init(pd->loop, &sig_int);
	uv_signal_init(pd->loop, &sig_hup);
	uv_signal_start(&sig_term, pilotd_signal, SIGTERM);
	uv_signal_start(&sig_int, pilotd_signal, SIGINT);
	uv_signal_start(&sig_hup, pilotd_signal, SIGHUP);
}

int
main(int argc, char **argv)
{
	const char	*sock = NULL;
	char		*cause = NULL;
	int		 check = 0, status = 1, notify_fd = -1, rv;

	pd = &pilotd;
	pd->conf_path = PILOT_CONFIG;
	if (pilotd_options(argc, argv, &sock, &check, &status) == -1)
		return (status);
	if ((pd->conf = pilotd_load(pd->conf_path, sock, &cause)) == NULL) {
		fprintf(stderr, "lotus-pilotd: %s\n", cause);
		free(cause);
		return (1);
	}
	if (check) {
		config_print(pd->conf, stdout);
		config_free(pd->conf);
		return (fflush(stdout) == 0 ? 0 : 1);
	}
	pd->socket_path = pd->conf->socket_path;
	if (pilotd_state(&cause) == -1) {
		fprintf(stderr, "lotus-pilotd: %s\n", cause);
		free(cause);
		config_free(pd->conf);
		return (1);
	}
	if (!pd->foreground)
		notify_fd = pilotd_detach();
	log_init(pd->foreground, pd->debug);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		fatalx("cannot initialize libcurl");
	pd->loop = uv_default_loop();
	pd->started = uv_now(pd->loop);
	pilotd_banner();
	if (control_init(pd->loop, pd->socket_path, pd->conf, &cause) == -1) {
		pilotd_fail(notify_fd, cause);
		free(cause);
		goto cleanup;
	}
	if (pilotd_mkdir(pd->conf->state_dir, &cause) == -1 ||
	    pilotd_mkdir(pd->conf->script_dir, &cause) == -1 ||
	    rpc_init(pd->loop) == -1) {
		pilotd_fail(notify_fd, cause ? cause : "cannot start libcurl");
		free(cause);
		control_shutdown();
		goto cleanup;
	}
	store_init(pd->loop);
	exec_init(pd->loop, pd->conf->parallel);
	miner_init(pd->loop);
	switch_init(pd->loop);
	inventory_init(pd->loop);
	pilotd_signals();
	miner_sync(pd->conf);
	pilotd_ready(notify_fd);
	notify_fd = -1;
	uv_run(pd->loop, UV_RUN_DEFAULT);
	status = 0;
cleanup:
	if (!pd->stopping) {
		pd->stopping = 1;
		uv_run(pd->loop, UV_RUN_DEFAULT);
	}
	if ((rv = uv_loop_close(pd->loop)) != 0) {
		log_warnx("cannot close the loop: %s", uv_strerror(rv));
		status = 1;
	}
	switch_shutdown();
	curl_global_cleanup();
	config_free(pd->conf);
	log_info("lotus-pilotd exiting with status %d", status);
	return (status);
}
