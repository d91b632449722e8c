# t/lib/sendmail.sh -- a private, throw-away Sendmail for end-to-end tests.
# Source it after t/lib/harness.sh and t/lib/postfix.sh (this file uses
# T_TMP, free_port, wait_port, at_exit, and postfix.sh's client helpers and
# e2e_vigie_start).  Nothing here prints TAP.
#
#   sm_missing            print why Sendmail cannot run here and return 1;
#                         return 0 (printing nothing) when it can.
#   sm_fetch              make sure the Sendmail packages are in SM_CACHE
#                         (apt-get download); false, with the reason on
#                         stderr, when they cannot be had.
#   sm_start MILTER-PORT  unpack Sendmail into $T_TMP/sendmail, build its .cf
#                         with INPUT_MAIL_FILTER(vigie) on inet:PORT@127.0.0.1
#                         and start it with an smtp-sink behind it.  Sets
#                         SM_PORT, SM_SINK_PORT, SM_DIR, SM_QUEUE, SM_SINK_DIR,
#                         SM_TRANSCRIPT, SM_PID (the daemon), SM_NS_PID (its
#                         unshare) -- and PF_PORT, PF_SINK_DIR (see below).
#                         SM_SASL=yes before it: AUTH PLAIN LOGIN for the test
#                         login (postfix.sh's PF_SASL_*); SM_SASLDB is then
#                         set, or empty where AUTH cannot be offered.
#   sm_stop               stop Sendmail and the sink, by PID (registered with
#                         at_exit by sm_start).
#   sm_queue_count        number of files in Sendmail's queue directory.
#   sm_wait_queue_empty [SECONDS]
#   sm_sink_has MARKER [SECONDS]   a message containing MARKER reached the sink.
#   sm_setup EXTRA-TRUSTED MARKER-PREFIX
#                         the common start of a TAP test (like e2e_setup).
#
# The clients: postfix.sh's swaks_to, sw_reply and smtp_session talk to
# 127.0.0.1:$PF_PORT with HELO $PF_HELO; sm_start points PF_PORT at Sendmail,
# so they drive Sendmail unchanged (there is no PROXY listener: other client
# addresses are played with --local-interface 127.0.0.x).  PF_SINK_DIR is the
# sink's directory, so pf_sink_has works too.
#
# How the instance is made (the facts are in design.md, "Sendmail facts"):
#   - Debian's sendmail packages conflict with postfix at install time, so they
#     are never installed: `apt-get download` fetches sendmail-bin,
#     sendmail-base, sendmail-cf and libwrap0 into SM_CACHE (by default
#     $builddir/t/sendmail-cache, kept between runs; SENDMAIL_CACHE overrides)
#     and `dpkg-deb -x` unpacks them into $SM_DIR/root on every run.
#   - The binary is copied without its setgid bit, so the dynamic loader
#     honours LD_LIBRARY_PATH (libwrap.so.0 comes from the unpacked libwrap0).
#   - The .cf is built with m4 from an .mc written here: private queue, pid,
#     status and alias files; DefaultUser nobody; no ident; no interface
#     probing; an open relay (FEATURE(promiscuous_relay)), so only vigie
#     closes it; no DNS anywhere (hosts come from files, nocanonify, sender
#     domains need not resolve); every message -- local (MAIL_HUB) or not
#     (SMART_HOST) -- goes to the smtp-sink on SM_SINK_PORT.
#   - Sendmail qualifies the machine's name through the system resolver
#     before it reads its .cf, and sleeps 60 s when that fails.  It runs in
#     private mount, UTS and PID namespaces (unshare): its own host name
#     (mx.example.org), /etc/hosts, /etc/nsswitch.conf (hosts: files) and
#     /etc/resolv.conf (127.0.0.1) are bind-mounted there, invisible to the
#     rest of the machine.  The daemon is the namespace's first process:
#     when it exits, the kernel ends every child it left.
#   - The paths under $T_TMP lie below the world-writable /tmp, which
#     Sendmail refuses for its maps: DontBlameSendmail=MapInUnsafeDirPath.
#   - Sendmail logs to syslog only, and there is no syslog daemon here: its
#     SMTP traffic (in and out) goes to SM_TRANSCRIPT (-X) instead.

SM_PACKAGES="sendmail-bin sendmail-base sendmail-cf libwrap0"
SM_CACHE=${SENDMAIL_CACHE:-${builddir:-.}/t/sendmail-cache}
SM_HOSTNAME=mx.example.org
SM_STARTED=""
SM_PID=""
SM_NS_PID=""
SM_SINK_PID=""

# The client addresses Sendmail's private hosts file knows (for {client_name}
# and {client_resolve}): 127.0.0.3 and 127.0.0.5 resolve both ways (OK);
# every other 127.0.0.x has no name (FAIL).  (FORGED cannot be played with a
# hosts file: glibc returns every line of a name, so the name of an address
# always resolves back to it.)
SM_HOSTS="127.0.0.1	$SM_HOSTNAME mx localhost
127.0.0.3	confirmed3.client.test
127.0.0.5	confirmed5.client.test"

# sm_missing: see the top.
sm_missing() {
	if [ "$(id -u)" -ne 0 ]; then echo "needs root (a private Sendmail in its own namespaces)"; return 1; fi
	for _t in unshare m4 dpkg-deb smtp-sink swaks ps; do
		command -v "$_t" >/dev/null 2>&1 || { echo "$_t not installed"; return 1; }
	done
	id nobody >/dev/null 2>&1 || { echo "no user nobody"; return 1; }
	unshare --mount --uts --pid --fork /bin/sh -c : 2>/dev/null ||
		{ echo "cannot create mount, UTS and PID namespaces (unshare)"; return 1; }
	dns_missing || return 1
	if ! _sm_have_debs && ! command -v apt-get >/dev/null 2>&1; then
		echo "no Sendmail packages in $SM_CACHE and no apt-get to download them"
		return 1
	fi
	return 0
}

# _sm_deb PACKAGE: print the newest cached .deb of PACKAGE; false if none.
_sm_deb() {
	# shellcheck disable=SC2012 # names are Debian package file names
	_d=$(ls -1 "$SM_CACHE/$1"_*.deb 2>/dev/null | sort -V | tail -n 1)
	[ -n "$_d" ] && [ -s "$_d" ] && echo "$_d"
}

_sm_have_debs() {
	for _p in $SM_PACKAGES; do _sm_deb "$_p" >/dev/null || return 1; done
}

# sm_fetch: see the top.  apt-get download runs as root without apt's
# sandbox user (which could not write to the cache), once with the package
# lists as they are and, if that fails, once more after apt-get update
# (a fresh machine may have no lists yet).
sm_fetch() {
	_sm_have_debs && return 0
	mkdir -p "$SM_CACHE" || { echo "sm_fetch: cannot create $SM_CACHE" >&2; return 1; }
	command -v apt-get >/dev/null 2>&1 || { echo "sm_fetch: no apt-get" >&2; return 1; }
	_log=$SM_CACHE/download.log
	# shellcheck disable=SC2086 # a list of package names
	if ! (cd "$SM_CACHE" && apt-get download -q -o APT::Sandbox::User=root $SM_PACKAGES) >"$_log" 2>&1; then
		apt-get update -q >>"$_log" 2>&1
		# shellcheck disable=SC2086
		(cd "$SM_CACHE" && apt-get download -q -o APT::Sandbox::User=root $SM_PACKAGES) >>"$_log" 2>&1
	fi
	_sm_have_debs && return 0
	echo "sm_fetch: apt-get download $SM_PACKAGES failed:" >&2
	tail -n 5 "$_log" >&2
	return 1
}

# _sm_unpack: unpack the cached packages into $SM_DIR/root and install the
# binary, without its setgid bit, as $SM_DIR/sendmail.  A cached .deb that
# does not unpack is deleted (the next sm_fetch downloads it again).
_sm_unpack() {
	mkdir -p "$SM_ROOT" || return 1
	for _p in $SM_PACKAGES; do
		_d=$(_sm_deb "$_p") || { echo "sm_start: $_p is not in $SM_CACHE" >&2; return 1; }
		if ! dpkg-deb -x "$_d" "$SM_ROOT" 2>>"$SM_DIR/unpack.log"; then
			echo "sm_start: cannot unpack $_d (deleted; run again to download it anew):" >&2
			cat "$SM_DIR/unpack.log" >&2
			rm -f "$_d"
			return 1
		fi
	done
	if [ ! -x "$SM_ROOT/usr/libexec/sendmail/sendmail" ] || [ ! -r "$SM_ROOT/usr/share/sendmail/cf/m4/cf.m4" ]; then
		echo "sm_start: the packages lack usr/libexec/sendmail/sendmail or the cf files" >&2
		return 1
	fi
	cp "$SM_ROOT/usr/libexec/sendmail/sendmail" "$SM_DIR/sendmail" && chmod 0755 "$SM_DIR/sendmail" || return 1
	_wrap=$(find "$SM_ROOT/usr/lib" -name 'libwrap.so.0' 2>/dev/null | head -n 1)
	[ -n "$_wrap" ] || { echo "sm_start: libwrap.so.0 not found in libwrap0" >&2; return 1; }
	SM_LIBDIR=${_wrap%/*}
}

# _sm_write_config MILTER-PORT: the files of the private root, the .mc and
# the .cf built from it.
_sm_write_config() {
	_mport=$1
	mkdir -p "$SM_DIR/etc" "$SM_QUEUE" || return 1
	chmod 0700 "$SM_QUEUE"
	printf '%s\n' "$SM_HOSTS" >"$SM_DIR/etc/hosts"
	printf 'hosts: files\n' >"$SM_DIR/etc/nsswitch.conf"
	printf 'nameserver 127.0.0.1\noptions attempts:1 timeout:1\n' >"$SM_DIR/etc/resolv.conf"
	# Sendmail's own service switch: hosts and aliases from files only.
	printf 'hosts files\naliases files\n' >"$SM_DIR/etc/service.switch"
	printf 'postmaster: root\nMAILER-DAEMON: postmaster\n' >"$SM_DIR/etc/aliases"
	# The .mc.  m4 quotes are `...'; the @NAMES@ are replaced below.
	cat >"$SM_DIR/sendmail.mc" <<'EOF'
divert(-1)
# Private Sendmail for vigie's tests, written by t/lib/sendmail.sh.
# An open relay on purpose: only the milter (vigie) closes it.
divert(0)dnl
VERSIONID(`vigie test instance')dnl
OSTYPE(`linux')dnl
dnl Who and where: every path private; no ident, no interface probing.
define(`confDOMAIN_NAME', `@HOSTNAME@')dnl
define(`confDEF_USER_ID', `nobody:nogroup')dnl
define(`confTO_IDENT', `0')dnl
define(`confDONT_PROBE_INTERFACES', `true')dnl
define(`QUEUE_DIR', `@QUEUE@')dnl
define(`confPID_FILE', `@DIR@/sendmail.pid')dnl
define(`STATUS_FILE', `@DIR@/statistics')dnl
define(`confHOST_STATUS_DIRECTORY', `')dnl
define(`ALIAS_FILE', `@DIR@/etc/aliases')dnl
define(`HELP_FILE', `@DIR@/helpfile')dnl
define(`confDONT_BLAME_SENDMAIL', `MapInUnsafeDirPath')dnl
dnl No DNS: host names from the private hosts file only.
define(`confSERVICE_SWITCH_FILE', `@DIR@/etc/service.switch')dnl
define(`confHOSTS_FILE', `@DIR@/etc/hosts')dnl
FEATURE(`nocanonify')dnl
FEATURE(`accept_unresolvable_domains')dnl
FEATURE(`accept_unqualified_senders')dnl
dnl Never refuse or slow down a test client for its own reasons.
FEATURE(`promiscuous_relay')dnl
define(`confREFUSE_LA', `1000')dnl
define(`confQUEUE_LA', `1000')dnl
define(`confDELAY_LA', `1000')dnl
define(`confBAD_RCPT_THROTTLE', `0')dnl
define(`confCONNECTION_RATE_THROTTLE', `0')dnl
define(`confMAX_DAEMON_CHILDREN', `0')dnl
define(`confMIN_FREE_BLOCKS', `0')dnl
dnl Deliver at once, and everything to the sink.
define(`confDELIVERY_MODE', `background')dnl
define(`SMART_HOST', `relay:[127.0.0.1]')dnl
define(`MAIL_HUB', `relay:[127.0.0.1]')dnl
define(`RELAY_MAILER_ARGS', `TCP $h @SINKPORT@')dnl
define(`SMTP_MAILER_ARGS', `TCP $h @SINKPORT@')dnl
define(`ESMTP_MAILER_ARGS', `TCP $h @SINKPORT@')dnl
define(`SMTP8_MAILER_ARGS', `TCP $h @SINKPORT@')dnl
define(`DSMTP_MAILER_ARGS', `TCP $h @SINKPORT@')dnl
dnl One listener on loopback; no MSA on port 587.
FEATURE(`no_default_msa')dnl
DAEMON_OPTIONS(`Port=@PORT@, Addr=127.0.0.1, Name=MTA')dnl
dnl vigie; F=T: tempfail when it cannot be reached.  The macro lists stay
dnl Sendmail's defaults: vigie asks for what it reads at negotiation.
INPUT_MAIL_FILTER(`vigie', `S=inet:@MILTERPORT@@127.0.0.1, F=T, T=S:10s;R:10s;E:1m')dnl
@SASL@dnl
MAILER(`local')dnl
MAILER(`smtp')dnl
EOF
	_sasl=""
	[ -n "$SM_SASLDB" ] && _sasl="define(\`confAUTH_MECHANISMS', \`PLAIN LOGIN')dnl
TRUST_AUTH_MECH(\`PLAIN LOGIN')dnl
"
	_mc=$(cat "$SM_DIR/sendmail.mc")
	_mc=${_mc//@HOSTNAME@/$SM_HOSTNAME}
	_mc=${_mc//@QUEUE@/$SM_QUEUE}
	_mc=${_mc//@DIR@/$SM_DIR}
	_mc=${_mc//@SINKPORT@/$SM_SINK_PORT}
	_mc=${_mc//@PORT@/$SM_PORT}
	_mc=${_mc//@MILTERPORT@/$_mport}
	_mc=${_mc//@SASL@dnl$'\n'/$_sasl}
	printf '%s\n' "$_mc" >"$SM_DIR/sendmail.mc"
	: >"$SM_DIR/helpfile"
	_cfdir=$SM_ROOT/usr/share/sendmail/cf
	if ! m4 -D_CF_DIR_="$_cfdir/" "$_cfdir/m4/cf.m4" "$SM_DIR/sendmail.mc" \
		>"$SM_DIR/sendmail.cf" 2>"$SM_DIR/m4.log"; then
		echo "sm_start: m4 cannot build sendmail.cf:" >&2
		cat "$SM_DIR/m4.log" >&2
		return 1
	fi
}

# _sm_sasl_setup: with SM_SASL set, a private sasldb with the test login
# (postfix.sh's PF_SASL_*), bind-mounted in the namespace over the default
# /etc/sasldb2 that Cyrus SASL reads for Sendmail (no Sendmail.conf needed);
# sets SM_SASLDB.  Where there is no /etc/sasldb2 to mount over, SM_SASL is
# cleared and Sendmail offers no AUTH (say so: sm_start prints why).
_sm_sasl_setup() {
	SM_SASLDB=""
	[ -n "${SM_SASL:-}" ] || return 0
	if [ ! -f /etc/sasldb2 ] || ! command -v saslpasswd2 >/dev/null 2>&1; then
		echo "sm_start: no /etc/sasldb2 or saslpasswd2: Sendmail without AUTH" >&2
		SM_SASL=""
		return 0
	fi
	SM_SASLDB=$SM_DIR/sasldb2
	rm -f "$SM_SASLDB"
	printf '%s' "$PF_SASL_PASSWORD" |
		saslpasswd2 -p -f "$SM_SASLDB" -c -u "$PF_SASL_REALM" "$PF_SASL_USER" || return 1
	chmod 0600 "$SM_SASLDB"
}

# _sm_ns_script: the script that runs inside the namespaces: bind-mount the
# private name-service files, set the host name, then become Sendmail.
_sm_ns_script() {
	_sasl_mount=""
	[ -n "$SM_SASLDB" ] && _sasl_mount="mount --bind '$SM_SASLDB' /etc/sasldb2"
	cat >"$SM_DIR/ns-run" <<EOF
#!/bin/sh
# Runs inside private mount, UTS and PID namespaces (t/lib/sendmail.sh).
# Being the first process of a PID namespace says it is in sm_start's
# unshare: never bind-mount over the machine's own /etc.
[ \$\$ -eq 1 ] || { echo "ns-run: not in sm_start's namespaces" >&2; exit 1; }
set -e
mount --bind '$SM_DIR/etc/hosts' /etc/hosts
mount --bind '$SM_DIR/etc/nsswitch.conf' /etc/nsswitch.conf
mount --bind '$SM_DIR/etc/resolv.conf' /etc/resolv.conf
echo '$SM_HOSTNAME' >/proc/sys/kernel/hostname
$_sasl_mount
LD_LIBRARY_PATH='$SM_LIBDIR'
export LD_LIBRARY_PATH
exec '$SM_DIR/sendmail' -C '$SM_DIR/sendmail.cf' "\$@"
EOF
	chmod 0755 "$SM_DIR/ns-run"
}

# sm_start MILTER-PORT: see the top.  A port taken between free_port and
# the bind (by another test, or a connection's ephemeral port) makes the
# sink or Sendmail fail to listen: then both are stopped and tried once more
# on other ports.
sm_start() {
	_why=$(sm_missing) || { echo "sm_start: $_why" >&2; return 1; }
	SM_DIR=$T_TMP/sendmail
	SM_ROOT=$SM_DIR/root
	SM_QUEUE=$SM_DIR/queue
	SM_SINK_DIR=$T_TMP/sm-sink
	SM_TRANSCRIPT=$SM_DIR/transcript
	case $SM_DIR in
	*[!A-Za-z0-9/._-]*) echo "sm_start: $SM_DIR: a path m4 and sh need quoted" >&2; return 1 ;;
	esac
	mkdir -p "$SM_DIR" "$SM_SINK_DIR" || return 1
	chown nobody "$SM_SINK_DIR"
	[ -x "$SM_DIR/sendmail" ] || _sm_unpack || return 1
	_sm_sasl_setup || return 1
	at_exit sm_stop
	_try=1
	while :; do
		_sm_launch "$1" && break
		sm_stop
		[ $_try -ge 2 ] && return 1
		echo "sm_start: trying again on other ports" >&2
		_try=$((_try + 1))
	done
	# postfix.sh's client helpers talk to PF_PORT; pf_sink_has reads PF_SINK_DIR.
	# shellcheck disable=SC2034
	PF_PORT=$SM_PORT
	# shellcheck disable=SC2034
	PF_SINK_DIR=$SM_SINK_DIR
	return 0
}

# _sm_launch MILTER-PORT: pick the ports, write the configuration, start the
# sink and Sendmail, wait until both listen.
_sm_launch() {
	if ! SM_PORT=$(free_port) || ! SM_SINK_PORT=$(free_port); then
		echo "sm_start: no free port" >&2
		return 1
	fi
	_sm_write_config "$1" || return 1
	_sm_ns_script || return 1
	SM_STARTED=yes

	smtp-sink -u nobody -d "$SM_SINK_DIR/msg." "127.0.0.1:$SM_SINK_PORT" 64 \
		>>"$SM_DIR/smtp-sink.log" 2>&1 &
	SM_SINK_PID=$!
	wait_port "$SM_SINK_PORT" 50 || { echo "sm_start: smtp-sink does not listen on $SM_SINK_PORT" >&2; return 1; }

	# -bD: a daemon in the foreground.  unshare --fork makes it the first
	# process of the new PID namespace; --kill-child sends it SIGTERM if
	# unshare itself is killed.
	echo "--- sendmail on port $SM_PORT" >>"$SM_DIR/sendmail.out"
	unshare --mount --uts --pid --fork --kill-child=TERM --propagation private \
		"$SM_DIR/ns-run" -bD -X "$SM_TRANSCRIPT" >>"$SM_DIR/sendmail.out" 2>&1 &
	SM_NS_PID=$!
	SM_PID=""
	_i=0
	while [ -z "$SM_PID" ] && [ $_i -lt 50 ] && kill -0 "$SM_NS_PID" 2>/dev/null; do
		SM_PID=$(ps -o pid= --ppid "$SM_NS_PID" 2>/dev/null | tr -d ' ' | head -n 1)
		[ -n "$SM_PID" ] || sleep 0.1
		_i=$((_i + 1))
	done
	# Sendmail retries a bind that fails for a minute: 5 s tells enough.
	if [ -z "$SM_PID" ] || ! wait_port "$SM_PORT" 50; then
		echo "sm_start: Sendmail does not listen on 127.0.0.1:$SM_PORT:" >&2
		cat "$SM_DIR/sendmail.out" >&2
		return 1
	fi
}

# sm_stop: SIGTERM the daemon (the namespace's first process: its exit ends
# every other process in the namespace), wait for unshare, then the sink.
sm_stop() {
	[ -n "$SM_STARTED" ] || return 0
	SM_STARTED=""
	if [ -n "$SM_PID" ]; then
		kill "$SM_PID" 2>/dev/null
		_i=0
		while kill -0 "$SM_PID" 2>/dev/null && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
		kill -9 "$SM_PID" 2>/dev/null
		SM_PID=""
	fi
	if [ -n "$SM_NS_PID" ]; then
		# unshare blocks SIGTERM while it waits; SIGKILL passes --kill-child on.
		_i=0
		while kill -0 "$SM_NS_PID" 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
		kill -9 "$SM_NS_PID" 2>/dev/null
		wait "$SM_NS_PID" 2>/dev/null
		SM_NS_PID=""
	fi
	if [ -n "$SM_SINK_PID" ]; then
		kill "$SM_SINK_PID" 2>/dev/null
		wait "$SM_SINK_PID" 2>/dev/null
		SM_SINK_PID=""
	fi
	return 0
}

# sm_queue_count: print how many files are in the queue directory (qf, df,
# tf, xf...: any trace of a message).
sm_queue_count() {
	find "$SM_QUEUE" -type f 2>/dev/null | wc -l | tr -d ' '
}

# sm_wait_queue_empty [SECONDS]: wait until the queue directory is empty.
sm_wait_queue_empty() {
	_i=0
	while [ "$(sm_queue_count)" -ne 0 ]; do
		[ $_i -ge $((${1:-20} * 10)) ] && return 1
		sleep 0.1; _i=$((_i + 1))
	done
}

# sm_sink_has MARKER [SECONDS]: a message containing MARKER reached the sink.
sm_sink_has() {
	_i=0
	while :; do
		grep -rqF -- "$1" "$SM_SINK_DIR" 2>/dev/null && return 0
		[ $_i -ge $((${2:-0} * 10)) ] && return 1
		sleep 0.1; _i=$((_i + 1))
	done
}

# sm_setup EXTRA-TRUSTED MARKER-PREFIX: skip where Sendmail cannot run (with
# the reason; under CI=true a missing Sendmail is a failure, not a skip),
# fetch it, start the DNS world, vigie (EXTRA-TRUSTED added to
# trusted_networks) and Sendmail pointing at it.  marker() (postfix.sh)
# then gives fresh sender local parts.
sm_setup() {
	_why=$(sm_missing) || { [ "${CI:-}" = true ] && bail "CI: Sendmail cannot run: $_why"; skip_all "$_why"; }
	[ -x "$VIGIE" ] || bail "no vigie binary at $VIGIE"
	if ! _err=$(sm_fetch 2>&1); then
		[ "${CI:-}" = true ] && bail "CI: ${_err//$'\n'/ }"
		skip_all "cannot download Sendmail: ${_err//$'\n'/ }"
	fi
	# shellcheck disable=SC2034 # for marker() in postfix.sh
	E2E_MARKER_PREFIX=$2
	dns_start || bail "cannot start the test DNS server"
	e2e_vigie_start "$1" || bail "cannot start vigie"
	sm_start "$VIGIE_PORT" || bail "cannot start Sendmail"
	diag "Sendmail on 127.0.0.1:$SM_PORT, vigie on $VIGIE_PORT, sink on $SM_SINK_PORT"
	# shellcheck disable=SC2034 # marker()'s counter
	N=0
}
