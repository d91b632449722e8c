#!/bin/bash
# t/checks-sender.t -- every result of the sender checks (sender_syntax,
# sender_domain, sender_spoof, sender_list) and the shipped rules' replies,
# through vigie explain against the test DNS world (t/dns/).
. "$srcdir/t/lib/harness.sh"
. "$srcdir/t/lib/dns.sh"

why=$(dns_missing) || skip_all "$why"
[ -x "$VIGIE" ] || bail "no vigie binary at $VIGIE"
dns_start || bail "cannot start the test DNS server"

LOGINS=$T_TMP/logins
cat >"$LOGINS" <<'EOF2'
# login            owns
bob@example.org    bob@example.org, robert@example.org
carol              @example.net, @.sub.example.org
EOF2
BASE=(-c "$srcdir/etc/vigie.conf" -o "resolver=$DNS_SERVER" -o dns_timeout=300ms -o dns_attempts=1
	-o dns_budget=3s -o "psl_file=$DNS_PSL" -o "local_domains=example.org, .sub.example.org"
	-o "sender_login=file:$LOGINS" -o "sender_login=dave@example.org dave@example.org, @clean.test"
	-o "sender_block=spammer.test, bad@clean.test, .evil.test" -o "sender_allow=friend@spammer.test")

# run CLIENT FROM [explain options...]: OUT (kv) and MAILLINE.
run() {
	_c=$1 _f=$2; shift 2
	OUT=$("$VIGIE" explain "${BASE[@]}" "$@" --format=kv --client "$_c" --helo mail.good.test --from "$_f" \
		--rcpt user@example.org 2>&1)
	RCPTLINE=$(printf '%s\n' "$OUT" | grep '^stage=rcpt')
}
result() { printf '%s\n' "$OUT" | grep '^stage=mail' | grep -o " $1=[^ ]*" | head -1 | cut -d= -f2; }

# check | client | sender (as given to MAIL FROM:) | want | extra option
while IFS='|' read -r check client from want extra; do
	case "$check" in ''|'#'*) continue;; esac
	read -r -a opts <<<"$extra"
	run "$client" "$from" "${opts[@]}"
	is "$(result "$check")" "$want" "$check: client $client from $from${extra:+ ($extra)} -> $want"
done <<'EOT'
sender_syntax|192.0.2.10|<a@clean.test>|ok|
sender_syntax|192.0.2.10|<>|null|
sender_syntax|192.0.2.10|<a@@clean.test>|invalid|
sender_syntax|192.0.2.10|<a@clean.test|invalid|
sender_syntax|192.0.2.10|<"a b"@clean.test>|ok|
sender_syntax|192.0.2.10|<@relay.test:a@clean.test>|ok|
sender_syntax|192.0.2.10|<a@[192.0.2.1]>|ok|
sender_syntax|192.0.2.10|<jörg@clean.test>|invalid|
sender_domain|192.0.2.10|<a@clean.test>|exists|
sender_domain|192.0.2.10|<a@mxonly.good.test>|exists|
sender_domain|192.0.2.10|<a@mail.good.test>|exists|
sender_domain|192.0.2.10|<a@v6only.good.test>|exists|
sender_domain|192.0.2.10|<a@nonexistent.good.test>|nxdomain|
sender_domain|192.0.2.10|<a@txtonly.good.test>|no-address|
sender_domain|192.0.2.10|<a@nullmx.test>|null-mx|
sender_domain|192.0.2.10|<a@anything.slow.test>|tempfail|
sender_domain|192.0.2.10|<a@anything.fail.test>|tempfail|
sender_domain|192.0.2.10|<>|skipped|
sender_domain|192.0.2.10|<a@[192.0.2.1]>|skipped|
sender_domain|192.0.2.10|<a@CLEAN.TEST.>|exists|
sender_spoof|192.0.2.10|<a@clean.test>|ok|
sender_spoof|192.0.2.10|<a@example.org>|ours-unauthenticated|
sender_spoof|192.0.2.10|<a@x.sub.example.org>|ours-unauthenticated|
sender_spoof|192.0.2.10|<>|ok|
sender_spoof|127.0.0.1|<a@example.org>|ok|
sender_spoof|127.0.0.1|<a@clean.test>|foreign-from-trusted|
sender_spoof|127.0.0.1|<a@clean.test>|ok|-o trusted_any_sender=yes
sender_spoof|127.0.0.1|<>|ok|
sender_spoof|192.0.2.10|<bob@example.org>|ok|--auth=bob@example.org
sender_spoof|192.0.2.10|<robert@example.org>|ok|--auth=bob@example.org
sender_spoof|192.0.2.10|<alice@example.org>|not-owned-by-login|--auth=bob@example.org
sender_spoof|192.0.2.10|<x@example.net>|ok|--auth=carol
sender_spoof|192.0.2.10|<x@a.sub.example.org>|ok|--auth=carol
sender_spoof|192.0.2.10|<x@sub.example.org>|not-owned-by-login|--auth=carol
sender_spoof|192.0.2.10|<x@clean.test>|ok|--auth=dave@example.org
sender_spoof|192.0.2.10|<eve@example.org>|ok|--auth=eve@example.org
sender_spoof|192.0.2.10|<EVE@Example.ORG>|ok|--auth=eve@example.org
sender_spoof|192.0.2.10|<other@example.org>|not-owned-by-login|--auth=eve@example.org
sender_spoof|192.0.2.10|<x@clean.test>|not-owned-by-login|--auth=frank
sender_list|192.0.2.10|<a@clean.test>|none|
sender_list|192.0.2.10|<bad@clean.test>|blocked|
sender_list|192.0.2.10|<a@spammer.test>|blocked|
sender_list|192.0.2.10|<a@x.evil.test>|blocked|
sender_list|192.0.2.10|<a@evil.test>|none|
sender_list|192.0.2.10|<friend@spammer.test>|allowed|
EOT

# With SMTPUTF8, a UTF-8 local part and an IDN domain are valid; the domain
# is looked up in its A-label form (xn--bcher-kva.test has an MX).
OUT=$("$VIGIE" explain "${BASE[@]}" --format=kv --client 192.0.2.10 --helo mail.good.test \
	--from '<jörg@bücher.test> SMTPUTF8' --rcpt user@example.org 2>&1)
is "$(result sender_syntax)" ok "SMTPUTF8: UTF-8 local part and IDN domain are valid"
is "$(result sender_domain)" exists "SMTPUTF8: the IDN domain exists in its A-label form"
like "$OUT" "lookup stage=mail type=MX name=xn--bcher-kva.test" "the lookup used the A-label"

# The shipped rules' replies (given at RCPT: rejections are delayed).
reply() { # reply CLIENT FROM WANT-REGEX DESCRIPTION [options]
	_c=$1 _f=$2 _w=$3 _d=$4; shift 4
	run "$_c" "$_f" "$@"
	like "$RCPTLINE" "$_w" "$_d"
}
reply 192.0.2.10 '<a@@clean.test>' 'code=501 esc=5.1.7 text="<a@@clean.test>: Bad sender address syntax"' "invalid sender: 501 5.1.7"
reply 192.0.2.10 '<a@nonexistent.good.test>' 'code=550 esc=5.1.8 text="<a@nonexistent.good.test>: Sender address rejected: Domain not found"' "unknown domain: 550 5.1.8"
reply 192.0.2.10 '<a@txtonly.good.test>' 'code=550 esc=5.1.8' "domain without MX or address: 550 5.1.8"
reply 192.0.2.10 '<a@nullmx.test>' 'code=550 esc=5.7.27' "null MX: 550 5.7.27"
reply 192.0.2.10 '<a@anything.slow.test>' 'action=tempfail rule=sender-dns code=451 esc=4.4.3' "DNS failure: 451 4.4.3"
sed 's/    reject 550 5.1.8 /    tempfail 450 4.1.8 /' "$srcdir/etc/vigie.conf" >"$T_TMP/soft.conf"
OUT=$("$VIGIE" explain -c "$T_TMP/soft.conf" "${BASE[@]:2}" --format=kv --client 192.0.2.10 \
	--from '<a@nonexistent.good.test>' --rcpt user@example.org 2>&1)
like "$(printf '%s\n' "$OUT" | grep '^stage=rcpt')" 'action=tempfail rule=sender-unknown code=450 esc=4.1.8' "the admin may choose 450 4.1.8 instead"
reply 192.0.2.10 '<a@example.org>' 'code=550 esc=5.7.1 text="<a@example.org>: Sender address rejected: not logged in"' "our domain from outside: 550 5.7.1"
reply 192.0.2.10 '<alice@example.org>' 'code=553 esc=5.7.1 text="<alice@example.org>: Sender address rejected: not owned by user bob@example.org"' "a login using another's address: 553 5.7.1" --auth=bob@example.org
reply 127.0.0.1 '<a@clean.test>' 'code=553 esc=5.7.1 text="<a@clean.test>: Sender address rejected: not one of our domains"' "trusted client, foreign sender: 553 5.7.1"
reply 192.0.2.10 '<bad@clean.test>' 'code=550 esc=5.7.1 text="<bad@clean.test>: Sender address rejected: Access denied"' "blocked sender: 550 5.7.1"
reply 192.0.2.10 '<friend@spammer.test>' 'action=accept' "allowed sender: accepted despite the block list and the RHSBL" -o "rhsbl=rhs.test"
reply 192.0.2.10 '<a@nonexistent.good.test>' 'action=accept' "unknown domain, authenticated: not checked" --auth=a@nonexistent.good.test
reply 192.0.2.10 '<a@example.org>' 'action=accept rule=postmaster' "postmaster stays reachable" --rcpt=postmaster@example.org

# A sender_login file with a bad entry names its file, line and column.
printf 'ok@example.org ok@example.org\nbroken not-an-address\n' >"$T_TMP/badlogins"
out=$("$VIGIE" -n -c "$srcdir/etc/vigie.conf" -o "sender_login=file:$T_TMP/badlogins" 2>&1)
like "$out" "badlogins:2:1: sender_login broken: expected user@domain, @domain or @.domain: 'not-an-address'" "a bad sender_login line is named"

done_testing
