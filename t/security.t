#!/bin/bash
# t/security.t -- what a hostile or careless party can do to vigie:
#  1. privileges: started as root, every thread of the daemon runs as the
#     configured user and group (real, effective, saved and fs ids), with
#     only that group as supplementary group and no capabilities left;
#  2. the unix socket: the configured mode, group and owner; a user outside
#     the group cannot connect, a member of it can;
#  3. CR, LF, NUL, other control bytes and very long values in the client
#     name, HELO and MAIL FROM cannot add a header, split a header, split a
#     SMTP reply or a log line, or hide the rule of a decision;
#  4. a 1 MB argument is refused by libmilter before anything is allocated
#     (vigie keeps libmilter's 64 kB command limit: no smfi_setmaxdatasize),
#     and a 64 kB one gets vigie's own 5xx with an enhanced code, with no
#     unbounded copy; vigie serves on.
#  5. part 3 again through a real Postfix, with what Postfix lets through.
# (t/daemon.t covers the rest of the daemon's duties: stale sockets, pidfile,
# run_as_root, daemon mode.)  Root is needed: a throwaway user and group are
# created (useradd/groupadd) and removed at exit.
srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/t/lib/harness.sh"
. "$srcdir/t/lib/dns.sh"
. "$srcdir/t/lib/postfix.sh"
. "$srcdir/t/lib/e2e.sh"

[ -x "$VIGIE" ] || bail "no vigie binary at $VIGIE"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (binds as root, then drops privileges; creates a user)"
why=$(dns_missing) || skip_all "$why"
for _t in useradd groupadd userdel groupdel setpriv; do
	command -v "$_t" >/dev/null 2>&1 || skip_all "$_t not installed"
done

# A copy other users can read: the source tree may be root's alone (/root/...).
# Under ThreadSanitizer, every byte libmilter reads grows TSan's shadow
# memory too: the RSS bounds are asserted in the plain and ASan builds.
TSAN_BUILD=""
ldd "$VIGIE" 2>/dev/null | grep -q libtsan && TSAN_BUILD=yes
# rss_bound GROWTH_KB DESCRIPTION: the test point "grew by less than 1 MB"
rss_bound() {
	if [ -n "$TSAN_BUILD" ]; then
		diag "$2: not asserted in the TSan build (its shadow memory grows with what is read)"
	else
		[ "$1" -lt 1024 ]
		ok $? "$2"
	fi
}
RAW=$T_TMP/security-raw.pl
cp "$srcdir/t/lib/security-raw.pl" "$RAW" && chmod 644 "$RAW" || bail "cannot copy the raw client"
RUN=$T_TMP/run
mkdir -p "$RUN" && chmod 755 "$RUN"
SOCK=$RUN/vigie.sock
LOGF=$T_TMP/sec.log
TAB=$'\t'

# A throwaway system user and a separate group: the group key must win over
# the user's own primary group.  Removed at exit.
TUSER=vgsec$$
TGROUP=vgsock$$
groupadd --system "$TGROUP" || bail "groupadd $TGROUP failed"
at_exit "groupdel $TGROUP"
useradd --system --user-group --no-create-home --home-dir /nonexistent \
	--shell /usr/sbin/nologin "$TUSER" || bail "useradd $TUSER failed"
at_exit "userdel $TUSER"
TUID=$(id -u "$TUSER")
TUGID=$(id -g "$TUSER")
TGID=$(getent group "$TGROUP" | cut -d: -f3)
[ -n "$TUID" ] && [ -n "$TGID" ] && [ "$TUGID" != "$TGID" ] || bail "cannot read the ids of $TUSER / $TGROUP"

dns_start || bail "cannot start the test DNS server"
STATS_PORT=$(free_port) || bail "no free port"

# The shipped configuration and its rules; where vigie listens, runs, logs
# and resolves, and who we are, set with -o.
: >"$LOGF"
VIGIE_CONF=$srcdir/etc/vigie.conf
VIGIE_OPTS=(-o "socket=unix:$SOCK" -o "socket_mode=0660" -o "socket_group=$TGROUP"
	-o "user=$TUSER" -o "group=$TGROUP" -o "pidfile=$RUN/vigie.pid"
	-o "log=file:$LOGF" -o hostname=mx.example.org
	-o "our_hostnames=mx.example.org, localhost" -o "our_addresses=127.0.0.1, ::1, 192.0.2.25"
	-o local_domains=example.org -o "trusted_networks=127.0.0.1/32"
	-o "resolver=$DNS_SERVER" -o dns_timeout=500ms -o "psl_file=$DNS_PSL"
	-o "stats_listen=127.0.0.1:$STATS_PORT")
out=$("$VIGIE" -n -c "$VIGIE_CONF" "${VIGIE_OPTS[@]}" 2>&1) || { printf '%s\n' "$out" | sed 's/^/# /'; bail "vigie -n refuses the configuration"; }
start_vigie "$VIGIE_CONF" "$T_TMP/vigie.stderr" "${VIGIE_OPTS[@]}"
i=0; while [ ! -S "$SOCK" ] && [ $i -lt 100 ] && kill -0 "$VIGIE_PID" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
[ -S "$SOCK" ] || { sed 's/^/# /' "$T_TMP/vigie.stderr"; bail "vigie did not start"; }
wait_port "$STATS_PORT" 50 || bail "the stats listener did not start"

# raw [RUNAS...]: the raw milter client on vigie's socket, commands on stdin.
raw() { "$@" perl "$RAW" "unix:$SOCK"; }
# answer OUTPUT LABEL [N]: the result of the Nth (default first) LABEL line.
answer() { printf '%s\n' "$1" | awk -v l="$2" -v n="${3:-1}" '$1 == l && ++k == n { sub(/^[^ ]* /, ""); print; exit }'; }
# serves DESC: a plain session from an untrusted client still gets its reply.
serves() {
	_o=$(raw <<EOF
neg
conn${TAB}mail.good.test${TAB}4${TAB}2525${TAB}192.0.2.10
helo${TAB}mail.good.test
mail${TAB}<x@pass.spf.test>
rcpt${TAB}<user@foreign.test>
rcpt${TAB}<user@example.org>
quit
EOF
)
	[ "$(answer "$_o" rcpt 1)" = "y 554 5.7.1 <user@foreign.test>: Relay access denied" ] &&
		[ "$(answer "$_o" rcpt 2)" = c ] && kill -0 "$VIGIE_PID" 2>/dev/null
	ok $? "vigie still serves after $1"
	[ $? -eq 0 ] || printf '%s\n' "$_o" | sed 's/^/#   /'
}
# kb FIELD: a /proc/PID/status field of vigie, in kB.
kb() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$VIGIE_PID/status"; }

# ------------------------------------------------------------ 1. privileges

# A session held open while the ids are read: libmilter's worker thread for
# it, its listener and signal threads, the stats (libmicrohttpd) thread and
# vigie's main thread all exist then.
printf 'neg\nconn\tmail.good.test\t4\t2525\t192.0.2.10\nhelo\tmail.good.test\nsleep\t4\nquit\n' |
	raw >/dev/null 2>&1 &
HOLD_PID=$!
T_PIDS="$T_PIDS $HOLD_PID"
sleep 1
curl -s -o /dev/null "http://127.0.0.1:$STATS_PORT/metrics" 2>/dev/null ||
	(exec 3<>"/dev/tcp/127.0.0.1/$STATS_PORT" && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3 >/dev/null)
ntask=$(ls "/proc/$VIGIE_PID/task" | wc -l)
diag "vigie runs $ntask threads"
[ "$ntask" -ge 3 ]
ok $? "vigie has several threads to check ($ntask)"
bad=""
for st in "/proc/$VIGIE_PID/status" /proc/"$VIGIE_PID"/task/*/status; do
	t=$(awk '$1 == "Pid:" { print $2 }' "$st")
	u=$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "$st")
	g=$(awk '$1 == "Gid:" { print $2, $3, $4, $5 }' "$st")
	sg=$(awk '$1 == "Groups:" { $1 = ""; print }' "$st" | tr -s ' ' | sed 's/^ //; s/ $//')
	caps=$(awk '$1 ~ /^Cap(Inh|Prm|Eff|Amb):$/ { printf "%s%s ", $1, $2 }' "$st")
	[ "$u" = "$TUID $TUID $TUID $TUID" ] || bad="$bad task $t: Uid $u;"
	[ "$g" = "$TGID $TGID $TGID $TGID" ] || bad="$bad task $t: Gid $g;"
	[ "$sg" = "$TGID" ] || bad="$bad task $t: Groups '$sg';"
	[ "$caps" = "CapInh:0000000000000000 CapPrm:0000000000000000 CapEff:0000000000000000 CapAmb:0000000000000000 " ] ||
		bad="$bad task $t: $caps;"
done
is "$bad" "" "every thread: uid $TUID ($TUSER) and gid $TGID ($TGROUP) real, effective, saved and fs; Groups = $TGID only; no capability"
grep -q '^Uid:.*[[:space:]]0[[:space:]]' "/proc/$VIGIE_PID/status"
ok $(( ! $? )) "no uid 0 left, saved uid included: root cannot be regained"
wait "$HOLD_PID" 2>/dev/null

# ------------------------------------------------------------- 2. socket

is "$(stat -c '%a %U %G' "$SOCK")" "660 root $TGROUP" "socket: mode 0660, owner root, group $TGROUP"
out=$(printf 'neg\nquit\n' | raw setpriv --reuid=nobody --regid=nogroup --clear-groups 2>&1)
like "$out" "connect failed: Permission denied" "socket: nobody, outside $TGROUP, cannot connect"
out=$(printf 'neg\nquit\n' | raw setpriv --reuid=nobody --regid=nogroup --groups="$TGID" 2>&1)
like "$out" "^neg ok version=6 " "socket: nobody with supplementary group $TGROUP connects and negotiates"
out=$(printf 'neg\nquit\n' | raw setpriv --reuid="$TUID" --regid="$TUGID" --clear-groups 2>&1)
like "$out" "connect failed: Permission denied" "socket: the daemon's own user, outside $TGROUP, cannot connect either (root owns it)"

# --------------------------------------------------- 3. injection attempts

# session NAME HELO SENDER [CLIENT-NAME [MAIL-MACRO-LINE]]: one session: RCPT
# <user@example.org> (the shipped rules' delayed rejections apply there) and
# RCPT <postmaster@example.org> (accepted whatever happened before: RFC 5321
# 4.5.1), then the end of the message, where vigie adds its header fields.
# Sets OUT (the client's output) and LOGNEW (what the session logged).
session() {
	_pos=$(stat -c %s "$LOGF")
	OUT=$(raw <<EOF
neg
conn${TAB}${4:-mail.good.test}${TAB}4${TAB}2525${TAB}192.0.2.10
helo${TAB}$2
${5:-}
mail${TAB}$3
rcpt${TAB}<user@example.org>
rcpt${TAB}<postmaster@example.org>
eom
quit
EOF
)
	sleep 0.2
	LOGNEW=$(tail -c +$((_pos + 1)) "$LOGF")
	printf '%s\n' "$OUT" >"$T_TMP/session.$1"
	printf '%s\n' "$LOGNEW" >"$T_TMP/log.$1"
}
# check_clean NAME REPLY-REGEX RULE: the assertions every hostile session
# must pass.
LOGLINE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z vigie\[[0-9]+\]: [^ ]'
check_clean() {
	_name=$1
	# The reply the MTA gets for RCPT <user@example.org>: one line of text.
	_r=$(answer "$OUT" rcpt 1)
	like "$_r" "$2" "$_name: RCPT <user@example.org> gets $(printf '%s' "$2" | sed 's/^^y //; s/\\//g' | cut -d' ' -f1-2)"
	printf '%s' "$_r" | grep -q '\\x'
	ok $(( ! $? )) "$_name: the reply text holds no control or 8-bit byte"
	is "$(answer "$OUT" rcpt 2)" c "$_name: RCPT <postmaster@example.org> continues"
	is "$(answer "$OUT" eom)" c "$_name: end of message continues"
	# Header fields vigie adds: ours only, their values without CR/LF (no
	# folding either: vigie never folds) and nothing else non-printable.
	_mods=$(printf '%s\n' "$OUT" | grep '^mod ')
	is "$(printf '%s\n' "$_mods" | awk -F'\t' '{ split($1, a, " "); print a[a[2] == "h" ? 3 : 4] }' | sort | tr '\n' ' ')" \
		"${HDRS_WANT:-Authentication-Results Received-SPF }" "$_name: vigie adds ${HDRS_WANT:-Authentication-Results Received-SPF }and nothing else"
	printf '%s\n' "$_mods" | grep -q '\\x'
	ok $(( ! $? )) "$_name: the header values hold no CR, LF, NUL or other control byte"
	# The log: every line vigie wrote is a whole log line of printable ASCII;
	# none starts with an injected token; the decision names its rule.
	_n=$(printf '%s\n' "$LOGNEW" | grep -v '^$' | grep -cvE "$LOGLINE")
	is "$_n" 0 "$_name: every log line starts with vigie's own prefix"
	[ $_n -eq 0 ] || printf '%s\n' "$LOGNEW" | grep -vE "$LOGLINE" | head -3 | cut -c1-200 | sed 's/^/#   /'
	printf '%s\n' "$LOGNEW" | LC_ALL=C grep -q '[^[:print:]]'
	ok $(( ! $? )) "$_name: the log holds printable ASCII only"
	_d=$(printf '%s\n' "$LOGNEW" | grep -F ': RCPT from ' | grep -F 'to=<user@example.org>')
	like "$_d" " rule=$3 match=" "$_name: the decision line is logged whole, with rule=$3"
	_w=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$T_TMP/log.$_name")
	[ "$_w" -le 4200 ]
	ok $? "$_name: log lines are bounded (longest $_w bytes)"
}
INJ='X-Injected: 1'
HELO_BAD='^y 504 5\.5\.2 <.*>: Helo command rejected: invalid host name$'
SENDER_BAD='^y 501 5\.1\.7 <.*>: Bad sender address syntax$'

# CR LF in the HELO: it reaches the headers (Received-SPF helo=) and the reply.
session crlf-helo "x\\r\\n$INJ" "<x@pass.spf.test>"
check_clean crlf-helo "$HELO_BAD" helo-syntax
like "$(answer "$OUT" rcpt 1)" '^y 504 5\.5\.2 <x\?\?X-Injected: 1>: ' "crlf-helo: CR and LF are '?' in the reply"
like "$(printf '%s\n' "$OUT" | grep '^mod i 0 Received-SPF')" 'helo="x\?\?X-Injected: 1";' \
	"crlf-helo: Received-SPF carries the HELO quoted, CR LF as '?'"
# LF alone, CR alone, and the header on a line of its own.
session lf-helo "x\\n$INJ\\n" "<x@pass.spf.test>"
check_clean lf-helo "$HELO_BAD" helo-syntax
session cr-helo "x\\r$INJ" "<x@pass.spf.test>"
check_clean cr-helo "$HELO_BAD" helo-syntax
# NUL: libmilter ends the argument there; the rule is still logged.
session nul-helo "bad!helo\\0$INJ" "<x@pass.spf.test>"
check_clean nul-helo "$HELO_BAD" helo-syntax
# Every other control byte, DEL, ESC sequences, 8-bit bytes.
ctl=$(printf '\\x%02X' $(seq 1 31) 127 27 155 255)
session ctl-helo "a${ctl}[31mb" "<x@pass.spf.test>"
check_clean ctl-helo "$HELO_BAD" helo-syntax
# The sender: CR LF inside the brackets, after them, and a NUL splitting it
# into an address and a fake ESMTP parameter.
session crlf-mail "mail.good.test" "<x\\r\\n$INJ@pass.spf.test>"
check_clean crlf-mail "$SENDER_BAD" sender-syntax
session crlf-mail2 "mail.good.test" "<x@pass.spf.test>\\r\\n$INJ"
check_clean crlf-mail2 "$SENDER_BAD" sender-syntax
session nul-mail "mail.good.test" "<x@pass.spf.test\\0$INJ>"
check_clean nul-mail "$SENDER_BAD" sender-syntax
# The client's host name (from the MTA, set by the client's DNS).
session crlf-name "x\\r\\n$INJ" "<x@pass.spf.test>" "evil.test\\r\\n$INJ"
check_clean crlf-name "$HELO_BAD" helo-syntax
# Long: 60 kB of CR LF pairs and headers in the HELO and the sender.
long=$(printf 'x\\r\\nX-Injected: %d ' $(seq 1 3000))
session long-helo "$long" "<x@pass.spf.test>"
check_clean long-helo "$HELO_BAD" helo-syntax
w=$(answer "$OUT" rcpt 1 | wc -c)
[ "$w" -le 1100 ]
ok $? "long-helo: the reply text is bounded ($w bytes)"
w=$(printf '%s\n' "$OUT" | grep '^mod ' | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
[ "$w" -le 1100 ]
ok $? "long-helo: the header fields are bounded ($w bytes)"
session long-mail "mail.good.test" "<$long@pass.spf.test>"
check_clean long-mail "$SENDER_BAD" sender-syntax
# The SASL login (the client chooses it): in the log and in a reply text.
session crlf-login "mail.good.test" "<bob@example.org>" "" \
	"macro${TAB}M${TAB}{auth_authen}${TAB}alice\\r\\n$INJ\\x01"
HDRS_WANT="Authentication-Results " check_clean crlf-login '^y 553 5\.7\.1 <bob@example\.org>: Sender address rejected: not owned by user alice\?\?X-Injected: 1\?$' sender-login
like "$(grep -F 'to=<user@example.org>' "$T_TMP/log.crlf-login")" 'sasl_username=<alice\?\?X-Injected: 1\?>' \
	"crlf-login: the login is logged with '?' for CR, LF and ^A"
serves "the injection attempts"

# -------------------------------------------- 4. oversized milter commands

# Warm up (a session of every kind, so caches and pools exist), then the
# baseline.
serves "a warm-up session"
hwm0=$(kb VmHWM); rss0=$(kb VmRSS)
# Four 1 MB commands (HELO, MAIL, RCPT, and a RCPT again) at once, each
# held with its last byte unsent for 2 s: were they accepted, libmilter
# would hold 4 MB of buffers then.  libmilter refuses a command over
# MILTER_MAX_DATA_SIZE (65535) from its length field, before allocating.
MB=1048576
pids=""
for c in H M R R; do
	printf 'neg\nconn\tmail.good.test\t4\t2525\t192.0.2.10\nbig\t%s\t%d\t2\n' "$c" $MB |
		RAW_TIMEOUT=3 raw >"$T_TMP/big.$c.$(echo "$pids" | wc -w)" 2>&1 &
	pids="$pids $!"
done
T_PIDS="$T_PIDS $pids"
sleep 1
rss1=$(kb VmRSS)
wait $pids
hwm1=$(kb VmHWM)
res=$(cat "$T_TMP"/big.* | grep '^big ' | sort | uniq -c | tr -s ' ' | tr '\n' ';')
is "$res" " 4 big eof;" "four 1 MB commands: each connection closed by libmilter, no reply"
diag "VmRSS ${rss0} kB before, ${rss1} kB with the 1 MB commands in flight; VmHWM ${hwm0} -> ${hwm1} kB"
g=$((rss1 - rss0)); [ $((hwm1 - hwm0)) -gt "$g" ] && g=$((hwm1 - hwm0))
rss_bound "$g" "1 MB commands: VmRSS and VmHWM grow by less than 1 MB ($((rss1 - rss0)) / $((hwm1 - hwm0)) kB)"
serves "1 MB commands"

# 64 kB arguments, under libmilter's limit: vigie's own length limits
# answer, with enhanced codes, and copy no more than they log.
K64=$((64 * 1024 - 200))
pos=$(stat -c %s "$LOGF")
hwm0=$(kb VmHWM)
out=$(raw <<EOF
neg
conn${TAB}mail.good.test${TAB}4${TAB}2525${TAB}192.0.2.10
helo${TAB}@@h*$K64@@
mail${TAB}<x@pass.spf.test>
rcpt${TAB}<user@example.org>
rcpt${TAB}<@@a*$K64@@@example.org>
quit
EOF
)
like "$(answer "$out" rcpt 1)" '^y 504 5\.5\.2 <h{200,256}(\.\.\.)?>: Helo command rejected: invalid host name$' \
	"64 kB HELO: 504 5.5.2, the HELO cut short in the reply"
is "$(answer "$out" rcpt 2)" "y 501 5.1.3 Bad recipient address syntax" "64 kB RCPT TO: 501 5.1.3"
out2=$(raw <<EOF
neg
conn${TAB}mail.good.test${TAB}4${TAB}2525${TAB}192.0.2.10
helo${TAB}mail.good.test
mail${TAB}<@@s*$((K64 - 1100))@@@pass.spf.test>${TAB}SIZE=@@9*1000@@
rcpt${TAB}<user@example.org>
quit
EOF
)
like "$(answer "$out2" rcpt 1)" '^y 501 5\.1\.7 <s{200,256}(\.\.\.)?>: Bad sender address syntax$' \
	"64 kB MAIL FROM: 501 5.1.7, the sender cut short in the reply"
hwm1=$(kb VmHWM)
sleep 0.2
w=$(tail -c +$((pos + 1)) "$LOGF" | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
[ "$w" -le 1500 ]
ok $? "64 kB arguments: log lines stay short (longest $w bytes)"
diag "64 kB arguments: VmHWM ${hwm0} -> ${hwm1} kB"
rss_bound $((hwm1 - hwm0)) "64 kB arguments: VmHWM grows by less than 1 MB ($((hwm1 - hwm0)) kB)"
serves "64 kB arguments"

# ------------------------------------------------------------------ stop

# stopped CONTEXT: vigie exits 0 on SIGTERM, with no sanitizer report.
stopped() {
	stop_vigie
	is "$VIGIE_STATUS" 0 "$1: vigie exits 0 on SIGTERM"
	no_sanitizer_report "$T_TMP/vigie.stderr" "$1: no sanitizer report on vigie's stderr"
}
stopped "milter protocol"

# ------------------------------------------ 5. the same through Postfix 3.7

# Postfix ends a command at LF and refuses a NUL, but passes to the milter
# a CR (as a space in HELO, as is in MAIL FROM) and, in HELO, other control
# bytes and ESC: the delivered message must carry no injected header field, vigie's
# own fields and its log lines stay clean.
if why=$(pf_missing); then
	: >"$T_TMP/vigie.stderr"
	e2e_vigie_start "" || bail "cannot start vigie for Postfix"
	pf_start "inet:127.0.0.1:$VIGIE_PORT" || bail "cannot start Postfix"
	E2E_MARKER_PREFIX=sec N=0
	# pf_case NAME HELO SENDER: a message to postmaster@example.org.
	pf_case() {
		marker
		_pos=$(stat -c %s "$VIGIE_LOG")
		smtp_session --via-proxy 192.0.2.10 "EHLO $2" "MAIL FROM:<$3>" "RCPT TO:<postmaster@example.org>" DATA "Subject: $M

marker $M" QUIT
		pf_sink_has "$M" 10 >/dev/null
		_msg=$(grep -rlF -- "$M" "$PF_SINK_DIR" | head -1)
		[ -n "$_msg" ]
		ok $? "postfix $1: the message is delivered"
		[ -n "$_msg" ] || { printf '%s\n' "$SMTP_OUT" | cat -A | sed 's/^/#   /'; return; }
		_h=$(sed '/^\r\?$/q' "$_msg")
		printf '%s\n' "$_h" | grep -aqi '^X-Injected'
		ok $(( ! $? )) "postfix $1: no X-Injected header field in the message"
		_ours=$(printf '%s\n' "$_h" | grep -a -E '^(Received-SPF|Authentication-Results): ' | head -2 | sed 's/\r$//')
		[ "$(printf '%s\n' "$_ours" | grep -c .)" -eq 2 ] && ! printf '%s\n' "$_ours" | LC_ALL=C grep -q '[^[:print:]]'
		ok $? "postfix $1: vigie's Authentication-Results and Received-SPF are there, printable ASCII"
		_l=$(tail -c +$((_pos + 1)) "$VIGIE_LOG")
		! printf '%s\n' "$_l" | grep -v '^$' | grep -qvE "$LOGLINE" && ! printf '%s\n' "$_l" | LC_ALL=C grep -q '[^[:print:]]'
		ok $? "postfix $1: vigie's log lines are whole and printable"
		diag "postfix $1: vigie saw $(printf '%s\n' "$_l" | grep -o 'from=<.*> to=<postmaster@example.org> helo=<[^>]*>' | head -1)"
	}
	pf_case cr-helo $'x\rX-Injected: 1' x@pass.spf.test
	pf_case ctl-helo $'bad\x01helo\x1b[31m\x7f.test' x@pass.spf.test
	pf_case cr-mail mail.good.test $'x\r@pass.spf.test'
	# (^A or ESC in MAIL FROM: Postfix itself answers 501 5.1.7.)
	pf_stop 2>/dev/null
	stopped "through Postfix"
else
	ok 0 "# SKIP through Postfix: $why"
fi

done_testing
