/**
 * @file fuzz-dns.c
 * Fuzz target: DNS answer handling (lib/dns.c, vg_dns_parse): a reply
 * packet off the wire checked against its question (ID, QR, opcode, name,
 * type, class) and turned into vigie's answer (rcode, CNAME chain,
 * records of the asked type, TXT strings joined, negative TTL from the
 * SOA), then stored in and read back from the cache.
 *
 * Input: one byte choosing the question type (low 4 bits, see types[]),
 * the transport (bit 4: TCP) and whether our ID differs from the packet's
 * (bit 7); one byte choosing the question name (names[]); then the reply
 * packet.  Besides memory errors, the target checks what dns.h promises.
 */
#include "config.h"

#include "dns.h"
#include "util.h"
#include "fuzz.h"

#define MAX_TTL 86400   /**< the cache's max_ttl here: answers are capped to it */

static const uint16_t types[] = {
	VG_T_A, VG_T_AAAA, VG_T_MX, VG_T_TXT, VG_T_PTR, VG_T_NS, VG_T_CNAME, VG_T_SOA, VG_T_SPF,
};
static const char *const names[] = {
	"example.org", "a.example.org", "2.0.0.127.bl.example.net", "org", "x",
	"1.2.0.192.in-addr.arpa", "_spf.example.com", "xn--bcher-kva.example",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	vg_dns_cache_init(64, 64u << 20, MAX_TTL);
	return 0;
}

/** Is a record's text as dns.h describes it? */
static void check_rr(const struct vg_dns_answer *a, const struct vg_dns_rr *r)
{
	const unsigned char *s;

	FUZZ_ASSERT(r->type == a->type, "record of type %u in an answer for %u", r->type, a->type);
	FUZZ_ASSERT(r->ttl <= 0x7fffffffu, "ttl %u", r->ttl);
	switch (r->type) {
	case VG_T_A:
		FUZZ_ASSERT(r->ip.v4, "A record not IPv4");
		break;
	case VG_T_MX: case VG_T_PTR: case VG_T_CNAME: case VG_T_NS: case VG_T_SOA:
		FUZZ_ASSERT(r->text != NULL, "name record without text");
		for (s = (const unsigned char *)r->text; *s; s++)
			FUZZ_ASSERT(vg_isprint(*s) && !(*s >= 'A' && *s <= 'Z'), "byte 0x%02x in name '%s'", *s, r->text);
		FUZZ_ASSERT(r->text[0] == '\0' || r->text[strlen(r->text) - 1] != '.' ||
		    (strlen(r->text) >= 2 && r->text[strlen(r->text) - 2] == '\\'), "trailing dot in '%s'", r->text);
		break;
	case VG_T_TXT: case VG_T_SPF:
		FUZZ_ASSERT(r->text != NULL, "TXT record without text");
		FUZZ_ASSERT(strlen(r->text) <= VG_DNS_TXT_MAX, "TXT longer than VG_DNS_TXT_MAX");
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned sel = fuzz_byte(&in);
	const char *name = names[fuzz_byte(&in) % (sizeof(names) / sizeof(names[0]))];
	uint16_t type = types[(sel & 0x0f) % (sizeof(types) / sizeof(types[0]))];
	int tcp = (sel & 0x10) != 0;
	uint16_t id = in.n >= 2 ? (uint16_t)((in.p[0] << 8) | in.p[1]) : 0;
	const struct vg_dns_answer *a = NULL, *c;
	enum vg_dns_reply r;
	size_t i;

	if (sel & 0x80)
		id ^= 0x5a5a;
	r = vg_dns_parse(in.p, in.n, id, name, type, tcp, &a);
	FUZZ_ASSERT(r == VG_DNS_REPLY_OK || r == VG_DNS_REPLY_TRUNCATED || r == VG_DNS_REPLY_MISMATCH ||
	    r == VG_DNS_REPLY_MALFORMED, "vg_dns_parse returned %d", (int)r);
	FUZZ_ASSERT((r == VG_DNS_REPLY_OK) == (a != NULL), "answer %p with result %d", (const void *)a, (int)r);
	FUZZ_ASSERT(!(r == VG_DNS_REPLY_TRUNCATED && tcp), "truncation over TCP");
	FUZZ_ASSERT(!(r == VG_DNS_REPLY_OK && (sel & 0x80)), "reply accepted with another ID");
	if (a == NULL)
		return 0;
	FUZZ_ASSERT(strcmp(a->name, name) == 0 && a->type == type, "answer for %s/%u, asked %s/%u",
	    a->name, a->type, name, type);
	FUZZ_ASSERT(a->refs == 1, "refs %d", a->refs);
	FUZZ_ASSERT(a->tcp == tcp, "tcp flag");
	FUZZ_ASSERT(a->ttl <= MAX_TTL, "ttl %u above the cap", a->ttl);
	switch (a->status) {
	case VG_DNS_ANSWER:
		FUZZ_ASSERT(a->n > 0 && a->rr != NULL, "ANSWER without records");
		for (i = 0; i < a->n; i++)
			check_rr(a, &a->rr[i]);
		break;
	case VG_DNS_NXDOMAIN:
	case VG_DNS_NODATA:
		FUZZ_ASSERT(a->n == 0, "%zu records in a negative answer", a->n);
		break;
	case VG_DNS_TEMPFAIL:
		FUZZ_ASSERT(a->n == 0, "%zu records in a failure", a->n);
		FUZZ_ASSERT(a->why[0] != '\0', "failure without a reason");
		break;
	default:
		FUZZ_ASSERT(0, "status %d", (int)a->status);
	}
	FUZZ_ASSERT(memchr(a->why, '\0', sizeof(a->why)) != NULL, "why unterminated");
	FUZZ_ASSERT(vg_dns_status_name(a->status) != NULL && vg_dns_type_name(a->type) != NULL, "names");

	/* Through the cache: stored unless a failure or TTL 0, and read back whole. */
	vg_dns_cache_put(a);
	c = vg_dns_cache_get(name, type);
	if (a->status == VG_DNS_TEMPFAIL || a->ttl == 0)
		FUZZ_ASSERT(c == NULL, "a failure or TTL 0 answer was cached");
	else if (a->ttl >= 2)
		FUZZ_ASSERT(c == a, "answer not cached");
	vg_dns_answer_unref(c);
	vg_dns_answer_unref(a);
	vg_dns_cache_init(64, 64u << 20, MAX_TTL);   /* empty again: each input on its own */
	return 0;
}
