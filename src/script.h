/*
 * script.h: worker start scripts, rendered per miner from a template.
 */

#ifndef SCRIPT_H
#define SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#define SCRIPT_TEMPLATE_MAX	(1024 * 1024)	/* bytes */
#define SCRIPT_PORT_BASE	50000		/* lowest worker port */
#define SCRIPT_PORT_SPAN	9999		/* base + [0, span) */
#define SCRIPT_SIZE_64G		UINT64_C(68719476736)	/* 64 GiB */
#define SCRIPT_TEMPLATE_32G	"worker32G.tmpl"
#define SCRIPT_TEMPLATE_64G	"worker64G.tmpl"
#define SCRIPT_MODE		0700		/* of a written script */

/* What script_make needs to know about one miner. */
struct script_miner {
	const char	*id;		/* "f01000" or "t01000" */
	const char	*address;	/* miner API, host:port */
	const char	*token;		/* admin token: never log */
	uint64_t	 sector_size;	/* bytes, from ActorSectorSize */
};

/* script.c */
int		 script_id_parse(const char *, uint64_t *);
int		 script_port(uint64_t);
int		 script_port_collision(const char *, const char *const *,
		    size_t, char **);
int		 script_api_info(const char *, const char *, char **,
		    char **);
const char	*script_template_name(uint64_t);
int		 script_template_read(const char *, char **, size_t *,
		    char **);
int		 script_template_load(const char *, uint64_t, char **,
		    char **, size_t *, char **);
int		 script_render(const char *, const char *, size_t,
		    const char *, const char *, int, char **, size_t *,
		    char **);
int		 script_write(const char *, const char *, const char *,
		    size_t, char **, char **);
int		 script_remove(const char *, const char *, char **);
int		 script_make(const char *, const char *,
		    const struct script_miner *, char **, char **);

#endif /* SCRIPT_H */
