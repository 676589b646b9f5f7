#!/bin/sh
# man.t: the man pages have their paths filled in and mandoc -Tlint finds
# nothing in them (issue 2).  mandoc checks .Xr references against the
# system's installed pages, which cannot know ours before installation:
# those two environment messages are set aside, nothing else.

. "${top_srcdir:-.}/t/libtap.sh"
[ -n "$MANDOC" ] || skip_all "mandoc not installed"
plan 6

for p in lotus-pilotd.8 pilotctl.1 lotus-pilot.conf.5; do
	f=$top_builddir/man/$p
	unfilled=$(grep -c '@[a-z]*@' "$f")
	is "$unfilled" 0 "$p has its paths filled in"
	out=$("$MANDOC" -Tlint "$f" 2>&1 | grep -v \
	    -e 'referenced manual not found' -e 'outdated mandoc.db')
	is "$out" "" "mandoc -Tlint finds nothing in $p"
done
