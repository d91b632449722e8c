#!/bin/bash
# t/crash.t -- vigie killed with SIGKILL under load, behind a real Postfix
# (milter_default_action = tempfail, t/lib/postfix.sh): nothing is accepted
# unchecked and nothing is lost.  Three senders send, in a loop, good mail
# (an outside client to a local user) and relay attempts (an outside client
# to a foreign domain, which vigie refuses); vigie is killed in the middle
# and started again.  Then: no relay attempt reached the sink or the queue;
# every good message either reached the sink or got a 4xx (never a 5xx),
# and each of those is delivered when sent again; the sink holds each good
# message once; the queue empties; vigie serves again.
srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/t/lib/harness.sh"
. "$srcdir/t/lib/postfix.sh"
. "$srcdir/t/lib/e2e.sh"

e2e_setup "" crash
REJECTED=""

# Before the crash: both kinds behave.
accepted "before the crash: good mail" user@example.org --via-proxy 192.0.2.10
refused "before the crash: relay attempt" user@foreign.example '^554 5\.7\.1 ' --via-proxy 192.0.2.10
BEFORE=$(pf_sink_count)

# send_one KIND MARKER: one message; prints "KIND MARKER RESULT" where
# RESULT is 250 (accepted at the end of DATA) or the first error code.
send_one() {
	_to=user@example.org
	[ "$1" = bad ] && _to=user@foreign.example
	# shellcheck disable=SC2046 # the proxy options are a list
	_out=$(swaks --server 127.0.0.1 $(pf_proxy_args 192.0.2.10) --timeout 30 --helo "$PF_HELO" \
		--from "$2@clean.test" --to "$_to" --header "Subject: $2" --body "marker $2" 2>&1)
	_err=$(printf '%s\n' "$_out" | sed -n 's/^ *<\*\* *\([0-9][0-9][0-9]\).*/\1/p' | head -1)
	if [ -n "$_err" ]; then echo "$1 $2 $_err"
	elif printf '%s\n' "$_out" | grep -qE '^ *<- +250 .*queued as'; then echo "$1 $2 250"
	else echo "$1 $2 none"; printf '%s\n' "$_out" >"$T_TMP/odd.$2"; fi
}

# Three senders, 16 messages each, good and relay attempts in turn.
RES=$T_TMP/results
: >"$RES"
pids=""
for s in 1 2 3; do
	(
		for i in $(seq 16); do
			m=$(printf 'crash%d-%d-%02d' $$ "$s" "$i")
			if [ $((i % 2)) -eq 0 ]; then send_one bad "$m"; else send_one good "$m"; fi
		done >>"$RES.$s"
	) &
	pids="$pids $!"
done
# Kill vigie once mail is flowing, keep it down for a while, start it again
# on the same socket.
i=0
while [ "$(cat "$RES".* 2>/dev/null | wc -l)" -lt 6 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -9 "$VIGIE_PID"
wait "$VIGIE_PID" 2>/dev/null
diag "vigie killed (SIGKILL) after $(cat "$RES".* | wc -l) messages"
sleep 1.5
"$VIGIE" -f "${VIGIE_OPTS[@]}" >>"$VIGIE_OUT" 2>&1 &
VIGIE_PID=$!
T_PIDS="$T_PIDS $VIGIE_PID"
wait_port "$VIGIE_PORT" 100
ok $? "vigie started again on the same socket"
wait $pids
cat "$RES".* >"$RES"

total=$(wc -l <"$RES")
is "$total" 48 "48 messages sent"
n4=$(awk '$3 ~ /^4/' "$RES" | wc -l)
diag "results: $(awk '{ print $1 "=" $3 }' "$RES" | sort | uniq -c | tr -s ' \n' ' ')"
[ "$n4" -ge 1 ]
ok $? "some messages met the dead milter and got a 4xx ($n4)"

# Relay attempts: never accepted.
bad_ok=$(awk '$1 == "bad" && $3 !~ /^[45]/' "$RES")
is "$bad_ok" "" "no relay attempt was accepted"
for m in $(awk '$1 == "bad" { print $2 }' "$RES"); do REJECTED="$REJECTED $m"; done
# Good mail: 250 or 4xx, never 5xx, never nothing.
good_bad=$(awk '$1 == "good" && $3 != "250" && $3 !~ /^4/' "$RES")
is "$good_bad" "" "every good message got 250 or a 4xx (no 5xx, no silence)"

# The good ones refused with a 4xx are sent again, as an MTA would retry.
for m in $(awk '$1 == "good" && $3 ~ /^4/ { print $2 }' "$RES"); do
	r=$(send_one good "$m")
	[ "${r##* }" = 250 ] || diag "retry of $m: $r"
done
missing=""
for m in $(awk '$1 == "good" { print $2 }' "$RES"); do
	pf_sink_has "$m" 20 || missing="$missing $m"
done
is "$missing" "" "every good message reached the sink (after a retry when it got a 4xx)"
pf_wait_queue_empty 30
ok $? "Postfix's queue is empty"
no_refused_kept
good=$(awk '$1 == "good"' "$RES" | wc -l)
is "$(( $(pf_sink_count) - BEFORE ))" "$good" "the sink holds each good message once ($good)"

# vigie serves again.
accepted "after the restart: good mail" user@example.org --via-proxy 192.0.2.10
refused "after the restart: relay attempt" user@foreign.example '^554 5\.7\.1 ' --via-proxy 192.0.2.10
no_refused_kept
vigie_healthy
done_testing
