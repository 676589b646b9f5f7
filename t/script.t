#!/bin/sh
# script.t: worker start scripts (issue "Worker start scripts from
# templates"): the golden scripts of t/script-t pass shellcheck and bash -n,
# and the Go-made data (src/gorand-table.h, t/data/ports.txt,
# t/data/gorand.txt) are what tools/gen-gorand.go prints today.

. "${top_srcdir:-.}/t/libtap.sh"
tap_tmpdir

goldens=$(ls "$top_srcdir"/t/data/script/*.ok)
n=$(printf '%s\n' "$goldens" | wc -l)
plan $((2 * n + 3))

for f in $goldens; do
	bash -n "$f"
	ok $? "bash -n $(basename "$f")"
done

if command -v shellcheck >/dev/null 2>&1; then
	for f in $goldens; do
		shellcheck -s bash "$f"
		ok $? "shellcheck $(basename "$f")"
	done
else
	skip "$n" "shellcheck is not installed"
fi

# gen_check MODE FILE: the generator's output equals the committed FILE.
gen_check() {
	GOCACHE="$TAP_TMP/gocache" go run "$top_srcdir/tools/gen-gorand.go" \
	    "$1" >"$TAP_TMP/$1" 2>/dev/null &&
	    cmp -s "$TAP_TMP/$1" "$top_srcdir/$2"
	ok $? "go run tools/gen-gorand.go $1 gives $2"
}

if command -v go >/dev/null 2>&1; then
	gen_check table src/gorand-table.h
	gen_check ports t/data/ports.txt
	gen_check values t/data/gorand.txt
else
	skip 3 "go is not installed"
fi
