/**
 * @file unit-ip.c
 * Unit tests of address parsing and CIDR matching (IPv4, IPv6, v4-mapped).
 */
#include "config.h"

#include "ip.h"
#include "tap.h"

/** One CIDR match case. */
struct mcase {
	const char *cidr, *ip;
	int want;
};

static const struct mcase matches[] = {
	{ "192.0.2.0/24", "192.0.2.1", 1 },
	{ "192.0.2.0/24", "192.0.3.1", 0 },
	{ "192.0.2.0/24", "::ffff:192.0.2.77", 1 },     /* v4-mapped client, v4 network */
	{ "192.0.2.0/24", "IPv6:::ffff:192.0.2.77", 1 },
	{ "::ffff:192.0.2.0/120", "192.0.2.9", 1 },     /* v4-mapped network, v4 client */
	{ "192.0.2.128/25", "192.0.2.127", 0 },
	{ "192.0.2.128/25", "192.0.2.128", 1 },
	{ "10.0.0.0/8", "10.255.255.255", 1 },
	{ "10.0.0.0/8", "11.0.0.0", 0 },
	{ "0.0.0.0/0", "203.0.113.5", 1 },
	{ "0.0.0.0/0", "2001:db8::1", 0 },              /* v4 /0 is not "everything" */
	{ "127.0.0.1", "127.0.0.1", 1 },                /* host without prefix */
	{ "127.0.0.1", "127.0.0.2", 0 },
	{ "127.0.0.1/32", "127.0.0.2", 0 },
	{ "2001:db8::/32", "2001:db8:ffff::1", 1 },
	{ "2001:db8::/32", "2001:db9::1", 0 },
	{ "2001:db8:1::/48", "IPv6:2001:db8:1::5", 1 },  /* Postfix macro form */
	{ "2001:db8:1::/48", "2001:db8:2::5", 0 },
	{ "2001:db8::/33", "2001:db8:8000::1", 0 },
	{ "2001:db8::/33", "2001:db8:7fff::1", 1 },
	{ "::1/128", "::1", 1 },
	{ "::1", "::2", 0 },
	{ "::/0", "192.0.2.1", 1 },                     /* v6 /0 does include mapped v4 */
	{ "2001:db8::/127", "2001:db8::1", 1 },
	{ "2001:db8::/127", "2001:db8::2", 0 },
};

static const char *const bad_cidrs[] = {
	"", "/24", "192.0.2.0/", "192.0.2.0/33", "2001:db8::/129", "192.0.2.1/24",
	"192.0.2.0/24x", "192.0.2", "256.0.0.1", "hello", "2001:db8::/-1",
	"192.0.2.0/024junk", "[192.0.2.0]/24x", "2001:db8::1/64",
};

static const char *const bad_ips[] = {
	"", "1.2.3", "1.2.3.4.5", "::g", "IPv6:", "[", "[]", "example.org", "1.2.3.4 ",
	"IPv6:1.2.3.4.5",
};

int main(void)
{
	size_t i;
	char buf[64];
	struct vg_ip ip, ip2;
	struct vg_cidr c;
	struct vg_netlist l = { NULL, 0, 0 };
	const char *err;

	for (i = 0; i < sizeof(matches) / sizeof(matches[0]); i++) {
		int ok = vg_cidr_parse(matches[i].cidr, &c, &err) == 0 && vg_ip_parse(matches[i].ip, &ip) == 0;
		tap_ok(ok && vg_cidr_match(&c, &ip) == matches[i].want, "%s %s %s",
		    matches[i].cidr, matches[i].want ? "contains" : "does not contain", matches[i].ip);
	}
	for (i = 0; i < sizeof(bad_cidrs) / sizeof(bad_cidrs[0]); i++) {
		err = NULL;
		tap_ok(vg_cidr_parse(bad_cidrs[i], &c, &err) < 0 && err != NULL, "bad network '%s' refused (%s)",
		    bad_cidrs[i], err ? err : "no message");
	}
	for (i = 0; i < sizeof(bad_ips) / sizeof(bad_ips[0]); i++)
		tap_ok(vg_ip_parse(bad_ips[i], &ip) < 0, "bad address '%s' refused", bad_ips[i]);

	tap_ok(vg_ip_parse("[192.0.2.1]", &ip) == 0 && ip.v4, "bracketed IPv4 literal");
	vg_ip_format(&ip, buf, sizeof(buf));
	tap_is(buf, "192.0.2.1", "IPv4 formats dotted");
	tap_ok(vg_ip_parse("::ffff:192.0.2.1", &ip2) == 0 && vg_ip_eq(&ip, &ip2), "v4-mapped equals v4");
	vg_ip_parse("2001:DB8:0:0:0:0:0:1", &ip);
	vg_ip_format(&ip, buf, sizeof(buf));
	tap_is(buf, "2001:db8::1", "IPv6 formats per RFC 5952");
	vg_ip_format(&ip, buf, 5);
	tap_is(buf, "2001", "formatting never overruns a small buffer");

	vg_cidr_parse("192.0.2.0/24", &c, &err);
	vg_netlist_add(&l, &c);
	vg_cidr_parse("2001:db8::/32", &c, &err);
	vg_netlist_add(&l, &c);
	vg_ip_parse("2001:db8::25", &ip);
	tap_ok(vg_netlist_match(&l, &ip), "netlist matches its v6 entry");
	vg_ip_parse("198.51.100.1", &ip);
	tap_ok(!vg_netlist_match(&l, &ip), "netlist misses an outside address");
	vg_netlist_free(&l);
	tap_ok(l.n == 0 && l.v == NULL, "netlist freed");
	return tap_done();
}
