#!/bin/bash
# t/explain.t -- the policy core through "vigie explain": the relay matrix
# (trusted, authenticated, outsiders; every relay trick), exit statuses,
# kv output, -n config checking, dry-run and delayed rejection.
. "$srcdir/t/lib/harness.sh"

[ -x "$VIGIE" ] || bail "no vigie binary at $VIGIE"

CONF=$T_TMP/vigie.conf
cat >"$CONF" <<'EOC'
socket            inet:10025@127.0.0.1
log               stderr
our_hostnames     mx.example.org
our_addresses     192.0.2.25, 2001:db8::25
local_domains     example.org, .sub.example.org
relay_domains     backup.example.net
trusted_networks  127.0.0.1/32, 198.51.100.0/24, 2001:db8:1::/48
# never the system's resolver: a closed loopback port fails every lookup at once
resolver          127.0.0.1:9
dns_timeout       100ms
dns_attempts      1
rule rcpt  rcpt-syntax     rcpt_syntax=invalid   reject 501 5.1.3 "Bad recipient address syntax"
rule rcpt  relay-denied    relay=denied          reject 554 5.7.1 "<%{rcpt}>: Relay access denied"
rule rcpt  postmaster      rcpt_postmaster=yes   accept
EOC

# explain_rcpt CLIENT AUTH RCPT: run explain; LINE = the rcpt line of kv output, RC = exit status.
explain_rcpt() {
	_auth=()
	[ -n "$2" ] && _auth=(--auth "$2")
	OUT=$("$VIGIE" explain -c "$CONF" --format=kv --client "$1" --helo client.example.net \
		--from sender@example.net "${_auth[@]}" --rcpt "$3" 2>&1)
	RC=$?
	LINE=$(printf '%s\n' "$OUT" | grep '^stage=rcpt')
}

# Cases: client | auth | recipient | expected action | expected rule | expected code
while IFS='|' read -r client auth rcpt action rule code; do
	case "$client" in ''|'#'*) continue;; esac
	explain_rcpt "$client" "$auth" "$rcpt"; line=$LINE
	want="action=$action rule=$rule"
	[ -n "$code" ] && want="$want code=$code"
	like "$line" "$(printf '%s' "$want" | sed 's/[.[\*^$]/\\&/g')" "$client${auth:+ auth=$auth} -> <$rcpt>: $action${code:+ $code}"
	case "$action" in accept) wrc=0;; reject) wrc=1;; tempfail) wrc=2;; esac
	is "$RC" "$wrc" "  exit status $wrc"
done <<'EOCASES'
# The four mail paths.
127.0.0.1||user@example.org|accept|default|
127.0.0.1||user@foreign.example|accept|default|
192.0.2.10||user@example.org|accept|default|
192.0.2.10||user@foreign.example|reject|relay-denied|554
# Relay domains, subdomains, postmaster, case and trailing dot.
192.0.2.10||user@backup.example.net|accept|default|
192.0.2.10||user@host.sub.example.org|accept|default|
192.0.2.10||user@sub.example.org|reject|relay-denied|554
192.0.2.10||postmaster@example.org|accept|postmaster|
192.0.2.10||postmaster|accept|postmaster|
192.0.2.10||PostMaster@EXAMPLE.ORG|accept|postmaster|
192.0.2.10||postmaster@foreign.example|reject|relay-denied|554
192.0.2.10||USER@EXAMPLE.ORG|accept|default|
192.0.2.10||user@example.org.|accept|default|
192.0.2.10||user@foreign.example.|reject|relay-denied|554
192.0.2.10||user@mx.example.org|accept|default|
# Sender-specified routing from outsiders never routes out.
192.0.2.10||user%foreign.example@example.org|reject|relay-denied|554
192.0.2.10||foreign.example!user@example.org|reject|relay-denied|554
192.0.2.10||@example.org:user@foreign.example|reject|relay-denied|554
192.0.2.10||@example.org,@other.example:user@foreign.example|reject|relay-denied|554
192.0.2.10||@foreign.example:user@example.org|accept|default|
192.0.2.10||"user@foreign.example"@example.org|reject|relay-denied|554
192.0.2.10||"user%foreign.example"@example.org|reject|relay-denied|554
192.0.2.10||"user!foreign"@example.org|reject|relay-denied|554
192.0.2.10||"plain user"@example.org|accept|default|
192.0.2.10||user@foreign.example@example.org|reject|rcpt-syntax|501
192.0.2.10||user@[192.0.2.25]|accept|default|
192.0.2.10||user@[IPv6:2001:db8::25]|accept|default|
192.0.2.10||user@[192.0.2.99]|reject|relay-denied|554
192.0.2.10||user@[IPv6:2001:db8::99]|reject|relay-denied|554
192.0.2.10||<user@foreign.example> NOTIFY=NEVER|reject|relay-denied|554
192.0.2.10||<user@example.org> NOTIFY=NEVER|accept|default|
192.0.2.10||<>|reject|rcpt-syntax|501
192.0.2.10||<user@example.org|reject|rcpt-syntax|501
192.0.2.10||"unbalanced@example.org|reject|rcpt-syntax|501
192.0.2.10||user@exa mple.org|reject|rcpt-syntax|501
# Trusted and authenticated clients may route, and relay.
127.0.0.1||user%foreign.example@example.org|accept|default|
198.51.100.7||user@foreign.example|accept|default|
2001:db8:1::5||user@foreign.example|accept|default|
2001:db8:2::5||user@foreign.example|reject|relay-denied|554
::ffff:198.51.100.7||user@foreign.example|accept|default|
192.0.2.10|alice@example.org|user@foreign.example|accept|default|
unknown||user@foreign.example|reject|relay-denied|554
EOCASES

# TLS clients: a verified, listed certificate may relay; anything less may not.
TCONF=(-c "$CONF" -o 'tls_client_subjects="relay1.example.org"' -o 'tls_client_issuers="Example CA"')
tls_case() { # tls_case WANT-ACTION DESCRIPTION MACRO...
	_want=$1 _d=$2; shift 2
	_m=(); for _x in "$@"; do _m+=(--macro "$_x"); done
	_out=$("$VIGIE" explain "${TCONF[@]}" --format=kv --client 192.0.2.10 "${_m[@]}" --rcpt user@foreign.example 2>&1)
	like "$(printf '%s\n' "$_out" | grep '^stage=rcpt')" "action=$_want" "$_d"
}
tls_case accept "Sendmail {verify}=OK, listed subject: relay" '{verify}=OK' '{cert_subject}=relay1.example.org'
tls_case accept "Sendmail {verify}=OK, listed issuer: relay" '{verify}=OK' '{cert_issuer}=Example CA'
tls_case reject "Sendmail {verify}=FAIL, listed subject: denied" '{verify}=FAIL' '{cert_subject}=relay1.example.org'
tls_case reject "{verify}=OK, unlisted subject: denied" '{verify}=OK' '{cert_subject}=other.example.org'
tls_case accept "Postfix (no {verify}) sends a subject only when trusted: relay" 'v=Postfix 3.7.11' '{cert_subject}=relay1.example.org'
tls_case reject "not Postfix, no {verify}: a subject alone is not trusted" 'v=8.17.1' '{cert_subject}=relay1.example.org'
"$VIGIE" explain -c "$CONF" --macro '{bogus}=1' --client 192.0.2.10 --rcpt a@example.org >/dev/null 2>&1
is "$?" 64 "unknown --macro is a usage error"

# The check results are printed for each recipient.
explain_rcpt 192.0.2.10 "" "user%foreign.example@example.org"
like "$LINE" "rcpt_syntax=ok rcpt_class=local relay=denied rcpt_postmaster=no" "kv shows every rcpt check"
explain_rcpt 127.0.0.1 "" "user@foreign.example"
like "$LINE" "relay=allowed" "trusted client to foreign: relay=allowed"

# Several recipients: the worst outcome is the exit status.
"$VIGIE" explain -c "$CONF" --client 192.0.2.10 --rcpt user@example.org --rcpt user@foreign.example >/dev/null 2>&1
is "$?" 1 "mixed recipients: exit 1"
out=$("$VIGIE" explain -c "$CONF" --client 192.0.2.10 --rcpt user@foreign.example 2>&1)
like "$out" "reply: +554 5\.7\.1 <user@foreign\.example>: Relay access denied" "text output shows the reply"
like "$out" "result +rejected" "text output ends with the result"

# A reply text never carries control characters from the client.
explain_rcpt 192.0.2.10 "" "$(printf 'us\033er@foreign.example')"
case "$LINE" in *$'\033'*) ok 1 "escape byte kept out of the reply";; *) ok 0 "escape byte kept out of the reply";; esac

# Tempfail rules give exit 2.
"$VIGIE" explain -c "$CONF" -o 'rule=rcpt later rcpt_class=foreign tempfail 451 4.7.1 "later"' \
	--client 127.0.0.1 --rcpt user@foreign.example >/dev/null 2>&1
is "$?" 2 "tempfail: exit 2"

# Delayed rejection: a connect-stage reject is given at RCPT, postmaster still reachable.
DCONF=(-c "$CONF" -o 'rule=connect block client_net=192.0.2.0/24 reject 554 5.7.1 "blocked %{client_addr}"')
out=$("$VIGIE" explain "${DCONF[@]}" --format=kv --client 192.0.2.10 --rcpt user@example.org --rcpt postmaster@example.org)
like "$(printf '%s\n' "$out" | grep '^stage=connect')" "action=continue rule=delayed" "connect reject is delayed"
like "$(printf '%s\n' "$out" | grep 'to=<user@example.org>')" 'action=reject rule=block code=554 esc=5.7.1 text="blocked 192.0.2.10" delayed=yes' "delayed reject given at RCPT"
like "$(printf '%s\n' "$out" | grep 'to=<postmaster@example.org>')" "action=accept rule=postmaster" "postmaster accepted despite the delayed reject"
out=$("$VIGIE" explain "${DCONF[@]}" -o delay_reject=no --format=kv --client 192.0.2.10 --rcpt user@example.org)
like "$(printf '%s\n' "$out" | grep '^stage=connect')" "action=reject rule=block code=554" "delay_reject no: rejected at connect"

# Dry-run: the decision is logged as "would" and accepted -- but never a relay.
DRY=(-c "$CONF" -o mode=dry-run -o 'rule=rcpt no-plus-local rcpt_class=local rcpt_postmaster=no reject 550 5.1.1 "no such user"')
out=$("$VIGIE" explain "${DRY[@]}" --format=kv --client 192.0.2.10 --rcpt user@example.org)
rc=$?
like "$out" "action=accept rule=no-plus-local code=550 esc=5.1.1 .* dry_run=yes" "dry-run keeps the would-be reply, accepts"
is "$rc" 0 "dry-run: exit 0"
out=$("$VIGIE" explain "${DRY[@]}" --format=kv --client 192.0.2.10 --rcpt user@foreign.example)
rc=$?
like "$out" "action=reject rule=relay-denied code=554" "dry-run never opens the relay"
is "$rc" 1 "dry-run relay attempt: exit 1"

# Relay control is a floor: no rule order or missing rule opens the relay.
printf 'local_domains example.org\ntrusted_networks 127.0.0.1/32\n' >"$T_TMP/norules.conf"
out=$("$VIGIE" explain -c "$T_TMP/norules.conf" --format=kv --client 192.0.2.10 --rcpt user@foreign.example --rcpt user@example.org)
like "$(printf '%s\n' "$out" | grep 'to=<user@foreign')" 'action=reject rule=relay-control code=554 esc=5.7.1 text="<user@foreign.example>: Relay access denied"' "no rules: built-in relay control rejects"
like "$(printf '%s\n' "$out" | grep 'to=<user@example')" 'action=accept rule=default' "no rules: local still accepted"
out=$("$VIGIE" explain -c "$T_TMP/norules.conf" -o 'rule=rcpt all rcpt_syntax=ok accept' -o mode=dry-run --format=kv \
	--client 192.0.2.10 --rcpt "user%foreign.example@example.org")
like "$out" "action=reject rule=relay-control" "an accept-all rule in dry-run still cannot route out"

# Config problems: -n and explain exit 78 and name file:line:col.
printf 'local_domains example.org\nbogus 1\n' >"$T_TMP/bad.conf"
out=$("$VIGIE" -n -c "$T_TMP/bad.conf" 2>&1); rc=$?
is "$rc" 78 "vigie -n on a bad config exits 78"
like "$out" "bad\.conf:2:1: unknown key 'bogus'" "vigie -n names file:line:col"
"$VIGIE" explain -c "$T_TMP/bad.conf" --client 192.0.2.1 --rcpt a@example.org >/dev/null 2>&1
is "$?" 78 "explain on a bad config exits 78"
out=$("$VIGIE" -n -c "$CONF" 2>&1); rc=$?
is "$rc" 0 "vigie -n on a good config exits 0"
"$VIGIE" -n -c "$srcdir/etc/vigie.conf" >/dev/null 2>&1
is "$?" 0 "shipped etc/vigie.conf passes -n"
# warn rules: logged by the daemon, shown by explain (they decide nothing).
WARN=(-c "$CONF" -o 'rule=mail note-null sender_syntax=null warn "null sender from %{client_addr}"'
	-o 'rule=mail note-quiet sender_syntax=null warn')
out=$("$VIGIE" explain "${WARN[@]}" --client 192.0.2.1 --helo client.example.net --from '<>' --rcpt u@example.org 2>&1)
rc=$?
like "$out" "  warn:     rule note-null \(sender_syntax=null\): null sender from 192\.0\.2\.1" "explain shows a warn rule that held, with its text"
like "$out" "  warn:     rule note-quiet \(sender_syntax=null\)$" "... and one without a text"
is "$rc" 0 "... which decide nothing: exit 0"
out=$("$VIGIE" explain "${WARN[@]}" --format=kv --client 192.0.2.1 --helo client.example.net --from '<>' --rcpt u@example.org 2>&1)
like "$out" '^warn stage=mail rule=note-null match="sender_syntax=null" text="null sender from 192.0.2.1"$' "kv: one warn line per warn rule"
# A warn rule with the reply it would give: "would reject", and the mail goes on.
out=$("$VIGIE" explain -c "$CONF" -o 'rule=mail try-null sender_syntax=null warn 550 5.7.1 "no null sender from %{client_addr}"' \
	--client 192.0.2.1 --helo client.example.net --from '<>' --rcpt u@example.org 2>&1)
rc=$?
like "$out" "  warn:     rule try-null \(sender_syntax=null\): would reject: 550 5\.7\.1 no null sender from 192\.0\.2\.1" "a warn rule with a reply: explain shows what it would do"
is "$rc" 0 "... and it decides nothing: exit 0"
out=$("$VIGIE" explain -c "$CONF" -o 'rule=mail try-null sender_syntax=null warn 451' --format=kv \
	--client 192.0.2.1 --helo client.example.net --from '<>' --rcpt u@example.org 2>&1)
like "$out" '^warn stage=mail rule=try-null match="sender_syntax=null" would=tempfail code=451 esc=4\.7\.1 text="Temporary failure, try again later"$' "kv: would=tempfail with the default reply"
out=$(cd "$T_TMP" && "$VIGIE" -f -c "$CONF" -o 'rule=mail try-null sender_syntax=null warn 250' -o log=stderr 2>&1)
like "$out" "expected a 4XX or 5XX SMTP code for warn, found '250'" "warn with a non-refusal code: a configuration error"
out=$("$VIGIE" explain "${WARN[@]}" --client 192.0.2.1 --helo client.example.net --from a@example.net --rcpt u@example.org 2>&1)
! printf '%s\n' "$out" | grep -q 'warn:'
ok $? "no warn line when the rule does not hold"

"$VIGIE" explain -c "$CONF" >/dev/null 2>&1
is "$?" 64 "explain without --client/--rcpt is a usage error"
like "$("$VIGIE" -V)" "^vigie [0-9]" "-V prints the version"

done_testing
