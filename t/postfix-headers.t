#!/bin/bash
# t/postfix-headers.t -- the header fields vigie adds, as they arrive in the
# delivered message: Authentication-Results on top with iprev (and spf once
# evaluated), forged Authentication-Results claiming our authserv-id
# removed whatever their case, folding or comments, others kept.
srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/t/lib/harness.sh"
. "$srcdir/t/lib/postfix.sh"
. "$srcdir/t/lib/e2e.sh"

e2e_setup "" hdr

# message MARKER: the delivered message file that holds MARKER.
message() { pf_sink_has "$1" 10 >/dev/null; grep -rlF -- "$1" "$PF_SINK_DIR" | head -1; }
# headers FILE: the header section, unfolded.
headers() { sed '/^\r\?$/q' "$1" | tr -d '\r' | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n[ \t]\+/ /g'; }

send() { # send CLIENT [swaks args]: a message with a fresh marker from CLIENT (PROXY)
	_c=$1; shift
	marker
	swaks_to --via-proxy "$_c" --from "$M@clean.test" --to user@example.org --header "Subject: $M" \
		--body "marker $M" "$@"
	like "$(sw_reply '^RCPT TO:')" '^250 ' "message from $_c accepted"
	MSG=$(message "$M")
	[ -n "$MSG" ]
	ok $? "message from $_c delivered"
	HDRS=$(headers "$MSG")
}

send 192.0.2.10 \
	--add-header "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=forged@example.org" \
	--add-header "Authentication-Results: MX.EXAMPLE.ORG.; dkim=pass" \
	--add-header "Authentication-Results: (comment) mx.example.org 1; spf=pass" \
	--add-header "Authentication-Results: \"mx.example.org\"; iprev=pass" \
	--add-header "Authentication-Results: other.example.net; spf=fail smtp.mailfrom=x@clean.test"
ar=$(printf '%s\n' "$HDRS" | grep -i '^Authentication-Results:')
is "$(printf '%s\n' "$ar" | head -1)" \
	"Authentication-Results: mx.example.org; spf=none smtp.mailfrom=$M@clean.test; spf=none smtp.helo=client.example.net; iprev=pass policy.iprev=192.0.2.10 (mail.good.test)" \
	"our Authentication-Results comes first: spf for both identities, iprev=pass with the confirmed name"
is "$(printf '%s\n' "$ar" | grep -ci 'mx\.example\.org')" 1 "every forged Authentication-Results claiming mx.example.org is gone (case, dot, comment, quotes)"
printf '%s\n' "$ar" | grep -q '^Authentication-Results: other.example.net; spf=fail'
ok $? "another server's Authentication-Results is kept"
vigie_log_grep "info: END-OF-MESSAGE from .*removed 4 forged Authentication-Results header\(s\)" >/dev/null
ok $? "the removal is logged"
printf '%s\n' "$HDRS" | grep -q '[^[:print:]	]'
ok $(( ! $? )) "headers hold printable ASCII only"

send 192.0.2.12
like "$(printf '%s\n' "$HDRS" | grep -i '^Authentication-Results:' | head -1)" \
	'^Authentication-Results: mx\.example\.org; .*; iprev=permerror policy\.iprev=192\.0\.2\.12$' "no PTR: iprev=permerror"
send 192.0.2.11
like "$(printf '%s\n' "$HDRS" | grep -i '^Authentication-Results:' | head -1)" \
	'^Authentication-Results: mx\.example\.org; .*; iprev=fail policy\.iprev=192\.0\.2\.11 \(liar\.good\.test\)$' "PTR that does not confirm: iprev=fail"
send 2001:db8::10
like "$(printf '%s\n' "$HDRS" | grep -i '^Authentication-Results:' | head -1)" \
	'^Authentication-Results: mx\.example\.org; .*; iprev=pass policy\.iprev="2001:db8::10" \(mail6\.good\.test\)$' "IPv6: the address is quoted"

# SPF in the headers, and the shipped SPF rules' replies.
send 192.0.2.10 --from "x@pass.spf.test" --helo mail.good.test
like "$(printf '%s\n' "$HDRS" | grep -i '^Authentication-Results:' | head -1)" \
	'^Authentication-Results: mx\.example\.org; spf=pass smtp\.mailfrom=x@pass\.spf\.test; spf=none smtp\.helo=mail\.good\.test; iprev=pass ' \
	"SPF pass for MAIL FROM in Authentication-Results"
is "$(printf '%s\n' "$HDRS" | grep -i '^Received-SPF:' | head -1)" \
	'Received-SPF: pass (mx.example.org: domain pass.spf.test designates 192.0.2.10 as permitted sender) client-ip=192.0.2.10; envelope-from="x@pass.spf.test"; helo=mail.good.test; receiver=mx.example.org; identity=mailfrom;' \
	"Received-SPF per RFC 7208 9.1"
send 192.0.2.10 --from "x@softfail.spf.test"
like "$(printf '%s\n' "$HDRS" | grep -i '^Received-SPF:' | head -1)" '^Received-SPF: softfail ' "softfail is accepted, and recorded"
send 192.0.2.10 --from "<>" --helo pass.spf.test
like "$(printf '%s\n' "$HDRS" | grep -i '^Authentication-Results:' | head -1)" \
	'spf=pass smtp\.mailfrom=postmaster@pass\.spf\.test; spf=pass smtp\.helo=pass\.spf\.test' "null sender: postmaster@HELO is checked"
marker
swaks_to --via-proxy 192.0.2.10 --from "x@exp.spf.test" --to user@example.org --body "marker $M"
like "$(sw_reply '^RCPT TO:')" '^550 5\.7\.23 <x@exp\.spf\.test>: Mail from x@exp\.spf\.test via 192\.0\.2\.10 is not allowed by exp\.spf\.test' \
	"SPF fail: 550 5.7.23 with the domain's explanation"
marker
swaks_to --via-proxy 192.0.2.10 --from "x@fail.spf.test" --to postmaster@example.org --body "marker $M"
like "$(sw_reply '^RCPT TO:')" '^250 ' "SPF fail: postmaster still reachable"
marker
swaks_to --via-proxy 192.0.2.10 --from "x@fail.spf.test" --to user@example.org --body "marker $M" \
	--add-header "X: y"
like "$(sw_reply '^RCPT TO:')" '^550 5\.7\.23 <x@fail\.spf\.test>: SPF: fail\.spf\.test does not designate 192\.0\.2\.10 as permitted sender$' \
	"SPF fail without explanation: the default text"
marker
swaks_to --from "x@example.org" --to user@example.org --body "marker $M"
MSG=$(message "$M"); HDRS=$(headers "$MSG")
like "$(printf '%s\n' "$HDRS" | grep -i '^Authentication-Results:' | head -1)" '^Authentication-Results: mx\.example\.org; iprev=' "a trusted client: no SPF evaluated"
printf '%s\n' "$HDRS" | grep -qi '^Received-SPF:'
ok $(( ! $? )) "a trusted client: no Received-SPF"

# Switched off: nothing added, forgeries still removed.
stop_vigie
pf_stop
E2E_VIGIE_EXTRA=(-o header_authentication_results=no)
e2e_vigie_start "" || bail "cannot restart vigie"
pf_start "inet:127.0.0.1:$VIGIE_PORT" || bail "cannot restart Postfix"
send 192.0.2.10 --add-header "Authentication-Results: mx.example.org; spf=pass"
is "$(printf '%s\n' "$HDRS" | grep -ci '^Authentication-Results:')" 0 \
	"header_authentication_results no: none added, and the forged one removed"

done_testing
