#!/usr/bin/perl
# t/lib/raw-milter.pl -- a milter-protocol client (the MTA side), used by t/milter.t,
# t/faults-dns.t and t/faults-mta.t:  perl raw-milter.pl unix:/path | inet:PORT@ADDR
#
# A milter client in Perl reading commands from stdin, one per line, fields
# separated by TABs (\t \n \0 \\ and \xHH escapes allowed in fields):
#   neg [VERSION ACTIONS PROTOCOL]   option negotiation (default 6 0x1FF 0x1FFFFF)
#   conn HOST FAMILY [PORT ADDR]     SMFIC_CONNECT (FAMILY 4, 6, L or U)
#   macro STAGE NAME VALUE ...       SMFIC_MACRO for stage C, H, M or R
#   helo ARG | mail ARG... | rcpt ARG... | data | eoh | eom
#   abort | quitnc | quit | raw LEN-OR-- CMD DATA
# It prints one line per command that has an answer: "CMD RESULT" where
# RESULT is c, a, r, t, d, "y TEXT" (SMFIR_REPLYCODE, non-printables as \xHH),
# noreply (the filter negotiated SMFIP_NR_*), eof or timeout; "neg ok ..." and
# "symlist STAGE MACROS" lines for the negotiation.
use strict;
use warnings;
use Socket;
use IO::Socket::UNIX;
use IO::Socket::INET;
use IO::Select;

my $spec = shift @ARGV;
my $tmo = $ENV{RAW_TIMEOUT} || 10;
my $s;
if ($spec =~ /^(?:unix|local):(.+)\z/) {
	$s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $1);
} elsif ($spec =~ /^inet:(\d+)\@(.+)\z/) {
	$s = IO::Socket::INET->new(PeerAddr => $2, PeerPort => $1, Proto => 'tcp');
}
unless ($s) { print "connect failed: $!\n"; exit 2; }
binmode $s;
$SIG{PIPE} = 'IGNORE';
my $sel = IO::Select->new($s);
my ($pflags, $dead) = (0, '');

sub esc { my $t = shift; $t =~ s/([^\x20-\x7e])/sprintf("\\x%02X", ord $1)/ge; return $t; }
sub unesc {
	my $t = shift;
	$t =~ s/\\(?:x([0-9A-Fa-f]{2})|(.))/defined $1 ? chr(hex $1) :
	    $2 eq 't' ? "\t" : $2 eq 'n' ? "\n" : $2 eq 'r' ? "\r" : $2 eq '0' ? "\0" : $2/ge;
	return $t;
}
sub put {
	my ($cmd, $data) = @_;
	return 0 if $dead;
	$data = '' unless defined $data;
	my $pkt = pack('N', length($data) + 1) . $cmd . $data;
	my $off = 0;
	while ($off < length $pkt) {
		my $w = syswrite($s, $pkt, length($pkt) - $off, $off);
		unless (defined $w) { $dead = 'eof'; return 0; }
		$off += $w;
	}
	return 1;
}
sub getn {
	my $n = shift;
	my $buf = '';
	while (length $buf < $n) {
		unless ($sel->can_read($tmo)) { $dead = 'timeout'; return undef; }
		my $r = sysread($s, $buf, $n - length $buf, length $buf);
		unless ($r) { $dead = 'eof'; return undef; }
	}
	return $buf;
}
sub get {
	return () if $dead;
	my $h = getn(4);
	return () unless defined $h;
	my $len = unpack('N', $h);
	if ($len < 1 || $len > (1 << 20)) { $dead = "bad length $len"; return (); }
	my $b = getn($len);
	return () unless defined $b;
	return (substr($b, 0, 1), substr($b, 1));
}
sub reply {
	while (1) {
		my ($c, $d) = get();
		return $dead unless defined $c;
		next if $c eq 'p';
		if ($c eq 'y') { $d =~ s/\0\z//; return "y " . esc($d); }
		return $c;
	}
}
# Send a stage command and print its answer, unless negotiated away.
sub stage {
	my ($label, $cmd, $data, $no, $nr) = @_;
	if ($pflags & $no) { print "$label skipped\n"; return; }
	put($cmd, $data);
	if ($dead) { print "$label $dead\n"; return; }
	if ($pflags & $nr) { print "$label noreply\n"; return; }
	print "$label ", reply(), "\n";
}

while (my $line = <STDIN>) {
	chomp $line;
	next if $line eq '' || $line =~ /^#/;
	my ($cmd, @f) = map { unesc($_) } split /\t/, $line, -1;
	if ($cmd eq 'neg') {
		my ($v, $a, $p) = @f ? (map { oct($_) } @f) : (6, 0x1FF, 0x1FFFFF);
		put('O', pack('NNN', $v, $a, $p));
		my ($c, $d) = get();
		if (!defined $c) { print "neg $dead\n"; next; }
		if ($c ne 'O' || length($d) < 12) { print "neg bad reply ", esc($c), "\n"; next; }
		my ($rv, $ra, $rp) = unpack('NNN', $d);
		$pflags = $rp;
		printf "neg ok version=%d actions=0x%X protocol=0x%X\n", $rv, $ra, $rp;
		my $rest = substr($d, 12);
		while (length($rest) >= 5) {
			my $where = unpack('N', $rest);
			my ($names) = substr($rest, 4) =~ /^([^\0]*)/;
			print "symlist $where ", esc($names), "\n";
			$rest = substr($rest, 4 + length($names) + 1);
		}
	} elsif ($cmd eq 'conn') {
		my ($host, $fam, $port, $addr) = @f;
		my $data = "$host\0$fam";
		$data .= pack('n', $port) . "$addr\0" if $fam ne 'U';
		stage('conn', 'C', $data, 0x1, 0x1000);
	} elsif ($cmd eq 'macro') {
		my $stage = shift @f;
		put('D', $stage . join('', map { "$_\0" } @f));
	} elsif ($cmd eq 'helo') {
		stage('helo', 'H', "$f[0]\0", 0x2, 0x2000);
	} elsif ($cmd eq 'mail') {
		stage('mail', 'M', join('', map { "$_\0" } @f), 0x4, 0x4000);
	} elsif ($cmd eq 'rcpt') {
		stage('rcpt', 'R', join('', map { "$_\0" } @f), 0x8, 0x8000);
	} elsif ($cmd eq 'data') {
		stage('data', 'T', '', 0x200, 0x10000);
	} elsif ($cmd eq 'eoh') {
		stage('eoh', 'N', '', 0x40, 0x40000);
	} elsif ($cmd eq 'eom') {
		# End of message: modification requests may come before the verdict.
		put('E');
		my $r;
		while (1) {
			$r = reply();
			last unless $r =~ /^[-+2ehimlqb]\z/;
		}
		print "eom $r\n";
	} elsif ($cmd eq 'abort') {
		put('A');
	} elsif ($cmd eq 'quitnc') {
		put('K');
	} elsif ($cmd eq 'quit') {
		put('Q');
		close $s;
		$dead = 'closed';
	} elsif ($cmd eq 'raw') {
		# raw LEN CMD DATA: a packet with a chosen length field ("-" = right),
		# then close: broken packets end the session.
		my ($len, $c, $data) = @f;
		$data = '' unless defined $data;
		$len = length($data) + 1 if $len eq '-';
		syswrite($s, pack('N', oct($len)) . $c . $data);
		close $s;
		$dead = 'closed';
	} else {
		die "raw client: unknown command '$cmd'\n";
	}
}
close $s unless $dead;
