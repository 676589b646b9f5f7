/*
 * check.h: checks of values that come from outside (check.c): the
 * configuration file, the control socket and the miners.  Each returns
 * NULL when the value is good, or why it is bad.
 */

#ifndef CHECK_H
#define CHECK_H

#define CHECK_TOKEN_MAX	4096		/* longest token, bytes */

const char	*check_address(const char *);
const char	*check_duration(const char *, uint64_t *);
const char	*check_hostname(const char *);
const char	*check_worker_host(const char *);
const char	*check_miner_id(const char *, uint64_t *);
const char	*check_token(const char *, size_t);

#endif /* CHECK_H */
