#!/bin/bash
# t/postfix-badinput.t -- hostile SMTP input through a real Postfix to vigie.
# Oversized HELO and RCPT arguments, 8-bit bytes, unbalanced quotes and
# brackets, 1,000 recipients in one transaction: each command gets a clear
# reply (never the 4xx Postfix gives when its milter fails), an untrusted
# client never relays, and vigie still serves the next normal connection.
srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/t/lib/harness.sh"
. "$srcdir/t/lib/postfix.sh"
. "$srcdir/t/lib/e2e.sh"

e2e_setup "" bad

CLIENT=192.0.2.10	# untrusted, claimed through the PROXY listener
CLEAR='^(2[0-9][0-9]|5[0-9][0-9])( |$)'	# a definite answer, not a milter tempfail
REJECTED=""

# repeat CHAR COUNT: print CHAR COUNT times.
repeat() { printf "%${2}s" '' | tr ' ' "$1"; }

# rcpt_case DESC ARG WANT [MAIL-PARAMS]: one untrusted session whose only
# RCPT TO argument is ARG; its reply must match WANT; no message may come of it
# unless WANT is a 250.
rcpt_case() {
	_desc=$1 _arg=$2 _want=$3 _params=${4:-}
	marker
	smtp_session --via-proxy "$CLIENT" "EHLO client.example.net" "MAIL FROM:<$M@clean.test>$_params" \
		"RCPT TO:$_arg" DATA "Subject: $M

marker $M" QUIT
	like "${SMTP_REPLY[3]}" "$_want" "$_desc: RCPT gets a clear reply"
	case ${SMTP_REPLY[3]} in
	250*) diag "  ${SMTP_REPLY[3]:0:120}" ;;
	*) REJECTED="$REJECTED $M"; diag "  ${SMTP_REPLY[3]:0:120} -- $(pf_reject_layer "$M@clean.test")" ;;
	esac
}

# --- Oversized HELO -----------------------------------------------------------
# An oversized HELO is not a host name: the shipped helo-syntax rule refuses
# the transaction at RCPT (504 5.5.2), while postmaster stays reachable.
for verb in HELO EHLO; do
	for len in 10000 2000; do
		marker
		smtp_session --via-proxy "$CLIENT" "$verb $(repeat h "$len").example" "MAIL FROM:<$M@clean.test>" \
			"RCPT TO:<user@foreign.example>" "RCPT TO:<user@example.org>" "RCPT TO:<postmaster@example.org>" \
			DATA "Subject: $M

marker $M" QUIT
		like "${SMTP_REPLY[1]}" "$CLEAR" "$len-byte $verb gets a clear reply"
		like "${SMTP_REPLY[3]}" '^554 5\.7\.1 ' "after a $len-byte $verb: relaying is still denied"
		like "${SMTP_REPLY[4]}" '^504 5\.5\.2 .*Helo command rejected: invalid host name' "after a $len-byte $verb: a local recipient gets 504 5.5.2"
		like "${SMTP_REPLY[5]}" '^250 ' "after a $len-byte $verb: postmaster is still accepted"
		pf_sink_has "$M" 10
		ok $? "after a $len-byte $verb: the message to postmaster is delivered"
	done
done

# --- Oversized RCPT -----------------------------------------------------------
# Postfix cuts commands at line_length_limit (2048) and checks domain syntax
# (labels up to 63 bytes, 255 in all): the 10 kB forms test Postfix; the
# 2 kB local part and source route, and the 251-byte domains, reach vigie.
rcpt_case "10 kB local part" "<$(repeat x 10000)@example.org>" '^5[0-9][0-9] '
rcpt_case "10 kB foreign domain" "<user@$(repeat a 10000).example>" '^5[0-9][0-9] '
rcpt_case "2 kB local part" "<$(repeat x 1990)@example.org>" "$CLEAR"
rcpt_case "2 kB local part, foreign domain" "<$(repeat x 1990)@foreign.example>" '^5[0-9][0-9] '
rcpt_case "2 kB foreign label" "<user@$(repeat a 1980).example>" '^5[0-9][0-9] '
labels=$(for i in 1 2 3 4; do printf '%s.' "$(repeat a 60)"; done)
rcpt_case "251-byte foreign domain" "<user@${labels}example>" '^5[0-9][0-9] '
rcpt_case "255-byte subdomain of ours (not local)" "<user@${labels}example.org>" '^5[0-9][0-9] '
rcpt_case "2 kB source route" "<$(for i in $(seq 110); do printf '@r%d.example.org,' "$i"; done)@example.org:user@foreign.example>" \
	'^5[0-9][0-9] '
rcpt_case "2 kB quoted local part" "<\"$(repeat x 1000)@$(repeat y 900).example\"@example.org>" '^5[0-9][0-9] '

# --- 8-bit and control bytes --------------------------------------------------
rcpt_case "invalid UTF-8 in the local part" "<us"$'\xe9'"r@example.org>" '^5[0-9][0-9] '
rcpt_case "UTF-8 local part, no SMTPUTF8" "<"$'\xc3\xbc'"ser@example.org>" '^5[0-9][0-9] '
rcpt_case "UTF-8 foreign domain, no SMTPUTF8" "<user@b"$'\xc3\xbc'"cher.example>" '^5[0-9][0-9] '
rcpt_case "UTF-8 local part with SMTPUTF8" "<"$'\xc3\xbc'"ser@example.org>" "$CLEAR" " SMTPUTF8"
rcpt_case "UTF-8 foreign domain with SMTPUTF8" "<user@b"$'\xc3\xbc'"cher.example>" '^5[0-9][0-9] ' " SMTPUTF8"
rcpt_case "control byte in the local part" "<us"$'\x01'"er@example.org>" '^5[0-9][0-9] '
rcpt_case "DEL byte in the domain" "<user@example"$'\x7f'".org>" '^5[0-9][0-9] '

# --- Unbalanced quotes and brackets ---------------------------------------------
rcpt_case "unbalanced quote, local" '<"user@example.org>' '^5[0-9][0-9] '
rcpt_case "unbalanced quote, foreign" '<"user@foreign.example>' '^5[0-9][0-9] '
rcpt_case "quote escaped away" '<"user\"@example.org>' '^5[0-9][0-9] '
rcpt_case "missing >" '<user@example.org' '^5[0-9][0-9] '
rcpt_case "missing <" 'user@foreign.example>' '^5[0-9][0-9] '
rcpt_case "doubled brackets" '<<user@foreign.example>>' '^5[0-9][0-9] '
rcpt_case "unclosed IP literal" '<user@[192.0.2.25>' '^5[0-9][0-9] '
rcpt_case "unopened IP literal" '<user@192.0.2.25]>' '^5[0-9][0-9] '
rcpt_case "bracket inside a source route" '<@[example.org:user@foreign.example>' '^5[0-9][0-9] '
rcpt_case "empty local part" '<@example.org>' '^5[0-9][0-9] '
rcpt_case "empty domain" '<user@>' '^5[0-9][0-9] '

# --- 1,000 recipients in one transaction --------------------------------------
marker
cmds=("EHLO client.example.net" "MAIL FROM:<$M@clean.test>")
for i in $(seq 1000); do
	if [ $((i % 2)) -eq 0 ]; then cmds+=("RCPT TO:<u$i@example.org>"); else cmds+=("RCPT TO:<u$i@foreign.example>"); fi
done
smtp_session --via-proxy "$CLIENT" "${cmds[@]}" DATA "Subject: $M

marker $M" QUIT
replies=("${SMTP_REPLY[@]:3:1000}")
is "${#replies[@]}" 1000 "1,000 recipients: 1,000 replies"
is "$(printf '%s\n' "${replies[@]}" | grep -c '^250 ')" 500 "1,000 recipients: the 500 local ones get 250"
is "$(printf '%s\n' "${replies[@]}" | grep -c '^554 5\.7\.1 ')" 500 "1,000 recipients: the 500 foreign ones get 554"
like "${SMTP_REPLY[1003]:-}" '^250 ' "1,000 recipients: the message is accepted"
pf_sink_has "$M" 20
ok $? "1,000 recipients: the message is delivered"
is "$(grep -c "from=<$M@clean.test>.*rule=relay-denied" "$VIGIE_LOG")" 500 \
	"1,000 recipients: vigie logs 500 relay-denied lines"
if grep -lF "$M" "$PF_SINK_DIR"/* 2>/dev/null | xargs cat | grep '^X-Rcpt-Args:' | grep -q foreign.example; then
	ok 1 "1,000 recipients: no foreign recipient was delivered"
else
	ok 0 "1,000 recipients: no foreign recipient was delivered"
fi

# --- vigie still serves a normal connection ----------------------------------
marker
REJECTED="$REJECTED $M"
swaks_to --local-interface 127.0.0.2 --from "$M@clean.test" --to user@foreign.example --body "marker $M"
like "$(sw_reply '^RCPT TO:')" '^554 5\.7\.1 ' "afterwards: a relay attempt still gets 554"
marker
swaks_to --local-interface 127.0.0.2 --from "$M@clean.test" --to user@example.org --body "marker $M"
like "$(sw_reply '^RCPT TO:')" '^250 ' "afterwards: a local recipient still gets 250"
pf_sink_has "$M" 10
ok $? "afterwards: the message is delivered"

pf_wait_queue_empty 10
ok $? "the queue is empty"
no_refused_kept
vigie_healthy
# Control characters and non-ASCII never reach the log as they are.
if LC_ALL=C grep -aq '[^[:print:][:space:]]' "$VIGIE_LOG"; then
	ok 1 "vigie's log holds only printable ASCII"
	LC_ALL=C grep -an '[^[:print:][:space:]]' "$VIGIE_LOG" | head -3 | cat -v | sed 's/^/# /'
else
	ok 0 "vigie's log holds only printable ASCII"
fi

done_testing
