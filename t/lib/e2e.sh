# t/lib/e2e.sh -- TAP helpers for the end-to-end tests through Postfix.
# Source after t/lib/harness.sh and t/lib/postfix.sh.  FROM=ADDR before a
# call sets the envelope sender (default: the session's marker address).

# e2e_trusted ADDR: is ADDR a trusted client (127.0.0.1, or in E2E_TRUSTED:
# a blank-separated list of /32 addresses and /24 networks)?
e2e_trusted() {
	[ "$1" = 127.0.0.1 ] && return 0
	for _n in ${E2E_TRUSTED:-}; do
		case $_n in
		*/32) [ "${_n%/32}" = "$1" ] && return 0 ;;
		*/24) [ "${_n%.*}" = "${1%.*}" ] && return 0 ;;
		esac
	done
	return 1
}

# e2e_from SWAKS-ARGS...: the sender a session uses, unless FROM is set:
# one of our domains for trusted and authenticated clients (the shipped
# rules require it: a trusted client sends as us, and the test login owns
# @example.org), a foreign one otherwise (our domains are refused there).
e2e_from() {
	_client=127.0.0.1 _auth=""
	while [ $# -gt 0 ]; do
		case $1 in
		--via-proxy|--local-interface) _client=$2; shift ;;
		--auth) _auth=1 ;;
		esac
		shift
	done
	if [ -n "$_auth" ] || e2e_trusted "$_client"; then echo "$M@example.org"; else echo "$M@clean.test"; fi
}

# accepted DESC RCPT SWAKS-ARGS...: the RCPT gets 250 and the message reaches the sink.
accepted() {
	_desc=$1 _rcpt=$2; shift 2
	marker
	swaks_to "$@" --from "${FROM:-$(e2e_from "$@")}" --to "$_rcpt" --header "Subject: $M" --body "marker $M"
	like "$(sw_reply "^RCPT TO:<$(re_quote "$_rcpt")>")" '^250 ' "$_desc: RCPT TO:<$_rcpt> gets 250"
	pf_sink_has "$M" 10
	ok $? "$_desc: the message is delivered"
}

# refused DESC RCPT WANT SWAKS-ARGS...: the RCPT gets a reply matching WANT
# and nothing is queued.
refused() {
	_desc=$1 _rcpt=$2 _want=$3; shift 3
	marker
	REJECTED="$REJECTED $M"
	swaks_to "$@" --from "${FROM:-$(e2e_from "$@")}" --to "$_rcpt" --header "Subject: $M" --body "marker $M"
	like "$(sw_reply "^RCPT TO:<$(re_quote "$_rcpt")>")" "$_want" "$_desc: RCPT TO:<$_rcpt> is refused"
	is "$(pf_queue_count)" 0 "$_desc: nothing queued"
}

# re_quote STRING: STRING with the extended-regex metacharacters escaped.
re_quote() { printf '%s' "$1" | sed 's/[][\.*^$?+(){}|/]/\\&/g'; }

# no_refused_kept: one test point: none of the senders in $REJECTED reached
# the sink or Postfix's queue manager (so none was ever queued).
no_refused_kept() {
	_leaked=""
	for _m in $REJECTED; do
		pf_sink_has "$_m" && _leaked="$_leaked $_m"
		grep -F "from=<$_m@" "$PF_LOG" | grep -q 'qmgr.*from=' && _leaked="$_leaked $_m(queued)"
	done
	is "$_leaked" "" "no refused message reached the queue or the sink ($(echo "$REJECTED" | wc -w) checked)"
}

# vigie_healthy: two test points: vigie still runs, and logged nothing fatal.
vigie_healthy() {
	kill -0 "$VIGIE_PID" 2>/dev/null
	ok $? "vigie is still running"
	if grep -aqiE 'fatal|panic|assert|out of memory' "$VIGIE_LOG" "$VIGIE_OUT"; then
		ok 1 "vigie logged no fatal error"
		grep -aiE 'fatal|panic|assert|out of memory' "$VIGIE_LOG" "$VIGIE_OUT" | sed 's/^/# /'
	else
		ok 0 "vigie logged no fatal error"
	fi
}
