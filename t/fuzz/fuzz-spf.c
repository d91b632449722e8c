/**
 * @file fuzz-spf.c
 * Fuzz target: SPF in lib/spf.c.  The RFC 7208 record validator
 * (vg_spf_record_check: grammar, terms, macros, modifiers), then, for
 * records it accepts, either libspf2's compiler (SPF_record_compile) on
 * the same text, or a whole evaluation (vg_spf_check: vigie's own checks,
 * the chunks it compiles with libspf2, macro expansion, include/redirect,
 * the 10-term and 2-void limits, exp=) against a small world served from
 * the DNS cache: nothing goes to the network (the resolver has no server,
 * so any name not in the world is a temporary failure at once).  The
 * world: example.org A/MX, mail.example.org A/AAAA, a.example.org A, the
 * PTR of 192.0.2.1, NODATA for their other types, and NXDOMAIN for
 * nx.example.org and nx1..nx3.example.org (void lookups).
 *
 * Input: one byte: bits 0-5 the size of the caller's reason buffer (or
 * 255: no buffer), bit 6 evaluate instead of compiling; then the record
 * of example.org (up to the first NUL, as vigie sees the joined TXT
 * strings); then, NUL-separated, the TXT records of _spf.example.org,
 * a.example.org, b.example.org and exp.example.org (any bytes).  The
 * client is 192.0.2.1, or 2001:db8::1 when the record of example.org
 * is followed by nothing; HELO mail.example.org, sender user@example.org.
 *
 * Besides memory errors: the reason stays inside its buffer and is set
 * when the record is refused; an accepted record starts with "v=spf1"
 * and holds printable ASCII only; an evaluation gives one RFC 7208 result,
 * an explanation only with fail, and printable ASCII only.
 * With FUZZ_SPF_DEBUG set in the environment, each evaluation's outcome
 * is printed on stderr (to see what a seed exercises).
 */
#include "config.h"

#include <sys/types.h>
#include <netinet/in.h>
#include <strings.h>
#include <spf2/spf.h>

#include "dns.h"
#include "ip.h"
#include "spf.h"
#include "util.h"
#include "fuzz.h"

static SPF_server_t *spf_server;
static struct vg_dns_settings no_servers;   /* nservers 0: cache or tempfail, no network */

/* ---- a tiny DNS world, put in the cache through vg_dns_parse ---- */

struct wire {
	unsigned char b[8192];
	size_t n;
	int bad;
};

static void put(struct wire *w, const void *p, size_t n)
{
	if (w->bad || n > sizeof(w->b) - w->n) {
		w->bad = 1;
		return;
	}
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void put16(struct wire *w, unsigned v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };
	put(w, b, 2);
}

static void put_name(struct wire *w, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);
		unsigned char len = (unsigned char)n;
		put(w, &len, 1);
		put(w, name, n);
		name += n + (dot != NULL);
	}
	put(w, "", 1);
}

/** Cache a one-RR answer (rdata given) for name/type, TTL 300. */
static void world_add(const char *name, uint16_t type, const void *rdata, size_t rdlen)
{
	struct wire w;
	const struct vg_dns_answer *a = NULL;

	memset(&w, 0, sizeof(w));
	put16(&w, 0x4242);
	put16(&w, 0x8180);          /* QR RD RA, NOERROR */
	put16(&w, 1);
	put16(&w, 1);
	put16(&w, 0);
	put16(&w, 0);
	put_name(&w, name);
	put16(&w, type);
	put16(&w, 1);
	put_name(&w, name);
	put16(&w, type);
	put16(&w, 1);
	put16(&w, 0);
	put16(&w, 300);
	put16(&w, (unsigned)rdlen);
	put(&w, rdata, rdlen);
	if (w.bad)
		return;
	if (vg_dns_parse(w.b, w.n, 0x4242, name, type, 1, &a) == VG_DNS_REPLY_OK) {
		vg_dns_cache_put(a);
		vg_dns_answer_unref(a);
	}
}

/** Cache a negative answer: NXDOMAIN (rcode 3) or NODATA (0), without SOA. */
static void world_neg(const char *name, uint16_t type, unsigned rcode)
{
	struct wire w;
	const struct vg_dns_answer *a = NULL;

	memset(&w, 0, sizeof(w));
	put16(&w, 0x4242);
	put16(&w, 0x8180 | rcode);
	put16(&w, 1);
	put16(&w, 0);
	put16(&w, 0);
	put16(&w, 0);
	put_name(&w, name);
	put16(&w, type);
	put16(&w, 1);
	if (!w.bad && vg_dns_parse(w.b, w.n, 0x4242, name, type, 1, &a) == VG_DNS_REPLY_OK) {
		vg_dns_cache_put(a);
		vg_dns_answer_unref(a);
	}
}

/** TXT record: text cut in 255-byte character-strings. */
static void world_txt(const char *name, const char *text)
{
	unsigned char rd[4500];
	size_t n = 0, len = strlen(text);

	if (len > 4096)
		len = 4096;
	do {
		size_t k = len > 255 ? 255 : len;
		rd[n++] = (unsigned char)k;
		memcpy(rd + n, text, k);
		n += k;
		text += k;
		len -= k;
	} while (len > 0);
	world_add(name, VG_T_TXT, rd, n);
}

static void world_name(const char *name, uint16_t type, unsigned pref, const char *target)
{
	struct wire w;

	memset(&w, 0, sizeof(w));
	if (type == VG_T_MX)
		put16(&w, pref);
	put_name(&w, target);
	if (!w.bad)
		world_add(name, type, w.b, w.n);
}

/** The evaluation: a world built from the input, then vg_spf_check. */
static void evaluate(const char *rec, struct fuzz_in *in)
{
	static const char *const names[] = { "_spf.example.org", "a.example.org", "b.example.org", "exp.example.org" };
	static const unsigned char a1[4] = { 192, 0, 2, 1 }, a2[4] = { 192, 0, 2, 2 };
	static const unsigned char aaaa[16] = { 0x20, 0x01, 0x0d, 0xb8, 0,0,0,0, 0,0,0,0, 0,0,0,1 };
	struct vg_dns_batch *b;
	struct vg_spf_outcome out;
	struct vg_ip ip;
	size_t i;
	int v6 = in->n == 0;

	vg_dns_cache_init(256, 16u << 20, 3600);     /* empty: each input on its own */
	/* First NODATA for the names of the world, NXDOMAIN for nx*: the records below replace some. */
	{
		static const char *const exist[] = { "example.org", "mail.example.org", "_spf.example.org",
		    "a.example.org", "b.example.org", "exp.example.org" };
		static const char *const nx[] = { "nx1.example.org", "nx2.example.org", "nx3.example.org",
		    "nx.example.org" };
		static const uint16_t types[] = { VG_T_A, VG_T_AAAA, VG_T_MX, VG_T_TXT };
		size_t k, t;

		for (k = 0; k < sizeof(exist) / sizeof(exist[0]); k++)
			for (t = 0; t < sizeof(types) / sizeof(types[0]); t++)
				world_neg(exist[k], types[t], 0);
		for (k = 0; k < sizeof(nx) / sizeof(nx[0]); k++)
			for (t = 0; t < sizeof(types) / sizeof(types[0]); t++)
				world_neg(nx[k], types[t], 3);
	}
	world_txt("example.org", rec);
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && in->n > 0; i++) {
		char *t = fuzz_str(in);
		world_txt(names[i], t);
		free(t);
	}
	world_add("example.org", VG_T_A, a1, 4);
	world_add("mail.example.org", VG_T_A, a1, 4);
	world_add("a.example.org", VG_T_A, a2, 4);
	world_add("mail.example.org", VG_T_AAAA, aaaa, 16);
	world_name("example.org", VG_T_MX, 10, "mail.example.org");
	world_name("1.2.0.192.in-addr.arpa", VG_T_PTR, 0, "mail.example.org");

	FUZZ_ASSERT(vg_ip_parse(v6 ? "2001:db8::1" : "192.0.2.1", &ip) == 0, "vg_ip_parse");
	b = vg_dns_batch_new(&no_servers);
	if (b == NULL)
		abort();
	memset(&out, 0x5a, sizeof(out));
	if (vg_spf_check(b, vg_dns_now_ms() + 5000, &ip, "mail.example.org", "user@example.org", "mx.example.net",
	    &out) == 0) {
		const unsigned char *c;

		FUZZ_ASSERT(out.result >= VG_SPF_PASS && out.result <= VG_SPF_PERMERROR, "result %d", (int)out.result);
		FUZZ_ASSERT(vg_spf_result_name(out.result) != NULL, "result name");
		FUZZ_ASSERT(memchr(out.domain, '\0', sizeof(out.domain)) && memchr(out.explanation, '\0',
		    sizeof(out.explanation)) && memchr(out.problem, '\0', sizeof(out.problem)), "unterminated field");
		FUZZ_ASSERT(out.explanation[0] == '\0' || out.result == VG_SPF_FAIL,
		    "explanation with %s", vg_spf_result_name(out.result));
		for (c = (const unsigned char *)out.explanation; *c; c++)
			FUZZ_ASSERT(vg_isprint(*c), "explanation byte 0x%02x", *c);
		for (c = (const unsigned char *)out.problem; *c; c++)
			FUZZ_ASSERT(vg_isprint(*c), "problem byte 0x%02x", *c);
		FUZZ_ASSERT(out.void_lookups >= 0 && out.dns_terms >= 0, "counters");
		if (getenv("FUZZ_SPF_DEBUG") != NULL)
			fprintf(stderr, "spf: %s domain=%s terms=%d voids=%d problem='%s' exp='%s'\n",
			    vg_spf_result_name(out.result), out.domain, out.dns_terms, out.void_lookups, out.problem,
			    out.explanation);
	}
	vg_dns_batch_free(b);
	vg_dns_cache_init(256, 16u << 20, 3600);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* A zone "resolver": compiling needs no DNS, and nothing goes to the network. */
	spf_server = SPF_server_new(SPF_DNS_ZONE, 0);
	if (spf_server == NULL)
		abort();
	memset(&no_servers, 0, sizeof(no_servers));
	no_servers.timeout_ms = 100;
	no_servers.attempts = 1;
	vg_dns_cache_init(256, 16u << 20, 3600);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned b = fuzz_byte(&in);
	char *rec = fuzz_str(&in);
	char whybuf[64 + 8];
	size_t whysz = b == 255 ? 0 : b % 64, i;
	int eval = b != 255 && (b & 64);
	char *why = b == 255 ? NULL : whybuf;
	int rc;

	memset(whybuf, 0x5a, sizeof(whybuf));
	rc = vg_spf_record_check(rec, why, whysz);
	FUZZ_ASSERT(rc == 0 || rc == -1, "returned %d", rc);
	for (i = whysz; why != NULL && i < sizeof(whybuf); i++)
		FUZZ_ASSERT(whybuf[i] == 0x5a, "reason written past its %zu-byte buffer", whysz);
	if (why != NULL && whysz > 0) {
		FUZZ_ASSERT(memchr(why, '\0', whysz) != NULL, "reason not terminated");
		if (rc != 0 && whysz > 1)
			FUZZ_ASSERT(why[0] != '\0', "refused without a reason");
	}
	if (rc == 0) {
		SPF_response_t *resp;
		SPF_record_t *compiled = NULL;

		FUZZ_ASSERT(strncasecmp(rec, "v=spf1", 6) == 0 && (rec[6] == '\0' || rec[6] == ' '),
		    "accepted '%s'", rec);
		for (i = 0; rec[i] != '\0'; i++)
			FUZZ_ASSERT(vg_isprint((unsigned char)rec[i]), "accepted byte 0x%02x", (unsigned char)rec[i]);
		if (eval) {
			evaluate(rec, &in);
			free(rec);
			return 0;
		}
		resp = SPF_response_new(NULL);
		if (resp == NULL)
			abort();
		(void)SPF_record_compile(spf_server, resp, &compiled, rec);
		if (compiled != NULL)
			SPF_record_free(compiled);
		SPF_response_free(resp);
	}
	free(rec);
	return 0;
}
