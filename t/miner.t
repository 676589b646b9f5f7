#!/bin/sh
# miner.t: watching lotus-miners (issue "Watch lotus-miners"), against the
# fixture cluster in tools/lotus-sim (tools/sim-fixtures.json: f01000 and
# f01001 on ephemeral loopback ports, a control socket in the test's
# directory).
#
# 1. miner list, miner worker all and miner worker ID (golden files
#    t/data/miner/worker-*.ok), the start scripts, script create.
# 2. Every fault of the simulator against the running daemon: control
#    commands answer at once, miner list names the method and the problem,
#    a bad answer keeps the old worker view, and the miner recovers.
# 3. A miner that is down at start: the daemon starts and retries it.
# 4. miner add / remove at run time, miners.conf, restarts.
# 5. Upstream lotus without WorkerStats.Paths: unknown, never 0, sectors.
# 6. The admin token appears in no log and no output.
#
# Every wait is bounded, and a watchdog ends the file after 90 s; it
# runs in about 35 s.

. "${top_srcdir:-.}/t/libtap.sh"
: "${PYTHON3:=python3}"

command -v "$PYTHON3" >/dev/null 2>&1 || skip_all "python3 is needed"
[ -x "$LOTUS_PILOTD" ] || skip_all "$LOTUS_PILOTD is not built"

plan 133
tap_tmpdir

SIMTOOL=$top_srcdir/tools/lotus-sim
GOLDEN=$top_srcdir/t/data/miner
STATE=$TAP_TMP/state
CONF=$TAP_TMP/pilot.conf
# The dummy admin JWT of the fixtures (made up: its signature is the text
# "signature-placeholder"); the other tokens of sim-fixtures.json.
TOK=$TEST_TOKEN
RO_TOK=sim-read-token
BAD_TOK=made-up-token-the-miner-rejects
ALL=$TAP_TMP/all-output
: >"$ALL"
SIM_PID=

tap_cleanup_hook() {
	if [ -n "$SIM_PID" ]; then
		kill "$SIM_PID" 2>/dev/null
		wait "$SIM_PID" 2>/dev/null
	fi
	kill "$WATCHDOG" 2>/dev/null
}

# The watchdog: whatever hangs, the file ends within 90 s.
(
	trap 'kill "$wd_sleep" 2>/dev/null; exit 0' TERM
	sleep 90 >/dev/null 2>&1 &
	wd_sleep=$!
	wait "$wd_sleep" &&
	    echo "Bail out! watchdog: t/miner.t ran longer than 90 s" &&
	    kill $$
) &
WATCHDOG=$!

# pc ARG...: pilotctl with a 5 s limit; sets OUT, ERR, RC; keeps every
# output for the token check at the end.
pc() {
	ctl -t 5 "$@"
	printf '%s\n%s\n' "$OUT" "$ERR" >>"$ALL"
}

# sim COMMAND [key=value ...]: a control command to the simulator.
sim() {
	"$PYTHON3" "$SIMTOOL" ctl --control "$TAP_TMP/sim.sock" "$@" \
	    >>"$TAP_TMP/sim-ctl.log" 2>&1
}

# wait_until SECONDS CMD...: run CMD every 0.1 s until it succeeds.
wait_until() {
	wu_n=$(($1 * 10))
	shift
	while [ "$wu_n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		wu_n=$((wu_n - 1))
	done
	return 1
}

# list_has PATTERN: a line of "miner list" matches PATTERN.
list_has() {
	pc miner list
	printf '%s\n' "$OUT" | grep -Eq -- "$1"
}

# worker_has ID PATTERN: a line of "miner worker ID" matches PATTERN.
worker_has() {
	pc miner worker "$1"
	printf '%s\n' "$OUT" | grep -Eq -- "$2"
}

# rounds ID: how many worker views of miner ID the daemon has built.
rounds() {
	grep -c "debug: miner $1: round [0-9]*: [0-9]* workers" \
	    "$TAP_TMP/daemon.log"
}

# more_rounds ID N: miner ID has built a view since there were N.
more_rounds() {
	[ "$(rounds "$1")" -gt "$2" ]
}

# after_round N CMD...: f01000 has built a view since there were N, and
# CMD succeeds (a round begun before a fault was cleared may end after).
after_round() {
	more_rounds f01000 "$1" || return 1
	shift
	"$@"
}

# timed CMD...: run CMD in this shell; T is how many milliseconds it took.
timed() {
	tm_t0=$(date +%s%N)
	"$@"
	T=$((($(date +%s%N) - tm_t0) / 1000000))
}

# config ["ID PORT" ...]: write the test configuration with these miners
# (the admin token for each).
config() {
	daemon_config "$CONF" "poll_interval = 1s" "rpc_timeout = 1s" \
	    "inventory_command = none" "template_dir = $top_srcdir/templates"
	for m in "$@"; do
		set -- $m
		printf '\n[miner %s]\naddress = 127.0.0.1:%s\ntoken = %s\n' \
		    "$1" "$2" "$TOK" >>"$CONF"
	done
}

# restart: stop the daemon and start it again on the same configuration.
restart() {
	daemon_stop
	daemon_start "$CONF" || bail "the daemon did not restart"
}

# The simulator, with its two fixture miners on ephemeral ports and a
# control socket (which sim_start of libtap.sh does not open).
"$PYTHON3" "$SIMTOOL" --scenario "$top_srcdir/tools/sim-fixtures.json" \
    --control "$TAP_TMP/sim.sock" --port-file "$TAP_TMP/ports.json" \
    >"$TAP_TMP/sim.out" 2>"$TAP_TMP/sim.err" &
SIM_PID=$!
sim_ready() { grep -qs '^ready$' "$TAP_TMP/sim.out"; }
wait_until 10 sim_ready ||
    bail "the simulator did not start: $(cat "$TAP_TMP/sim.err")"
SIM_PORTS=$TAP_TMP/ports.json
P0=$(sim_port 1000)
P1=$(sim_port 1001)
# A loopback port nobody listens on: bound here, then closed.
DEAD=$("$PYTHON3" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

########################################################################
# 1. The fixture cluster as the daemon shows it.

config "f01000 $P0" "f01001 $P1"
daemon_start "$CONF" || bail "the daemon did not start"
both_up() {
	list_has "^f01000 .*state=up .*workers=4 " &&
	    list_has "^f01001 .*state=up .*workers=1 "
}
wait_until 10 both_up
ok $? "both fixture miners come up with their worker views"

pc miner list
is "$OUT" "f01000 address=127.0.0.1:$P0 state=up sector-size=32GiB workers=4 error=-
f01001 address=127.0.0.1:$P1 state=up sector-size=64GiB workers=1 error=-" \
    "miner list: state, address, sector size, worker count, no error"
pc -j miner list
out=$(printf '%s\n' "$OUT" | "$PYTHON3" -c 'import json, sys
for m in json.load(sys.stdin):
    print(m["id"], m["address"], m["state"], m["sector_size"], m["workers"],
          m["runtime"], m["last_error"], "token" in json.dumps(m).lower())')
is "$out" "f01000 127.0.0.1:$P0 up 34359738368 4 False None False
f01001 127.0.0.1:$P1 up 68719476736 1 False None False" \
    "miner list JSON: the same facts, no token field"

pc miner worker all
is "$RC:$OUT" "0:f01000 4
f01001 1" "miner worker all: eligible workers per miner"
pc -j miner worker all
is "$OUT" '{"f01000":4,"f01001":1}' "miner worker all JSON"
out=$(printf '%s\n' "$OUT" | "$PYTHON3" -c 'import json, sys
print(json.load(sys.stdin) == {"f01000": 4, "f01001": 1})')
is "$out" True "miner worker all JSON parses"

for id in f01000 f01001; do
	pc miner worker $id
	printf '%s\n' "$OUT" >"$TAP_TMP/worker-$id.out"
	diff -u "$GOLDEN/worker-$id.ok" "$TAP_TMP/worker-$id.out" \
	    >"$TAP_TMP/diff" 2>&1
	ok $? "miner worker $id is exactly t/data/miner/worker-$id.ok"
	[ -s "$TAP_TMP/diff" ] && diag "$(cat "$TAP_TMP/diff")"
done

pc -j miner worker f01000
out=$(printf '%s\n' "$OUT" | "$PYTHON3" -c 'import json, sys
d = json.load(sys.stdin)
for w in sorted(d["workers"], key=lambda w: w["hostname"]):
    print(w["hostname"], w["eligible"], w["running"], w["prepared"],
          w["assigned"], w["queued"], w["sectors"])' 2>&1)
is "$out" "miner-a False {'GET': 1} {} {} {} 0
wdpost-01 False {} {} {} {} None
worker-01 True {'PC1': 2} {'PC1': 1} {} {'PC1': 1} 5
worker-02 True {'PC2': 1} {} {'PC1': 1} {} 2
worker-03 True {'FIN': 1} {} {} {'C1': 1} 3
worker-04 True {} {} {} {} 0" \
    "miner worker f01000 JSON parses and agrees with the fixture table"
pc -j miner worker f01001
out=$(printf '%s\n' "$OUT" | "$PYTHON3" -c 'import json, sys
d = json.load(sys.stdin)
for w in sorted(d["workers"], key=lambda w: w["hostname"]):
    print(w["hostname"], w["eligible"], w["running"], w["assigned"],
          w["sectors"], w["not_eligible"])' 2>&1)
is "$out" "miner-b False {} {} 0 accepts neither PC1 nor PC2
worker-05 True {'PC1': 2, 'PC2': 1} {'AP': 1} 4 None
worker-06 False {} {} None disabled" \
    "miner worker f01001 JSON parses and agrees with the fixture table"
pc miner worker f01009
is "$RC:$ERR" "1:pilotctl: not-found: no miner f01009" \
    "miner worker of an unknown miner is refused"

# Start scripts, written once the miners are up.
script_there() { [ -s "$STATE/scripts/f01000.sh" ] && [ -s "$STATE/scripts/f01001.sh" ]; }
wait_until 5 script_there
is "$(stat -c %a "$STATE/scripts/f01000.sh" 2>&1)" 700 \
    "scripts/f01000.sh is written at start with mode 0700"
grep -qxF "export MINER_API_INFO='$TOK:/ip4/127.0.0.1/tcp/$P0/http'" \
    "$STATE/scripts/f01000.sh"
ok $? "scripts/f01000.sh holds the MinerAPIInfo with token and address"
grep -q -- '--listen=0.0.0.0:50031 ' "$STATE/scripts/f01000.sh" &&
    grep -q '32 GiB' "$STATE/scripts/f01000.sh"
ok $? "scripts/f01000.sh: worker port 50031, 32 GiB template"
is "$(stat -c %a "$STATE/scripts/f01001.sh" 2>&1)" 700 \
    "scripts/f01001.sh is written at start with mode 0700"
grep -qxF "export MINER_API_INFO='$TOK:/ip4/127.0.0.1/tcp/$P1/http'" \
    "$STATE/scripts/f01001.sh" &&
    grep -q -- '--listen=0.0.0.0:57254 ' "$STATE/scripts/f01001.sh" &&
    grep -q '64 GiB' "$STATE/scripts/f01001.sh"
ok $? "scripts/f01001.sh: its MinerAPIInfo, port 57254, 64 GiB template"

rm -f "$STATE/scripts/f01000.sh"
pc script create all
is "$RC:$(printf '%s\n' "$OUT" | sort)" "0:f01000 wrote $STATE/scripts/f01000.sh
f01001 wrote $STATE/scripts/f01001.sh" "script create all says which files it wrote"
[ -s "$STATE/scripts/f01000.sh" ]
ok $? "script create all wrote the removed script again"
pc script create f01000
is "$RC:$OUT" "0:f01000 wrote $STATE/scripts/f01000.sh" \
    "script create f01000 says which file it wrote"

########################################################################
# 2. Faults against the running daemon, on f01000; f01001 stays up.

GOOD=$(cat "$GOLDEN/worker-f01000.ok")

# fault_case NAME "FAULT ARGS" ERROR-PATTERN: inject, wait for the error
# in miner list, check the daemon answers at once and the view stays,
# clear, wait for a new view.
fault_case() {
	fc_name=$1
	fc_pat=$3
	sim fault miner=f01000 $2
	wait_until 6 list_has "^f01000 .* error=$fc_pat"
	fc_rc=$?
	ok $fc_rc "$fc_name: miner list names the method and the problem"
	[ "$fc_rc" -eq 0 ] || diag "$OUT"
	timed pc status
	[ "$RC" -eq 0 ] && [ "$T" -lt 1000 ]
	ok $? "$fc_name: status answers at once (${T} ms)"
	pc miner worker f01000
	is "$OUT" "$GOOD" "$fc_name: miner worker f01000 keeps the old view"
	fc_n=$(rounds f01000)
	sim fault-clear miner=f01000
	wait_until 6 after_round "$fc_n" \
	    list_has "^f01000 .*state=up .*workers=4 "
	ok $? "$fc_name: f01000 is up with a new view once the fault is cleared"
}

fault_case "delay 2.5 s, rpc_timeout 1 s" "kind=delay ms=2500 methods=WorkerStats" \
    "WorkerStats: .*[Tt]imed out"

# hang: status is timed 8 times over 2 s, longer than a poll interval
# and the rpc_timeout, so calls hang while some of them run.
sim fault miner=f01000 kind=hang
worst=0
for i in 1 2 3 4 5 6 7 8; do
	timed pc status
	[ "$RC" -eq 0 ] || worst=99999
	[ "$T" -gt "$worst" ] && worst=$T
	sleep 0.25
done
[ "$worst" -lt 1000 ]
ok $? "hang: pilotctl status returns in < 1 s while the miner hangs (worst ${worst} ms)"
timed pc miner worker f01000
[ "$T" -lt 1000 ] && [ "$OUT" = "$GOOD" ]
ok $? "hang: miner worker f01000 answers at once from the old view (${T} ms)"
wait_until 6 list_has "^f01000 .*state=down .* error=(Version|WorkerStats|WorkerJobs|StorageList|SealingSchedDiag|StorageLocal): .*[Tt]imed out"
ok $? "hang: miner list shows f01000 down with a timeout of a named method"
list_has "^f01001 .*state=up "
ok $? "hang: f01001 stays up"
n=$(rounds f01000)
sim fault-clear miner=f01000
wait_until 8 after_round "$n" list_has "^f01000 .*state=up .*workers=4 "
ok $? "hang: f01000 recovers by itself once the fault is cleared"

fault_case "http500" "kind=http500 methods=WorkerStats" \
    "WorkerStats: HTTP 500: fatal error calling 'Filecoin.WorkerStats': panic"
fault_case "http500 plain" "kind=http500 plain=true methods=WorkerStats" \
    "WorkerStats: HTTP 500: not a JSON-RPC response"
fault_case "garbage" "kind=garbage methods=WorkerStats" \
    "WorkerStats: invalid JSON"
fault_case "truncated body" "kind=truncate methods=WorkerStats" \
    "WorkerStats: .*(truncated|transfer closed)"
fault_case "another response id" "kind=badid methods=WorkerJobs" \
    "WorkerJobs: response id [0-9]+ is not the request's \([0-9]+\)"
fault_case "null response id" "kind=badid id=null methods=StorageList" \
    "StorageList: null id in the response"
fault_case "no response id" "kind=badid id=none methods=SealingSchedDiag" \
    "SealingSchedDiag: no id in the response"
fault_case "string response id" "kind=badid id=\"7\" methods=WorkerStats" \
    "WorkerStats: response id \"7\" is not the request's"
fault_case "read-only token" "kind=readonly" \
    "AuthVerify: the token lacks the admin permission \(it has read only\)"

# Wrong actor: the miner is checked again when it comes back, as after a
# restart, and is then another actor.
sim fault miner=f01000 kind=actor
sim fault miner=f01000 kind=refuse
wait_until 6 list_has "^f01000 .*state=down .* error=Version: .*([Cc]onnect|refused)"
ok $? "refuse: miner list shows f01000 down, connection refused"
sim fault-clear miner=f01000 kind=refuse
wait_until 6 list_has "^f01000 .*state=down .* error=ActorAddress: the miner at 127.0.0.1:$P0 is f01001, not f01000 \([0-9a-z.]+ ago\)\$"
ok $? "wrong actor: miner list says f01000 answers as another actor"
timed pc status
[ "$RC" -eq 0 ] && [ "$T" -lt 1000 ]
ok $? "wrong actor: status answers at once (${T} ms)"
pc miner worker f01000
is "$OUT" "$GOOD" "wrong actor: the view of the real f01000 is not replaced"
n=$(rounds f01000)
sim fault-clear miner=f01000
wait_until 6 after_round "$n" list_has "^f01000 .*state=up .*workers=4 "
ok $? "wrong actor: f01000 recovers once the fault is cleared"

# Data faults: the answers are well formed, the view follows them.
sim fault miner=f01000 kind=tasks-null worker=worker-04
wait_until 6 worker_has f01000 "^30ace989-.* worker-04 +\? .* task list unknown\$"
ok $? "tasks-null: worker-04's task list is unknown and it is not eligible"
list_has "^f01000 .*state=up .*workers=3 "
ok $? "tasks-null: miner list counts 3 eligible workers"
timed pc status
[ "$RC" -eq 0 ] && [ "$T" -lt 1000 ]
ok $? "tasks-null: status answers at once (${T} ms)"
n=$(rounds f01000)
sim fault-clear miner=f01000
wait_until 6 after_round "$n" worker_has f01000 "^30ace989-.* worker-04 .* -\$"
ok $? "tasks-null: worker-04 is eligible again once the fault is cleared"

sim fault miner=f01000 kind=flap worker=worker-04
wait_until 6 worker_has f01000 "^30ace989-.* worker-04 .* disabled\$"
ok $? "flap: worker-04 is seen disabled"
wait_until 6 worker_has f01000 "^30ace989-.* worker-04 .* -\$"
ok $? "flap: and enabled again"
timed pc status
[ "$RC" -eq 0 ] && [ "$T" -lt 1000 ]
ok $? "flap: status answers at once (${T} ms)"
n=$(rounds f01000)
sim fault-clear miner=f01000
is_good() {
	pc miner worker f01000 && [ "$OUT" = "$GOOD" ]
}
wait_until 6 after_round "$n" is_good
ok $? "flap: after the fault is cleared the view is the fixture's again"
list_has "^f01001 .*state=up .*workers=1 error=-\$"
ok $? "faults of f01000 leave f01001 alone"

########################################################################
# 3. A miner that is down when the daemon starts.

daemon_stop
sim fault miner=f01001 kind=refuse
daemon_start "$CONF"
ok $? "the daemon starts while f01001 refuses connections"
pc status
is "$RC $(printf '%s\n' "$OUT" | grep '^miners ')" "0 miners 2" \
    "status answers with one miner down"
wait_until 6 list_has "^f01001 address=127.0.0.1:$P1 state=down sector-size=- workers=- error=Version: .*([Cc]onnect|refused)"
ok $? "miner list shows f01001 down with its last error"
wait_until 6 list_has "^f01000 .*state=up .*workers=4 "
ok $? "f01000 comes up meanwhile"
pc miner worker f01001
like "$RC:$ERR" "^1:pilotctl: unavailable: no worker data from f01001 yet \(down: Version: " \
    "miner worker f01001 says there is no data yet, and why"
sim fault-clear miner=f01001
wait_until 8 list_has "^f01001 .*state=up sector-size=64GiB workers=1 "
ok $? "f01001 comes up by itself once it listens again (backoff retry)"

########################################################################
# 4. miner add and remove at run time.

config "f01000 $P0"
restart
wait_until 6 list_has "^f01000 .*state=up .*workers=4 "
ok $? "restarted with f01000 only"

pc miner add f01005 127.0.0.1:$P1 "$TOK"
like "$RC:$ERR" "^1:pilotctl: conflict: cannot add f01005: ActorAddress: the miner at 127.0.0.1:$P1 is f01001, not f01005\$" \
    "miner add refuses a wrong actor"
pc miner add f01001 127.0.0.1:$P1 "$RO_TOK"
like "$RC:$ERR" "^1:pilotctl: conflict: cannot add f01001: AuthVerify: the token lacks the admin permission \(it has read only\)\$" \
    "miner add refuses a read-only token"
pc miner add f01001 127.0.0.1:$P1 "$BAD_TOK"
like "$RC:$ERR" "^1:pilotctl: conflict: cannot add f01001: Version: HTTP 401: the miner rejected the token\$" \
    "miner add refuses a token the miner rejects (401)"
pc miner add f01001 127.0.0.1:$DEAD "$TOK"
like "$RC:$ERR" "^1:pilotctl: unavailable: cannot add f01001: Version: .*([Cc]onnect|refused)" \
    "miner add refuses an unreachable address"
sim fault miner=f01001 kind=hang
"$PILOTCTL" -s "$TAP_TMP/pilot.sock" -t 5 miner add f01001 \
    "127.0.0.1:$P1" "$TOK" >"$TAP_TMP/add.out" 2>"$TAP_TMP/add.err" &
a1=$!
sleep 0.2
timed pc status
[ "$RC" -eq 0 ] && [ "$T" -lt 1000 ]
ok $? "status answers at once while a miner add waits for a hanging miner (${T} ms)"
wait "$a1"
like "$?:$(cat "$TAP_TMP/add.err")" \
    "^1:pilotctl: unavailable: cannot add f01001: Version: .*[Tt]imed out" \
    "miner add of a hanging miner ends with a timeout after rpc_timeout"
cat "$TAP_TMP/add.out" "$TAP_TMP/add.err" >>"$ALL"
"$PILOTCTL" -s "$TAP_TMP/pilot.sock" -t 5 miner add f01001 \
    "127.0.0.1:$P1" "$TOK" >"$TAP_TMP/add.out" 2>"$TAP_TMP/add.err" &
a1=$!
sleep 0.2
daemon_stop
is "$DAEMON_STATUS" 0 \
    "SIGTERM while a miner add waits for its miner: the daemon exits 0"
wait "$a1"
cat "$TAP_TMP/add.out" "$TAP_TMP/add.err" >>"$ALL"
sim fault-clear miner=f01001
daemon_start "$CONF" || bail "the daemon did not restart"
wait_until 6 list_has "^f01000 .*state=up .*workers=4 "
pc miner list
is "$OUT" "f01000 address=127.0.0.1:$P0 state=up sector-size=32GiB workers=4 error=-" \
    "refused miners are not listed"
[ ! -e "$STATE/miners.conf" ] && [ ! -e "$STATE/scripts/f01005.sh" ]
ok $? "refused miners are not written anywhere"

pc miner add f01001 127.0.0.1:$P1 "$TOK"
is "$RC:$OUT" "0:added f01001 at 127.0.0.1:$P1: sector size 68719476736, lotus 1.26.3+mainnet+git.7cac57375
script $STATE/scripts/f01001.sh" "miner add accepts a good miner and writes its script"
wait_until 6 list_has "^f01001 address=127.0.0.1:$P1 state=up sector-size=64GiB workers=1 error=-\$"
ok $? "the added miner is up with its workers"
is "$(stat -c %a "$STATE/miners.conf" 2>&1)" 600 "miners.conf has mode 0600"
grep -q '^\[miner f01001\]$' "$STATE/miners.conf" &&
    grep -qxF "address = 127.0.0.1:$P1" "$STATE/miners.conf" &&
    grep -qxF "token = $TOK" "$STATE/miners.conf"
ok $? "miners.conf holds the added miner"
is "$(stat -c %a "$STATE/scripts/f01001.sh" 2>&1)" 700 \
    "the added miner's script has mode 0700"

pc miner add f01000 127.0.0.1:$P0 "$TOK"
is "$RC:$ERR" "1:pilotctl: conflict: miner f01000 is already known as f01000" \
    "miner add refuses a known miner"
pc miner add t01000 127.0.0.1:$P0 "$TOK"
is "$RC:$ERR" "1:pilotctl: conflict: miner t01000 is already known as f01000" \
    "miner add refuses the t0 form of a known f0 miner"
pc miner add t01001 127.0.0.1:$P1 "$TOK"
is "$RC:$ERR" "1:pilotctl: conflict: miner t01001 is already known as f01001" \
    "miner add refuses the t0 form of a miner added at run time"
line=$(grep -n '^\[miner f01000\]$' "$CONF" | cut -d: -f1)
pc miner remove f01000
is "$RC:$ERR" "1:pilotctl: conflict: f01000 is defined at $CONF:$line; remove it there and reload" \
    "miner remove refuses a miner of the config file, naming FILE:LINE"

restart
wait_until 6 list_has "^f01001 address=127.0.0.1:$P1 state=up sector-size=64GiB workers=1 "
ok $? "the added miner survives a restart"
pc -j miner list
out=$(printf '%s\n' "$OUT" | "$PYTHON3" -c 'import json, sys
print(" ".join("%s:%s" % (m["id"], m["runtime"]) for m in json.load(sys.stdin)))')
is "$out" "f01000:False f01001:True" "miner list JSON marks the runtime miner"

pc miner remove f01001
is "$RC:$OUT" "0:removed $STATE/scripts/f01001.sh
removed f01001" "miner remove removes the runtime miner and its script"
[ ! -e "$STATE/scripts/f01001.sh" ]
ok $? "scripts/f01001.sh is gone"
grep -q 'f01001' "$STATE/miners.conf"
is "$?" 1 "miners.conf no longer holds f01001"
is "$(stat -c %a "$STATE/miners.conf" 2>&1)" 600 "miners.conf keeps mode 0600"
pc miner list
is "$OUT" "f01000 address=127.0.0.1:$P0 state=up sector-size=32GiB workers=4 error=-" \
    "miner list no longer shows f01001"
restart
pc miner list
is "$(printf '%s\n' "$OUT" | cut -d' ' -f1)" f01000 \
    "the removal survives a restart"
pc miner remove f01001
is "$RC:$ERR" "1:pilotctl: not-found: no miner f01001" \
    "removing it again: no such miner"

# Two adds of one actor at once (as f01001 and t01001): one wins.
"$PILOTCTL" -s "$TAP_TMP/pilot.sock" -t 5 miner add f01001 \
    "127.0.0.1:$P1" "$TOK" >"$TAP_TMP/add1.out" 2>"$TAP_TMP/add1.err" &
a1=$!
"$PILOTCTL" -s "$TAP_TMP/pilot.sock" -t 5 miner add t01001 \
    "127.0.0.1:$P1" "$TOK" >"$TAP_TMP/add2.out" 2>"$TAP_TMP/add2.err" &
a2=$!
wait "$a1"
r1=$?
wait "$a2"
r2=$?
cat "$TAP_TMP"/add[12].out "$TAP_TMP"/add[12].err >>"$ALL"
like "$((r1 + r2)):$(cat "$TAP_TMP"/add[12].err)" \
    "^1:pilotctl: conflict: miner [ft]01001 is already known as [ft]01001\$" \
    "two adds of one actor at once: one is accepted, the other refused"
is "$(grep -c '^\[miner [ft]01001\]$' "$STATE/miners.conf")" 1 \
    "two adds of one actor at once: miners.conf holds it once"
pc miner list
is "$(printf '%s\n' "$OUT" | wc -l)" 2 \
    "two adds of one actor at once: miner list shows it once"
"$LOTUS_PILOTD" -n -c "$CONF" >/dev/null 2>"$TAP_TMP/check.err"
ok $? "two adds of one actor at once: the configuration still loads"
[ -s "$TAP_TMP/check.err" ] && diag "$(cat "$TAP_TMP/check.err")"
pc miner remove f01001
ok "$RC" "and the winner can be removed"

########################################################################
# 5. Upstream lotus: WorkerStats without the fork's Paths field.

sim miner-set miner=f01000 paths_field=false
restart
wait_until 6 list_has "^f01000 .*state=up .*workers=4 error=-\$"
ok $? "upstream lotus: the view builds (4 eligible workers, no error)"
pc miner worker f01000
ok "$RC" "upstream lotus: miner worker f01000 answers"
printf '%s\n' "$OUT" | grep -Eq '^30ace989-.* worker-04 .* unknown +- +-$'
ok $? "upstream lotus: idle worker-04's sectors are unknown (text)"
pc -j miner worker f01000
out=$(printf '%s\n' "$OUT" | "$PYTHON3" -c 'import json, sys
d = json.load(sys.stdin)
for w in sorted(d["workers"], key=lambda w: w["hostname"]):
    print(w["hostname"], w["path_source"], w["sectors"])' 2>&1)
like "$out" "^worker-04 unknown None\$" \
    "upstream lotus: worker-04's sectors are null in JSON, not 0"
bad=$(printf '%s\n' "$out" | awk '$2 == "unknown" && $3 != "None"')
is "$bad" "" "upstream lotus: no worker with an unknown path counts 0 sectors"
like "$out" "worker-01 [a-z]+ 5
worker-02 [a-z]+ 2
worker-03 [a-z]+ 3" \
    "upstream lotus: busy workers are still mapped through their jobs"
sim miner-set miner=f01000 paths_field=true

########################################################################
# 6. The admin token never shows.

pc miner list
mlist=$OUT
pc status
mstatus=$OUT
pc metrics
mmetrics=$OUT
"$LOTUS_PILOTD" --check-config -c "$CONF" >"$TAP_TMP/check.out" 2>&1
ok $? "--check-config accepts the test configuration"
grep -q 'token = (hidden)' "$TAP_TMP/check.out"
ok $? "--check-config shows the token as (hidden)"
grep -qF "$TOK" "$TAP_TMP/check.out"
is "$?" 1 "the token is not in the --check-config output"
printf '%s\n%s\n%s\n' "$mlist" "$mstatus" "$mmetrics" | grep -qF "$TOK"
is "$?" 1 "the token is not in miner list, status or metrics output"
grep -qF "$TOK" "$ALL"
is "$?" 1 "the token is not in any pilotctl output of this test"
grep -qF "$TOK" "$TAP_TMP/daemon.log"
is "$?" 1 "the token is not in the daemon's debug log"
grep -Eq "$RO_TOK|$BAD_TOK" "$TAP_TMP/daemon.log" "$ALL"
is "$?" 1 "refused tokens are not echoed either"
grep -qF "$TOK" "$STATE/scripts/f01000.sh"
ok $? "the token is where it belongs: in the scripts"

daemon_stop
is "$DAEMON_STATUS" 0 "the daemon exits 0"
grep -E 'Sanitizer|runtime error' "$TAP_TMP/daemon.log"
is "$?" 1 "no sanitizer report in the daemon log (all its runs)"
