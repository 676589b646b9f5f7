/*
 * mview-map.c: a small hash map from byte strings (worker UUIDs, path
 * ids, sector ids, hostnames) to 32-bit values, and a growable array
 * helper.  Keys are copied into one arena; open addressing, linear
 * probing, at most half full.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mview.h"

struct mview_slot {
	uint64_t	hash;
	size_t		key;		/* offset in the arena, + 1 */
	uint32_t	klen;
	uint32_t	val;
};

struct mview_map {
	struct mview_slot	*slot;
	size_t			 cap;	/* a power of two, or 0 */
	size_t			 n;
	char			*arena;
	size_t			 alen, acap;
};

/* Make room for one more element of size sz at *pp[n]; -1 if no memory. */
int
mview_map_grow(void *pp, size_t *cap, size_t n, size_t sz)
{
	void	**p = pp, *np;
	size_t	  ncap;

	if (n < *cap)
		return (0);
	ncap = *cap ? *cap * 2 : 16;
	if ((np = reallocarray(*p, ncap, sz)) == NULL)
		return (-1);
	*p = np;
	*cap = ncap;
	return (0);
}

/* FNV-1a of a key. */
static uint64_t
mview_map_hash(const void *key, size_t len)
{
	const unsigned char	*p = key;
	uint64_t		 h = 14695981039346656037ULL;

	while (len-- > 0) {
		h ^= *p++;
		h *= 1099511628211ULL;
	}
	return (h | 1);
}

/* Make an empty map. */
struct mview_map *
mview_map_new(void)
{
	return (calloc(1, sizeof(struct mview_map)));
}

/* Free a map and its keys. */
void
mview_map_free(struct mview_map *m)
{
	if (m == NULL)
		return;
	free(m->slot);
	free(m->arena);
	free(m);
}

/* The slot of key, or the empty slot where it would go. */
static struct mview_slot *
mview_map_find(const struct mview_map *m, const void *key, size_t len,
    uint64_t h)
{
	struct mview_slot	*s;
	size_t			 i;

	for (i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		s = &m->slot[i];
		if (s->hash == 0 || (s->hash == h && s->klen == len &&
		    memcmp(m->arena + s->key - 1, key, len) == 0))
			return (s);
	}
}

/* Double the table; -1 if out of memory. */
static int
mview_map_rehash(struct mview_map *m)
{
	struct mview_map	 nm = *m;
	struct mview_slot	*s;
	size_t			 i;

	nm.cap = m->cap ? m->cap * 2 : 64;
	if ((nm.slot = calloc(nm.cap, sizeof(*nm.slot))) == NULL)
		return (-1);
	for (i = 0; i < m->cap; i++) {
		if (m->slot[i].hash == 0)
			continue;
		s = mview_map_find(&nm, m->arena + m->slot[i].key - 1,
		    m->slot[i].klen, m->slot[i].hash);
		*s = m->slot[i];
	}
	free(m->slot);
	m->slot = nm.slot;
	m->cap = nm.cap;
	return (0);
}

/* Set key to val; 1 if the key was there (value replaced), 0, or -1. */
int
mview_map_put(struct mview_map *m, const void *key, size_t len,
    uint32_t val)
{
	struct mview_slot	*s;
	uint64_t		 h = mview_map_hash(key, len);
	char			*na;
	size_t			 ncap;

	if ((m->n + 1) * 2 > m->cap && mview_map_rehash(m) == -1)
		return (-1);
	s = mview_map_find(m, key, len, h);
	if (s->hash != 0) {
		s->val = val;
		return (1);
	}
	if (len > UINT32_MAX || m->arena == NULL ||
	    m->alen + len > m->acap) {
		ncap = m->acap ? m->acap : 1024;
		while (ncap < m->alen + len)
			ncap *= 2;
		if (len > UINT32_MAX || (na = realloc(m->arena, ncap)) == NULL)
			return (-1);
		m->arena = na;
		m->acap = ncap;
	}
	memcpy(m->arena + m->alen, key, len);
	s->key = m->alen + 1;
	m->alen += len;
	s->hash = h;
	s->klen = len;
	s->val = val;
	m->n++;
	return (0);
}

/* Look key up; 0 and its value, or -1 if it is not there. */
int
mview_map_get(const struct mview_map *m, const void *key, size_t len,
    uint32_t *val)
{
	struct mview_slot	*s;

	if (m->cap == 0)
		return (-1);
	s = mview_map_find(m, key, len, mview_map_hash(key, len));
	if (s->hash == 0)
		return (-1);
	*val = s->val;
	return (0);
}

/* Number of keys. */
size_t
mview_map_count(const struct mview_map *m)
{
	return (m->n);
}
