#!/bin/sh
# valgrind.t: the daemon serves clients and shuts down on SIGTERM with no
# memory error and no leak under valgrind (issue 2).

. "${top_srcdir:-.}/t/libtap.sh"
[ -n "$VALGRIND" ] || skip_all "valgrind not installed"
[ -z "${ASAN_BUILD:-}" ] || skip_all "AddressSanitizer build"
tap_tmpdir
plan 5

DAEMON_WRAPPER="$VALGRIND -q --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 --log-file=$TAP_TMP/vg.log"
DAEMON_WAIT=300
daemon_config "$TAP_TMP/pilot.conf"
daemon_start "$TAP_TMP/pilot.conf" || bail "daemon did not start"
ctl status
ok "$RC" "status under valgrind"
raw 'help\njson help\nbogus\nswitch get\nst\377\nquit\n' >/dev/null
"$PYTHON3" - "$TAP_TMP/pilot.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"help\n" * 500 + b"x" * 6000)
s.close()
PY
kill -HUP "$TAP_DAEMON_PID"
sleep 1
printf '[pilot]\nparallel = 0\n' > "$TAP_TMP/pilot.conf"
kill -HUP "$TAP_DAEMON_PID"
sleep 1
ctl json status
ok "$RC" "json status after reloads"
daemon_stop
is "$DAEMON_STATUS" 0 "clean exit under valgrind"
vg=$(cat "$TAP_TMP/vg.log")
is "$vg" "" "valgrind reports nothing"
unlike "$(cat "$TAP_TMP/daemon.log")" "cannot close the loop" \
    "uv_loop_close succeeds"
