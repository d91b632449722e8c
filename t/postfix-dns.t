#!/bin/bash
# t/postfix-dns.t -- the DNS-based checks end to end: a real Postfix asks
# vigie (shipped rules, test DNS world); listed clients, lying HELOs and
# listed sender domains are refused at RCPT with the documented replies,
# postmaster stays reachable, allowlisted, trusted and authenticated
# clients pass; a DNS server that stops answering gives 451 4.4.3 within
# the budget and vigie keeps serving.
srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/t/lib/harness.sh"
. "$srcdir/t/lib/postfix.sh"
. "$srcdir/t/lib/e2e.sh"

E2E_VIGIE_EXTRA=(-o "dnsbl=bl.test txt=yes" -o "dnsbl=bl2.test" -o "dnswl=wl.test weight=-2" -o "rhsbl=rhs.test"
	-o dns_budget=2s)
# 192.0.2.30 is listed but trusted: the lists do not apply to it.
e2e_setup "192.0.2.30/32" dns
REJECTED=""

P=(--via-proxy)
refused "listed client" user@example.org '^554 5\.7\.1 Service unavailable; client \[192\.0\.2\.31\] blocked using bl\.test$' "${P[@]}" 192.0.2.31
vigie_log_grep "reject: RCPT from [^ ]*\[192\.0\.2\.31\]: 554 5\.7\.1 .*rule=dnsbl match=dnsbl=listed.* delayed=yes" >/dev/null
ok $? "vigie logs the listing, found at CONNECT and given at RCPT"
accepted "listed client -> postmaster" postmaster@example.org "${P[@]}" 192.0.2.31
accepted "listed in two lists but trusted" user@foreign.example "${P[@]}" 192.0.2.30
accepted "listed, and outweighed by an allowlist" user@example.org "${P[@]}" 192.0.2.36
accepted "listed, but authenticated" user@foreign.example "${P[@]}" 192.0.2.31 \
	--auth PLAIN --auth-user "$PF_SASL_USER@$PF_SASL_REALM" --auth-password "$PF_SASL_PASSWORD"
refused "IPv6 listed client" user@example.org '^554 5\.7\.1 .*blocked using bl\.test' "${P[@]}" 2001:db8::30

refused "HELO claims to be us" user@example.org '^550 5\.7\.1 <mx\.example\.org>: Helo command rejected: you are not me$' \
	"${P[@]}" 192.0.2.10 --helo mx.example.org
accepted "HELO claims to be us, but authenticated" user@example.org "${P[@]}" 192.0.2.10 --helo mx.example.org \
	--auth PLAIN --auth-user "$PF_SASL_USER@$PF_SASL_REALM" --auth-password "$PF_SASL_PASSWORD"
accepted "HELO claims to be us, but trusted" user@example.org --helo mx.example.org
refused "HELO literal not the client's" user@example.org '^550 5\.7\.1 <\[192\.0\.2\.99\]>: Helo command rejected: address literal is not your address$' \
	"${P[@]}" 192.0.2.10 --helo "[192.0.2.99]"
accepted "HELO literal of the client" user@example.org "${P[@]}" 192.0.2.10 --helo "[192.0.2.10]"
refused "invalid HELO" user@example.org '^504 5\.5\.2 <bad\.\.name>: Helo command rejected: invalid host name$' \
	"${P[@]}" 192.0.2.10 --helo "bad..name"
refused "HELO domain listed" user@example.org '^554 5\.7\.1 Service unavailable; helo domain blocked using rhs\.test$' \
	"${P[@]}" 192.0.2.40 --helo mail.spammer.test
FROM=someone@spammer.test refused "sender domain listed" user@example.org \
	'^554 5\.7\.1 Service unavailable; sender domain blocked using rhs\.test$' "${P[@]}" 192.0.2.10
accepted "HELO that does not exist, no rDNS: warned, accepted" user@example.org "${P[@]}" 192.0.2.12 \
	--helo nonexistent.good.test
vigie_log_grep "would reject: MAIL from [^ ]*\[192\.0\.2\.12\]: 550 5\.7\.1 <nonexistent\.good\.test>: Helo command rejected: host not found;.*rule=helo-nxdomain" >/dev/null
ok $? "the HELO NXDOMAIN warning is logged"
vigie_log_grep "would reject: MAIL from [^ ]*\[192\.0\.2\.12\]: 550 5\.7\.25 Client \[192\.0\.2\.12\] has no forward-confirmed reverse DNS;.*rule=fcrdns" >/dev/null
ok $? "the FCrDNS warning is logged"
# Senders (the shipped sender rules; the test login alice@example.org owns @example.org).
AUTH=(--auth PLAIN --auth-user "$PF_SASL_USER@$PF_SASL_REALM" --auth-password "$PF_SASL_PASSWORD")
FROM=someone@example.org refused "outsider sending as one of our domains" user@example.org \
	'^550 5\.7\.1 <someone@example\.org>: Sender address rejected: not logged in$' "${P[@]}" 192.0.2.10
FROM=someone@example.org accepted "authenticated, sending as its own domain" user@foreign.example "${P[@]}" 192.0.2.10 "${AUTH[@]}"
FROM=someone@clean.test refused "authenticated, sending as an address it does not own" user@foreign.example \
	'^553 5\.7\.1 <someone@clean\.test>: Sender address rejected: not owned by user alice@example\.org$' "${P[@]}" 192.0.2.10 "${AUTH[@]}"
FROM=someone@clean.test refused "trusted client, foreign sender" user@foreign.example \
	'^553 5\.7\.1 <someone@clean\.test>: Sender address rejected: not one of our domains$'
FROM=someone@nonexistent.good.test refused "sender domain does not exist" user@example.org \
	'^550 5\.1\.8 <someone@nonexistent\.good\.test>: Sender address rejected: Domain not found$' "${P[@]}" 192.0.2.10
FROM=someone@nullmx.test refused "sender domain with a null MX" user@example.org \
	'^550 5\.7\.27 ' "${P[@]}" 192.0.2.10
refused "a list that cannot be asked" user@example.org '^451 4\.4\.3 DNS list lookup failed, try again later$' "${P[@]}" 192.0.2.33
no_refused_kept

# A DNS server that stops answering: tempfail within the budget; vigie keeps serving.
stop_vigie
E2E_VIGIE_EXTRA=(-o "dnsbl=bl.test" -o "resolver=127.0.0.1:$DNS_BLACKHOLE_PORT" -o dns_timeout=400ms
	-o dns_attempts=2 -o dns_budget=1500ms)
pf_stop
e2e_vigie_start "" || bail "cannot restart vigie"
pf_start "inet:127.0.0.1:$VIGIE_PORT" || bail "cannot restart Postfix"
t0=$(date +%s%N)
refused "dead DNS server" user@example.org '^451 4\.4\.3 ' "${P[@]}" 192.0.2.10
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 8000 ]
ok $? "dead DNS server: the session ended in ${ms} ms (the DNS budget is 1.5 s per stage)"
kill -0 "$VIGIE_PID" 2>/dev/null
ok $? "vigie still runs"
accepted "dead DNS server, trusted client: no lookup needed" user@example.org
refused "dead DNS server, relay attempt still refused at once" user@foreign.example '^(554 5\.7\.1|451 4\.4\.3) ' "${P[@]}" 192.0.2.10

done_testing
