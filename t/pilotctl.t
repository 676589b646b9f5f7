#!/bin/sh
# pilotctl.t: the client on its own, against no daemon or a fake one.
#
# Usage errors, -V, a missing or dead socket, and every reply path
# (protocol mismatch, bad line, EOF mid-reply, error codes, a daemon
# that never greets, the token read from stdin) against a small
# python3 server that answers fixed lines on sockets in the test's
# temporary directory.

. "${top_srcdir:-.}/t/libtap.sh"
: "${PYTHON3:=python3}"

command -v "$PYTHON3" >/dev/null 2>&1 || skip_all "python3 is needed"
[ -x "$PILOTCTL" ] || skip_all "$PILOTCTL is not built"

plan 50
tap_tmpdir
unset PILOTCTL_SOCKET
FAKE_PID=

# tap_cleanup_hook: stop the fake daemon.
tap_cleanup_hook() {
	if [ -n "$FAKE_PID" ]; then
		kill "$FAKE_PID" 2>/dev/null
		wait "$FAKE_PID" 2>/dev/null
	fi
}

# run ARG...: run pilotctl; set rc, out and err.
run() {
	out=$("$PILOTCTL" "$@" 2>"$TAP_TMP/stderr")
	rc=$?
	err=$(cat "$TAP_TMP/stderr")
}

# Local usage errors: nothing is sent, the status is 2.
run
is "$rc" 2 "no command: exit 2"
like "$err" '^usage: pilotctl ' "no command: usage on stderr"
run -x status
is "$rc" 2 "unknown option: exit 2"
like "$err" "^pilotctl: .*option" "unknown option: message"
run -s "$TAP_TMP/none.sock" miner remove "f0 1000"
is "$rc" 2 "argument with a space: exit 2"
is "$err" "pilotctl: argument 3 contains whitespace or a control character" \
    "argument with a space: message"
run -s "$TAP_TMP/none.sock" switch get ""
is "$rc" 2 "empty argument: exit 2"
is "$err" "pilotctl: argument 3 is empty" "empty argument: message"
run -t soon status
is "$rc" 2 "bad timeout: exit 2"
like "$err" "^pilotctl: bad timeout: soon" "bad timeout: message"
run -s "$TAP_TMP/none.sock" "$(printf 'status\001')"
is "$rc" 2 "control character: exit 2"

# Version and help need no daemon.
run -V
is "$rc" 0 "-V: exit 0"
like "$out" '^pilotctl [0-9][0-9.]*' "-V: prints the version"
run --help
is "$rc" 0 "--help: exit 0"
like "$out" '^usage: pilotctl ' "--help: usage on stdout"

# No daemon: no socket file, or a socket file nobody listens on.
run -s "$TAP_TMP/none.sock" status
is "$rc" 3 "missing socket: exit 3"
is "$err" "pilotctl: no daemon at $TAP_TMP/none.sock" "missing socket: message"
"$PYTHON3" -c 'import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$TAP_TMP/dead.sock"
PILOTCTL_SOCKET=$TAP_TMP/dead.sock
export PILOTCTL_SOCKET
run status
is "$rc" 3 "dead socket from PILOTCTL_SOCKET: exit 3"
is "$err" "pilotctl: no daemon at $TAP_TMP/dead.sock" \
    "dead socket from PILOTCTL_SOCKET: message"
unset PILOTCTL_SOCKET

# The fake daemon: a greeting per socket, a fixed reply per request.
cat >"$TAP_TMP/fake.py" <<'EOF'
import os, socket, sys, threading

d = sys.argv[1]
replies = {
    b"status": b"200-state running\n200-miners 2\n200 ok\n",
    b"json status": b'200-{"state":"running"}\n200 ok\n',
    b"miner remove f09999": b"404 not-found: no miner f09999\n",
    b"frobnicate": b"401 unknown-command: frobnicate\n",
    b"switch new f01000 f01001": b"409-only 1 eligible worker\n"
        b"409 conflict: too few workers\n",
    b"malformed": b"hello there\n",
    b"crlf": b"200-one\r\n200 ok\r\n",
    b"quit": b"200 bye\n",
}

def serve(conn, kind):
    f = conn.makefile("rb")
    if kind == "silent":
        f.read()
        return
    conn.sendall(b"220 lotus-pilotd 0.0 protocol %d\n" %
        (2 if kind == "proto2" else 1))
    for line in f:
        line = line.rstrip(b"\r\n")
        with open(os.path.join(d, "requests"), "ab") as log:
            log.write(line + b"\n")
        if line == b"eof":
            conn.sendall(b"200-partial\n")
            break
        conn.sendall(replies.get(line, b"200 ok\n"))
    conn.close()

def accept(s, kind):
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, kind), daemon=True).start()

for kind in ("good", "proto2", "silent"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(os.path.join(d, kind + ".sock"))
    s.listen(8)
    threading.Thread(target=accept, args=(s, kind), daemon=True).start()
open(os.path.join(d, "ready"), "w").close()
threading.Event().wait()
EOF
"$PYTHON3" "$TAP_TMP/fake.py" "$TAP_TMP" 2>"$TAP_TMP/fake.err" &
FAKE_PID=$!
i=0
while [ ! -e "$TAP_TMP/ready" ] && [ "$i" -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -e "$TAP_TMP/ready" ] || bail "the fake daemon did not start"
GOOD=$TAP_TMP/good.sock

# Replies: success, errors, and the exit status of each.
run -s "$GOOD" status
is "$rc" 0 "multi-line success: exit 0"
is "$out" "state running
miners 2" "multi-line success: data lines without the code"
is "$err" "" "multi-line success: nothing on stderr"
run --json --socket "$GOOD" status
is "$out" '{"state":"running"}' "--json: the JSON line"
tail -n 1 "$TAP_TMP/requests" >"$TAP_TMP/last"
is "$(cat "$TAP_TMP/last")" "json status" "--json: sends the json prefix"
run -s "$GOOD" crlf
is "$rc.$out" "0.one" "CR LF line ends are accepted"
run -s "$GOOD" miner remove f09999
is "$rc" 1 "404: exit 1"
is "$err" "pilotctl: not-found: no miner f09999" "404: message on stderr"
is "$out" "" "404: nothing on stdout"
run -s "$GOOD" frobnicate
is "$rc" 2 "401: exit 2"
is "$err" "pilotctl: unknown-command: frobnicate" "401: message on stderr"
run -s "$GOOD" switch new f01000 f01001
is "$rc" 1 "409: exit 1"
is "$err" "only 1 eligible worker
pilotctl: conflict: too few workers" "409: data lines go to stderr"
run -s "$GOOD" quit
is "$rc" 0 "quit: exit 0"

# Protocol errors: exit 4, naming what was received.
run -s "$TAP_TMP/proto2.sock" status
is "$rc" 4 "protocol 2: exit 4"
is "$err" "pilotctl: protocol mismatch: daemon speaks 2, pilotctl speaks 1" \
    "protocol 2: message"
run -s "$GOOD" malformed
is "$rc" 4 "malformed reply: exit 4"
is "$err" 'pilotctl: protocol error: bad reply line: "hello there"' \
    "malformed reply: message names the line"
run -s "$GOOD" eof
is "$rc" 4 "EOF mid-reply: exit 4"
is "$out" "partial" "EOF mid-reply: data before it is printed"
like "$err" "closed before the final line" "EOF mid-reply: message"

# A daemon that never greets: a connection failure after -t.
run -t 1 -s "$TAP_TMP/silent.sock" status
is "$rc" 3 "silent daemon: exit 3"
want="no answer from the daemon at $TAP_TMP/silent.sock within 1 second"
is "$err" "pilotctl: $want" "silent daemon: message"

# The token from standard input: sent, never shown.
tok=made-up-token-0123456789
out=$(echo "$tok" | "$PILOTCTL" -s "$GOOD" miner add f01000 192.0.2.1:2345 - \
    2>"$TAP_TMP/stderr")
rc=$?
is "$rc" 0 "token on stdin: exit 0"
tail -n 1 "$TAP_TMP/requests" >"$TAP_TMP/last"
is "$(cat "$TAP_TMP/last")" "miner add f01000 192.0.2.1:2345 $tok" \
    "token on stdin: sent in place of -"
unlike "$out$(cat "$TAP_TMP/stderr")" "$tok" "token on stdin: not printed"
printf '' | "$PILOTCTL" -s "$GOOD" miner add f01000 192.0.2.1:2345 - \
    2>"$TAP_TMP/stderr"
is "$?" 2 "no token on stdin: exit 2"
is "$(cat "$TAP_TMP/stderr")" "pilotctl: no token on standard input" \
    "no token on stdin: message"
echo "$tok x" | "$PILOTCTL" -s "$GOOD" miner add f01000 192.0.2.1:2345 - \
    2>"$TAP_TMP/stderr"
is "$?" 2 "token with a space: exit 2"
unlike "$(cat "$TAP_TMP/stderr")" "$tok" "token with a space: not printed"

# A reader that has gone (pilotctl ... | head): exit 1 and no message.
out=$("$PYTHON3" -c 'import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)
print(p.returncode, repr(p.stderr.decode()))' "$PILOTCTL" -s "$GOOD" status)
is "$out" "1 ''" "a closed pipe on stdout: exit 1, no message"
