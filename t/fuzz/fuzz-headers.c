/**
 * @file fuzz-headers.c
 * Fuzz target: the header builders of lib/headers.c (Authentication-Results,
 * Received-SPF) fed hostile HELO, sender, client-name and client-address
 * bytes, and the forged Authentication-Results test (vg_hdr_claims_authserv)
 * fed any header value.
 *
 * Input: byte 0 picks the SPF results, byte 1 what is present (bit 0 spf
 * mailfrom, bit 1 spf helo, bit 2 iprev, bit 3 raw client address instead
 * of a formatted one, bit 4 Received-SPF for helo instead of mailfrom),
 * 16 bytes of client address (bit 0 of the first: IPv4), then NUL-separated
 * strings: HELO, sender, client host name (the iprev comment), authserv-id,
 * SPF domain, raw client address, and an incoming A-R value.
 *
 * Every built header must be one well-formed "Name: value" field: printable
 * ASCII only (CR LF only as folding, followed by SP or TAB), no NUL, and -
 * unless the client address is raw bytes, which vigie never passes - with
 * balanced comments and quoted strings and exactly the ';'-separated
 * elements vigie meant to write.  A-R must claim our own authserv-id.
 */
#include "config.h"

#include "headers.h"
#include "ip.h"
#include "util.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static const char *const results[] = { "pass", "fail", "softfail", "neutral", "none", "temperror", "permerror" };

/** The header field "name: value" is one well-formed field; the structure checks only when strict. */
static void check_field(const char *name, const struct vstr *v, int strict, int want_semis, int want_eqs)
{
	const unsigned char *s = (const unsigned char *)v->buf;
	size_t i;
	int depth = 0, inq = 0, semis = 0, eqs = 0, visible = 0, word_eq = 0;

	FUZZ_ASSERT(!v->oom, "%s: out of memory", name);
	FUZZ_ASSERT(strlen(v->buf) == v->len, "%s: NUL inside the value", name);
	for (i = 0; i < v->len; i++) {
		unsigned char c = s[i];

		if (c == '\r') {
			FUZZ_ASSERT(s[i + 1] == '\n' && (s[i + 2] == ' ' || s[i + 2] == '\t'),
			    "%s: CR not part of a folding CRLF WSP: %s", name, v->buf);
			i++;
			continue;
		}
		FUZZ_ASSERT(c != '\n', "%s: bare LF: %s", name, v->buf);
		FUZZ_ASSERT(c == '\t' || vg_isprint(c), "%s: byte 0x%02x: %s", name, c, v->buf);
		if (c != ' ' && c != '\t')
			visible = 1;
		if (!strict)
			continue;
		if (inq) {
			if (c == '\\') {
				FUZZ_ASSERT(i + 1 < v->len, "%s: quoted-pair at the end: %s", name, v->buf);
				i++;
			} else if (c == '"') {
				inq = 0;
			}
		} else if (depth > 0) {
			if (c == '\\')
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
		} else if (c == '"') {
			inq = 1;
		} else if (c == '(') {
			depth++;
		} else {
			FUZZ_ASSERT(c != ')', "%s: ')' outside a comment: %s", name, v->buf);
			semis += c == ';';
			/*
			 * key=value words: an '=' inside a value ("smtp.mailfrom=a=b@x",
			 * a dot-atom local part) is no new key; a new key needs a new word.
			 */
			if (c == ' ' || c == '\t' || c == ';')
				word_eq = 0;
			else if (c == '=' && !word_eq) {
				eqs++;
				word_eq = 1;
			}
		}
	}
	FUZZ_ASSERT(visible, "%s: empty value", name);
	if (!strict)
		return;
	FUZZ_ASSERT(!inq && depth == 0, "%s: unclosed quote or comment: %s", name, v->buf);
	FUZZ_ASSERT(semis == want_semis, "%s: %d ';' outside quotes and comments, want %d: %s", name, semis,
	    want_semis, v->buf);
	FUZZ_ASSERT(eqs == want_eqs, "%s: %d key=value words outside quotes and comments, want %d: %s", name, eqs, want_eqs,
	    v->buf);
}

/** What headers.c accepts as a host name (its is_hostname). */
static int hostname_like(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 253 &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned res = fuzz_byte(&in), what = fuzz_byte(&in), i;
	struct vg_ip ip;
	char ipbuf[64], pm[300];
	char *helo, *sender, *rdns, *authserv, *domain, *rawip, *incoming;
	const char *client;
	struct vg_ar_method m[3];
	struct vstr ar, rspf;
	int n = 0, eqs = 0;

	memset(&ip, 0, sizeof(ip));
	for (i = 0; i < 16; i++)
		ip.b[i] = (unsigned char)fuzz_byte(&in);
	ip.v4 = ip.b[0] & 1;
	if (ip.v4) {
		static const unsigned char mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };
		memcpy(ip.b, mapped, sizeof(mapped));
	}
	vg_ip_format(&ip, ipbuf, sizeof(ipbuf));
	helo = fuzz_str(&in);
	sender = fuzz_str(&in);
	rdns = fuzz_str(&in);
	authserv = fuzz_str(&in);
	domain = fuzz_str(&in);
	rawip = fuzz_str(&in);
	incoming = fuzz_str(&in);
	client = (what & 8) ? rawip : ipbuf;
	/* As policy.c does it: the null sender is postmaster@HELO for SPF. */
	snprintf(pm, sizeof(pm), "postmaster@%s", helo);

	memset(m, 0, sizeof(m));
	if (what & 1) {
		m[n] = (struct vg_ar_method){ "spf", results[res % 7], "smtp", "mailfrom",
		    sender[0] ? sender : pm, 1, NULL };
		eqs += m[n].value[0] ? 2 : 1;
		n++;
	}
	if (what & 2) {
		m[n] = (struct vg_ar_method){ "spf", results[(res >> 3) % 7], "smtp", "helo", helo, 0, NULL };
		eqs += helo[0] ? 2 : 1;
		n++;
	}
	if (what & 4) {
		m[n] = (struct vg_ar_method){ "iprev", (res & 0x40) ? "pass" : "fail", "policy", "iprev",
		    client, 0, rdns[0] ? rdns : NULL };
		eqs += client[0] ? 2 : 1;
		n++;
	}
	vstr_init(&ar, 0);
	vg_hdr_auth_results(&ar, authserv, m, n);
	check_field("Authentication-Results", &ar, !(what & 8), n > 0 ? n : 1, eqs);  /* n == 0: "; none" */
	/*
	 * Our own header claims our authserv-id (localhost when the name is
	 * unusable).  A configured name with a trailing dot is left out: the
	 * test drops one trailing dot of the value before it compares.
	 */
	if (!hostname_like(authserv) || authserv[strlen(authserv) - 1] != '.') {
		const char *id = hostname_like(authserv) ? authserv : "localhost";
		FUZZ_ASSERT(vg_hdr_claims_authserv(ar.buf, id), "our A-R does not claim '%s': %s", id, ar.buf);
	}
	vstr_free(&ar);

	vstr_init(&rspf, 0);
	vg_hdr_received_spf(&rspf, results[res % 7], authserv, client, sender[0] ? sender : "<>", helo,
	    (what & 16) ? "helo" : "mailfrom", domain);
	check_field("Received-SPF", &rspf, !(what & 8), 5, 5);
	vstr_free(&rspf);

	/* The forged A-R test: any value, ours or the fuzzer's authserv-id. */
	(void)vg_hdr_claims_authserv(incoming, authserv);
	(void)vg_hdr_claims_authserv(incoming, "mx.example.org");

	/* vg_hdr_add_value alone: a token or a quoted-string of printable ASCII. */
	vstr_init(&ar, 0);
	vg_hdr_add_value(&ar, incoming, 200);
	check_field("X-Value", &ar, 1, 0, 0);
	vstr_free(&ar);

	free(helo);
	free(sender);
	free(rdns);
	free(authserv);
	free(domain);
	free(rawip);
	free(incoming);
	return 0;
}
