/**
 * @file spf.c
 * SPF (RFC 7208) on libspf2, with vigie's DNS and vigie's rules.
 *
 * Who does what.  libspf2 runs check_host(): it walks each record's
 * mechanisms in order, applies the qualifiers, matches ip4/ip6/a/mx
 * addresses against the client with their CIDR lengths, recurses into
 * include: and redirect=, and decides pass/fail/softfail/neutral.  It
 * gets every byte of DNS from this file, through a custom
 * SPF_dns_server_t (lookup and get_spf hooks) answered from the
 * connection's vigie batch: same servers, timeouts, cache and deadline
 * as the other checks; libspf2's own resolver (res_nquery) is never
 * created.  vigie fetches and selects the records itself (zero v=spf1
 * records: none; two or more: permerror), validates each record against
 * the RFC 7208 section 12 grammar before libspf2 sees it, and hands
 * libspf2 a rewritten record in which every domain-spec is an opaque
 * token, e.g.
 *
 *     v=spf1 a:%{i}.x.example/24 ptr include:_spf.example ~all
 *  -> v=spf1 +a:vgNONCE-0.invalid/24 +exists:vgNONCE-1.invalid
 *            +include:vgNONCE-2.invalid ~all
 *
 * When libspf2 asks for a token, the hook knows exactly which term of
 * which record is being evaluated: it expands the real domain-spec with
 * vigie's macro expander, counts the term, looks the name up through the
 * batch and answers.  This is how the gaps of libspf2 1.2.10 are closed:
 *
 *  - at most 10 DNS-querying terms per evaluation, counted across
 *    include: and redirect= (libspf2 counts per include level, and only
 *    checks before the next mechanism), and at most 2 void lookups
 *    (libspf2 has no limit): past a limit the hook records permerror and
 *    answers "try again" to everything, which unwinds libspf2 at once;
 *  - more than 10 MX names is permerror even if one of the first ten
 *    matches; only the first 10 PTR names are used (libspf2 gives
 *    permerror), and a DNS error on the PTR or on a name's address lookup
 *    makes ptr not match or skips the name (RFC 7208 5.5; libspf2 gives
 *    temperror): ptr is evaluated here and handed to libspf2 as exists:;
 *  - /0 prefixes (libspf2 rejects them as a syntax error): ip4:x/0 is
 *    passed as two /1 networks, a/0 and mx/0 as the default length with
 *    the hook answering the client's own address whenever the name has
 *    any address of the client's family;
 *  - the record grammar (libspf2 accepts bad macros, bad top labels,
 *    duplicate redirect=/exp=, control and 8-bit bytes...): checked by
 *    vg_spf_record_check first;
 *  - macros: expanded here (RFC 7208 section 7, domain names over 253
 *    bytes truncated on the left), libspf2 never expands one; the
 *    explanation is fetched and expanded here too, sanitised and bounded
 *    (libspf2 treats a literal space as an escape and drops macros after
 *    it, and reads an "exp-text=" modifier); modifiers other than
 *    redirect= are not passed to libspf2 at all;
 *  - redirect= is always passed last (libspf2 evaluates it where it
 *    stands, before the mechanisms after it);
 *  - libspf2 silently drops the mechanisms of a record past about 511
 *    compiled bytes (some 60 ip4: or 25 ip6: terms): long records are cut
 *    into chunks chained by an internal redirect= that continues with the
 *    next chunk (not counted as a term);
 *  - an IPv4-mapped client is given to libspf2 as IPv4; loopback clients
 *    get no free pass (libspf2's query functions pass 127/8 without
 *    looking, so vigie calls SPF_record_interpret directly);
 *  - every libspf2 outcome (SPF_RESULT_*, including INVALID, and error
 *    codes) is mapped to exactly one RFC 7208 result (map_result).
 *
 * Threads.  libspf2 keeps no mutable global state on this path: the
 * only writable data in libspf2.a are the four log handler pointers
 * (read, never written here) and spf_dns_resolv's pthread key, and the
 * resolver layers that share state (spf_dns_resolv: res_nquery with a
 * per-thread resolver state; spf_dns_cache: a mutex-protected cache) are
 * never created.
 * SPF_server_t, SPF_request_t, SPF_response_t and compiled records are
 * plain heap objects without locks: they may not be used by two threads
 * at once, and the SPF_server_t holds the DNS layer whose hook points at
 * one evaluation.  So each evaluation creates its own server, request,
 * response and records and frees them before returning: nothing of
 * libspf2 is shared between threads.  A server costs about 1 us to create
 * and free (measured on the development machine: 10000 in 7 ms), noise
 * next to one DNS round trip.  The shared parts are vigie's: the DNS cache
 * (thread-safe, see dns.h).  t/spf.t runs many evaluations in several
 * threads under helgrind.
 */
#include "config.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

#include <spf2/spf.h>

#include "spf.h"
#include "util.h"

#define MAX_DNS_TERMS  10     /**< RFC 7208 4.6.4: DNS-querying terms per evaluation */
#define MAX_VOID       2      /**< RFC 7208 4.6.4: void lookups per evaluation */
#define MAX_MX_NAMES   10     /**< RFC 7208 4.6.4: MX names per mx term */
#define MAX_PTR_NAMES  10     /**< RFC 7208 4.6.4: PTR names used per ptr term or %{p} */
#define MAX_EXPANSION  8192   /**< a macro-string expanding past this is refused */
#define MAX_DOMAIN     253    /**< RFC 7208 7.3: expanded names are cut on the left to this */
#define CHUNK_BUDGET   400    /**< estimated compiled bytes per libspf2 record (it drops past 511) */
#define TOKEN_SUFFIX   ".invalid"

/* ------------------------------------------------------------------ */
/* Results                                                            */
/* ------------------------------------------------------------------ */

const char *vg_spf_result_name(enum vg_spf_result r)
{
	switch (r) {
	case VG_SPF_PASS: return "pass";
	case VG_SPF_FAIL: return "fail";
	case VG_SPF_SOFTFAIL: return "softfail";
	case VG_SPF_NEUTRAL: return "neutral";
	case VG_SPF_NONE: return "none";
	case VG_SPF_TEMPERROR: return "temperror";
	case VG_SPF_PERMERROR: return "permerror";
	}
	return "permerror";
}

/* ------------------------------------------------------------------ */
/* The record grammar (RFC 7208 section 12)                           */
/* ------------------------------------------------------------------ */

/** Term kinds: the mechanisms, then the modifiers. */
enum kind {
	K_ALL, K_INCLUDE, K_A, K_MX, K_PTR, K_IP4, K_IP6, K_EXISTS,
	K_REDIRECT, K_EXP, K_UNKNOWN
};

/** One term of a record; text pointers point into the record. */
struct term {
	enum kind kind;
	char qual;               /**< '+', '-', '~' or '?' (mechanisms) */
	const char *spec;        /**< domain-spec, or an unknown modifier's value; NULL when absent */
	size_t speclen;
	int cidr4, cidr6;        /**< prefix lengths, -1 when not given */
	unsigned char addr[16];  /**< ip4: 4 bytes, ip6: 16 bytes */
};

/** A parsed record. */
struct rec {
	struct term *t;
	size_t n, cap;
	int redirect, exp;       /**< index of the modifier, or -1 */
};

/** What a macro-string may contain. */
enum mmode {
	M_DOMAIN,     /**< a domain-spec: macro letters except c, r, t */
	M_MODIFIER,   /**< an unknown modifier's value: any macro letter */
	M_EXPLAIN     /**< an explanation: any macro letter, and spaces */
};

/** Mechanism names. */
static const struct { const char *name; enum kind kind; } mechs[] = {
	{ "all", K_ALL }, { "include", K_INCLUDE }, { "a", K_A }, { "mx", K_MX },
	{ "ptr", K_PTR }, { "ip4", K_IP4 }, { "ip6", K_IP6 }, { "exists", K_EXISTS },
};

/** Is c an ASCII letter? */
static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/** Is c an ASCII digit? */
static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/** Is c a macro delimiter (RFC 7208 7.1)? */
static int is_delim(int c)
{
	return c != '\0' && strchr(".-+,/_=", c) != NULL;
}

/** Record why a check failed: "REASON in \"TERM\"" (the term shortened and sanitised). */
static void set_why(char *why, size_t whysz, const char *reason, const char *term, size_t termlen)
{
	char t[48];
	size_t i, n = termlen < sizeof(t) - 4 ? termlen : sizeof(t) - 4;

	if (why == NULL || whysz == 0)
		return;
	if (term == NULL) {
		snprintf(why, whysz, "%s", reason);
		return;
	}
	for (i = 0; i < n; i++)
		t[i] = vg_isprint((unsigned char)term[i]) ? term[i] : '?';
	if (n < termlen)
		memcpy(t + n, "...", 3), n += 3;
	t[n] = '\0';
	snprintf(why, whysz, "%s in \"%s\"", reason, t);
}

/**
 * Check one macro-expand starting at s[0] == '%'.
 * @param used set to its length
 * @return NULL if valid, else the reason
 */
static const char *check_macro(const char *s, size_t n, enum mmode mode, size_t *used)
{
	size_t i;
	unsigned long v = 0;
	int c, digits = 0;

	if (n < 2)
		return "'%' at the end of a macro-string";
	if (s[1] == '%' || s[1] == '_' || s[1] == '-') {
		*used = 2;
		return NULL;
	}
	if (s[1] != '{')
		return "'%' not followed by '%', '_', '-' or '{'";
	if (n < 3)
		return "unterminated macro";
	c = s[2] | 0x20;
	if (!is_alpha(s[2]) || strchr("slodiphcrtv", c) == NULL)
		return "unknown macro letter";
	if (mode == M_DOMAIN && (c == 'c' || c == 'r' || c == 't'))
		return "macro %{c}, %{r} or %{t} outside an explanation";
	for (i = 3; i < n && is_digit(s[i]); i++) {
		digits = 1;
		if (v < 100000)
			v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (digits && v == 0)
		return "macro transformer 0";
	if (i < n && (s[i] == 'r' || s[i] == 'R'))
		i++;
	while (i < n && is_delim(s[i]))
		i++;
	if (i >= n || s[i] != '}')
		return "bad or unterminated macro";
	*used = i + 1;
	return NULL;
}

/**
 * Check a macro-string (or explain-string with M_EXPLAIN).
 * @param tail set to the start of the trailing run of literal characters
 *             (n when the string ends with a macro-expand); may be NULL
 * @return NULL if valid, else the reason
 */
static const char *check_macro_string(const char *s, size_t n, enum mmode mode, size_t *tail)
{
	size_t i = 0, used, lit = 0;
	const char *bad;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if ((bad = check_macro(s + i, n - i, mode, &used)) != NULL)
				return bad;
			i += used;
			lit = i;
		} else if (c == ' ' && mode == M_EXPLAIN) {
			i++;
		} else if (c > 0x20 && c < 0x7f) {
			i++;
		} else {
			return c < 0x20 || c == 0x7f ? "control character" : c == ' ' ? "space" : "non-ASCII byte";
		}
	}
	if (tail != NULL)
		*tail = lit;
	return NULL;
}

/** Does s[0..n) match toplabel (RFC 7208 section 7.1)? */
static int toplabel_ok(const char *s, size_t n)
{
	size_t i;
	int alpha = 0, hyphen = 0;

	if (n == 0 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		if (is_alpha(s[i]))
			alpha = 1;
		else if (s[i] == '-')
			hyphen = 1;
		else if (!is_digit(s[i]))
			return 0;
	}
	/* *alphanum ALPHA *alphanum, or 1*alphanum "-" *(alphanum / "-") alphanum */
	return alpha || hyphen;
}

/** Check a domain-spec: macro-string domain-end.  NULL if valid, else the reason. */
static const char *check_domain_spec(const char *s, size_t n)
{
	size_t tail, end, dot;
	const char *bad;

	if (n == 0)
		return "empty domain-spec";
	if ((bad = check_macro_string(s, n, M_DOMAIN, &tail)) != NULL)
		return bad;
	if (tail == n)
		return NULL;                    /* domain-end = macro-expand */
	end = n;
	if (s[end - 1] == '.')
		end--;                          /* "." toplabel "." */
	for (dot = end; dot > tail && s[dot - 1] != '.'; dot--)
		;
	if (dot == tail || !toplabel_ok(s + dot, end - dot))
		return "bad top label";
	return NULL;
}

/** Parse a CIDR length of at most max, no leading zero.  -1 if invalid. */
static int parse_len(const char *s, size_t n, int max)
{
	int v = 0;
	size_t i;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

/**
 * Take "/N" off the end of s[0..*n): a trailing slash followed by digits.
 * @return 1 found (*len set, *n shortened), 0 none, -1 an invalid length
 */
static int take_len(const char *s, size_t *n, int max, int *len)
{
	size_t i = *n;

	while (i > 0 && is_digit(s[i - 1]))
		i--;
	if (i == *n || i == 0 || s[i - 1] != '/')
		return 0;
	if ((*len = parse_len(s + i, *n - i, max)) < 0)
		return -1;
	*n = i - 1;
	return 1;
}

/** Parse an ip4-network (dotted quad, no leading zeros) into 4 bytes; -1 if invalid. */
static int parse_ip4(const char *s, size_t n, unsigned char *out)
{
	size_t i = 0, start;
	int part;

	for (part = 0; part < 4; part++) {
		int v;

		start = i;
		while (i < n && is_digit(s[i]))
			i++;
		if ((v = parse_len(s + start, i - start, 255)) < 0)
			return -1;
		out[part] = (unsigned char)v;
		if (part < 3) {
			if (i >= n || s[i] != '.')
				return -1;
			i++;
		}
	}
	return i == n ? 0 : -1;
}

/** Parse an ip6-network (RFC 4291 2.2) into 16 bytes; -1 if invalid. */
static int parse_ip6(const char *s, size_t n, unsigned char *out)
{
	char buf[INET6_ADDRSTRLEN];
	size_t i;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	for (i = 0; i < n; i++)
		if (!is_digit(s[i]) && !strchr("abcdefABCDEF:.", s[i]))
			return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, out) == 1 ? 0 : -1;
}

/** Append a term to a record; -1 when out of memory. */
static int rec_add(struct rec *r, const struct term *t)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct term *v = realloc(r->t, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		r->t = v;
		r->cap = cap;
	}
	r->t[r->n++] = *t;
	return 0;
}

/** Free a parsed record's terms. */
static void rec_free(struct rec *r)
{
	free(r->t);
	memset(r, 0, sizeof(*r));
	r->redirect = r->exp = -1;
}

/**
 * Parse a mechanism term (qualifier already taken).
 * @return NULL if valid, else the reason
 */
static const char *parse_mechanism(const char *s, size_t n, struct term *t)
{
	size_t i, k, argn;
	const char *arg;
	int r;

	for (i = 0; i < n && (is_alpha(s[i]) || is_digit(s[i])); i++)
		;
	for (k = 0; k < sizeof(mechs) / sizeof(mechs[0]); k++)
		if (strlen(mechs[k].name) == i && strncasecmp(s, mechs[k].name, i) == 0)
			break;
	if (i == 0 || k == sizeof(mechs) / sizeof(mechs[0]) || (i < n && s[i] != ':' && s[i] != '/'))
		return "unknown mechanism";
	t->kind = mechs[k].kind;
	arg = s + i;
	argn = n - i;
	switch (t->kind) {
	case K_ALL:
		return argn == 0 ? NULL : "all takes no argument";
	case K_INCLUDE:
	case K_EXISTS:
		if (argn < 2 || arg[0] != ':')
			return "missing domain-spec";
		t->spec = arg + 1;
		t->speclen = argn - 1;
		return check_domain_spec(t->spec, t->speclen);
	case K_PTR:
		if (argn == 0)
			return NULL;
		if (argn < 2 || arg[0] != ':')
			return "bad ptr argument";
		t->spec = arg + 1;
		t->speclen = argn - 1;
		return check_domain_spec(t->spec, t->speclen);
	case K_A:
	case K_MX:
		/* dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ] */
		if ((r = take_len(arg, &argn, 128, &t->cidr6)) < 0)
			return "bad CIDR length";
		if (r > 0 && (argn == 0 || arg[argn - 1] != '/')) {
			/* that was an ip4-cidr-length after all */
			if (t->cidr6 > 32)
				return "bad CIDR length";
			t->cidr4 = t->cidr6;
			t->cidr6 = -1;
		} else if (r > 0) {
			argn--;
			if (take_len(arg, &argn, 32, &t->cidr4) < 0)
				return "bad CIDR length";
		}
		if (argn == 0)
			return NULL;
		if (argn < 2 || arg[0] != ':')
			return "bad argument";
		t->spec = arg + 1;
		t->speclen = argn - 1;
		return check_domain_spec(t->spec, t->speclen);
	case K_IP4:
		if (argn < 2 || arg[0] != ':')
			return "missing ip4-network";
		arg++, argn--;
		if (take_len(arg, &argn, 32, &t->cidr4) < 0)
			return "bad CIDR length";
		return parse_ip4(arg, argn, t->addr) == 0 ? NULL : "bad ip4-network";
	case K_IP6:
		if (argn < 2 || arg[0] != ':')
			return "missing ip6-network";
		arg++, argn--;
		if (take_len(arg, &argn, 128, &t->cidr6) < 0)
			return "bad CIDR length";
		return parse_ip6(arg, argn, t->addr) == 0 ? NULL : "bad ip6-network";
	default:
		return "unknown mechanism";
	}
}

/**
 * Parse one term s[0..n) (no spaces) into t.
 * @return NULL if valid, else the reason
 */
static const char *parse_term(const char *s, size_t n, struct term *t)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->cidr4 = t->cidr6 = -1;
	/* modifier: name "=" ..., name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) */
	if (is_alpha(s[0])) {
		for (i = 1; i < n && (is_alpha(s[i]) || is_digit(s[i]) || strchr("-_.", s[i])); i++)
			;
		if (i < n && s[i] == '=') {
			t->spec = s + i + 1;
			t->speclen = n - i - 1;
			if (i == 8 && strncasecmp(s, "redirect", 8) == 0)
				t->kind = K_REDIRECT;
			else if (i == 3 && strncasecmp(s, "exp", 3) == 0)
				t->kind = K_EXP;
			else
				t->kind = K_UNKNOWN;
			if (t->kind == K_UNKNOWN)
				return check_macro_string(t->spec, t->speclen, M_MODIFIER, NULL);
			return check_domain_spec(t->spec, t->speclen);
		}
	}
	t->qual = '+';
	if (strchr("+-~?", s[0]) != NULL) {
		t->qual = s[0];
		s++, n--;
		if (n == 0)
			return "qualifier without a mechanism";
	}
	return parse_mechanism(s, n, t);
}

/**
 * Parse a whole record.  r is filled (terms point into text) and must be
 * freed with rec_free, also on failure.
 * @return 0, -1 invalid (why set), -2 out of memory
 */
static int parse_record(const char *text, struct rec *r, char *why, size_t whysz)
{
	const char *p, *end;
	size_t i, n;

	memset(r, 0, sizeof(*r));
	r->redirect = r->exp = -1;
	if (text == NULL) {
		set_why(why, whysz, "no record", NULL, 0);
		return -1;
	}
	for (i = 0; text[i] != '\0'; i++) {
		if (!vg_isprint((unsigned char)text[i])) {
			set_why(why, whysz, (unsigned char)text[i] >= 0x80 ? "non-ASCII byte in the record" :
			    "control character in the record", NULL, 0);
			return -1;
		}
	}
	if (strncasecmp(text, "v=spf1", 6) != 0 || (text[6] != ' ' && text[6] != '\0')) {
		set_why(why, whysz, "not a v=spf1 record", NULL, 0);
		return -1;
	}
	p = text + 6;
	while (*p != '\0') {
		struct term t;
		const char *bad;

		if (*p != ' ') {
			set_why(why, whysz, "terms must be separated by spaces", NULL, 0);
			return -1;
		}
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		end = strchr(p, ' ');
		n = end ? (size_t)(end - p) : strlen(p);
		if ((bad = parse_term(p, n, &t)) != NULL) {
			set_why(why, whysz, bad, p, n);
			return -1;
		}
		if (t.kind == K_REDIRECT || t.kind == K_EXP) {
			int *slot = t.kind == K_REDIRECT ? &r->redirect : &r->exp;

			if (*slot >= 0) {
				set_why(why, whysz, t.kind == K_REDIRECT ? "redirect= given twice" : "exp= given twice",
				    p, n);
				return -1;
			}
			*slot = (int)r->n;
		}
		if (rec_add(r, &t) < 0) {
			set_why(why, whysz, "out of memory", NULL, 0);
			return -2;
		}
		p += n;
	}
	return 0;
}

int vg_spf_record_check(const char *record, char *why, size_t whysz)
{
	struct rec r;
	int rc;

	if (why != NULL && whysz > 0)
		why[0] = '\0';
	rc = parse_record(record, &r, why, whysz);
	rec_free(&r);
	return rc == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Evaluation state                                                   */
/* ------------------------------------------------------------------ */

/** A record reached during the evaluation (the first one, includes, redirects). */
struct frame {
	char domain[VG_DNS_NAME_MAX + 1];  /**< its domain, the %{d} of its terms */
	char *text;                        /**< the record as published (owned); r points into it */
	struct rec r;
	size_t *chunk;                     /**< chunk k = mechanisms [chunk[k], chunk[k+1]) */
	size_t nchunk;
	int next;                          /**< the frame its redirect= led to, or -1 */
};

/** What a token stands for. */
struct tok {
	int frame;
	int term;      /**< the term of frame whose domain-spec it replaces, or -1 */
	int chunk;     /**< or: continue with this chunk of frame (internal redirect), else -1 */
};

/** One evaluation. */
struct eval {
	struct vg_dns_batch *batch;
	int64_t deadline;
	struct vg_ip ip;
	int v4;
	char *sender, *local, *sdomain, *helo, *receiver;   /**< owned */
	char nonce[20];                /**< "vg" + 16 hex digits: token prefix */
	struct frame **f;              /**< individually allocated: libspf2 keeps f[0]->domain */
	size_t nf, capf;
	struct tok *tk;
	size_t ntk, captk;
	int terms, voids;
	int abort;                     /**< a result vigie decided (VG_SPF_*), or -1 */
	int oom;
	int have_problem;
	char problem[sizeof(((struct vg_spf_outcome *)0)->problem)];
	int mx_tok;                    /**< the mx term whose hosts libspf2 asks for, or -1 */
	const struct vg_dns_answer *mx_ans;
	int ptr_done, ptr_void;        /**< validated names found; the PTR lookup was void */
	const char *ptr_names[MAX_PTR_NAMES];   /**< validated PTR names (in batch answers) */
	size_t nptr;
	SPF_dns_server_t dns;          /**< the layer libspf2 asks; hook = this */
	SPF_server_t *srv;
	SPF_request_t *req;
};

/** Set the problem text (keeps the first one unless force). */
static void problem(struct eval *e, int force, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void problem(struct eval *e, int force, const char *fmt, ...)
{
	va_list ap;

	if (e->have_problem && !force)
		return;
	va_start(ap, fmt);
	vsnprintf(e->problem, sizeof(e->problem), fmt, ap);
	va_end(ap);
	e->have_problem = 1;
}

/** vigie decides the result (permerror past a limit, ...): libspf2 is unwound. */
static void stop(struct eval *e, enum vg_spf_result r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void stop(struct eval *e, enum vg_spf_result r, const char *fmt, ...)
{
	va_list ap;

	if (e->abort >= 0)
		return;
	e->abort = (int)r;
	va_start(ap, fmt);
	vsnprintf(e->problem, sizeof(e->problem), fmt, ap);
	va_end(ap);
	e->have_problem = 1;
}

/** Out of memory: temperror. */
static void nomem(struct eval *e)
{
	e->oom = 1;
	stop(e, VG_SPF_TEMPERROR, "out of memory");
}

/** A printable copy of a name for messages (at most 60 bytes). */
static const char *shown(const char *s, char *buf, size_t bufsz)
{
	if (vg_clean_copy(buf, bufsz, s ? s : "") && bufsz > 4)
		memcpy(buf + bufsz - 4, "...", 4);
	return buf;
}

/** Count a DNS-querying term; -1 (and permerror) past the limit. */
static int count_term(struct eval *e)
{
	if (++e->terms > MAX_DNS_TERMS) {
		stop(e, VG_SPF_PERMERROR, "more than %d DNS-querying terms", MAX_DNS_TERMS);
		return -1;
	}
	return 0;
}

/** Count a void lookup of a term; -1 (and permerror) past the limit. */
static int count_void(struct eval *e)
{
	if (++e->voids > MAX_VOID) {
		stop(e, VG_SPF_PERMERROR, "more than %d void lookups", MAX_VOID);
		return -1;
	}
	return 0;
}

/**
 * Look (name, type) up through the batch and wait for it, within the
 * deadline.
 * @param note a temporary failure makes the result temperror: say why
 * @return the answer (owned by the batch), or NULL when name is not a
 *         usable DNS name
 */
static const struct vg_dns_answer *dns_get(struct eval *e, const char *name, uint16_t type, int note)
{
	const struct vg_dns_answer *a;
	char b[64];
	int idx = vg_dns_add(e->batch, name, type);

	if (idx < 0)
		return NULL;
	vg_dns_wait(e->batch, &idx, 1, e->deadline);
	a = vg_dns_result(e->batch, idx);
	if (note && (a == NULL || a->status == VG_DNS_TEMPFAIL))
		problem(e, 0, "DNS %s %s: %s", shown(name, b, sizeof(b)), vg_dns_type_name(type),
		    a ? a->why : "timeout");
	return a;
}

/* ------------------------------------------------------------------ */
/* Macro expansion (RFC 7208 section 7)                               */
/* ------------------------------------------------------------------ */

static void ptr_find(struct eval *e);

/** The %{p} value for current domain dom: a validated name, preferring dom and its subdomains. */
static const char *macro_p(struct eval *e, const char *dom)
{
	size_t i, dl = strlen(dom);

	ptr_find(e);
	if (e->nptr == 0)
		return "unknown";
	for (i = 0; i < e->nptr; i++)
		if (vg_strcaseeq(e->ptr_names[i], dom))
			return e->ptr_names[i];
	for (i = 0; i < e->nptr; i++) {
		size_t nl = strlen(e->ptr_names[i]);

		if (nl > dl && e->ptr_names[i][nl - dl - 1] == '.' && vg_strcaseeq(e->ptr_names[i] + nl - dl, dom))
			return e->ptr_names[i];
	}
	return e->ptr_names[0];
}

/** The value of macro letter c (lower case) for current domain dom, in buf if computed. */
static const char *macro_value(struct eval *e, int c, const char *dom, char *buf, size_t bufsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, k = 0;

	switch (c) {
	case 's': return e->sender;
	case 'l': return e->local;
	case 'o': return e->sdomain;
	case 'd': return dom;
	case 'h': return e->helo[0] ? e->helo : "unknown";
	case 'r': return e->receiver[0] ? e->receiver : "unknown";
	case 'v': return e->v4 ? "in-addr" : "ip6";
	case 'p': return macro_p(e, dom);
	case 't':
		snprintf(buf, bufsz, "%lld", (long long)time(NULL));
		return buf;
	case 'c':
		vg_ip_format(&e->ip, buf, bufsz);
		return buf;
	case 'i':
		if (e->v4) {
			snprintf(buf, bufsz, "%u.%u.%u.%u", e->ip.b[12], e->ip.b[13], e->ip.b[14], e->ip.b[15]);
			return buf;
		}
		/* dot-format: 32 nibbles, most significant first */
		for (i = 0; i < 16 && k + 4 < bufsz; i++) {
			buf[k++] = hex[e->ip.b[i] >> 4];
			buf[k++] = '.';
			buf[k++] = hex[e->ip.b[i] & 0x0f];
			buf[k++] = i < 15 ? '.' : '\0';
		}
		buf[bufsz - 1] = '\0';
		return buf;
	default:
		return "";
	}
}

/**
 * Append the transformed value: split on the delimiters (default "."),
 * reversed if rev, the rightmost nparts parts if nparts > 0, joined
 * with ".", URL-escaped if url.
 */
static void macro_transform(struct vstr *out, const char *v, const char *delims, size_t ndelims,
    int rev, unsigned long nparts, int url)
{
	size_t len = strlen(v), nparts_all = 1, i, first, k;
	size_t *start;
	struct vstr part;

	for (i = 0; i < len; i++)
		if ((ndelims == 0 && v[i] == '.') || (ndelims > 0 && memchr(delims, v[i], ndelims) != NULL))
			nparts_all++;
	start = malloc((nparts_all + 1) * sizeof(*start));
	if (start == NULL) {
		out->oom = 1;
		return;
	}
	/* start[k] = first byte of part k; start[nparts_all] = len + 1 */
	start[0] = 0;
	for (i = 0, k = 1; i < len; i++)
		if ((ndelims == 0 && v[i] == '.') || (ndelims > 0 && memchr(delims, v[i], ndelims) != NULL))
			start[k++] = i + 1;
	start[k] = len + 1;
	first = nparts > 0 && nparts < nparts_all ? nparts_all - nparts : 0;
	vstr_init(&part, MAX_EXPANSION);
	for (i = first; i < nparts_all; i++) {
		size_t p = rev ? nparts_all - 1 - i : i;   /* reverse first, then keep the right-hand parts */

		if (i > first)
			vstr_addc(&part, '.');
		vstr_addn(&part, v + start[p], start[p + 1] - 1 - start[p]);
	}
	free(start);
	if (!url) {
		vstr_addn(out, part.buf, part.len);
	} else {
		static const char hex[] = "0123456789ABCDEF";

		for (i = 0; i < part.len; i++) {
			unsigned char c = (unsigned char)part.buf[i];

			if (is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~') {
				vstr_addc(out, (char)c);
			} else {
				vstr_addc(out, '%');
				vstr_addc(out, hex[c >> 4]);
				vstr_addc(out, hex[c & 0x0f]);
			}
		}
	}
	if (part.oom)
		out->oom = 1;
	vstr_free(&part);
}

/**
 * Expand a macro-string already checked by check_macro_string.
 * @param dom the current domain (%{d})
 * @return 0, or -1 (out of memory, or longer than MAX_EXPANSION)
 */
static int expand(struct eval *e, const char *dom, const char *s, size_t n, struct vstr *out)
{
	size_t i = 0;

	vstr_init(out, MAX_EXPANSION);
	while (i < n) {
		char buf[80];
		const char *v, *delims;
		unsigned long nparts = 0;
		size_t ndelims;
		int c, url, rev = 0;

		if (s[i] != '%') {
			vstr_addc(out, s[i++]);
			continue;
		}
		if (i + 1 >= n)
			return -1;
		switch (s[i + 1]) {
		case '%': vstr_addc(out, '%'); i += 2; continue;
		case '_': vstr_addc(out, ' '); i += 2; continue;
		case '-': vstr_adds(out, "%20"); i += 2; continue;
		case '{': break;
		default: return -1;
		}
		if (i + 2 >= n)
			return -1;
		c = s[i + 2];
		url = c >= 'A' && c <= 'Z';
		c |= 0x20;
		for (i += 3; i < n && is_digit(s[i]); i++)
			if (nparts < 100000)
				nparts = nparts * 10 + (unsigned long)(s[i] - '0');
		if (i < n && (s[i] == 'r' || s[i] == 'R'))
			rev = 1, i++;
		delims = s + i;
		for (ndelims = 0; i < n && is_delim(s[i]); i++)
			ndelims++;
		if (i >= n || s[i] != '}')
			return -1;
		i++;
		v = macro_value(e, c, dom, buf, sizeof(buf));
		macro_transform(out, v, delims, ndelims, rev, nparts, url);
	}
	if (out->oom)
		nomem(e);
	return out->oom || out->truncated ? -1 : 0;
}

/**
 * Make an expanded string a name to look up: one trailing dot dropped,
 * cut on the left to 253 bytes by whole labels (RFC 7208 7.3), then
 * checked as a DNS name (no empty label, labels up to 63 bytes,
 * printable, no space or backslash).
 * @return 0, or -1 if it cannot be looked up
 */
static int fix_name(char *s)
{
	char scratch[VG_DNS_NAME_MAX + 1];
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '.')
		s[--n] = '\0';
	while (n > MAX_DOMAIN) {
		char *dot = strchr(s, '.');

		if (dot == NULL)
			return -1;
		n -= (size_t)(dot + 1 - s);
		memmove(s, dot + 1, n + 1);
	}
	if (n == 0 || s[n - 1] == '.')
		return -1;               /* empty, or an empty last label ("a..") */
	return vg_dns_name_norm(s, scratch);
}

/**
 * The name a term targets: its domain-spec expanded, or the frame's
 * domain when it has none.
 * @return 0 (name set), -1 not a usable name, -2 out of memory
 */
static int target(struct eval *e, int fi, const struct term *t, char *name, size_t namesz)
{
	struct vstr v;
	int rc = 0;

	if (t->spec == NULL) {
		vg_strlcpy(name, e->f[fi]->domain, namesz);
		return 0;
	}
	if (expand(e, e->f[fi]->domain, t->spec, t->speclen, &v) < 0) {
		rc = e->oom ? -2 : -1;
	} else if (fix_name(v.buf) < 0 || strlen(v.buf) >= namesz) {
		rc = -1;
	} else {
		vg_strlcpy(name, v.buf, namesz);
		vg_lower(name);
	}
	vstr_free(&v);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Records: fetch, select, validate; rewrite for libspf2               */
/* ------------------------------------------------------------------ */

/** What fetching a domain's record gave. */
enum fetch { FETCH_OK, FETCH_NONE, FETCH_VOID, FETCH_TEMP, FETCH_PERM };

/** Free a frame. */
static void frame_free(struct frame *f)
{
	if (f == NULL)
		return;
	rec_free(&f->r);
	free(f->chunk);
	free(f->text);
	free(f);
}

/** Estimated compiled size of mechanism t in libspf2 (4-byte aligned; generous). */
static size_t mech_cost(const struct term *t, size_t toklen)
{
	size_t str = 4 + ((4 + toklen + 7) & ~(size_t)7);

	switch (t->kind) {
	case K_ALL: return 4;
	case K_IP4: return t->cidr4 == 0 ? 16 : 8;
	case K_IP6: return t->cidr6 == 0 ? 40 : 20;
	case K_A:
	case K_MX: return str + 4;
	default: return str;
	}
}

/** Length of a token name. */
static size_t token_len(const struct eval *e)
{
	return strlen(e->nonce) + 1 + 10 + strlen(TOKEN_SUFFIX);
}

/** Cut frame fi's mechanisms into chunks that libspf2 compiles whole; -1 out of memory. */
static int plan_chunks(struct eval *e, struct frame *f)
{
	size_t i, used = 0, tl = token_len(e), nm = 0;

	for (i = 0; i < f->r.n; i++)
		if (f->r.t[i].kind < K_REDIRECT)
			nm++;
	f->chunk = malloc((nm + 2) * sizeof(*f->chunk));
	if (f->chunk == NULL)
		return -1;
	f->nchunk = 0;
	f->chunk[0] = 0;
	for (i = 0; i < f->r.n; i++) {
		size_t c;

		if (f->r.t[i].kind >= K_REDIRECT)
			continue;
		c = mech_cost(&f->r.t[i], tl);
		if (used > 0 && used + c > CHUNK_BUDGET) {
			f->chunk[++f->nchunk] = i;
			used = 0;
		}
		used += c;
	}
	f->chunk[++f->nchunk] = f->r.n;
	return 0;
}

/**
 * Fetch and select the SPF record of domain (RFC 7208 4.4, 4.5), check
 * its grammar, and add it as a new frame.
 * @param fi set to the new frame's index on FETCH_OK
 * @param why set on FETCH_PERM
 */
static enum fetch load_frame(struct eval *e, const char *domain, int *fi, char *why, size_t whysz)
{
	const struct vg_dns_answer *a = dns_get(e, domain, VG_T_TXT, 1);
	const char *found = NULL;
	struct frame *f;
	size_t i, count = 0;
	int rc;

	if (a == NULL)
		return FETCH_NONE;
	if (a->status == VG_DNS_TEMPFAIL)
		return FETCH_TEMP;
	if (a->status != VG_DNS_ANSWER)
		return FETCH_VOID;
	for (i = 0; i < a->n; i++) {
		const char *t = a->rr[i].text;

		if (t != NULL && strncasecmp(t, "v=spf1", 6) == 0 && (t[6] == ' ' || t[6] == '\0')) {
			found = t;
			count++;
		}
	}
	if (count == 0)
		return FETCH_NONE;
	if (count > 1) {
		snprintf(why, whysz, "%zu SPF records", count);
		return FETCH_PERM;
	}
	if (e->nf == e->capf) {
		size_t cap = e->capf ? e->capf * 2 : 4;
		struct frame **v = realloc(e->f, cap * sizeof(*v));

		if (v == NULL) {
			nomem(e);
			return FETCH_TEMP;
		}
		e->f = v;
		e->capf = cap;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL || (f->text = vg_strdup(found)) == NULL) {
		free(f);
		nomem(e);
		return FETCH_TEMP;
	}
	f->next = -1;
	vg_strlcpy(f->domain, domain, sizeof(f->domain));
	rc = parse_record(f->text, &f->r, why, whysz);
	if (rc == 0 && plan_chunks(e, f) < 0)
		rc = -2;
	if (rc < 0) {
		frame_free(f);
		if (rc == -2) {
			nomem(e);
			return FETCH_TEMP;
		}
		return FETCH_PERM;
	}
	e->f[e->nf] = f;
	*fi = (int)e->nf++;
	return FETCH_OK;
}

/** A new token for frame fi, term ti or chunk ci; writes its name into out; -1 out of memory. */
static int token_new(struct eval *e, int fi, int ti, int ci, struct vstr *out)
{
	if (e->ntk == e->captk) {
		size_t cap = e->captk ? e->captk * 2 : 32;
		struct tok *v = realloc(e->tk, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		e->tk = v;
		e->captk = cap;
	}
	e->tk[e->ntk].frame = fi;
	e->tk[e->ntk].term = ti;
	e->tk[e->ntk].chunk = ci;
	vstr_addf(out, "%s-%zu%s", e->nonce, e->ntk, TOKEN_SUFFIX);
	e->ntk++;
	return 0;
}

/** The token named name, or -1. */
static int token_find(const struct eval *e, const char *name)
{
	size_t pl = strlen(e->nonce), n, i;
	unsigned long v = 0;

	if (name == NULL || strncmp(name, e->nonce, pl) != 0 || name[pl] != '-')
		return -1;
	name += pl + 1;
	n = strlen(name);
	if (n <= strlen(TOKEN_SUFFIX) || strcmp(name + n - strlen(TOKEN_SUFFIX), TOKEN_SUFFIX) != 0)
		return -1;
	n -= strlen(TOKEN_SUFFIX);
	if (n == 0 || n > 9)
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_digit(name[i]))
			return -1;
		v = v * 10 + (unsigned long)(name[i] - '0');
	}
	return v < e->ntk ? (int)v : -1;
}

/** Append a CIDR length to a libspf2 term: "/N" (not for /0, see the file comment). */
static void add_len(struct vstr *s, const char *sep, int len)
{
	if (len > 0)
		vstr_addf(s, "%s%d", sep, len);
}

/**
 * The libspf2 text of chunk ci of frame fi: its mechanisms with tokens
 * for domain-specs, then redirect= (to the next chunk, or the record's
 * own redirect= in the last chunk).
 * @param nmech set to the number of mechanisms written
 * @return 0, or -1 out of memory
 */
static int chunk_text(struct eval *e, int fi, size_t ci, struct vstr *s, int *nmech)
{
	struct frame *f = e->f[fi];
	size_t i;
	char a[INET6_ADDRSTRLEN];

	*nmech = 0;
	vstr_adds(s, "v=spf1");
	for (i = f->chunk[ci]; i < f->chunk[ci + 1]; i++) {
		const struct term *t = &f->r.t[i];

		if (t->kind >= K_REDIRECT)
			continue;
		vstr_addc(s, ' ');
		vstr_addc(s, t->qual);
		(*nmech)++;
		switch (t->kind) {
		case K_ALL:
			vstr_adds(s, "all");
			break;
		case K_IP4:
			inet_ntop(AF_INET, t->addr, a, sizeof(a));
			if (t->cidr4 == 0) {
				vstr_addf(s, "ip4:0.0.0.0/1 %cip4:128.0.0.0/1", t->qual);
				(*nmech)++;
			} else {
				vstr_addf(s, "ip4:%s", a);
				add_len(s, "/", t->cidr4);
			}
			break;
		case K_IP6:
			inet_ntop(AF_INET6, t->addr, a, sizeof(a));
			if (t->cidr6 == 0) {
				vstr_addf(s, "ip6:::/1 %cip6:8000::/1", t->qual);
				(*nmech)++;
			} else {
				vstr_addf(s, "ip6:%s", a);
				add_len(s, "/", t->cidr6);
			}
			break;
		case K_A:
		case K_MX:
			vstr_adds(s, t->kind == K_A ? "a:" : "mx:");
			if (token_new(e, fi, (int)i, -1, s) < 0)
				return -1;
			add_len(s, "/", t->cidr4);
			add_len(s, "//", t->cidr6);
			break;
		case K_PTR:        /* evaluated here: see ptr_match */
		case K_EXISTS:
			vstr_adds(s, "exists:");
			if (token_new(e, fi, (int)i, -1, s) < 0)
				return -1;
			break;
		case K_INCLUDE:
			vstr_adds(s, "include:");
			if (token_new(e, fi, (int)i, -1, s) < 0)
				return -1;
			break;
		default:
			break;
		}
	}
	if (ci + 1 < f->nchunk) {
		vstr_adds(s, " redirect=");
		if (token_new(e, fi, -1, (int)ci + 1, s) < 0)
			return -1;
		(*nmech)++;
	} else if (f->r.redirect >= 0) {
		vstr_adds(s, " redirect=");
		if (token_new(e, fi, f->r.redirect, -1, s) < 0)
			return -1;
		(*nmech)++;
	}
	return s->oom ? -1 : 0;
}

/**
 * Compile chunk ci of frame fi for libspf2.
 * @return SPF_E_SUCCESS with *recp set, else an error (vigie's result recorded)
 */
static SPF_errcode_t compile_chunk(struct eval *e, int fi, size_t ci, SPF_record_t **recp)
{
	SPF_response_t *scratch;
	SPF_errcode_t err;
	struct vstr s;
	int nmech;
	char b[64];

	*recp = NULL;
	vstr_init(&s, 0);
	if (chunk_text(e, fi, ci, &s, &nmech) < 0 || (scratch = SPF_response_new(NULL)) == NULL) {
		vstr_free(&s);
		nomem(e);
		return SPF_E_NO_MEMORY;
	}
	err = SPF_record_compile(e->srv, scratch, recp, s.buf);
	SPF_response_free(scratch);
	vstr_free(&s);
	if (err == SPF_E_SUCCESS && (*recp == NULL || (*recp)->num_mech != nmech))
		err = SPF_E_BIG_MECH;
	if (err != SPF_E_SUCCESS) {
		if (*recp != NULL)
			SPF_record_free(*recp);
		*recp = NULL;
		if (err == SPF_E_NO_MEMORY)
			nomem(e);
		else
			stop(e, VG_SPF_PERMERROR, "libspf2 cannot compile the record of %s: %s",
			    shown(e->f[fi]->domain, b, sizeof(b)), SPF_strerror(err));
	}
	return err;
}

/* ------------------------------------------------------------------ */
/* The DNS layer libspf2 asks                                         */
/* ------------------------------------------------------------------ */

/** A new answer for libspf2 (it frees it); NULL only when out of memory. */
static SPF_dns_rr_t *rr_new(struct eval *e, const char *domain, ns_type type, SPF_dns_stat_t herrno)
{
	SPF_dns_rr_t *rr = SPF_dns_rr_new_init(&e->dns, domain, type, 0, herrno);

	if (rr == NULL)
		nomem(e);
	return rr;
}

/** Add one address record to rr; -1 out of memory. */
static int rr_add_ip(SPF_dns_rr_t *rr, ns_type type, const unsigned char *b16)
{
	unsigned char *dst;

	if (SPF_dns_rr_buf_realloc(rr, rr->num_rr, sizeof(SPF_dns_rr_data_t)) != SPF_E_SUCCESS)
		return -1;
	dst = (unsigned char *)rr->rr[rr->num_rr];
	if (type == ns_t_a)
		memcpy(dst, b16 + 12, 4);
	else
		memcpy(dst, b16, 16);
	rr->num_rr++;
	return 0;
}

/** Add one name record (MX, PTR) to rr; -1 out of memory. */
static int rr_add_name(SPF_dns_rr_t *rr, const char *name)
{
	size_t n = strlen(name) + 1;

	if (SPF_dns_rr_buf_realloc(rr, rr->num_rr, n) != SPF_E_SUCCESS)
		return -1;
	memcpy((char *)rr->rr[rr->num_rr], name, n);
	rr->num_rr++;
	return 0;
}

/**
 * libspf2's view of an address answer: the addresses of the asked
 * family; with synth, the client's own address instead when there is
 * any (the /0 prefix lengths libspf2 cannot take).
 */
static SPF_dns_rr_t *rr_addresses(struct eval *e, const char *domain, ns_type type,
    const struct vg_dns_answer *a, int synth)
{
	SPF_dns_rr_t *rr;
	size_t i;

	if (a == NULL)
		return rr_new(e, domain, type, HOST_NOT_FOUND);
	switch (a->status) {
	case VG_DNS_NXDOMAIN: return rr_new(e, domain, type, HOST_NOT_FOUND);
	case VG_DNS_NODATA: return rr_new(e, domain, type, NO_DATA);
	case VG_DNS_TEMPFAIL: return rr_new(e, domain, type, TRY_AGAIN);
	case VG_DNS_ANSWER: break;
	}
	if ((rr = rr_new(e, domain, type, NETDB_SUCCESS)) == NULL)
		return NULL;
	for (i = 0; i < a->n; i++) {
		const unsigned char *b = synth ? e->ip.b : a->rr[i].ip.b;

		if (a->rr[i].type != (type == ns_t_a ? VG_T_A : VG_T_AAAA))
			continue;
		if (rr_add_ip(rr, type, b) < 0) {
			nomem(e);
			break;
		}
		if (synth)
			break;
	}
	if (rr->num_rr == 0)
		rr->herrno = NO_DATA;
	return rr;
}

/** Is the client one of the addresses of answer a? */
static int answer_has_client(const struct eval *e, const struct vg_dns_answer *a)
{
	size_t i;

	for (i = 0; a != NULL && a->status == VG_DNS_ANSWER && i < a->n; i++)
		if (vg_ip_eq(&a->rr[i].ip, &e->ip))
			return 1;
	return 0;
}

/**
 * The validated names of the client (RFC 7208 5.5), found once per
 * evaluation for ptr and %{p}: the first 10 PTR names whose address
 * lookup contains the client; a name whose lookup fails is skipped.
 */
static void ptr_find(struct eval *e)
{
	char name[VG_DNS_NAME_MAX + 1];
	const struct vg_dns_answer *a;
	int idx[MAX_PTR_NAMES];
	const char *names[MAX_PTR_NAMES];
	size_t i, n = 0;

	if (e->ptr_done)
		return;
	e->ptr_done = 1;
	if (vg_dns_ptr_name(&e->ip, name, sizeof(name)) < 0 || (a = dns_get(e, name, VG_T_PTR, 0)) == NULL)
		return;
	if (a->status == VG_DNS_TEMPFAIL)
		return;                 /* RFC 7208 5.5: no match, and %{p} is "unknown" */
	if (a->status != VG_DNS_ANSWER) {
		e->ptr_void = 1;
		return;
	}
	for (i = 0; i < a->n && i < MAX_PTR_NAMES; i++) {
		if (a->rr[i].text == NULL || a->rr[i].text[0] == '\0')
			continue;
		if ((idx[n] = vg_dns_add(e->batch, a->rr[i].text, e->v4 ? VG_T_A : VG_T_AAAA)) >= 0)
			names[n++] = a->rr[i].text;
	}
	if (n == 0)
		return;
	vg_dns_wait(e->batch, idx, n, e->deadline);
	for (i = 0; i < n; i++)
		if (answer_has_client(e, vg_dns_result(e->batch, idx[i])))
			e->ptr_names[e->nptr++] = names[i];
}

/** Does the ptr term t of frame fi match (a validated name is its target or under it)? */
static int ptr_match(struct eval *e, int fi, const struct term *t)
{
	char dom[VG_DNS_NAME_MAX + 1];
	size_t i, dl;

	ptr_find(e);
	if (e->ptr_void && count_void(e) < 0)
		return -1;
	if (target(e, fi, t, dom, sizeof(dom)) < 0)
		return e->oom ? -1 : 0;
	dl = strlen(dom);
	for (i = 0; i < e->nptr; i++) {
		const char *p = e->ptr_names[i];
		size_t pl = strlen(p);

		if (vg_strcaseeq(p, dom) || (pl > dl && p[pl - dl - 1] == '.' && vg_strcaseeq(p + pl - dl, dom)))
			return 1;
	}
	return 0;
}

/** Is name one of the hosts of the mx term being evaluated? */
static int mx_host(const struct eval *e, const char *name)
{
	size_t i;

	for (i = 0; e->mx_ans != NULL && i < e->mx_ans->n; i++)
		if (e->mx_ans->rr[i].text != NULL && vg_strcaseeq(e->mx_ans->rr[i].text, name))
			return 1;
	return 0;
}

/** Does the term's prefix length for the client's family say /0? */
static int zero_len(const struct eval *e, const struct term *t)
{
	return e->v4 ? t->cidr4 == 0 : t->cidr6 == 0;
}

/** An a, mx, exists or ptr term: libspf2 asks for its token. */
static SPF_dns_rr_t *term_lookup(struct eval *e, int ti, const char *domain, ns_type type)
{
	const struct tok *tk = &e->tk[ti];
	const struct term *t;
	const struct vg_dns_answer *a;
	SPF_dns_rr_t *rr;
	char name[VG_DNS_NAME_MAX + 1], b[64];
	size_t i, n;
	int rc;

	if (tk->term < 0) {
		stop(e, VG_SPF_TEMPERROR, "internal error: libspf2 looked up a chunk");
		return rr_new(e, domain, type, TRY_AGAIN);
	}
	t = &e->f[tk->frame]->r.t[tk->term];
	if (t->kind != K_A && t->kind != K_MX && t->kind != K_EXISTS && t->kind != K_PTR) {
		stop(e, VG_SPF_TEMPERROR, "internal error: libspf2 looked up a record token");
		return rr_new(e, domain, type, TRY_AGAIN);
	}
	if (count_term(e) < 0)
		return rr_new(e, domain, type, TRY_AGAIN);
	if (t->kind == K_PTR) {
		rc = ptr_match(e, tk->frame, t);
		if (rc < 0)
			return rr_new(e, domain, type, TRY_AGAIN);
		if (rc == 0)
			return rr_new(e, domain, type, NO_DATA);
		rr = rr_new(e, domain, type, NETDB_SUCCESS);
		if (rr != NULL && rr_add_ip(rr, type, e->ip.b) < 0)
			nomem(e);
		return rr;
	}
	rc = target(e, tk->frame, t, name, sizeof(name));
	if (rc == -2)
		return rr_new(e, domain, type, TRY_AGAIN);
	a = rc == 0 ? dns_get(e, name, t->kind == K_MX ? VG_T_MX : type == ns_t_aaaa ? VG_T_AAAA : VG_T_A, 1) : NULL;
	if (a == NULL || a->status == VG_DNS_NXDOMAIN || a->status == VG_DNS_NODATA) {
		/* a name that cannot exist counts as a void lookup too */
		if (count_void(e) < 0)
			return rr_new(e, domain, type, TRY_AGAIN);
		return rr_new(e, domain, type, a != NULL && a->status == VG_DNS_NODATA ? NO_DATA : HOST_NOT_FOUND);
	}
	if (a->status == VG_DNS_TEMPFAIL)
		return rr_new(e, domain, type, TRY_AGAIN);
	if (t->kind != K_MX)
		return rr_addresses(e, domain, type, a, t->kind == K_A && zero_len(e, t));
	/* mx: at most 10 names; their addresses are asked for now, all at once */
	for (i = n = 0; i < a->n; i++)
		if (a->rr[i].text != NULL && a->rr[i].text[0] != '\0')
			n++;
	if (n > MAX_MX_NAMES) {
		stop(e, VG_SPF_PERMERROR, "more than %d MX names for %s", MAX_MX_NAMES, shown(name, b, sizeof(b)));
		return rr_new(e, domain, type, TRY_AGAIN);
	}
	if ((rr = rr_new(e, domain, type, n ? NETDB_SUCCESS : NO_DATA)) == NULL)
		return NULL;
	for (i = 0; i < a->n; i++) {
		const char *h = a->rr[i].text;

		if (h == NULL || h[0] == '\0')
			continue;
		vg_dns_add(e->batch, h, e->v4 ? VG_T_A : VG_T_AAAA);
		if (rr_add_name(rr, h) < 0) {
			nomem(e);
			break;
		}
	}
	e->mx_tok = ti;
	e->mx_ans = a;
	return rr;
}

/** libspf2's lookup hook. */
static SPF_dns_rr_t *dns_lookup(SPF_dns_server_t *d, const char *domain, ns_type type, int should_cache)
{
	struct eval *e = d->hook;
	char b[64];
	int ti;

	(void)should_cache;
	if (e->abort >= 0 || domain == NULL)
		return rr_new(e, domain, type, TRY_AGAIN);
	if ((ti = token_find(e, domain)) >= 0)
		return term_lookup(e, ti, domain, type);
	if ((type == ns_t_a || type == ns_t_aaaa) && e->mx_tok >= 0 && mx_host(e, domain)) {
		const struct term *t = &e->f[e->tk[e->mx_tok].frame]->r.t[e->tk[e->mx_tok].term];
		const struct vg_dns_answer *a = dns_get(e, domain, type == ns_t_a ? VG_T_A : VG_T_AAAA, 1);

		return rr_addresses(e, domain, type, a, zero_len(e, t));
	}
	if (type != ns_t_txt && type != ns_t_spf)
		stop(e, VG_SPF_TEMPERROR, "internal error: unexpected libspf2 lookup %s %d",
		    shown(domain, b, sizeof(b)), (int)type);
	return rr_new(e, domain, type, TRY_AGAIN);
}

/** libspf2's get_spf hook: include: and redirect= (and the chunks of long records). */
static SPF_errcode_t dns_get_spf(SPF_server_t *srv, SPF_request_t *req, SPF_response_t *resp,
    SPF_record_t **recp)
{
	struct eval *e = srv->resolver->hook;
	const struct tok *tk;
	const struct term *t;
	char name[VG_DNS_NAME_MAX + 1], why[96], b[64];
	int ti, fi, rc;

	(void)resp;
	*recp = NULL;
	if (e->abort >= 0)
		return SPF_E_DNS_ERROR;
	if ((ti = token_find(e, req->cur_dom)) < 0) {
		stop(e, VG_SPF_TEMPERROR, "internal error: libspf2 asked for the record of %s",
		    shown(req->cur_dom, b, sizeof(b)));
		return SPF_E_DNS_ERROR;
	}
	tk = &e->tk[ti];
	if (tk->chunk >= 0)
		return compile_chunk(e, tk->frame, (size_t)tk->chunk, recp);
	t = &e->f[tk->frame]->r.t[tk->term];
	if (t->kind != K_INCLUDE && t->kind != K_REDIRECT) {
		stop(e, VG_SPF_TEMPERROR, "internal error: libspf2 asked for the record of a host token");
		return SPF_E_DNS_ERROR;
	}
	if (count_term(e) < 0)
		return SPF_E_DNS_ERROR;
	rc = target(e, tk->frame, t, name, sizeof(name));
	if (rc == -2)
		return SPF_E_NO_MEMORY;
	if (rc < 0) {
		if (count_void(e) == 0)
			stop(e, VG_SPF_PERMERROR, "%s target is not a domain name",
			    t->kind == K_INCLUDE ? "include:" : "redirect=");
		return SPF_E_DNS_ERROR;
	}
	switch (load_frame(e, name, &fi, why, sizeof(why))) {
	case FETCH_OK:
		break;
	case FETCH_TEMP:
		return SPF_E_DNS_ERROR;
	case FETCH_VOID:
		if (count_void(e) < 0)
			return SPF_E_DNS_ERROR;
		/* FALLTHROUGH */
	case FETCH_NONE:
		stop(e, VG_SPF_PERMERROR, "%s%s has no SPF record", t->kind == K_INCLUDE ? "include:" : "redirect=",
		    shown(name, b, sizeof(b)));
		return SPF_E_DNS_ERROR;
	case FETCH_PERM:
		stop(e, VG_SPF_PERMERROR, "%s: %s", shown(name, b, sizeof(b)), why);
		return SPF_E_DNS_ERROR;
	}
	if (t->kind == K_REDIRECT)
		e->f[tk->frame]->next = fi;
	return compile_chunk(e, fi, 0, recp);
}

/* ------------------------------------------------------------------ */
/* The evaluation                                                     */
/* ------------------------------------------------------------------ */

/**
 * Is s a domain SPF can check (RFC 7208 4.3: not malformed, at least two
 * labels)?  Letters, digits, '-' and '_' in labels of 1 to 63 bytes, at
 * most 253 bytes, and not an address (an all-numeric top label).
 */
static int identity_ok(const char *s)
{
	size_t i, label = 0, labels = 1;
	int alpha = 0;

	if (s == NULL || s[0] == '\0' || strlen(s) > MAX_DOMAIN)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			labels++;
			alpha = 0;
		} else if (is_alpha(c) || is_digit(c) || c == '-' || c == '_') {
			if (++label > 63)
				return 0;
			if (!is_digit(c))
				alpha = 1;
		} else {
			return 0;
		}
	}
	return label > 0 && labels >= 2 && alpha;
}

/**
 * Map libspf2's outcome to exactly one RFC 7208 result.  SPF_RESULT_NONE
 * cannot be the outcome of SPF_record_interpret (vigie handles "no
 * record" itself, and libspf2 turns an include's none into permerror): it
 * is permerror like every other "invalid" outcome with a permanent error
 * code; INVALID with a temporary code (DNS, memory) is temperror.
 */
static enum vg_spf_result map_result(SPF_result_t r, SPF_errcode_t err)
{
	switch (r) {
	case SPF_RESULT_PASS: return VG_SPF_PASS;
	case SPF_RESULT_FAIL: return VG_SPF_FAIL;
	case SPF_RESULT_SOFTFAIL: return VG_SPF_SOFTFAIL;
	case SPF_RESULT_NEUTRAL: return VG_SPF_NEUTRAL;
	case SPF_RESULT_TEMPERROR: return VG_SPF_TEMPERROR;
	case SPF_RESULT_PERMERROR: return VG_SPF_PERMERROR;
	case SPF_RESULT_NONE:
	case SPF_RESULT_INVALID:
	default:
		return err == SPF_E_DNS_ERROR || err == SPF_E_NO_MEMORY ? VG_SPF_TEMPERROR : VG_SPF_PERMERROR;
	}
}

/** Fill the explanation of a fail (RFC 7208 6.2): the exp= of the record that decided it. */
static void explanation(struct eval *e, struct vg_spf_outcome *out)
{
	const struct vg_dns_answer *a;
	const struct term *t;
	const char *txt;
	char name[VG_DNS_NAME_MAX + 1];
	struct vstr v;
	size_t i, k = 0;
	int fi = 0;

	if (e->nf == 0)
		return;
	while (e->f[fi]->next >= 0)
		fi = e->f[fi]->next;
	if (e->f[fi]->r.exp < 0)
		return;
	t = &e->f[fi]->r.t[e->f[fi]->r.exp];
	if (target(e, fi, t, name, sizeof(name)) < 0)
		return;
	a = dns_get(e, name, VG_T_TXT, 0);
	if (a == NULL || a->status != VG_DNS_ANSWER || a->n != 1 || (txt = a->rr[0].text) == NULL)
		return;
	if (check_macro_string(txt, strlen(txt), M_EXPLAIN, NULL) != NULL)
		return;
	if (expand(e, e->f[fi]->domain, txt, strlen(txt), &v) == 0) {
		for (i = 0; i < v.len && k + 1 < sizeof(out->explanation); i++)
			out->explanation[k++] = vg_isprint((unsigned char)v.buf[i]) ? v.buf[i] : '?';
		out->explanation[k] = '\0';
	}
	vstr_free(&v);
}

/** Copy the identity and client into e; -1 out of memory. */
static int eval_init(struct eval *e, struct vg_dns_batch *batch, int64_t deadline_ms, const struct vg_ip *ip,
    const char *helo, const char *sender, const char *receiver)
{
	static const unsigned char mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };
	unsigned char rnd[8];
	const char *at;
	size_t i, n;

	memset(e, 0, sizeof(*e));
	e->batch = batch;
	e->deadline = deadline_ms;
	e->abort = -1;
	e->mx_tok = -1;
	e->ip = *ip;
	e->v4 = memcmp(ip->b, mapped, 12) == 0;
	e->ip.v4 = e->v4;
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		uint64_t x = (uint64_t)vg_dns_now_ms() ^ (uint64_t)(uintptr_t)e;

		memcpy(rnd, &x, sizeof(rnd));
	}
	memcpy(e->nonce, "vg", 2);
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(e->nonce + 2 + 2 * i, 3, "%02x", rnd[i]);
	e->helo = vg_strdup(helo ? helo : "");
	e->receiver = vg_strdup(receiver ? receiver : "");
	if (sender == NULL) {
		/* the HELO identity: <sender> is postmaster@<helo> (RFC 7208 2.3) */
		n = strlen(e->helo ? e->helo : "") + sizeof("postmaster@");
		if ((e->sender = malloc(n)) != NULL)
			snprintf(e->sender, n, "postmaster@%s", e->helo ? e->helo : "");
		e->local = vg_strdup("postmaster");
		e->sdomain = vg_strdup(e->helo ? e->helo : "");
	} else {
		at = strrchr(sender, '@');
		if (at == NULL || at == sender) {
			/* no local-part: "postmaster" (RFC 7208 4.3) */
			const char *d = at ? at + 1 : sender;

			n = strlen(d) + sizeof("postmaster@");
			if ((e->sender = malloc(n)) != NULL)
				snprintf(e->sender, n, "postmaster@%s", d);
			e->local = vg_strdup("postmaster");
			e->sdomain = vg_strdup(d);
		} else {
			e->sender = vg_strdup(sender);
			if ((e->local = malloc((size_t)(at - sender) + 1)) != NULL) {
				memcpy(e->local, sender, (size_t)(at - sender));
				e->local[at - sender] = '\0';
			}
			e->sdomain = vg_strdup(at + 1);
		}
	}
	if (e->helo == NULL || e->receiver == NULL || e->sender == NULL || e->local == NULL || e->sdomain == NULL)
		return -1;
	n = strlen(e->sdomain);
	if (n > 0 && e->sdomain[n - 1] == '.')
		e->sdomain[n - 1] = '\0';
	return 0;
}

/** Free what an evaluation holds (libspf2 objects included). */
static void eval_free(struct eval *e)
{
	size_t i;

	if (e->req != NULL)
		SPF_request_free(e->req);
	if (e->srv != NULL)
		SPF_server_free(e->srv);
	for (i = 0; i < e->nf; i++)
		frame_free(e->f[i]);
	free(e->f);
	free(e->tk);
	free(e->sender);
	free(e->local);
	free(e->sdomain);
	free(e->helo);
	free(e->receiver);
}

/** Set up libspf2: a server on our DNS layer, and the request; -1 out of memory. */
static int spf_setup(struct eval *e)
{
	SPF_response_t *scratch = NULL;
	struct in_addr a4;
	struct in6_addr a6;

	e->dns.destroy = NULL;             /* ours: SPF_server_free leaves it alone */
	e->dns.lookup = dns_lookup;
	e->dns.get_spf = dns_get_spf;
	e->dns.get_exp = NULL;             /* never reached: no exp= is given to libspf2 */
	e->dns.add_cache = NULL;
	e->dns.layer_below = NULL;
	e->dns.name = "vigie";
	e->dns.debug = 0;
	e->dns.hook = e;
	if ((e->srv = SPF_server_new_dns(&e->dns, 0)) == NULL)
		return -1;
	/* our counters decide; a constant explanation keeps libspf2's expander idle */
	SPF_server_set_max_dns_mech(e->srv, INT_MAX / 2);
	if (SPF_server_set_explanation(e->srv, "-", &scratch) != SPF_E_SUCCESS) {
		if (scratch != NULL)
			SPF_response_free(scratch);
		return -1;
	}
	if (scratch != NULL)
		SPF_response_free(scratch);
	if (e->receiver[0] != '\0' && SPF_server_set_rec_dom(e->srv, e->receiver) != SPF_E_SUCCESS)
		return -1;
	if ((e->req = SPF_request_new(e->srv)) == NULL)
		return -1;
	if (e->v4) {
		memcpy(&a4, e->ip.b + 12, 4);
		SPF_request_set_ipv4(e->req, a4);
	} else {
		memcpy(&a6, e->ip.b, 16);
		SPF_request_set_ipv6(e->req, a6);
	}
	if (SPF_request_set_env_from(e->req, e->sender) != 0)
		return -1;
	if (e->helo[0] != '\0' && SPF_request_set_helo_dom(e->req, e->helo) != SPF_E_SUCCESS)
		return -1;
	return 0;
}

/** Run libspf2 on frame 0 and map the outcome. */
static enum vg_spf_result run(struct eval *e)
{
	SPF_record_t *rec = NULL;
	SPF_response_t *resp;
	SPF_errcode_t err;
	enum vg_spf_result r;

	if (compile_chunk(e, 0, 0, &rec) != SPF_E_SUCCESS)
		return e->abort >= 0 ? (enum vg_spf_result)e->abort : VG_SPF_PERMERROR;
	if ((resp = SPF_response_new(e->req)) == NULL) {
		SPF_record_free(rec);
		nomem(e);
		return VG_SPF_TEMPERROR;
	}
	resp->spf_record_exp = rec;
	e->req->cur_dom = e->f[0]->domain;
	err = SPF_record_interpret(rec, e->req, resp, 0);
	r = map_result(SPF_response_result(resp), SPF_response_errcode(resp) ? SPF_response_errcode(resp) : err);
	if (e->abort >= 0)
		r = (enum vg_spf_result)e->abort;
	else if ((r == VG_SPF_PERMERROR || r == VG_SPF_TEMPERROR) && !e->have_problem)
		problem(e, 0, "%s", SPF_strerror(SPF_response_errcode(resp) ? SPF_response_errcode(resp) : err));
	SPF_response_free(resp);
	SPF_record_free(rec);
	return r;
}

int vg_spf_check(struct vg_dns_batch *batch, int64_t deadline_ms, const struct vg_ip *ip,
    const char *helo, const char *sender, const char *receiver, struct vg_spf_outcome *out)
{
	struct eval e;
	char why[96], b[64];
	int fi = -1;
	enum vg_spf_result r;

	memset(out, 0, sizeof(*out));
	out->result = VG_SPF_TEMPERROR;
	if (batch == NULL || ip == NULL) {
		vg_strlcpy(out->problem, "no DNS batch or client address", sizeof(out->problem));
		return 0;
	}
	if (eval_init(&e, batch, deadline_ms, ip, helo, sender, receiver) < 0) {
		eval_free(&e);
		vg_strlcpy(out->problem, "out of memory", sizeof(out->problem));
		return -1;
	}
	vg_clean_copy(out->domain, sizeof(out->domain), e.sdomain);
	vg_lower(out->domain);
	if (!identity_ok(e.sdomain)) {
		r = VG_SPF_NONE;            /* RFC 7208 4.3: malformed domain */
		goto done;
	}
	switch (load_frame(&e, out->domain, &fi, why, sizeof(why))) {
	case FETCH_OK:
		break;
	case FETCH_NONE:
	case FETCH_VOID:
		r = VG_SPF_NONE;
		goto done;
	case FETCH_TEMP:
		r = VG_SPF_TEMPERROR;
		goto done;
	case FETCH_PERM:
		problem(&e, 1, "%s: %s", shown(out->domain, b, sizeof(b)), why);
		r = VG_SPF_PERMERROR;
		goto done;
	}
	if (spf_setup(&e) < 0) {
		nomem(&e);
		r = VG_SPF_TEMPERROR;
		goto done;
	}
	r = run(&e);
	if (r == VG_SPF_FAIL)
		explanation(&e, out);
done:
	if (e.oom)
		r = VG_SPF_TEMPERROR;
	out->result = r;
	out->dns_terms = e.terms;
	out->void_lookups = e.voids;
	if (r == VG_SPF_PERMERROR || r == VG_SPF_TEMPERROR)
		vg_strlcpy(out->problem, e.have_problem ? e.problem : vg_spf_result_name(r), sizeof(out->problem));
	eval_free(&e);
	return e.oom ? -1 : 0;
}
