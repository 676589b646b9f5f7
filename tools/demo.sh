#!/bin/sh
# demo.sh: the main job, end to end, on the simulated cluster that ships
# with lotus-pilot: two simulated lotus-miners on loopback, five worker
# hosts run by real ansible (local connection) with a fake lotus-worker,
# and lotus-pilotd moving two busy workers from f01000 to f01001 with
# AddPiece disabled first.  Prints each step as it happens.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
sh tools/deps.sh || exit 1

# Build out of tree; make brings an earlier build up to date.
echo "== building (log: build-demo/build.log)"
mkdir -p build-demo
{ { [ -f build-demo/Makefile ] || { autoreconf -fi &&
    (cd build-demo && ../configure); }; } &&
    make -C build-demo -j2; } >build-demo/build.log 2>&1 ||
    { cat build-demo/build.log; exit 1; }
PILOTD=$top/build-demo/src/lotus-pilotd
PILOTCTL=$top/build-demo/src/pilotctl

DIR=$(mktemp -d "${TMPDIR:-/tmp}/lotus-pilot-demo.XXXXXX") || exit 1
daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon"
	"$top/tools/demo-env" stop "$DIR" >/dev/null 2>&1
	echo "== demo files are in $DIR (daemon log: $DIR/daemon.log)"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

echo "== starting the simulated cluster in $DIR"
echo "   (its clock runs 1000 times faster: a 4 h PC1 takes 14 s)"
"$top/tools/demo-env" start "$DIR" || exit 1
# shellcheck disable=SC1091
. "$DIR/env"
ctl() {
	"$PILOTCTL" -s "$DIR/pilot.sock" "$@"
}

echo "== starting lotus-pilotd"
"$PILOTD" -f -c "$DIR/pilot.conf" 2>"$DIR/daemon.log" &
daemon=$!
i=0
until ctl miner worker all 2>/dev/null | grep -q '^f01001 [0-9]' &&
    ctl status 2>/dev/null | grep -q '^inventory [0-9]* hosts'; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 "$daemon" 2>/dev/null; then
		echo "demo: the daemon did not come up:"
		cat "$DIR/daemon.log"
		exit 1
	fi
	sleep 0.1
done
ctl status
echo "== the miners"
ctl miner list
echo "== the workers of f01000"
ctl miner worker f01000

echo "== moving the two busy workers to f01001, AP disabled first"
out=$(ctl switch new f01000 f01001 worker worker-01,worker-02 disable-ap) ||
    exit 1
echo "$out"
id=$(echo "$out" | sed -n 's/^switch //p')

# Print each worker's step whenever it changes, until the switch ends.
start=$(date +%s)
last=
while :; do
	now=$(($(date +%s) - start))
	get=$(ctl switch get "$id") || exit 1
	steps=$(echo "$get" | awk '/^worker /{print $2, $4}
	    /waiting for:/{sub(/^ +/, ""); print "   ", $0}')
	if [ "$steps" != "$last" ]; then
		echo "-- after ${now}s"
		echo "$steps"
		last=$steps
	fi
	case $get in
	*state=complete*) break ;;
	*state=error*|*state=canceled*)
		echo "$get"
		exit 1 ;;
	esac
	if [ $now -gt 110 ]; then
		echo "demo: not complete after ${now}s"
		echo "$get"
		exit 1
	fi
	sleep 0.5
done
echo "== switch complete in ${now}s"
ctl switch get "$id"
echo "== the workers of f01001 now"
ctl miner worker f01001
