#!/bin/bash
# t/dns.t -- vigie's DNS layer (lib/dns.c) against real servers on loopback:
# the test DNS world (a private unbound, t/lib/dns.sh, names in t/dns/README),
# its black hole (a server that never answers), and a small fake server that
# sends spoofed, mismatched and garbage replies.  Driven by t/dns-lookup
# (one batch, one deadline; see t/dns-lookup.c for its output format).
#
# Outcomes are never confused: answer / NXDOMAIN / NODATA / tempfail.  Time
# checks only bound from above what the code promises (a wait never passes
# its deadline; parallel queries wait together), with slack for a loaded
# machine: they are not speed targets.

. "$srcdir/t/lib/harness.sh"
. "$srcdir/t/lib/dns.sh"

why=$(dns_missing) || skip_all "$why"
L=$builddir/t/dns-lookup
[ -x "$L" ] || bail "$L is not built (make check builds it)"
dns_start || bail "cannot start the test DNS world"

SLACK=150       # ms allowed past a deadline on a busy machine (the code needs a few)
BH=127.0.0.1:$DNS_BLACKHOLE_PORT

# run ARGS...: run the driver, output in $OUT (a failure to run is a test failure).
run() { OUT=$("$L" "$@" 2>&1); _st=$?; [ $_st -eq 0 ] || diag "dns-lookup $* exited $_st: $OUT"; }
# line NAME TYPE: the line of that lookup in $OUT (the first one).
line() { printf '%s\n' "$OUT" | grep -m1 -F "$1 $2 " | grep "^$1 $2 "; }
# field NAME TYPE KEY: the value of KEY=... in that line (rr= is the rest of the line).
field() {
	if [ "$3" = rr ]; then line "$1" "$2" | sed -n 's/^.* rr=//p'
	else line "$1" "$2" | tr ' ' '\n' | sed -n "s/^$3=//p"; fi
}
elapsed() { printf '%s\n' "$OUT" | sed -n 's/^elapsed_ms=//p' | tail -1; }
# expect NAME TYPE STATUS RR DESCRIPTION: status and records of one lookup.
expect() {
	_l=$(line "$1" "$2")
	is "$(printf '%s' "$_l" | cut -d' ' -f3)/$(field "$1" "$2" rr)" "$3/$4" "$5"
}

# --- answers ---------------------------------------------------------------
run "$DNS_SERVER" 2000 2 5000 good.test/A mail6.good.test/AAAA good.test/MX nullmx.test/MX \
	192.0.2.13/PTR 2001:db8::10/PTR txtonly.good.test/TXT 2.0.0.127.bl.test/TXT \
	cname.good.test/A 32.2.0.192.bl.test/A 2.0.0.127.bl.test/A
expect good.test A answer 192.0.2.10 "A"
like "$(line good.test A)" '^good\.test A answer why=- ttl=[0-9]+ tcp=0 cache=0 sent=1 ms=[0-9]+ rr=' \
	"A: one UDP query, not cached, not TCP"
ttl=$(field good.test A ttl)
[ "$ttl" -gt 0 ] && [ "$ttl" -le 300 ]; ok $? "A: TTL from the record (0 < $ttl <= 300)"
expect mail6.good.test AAAA answer 2001:db8::10 "AAAA"
expect good.test MX answer "10 mail.good.test" "MX: preference and lower-case name"
expect nullmx.test MX answer "0 ." "null MX (RFC 7505) is an answer with the root as exchange"
expect 13.2.0.192.in-addr.arpa PTR answer "a.multi.test|b.multi.test" "PTR: both names of a multi-PTR address"
expect 0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa PTR answer mail6.good.test \
	"PTR of an IPv6 address (ip6.arpa nibbles)"
expect txtonly.good.test TXT answer "only a TXT record" "TXT"
expect 2.0.0.127.bl.test TXT answer "Test point" "DNSBL test point TXT"
expect 2.0.0.127.bl.test A answer 127.0.0.2 "DNSBL test point A (RFC 5782)"
expect cname.good.test A answer 192.0.2.18 "CNAME followed to the address"
is "$(field 32.2.0.192.bl.test A rr | tr '|' '\n' | sort | paste -sd'|')" "127.0.0.10|127.0.0.3" \
	"two A records (in any order)"

# --- not found, no data, and temporary failures are three different things --
run "$DNS_SERVER" 300 2 5000 nonexistent.good.test/A anything.else.test/MX txtonly.good.test/A \
	mxonly.good.test/AAAA 192.0.2.12/PTR anything.fail.test/A 192.0.2.17/PTR anything.slow.test/A \
	1.0.0.127.bl.test/A x.failbl.test/A
expect nonexistent.good.test A NXDOMAIN "" "NXDOMAIN for a missing name in an existing zone"
ttl=$(field nonexistent.good.test A ttl)
[ "$ttl" -gt 0 ] && [ "$ttl" -le 60 ]; ok $? "NXDOMAIN: negative TTL from the SOA (0 < $ttl <= 60)"
expect anything.else.test MX NXDOMAIN "" "NXDOMAIN outside every zone"
expect txtonly.good.test A NODATA "" "NODATA: the name exists without an A record"
expect mxonly.good.test AAAA NODATA "" "NODATA: MX-only name asked for AAAA"
expect 12.2.0.192.in-addr.arpa PTR NXDOMAIN "" "no PTR: NXDOMAIN"
expect 1.0.0.127.bl.test A NXDOMAIN "" "DNSBL 127.0.0.1 test point: not listed"
like "$(line anything.fail.test A)" ' tempfail why=SERVFAIL ' "SERVFAIL is a temporary failure, not 'not found'"
like "$(line 17.2.0.192.in-addr.arpa PTR)" ' tempfail why=SERVFAIL ' "PTR SERVFAIL: tempfail"
like "$(line x.failbl.test A)" ' tempfail why=SERVFAIL ' "DNSBL SERVFAIL: tempfail, not 'not listed'"
like "$(line anything.slow.test A)" ' tempfail why=timeout .* sent=2 ' \
	"a server that never answers: tempfail timeout after 2 attempts"

# --- truncation: TCP ---------------------------------------------------------
run "$DNS_SERVER" 2000 2 5000 big.good.test/TXT
like "$(line big.good.test TXT)" '^big\.good\.test TXT answer why=- ttl=[0-9]+ tcp=1 cache=0 sent=2 ' \
	"truncated UDP answer retried over TCP (tcp=1, 2 queries)"
txt=$(field big.good.test TXT rr)
is "${#txt}" 1440 "the whole TXT came over TCP (6 strings of 240 bytes)"
like "$txt" '^string-1-.*string-6-' "its strings in order"
run -e 0 "$DNS_SERVER" 2000 2 5000 big.good.test/TXT good.test/A
like "$(line big.good.test TXT)" ' answer .* tcp=1 ' "without EDNS0: TC then TCP too"
like "$(line good.test A)" ' answer .* tcp=0 ' "  a small answer stays on UDP"

# --- deadlines, attempts, servers in turn -----------------------------------
run "$BH" 300 3 500 dead.test/A
like "$(line dead.test A)" ' tempfail why=timeout .* sent=2 ' \
	"black hole: tempfail timeout; the deadline (500 ms) cut the third attempt"
e=$(elapsed)
[ -n "$e" ] && [ "$e" -le $((500 + SLACK)) ]; ok $? "  the wait kept to its deadline ($e ms <= 500 + $SLACK)"
[ -n "$e" ] && [ "$e" -ge 490 ]; ok $? "  and waited until it ($e ms >= 490)"

run "$BH" 5000 1 200 dead.test/A
e=$(elapsed)
like "$(line dead.test A)" ' tempfail why=timeout ' "deadline shorter than the timeout: tempfail timeout"
[ -n "$e" ] && [ "$e" -le $((200 + SLACK)) ]; ok $? "  after the deadline, not the timeout ($e ms <= 200 + $SLACK)"

run "$BH" 300 3 5000 dead.test/A
e=$(elapsed)
like "$(line dead.test A)" ' tempfail why=timeout .* sent=3 ' "3 attempts, then tempfail timeout"
[ -n "$e" ] && [ "$e" -ge 890 ] && [ "$e" -le $((900 + SLACK)) ]; ok $? "  3 x 300 ms ($e ms)"

run "$BH,$DNS_SERVER" 300 2 5000 good.test/A
like "$(line good.test A)" '^good\.test A answer .* sent=2 .* rr=192\.0\.2\.10$' \
	"first server dead, second attempt goes to the second server: answer"
ms=$(field good.test A ms)
[ -n "$ms" ] && [ "$ms" -ge 290 ]; ok $? "  after the first attempt's timeout ($ms ms >= 290)"

run "$DNS_SERVER,$BH" 300 2 5000 good.test/A
like "$(line good.test A)" ' answer .* sent=1 ' "first server answers: the second is never asked"

run "$BH,$DNS_SERVER" 300 1 5000 good.test/A
like "$(line good.test A)" ' tempfail why=timeout .* sent=1 ' "one attempt only: the second server is never tried"

closed=$(free_port)
run "127.0.0.1:$closed" 2000 2 5000 good.test/A
e=$(elapsed)
like "$(line good.test A)" ' tempfail why=network_error ' "nobody on the port (ICMP refused): tempfail network error"
[ -n "$e" ] && [ "$e" -lt 1000 ]; ok $? "  at once, not after the timeout ($e ms)"

if [ -n "$DNS_SERVER6" ]; then
	run "$DNS_SERVER6" 2000 2 5000 good.test/A
	expect good.test A answer 192.0.2.10 "over IPv6 to [::1]"
else
	ok 0 "# SKIP ::1 is not configured"
fi

# --- parallel queries --------------------------------------------------------
run "$BH" 300 1 5000 p1.test/A p2.test/A p3.test/A p4.test/A p5.test/A
n=$(printf '%s\n' "$OUT" | grep -c ' tempfail why=timeout ')
is "$n" 5 "5 lookups against the black hole all time out"
e=$(elapsed)
[ -n "$e" ] && [ "$e" -lt 600 ]; ok $? "  together: $e ms < 2 x 300 (5 in turn would take 1500)"

run "$BH,$DNS_SERVER" 300 2 5000 good.test/A good.test/MX mail6.good.test/AAAA txtonly.good.test/A
n=$(printf '%s\n' "$OUT" | grep -cE ' (answer|NODATA) .* sent=2 ')
is "$n" 4 "4 lookups retried together on the second server"
e=$(elapsed)
[ -n "$e" ] && [ "$e" -lt 600 ]; ok $? "  in one timeout: $e ms < 600"

# --- cache and dedup --------------------------------------------------------
run -r 2 "$DNS_SERVER" 300 2 5000 good.test/A nonexistent.good.test/A txtonly.good.test/A anything.fail.test/A
round2=$(printf '%s\n' "$OUT" | sed -n '/^elapsed_ms=/,$p' | sed 1d)
like "$(printf '%s\n' "$OUT" | head -1)" '^good\.test A answer .* cache=0 sent=1 ' "round 1: asked the server"
OUT=$round2
like "$(line good.test A)" '^good\.test A answer .* cache=1 sent=0 .*rr=192\.0\.2\.10$' "round 2: answer from the cache"
like "$(line nonexistent.good.test A)" ' NXDOMAIN .* cache=1 sent=0 ' "round 2: NXDOMAIN from the cache"
like "$(line txtonly.good.test A)" ' NODATA .* cache=1 sent=0 ' "round 2: NODATA from the cache"
like "$(line anything.fail.test A)" ' tempfail why=SERVFAIL .* cache=0 sent=1 ' "a temporary failure is never cached"

run "$DNS_SERVER" 2000 2 5000 good.test/A GOOD.TEST./A good.test/A good.test/MX Good.Test/MX
n=$(printf '%s\n' "$OUT" | grep -vc '^elapsed_ms=')
is "$n" 2 "5 adds of 2 questions (case, trailing dot): 2 lookups"
like "$(line good.test A)" ' answer .* sent=1 ' "  one query for A"
like "$(line good.test MX)" ' answer .* sent=1 ' "  one query for MX"

# --- replies that must not be believed ----------------------------------------
# A fake server on a free UDP port.  For QNAME (first label):
#   spoof     sends garbage, then replies (A 192.0.2.66) with the wrong ID, for
#             another name, another type, another class, without QR, with
#             opcode STATUS, then the right reply (A 192.0.2.99)
#   mismatch  only replies with the wrong ID
#   garbage   only garbage carrying the right ID
#   stray     the right reply, but from another port (a connected socket drops it)
#   stray2    a reply (A 192.0.2.66) from another port, then the right one
#   tc        a truncated reply over UDP (then the TCP query gets an answer)
#   tcslow    the same, but over TCP the connection stays open without an answer
#   tcclose   the same, but the TCP connection is closed without an answer
fake=$(free_port)
perl -e '
	use strict; use warnings; use IO::Socket::INET; use IO::Select;
	my $port = $ARGV[0];
	my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $port, Proto => "udp") or die "udp: $!";
	my $t = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $port, Proto => "tcp",
		Listen => 8, ReuseAddr => 1) or die "tcp: $!";
	my $o = IO::Socket::INET->new(LocalAddr => "127.0.0.1", Proto => "udp") or die "udp2: $!";
	$SIG{TERM} = sub { exit 0 };
	sub reply {	# (id, flags, question[, last octet]) -> reply with A 192.0.2.99 (or .N)
		my ($id, $flags, $qs, $n) = @_;
		return pack("n6", $id, $flags, 1, 1, 0, 0) . $qs . pack("n3Nn", 0xc00c, 1, 1, 300, 4) .
			pack("C4", 192, 0, 2, $n // 99);
	}
	sub parse {
		my ($q) = @_;
		my ($id) = unpack("n", $q);
		my ($off, @l) = (12);
		while ($off < length $q) {
			my $n = ord(substr($q, $off, 1)); $off++;
			last if $n == 0;
			push @l, lc substr($q, $off, $n); $off += $n;
		}
		return ($id, $l[0] // "", substr($q, 12, $off + 4 - 12), substr($q, $off, 4));
	}
	my $sel = IO::Select->new($s, $t);
	my @keep;
	while (1) {
		for my $r ($sel->can_read) {
			if ($r == $t) {
				my $c = $t->accept or next;
				my $len; sysread($c, $len, 2) == 2 or next;
				my $q; sysread($c, $q, unpack("n", $len));
				my ($id, $first, $qs) = parse($q);
				if ($first eq "tcslow") { push @keep, $c; next; }
				if ($first eq "tcclose") { close $c; next; }
				my $a = reply($id, 0x8180, $qs);
				syswrite($c, pack("n", length $a) . $a);
				close $c;
				next;
			}
			my $peer = $s->recv(my $q, 65535);
			next unless defined $peer && length($q) >= 12;
			my ($id, $first, $qs, $tc) = parse($q);
			my $good = reply($id, 0x8180, $qs);
			if ($first eq "spoof") {
				$s->send("\x00\x01junk", 0, $peer);
				$s->send(reply($id ^ 0x5555, 0x8180, $qs, 66), 0, $peer);
				$s->send(reply($id, 0x8180, "\x05other\x04test\x00" . $tc, 66), 0, $peer);
				$s->send(reply($id, 0x8180, substr($qs, 0, -4) . pack("n2", 28, 1), 66), 0, $peer);
				$s->send(reply($id, 0x8180, substr($qs, 0, -2) . pack("n", 3), 66), 0, $peer);
				$s->send(reply($id, 0x0180, $qs, 66), 0, $peer);
				$s->send(reply($id, 0x9180, $qs, 66), 0, $peer);
				$s->send($good, 0, $peer);
			} elsif ($first eq "mismatch") {
				$s->send(reply($id ^ 1, 0x8180, $qs), 0, $peer);
			} elsif ($first eq "garbage") {
				$s->send(pack("n", $id) . ("\xff" x 40), 0, $peer);
			} elsif ($first eq "stray") {
				$o->send($good, 0, $peer);
			} elsif ($first eq "stray2") {	# the stray first, then the right reply
				$o->send(reply($id, 0x8180, $qs, 66), 0, $peer);
				$s->send($good, 0, $peer);
			} elsif ($first =~ /^tc/) {
				$s->send(pack("n6", $id, 0x8380, 1, 0, 0, 0) . $qs, 0, $peer);
			}
		}
	}' "$fake" >"$T_TMP/fake.log" 2>&1 &
FAKE_PID=$!
T_PIDS="$T_PIDS $FAKE_PID"
wait_port "$fake" 50 || diag "the fake server does not listen: $(cat "$T_TMP/fake.log")"

run "127.0.0.1:$fake" 300 2 3000 spoof.fake.test/A mismatch.fake.test/A garbage.fake.test/A \
	stray.fake.test/A stray2.fake.test/A tc.fake.test/A tcslow.fake.test/A tcclose.fake.test/A
like "$(line spoof.fake.test A)" ' answer .* sent=1 .*rr=192\.0\.2\.99$' \
	"garbage, wrong ID, name, type, class, QR unset, opcode: ignored; the right reply taken"
like "$(line mismatch.fake.test A)" ' tempfail why=mismatched_answer .* sent=2 ' \
	"only replies with the wrong ID: tempfail 'mismatched answer' after the attempts"
like "$(line garbage.fake.test A)" ' tempfail why=malformed_answer .* sent=2 ' \
	"only garbage: tempfail 'malformed answer'"
like "$(line stray.fake.test A)" ' tempfail why=timeout .* sent=2 ' \
	"a reply from another port never reaches the query (connected socket)"
like "$(line stray2.fake.test A)" ' answer .* sent=1 .*rr=192\.0\.2\.99$' \
	"a reply from another port is not taken; the server's is"
like "$(line tc.fake.test A)" ' answer .* tcp=1 cache=0 sent=2 .*rr=192\.0\.2\.99$' "TC from the fake server: the TCP answer"
like "$(line tcslow.fake.test A)" ' tempfail why=timeout .* tcp=0 cache=0 sent=3 ' \
	"TCP without an answer: each TCP attempt times out (1 UDP + 2 TCP queries)"
ms=$(field tcslow.fake.test A ms)
[ -n "$ms" ] && [ "$ms" -lt $((600 + SLACK)) ]; ok $? "  after 2 x 300 ms ($ms ms), not at the deadline"
like "$(line tcclose.fake.test A)" ' tempfail why=network_error .* sent=3 ' \
	"TCP closed without an answer: next attempt, then tempfail network error"
e=$(elapsed)
[ -n "$e" ] && [ "$e" -lt 1200 ]; ok $? "  all in parallel ($e ms < 2 x 600)"

# Waiting for one lookup: the deadline ends that one only; the others go on.
run -f 100 "127.0.0.1:$fake" 300 2 3000 stray.fake.test/A tcslow.fake.test/A spoof.fake.test/A
like "$(printf '%s\n' "$OUT" | grep '^first_wait_ms=')" '^first_wait_ms=[0-9]+ open=1$' \
	"waiting for the first lookup until +100 ms: it is cut, one other is still open"
like "$(line stray.fake.test A)" ' tempfail why=timeout .* sent=1 ' "  the first: tempfail timeout at its deadline"
like "$(line tcslow.fake.test A)" ' tempfail why=timeout .* sent=3 ' "  the open one kept going: all its attempts"
like "$(line spoof.fake.test A)" ' answer .*rr=192\.0\.2\.99$' "  the answered one was read meanwhile"
w=$(printf '%s\n' "$OUT" | sed -n 's/^first_wait_ms=\([0-9]*\).*/\1/p')
[ -n "$w" ] && [ "$w" -le $((100 + SLACK)) ]; ok $? "  the first wait kept to its deadline ($w ms)"

done_testing
