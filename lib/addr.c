/**
 * @file addr.c
 * RFC 5321 Path / Reverse-path parser for MAIL FROM and RCPT TO arguments
 * (RFC 5321 4.1.2, 4.1.3, 4.5.3.1; RFC 6531 for SMTPUTF8).
 *
 * One left-to-right pass.  Every component is bounded by a limit of RFC 5321
 * 4.5.3.1 (or the 63-octet label limit of RFC 1035), so only a few hundred
 * bytes of the path are ever looked at, however long the argument is.  The
 * ESMTP parameters after the path are scanned once, for control characters
 * only; their syntax is the caller's business.
 *
 * Deliberate choices beyond the ABNF:
 *  - leading spaces are skipped; without VG_PATH_STRICT a mailbox without
 *    angle brackets is accepted and ends at the first SP (as Postfix does);
 *  - one trailing dot after a domain name is tolerated and removed;
 *  - '<' and '>' are refused inside address literals (dcontent allows them,
 *    but no real literal contains them, and "<a@[1.2.3.4>" would otherwise
 *    run on to the end of the argument);
 *  - UTF-8 encoded C1 controls (U+0080..U+009F) are control characters;
 *  - a route hop (A-d-l) must be a domain name, never an address literal,
 *    as in the RFC 5321 grammar.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "addr.h"

#define EOI (-1)          /**< what the peek functions return past the end */
#define LABEL_MAX 63      /**< RFC 1035 2.3.4: octets in one domain label */

/** Parser state for one argument. */
struct parser {
	const unsigned char *s; /**< the argument */
	size_t len;             /**< its length */
	size_t pos;             /**< next byte to look at */
	unsigned flags;         /**< VG_PATH_* */
	int bracketed;          /**< the path opened with '<' */
	int closed;             /**< ... and its '>' has been read */
	size_t path_start;      /**< offset of the '<', or of the bare mailbox */
	enum vg_path_err err;   /**< first error found */
	size_t err_pos;         /**< where it was found */
};

/** Record the first error found and return -1. */
static int fail(struct parser *p, enum vg_path_err err, size_t at)
{
	if (p->err == VG_PATH_OK) {
		p->err = err;
		p->err_pos = at;
	}
	return -1;
}

/** The byte at offset at, or EOI past the end of the argument. */
static int byte_at(const struct parser *p, size_t at)
{
	return at < p->len ? p->s[at] : EOI;
}

/** The next byte, or EOI. */
static int peek(const struct parser *p)
{
	return byte_at(p, p->pos);
}

/** Is c a C0 control character or DEL? */
static int is_ctrl(int c)
{
	return c >= 0 && (c < 0x20 || c == 0x7f);
}

/** Is c an ASCII letter or digit (Let-dig of RFC 5321)? */
static int is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/** Is c an ASCII digit? */
static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/** Is c ASCII atext (RFC 5322 3.2.3)? */
static int is_atext(int c)
{
	return is_alnum(c) || (c > 0 && c < 0x80 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/** ASCII lower case of c; other bytes unchanged. */
static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/** Are s[0..n) and the lower-case string lc equal, ignoring ASCII case? */
static int ascii_caseeq(const char *s, size_t n, const char *lc)
{
	size_t i;

	if (strlen(lc) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)s[i]) != (unsigned char)lc[i])
			return 0;
	return 1;
}

/**
 * Length of the well-formed UTF-8 sequence (RFC 3629) starting at s, or 0
 * if there is none: stray continuation bytes, truncated sequences, overlong
 * forms, surrogates and code points above U+10FFFF are all refused.
 * @param s     first byte, >= 0x80
 * @param avail bytes available from s on
 */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;               /* continuation byte, C0/C1 (overlong), F5..FF */
	if (s[0] == 0xe0)
		lo = 0xa0;              /* overlong 3-byte form */
	else if (s[0] == 0xed)
		hi = 0x9f;              /* UTF-16 surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;              /* overlong 4-byte form */
	else if (s[0] == 0xf4)
		hi = 0x8f;              /* above U+10FFFF */
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/** Does the well-formed sequence at s encode a C1 control (U+0080..U+009F)? */
static int utf8_is_c1(const unsigned char *s)
{
	return s[0] == 0xc2 && s[1] < 0xa0;
}

/**
 * The error for an unexpected byte at offset at: control characters, bytes
 * that are not allowed 8-bit text and unbalanced angle brackets have their
 * own codes; the end of a bracketed argument is a missing '>'; anything else
 * is dflt.  A '>' that closes a bracketed path too early is balanced: it
 * gets dflt, the error of the part that is missing.
 */
static enum vg_path_err classify(const struct parser *p, size_t at, enum vg_path_err dflt)
{
	int c = byte_at(p, at);
	size_t n;

	if (c == EOI)
		return p->bracketed ? VG_PATH_E_BRACKETS : dflt;
	if (is_ctrl(c))
		return VG_PATH_E_CTRL;
	if (c >= 0x80) {
		if (!(p->flags & VG_PATH_SMTPUTF8))
			return VG_PATH_E_8BIT;
		n = utf8_seq(p->s + at, p->len - at);
		if (n == 0)
			return VG_PATH_E_8BIT;
		return utf8_is_c1(p->s + at) ? VG_PATH_E_CTRL : dflt;
	}
	if (c == '<' || (c == '>' && (!p->bracketed || p->closed)))
		return VG_PATH_E_BRACKETS;
	return dflt;
}

/** Fail with the error classify() gives for the next byte. */
static int unexpected(struct parser *p, enum vg_path_err dflt)
{
	return fail(p, classify(p, p->pos, dflt), p->pos);
}

/**
 * Take the non-ASCII character at p->pos where UTF-8 text is allowed.
 * @return its length in bytes, or 0 after recording the error (no
 *         SMTPUTF8, malformed UTF-8, or a C1 control)
 */
static size_t take_utf8(struct parser *p)
{
	enum vg_path_err err = classify(p, p->pos, VG_PATH_OK);

	if (err != VG_PATH_OK) {
		fail(p, err, p->pos);
		return 0;
	}
	return utf8_seq(p->s + p->pos, p->len - p->pos);
}

/**
 * Fail with VG_PATH_E_TOOLONG if the path, as far as it has been read, is
 * longer than VG_PATH_MAX.  A bare mailbox is counted with the two angle
 * brackets it should have had.
 */
static int check_path_len(struct parser *p)
{
	size_t extra = p->bracketed ? 0 : 2;

	if (p->pos - p->path_start + extra > VG_PATH_MAX)
		return fail(p, VG_PATH_E_TOOLONG, p->path_start + VG_PATH_MAX - extra);
	return 0;
}

/**
 * Dot-string = Atom *("." Atom) (RFC 5321 4.1.2); atext may be UTF-8 with
 * SMTPUTF8 (RFC 6531 3.3).  Copies it to buf (VG_LOCAL_MAX + 1 bytes).
 */
static int parse_dot_string(struct parser *p, char *buf)
{
	size_t start = p->pos, n = 0, k;
	int c, after_dot = 1;   /* a dot may not come first */

	for (;;) {
		c = peek(p);
		if (c == '.') {
			if (after_dot)
				return fail(p, VG_PATH_E_LOCAL, p->pos);
			k = 1;
			after_dot = 1;
		} else if (c >= 0x80) {
			if ((k = take_utf8(p)) == 0)
				return -1;
			after_dot = 0;
		} else if (is_atext(c)) {
			k = 1;
			after_dot = 0;
		} else {
			break;
		}
		if (n + k > VG_LOCAL_MAX)
			return fail(p, VG_PATH_E_TOOLONG, start + VG_LOCAL_MAX);
		memcpy(buf + n, p->s + p->pos, k);
		n += k;
		p->pos += k;
	}
	if (n == 0)
		return unexpected(p, VG_PATH_E_LOCAL);
	if (after_dot)
		return fail(p, VG_PATH_E_LOCAL, p->pos - 1);
	buf[n] = '\0';
	return 0;
}

/**
 * Quoted-string = DQUOTE *(qtextSMTP / quoted-pairSMTP) DQUOTE (RFC 5321
 * 4.1.2; qtextSMTP may be UTF-8 with SMTPUTF8, a quoted pair is always
 * printable ASCII).  Copies the dequoted text to buf (VG_LOCAL_MAX + 1
 * bytes); the quoted form, quotes included, is limited to VG_LOCAL_MAX.
 */
static int parse_quoted(struct parser *p, char *buf)
{
	size_t open = p->pos, n = 0, k, copy, from;
	int c;

	p->pos++;
	for (;;) {
		/* the next k input bytes give copy bytes of text, starting at from */
		c = peek(p);
		from = p->pos;
		if (c == EOI)
			return fail(p, VG_PATH_E_QUOTE, open);
		if (c == '"') {
			k = 1;
			copy = 0;
		} else if (c == '\\') {
			c = byte_at(p, p->pos + 1);
			if (c == EOI)
				return fail(p, VG_PATH_E_QUOTE, open);
			if (c < 0x20 || c > 0x7e)
				return fail(p, classify(p, p->pos + 1, VG_PATH_E_QUOTE), p->pos + 1);
			k = 2;
			copy = 1;
			from++;
		} else if (c >= 0x80) {
			if ((k = take_utf8(p)) == 0)
				return -1;
			copy = k;
		} else if (c >= 0x20 && c <= 0x7e) {
			k = copy = 1;
		} else {
			return fail(p, VG_PATH_E_CTRL, p->pos);
		}
		if (p->pos + k - open > VG_LOCAL_MAX)
			return fail(p, VG_PATH_E_TOOLONG, open + VG_LOCAL_MAX);
		p->pos += k;
		if (copy == 0)
			break;          /* the closing quote */
		/* n + copy <= p->pos - open - 1 <= VG_LOCAL_MAX - 1: it fits */
		memcpy(buf + n, p->s + from, copy);
		n += copy;
	}
	buf[n] = '\0';
	return 0;
}

/** Local-part = Dot-string / Quoted-string, stored dequoted in out->local. */
static int parse_local(struct parser *p, struct vg_path *out)
{
	if (peek(p) == '"') {
		out->local_quoted = 1;
		return parse_quoted(p, out->local);
	}
	return parse_dot_string(p, out->local);
}

/**
 * Domain = sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str]
 * (RFC 5321 4.1.2), labels of at most 63 octets, at most VG_DOMAIN_MAX in
 * all; with SMTPUTF8 a label may hold UTF-8 (U-labels, RFC 6531 3.3).  ASCII
 * letters are lower-cased into buf (VG_DOMAIN_MAX + 1 bytes).  One trailing
 * dot is consumed and noted in *trailing_dot; the caller judges the byte
 * that ends the domain.
 */
static int parse_domain_name(struct parser *p, char *buf, int *trailing_dot)
{
	size_t n = 0, label, label_start, k, i;
	int c, last;

	*trailing_dot = 0;
	for (;;) {
		c = peek(p);
		if (!is_alnum(c) && c < 0x80) {
			if (n == 0)
				return unexpected(p, VG_PATH_E_DOMAIN);
			*trailing_dot = 1;      /* the '.' just read ended the domain */
			break;
		}
		if (n > 0) {
			if (n + 1 > VG_DOMAIN_MAX)
				return fail(p, VG_PATH_E_TOOLONG, p->pos - 1);
			buf[n++] = '.';
		}
		label = 0;
		label_start = p->pos;
		last = 0;
		for (;;) {
			c = peek(p);
			if (c >= 0x80) {
				if ((k = take_utf8(p)) == 0)
					return -1;
			} else if (is_alnum(c) || c == '-') {
				k = 1;
			} else {
				break;
			}
			if (label + k > LABEL_MAX)
				return fail(p, VG_PATH_E_DOMAIN, label_start + LABEL_MAX);
			if (n + k > VG_DOMAIN_MAX)
				return fail(p, VG_PATH_E_TOOLONG, p->pos);
			for (i = 0; i < k; i++)
				buf[n++] = (char)lower(p->s[p->pos + i]);
			label += k;
			last = c;
			p->pos += k;
		}
		if (last == '-')
			return fail(p, VG_PATH_E_DOMAIN, p->pos - 1);
		if (peek(p) != '.')
			break;
		p->pos++;
	}
	buf[n] = '\0';
	return 0;
}

/** Is s[0..n) a dotted quad of decimal octets 0-255 without leading zeros? */
static int valid_ipv4(const char *s, size_t n)
{
	size_t i = 0, digits;
	unsigned v;
	int part;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
		v = 0;
		for (digits = 0; i < n && digits < 3 && is_digit(s[i]); digits++, i++)
			v = v * 10 + (unsigned)(s[i] - '0');
		if (digits == 0 || v > 255 || (digits > 1 && s[i - digits] == '0'))
			return 0;
	}
	return i == n;
}

/** Is s[0..n) an IPv6 address in text form (RFC 4291 2.2)? */
static int valid_ipv6(const char *s, size_t n)
{
	char tmp[INET6_ADDRSTRLEN];
	struct in6_addr a;

	if (n == 0 || n >= sizeof(tmp))
		return 0;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return inet_pton(AF_INET6, tmp, &a) == 1;
}

/** Is s[0..n) an Ldh-str (RFC 5321 4.1.2), the tag of a General-address-literal? */
static int valid_ldh_str(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !is_alnum((unsigned char)s[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!is_alnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/**
 * address-literal = "[" ( IPv4-address-literal / IPv6-address-literal /
 * General-address-literal ) "]" (RFC 5321 4.1.3).  Stores the text between
 * the brackets in out->domain ("ipv6:" and lower case for IPv6) and sets
 * out->domain_kind.  The literal, brackets included, counts against
 * VG_DOMAIN_MAX.
 */
static int parse_literal(struct parser *p, struct vg_path *out)
{
	size_t open = p->pos, n = 0, tag, i;
	char *d = out->domain;
	const char *colon;
	int c;

	p->pos++;
	for (;;) {
		c = peek(p);
		if (c == ']')
			break;
		/* dcontent = %d33-90 / %d94-126, less '<' and '>' */
		if (c < 33 || c > 126 || c == '[' || c == '\\' || c == '<' || c == '>')
			return unexpected(p, VG_PATH_E_DOMAIN);
		if (n + 3 > VG_DOMAIN_MAX)
			return fail(p, VG_PATH_E_TOOLONG, p->pos);
		d[n++] = (char)c;
		p->pos++;
	}
	p->pos++;
	d[n] = '\0';
	colon = memchr(d, ':', n);
	if (colon == NULL) {
		if (!valid_ipv4(d, n))
			return fail(p, VG_PATH_E_DOMAIN, open + 1);
		out->domain_kind = VG_DOM_IPV4;
		return 0;
	}
	tag = (size_t)(colon - d);
	if (ascii_caseeq(d, tag, "ipv6")) {
		if (!valid_ipv6(colon + 1, n - tag - 1))
			return fail(p, VG_PATH_E_DOMAIN, open + 1);
		for (i = 0; i < n; i++)
			d[i] = (char)lower((unsigned char)d[i]);
		out->domain_kind = VG_DOM_IPV6;
		return 0;
	}
	if (!valid_ldh_str(d, tag) || tag + 1 == n)
		return fail(p, VG_PATH_E_DOMAIN, open + 1);
	out->domain_kind = VG_DOM_GENERAL;
	return 0;
}

/**
 * A-d-l ":" (RFC 5321 4.1.2): "@" Domain *("," "@" Domain) ":".  Each hop
 * must be a valid domain name; hops are counted in out->route_hops and
 * otherwise ignored (RFC 5321 4.1.1.3, C.).  p->pos is at the first '@'.
 */
static int parse_route(struct parser *p, struct vg_path *out)
{
	char hop[VG_DOMAIN_MAX + 1];
	int dot, c;

	for (;;) {
		p->pos++;       /* '@' */
		if (parse_domain_name(p, hop, &dot) < 0) {
			if (p->err == VG_PATH_E_DOMAIN)
				p->err = VG_PATH_E_ROUTE;
			return -1;
		}
		out->route_hops++;
		if (check_path_len(p) < 0)
			return -1;
		c = peek(p);
		if (c == ':') {
			p->pos++;
			return 0;
		}
		if (c != ',')
			return unexpected(p, VG_PATH_E_ROUTE);
		p->pos++;
		if (peek(p) != '@')
			return unexpected(p, VG_PATH_E_ROUTE);
	}
}

/**
 * Is this the end of a mailbox without a domain: '>' in a bracketed path,
 * SP or the end of the argument in a bare one?
 */
static int at_mailbox_end(const struct parser *p)
{
	int c = peek(p);

	return p->bracketed ? c == '>' : c == ' ' || c == EOI;
}

/**
 * Mailbox = Local-part "@" ( Domain / address-literal ) (RFC 5321 4.1.2).
 * The one mailbox without a domain is "<Postmaster>" (RFC 5321 4.1.1.3),
 * which is a recipient only.
 */
static int parse_mailbox(struct parser *p, struct vg_path *out)
{
	if (parse_local(p, out) < 0)
		return -1;
	if (peek(p) != '@') {
		if (!at_mailbox_end(p))
			return unexpected(p, VG_PATH_E_LOCAL);
		if (out->local_quoted || out->route_hops > 0 || (p->flags & VG_PATH_REVERSE) ||
		    !ascii_caseeq(out->local, strlen(out->local), "postmaster"))
			return fail(p, VG_PATH_E_SYNTAX, p->pos);
		out->domain_kind = VG_DOM_NONE;
		return 0;
	}
	p->pos++;
	if (peek(p) == '[')
		return parse_literal(p, out);
	if (parse_domain_name(p, out->domain, &out->trailing_dot) < 0)
		return -1;
	out->domain_kind = VG_DOM_NAME;
	return 0;
}

/**
 * The end of the path: '>' after a bracketed mailbox, SP or the end of the
 * argument after a bare one.  A second '@' or a space inside the brackets
 * is a syntax error; another byte after a domain name is a bad domain.
 */
static int close_path(struct parser *p, const struct vg_path *out)
{
	int c = peek(p);

	if (p->bracketed && c == '>') {
		p->pos++;
		p->closed = 1;
		return check_path_len(p);
	}
	if (!p->bracketed && (c == ' ' || c == EOI))
		return check_path_len(p);
	if (c == '@' || c == ' ')
		return fail(p, VG_PATH_E_SYNTAX, p->pos);
	return unexpected(p, out->domain_kind == VG_DOM_NAME ? VG_PATH_E_DOMAIN : VG_PATH_E_SYNTAX);
}

/**
 * Path = "<" [ A-d-l ":" ] Mailbox ">", or the null path "<>" where
 * VG_PATH_REVERSE allows it; without brackets the same minus "<" and ">".
 * p->pos is just after the '<', if any.
 */
static int parse_path(struct parser *p, struct vg_path *out)
{
	if (p->bracketed && peek(p) == '>') {
		if (!(p->flags & VG_PATH_REVERSE))
			return fail(p, VG_PATH_E_NULL, p->path_start);
		out->is_null = 1;
		p->pos++;
		p->closed = 1;
		return 0;
	}
	if (peek(p) == '@' && parse_route(p, out) < 0)
		return -1;
	if (parse_mailbox(p, out) < 0)
		return -1;
	return close_path(p, out);
}

/**
 * After the path: the end, or spaces and the ESMTP parameters, whose offset
 * goes to out->params_off.  The parameters may not contain control
 * characters (RFC 5321 4.1.2 esmtp-value); the rest of their syntax is left
 * to the caller.
 */
static int parse_params(struct parser *p, struct vg_path *out)
{
	size_t i;
	int c = peek(p);

	if (c != EOI && c != ' ')
		return unexpected(p, VG_PATH_E_SYNTAX);
	while (peek(p) == ' ')
		p->pos++;
	out->params_off = p->pos;
	for (i = p->pos; i < p->len; i++)
		if (is_ctrl(p->s[i]))
			return fail(p, VG_PATH_E_CTRL, i);
	return 0;
}

/**
 * Is the NUL-terminated s a Dot-string?  Bytes >= 0x80 count as atext: the
 * parser only lets well-formed UTF-8 through, and only with SMTPUTF8.
 */
static int is_dot_string(const char *s)
{
	int after_dot = 1;

	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (after_dot)
				return 0;
			after_dot = 1;
		} else if ((unsigned char)*s >= 0x80 || is_atext((unsigned char)*s)) {
			after_dot = 0;
		} else {
			return 0;
		}
	}
	return !after_dot;
}

/** Append n bytes to buf (size bytes, *used of them taken); -1 if they do not fit. */
static int put(char *buf, size_t size, size_t *used, const char *s, size_t n)
{
	if (n >= size - *used)
		return -1;
	memcpy(buf + *used, s, n);
	*used += n;
	buf[*used] = '\0';
	return 0;
}

/**
 * Build the canonical out->addr: the local part as a Dot-string when it is
 * one, else as a Quoted-string with only '"' and '\' escaped; then "@" and
 * the domain, address literals in brackets.  Also sets out->local_routing.
 * The canonical local part is never longer than the one that was parsed,
 * so it always fits; the checks are a second line of defence.
 */
static int make_addr(struct parser *p, struct vg_path *out)
{
	size_t used = 0, size = sizeof(out->addr);
	const char *s;
	char *a = out->addr;
	int rc = 0;

	out->addr[0] = '\0';
	if (out->is_null)
		return 0;
	out->local_routing = strpbrk(out->local, "%!@") != NULL;
	if (is_dot_string(out->local)) {
		rc |= put(a, size, &used, out->local, strlen(out->local));
	} else {
		rc |= put(a, size, &used, "\"", 1);
		for (s = out->local; *s != '\0'; s++) {
			if (*s == '"' || *s == '\\')
				rc |= put(a, size, &used, "\\", 1);
			rc |= put(a, size, &used, s, 1);
		}
		rc |= put(a, size, &used, "\"", 1);
	}
	if (out->domain_kind != VG_DOM_NONE) {
		rc |= put(a, size, &used, "@", 1);
		if (out->domain_kind != VG_DOM_NAME)
			rc |= put(a, size, &used, "[", 1);
		rc |= put(a, size, &used, out->domain, strlen(out->domain));
		if (out->domain_kind != VG_DOM_NAME)
			rc |= put(a, size, &used, "]", 1);
	}
	if (rc != 0)
		return fail(p, VG_PATH_E_TOOLONG, p->path_start);
	return 0;
}

/** Parse one MAIL FROM or RCPT TO argument (see addr.h). */
enum vg_path_err vg_path_parse(const char *arg, size_t len, unsigned flags, struct vg_path *out)
{
	struct parser p;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	p.s = (const unsigned char *)arg;
	p.len = arg != NULL ? len : 0;
	p.flags = flags;

	while (peek(&p) == ' ')
		p.pos++;
	p.path_start = p.pos;
	if (peek(&p) == EOI)
		rc = fail(&p, VG_PATH_E_EMPTY, p.pos);
	else if (peek(&p) != '<' && (flags & VG_PATH_STRICT))
		rc = fail(&p, VG_PATH_E_BRACKETS, p.pos);
	else
		rc = 0;
	if (rc == 0 && peek(&p) == '<') {
		p.bracketed = 1;
		p.pos++;
	}
	out->bracketed = p.bracketed;
	if (rc == 0)
		rc = parse_path(&p, out);
	if (rc == 0)
		rc = parse_params(&p, out);
	if (rc == 0)
		rc = make_addr(&p, out);
	if (rc != 0) {
		memset(out, 0, sizeof(*out));
		out->params_off = p.len;
		out->err = p.err;
		out->err_pos = p.err_pos;
	}
	return out->err;
}

/** Short English description of an error code (see addr.h). */
const char *vg_path_strerror(enum vg_path_err err)
{
	switch (err) {
	case VG_PATH_OK:
		return "ok";
	case VG_PATH_E_EMPTY:
		return "empty address";
	case VG_PATH_E_NULL:
		return "null address not allowed here";
	case VG_PATH_E_SYNTAX:
		return "address syntax error";
	case VG_PATH_E_BRACKETS:
		return "unbalanced or missing angle brackets";
	case VG_PATH_E_QUOTE:
		return "unterminated quoted string or bad quoted pair";
	case VG_PATH_E_LOCAL:
		return "bad local part";
	case VG_PATH_E_DOMAIN:
		return "bad domain or address literal";
	case VG_PATH_E_ROUTE:
		return "bad source route";
	case VG_PATH_E_TOOLONG:
		return "address too long";
	case VG_PATH_E_8BIT:
		return "8-bit address without SMTPUTF8, or invalid UTF-8";
	case VG_PATH_E_CTRL:
		return "control character in address";
	}
	return "unknown address error";
}
