/*
 * log.c: the daemon's logger: stderr in the foreground, syslog when
 * detached.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "pilot.h"

static int	 log_debugging;		/* print log_debug lines */
static int	 log_to_stderr = 1;	/* 0: syslog */
static int	 log_journal;		/* stderr goes to the journal */

static void	 log_vwrite(int, const char *, const char *, va_list)
		    __attribute__((__format__(printf, 3, 0)));

/* Choose where log lines go and whether debug lines are shown. */
void
log_init(int foreground, int debug)
{
	log_debugging = debug;
	log_to_stderr = foreground;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
	if (!foreground)
		openlog("lotus-pilotd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Turn debug lines on or off. */
void
log_setdebug(int debug)
{
	log_debugging = debug;
}

/* One log line is one line: control characters become '?'. */
static void
log_clean(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* Write one line at PRI; SUFFIX (a strerror text) is appended if set. */
static void
log_vwrite(int pri, const char *suffix, const char *fmt, va_list ap)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "error", "warning", "notice",
		"info", "debug"
	};
	char		 msg[2048], stamp[32];
	struct timespec	 ts;
	struct tm	 tm;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_clean(msg);
	if (!log_to_stderr) {
		if (suffix != NULL)
			syslog(pri, "%s: %s", msg, suffix);
		else
			syslog(pri, "%s", msg);
		return;
	}
	if (log_journal) {
		/* journald reads the priority from the <N> prefix */
		fprintf(stderr, "<%d>%s%s%s\n", pri, msg,
		    suffix ? ": " : "", suffix ? suffix : "");
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s: %s%s%s\n", stamp,
	    ts.tv_nsec / 1000000, names[pri], msg,
	    suffix ? ": " : "", suffix ? suffix : "");
}

/* Log a warning with the text of errno appended. */
void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

/* Log a warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

/* Log an error the daemon does not survive (it exits after). */
void
log_errx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_ERR, NULL, fmt, ap);
	va_end(ap);
}

/* Log an informational line. */
void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

/* Log a debug line, shown only with --debug. */
void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_debugging)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

/* Log a fatal error with errno's text and exit. */
void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, saved ? strerror(saved) : NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Log a fatal error and exit. */
void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
