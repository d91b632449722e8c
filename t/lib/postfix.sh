# t/lib/postfix.sh -- a private, throw-away Postfix instance for end-to-end tests.
# Source it after t/lib/harness.sh (it uses T_TMP, free_port, wait_port, at_exit).
# Nothing here prints TAP, so tools/demo can use it too.
#
#   pf_start MILTER        start Postfix (needs root) with smtpd_milters = MILTER
#                          (e.g. inet:127.0.0.1:PORT; empty = no milter) and an
#                          smtp-sink that receives every message Postfix accepts.
#   pf_stop                stop both, by PID (registered with at_exit by pf_start).
#   pf_queue_count         number of messages in the instance's queue.
#   pf_wait_queue_empty [SECONDS]
#   pf_sink_has MARKER [SECONDS]   a message containing MARKER reached the sink.
#   pf_maillog             print Postfix's log.
#   swaks_to [--via-proxy IP] SWAKS-ARGS...
#                          run swaks against the instance; transcript in SW_OUT,
#                          exit status in SW_RC.  sw_reply PATTERN prints the
#                          server's reply to the first command matching PATTERN.
#   smtp_session [--via-proxy IP] CMD...
#                          a raw SMTP dialogue over bash's /dev/tcp: send each CMD,
#                          read one reply; "DATA" is followed by the message text
#                          (next argument).  Replies in SMTP_REPLY[i] (last line of
#                          the reply to the i-th CMD; [0] is the greeting),
#                          transcript in SMTP_OUT.
#
# The instance is deliberately an OPEN relay (its relay restrictions permit
# every client): only the milter stands between the world and the sink.  Clients with
# other addresses are played two ways: --local-interface 127.0.0.x on the plain
# listener (PF_PORT), or a PROXY protocol header on the second listener
# (PF_PROXY_PORT), which makes Postfix report the claimed address to the milter.

# The test DNS world: vigie resolves through it, never the system resolver.
# shellcheck source=dns.sh
. "$(dirname "${BASH_SOURCE[0]}")/dns.sh"

# pf_missing: print why the end-to-end tests cannot run here; false if so.
pf_missing() {
	if [ "$(id -u)" -ne 0 ]; then echo "needs root (a private Postfix instance)"; return 1; fi
	for _t in postfix postconf smtp-sink saslpasswd2 swaks; do
		command -v "$_t" >/dev/null 2>&1 || { echo "$_t not installed"; return 1; }
	done
	[ -x /usr/lib/postfix/sbin/smtpd ] || { echo "Postfix daemons not in /usr/lib/postfix/sbin"; return 1; }
	dns_missing || return 1
	return 0
}

PF_SASL_USER=alice
PF_SASL_REALM=example.org
PF_SASL_PASSWORD=secret
PF_HELO=client.example.net
PF_STARTED=""

# pf_have_ipv6: true when ::1 is configured on this machine.
pf_have_ipv6() {
	[ -r /proc/net/if_inet6 ] && grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6
}

# pf_write_config MILTER: write main.cf, master.cf and the SASL setup under $PF_DIR.
pf_write_config() {
	_milter=$1
	_proxy_protocols=ipv4
	pf_have_ipv6 && _proxy_protocols=all
	cat >"$PF_CONF/main.cf" <<EOF
# Private test instance written by t/lib/postfix.sh.
compatibility_level = 3.6
queue_directory = $PF_DIR/queue
data_directory = $PF_DIR/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.example.org
mydomain = example.org
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
maillog_file = $PF_DIR/maillog
maillog_file_prefixes = $PF_DIR
biff = no
notify_classes =
alias_maps =
alias_database =

# Every message goes to the sink, whatever its domain; no DNS at all.
mydestination =
relay_domains =
local_recipient_maps =
relayhost = [127.0.0.1]:$PF_SINK_PORT
local_transport = relay:[127.0.0.1]:$PF_SINK_PORT
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
smtp_helo_name = mx.example.org

# An open relay: only the milter closes it.  (static:OK permits every client;
# the unreachable reject_unauth_destination only satisfies smtpd's start-up
# check against open relays.)
smtpd_relay_restrictions = check_client_access static:OK, reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_helo_required = no
smtpd_recipient_limit = 2000
smtpd_soft_error_limit = 100000
smtpd_hard_error_limit = 100000
smtpd_error_sleep_time = 0
smtpd_junk_command_limit = 100000

smtpd_milters = $_milter
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6

smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_sasl_security_options = noanonymous
smtpd_tls_auth_only = no
smtpd_tls_security_level = none
broken_sasl_auth_clients = no
EOF
	cat >"$PF_CONF/master.cf" <<EOF
# Private test instance written by t/lib/postfix.sh: no chroot anywhere.
127.0.0.1:$PF_PORT inet n - n - - smtpd
127.0.0.1:$PF_PROXY_PORT inet n - n - - smtpd
  -o smtpd_upstream_proxy_protocol=haproxy
  -o inet_protocols=$_proxy_protocols
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
proxywrite unix - - n -  1 proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
	# Cyrus SASL: Debian's smtpd reads <config_directory>/sasl/smtpd.conf.
	mkdir -p "$PF_CONF/sasl" || return 1
	cat >"$PF_CONF/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $PF_DIR/sasldb2
EOF
	printf '%s' "$PF_SASL_PASSWORD" |
		saslpasswd2 -p -f "$PF_DIR/sasldb2" -c -u "$PF_SASL_REALM" "$PF_SASL_USER" || return 1
	chown root:postfix "$PF_DIR/sasldb2" && chmod 0640 "$PF_DIR/sasldb2"
}

# pf_start MILTER: start the sink and a private Postfix; sets PF_PORT,
# PF_PROXY_PORT, PF_SINK_PORT, PF_DIR, PF_CONF, PF_LOG, PF_SINK_DIR.
pf_start() {
	_milter=$1
	_why=$(pf_missing) || { echo "pf_start: $_why" >&2; return 1; }
	PF_DIR=$T_TMP/postfix
	PF_CONF=$PF_DIR/etc
	PF_LOG=$PF_DIR/maillog
	PF_SINK_DIR=$T_TMP/sink
	if ! PF_PORT=$(free_port) || ! PF_PROXY_PORT=$(free_port) || ! PF_SINK_PORT=$(free_port); then
		echo "pf_start: no free port" >&2
		return 1
	fi

	mkdir -p "$PF_CONF" "$PF_DIR/queue" "$PF_DIR/data" "$PF_SINK_DIR" || return 1
	chmod 0755 "$PF_DIR" "$PF_CONF" "$PF_DIR/queue"
	chown root:root "$PF_DIR/queue"
	chown postfix "$PF_DIR/data" && chmod 0700 "$PF_DIR/data"
	chown nobody "$PF_SINK_DIR"
	: >"$PF_LOG"
	at_exit pf_stop
	PF_STARTED=yes

	# smtp-sink drops root for nobody after binding; one file per message.
	smtp-sink -u nobody -d "$PF_SINK_DIR/msg." "127.0.0.1:$PF_SINK_PORT" 64 \
		>"$PF_DIR/smtp-sink.log" 2>&1 &
	PF_SINK_PID=$!
	wait_port "$PF_SINK_PORT" || { echo "pf_start: smtp-sink did not start" >&2; return 1; }

	pf_write_config "$_milter" || { echo "pf_start: cannot write the configuration" >&2; return 1; }
	if ! postfix -c "$PF_CONF" start >"$PF_DIR/start.log" 2>&1; then
		echo "pf_start: postfix -c $PF_CONF start failed:" >&2
		postfix -c "$PF_CONF" check 1>&2
		cat "$PF_DIR/start.log" "$PF_LOG" >&2
		return 1
	fi
	PF_MASTER_PID=$(tr -dc 0-9 <"$PF_DIR/queue/pid/master.pid" 2>/dev/null)
	if ! wait_port "$PF_PORT" || ! wait_port "$PF_PROXY_PORT"; then
		echo "pf_start: Postfix does not listen" >&2
		cat "$PF_LOG" >&2
		return 1
	fi
}

# pf_stop: stop the instance and the sink, and kill whatever of them is left, by PID.
pf_stop() {
	[ -n "$PF_STARTED" ] || return 0
	PF_STARTED=""
	_kids=""
	[ -n "${PF_MASTER_PID:-}" ] || PF_MASTER_PID=$(tr -dc 0-9 <"$PF_DIR/queue/pid/master.pid" 2>/dev/null)
	if [ -n "${PF_MASTER_PID:-}" ] && kill -0 "$PF_MASTER_PID" 2>/dev/null; then
		_kids=$(ps -o pid= --ppid "$PF_MASTER_PID" 2>/dev/null)
		postfix -c "$PF_CONF" stop >/dev/null 2>&1
		_i=0
		while kill -0 "$PF_MASTER_PID" 2>/dev/null && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
		kill -9 "$PF_MASTER_PID" 2>/dev/null
		for _p in $_kids; do
			_i=0
			while kill -0 "$_p" 2>/dev/null && [ $_i -lt 30 ]; do sleep 0.1; _i=$((_i + 1)); done
			kill -9 "$_p" 2>/dev/null
		done
	fi
	if [ -n "${PF_SINK_PID:-}" ]; then
		kill "$PF_SINK_PID" 2>/dev/null
		wait "$PF_SINK_PID" 2>/dev/null
		PF_SINK_PID=""
	fi
	return 0
}

# pf_queue_count: print how many messages are in the queue (any state).
pf_queue_count() {
	find "$PF_DIR/queue/maildrop" "$PF_DIR/queue/incoming" "$PF_DIR/queue/active" \
		"$PF_DIR/queue/deferred" "$PF_DIR/queue/hold" "$PF_DIR/queue/corrupt" \
		-type f 2>/dev/null | wc -l | tr -d ' '
}

# pf_wait_queue_empty [SECONDS]: wait until the queue is empty; false on timeout.
pf_wait_queue_empty() {
	_i=0
	while [ "$(pf_queue_count)" -ne 0 ]; do
		[ $_i -ge $((${1:-20} * 10)) ] && return 1
		sleep 0.1; _i=$((_i + 1))
	done
}

# pf_sink_has MARKER [SECONDS]: true when a message containing MARKER reached
# the sink, waiting up to SECONDS (default 0) for it.
pf_sink_has() {
	_i=0
	while :; do
		grep -rqF -- "$1" "$PF_SINK_DIR" 2>/dev/null && return 0
		[ $_i -ge $((${2:-0} * 10)) ] && return 1
		sleep 0.1; _i=$((_i + 1))
	done
}

# pf_sink_count: number of messages the sink received.
pf_sink_count() {
	find "$PF_SINK_DIR" -type f 2>/dev/null | wc -l | tr -d ' '
}

# pf_maillog: print Postfix's log.
pf_maillog() {
	cat "$PF_LOG" 2>/dev/null
}

# pf_proxy_args IP: print the swaks options that claim client IP through PROXY v1.
pf_proxy_args() {
	case $1 in
	*:*) echo "--port $PF_PROXY_PORT --proxy-version 1 --proxy-family TCP6 --proxy-source $1 --proxy-source-port 40025 --proxy-dest ::1 --proxy-dest-port 25" ;;
	*) echo "--port $PF_PROXY_PORT --proxy-version 1 --proxy-family TCP4 --proxy-source $1 --proxy-source-port 40025 --proxy-dest 127.0.0.1 --proxy-dest-port 25" ;;
	esac
}

# swaks_to [--via-proxy IP] ARGS...: run swaks against the instance.
SW_N=0
swaks_to() {
	_where="--port $PF_PORT"
	if [ "${1:-}" = "--via-proxy" ]; then _where=$(pf_proxy_args "$2"); shift 2; fi
	SW_N=$((SW_N + 1))
	# shellcheck disable=SC2086 # _where is a list of options
	SW_OUT=$(swaks --server 127.0.0.1 $_where --timeout 30 --helo "$PF_HELO" \
		--hide-informational "$@" 2>&1)
	SW_RC=$?
	printf '%s\n' "$SW_OUT" >"$T_TMP/swaks.$SW_N.log"
	return $SW_RC
}

# sw_reply PATTERN: print the server's reply to the first command in SW_OUT
# that matches PATTERN (an extended regex), e.g. sw_reply '^RCPT TO:<a@b>'.
sw_reply() {
	printf '%s\n' "$SW_OUT" | awk -v pat="$1" '
		found && /^ *(<-|<\*\*) / { sub(/^ *(<-|<\*\*) +/, ""); print; exit }
		/^ *(->|\*\*>) / { c = $0; sub(/^ *(->|\*\*>) +/, "", c); if (!found && c ~ pat) found = 1 }'
}

# smtp_session [--via-proxy IP] CMD...: a raw SMTP dialogue (see the top).
smtp_session() {
	_port=$PF_PORT _proxy=""
	if [ "${1:-}" = "--via-proxy" ]; then
		_port=$PF_PROXY_PORT
		case $2 in
		*:*) _proxy="PROXY TCP6 $2 ::1 40025 25" ;;
		*) _proxy="PROXY TCP4 $2 127.0.0.1 40025 25" ;;
		esac
		shift 2
	fi
	# shellcheck disable=SC2034 # SMTP_REPLY is for the caller
	SMTP_REPLY=()
	SMTP_OUT=""
	exec {_fd}<>"/dev/tcp/127.0.0.1/$_port" || return 1
	# A server that hangs up must make a write fail, not kill this shell.
	_pipe_trap=$(trap -p PIPE)
	trap '' PIPE
	[ -n "$_proxy" ] && _smtp_write "$_fd" "$_proxy"
	_smtp_read "$_fd" || { exec {_fd}>&-; eval "${_pipe_trap:-trap - PIPE}"; return 1; }
	SMTP_REPLY[0]=$_last
	_n=0
	while [ $# -gt 0 ]; do
		_cmd=$1; shift
		_n=$((_n + 1))
		SMTP_OUT+="C: ${_cmd:0:200}$([ ${#_cmd} -gt 200 ] && echo "...(${#_cmd} bytes)")"$'\n'
		_smtp_write "$_fd" "$_cmd" || break
		_smtp_read "$_fd" || break
		SMTP_REPLY[_n]=$_last
		if [ "${_cmd^^}" = DATA ]; then
			_body=${1:-}; shift
			case $_last in
			354*)
				_smtp_write "$_fd" "${_body//$'\n'/$'\r\n'}"$'\r\n.' || break
				SMTP_OUT+="C: <message, ${#_body} bytes>"$'\n'
				_smtp_read "$_fd" || break
				# shellcheck disable=SC2034
				SMTP_REPLY[_n]=$_last
				;;
			esac
		fi
	done
	exec {_fd}>&-
	eval "${_pipe_trap:-trap - PIPE}"
	return 0
}

# _smtp_write FD LINE: send LINE and CRLF; false when the peer is gone.
_smtp_write() {
	printf '%s\r\n' "$2" 2>/dev/null 1>&"$1"
}

# _smtp_read FD: read one (multi-line) reply; its last line in _last.
_smtp_read() {
	_last=""
	while IFS= read -r -t 30 -u "$1" _line; do
		_line=${_line%$'\r'}
		SMTP_OUT+="S: $_line"$'\n'
		case $_line in
		[0-9][0-9][0-9]-*) ;;
		*) _last=$_line; return 0 ;;
		esac
	done
	SMTP_OUT+="S: <no reply>"$'\n'
	_last="<no reply>"
	return 1
}

# --- vigie for the end-to-end tests ---------------------------------------

# e2e_vigie_start EXTRA-TRUSTED: start vigie on a free loopback port with
# the shipped etc/vigie.conf and -o overrides (our test domains, networks,
# the test DNS server of t/lib/dns.sh); E2E_VIGIE_EXTRA (an array) adds
# more -o options.  Sets VIGIE_PORT, VIGIE_OPTS, VIGIE_LOG (the configured
# log file) and VIGIE_OUT (its stderr).  EXTRA-TRUSTED is appended to
# trusted_networks.
e2e_vigie_start() {
	VIGIE_PORT=$(free_port) || return 1
	VIGIE_LOG=$T_TMP/vigie.log
	VIGIE_OUT=$T_TMP/vigie.stderr
	: >"$VIGIE_LOG" && chown nobody "$VIGIE_LOG"
	# The shipped etc/vigie.conf, its rules as they are; only where vigie
	# listens, runs, logs and resolves, and who we are, are set here.
	VIGIE_OPTS=(-c "$srcdir/etc/vigie.conf"
		-o "socket=inet:$VIGIE_PORT@127.0.0.1" -o user=nobody -o "pidfile=$T_TMP/vigie.pid"
		-o "log=file:$VIGIE_LOG" -o hostname=mx.example.org
		-o "our_hostnames=mx.example.org, localhost" -o "our_addresses=127.0.0.1, ::1, 192.0.2.25"
		-o local_domains=example.org -o relay_domains=backup.example.net
		-o "trusted_networks=127.0.0.1/32 ${1:-}" -o "resolver=$DNS_SERVER" -o dns_timeout=500ms
		-o "psl_file=$DNS_PSL" -o "sender_login=$PF_SASL_USER@$PF_SASL_REALM @example.org"
		"${E2E_VIGIE_EXTRA[@]}")
	E2E_TRUSTED=${1:-}
	if ! "$VIGIE" -n "${VIGIE_OPTS[@]}" >"$T_TMP/vigie-n.out" 2>&1; then
		echo "e2e_vigie_start: vigie -n rejects the configuration:" >&2
		cat "$T_TMP/vigie-n.out" >&2
		return 1
	fi
	"$VIGIE" -f "${VIGIE_OPTS[@]}" >>"$VIGIE_OUT" 2>&1 &
	VIGIE_PID=$!
	T_PIDS="$T_PIDS $VIGIE_PID"
	if ! wait_port "$VIGIE_PORT" 100 || ! kill -0 "$VIGIE_PID" 2>/dev/null; then
		echo "e2e_vigie_start: vigie did not start:" >&2
		cat "$VIGIE_OUT" >&2
		return 1
	fi
}

# vigie_log_grep REGEX [SECONDS]: print vigie's log lines matching REGEX
# (extended), waiting up to SECONDS (default 2) for one to appear.
vigie_log_grep() {
	_i=0
	while :; do
		grep -aE -- "$1" "$VIGIE_LOG" 2>/dev/null && return 0
		[ $_i -ge $((${2:-2} * 10)) ] && return 1
		sleep 0.1; _i=$((_i + 1))
	done
}

# pf_reject_layer SENDER: say which layer rejected SENDER's recipient, from
# Postfix's log: vigie (milter-reject) or Postfix itself.
pf_reject_layer() {
	if grep -F "from=<$1>" "$PF_LOG" 2>/dev/null | grep -q 'milter-reject:'; then
		echo "rejected by vigie (milter-reject)"
	else
		echo "rejected by Postfix itself"
	fi
}

# e2e_setup EXTRA_TRUSTED MARKER_PREFIX: the common start of an end-to-end
# TAP test: skip (with the reason) where it cannot run, start vigie with
# EXTRA_TRUSTED added to trusted_networks, then Postfix pointing at it.
# marker() then sets M to a fresh unique sender local part (fixed width, so
# no marker is a prefix of another).
e2e_setup() {
	_why=$(pf_missing) || skip_all "$_why"
	[ -x "$VIGIE" ] || bail "no vigie binary at $VIGIE"
	E2E_MARKER_PREFIX=$2
	dns_start || bail "cannot start the test DNS server"
	e2e_vigie_start "$1" || bail "cannot start vigie"
	pf_start "inet:127.0.0.1:$VIGIE_PORT" || bail "cannot start Postfix"
	diag "Postfix on 127.0.0.1:$PF_PORT (PROXY: $PF_PROXY_PORT), vigie on $VIGIE_PORT, sink on $PF_SINK_PORT"
	N=0
}
marker() { N=$((N + 1)); M=$(printf '%s%d-%04d' "$E2E_MARKER_PREFIX" $$ $N); }
