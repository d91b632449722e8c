#!/bin/bash
# t/faults-mta.t -- faults on the MTA side, through the running daemon:
# clients that vanish in the middle of a transaction (after MAIL, after
# RCPT, at the end of the message), 2,000 milter connections opened at
# once (vigie keeps serving; file descriptors and threads come back to
# where they were), and a second SIGHUP arriving while a reload runs (the
# last configuration wins).  The MTA is the raw client of t/milter.t.
# (t/milter/06-missing.lua and 07-abort.lua cover missing macros, ABORT
# then a new transaction, and drops at each stage; t/reload.t covers
# reloads under load.)
srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/t/lib/harness.sh"
. "$srcdir/t/lib/faults-lib.sh"

command -v perl >/dev/null 2>&1 || skip_all "perl not installed"
[ -x "$VIGIE" ] || bail "no vigie binary at $VIGIE"
faults_raw_client || bail "the raw milter client t/lib/raw-milter.pl does not run"

CONF=$T_TMP/vigie.conf
LOG=$T_TMP/vigie.log
PORT=$(free_port) || bail "no free port"
SI="inet:$PORT@127.0.0.1"
USER_OPT=()
[ "$(id -u)" -eq 0 ] && USER_OPT=(-o user=nobody)
chmod 777 "$T_TMP"
# write_conf TEXT [LOCAL-DOMAINS]: the config; its relay reply text is TEXT.
write_conf() {
	cat >"$CONF.new" <<EOC
socket            $SI
log               file:$LOG
pidfile
local_domains     ${2:-example.org}
trusted_networks  127.0.0.1/32
rule rcpt  relay-denied    relay=denied          reject 554 5.7.1 "$1"
EOC
	mv "$CONF.new" "$CONF"
}
write_conf "config-A"
: >"$LOG"
start_vigie "$CONF" "$T_TMP/stderr" "${USER_OPT[@]}"
wait_port "$PORT" 100 || bail "vigie did not start: $(cat "$T_TMP/stderr")"

# served TAG: a whole transaction; RAW_RCPT is the answer to a foreign RCPT.
served() { raw_session "$SI" 192.0.2.10 client.example.net a@client.example.net "u$1@foreign.example"; }
served 0
like "$RAW_RCPT" '^y 554 5\.7\.1 config-A$' "a transaction is served"
# Let libmilter's pool settle before the baseline.
sleep 1
FD0=$(fd_count "$VIGIE_PID")
TH0=$(thread_count "$VIGIE_PID")
diag "baseline: $FD0 fds, $TH0 threads"

# ---- clients that vanish mid-transaction ----------------------------------
TAB=$'\t'
CONN4="conn${TAB}client.example.net${TAB}4${TAB}12345${TAB}192.0.2.10"
for stop in mail rcpt eom-less; do
	case $stop in
	mail) cmds="neg\n$CONN4\nhelo\tx.example.net\nmail\t<a@b.example>\n" ;;
	rcpt) cmds="neg\n$CONN4\nhelo\tx.example.net\nmail\t<a@b.example>\nrcpt\t<u@example.org>\n" ;;
	eom-less) cmds="neg\n$CONN4\nhelo\tx.example.net\nmail\t<a@b.example>\nrcpt\t<u@example.org>\ndata\neoh\n" ;;
	esac
	# 20 such clients at once, each closing its socket without QUIT.
	pids=""
	for i in $(seq 20); do
		printf "$cmds" | RAW_TIMEOUT=5 perl "$FAULTS_RAW" "$SI" >/dev/null 2>&1 &
		pids="$pids $!"
	done
	wait $pids
	served "$stop"
	like "$RAW_RCPT" '^y 554 5\.7\.1 config-A$' "20 clients gone after ${stop/eom-less/the headers (no end of message)}: the next one is served"
done

# ---- 2,000 connections at once -----------------------------------------------
# Open them all, then negotiate and send CONNECT/HELO/MAIL/RCPT on each, then
# read every answer; vigie may refuse some (its descriptor limit), but must
# answer or close each, never hang, and must serve again afterwards.
cat >"$T_TMP/flood.pl" <<'PERL'
use strict; use warnings; use IO::Socket::INET; use IO::Select;
my ($port, $n) = @ARGV;
my @s;
for (1 .. $n) {
	my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp', Timeout => 10);
	push @s, $c if $c;
}
$SIG{PIPE} = 'IGNORE';
sub pkt { my ($c, $d) = @_; return pack('N', length($d) + 1) . $c . $d; }
# Without SMFIP_NR_* (protocol 0): every stage answers.
my $msg = pkt('O', pack('NNN', 6, 0x1FF, 0)) .
	pkt('C', "client.example.net\0" . '4' . pack('n', 12345) . "192.0.2.10\0") .
	pkt('H', "x.example.net\0") . pkt('M', "<a\@b.example>\0") . pkt('R', "<u\@foreign.example>\0");
for my $c (@s) { syswrite($c, $msg); }
my ($answered, $closed, $silent) = (0, 0, 0);
my $deadline = time + 60;
my $sel = IO::Select->new(@s);
my %buf;
while ($sel->count && time < $deadline) {
	for my $c ($sel->can_read(1)) {
		my $r = sysread($c, $buf{$c}, 65536, length($buf{$c} // ''));
		if (!$r) { $closed++; $sel->remove($c); next; }
		# the 5th reply (RCPT) is a reply code packet 'y'
		my ($off, $k, $got) = (0, 0, 0);
		my $b = $buf{$c};
		while (length($b) - $off >= 5) {
			my $len = unpack('N', substr($b, $off, 4));
			last if length($b) - $off < 4 + $len;
			$k++;
			$got = 1 if $k == 5 && substr($b, $off + 4, 1) eq 'y';
			$off += 4 + $len;
		}
		if ($got) { $answered++; $sel->remove($c); }
	}
}
$silent = $sel->count;
print "opened=", scalar(@s), " answered=$answered closed=$closed silent=$silent\n";
close $_ for @s;
PERL
out=$( (ulimit -n 8192; perl "$T_TMP/flood.pl" "$PORT" 2000) 2>&1)
diag "2,000 connections: $out"
opened=$(printf '%s' "$out" | sed -n 's/.*opened=\([0-9]*\).*/\1/p')
answered=$(printf '%s' "$out" | sed -n 's/.*answered=\([0-9]*\).*/\1/p')
silent=$(printf '%s' "$out" | sed -n 's/.*silent=\([0-9]*\).*/\1/p')
[ "${opened:-0}" -eq 2000 ]
ok $? "2,000 connections opened at once (${opened:-0})"
[ "${answered:-0}" -ge 1 ] && [ "${silent:-1}" -eq 0 ]
ok $? "each was answered or closed, none left hanging (answered ${answered:-?}, silent ${silent:-?})"
kill -0 "$VIGIE_PID" 2>/dev/null
ok $? "vigie still runs"
served flood
like "$RAW_RCPT" '^y 554 5\.7\.1 config-A$' "after the 2,000 connections a transaction is served"
# descriptors and threads come back (libmilter ends a session's thread
# when its connection closes)
i=0
while [ $i -lt 100 ]; do
	fd=$(fd_count "$VIGIE_PID"); th=$(thread_count "$VIGIE_PID")
	[ "$fd" -le $((FD0 + 2)) ] && [ "$th" -le $((TH0 + 2)) ] && break
	sleep 0.2; i=$((i + 1))
done
[ "$fd" -le $((FD0 + 2)) ]
ok $? "file descriptors back to the baseline ($fd now, $FD0 before)"
[ "$th" -le $((TH0 + 2)) ]
ok $? "threads back to the baseline ($th now, $TH0 before)"

# ---- a second SIGHUP while a reload runs -------------------------------------
# A configuration with a large list makes a reload take a while; B is
# written and signalled, then C is written and signalled twice, while B
# loads.  libmilter's own signal thread also waits for SIGHUP and stops the
# milter when it gets one: vigie must take every SIGHUP itself, even in the
# middle of a reload, and C is what runs in the end.
BIG=$T_TMP/big.list
awk 'BEGIN { for (i = 0; i < 200000; i++) printf "d%d.example\n", i }' >"$BIG"
write_conf "config-B" "example.org, file:$BIG"
t0=$(now_ms); "$VIGIE" -n -c "$CONF" >/dev/null 2>&1; ok $? "the configuration with 200,000 local domains is valid"
diag "loading it takes $(( $(now_ms) - t0 )) ms (vigie -n)"
l0=$(grep -c 'reload: .* loaded' "$LOG")
kill -HUP "$VIGIE_PID"
sed -i 's/config-B/config-C/' "$CONF"
kill -HUP "$VIGIE_PID"
sleep 0.01
kill -HUP "$VIGIE_PID"
i=0
while [ "$(grep -c 'reload: .* loaded' "$LOG")" -lt $((l0 + 2)) ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
n=$(( $(grep -c 'reload: .* loaded' "$LOG") - l0 ))
[ "$n" -ge 1 ]
ok $? "two SIGHUPs back to back: reloaded ($n reload(s) logged)"
served hup
like "$RAW_RCPT" '^y 554 5\.7\.1 config-C$' "the configuration written before the second SIGHUP runs"
kill -0 "$VIGIE_PID" 2>/dev/null
ok $? "vigie still runs"

# ---- SIGTERM while a reload runs ---------------------------------------------
# libmilter's signal thread waits for SIGTERM too, and would stop at once
# (sessions in flight unanswered): vigie must take it even in the middle of
# a reload, and stop its own way (drain, "SIGTERM: stopping" logged).
# A list of 1,000,000 domains makes that reload last (~0.1 s here).
awk 'BEGIN { for (i = 0; i < 1000000; i++) printf "d%d.example\n", i }' >"$BIG"
sed -i 's/config-C/config-D/' "$CONF"
kill -HUP "$VIGIE_PID"
sleep 0.03
kill -TERM "$VIGIE_PID"
i=0; while kill -0 "$VIGIE_PID" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$VIGIE_PID" 2>/dev/null && kill -9 "$VIGIE_PID"
wait "$VIGIE_PID"
VIGIE_STATUS=$?
VIGIE_PID=""
grep -q "SIGTERM: stopping" "$LOG"
ok $? "SIGTERM during a reload: vigie's own stop (drain), not libmilter's"
is "$VIGIE_STATUS" 0 "vigie exits 0 on SIGTERM"
no_sanitizer_report "$T_TMP/stderr" "no sanitizer report"
done_testing
