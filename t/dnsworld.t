#!/bin/bash
# t/dnsworld.t -- the test DNS world itself (t/lib/dns.sh, t/dns/): every name
# documented in t/dns/README answers as documented, through a real unbound.
. "$srcdir/t/lib/harness.sh"
. "$srcdir/t/lib/dns.sh"

why=$(dns_missing) || skip_all "$why"
command -v timeout >/dev/null 2>&1 || skip_all "timeout (coreutils) not installed"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# q NAME TYPE [DRILL-OPTIONS...]: query the world over UDP (or as the options
# say); sets R to "RCODE RDATA..." (answer records of TYPE, sorted), then
# "soa=OWNER" when the answer section is empty and the authority has an SOA;
# R is TIMEOUT when drill got no answer in 3 s, ERROR when drill failed.
# The whole drill output is in R_OUT, the flags line in R_FLAGS.
q() {
	_name=$1 _type=$2; shift 2
	R_OUT=$(timeout 3 drill "$@" -p "$DNS_PORT" @127.0.0.1 "$_name" "$_type" 2>&1)
	_rc=$?
	R_FLAGS=$(printf '%s\n' "$R_OUT" | grep '^;; flags:')
	if [ $_rc -eq 124 ]; then R=TIMEOUT; return; fi
	if [ $_rc -ne 0 ]; then R=ERROR; return; fi
	R=$(printf '%s\n' "$R_OUT" | awk -F'\t' -v t="$_type" '
		/rcode:/ { rc = $0; sub(/.*rcode: /, "", rc); sub(/,.*/, "", rc) }
		/^;; [A-Z]+ SECTION:/ { sec = $0; next }
		/^;/ || NF < 5 { next }
		sec ~ /ANSWER/ && $4 == t { r = $5; for (i = 6; i <= NF; i++) r = r "\t" $i; a[++n] = r }
		sec ~ /AUTHORITY/ && $4 == "SOA" { soa = $1 }
		END {
			out = rc
			# sort the rdata (insertion sort: a handful of records)
			for (i = 2; i <= n; i++) { v = a[i]; for (j = i - 1; j >= 1 && a[j] > v; j--) a[j + 1] = a[j]; a[j + 1] = v }
			for (i = 1; i <= n; i++) out = out " " a[i]
			if (n == 0 && soa != "") out = out " soa=" soa
			print out
		}')
}
# ans ARGS...: q ARGS..., print R (for use in $(...): R_OUT is lost there).
ans() { q "$@"; echo "$R"; }

# ttl_of NAME TYPE: the TTL of the first answer record (or of the SOA in
# the authority section for a negative answer).
ttl_of() {
	timeout 3 drill -p "$DNS_PORT" @127.0.0.1 "$1" "$2" 2>/dev/null | awk -F'\t' '
		/^;; [A-Z]+ SECTION:/ { sec = $0; next }
		/^;/ || NF < 5 { next }
		(sec ~ /ANSWER/ || $4 == "SOA") { print $2; exit }'
}

# rev4 A.B.C.D: the reversed-octet form D.C.B.A.
rev4() { echo "$1" | awk -F. '{ print $4 "." $3 "." $2 "." $1 }'; }
# nib HEX32: the reversed-nibble form of a fully expanded IPv6 address.
nib() { echo "$1" | rev | sed 's/./&./g; s/\.$//'; }

# --- Start --------------------------------------------------------------
t0=$(now_ms)
dns_start; st=$?
t1=$(now_ms)
ok $st "dns_start works"
[ $st -eq 0 ] || { done_testing; exit 1; }
[ $((t1 - t0)) -lt 2000 ]
ok $? "dns_start took less than 2 s ($((t1 - t0)) ms)"
like "$DNS_PORT" '^[0-9]+$' "DNS_PORT is set"
is "$DNS_SERVER" "127.0.0.1:$DNS_PORT" "DNS_SERVER is 127.0.0.1:DNS_PORT"
like "$DNS_BLACKHOLE_PORT" '^[0-9]+$' "DNS_BLACKHOLE_PORT is set"
[ -r "$DNS_PSL" ]
ok $? "DNS_PSL names a readable file"
[ "$DNS_PORT" != "$DNS_BLACKHOLE_PORT" ]
ok $? "unbound and the black hole use different ports"
unbound-checkconf "$DNS_DIR/unbound.conf" >/dev/null 2>&1
ok $? "unbound-checkconf accepts the generated configuration"

# The timeouts run in the background while the rest is checked.
to_check() { # TAG ARGS...: run drill with a 2 s limit, record "status milliseconds"
	_tag=$1; shift
	( _s=$(now_ms); timeout 2 drill "$@" >/dev/null 2>&1; echo "$? $(( $(now_ms) - _s ))" >"$T_TMP/to.$_tag" ) &
	TO_PIDS="$TO_PIDS $!"
}
TO_PIDS=""
to_check slow-a -p "$DNS_PORT" @127.0.0.1 anything.slow.test A
to_check slow-ptr-fwd -p "$DNS_PORT" @127.0.0.1 host.slow.test A
to_check slow-mx -p "$DNS_PORT" @127.0.0.1 slow.test MX
to_check ptr16 -p "$DNS_PORT" @127.0.0.1 -x 192.0.2.16
to_check slowbl -p "$DNS_PORT" @127.0.0.1 2.0.0.127.slowbl.test A
to_check blackhole-udp -p "$DNS_BLACKHOLE_PORT" @127.0.0.1 mail.good.test A
to_check blackhole-tcp -t -p "$DNS_BLACKHOLE_PORT" @127.0.0.1 mail.good.test A

# --- Zone files and documentation --------------------------------------
for f in "$srcdir"/t/dns/*.zone; do
	z=${f##*/}; z=${z%.zone}
	if grep -q '^[^;[:space:]]' "$f"; then
		out=$(ldns-read-zone "$f" 2>&1 >/dev/null)
		is "$out" "" "$z.zone parses (ldns-read-zone)"
	fi
	[ "$z" = root ] && continue
	grep -qF "$z" "$srcdir/t/dns/README"
	ok $? "zone $z is documented in t/dns/README"
done
for z in $DNS_TIMEOUT_ZONES; do
	grep -qF "$z" "$srcdir/t/dns/README"
	ok $? "timeout zone $z is documented in t/dns/README"
done

# --- A recursive resolver's answers -------------------------------------
q mail.good.test A
like "$R_FLAGS" '^;; flags: qr rd ra ;' \
	"answers look recursive: qr rd ra, no aa"
ttl=$(ttl_of vigie.test MX)
[ "${ttl:-0}" -gt 290 ] && [ "$ttl" -le 300 ]
ok $? "record TTL is 300 (got $ttl)"
ttl=$(ttl_of nothing-here.vigie.test A)
[ "${ttl:-0}" -gt 50 ] && [ "$ttl" -le 60 ]
ok $? "negative TTL is 60 (got $ttl)"
if [ -n "$DNS_SERVER6" ]; then
	out=$(timeout 3 drill -p "$DNS_PORT" @::1 mail.good.test A 2>&1 | grep -c '192\.0\.2\.10')
	is "$out" 1 "unbound answers on [::1]:$DNS_PORT too"
else
	ok 0 "# SKIP ::1 is not configured"
fi
is "$(ans mail.good.test A -o rd)" "REFUSED" "a query without RD is REFUSED"
is "$(ans 1.2.3.4.example.com A)" "NXDOMAIN soa=." "a name outside the world is NXDOMAIN from the local root"
is "$(ans www.example.org AAAA)" "NXDOMAIN soa=." "... so is www.example.org"
is "$(ans anything.else.test A)" "NXDOMAIN soa=." "a missing .test zone is NXDOMAIN from the local root"

# --- 1. Reverse DNS ----------------------------------------------------
is "$(ans "$(rev4 192.0.2.10).in-addr.arpa" PTR)" "NOERROR mail.good.test." "192.0.2.10 PTR mail.good.test"
is "$(ans mail.good.test A)" "NOERROR 192.0.2.10" "mail.good.test A 192.0.2.10 (confirmed)"
is "$(ans 11.2.0.192.in-addr.arpa PTR)" "NOERROR liar.good.test." "192.0.2.11 PTR liar.good.test"
is "$(ans liar.good.test A)" "NOERROR 192.0.2.99" "liar.good.test A 192.0.2.99 (does not confirm)"
is "$(ans 12.2.0.192.in-addr.arpa PTR)" "NXDOMAIN soa=2.0.192.in-addr.arpa." "192.0.2.12 has no PTR (NXDOMAIN, SOA in authority)"
is "$(ans 13.2.0.192.in-addr.arpa PTR)" "NOERROR a.multi.test. b.multi.test." "192.0.2.13 has two PTRs"
is "$(ans a.multi.test A)" "NOERROR 192.0.2.200" "a.multi.test A 192.0.2.200 (does not confirm)"
is "$(ans b.multi.test A)" "NOERROR 192.0.2.13" "b.multi.test A 192.0.2.13 (confirms)"
is "$(ans 14.2.0.192.in-addr.arpa PTR)" "NOERROR nowhere.good.test." "192.0.2.14 PTR nowhere.good.test"
is "$(ans nowhere.good.test A)" "NXDOMAIN soa=good.test." "nowhere.good.test does not exist"
is "$(ans 15.2.0.192.in-addr.arpa PTR)" "NOERROR host.slow.test." "192.0.2.15 PTR host.slow.test (forward times out: below)"
is "$(ans 17.2.0.192.in-addr.arpa PTR)" "SERVFAIL" "192.0.2.17: the PTR query SERVFAILs"
is "$(ans 18.2.0.192.in-addr.arpa PTR)" "NOERROR cname.good.test." "192.0.2.18 PTR cname.good.test"
q cname.good.test A
is "$R" "NOERROR 192.0.2.18" "cname.good.test -> host18.good.test A 192.0.2.18"
like "$R_OUT" 'cname\.good\.test\.	[0-9]+	IN	CNAME	host18\.good\.test\.' "... through a CNAME in the answer"
is "$(ans 20.2.0.192.in-addr.arpa PTR)" "NOERROR mx.shop.co.test." "192.0.2.20 PTR mx.shop.co.test"
is "$(ans 25.2.0.192.in-addr.arpa PTR)" "NOERROR mx.vigie.test." "192.0.2.25 PTR mx.vigie.test"
is "$(ans 40.2.0.192.in-addr.arpa PTR)" "NOERROR spammer.test." "192.0.2.40 PTR spammer.test"
is "$(ans 10.100.51.198.in-addr.arpa PTR)" "NOERROR relay.clean.test." "198.51.100.10 PTR relay.clean.test"
is "$(ans relay.clean.test A)" "NOERROR 198.51.100.10" "relay.clean.test A 198.51.100.10"
is "$(ans 11.100.51.198.in-addr.arpa PTR)" "NXDOMAIN soa=100.51.198.in-addr.arpa." "198.51.100.11 has no PTR"
is "$(ans 10.113.0.203.in-addr.arpa PTR)" "NOERROR dyn-203-0-113-10.pool.test." "203.0.113.10 PTR dyn-203-0-113-10.pool.test"
is "$(ans dyn-203-0-113-10.pool.test A)" "NOERROR 203.0.113.10" "dyn-203-0-113-10.pool.test A 203.0.113.10"
v6=8.b.d.0.1.0.0.2.ip6.arpa
is "$(ans "$(nib 000000000000000000000010).$v6" PTR)" "NOERROR mail6.good.test." "2001:db8::10 PTR mail6.good.test"
is "$(ans mail6.good.test AAAA)" "NOERROR 2001:db8::10" "mail6.good.test AAAA 2001:db8::10 (confirmed)"
is "$(ans "$(nib 000000000000000000000011).$v6" PTR)" "NXDOMAIN soa=$v6." "2001:db8::11 has no PTR"
is "$(ans "$(nib 000000000000000000000012).$v6" PTR)" "NOERROR liar6.good.test." "2001:db8::12 PTR liar6.good.test"
is "$(ans liar6.good.test AAAA)" "NOERROR 2001:db8::99" "liar6.good.test AAAA 2001:db8::99 (does not confirm)"
is "$(ans "$(nib 000000000000000000000020).$v6" PTR)" "NOERROR mx.shop.co.test." "2001:db8::20 PTR mx.shop.co.test"
is "$(ans "$(nib 000000000000000000000025).$v6" PTR)" "NOERROR mx.vigie.test." "2001:db8::25 PTR mx.vigie.test"
# drill -x builds the same names (a check on nib and on the zone file).
is "$(ans 2001:db8::10 PTR -x)" "NOERROR mail6.good.test." "drill -x 2001:db8::10 agrees"
is "$(ans 192.0.2.10 PTR -x)" "NOERROR mail.good.test." "drill -x 192.0.2.10 agrees"

# --- 2. HELO / rDNS coherence -------------------------------------------
is "$(ans mx.shop.co.test A)" "NOERROR 192.0.2.20" "mx.shop.co.test A 192.0.2.20 (same host)"
is "$(ans mx.shop.co.test AAAA)" "NOERROR 2001:db8::20" "mx.shop.co.test AAAA 2001:db8::20"
is "$(ans www.shop.co.test A)" "NOERROR 192.0.2.21" "www.shop.co.test A 192.0.2.21 (same registrable domain)"
is "$(ans shop.co.test MX)" "NOERROR 10 mx.shop.co.test." "shop.co.test MX 10 mx.shop.co.test"
is "$(ans other.co.test A)" "NOERROR 192.0.2.22" "other.co.test A 192.0.2.22 (another registrable domain)"
is "$(ans brand.test MX)" "NOERROR 10 mx.shop.co.test." "brand.test MX 10 mx.shop.co.test (rDNS host is its MX)"
is "$(ans brand.test A)" "NOERROR 192.0.2.23" "brand.test A 192.0.2.23"
is "$(ans mx.brand.test A)" "NOERROR 192.0.2.20" "mx.brand.test A 192.0.2.20"

# --- 3. HELO and sender domain DNS ---------------------------------------
is "$(ans good.test MX)" "NOERROR 10 mail.good.test." "good.test MX 10 mail.good.test"
is "$(ans good.test A)" "NOERROR 192.0.2.10" "good.test A 192.0.2.10"
is "$(ans mail.good.test AAAA)" "NOERROR soa=good.test." "mail.good.test has no AAAA (NODATA)"
is "$(ans v6only.good.test AAAA)" "NOERROR 2001:db8::40" "v6only.good.test AAAA 2001:db8::40"
is "$(ans v6only.good.test A)" "NOERROR soa=good.test." "v6only.good.test has no A (NODATA)"
for t in A AAAA MX TXT; do
	is "$(ans nonexistent.good.test $t)" "NXDOMAIN soa=good.test." "nonexistent.good.test $t is NXDOMAIN"
done
is "$(ans txtonly.good.test TXT)" 'NOERROR "only a TXT record"' "txtonly.good.test has a TXT"
for t in A AAAA MX; do
	is "$(ans txtonly.good.test $t)" "NOERROR soa=good.test." "txtonly.good.test $t is NODATA"
done
is "$(ans mxonly.good.test MX)" "NOERROR 10 mail.good.test." "mxonly.good.test MX 10 mail.good.test"
for t in A AAAA; do
	is "$(ans mxonly.good.test $t)" "NOERROR soa=good.test." "mxonly.good.test $t is NODATA"
done
is "$(ans nullmx.test MX)" "NOERROR 0 ." "nullmx.test MX 0 . (null MX)"
is "$(ans nullmx.test A)" "NOERROR soa=nullmx.test." "nullmx.test has no A"
for t in A MX TXT; do
	is "$(ans anything.fail.test $t)" "SERVFAIL" "anything.fail.test $t SERVFAILs"
done
is "$(ans fail.test SOA)" "SERVFAIL" "even fail.test SOA SERVFAILs"
is "$(ans vigie.test MX)" "NOERROR 10 mx.vigie.test." "vigie.test MX 10 mx.vigie.test"
is "$(ans mx.vigie.test A)" "NOERROR 192.0.2.25" "mx.vigie.test A 192.0.2.25"
is "$(ans mx.vigie.test AAAA)" "NOERROR 2001:db8::25" "mx.vigie.test AAAA 2001:db8::25"

# SERVFAIL comes at once and every time.
s=$(now_ms); r=""
for i in 1 2 3 4 5; do r="$r $(ans x$i.fail.test A) $(ans x$i.failbl.test A) $(ans $i.17.2.0.192.in-addr.arpa PTR)"; done
e=$(now_ms)
is "$r" "$(printf ' SERVFAIL%.0s' $(seq 15))" "15 queries in SERVFAIL zones: 15 SERVFAILs"
[ $((e - s)) -lt 1500 ]
ok $? "... in less than 1.5 s ($((e - s)) ms)"

# --- 4. DNSBL / DNSWL -----------------------------------------------------
is "$(ans 2.0.0.127.bl.test A)" "NOERROR 127.0.0.2" "bl.test test point 127.0.0.2 is listed"
is "$(ans 2.0.0.127.bl.test TXT)" 'NOERROR "Test point"' "... with TXT \"Test point\""
is "$(ans 1.0.0.127.bl.test A)" "NXDOMAIN soa=bl.test." "bl.test test point 127.0.0.1 is not listed"
ff=00000000000000000000ffff7f00
is "$(ans "$(nib ${ff}0002).bl.test" A)" "NOERROR 127.0.0.2" "bl.test IPv6 test point ::ffff:7f00:2 is listed"
is "$(ans "$(nib ${ff}0002).bl.test" TXT)" 'NOERROR "Test point"' "... with TXT \"Test point\""
is "$(ans "$(nib ${ff}0001).bl.test" A)" "NXDOMAIN soa=bl.test." "bl.test IPv6 test point ::ffff:7f00:1 is not listed"
is "$(ans 30.2.0.192.bl.test A)" "NOERROR 127.0.0.2" "192.0.2.30 is in bl.test (127.0.0.2)"
is "$(ans 30.2.0.192.bl.test TXT)" 'NOERROR "Listed: see https://bl.test/192.0.2.30"' "... with its TXT"
is "$(ans 31.2.0.192.bl.test A)" "NOERROR 127.0.0.4" "192.0.2.31 is in bl.test (127.0.0.4)"
is "$(ans 31.2.0.192.bl.test TXT)" "NOERROR soa=bl.test." "... without TXT"
is "$(ans 32.2.0.192.bl.test A)" "NOERROR 127.0.0.10 127.0.0.3" "192.0.2.32 is in bl.test twice (127.0.0.10, 127.0.0.3)"
is "$(ans 33.2.0.192.bl.test A)" "NOERROR 127.255.255.254" "192.0.2.33 gets 127.255.255.254 (an error answer)"
is "$(ans 34.2.0.192.bl.test A)" "NOERROR 10.0.0.1" "192.0.2.34 gets 10.0.0.1 (outside 127/8: an error answer)"
is "$(ans 35.2.0.192.bl.test A)" "NXDOMAIN soa=bl.test." "192.0.2.35 is not in bl.test"
is "$(ans 36.2.0.192.bl.test A)" "NOERROR 127.0.0.2" "192.0.2.36 is in bl.test"
is "$(ans 10.2.0.192.bl.test A)" "NXDOMAIN soa=bl.test." "192.0.2.10 is not in bl.test"
is "$(ans "$(nib 20010db8000000000000000000000030).bl.test" A)" "NOERROR 127.0.0.2" "2001:db8::30 is in bl.test"
is "$(ans "$(nib 20010db8000000000000000000000030).bl.test" TXT)" 'NOERROR "Listed: see https://bl.test/2001:db8::30"' "... with its TXT"
is "$(ans "$(nib 20010db8000000000000000000000010).bl.test" A)" "NXDOMAIN soa=bl.test." "2001:db8::10 is not in bl.test"
is "$(ans 2.0.0.127.bl2.test A)" "NOERROR 127.0.0.2" "bl2.test test point is listed"
is "$(ans 1.0.0.127.bl2.test A)" "NXDOMAIN soa=bl2.test." "bl2.test 127.0.0.1 is not listed"
is "$(ans 30.2.0.192.bl2.test A)" "NOERROR 127.0.0.2" "192.0.2.30 is in bl2.test"
is "$(ans 35.2.0.192.bl2.test A)" "NOERROR 127.0.0.2" "192.0.2.35 is in bl2.test"
is "$(ans 31.2.0.192.bl2.test A)" "NXDOMAIN soa=bl2.test." "192.0.2.31 is not in bl2.test"
is "$(ans 2.0.0.127.wl.test A)" "NOERROR 127.0.10.2" "wl.test test point is listed"
is "$(ans 36.2.0.192.wl.test A)" "NOERROR 127.0.10.2" "192.0.2.36 is in the allowlist wl.test"
is "$(ans 36.2.0.192.wl.test TXT)" 'NOERROR "allowlisted"' "... with its TXT"
is "$(ans 30.2.0.192.wl.test A)" "NXDOMAIN soa=wl.test." "192.0.2.30 is not in wl.test"
is "$(ans 2.0.0.127.failbl.test A)" "SERVFAIL" "failbl.test SERVFAILs"

# --- 5. RHSBL ---------------------------------------------------------------
is "$(ans test.rhs.test A)" "NOERROR 127.0.0.2" "rhs.test domain test point \"test\" is listed"
is "$(ans invalid.rhs.test A)" "NXDOMAIN soa=rhs.test." "rhs.test \"invalid\" is not listed"
is "$(ans spammer.test.rhs.test A)" "NOERROR 127.0.0.2" "spammer.test is in rhs.test"
is "$(ans spammer.test.rhs.test TXT)" 'NOERROR "spam domain"' "... with TXT \"spam domain\""
is "$(ans clean.test.rhs.test A)" "NXDOMAIN soa=rhs.test." "clean.test is not in rhs.test"
is "$(ans spammer.test A)" "NOERROR 192.0.2.40" "spammer.test A 192.0.2.40"
is "$(ans spammer.test MX)" "NOERROR 10 spammer.test." "spammer.test MX 10 spammer.test"
is "$(ans clean.test A)" "NOERROR 192.0.2.41" "clean.test A 192.0.2.41"
is "$(ans clean.test MX)" "NOERROR 10 clean.test." "clean.test MX 10 clean.test"

# --- 6. Truncation -------------------------------------------------------------
q big.good.test TXT -b 1232
like "$R_FLAGS" '^;; flags: qr tc ' "big.good.test TXT over UDP with EDNS 1232: TC set"
is "$R" "NOERROR" "... and no answer records"
q big.good.test TXT -b 4096
like "$R_FLAGS" '^;; flags: qr tc ' "... also with EDNS 4096 (max-udp-size 1232)"
q big.good.test TXT -t
like "$R_FLAGS" '^;; flags: qr rd ra ;' "over TCP: no TC"
n=$(printf '%s\n' "$R" | grep -o '"string-[1-6]-[a-z0-9]*"' | awk '{ n++; len += length($0) - 2 } END { print n, len }')
is "$n" "6 1440" "over TCP: the whole record, 6 strings, 1440 bytes of text"
size=$(printf '%s\n' "$R_OUT" | sed -n 's/^;; MSG SIZE  rcvd: //p')
[ "${size:-0}" -gt 1232 ]
ok $? "... in a $size-byte message (more than 1232)"

# --- Public Suffix List ------------------------------------------------------
grep -q '^// ===BEGIN ICANN DOMAINS===$' "$DNS_PSL" && grep -q '^// ===END ICANN DOMAINS===$' "$DNS_PSL" &&
	grep -q '^// ===BEGIN PRIVATE DOMAINS===$' "$DNS_PSL" && grep -q '^// ===END PRIVATE DOMAINS===$' "$DNS_PSL"
ok $? "psl.dat has the ICANN and PRIVATE section markers"
cc=${CC:-cc}
if command -v "$cc" >/dev/null 2>&1 && printf '#include <libpsl.h>\n' | "$cc" -E - >/dev/null 2>&1; then
	cat >"$T_TMP/pslcheck.c" <<'EOF'
#include <stdio.h>
#include <libpsl.h>
int
main(int argc, char **argv)
{
	psl_ctx_t *psl = psl_load_file(argv[1]);
	if (psl == NULL)
		return 1;
	for (int i = 2; i < argc; i++) {
		const char *r = psl_registrable_domain(psl, argv[i]);
		printf("%s=%s/%d%d\n", argv[i], r ? r : "-",
		    psl_is_public_suffix2(psl, argv[i], PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE),
		    psl_is_public_suffix2(psl, argv[i], PSL_TYPE_PRIVATE | PSL_TYPE_NO_STAR_RULE));
	}
	psl_free(psl);
	return 0;
}
EOF
	if "$cc" -o "$T_TMP/pslcheck" "$T_TMP/pslcheck.c" -lpsl >"$T_TMP/pslcheck.log" 2>&1; then
		out=$("$T_TMP/pslcheck" "$DNS_PSL" www.shop.co.test mx.shop.co.test other.co.test co.test \
			mail.good.test test mx.brand.test alice.pages.test pages.test | tr '\n' ' ')
		is "$out" "www.shop.co.test=shop.co.test/00 mx.shop.co.test=shop.co.test/00 other.co.test=other.co.test/00 co.test=-/10 mail.good.test=good.test/00 test=-/10 mx.brand.test=brand.test/00 alice.pages.test=alice.pages.test/00 pages.test=-/01 " \
			"libpsl's psl_load_file() reads psl.dat: registrable domains as documented"
	else
		ok 1 "compile a libpsl check"; sed 's/^/# /' "$T_TMP/pslcheck.log"
	fi
else
	ok 0 "# SKIP no C compiler with libpsl.h to check psl.dat with libpsl"
fi

# --- Timeouts (started in the background above) -------------------------------
for p in $TO_PIDS; do wait "$p"; done
for tag in slow-a slow-ptr-fwd slow-mx ptr16 slowbl blackhole-udp blackhole-tcp; do
	read -r st ms <"$T_TMP/to.$tag"
	is "$st" 124 "$tag: no answer within 2 s (drill stopped after $ms ms)"
done
# Over TCP a query in a timeout zone gets its connection closed at once.
is "$(ans anything.slow.test A -t)" "ERROR" "anything.slow.test over TCP: connection closed, no answer"

# --- Nothing left the machine ---------------------------------------------------
n=$(grep -c 'sending to target\|connect failed' "$DNS_LOG")
is "$n" 0 "unbound sent no query upstream (its log has no 'sending to target')"
n=$(grep 'error:' "$DNS_LOG" | grep -vc 'SERVFAIL <[^>]*\(fail\.test\|failbl\.test\|17\.2\.0\.192\.in-addr\.arpa\)\. [A-Z]* IN>: auth zone lookup failed')
is "$n" 0 "unbound logged no error but the expected SERVFAILs"
[ "$n" -eq 0 ] || grep 'error:' "$DNS_LOG" | sed 's/^/# /' | head -5

# --- Stopping -------------------------------------------------------------------
upid=$DNS_PID bpid=$DNS_BLACKHOLE_PID uport=$DNS_PORT bport=$DNS_BLACKHOLE_PORT
dns_stop
kill -0 "$upid" 2>/dev/null
ok $(( ! $? )) "dns_stop: unbound ($upid) is gone"
kill -0 "$bpid" 2>/dev/null
ok $(( ! $? )) "dns_stop: the black hole ($bpid) is gone"
(exec 3<>"/dev/tcp/127.0.0.1/$uport") 2>/dev/null
ok $(( ! $? )) "nothing listens on port $uport any more"
(exec 3<>"/dev/tcp/127.0.0.1/$bport") 2>/dev/null
ok $(( ! $? )) "nothing listens on port $bport any more"
n=$(pgrep -f "$DNS_DIR/unbound.conf" | wc -l)
is "$n" 0 "no process runs with our unbound.conf"

# --- A port collision: dns_start retries once on another port -------------------
# Occupy a UDP port (free_port only tests TCP) and make free_port offer it first.
busy=$(free_port)
perl -MIO::Socket::INET -e '
	my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $ARGV[0], Proto => "udp") or exit 1;
	print "bound\n"; $| = 1; sleep 30' "$busy" >"$T_TMP/busy.out" 2>&1 &
busy_pid=$!
T_PIDS="$T_PIDS $busy_pid"
i=0; while [ $i -lt 100 ] && ! grep -q bound "$T_TMP/busy.out"; do sleep 0.02; i=$((i + 1)); done
eval "real_free_port() $(declare -f free_port | tail -n +2)"
# free_port runs in $(...): remember the offer in a file.
free_port() {
	if [ -n "$PORT_FOR_UNBOUND" ] && [ ! -e "$T_TMP/offered" ]; then
		: >"$T_TMP/offered"; echo "$busy"; return 0
	fi
	real_free_port
}
# The black hole takes the first free_port; offer the busy port to unbound.
PORT_FOR_UNBOUND=""
eval "$(declare -f _dns_start_unbound | sed '1s/_dns_start_unbound/_dns_start_unbound_real/')"
_dns_start_unbound() { PORT_FOR_UNBOUND=yes; _dns_start_unbound_real; }
dns_start; st=$?
ok $st "dns_start succeeds although its first port was busy"
is "$(grep -c "^--- unbound on port" "$DNS_LOG")" 2 "... on its second try"
[ "$DNS_PORT" != "$busy" ]
ok $? "... on another port ($DNS_PORT, not $busy)"
is "$(ans mail.good.test A)" "NOERROR 192.0.2.10" "... and answers"
dns_stop
kill "$busy_pid" 2>/dev/null; wait "$busy_pid" 2>/dev/null

done_testing
