#!/bin/sh
# config.t: the configuration file, lotus-pilot.conf(5), read by
# "lotus-pilotd --check-config": golden output of good files, printed
# output that loads again, the exact message of every error, the runtime
# miners file, and no token ever shown.

. "${top_srcdir:-.}/t/libtap.sh"
tap_tmpdir
plan 117

data="$top_srcdir/t/data/config"
T=$TAP_TMP
SECRET=sEcReT		# in every token of this file; never to be shown
leaks=0

# fill IN OUT: copy a data file, @TMP@ replaced by the temporary dir.
fill() {
	sed "s|@TMP@|$T|g" "$1" >"$2"
}

# check FILE: run --check-config on FILE; set RC, OUT and ERR.
check() {
	"$LOTUS_PILOTD" --check-config -c "$1" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	if grep -q "$SECRET" "$T/out" "$T/err"; then
		leaks=$((leaks + 1))
		diag "a token was shown for $1"
	fi
}

# golden NAME DESC: stdout of the last check, @TMP@ put back, is NAME.ok.
golden() {
	sed "s|$T|@TMP@|g" "$T/out" >"$T/$1.out"
	if diff -u "$data/$1.ok" "$T/$1.out" >"$T/diff"; then
		ok 0 "$2"
	else
		ok 1 "$2"
		diag "$(cat "$T/diff")"
	fi
}

# fails DESC WANT: the last check failed with exactly WANT on stderr.
fails() {
	if [ "$RC" -eq 1 ] && [ -z "$OUT" ] &&
	    [ "$ERR" = "lotus-pilotd: $2" ]; then
		ok 0 "$1"
	else
		ok 1 "$1"
		diag "exit $RC, stdout: $OUT" "stderr: $ERR" \
		    "want:   lotus-pilotd: $2"
	fi
}

# bad DESC WANT: the file on stdin fails with "FILE:WANT".  Not in a
# pipeline: the counters of libtap.sh must stay in this shell.
bad() {
	sed "s|@TMP@|$T|g" >"$T/bad.conf"
	check "$T/bad.conf"
	fails "$1" "$T/bad.conf:$2"
}

# pilot KEY VALUE WHY: "KEY = VALUE" in [pilot] is bad because of WHY.
pilot() {
	printf '[pilot]\nstate_dir = @TMP@/state\n%s = %s\n' "$1" "$2" \
	    >"$T/bad.in"
	bad "$1 = $2" "3: bad $1 \"$2\": $3" <"$T/bad.in"
}

# miner DESC WANT LINES: LINES under [miner f01000] (line 3) fail as WANT.
miner() {
	printf '[pilot]\nstate_dir = @TMP@/state\n[miner f01000]\n%s\n' \
	    "$3" >"$T/bad.in"
	bad "$1" "$2" <"$T/bad.in"
}

mkdir "$T/state" "$T/runtime" || bail "cannot make state directories"
printf 'sEcReT.from-file\n' >"$T/token"

# Golden output of good files, and the printed output loads again.
for name in minimal full runtime; do
	fill "$data/$name.conf" "$T/$name.conf"
	[ "$name" = runtime ] &&
	    cp "$data/runtime-miners.conf" "$T/runtime/miners.conf"
	check "$T/$name.conf"
	is "$RC $ERR" "0 " "$name.conf loads"
	golden "$name" "$name.conf prints $name.ok"
done
check "$T/minimal.conf"
cp "$T/out" "$T/printed.conf"
check "$T/printed.conf"
is "$RC $ERR" "0 " "printed minimal config loads again"
golden minimal "and prints the same"
check "$T/full.conf"
cp "$T/out" "$T/printed.conf"
sed "s/^token = (hidden)\$/token = $SECRET.again/" "$T/out" >"$T/tokens.conf"
check "$T/printed.conf"
fails "printed config with hidden tokens does not load" \
    "$T/printed.conf:25: bad token: may hold only letters, digits, . _ and -"
check "$T/tokens.conf"
is "$RC $ERR" "0 " "with tokens put back it loads"
golden full "and prints the same"
like "$(sed -n 1,2p "$T/out")" 'token = \(hidden\)' \
    "the top comment says why hidden tokens do not load"

# The shipped example loads, and so does its miner, uncommented.
example="$top_srcdir/etc/pilot.conf.example"
awk -v d="$T/state" '{ print } /^\[pilot\]$/ { print "state_dir = " d }' \
    "$example" >"$T/example.conf"
check "$T/example.conf"
is "$RC $ERR" "0 " "etc/pilot.conf.example loads"
like "$OUT" '^poll_interval = 1m0s$' "with the defaults"
sed 's/^#\(\[miner \)/\1/; s/^#\(address = \)/\1/; s/^#\(token = \)/\1/' \
    "$T/example.conf" >"$T/example2.conf"
check "$T/example2.conf"
is "$RC $ERR" "0 " "its miner section loads when uncommented"
like "$OUT" '^\[miner f01000\]$' "and is printed"

# Values that are good at the edges.
{
	printf '[pilot]\nstate_dir = @TMP@/state\ntemplate_dir = /'
	awk 'BEGIN { for (i = 0; i < 8176; i++) printf "x"; print "" }'
} | sed "s|@TMP@|$T|g" >"$T/edge.conf"
check "$T/edge.conf"
is "$RC $ERR" "0 " "a line of 8192 bytes is fine"
is "$(($(grep '^template_dir' "$T/out" | wc -c)))" 8193 \
    "and is kept whole"
printf '\357\273\277[pilot]\nstate_dir = %s/state\n' "$T" >"$T/bom.conf"
check "$T/bom.conf"
is "$RC $ERR" "0 " "a UTF-8 byte order mark is skipped"
printf '[pilot]\nstate_dir = %s/state\nstart_command = a;b ; c # d\n' \
    "$T" >"$T/semi.conf"
check "$T/semi.conf"
like "$OUT" '^start_command = "a;b" ";" c "#" d$' \
    "; and # inside a value are not comments"

# Files that cannot be read.
check "$T/missing.conf"
fails "missing file" \
    "cannot open $T/missing.conf: No such file or directory"
check "$T"
fails "a directory" "cannot read $T: not a regular file"

# Bad durations.
pilot poll_interval '' 'empty value'
pilot poll_interval 0 'must be positive'
pilot poll_interval 0s 'must be positive'
pilot poll_interval -1m 'must be positive'
pilot poll_interval 5 'missing unit (ms, s, m or h)'
pilot poll_interval 1.5 'missing unit (ms, s, m or h)'
pilot poll_interval 5d 'unknown unit (use ms, s, m or h)'
pilot poll_interval '5 minutes' 'unknown unit (use ms, s, m or h)'
pilot cache_timeout 99999999999999999999s 'too large'
pilot cache_timeout 2562048h 'too large'
pilot command_timeout 0.5ms 'finer than a millisecond'
pilot rpc_timeout s 'not a duration such as 30s, 5m or 1h30m'
pilot rpc_timeout +5m 'not a duration such as 30s, 5m or 1h30m'

# Bad numbers, paths, groups and words.
pilot parallel 0 'must be from 1 to 1000'
pilot parallel -1 'must be from 1 to 1000'
pilot parallel 1001 'must be from 1 to 1000'
pilot parallel 99999999999999999999 'must be from 1 to 1000'
pilot parallel ten 'not a number'
pilot socket run/pilot.sock 'not an absolute path'
long=/$(awk 'BEGIN { for (i = 0; i < 107; i++) printf "s" }')
pilot socket "$long" 'longer than 107 bytes'
pilot socket_group lotus-pilot-no-such-group 'unknown group'
pilot admin_group 4294967295 'group id too large'
printf '[pilot]\nstate_dir = var/lib/lotus-pilot\n' >"$T/bad.in"
bad "state_dir = var/lib/lotus-pilot" \
    '2: bad state_dir "var/lib/lotus-pilot": not an absolute path' <"$T/bad.in"
pilot template_dir templates 'not an absolute path'
pilot script_dir ./scripts 'not an absolute path'
pilot worker_repo /media/nvme/.lotusworker 'must contain {miner}'
pilot worker_repo '/media/{miner}/a b' \
    'may hold only letters, digits, . _ / ~ + - and {miner}'
pilot worker_repo '/media/{host}/{miner}' \
    'may hold only letters, digits, . _ / ~ + - and {miner}'
pilot network x 'must be f or t'
pilot network mainnet 'must be f or t'

# Bad commands.
pilot start_command 'ansible {host} -a "bash' 'unbalanced double quote'
pilot stop_command "ansible {host} -a 'x" 'unbalanced single quote'
pilot stop_command 'ansible {host} x\' 'backslash at the end'
pilot disable_ap_command 'ansible {hots} -m shell' \
    'unknown placeholder {hots}'
pilot copy_script_command 'scp {script} {host}:/root/{id}.sh' \
    'unknown placeholder {id}'
pilot copy_script_command '""' 'empty command'

# Bad structure.
bad "unknown section" '3: unknown section [minr f01000]' <<'EOF'
[pilot]
state_dir = @TMP@/state
[minr f01000]
EOF
bad "unknown key" '3: unknown key "pol_interval" in [pilot]' <<'EOF'
[pilot]
state_dir = @TMP@/state
pol_interval = 1m
EOF
bad "duplicate key" \
    "4: duplicate key \"parallel\" in [pilot] (first at $T/bad.conf:3)" <<'EOF'
[pilot]
state_dir = @TMP@/state
parallel = 2
parallel = 3
EOF
bad "duplicate [pilot]" \
    "3: duplicate section [pilot] (first at $T/bad.conf:1)" <<'EOF'
[pilot]
state_dir = @TMP@/state
[pilot]
EOF
bad "key outside any section" \
    '1: key "poll_interval" outside any section' <<'EOF'
poll_interval = 1m
[pilot]
EOF
bad "line without =" '3: expected "name = value"' <<'EOF'
[pilot]
state_dir = @TMP@/state
poll_interval 1m
EOF
bad "name: value" '3: expected "name = value"' <<'EOF'
[pilot]
state_dir = @TMP@/state
poll_interval: 1m
EOF
bad "no continuation lines" '4: expected "name = value"' <<'EOF'
[pilot]
state_dir = @TMP@/state
start_command = ansible {host}
  -m shell -a "bash /root/{miner}.sh"
EOF
bad "unterminated section header" '2: unterminated section header' <<'EOF'
# a comment
[pilot
EOF
bad "text after a section header" '1: text after section header' <<'EOF'
[pilot] # the main section
EOF
{
	printf '[pilot]\nstate_dir = @TMP@/state\ntemplate_dir = /'
	awk 'BEGIN { for (i = 0; i < 8177; i++) printf "x"; print "" }'
	printf 'parallel = 0\n'
} >"$T/bad.in"
bad "a line of 8193 bytes" '3: line longer than 8192 bytes' <"$T/bad.in"
{
	printf '[pilot]\nstate_dir = @TMP@/state\ntemplate_dir = /'
	awk 'BEGIN { for (i = 0; i < 8300; i++) printf "x"; print "=1" }'
} >"$T/bad.in"
bad "a long line is never cut" '3: line longer than 8192 bytes' <"$T/bad.in"
printf '[pilot]\nstate_dir = @TMP@/state\ntemplate_dir = /caf\351\n' \
    >"$T/bad.in"
bad "not UTF-8" '3: line is not UTF-8 text' <"$T/bad.in"

# Bad miner sections.
bad "empty miner section" '3: no address in [miner f01000]' <<'EOF'
[pilot]
state_dir = @TMP@/state
[miner f01000]
EOF
bad "empty miner section, then another" \
    '1: no address in [miner f01000]' <<'EOF'
[miner f01000]
[miner f02000]
address = 192.0.2.20:2345
token = sEcReT
EOF
miner "miner without a token" '3: no token or token_file in [miner f01000]' \
    'address = 192.0.2.10:2345'
miner "token and token_file" '6: both token and token_file in [miner f01000]' \
    "address = 192.0.2.10:2345
token = $SECRET.1
token_file = @TMP@/token"
miner "token_file and token" '6: both token and token_file in [miner f01000]' \
    "address = 192.0.2.10:2345
token_file = @TMP@/token
token = $SECRET.1"
miner "unreadable token_file" \
    "4: token_file: cannot open $T/nothing: No such file or directory" \
    'token_file = @TMP@/nothing'
miner "relative token_file" \
    '4: bad token_file "token": not an absolute path' 'token_file = token'
printf '%s\n%s\n' "$SECRET.a" "$SECRET.b" >"$T/token2"
miner "token_file of two lines" \
    "4: bad token_file \"$T/token2\": more than one line" \
    'token_file = @TMP@/token2'
: >"$T/token0"
miner "empty token_file" "4: bad token_file \"$T/token0\": empty" \
    'token_file = @TMP@/token0'
printf '%s/x\n' "$SECRET" >"$T/token3"
miner "token_file with a bad token" "4: bad token_file \"$T/token3\": token \
may hold only letters, digits, . _ and -" 'token_file = @TMP@/token3'
miner "token with a bad byte" \
    '4: bad token: may hold only letters, digits, . _ and -' \
    "token = $SECRET!x"
miner "token with a space" \
    '4: bad token: may hold only letters, digits, . _ and -' \
    "token = $SECRET x"
miner "token too long" '4: bad token: longer than 4096 bytes' \
    "token = $SECRET$(awk 'BEGIN { for (i = 0; i < 4091; i++) printf "x" }')"
miner "empty token" '4: bad token: empty value' 'token ='
miner "unknown key in a miner section" \
    '4: unknown key "tokn" in [miner f01000]' 'tokn = x'

# Bad addresses.
for case in \
    '192.0.2.10|expected host:port' \
    '192.0.2.10:0|port must be from 1 to 65535' \
    '192.0.2.10:65536|port must be from 1 to 65535' \
    '192.0.2.10:http|port must be from 1 to 65535' \
    '192.0.2.10:|port must be from 1 to 65535' \
    '192.0.2.300:2345|bad IPv4 address' \
    '2001:db8::1:2345|an IPv6 address needs [brackets]' \
    '[2001:db8::1]2345|expected [IPv6]:port' \
    '[2001:db8::1:2345|no ] after [' \
    '[zz::1]:2345|bad IPv6 address' \
    'miner_1.example.com:2345|bad host name' \
    '-miner.example.com:2345|bad host name' \
    'miner..example.com:2345|bad host name' \
    ':2345|no host'; do
	addr=${case%%|*}
	miner "address $addr" "4: bad address \"$addr\": ${case#*|}" \
	    "address = $addr"
done

miner "API info as address" \
    '4: bad address: expected host:port, not a multiaddr or API info' \
    "address = $SECRET.x:/ip4/192.0.2.10/tcp/2345/http"

# Bad miner ids and duplicate miners.
for case in \
    'f001000|leading zero in the actor number' \
    'f018446744073709551616|actor number too large' \
    'f1000|must start with f0 or t0' \
    'F01000|must start with f0 or t0' \
    'f0|no actor number after f0 or t0' \
    'f01000x|the actor number must be decimal digits'; do
	id=${case%%|*}
	printf '[miner %s]\n' "$id" >"$T/bad.in"
	bad "miner id $id" "1: bad miner id \"$id\": ${case#*|}" <"$T/bad.in"
done
bad "duplicate miner" \
    "4: duplicate miner f01000 (first at $T/bad.conf:1)" <<'EOF'
[miner f01000]
address = 192.0.2.10:2345
token = sEcReT
[miner f01000]
EOF
bad "f and t name the same miner" \
    "4: duplicate miner t01000 (same actor as f01000 at $T/bad.conf:1)" <<'EOF'
[miner f01000]
address = 192.0.2.10:2345
token = sEcReT
[miner t01000]
EOF

# The runtime miners file: a clash with the main file, and its own errors
# named with its own path.
rt=$T/runtime/miners.conf
printf '[miner t01000]\naddress = 192.0.2.20:2345\ntoken = %s.2\n' \
    "$SECRET" >"$rt"
check "$T/runtime.conf"
fails "runtime miner already in the main file" \
    "$rt:1: duplicate miner t01000 (same actor as f01000 at $T/runtime.conf:6)"
printf '[miner f02000]\naddress = 192.0.2.20:2345\ntoken %s\n' \
    "$SECRET" >"$rt"
check "$T/runtime.conf"
fails "bad syntax in miners.conf" "$rt:3: expected \"name = value\""
printf '[miner f02000]\naddress = 192.0.2.20:2345\n' >"$rt"
check "$T/runtime.conf"
fails "runtime miner without a token" "$rt:1: no token in [miner f02000]"
printf '[miner f02000]\naddress = 192.0.2.20:2345\ntoken_file = %s\n' \
    "$T/token" >"$rt"
check "$T/runtime.conf"
fails "no token_file in miners.conf" \
    "$rt:3: unknown key \"token_file\" in [miner f02000]"
printf '[pilot]\nparallel = 2\n' >"$rt"
check "$T/runtime.conf"
fails "no [pilot] in miners.conf" "$rt:1: unknown section [pilot]"
rm -f "$rt"
mkdir "$rt"
check "$T/runtime.conf"
fails "unreadable miners.conf" "cannot read $rt: not a regular file"
rmdir "$rt"
check "$T/runtime.conf"
is "$RC $ERR" "0 " "no miners.conf is no error"

is "$leaks" 0 "no token was shown in any output"
