#!/bin/bash
# t/faults-dns.t -- DNS faults end to end, through the running daemon: vigie
# (the shipped rules) resolves through a DNS server that misbehaves on
# purpose (t/lib/faults-dns.pl; it passes every other question to the test
# DNS world), and a milter client plays the MTA (the raw client of
# t/milter.t).  For each fault and each check that meets it (sender_domain,
# spf, dnsbl, rdns): the documented reply at RCPT, within the DNS budget,
# one log line for the transaction (no flood), and vigie keeps serving.
# (t/dns.t tests the same faults at the library level.)
srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/t/lib/harness.sh"
. "$srcdir/t/lib/postfix.sh"
. "$srcdir/t/lib/faults-lib.sh"

why=$(dns_missing) || skip_all "$why"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (vigie runs as user nobody)"
[ -x "$VIGIE" ] || bail "no vigie binary at $VIGIE"
faults_raw_client || bail "the raw milter client t/lib/raw-milter.pl does not run"
dns_start || bail "cannot start the test DNS world"

FAKE=$(free_port) || bail "no free port"
perl "$srcdir/t/lib/faults-dns.pl" "$FAKE" "$DNS_PORT" >"$T_TMP/faults-dns.log" 2>&1 &
FAKE_PID=$!
T_PIDS="$T_PIDS $FAKE_PID"
wait_port "$FAKE" 50 || bail "the faulty DNS server does not start: $(cat "$T_TMP/faults-dns.log")"

# dns_timeout 300ms x 10 attempts would wait 3 s for a lookup; the budget
# (600 ms a stage) must cut that.
BUDGET_MS=600
LIMIT_MS=$((BUDGET_MS + 1400))
# shellcheck disable=SC2034 # read by e2e_vigie_start (t/lib/postfix.sh)
E2E_VIGIE_EXTRA=(-o "resolver=127.0.0.1:$FAKE" -o dns_timeout=300ms -o dns_attempts=10 -o "dns_budget=${BUDGET_MS}ms"
	-o "dnsbl=bl.fault.test"
	-o 'rule=mail fcrdns-dns rdns=tempfail trusted=no auth=no tempfail 450 4.7.25 "Client host rejected: cannot find your reverse hostname"')
e2e_vigie_start "" || bail "cannot start vigie"
SI="inet:$VIGIE_PORT@127.0.0.1"
diag "vigie on $VIGIE_PORT, faulty DNS on $FAKE, test world on $DNS_PORT"

# clean: a clean transaction (a client with FCrDNS, a sender domain with
# an MX and an SPF policy that allows the client) is accepted.
clean() {
	raw_session "$SI" 192.0.2.10 mail.good.test someone@clean.test user@example.org
	is "$RAW_RCPT" c "$1"
}
clean "before any fault: a clean transaction is accepted"
sleep 0.5
FD0=$(fd_count "$VIGIE_PID")
TH0=$(thread_count "$VIGIE_PID")

N=0
# fcase CHECK KIND IP SENDER FAULT-NAME WANT-REGEX: one transaction meeting a fault.
fcase() {
	_check=$1 _kind=$2 _ip=$3 _from=$4 _fname=$5 _want=$6
	N=$((N + 1))
	_rcpt="u$N@example.org"
	_l0=$(wc -l <"$VIGIE_LOG")
	raw_session "$SI" "$_ip" mail.good.test "$_from" "$_rcpt"
	like "$RAW_RCPT" "$_want" "$_check, $_kind: RCPT gets '$_want' (${RAW_MS} ms)"
	grep -q "^fault $_kind $_fname " "$T_TMP/faults-dns.log"
	ok $? "$_check, $_kind: the server did send that fault for $_fname"
	[ "$RAW_MS" -lt "$LIMIT_MS" ]
	ok $? "$_check, $_kind: answered within the DNS budget (${RAW_MS} ms < $BUDGET_MS + 1400)"
	sleep 0.05
	_new=$(tail -n +$((_l0 + 1)) "$VIGIE_LOG")
	_dec=$(printf '%s\n' "$_new" | grep -c "to=<$_rcpt>")
	_all=$(printf '%s\n' "$_new" | grep -c .)
	[ "$_dec" -eq 1 ] && [ "$_all" -le 2 ]
	_st=$?
	ok $_st "$_check, $_kind: logged once ($_dec decision line(s), $_all line(s) in all)"
	[ $_st -eq 0 ] || printf '%s\n' "$_new" | head -5 | sed 's/^/#   /'
	clean "$_check, $_kind: a clean transaction right after is accepted"
}

TEMP="timeout servfail refused tcpclose garbage otherq badid cnameloop"
SENDER_TEMP='^y 451 4\.4\.3 <s@f-[a-z]+\.fault\.test>: Sender address rejected: Domain lookup failed, try again later$'
SPF_TEMP='^y 451 4\.7\.24 SPF: temporary error checking spf-[a-z]+\.fault\.test, try again later$'
SPF_FAIL='^y 550 5\.7\.23 <s@(f|spf)-[a-z]+\.fault\.test>: SPF: (f|spf)-[a-z]+\.fault\.test does not designate 192\.0\.2\.10 as permitted sender$'
BL_TEMP='^y 451 4\.4\.3 DNS list lookup failed, try again later$'
BL_LISTED='^y 554 5\.7\.1 Service unavailable; client \[203\.0\.113\.[0-9]+\] blocked using bl\.fault\.test$'
RDNS_TEMP='^y 450 4\.7\.25 Client host rejected: cannot find your reverse hostname$'

# The sender domain (MX, then A): every fault but TC is a tempfail (451
# 4.4.3, rule sender-dns); TC is asked again over TCP and the domain
# exists; the 60 kB MX RRset is read: the domain exists (its SPF policy,
# 60 kB too, is a permerror, which the shipped rules only note).
for k in $TEMP; do fcase sender_domain "$k" 192.0.2.10 "s@f-$k.fault.test" "f-$k.fault.test" "$SENDER_TEMP"; done
fcase sender_domain tc 192.0.2.10 s@f-tc.fault.test f-tc.fault.test '^c$'
fcase sender_domain huge 192.0.2.10 s@f-huge.fault.test f-huge.fault.test '^c$'

# SPF (the TXT of the sender domain; its MX is fine): temperror, 451 4.7.24;
# over TCP, "v=spf1 -all" fails the client: 550 5.7.23, and so does a
# policy of 5 kB whose last term is -all (it must be read whole: cut at
# 4 kB it lost its -all and passed as neutral).  A policy of 60 kB (3,500
# terms) is more than libspf2 compiles: permerror, never a cut policy.
for k in $TEMP; do fcase spf "$k" 192.0.2.10 "s@spf-$k.fault.test" "spf-$k.fault.test" "$SPF_TEMP"; done
fcase spf tc 192.0.2.10 s@spf-tc.fault.test spf-tc.fault.test "$SPF_FAIL"
fcase spf long 192.0.2.10 s@spf-long.fault.test spf-long.fault.test "$SPF_FAIL"
fcase spf huge 192.0.2.10 s@spf-huge.fault.test spf-huge.fault.test '^c$'
grep -q 'warn: .*SPF: permanent error in the policy of spf-huge\.fault\.test.*rule=spf-permerror' "$VIGIE_LOG"
ok $? "spf, huge: the 60 kB policy is a permerror (logged by the rule spf-permerror)"

# A DNS list: an error (451 4.4.3, rule dnsbl-dns), never "not listed";
# over TCP the listing (127.0.0.2, or 4,000 of them) is found.
KINDS="timeout servfail refused tc tcpclose garbage otherq badid huge cnameloop"
i=0
for k in $KINDS; do
	i=$((i + 1))
	case $k in tc|huge) want=$BL_LISTED ;; *) want=$BL_TEMP ;; esac
	fcase dnsbl "$k" "203.0.113.$i" s@clean.test "$i.113.0.203.bl.fault.test" "$want"
done
n=$(grep -c 'DNS list bl\.fault\.test: lookup failed' "$VIGIE_LOG")
[ "$n" -le 1 ]
ok $? "the DNS list failures gave at most one warning line ($n), not one per failure"

# rDNS (the client's PTR): rdns=tempfail, which the shipped rules only
# note; the admin's rule fcrdns-dns makes it 450 4.7.25.  The PTR over TCP
# (one name, or 2,000) is read: ptr-only, accepted.
i=0
for k in $KINDS; do
	i=$((i + 1))
	case $k in tc|huge) want='^c$' ;; *) want=$RDNS_TEMP ;; esac
	fcase rdns "$k" "203.0.113.$((100 + i))" s@clean.test "$((100 + i)).113.0.203.in-addr.arpa" "$want"
done

kill -0 "$VIGIE_PID" 2>/dev/null
ok $? "vigie still runs after $N faulty transactions"
# Every DNS socket (UDP, TCP left open or closed by the server) is closed.
i=0
while [ $i -lt 50 ]; do
	fd=$(fd_count "$VIGIE_PID"); th=$(thread_count "$VIGIE_PID")
	[ "$fd" -le "$FD0" ] && [ "$th" -le "$TH0" ] && break
	sleep 0.1; i=$((i + 1))
done
[ "$fd" -le "$FD0" ]
ok $? "no file descriptor left open by the faults ($fd now, $FD0 before)"
[ "$fd" -le "$FD0" ] || ls -l "/proc/$VIGIE_PID/fd" | sed 's/^/#   /' | tail -8
[ "$th" -le "$TH0" ]
ok $? "threads back to the baseline ($th now, $TH0 before)"
stop_vigie
is "$VIGIE_STATUS" 0 "vigie exits 0 on SIGTERM"
no_sanitizer_report "$VIGIE_OUT" "no sanitizer report"

done_testing
