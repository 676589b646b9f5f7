#!/bin/sh
# control.t: the line protocol of the control socket (issue 2): greeting,
# replies and their final line, every error reply with the connection
# still usable, JSON forms, help from the dispatch table, many clients.

. "${top_srcdir:-.}/t/libtap.sh"
tap_tmpdir
plan 30

daemon_config "$TAP_TMP/pilot.conf"
daemon_start "$TAP_TMP/pilot.conf" || bail "daemon did not start"

out=$(raw 'quit\n')
is "$(printf '%s\n' "$out" | head -1)" "220 lotus-pilotd $(
    "$LOTUS_PILOTD" -V | cut -d' ' -f2) protocol 1" "greeting names version and protocol"
is "$(printf '%s\n' "$out" | tail -1)" "200 bye" "quit answers 200 bye"

ctl status
ok "$RC" "pilotctl status exits 0"
like "$OUT" '^protocol 1$' "status shows the protocol"
like "$OUT" "^socket $TAP_TMP/pilot.sock\$" "status shows the socket"

out=$(raw 'status\n')
like "$(printf '%s\n' "$out" | sed -n 2p)" '^200-daemon lotus-pilotd ' \
    "data lines carry CODE-"
is "$(printf '%s\n' "$out" | tail -1)" "200 ok" "a reply ends with 200 ok"
n=$(printf '%s\n' "$out" | grep -c '^200 ')
is "$n" 1 "exactly one final line"

ctl --json status
printf '%s\n' "$OUT" | "$PYTHON3" -c 'import json,sys; d=json.load(sys.stdin); assert d["protocol"]==1' 2>/dev/null
ok $? "json status is one JSON document"

out=$(raw 'frobnicate\nstatus\n')
like "$out" '401 unknown-command: no command "frobnicate" \(try "help"\)' \
    "unknown command gets 401"
like "$out" '200 ok' "connection usable after an unknown command"

out=$(raw 'miner frob\n')
like "$out" '^401 unknown-command: no command "miner frob"; "miner" takes: add, list, remove, worker$' \
    "unknown subcommand lists the valid ones"

out=$(raw 'switch get\nswitch get a b\nstatus\n')
like "$out" '^400 bad-usage: usage: switch get ID$' "missing argument gets 400"
is "$(printf '%s\n' "$out" | grep -c '^400 ')" 2 "extra argument gets 400"
like "$out" '200 ok' "connection usable after a usage error"

long=$(head -c 5000 /dev/zero | tr '\0' a)
out=$(raw "$long\\nstatus\\n")
like "$out" '^413 line-too-long: request longer than 4096 bytes$' \
    "overlong line gets 413"
like "$out" '200 ok' "connection usable after an overlong line"

out=$(raw 'st\377tus\nstatus\n')
like "$out" '^415 bad-encoding: request is not valid UTF-8$' \
    "invalid UTF-8 gets 415"
like "$out" '200 ok' "connection usable after invalid UTF-8"

out=$(raw 'sta\001tus\n')
like "$out" '^415 bad-encoding: request holds a control character$' \
    "control character gets 415"

out=$(raw 'status\r\n\n\n')
is "$(printf '%s\n' "$out" | grep -c '^200 ok')" 1 \
    "CRLF accepted, empty lines get no reply"

ctl json switch new a b
is "$RC" 2 "json form of a mutating command is a usage error"

ctl help
ok "$RC" "help exits 0"
for c in "miner add" "miner remove" "miner list" "miner worker" \
    "script create" "switch new" "switch get" "switch cancel" \
    "switch remove" "switch list" "switch resume" status version; do
	printf '%s\n' "$OUT" | grep -q "^$c" || missing="$missing $c"
done
is "${missing:-}" "" "help lists every command"

ctl --json help
printf '%s\n' "$OUT" | "$PYTHON3" -c 'import json,sys; d=json.load(sys.stdin); assert len(d) >= 16' 2>/dev/null
ok $? "json help lists the table"

ctl switch get 1234abcd
is "$RC:$ERR" "1:pilotctl: not-found: no switch 1234abcd" \
    "an unknown switch is not-found, exit 1"

# Fifty clients at once, each must get its answer.
i=0
pids=
while [ "$i" -lt 50 ]; do
	"$PILOTCTL" -s "$TAP_TMP/pilot.sock" status >"$TAP_TMP/c.$i" 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
wait_fail=0
for j in $pids; do
	wait "$j" || wait_fail=$((wait_fail + 1))
done
is "$wait_fail" 0 "fifty concurrent clients all succeed"
is "$(cat "$TAP_TMP"/c.* | grep -c '^protocol 1$')" 50 \
    "fifty concurrent clients all got a full reply"

# A client that sends many requests and vanishes without reading.
"$PYTHON3" - "$TAP_TMP/pilot.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"help\n" * 2000)
s.close()
PY
ctl status
ok "$RC" "daemon unharmed by a client vanishing mid-reply"

if [ -n "$SOCAT" ]; then
	out=$(printf 'status\nquit\n' | "$SOCAT" -t 5 - "UNIX-CONNECT:$TAP_TMP/pilot.sock")
	like "$out" '^200 bye$' "a socat session works"
else
	skip 1 "socat not installed"
fi
