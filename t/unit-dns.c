/**
 * @file unit-dns.c
 * Unit tests of the DNS layer without any network: DNSBL and PTR names,
 * resolver settings (lists and resolv.conf), reply parsing with packets
 * crafted with ldns (every outcome, CNAME chains, negative TTLs, replies
 * that must be ignored), the TTL cache (hits, expiry, LRU eviction by
 * entries and by bytes, counters) and the batch bookkeeping that needs
 * no server (dedup, cache hits, bad names).
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ldns/ldns.h>

#include "dns.h"
#include "ip.h"
#include "tap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* Names                                                              */
/* ------------------------------------------------------------------ */

/** One reverse-name case: address, zone (NULL: PTR name), expected name. */
struct rcase {
	const char *ip, *zone, *want;
};

static const struct rcase rnames[] = {
	{ "192.0.2.1", "bl.test", "1.2.0.192.bl.test" },
	{ "192.0.2.1", "bl.test.", "1.2.0.192.bl.test" },
	{ "127.0.0.2", "zen.example.org", "2.0.0.127.zen.example.org" },
	{ "::ffff:127.0.0.2", "bl.test", "2.0.0.127.bl.test" },          /* v4-mapped: as IPv4 */
	{ "IPv6:::ffff:192.0.2.30", "bl.test", "30.2.0.192.bl.test" },
	{ "2001:db8::1", "bl.test",
	  "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test" },
	{ "2001:DB8:ABCD::F0", "bl.test",
	  "0.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.8.b.d.0.1.0.0.2.bl.test" },
	{ "192.0.2.1", NULL, "1.2.0.192.in-addr.arpa" },
	{ "::ffff:198.51.100.7", NULL, "7.100.51.198.in-addr.arpa" },
	{ "2001:db8::10", NULL,
	  "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa" },
	{ "::1", NULL,
	  "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa" },
};

/** DNSBL and PTR names, and buffers that are too small. */
static void test_names(void)
{
	char buf[256], small[18];
	struct vg_ip ip;
	size_t i;

	for (i = 0; i < N(rnames); i++) {
		int rc;

		if (vg_ip_parse(rnames[i].ip, &ip) < 0) {
			tap_ok(0, "parse %s", rnames[i].ip);
			continue;
		}
		if (rnames[i].zone)
			rc = vg_dns_bl_name(&ip, rnames[i].zone, buf, sizeof(buf));
		else
			rc = vg_dns_ptr_name(&ip, buf, sizeof(buf));
		tap_ok(rc == 0, "name for %s under %s built", rnames[i].ip, rnames[i].zone ? rnames[i].zone : "arpa");
		tap_is(buf, rnames[i].want, rnames[i].want);
	}
	vg_ip_parse("192.0.2.1", &ip);
	/* "1.2.0.192.bl.test" is 17 bytes: 18 fit, 17 do not */
	tap_ok(vg_dns_bl_name(&ip, "bl.test", small, 18) == 0, "name fits exactly (17 + NUL)");
	tap_ok(vg_dns_bl_name(&ip, "bl.test", small, 17) == -1 && small[0] == '\0',
	    "buffer one byte short: -1 and an empty string");
	vg_ip_parse("2001:db8::1", &ip);
	tap_ok(vg_dns_ptr_name(&ip, buf, 72) == -1, "IPv6 PTR name (72 bytes) does not fit 72");
	tap_ok(vg_dns_ptr_name(&ip, buf, 73) == 0 && strlen(buf) == 72, "IPv6 PTR name fits 73 bytes");
	tap_ok(vg_dns_bl_name(&ip, "bl.test", buf, 0) == -1, "size 0 refused");
	tap_is(vg_dns_type_name(VG_T_AAAA), "AAAA", "type name AAAA");
	tap_is(vg_dns_type_name(4242), "unknown", "unknown type name");
	tap_is(vg_dns_status_name(VG_DNS_NODATA), "NODATA", "status name NODATA");
	tap_is(vg_dns_status_name(VG_DNS_TEMPFAIL), "tempfail", "status name tempfail");
}

/* ------------------------------------------------------------------ */
/* Settings                                                           */
/* ------------------------------------------------------------------ */

/** Server i of s as "addr port" (or "?"). */
static const char *server_str(const struct vg_dns_settings *s, int i, char *buf, size_t sz)
{
	char a[INET6_ADDRSTRLEN];

	if (s->servers[i].ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)&s->servers[i];

		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, sz, "%s %u%s", a, ntohs(sin->sin_port), s->server_len[i] == sizeof(*sin) ? "" : " badlen");
	} else if (s->servers[i].ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)&s->servers[i];

		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(buf, sz, "[%s] %u%s", a, ntohs(sin6->sin6_port), s->server_len[i] == sizeof(*sin6) ? "" : " badlen");
	} else {
		snprintf(buf, sz, "?");
	}
	return buf;
}

/** All servers of s joined with ", ". */
static const char *servers_str(const struct vg_dns_settings *s, char *buf, size_t sz)
{
	char one[80];
	int i;

	buf[0] = '\0';
	for (i = 0; i < s->nservers; i++) {
		size_t l = strlen(buf);

		snprintf(buf + l, sz - l, "%s%s", i ? ", " : "", server_str(s, i, one, sizeof(one)));
	}
	return buf;
}

/** A good spec and the servers it gives. */
struct scase {
	const char *spec, *want;
};

static const struct scase good_specs[] = {
	{ "127.0.0.1:5353, [::1]:53, 192.0.2.53", "127.0.0.1 5353, [::1] 53, 192.0.2.53 53" },
	{ "127.0.0.1", "127.0.0.1 53" },
	{ " 127.0.0.1:1 ,,  ::1\t[2001:db8::53]:65535 ", "127.0.0.1 1, [::1] 53, [2001:db8::53] 65535" },
	{ "192.0.2.1 192.0.2.2,192.0.2.3", "192.0.2.1 53, 192.0.2.2 53, 192.0.2.3 53" },
	{ "1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5 6.6.6.6 7.7.7.7 8.8.8.8",
	  "1.1.1.1 53, 2.2.2.2 53, 3.3.3.3 53, 4.4.4.4 53, 5.5.5.5 53, 6.6.6.6 53, 7.7.7.7 53, 8.8.8.8 53" },
};

static const char *const bad_specs[] = {
	"", " , ", "256.1.1.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:x", "127.0.0.1:",
	"[::1", "[::1]x", "[::1]:", "[127.0.0.1", "dns.example.org", "1.2.3.4:53:53",
	"fe80::1%eth0", "1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5 6.6.6.6 7.7.7.7 8.8.8.8 9.9.9.9",
	"127.0.0.1;", "SYSTEM",
};

/** Write text to a new temporary file; its path goes to path. */
static int temp_file(char *path, size_t sz, const char *text)
{
	int fd;

	snprintf(path, sz, "%s/vigie-unit-dns.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/** Settings: lists, errors, resolv.conf files. */
static void test_settings(void)
{
	struct vg_dns_settings s;
	char buf[1024], path[512];
	const char *err;
	size_t i;
	int rc;

	for (i = 0; i < N(good_specs); i++) {
		memset(&s, 0, sizeof(s));
		s.timeout_ms = 1234;
		s.attempts = 3;
		s.edns_size = 1232;
		err = "unset";
		rc = vg_dns_settings_parse(&s, good_specs[i].spec, NULL, &err);
		tap_ok(rc == 0 && err == NULL, "spec '%s' accepted", good_specs[i].spec);
		tap_is(servers_str(&s, buf, sizeof(buf)), good_specs[i].want, "  its servers");
		tap_ok(s.timeout_ms == 1234 && s.attempts == 3 && s.edns_size == 1232, "  timeout, attempts, EDNS kept");
	}
	for (i = 0; i < N(bad_specs); i++) {
		memset(&s, 0, sizeof(s));
		vg_dns_settings_parse(&s, "192.0.2.9", NULL, &err);
		err = NULL;
		rc = vg_dns_settings_parse(&s, bad_specs[i], NULL, &err);
		tap_ok(rc == -1 && err != NULL, "spec '%s' refused: %s", bad_specs[i], err ? err : "(no message)");
		tap_ok(s.nservers == 1, "  settings left as they were");
	}

	if (temp_file(path, sizeof(path),
	    "# written by unit-dns\n"
	    "search example.org\n"
	    "nameserver 192.0.2.1\n"
	    "# nameserver 192.0.2.99\n"
	    ";nameserver 192.0.2.98\n"
	    "nameserver fe80::1%eth0\n"
	    "nameserver 2001:db8::53\n"
	    "nameserver junk\n"
	    "nameserver\n"
	    "nameservers 192.0.2.97\n"
	    "   nameserver\t198.51.100.1   # trailing comment\n"
	    "nameserver 203.0.113.1;x\n"
	    "options ndots:1 timeout:1\n") < 0) {
		tap_ok(0, "temporary resolv.conf");
		return;
	}
	memset(&s, 0, sizeof(s));
	s.timeout_ms = 500;
	tap_ok(vg_dns_settings_parse(&s, "system", path, &err) == 0, "system: resolv.conf read");
	tap_is(servers_str(&s, buf, sizeof(buf)), "192.0.2.1 53, [2001:db8::53] 53, 198.51.100.1 53, 203.0.113.1 53",
	    "  IPv4 and IPv6 kept; scoped, junk and comments ignored");
	tap_ok(s.timeout_ms == 500, "  timeout kept");
	unlink(path);

	if (temp_file(path, sizeof(path),
	    "nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\nnameserver 192.0.2.4\n"
	    "nameserver 192.0.2.5\nnameserver 192.0.2.6\nnameserver 192.0.2.7\nnameserver 192.0.2.8\n"
	    "nameserver 192.0.2.9\nnameserver 192.0.2.10\n") == 0) {
		tap_ok(vg_dns_settings_parse(&s, "system", path, &err) == 0 && s.nservers == VG_DNS_MAX_SERVERS,
		    "system: at most %d servers kept from resolv.conf", VG_DNS_MAX_SERVERS);
		unlink(path);
	}
	if (temp_file(path, sizeof(path), "search example.org\nnameserver fe80::1%lo\nnameserver x\n") == 0) {
		memset(&s, 0, sizeof(s));
		err = NULL;
		rc = vg_dns_settings_parse(&s, "system", path, &err);
		tap_ok(rc == -1 && err != NULL && s.nservers == 0,
		    "system: no usable nameserver is an error (%s)", err ? err : "no message");
		unlink(path);
	}
	err = NULL;
	rc = vg_dns_settings_parse(&s, "system", "/nonexistent/resolv.conf", &err);
	tap_ok(rc == -1 && err != NULL, "system: unreadable file is an error (%s)", err ? err : "no message");
}

/* ------------------------------------------------------------------ */
/* Reply parsing                                                      */
/* ------------------------------------------------------------------ */

/** A crafted reply. */
struct pk {
	uint16_t id;
	int noqr, tc, opcode, rcode;
	int nq;                    /**< questions: 0 means 1, -1 none, 2 two */
	const char *qname;         /**< question as sent in the reply */
	uint16_t qtype, qclass;    /**< 0: A, IN */
	const char *rr[80];        /**< "AN rr", "NS rr" or "AR rr" in presentation form */
};

/** Build the wire form of a crafted reply into *wire (malloc'd); returns its length, 0 on error. */
static size_t build(const struct pk *k, uint8_t **wire)
{
	ldns_pkt *p = ldns_pkt_new();
	size_t len = 0;
	int i, nq = k->nq == 0 ? 1 : k->nq < 0 ? 0 : k->nq;

	*wire = NULL;
	if (p == NULL)
		return 0;
	ldns_pkt_set_id(p, k->id);
	ldns_pkt_set_qr(p, !k->noqr);
	ldns_pkt_set_rd(p, 1);
	ldns_pkt_set_ra(p, 1);
	ldns_pkt_set_tc(p, k->tc != 0);
	ldns_pkt_set_opcode(p, (ldns_pkt_opcode)k->opcode);
	ldns_pkt_set_rcode(p, (uint8_t)k->rcode);
	for (i = 0; i < nq; i++) {
		ldns_rr *q = ldns_rr_new();

		ldns_rr_set_owner(q, ldns_dname_new_frm_str(k->qname));
		ldns_rr_set_type(q, k->qtype ? k->qtype : LDNS_RR_TYPE_A);
		ldns_rr_set_class(q, k->qclass ? k->qclass : LDNS_RR_CLASS_IN);
		ldns_rr_set_question(q, true);
		ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
	}
	for (i = 0; i < (int)N(k->rr) && k->rr[i]; i++) {
		ldns_rr *rr = NULL;
		ldns_pkt_section sec = strncmp(k->rr[i], "NS ", 3) == 0 ? LDNS_SECTION_AUTHORITY :
		    strncmp(k->rr[i], "AR ", 3) == 0 ? LDNS_SECTION_ADDITIONAL : LDNS_SECTION_ANSWER;

		if (ldns_rr_new_frm_str(&rr, k->rr[i] + 3, 0, NULL, NULL) != LDNS_STATUS_OK) {
			tap_diag("cannot build rr '%s'", k->rr[i]);
			ldns_pkt_free(p);
			return 0;
		}
		ldns_pkt_push_rr(p, sec, rr);
	}
	if (ldns_pkt2wire(wire, p, &len) != LDNS_STATUS_OK)
		len = 0;
	ldns_pkt_free(p);
	return len;
}

/** The records of an answer as "r1|r2|...": addresses, "PREF name", names, TXT text. */
static const char *rrs_str(const struct vg_dns_answer *a, char *buf, size_t sz)
{
	size_t i, l;

	buf[0] = '\0';
	for (i = 0; a && i < a->n; i++) {
		const struct vg_dns_rr *r = &a->rr[i];
		char ip[64];

		l = strlen(buf);
		if (r->type == VG_T_A || r->type == VG_T_AAAA) {
			vg_ip_format(&r->ip, ip, sizeof(ip));
			snprintf(buf + l, sz - l, "%s%s", i ? "|" : "", ip);
		} else if (r->type == VG_T_MX) {
			snprintf(buf + l, sz - l, "%s%u %s", i ? "|" : "", r->pref, r->text[0] ? r->text : ".");
		} else {
			snprintf(buf + l, sz - l, "%s%s", i ? "|" : "", r->text ? r->text : "(null)");
		}
	}
	return buf;
}

/** One parse case. */
struct ccase {
	const char *what;
	struct pk pk;
	uint16_t id;                 /**< ID of our query */
	const char *name;            /**< our question */
	uint16_t type;
	int tcp;
	enum vg_dns_reply want_r;
	enum vg_dns_status want_st;
	const char *want_why;        /**< for TEMPFAIL */
	long want_ttl;               /**< -1: do not check */
	const char *want_rr;         /**< NULL: do not check */
};

#define SOA_NS(zone, ttl, min) "NS " zone " " #ttl " IN SOA ns." zone " hostmaster." zone " 1 3600 600 86400 " #min

static const struct ccase cases[] = {
	{ "A, two records, min TTL",
	  { .id = 7, .qname = "good.test.", .rr = { "AN good.test. 300 IN A 192.0.2.10", "AN GOOD.test. 200 IN A 192.0.2.11" } },
	  7, "good.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_ANSWER, NULL, 200, "192.0.2.10|192.0.2.11" },
	{ "question name compared without case",
	  { .id = 8, .qname = "GooD.TEST.", .rr = { "AN good.test. 300 IN A 192.0.2.10" } },
	  8, "good.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_ANSWER, NULL, 300, "192.0.2.10" },
	{ "AAAA, v6 and v4-mapped",
	  { .id = 9, .qname = "v6.test.", .qtype = LDNS_RR_TYPE_AAAA,
	    .rr = { "AN v6.test. 300 IN AAAA 2001:db8::10", "AN v6.test. 300 IN AAAA ::ffff:192.0.2.1" } },
	  9, "v6.test", VG_T_AAAA, 0, VG_DNS_REPLY_OK, VG_DNS_ANSWER, NULL, 300, "2001:db8::10|192.0.2.1" },
	{ "MX, names lower-cased, no trailing dot",
	  { .id = 10, .qname = "good.test.", .qtype = LDNS_RR_TYPE_MX,
	    .rr = { "AN good.test. 300 IN MX 10 Mail.Good.TEST.", "AN good.test. 100 IN MX 20 mx2.good.test." } },
	  10, "good.test", VG_T_MX, 0, VG_DNS_REPLY_OK, VG_DNS_ANSWER, NULL, 100, "10 mail.good.test|20 mx2.good.test" },
	{ "null MX (RFC 7505)",
	  { .id = 11, .qname = "nullmx.test.", .qtype = LDNS_RR_TYPE_MX, .rr = { "AN nullmx.test. 300 IN MX 0 ." } },
	  11, "nullmx.test", VG_T_MX, 0, VG_DNS_REPLY_OK, VG_DNS_ANSWER, NULL, 300, "0 ." },
	{ "TXT, strings concatenated without separator",
	  { .id = 12, .qname = "t.test.", .qtype = LDNS_RR_TYPE_TXT,
	    .rr = { "AN t.test. 300 IN TXT \"v=spf1 \" \"ip4:192.0.2.0/24\" \" -all\"", "AN t.test. 300 IN TXT \"other\"" } },
	  12, "t.test", VG_T_TXT, 0, VG_DNS_REPLY_OK, VG_DNS_ANSWER, NULL, 300, "v=spf1 ip4:192.0.2.0/24 -all|other" },
	{ "PTR, two names",
	  { .id = 13, .qname = "13.2.0.192.in-addr.arpa.", .qtype = LDNS_RR_TYPE_PTR,
	    .rr = { "AN 13.2.0.192.in-addr.arpa. 300 IN PTR A.multi.test.", "AN 13.2.0.192.in-addr.arpa. 300 IN PTR b.multi.test." } },
	  13, "13.2.0.192.in-addr.arpa", VG_T_PTR, 0, VG_DNS_REPLY_OK, VG_DNS_ANSWER, NULL, 300, "a.multi.test|b.multi.test" },
	{ "CNAME chain followed, TTL includes the CNAMEs, other owners ignored",
	  { .id = 14, .qname = "www.good.test.",
	    .rr = { "AN www.good.test. 300 IN CNAME a.good.test.", "AN A.good.test. 50 IN CNAME b.good.test.",
		    "AN b.good.test. 200 IN A 192.0.2.1", "AN other.good.test. 10 IN A 192.0.2.99" } },
	  14, "www.good.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_ANSWER, NULL, 50, "192.0.2.1" },
	{ "CNAME chain in any order",
	  { .id = 15, .qname = "www.good.test.",
	    .rr = { "AN b.good.test. 200 IN A 192.0.2.1", "AN a.good.test. 100 IN CNAME b.good.test.",
		    "AN www.good.test. 300 IN CNAME a.good.test." } },
	  15, "www.good.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_ANSWER, NULL, 100, "192.0.2.1" },
	{ "asking for the CNAME itself",
	  { .id = 16, .qname = "www.good.test.", .qtype = LDNS_RR_TYPE_CNAME,
	    .rr = { "AN www.good.test. 300 IN CNAME A.good.test." } },
	  16, "www.good.test", VG_T_CNAME, 0, VG_DNS_REPLY_OK, VG_DNS_ANSWER, NULL, 300, "a.good.test" },
	{ "CNAME to a name without the type: NODATA",
	  { .id = 17, .qname = "www.good.test.",
	    .rr = { "AN www.good.test. 30 IN CNAME a.good.test.", SOA_NS("good.test.", 300, 60) } },
	  17, "www.good.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_NODATA, NULL, 30, "" },
	{ "CNAME loop",
	  { .id = 18, .qname = "a.test.",
	    .rr = { "AN a.test. 300 IN CNAME b.test.", "AN b.test. 300 IN CNAME A.test." } },
	  18, "a.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_TEMPFAIL, "CNAME loop", -1, "" },
	{ "CNAME to itself",
	  { .id = 19, .qname = "a.test.", .rr = { "AN a.test. 300 IN CNAME a.test." } },
	  19, "a.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_TEMPFAIL, "CNAME loop", -1, "" },
	{ "8 CNAMEs followed",
	  { .id = 20, .qname = "c0.test.",
	    .rr = { "AN c0.test. 300 IN CNAME c1.test.", "AN c1.test. 300 IN CNAME c2.test.",
		    "AN c2.test. 300 IN CNAME c3.test.", "AN c3.test. 300 IN CNAME c4.test.",
		    "AN c4.test. 300 IN CNAME c5.test.", "AN c5.test. 300 IN CNAME c6.test.",
		    "AN c6.test. 300 IN CNAME c7.test.", "AN c7.test. 300 IN CNAME c8.test.",
		    "AN c8.test. 300 IN A 192.0.2.8" } },
	  20, "c0.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_ANSWER, NULL, 300, "192.0.2.8" },
	{ "9 CNAMEs: too long, treated as a loop",
	  { .id = 21, .qname = "c0.test.",
	    .rr = { "AN c0.test. 300 IN CNAME c1.test.", "AN c1.test. 300 IN CNAME c2.test.",
		    "AN c2.test. 300 IN CNAME c3.test.", "AN c3.test. 300 IN CNAME c4.test.",
		    "AN c4.test. 300 IN CNAME c5.test.", "AN c5.test. 300 IN CNAME c6.test.",
		    "AN c6.test. 300 IN CNAME c7.test.", "AN c7.test. 300 IN CNAME c8.test.",
		    "AN c8.test. 300 IN CNAME c9.test.", "AN c9.test. 300 IN A 192.0.2.9" } },
	  21, "c0.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_TEMPFAIL, "CNAME loop", -1, "" },
	{ "NXDOMAIN, negative TTL = SOA MINIMUM when lower",
	  { .id = 22, .rcode = LDNS_RCODE_NXDOMAIN, .qname = "nonexistent.good.test.",
	    .rr = { SOA_NS("good.test.", 3600, 60) } },
	  22, "nonexistent.good.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_NXDOMAIN, NULL, 60, "" },
	{ "NXDOMAIN, negative TTL = SOA TTL when lower",
	  { .id = 23, .rcode = LDNS_RCODE_NXDOMAIN, .qname = "x.good.test.",
	    .rr = { SOA_NS("good.test.", 30, 600) } },
	  23, "x.good.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_NXDOMAIN, NULL, 30, "" },
	{ "NXDOMAIN without SOA: 60 s",
	  { .id = 24, .rcode = LDNS_RCODE_NXDOMAIN, .qname = "x.good.test." },
	  24, "x.good.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_NXDOMAIN, NULL, 60, "" },
	{ "NXDOMAIN wins over stray records",
	  { .id = 25, .rcode = LDNS_RCODE_NXDOMAIN, .qname = "x.good.test.",
	    .rr = { "AN x.good.test. 300 IN A 192.0.2.1" } },
	  25, "x.good.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_NXDOMAIN, NULL, 60, "" },
	{ "NODATA with SOA",
	  { .id = 26, .qname = "txtonly.good.test.", .rr = { SOA_NS("good.test.", 300, 120) } },
	  26, "txtonly.good.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_NODATA, NULL, 120, "" },
	{ "NODATA: records of other types or other names do not count",
	  { .id = 27, .qname = "txtonly.good.test.",
	    .rr = { "AN txtonly.good.test. 300 IN TXT \"x\"", "AN else.good.test. 300 IN A 192.0.2.1" } },
	  27, "txtonly.good.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_NODATA, NULL, 60, "" },
	{ "SERVFAIL", { .id = 28, .rcode = LDNS_RCODE_SERVFAIL, .qname = "x.fail.test." },
	  28, "x.fail.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_TEMPFAIL, "SERVFAIL", -1, "" },
	{ "REFUSED", { .id = 29, .rcode = LDNS_RCODE_REFUSED, .qname = "x.test." },
	  29, "x.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_TEMPFAIL, "REFUSED", -1, "" },
	{ "FORMERR", { .id = 30, .rcode = LDNS_RCODE_FORMERR, .qname = "x.test." },
	  30, "x.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_TEMPFAIL, "FORMERR", -1, "" },
	{ "NOTIMP", { .id = 31, .rcode = LDNS_RCODE_NOTIMPL, .qname = "x.test." },
	  31, "x.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_TEMPFAIL, "NOTIMP", -1, "" },
	{ "SERVFAIL with records is still a failure",
	  { .id = 32, .rcode = LDNS_RCODE_SERVFAIL, .qname = "x.test.", .rr = { "AN x.test. 300 IN A 192.0.2.1" } },
	  32, "x.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_TEMPFAIL, "SERVFAIL", -1, "" },
	{ "rcode 9 (NOTAUTH)", { .id = 33, .rcode = 9, .qname = "x.test." },
	  33, "x.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_TEMPFAIL, "NOTAUTH", -1, "" },
	{ "wrong ID", { .id = 34, .qname = "x.test.", .rr = { "AN x.test. 300 IN A 192.0.2.1" } },
	  35, "x.test", VG_T_A, 0, VG_DNS_REPLY_MISMATCH, 0, NULL, -1, NULL },
	{ "wrong question name", { .id = 36, .qname = "y.test.", .rr = { "AN x.test. 300 IN A 192.0.2.1" } },
	  36, "x.test", VG_T_A, 0, VG_DNS_REPLY_MISMATCH, 0, NULL, -1, NULL },
	{ "question name a suffix of ours", { .id = 37, .qname = "test.", .rr = { "AN x.test. 300 IN A 192.0.2.1" } },
	  37, "x.test", VG_T_A, 0, VG_DNS_REPLY_MISMATCH, 0, NULL, -1, NULL },
	{ "wrong question type",
	  { .id = 38, .qname = "x.test.", .qtype = LDNS_RR_TYPE_AAAA, .rr = { "AN x.test. 300 IN A 192.0.2.1" } },
	  38, "x.test", VG_T_A, 0, VG_DNS_REPLY_MISMATCH, 0, NULL, -1, NULL },
	{ "wrong question class (CH)",
	  { .id = 39, .qname = "x.test.", .qclass = LDNS_RR_CLASS_CH, .rr = { "AN x.test. 300 IN A 192.0.2.1" } },
	  39, "x.test", VG_T_A, 0, VG_DNS_REPLY_MISMATCH, 0, NULL, -1, NULL },
	{ "QR unset (a query, not a reply)",
	  { .id = 40, .noqr = 1, .qname = "x.test.", .rr = { "AN x.test. 300 IN A 192.0.2.1" } },
	  40, "x.test", VG_T_A, 0, VG_DNS_REPLY_MISMATCH, 0, NULL, -1, NULL },
	{ "opcode STATUS",
	  { .id = 41, .opcode = LDNS_PACKET_STATUS, .qname = "x.test.", .rr = { "AN x.test. 300 IN A 192.0.2.1" } },
	  41, "x.test", VG_T_A, 0, VG_DNS_REPLY_MISMATCH, 0, NULL, -1, NULL },
	{ "no question", { .id = 42, .nq = -1, .qname = "x.test.", .rr = { "AN x.test. 300 IN A 192.0.2.1" } },
	  42, "x.test", VG_T_A, 0, VG_DNS_REPLY_MISMATCH, 0, NULL, -1, NULL },
	{ "two questions", { .id = 43, .nq = 2, .qname = "x.test.", .rr = { "AN x.test. 300 IN A 192.0.2.1" } },
	  43, "x.test", VG_T_A, 0, VG_DNS_REPLY_MISMATCH, 0, NULL, -1, NULL },
	{ "TC over UDP: retry over TCP",
	  { .id = 44, .tc = 1, .qname = "big.good.test.", .qtype = LDNS_RR_TYPE_TXT },
	  44, "big.good.test", VG_T_TXT, 0, VG_DNS_REPLY_TRUNCATED, 0, NULL, -1, NULL },
	{ "TC on a mismatched reply: ignored, not retried",
	  { .id = 45, .tc = 1, .qname = "other.test.", .qtype = LDNS_RR_TYPE_TXT },
	  45, "big.good.test", VG_T_TXT, 0, VG_DNS_REPLY_MISMATCH, 0, NULL, -1, NULL },
	{ "TC over TCP: taken as it is",
	  { .id = 46, .tc = 1, .qname = "big.good.test.", .qtype = LDNS_RR_TYPE_TXT,
	    .rr = { "AN big.good.test. 300 IN TXT \"abc\"" } },
	  46, "big.good.test", VG_T_TXT, 1, VG_DNS_REPLY_OK, VG_DNS_ANSWER, NULL, 300, "abc" },
	{ "TTL with the top bit set counts as 0 (RFC 2181)",
	  { .id = 47, .qname = "x.test.", .rr = { "AN x.test. 2147483648 IN A 192.0.2.1" } },
	  47, "x.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_ANSWER, NULL, 0, "192.0.2.1" },
	{ "records of class CH ignored",
	  { .id = 48, .qname = "x.test.", .rr = { "AN x.test. 300 CH A 192.0.2.1" } },
	  48, "x.test", VG_T_A, 0, VG_DNS_REPLY_OK, VG_DNS_NODATA, NULL, 60, "" },
};

/** Run the table of parse cases. */
static void test_parse_table(void)
{
	char buf[8192];
	size_t i;

	for (i = 0; i < N(cases); i++) {
		const struct ccase *c = &cases[i];
		const struct vg_dns_answer *a = NULL;
		uint8_t *wire;
		size_t len = build(&c->pk, &wire);
		enum vg_dns_reply r;
		int ok;

		if (len == 0) {
			tap_ok(0, "%s: packet built", c->what);
			continue;
		}
		r = vg_dns_parse(wire, len, c->id, c->name, c->type, c->tcp, &a);
		free(wire);
		ok = r == c->want_r && (r == VG_DNS_REPLY_OK) == (a != NULL);
		if (ok && a != NULL) {
			ok = a->status == c->want_st && a->type == c->type && strcmp(a->name, c->name) == 0 &&
			    a->tcp == c->tcp;
			if (c->want_st == VG_DNS_TEMPFAIL)
				ok = ok && c->want_why && strcmp(a->why, c->want_why) == 0;
			if (c->want_ttl >= 0)
				ok = ok && a->ttl == (uint32_t)c->want_ttl;
			if (c->want_rr)
				ok = ok && strcmp(rrs_str(a, buf, sizeof(buf)), c->want_rr) == 0;
		}
		tap_ok(ok, "parse: %s", c->what);
		if (!ok) {
			tap_diag("  reply %d (want %d)", (int)r, (int)c->want_r);
			if (a)
				tap_diag("  status %s why '%s' ttl %u rr '%s'", vg_dns_status_name(a->status), a->why,
				    a->ttl, rrs_str(a, buf, sizeof(buf)));
		}
		vg_dns_answer_unref(a);
	}
}

/** Parse cases that do not fit the table: garbage, limits, big TXT. */
static void test_parse_special(void)
{
	static struct pk many = { .id = 100, .qname = "many.test." };
	static struct pk big = { .id = 101, .qname = "big.test.", .qtype = LDNS_RR_TYPE_TXT };
	static struct pk ok = { .id = 102, .qname = "x.test.", .rr = { "AN x.test. 300 IN A 192.0.2.1" } };
	static char rrbuf[80][48];
	static char txt[8192];
	const struct vg_dns_answer *a;
	unsigned char junk[64];
	uint8_t *wire;
	size_t len, i, l;
	enum vg_dns_reply r;

	/* 70 A records: 64 kept */
	for (i = 0; i < 70; i++) {
		snprintf(rrbuf[i], sizeof(rrbuf[i]), "AN many.test. 300 IN A 192.0.2.%zu", i + 1);
		many.rr[i] = rrbuf[i];
	}
	len = build(&many, &wire);
	r = vg_dns_parse(wire, len, 100, "many.test", VG_T_A, 0, &a);
	tap_ok(r == VG_DNS_REPLY_OK && a && a->status == VG_DNS_ANSWER && a->n == 64, "70 records: 64 kept");
	vg_dns_answer_unref(a);
	free(wire);

	/* a TXT of 20 strings of 250 bytes (5000): kept whole (a cut SPF policy is another policy) */
	l = (size_t)snprintf(txt, sizeof(txt), "AN big.test. 300 IN TXT");
	for (i = 0; i < 20; i++) {
		txt[l++] = ' ';
		txt[l++] = '"';
		memset(txt + l, 'a' + (int)i, 250);
		l += 250;
		txt[l++] = '"';
	}
	txt[l] = '\0';
	big.rr[0] = txt;
	len = build(&big, &wire);
	r = vg_dns_parse(wire, len, 101, "big.test", VG_T_TXT, 1, &a);
	tap_ok(r == VG_DNS_REPLY_OK && a && a->n == 1 && strlen(a->rr[0].text) == 5000 &&
	    a->rr[0].text[0] == 'a' && a->rr[0].text[4999] == 'a' + 19,
	    "a TXT of 5000 bytes kept whole (VG_DNS_TXT_MAX %d)", VG_DNS_TXT_MAX);
	tap_ok(a && a->tcp == 1, "  marked as TCP");
	vg_dns_answer_unref(a);
	free(wire);

	len = build(&ok, &wire);
	r = vg_dns_parse(wire, len, 102, "x.test", VG_T_A, 0, &a);
	tap_ok(r == VG_DNS_REPLY_OK && a && a->n == 1, "the intact packet parses");
	vg_dns_answer_unref(a);
	for (i = 12; i < len; i++) {
		a = NULL;
		r = vg_dns_parse(wire, i, 102, "x.test", VG_T_A, 0, &a);
		if (r != VG_DNS_REPLY_MALFORMED || a != NULL)
			break;
	}
	tap_ok(i == len, "every truncation of a reply (12..%zu bytes) is malformed, not an answer", len - 1);
	if (i != len)
		tap_diag("  cut at %zu: reply %d", i, (int)r);
	tap_ok(vg_dns_parse(wire, 11, 102, "x.test", VG_T_A, 0, &a) == VG_DNS_REPLY_MALFORMED && a == NULL,
	    "shorter than a header: malformed");
	tap_ok(vg_dns_parse(wire, 0, 102, "x.test", VG_T_A, 0, &a) == VG_DNS_REPLY_MALFORMED, "empty: malformed");
	free(wire);
	memset(junk, 0xff, sizeof(junk));
	junk[0] = 0;
	junk[1] = 103;
	tap_ok(vg_dns_parse(junk, sizeof(junk), 103, "x.test", VG_T_A, 0, &a) == VG_DNS_REPLY_MALFORMED && a == NULL,
	    "garbage with our ID: malformed");
}

/* ------------------------------------------------------------------ */
/* Cache                                                              */
/* ------------------------------------------------------------------ */

/** A parsed A answer for name with the given TTL (NULL on failure). */
static const struct vg_dns_answer *mk_answer(const char *name, uint32_t ttl, int rcode)
{
	char owner[300], rr[400];
	struct pk k = { .id = 1, .rcode = rcode };
	const struct vg_dns_answer *a = NULL;
	uint8_t *wire;
	size_t len;

	snprintf(owner, sizeof(owner), "%s.", name);
	snprintf(rr, sizeof(rr), "AN %s %u IN A 192.0.2.1", owner, ttl);
	k.qname = owner;
	k.rr[0] = rcode == 0 ? rr : NULL;
	len = build(&k, &wire);
	if (len == 0 || vg_dns_parse(wire, len, 1, name, VG_T_A, 0, &a) != VG_DNS_REPLY_OK)
		a = NULL;
	free(wire);
	return a;
}

/** Cache: hits, misses, expiry, what is not cached, eviction, counters. */
static void test_cache(void)
{
	struct vg_dns_cache_stats st;
	const struct vg_dns_answer *a, *b, *c, *g;
	unsigned long one;

	vg_dns_cache_init(10, 1 << 20, 1);
	a = mk_answer("a.test", 300, 0);
	tap_ok(a && a->ttl == 1, "TTL capped by max_ttl (300 -> 1)");
	vg_dns_cache_put(a);
	g = vg_dns_cache_get("A.Test.", VG_T_A);
	tap_ok(g == a, "hit: same answer, name case and trailing dot do not matter");
	vg_dns_answer_unref(g);
	tap_ok(vg_dns_cache_get("a.test", VG_T_AAAA) == NULL, "other type: miss");
	tap_ok(vg_dns_cache_get("b.test", VG_T_A) == NULL, "other name: miss");
	vg_dns_cache_stats(&st);
	tap_ok(st.hits == 1 && st.misses == 2 && st.entries == 1 && st.bytes > 0 && st.evictions == 0,
	    "counters: 1 hit, 2 misses, 1 entry (hits %lu misses %lu entries %lu bytes %lu)",
	    st.hits, st.misses, st.entries, st.bytes);
	usleep(1100 * 1000);
	tap_ok(vg_dns_cache_get("a.test", VG_T_A) == NULL, "expired after its TTL");
	vg_dns_cache_stats(&st);
	tap_ok(st.entries == 0 && st.bytes == 0, "expired entry dropped");
	vg_dns_answer_unref(a);

	vg_dns_cache_init(10, 1 << 20, 3600);
	vg_dns_cache_stats(&st);
	tap_ok(st.hits == 0 && st.misses == 0 && st.entries == 0, "init again clears everything");
	a = mk_answer("fail.test", 300, LDNS_RCODE_SERVFAIL);
	vg_dns_cache_put(a);
	tap_ok(a && a->status == VG_DNS_TEMPFAIL && vg_dns_cache_get("fail.test", VG_T_A) == NULL,
	    "a temporary failure is never cached");
	if (a != NULL) {
		/* not even one that claims a TTL (the test forges it; answers are immutable) */
		((struct vg_dns_answer *)(uintptr_t)a)->ttl = 300;
		vg_dns_cache_put(a);
		tap_ok(vg_dns_cache_get("fail.test", VG_T_A) == NULL, "  not even with a TTL");
	}
	vg_dns_answer_unref(a);
	a = mk_answer("zero.test", 0, 0);
	vg_dns_cache_put(a);
	tap_ok(a && vg_dns_cache_get("zero.test", VG_T_A) == NULL, "TTL 0 is not cached");
	vg_dns_answer_unref(a);
	a = mk_answer("nx.test", 0, LDNS_RCODE_NXDOMAIN);
	vg_dns_cache_put(a);
	g = vg_dns_cache_get("nx.test", VG_T_A);
	tap_ok(g == a && g->status == VG_DNS_NXDOMAIN, "NXDOMAIN is cached (negative TTL)");
	vg_dns_answer_unref(g);
	b = mk_answer("nx.test", 300, LDNS_RCODE_NXDOMAIN);
	vg_dns_cache_put(b);
	vg_dns_cache_stats(&st);
	g = vg_dns_cache_get("nx.test", VG_T_A);
	tap_ok(g == b && st.entries == 1, "same question stored again replaces the entry");
	vg_dns_answer_unref(g);
	vg_dns_answer_unref(a);
	vg_dns_answer_unref(b);

	/* LRU by entries */
	vg_dns_cache_init(2, 1 << 20, 3600);
	a = mk_answer("a.test", 300, 0);
	b = mk_answer("b.test", 300, 0);
	c = mk_answer("c.test", 300, 0);
	vg_dns_cache_put(a);
	vg_dns_cache_put(b);
	vg_dns_answer_unref(vg_dns_cache_get("a.test", VG_T_A));   /* a is now the most recent */
	vg_dns_cache_put(c);
	vg_dns_cache_stats(&st);
	g = vg_dns_cache_get("b.test", VG_T_A);
	tap_ok(g == NULL && st.entries == 2 && st.evictions == 1, "max_entries 2: the least recently used (b) evicted");
	vg_dns_answer_unref(g);
	g = vg_dns_cache_get("a.test", VG_T_A);
	tap_ok(g == a, "  a still there");
	vg_dns_answer_unref(g);
	g = vg_dns_cache_get("c.test", VG_T_A);
	tap_ok(g == c, "  c there");
	vg_dns_answer_unref(g);
	one = st.bytes / 2;

	/* LRU by bytes: room for two and a half entries */
	vg_dns_cache_init(100, one * 2 + one / 2, 3600);
	vg_dns_cache_put(a);
	vg_dns_cache_put(b);
	vg_dns_cache_put(c);
	vg_dns_cache_stats(&st);
	g = vg_dns_cache_get("a.test", VG_T_A);
	tap_ok(g == NULL && st.entries == 2 && st.evictions == 1 && st.bytes == 2 * one,
	    "max_bytes: oldest evicted to make room (entries %lu bytes %lu of %lu)", st.entries, st.bytes,
	    one * 2 + one / 2);
	vg_dns_answer_unref(g);
	vg_dns_cache_init(100, one - 1, 3600);
	vg_dns_cache_put(a);
	vg_dns_cache_stats(&st);
	tap_ok(st.entries == 0 && st.evictions == 0, "an answer larger than max_bytes is not stored");

	/* references outlive the cache */
	vg_dns_cache_init(10, 1 << 20, 3600);
	vg_dns_cache_put(a);
	vg_dns_cache_free();
	tap_ok(vg_dns_cache_get("a.test", VG_T_A) == NULL && strcmp(a->name, "a.test") == 0,
	    "cache freed; our reference still valid");
	vg_dns_answer_unref(a);
	vg_dns_answer_unref(b);
	vg_dns_answer_unref(c);
}

/** Shared by the cache threads. */
static const struct vg_dns_answer *thr_answers[8];

/** One cache thread: stores, looks up and releases answers in a loop. */
static void *cache_thread(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	int i;

	for (i = 0; i < 20000; i++) {
		const struct vg_dns_answer *g;
		char name[32];

		seed = seed * 1103515245u + 12345u;
		vg_dns_cache_put(thr_answers[(seed >> 8) % 8]);
		snprintf(name, sizeof(name), "t%u.test", (seed >> 12) % 8);
		g = vg_dns_cache_get(name, VG_T_A);
		if (g != NULL && strcmp(g->name, name) != 0)
			return (void *)1;
		vg_dns_answer_unref(vg_dns_answer_ref(g));
		vg_dns_answer_unref(g);
	}
	return NULL;
}

/** The cache and the reference counts under 4 threads, with evictions. */
static void test_cache_threads(void)
{
	struct vg_dns_cache_stats st;
	pthread_t th[4];
	void *ret;
	int i, bad = 0;

	vg_dns_cache_init(5, 1 << 20, 3600);
	for (i = 0; i < 8; i++) {
		char name[32];

		snprintf(name, sizeof(name), "t%d.test", i);
		thr_answers[i] = mk_answer(name, 300, 0);
	}
	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, cache_thread, (void *)(uintptr_t)(i + 1));
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], &ret);
		bad += ret != NULL;
	}
	vg_dns_cache_stats(&st);
	tap_ok(bad == 0 && st.entries <= 5 && st.hits + st.misses == 80000 && st.evictions > 0,
	    "4 threads: %lu hits, %lu misses, %lu evictions, %lu entries", st.hits, st.misses, st.evictions,
	    st.entries);
	vg_dns_cache_free();
	for (i = 0; i < 8; i++) {
		tap_ok(thr_answers[i] != NULL && thr_answers[i]->refs == 1, "  answer %d: only our reference left", i);
		vg_dns_answer_unref(thr_answers[i]);
	}
}

/* ------------------------------------------------------------------ */
/* Batches without a server                                           */
/* ------------------------------------------------------------------ */

static const char *const bad_names[] = {
	"", ".", "..", "a..b", ".a", "a b.test", "a\\046b.test", "caf\xc3\xa9.test", "tab\t.test",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test",   /* 64-byte label */
};

/** Batch bookkeeping: names, dedup, cache hits, no servers. */
static void test_batch(void)
{
	struct vg_dns_settings s;
	struct vg_dns_batch *b;
	struct vg_dns_trace t;
	const struct vg_dns_answer *a, *r;
	char longname[300];
	int i1, i2, i3, i4;
	size_t i;

	memset(&s, 0, sizeof(s));
	s.timeout_ms = 100;
	s.attempts = 1;
	b = vg_dns_batch_new(&s);
	for (i = 0; i < N(bad_names); i++)
		tap_ok(vg_dns_add(b, bad_names[i], VG_T_A) == -1, "bad name %zu refused", i);
	memset(longname, 0, sizeof(longname));
	for (i = 0; i < 255; i++)
		longname[i] = (i % 2) ? '.' : 'a';
	tap_ok(vg_dns_add(b, longname, VG_T_A) == -1, "255-byte name refused");
	longname[253] = '\0';
	tap_ok(vg_dns_add(b, longname, VG_T_A) >= 0, "253-byte name accepted");
	tap_ok(vg_dns_count(b) == 1, "refused names add nothing");

	vg_dns_cache_init(10, 1 << 20, 3600);
	a = mk_answer("cached.test", 300, 0);
	vg_dns_cache_put(a);
	i1 = vg_dns_add(b, "Cached.Test.", VG_T_A);
	i2 = vg_dns_add(b, "cached.test", VG_T_A);
	i3 = vg_dns_add(b, "cached.test", VG_T_MX);
	tap_ok(i1 >= 0 && i1 == i2, "same question twice: same index");
	tap_ok(i3 >= 0 && i3 != i1, "other type: another lookup");
	r = vg_dns_result(b, i1);
	vg_dns_trace(b, (size_t)i1, &t);
	tap_ok(r == a && t.from_cache == 1 && t.queries_sent == 0 && t.answer == a &&
	    strcmp(t.name, "cached.test") == 0 && t.type == VG_T_A, "cache hit completes at once, nothing sent");
	/* no servers: completes as a temporary failure, never as "not found" */
	r = vg_dns_result(b, i3);
	tap_ok(r && r->status == VG_DNS_TEMPFAIL && strcmp(r->why, "network error") == 0,
	    "no nameserver: tempfail \"network error\"");
	i4 = vg_dns_add(b, "cached.test", VG_T_A);
	tap_ok(i4 == i1 && vg_dns_count(b) == 3, "dedup keeps 3 lookups");
	vg_dns_wait(b, NULL, 0, vg_dns_now_ms() + 1000);
	tap_ok(vg_dns_result(b, 99) == NULL && vg_dns_result(b, -1) == NULL, "result of a bad index is NULL");
	vg_dns_batch_free(b);
	vg_dns_answer_unref(a);
	vg_dns_cache_free();
}

int main(void)
{
	test_names();
	test_settings();
	test_parse_table();
	test_parse_special();
	test_cache();
	test_cache_threads();
	test_batch();
	return tap_done();
}
