# t/lib/dns.sh -- vigie's test DNS world: a private unbound on a loopback port
# serving the zone files in t/dns/ (the names are documented in t/dns/README).
# Source it after t/lib/harness.sh (it uses T_TMP, T_PIDS, free_port,
# wait_port, at_exit).  Nothing here prints TAP, so tools can use it too.
#
#   dns_missing         print why the DNS world cannot run here and return 1;
#                       return 0 (printing nothing) when it can.
#   dns_start           start unbound and the black hole, wait until unbound
#                       answers; sets DNS_PORT, DNS_SERVER ("127.0.0.1:PORT"),
#                       DNS_SERVER6 ("[::1]:PORT" or empty), DNS_BLACKHOLE_PORT,
#                       DNS_PSL, DNS_DIR, DNS_LOG, DNS_PID, DNS_BLACKHOLE_PID.
#                       Returns 1 with a message on stderr on failure.
#   dns_stop            stop both by PID and wait for them (dns_start registers
#                       it with at_exit).
#   dns_query ARGS...   drill against the world: drill -p PORT @127.0.0.1 ARGS...
#   DNS_UNBOUND_COPY=1  run a private copy of unbound even without AppArmor.
#
# How the world is served (unbound 1.17):
#   - every t/dns/NAME.zone is an auth-zone NAME (root.zone is ".") with
#     for-upstream: yes and for-downstream: no, so unbound answers as a
#     recursive resolver does (RA, no AA, CNAMEs chased across zones) from
#     local data only.  The root zone is local: a name outside every zone is
#     NXDOMAIN and unbound never needs the Internet's root servers;
#     outgoing-interface 127.0.0.1 makes any outside query fail anyway.
#   - DNS_TIMEOUT_ZONES are local-zone "deny": unbound drops every query for
#     them, so a client times out, every time.  (A stub zone pointing at the
#     black hole does not work: after the first timeout unbound marks the
#     server down and answers SERVFAIL at once.)
#   - a zone file with no records (fail.test.zone ...) makes unbound answer
#     SERVFAIL at once, every time.
#   - the black hole (DNS_BLACKHOLE_PORT, UDP and TCP on 127.0.0.1) reads
#     queries and never answers: a resolver address that is dead.

DNS_ZONEDIR=$srcdir/t/dns
DNS_PSL=$DNS_ZONEDIR/psl.dat
DNS_TIMEOUT_ZONES="slow.test slowbl.test 16.2.0.192.in-addr.arpa"
# unbound's built-in local zones that would hide ours (RFC 6761/6303 names).
DNS_NODEFAULT_ZONES="test 2.0.192.in-addr.arpa 100.51.198.in-addr.arpa 113.0.203.in-addr.arpa 8.b.d.0.1.0.0.2.ip6.arpa"

DNS_PORT=""
DNS_SERVER=""
DNS_SERVER6=""
DNS_BLACKHOLE_PORT=""
DNS_PID=""
DNS_BLACKHOLE_PID=""
DNS_DIR=""
DNS_LOG=""

dns_missing() {
	for _t in unbound drill perl; do
		command -v "$_t" >/dev/null 2>&1 || { echo "$_t not installed"; return 1; }
	done
	[ -r "$DNS_ZONEDIR/root.zone" ] || { echo "no zone files in $DNS_ZONEDIR"; return 1; }
	return 0
}

dns_query() { drill -p "$DNS_PORT" @127.0.0.1 "$@"; }

# _dns_have_ipv6: ::1 is configured.
_dns_have_ipv6() {
	[ -r /proc/net/if_inet6 ] && grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6
}

# _dns_unbound_bin: the unbound to run.  Debian's AppArmor profile for
# /usr/sbin/unbound lets it read only /etc/unbound and /var/lib/unbound, not
# our configuration and zones: where AppArmor is on, run a private copy of
# the binary, to which the profile does not attach.
_dns_unbound_bin() {
	_bin=$(command -v unbound)
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] ||
		[ -n "${DNS_UNBOUND_COPY:-}" ]; then
		cp "$_bin" "$DNS_DIR/unbound" && _bin=$DNS_DIR/unbound
	fi
	echo "$_bin"
}

# _dns_write_conf PORT: write $DNS_DIR/unbound.conf.
_dns_write_conf() {
	_port=$1
	_ip6=no
	_dns_have_ipv6 && _ip6=yes
	{
		cat <<EOF
# Written by t/lib/dns.sh: vigie's test DNS world (see t/dns/README).
server:
	verbosity: 3
	use-syslog: no
	logfile: ""
	log-time-ascii: yes
	log-servfail: yes
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "$DNS_DIR"
	pidfile: "$DNS_DIR/unbound.pid"
	num-threads: 1
	so-reuseport: no
	interface-automatic: no
	interface: 127.0.0.1@$_port
EOF
		[ $_ip6 = yes ] && printf '\tinterface: ::1@%s\n' "$_port"
		cat <<EOF
	port: $_port
	do-ip4: yes
	do-ip6: $_ip6
	do-udp: yes
	do-tcp: yes
	access-control: 127.0.0.0/8 allow
	access-control: ::1 allow
	# Never the Internet: every zone is local, and upstream queries (there
	# should be none) could only leave from 127.0.0.1.
	outgoing-interface: 127.0.0.1
	do-not-query-localhost: no
	module-config: "iterator"
	edns-buffer-size: 1232
	max-udp-size: 1232
	minimal-responses: yes
	rrset-roundrobin: no
	qname-minimisation: no
	prefetch: no
	serve-expired: no
	cache-max-ttl: 300
	cache-max-negative-ttl: 60
	statistics-interval: 0
	unwanted-reply-threshold: 0
EOF
		for _z in $DNS_NODEFAULT_ZONES; do printf '\tlocal-zone: "%s." nodefault\n' "$_z"; done
		for _z in $DNS_TIMEOUT_ZONES; do printf '\tlocal-zone: "%s." deny\n' "$_z"; done
		for _f in "$DNS_ZONEDIR"/*.zone; do
			_z=${_f##*/}; _z=${_z%.zone}
			[ "$_z" = root ] && _z=""
			printf 'auth-zone:\n\tname: "%s."\n\tzonefile: "%s"\n' "$_z" "$_f"
			printf '\tfor-downstream: no\n\tfor-upstream: yes\n\tfallback-enabled: no\n'
		done
	} >"$DNS_DIR/unbound.conf"
}

# _dns_start_blackhole: start the listener that never answers on a free port.
_dns_start_blackhole() {
	_try=0
	while [ $_try -lt 2 ]; do
		DNS_BLACKHOLE_PORT=$(free_port) || return 1
		perl -e '
			use strict; use warnings; use IO::Socket::INET; use IO::Select;
			my $port = $ARGV[0];
			my $udp = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $port,
				Proto => "udp") or die "black hole: udp port $port: $!\n";
			my $tcp = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $port,
				Proto => "tcp", Listen => 64, ReuseAddr => 1)
				or die "black hole: tcp port $port: $!\n";
			my $sel = IO::Select->new($udp, $tcp);
			$SIG{TERM} = sub { exit 0 };
			while (1) {
				for my $s ($sel->can_read) {
					my $buf;
					if ($s == $udp) { $udp->recv($buf, 65535); }
					elsif ($s == $tcp) { my $c = $tcp->accept; $sel->add($c) if $c; }
					elsif (!sysread($s, $buf, 65535)) { $sel->remove($s); close $s; }
				}
			}' "$DNS_BLACKHOLE_PORT" >>"$DNS_DIR/blackhole.log" 2>&1 &
		DNS_BLACKHOLE_PID=$!
		T_PIDS="$T_PIDS $DNS_BLACKHOLE_PID"
		_i=0
		while [ $_i -lt 50 ] && kill -0 "$DNS_BLACKHOLE_PID" 2>/dev/null; do
			(exec 3<>"/dev/tcp/127.0.0.1/$DNS_BLACKHOLE_PORT") 2>/dev/null && return 0
			sleep 0.02; _i=$((_i + 1))
		done
		kill "$DNS_BLACKHOLE_PID" 2>/dev/null; wait "$DNS_BLACKHOLE_PID" 2>/dev/null
		DNS_BLACKHOLE_PID=""
		_try=$((_try + 1))
	done
	echo "dns_start: the black hole does not listen:" >&2
	cat "$DNS_DIR/blackhole.log" >&2
	return 1
}

# _dns_start_unbound: start unbound on a free port; retry once on a collision.
_dns_start_unbound() {
	_unbound=$(_dns_unbound_bin)
	_try=0
	while [ $_try -lt 2 ]; do
		DNS_PORT=$(free_port) || return 1
		_dns_write_conf "$DNS_PORT"
		echo "--- unbound on port $DNS_PORT" >>"$DNS_LOG"
		"$_unbound" -d -c "$DNS_DIR/unbound.conf" >>"$DNS_LOG" 2>&1 &
		DNS_PID=$!
		T_PIDS="$T_PIDS $DNS_PID"
		# Wait for "start of service" (drill to a port nobody listens on
		# hangs until its timeout), then for an answer from the root zone.
		_i=0
		while [ $_i -lt 250 ] && kill -0 "$DNS_PID" 2>/dev/null; do
			if grep -q "start of service" "$DNS_LOG" &&
				timeout 1 drill -p "$DNS_PORT" @127.0.0.1 . SOA 2>/dev/null |
				grep -q 'rcode: NOERROR'; then
				return 0
			fi
			sleep 0.02; _i=$((_i + 1))
		done
		kill "$DNS_PID" 2>/dev/null; wait "$DNS_PID" 2>/dev/null
		DNS_PID=""
		_try=$((_try + 1))
	done
	echo "dns_start: unbound does not answer:" >&2
	cat "$DNS_LOG" >&2
	return 1
}

dns_start() {
	_why=$(dns_missing) || { echo "dns_start: $_why" >&2; return 1; }
	DNS_DIR=$T_TMP/dns
	DNS_LOG=$DNS_DIR/unbound.log
	mkdir -p "$DNS_DIR" || return 1
	: >"$DNS_LOG"
	at_exit dns_stop
	_dns_start_blackhole || return 1
	_dns_start_unbound || return 1
	DNS_SERVER=127.0.0.1:$DNS_PORT
	DNS_SERVER6=""
	_dns_have_ipv6 && DNS_SERVER6="[::1]:$DNS_PORT"
	export DNS_PORT DNS_SERVER DNS_SERVER6 DNS_BLACKHOLE_PORT DNS_PSL
	return 0
}

# _dns_kill PID: SIGTERM, wait up to 5 s, then SIGKILL.
_dns_kill() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

dns_stop() {
	_dns_kill "$DNS_PID"
	_dns_kill "$DNS_BLACKHOLE_PID"
	DNS_PID=""
	DNS_BLACKHOLE_PID=""
	return 0
}
