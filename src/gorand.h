/*
 * gorand.h: Go's math/rand generator (rngSource and the Rand methods that
 * lotus-pilot needs), bit for bit, so worker ports match the Go tool.
 */

#ifndef GORAND_H
#define GORAND_H

#include <stdint.h>

#define GORAND_LEN	607	/* state words */
#define GORAND_LAG	273	/* distance between the two words added */

/* The state of one generator: rand.New(rand.NewSource(seed)). */
struct gorand {
	uint64_t	 vec[GORAND_LEN];
	int		 tap;	/* word added in, walks down */
	int		 feed;	/* word rewritten, walks down */
};

/* gorand.c */
void		 gorand_seed(struct gorand *, int64_t);
int64_t		 gorand_seed_from_id(uint64_t);
uint64_t	 gorand_uint64(struct gorand *);
int64_t		 gorand_int63(struct gorand *);
int32_t		 gorand_int31(struct gorand *);
int32_t		 gorand_int31n(struct gorand *, int32_t);
int32_t		 gorand_intn(struct gorand *, int32_t);

#endif /* GORAND_H */
