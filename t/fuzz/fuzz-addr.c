/**
 * @file fuzz-addr.c
 * Fuzz target: the RFC 5321 path parser (lib/addr.c) on MAIL FROM and
 * RCPT TO arguments, ESMTP parameters included.
 *
 * Input: one byte of flags (bit 0 VG_PATH_REVERSE, i.e. MAIL FROM; bit 1
 * VG_PATH_SMTPUTF8; bit 2 VG_PATH_STRICT), then the argument as the MTA
 * passes it (any bytes).  Besides memory errors, the target checks what
 * addr.h promises of a parsed path: bounded NUL-terminated fields, a
 * lower-case domain, no control bytes, 8-bit bytes only with SMTPUTF8,
 * parameters without control bytes, and a canonical address that parses
 * back to itself.
 */
#include "config.h"

#include "addr.h"
#include "util.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/** A field is NUL-terminated inside its buffer. */
#define TERMINATED(f) (memchr((f), '\0', sizeof(f)) != NULL)

static void check_path(const char *arg, size_t len, unsigned flags, const struct vg_path *p)
{
	const unsigned char *s;
	size_t i;

	FUZZ_ASSERT(TERMINATED(p->local) && TERMINATED(p->domain) && TERMINATED(p->addr), "unterminated field");
	FUZZ_ASSERT(p->params_off <= len, "params_off %zu > len %zu", p->params_off, len);
	for (i = p->params_off; i < len; i++)
		FUZZ_ASSERT((unsigned char)arg[i] >= 0x20 && (unsigned char)arg[i] != 0x7f,
		    "control byte 0x%02x in the ESMTP parameters", (unsigned char)arg[i]);
	if (p->is_null) {
		FUZZ_ASSERT(flags & VG_PATH_REVERSE, "null path accepted for RCPT TO");
		FUZZ_ASSERT(p->addr[0] == '\0' && p->local[0] == '\0' && p->domain[0] == '\0', "null path with an address");
		return;
	}
	FUZZ_ASSERT(p->local[0] != '\0' || p->local_quoted, "empty local part");
	FUZZ_ASSERT((p->domain_kind == VG_DOM_NONE) == (p->domain[0] == '\0'), "domain kind %d with domain '%s'",
	    (int)p->domain_kind, p->domain);
	FUZZ_ASSERT(strlen(p->local) <= VG_LOCAL_MAX && strlen(p->domain) <= VG_DOMAIN_MAX, "too long");
	/* Names and the IPv6 tag are lower-cased; a General-address-literal is kept as given. */
	for (s = (const unsigned char *)p->domain; *s && p->domain_kind != VG_DOM_GENERAL; s++)
		FUZZ_ASSERT(!(*s >= 'A' && *s <= 'Z'), "upper case in domain '%s'", p->domain);
	for (s = (const unsigned char *)p->addr; *s; s++) {
		FUZZ_ASSERT(*s >= 0x20 && *s != 0x7f, "control byte 0x%02x in addr", *s);
		FUZZ_ASSERT(*s < 0x80 || (flags & VG_PATH_SMTPUTF8), "8-bit addr without SMTPUTF8");
	}
	FUZZ_ASSERT(p->local_routing == (strpbrk(p->local, "%!@") != NULL), "local_routing wrong");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned flags = fuzz_byte(&in) & (VG_PATH_REVERSE | VG_PATH_SMTPUTF8 | VG_PATH_STRICT);
	/* An exact-size copy, not NUL-terminated: the parser must respect len. */
	char *arg = malloc(in.n > 0 ? in.n : 1);
	struct vg_path p, q;
	enum vg_path_err err;
	char clean[80];

	if (arg == NULL)
		abort();
	if (in.n > 0)
		memcpy(arg, in.p, in.n);
	err = vg_path_parse(arg, in.n, flags, &p);
	FUZZ_ASSERT(err == p.err, "returned %d, out->err %d", (int)err, (int)p.err);
	FUZZ_ASSERT(vg_path_strerror(err) != NULL, "no message");
	if (err != VG_PATH_OK) {
		FUZZ_ASSERT(p.err_pos <= in.n, "err_pos %zu > len %zu", p.err_pos, in.n);
		FUZZ_ASSERT(p.addr[0] == '\0', "failed parse left an address");
		free(arg);
		return 0;
	}
	check_path(arg, in.n, flags, &p);
	/* What the policy logs (vg_clean_copy) is printable ASCII. */
	vg_clean_copy(clean, sizeof(clean), p.addr);
	for (const char *c = clean; *c; c++)
		FUZZ_ASSERT(vg_isprint((unsigned char)*c), "vg_clean_copy let 0x%02x through", (unsigned char)*c);

	/* The canonical form parses back to the same path. */
	{
		char again[sizeof(p.addr) + 2];
		int n = snprintf(again, sizeof(again), "<%s>", p.addr);
		FUZZ_ASSERT(n > 0 && (size_t)n < sizeof(again), "canonical address too long");
		err = vg_path_parse(again, (size_t)n, flags | VG_PATH_STRICT, &q);
		FUZZ_ASSERT(err == VG_PATH_OK, "canonical '%s' does not parse: %s at %zu", again,
		    vg_path_strerror(err), q.err_pos);
		FUZZ_ASSERT(strcmp(q.addr, p.addr) == 0, "'%s' became '%s'", p.addr, q.addr);
		FUZZ_ASSERT(strcmp(q.local, p.local) == 0 && strcmp(q.domain, p.domain) == 0 &&
		    q.domain_kind == p.domain_kind && q.is_null == p.is_null, "'%s' parsed back differently", again);
	}
	free(arg);
	return 0;
}
