/*
 * util.c: small helpers: whole files read and written atomically, UTF-8,
 * command words, and allocation that cannot fail.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pilot.h"

static int	 util_write_all(int, const char *, size_t);
static int	 util_sync_dir(const char *);
static int	 util_word_plain(const char *);
static int	 util_word_dquote(const char *);
static void	 util_word_add(char ***, size_t *, char *, size_t);

/*
 * Write data to path atomically: write PATH.tmp.<pid>, sync it, rename it
 * over path and sync the directory.  On failure the temporary file is
 * removed and path is left as it was.
 */
int
util_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, char **cause)
{
	char	*tmp;
	int	 fd, saved;

	tmp = util_printf("%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_CREAT|O_EXCL|O_WRONLY|O_CLOEXEC, mode);
	if (fd == -1 && errno == EEXIST) {
		/* Left by a crash of an earlier run with our pid. */
		if (unlink(tmp) == 0)
			fd = open(tmp, O_CREAT|O_EXCL|O_WRONLY|O_CLOEXEC, mode);
	}
	if (fd == -1) {
		saved = errno;
		goto fail;
	}
	if (fchmod(fd, mode) == -1 || util_write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(tmp);
		goto fail;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		goto fail;
	}
	if (util_sync_dir(path) == -1) {
		saved = errno;
		goto fail;
	}
	free(tmp);
	return (0);

fail:
	free(tmp);
	*cause = util_printf("cannot write %s: %s", path, strerror(saved));
	return (-1);
}

/* Write the whole buffer to fd, going on after short writes. */
static int
util_write_all(int fd, const char *data, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(fd, data, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		data += n;
		len -= n;
	}
	return (0);
}

/* Sync the directory holding path so that a rename survives a crash. */
static int
util_sync_dir(const char *path)
{
	char	*dir, *slash;
	int	 fd, rv, saved;

	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
	free(dir);
	if (fd == -1)
		return (-1);
	rv = fsync(fd);
	/* Some file systems cannot sync a directory; that is no failure. */
	if (rv == -1 && errno == EINVAL)
		rv = 0;
	saved = errno;
	close(fd);
	errno = saved;
	return (rv);
}

/* Read a whole file of at most maxlen bytes, NUL-terminated. */
char *
util_read_file(const char *path, size_t maxlen, size_t *lenp, char **cause)
{
	struct stat	 st;
	char		*buf;
	size_t		 len, size;
	ssize_t		 n = 0;
	int		 fd;

	/* O_NONBLOCK: a FIFO must not stop the daemon on open. */
	if ((fd = open(path, O_RDONLY|O_CLOEXEC|O_NONBLOCK)) == -1) {
		*cause = util_printf("cannot open %s: %s", path,
		    strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		*cause = util_printf("cannot read %s: not a regular file",
		    path);
		close(fd);
		return (NULL);
	}
	size = maxlen + 2;
	buf = xmalloc(size);
	len = 0;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	if (n == -1 || len > maxlen) {
		if (n == -1)
			*cause = util_printf("cannot read %s: %s", path,
			    strerror(errno));
		else
			*cause = util_printf("cannot read %s: larger than "
			    "%zu bytes", path, maxlen);
		close(fd);
		free(buf);
		return (NULL);
	}
	close(fd);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return (buf);
}

/* Return 1 if buf is well-formed UTF-8: shortest form, no surrogates. */
int
util_utf8_valid(const char *buf, size_t len)
{
	const unsigned char	*s = (const unsigned char *)buf;
	size_t			 i, n, k;
	uint32_t		 c, min;

	for (i = 0; i < len; i += n) {
		c = s[i];
		if (c < 0x80) {
			n = 1;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 2;
		else if (c >= 0xe0 && c <= 0xef)
			n = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 4;
		else
			return (0);
		/* Payload bits of the lead byte, and the least code point. */
		c &= 0x7f >> n;
		min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
		if (len - i < n)
			return (0);
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (0);
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return (0);
	}
	return (1);
}

/* Format into a new string; running out of memory is fatal. */
char *
util_printf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("%s", __func__);
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return (s);
}

/* Append a copy of the len bytes at word to the argv being built. */
static void
util_word_add(char ***argv, size_t *argc, char *word, size_t len)
{
	*argv = xrealloc(*argv, (*argc + 2) * sizeof(**argv));
	(*argv)[*argc] = xmalloc(len + 1);
	memcpy((*argv)[*argc], word, len);
	(*argv)[*argc][len] = '\0';
	(*argv)[++*argc] = NULL;
}

/*
 * Split a command line into words as sh(1) would, but without expanding
 * anything: blanks separate words; '...' keeps everything; "..." keeps
 * everything but \" \\ \$ \` which lose the backslash; outside quotes a
 * backslash keeps the next character.  Returns a NULL-terminated argv,
 * empty for a blank line, or NULL and a cause for an unbalanced quote.
 */
char **
util_argv_split(const char *s, char **cause)
{
	char	**argv, *word;
	size_t	  argc = 0, len;
	char	  q;

	argv = xcalloc(1, sizeof(*argv));
	word = xmalloc(strlen(s) + 1);
	for (;;) {
		s += strspn(s, " \t");
		if (*s == '\0')
			break;
		for (len = 0; *s != '\0' && *s != ' ' && *s != '\t'; s++) {
			if (*s == '\'' || *s == '"') {
				for (q = *s++; *s != q && *s != '\0'; s++) {
					if (q == '"' && *s == '\\' &&
					    s[1] != '\0' &&
					    strchr("\"\\$`", s[1]) != NULL)
						s++;
					word[len++] = *s;
				}
				if (*s == '\0') {
					*cause = util_printf("unbalanced %s "
					    "quote", q == '"' ? "double" :
					    "single");
					goto fail;
				}
				continue;
			}
			if (*s == '\\' && *++s == '\0') {
				*cause = xstrdup("backslash at the end");
				goto fail;
			}
			word[len++] = *s;
		}
		util_word_add(&argv, &argc, word, len);
	}
	free(word);
	return (argv);

fail:
	free(word);
	util_argv_free(argv);
	return (NULL);
}

/* Free an argv from util_argv_split. */
void
util_argv_free(char **argv)
{
	char	**ap;

	if (argv == NULL)
		return;
	for (ap = argv; *ap != NULL; ap++)
		free(*ap);
	free(argv);
}

/* Return 1 if word needs no quotes at all. */
static int
util_word_plain(const char *word)
{
	if (*word == '\0')
		return (0);
	return (word[strspn(word, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_{}-")] == '\0');
}

/* Return 1 if word can go between double quotes as it is. */
static int
util_word_dquote(const char *word)
{
	return (strpbrk(word, "\"\\$`") == NULL);
}

/* Join argv into one line, quoting words so that splitting gives argv. */
char *
util_argv_join(char **argv)
{
	const char	*s;
	char		*out, *p;
	size_t		 size;
	int		 i;

	for (size = 1, i = 0; argv[i] != NULL; i++)
		size += 4 * strlen(argv[i]) + 3;
	out = p = xmalloc(size);
	for (i = 0; argv[i] != NULL; i++) {
		if (i > 0)
			*p++ = ' ';
		if (util_word_plain(argv[i]))
			p = stpcpy(p, argv[i]);
		else if (util_word_dquote(argv[i]))
			p += sprintf(p, "\"%s\"", argv[i]);
		else {
			/* Single quotes; a quote is written as '\''. */
			*p++ = '\'';
			for (s = argv[i]; *s != '\0'; s++) {
				if (*s == '\'')
					p = stpcpy(p, "'\\''");
				else
					*p++ = *s;
			}
			*p++ = '\'';
		}
	}
	*p = '\0';
	return (out);
}

/* Allocate or die. */
void *
xmalloc(size_t size)
{
	void	*p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL)
		fatal("%s", __func__);
	return (p);
}

/* Allocate zeroed memory or die. */
void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		fatal("%s", __func__);
	return (p);
}

/* Resize or die. */
void *
xrealloc(void *p, size_t size)
{
	if ((p = realloc(p, size == 0 ? 1 : size)) == NULL)
		fatal("%s", __func__);
	return (p);
}

/* Copy a string or die. */
char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("%s", __func__);
	return (p);
}

/* The wall clock in milliseconds since the epoch. */
uint64_t
util_wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}
