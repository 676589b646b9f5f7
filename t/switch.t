#!/bin/sh
# switch.t: the switch engine on the simulated fixture cluster (issue 5):
# requests checked before any side effect, the pick order, each step
# confirmed from the miners, what a worker waits for, tries and errors,
# hung commands, cancel/remove/resume, the state file (atomic, Go
# compatible, refused when broken) and restarts in every step.

. "${top_srcdir:-.}/t/libtap.sh"
tap_tmpdir
plan 54

tap_cleanup_hook() {
	sim_stop
}

# conf [LINE...]: the daemon's config with the fake commands.
conf() {
	fake_config "poll_interval = 1s" "cache_timeout = 1s" \
	    "command_timeout = ${CMD_TIMEOUT:-10s}" "$@"
}

# wait_get ID PATTERN [SECONDS]: wait until switch get ID matches.
wait_get() {
	i=0
	while [ $i -lt $((${3:-20} * 10)) ]; do
		ctl switch get "$1"
		printf '%s\n' "$OUT" | grep -Eq -- "$2" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	diag "switch get $1 never matched $2:" "$OUT"
	return 1
}

sim() {
	"$top_srcdir/tools/lotus-sim" ctl --port-file "$FAKE_PORTS" "$@" \
	    >/dev/null
}

fake_start
conf
daemon_start "$TAP_TMP/pilot.conf" || bail "daemon did not start"
miners_up || bail "miners not up"

# Requests are checked before anything runs.
ctl switch new f01000 f01001
is "$RC:$ERR" "2:pilotctl: bad-usage: say which workers: count N, count all, or worker ID[,ID...] (one of them)" \
    "a forgotten count moves nothing"
ctl switch new f01000 f01001 count 1 count 2
is "$RC:$ERR" '2:pilotctl: bad-usage: "count" given twice' \
    "a word given twice is refused, not the last taken"
ctl switch new f01000 f01001 count 1 dry-run dry-run
is "$RC:$ERR" '2:pilotctl: bad-usage: "dry-run" given twice' \
    "so is a flag given twice"
ctl switch new f01000 f01001 worker count 1
is "$RC:$ERR" '2:pilotctl: bad-usage: worker needs ID[,ID...]' \
    "a word is not taken as the value of another"
ctl switch new f01000 f01001 dry-run count
is "$RC:$ERR" '2:pilotctl: bad-usage: count needs a number or all' \
    "a missing value is named"
ctl switch new f01000 t01000 count 1
is "$RC:$ERR" "2:pilotctl: bad-usage: from and to are the same miner" \
    "from and to must differ (f and t name one actor)"
ctl switch new f01000 f09999 count 1
is "$RC:$ERR" "1:pilotctl: not-found: no miner f09999" "an unknown miner is refused"
ctl switch new f01000 f01001 count 5
is "$RC:$ERR" "1:pilotctl: conflict: f01000 has 4 worker(s) that can be moved now, asked for 5" \
    "too large a count names both numbers"
ctl switch new f01000 f01001 worker wdpost-01
like "$ERR" "conflict: worker wdpost-01 \(0feab998-a96e-43a1-b63d-432ecebe8965\) cannot be moved: window PoSt worker" \
    "a PoSt worker is refused with the reason"
ctl switch new f01000 f01001 worker nosuch
like "$ERR" 'not-found: no single worker "nosuch" on f01000' "an unknown worker is refused"
is "$(cat "$FAKE_LOG")" "" "refused requests ran nothing"
[ -e "$TAP_TMP/state/switch.json" ]
is $? 1 "refused requests wrote nothing"

ctl switch new f01000 f01001 count 4 dry-run
is "$(printf '%s\n' "$OUT" | grep '^would move' | cut -d' ' -f4 | tr '\n' ' ')" \
    "worker-04 worker-03 worker-02 worker-01 " \
    "dry-run picks in the documented order"
like "$OUT" "would leave 0feab998-a96e-43a1-b63d-432ecebe8965 wdpost-01: window PoSt worker" \
    "dry-run says why a worker would stay"
[ -e "$TAP_TMP/state/switch.json" ]
is $? 1 "dry-run saves nothing"

# The whole way for the idle worker, with AP disabled first.  Slow
# commands and late answers make rounds that began before a command
# ended arrive after it: such data must neither confirm nor reject it.
for a in disable start stop; do echo slow > "$FAKE_LOG.$a"; done
sim fault miner=f01000 kind=delay ms=1500 after=1 'methods=["WorkerStats"]'
sim fault miner=f01001 kind=delay ms=1500 after=1 'methods=["WorkerStats"]'
ctl switch new f01000 f01001 count 1 disable-ap
ok "$RC" "switch new count 1 disable-ap"
SW1=$(printf '%s\n' "$OUT" | sed -n 's/^switch //p')
like "$OUT" "^worker 30ace989-0fa1-4c30-809b-07b1859e1b6f worker-04$" \
    "the least busy worker is picked"
"$PYTHON3" - "$TAP_TMP/state/switch.json" "$SW1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d[sys.argv[2]]
assert s["state"] == 0 and s["req"]["from"] == "f01000"
assert s["req"]["disableAP"] is True
assert s["worker"]["30ace989-0fa1-4c30-809b-07b1859e1b6f"]["hostname"] == "worker-04"
PY
ok $? "the switch is on disk in the Go tool's layout"
wait_get "$SW1" "state=complete" 30
ok $? "the idle worker is moved to complete"
sim fault-clear miner=f01000 kind=delay
sim fault-clear miner=f01001 kind=delay
rm -f "$FAKE_LOG.disable" "$FAKE_LOG.start" "$FAKE_LOG.stop"
is "$(grep -c "switch $SW1: .*: try" "$TAP_TMP/daemon.log")" 0 \
    "no round that began before an action judged it"
is "$(cat "$FAKE_LOG")" "disable worker-04 f01000
copy worker-04 $TAP_TMP/state/scripts/f01001.sh
start worker-04 f01001
stop worker-04 f01000" "each command ran once, in order, with its values"
like "$OUT" "new-id=[0-9a-f-]{36}" "the new worker's id is recorded"
ctl switch list
like "$OUT" "^$SW1 complete f01000->f01001 1/1 moved$" "switch list shows progress"

# A worker that does not drain waits, and says for what.
: > "$FAKE_LOG"
ctl switch new f01000 f01001 worker worker-03
SW2=$(printf '%s\n' "$OUT" | sed -n 's/^switch //p')
wait_get "$SW2" "step=stop-waiting" 20
ok $? "worker-03 (no AP/PC1/PC2 work) is started under the target"
wait_get "$SW2" "waiting for: .*FIN" 10
ok $? "then waits, naming the job it waits for"
like "$OUT" "sectors? in its sealing path" "and the sectors in its sealing path"
ctl miner remove f01001
like "$RC:$ERR" "1:.*used by an unfinished switch" \
    "a miner of an unfinished switch cannot be removed"
sim job-remove miner=1000 sector=98
sim job-remove miner=1000 sector=97
for s in 96 97 98; do sim sector-remove miner=1000 sector=$s; done
sim request-remove miner=1000 sector=97 2>/dev/null
wait_get "$SW2" "state=complete" 20
ok $? "once drained, the old worker is stopped and the switch completes"

# A start that hangs past the timeout: outcome unknown, never rerun.
daemon_stop
: > "$FAKE_LOG"
CMD_TIMEOUT=2s conf
echo hang > "$FAKE_LOG.start"
daemon_start "$TAP_TMP/pilot.conf" || bail "daemon did not restart"
miners_up
ctl switch new f01000 f01001 worker worker-02
SW3=$(printf '%s\n' "$OUT" | sed -n 's/^switch //p')
sim job-remove miner=1000 sector=103
sim job-remove miner=1000 sector=106
wait_get "$SW3" "step=switch-confirming" 20
ok $? "a hung start is killed at the timeout and checked, not rerun"
like "$OUT" "timed out after 2000 ms" "the timeout is reported"
sim worker-register miner=1001 hostname=worker-02 addr=127.0.0.1:50031
wait_get "$SW3" "step=stop-waiting" 10
ok $? "the target confirms the start that timed out"
is "$(grep -c '^start' "$FAKE_LOG")" 1 "the start ran once"
rm -f "$FAKE_LOG.start"

# Restart in the middle: the daemon goes on where it stopped.
daemon_stop
ok "$DAEMON_STATUS" "daemon stopped mid-switch"
daemon_start "$TAP_TMP/pilot.conf" || bail "daemon did not restart"
ctl switch get "$SW3"
like "$OUT" "step=stop-waiting" "after a restart the worker is where it was"
for s in 103 106; do sim sector-remove miner=1000 sector=$s; done
wait_get "$SW3" "state=complete" 20
ok $? "and the switch completes after the restart"

# A command that changes nothing counts tries; after 10, error.
echo noop > "$FAKE_LOG.disable"
ctl switch new f01000 f01001 worker worker-01 disable-ap
SW4=$(printf '%s\n' "$OUT" | sed -n 's/^switch //p')
wait_get "$SW4" "tries=[1-9]" 10
ok $? "an exit status 0 that changed nothing is not believed"
like "$OUT" "last error: f01000 still lists AP" "the unconfirmed step says why"
wait_get "$SW4" "state=error" 30
ok $? "after 10 failed tries the worker is in error"
like "$OUT" "failed in disable-ap-confirming" "the failed step is named"

# Resume repeats the failed action; an active switch cannot be removed.
rm -f "$FAKE_LOG.disable"
ctl switch resume "$SW4"
like "$OUT" "worker worker-01 back to picked" "resume goes back to the action"
wait_get "$SW4" "step=switch-waiting" 10
ok $? "the repeated action is confirmed"
wait_get "$SW4" "waiting for: .*PC1" 10
ok $? "a busy worker waits, naming its PC1 work"
ctl switch remove "$SW4"
like "$RC:$ERR" "1:.*is active; cancel it first" "an active switch cannot be removed"
# A cancel that cannot be written is undone: the switch goes on.  The
# state file made a directory fails every write, even for root.
mv "$TAP_TMP/state/switch.json" "$TAP_TMP/switch.json.keep"
mkdir -p "$TAP_TMP/state/switch.json/x"
ctl switch cancel "$SW4"
like "$RC:$ERR" "^1:pilotctl: internal: switch $SW4 not canceled: " \
    "a cancel that cannot be saved is refused, with the reason"
ctl switch get "$SW4"
like "$OUT" "state=switching" "and undone: the switch is still switching"
rm -rf "$TAP_TMP/state/switch.json"
mv "$TAP_TMP/switch.json.keep" "$TAP_TMP/state/switch.json"
ctl switch cancel "$SW4"
like "$OUT" "^canceled $SW4" "cancel stops the switch"
grep -q "\"id\":\"$SW4\",\"state\":2," "$TAP_TMP/state/switch.json"
ok $? "and the canceled switch is on disk"
ctl switch new f01000 f01001 worker worker-01 dry-run
like "$OUT" "would move 90ff1fb6-6cb8-4d4a-924f-9171f1d11f08 worker-01" \
    "the workers of a canceled switch can be picked again"
ctl switch remove "$SW4"
ok "$RC" "a canceled switch can be removed"

# A switch.json written by the Go tool is read and carried on.
daemon_stop
cat > "$TAP_TMP/state/switch.json" <<'JSON'
{"5b0f2a8e-9a43-4c1e-8a53-3d1f0b7b8c11":{"id":"5b0f2a8e-9a43-4c1e-8a53-3d1f0b7b8c11","state":0,"errMsg":"","req":{"from":"f01000","to":"f01001","count":1,"worker":null,"disableAP":false},"worker":{"90ff1fb6-6cb8-4d4a-924f-9171f1d11f08":{"workerID":"90ff1fb6-6cb8-4d4a-924f-9171f1d11f08","hostname":"worker-01","state":2,"errMsg":"","try":0}}}}
JSON
daemon_start "$TAP_TMP/pilot.conf"
ok $? "the daemon starts on the Go tool's switch.json"
wait_get 5b0f2a8e "worker worker-01 .* step=switch-waiting" 10
ok $? "its switch goes on at its step"

# A broken state file stops the start and is not overwritten.
daemon_stop
head -c 100 "$TAP_TMP/state/switch.json" > "$TAP_TMP/broken.json"
cp "$TAP_TMP/broken.json" "$TAP_TMP/state/switch.json"
out=$("$LOTUS_PILOTD" -f -c "$TAP_TMP/pilot.conf" 2>&1)
is "$?:$out" "1:lotus-pilotd: $TAP_TMP/state/switch.json: not valid JSON (truncated)" \
    "a truncated state file stops the start, naming the file"
cmp -s "$TAP_TMP/broken.json" "$TAP_TMP/state/switch.json"
ok $? "and it is left as it was"
printf '{"x":{"id":"5b0f2a8e-9a43-4c1e-8a53-3d1f0b7b8c11","state":9}}' \
    > "$TAP_TMP/state/switch.json"
out=$("$LOTUS_PILOTD" -f -c "$TAP_TMP/pilot.conf" 2>&1)
is "$out" "lotus-pilotd: $TAP_TMP/state/switch.json: 5b0f2a8e-9a43-4c1e-8a53-3d1f0b7b8c11: state is not 0 to 3" \
    "a bad state value is named"
