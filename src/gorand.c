/*
 * lotus-pilot: Go's math/rand generator, reimplemented so that worker ports
 * are the ones the Go lotus-pilot computes.
 *
 * The source is an additive lagged Fibonacci generator over 607 64-bit
 * words: each step adds the word 273 places further on (cyclically) into
 * the current word and returns it.  Seeding fills the words from a 31-bit
 * Lehmer generator (multiplier 48271, modulus 2^31-1), each word XOR-ed
 * with a fixed constant from gorand-table.h, which tools/gen-gorand.go
 * derives through math/rand's public API.  Go does the additions on int64
 * and lets them wrap; we use uint64_t, where wrapping is defined.
 *
 * On top of the source sit the Rand methods as Go 1.19 has them: Int63
 * drops the top bit, Int31 keeps the top 31 of those, Int31n masks for a
 * power of two and otherwise draws again while the value falls in the
 * short last bucket, and Intn(n) for n < 2^31 is Int31n(n).
 */

#include <stdint.h>

#include "gorand.h"
#include "gorand-table.h"

#define GORAND_MOD	2147483647	/* 2^31-1, modulus of the seeding */
#define GORAND_MUL	48271		/* multiplier of the seeding */
#define GORAND_ZERO	89482311	/* used when the seed reduces to 0 */
#define GORAND_WARMUP	20		/* seeding steps thrown away */

static int64_t	 gorand_lehmer(int64_t);

/* One step of the seeding generator: x * 48271 mod (2^31-1). */
static int64_t
gorand_lehmer(int64_t x)
{
	return (x * GORAND_MUL % GORAND_MOD);
}

/*
 * Seed like rand.NewSource(seed).  Go reduces the int64 seed with its
 * truncating %, so a negative seed leaves a negative rest, which is moved
 * up by 2^31-1; a rest of 0 would make the Lehmer generator stick at 0 and
 * is replaced by 89482311.  C's % on int64_t truncates the same way.
 */
void
gorand_seed(struct gorand *r, int64_t seed)
{
	int64_t		 x;
	uint64_t	 u;
	int		 i, j;

	x = seed % GORAND_MOD;
	if (x < 0)
		x += GORAND_MOD;
	if (x == 0)
		x = GORAND_ZERO;
	for (i = 0; i < GORAND_WARMUP; i++)
		x = gorand_lehmer(x);
	for (i = 0; i < GORAND_LEN; i++) {
		/* Three 31-bit draws, overlapping: a<<40 ^ b<<20 ^ c. */
		u = 0;
		for (j = 0; j < 3; j++) {
			x = gorand_lehmer(x);
			u = (u << 20) ^ (uint64_t)x;
		}
		r->vec[i] = u ^ gorand_table[i];
	}
	r->tap = 0;
	r->feed = GORAND_LEN - GORAND_LAG;
}

/*
 * The seed Go uses for an actor id: int64(id).  The id is a uint64, and
 * Go's conversion keeps the bits, so ids of 2^63 and above become
 * negative; converting such a value to int64_t in C is
 * implementation-defined, so it is spelled out here.
 */
int64_t
gorand_seed_from_id(uint64_t id)
{
	if (id <= INT64_MAX)
		return ((int64_t)id);
	return (-(int64_t)(UINT64_MAX - id) - 1);
}

/* The next 64 bits, like Source64.Uint64. */
uint64_t
gorand_uint64(struct gorand *r)
{
	if (--r->tap < 0)
		r->tap += GORAND_LEN;
	if (--r->feed < 0)
		r->feed += GORAND_LEN;
	r->vec[r->feed] += r->vec[r->tap];
	return (r->vec[r->feed]);
}

/* A value in [0, 2^63), like Int63. */
int64_t
gorand_int63(struct gorand *r)
{
	return ((int64_t)(gorand_uint64(r) & INT64_MAX));
}

/* A value in [0, 2^31), like Int31: the top 31 of Int63's bits. */
int32_t
gorand_int31(struct gorand *r)
{
	return ((int32_t)(gorand_int63(r) >> 32));
}

/*
 * A value in [0, n), like Int31n; n must be > 0, else -1.  Draws above
 * the largest multiple of n (less one) are thrown away, so every rest is
 * equally likely; Go counts that bound as 2^31-1 - 2^31 % n.
 */
int32_t
gorand_int31n(struct gorand *r, int32_t n)
{
	int32_t	 max, v;

	if (n <= 0)
		return (-1);
	if ((n & (n - 1)) == 0)
		return (gorand_int31(r) & (n - 1));
	max = (int32_t)(INT32_MAX - (UINT32_C(1) << 31) % (uint32_t)n);
	do {
		v = gorand_int31(r);
	} while (v > max);
	return (v % n);
}

/*
 * A value in [0, n), like Intn on a 64-bit Go.  Go only turns to Int63n
 * for n of 2^31 and more, which an int32_t cannot hold; n must be > 0.
 */
int32_t
gorand_intn(struct gorand *r, int32_t n)
{
	return (gorand_int31n(r, n));
}
