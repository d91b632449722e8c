/**
 * @file unit-spf.c
 * Unit tests of the SPF layer that need no DNS server: the RFC 7208
 * section 12 grammar (vg_spf_record_check), result names, and the
 * outcomes decided before any lookup (malformed identities, no batch, a
 * deadline already past).
 */
#include "config.h"

#include <string.h>

#include "dns.h"
#include "ip.h"
#include "spf.h"
#include "tap.h"

/** Records that follow the grammar. */
static const char *const good[] = {
	"v=spf1",
	"v=spf1 ",
	"v=spf1   -all   ",
	"V=SPF1 -ALL",
	"v=spf1 +all ?all ~all -all",
	"v=spf1 a mx ptr",
	"v=spf1 A MX PTR:Example.ORG Include:example.org",
	"v=spf1 a/24 mx//64 a/24//64 a:%{d}/0 mx:mail.example.org/32//128 a//0",
	"v=spf1 ip4:192.0.2.0/24 ip4:0.0.0.0/0 ip4:255.255.255.255/32 ip4:10.0.0.1",
	"v=spf1 ip6:2001:db8::/32 ip6:::/0 ip6:::ffff:192.0.2.1 ip6:2001:DB8::1/128",
	"v=spf1 include:_spf.example.org exists:%{ir}.%{l1r+-}._spf.%{d} -all",
	"v=spf1 exists:%{i}",
	"v=spf1 exists:%{p}.%{v}.%{h}.%{o}.%{s}.example.org",
	"v=spf1 exists:%{L}.%{S}.%{D2}.%{IR}.example.org",
	"v=spf1 exists:%{l.-+,/_=}.example.org exists:%{d999r}.example.org",
	"v=spf1 a:%%.%_.%-.example.org",
	"v=spf1 redirect=_spf.example.org",
	"v=spf1 REDIRECT=_spf.example.org",
	"v=spf1 -all exp=explain._spf.%{d}",
	"v=spf1 exp=explain.example.org redirect=other.example.org",
	"v=spf1 foo=bar moo.cow-x_1=%{c}%{r}%{t}%% -all",
	"v=spf1 foo=",
	"v=spf1 ip4=192.0.2.1",                   /* an unknown modifier named ip4 */
	"v=spf1 a:example.org. a:.org a:ex-ample.c-m a:x.1-2 a:x.b2",
	"v=spf1 a:exa_mple.example.org a:%{d}",
	"v=spf1 include:example.org -all a",       /* mechanisms after all are allowed */
};

/** Records that break it, each with a word of the expected reason. */
static const struct { const char *rec, *why; } bad[] = {
	{ "", "v=spf1" },
	{ "spf1 -all", "v=spf1" },
	{ "v=spf10 -all", "v=spf1" },
	{ "v=spf1\t-all", "control" },
	{ "v=spf1 -all\x01", "control" },
	{ "v=spf1 a:b\xc3\xbc" "cher.example.org", "non-ASCII" },
	{ "v=spf1 -all,", "mechanism" },
	{ "v=spf1 foo", "mechanism" },
	{ "v=spf1 foo:bar", "mechanism" },
	{ "v=spf1 -", "qualifier" },
	{ "v=spf1 +-all", "mechanism" },
	{ "v=spf1 all:x", "all" },
	{ "v=spf1 all/24", "all" },
	{ "v=spf1 include", "domain-spec" },
	{ "v=spf1 include:", "domain-spec" },
	{ "v=spf1 exists", "domain-spec" },
	{ "v=spf1 a:", "argument" },
	{ "v=spf1 a:/24", "argument" },
	{ "v=spf1 a//", "argument" },
	{ "v=spf1 a/33", "CIDR" },
	{ "v=spf1 a//129", "CIDR" },
	{ "v=spf1 a/24/64", "CIDR" },
	{ "v=spf1 a/024", "CIDR" },
	{ "v=spf1 mx/24//064", "CIDR" },
	{ "v=spf1 ptr/24", "ptr" },
	{ "v=spf1 ip4", "ip4" },
	{ "v=spf1 ip4:", "ip4" },
	{ "v=spf1 ip4:192.0.2", "ip4-network" },
	{ "v=spf1 ip4:192.0.2.1.5", "ip4-network" },
	{ "v=spf1 ip4:256.0.0.1", "ip4-network" },
	{ "v=spf1 ip4:192.0.2.010", "ip4-network" },
	{ "v=spf1 ip4:192.0.2.0/33", "CIDR" },
	{ "v=spf1 ip4:192.0.2.0/", "ip4-network" },
	{ "v=spf1 ip4:192.0.2.0//24", "ip4-network" },
	{ "v=spf1 ip6:2001:db8::/129", "CIDR" },
	{ "v=spf1 ip6:2001:db8:::1", "ip6-network" },
	{ "v=spf1 ip6:192.0.2.1", "ip6-network" },
	{ "v=spf1 ip6:2001:db8::g", "ip6-network" },
	{ "v=spf1 redirect=a.example.org redirect=b.example.org", "twice" },
	{ "v=spf1 exp=a.example.org -all exp=b.example.org", "twice" },
	{ "v=spf1 redirect=", "domain-spec" },
	{ "v=spf1 -redirect=example.org", "mechanism" },
	{ "v=spf1 redirect=%{c}.example.org", "explanation" },
	{ "v=spf1 exists:%{r}.example.org", "explanation" },
	{ "v=spf1 exp=%{t}.example.org", "explanation" },
	{ "v=spf1 a:%{x}.example.org", "letter" },
	{ "v=spf1 a:%{}.example.org", "letter" },
	{ "v=spf1 a:%{d", "macro" },
	{ "v=spf1 a:%{d.example.org", "macro" },
	{ "v=spf1 a:%{d0}.example.org", "transformer 0" },
	{ "v=spf1 a:%{d00r}.example.org", "transformer 0" },
	{ "v=spf1 a:%{l|}.example.org", "macro" },
	{ "v=spf1 a:%{lrr}.example.org", "macro" },
	{ "v=spf1 a:100%.example.org", "'%'" },
	{ "v=spf1 a:%", "'%'" },
	{ "v=spf1 a:%x.example.org", "'%'" },
	{ "v=spf1 a:example.123", "top label" },
	{ "v=spf1 a:example.-org", "top label" },
	{ "v=spf1 a:example.org-", "top label" },
	{ "v=spf1 a:example.o_g", "top label" },
	{ "v=spf1 a:example", "top label" },
	{ "v=spf1 a:%{d}.", "top label" },
	{ "v=spf1 a:%{d}org", "top label" },
	{ "v=spf1 include:%{d}.123", "top label" },
	{ "v=spf1 exp=nodot", "top label" },
	{ "v=spf1 1x=y", "mechanism" },
	{ "v=spf1 =y", "mechanism" },
	{ "v=spf1 foo=%{z}", "letter" },
	{ "v=spf1 foo=%", "'%'" },
	{ "v=spf1 foo=a%b", "'%'" },
};

/** vg_spf_record_check on the good and bad records. */
static void test_grammar(void)
{
	char why[128];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int rc = vg_spf_record_check(good[i], why, sizeof(why));

		tap_ok(rc == 0 && why[0] == '\0', "valid: %s", good[i]);
		if (rc != 0)
			tap_diag("why: %s", why);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = vg_spf_record_check(bad[i].rec, why, sizeof(why));

		tap_ok(rc == -1 && strstr(why, bad[i].why) != NULL, "invalid (%s): %s", bad[i].why, bad[i].rec);
		if (rc != -1 || strstr(why, bad[i].why) == NULL)
			tap_diag("rc %d, why: %s", rc, why);
	}
	tap_ok(vg_spf_record_check(NULL, why, sizeof(why)) == -1, "NULL record is invalid");
	tap_ok(vg_spf_record_check("v=spf1 a:%{x}", NULL, 0) == -1, "no why buffer: still -1");
	tap_ok(vg_spf_record_check("v=spf1 a:%{x}.example.org", why, 8) == -1 && strlen(why) == 7,
	    "why is cut to its buffer");
	tap_ok(vg_spf_record_check("v=spf1 a:%{x}.example.org/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    why, sizeof(why)) == -1 && strstr(why, "...") != NULL, "a long term is shortened in why");
}

/** A record of n terms: many ip4 terms are fine (no limit on mechanisms). */
static void test_long(void)
{
	static char rec[VG_DNS_TXT_MAX + 1];
	size_t n = 0;
	char why[128];

	n += (size_t)snprintf(rec + n, sizeof(rec) - n, "v=spf1");
	while (n + 20 < sizeof(rec))
		n += (size_t)snprintf(rec + n, sizeof(rec) - n, " ip4:198.51.100.1/32");
	tap_ok(vg_spf_record_check(rec, why, sizeof(why)) == 0, "a 4 KB record of ip4 terms is valid");
}

/** Result names. */
static void test_names(void)
{
	tap_is(vg_spf_result_name(VG_SPF_PASS), "pass", "name of pass");
	tap_is(vg_spf_result_name(VG_SPF_FAIL), "fail", "name of fail");
	tap_is(vg_spf_result_name(VG_SPF_SOFTFAIL), "softfail", "name of softfail");
	tap_is(vg_spf_result_name(VG_SPF_NEUTRAL), "neutral", "name of neutral");
	tap_is(vg_spf_result_name(VG_SPF_NONE), "none", "name of none");
	tap_is(vg_spf_result_name(VG_SPF_TEMPERROR), "temperror", "name of temperror");
	tap_is(vg_spf_result_name(VG_SPF_PERMERROR), "permerror", "name of permerror");
}

/** Outcomes decided without DNS. */
static void test_no_dns(void)
{
	static const char *const malformed[] = {
		"user@localhost", "user@[192.0.2.1]", "user@192.0.2.1", "user@exa mple.org",
		"user@example..org", "user@.example.org", "user@", "user@ex\x01mple.org",
		"user@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org",
	};
	struct vg_dns_settings set;
	struct vg_dns_batch *b;
	struct vg_spf_outcome o;
	struct vg_ip ip;
	const char *err;
	size_t i;

	memset(&set, 0, sizeof(set));
	set.timeout_ms = 100;
	set.attempts = 1;
	tap_ok(vg_dns_settings_parse(&set, "127.0.0.1:9", NULL, &err) == 0, "settings");
	tap_ok(vg_ip_parse("192.0.2.10", &ip) == 0, "address");
	b = vg_dns_batch_new(&set);
	tap_ok(b != NULL, "batch");
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		tap_ok(vg_spf_check(b, vg_dns_now_ms() + 1000, &ip, "helo.example.org", malformed[i], "mx.example.org",
		    &o) == 0 && o.result == VG_SPF_NONE && o.problem[0] == '\0' && o.dns_terms == 0,
		    "malformed domain is none: %s", malformed[i]);
	}
	tap_ok(vg_dns_count(b) == 0, "no lookup for them");
	tap_ok(vg_spf_check(b, vg_dns_now_ms() + 1000, &ip, "[192.0.2.1]", NULL, "mx.example.org", &o) == 0 &&
	    o.result == VG_SPF_NONE, "HELO identity of an address literal is none");
	tap_ok(vg_spf_check(b, vg_dns_now_ms() + 1000, &ip, NULL, NULL, "mx.example.org", &o) == 0 &&
	    o.result == VG_SPF_NONE, "no HELO and no sender is none");
	tap_ok(vg_spf_check(NULL, vg_dns_now_ms() + 1000, &ip, NULL, "a@example.org", "mx.example.org", &o) == 0 &&
	    o.result == VG_SPF_TEMPERROR && o.problem[0] != '\0', "no batch is temperror");
	tap_ok(vg_spf_check(b, vg_dns_now_ms() - 1, &ip, "h.example.org", "a@example.org", NULL, &o) == 0 &&
	    o.result == VG_SPF_TEMPERROR && strstr(o.problem, "example.org TXT") != NULL,
	    "a deadline already past is temperror");
	tap_diag("problem: %s", o.problem);
	tap_is(o.domain, "example.org", "the domain is reported");
	vg_dns_batch_free(b);
}

int main(void)
{
	test_grammar();
	test_long();
	test_names();
	test_no_dns();
	return tap_done();
}
