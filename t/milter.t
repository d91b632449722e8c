#!/bin/bash
# t/milter.t -- callback-level tests: vigie's replies to an MTA, driven by
# miltertest(8) scripts (t/milter/[0-9]*.lua) and by a raw milter-protocol
# client for what miltertest cannot send (arguments over 1 kB, a unix-socket
# client family, QUIT_NC, broken packets) or show (the text of a reply).
#
# One vigie is started for the whole file with a test config (socket, log
# file and pid file in a private directory; `user nobody' when run as root).
# Every script prints "ok - ..." / "not ok - ..." lines, renumbered here,
# and "__END__ N" when it ran to its end; after each script vigie must still
# be running (if it died, the logs are shown and a new one is started so the
# rest still runs).  vigie must exit 0 on SIGTERM.  A second vigie with
# delay_reject no (a reply at every stage) runs the stage scripts again.
#
# Environment: VIGIE (the binary, default ./milter/vigie), MILTER_T_SOCKET=inet
# to test over TCP instead of a unix socket, KEEP_TMP=1 to keep the files.

srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/t/lib/harness.sh"

command -v miltertest >/dev/null 2>&1 || skip_all "miltertest not installed (Debian package miltertest)"
[ -x "$VIGIE" ] || bail "$VIGIE not built"

# skip_point DESCRIPTION REASON: a test point that could not run here.
skip_point() { T_N=$((T_N + 1)); echo "ok $T_N - $1 # SKIP $2"; }

# vigie_alive: is the vigie we started still running (and not a zombie)?
vigie_alive() {
	[ -n "${VIGIE_PID:-}" ] && kill -0 "$VIGIE_PID" 2>/dev/null || return 1
	[ -r "/proc/$VIGIE_PID/stat" ] || return 0
	! grep -q '^[0-9]* ([^)]*) Z' "/proc/$VIGIE_PID/stat"
}

# show_logs: the end of vigie's log and stderr as TAP diagnostics.
show_logs() {
	echo "# --- vigie log (last 15 lines):"
	tail -n 15 "$LOGF" 2>/dev/null | sed 's/^/#   /'
	echo "# --- vigie stderr (last 15 lines):"
	tail -n 15 "$T_TMP/vigie.stderr" 2>/dev/null | grep -v 'NOQUEUE: ' | sed 's/^/#   /'
}

# ---------------------------------------------------------------- config

RUN=$T_TMP/run
mkdir -p "$RUN"
USER_LINE=""
if [ "$(id -u)" -eq 0 ]; then
	# vigie binds as root, then runs as nobody: its directory is nobody's,
	# as /run/vigie would be vigie's.
	chown nobody "$RUN" && USER_LINE="user              nobody"
fi
LOGF=$RUN/vigie.log

# setup_instance NAME DELAY_REJECT: choose a socket and write $T_TMP/NAME.conf;
# sets CONF, SOCK, SOCKINFO (and PORT for inet).
setup_instance() {
	CONF=$T_TMP/$1.conf
	SOCK=$RUN/$1.sock
	if [ "${MILTER_T_SOCKET:-unix}" = inet ] || [ ${#SOCK} -gt 100 ]; then
		PORT=$(free_port) || bail "no free port"
		SOCKINFO="inet:$PORT@127.0.0.1"
	else
		SOCKINFO="unix:$SOCK"
	fi
	cat >"$CONF" <<EOF
# written by t/milter.t
socket            $SOCKINFO
socket_mode       0660
$USER_LINE
pidfile           $RUN/$1.pid
log               file:$LOGF
log_level         info
hostname          mx.example.org
our_hostnames     mx.example.org
our_addresses     192.0.2.25
local_domains     example.org
relay_domains     backup.example.net
trusted_networks  127.0.0.1/32, 2001:db8:1::/48
mode              enforce
delay_reject      $2
rule rcpt  rcpt-syntax     rcpt_syntax=invalid   reject 501 5.1.3 "Bad recipient address syntax"
rule rcpt  relay-denied    relay=denied          reject 554 5.7.1 "<%{rcpt}>: Relay access denied"
rule rcpt  postmaster      rcpt_postmaster=yes   accept
EOF
}

setup_instance vigie yes
out=$("$VIGIE" -n -c "$CONF" 2>&1)
st=$?
ok $st "the test config is valid (vigie -n)"
[ $st -eq 0 ] || { printf '%s\n' "$out" | sed 's/^/#   /'; bail "vigie -n refused the test config"; }

# ----------------------------------------------------------------- start

# launch_vigie: start vigie and wait until it listens; false if it did not.
launch_vigie() {
	start_vigie "$CONF" "$T_TMP/vigie.stderr"
	_i=0
	while [ $_i -lt 100 ]; do
		vigie_alive || return 1
		case $SOCKINFO in
		unix:*) [ -S "$SOCK" ] && return 0 ;;
		inet:*) (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0 ;;
		esac
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}

# check_alive WHAT: a test point that vigie survived WHAT; if it did not,
# show why and start a new one so that the remaining tests still run.
check_alive() {
	vigie_alive
	ok $? "vigie still running after $1"
	vigie_alive && return 0
	show_logs
	wait "$VIGIE_PID" 2>/dev/null
	diag "vigie exited with status $?; starting a new one"
	rm -f "$SOCK"
	launch_vigie || bail "vigie did not start again"
}

launch_vigie
st=$?
ok $st "vigie started and listens on $SOCKINFO"
[ $st -eq 0 ] || { show_logs; bail "vigie did not start"; }

if [ -n "$USER_LINE" ]; then
	# real, effective, saved and file-system uid: no way back to root
	# (the socket exists before privileges are dropped: wait for the drop)
	n=$(id -u nobody)
	_i=0
	while uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$VIGIE_PID/status" 2>/dev/null) &&
		[ "$uids" != "$n $n $n $n" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	is "$uids" "$n $n $n $n" "vigie runs as nobody (all four uids) after binding"
fi

# ------------------------------------------------------ miltertest scripts

# run_script FILE [PREFIX]: run one miltertest script, its points numbered
# here, then check that it ran to its end and that vigie survived it.
run_script() {
	_name=${2:-}$(basename "$1" .lua)
	_out=$T_TMP/$(basename "$1" .lua).out
	_err=$T_TMP/$(basename "$1" .lua).err
	_end=""
	_npts=0
	timeout 300 miltertest -D SOCKET="$SOCKINFO" -D LOGFILE="$LOGF" \
		-D LIB="$srcdir/t/milter/_lib.lua" -s "$1" >"$_out" 2>"$_err"
	_rc=$?
	while IFS= read -r _line; do
		case $_line in
		"ok - "*) ok 0 "$_name: ${_line#ok - }"; _npts=$((_npts + 1)) ;;
		"not ok - "*) ok 1 "$_name: ${_line#not ok - }"; _npts=$((_npts + 1)) ;;
		"__END__ "*) _end=${_line#__END__ } ;;
		"#"*) printf '%s\n' "$_line" ;;
		*) printf '#   %s\n' "$_line" ;;
		esac
	done <"$_out"
	[ "$_rc" -eq 0 ] && [ "$_end" = "$_npts" ] && [ "$_npts" -gt 0 ]
	_st=$?
	ok $_st "$_name: script ran to its end (exit $_rc, ${_end:-no} end mark, $_npts points)"
	[ $_st -eq 0 ] || sed 's/^/#   stderr: /' "$_err"
	if vigie_alive; then
		[ $_st -eq 0 ] || show_logs
	fi
	check_alive "$_name"
}

for script in "$srcdir"/t/milter/[0-9]*.lua; do
	run_script "$script"
done

# ------------------------------------------------------ raw protocol client

# The raw milter-protocol client: t/lib/raw-milter.pl (commands on stdin).
RAW_PL=$srcdir/t/lib/raw-milter.pl

# raw_milter: run the raw client on vigie's socket, commands on stdin.
raw_milter() { perl "$RAW_PL" "$SOCKINFO"; }
# rep CHAR N: CHAR repeated N times.
rep() { printf "%${2}s" '' | tr ' ' "$1"; }
# answer_of OUTPUT N: the result on the Nth answer line of OUTPUT.
answer_of() { printf '%s\n' "$1" | grep -Ev '^(neg|symlist) ' | sed -n "${2}p" | cut -d' ' -f2-; }

TAB=$'\t'
RELAY='y 554 5.7.1 <user@foreign.example>: Relay access denied'
SYNTAX='y 501 5.1.3 Bad recipient address syntax'
CONN4="conn${TAB}client.example.net${TAB}4${TAB}12345${TAB}192.0.2.10"

if ! command -v perl >/dev/null 2>&1; then
	skip_point "raw protocol checks" "perl not installed"
else
	# The negotiation, for the record.
	out=$(printf 'neg\nquit\n' | raw_milter)
	printf '%s\n' "$out" | sed 's/^/# negotiation: /'
	like "$out" '^neg ok version=[0-9]+ ' "raw: option negotiation answered"

	# Reply texts on the wire, as the MTA gets them.
	out=$(raw_milter <<EOF
neg
$CONN4
helo${TAB}client.example.net
mail${TAB}<sender@client.example.net>
rcpt${TAB}<user@foreign.example>
rcpt${TAB}<user@example.org>
rcpt${TAB}<user%foreign.example@example.org>
rcpt${TAB}<>
rcpt${TAB}<postmaster>
quit
EOF
)
	is "$(answer_of "$out" 4)" "$RELAY" "raw: wire reply to a foreign RCPT is '554 5.7.1 <user@foreign.example>: Relay access denied'"
	is "$(answer_of "$out" 5)" "c" "raw: local RCPT continues"
	t=$(answer_of "$out" 6)
	like "$t" '^y 554 5\.7\.1 ' "raw: RCPT <user%foreign.example@example.org> gets 554 5.7.1"
	# libmilter passes the text to the MTA, which reads it as a format:
	# Sendmail requires '%%' for a '%', Postfix turns '%%' into '%' and drops
	# a lone '%'.  So every '%' of the text must be doubled.
	u=${t//%%/}
	[ "${u#*%}" = "$u" ] && [ "${t//%%/%}" = 'y 554 5.7.1 <user%foreign.example@example.org>: Relay access denied' ]
	st=$?
	ok $st "raw: the '%' of the recipient is sent doubled ('%%'), as libmilter's MTAs expect"
	[ $st -eq 0 ] || echo "#   got: '$t'"
	is "$(answer_of "$out" 7)" "$SYNTAX" "raw: wire reply to RCPT <> is '501 5.1.3 Bad recipient address syntax'"
	is "$(answer_of "$out" 8)" "c" "raw: RCPT <postmaster> continues"

	# 10 kB arguments (over miltertest's 1 kB buffers).
	big_helo=$(rep h 10000)
	out=$(raw_milter <<EOF
neg
$CONN4
helo${TAB}$big_helo
mail${TAB}<sender@client.example.net>
rcpt${TAB}<user@example.org>
rcpt${TAB}<user@foreign.example>
quit
EOF
)
	is "$(answer_of "$out" 4)" "c" "raw: 10 kB HELO, then a local RCPT continues"
	is "$(answer_of "$out" 5)" "$RELAY" "raw: 10 kB HELO, then a foreign RCPT gets 554"
	check_alive "a 10 kB HELO"
	n=$(grep -c "helo=<hhhh" "$LOGF")
	[ "$n" -ge 1 ] && diag "longest log line after the 10 kB HELO: $(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$LOGF") bytes"

	out=$(raw_milter <<EOF
neg
$CONN4
helo${TAB}client.example.net
mail${TAB}<sender@client.example.net>
rcpt${TAB}<$(rep a 9990)@example.org>
rcpt${TAB}<user@$(rep b 9990).example.org>
rcpt${TAB}<$(rep a 5000)@$(rep b 5000)>
rcpt${TAB}$(rep '<' 10000)
rcpt${TAB}"$(rep x 10000)
rcpt${TAB}<user@foreign.example>${TAB}X-BIG=$(rep p 10000)
rcpt${TAB}<user@example.org>
quit
EOF
)
	is "$(answer_of "$out" 4)" "$SYNTAX" "raw: 10 kB local part gets 501 5.1.3"
	is "$(answer_of "$out" 5)" "$SYNTAX" "raw: 10 kB domain gets 501 5.1.3"
	is "$(answer_of "$out" 6)" "$SYNTAX" "raw: 10 kB address gets 501 5.1.3"
	is "$(answer_of "$out" 7)" "$SYNTAX" "raw: 10,000 '<' get 501 5.1.3"
	is "$(answer_of "$out" 8)" "$SYNTAX" "raw: 10 kB unterminated quote gets 501 5.1.3"
	like "$(answer_of "$out" 9)" '^y 5[0-9][0-9] 5\.' "raw: foreign RCPT with a 10 kB ESMTP parameter gets a 5xx"
	is "$(answer_of "$out" 10)" "c" "raw: then a local RCPT still continues"
	check_alive "10 kB RCPTs"

	out=$(raw_milter <<EOF
neg
conn${TAB}$(rep n 10000).example.net${TAB}4${TAB}12345${TAB}192.0.2.10
helo${TAB}client.example.net
macro${TAB}M${TAB}i${TAB}$(rep i 10000)${TAB}{mail_addr}${TAB}$(rep m 10000)
mail${TAB}<$(rep s 10000)@client.example.net>${TAB}SIZE=$(rep 9 10000)
rcpt${TAB}<user@example.org>
rcpt${TAB}<user@foreign.example>
quit
EOF
)
	is "$(answer_of "$out" 4)" "c" "raw: 10 kB client name, macros and MAIL FROM: local RCPT continues"
	is "$(answer_of "$out" 5)" "$RELAY" "raw: 10 kB client name, macros and MAIL FROM: foreign RCPT gets 554"
	check_alive "a 10 kB client name, macros and MAIL FROM"

	out=$(raw_milter <<EOF
neg
$CONN4
helo${TAB}client.example.net
macro${TAB}M${TAB}{auth_authen}${TAB}$(rep a 10000)
mail${TAB}<sender@client.example.net>
rcpt${TAB}<user@example.org>
quit
EOF
)
	is "$(answer_of "$out" 4)" "c" "raw: 10 kB {auth_authen}: local RCPT continues"
	check_alive "a 10 kB {auth_authen}"

	# 8-bit and control bytes, 10 kB of them, in every argument.
	b8=$(printf '\\xFF\\x01\\xC3\\x28%.0s' $(seq 2500))
	out=$(raw_milter <<EOF
neg
conn${TAB}$b8${TAB}4${TAB}12345${TAB}192.0.2.10
helo${TAB}$b8
mail${TAB}<$b8@client.example.net>
rcpt${TAB}<$b8@example.org>
rcpt${TAB}<user@example.org>
rcpt${TAB}<user@foreign.example>
quit
EOF
)
	is "$(answer_of "$out" 4)" "$SYNTAX" "raw: 10 kB of 8-bit and control bytes in RCPT gets 501 5.1.3"
	is "$(answer_of "$out" 5)" "c" "raw: 8-bit client name, HELO, MAIL: local RCPT continues"
	is "$(answer_of "$out" 6)" "$RELAY" "raw: 8-bit client name, HELO, MAIL: foreign RCPT gets 554"
	check_alive "10 kB of 8-bit bytes"
	LC_ALL=C grep -q '[^[:print:]]' "$LOGF"
	[ $? -ne 0 ]
	ok $? "the log file holds printable ASCII only"

	# A client on a unix socket (SMFIA_UNIX) is not in trusted_networks.
	out=$(raw_milter <<EOF
neg
conn${TAB}localhost${TAB}L${TAB}0${TAB}/var/run/some.sock
helo${TAB}localhost
mail${TAB}<sender@example.org>
rcpt${TAB}<user@example.org>
rcpt${TAB}<user@foreign.example>
quit
EOF
)
	is "$(answer_of "$out" 4)" "c" "raw: unix-socket client: local RCPT continues"
	is "$(answer_of "$out" 5)" "$RELAY" "raw: unix-socket client: foreign RCPT gets 554"
	check_alive "a unix-socket client"

	# No HELO at all.
	out=$(raw_milter <<EOF
neg
$CONN4
mail${TAB}<sender@client.example.net>
rcpt${TAB}<user@example.org>
rcpt${TAB}<user@foreign.example>
quit
EOF
)
	is "$(answer_of "$out" 3)" "c" "raw: no HELO: local RCPT continues"
	is "$(answer_of "$out" 4)" "$RELAY" "raw: no HELO: foreign RCPT gets 554"
	check_alive "a session without HELO"

	# SMFIC_QUIT_NC (after a message, libmilter accepts it only there): the
	# MTA reuses the milter connection for a new SMTP client; nothing of the
	# first client (trust, login) carries over.  (The MTA sends its MAIL
	# macros again, without {auth_authen}: libmilter itself keeps the macros
	# of a stage until the MTA replaces them.)
	out=$(raw_milter <<EOF
neg
conn${TAB}localhost${TAB}4${TAB}12345${TAB}127.0.0.1
helo${TAB}localhost
macro${TAB}M${TAB}i${TAB}QID1${TAB}{auth_authen}${TAB}alice
mail${TAB}<alice@example.org>
rcpt${TAB}<user@foreign.example>
data
eoh
eom
quitnc
$CONN4
helo${TAB}client.example.net
macro${TAB}M${TAB}i${TAB}QID2
mail${TAB}<sender@client.example.net>
rcpt${TAB}<user@foreign.example>
rcpt${TAB}<user@example.org>
quit
EOF
)
	is "$(answer_of "$out" 4)" "c" "raw: trusted and authenticated client: foreign RCPT continues"
	like "$(answer_of "$out" 7)" '^(c|a)$' "raw: end of message accepted"
	is "$(answer_of "$out" 11)" "$RELAY" "raw: after QUIT_NC, the next (untrusted) client: foreign RCPT gets 554"
	is "$(answer_of "$out" 12)" "c" "raw: after QUIT_NC: local RCPT continues"
	check_alive "QUIT_NC"

	# Broken connect data and broken packets: libmilter may drop the
	# session; vigie must go on serving.
	for bad in "conn${TAB}client${TAB}4${TAB}12345${TAB}not-an-address" \
	           "conn${TAB}client${TAB}6${TAB}12345${TAB}2001:db8::zz" \
	           "conn${TAB}client${TAB}X${TAB}12345${TAB}192.0.2.10" \
	           "raw${TAB}0x7FFFFFFF${TAB}R${TAB}<user@example.org>" \
	           "raw${TAB}0x100${TAB}R${TAB}<user@exa" \
	           "raw${TAB}-${TAB}Z${TAB}junk"; do
		printf 'neg\n%s\nhelo\tx\nmail\t<a@b.example>\nrcpt\t<user@foreign.example>\nquit\n' "$bad" |
			RAW_TIMEOUT=3 raw_milter >/dev/null
		out=$(printf 'neg\n%s\nhelo\tx\nmail\t<a@b.example>\nrcpt\t<user@foreign.example>\nquit\n' "$CONN4" | raw_milter)
		is "$(answer_of "$out" 4)" "$RELAY" "raw: after a session with '$(printf '%s' "$bad" | tr '\t' ' ' | cut -c1-40)', the next one is served"
	done
	check_alive "broken sessions"

	# Parallel sessions: 8 clients at once, 200 recipients each, trusted
	# and untrusted mixed; every answer must be the one for its own client.
	pids=""
	for c in 1 2 3 4 5 6 7 8; do
		if [ $((c % 2)) -eq 0 ]; then ip=127.0.0.1; else ip=192.0.2.$((10 + c)); fi
		{
			printf 'neg\nconn\tc%d.example.net\t4\t12345\t%s\nhelo\tc%d.example.net\nmail\t<s@c%d.example.net>\n' "$c" "$ip" "$c" "$c"
			for r in $(seq 200); do printf 'rcpt\t<r%d@foreign.example>\nrcpt\t<r%d@example.org>\n' "$r" "$r"; done
			printf 'quit\n'
		} | raw_milter >"$T_TMP/par.$c" &
		pids="$pids $!"
		for r in $(seq 200); do
			if [ $((c % 2)) -eq 0 ]; then echo "rcpt c"
			else echo "rcpt y 554 5.7.1 <r$r@foreign.example>: Relay access denied"; fi
			echo "rcpt c"
		done >"$T_TMP/par.$c.want"
	done
	wait $pids
	bad=0
	for c in 1 2 3 4 5 6 7 8; do
		grep '^rcpt ' "$T_TMP/par.$c" | cmp -s - "$T_TMP/par.$c.want" && continue
		bad=1
		echo "# client $c: first differences (got / want):"
		grep '^rcpt ' "$T_TMP/par.$c" | diff - "$T_TMP/par.$c.want" | head -6 | sed 's/^/#   /'
	done
	ok $bad "raw: 8 parallel sessions of 400 RCPTs each: every reply right"
	check_alive "parallel sessions"
fi

# ------------------------------------------------------------------ stop

stop_vigie
is "$VIGIE_STATUS" 0 "vigie exits 0 on SIGTERM"
no_sanitizer_report "$T_TMP/vigie.stderr" "no sanitizer report on vigie's stderr"

# ------------------------------------------ delay_reject no: stage replies

# Without delayed rejection vigie asks for a reply at every stage (no
# SMFIP_NR_CONN/HELO/MAIL), so CONNECT, HELO and MAIL must really answer
# SMFIR_CONTINUE on the wire (with SMFIP_NR_* miltertest only pretends).
setup_instance vigie-nodelay no
launch_vigie
st=$?
ok $st "delay_reject no: vigie started and listens on $SOCKINFO"
if [ $st -ne 0 ]; then
	show_logs
else
	if command -v perl >/dev/null 2>&1; then
		out=$(printf 'neg\nquit\n' | raw_milter)
		pf=$(printf '%s\n' "$out" | sed -n 's/^neg ok .* protocol=0x\([0-9A-F]*\)$/\1/p')
		[ -n "$pf" ] && [ $(( 0x$pf & 0x7000 )) -eq 0 ]
		ok $? "delay_reject no: no SMFIP_NR_CONN/HELO/MAIL negotiated (protocol=0x$pf)"
	fi
	run_script "$srcdir/t/milter/01-stages.lua" "delay_reject=no: "
	run_script "$srcdir/t/milter/06-missing.lua" "delay_reject=no: "
	stop_vigie
	is "$VIGIE_STATUS" 0 "delay_reject no: vigie exits 0 on SIGTERM"
fi

# ------------------------------------------- the DNS checks (test DNS world)

# A third instance: the test config plus the test DNS world, its lists, and
# the shipped mail-stage rules taken from etc/vigie.conf as they are.
. "$srcdir/t/lib/dns.sh"
if why=$(dns_missing); then
	dns_start || bail "cannot start the test DNS server"
	setup_instance vigie-dns yes
	cat >>"$CONF" <<EOF
resolver          $DNS_SERVER
dns_timeout       500ms
psl_file          $DNS_PSL
dnsbl             bl.test txt=yes
dnswl             wl.test weight=-2
rhsbl             rhs.test
EOF
	awk '/^rule mail /{p=1; print; next} p && /^[ \t]/{print; next} {p=0}' "$srcdir/etc/vigie.conf" >>"$CONF"
	grep -q '^rule mail .*helo_forgery' "$CONF"
	ok $? "the DNS instance has the shipped mail-stage rules"
	launch_vigie
	st=$?
	ok $st "DNS instance: vigie started and listens on $SOCKINFO"
	if [ $st -eq 0 ]; then
		run_script "$srcdir/t/milter/dns-checks.lua" "dns: "
		stop_vigie
		is "$VIGIE_STATUS" 0 "DNS instance: vigie exits 0 on SIGTERM"
	else
		show_logs
	fi

	# The same instance in a chroot (root only): DNS, SPF and the lists
	# work from inside it, and a reload reads the configuration there.
	if [ "$(id -u)" -eq 0 ]; then
		JAIL=$T_TMP/jail
		mkdir -p "$JAIL/etc"
		cp "$DNS_PSL" "$JAIL/etc/psl.dat"
		printf 'example.org\n' >"$JAIL/etc/local.list"
		sed -e "s|^psl_file .*|psl_file          psl.dat|" \
		    -e "s|^local_domains .*|local_domains     file:local.list|" "$CONF" >"$JAIL/etc/vigie.conf"
		printf 'chroot            %s\n' "$JAIL" >>"$JAIL/etc/vigie.conf"
		CONF=$JAIL/etc/vigie.conf
		# (LeakSanitizer cannot work in a chroot without /proc: no leak check there)
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" launch_vigie
		st=$?
		ok $st "chroot: vigie started"
		if [ $st -eq 0 ]; then
			is "$(readlink "/proc/$VIGIE_PID/root")" "$JAIL" "chroot: its root directory is the jail"
			run_script "$srcdir/t/milter/dns-checks.lua" "chroot: "
			kill -HUP "$VIGIE_PID"
			_i=0; while ! grep -q "reload: $CONF loaded" "$LOGF" && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
			grep -q "reload: $CONF loaded" "$LOGF"
			ok $? "chroot: SIGHUP reloads the configuration from inside the jail"
			run_script "$srcdir/t/milter/dns-checks.lua" "chroot, reloaded: "
			stop_vigie
			is "$VIGIE_STATUS" 0 "chroot: vigie exits 0 on SIGTERM"
		else
			show_logs
		fi
		# (a copy nobody may run: the build tree may be root's alone)
		cp "$VIGIE" "$T_TMP/vigie-copy" && chmod 755 "$T_TMP/vigie-copy"
		out=$(runuser -u nobody -- "$T_TMP/vigie-copy" -f -c "$CONF" -o "socket=unix:$T_TMP/nochroot.sock" -o log=stderr 2>&1)
		st=$?
		[ $st -eq 78 ] && printf '%s\n' "$out" | grep -q "only root can chroot"
		ok $? "chroot: started as another user, vigie refuses to start (status $st, want 78) and says why"
	fi
else
	T_N=$((T_N + 1)); echo "ok $T_N # SKIP DNS checks: $why"
fi

done_testing
