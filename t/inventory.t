#!/bin/sh
# inventory.t: a worker's hostname must be exactly one inventory host
# before anything runs on it (issue 5): unknown hosts and group names
# make a worker ineligible with a message; a failing inventory command
# is reported.

. "${top_srcdir:-.}/t/libtap.sh"
tap_tmpdir
plan 7

tap_cleanup_hook() {
	sim_stop
}
sim_start "$TAP_TMP/ports.json"

# What ansible-inventory --list prints: worker-03 is a group name here,
# worker-02 is missing, worker-01 and worker-04 are hosts.
cat > "$TAP_TMP/inv.json" <<'JSON'
{"_meta": {"hostvars": {"worker-01": {}, "worker-04": {}}},
 "all": {"children": ["ungrouped", "sealers", "worker-03"]},
 "sealers": {"hosts": ["worker-01", "worker-04"]},
 "worker-03": {"hosts": ["worker-01"]}}
JSON
daemon_config "$TAP_TMP/pilot.conf" "poll_interval = 1s" \
    "inventory_command = cat $TAP_TMP/inv.json" \
    "template_dir = $top_srcdir/templates"
sim_miners "$TAP_TMP/pilot.conf"
daemon_start "$TAP_TMP/pilot.conf" || bail "daemon did not start"
miners_up || bail "miners not up"

ctl switch new f01000 f01001 count all dry-run
like "$OUT" "would leave 2254c8b4-32bf-4066-82f1-1c50ee87b8e6 worker-02: not a host of the inventory" \
    "a host missing from the inventory is not picked"
like "$OUT" "would leave 18bb6f76-2ae5-4a0f-af77-76d29fcb79b5 worker-03: names an inventory group, not one host" \
    "a hostname that is a group is not picked"
like "$OUT" "would move 30ace989-0fa1-4c30-809b-07b1859e1b6f worker-04" \
    "an inventory host is picked"
ctl switch new f01000 f01001 worker worker-02
is "$RC:$ERR" "1:pilotctl: conflict: worker worker-02 (2254c8b4-32bf-4066-82f1-1c50ee87b8e6) cannot be moved: not a host of the inventory" \
    "naming a host outside the inventory is refused"
[ -e "$TAP_TMP/state/switch.json" ]
is $? 1 "and nothing is saved"

daemon_stop
sed -i "s|^inventory_command = .*|inventory_command = false|" "$TAP_TMP/pilot.conf"
daemon_start "$TAP_TMP/pilot.conf" || bail "daemon did not restart"
sleep 1.5
ctl switch new f01000 f01001 count 1 dry-run
like "$ERR" "would leave .* worker-04: false: exit status 1" \
    "a failing inventory command is named as the reason"
daemon_stop
is "$DAEMON_STATUS" 0 "the daemon exits 0 (no leak, no error)"
