// gen-gorand: derive the 607 constants of Go's math/rand generator through
// its public API only, and print them as a C table for src/gorand.c; it also
// prints the check tables the tests compare against.
//
// Usage (Go 1.19 or later; the generator must not change across versions):
//
//	go run tools/gen-gorand.go table  > src/gorand-table.h
//	go run tools/gen-gorand.go ports  > t/data/ports.txt
//	go run tools/gen-gorand.go values > t/data/gorand.txt
//
// How the table is found.  math/rand's source keeps 607 64-bit words; each
// Uint64 call adds the word 273 places ahead (cyclically) into the current
// one and returns the sum.  Seeding fills word i with a value built from a
// 31-bit Lehmer generator (multiplier 48271, modulus 2^31-1) XOR a fixed
// constant c[i].  So: read 607 outputs of a fresh source, undo the
// additions to get the seeded words, and XOR out the Lehmer values, which
// we compute ourselves.  The result is checked against a second seed before
// anything is printed.
package main

import (
	"fmt"
	"math/rand"
	"os"
	"sort"
)

const (
	words    = 607           // length of the generator's state
	lag      = 273           // distance between the two words added
	lehmerM  = 1<<31 - 1     // modulus of the seeding generator
	lehmerA  = 48271         // multiplier of the seeding generator
	zeroSeed = 89482311      // replaces a seed that reduces to 0
	warmUp   = 20            // Lehmer steps thrown away before filling
	portBase = 50000         // lotus-pilot: worker port = base + Intn(span)
	portSpan = 9999          //
	deriveA  = 1             // seed the table is derived from
	deriveB  = -987654321012 // seed it is checked with
)

// model is our own reimplementation of the generator, used to check the
// derived table before it is printed.
type model struct {
	w          [words]uint64
	pos, ahead int
}

// lehmerNext advances the seeding generator by one step.
func lehmerNext(x int64) int64 {
	return x * lehmerA % lehmerM
}

// seedWords returns the values that seeding mixes into each state word.
func seedWords(seed int64) [words]uint64 {
	var out [words]uint64
	x := seed % lehmerM
	if x < 0 {
		x += lehmerM
	}
	if x == 0 {
		x = zeroSeed
	}
	for i := 0; i < warmUp; i++ {
		x = lehmerNext(x)
	}
	for i := range out {
		var u uint64
		for j := 0; j < 3; j++ {
			x = lehmerNext(x)
			u = u<<20 ^ uint64(x)
		}
		out[i] = u
	}
	return out
}

// seededState recovers the state words right after seeding from the
// first 607 outputs of a fresh source.
func seededState(seed int64) [words]uint64 {
	var out, st [words]uint64
	src := rand.NewSource(seed).(rand.Source64)
	for k := range out {
		out[k] = src.Uint64()
	}
	// Output k rewrites word f(k) = 333-k (mod 607) with itself plus
	// word f(k)+273.  From k = 273 on, that second word was already
	// rewritten, by output k-273.
	f := func(k int) int { return ((words-lag-1-k)%words + words) % words }
	for k := lag; k < words; k++ {
		st[f(k)] = out[k] - out[k-lag]
	}
	for k := 0; k < lag; k++ {
		st[f(k)] = out[k] - st[(f(k)+lag)%words]
	}
	return st
}

// derive returns the constants c[i] for one seed.
func derive(seed int64) [words]uint64 {
	st := seededState(seed)
	sw := seedWords(seed)
	for i := range st {
		st[i] ^= sw[i]
	}
	return st
}

// newModel seeds our model with the derived constants.
func newModel(c *[words]uint64, seed int64) *model {
	m := &model{pos: 0, ahead: words - lag}
	sw := seedWords(seed)
	for i := range m.w {
		m.w[i] = sw[i] ^ c[i]
	}
	return m
}

// next is one Uint64 step of the model.
func (m *model) next() uint64 {
	m.pos = (m.pos + words - 1) % words
	m.ahead = (m.ahead + words - 1) % words
	m.w[m.ahead] += m.w[m.pos]
	return m.w[m.ahead]
}

// check compares the model with the real source for a few seeds.
func check(c *[words]uint64) error {
	seeds := []int64{deriveB, 0, 42, lehmerM, -1, 1 << 62}
	for _, s := range seeds {
		m := newModel(c, s)
		src := rand.NewSource(s).(rand.Source64)
		for k := 0; k < 5*words; k++ {
			if a, b := m.next(), src.Uint64(); a != b {
				return fmt.Errorf("seed %d output %d: "+
					"model %#x, math/rand %#x", s, k, a, b)
			}
		}
	}
	return nil
}

// table prints the constants as a C header.
func table() error {
	c := derive(deriveA)
	if c != derive(deriveB) {
		return fmt.Errorf("seeds %d and %d give different tables",
			deriveA, deriveB)
	}
	if err := check(&c); err != nil {
		return err
	}
	fmt.Print(`/*
 * gorand-table.h: the 607 constants that Go's math/rand source mixes into
 * its state when seeded.  Generated; do not edit.  Regenerate with:
 *
 *	go run tools/gen-gorand.go table > src/gorand-table.h
 *
 * The generator derives them from math/rand's public API (see the comment
 * at the top of tools/gen-gorand.go) and checks them before printing.
 */

#ifndef GORAND_TABLE_H
#define GORAND_TABLE_H

static const uint64_t gorand_table[GORAND_LEN] = {
`)
	for i, v := range c {
		sep, end := " ", ""
		if i%3 == 0 {
			sep = "\t"
		}
		if i%3 == 2 || i == words-1 {
			end = "\n"
		}
		fmt.Printf("%s0x%016xULL,%s", sep, v, end)
	}
	fmt.Print("};\n\n#endif /* GORAND_TABLE_H */\n")
	return nil
}

// port is the worker port the Go lotus-pilot gives a miner actor id.
func port(id uint64) int {
	return portBase + rand.New(rand.NewSource(int64(id))).Intn(portSpan)
}

// rejects reports whether Intn(portSpan) has to throw away its first
// draw for this id, which exercises Go's rejection loop.
func rejects(id uint64) bool {
	limit := int32(1<<31 - 1 - (1<<31)%portSpan)
	return rand.New(rand.NewSource(int64(id))).Int31() > limit
}

// named are the ids checked one by one, with what each one covers.
var named = []struct {
	id   uint64
	note string
}{
	{0, "id 0: seed 0 is replaced by 89482311"},
	{1, "id 1"},
	{2, "id 2"},
	{1000, "id 1000, documented as 50031"},
	{1001, "id 1001, documented as 57254"},
	{17387, "id 17387, documented as 57688"},
	{28064, "id 28064, documented as 56693"},
	{89482311, "id 89482311, the seed that replaces 0"},
	{123456789, "a 9-digit id"},
	{2147483646, "2^31-2, the largest seed kept as it is"},
	{2147483647, "2^31-1: reduces to 0, so like id 0"},
	{2147483648, "2^31: reduces to 1, so like id 1"},
	{2147483649, "2^31+1"},
	{4294967294, "2(2^31-1): reduces to 0"},
	{4294967295, "2^32-1"},
	{4294967296, "2^32"},
	{1 << 40, "2^40"},
	{1000000000000000, "10^15"},
	{9223372036854775806, "2^63-2"},
	{9223372036854775807, "2^63-1, the largest int64"},
	{9223372036854775808, "2^63: int64(id) is -2^63"},
	{9223372036854775809, "2^63+1: int64(id) is -2^63+1"},
	{18446744071562067969, "2^64-(2^31-1): int64(id) is -(2^31-1)"},
	{18446744073709551614, "2^64-2: int64(id) is -2"},
	{18446744073709551615, "2^64-1: int64(id) is -1"},
}

// ports prints the id to port check table.
func ports() {
	seen := map[uint64]bool{}
	fmt.Print(`# Worker ports per miner actor id, from Go's math/rand:
#   50000 + rand.New(rand.NewSource(int64(id))).Intn(9999)
# Generated; do not edit.  Regenerate with:
#   go run tools/gen-gorand.go ports > t/data/ports.txt
# Columns: actor id (uint64), port, and for ids checked one by one a note.
`)
	emit := func(id uint64, note string) {
		if seen[id] {
			return
		}
		seen[id] = true
		if note != "" {
			fmt.Printf("%d %d # %s\n", id, port(id), note)
		} else {
			fmt.Printf("%d %d\n", id, port(id))
		}
	}
	for _, n := range named {
		emit(n.id, n.note)
	}
	found := 0
	for id := uint64(0); found < 3; id++ {
		if rejects(id) {
			emit(id, "rejection: the first draw is thrown away")
			found++
		}
	}
	for id := uint64(1001); ; id++ {
		if port(id) == port(1000) {
			emit(id, "collision: same port as id 1000")
			break
		}
	}
	one := len(seen)
	for _, id := range randomIds() {
		emit(id, "")
	}
	fmt.Fprintf(os.Stderr, "%d ids checked one by one, %d in bulk\n",
		one, len(seen)-one)
}

// randomIds draws the ids of the bulk check, small and large.
func randomIds() []uint64 {
	r := rand.New(rand.NewSource(20240601))
	var out []uint64
	for i := 0; i < 1000; i++ {
		out = append(out, uint64(r.Int63n(200000)))
		out = append(out, uint64(r.Int63n(1<<33)))
		out = append(out, r.Uint64())
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// values prints raw outputs of Int63 and Intn for a few seeds.
func values() {
	fmt.Print(`# Raw values of Go's math/rand for the gorand unit test.
# Generated; do not edit.  Regenerate with:
#   go run tools/gen-gorand.go values > t/data/gorand.txt
# int63 SEED K VALUE: the K-th Int63() (from 0) of rand.New(NewSource(SEED))
# intn SEED N VALUE: the first Intn(N) of rand.New(NewSource(SEED))
`)
	seeds := []int64{0, 1, -1, 1000, lehmerM, -lehmerM, 1 << 62,
		-1 << 63, 1<<63 - 1}
	for _, s := range seeds {
		r := rand.New(rand.NewSource(s))
		for k := 0; k < 1300; k++ {
			v := r.Int63()
			if k < 4 || k == 606 || k == 607 || k == 1299 {
				fmt.Printf("int63 %d %d %d\n", s, k, v)
			}
		}
	}
	ns := []int{1, 2, 8, 1 << 30, 3, 9999, 1000000007, 1<<31 - 1}
	for _, s := range seeds {
		for _, n := range ns {
			v := rand.New(rand.NewSource(s)).Intn(n)
			fmt.Printf("intn %d %d %d\n", s, n, v)
		}
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen-gorand table|ports|values")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "table":
		if err := table(); err != nil {
			fmt.Fprintln(os.Stderr, "gen-gorand:", err)
			os.Exit(1)
		}
	case "ports":
		ports()
	case "values":
		values()
	default:
		fmt.Fprintln(os.Stderr, "usage: gen-gorand table|ports|values")
		os.Exit(2)
	}
}
