#!/usr/bin/perl
# dns-delay.pl -- a UDP DNS forwarder that holds every answer DELAY_MS
# before passing it on: a resolver 200 ms away, for bench/run --dns-delay.
#
#   dns-delay.pl LISTEN_PORT UPSTREAM_PORT DELAY_MS LOGFILE
#
# Listens on 127.0.0.1:LISTEN_PORT, forwards each query unchanged to
# 127.0.0.1:UPSTREAM_PORT (unbound) and sends the answer back DELAY_MS
# after it arrived.  Each query is logged as "TIME NAME TYPE" (TIME in
# seconds, float) to LOGFILE.  UDP only: the benchmark's names fit.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time);

my ($lport, $uport, $delay_ms, $logfile) = @ARGV;
die "usage: dns-delay.pl LISTEN_PORT UPSTREAM_PORT DELAY_MS LOGFILE\n" unless defined $logfile;
my $delay = $delay_ms / 1000;
my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $lport, Proto => 'udp')
	or die "dns-delay: udp port $lport: $!\n";
my $up = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $uport, Proto => 'udp')
	or die "dns-delay: upstream $uport: $!\n";
open my $log, '>>', $logfile or die "$logfile: $!\n";
$log->autoflush(1);
$SIG{TERM} = sub { exit 0 };

my %client;     # our id -> [client address, client id]
my @pending;    # [due time, client address, packet]
my $next = 0;
my $sel = IO::Select->new($srv, $up);

sub qname {
	my ($pkt) = @_;
	my ($off, @labels) = (12);
	while ($off < length $pkt) {
		my $len = ord substr($pkt, $off, 1);
		last if $len == 0 || $len >= 64;
		push @labels, substr($pkt, $off + 1, $len);
		$off += $len + 1;
	}
	my $type = length($pkt) >= $off + 3 ? unpack('n', substr($pkt, $off + 1, 2)) : 0;
	my %t = (1 => 'A', 2 => 'NS', 5 => 'CNAME', 12 => 'PTR', 15 => 'MX', 16 => 'TXT', 28 => 'AAAA');
	return (join('.', @labels) || '.', $t{$type} // "TYPE$type");
}

while (1) {
	my $wait = @pending ? $pending[0][0] - time : undef;
	$wait = 0 if defined $wait && $wait < 0;
	for my $s ($sel->can_read($wait)) {
		my $pkt;
		if ($s == $srv) {
			my $from = $srv->recv($pkt, 65535) or next;
			next if length $pkt < 12;
			my ($name, $type) = qname($pkt);
			printf $log "%.6f %s %s\n", time, lc $name, $type;
			my $id = $next++ & 0xffff;
			$client{$id} = [$from, substr($pkt, 0, 2)];
			$up->send(pack('n', $id) . substr($pkt, 2));
		} else {
			$up->recv($pkt, 65535);
			next if !defined $pkt || length $pkt < 12;
			my $c = delete $client{unpack('n', substr($pkt, 0, 2))} or next;
			push @pending, [time + $delay, $c->[0], $c->[1] . substr($pkt, 2)];
		}
	}
	while (@pending && $pending[0][0] <= time) {
		my $p = shift @pending;
		$srv->send($p->[2], 0, $p->[1]);
	}
}
