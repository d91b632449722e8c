#!/bin/bash
# t/stop.t -- stopping vigie: on SIGTERM a transaction in progress is still
# answered and new connections are tempfailed; shutdown_timeout bounds the
# wait; a second signal stops at once; SIGHUP (a reload) does not stop vigie.
. "$srcdir/t/lib/harness.sh"

command -v miltertest >/dev/null 2>&1 || skip_all "miltertest not installed (Debian package miltertest)"
[ -x "$VIGIE" ] || bail "no vigie binary at $VIGIE"

CONF=$T_TMP/vigie.conf
LOG=$T_TMP/vigie.log
cat >"$CONF" <<EOC
log               file:$LOG
pidfile
socket_group
local_domains     example.org
trusted_networks  127.0.0.1/32
rule rcpt  relay-denied    relay=denied          reject 554 5.7.1 "<%{rcpt}>: Relay access denied"
EOC
USER_OPT=()
[ "$(id -u)" -eq 0 ] && USER_OPT=(-o user=nobody)
chmod 777 "$T_TMP"

# A miltertest script: a transaction interrupted by SIGTERM (sent by the
# script itself between MAIL and RCPT), then recipients, then a new connection.
cat >"$T_TMP/drain.lua" <<'EOL'
local function name(r)
	if r == SMFIR_CONTINUE then return "continue" end
	if r == SMFIR_REPLYCODE then return "replycode" end
	return tostring(r)
end
local conn = mt.connect(SOCKET, 40, 0.25)
assert(conn, "cannot connect to " .. SOCKET)
mt.set_timeout(20)
assert(mt.conninfo(conn, "client.example.net", "192.0.2.10") == nil)
assert(mt.helo(conn, "client.example.net") == nil)
assert(mt.mailfrom(conn, "<a@example.net>") == nil)
os.execute("kill -" .. SIG .. " " .. PID)
os.execute("sleep " .. PAUSE)
local err = mt.rcptto(conn, "<u@foreign.example>")
print("rcpt_foreign=" .. (err == nil and name(mt.getreply(conn)) or "error"))
err = mt.rcptto(conn, "<u@example.org>")
print("rcpt_local=" .. (err == nil and name(mt.getreply(conn)) or "error"))
if NEWCONN == "1" then
	local c2 = mt.connect(SOCKET, 1, 0.25)
	if c2 == nil then
		print("new_conn=refused")
	else
		err = mt.conninfo(c2, "other.example.net", "192.0.2.11")
		print("new_conn=" .. (err == nil and name(mt.getreply(c2)) or "error"))
		mt.disconnect(c2)
	end
end
os.execute("sleep " .. HOLD)
mt.disconnect(conn)
EOL

# run_case NAME SIG PAUSE HOLD NEWCONN [vigie -o ...]: start vigie, run the
# script in the background; sets RC (vigie's exit status), SECS (seconds
# from the script's start to vigie's exit) and OUT (the script's output).
# SECOND_SIGNAL_AFTER=N sends vigie another SIGTERM N seconds in.
run_case() {
	_name=$1 _sig=$2 _pause=$3 _hold=$4 _new=$5; shift 5
	: >"$LOG"
	SOCK=$T_TMP/$_name.sock
	"$VIGIE" -f -c "$CONF" -o "socket=unix:$SOCK" "${USER_OPT[@]}" "$@" >>"$T_TMP/stderr" 2>&1 &
	_pid=$!
	T_PIDS="$T_PIDS $_pid"
	_i=0; while [ ! -S "$SOCK" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	_t0=$(date +%s)
	miltertest -s "$T_TMP/drain.lua" -D "SOCKET=unix:$SOCK" -D "PID=$_pid" -D "SIG=$_sig" \
		-D "PAUSE=$_pause" -D "HOLD=$_hold" -D "NEWCONN=$_new" >"$T_TMP/$_name.out" 2>&1 &
	_mt=$!
	T_PIDS="$T_PIDS $_mt"
	if [ -n "${SECOND_SIGNAL_AFTER:-}" ]; then
		(sleep "$SECOND_SIGNAL_AFTER"; kill -TERM "$_pid" 2>/dev/null) &
	fi
	wait "$_pid"
	RC=$?
	SECS=$(( $(date +%s) - _t0 ))
	kill "$_mt" 2>/dev/null
	wait "$_mt" 2>/dev/null
	OUT=$(cat "$T_TMP/$_name.out")
}

# 1. SIGTERM mid-transaction: the transaction is still answered, a new
#    connection is tempfailed, vigie exits 0 once the connection closes.
run_case drain TERM 1 0 1
like "$OUT" "rcpt_foreign=replycode" "after SIGTERM a foreign RCPT is still answered (reject)"
like "$OUT" "rcpt_local=continue" "after SIGTERM a local RCPT is still answered (continue)"
like "$OUT" "new_conn=(replycode|refused)" "a connection opened while stopping is not served"
grep -q "554 5.7.1 <u@foreign.example>: Relay access denied" "$LOG"
ok $? "the reject after SIGTERM is logged with its reply"
if printf '%s' "$OUT" | grep -q "new_conn=replycode"; then
	grep -q "tempfail: CONNECT from other.example.net: 451 4.3.2" "$LOG"
	ok $? "the new connection got 451 4.3.2 (logged)"
else
	ok 0 "the new connection got 451 4.3.2 (the listener was already closed)"
fi
is "$RC" 0 "vigie exits 0 after SIGTERM"
grep -q "SIGTERM: stopping; 1 connection(s) open" "$LOG"
ok $? "the stop is logged with the open connection count"

# 2. shutdown_timeout bounds the wait for a connection that stays open
#    (the client holds it 60 s; libmilter itself needs about 5 s to stop).
run_case timeout TERM 0.2 60 0 -o shutdown_timeout=1
is "$RC" 0 "shutdown_timeout: vigie exits 0"
grep -q "still open (shutdown_timeout)" "$LOG"
ok $? "shutdown_timeout: the cut-off is logged"
[ "$SECS" -le 15 ]
ok $? "shutdown_timeout 1: vigie stopped without waiting for the client (${SECS}s)"

# 3. A second SIGTERM stops at once, even with a long shutdown_timeout.
SECOND_SIGNAL_AFTER=2 run_case twice TERM 0.2 60 0 -o shutdown_timeout=600
is "$RC" 0 "second signal: vigie exits 0"
grep -q "still open (second signal)" "$LOG"
ok $? "a second SIGTERM stops at once, logged"
[ "$SECS" -le 15 ]
ok $? "second signal: stopped in ${SECS}s, not after shutdown_timeout"

# 4. SIGHUP reloads (t/reload.t tests what): vigie keeps serving.
: >"$LOG"
SOCK=$T_TMP/hup.sock
start_vigie "$CONF" "$T_TMP/stderr" -o "socket=unix:$SOCK" "${USER_OPT[@]}"
i=0; while [ ! -S "$SOCK" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -HUP "$VIGIE_PID"
sleep 0.5
kill -0 "$VIGIE_PID" 2>/dev/null
ok $? "vigie survives SIGHUP"
grep -q "reload: .* loaded" "$LOG"
ok $? "SIGHUP reloads the configuration, logged"
cat >"$T_TMP/serve.lua" <<'EOL'
local conn = mt.connect(SOCKET, 40, 0.25)
assert(conn, "connect")
assert(mt.conninfo(conn, "client.example.net", "192.0.2.10") == nil)
assert(mt.helo(conn, "client.example.net") == nil)
assert(mt.mailfrom(conn, "<a@example.net>") == nil)
assert(mt.rcptto(conn, "<u@foreign.example>") == nil)
print(mt.getreply(conn) == SMFIR_REPLYCODE and "served=yes" or "served=no")
mt.disconnect(conn)
EOL
out=$(miltertest -s "$T_TMP/serve.lua" -D "SOCKET=unix:$SOCK" 2>&1)
like "$out" "served=yes" "after SIGHUP vigie still answers"
stop_vigie
is "$VIGIE_STATUS" 0 "then SIGTERM stops it with status 0"
no_sanitizer_report "$T_TMP/stderr" "no sanitizer report"

done_testing
