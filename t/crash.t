#!/bin/sh
# crash.t: kill -9 at many points of a running switch (issue 5).  The
# daemon restarts each time and goes on; the switch is never lost, it
# completes, and the worker runs exactly once under the new miner.

. "${top_srcdir:-.}/t/libtap.sh"
tap_tmpdir
plan 6

tap_cleanup_hook() {
	sim_stop
}
fake_start
fake_config "poll_interval = 300ms" "cache_timeout = 300ms"

daemon_start "$TAP_TMP/pilot.conf" || bail "daemon did not start"
miners_up || bail "miners not up"
ctl switch new f01000 f01001 worker worker-04 disable-ap
SW=$(printf '%s\n' "$OUT" | sed -n 's/^switch //p')
[ -n "$SW" ] || bail "no switch: $ERR"

kills=0 lost=0 done=0
for delay in 0.05 0.2 0.1 0.35 0.15 0.5 0.05 0.3 0.25 0.4 0.1 0.6 0.2 \
    0.05 0.45 0.3 0.15 0.7 0.1 0.5; do
	sleep "$delay"
	kill -KILL "$TAP_DAEMON_PID" 2>/dev/null
	wait "$TAP_DAEMON_PID" 2>/dev/null
	TAP_DAEMON_PID=
	kills=$((kills + 1))
	daemon_start "$TAP_TMP/pilot.conf" || bail "no restart after kill"
	ctl switch get "$SW"
	[ "$RC" -eq 0 ] || lost=$((lost + 1))
	if printf '%s\n' "$OUT" | grep -q 'state=complete'; then
		done=1
		break
	fi
done
is "$lost" 0 "the switch survived $kills kill -9 restarts"
i=0
while [ $done -eq 0 ] && [ $i -lt 150 ]; do
	ctl switch get "$SW"
	printf '%s\n' "$OUT" | grep -q 'state=complete' && done=1
	sleep 0.1
	i=$((i + 1))
done
ok $((1 - done)) "the switch completes after the kills"
diag "$OUT"
sleep 1
ctl miner worker f01001
n=$(printf '%s\n' "$OUT" | grep -c ' worker-04 ')
is "$n" 1 "worker-04 runs exactly once under f01001"
is "$(grep -c '^start' "$FAKE_LOG")" 1 "the start script ran once"
ctl miner worker f01000
unlike "$OUT" "worker-04" "the old worker is gone from f01000"
"$PYTHON3" -c 'import json,sys; json.load(open(sys.argv[1]))' \
    "$TAP_TMP/state/switch.json"
ok $? "switch.json is whole after every kill"
