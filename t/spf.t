#!/bin/bash
# t/spf.t -- SPF (lib/spf.c, libspf2 behind vigie's DNS layer) against the
# test DNS world: every case of t/dns/spf.test.zone through t/spf-eval,
# with exact results, counters, problems and explanations; the deadline;
# no system resolver; many evaluations at once in several threads (and
# under helgrind when valgrind is installed).
. "$srcdir/t/lib/harness.sh"
. "$srcdir/t/lib/dns.sh"

why=$(dns_missing) || skip_all "$why"
EVAL=$builddir/t/spf-eval
[ -x "$EVAL" ] || skip_all "t/spf-eval is not built"
dns_start || bail "cannot start the test DNS server"
RECEIVER=mx.vigie.test

# spf [OPTIONS] IP HELO SENDER: run the driver against the world; sets OUT
# (its first line) and RC.
spf() {
	_opts=()
	while [ "${1#-}" != "$1" ] && [ "$1" != "-" ]; do _opts+=("$1" "$2"); shift 2; done
	OUT=$("$EVAL" "${_opts[@]}" "$DNS_SERVER" "$1" "$2" "$3" "$RECEIVER" 2>&1)
	RC=$?
}

# The cases: IP | HELO | SENDER | expected line (problem and exp quoted).
# A line "= DESCRIPTION" names the cases after it.
cases() {
	cat <<'EOF'
= results
192.0.2.10|h.test|a@pass.spf.test|result=pass domain=pass.spf.test dns_terms=0 void=0 problem="" exp=""
203.0.113.9|h.test|a@pass.spf.test|result=fail domain=pass.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|h.test|a@fail.spf.test|result=fail domain=fail.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|h.test|a@softfail.spf.test|result=softfail domain=softfail.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|h.test|a@neutral.spf.test|result=neutral domain=neutral.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|h.test|a@empty.spf.test|result=neutral domain=empty.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|h.test|a@notspf.spf.test|result=none domain=notspf.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|h.test|a@nonexistent.spf.test|result=none domain=nonexistent.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|h.test|a@nodata.spf.test|result=none domain=nodata.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|h.test|a@two.spf.test|result=permerror domain=two.spf.test dns_terms=0 void=0 problem="two.spf.test: 2 SPF records" exp=""
192.0.2.10|h.test|a@spf.slow.test|result=temperror domain=spf.slow.test dns_terms=0 void=0 problem="DNS spf.slow.test TXT: timeout" exp=""
192.0.2.10|h.test|a@spf.fail.test|result=temperror domain=spf.fail.test dns_terms=0 void=0 problem="DNS spf.fail.test TXT: SERVFAIL" exp=""
192.0.2.10|h.test|a@case.spf.test|result=pass domain=case.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|h.test|a@split.spf.test|result=pass domain=split.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|h.test|a@PASS.Spf.Test.|result=pass domain=pass.spf.test dns_terms=0 void=0 problem="" exp=""
= identities
192.0.2.10|pass.spf.test|-|result=pass domain=pass.spf.test dns_terms=0 void=0 problem="" exp=""
203.0.113.9|pass.spf.test|-|result=fail domain=pass.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|m-l.spf.test|-|result=pass domain=m-l.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|h.test|postmaster@m-l.spf.test|result=pass domain=m-l.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|h.test|@m-l.spf.test|result=pass domain=m-l.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|h.test|a@localhost|result=none domain=localhost dns_terms=0 void=0 problem="" exp=""
192.0.2.10|[192.0.2.1]|-|result=none domain=[192.0.2.1] dns_terms=0 void=0 problem="" exp=""
127.0.0.1|h.test|a@fail.spf.test|result=fail domain=fail.spf.test dns_terms=0 void=0 problem="" exp=""
::1|h.test|a@fail.spf.test|result=fail domain=fail.spf.test dns_terms=0 void=0 problem="" exp=""
= IPv6 and IPv4-mapped clients
2001:db8::10|h.test|a@pass.spf.test|result=pass domain=pass.spf.test dns_terms=0 void=0 problem="" exp=""
2001:db9::10|h.test|a@pass.spf.test|result=fail domain=pass.spf.test dns_terms=0 void=0 problem="" exp=""
::ffff:192.0.2.10|h.test|a@pass.spf.test|result=pass domain=pass.spf.test dns_terms=0 void=0 problem="" exp=""
::ffff:192.0.2.10|h.test|a@zero4.spf.test|result=pass domain=zero4.spf.test dns_terms=0 void=0 problem="" exp=""
::ffff:192.0.2.10|h.test|a@m-i.spf.test|result=pass domain=m-i.spf.test dns_terms=1 void=0 problem="" exp=""
::ffff:192.0.2.10|h.test|a@m-ir.spf.test|result=pass domain=m-ir.spf.test dns_terms=1 void=0 problem="" exp=""
::ffff:192.0.2.10|h.test|a@mx.spf.test|result=pass domain=mx.spf.test dns_terms=1 void=0 problem="" exp=""
2001:db8::10|h.test|a@m-i.spf.test|result=pass domain=m-i.spf.test dns_terms=1 void=0 problem="" exp=""
2001:db8::10|h.test|a@m-ir.spf.test|result=fail domain=m-ir.spf.test dns_terms=1 void=1 problem="" exp=""
2001:db8::10|h.test|a@mx-v6.spf.test|result=pass domain=mx-v6.spf.test dns_terms=1 void=0 problem="" exp=""
2001:db8::10|h.test|a@mx.spf.test|result=fail domain=mx.spf.test dns_terms=1 void=0 problem="" exp=""
2001:db8::10|h.test|a@ptr.spf.test|result=pass domain=ptr.spf.test dns_terms=1 void=0 problem="" exp=""
= include:
192.0.2.10|h.test|a@include.spf.test|result=pass domain=include.spf.test dns_terms=1 void=0 problem="" exp=""
203.0.113.9|h.test|a@include.spf.test|result=fail domain=include.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|h.test|a@inc-fail.spf.test|result=neutral domain=inc-fail.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|h.test|a@inc-none.spf.test|result=permerror domain=inc-none.spf.test dns_terms=1 void=1 problem="include:nonexistent.spf.test has no SPF record" exp=""
192.0.2.10|h.test|a@inc-notspf.spf.test|result=permerror domain=inc-notspf.spf.test dns_terms=1 void=0 problem="include:notspf.spf.test has no SPF record" exp=""
192.0.2.10|h.test|a@inc-perm.spf.test|result=permerror domain=inc-perm.spf.test dns_terms=1 void=0 problem="bad-toplabel.spf.test: bad top label in \"a:host.spf.123\"" exp=""
192.0.2.10|h.test|a@inc-timeout.spf.test|result=temperror domain=inc-timeout.spf.test dns_terms=1 void=0 problem="DNS spf.slow.test TXT: timeout" exp=""
192.0.2.10|h.test|a@inc-servfail.spf.test|result=temperror domain=inc-servfail.spf.test dns_terms=1 void=0 problem="DNS spf.fail.test TXT: SERVFAIL" exp=""
192.0.2.10|h.test|a@inc-after.spf.test|result=pass domain=inc-after.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|h.test|a@inc-loop.spf.test|result=permerror domain=inc-loop.spf.test dns_terms=11 void=0 problem="more than 10 DNS-querying terms" exp=""
= redirect=
192.0.2.10|h.test|a@redirect.spf.test|result=pass domain=redirect.spf.test dns_terms=1 void=0 problem="" exp=""
203.0.113.9|h.test|a@redirect.spf.test|result=fail domain=redirect.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|h.test|a@redir-first.spf.test|result=pass domain=redir-first.spf.test dns_terms=0 void=0 problem="" exp=""
203.0.113.9|h.test|a@redir-first.spf.test|result=fail domain=redir-first.spf.test dns_terms=1 void=0 problem="" exp=""
203.0.113.9|h.test|a@redir-all.spf.test|result=softfail domain=redir-all.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|h.test|a@redir-none.spf.test|result=permerror domain=redir-none.spf.test dns_terms=1 void=1 problem="redirect=nonexistent.spf.test has no SPF record" exp=""
192.0.2.10|h.test|a@redir-loop.spf.test|result=permerror domain=redir-loop.spf.test dns_terms=11 void=0 problem="more than 10 DNS-querying terms" exp=""
= macros
192.0.2.10|h.test|a@m-i.spf.test|result=pass domain=m-i.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.11|h.test|a@m-i.spf.test|result=fail domain=m-i.spf.test dns_terms=1 void=1 problem="" exp=""
192.0.2.10|h.test|a@m-ir.spf.test|result=pass domain=m-ir.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|h.test|alice@m-l.spf.test|result=pass domain=m-l.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|h.test|bob@m-l.spf.test|result=fail domain=m-l.spf.test dns_terms=1 void=1 problem="" exp=""
192.0.2.10|h.test|a@m-o.spf.test|result=pass domain=m-o.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|h.test|a@m-d.spf.test|result=pass domain=m-d.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|h.test|a@m-tr.spf.test|result=pass domain=m-tr.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|mail.good.test|a@m-h.spf.test|result=pass domain=m-h.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|other.test|a@m-h.spf.test|result=fail domain=m-h.spf.test dns_terms=1 void=1 problem="" exp=""
192.0.2.10|h.test|a@m-p.spf.test|result=pass domain=m-p.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.12|h.test|a@m-p.spf.test|result=fail domain=m-p.spf.test dns_terms=1 void=1 problem="" exp=""
192.0.2.10|h.test|first-last@m-delim.spf.test|result=pass domain=m-delim.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|h.test|last-first@m-delim.spf.test|result=fail domain=m-delim.spf.test dns_terms=1 void=1 problem="" exp=""
= explanations
192.0.2.10|h.test|alice@exp.spf.test|result=fail domain=exp.spf.test dns_terms=0 void=0 problem="" exp="Mail from alice@exp.spf.test via 192.0.2.10 is not allowed by exp.spf.test, see http://exp.spf.test/why?s=alice%40exp.spf.test&l=alice&x=%20% end"
192.0.2.10|h.test|a+b@exp.spf.test|result=fail domain=exp.spf.test dns_terms=0 void=0 problem="" exp="Mail from a+b@exp.spf.test via 192.0.2.10 is not allowed by exp.spf.test, see http://exp.spf.test/why?s=a%2Bb%40exp.spf.test&l=a%2Bb&x=%20% end"
192.0.2.10|h.test|alice@exp-bad.spf.test|result=fail domain=exp-bad.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|h.test|alice@exp-two.spf.test|result=fail domain=exp-two.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|h.test|alice@exp-none.spf.test|result=fail domain=exp-none.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|h.test|alice@exp-ctl.spf.test|result=fail domain=exp-ctl.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|h.test|alice@exp-long.spf.test|result=fail domain=exp-long.spf.test dns_terms=0 void=0 problem="" exp="alice@exp-long.spf.test alice@exp-long.spf.test alice@exp-long.spf.test alice@exp-long.spf.test alice@exp-long.spf.test alice@exp-long.spf.test alice@exp-long.spf.test alice@exp-long.spf.test alice@exp-long.spf.test alice@exp-long.spf.test alice@exp-long."
192.0.2.10|h.test|alice@exp-name.spf.test|result=fail domain=exp-name.spf.test dns_terms=0 void=0 problem="" exp="hello alice"
192.0.2.10|h.test|alice@exp-redir.spf.test|result=fail domain=exp-redir.spf.test dns_terms=1 void=0 problem="" exp="Mail from alice@exp-redir.spf.test via 192.0.2.10 is not allowed by exp.spf.test, see http://exp.spf.test/why?s=alice%40exp-redir.spf.test&l=alice&x=%20% end"
192.0.2.10|h.test|alice@exp-inc.spf.test|result=fail domain=exp-inc.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|h.test|alice@exp-neutral.spf.test|result=neutral domain=exp-neutral.spf.test dns_terms=0 void=0 problem="" exp=""
= limits
192.0.2.10|h.test|a@ten.spf.test|result=fail domain=ten.spf.test dns_terms=10 void=0 problem="" exp=""
192.0.2.10|h.test|a@eleven.spf.test|result=permerror domain=eleven.spf.test dns_terms=11 void=0 problem="more than 10 DNS-querying terms" exp=""
192.0.2.10|h.test|a@eleven-match.spf.test|result=pass domain=eleven-match.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|h.test|a@inc-limit.spf.test|result=permerror domain=inc-limit.spf.test dns_terms=11 void=0 problem="more than 10 DNS-querying terms" exp=""
192.0.2.10|h.test|a@void2.spf.test|result=fail domain=void2.spf.test dns_terms=2 void=2 problem="" exp=""
192.0.2.10|h.test|a@void3.spf.test|result=permerror domain=void3.spf.test dns_terms=3 void=3 problem="more than 2 void lookups" exp=""
192.0.2.10|h.test|a@void-exists.spf.test|result=permerror domain=void-exists.spf.test dns_terms=3 void=3 problem="more than 2 void lookups" exp=""
192.0.2.10|h.test|a@void-nodata.spf.test|result=permerror domain=void-nodata.spf.test dns_terms=3 void=3 problem="more than 2 void lookups" exp=""
192.0.2.12|h.test|a@conc.spf.test|result=fail domain=conc.spf.test dns_terms=9 void=2 problem="" exp="Mail from a@conc.spf.test via 192.0.2.12 is not allowed by conc.spf.test, see http://conc.spf.test/why?s=a%40conc.spf.test&l=a&x=%20% end"
= mx
192.0.2.10|h.test|a@mx.spf.test|result=pass domain=mx.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.11|h.test|a@mx.spf.test|result=fail domain=mx.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|h.test|a@mx-cidr.spf.test|result=pass domain=mx-cidr.spf.test dns_terms=1 void=0 problem="" exp=""
2001:db8::10|h.test|a@mx-cidr.spf.test|result=pass domain=mx-cidr.spf.test dns_terms=1 void=0 problem="" exp=""
2001:db8:1::10|h.test|a@mx-cidr.spf.test|result=fail domain=mx-cidr.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|h.test|a@mx-null.spf.test|result=fail domain=mx-null.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|h.test|a@mx-timeout.spf.test|result=temperror domain=mx-timeout.spf.test dns_terms=1 void=0 problem="DNS spf.slow.test MX: timeout" exp=""
192.0.2.10|h.test|a@mx-hosttime.spf.test|result=temperror domain=mx-hosttime.spf.test dns_terms=1 void=0 problem="DNS host.slow.test A: timeout" exp=""
192.0.2.10|h.test|a@mx10.spf.test|result=pass domain=mx10.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|h.test|a@mx11.spf.test|result=permerror domain=mx11.spf.test dns_terms=1 void=0 problem="more than 10 MX names for mx11.spf.test" exp=""
= ptr
192.0.2.10|h.test|a@ptr.spf.test|result=pass domain=ptr.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.11|h.test|a@ptr.spf.test|result=fail domain=ptr.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.12|h.test|a@ptr.spf.test|result=fail domain=ptr.spf.test dns_terms=1 void=1 problem="" exp=""
192.0.2.15|h.test|a@ptr.spf.test|result=fail domain=ptr.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.16|h.test|a@ptr.spf.test|result=fail domain=ptr.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.17|h.test|a@ptr.spf.test|result=fail domain=ptr.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.13|h.test|a@ptr-multi.spf.test|result=pass domain=ptr-multi.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|h.test|a@ptr-self.spf.test|result=fail domain=ptr-self.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.60|h.test|a@ptr10.spf.test|result=pass domain=ptr10.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.60|h.test|a@ptr11.spf.test|result=fail domain=ptr11.spf.test dns_terms=1 void=0 problem="" exp=""
= prefix length 0
203.0.113.9|h.test|a@zero4.spf.test|result=pass domain=zero4.spf.test dns_terms=0 void=0 problem="" exp=""
2001:db8::10|h.test|a@zero4.spf.test|result=fail domain=zero4.spf.test dns_terms=0 void=0 problem="" exp=""
2001:db9::1|h.test|a@zero6.spf.test|result=pass domain=zero6.spf.test dns_terms=0 void=0 problem="" exp=""
203.0.113.9|h.test|a@zero6.spf.test|result=fail domain=zero6.spf.test dns_terms=0 void=0 problem="" exp=""
203.0.113.9|h.test|a@a-zero.spf.test|result=pass domain=a-zero.spf.test dns_terms=1 void=0 problem="" exp=""
2001:db9::1|h.test|a@a-zero.spf.test|result=fail domain=a-zero.spf.test dns_terms=1 void=0 problem="" exp=""
203.0.113.9|h.test|a@a-zero-nx.spf.test|result=fail domain=a-zero-nx.spf.test dns_terms=1 void=1 problem="" exp=""
203.0.113.9|h.test|a@mx-zero.spf.test|result=pass domain=mx-zero.spf.test dns_terms=1 void=0 problem="" exp=""
2001:db9::1|h.test|a@mx-zero.spf.test|result=fail domain=mx-zero.spf.test dns_terms=1 void=0 problem="" exp=""
192.0.2.10|h.test|a@a-dual.spf.test|result=pass domain=a-dual.spf.test dns_terms=1 void=0 problem="" exp=""
2001:db8::10|h.test|a@a-dual.spf.test|result=pass domain=a-dual.spf.test dns_terms=1 void=0 problem="" exp=""
2001:db8:1::10|h.test|a@a-dual.spf.test|result=fail domain=a-dual.spf.test dns_terms=1 void=0 problem="" exp=""
= grammar
192.0.2.10|h.test|a@bad-macro.spf.test|result=permerror domain=bad-macro.spf.test dns_terms=0 void=0 problem="bad-macro.spf.test: unknown macro letter in \"a:%{x}.spf.test\"" exp=""
192.0.2.10|h.test|a@bad-percent.spf.test|result=permerror domain=bad-percent.spf.test dns_terms=0 void=0 problem="bad-percent.spf.test: '%' not followed by '%', '_', '-' or '{' in \"exists:100%.spf.test\"" exp=""
192.0.2.10|h.test|a@bad-unterm.spf.test|result=permerror domain=bad-unterm.spf.test dns_terms=0 void=0 problem="bad-unterm.spf.test: bad or unterminated macro in \"exists:%{d.spf.test\"" exp=""
192.0.2.10|h.test|a@bad-crt.spf.test|result=permerror domain=bad-crt.spf.test dns_terms=0 void=0 problem="bad-crt.spf.test: macro %{c}, %{r} or %{t} outside an explanation in \"exists:%{t}.spf.test\"" exp=""
192.0.2.10|h.test|a@bad-zero.spf.test|result=permerror domain=bad-zero.spf.test dns_terms=0 void=0 problem="bad-zero.spf.test: macro transformer 0 in \"exists:%{d0}.spf.test\"" exp=""
192.0.2.10|h.test|a@bad-modname.spf.test|result=permerror domain=bad-modname.spf.test dns_terms=0 void=0 problem="bad-modname.spf.test: unknown mechanism in \"1x=y\"" exp=""
192.0.2.10|h.test|a@bad-modmacro.spf.test|result=permerror domain=bad-modmacro.spf.test dns_terms=0 void=0 problem="bad-modmacro.spf.test: unknown macro letter in \"foo=%{z}\"" exp=""
192.0.2.10|h.test|a@good-unknown.spf.test|result=fail domain=good-unknown.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|h.test|a@bad-redirect2.spf.test|result=permerror domain=bad-redirect2.spf.test dns_terms=0 void=0 problem="bad-redirect2.spf.test: redirect= given twice in \"redirect=fail.spf.test\"" exp=""
192.0.2.10|h.test|a@bad-exp2.spf.test|result=permerror domain=bad-exp2.spf.test dns_terms=0 void=0 problem="bad-exp2.spf.test: exp= given twice in \"exp=why.spf.test\"" exp=""
192.0.2.10|h.test|a@bad-toplabel.spf.test|result=permerror domain=bad-toplabel.spf.test dns_terms=0 void=0 problem="bad-toplabel.spf.test: bad top label in \"a:host.spf.123\"" exp=""
192.0.2.10|h.test|a@bad-nodot.spf.test|result=permerror domain=bad-nodot.spf.test dns_terms=0 void=0 problem="bad-nodot.spf.test: bad top label in \"include:nodots\"" exp=""
192.0.2.10|h.test|a@bad-nonascii.spf.test|result=permerror domain=bad-nonascii.spf.test dns_terms=0 void=0 problem="bad-nonascii.spf.test: non-ASCII byte in the record" exp=""
192.0.2.10|h.test|a@bad-tab.spf.test|result=permerror domain=bad-tab.spf.test dns_terms=0 void=0 problem="bad-tab.spf.test: control character in the record" exp=""
192.0.2.10|h.test|a@bad-control.spf.test|result=permerror domain=bad-control.spf.test dns_terms=0 void=0 problem="bad-control.spf.test: control character in the record" exp=""
192.0.2.10|h.test|a@bad-cidr.spf.test|result=permerror domain=bad-cidr.spf.test dns_terms=0 void=0 problem="bad-cidr.spf.test: bad CIDR length in \"ip4:192.0.2.0/33\"" exp=""
192.0.2.10|h.test|a@bad-cidr0.spf.test|result=permerror domain=bad-cidr0.spf.test dns_terms=0 void=0 problem="bad-cidr0.spf.test: bad CIDR length in \"a:host.spf.test/024\"" exp=""
192.0.2.10|h.test|a@bad-ip4.spf.test|result=permerror domain=bad-ip4.spf.test dns_terms=0 void=0 problem="bad-ip4.spf.test: bad ip4-network in \"ip4:192.0.2.010\"" exp=""
192.0.2.10|h.test|a@bad-ip6.spf.test|result=permerror domain=bad-ip6.spf.test dns_terms=0 void=0 problem="bad-ip6.spf.test: bad CIDR length in \"ip6:2001:db8::/129\"" exp=""
192.0.2.10|h.test|a@bad-mech.spf.test|result=permerror domain=bad-mech.spf.test dns_terms=0 void=0 problem="bad-mech.spf.test: unknown mechanism in \"foo:bar\"" exp=""
192.0.2.10|h.test|a@bad-qualmod.spf.test|result=permerror domain=bad-qualmod.spf.test dns_terms=0 void=0 problem="bad-qualmod.spf.test: unknown mechanism in \"-redirect=pass.spf.test\"" exp=""
= long records (cut into chunks for libspf2)
198.51.100.70|h.test|a@many-ip4.spf.test|result=pass domain=many-ip4.spf.test dns_terms=0 void=0 problem="" exp=""
203.0.113.9|h.test|a@many-ip4.spf.test|result=fail domain=many-ip4.spf.test dns_terms=0 void=0 problem="" exp=""
2001:db8::10|h.test|a@many-ip6.spf.test|result=pass domain=many-ip6.spf.test dns_terms=0 void=0 problem="" exp=""
2001:db9::10|h.test|a@many-ip6.spf.test|result=fail domain=many-ip6.spf.test dns_terms=0 void=0 problem="" exp=""
192.0.2.10|h.test|a@many-a.spf.test|result=pass domain=many-a.spf.test dns_terms=9 void=0 problem="" exp=""
203.0.113.9|h.test|a@many-a.spf.test|result=fail domain=many-a.spf.test dns_terms=9 void=0 problem="" exp=""
EOF
}

# --- Every case ----------------------------------------------------------
section=""
while IFS='|' read -r ip helo sender want; do
	case $ip in
	"= "*) section=${ip#= }; continue ;;
	"") continue ;;
	esac
	spf "$ip" "$helo" "$sender"
	is "$OUT" "$want" "$section: $ip $helo $sender"
done < <(cases)

# --- %{c}, %{r}, %{t} in an explanation ------------------------------------
now=$(date +%s)
spf 2001:db8::10 h.test a@exp-crt.spf.test
like "$OUT" '^result=fail .* exp="2001:db8::10 rejected by mx.vigie.test at [0-9]+"$' "exp: %{c} %{r} %{t} (IPv6 client)"
t=$(printf '%s\n' "$OUT" | sed -n 's/.* at \([0-9]*\)"$/\1/p')
ok $(( ${t:-0} >= now && ${t:-0} <= now + 60 ? 0 : 1 )) "exp: %{t} is the time"
spf ::ffff:192.0.2.10 h.test a@exp-crt.spf.test
like "$OUT" 'exp="192.0.2.10 rejected by ' "exp: %{c} of an IPv4-mapped client is dotted IPv4"

# --- client-supplied bytes in an explanation are sanitised ------------------
spf 192.0.2.10 h.test $'x\001"y@exp.spf.test'
is "$OUT" 'result=fail domain=exp.spf.test dns_terms=0 void=0 problem="" exp="Mail from x?\"y@exp.spf.test via 192.0.2.10 is not allowed by exp.spf.test, see http://exp.spf.test/why?s=x%01%22y%40exp.spf.test&l=x%01%22y&x=%20% end"' \
	"exp: a control character from the sender appears as '?'"

# --- The deadline ------------------------------------------------------------
t0=$(date +%s%N)
spf -b 300 192.0.2.10 h.test a@inc-timeout.spf.test
t1=$(date +%s%N)
is "$OUT" 'result=temperror domain=inc-timeout.spf.test dns_terms=1 void=0 problem="DNS spf.slow.test TXT: timeout" exp=""' \
	"deadline: an include that times out is temperror"
ms=$(( (t1 - t0) / 1000000 ))
ok $(( ms < 1500 ? 0 : 1 )) "deadline: the evaluation stops at its deadline ($ms ms for a 300 ms budget)"
spf -b 300 192.0.2.16 h.test a@ptr.spf.test
is "$OUT" 'result=fail domain=ptr.spf.test dns_terms=1 void=0 problem="" exp=""' \
	"deadline: a PTR lookup cut by the deadline makes ptr not match (RFC 7208 5.5)"

# Sanitizer builds cannot run under strace (LeakSanitizer needs ptrace) nor
# valgrind: there these two checks are left to the plain build (which CI also
# runs), and said so, rather than counted as skipped test points.
sanitized=""
ldd "$EVAL" 2>/dev/null | grep -Eq 'lib(a|t)san' && sanitized=yes

# --- Only vigie's resolver -----------------------------------------------------
if [ -n "$sanitized" ]; then
	diag "strace checks run in the plain build only (sanitizer build)"
elif command -v strace >/dev/null 2>&1; then
	strace -f -qq -e trace=openat,open,connect,sendto -o "$T_TMP/strace" \
		"$EVAL" "$DNS_SERVER" 192.0.2.60 mail.good.test a@conc.spf.test "$RECEIVER" >/dev/null 2>&1
	ok $? "strace: the evaluation runs under strace"
	grep -Eq 'resolv\.conf|nsswitch|/etc/hosts' "$T_TMP/strace"
	ok $(( $? == 0 ? 1 : 0 )) "strace: no resolver configuration is read"
	n_dns=$(grep -c "connect(.*htons($DNS_PORT)" "$T_TMP/strace")
	n_other=$(grep 'connect(' "$T_TMP/strace" | grep -vc "htons($DNS_PORT)")
	ok $(( n_dns > 0 && n_other == 0 ? 0 : 1 )) "strace: every socket goes to the test server ($n_dns), none elsewhere ($n_other)"
else
	ok 0 "# SKIP strace not installed"
fi

# --- Many evaluations at once ---------------------------------------------------
spf -j 8 -n 400 192.0.2.12 mail.good.test a@conc.spf.test
is "$RC" 0 "threads: 400 evaluations in 8 threads"
like "$(printf '%s\n' "$OUT" | tail -1)" '^concurrent=400 threads=8 mismatches=0$' \
	"threads: every concurrent evaluation gives the same result"
if [ -n "$sanitized" ]; then
	diag "helgrind checks run in the plain build only (sanitizer build)"
elif command -v valgrind >/dev/null 2>&1; then
	valgrind --tool=helgrind --error-exitcode=9 --log-file="$T_TMP/helgrind.log" \
		"$EVAL" -j 6 -n 120 "$DNS_SERVER" 192.0.2.12 mail.good.test a@conc.spf.test "$RECEIVER" >"$T_TMP/helgrind.out" 2>&1
	rc=$?
	is "$rc" 0 "helgrind: no error in 120 evaluations in 6 threads"
	like "$(tail -1 "$T_TMP/helgrind.out")" 'mismatches=0$' "helgrind: same results under helgrind"
	[ "$rc" -eq 0 ] || sed -n '1,80p' "$T_TMP/helgrind.log" | sed 's/^/# /'
else
	ok 0 "# SKIP valgrind not installed"
fi

done_testing
