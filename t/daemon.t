#!/bin/sh
# daemon.t: lifecycle of lotus-pilotd (issue 2): options, one daemon per
# socket, stale sockets, socket mode and group, admin rights from peer
# credentials, SIGHUP with good and bad configs, clean SIGTERM.

. "${top_srcdir:-.}/t/libtap.sh"
tap_tmpdir
plan 25

TUSER=lpt-user$$
RGROUP=lpt-read$$
AGROUP=lpt-admin$$
tap_cleanup_hook() {
	if [ -n "${made_user:-}" ]; then
		userdel "$TUSER" 2>/dev/null
		groupdel "$RGROUP" 2>/dev/null
		groupdel "$AGROUP" 2>/dev/null
	fi
}

out=$("$LOTUS_PILOTD" -V)
like "$out" '^lotus-pilotd [0-9]+\.[0-9]+\.[0-9]+$' "-V prints the version"
"$LOTUS_PILOTD" --bogus >/dev/null 2>&1
is "$?" 1 "an unknown option exits 1"
out=$("$LOTUS_PILOTD" -c "$TAP_TMP/none.conf" 2>&1)
is "$?:$out" "1:lotus-pilotd: cannot open $TAP_TMP/none.conf: No such file or directory" \
    "a missing config file is named"

daemon_config "$TAP_TMP/pilot.conf"
daemon_start "$TAP_TMP/pilot.conf" || bail "daemon did not start"
is "$(stat -c %a "$TAP_TMP/pilot.sock")" 660 "socket mode is 0660"
like "$(cat "$TAP_TMP/daemon.log")" \
    "info: lotus-pilotd [0-9.]+ starting: socket $TAP_TMP/pilot.sock, protocol 1, libuv [0-9.]+, libcurl [0-9.]+" \
    "start line names version, socket, protocol and libraries"

out=$("$LOTUS_PILOTD" -f -c "$TAP_TMP/pilot.conf" 2>&1)
rc=$?
is "$rc" 1 "a second daemon on a live socket exits 1"
like "$out" "another lotus-pilotd answers on $TAP_TMP/pilot.sock" \
    "and says a daemon answers"
ctl status
ok "$RC" "the first daemon still answers"

# SIGHUP: a good new config is taken, a bad one keeps the old.
daemon_config "$TAP_TMP/pilot.conf" "poll_interval = 5m"
kill -HUP "$TAP_DAEMON_PID"
sleep 0.3
like "$(cat "$TAP_TMP/daemon.log")" "info: reloaded $TAP_TMP/pilot.conf" \
    "SIGHUP reloads a good config"
printf '[pilot]\npoll_interval = 5 minutes\n' > "$TAP_TMP/pilot.conf"
kill -HUP "$TAP_DAEMON_PID"
sleep 0.3
like "$(cat "$TAP_TMP/daemon.log")" \
    "reload failed, keeping the running configuration: $TAP_TMP/pilot.conf:2: " \
    "a bad config on SIGHUP is logged with file and line"
ctl status
ok "$RC" "the daemon still answers after a bad reload"

daemon_stop
is "$DAEMON_STATUS" 0 "SIGTERM exits 0"
[ -e "$TAP_TMP/pilot.sock" ]
is "$?" 1 "the socket is removed at exit"
like "$(tail -1 "$TAP_TMP/daemon.log")" "lotus-pilotd exiting with status 0" \
    "one line at exit"

# A stale socket left by a killed daemon is replaced.
daemon_config "$TAP_TMP/pilot.conf"
daemon_start "$TAP_TMP/pilot.conf" || bail "daemon did not restart"
kill -KILL "$TAP_DAEMON_PID"
wait "$TAP_DAEMON_PID" 2>/dev/null
TAP_DAEMON_PID=
daemon_start "$TAP_TMP/pilot.conf"
ok $? "a stale socket is removed and the daemon starts"
daemon_stop

# A file that is not a socket is never removed.
echo keep > "$TAP_TMP/pilot.sock"
out=$("$LOTUS_PILOTD" -f -c "$TAP_TMP/pilot.conf" 2>&1)
like "$out" "$TAP_TMP/pilot.sock exists and is not a socket" \
    "a regular file at the socket path is refused"
is "$(cat "$TAP_TMP/pilot.sock")" keep "and left alone"
rm -f "$TAP_TMP/pilot.sock"

# A socket in a directory that does not exist: the directory is named.
printf '[pilot]\nsocket = %s\nstate_dir = %s\n' \
    "$TAP_TMP/nodir/sub/pilot.sock" "$TAP_TMP/state" > "$TAP_TMP/nodir.conf"
out=$("$LOTUS_PILOTD" -f -c "$TAP_TMP/nodir.conf" 2>&1)
like "$out" "error: cannot listen on $TAP_TMP/nodir/sub/pilot.sock: directory $TAP_TMP/nodir/sub: No such file or directory" \
    "a missing socket directory is named as the reason"

# Background mode: the parent exits 0 once the socket listens.
"$LOTUS_PILOTD" -c "$TAP_TMP/pilot.conf"
is "$?" 0 "detached start exits 0 once listening"
ctl status
ok "$RC" "the detached daemon answers"
pid=$(printf '%s\n' "$OUT" | sed -n 's/^pid //p')
kill "$pid" 2>/dev/null
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done

# Rights: a user in the socket group may read, only admins may change.
if [ "$(id -u)" -ne 0 ] || ! command -v useradd >/dev/null ||
    ! command -v setpriv >/dev/null; then
	skip 5 "needs root, useradd and setpriv"
	exit 0
fi
groupadd "$RGROUP" && groupadd "$AGROUP" &&
    useradd -M -N -g "$RGROUP" -s /usr/sbin/nologin "$TUSER" && made_user=1
chmod 755 "$TAP_TMP"
daemon_config "$TAP_TMP/pilot.conf" "socket_group = $RGROUP" \
    "admin_group = $AGROUP"
daemon_start "$TAP_TMP/pilot.conf" || bail "daemon did not start"
is "$(stat -c %G "$TAP_TMP/pilot.sock")" "$RGROUP" "socket belongs to socket_group"
asuser() {
	setpriv --reuid="$TUSER" --regid="$RGROUP" --init-groups \
	    "$PILOTCTL" -s "$TAP_TMP/pilot.sock" "$@" 2>&1
}
out=$(asuser status)
ok $? "a socket-group member may read"
out=$(asuser script create all)
is "$?" 1 "a mutating command from a non-admin exits 1"
like "$out" "^pilotctl: denied: script create changes state and uid [0-9]+ is not an admin$" \
    "and is denied with a reason"
usermod -a -G "$AGROUP" "$TUSER"
out=$(asuser script create all)
is "$?" 0 "an admin-group member may change things"
