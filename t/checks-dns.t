#!/bin/bash
# t/checks-dns.t -- every result of the DNS-based checks (rdns, helo_*,
# dnsbl, dnswl, rhsbl_*), produced by vigie explain against the test DNS
# world of t/dns/ served by a real unbound on loopback; filters, weights and
# the threshold; DNS failures kept apart from "not found" and bounded by
# the budget; lookups sent in parallel and answered from the cache.
. "$srcdir/t/lib/harness.sh"
. "$srcdir/t/lib/dns.sh"

why=$(dns_missing) || skip_all "$why"
[ -x "$VIGIE" ] || bail "no vigie binary at $VIGIE"
dns_start || bail "cannot start the test DNS server"

# The shipped configuration, pointed at the test world.
BASE=(-c "$srcdir/etc/vigie.conf" -o "resolver=$DNS_SERVER" -o dns_timeout=300ms -o dns_attempts=1
	-o dns_budget=3s -o "psl_file=$DNS_PSL" -o "our_hostnames=mx.vigie.test"
	-o "our_addresses=192.0.2.25, 2001:db8::25" -o "local_domains=vigie.test, example.org")
LISTS=(-o "dnsbl=bl.test txt=yes" -o "dnsbl=bl2.test" -o "dnswl=wl.test weight=-2" -o "rhsbl=rhs.test txt=yes")

# run CLIENT HELO FROM [explain options...]: kv output in OUT, exit status in RC.
run() {
	_c=$1 _h=$2 _f=$3; shift 3
	OUT=$("$VIGIE" explain "${BASE[@]}" "$@" --format=kv --client "$_c" --helo "$_h" --from "$_f" \
		--rcpt user@vigie.test 2>&1)
	RC=$?
}
# result CHECK: the value of CHECK in OUT.
result() { printf '%s\n' "$OUT" | grep -o " $1=[^ ]*" | head -1 | cut -d= -f2; }

# Table: check | client | helo | from | want | extra explain options (one word, or empty)
while IFS='|' read -r check client helo from want extra; do
	case "$check" in ''|'#'*) continue;; esac
	opts=("${LISTS[@]}")
	[ -n "$extra" ] && opts+=("$extra")
	run "$client" "$helo" "$from" "${opts[@]}"
	is "$(result "$check")" "$want" "$check: client $client helo <$helo> from <$from>${extra:+ ($extra)} -> $want"
done <<'EOT'
# rdns: PTR and forward confirmation
rdns|192.0.2.10|x.test|a@clean.test|pass|
rdns|192.0.2.11|x.test|a@clean.test|ptr-only|
rdns|192.0.2.12|x.test|a@clean.test|none|
rdns|192.0.2.13|x.test|a@clean.test|pass|
rdns|192.0.2.14|x.test|a@clean.test|ptr-only|
rdns|192.0.2.15|x.test|a@clean.test|tempfail|
rdns|192.0.2.16|x.test|a@clean.test|tempfail|
rdns|192.0.2.17|x.test|a@clean.test|tempfail|
rdns|192.0.2.18|x.test|a@clean.test|pass|
rdns|2001:db8::10|x.test|a@clean.test|pass|
rdns|2001:db8::11|x.test|a@clean.test|none|
rdns|2001:db8::12|x.test|a@clean.test|ptr-only|
rdns|::ffff:192.0.2.10|x.test|a@clean.test|pass|
# helo_syntax
helo_syntax|192.0.2.10|mail.good.test|a@clean.test|ok|
helo_syntax|192.0.2.10|MAIL.GOOD.TEST.|a@clean.test|ok|
helo_syntax|192.0.2.10|under_score.good.test|a@clean.test|ok|
helo_syntax|192.0.2.10|mailhost|a@clean.test|not-fqdn|
helo_syntax|192.0.2.10|[192.0.2.10]|a@clean.test|literal|
helo_syntax|192.0.2.10|[192.0.2.11]|a@clean.test|literal-mismatch|
helo_syntax|2001:db8::10|[IPv6:2001:db8::10]|a@clean.test|literal|
helo_syntax|2001:db8::10|[IPv6:2001:db8::11]|a@clean.test|literal-mismatch|
helo_syntax|2001:db8::10|[2001:db8::10]|a@clean.test|invalid|
helo_syntax|192.0.2.10|192.0.2.10|a@clean.test|invalid|
helo_syntax|192.0.2.10|bad..name.test|a@clean.test|invalid|
helo_syntax|192.0.2.10|-bad.test|a@clean.test|invalid|
helo_syntax|192.0.2.10|bad name.test|a@clean.test|invalid|
helo_syntax|192.0.2.10|[999.1.1.1]|a@clean.test|invalid|
helo_syntax|192.0.2.10||a@clean.test|missing|
# helo_forgery
helo_forgery|192.0.2.10|mx.vigie.test|a@clean.test|claims-us|
helo_forgery|192.0.2.10|MX.VIGIE.TEST.|a@clean.test|claims-us|
helo_forgery|192.0.2.10|vigie.test|a@clean.test|claims-us|
helo_forgery|192.0.2.10|[192.0.2.25]|a@clean.test|claims-us|
helo_forgery|192.0.2.10|192.0.2.25|a@clean.test|claims-us|
helo_forgery|192.0.2.10|mail.good.test|a@clean.test|ok|
# helo_dns
helo_dns|192.0.2.10|mail.good.test|a@clean.test|resolves|
helo_dns|192.0.2.10|mail6.good.test|a@clean.test|resolves|
helo_dns|192.0.2.10|mxonly.good.test|a@clean.test|resolves|
helo_dns|192.0.2.10|nonexistent.good.test|a@clean.test|nxdomain|
helo_dns|192.0.2.10|txtonly.good.test|a@clean.test|no-address|
helo_dns|192.0.2.10|anything.slow.test|a@clean.test|tempfail|
helo_dns|192.0.2.10|anything.fail.test|a@clean.test|tempfail|
helo_dns|192.0.2.10|[192.0.2.10]|a@clean.test|skipped|
# helo_rdns: coherence, with the test Public Suffix List (co.test is a suffix)
helo_rdns|192.0.2.20|mx.shop.co.test|a@clean.test|same-host|
helo_rdns|192.0.2.20|www.shop.co.test|a@clean.test|same-domain|
helo_rdns|192.0.2.20|shop.co.test|a@clean.test|same-domain|
helo_rdns|192.0.2.20|other.co.test|a@clean.test|none|
helo_rdns|192.0.2.20|brand.test|a@clean.test|rdns-is-mx|
helo_rdns|192.0.2.20|mx.brand.test|a@clean.test|rdns-is-mx|
helo_rdns|2001:db8::20|mx.shop.co.test|a@clean.test|same-host|
helo_rdns|192.0.2.11|liar.good.test|a@clean.test|none|
helo_rdns|192.0.2.16|mail.good.test|a@clean.test|tempfail|
# dnsbl / dnswl: bl.test and bl2.test weigh 1, wl.test -2, threshold 1
dnsbl|192.0.2.30|x.test|a@clean.test|listed|
dnsbl|192.0.2.31|x.test|a@clean.test|listed|
dnsbl|192.0.2.35|x.test|a@clean.test|listed|
dnsbl|192.0.2.10|x.test|a@clean.test|not-listed|
dnsbl|192.0.2.33|x.test|a@clean.test|error|
dnsbl|192.0.2.34|x.test|a@clean.test|error|
dnsbl|192.0.2.36|x.test|a@clean.test|not-listed|
dnswl|192.0.2.36|x.test|a@clean.test|listed|
dnswl|192.0.2.30|x.test|a@clean.test|not-listed|
dnsbl|2001:db8::30|x.test|a@clean.test|listed|
dnsbl|2001:db8::10|x.test|a@clean.test|not-listed|
dnsbl|::ffff:192.0.2.30|x.test|a@clean.test|listed|
# rhsbl on the registrable HELO and sender domains
rhsbl_helo|192.0.2.10|spammer.test|a@clean.test|listed|
rhsbl_helo|192.0.2.10|mail.spammer.test|a@clean.test|listed|
rhsbl_helo|192.0.2.10|clean.test|a@clean.test|not-listed|
rhsbl_helo|192.0.2.10|[192.0.2.10]|a@clean.test|not-listed|
rhsbl_sender|192.0.2.10|x.test|someone@spammer.test|listed|
rhsbl_sender|192.0.2.10|x.test|someone@sub.spammer.test|listed|
rhsbl_sender|192.0.2.10|x.test|someone@clean.test|not-listed|
rhsbl_sender|192.0.2.10|x.test||not-listed|
EOT

# The MTA's other verdicts.
for v in FORGED:ptr-only FAIL:none TEMP:tempfail; do
	run 192.0.2.10 x.test a@clean.test -o rdns_from_mta=yes --macro "{client_resolve}=${v%%:*}"
	is "$(result rdns)" "${v##*:}" "rdns_from_mta: {client_resolve}=${v%%:*} -> ${v##*:}"
done
run 192.0.2.12 x.test a@clean.test -o rdns_from_mta=yes --macro "{client_resolve}=OK"
is "$(result rdns)" pass "rdns_from_mta: {client_resolve}=OK -> pass"
printf '%s\n' "$OUT" | grep -q "type=PTR"
ok $(( ! $? )) "rdns_from_mta: no PTR lookup of our own"
run 192.0.2.12 x.test a@clean.test --macro "{client_resolve}=OK"
is "$(result rdns)" none "rdns_from_mta no (the default): the macro is ignored, our lookup decides"

# Reply filters, masks, weights and the threshold.
flt() { # flt CLIENT WANT DESCRIPTION LIST-DEFINITION [more -o...]
	_c=$1 _w=$2 _d=$3; shift 3
	_o=(); for _l in "$@"; do _o+=(-o "$_l"); done
	run "$_c" x.test a@clean.test "${_o[@]}"
	is "$(result dnsbl)" "$_w" "$_d"
}
flt 192.0.2.31 not-listed "codes=127.0.0.2: 127.0.0.4 filtered out" "dnsbl=bl.test codes=127.0.0.2"
flt 192.0.2.31 listed "codes range 127.0.0.3-127.0.0.5 takes 127.0.0.4" "dnsbl=bl.test codes=127.0.0.3-127.0.0.5"
flt 192.0.2.30 not-listed "codes range 127.0.0.3-127.0.0.5 drops 127.0.0.2" "dnsbl=bl.test codes=127.0.0.3-127.0.0.5"
flt 192.0.2.32 listed "mask 0x08 matches 127.0.0.10" "dnsbl=bl.test mask=0x08"
flt 192.0.2.32 not-listed "mask 0x04 matches neither 127.0.0.3 nor 127.0.0.10" "dnsbl=bl.test mask=0x04"
flt 192.0.2.33 error "127.255.255.254 is an error even when codes= would take it" "dnsbl=bl.test codes=127.0.0.2-127.255.255.255"
flt 192.0.2.30 listed "threshold 2: two lists reach it" "dnsbl=bl.test" "dnsbl=bl2.test" "dnsbl_threshold=2"
flt 192.0.2.31 not-listed "threshold 2: one list does not" "dnsbl=bl.test" "dnsbl=bl2.test" "dnsbl_threshold=2"
flt 192.0.2.31 listed "weight 2 alone reaches threshold 2" "dnsbl=bl.test weight=2" "dnsbl_threshold=2"
flt 192.0.2.36 not-listed "an allowlist outweighs a blocklist" "dnsbl=bl.test" "dnswl=wl.test weight=-2"
flt 192.0.2.36 listed "a light allowlist does not" "dnsbl=bl.test weight=3" "dnswl=wl.test weight=-1"
# A list that times out or fails does not block the others, and is never a "not listed".
flt 192.0.2.30 listed "a timing-out list does not hide another's listing" "dnsbl=bl.test" "dnsbl=slowbl.test"
flt 192.0.2.10 error "a timing-out list makes an unlisted client an error, not a pass" "dnsbl=bl.test" "dnsbl=slowbl.test"
flt 192.0.2.10 error "a SERVFAILing list: error" "dnsbl=bl.test" "dnsbl=failbl.test"
flt 192.0.2.30 error "a failed allowlist makes a listing uncertain" "dnsbl=bl.test" "dnswl=slowbl.test weight=-2"
flt 192.0.2.10 not-listed "a failed allowlist cannot make an unlisted client listed" "dnsbl=bl.test" "dnswl=slowbl.test weight=-2"
# Every list check has its error result.
run 192.0.2.10 x.test a@clean.test -o "dnswl=slowbl.test weight=-1"
is "$(result dnswl)" error "dnswl: an allowlist that times out -> error"
run 192.0.2.10 spammer.test a@spammer.test -o "rhsbl=slowbl.test"
is "$(result rhsbl_helo)" error "rhsbl_helo: a domain list that times out -> error"
is "$(result rhsbl_sender)" error "rhsbl_sender: a domain list that times out -> error"
run 192.0.2.10 spammer.test a@spammer.test -o "rhsbl=failbl.test on=sender"
is "$(result rhsbl_helo)" not-listed "rhsbl on=sender only: the HELO domain is not asked"
is "$(result rhsbl_sender)" error "rhsbl_sender: a SERVFAILing domain list -> error"
grep -q "DNS list slowbl.test: lookup failed (timeout)" <<<"$("$VIGIE" explain "${BASE[@]}" -o log=stderr -o "dnsbl=slowbl.test" --client 192.0.2.10 --rcpt u@vigie.test 2>&1 >/dev/null)"
ok $? "a failing list is logged"

# The replies of the shipped rules carry the list names and reasons.
run 192.0.2.30 x.test a@clean.test "${LISTS[@]}"
like "$(printf '%s\n' "$OUT" | grep '^stage=rcpt')" 'code=554 esc=5.7.1 text="Service unavailable; client \[192.0.2.30\] blocked using bl.test,bl2.test" delayed=yes' "dnsbl reply names the lists (delayed to RCPT)"
run 192.0.2.10 x.test a@clean.test -o "dnsbl=slowbl.test"
like "$(printf '%s\n' "$OUT" | grep '^stage=rcpt')" 'action=tempfail rule=dnsbl-dns code=451 esc=4.4.3' "a list that cannot be asked: 451 4.4.3"
run 192.0.2.10 mx.vigie.test a@clean.test
like "$(printf '%s\n' "$OUT" | grep '^stage=rcpt')" 'action=reject rule=helo-forged code=550 esc=5.7.1' "forged HELO rejected by the shipped rules"
run 192.0.2.10 mx.vigie.test a@clean.test --auth a@clean.test
like "$(printf '%s\n' "$OUT" | grep '^stage=rcpt')" 'action=accept rule=default' "... but not for an authenticated client"
run 192.0.2.10 "[192.0.2.11]" a@clean.test
like "$(printf '%s\n' "$OUT" | grep '^stage=rcpt')" 'code=550 esc=5.7.1 text="<\[192.0.2.11\]>: Helo command rejected: address literal is not your address"' "literal mismatch rejected"
run 192.0.2.10 "bad..name" a@clean.test
like "$(printf '%s\n' "$OUT" | grep '^stage=rcpt')" 'code=504 esc=5.5.2' "invalid HELO: 504 5.5.2"
run 192.0.2.10 x.test a@spammer.test "${LISTS[@]}"
like "$(printf '%s\n' "$OUT" | grep '^stage=rcpt')" 'text="Service unavailable; sender domain blocked using rhs.test"' "rhsbl sender reply"
run 192.0.2.12 nonexistent.good.test a@clean.test
like "$(printf '%s\n' "$OUT" | grep '^stage=rcpt')" 'action=accept' "HELO NXDOMAIN and no rDNS: only warnings by default"

# Budget: whatever the timeout and attempts, a stage ends within dns_budget.
t0=$(date +%s%N)
run 192.0.2.16 anything.slow.test a@clean.test -o dns_timeout=5s -o dns_attempts=3 -o dns_budget=1s
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
is "$(result rdns)" tempfail "budget: the PTR lookup that never answers is a tempfail"
[ "$ms" -lt 4500 ]
ok $? "budget: 4 stages of 1 s each finished in ${ms} ms, not 5 s x 3 attempts"

# Parallel: five lists that never answer cost one timeout, not five.
P=(-o dns_timeout=600ms -o "dnsbl=slowbl.test" -o "dnsbl=a.slowbl.test" -o "dnsbl=b.slowbl.test"
	-o "dnsbl=c.slowbl.test" -o "dnsbl=d.slowbl.test")
OUT=$("$VIGIE" explain "${BASE[@]}" "${P[@]}" --format=kv --client 192.0.2.10 --rcpt u@vigie.test 2>&1)
n=$(printf '%s\n' "$OUT" | grep -c 'lookup stage=connect type=A name=10.2.0.192.[a-d.]*slowbl.test status=tempfail')
is "$n" 5 "parallel: five list lookups, five timeouts"
max=$(printf '%s\n' "$OUT" | grep 'slowbl.test status=tempfail' | grep -o ' ms=[0-9]*' | cut -d= -f2 | sort -n | tail -1)
[ -n "$max" ] && [ "$max" -lt 1200 ]
ok $? "parallel: the slowest of the five took ${max} ms (one timeout of 600 ms), not five in a row"

# The cache: a second session in the same process sends no query.
OUT=$("$VIGIE" explain "${BASE[@]}" "${LISTS[@]}" --format=kv --repeat 2 --client 192.0.2.20 --helo brand.test \
	--from a@clean.test --rcpt u@vigie.test 2>&1)
first=$(printf '%s\n' "$OUT" | grep '^dns lookups=' | head -1)
second=$(printf '%s\n' "$OUT" | grep '^dns lookups=' | tail -1)
like "$first" "queries_sent=[1-9][0-9]* from_cache=0" "first session: queries sent, nothing from the cache"
like "$second" "queries_sent=0 from_cache=[1-9]" "second session: every lookup from the cache"
like "$(printf '%s\n' "$OUT" | grep 'type=PTR' | tail -1)" "cache=yes sent=0" "the PTR answer is a cache hit"
# Within one session no name+type is asked twice.
dups=$(printf '%s\n' "$OUT" | sed -n '1,/^dns lookups=/p' | grep '^lookup' | awk '{print $3, $4}' | sort | uniq -d)
is "$dups" "" "no name and type looked up twice in a session"

done_testing
