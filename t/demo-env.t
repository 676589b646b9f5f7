#!/bin/sh
# demo-env.t: tools/demo-env and tools/fake-lotus-worker driven by real
# ansible (connection=local, inventory of the demo only): the four worker
# commands of the demo's pilot.conf, run by hand as the switch engine runs
# them, move worker-04 from f01000 to f01001; and what ansible answers for a
# host it does not know and for a command that fails.  Everything listens on
# 127.0.0.1 or a Unix socket in the test directory; every wait is bounded
# and a watchdog ends the test after 240 s.

. "${top_srcdir:-.}/t/libtap.sh"
: "${PYTHON3:=python3}"

command -v ansible >/dev/null 2>&1 ||
    skip_all "ansible is not installed (apt-get install ansible-core)"
[ -x /usr/bin/python3 ] || skip_all "/usr/bin/python3 (the inventory's interpreter) is missing"
command -v timeout >/dev/null 2>&1 || skip_all "timeout(1) is missing"
# The shipped start script templates write /media/nvme/<miner> (outside the
# fake host root); tools/demo-env stop removes what this test adds there.
[ "$(id -u)" = 0 ] || [ -w /media/nvme ] ||
    skip_all "the start script templates need to write /media/nvme (run as root)"

tap_tmpdir
plan 42

D=$TAP_TMP/demo
DEMO="$PYTHON3 $top_srcdir/tools/demo-env"
SIM=$top_srcdir/tools/lotus-sim
OLDREPO=/media/nvme/f01000/.lotusworker
NEWREPO=/media/nvme/f01001/.lotusworker

( trap 'kill "$sp" 2>/dev/null; exit 0' TERM
  sleep 240 & sp=$!
  wait "$sp" && echo "# watchdog: demo-env.t ran longer than 240 s" && kill -TERM $$ ) &
WATCHDOG=$!

tap_cleanup_hook() {
	$DEMO stop "$D" >/dev/null 2>&1
	kill "$WATCHDOG" 2>/dev/null
}

# stats ID: "UUID HOSTNAME TASKS PATHS" per worker of miner f0ID, read with
# WorkerStats over the miner's RPC port and the demo's admin token.
stats() {
	"$PYTHON3" - "$D" "$1" <<'EOF'
import json, sys, urllib.request
d, mid = sys.argv[1], sys.argv[2]
port = json.load(open(d + "/ports.json"))["miners"][mid]["port"]
tok = json.load(open(d + "/tokens.json"))["f0" + mid]["admin"]
body = {"jsonrpc": "2.0", "method": "Filecoin.WorkerStats", "params": [], "id": 1}
req = urllib.request.Request("http://127.0.0.1:%d/rpc/v0" % port, json.dumps(body).encode(),
                             {"Authorization": "Bearer " + tok,
                              "Content-Type": "application/json"})
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
res = json.load(opener.open(req, timeout=10))["result"]
for u, st in sorted(res.items(), key=lambda x: (x[1]["Info"]["Hostname"], x[0])):
    print(u, st["Info"]["Hostname"], ",".join(st["Tasks"] or []) or "-",
          ",".join(p["ID"] for p in st.get("Paths") or []) or "-")
EOF
}

# dump ID PYEXPR: evaluate PYEXPR with d = the simulator's dump of f0ID.
dump() {
	"$PYTHON3" "$SIM" ctl --control "$D/sim.sock" dump miner="$1" |
	    "$PYTHON3" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}

# field HOST N: field N of HOST's line in the stats on stdin.
field() {
	awk -v h="$1" -v n="$2" '$2 == h { print $n }'
}

# conf_cmd KEY HOST MINER: the command KEY of the demo's pilot.conf with the
# placeholders filled in as lotus-pilotd fills them.
conf_cmd() {
	sed -n "s/^$1 = //p" "$D/pilot.conf" | sed -e "s|{host}|$2|g" -e "s|{miner}|$3|g" \
	    -e "s|{repo}|/media/nvme/$3/.lotusworker|g" -e "s|{script}|$D/state/scripts/$3.sh|g"
}

# run_ans NAME CMDLINE: run a command line (split like lotus-pilotd splits
# it: quotes, no expansion) with the demo's environment; sets RC, OUT, ERR.
run_ans() {
	name=$1
	eval "set -- $2"
	t0=$(date +%s%N)
	( . "$D/env" && exec timeout 60 "$@" ) >"$TAP_TMP/$name.out" 2>"$TAP_TMP/$name.err"
	RC=$?
	t1=$(date +%s%N)
	OUT=$(cat "$TAP_TMP/$name.out")
	ERR=$(cat "$TAP_TMP/$name.err")
	diag "$name: exit $RC in $(( (t1 - t0) / 1000000 )) ms" "stdout: $OUT" "stderr: $ERR"
}

alive() {
	[ -n "$1" ] && [ -d "/proc/$1" ] && grep -q lotus-worker "/proc/$1/cmdline" 2>/dev/null
}

# ---- the cluster
$DEMO start "$D" >"$TAP_TMP/start.out" 2>&1
is "$?" 0 "demo-env start exits 0"
[ -f "$D/ports.json" ] || { diag "$(cat "$TAP_TMP/start.out")"; bail "no cluster"; }
ok "$( [ -f "$D/inventory" ] && [ -f "$D/env" ] && [ -f "$D/pilot.conf" ] &&
    [ "$(readlink "$D/bin/lotus-worker")" = "$(cd "$top_srcdir/tools" && pwd)/fake-lotus-worker" ]
    echo $?)" "it writes inventory, env, pilot.conf and bin/lotus-worker"
is "$(stat -c %a "$D/pilot.conf")" 600 "pilot.conf (tokens) is mode 0600"
is "$(grep -c '^worker-0[1-5] ansible_connection=local ansible_python_interpreter=/usr/bin/python3 ansible_host=127\.0\.1\.[1-5]$' \
    "$D/inventory"):$(grep -c '^[a-z]' "$D/inventory")" "5:5" \
    "the inventory holds worker-01 .. worker-05, connection local"
like "$(cat "$D/env")" "export LOTUS_SIM_CONTROL='$D/sim.sock'" "env exports LOTUS_SIM_CONTROL"
like "$(cat "$D/env")" "export PATH='$D/bin':\"\\\$PATH\"" "env puts DIR/bin first in PATH"

S0=$(stats 1000)
S1=$(stats 1001)
diag "f01000:" "$S0" "f01001:" "$S1"
is "$(echo "$S0" | awk '{print $2}' | tr '\n' ' ')" \
    "miner-f01000 worker-01 worker-02 worker-03 worker-04 " \
    "f01000 has worker-01 .. worker-04 (and its own worker)"
is "$(echo "$S1" | awk '{print $2}' | tr '\n' ' ')" "miner-f01001 worker-05 " \
    "f01001 has worker-05 (and its own worker)"
OLDUUID=$(echo "$S0" | field worker-04 1)
OLDPATH=$(echo "$S0" | field worker-04 4)
H4=$D/hosts/worker-04
is "$OLDPATH" "$("$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["ID"])' \
    "$H4$OLDREPO/sectorstore.json")" \
    "worker-04 registered by run: its seal path is the ID of its sectorstore.json"
is "$(cat "$H4$OLDREPO/api")" "/ip4/127.0.1.4/tcp/50031" \
    "its repo's api names the host's address and the f01000 port"
OLDPID=$(cat "$H4$OLDREPO/pid")
ok "$(alive "$OLDPID"; echo $?)" "its pid file names a running fake lotus-worker"
is "$(readlink "/proc/$OLDPID/fd/0")" /dev/null "it detached: stdin is /dev/null"
ok "$([ "$(ps -o sid= -p "$OLDPID" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" ]
    echo $?)" "and it runs in a session of its own"
like "$(dump 1000 '[len(w["jobs"]) for w in d["workers"] if w["hostname"] in ("worker-01", "worker-02")]')" \
    '^\[[1-9], [1-9]\]$' "worker-01 and worker-02 are busy"
W1PATH=$(echo "$S0" | field worker-01 4)

# ---- the four commands of pilot.conf, worker-04 from f01000 to f01001
CMD=$(conf_cmd disable_ap_command worker-04 f01000)
is "$CMD" "ansible worker-04 -m shell -a \"FAKE_ROOT=$H4 lotus-worker --worker-repo=$OLDREPO tasks disable AP\"" \
    "disable_ap_command as configured"
run_ans disable "$CMD"
is "$RC" 0 "ansible tasks disable AP exits 0"
like "$OUT" '^worker-04 \| CHANGED \| rc=0 >>$' "and reports CHANGED rc=0"
S0=$(stats 1000)
is "$(echo "$S0" | field worker-04 3 | tr ',' '\n' | grep -c '^seal/v0/addpiece$')" 0 \
    "AP is gone from worker-04's Tasks in WorkerStats"
is "$(echo "$S0" | field worker-04 3 | tr ',' '\n' | grep -c '^seal/v0/precommit/1$'):$(
    echo "$S0" | field worker-03 3 | tr ',' '\n' | grep -c '^seal/v0/addpiece$')" "1:1" \
    "PC1 stays, and worker-03 keeps AP"

TOK=$("$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["f01001"]["admin"])' \
    "$D/tokens.json")
PORT=$("$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["miners"]["1001"]["port"])' \
    "$D/ports.json")
mkdir -p "$D/state/scripts"
sed -e 's|{{.MinerID}}|f01001|g' -e "s|{{.MinerAPIInfo}}|$TOK:/ip4/127.0.0.1/tcp/$PORT/http|g" \
    -e 's|{{.Port}}|57254|g' "$top_srcdir/templates/worker64G.tmpl" > "$D/state/scripts/f01001.sh"
run_ans copy "$(conf_cmd copy_script_command worker-04 f01001)"
is "$RC" 0 "ansible copy of the start script exits 0"
is "$(stat -c %a "$H4/root/f01001.sh" 2>&1):$(cmp "$D/state/scripts/f01001.sh" "$H4/root/f01001.sh" >/dev/null 2>&1; echo $?)" \
    "700:0" "the script is on the host, mode 0700"
unlike "$OUT$ERR" "$TOK" "the token does not appear in ansible's output"

CMD=$(conf_cmd start_command worker-04 f01001)
is "$CMD" "ansible worker-04 -m shell -a \"FAKE_ROOT=$H4 LOTUS_WORKER_NAME=worker-04 bash $H4/root/f01001.sh\"" \
    "start_command as configured"
run_ans start "$CMD"
is "$RC" 0 "ansible bash f01001.sh exits 0"
like "$OUT" "lotus-worker for f01001 started, pid [0-9]+, port 57254" "and the script says so"
i=0
while [ "$i" -lt 100 ]; do
	NEWUUID=$(stats 1001 | field worker-04 1)
	[ -n "$NEWUUID" ] && break
	sleep 0.1
	i=$((i + 1))
done
ok "$([ -n "$NEWUUID" ] && [ "$NEWUUID" != "$OLDUUID" ]; echo $?)" \
    "worker-04 appears under f01001 with a new UUID"
is "$(stats 1000 | field worker-04 1)" "$OLDUUID" "the old worker-04 stays under f01000"
NEWPID=$(cat "$H4$NEWREPO/pid" 2>/dev/null)
ok "$(alive "$NEWPID"; echo $?)" "the new worker runs from $NEWREPO under the host's FAKE_ROOT"

run_ans stop "$(conf_cmd stop_command worker-04 f01000)"
is "$RC" 0 "ansible lotus-worker stop exits 0"
is "$(stats 1000 | field worker-04 1)" "" "the old worker-04 is gone from f01000"
is "$(dump 1000 "'$OLDPATH' in d['paths']")" False "and its seal path is detached"
is "$(stats 1001 | field worker-04 1)" "$NEWUUID" "the new worker-04 stays under f01001"
ok "$(! alive "$OLDPID"; echo $?)" "the old worker process has exited"

# ---- failures as ansible shows them
run_ans stop-again "$(conf_cmd stop_command worker-04 f01000)"
is "$RC:$(printf '%s\n' "$OUT" | head -1)" "0:worker-04 | CHANGED | rc=0 >>" \
    "a lotus-worker that fails (nothing runs) still gives ansible exit 0, CHANGED"
like "$OUT" "lotus-worker: ERROR: .*connection refused" "only its output tells the error"
run_ans unknown-host "ansible worker-99 -m shell -a \"lotus-worker --worker-repo=$OLDREPO stop\""
is "$RC:$OUT" "0:" "a host not in the inventory: exit 0, nothing on stdout"
like "$ERR" 'WARNING\]: Could not match supplied host pattern, ignoring: worker-99' \
    "only a warning on stderr says no host matched"
run_ans failing "ansible worker-04 -m shell -a \"echo out; echo err >&2; exit 3\""
is "$RC:$(printf '%s\n' "$OUT" | head -1)" "2:worker-04 | FAILED | rc=3 >>" \
    "a command failing on the host: exit 2, FAILED rc=3 on stdout"
out=$(. "$D/env" && FAKE_ROOT=$D/hosts/worker-03 lotus-worker --worker-repo=$OLDREPO tasks disable XX 2>&1)
is "$?:$out" "0:lotus-worker: ERROR: unknown task type 'XX'" \
    "lotus-worker tasks disable with an unknown type exits 0"

# ---- the busy worker drains in bounded time
i=0
while [ "$i" -lt 60 ]; do
	left=$(dump 1000 "sum(len(w['jobs']) for w in d['workers'] if w['hostname'] == 'worker-01') + len(d['paths'].get('$W1PATH', []))")
	[ "$left" = 0 ] && break
	sleep 1
	i=$((i + 1))
done
is "$left" 0 "worker-01 drains: no jobs and no sectors on its seal path (after ${i} s more)"

# ---- stop leaves nothing
SIMPID=$(cat "$D/sim.pid")
$DEMO stop "$D" >"$TAP_TMP/stop.out" 2>&1
is "$?" 0 "demo-env stop exits 0"
# running PID: the process exists and is not a zombie.
running() {
	[ -d "/proc/$1" ] && ! grep -qs '^State:.*Z' "/proc/$1/status"
}
left=
for p in $SIMPID $OLDPID $NEWPID $(cat "$D"/hosts/*/media/nvme/*/.lotusworker/pid 2>/dev/null); do
	running "$p" && left="$left $p"
done
for p in /proc/[0-9]*; do
	p=${p#/proc/}
	[ "$p" != $$ ] && grep -qs "$D/" "/proc/$p/environ" && running "$p" && left="$left $p"
done
is "$left" "" "nothing of the demo runs any more"
for p in $left; do
	diag "left: $(ps -o pid=,stat=,args= -p "$p")"
done
