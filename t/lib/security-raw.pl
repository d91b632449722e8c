#!/usr/bin/perl
# t/lib/security-raw.pl -- a milter-protocol client (the MTA side) for
# t/security.t: it shows what the bytes a client sends become on the wire
# back to the MTA (reply texts, header modifications at end of message) and
# sends packets near and over libmilter's size limit.
#
#   perl security-raw.pl unix:/path | inet:PORT@ADDR   (commands on stdin)
#
# One command per line, fields separated by TABs; in a field \t \n \r \0 \\
# and \xHH stand for those bytes, and @@C*N@@ for the character C N times.
#   neg                              option negotiation: every action, every
#                                    protocol step offered (version 6)
#   conn HOST FAMILY PORT ADDR       SMFIC_CONNECT (FAMILY 4 or 6)
#   macro STAGE NAME VALUE...        SMFIC_MACRO (STAGE C, H, M or R)
#   helo ARG | mail ARG... | rcpt ARG...
#   eom                              end of message; prints one "mod ..." line
#                                    per header modification, then the verdict
#   big CMD LEN HOLD                 a CMD packet whose data is LEN bytes ('a's
#                                    and a final NUL); all but the last byte are
#                                    sent, then HOLD seconds pass, then the last
#                                    byte: prints "big eof" if the filter closed
#                                    the connection, else the reply
#   sleep SECONDS | quit
# Output: "CMD RESULT" per command that has an answer, RESULT being c, a, r,
# t, d, "y TEXT" (SMFIR_REPLYCODE), noreply, skipped, eof or timeout; text
# from the filter is shown with every byte outside 0x20-0x7E as \xHH, so a
# CR or LF in it is visible.
use strict;
use warnings;
use Socket;
use IO::Socket::UNIX;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(sleep);

my $spec = shift @ARGV or die "usage: security-raw.pl SOCKET\n";
my $tmo = $ENV{RAW_TIMEOUT} || 10;
my $s;
if ($spec =~ /^(?:unix|local):(.+)\z/) {
	$s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $1);
} elsif ($spec =~ /^inet:(\d+)\@(.+)\z/) {
	$s = IO::Socket::INET->new(PeerAddr => $2, PeerPort => $1, Proto => 'tcp');
}
unless ($s) { print "connect failed: $!\n"; exit 2; }
binmode $s;
$| = 1;
$SIG{PIPE} = 'IGNORE';
my $sel = IO::Select->new($s);
my ($pflags, $dead) = (0, '');

sub esc { my $t = shift; $t =~ s/([^\x20-\x7e])/sprintf("\\x%02X", ord $1)/ge; return $t; }
sub field {
	my $t = shift;
	$t =~ s/\@\@(.)\*(\d+)\@\@/$1 x $2/ge;
	$t =~ s/\\(?:x([0-9A-Fa-f]{2})|(.))/defined $1 ? chr(hex $1) :
	    $2 eq 't' ? "\t" : $2 eq 'n' ? "\n" : $2 eq 'r' ? "\r" : $2 eq '0' ? "\0" : $2/ge;
	return $t;
}
sub send_bytes {
	my $buf = shift;
	my $off = 0;
	while ($off < length $buf) {
		my $w = syswrite($s, $buf, length($buf) - $off, $off);
		unless (defined $w) { $dead = 'eof'; return 0; }
		$off += $w;
	}
	return 1;
}
sub put {
	my ($cmd, $data) = @_;
	return 0 if $dead;
	$data = '' unless defined $data;
	return send_bytes(pack('N', length($data) + 1) . $cmd . $data);
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
# The next reply that is not "progress"; header modifications are printed.
sub reply {
	while (1) {
		my ($c, $d) = get();
		return $dead unless defined $c;
		next if $c eq 'p';
		if ($c eq 'y') { $d =~ s/\0\z//; return "y " . esc($d); }
		if ($c eq 'h' || $c eq 'i' || $c eq 'm') {
			my $idx = '';
			if ($c ne 'h') { $idx = unpack('N', $d) . ' '; $d = substr($d, 4); }
			my ($name, $value) = split /\0/, $d, -1;
			$value = '' unless defined $value;
			print "mod $c $idx", esc($name), "\t", esc($value), "\n";
			next;
		}
		return $c;
	}
}
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
	my ($cmd, @f) = split /\t/, $line, -1;
	@f = map { field($_) } @f;
	if ($cmd eq 'neg') {
		put('O', pack('NNN', 6, 0x1FF, 0x1FFFFF));
		my ($c, $d) = get();
		if (!defined $c || $c ne 'O' || length($d) < 12) { print "neg ", ($dead || 'bad reply'), "\n"; next; }
		my ($rv, $ra, $rp) = unpack('NNN', $d);
		$pflags = $rp;
		printf "neg ok version=%d actions=0x%X protocol=0x%X\n", $rv, $ra, $rp;
	} elsif ($cmd eq 'conn') {
		my ($host, $fam, $port, $addr) = @f;
		stage('conn', 'C', "$host\0$fam" . pack('n', $port) . "$addr\0", 0x1, 0x1000);
	} elsif ($cmd eq 'macro') {
		my $st = shift @f;
		put('D', $st . join('', map { "$_\0" } @f));
	} elsif ($cmd eq 'helo') {
		stage('helo', 'H', "$f[0]\0", 0x2, 0x2000);
	} elsif ($cmd eq 'mail') {
		stage('mail', 'M', join('', map { "$_\0" } @f), 0x4, 0x4000);
	} elsif ($cmd eq 'rcpt') {
		stage('rcpt', 'R', join('', map { "$_\0" } @f), 0x8, 0x8000);
	} elsif ($cmd eq 'eom') {
		# DATA, end of headers and body were negotiated away or are sent empty.
		stage('data', 'T', '', 0x200, 0x10000) unless $pflags & 0x200;
		stage('eoh', 'N', '', 0x40, 0x40000) unless $pflags & 0x40;
		put('E');
		print "eom ", ($dead || reply()), "\n";
	} elsif ($cmd eq 'big') {
		my ($c, $len, $hold) = @f;
		if (send_bytes(pack('N', $len + 1) . $c . ('a' x ($len - 1)))) {
			sleep($hold) if $hold;
			# A closed connection shows as EOF (or a reset) on reading.
			my $eof = 0;
			if ($sel->can_read(0)) { my $b; my $r = sysread($s, $b, 1); $eof = 1 unless $r; }
			send_bytes("\0") unless $eof;
			$dead = 'eof' if $eof;
		}
		print "big ", ($dead || reply()), "\n";
	} elsif ($cmd eq 'sleep') {
		sleep($f[0]);
	} elsif ($cmd eq 'quit') {
		put('Q');
		close $s;
		$dead = 'closed';
	} else {
		die "security-raw.pl: unknown command '$cmd'\n";
	}
}
close $s unless $dead;
