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
# A second DNS server that reads queries and never answers (the first, port
# 9, refuses them): per-server counters tell the two apart.
MUTE=$(free_port) || bail "no free port"
perl -MIO::Socket::INET -e '$SIG{TERM} = sub { exit 0 };
	my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $ARGV[0], Proto => "udp") or die $!;
	my $b; while (1) { $s->recv($b, 4096) }' "$MUTE" &
MUTE_PID=$!
at_exit "kill $MUTE_PID 2>/dev/null; wait $MUTE_PID 2>/dev/null"
chmod 777 "$T_TMP"
cat >"$T_TMP/vigie.conf" <<EOC
socket            unix:$SOCK
log               file:$LOG
pidfile
socket_group
stats_listen      127.0.0.1:$PORT
local_domains     example.org
trusted_networks  127.0.0.1/32
resolver          127.0.0.1:9, 127.0.0.1:$MUTE
dns_timeout       100ms
dns_attempts      2
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
is "$(metric 'vigie_dns_failures_total{kind="timeout"}')" 3 "DNS failures counted by kind"
is "$(metric "vigie_dns_server_queries_total{server=\"127.0.0.1:9\",proto=\"udp\"}")" 3 "per server: queries to the first server"
is "$(metric "vigie_dns_server_errors_total{server=\"127.0.0.1:9\",kind=\"network\"}")" 3 "per server: the first refused them (network errors)"
is "$(metric "vigie_dns_server_queries_total{server=\"127.0.0.1:$MUTE\",proto=\"udp\"}")" 3 "per server: the second attempt went to the second server"
is "$(metric "vigie_dns_server_errors_total{server=\"127.0.0.1:$MUTE\",kind=\"timeout\"}")" 3 "per server: the second timed out"
is "$(metric "vigie_dns_server_answers_total{server=\"127.0.0.1:$MUTE\"}")" 0 "per server: no answers"
is "$(metric 'vigie_stage_seconds_count{stage="rcpt"}')" 9 "RCPT latency: nine observations"
is "$(metric 'vigie_stage_seconds_bucket{stage="rcpt",le="+Inf"}')" 9 "RCPT latency histogram: +Inf bucket holds all"
like "$RESP" '# TYPE vigie_stage_seconds histogram' "latency is a histogram"
get /other
like "$RESP" "^HTTP/1.[01] 404" "another path: 404"
get /metrics POST
like "$RESP" "^HTTP/1.[01] 405" "POST: 405"

kill -USR1 "$VIGIE_PID"
i=0; while ! grep -q "stats: dns server 127.0.0.1:$MUTE " "$LOG" && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
like "$(grep 'stats: decisions' "$LOG")" "rcpt.reject=3( |$)" "SIGUSR1 dumps the decisions to the log"
like "$(grep 'stats: rules' "$LOG")" "relay-denied=3" "SIGUSR1 dumps the rules fired"
like "$(grep "stats: dns server 127.0.0.1:$MUTE " "$LOG")" "udp=3 tcp=0 answers=0 timeouts=3" "SIGUSR1 dumps the per-server DNS counters"
kill -0 "$VIGIE_PID"
ok $? "vigie keeps running after SIGUSR1"
stop_vigie
is "$VIGIE_STATUS" 0 "SIGTERM: exit 0"

# The same endpoint on a Unix socket (mode 0660, made by the run user).
USOCK=$T_TMP/stats.sock
start_vigie "$T_TMP/vigie.conf" "$T_TMP/stderr2" "${USER_OPT[@]}" -o "socket=unix:$T_TMP/v2.sock" \
	-o "stats_listen=unix:$USOCK"
i=0; while [ ! -S "$USOCK" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
is "$(stat -c %a "$USOCK" 2>&1)" 660 "stats_listen unix:PATH: a socket with mode 0660"
[ "$(id -u)" -eq 0 ] && is "$(stat -c %U "$USOCK")" nobody "... owned by the run user"
RESP=$(perl -MIO::Socket::UNIX -e '
	my $s = IO::Socket::UNIX->new(Peer => $ARGV[0], Type => SOCK_STREAM) or die "connect: $!";
	print $s "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
	local $/; my $r = <$s>; $r =~ s/\r//g; print $r' "$USOCK" 2>&1)
like "$RESP" "^HTTP/1.[01] 200" "GET /metrics over the Unix socket: 200"
like "$RESP" "vigie_connections_total 0" "... the counters"
stop_vigie
[ ! -e "$USOCK" ]; ok $? "the stats socket is removed at exit"
printf 'not a socket\n' >"$T_TMP/plain"
out=$("$VIGIE" -f -c "$T_TMP/vigie.conf" -o "socket=unix:$T_TMP/b.sock" -o "stats_listen=unix:$T_TMP/plain" \
	"${USER_OPT[@]}" -o log=stderr 2>&1)
is "$?" 78 "stats_listen on a file that is not a socket: exit 78"
like "$out" "exists and is not a socket" "... and says why"
is "$(cat "$T_TMP/plain")" "not a socket" "... and leaves the file alone"

# A bad stats_listen is a start-up error, said clearly.
out=$("$VIGIE" -f -c "$T_TMP/vigie.conf" -o "socket=unix:$T_TMP/b.sock" -o stats_listen=nonsense "${USER_OPT[@]}" -o log=stderr 2>&1)
is "$?" 78 "a bad stats_listen: exit 78"
like "$out" "stats_listen nonsense: expected ADDRESS:PORT" "... and says why"

done_testing
