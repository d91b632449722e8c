#!/bin/bash
# t/reload.t -- SIGHUP reloads the configuration: new connections take the
# new one, a connection in flight finishes on the one it started with, a
# broken file is reported (file:line:col) and the running configuration
# stays, and SIGHUPs under parallel load drop no transaction.
. "$srcdir/t/lib/harness.sh"

command -v miltertest >/dev/null 2>&1 || skip_all "miltertest not installed (Debian package miltertest)"
[ -x "$VIGIE" ] || bail "no vigie binary at $VIGIE"

CONF=$T_TMP/vigie.conf
LOG=$T_TMP/vigie.log
SOCK=$T_TMP/vigie.sock
chmod 777 "$T_TMP"
# write_conf TEXT: the config, its relay reply text being TEXT.
write_conf() {
	cat >"$CONF.new" <<EOC
socket            unix:$SOCK
log               file:$LOG
pidfile
socket_group
local_domains     example.org
trusted_networks  127.0.0.1/32
rule rcpt  relay-denied    relay=denied          reject 554 5.7.1 "$1"
EOC
	mv "$CONF.new" "$CONF"
}
write_conf "config-A"
USER_OPT=()
[ "$(id -u)" -eq 0 ] && USER_OPT=(-o user=nobody)
: >"$LOG"
start_vigie "$CONF" "$T_TMP/stderr" "${USER_OPT[@]}"
i=0; while [ ! -S "$SOCK" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$SOCK" ] || bail "vigie did not start"

# A session: connect, MAIL, then (after an optional pause, while the test
# reloads) a foreign RCPT; prints "reply=replycode" or what came.
cat >"$T_TMP/session.lua" <<'EOL'
local conn = mt.connect(SOCKET, 40, 0.1)
assert(conn, "connect")
mt.set_timeout(20)
assert(mt.conninfo(conn, "client.example.net", "192.0.2.10") == nil)
assert(mt.helo(conn, "client.example.net") == nil)
assert(mt.mailfrom(conn, "<a@clean.test>") == nil)
if PAUSE ~= "0" then os.execute("touch " .. READY .. "; sleep " .. PAUSE) end
local err = mt.rcptto(conn, "<u" .. TAG .. "@foreign.example>")
print("reply=" .. (err == nil and (mt.getreply(conn) == SMFIR_REPLYCODE and "replycode" or "other") or "error"))
mt.disconnect(conn)
EOL
session() { # session TAG PAUSE: run one session, output in OUT
	OUT=$(miltertest -s "$T_TMP/session.lua" -D "SOCKET=unix:$SOCK" -D "TAG=$1" -D "PAUSE=$2" \
		-D "READY=$T_TMP/ready.$1" 2>&1)
}
# logged TAG: the reply text logged for recipient u<TAG>@foreign.example
logged() { grep -o "554 5.7.1 [^;]*; from=<[^>]*> to=<u$1@foreign.example>" "$LOG" | head -1 | cut -d' ' -f3- | cut -d';' -f1; }

session 1 0
like "$OUT" "reply=replycode" "before the reload: relay refused"
is "$(logged 1)" "config-A" "before the reload: the old text"

# A connection in flight across the reload keeps its configuration.
session 2 3 &
SPID=$!
i=0; while [ ! -e "$T_TMP/ready.2" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
write_conf "config-B"
kill -HUP "$VIGIE_PID"
i=0; while ! grep -q "reload: .* loaded" "$LOG" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
grep -q "reload: $CONF loaded" "$LOG"
ok $? "SIGHUP: the new configuration is loaded (logged)"
session 3 0
is "$(logged 3)" "config-B" "after the reload: a new connection takes the new configuration"
wait "$SPID"
is "$(logged 2)" "config-A" "the connection in flight finished on the configuration it started with"

# A broken file: reported, the running configuration stays.
printf 'socket unix:%s\nno_such_key 1\nrule rcpt bad relay=denied refuse\n' "$SOCK" >"$CONF"
kill -HUP "$VIGIE_PID"
i=0; while ! grep -q "running configuration stays" "$LOG" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
grep -q "reload: $CONF:2:1: unknown key 'no_such_key'" "$LOG"
ok $? "a broken file: its error is logged with file:line:col"
grep -q "reload: $CONF:3:.*unknown action 'refuse'" "$LOG"
ok $? "... every error of it"
grep -q "reload: 2 errors in $CONF; the running configuration stays" "$LOG"
ok $? "... and the running configuration stays"
session 4 0
is "$(logged 4)" "config-B" "after a failed reload: still the last good configuration"
kill -0 "$VIGIE_PID"
ok $? "vigie still runs"

# SIGHUP under load: 40 sessions in parallel while reloading again and
# again; every RCPT is answered, none dropped.
write_conf "config-C"
pids=""
for n in $(seq 100 139); do
	(session "$n" 0.3; printf '%s\n' "$OUT" >"$T_TMP/load.$n") &
	pids="$pids $!"
done
for k in 1 2 3 4 5 6 7 8; do kill -HUP "$VIGIE_PID"; sleep 0.1; done
wait $pids
answered=$(cat "$T_TMP"/load.* | grep -c "reply=replycode")
is "$answered" 40 "SIGHUP under load: all 40 transactions answered"
n_logged=$(grep -c "to=<u1[0-3][0-9]@foreign.example>" "$LOG")
is "$n_logged" 40 "... and each logged once"
kill -0 "$VIGIE_PID"
ok $? "vigie still runs after 8 reloads under load"
[ "$(grep -c 'reload: .* loaded' "$LOG")" -ge 9 ]
ok $? "every reload logged ($(grep -c 'reload: .* loaded' "$LOG"))"
stop_vigie
is "$VIGIE_STATUS" 0 "SIGTERM afterwards: exit 0"
no_sanitizer_report "$T_TMP/stderr" "no sanitizer report"

# reload_check: a changed file: list is noticed and the configuration
# reloaded, without a signal; a broken one is reported once and the running
# configuration stays; reload_check 0 watches nothing.
LIST=$T_TMP/domains.list
printf 'example.org\n' >"$LIST"
cat >"$CONF" <<EOC
socket            unix:$SOCK
log               file:$LOG
pidfile
socket_group
local_domains     file:$LIST
trusted_networks  127.0.0.1/32
reload_check      1
rule rcpt  relay-denied    relay=denied          reject 554 5.7.1 "denied"
EOC
cat >"$T_TMP/rcpt.lua" <<'EOL'
local conn = mt.connect(SOCKET, 40, 0.1)
assert(conn, "connect")
assert(mt.conninfo(conn, "client.example.net", "192.0.2.10") == nil)
assert(mt.helo(conn, "client.example.net") == nil)
assert(mt.mailfrom(conn, "<a@clean.test>") == nil)
assert(mt.rcptto(conn, RCPT) == nil)
print(mt.getreply(conn) == SMFIR_REPLYCODE and "refused" or "accepted")
mt.disconnect(conn)
EOL
rcpt() { miltertest -s "$T_TMP/rcpt.lua" -D "SOCKET=unix:$SOCK" -D "RCPT=<$1>" 2>&1; }
# wait_for PATTERN: up to 5 s for a log line
wait_for() { i=0; while ! grep -q "$1" "$LOG" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; }
: >"$LOG"
start_vigie "$CONF" "$T_TMP/stderr" "${USER_OPT[@]}"
i=0; while [ ! -S "$SOCK" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
is "$(rcpt u@new.example)" refused "reload_check: new.example not yet ours"
sleep 1.1   # a new mtime, whatever the file system's timestamp granularity
printf 'example.org\nnew.example\n' >"$LIST"
wait_for "reload: $CONF loaded"
like "$(grep 'reload: ' "$LOG" | head -1)" "reload: $LIST changed" "the changed list is noticed and named"
is "$(rcpt u@new.example)" accepted "... and reloaded without a signal: new.example is ours"
printf 'example.org\nbad\001domain\n' >"$LIST"
wait_for "running configuration stays"
grep -q "reload: $LIST:2:4: control or non-ASCII byte" "$LOG"
ok $? "a broken list: the error is logged with file:line:col"
is "$(rcpt u@new.example)" accepted "... and the running configuration stays"
sleep 2.5
is "$(grep -c 'running configuration stays' "$LOG")" 1 "... reported once, not at every check"
printf 'example.org\n' >"$LIST"
i=0; while [ "$(grep -c "reload: $CONF loaded" "$LOG")" -lt 2 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(grep -c "reload: $CONF loaded" "$LOG")" -eq 2 ]
ok $? "fixed: reloaded again"
is "$(rcpt u@new.example)" refused "... new.example is no longer ours"
stop_vigie
sed -i 's/^reload_check .*/reload_check      0/' "$CONF"
: >"$LOG"
start_vigie "$CONF" "$T_TMP/stderr" "${USER_OPT[@]}"
i=0; while [ ! -S "$SOCK" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
sleep 1.1
printf 'example.org\nnew.example\n' >"$LIST"
sleep 2.5
is "$(rcpt u@new.example)" refused "reload_check 0: a changed list waits for SIGHUP"
kill -HUP "$VIGIE_PID"
wait_for "reload: $CONF loaded"
is "$(rcpt u@new.example)" accepted "... which loads it"
stop_vigie

done_testing
