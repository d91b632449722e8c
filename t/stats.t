#!/bin/bash
# t/stats.t -- statistics: counters per check result, per rule fired, per
# stage and reply class, DNS work and per-stage latency histograms, served
# in the Prometheus text format on stats_listen (loopback) and dumped to the
# log on SIGUSR1.
. "$srcdir/t/lib/harness.sh"

command -v miltertest >/dev/null 2>&1 || skip_all "miltertest not installed (Debian package miltertest)"
[ -x "$VIGIE" ] || bail "no vigie binary at $VIGIE"

SOCK=$T_TMP/vigie.sock
LOG=$T_TMP/vigie.log
PORT=$(free_port) || bail "no free port"
chmod 777 "$T_TMP"
cat >"$T_TMP/vigie.conf" <<EOC
socket            unix:$SOCK
log               file:$LOG
pidfile
socket_group
stats_listen      127.0.0.1:$PORT
local_domains     example.org
trusted_networks  127.0.0.1/32
resolver          127.0.0.1:9
dns_timeout       100ms
dns_attempts      1
rule rcpt  relay-denied    relay=denied          reject 554 5.7.1 "<%{rcpt}>: Relay access denied"
rule rcpt  postmaster      rcpt_postmaster=yes   accept
rule mail  fcrdns          rdns=none,ptr-only,tempfail warn "no rDNS"
EOC
USER_OPT=()
[ "$(id -u)" -eq 0 ] && USER_OPT=(-o user=nobody)
start_vigie "$T_TMP/vigie.conf" "$T_TMP/stderr" "${USER_OPT[@]}"
i=0; while [ ! -S "$SOCK" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
wait_port "$PORT" || bail "the statistics endpoint does not listen"

# get PATH [METHOD]: the HTTP response (status line, headers, body) in RESP.
get() {
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
	printf '%s %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "${2:-GET}" "$1" >&3
	RESP=$(tr -d '\r' <&3)
	exec 3<&-
}
metric() { printf '%s\n' "$RESP" | grep -v '^#' | grep -F "$1 " | head -1 | awk '{print $NF}'; }

get /metrics
like "$RESP" "^HTTP/1.[01] 200" "GET /metrics: 200"
like "$RESP" "Content-Type: text/plain; version=0.0.4" "Prometheus text format"
is "$(metric 'vigie_connections_total')" 0 "no connection yet"

cat >"$T_TMP/s.lua" <<'EOL'
local conn = mt.connect(SOCKET, 40, 0.1)
assert(conn)
assert(mt.conninfo(conn, "client.example.net", "192.0.2.10") == nil)
assert(mt.helo(conn, "client.example.net") == nil)
assert(mt.mailfrom(conn, "<a@clean.test>") == nil)
assert(mt.rcptto(conn, "<u@foreign.example>") == nil)
assert(mt.rcptto(conn, "<u@example.org>") == nil)
assert(mt.rcptto(conn, "<postmaster@example.org>") == nil)
mt.disconnect(conn)
EOL
for n in 1 2 3; do miltertest -s "$T_TMP/s.lua" -D "SOCKET=unix:$SOCK" >/dev/null 2>&1; done
sleep 0.3
get /metrics
is "$(metric 'vigie_connections_total')" 3 "three connections counted"
is "$(metric 'vigie_decisions_total{stage="rcpt",action="reject"}')" 3 "three RCPT rejections (reply class 5xx)"
is "$(metric 'vigie_decisions_total{stage="rcpt",action="accept"}')" 6 "six RCPT accepts"
is "$(metric 'vigie_rules_fired_total{rule="relay-denied"}')" 3 "rule relay-denied fired three times"
is "$(metric 'vigie_rules_fired_total{rule="postmaster"}')" 3 "rule postmaster fired three times"
is "$(metric 'vigie_check_results_total{check="relay",result="denied"}')" 3 "check relay=denied counted"
is "$(metric 'vigie_check_results_total{check="relay",result="local"}')" 6 "check relay=local counted"
is "$(metric 'vigie_check_results_total{check="rdns",result="tempfail"}')" 3 "check rdns=tempfail counted (no DNS server)"
is "$(metric 'vigie_dns_lookups_total')" 3 "DNS lookups counted"
is "$(metric 'vigie_dns_failures_total{kind="other"}')" 3 "DNS failures counted by kind"
is "$(metric 'vigie_stage_seconds_count{stage="rcpt"}')" 9 "RCPT latency: nine observations"
is "$(metric 'vigie_stage_seconds_bucket{stage="rcpt",le="+Inf"}')" 9 "RCPT latency histogram: +Inf bucket holds all"
like "$RESP" '# TYPE vigie_stage_seconds histogram' "latency is a histogram"
get /other
like "$RESP" "^HTTP/1.[01] 404" "another path: 404"
get /metrics POST
like "$RESP" "^HTTP/1.[01] 405" "POST: 405"

kill -USR1 "$VIGIE_PID"
i=0; while ! grep -q "stats: rules" "$LOG" && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
like "$(grep 'stats: decisions' "$LOG")" "rcpt.reject=3( |$)" "SIGUSR1 dumps the decisions to the log"
like "$(grep 'stats: rules' "$LOG")" "relay-denied=3" "SIGUSR1 dumps the rules fired"
kill -0 "$VIGIE_PID"
ok $? "vigie keeps running after SIGUSR1"
stop_vigie
is "$VIGIE_STATUS" 0 "SIGTERM: exit 0"

# A bad stats_listen is a start-up error, said clearly.
out=$("$VIGIE" -f -c "$T_TMP/vigie.conf" -o "socket=unix:$T_TMP/b.sock" -o stats_listen=nonsense "${USER_OPT[@]}" -o log=stderr 2>&1)
is "$?" 78 "a bad stats_listen: exit 78"
like "$out" "stats_listen nonsense: expected ADDRESS:PORT" "... and says why"

done_testing
