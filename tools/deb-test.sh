#!/bin/sh
# deb-test.sh: build the Debian package of lotus-pilot from this tree and
# test it on this machine: lintian, install, files, owners and modes, the
# systemd unit, the daemon run as the unit runs it, who may do what on the
# socket, upgrade, remove and purge.  Prints TAP, with the plan at the end.
#
# Run as root on Debian 12 (CI does).  It installs the packages it needs,
# builds in a temporary copy of the tree (dpkg-buildpackage writes to the
# parent directory) as an unprivileged user, as sbuild would, so that the
# upstream suite runs in the build; it creates test users and removes them,
# and leaves no lotus-pilot package, user or group behind that was not
# there before.
#
# Environment:
#   DEB_TEST_TIMEOUT   seconds for the whole run, default 600
#   DEB_BUILD_OPTIONS  passed to the build; nocheck skips the upstream
#                      test suite inside it
#   DEB_TEST_KEEP=1    keep the work directory (build logs, the .deb)
set -u

PKG=lotus-pilot
CONF=/etc/lotus-pilot/pilot.conf
STATE=/var/lib/lotus-pilot
RUNDIR=/run/lotus-pilot
SOCK=$RUNDIR/pilot.sock
UNIT=/lib/systemd/system/lotus-pilotd.service
WANTS=/etc/systemd/system/multi-user.target.wants/lotus-pilotd.service
# Left by a run that installed the package, until it is purged again:
# whether it made the users, its work directory and the pids it started,
# so that a run after one that was killed can finish its cleanup.
MARK=/var/tmp/lp-deb-test.installed
T_READ=lptest-read
T_ADMIN=lptest-admin
T_OUT=lptest-out
T_BUILD=lptest-build
TOOLS="dpkg-dev debhelper lintian binutils socat passwd util-linux git
procps systemd man-db"

top=$(cd "$(dirname "$0")/.." && pwd)
deadline=$(($(date +%s) + ${DEB_TEST_TIMEOUT:-600}))
n=0
failed=0
work=
daemon_pid=
socat_pid=

# ok STATUS DESC: one TAP line; pass when STATUS is 0.
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
	return "$1"
}

# skip DESC REASON: a skipped check.
skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# diag TEXT...: TAP comments.
diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

# is GOT WANT DESC: pass when the strings are equal.
is() {
	[ "$1" = "$2" ]
	ok $? "$3" || diag "got:  $1" "want: $2"
}

# like TEXT REGEX DESC: pass when TEXT matches the extended REGEX.
like() {
	printf '%s\n' "$1" | grep -Eq -- "$2"
	ok $? "$3" || diag "got:  $1" "want: /$2/"
}

# check DESC CMD...: pass when CMD exits 0; show its output if not.
check() {
	desc=$1
	shift
	"$@" >"$work/check.out" 2>&1
	ok $? "$desc" || diag "command: $*" "$(tail -n 20 "$work/check.out")"
}

# mode PATH WANT DESC: compare "octal-mode user:group" of PATH.
mode() {
	is "$(stat -c '%a %U:%G' "$1" 2>&1)" "$2" "$3"
}

# bail REASON: stop here; the EXIT trap cleans up.
bail() {
	echo "Bail out! $*"
	exit 1
}

# tmo CMD...: run CMD within what is left of DEB_TEST_TIMEOUT.
tmo() {
	left=$((deadline - $(date +%s)))
	[ "$left" -gt 0 ] || left=1
	timeout -k 10 "$left" "$@"
}

# logged NAME CMD...: run CMD within the time left, output to NAME.log;
# on failure show the end of the log.
logged() {
	name=$1
	shift
	tmo "$@" >"$work/$name.log" 2>&1
	rc=$?
	[ "$rc" -eq 124 ] && diag "$name: timed out"
	[ "$rc" -eq 0 ] || diag "$name failed ($rc):" \
	    "$(tail -n 30 "$work/$name.log")"
	return "$rc"
}

# asuser USER CMD...: run CMD as USER with its groups, as a login would.
asuser() {
	u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- "$@"
}

# installed: tell whether the package is installed or half-installed.
installed() {
	dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null |
	    grep -qv '^not-installed$'
}

# waitfor SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
waitfor() {
	i=$(($1 * 10))
	shift
	while ! "$@" 2>/dev/null; do
		i=$((i - 1))
		[ "$i" -gt 0 ] || return 1
		sleep 0.1
	done
}

# stop_daemon: SIGTERM, then wait up to 10 s; sets daemon_rc.
stop_daemon() {
	daemon_rc=
	[ -n "$daemon_pid" ] || return 0
	kill -TERM "$daemon_pid" 2>/dev/null
	if waitfor 10 sh -c "! kill -0 $daemon_pid"; then
		wait "$daemon_pid"
		daemon_rc=$?
	else
		kill -KILL "$daemon_pid" 2>/dev/null
		wait "$daemon_pid"
		daemon_rc=killed
	fi
	daemon_pid=
}

# reap_marked: stop the processes and remove the work directory that a
# killed run wrote in its mark, when they are still what it started.
reap_marked() {
	[ -f "$MARK" ] || return 0
	pids=
	while read -r key val comm; do
		case $key in
		pid)
			[ "$(cat "/proc/$val/comm" 2>/dev/null)" = "$comm" ] &&
			    [ "$(stat -c %U "/proc/$val" 2>/dev/null)" = \
			    lotus-pilot ] &&
			    kill -TERM "$val" 2>/dev/null && pids="$pids $val"
			;;
		work)
			case $val in
			/tmp/deb-test.*) rm -rf "$val" ;;
			esac
			;;
		esac
	done <"$MARK"
	for pid in $pids; do
		waitfor 5 sh -c "! kill -0 $pid" || kill -KILL "$pid"
	done
	grep '^made_users=' "$MARK" >"$MARK.tmp"
	mv "$MARK.tmp" "$MARK"
}

# drop_test_users: remove the users this script makes for the socket test.
drop_test_users() {
	for u in $T_READ $T_ADMIN $T_OUT $T_BUILD; do
		getent passwd "$u" >/dev/null && userdel "$u"
	done
}

# cleanup: runs on every exit; undoes whatever is still done.
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	rc=$?
	stop_daemon
	[ -n "$socat_pid" ] && kill "$socat_pid" 2>/dev/null && wait "$socat_pid"
	drop_test_users
	if [ -f "$MARK" ]; then
		if installed; then
			diag "cleanup: purging $PKG"
			dpkg --purge "$PKG" >/dev/null 2>&1 ||
			    diag "cleanup: cannot purge $PKG"
		fi
		rm -rf "$RUNDIR"
		# The package keeps its users on purge; drop them when they
		# were not there before this script installed it.
		if grep -q '^made_users=1$' "$MARK"; then
			getent passwd lotus-pilot >/dev/null &&
			    userdel lotus-pilot
			getent group lotus-pilot >/dev/null &&
			    groupdel lotus-pilot
			getent group lotus-pilot-admin >/dev/null &&
			    groupdel lotus-pilot-admin
		fi
		installed || rm -f "$MARK"
	fi
	rm -f "$MARK.new"
	if [ -n "$work" ] && [ "${DEB_TEST_KEEP:-0}" = 1 ]; then
		diag "work directory kept: $work"
	elif [ -n "$work" ]; then
		rm -rf "$work"
	fi
	echo "1..$n"
	diag "deb-test: $((n - failed)) passed, $failed failed"
	[ "$failed" -eq 0 ] || rc=1
	exit "$rc"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP deb-test.sh needs root (it installs packages)"
	exit 0
fi
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
work=$(mktemp -d /tmp/deb-test.XXXXXX) || exit 1
chmod 755 "$work"

### The tools, a clean start and the source copy.

rc=0
missing=
for p in $TOOLS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	diag "installing$missing"
	# shellcheck disable=SC2086
	logged tools sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -q --no-install-recommends $missing"
	rc=$?
elif ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then
	# apt-get build-dep needs the package lists.
	logged apt-update apt-get update -q
	rc=$?
fi
ok "$rc" "packaging tools installed" || bail "no packaging tools"

# A run that died before its cleanup leaves its mark: finish it now.
reap_marked
drop_test_users
if installed; then
	[ -f "$MARK" ] ||
	    bail "$PKG is installed, not by deb-test.sh: purge it first"
	diag "purging $PKG left by an earlier run"
	dpkg --purge "$PKG" >/dev/null 2>&1
fi
installed
ok $((!$?)) "$PKG is not installed before the test" || bail "cannot purge"
if [ ! -f "$MARK" ]; then
	if getent passwd lotus-pilot >/dev/null ||
	    getent group lotus-pilot-admin >/dev/null; then
		echo made_users=0 >"$MARK.new"
	else
		echo made_users=1 >"$MARK.new"
	fi
fi
echo "work $work" >>"$MARK.new"

version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
upstream=${version%-*}
arch=$(dpkg --print-architecture)
src=$work/$PKG-$upstream
mkdir "$src" &&
    git -C "$top" ls-files -co --exclude-standard |
    while IFS= read -r f; do
	[ -e "$top/$f" ] || continue
	mkdir -p "$src/$(dirname "$f")" && cp -a "$top/$f" "$src/$f" ||
	    exit 1
    done
ok $? "source tree copied to $src" || bail "cannot copy the tree"

### Build.

(cd "$src" && logged build-dep apt-get build-dep -y -q ./)
ok $? "build dependencies from debian/control installed" ||
    bail "no build dependencies"

useradd -M -N -g nogroup -s /usr/sbin/nologin $T_BUILD &&
    chown -R $T_BUILD "$work"
ok $? "build user $T_BUILD made" || bail "cannot make the build user"
start=$(date +%s)
(cd "$src" && logged build setpriv --reuid=$T_BUILD --regid=nogroup \
    --init-groups -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    HOME="$work" LANG=C.UTF-8 \
    ${DEB_BUILD_OPTIONS+"DEB_BUILD_OPTIONS=$DEB_BUILD_OPTIONS"} \
    dpkg-buildpackage -us -uc -b)
rc=$?
diag "build took $(($(date +%s) - start)) s" \
    "DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-}"
if [ "$rc" -ne 0 ]; then
	grep -E '^(FAIL|ERROR|XPASS):' "$work/build.log" | sed 's/^/# /'
fi
ok "$rc" "dpkg-buildpackage -us -uc -b builds as $T_BUILD" ||
    bail "the build failed"
case " ${DEB_BUILD_OPTIONS:-} " in
*" nocheck "*)
	skip "the upstream suite passed in the build" "DEB_BUILD_OPTIONS=nocheck"
	;;
*)
	diag "upstream suite: $(grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' \
	    "$work/build.log" | sed 's/^# //' | tr -s ' \n' '  ')"
	grep -Eq '^# TOTAL: *[1-9]' "$work/build.log" &&
	    grep -Eq '^# FAIL: *0$' "$work/build.log" &&
	    grep -Eq '^# ERROR: *0$' "$work/build.log"
	ok $? "the upstream suite passed in the build"
	;;
esac
deb=$work/${PKG}_${version}_$arch.deb
changes=$work/${PKG}_${version}_$arch.changes
grep -q '^checking for libsystemd\.\.\. yes$' "$work/build.log"
ok $? "configure found libsystemd"
grep -q -- '-fstack-protector-strong' "$work/build.log" &&
    grep -q -- '-D_FORTIFY_SOURCE=2' "$work/build.log" &&
    grep -q -- '-Wl,-z,now' "$work/build.log"
ok $? "the build log shows the hardening flags"

# lintian as the build user: it warns when run as root.
setpriv --reuid=$T_BUILD --regid=nogroup --init-groups -- \
    env HOME="$work" TMPDIR=/tmp \
    lintian --fail-on error,warning --display-info "$changes" \
    >"$work/lintian.log" 2>&1
rc=$?
diag "lintian:" "$(cat "$work/lintian.log")"
! grep -q '^[EW]: ' "$work/lintian.log" && [ "$rc" -eq 0 ]
ok $? "lintian reports no error and no warning"

### Install.

if [ -f "$MARK" ]; then
	cat "$MARK.new" >>"$MARK" && rm -f "$MARK.new"
else
	mv "$MARK.new" "$MARK"
fi
logged install sh -c "DEBIAN_FRONTEND=noninteractive dpkg -i '$deb' ||
    DEBIAN_FRONTEND=noninteractive apt-get -f install -y -q \
    --no-install-recommends"
is "$(dpkg-query -W -f='${Status} ${Version}' $PKG 2>&1)" \
    "install ok installed $version" "the package installs" ||
    bail "not installed"

mode /usr/sbin/lotus-pilotd "755 root:root" "lotus-pilotd in /usr/sbin"
mode /usr/bin/pilotctl "755 root:root" "pilotctl in /usr/bin"
like "$(/usr/sbin/lotus-pilotd -V 2>&1)" "$upstream" "lotus-pilotd -V runs"
for m in man8/lotus-pilotd.8 man1/pilotctl.1 man5/lotus-pilot.conf.5; do
	mode "/usr/share/man/$m.gz" "644 root:root" "man page $m"
done
zcat /usr/share/man/man8/lotus-pilotd.8.gz | grep -q "$SOCK" &&
    ! zcat /usr/share/man/man*/lotus-pilot*.gz \
    /usr/share/man/man1/pilotctl.1.gz | grep -q '@[a-z]*dir@'
ok $? "man pages carry the installed paths"
for t in worker32G worker64G; do
	mode "/usr/share/lotus-pilot/templates/$t.tmpl" "644 root:root" \
	    "template $t.tmpl"
done
mode $UNIT "644 root:root" "unit lotus-pilotd.service"
mode /usr/lib/sysusers.d/lotus-pilot.conf "644 root:root" "sysusers.d file"
[ -L $WANTS ]
ok $? "the service is enabled (multi-user.target.wants)"

# The binaries are hardened and lotus-pilotd can tell systemd it is ready.
b=/usr/sbin/lotus-pilotd
readelf -hW $b | grep -q 'Type: *DYN' &&
    readelf -dW $b | grep -q 'FLAGS_1.*NOW.*PIE' &&
    readelf -lW $b | grep -q GNU_RELRO &&
    readelf --dyn-syms -W $b | grep -q ' __stack_chk_fail@' &&
    readelf --dyn-syms -W $b | grep -q ' __[a-z]*_chk@'
ok $? "$b is PIE, full RELRO, stack protector, fortify"
# pilotctl is static with musl (configure.ac says why): no interpreter,
# no shared library, RELRO, and the stack canary read from %fs:0x28.
# musl has no _FORTIFY_SOURCE and musl-gcc makes no static PIE.
b=/usr/bin/pilotctl
readelf -hW $b | grep -q 'Type: *EXEC' &&
    ! readelf -lW $b | grep -q INTERP &&
    ! readelf -dW $b 2>/dev/null | grep -q NEEDED &&
    readelf -lW $b | grep -q GNU_RELRO &&
    objdump -d $b | grep -q '%fs:0x28'
ok $? "$b is static, RELRO, stack protector"

readelf -dW /usr/sbin/lotus-pilotd | grep -q 'NEEDED.*libsystemd\.so' &&
    readelf --dyn-syms -W /usr/sbin/lotus-pilotd | grep -q ' sd_notify@'
ok $? "lotus-pilotd is linked with libsystemd for sd_notify"

# Users, directories, the configuration.
like "$(getent passwd lotus-pilot)" \
    '^lotus-pilot:x:[0-9]+:[0-9]+:[^:]*:/var/lib/lotus-pilot:/usr/sbin/nologin$' \
    "system user lotus-pilot, home $STATE"
getent group lotus-pilot-admin >/dev/null
ok $? "group lotus-pilot-admin exists"
mode $STATE "750 lotus-pilot:lotus-pilot" "$STATE"
mode /etc/lotus-pilot "755 root:root" "/etc/lotus-pilot"
mode $CONF "640 root:lotus-pilot" "$CONF is 0640 root:lotus-pilot"
dpkg-query -W -f='${Conffiles}\n' $PKG | grep -q "^ $CONF "
ok $? "$CONF is a conffile"
grep -qx 'socket_group = lotus-pilot' $CONF &&
    grep -qx 'admin_group = lotus-pilot-admin' $CONF
ok $? "the configuration sets socket_group and admin_group"
! grep -Eq '^[[:space:]]*(\[[[:space:]]*miner|address|token|token_file)' $CONF
ok $? "no miner is configured"
bad=$(grep -oE '([0-9]{1,3}\.){3}[0-9]{1,3}' $CONF | grep -v '^192\.0\.2\.')
is "$bad" "" "every address in the configuration is in 192.0.2.0/24"
check "the daemon's user reads and accepts the configuration" \
    asuser lotus-pilot /usr/sbin/lotus-pilotd -n -c $CONF

### The unit.

diag "PID 1 is $(ps -p 1 -o comm=); systemd-analyze verify needs no" \
    "running systemd: it loads the unit from disk and checks its" \
    "executables and its man: documentation with man(1)."
out=$(systemd-analyze verify $UNIT 2>&1)
rc=$?
[ "$rc" -eq 0 ] && [ -z "$out" ]
ok $? "systemd-analyze verify accepts the unit" || diag "$out"
out=$(systemd-analyze security --offline=true $UNIT 2>/dev/null | tail -n 1)
[ -n "$out" ] && diag "systemd-analyze security: $out"
# shellcheck disable=SC2016 # $MAINPID is meant literally
for l in 'After=network-online.target' 'Wants=network-online.target' \
    'Type=notify' \
    'ExecStart=/usr/sbin/lotus-pilotd -f -c /etc/lotus-pilot/pilot.conf' \
    'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure' \
    'User=lotus-pilot' 'Group=lotus-pilot' 'StateDirectory=lotus-pilot' \
    'RuntimeDirectory=lotus-pilot' 'RuntimeDirectoryMode=0750' \
    'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
    'NoNewPrivileges=yes' \
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK' \
    'Documentation=man:lotus-pilotd(8) man:pilotctl(1) man:lotus-pilot.conf(5)'
do
	grep -qxF -- "$l" $UNIT || diag "missing: $l"
done >"$work/unit.out"
[ ! -s "$work/unit.out" ]
ok $? "the unit has the required settings" || cat "$work/unit.out"

### The daemon, started the way the unit starts it.

# RuntimeDirectory= by hand, with the unit's mode; a receiver for
# sd_notify in place of systemd's NOTIFY_SOCKET.
rm -rf $RUNDIR
install -d -m 0750 -o lotus-pilot -g lotus-pilot $RUNDIR
install -d -m 0700 -o lotus-pilot -g lotus-pilot "$work/notify"
setpriv --reuid=lotus-pilot --regid=lotus-pilot --init-groups -- \
    socat -u "UNIX-RECV:$work/notify/sock" \
    "OPEN:$work/notify/out,creat,append" 2>"$work/socat.log" &
socat_pid=$!
echo "pid $socat_pid socat" >>"$MARK"
waitfor 5 test -S "$work/notify/sock"
ok $? "sd_notify receiver ready"
(
	umask 0077
	cd / && exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    HOME=$STATE LANG=C.UTF-8 NOTIFY_SOCKET="$work/notify/sock" \
	    setpriv --reuid=lotus-pilot --regid=lotus-pilot --init-groups \
	    --no-new-privs -- /usr/sbin/lotus-pilotd -f -c $CONF
) >"$work/daemon.log" 2>&1 &
daemon_pid=$!
echo "pid $daemon_pid lotus-pilotd" >>"$MARK"
waitfor 10 test -S $SOCK
ok $? "lotus-pilotd -f listens on $SOCK" ||
    diag "$(cat "$work/daemon.log")"
waitfor 5 grep -q 'READY=1' "$work/notify/out"
ok $? "it sent READY=1 to NOTIFY_SOCKET"
is "$(ps -o user:32= -p "$daemon_pid" 2>&1)" lotus-pilot \
    "it runs as lotus-pilot"
is "$(stat -c '%A %U:%G' $SOCK 2>&1)" "srw-rw---- lotus-pilot:lotus-pilot" \
    "the socket is 0660, group lotus-pilot"
mode $RUNDIR "750 lotus-pilot:lotus-pilot" "$RUNDIR is 0750"

### Who may do what.

useradd -M -N -g nogroup -G lotus-pilot -s /usr/sbin/nologin $T_READ &&
    useradd -M -N -g nogroup -G lotus-pilot,lotus-pilot-admin \
    -s /usr/sbin/nologin $T_ADMIN &&
    useradd -M -N -g nogroup -s /usr/sbin/nologin $T_OUT
ok $? "test users made" || bail "cannot make test users"

out=$(asuser $T_READ pilotctl status 2>&1)
ok $? "a member of lotus-pilot runs pilotctl status" || diag "$out"
like "$out" '^daemon lotus-pilotd' "and gets the status"
out=$(asuser $T_READ pilotctl script create all 2>&1)
is "$?" 1 "a member of lotus-pilot may not run script create all"
like "$out" '^pilotctl: denied: script create changes state and uid [0-9]+ is not an admin$' \
    "and is told why"
out=$(asuser $T_OUT pilotctl status 2>&1)
is "$?" 3 "a user in neither group cannot connect (exit 3)"
like "$out" "^pilotctl: cannot connect to $SOCK: Permission denied$" \
    "and is told permission is denied"
out=$(asuser $T_OUT cat $CONF 2>&1)
ok $((!$?)) "nor read the configuration"
out=$(asuser $T_ADMIN pilotctl script create all 2>&1)
ok $? "a member of lotus-pilot-admin runs script create all" ||
    diag "$out"
out=$(pilotctl status 2>&1)
ok $? "root runs pilotctl status" || diag "$out"

kill -HUP "$daemon_pid"
waitfor 5 grep -q 'reloaded' "$work/daemon.log"
ok $? "SIGHUP (ExecReload) reloads the configuration"
check "the daemon answers after the reload" pilotctl status

stop_daemon
is "$daemon_rc" 0 "SIGTERM stops it with status 0"
[ ! -e $SOCK ]
ok $? "and the socket is gone"
grep -q 'STOPPING=1' "$work/notify/out"
ok $? "it sent STOPPING=1"
kill "$socat_pid" 2>/dev/null && wait "$socat_pid"
socat_pid=
mode $STATE/scripts "700 lotus-pilot:lotus-pilot" \
    "the daemon made $STATE/scripts (UMask=0077)"
diag "daemon log:" "$(cat "$work/daemon.log")"
rm -rf $RUNDIR

### Upgrade, remove, purge.

# The operator changes the configuration and the daemon has state.
sed -i 's/^#poll_interval = 1m$/poll_interval = 5m/' $CONF
echo '# edited by deb-test' >>$CONF
asuser lotus-pilot sh -c "echo kept >$STATE/deb-test-state"

# An upgrade: the same package with a higher version.
rm -rf "$work/up"
dpkg-deb -R "$deb" "$work/up" &&
    sed -i "s/^Version: .*/Version: $version+debtest1/" \
    "$work/up/DEBIAN/control" &&
    dpkg-deb -b "$work/up" "$work/up.deb" >/dev/null
ok $? "an upgrade package $version+debtest1 is made"
logged upgrade env DEBIAN_FRONTEND=noninteractive dpkg --force-confold \
    -i "$work/up.deb"
is "$(dpkg-query -W -f='${Status} ${Version}' $PKG 2>&1)" \
    "install ok installed $version+debtest1" "the package upgrades"
grep -qx 'poll_interval = 5m' $CONF && grep -qx '# edited by deb-test' $CONF
ok $? "the upgrade keeps the operator's configuration"
mode $CONF "640 root:lotus-pilot" "and its mode and group"
is "$(cat $STATE/deb-test-state 2>&1)" kept "the upgrade keeps the state"

logged remove dpkg --remove $PKG
is "$(dpkg-query -W -f='${Status}' $PKG 2>&1)" \
    "deinstall ok config-files" "the package is removed"
[ ! -e /usr/sbin/lotus-pilotd ] && [ ! -e /usr/bin/pilotctl ] &&
    [ ! -e $UNIT ]
ok $? "its programs and unit are gone"
grep -qx '# edited by deb-test' $CONF
ok $? "remove keeps the configuration"
is "$(cat $STATE/deb-test-state 2>&1)" kept "remove keeps the state"

logged purge dpkg --purge $PKG
installed
ok $((!$?)) "the package is purged"
[ ! -e /etc/lotus-pilot ] && [ ! -e $STATE ]
ok $? "purge deletes /etc/lotus-pilot and $STATE"
[ ! -e $WANTS ] && [ ! -L $WANTS ]
ok $? "purge removes the enable link"
left=$(find /etc /usr /lib /var/lib /run -xdev -name '*lotus-pilot*' \
    2>/dev/null)
is "$left" "" "no file named after lotus-pilot is left"
getent passwd lotus-pilot >/dev/null &&
    getent group lotus-pilot-admin >/dev/null
ok $? "the users stay after purge (see debian/lotus-pilot.README.Debian)"
exit 0
