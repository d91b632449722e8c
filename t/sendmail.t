#!/bin/bash
# t/sendmail.t -- vigie closes an open-relay Sendmail, end to end.
# A private Sendmail 8.17 (Debian's packages, unpacked, never installed; see
# t/lib/sendmail.sh) with a permissive relay policy asks vigie (the shipped
# etc/vigie.conf, the test DNS world) through INPUT_MAIL_FILTER with F=T.
# swaks plays a trusted client (127.0.0.1) and untrusted ones (127.0.0.2 and
# up, --local-interface).  Every message Sendmail accepts goes to an
# smtp-sink; a refused one must never leave a file in Sendmail's queue.
# Also: the queue ID Sendmail gives at MAIL reaches vigie's log, Sendmail's
# {auth_authen} after AUTH, its {client_resolve} is used with
# rdns_from_mta=yes and ignored without ({client_resolve} is not in
# Sendmail's default milter macro lists: vigie asks for it), and with
# vigie down clients get 451 4.3.2, never an accept.  KEEP_TMP=1 keeps the
# run directory: sendmail/transcript has every SMTP exchange, in and out.
srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/t/lib/harness.sh"
. "$srcdir/t/lib/postfix.sh"
. "$srcdir/t/lib/e2e.sh"
. "$srcdir/t/lib/sendmail.sh"

SM_SASL=yes		# Sendmail offers AUTH PLAIN LOGIN (Cyrus SASL, a private sasldb)
sm_setup "" sm

UNTRUSTED=127.0.0.2	# not in trusted_networks, no name in Sendmail's hosts file
REJECTED=""		# senders (markers) whose mail must never reach the sink
QID='[0-9A-Za-z]{12,}'	# a Sendmail queue ID, e.g. 6AS63EJ1002164

# vigie_line REGEX: the last of vigie's log lines for the current marker
# that matches REGEX (vigie logs a decision before it replies to Sendmail).
vigie_line() { vigie_log_grep "from=<$M@[^>]*> " 5 | grep -aE -- "$1" | tail -n 1; }

# sm_accepted DESC RCPT SWAKS-ARGS...: RCPT gets 250, the message is accepted
# and delivered, and vigie logged the accept under Sendmail's queue ID.
sm_accepted() {
	_desc=$1 _rcpt=$2; shift 2
	marker
	swaks_to "$@" --from "${FROM:-$(e2e_from "$@")}" --to "$_rcpt" --header "Subject: $M" --body "marker $M"
	like "$(sw_reply "^RCPT TO:<$(re_quote "$_rcpt")>")" '^250 ' "$_desc: RCPT TO:<$_rcpt> gets 250"
	_qid=$(sw_reply '^\.$' | sed -n 's/^250 2\.0\.0 \([0-9A-Za-z]*\) Message accepted.*/\1/p')
	sm_sink_has "$M" 10
	ok $? "$_desc: the message is delivered"
	[ -n "$_qid" ] && vigie_line ": accept: RCPT from " | grep -q "^[^ ]* vigie\[[0-9]*\]: $_qid: accept: RCPT from "
	ok $? "$_desc: vigie logs the accept under Sendmail's queue ID (${_qid:-none})"
}

# sm_refused DESC RCPT WANT LAYER SWAKS-ARGS...: RCPT gets a reply matching
# WANT, nothing is queued, and the refusal came from LAYER: "vigie" (vigie
# logged a reject with a queue ID, not NOQUEUE) or "sendmail" (vigie never
# saw the recipient).
sm_refused() {
	_desc=$1 _rcpt=$2 _want=$3 _layer=$4; shift 4
	marker
	REJECTED="$REJECTED $M"
	swaks_to "$@" --from "${FROM:-$(e2e_from "$@")}" --to "$_rcpt" --header "Subject: $M" --body "marker $M"
	_got=$(sw_reply "^RCPT TO:<$(re_quote "$_rcpt")>")
	like "$_got" "$_want" "$_desc: RCPT TO:<$_rcpt> is refused"
	is "$(sm_queue_count)" 0 "$_desc: nothing queued"
	if [ "$_layer" = vigie ]; then
		_line=$(vigie_line ": reject: RCPT from ")
		like "$_line" "^[^ ]* vigie\[[0-9]+\]: $QID: reject: RCPT from " "$_desc: refused by vigie, logged with the queue ID"
	else
		_line=$(vigie_log_grep "RCPT from .*from=<$M@" 0)
		is "$_line" "" "$_desc: refused by Sendmail itself, before vigie's RCPT callback"
	fi
	diag "  $_got -- by $_layer"
}

# --- The four mail paths ------------------------------------------------------
sm_accepted "trusted -> local" user@example.org
line=$(vigie_line 'to=<user@example\.org>')
like "$line" "accept: RCPT from mx\.example\.org\[127\.0\.0\.1\]; .* rule=default" \
	"vigie saw the client Sendmail named: mx.example.org[127.0.0.1]"
sm_accepted "trusted -> foreign (relay)" user@foreign.example
sm_accepted "untrusted -> local" user@example.org --local-interface "$UNTRUSTED"
like "$(vigie_line 'to=<user@example\.org>')" 'accept: RCPT from unknown\[127\.0\.0\.2\];' \
	"a client without a name is logged as unknown[127.0.0.2]"
sm_refused "untrusted -> foreign" user@foreign.example '^554 5\.7\.1 <user@foreign\.example>: Relay access denied$' vigie \
	--local-interface "$UNTRUSTED"
line=$(vigie_line 'to=<user@foreign\.example>')
like "$line" "^[^ ]* vigie\[[0-9]+\]: $QID: reject: RCPT from unknown\[127\.0\.0\.2\]: 554 5\.7\.1 .* rule=relay-denied" \
	"vigie logs the relay attempt with rule=relay-denied"
diag "vigie: $line"
! printf '%s\n' "$line" | grep -q NOQUEUE
ok $? "Sendmail gives the queue ID from MAIL on: no NOQUEUE at RCPT"

# --- Relay domains, postmaster, normalised forms -----------------------------
sm_accepted "untrusted -> relay domain" user@backup.example.net --local-interface "$UNTRUSTED"
sm_accepted "untrusted -> postmaster" postmaster@example.org --local-interface "$UNTRUSTED"
sm_accepted "untrusted -> bare postmaster" postmaster --local-interface "$UNTRUSTED"
sm_accepted "untrusted, trailing dot" user@example.org. --local-interface "$UNTRUSTED"
sm_accepted "untrusted, upper case" USER@EXAMPLE.ORG --local-interface "$UNTRUSTED"
sm_accepted "untrusted, our IP literal" "user@[127.0.0.1]" --local-interface "$UNTRUSTED"

# --- One message, a local and a foreign recipient ----------------------------
marker
swaks_to --local-interface "$UNTRUSTED" --from "$M@clean.test" --to user@example.org,user@foreign.example \
	--header "Subject: $M" --body "marker $M"
like "$(sw_reply '^RCPT TO:<user@example\.org>')" '^250 ' "two recipients: the local one gets 250"
like "$(sw_reply '^RCPT TO:<user@foreign\.example>')" '^554 5\.7\.1 ' "two recipients: the foreign one gets 554"
like "$(sw_reply '^\.$')" '^250 ' "two recipients: the message is accepted"
sm_sink_has "$M" 10
ok $? "two recipients: the message is delivered"
rcpts=$(grep -lF "$M" "$SM_SINK_DIR"/* 2>/dev/null | xargs cat 2>/dev/null | grep '^X-Rcpt-Args:')
like "$rcpts" 'user@example\.org' "two recipients: delivered to the local one"
! printf '%s\n' "$rcpts" | grep -q foreign.example
ok $? "two recipients: not delivered to the foreign one"

# --- SASL: Sendmail gives {auth_authen} from MAIL on ---------------------------
if [ -n "$SM_SASLDB" ]; then
	sm_accepted "authenticated untrusted -> foreign" user@foreign.example --local-interface "$UNTRUSTED" \
		--auth PLAIN --auth-user "$PF_SASL_USER@$PF_SASL_REALM" --auth-password "$PF_SASL_PASSWORD"
	like "$(vigie_line 'to=<user@foreign\.example>')" "accept: RCPT from .* sasl_username=<$PF_SASL_USER@$PF_SASL_REALM> rule=default" \
		"vigie logs the SASL login Sendmail passed in {auth_authen}"
	sm_refused "wrong password" user@foreign.example '^554 5\.7\.1 ' vigie --local-interface "$UNTRUSTED" \
		--auth-optional PLAIN --auth-user "$PF_SASL_USER@$PF_SASL_REALM" --auth-password wrong-password
	like "$(sw_reply '^AUTH ')" '^535 ' "wrong password: AUTH fails"
else
	for _n in 1 2 3 4 5 6 7 8; do T_N=$((T_N + 1)); echo "ok $T_N # SKIP Sendmail without AUTH here (no /etc/sasldb2 to stand in for)"; done
fi

# --- The relay tricks, from an untrusted client ----------------------------
# RCPT argument, the reply, and the recipient vigie logs (what Sendmail
# passed it), or "-" where Sendmail refuses the address itself.  Sendmail
# prunes a source route to its final mailbox, unquotes a local part that
# needs no quotes, drops a trailing dot and lower-cases the domain; vigie
# refuses every form all the same.
tricks=(
	'user%foreign.example@example.org'	'^554 5\.7\.1 '	'user%foreign.example@example.org'
	'foreign.example!user@example.org'	'^554 5\.7\.1 '	'foreign.example!user@example.org'
	'@example.org:user@foreign.example'	'^554 5\.7\.1 '	'user@foreign.example'
	'"user@foreign.example"@example.org'	'^554 5\.7\.1 '	'"user@foreign.example"@example.org'
	'"user%foreign.example"@example.org'	'^554 5\.7\.1 '	'user%foreign.example@example.org'
	'"foreign.example!user"@example.org'	'^554 5\.7\.1 '	'foreign.example!user@example.org'
	'user@[192.0.2.99]'			'^554 5\.7\.1 '	'user@[192.0.2.99]'
	'user@foreign.example.'			'^554 5\.7\.1 '	'user@foreign.example'
	'USER@FOREIGN.EXAMPLE'			'^554 5\.7\.1 '	'USER@foreign.example'
	'user@foreign.example@example.org'	'^553 5\.1\.3 '	-
)
i=0
while [ $i -lt ${#tricks[@]} ]; do
	arg=${tricks[$i]} want=${tricks[$((i + 1))]} seen=${tricks[$((i + 2))]}
	i=$((i + 3))
	if [ "$seen" = - ]; then
		sm_refused "trick" "$arg" "$want" sendmail --local-interface "$UNTRUSTED"
	else
		sm_refused "trick" "$arg" "$want" vigie --local-interface "$UNTRUSTED"
		vigie_line 'rule=relay-denied' | grep -qF " to=<$seen> "
		ok $? "trick RCPT TO:<$arg>: vigie got <$seen> from Sendmail and refused it as a relay attempt"
	fi
done

# --- A forged HELO -------------------------------------------------------------
# (Sendmail puts "<rcpt>... " before the text of a 550 or 553 reply, not of a 554.)
sm_refused "HELO claims to be us" user@example.org \
	'^550 5\.7\.1 <user@example\.org>\.\.\. <mx\.example\.org>: Helo command rejected: you are not me$' \
	vigie --local-interface "$UNTRUSTED" --helo mx.example.org
like "$(vigie_line 'rule=helo-forged')" "$QID: reject: RCPT from unknown\[127\.0\.0\.2\]: 550 5\.7\.1 .*helo=<mx\.example\.org> rule=helo-forged.* delayed=yes" \
	"vigie logs the forged HELO, found at MAIL and given at RCPT"
sm_accepted "HELO claims to be us -> postmaster" postmaster@example.org --local-interface "$UNTRUSTED" --helo mx.example.org
sm_accepted "HELO claims to be us, but trusted" user@example.org --helo mx.example.org

# --- rdns: vigie's own lookup, and Sendmail's {client_resolve} ---------------
# 127.0.0.3 and 127.0.0.5 have a confirmed name in Sendmail's hosts file
# ({client_resolve}=OK), none in the DNS world.  With rdns_from_mta=no (the
# shipped default) vigie asks the DNS and warns; with yes it takes
# Sendmail's word.
sm_accepted "client with a name in Sendmail's hosts only" user@example.org --local-interface 127.0.0.3
like "$(vigie_line 'rule=fcrdns')" 'would reject: MAIL from confirmed3\.client\.test\[127\.0\.0\.3\]: .* match=rdns=none' \
	"rdns_from_mta=no: vigie's own lookup finds no rDNS for 127.0.0.3 (warned)"

# --- vigie down: F=T means tempfail, never an accept --------------------------
stop_vigie
for src in 127.0.0.1 "$UNTRUSTED"; do
	marker
	REJECTED="$REJECTED $M"
	swaks_to --local-interface "$src" --from "$(e2e_from --local-interface "$src")" --to user@example.org --body "marker $M"
	like "$(sw_reply '^MAIL FROM:')" '^451 4\.3\.2 ' "vigie down, client $src: MAIL FROM gets 451 4.3.2"
	! printf '%s\n' "$SW_OUT" | grep -Eq '^ *<- +250 2\.(1\.5|0\.0) '
	ok $? "vigie down, client $src: no recipient and no message accepted"
	is "$(sm_queue_count)" 0 "vigie down, client $src: nothing queued"
done

# --- rdns_from_mta=yes: vigie takes Sendmail's {client_resolve} ----------------
sm_stop
# shellcheck disable=SC2034 # read by e2e_vigie_start
E2E_VIGIE_EXTRA=(-o rdns_from_mta=yes)
# (Once more if the port free_port gave was taken before vigie could bind it.)
e2e_vigie_start "" || e2e_vigie_start "" || bail "cannot restart vigie"
sm_start "$VIGIE_PORT" || bail "cannot restart Sendmail"
sm_accepted "rdns_from_mta=yes, confirmed name" user@example.org --local-interface 127.0.0.5
line=$(vigie_log_grep "from=<$M@[^>]*> .*rule=fcrdns" 0)
is "$line" "" "rdns_from_mta=yes: {client_resolve}=OK for 127.0.0.5: no FCrDNS warning"
sm_accepted "rdns_from_mta=yes, no name" user@example.org --local-interface 127.0.0.7
like "$(vigie_line 'rule=fcrdns')" 'would reject: MAIL from unknown\[127\.0\.0\.7\]: .* match=rdns=none' \
	"rdns_from_mta=yes: {client_resolve}=FAIL for 127.0.0.7: warned"
sm_refused "rdns_from_mta=yes, untrusted -> foreign" user@foreign.example '^554 5\.7\.1 ' vigie --local-interface 127.0.0.5

# --- Afterwards: nothing refused ever reached the sink ---------------------
marker
swaks_to --from "$M@example.org" --to user@example.org --body "marker $M"
sm_sink_has "$M" 10
ok $? "a last trusted message is delivered"
sm_wait_queue_empty 10
ok $? "the queue is empty"
leaked=""
for m in $REJECTED; do sm_sink_has "$m" && leaked="$leaked $m"; done
is "$leaked" "" "no refused message reached the sink ($(echo "$REJECTED" | wc -w) checked)"
vigie_healthy

done_testing
