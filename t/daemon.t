#!/bin/bash
# t/daemon.t -- the daemon's own duties: socket mode and group, a stale
# socket removed, a live one or a non-socket left alone, privileges dropped
# (and root refused unless asked for), the pidfile, daemon mode, inet6.
. "$srcdir/t/lib/harness.sh"

[ -x "$VIGIE" ] || bail "no vigie binary at $VIGIE"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (binds as root, then drops privileges)"
chmod 755 "$T_TMP"
RUN=$T_TMP/run
mkdir -p "$RUN" && chmod 777 "$RUN"
CONF=$T_TMP/vigie.conf
printf 'local_domains example.org\nlog stderr\n' >"$CONF"
NOGROUP=$(getent group nogroup >/dev/null && echo nogroup || echo nobody)

# wait_sock PATH: wait for a socket file to appear.
wait_sock() { _i=0; while [ ! -S "$1" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done; [ -S "$1" ]; }

# Socket mode and group, privileges, pidfile.
SOCK=$RUN/v.sock
start_vigie "$CONF" "$T_TMP/one.log" -o "socket=unix:$SOCK" -o user=nobody -o socket_mode=0640 \
	-o "socket_group=$NOGROUP" -o "pidfile=$RUN/v.pid"
wait_sock "$SOCK"
ok $? "unix socket created"
is "$(stat -c '%a %U %G' "$SOCK")" "640 root $NOGROUP" "socket mode 0640, group $NOGROUP"
sleep 0.2
is "$(cat "$RUN/v.pid" 2>/dev/null)" "$VIGIE_PID" "pidfile holds the daemon's pid"
is "$(ps -o user= -p "$VIGIE_PID" | tr -d ' ')" nobody "runs as user nobody after binding"
ids=$(awk '/^Uid:|^Gid:/ {print $2, $3, $4, $5}' "/proc/$VIGIE_PID/status" | tr '\n' ' ')
nuid=$(id -u nobody); ngid=$(id -g nobody)
is "$ids" "$nuid $nuid $nuid $nuid $ngid $ngid $ngid $ngid " "real, effective, saved and fs ids all dropped"
grep -q "^Groups:.*\b0\b" "/proc/$VIGIE_PID/status"
ok $(( ! $? )) "no supplementary group root left"

# A second instance on the same live socket refuses and leaves it alone.
"$VIGIE" -f -c "$CONF" -o "socket=unix:$SOCK" -o user=nobody >"$T_TMP/two.log" 2>&1
rc=$?
[ "$rc" -ne 0 ]
ok $? "a second instance on a live socket fails (exit $rc)"
like "$(cat "$T_TMP/two.log")" "another process listens on $SOCK" "and says why"
[ -S "$SOCK" ] && kill -0 "$VIGIE_PID"
ok $? "the first instance and its socket are untouched"

# A stale socket (its daemon killed with -9) is removed at the next start.
kill -9 "$VIGIE_PID"; wait "$VIGIE_PID" 2>/dev/null; VIGIE_PID=""
[ -S "$SOCK" ]
ok $? "kill -9 leaves a stale socket behind"
start_vigie "$CONF" "$T_TMP/three.log" -o "socket=unix:$SOCK" -o user=nobody
sleep 0.5
kill -0 "$VIGIE_PID" 2>/dev/null && wait_sock "$SOCK"
ok $? "a stale socket is replaced and vigie serves"
stop_vigie
is "$VIGIE_STATUS" 0 "SIGTERM: exit 0"

# Something that is not a socket is never removed.
echo "precious" >"$RUN/file.sock"
"$VIGIE" -f -c "$CONF" -o "socket=unix:$RUN/file.sock" -o user=nobody >"$T_TMP/four.log" 2>&1
[ $? -ne 0 ]
ok $? "a regular file at the socket path: refused"
is "$(cat "$RUN/file.sock")" "precious" "and the file is untouched"

# Root: refused unless asked for; unknown users refused.
"$VIGIE" -f -c "$CONF" -o "socket=unix:$RUN/r.sock" -o user=root >"$T_TMP/five.log" 2>&1
[ $? -ne 0 ]
ok $? "user root without run_as_root: refused"
like "$(cat "$T_TMP/five.log")" "run_as_root" "the refusal names run_as_root"
"$VIGIE" -f -c "$CONF" -o "socket=unix:$RUN/u.sock" -o user=no-such-user-vigie >"$T_TMP/six.log" 2>&1
[ $? -ne 0 ]
ok $? "an unknown user: refused"
like "$(cat "$T_TMP/six.log")" "no-such-user-vigie: no such user" "the refusal names the user"
start_vigie "$CONF" "$T_TMP/seven.log" -o "socket=unix:$RUN/root.sock" -o user=root -o run_as_root=yes
wait_sock "$RUN/root.sock"
is "$(ps -o user= -p "$VIGIE_PID" | tr -d ' ')" root "run_as_root yes: stays root"
stop_vigie
like "$(cat "$T_TMP/seven.log")" "running as root \(run_as_root yes\)" "and warns about it"

# Daemon mode: a failure after the fork still reaches the starting process.
out=$("$VIGIE" -c "$CONF" -o "socket=unix:$RUN/f.sock" -o user=no-such-user-vigie -o "pidfile=$RUN/f.pid" 2>&1)
rc=$?
[ "$rc" -ne 0 ]
ok $? "daemon mode, unknown user: the starting process fails too (exit $rc)"
like "$out" "no-such-user-vigie: no such user" "... with the daemon's message"

# Daemon mode: the parent returns once the daemon's pid is in the pidfile.
"$VIGIE" -c "$CONF" -o "socket=unix:$RUN/d.sock" -o user=nobody -o "pidfile=$RUN/d.pid" -o "log=file:$T_TMP/d.log"
is "$?" 0 "daemon mode: the starting process exits 0"
[ -s "$RUN/d.pid" ]
ok $? "daemon mode: the pidfile exists when the starting process returns"
wait_sock "$RUN/d.sock"
DPID=$(cat "$RUN/d.pid" 2>/dev/null)
T_PIDS="$T_PIDS $DPID"
kill -0 "$DPID" 2>/dev/null
ok $? "the daemon runs with the pid in the pidfile"
is "$(ps -o sid= -p "$DPID" | tr -d ' ')" "$DPID" "it leads its own session"
kill -TERM "$DPID"
i=0; while kill -0 "$DPID" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$DPID" 2>/dev/null
ok $(( ! $? )) "SIGTERM stops the daemon"
like "$(cat "$T_TMP/d.log")" "vigie stopped \(normal\)" "its log ends with a normal stop"

# inet and inet6 sockets on loopback.
PORT=$(free_port)
start_vigie "$CONF" "$T_TMP/eight.log" -o "socket=inet:$PORT@127.0.0.1" -o user=nobody
wait_port "$PORT"
ok $? "inet:$PORT@127.0.0.1 listens"
stop_vigie
# Its listening socket has TCP_NODELAY (accepted connections inherit it):
# without it, the two headers added at end of message wait for the MTA's
# delayed ACK, 40 ms a message (bench/run --inet shows it).
if command -v strace >/dev/null 2>&1; then
	PORT=$(free_port)
	strace -f -o "$T_TMP/strace.out" -e trace=setsockopt "$VIGIE" -f -c "$CONF" \
		-o "socket=inet:$PORT@127.0.0.1" -o user=nobody >>"$T_TMP/ten.log" 2>&1 &
	SPID=$!
	T_PIDS="$T_PIDS $SPID"
	wait_port "$PORT"
	# stop vigie itself (strace, stopped, would leave it running), then strace ends with it
	VPID=$(pgrep -P "$SPID" | head -1)
	[ -n "$VPID" ] && at_exit "kill -9 $VPID" && kill "$VPID"
	i=0; while kill -0 "$SPID" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
	wait "$SPID" 2>/dev/null
	grep -q 'setsockopt([0-9]*, SOL_TCP, TCP_NODELAY, \[1\], 4) = 0' "$T_TMP/strace.out"
	ok $? "inet: TCP_NODELAY set on the listening socket"
else
	ok 1 "strace is needed to see TCP_NODELAY (Debian package strace)"
fi
if [ -r /proc/net/if_inet6 ] && grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6; then
	PORT=$(free_port)
	start_vigie "$CONF" "$T_TMP/nine.log" -o "socket=inet6:$PORT@::1" -o user=nobody
	i=0; while ! (exec 3<>"/dev/tcp/::1/$PORT") 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	(exec 3<>"/dev/tcp/::1/$PORT") 2>/dev/null
	ok $? "inet6:$PORT@::1 listens"
	stop_vigie
else
	diag "inet6 not tried: no ::1 on this machine"
fi

done_testing
