# libtap.sh: small TAP helpers for the shell tests in t/.
#
# Source it, call plan N, then ok/is/like/... for each check.  The
# environment comes from Makefile.am (AM_TESTS_ENVIRONMENT): srcdir,
# top_srcdir, top_builddir, LOTUS_PILOTD, PILOTCTL.

: "${top_builddir:=.}"
: "${top_srcdir:=.}"
: "${LOTUS_PILOTD:=$top_builddir/src/lotus-pilotd}"
: "${PILOTCTL:=$top_builddir/src/pilotctl}"
tap_n=0
tap_failed=0

# plan N: announce how many checks follow.
plan() {
	echo "1..$1"
}

# skip_all REASON: skip the whole file.
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# bail REASON: stop the file at once.
bail() {
	echo "Bail out! $*"
	exit 255
}

# diag TEXT: a comment line for the log.
diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

# ok STATUS DESC: pass when STATUS is 0.
ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

# is GOT WANT DESC: pass when the two strings are equal.
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "got:" "$1" "want:" "$2"
	fi
}

# like GOT PATTERN DESC: pass when GOT matches the grep -E PATTERN.
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "got:" "$1" "want match:" "$2"
	fi
}

# unlike GOT PATTERN DESC: pass when GOT does not match PATTERN.
unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 1 "$3"
		diag "got:" "$1" "must not match:" "$2"
	else
		ok 0 "$3"
	fi
}

# skip N REASON: count N checks as skipped.
skip() {
	i=0
	while [ "$i" -lt "$1" ]; do
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP $2"
		i=$((i + 1))
	done
}

# tap_tmpdir: make a private temporary directory, removed at exit.
tap_tmpdir() {
	TAP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/lotus-pilot-t.XXXXXX") ||
	    bail "cannot make a temporary directory"
	trap 'tap_cleanup' EXIT
	trap 'exit 1' INT TERM
}

# tap_cleanup: stop what the test started and remove its files.
tap_cleanup() {
	if [ -n "${TAP_DAEMON_PID:-}" ]; then
		kill "$TAP_DAEMON_PID" 2>/dev/null
		wait "$TAP_DAEMON_PID" 2>/dev/null
	fi
	if command -v tap_cleanup_hook >/dev/null 2>&1; then
		tap_cleanup_hook
	fi
	[ -n "${TAP_TMP:-}" ] && [ -z "${TAP_KEEP:-}" ] && rm -rf "$TAP_TMP"
}

# daemon_config FILE [LINE ...]: write a test configuration to FILE with
# its socket and state directory under $TAP_TMP; extra lines go into
# [pilot].
daemon_config() {
	f=$1
	shift
	mkdir -p "$TAP_TMP/state"
	{
		echo "[pilot]"
		echo "socket = $TAP_TMP/pilot.sock"
		echo "state_dir = $TAP_TMP/state"
		for l in "$@"; do
			echo "$l"
		done
	} > "$f"
}

# daemon_start CONF [ARG ...]: start a private daemon in the foreground
# (under $DAEMON_WRAPPER if set), log in $TAP_TMP/daemon.log, and wait
# until its socket answers.  Returns 1 if it does not come up.
daemon_start() {
	conf=$1
	shift
	SOCK=$TAP_TMP/pilot.sock
	$DAEMON_WRAPPER "$LOTUS_PILOTD" -f -d -c "$conf" "$@" \
	    2>>"$TAP_TMP/daemon.log" &
	TAP_DAEMON_PID=$!
	i=0
	while [ "$i" -lt "${DAEMON_WAIT:-100}" ]; do
		if "$PILOTCTL" -s "$SOCK" -t 2 status >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$TAP_DAEMON_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	diag "daemon did not come up:" "$(cat "$TAP_TMP/daemon.log")"
	return 1
}

# daemon_stop: SIGTERM the daemon and wait; sets DAEMON_STATUS.
daemon_stop() {
	DAEMON_STATUS=
	[ -n "${TAP_DAEMON_PID:-}" ] || return 0
	kill -TERM "$TAP_DAEMON_PID" 2>/dev/null
	wait "$TAP_DAEMON_PID"
	DAEMON_STATUS=$?
	TAP_DAEMON_PID=
}

# ctl ARG...: run pilotctl on the test socket; sets OUT, ERR and RC.
ctl() {
	"$PILOTCTL" -s "$TAP_TMP/pilot.sock" "$@" \
	    >"$TAP_TMP/ctl.out" 2>"$TAP_TMP/ctl.err"
	RC=$?
	OUT=$(cat "$TAP_TMP/ctl.out")
	ERR=$(cat "$TAP_TMP/ctl.err")
}

# raw TEXT: send TEXT on the socket as is and print everything received.
raw() {
	printf '%b' "$1" | "$PYTHON3" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    out += d
sys.stdout.write(out.decode("utf-8", "replace"))
' "$TAP_TMP/pilot.sock"
}

# sim_start PORTFILE [SCENARIO]: the miner simulator on ephemeral
# loopback ports (fixture cluster by default); sets SIM_PID.  Call
# sim_stop from tap_cleanup_hook.
sim_start() {
	rm -f "$1"
	"$top_srcdir/tools/lotus-sim" --scenario \
	    "${2:-$top_srcdir/tools/sim-fixtures.json}" --port-file "$1" \
	    >"$TAP_TMP/sim.log" 2>&1 &
	SIM_PID=$!
	SIM_PORTS=$1
	i=0
	while [ ! -s "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$1" ] || bail "the simulator did not start: $(cat "$TAP_TMP/sim.log")"
}

# sim_port ACTOR: the loopback port of simulated miner ACTOR (1000).
sim_port() {
	"$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["miners"][sys.argv[2]]["port"])' "$SIM_PORTS" "$1"
}

# sim_stop: stop the simulator.
sim_stop() {
	[ -n "${SIM_PID:-}" ] && kill "$SIM_PID" 2>/dev/null
	SIM_PID=
}

# TEST_TOKEN: the made-up admin token of the fixture cluster.
TEST_TOKEN=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJBbGxvdyI6WyJyZWFkIiwid3JpdGUiLCJzaWduIiwiYWRtaW4iXX0.c2lnbmF0dXJlLXBsYWNlaG9sZGVy

# sim_miners FILE: append both fixture miners to a daemon config.
sim_miners() {
	printf '\n[miner f01000]\naddress = 127.0.0.1:%s\ntoken = %s\n' \
	    "$(sim_port 1000)" "$TEST_TOKEN" >> "$1"
	printf '\n[miner f01001]\naddress = 127.0.0.1:%s\ntoken = %s\n' \
	    "$(sim_port 1001)" "$TEST_TOKEN" >> "$1"
}

# miners_up: wait until both fixture miners have a worker view.
miners_up() {
	i=0
	until ctl miner worker all && printf '%s\n' "$OUT" | grep -q '^f01001 [0-9]'
	do
		[ $i -lt 100 ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# fake_start: the fixture cluster, with t/fake-cmd standing in for the
# remote commands (its calls are logged in $FAKE_LOG).
fake_start() {
	FAKE_LOG=$TAP_TMP/fake.log
	FAKE_PORTS=$TAP_TMP/ports.json
	FAKE=$top_srcdir/t/fake-cmd
	export FAKE_LOG FAKE_PORTS top_srcdir
	: > "$FAKE_LOG"
	sim_start "$FAKE_PORTS"
}

# fake_config [LINE...]: a daemon config for fake_start's cluster;
# LINEs go into [pilot].
fake_config() {
	daemon_config "$TAP_TMP/pilot.conf" "inventory_command = none" \
	    "template_dir = $top_srcdir/templates" \
	    "disable_ap_command = $FAKE disable {host} {miner}" \
	    "copy_script_command = $FAKE copy {host} {script}" \
	    "start_command = $FAKE start {host} {miner}" \
	    "stop_command = $FAKE stop {host} {miner}" "$@"
	sim_miners "$TAP_TMP/pilot.conf"
}
