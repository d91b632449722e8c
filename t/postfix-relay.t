#!/bin/bash
# t/postfix-relay.t -- vigie closes an open-relay Postfix, end to end.
# A private Postfix with a permissive relay policy (an open relay on its own)
# asks vigie at every RCPT; swaks and raw SMTP sessions play trusted,
# untrusted, authenticated and proxied clients.  Every message Postfix
# accepts goes to an smtp-sink, so "delivered" and "not delivered" are facts.
srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/t/lib/harness.sh"
. "$srcdir/t/lib/postfix.sh"
. "$srcdir/t/lib/e2e.sh"

e2e_setup "198.51.100.0/24" e2e

UNTRUSTED=127.0.0.2	# not in trusted_networks; played with --local-interface
REJECTED=""		# senders (markers) whose mail must never reach the sink

# --- The four mail paths ------------------------------------------------------
accepted "trusted -> local" user@example.org
accepted "trusted -> foreign (relay)" user@foreign.example
vigie_log_grep "accept: RCPT from [^ ]*\[127\.0\.0\.1\][:;] .*from=<$M@example\.org> to=<user@foreign\.example>" >/dev/null
ok $? "vigie logs the trusted relay as an accept"
accepted "untrusted -> local" user@example.org --local-interface "$UNTRUSTED"
refused "untrusted -> foreign" user@foreign.example '^554 5\.7\.1 ' --local-interface "$UNTRUSTED"
like "$(sw_reply '^RCPT TO:')" 'Relay access denied' "untrusted -> foreign: the reply says Relay access denied"
line=$(vigie_log_grep "reject: RCPT from [^ ]*\[127\.0\.0\.2\]: 554 5\.7\.1 .*from=<$M@clean\.test> to=<user@foreign\.example>.* rule=relay-denied")
ok $? "vigie logs the relay attempt with rule=relay-denied"
diag "vigie: $line"
grep -F "from=<$M@clean.test>" "$PF_LOG" | grep -q 'milter-reject: RCPT'
ok $? "Postfix logs the relay attempt as milter-reject"

# --- Relay domains, postmaster, normalised forms -----------------------------
accepted "untrusted -> relay domain" user@backup.example.net --local-interface "$UNTRUSTED"
accepted "untrusted -> postmaster" postmaster@example.org --local-interface "$UNTRUSTED"
accepted "untrusted -> bare postmaster" postmaster --local-interface "$UNTRUSTED"
accepted "untrusted, trailing dot" user@example.org. --local-interface "$UNTRUSTED"
accepted "untrusted, upper case" USER@EXAMPLE.ORG --local-interface "$UNTRUSTED"
accepted "untrusted, our IP literal" "user@[192.0.2.25]" --local-interface "$UNTRUSTED"
accepted "untrusted, our loopback literal" "user@[127.0.0.1]" --local-interface "$UNTRUSTED"

# --- SASL -------------------------------------------------------------------
accepted "authenticated untrusted -> foreign" user@foreign.example --local-interface "$UNTRUSTED" \
	--auth PLAIN --auth-user "$PF_SASL_USER@$PF_SASL_REALM" --auth-password "$PF_SASL_PASSWORD"
vigie_log_grep "accept: RCPT from .*from=<$M@example\.org> to=<user@foreign\.example> .*sasl_username=<$PF_SASL_USER@$PF_SASL_REALM> rule=default" >/dev/null
ok $? "vigie logs the SASL login with the relayed recipient"
marker
REJECTED="$REJECTED $M"
bad=$(printf '\0%s\0%s' "$PF_SASL_USER@$PF_SASL_REALM" wrong-password | base64 -w0)
smtp_session --via-proxy 192.0.2.10 "EHLO $PF_HELO" "AUTH PLAIN $bad" "MAIL FROM:<$M@clean.test>" \
	"RCPT TO:<user@foreign.example>" DATA "Subject: $M" QUIT
like "${SMTP_REPLY[2]}" '^535 ' "wrong password: AUTH fails"
like "${SMTP_REPLY[4]}" '^554 5\.7\.1 ' "wrong password: then relaying is denied"

# --- Clients seen through the PROXY protocol ---------------------------------
refused "proxied untrusted 192.0.2.10 -> foreign" user@foreign.example '^554 5\.7\.1 ' --via-proxy 192.0.2.10
vigie_log_grep "reject: RCPT from [^ ]*\[192\.0\.2\.10\]: 554 .*from=<$M@clean\.test>.*rule=relay-denied" >/dev/null
ok $? "vigie saw the real client 192.0.2.10"
accepted "proxied trusted 198.51.100.7 -> foreign" user@foreign.example --via-proxy 198.51.100.7
vigie_log_grep "accept: RCPT from [^ ]*\[198\.51\.100\.7\][:;] .*from=<$M@example\.org>" >/dev/null
ok $? "vigie saw the real client 198.51.100.7"
if pf_have_ipv6; then
	refused "proxied untrusted 2001:db8::10 -> foreign" user@foreign.example '^554 5\.7\.1 ' --via-proxy 2001:db8::10
	accepted "proxied untrusted 2001:db8::10 -> local" user@example.org --via-proxy 2001:db8::10
else
	for _n in 1 2 3 4; do T_N=$((T_N + 1)); echo "ok $T_N # SKIP no ::1 on this machine: IPv6 proxied clients not tried"; done
fi

# --- One message, a local and a foreign recipient ----------------------------
marker
swaks_to --local-interface "$UNTRUSTED" --from "$M@clean.test" --to user@example.org,user@foreign.example \
	--header "Subject: $M" --body "marker $M"
like "$(sw_reply '^RCPT TO:<user@example\.org>')" '^250 ' "two recipients: the local one gets 250"
like "$(sw_reply '^RCPT TO:<user@foreign\.example>')" '^554 5\.7\.1 ' "two recipients: the foreign one gets 554"
like "$(sw_reply '^\.$')" '^250 ' "two recipients: the message is accepted"
pf_sink_has "$M" 10
ok $? "two recipients: the message is delivered"
rcpts=$(grep -lF "$M" "$PF_SINK_DIR"/* 2>/dev/null | xargs cat 2>/dev/null | grep '^X-Rcpt-Args:')
like "$rcpts" 'user@example\.org' "two recipients: delivered to the local one"
! printf '%s\n' "$rcpts" | grep -q foreign.example
ok $? "two recipients: not delivered to the foreign one"

# --- The relay tricks, from an untrusted client ----------------------------
# Each is the raw argument of RCPT TO and the reply vigie's spec gives it
# (routing through us: 554 5.7.1; malformed: 501 5.1.3).  They go in raw
# sessions from 192.0.2.10 (PROXY), and the plain ones through swaks from
# 127.0.0.2 as well.
tricks=(
	'<user%foreign.example@example.org>'			'^554 5\.7\.1 '
	'<foreign.example!user@example.org>'			'^554 5\.7\.1 '
	'<@example.org:user@foreign.example>'			'^554 5\.7\.1 '
	'<@example.org,@other.example:user@foreign.example>'	'^554 5\.7\.1 '
	'<"user@foreign.example"@example.org>'			'^554 5\.7\.1 '
	'<"user%foreign.example"@example.org>'			'^554 5\.7\.1 '
	'<"foreign.example!user"@example.org>'			'^554 5\.7\.1 '
	'<user@foreign.example@example.org>'			'^501 5\.1\.3 '
	'<user@[192.0.2.99]>'					'^554 5\.7\.1 '
	'<user@foreign.example> NOTIFY=NEVER'			'^554 5\.7\.1 '
	'<user@foreign.example.>'				'^554 5\.7\.1 '
	'<USER@FOREIGN.EXAMPLE>'				'^554 5\.7\.1 '
	'user@foreign.example'					'^554 5\.7\.1 '
	'<>'							'^501 5\.1\.3 '
)
i=0
while [ $i -lt ${#tricks[@]} ]; do
	arg=${tricks[$i]} want=${tricks[$((i + 1))]}
	i=$((i + 2))
	marker
	REJECTED="$REJECTED $M"
	smtp_session --via-proxy 192.0.2.10 "EHLO $PF_HELO" "MAIL FROM:<$M@clean.test>" \
		"RCPT TO:$arg" DATA "Subject: $M

marker $M" QUIT
	like "${SMTP_REPLY[3]}" "$want" "trick RCPT TO:$arg is refused"
	like "${SMTP_REPLY[4]}" '^[45][0-9][0-9] ' "trick RCPT TO:$arg: DATA is refused"
	is "$(pf_queue_count)" 0 "trick RCPT TO:$arg: nothing queued"
	diag "  ${SMTP_REPLY[3]} -- $(pf_reject_layer "$M@clean.test")"

	case $arg in
	'<'*'>')	# also through swaks, from the other untrusted address
		addr=${arg#<}; addr=${addr%>}
		case $addr in
		*,* | '') ;;	# swaks splits --to at commas; <> is not an address
		*) refused "trick (swaks)" "$addr" "$want" --local-interface "$UNTRUSTED" ;;
		esac
		;;
	esac
done

# --- Afterwards: nothing refused ever reached the sink ---------------------
marker
swaks_to --from "$M@example.org" --to user@example.org --body "marker $M"
pf_sink_has "$M" 10
ok $? "a last trusted message is delivered"
pf_wait_queue_empty 10
ok $? "the queue is empty"
no_refused_kept

# The log shape is to=<ADDRESS>, also for a recipient that fails the syntax check.
doubled=$(grep -ac -E '(to|from)=<<' "$VIGIE_LOG")
is "$doubled" 0 "vigie's log never wraps an address in <> twice"
[ "$doubled" -eq 0 ] || grep -a -m 2 -E '(to|from)=<<' "$VIGIE_LOG" | sed 's/^/# /'

kill -0 "$VIGIE_PID" 2>/dev/null
ok $? "vigie is still running"
if grep -aqiE 'fatal|panic|assert|out of memory' "$VIGIE_LOG" "$VIGIE_OUT"; then
	ok 1 "vigie logged no fatal error"
	grep -aiE 'fatal|panic|assert|out of memory' "$VIGIE_LOG" "$VIGIE_OUT" | sed 's/^/# /'
else
	ok 0 "vigie logged no fatal error"
fi

done_testing
