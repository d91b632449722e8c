#!/usr/bin/perl
# t/lib/faults-dns.pl -- a DNS server that misbehaves on purpose, for
# t/faults-dns.t.  Usage: perl faults-dns.pl PORT UPSTREAM-PORT
# Listens on 127.0.0.1:PORT (UDP and TCP).  Questions about its own names
# (below) get a fault or a made-up answer; every other question is passed
# to the test DNS world (unbound on 127.0.0.1:UPSTREAM-PORT) and its reply
# relayed, so the ordinary names of t/dns/ keep working.
#
# Faults (KIND):
#   timeout    never answers (a TCP connection stays open, silent)
#   servfail   rcode SERVFAIL            refused    rcode REFUSED
#   tc         truncated (TC) over UDP; over TCP the answer
#   tcpclose   TC over UDP; over TCP the connection is closed half-way
#              through the answer (a length of 512, then 10 bytes)
#   garbage    40 bytes of 0xff after the right ID
#   otherq     the right ID, an answer to another question (other.fault.test)
#   badid      the right answer with the wrong transaction ID
#   huge       TC over UDP; over TCP an answer of about 64 kB: a TXT record
#              of 250 strings (an SPF policy, over 60 kB), or thousands of
#              records of the other types
#   cnameloop  NAME CNAME loop.NAME, loop.NAME CNAME NAME, nothing else
#   long       like tc, but the TXT over TCP is an SPF policy of 5 kB (300
#              terms, -all at the end): longer than a UDP answer, and than
#              any one string
# Names:
#   f-KIND.fault.test       the fault for every type asked
#   spf-KIND.fault.test     the fault for TXT only; MX and A are answered
#   N.113.0.203.bl.fault.test   (a DNS list): N = 1..10, fault number N
#                           (in the order above), else not listed (NXDOMAIN)
#   N.113.0.203.in-addr.arpa    PTR: N = 101..110, fault number N - 100; else
#                           passed on to the test world
# Made-up answers (the "answer" of tc and huge, and the types without a
# fault): MX 10 mail.good.test; A 192.0.2.10 (127.0.0.2 in the list: tc
# makes a listing); TXT "v=spf1 ip4:192.0.2.0/24 -all" for f-*, "v=spf1
# -all" for spf-*; PTR mail.good.test; AAAA and the rest: no data.
# Each fault sent is logged on stderr: "fault KIND NAME TYPE udp|tcp".
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;

my ($port, $upstream) = @ARGV;
die "usage: faults-dns.pl PORT UPSTREAM-PORT\n" unless $port && $upstream;
my @KINDS = qw(timeout servfail refused tc tcpclose garbage otherq badid huge cnameloop);	# numbered faults; 'long' is by name only
my %T = (A => 1, NS => 2, CNAME => 5, SOA => 6, PTR => 12, MX => 15, TXT => 16, AAAA => 28);
my %TN = reverse %T;

my $udp = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port, Proto => 'udp')
	or die "faults-dns: udp $port: $!\n";
my $tcp = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port, Proto => 'tcp',
	Listen => 64, ReuseAddr => 1) or die "faults-dns: tcp $port: $!\n";
$SIG{TERM} = sub { exit 0 };
$SIG{PIPE} = 'IGNORE';
$| = 1;

sub name_wire {
	my $n = shift;
	return join('', map { chr(length $_) . $_ } split /\./, $n) . "\0";
}

# parse QUERY: (id, rd-flag, qname (lower case), qtype, question bytes) or ().
sub parse {
	my $q = shift;
	return () if length($q) < 17;
	my ($id, $flags) = unpack('n2', $q);
	my ($off, @l) = (12);
	while ($off < length $q) {
		my $n = ord(substr($q, $off, 1));
		$off++;
		last if $n == 0;
		return () if $n > 63;
		push @l, lc substr($q, $off, $n);
		$off += $n;
	}
	return () if $off + 4 > length $q;
	my $qtype = unpack('n', substr($q, $off, 2));
	return ($id, $flags & 0x0100, join('.', @l), $qtype, substr($q, 12, $off + 4 - 12));
}

# What we do with a question: (KIND or '', ours?) for NAME and TYPE.
sub classify {
	my ($name, $type) = @_;
	if ($name =~ /^(?:.*\.)?f-([a-z]+)\.fault\.test\z/) { return ($1, 1); }
	if ($name =~ /^(?:.*\.)?spf-([a-z]+)\.fault\.test\z/) { return ($type == $T{TXT} ? $1 : '', 1); }
	if ($name =~ /^(\d+)\.113\.0\.203\.bl\.fault\.test\z/) {
		return ($1 >= 1 && $1 <= @KINDS ? $KINDS[$1 - 1] : '', 1);
	}
	if ($name =~ /^(\d+)\.113\.0\.203\.in-addr\.arpa\z/ && $1 > 100 && $1 <= 100 + @KINDS) {
		return ($KINDS[$1 - 101], 1);
	}
	return ('', 1) if $name =~ /(?:^|\.)fault\.test\z/;
	return ('', 0);
}

sub rr {	# rr(OWNER-WIRE, TYPE, RDATA)
	my ($owner, $type, $rdata) = @_;
	return $owner . pack('nnNn', $type, 1, 300, length $rdata) . $rdata;
}
sub txt_rdata { return join('', map { chr(length $_) . $_ } @_); }

# The made-up records for NAME/TYPE (a list of wire RRs, owner = the question).
sub records {
	my ($name, $type, $huge) = @_;
	my $o = "\xc0\x0c";
	if ($type == $T{MX}) {
		return (rr($o, $T{MX}, pack('n', 10) . name_wire('mail.good.test'))) unless $huge;
		return map { rr($o, $T{MX}, pack('n', 10) . name_wire("m$_.good.test")) } 1 .. 2000;
	}
	if ($type == $T{A}) {
		my $ip = $name =~ /\.bl\.fault\.test\z/ ? pack('C4', 127, 0, 0, 2) : pack('C4', 192, 0, 2, 10);
		return (rr($o, $T{A}, $ip)) unless $huge;
		return map { rr($o, $T{A}, pack('C4', 127, 0, $_ >> 8, $_ & 255)) } 2 .. 4001;
	}
	if ($type == $T{PTR}) {
		return (rr($o, $T{PTR}, name_wire('mail.good.test'))) unless $huge;
		return map { rr($o, $T{PTR}, name_wire("h$_.good.test")) } 1 .. 2000;
	}
	if ($type == $T{TXT}) {
		my $spf = $name =~ /(?:^|\.)spf-/ ? 'v=spf1 -all' : 'v=spf1 ip4:192.0.2.0/24 -all';
		return (rr($o, $T{TXT}, txt_rdata($spf))) unless $huge;
		# One SPF policy of 250 strings (about 62 kB; 5 kB for 'long'):
		# many terms that do not match 192.0.2.10, then -all at the very end.
		my $body = 'v=spf1';
		$body .= sprintf(' ip4:198.51.100.%d', $_ % 250) for 1 .. ($huge eq 'long' ? 300 : 3500);
		$body .= ' -all';
		my @s = unpack('(a250)*', $body);
		return (rr($o, $T{TXT}, txt_rdata(@s)));
	}
	return ();
}

# reply(ID, RCODE, QUESTION, RRS...) with QR, RD, RA.
sub reply {
	my ($id, $rcode, $qs, @rrs) = @_;
	return pack('n6', $id, 0x8180 | $rcode, 1, scalar @rrs, 0, 0) . $qs . join('', @rrs);
}

sub answer_for {
	my ($id, $name, $type, $qs, $huge) = @_;
	my @r = records($name, $type, $huge);
	return reply($id, 0, $qs, @r);
}

# forward QUERY TCP?: the test world's reply, or undef.
sub forward {
	my ($q, $over_tcp) = @_;
	my $r;
	if ($over_tcp) {
		my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $upstream, Proto => 'tcp',
			Timeout => 3) or return undef;
		syswrite($c, pack('n', length $q) . $q);
		my $sel = IO::Select->new($c);
		my $buf = '';
		while ($sel->can_read(3)) {
			my $n = sysread($c, $buf, 65537, length $buf) or last;
			last if length($buf) >= 2 && length($buf) >= 2 + unpack('n', $buf);
		}
		return length($buf) >= 2 ? substr($buf, 2, unpack('n', $buf)) : undef;
	}
	my $u = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $upstream, Proto => 'udp')
		or return undef;
	$u->send($q);
	return undef unless IO::Select->new($u)->can_read(3);
	$u->recv($r, 65535);
	return $r;
}

# handle(QUERY, TCP?): the reply bytes to send, '' for none, or 'KEEP'/'CLOSE'
# (TCP only).
sub handle {
	my ($q, $over_tcp) = @_;
	my ($id, $rd, $name, $type, $qs) = parse($q);
	return '' unless defined $id;
	my ($kind, $ours) = classify($name, $type);
	return forward($q, $over_tcp) // '' unless $ours;
	if ($kind eq '') {	# no fault: not listed, or the made-up answer
		return reply($id, 3, $qs) if $name =~ /\.bl\.fault\.test\z/;
		return answer_for($id, $name, $type, $qs, 0);
	}
	printf "fault %s %s %s %s\n", $kind, $name, $TN{$type} // $type, $over_tcp ? 'tcp' : 'udp';
	my $tc = pack('n6', $id, 0x8380, 1, 0, 0, 0) . $qs;
	if ($kind eq 'timeout') { return $over_tcp ? 'KEEP' : ''; }
	if ($kind eq 'servfail') { return reply($id, 2, $qs); }
	if ($kind eq 'refused') { return reply($id, 5, $qs); }
	if ($kind eq 'tc') { return $over_tcp ? answer_for($id, $name, $type, $qs, 0) : $tc; }
	if ($kind eq 'tcpclose') { return $over_tcp ? 'CLOSE' : $tc; }
	if ($kind eq 'garbage') { return pack('n', $id) . ("\xff" x 40); }
	if ($kind eq 'otherq') {
		my $oq = name_wire('other.fault.test') . substr($qs, -4);
		return reply($id, 0, $oq, rr("\xc0\x0c", $T{A}, pack('C4', 192, 0, 2, 66)));
	}
	if ($kind eq 'badid') { return answer_for($id ^ 0x5555, $name, $type, $qs, 0); }
	if ($kind eq 'huge' || $kind eq 'long') {
		return $tc unless $over_tcp;
		my $a = answer_for($id, $name, $type, $qs, $type == $T{TXT} || $kind eq 'huge' ? $kind : 0);
		return length($a) <= 65535 ? $a : substr($a, 0, 65535);
	}
	if ($kind eq 'cnameloop') {
		my $loop = "loop.$name";
		# NAME CNAME loop.NAME (at offset 12 + 2 + 10 + 2 + length of NAME) ...
		my $first = rr("\xc0\x0c", $T{CNAME}, "\x04loop\xc0\x0c");
		my $at = 12 + length($qs) + 12;
		return reply($id, 0, $qs, $first, rr(pack('n', 0xc000 | $at), $T{CNAME}, "\xc0\x0c"));
	}
	return '';
}

my $sel = IO::Select->new($udp, $tcp);
my %tbuf;
my @keep;
while (1) {
	for my $s ($sel->can_read) {
		if ($s == $udp) {
			my $peer = $udp->recv(my $q, 65535);
			next unless defined $peer;
			my $r = handle($q, 0);
			$udp->send($r, 0, $peer) if length $r;
			next;
		}
		if ($s == $tcp) {
			my $c = $tcp->accept or next;
			$sel->add($c);
			$tbuf{fileno $c} = '';
			next;
		}
		my $n = sysread($s, $tbuf{fileno $s}, 65537, length $tbuf{fileno $s});
		if (!$n) { $sel->remove($s); delete $tbuf{fileno $s}; close $s; next; }
		my $b = $tbuf{fileno $s};
		next unless length($b) >= 2 && length($b) >= 2 + unpack('n', $b);
		my $q = substr($b, 2, unpack('n', $b));
		$tbuf{fileno $s} = substr($b, 2 + length $q);
		my $r = handle($q, 1);
		if ($r eq 'KEEP') { $sel->remove($s); push @keep, $s; next; }
		if ($r eq 'CLOSE') { syswrite($s, pack('n', 512) . ("\0" x 10)); }
		elsif (length $r) { syswrite($s, pack('n', length $r) . $r); next; }
		$sel->remove($s); delete $tbuf{fileno $s}; close $s;
	}
}
