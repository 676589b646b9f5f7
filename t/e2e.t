#!/bin/sh
# e2e.t: the main job end to end (issue 5): lotus-pilotd with real
# ansible (local connection) and the fake lotus-worker on the simulated
# cluster moves two busy workers with AP disabled first, while the daemon
# is restarted in every step it reaches; then a host that ansible cannot
# reach fails its step with ansible's output kept, and counts tries.

. "${top_srcdir:-.}/t/libtap.sh"
command -v ansible >/dev/null 2>&1 || skip_all "ansible is not installed"
[ -x /usr/bin/python3 ] || skip_all "/usr/bin/python3 is missing"
[ "$(id -u)" = 0 ] || [ -w /media/nvme ] ||
    skip_all "the start script templates need to write /media/nvme"
tap_tmpdir
plan 10

D=$TAP_TMP/demo
tap_cleanup_hook() {
	"$PYTHON3" "$top_srcdir/tools/demo-env" stop "$D" >/dev/null 2>&1
}
"$PYTHON3" "$top_srcdir/tools/demo-env" start "$D" >"$TAP_TMP/env.log" 2>&1 ||
    bail "demo-env did not start: $(cat "$TAP_TMP/env.log")"
# shellcheck disable=SC1091
. "$D/env"

# start: the daemon on the demo's config, with our socket.
start() {
	SOCK=$D/pilot.sock
	"$LOTUS_PILOTD" -f -d -c "$D/pilot.conf" 2>>"$TAP_TMP/daemon.log" &
	TAP_DAEMON_PID=$!
	i=0
	until "$PILOTCTL" -s "$SOCK" status 2>/dev/null |
	    grep -q '^inventory [0-9]* hosts' &&
	    "$PILOTCTL" -s "$SOCK" miner worker all 2>/dev/null |
	    grep -q '^f01001 [0-9]'; do
		i=$((i + 1))
		[ $i -lt 300 ] || return 1
		sleep 0.1
	done
}
dctl() {
	OUT=$("$PILOTCTL" -s "$D/pilot.sock" "$@" 2>"$TAP_TMP/err")
	RC=$?
	ERR=$(cat "$TAP_TMP/err")
}

start || bail "daemon did not start: $(cat "$TAP_TMP/daemon.log")"
dctl switch new f01000 f01001 worker worker-01,worker-02 disable-ap
ok "$RC" "switch new for the two busy workers"
SW=$(printf '%s\n' "$OUT" | sed -n 's/^switch //p')

# Restart the daemon each time a worker reaches a step not seen yet.
seen=" " restarts=0 t=0
while [ $t -lt 1200 ]; do
	dctl switch get "$SW"
	case $OUT in *state=complete*) break ;; esac
	for s in $(printf '%s\n' "$OUT" | sed -n 's/.* step=\([a-z-]*\) .*/\1/p'); do
		case $seen in *" $s "*) continue ;; esac
		seen="$seen$s "
		daemon_stop
		restarts=$((restarts + 1))
		start || bail "no restart: $(tail -5 "$TAP_TMP/daemon.log")"
	done
	sleep 0.1
	t=$((t + 1))
done
like "$OUT" "state=complete" "the switch completes across restarts"
diag "steps restarted in:$seen($restarts restarts)"
like "$seen" " picked .*switch-waiting.*stop-waiting" \
    "the daemon was restarted in the steps it went through"
dctl miner worker f01001
is "$(printf '%s\n' "$OUT" | grep -c ' worker-0[12] ')" 2 \
    "both workers run under f01001, once each"
dctl miner worker f01000
unlike "$OUT" " worker-0[12] " "and are gone from f01000"

# A host ansible cannot reach: ssh to a closed loopback port.
sed -i 's/^worker-03 .*/worker-03 ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=1 ansible_ssh_common_args="-o ConnectTimeout=2"/' \
    "$D/inventory"
daemon_stop
start || bail "daemon did not restart"
dctl switch new f01000 f01001 worker worker-03 disable-ap
SW3=$(printf '%s\n' "$OUT" | sed -n 's/^switch //p')
i=0
while [ $i -lt 300 ]; do
	dctl switch get "$SW3"
	printf '%s\n' "$OUT" | grep -q 'tries=[1-9]' && break
	sleep 0.1
	i=$((i + 1))
done
like "$OUT" "tries=[1-9]" "an unreachable host counts a failed try"
like "$OUT" "last error: disable-AP command failed: exit status 4" \
    "ansible's exit status is named"
like "$OUT" "UNREACHABLE" "ansible's own words are kept"
leak=0
for tok in $(sed -n 's/^token *= *//p' "$D/pilot.conf"); do
	grep -qF "$tok" "$TAP_TMP/daemon.log" && leak=1
	printf '%s\n' "$OUT" | grep -qF "$tok" && leak=1
done
is "$leak" 0 "no token in the daemon log or in switch get"
daemon_stop
is "$DAEMON_STATUS" 0 "the daemon exits 0 (no leak, no error)"
