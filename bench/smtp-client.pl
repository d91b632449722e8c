#!/usr/bin/perl
# smtp-client.pl -- bench/run's SMTP client for what smtp-source cannot do.
# Every session starts with a PROXY v1 header claiming a client address.
#
#   smtp-client.pl probe PORT IPFILE N HELO FROM RCPT
#       N sessions one after the other (no load): connect, PROXY, EHLO, MAIL,
#       RCPT, QUIT; session i claims line i of IPFILE (cycling).  Prints one
#       line per session: the microseconds from connect() to the RCPT reply,
#       and that reply's code.
#   smtp-client.pl hold PORT IPFILE N HELO FROM RCPT READYFILE
#       open N sessions at once, take each up to its RCPT reply, write
#       "held K" to READYFILE (K sessions got a reply to RCPT), then wait
#       for SIGTERM and QUIT them all.
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(time);

my ($mode, $port, $ipfile, $n, $helo, $from, $rcpt, $ready) = @ARGV;
die "usage: smtp-client.pl probe|hold PORT IPFILE N HELO FROM RCPT [READYFILE]\n" unless defined $rcpt;
open my $fh, '<', $ipfile or die "$ipfile: $!\n";
my @ips = grep { length } map { s/\s+//gr } <$fh>;
close $fh;
die "no addresses in $ipfile\n" unless @ips;

sub reply {
	my ($s) = @_;
	while (defined(my $l = <$s>)) {
		return $1 if $l =~ /^(\d\d\d) /;
	}
	return "000";
}

sub session_to_rcpt {
	my ($ip) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
		or return;
	$s->autoflush(1);
	my $fam = $ip =~ /:/ ? 'TCP6' : 'TCP4';
	my $dst = $ip =~ /:/ ? '::1' : '127.0.0.1';
	print $s "PROXY $fam $ip $dst 40025 25\r\n";
	reply($s) eq '220' or return;
	print $s "EHLO $helo\r\n"; reply($s);
	print $s "MAIL FROM:<$from>\r\n"; reply($s);
	print $s "RCPT TO:<$rcpt>\r\n";
	my $code = reply($s);
	return ($s, $code);
}

if ($mode eq 'probe') {
	for my $i (0 .. $n - 1) {
		my $t0 = time;
		my ($s, $code) = session_to_rcpt($ips[$i % @ips]);
		my $us = int((time - $t0) * 1e6);
		if ($s) { print $s "QUIT\r\n"; reply($s); close $s; }
		printf "%d %s\n", $us, $code // 'none';
	}
} elsif ($mode eq 'hold') {
	my @held;
	my $got = 0;
	for my $i (0 .. $n - 1) {
		my ($s, $code) = session_to_rcpt($ips[$i % @ips]);
		next unless $s;
		push @held, $s;
		$got++ if $code =~ /^2/;
	}
	my $stop = 0;
	$SIG{TERM} = sub { $stop = 1 };
	open my $r, '>', $ready or die "$ready: $!\n";
	print $r "held $got of $n\n";
	close $r;
	sleep 1 until $stop;
	for my $s (@held) { print $s "QUIT\r\n"; close $s; }
} else {
	die "unknown mode $mode\n";
}
