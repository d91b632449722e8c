/**
 * @file headers.c
 * Authentication-Results and Received-SPF values, built so that no byte
 * from the client can end a header, start another, or break its grammar:
 * values are RFC 2045 tokens or quoted-strings of printable ASCII, comments
 * hold host names only, and every piece is bounded.
 */
#include "config.h"

#include <string.h>

#include "headers.h"

#define VALUE_MAX 200   /**< longest client value copied into a header */

/** RFC 2045 tspecials, plus SP: what a token may not contain. */
static int tspecial(unsigned char c)
{
	return c == ' ' || strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/** Is s a non-empty RFC 2045 token? */
static int is_token(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (*p == '\0')
		return 0;
	for (; *p; p++)
		if (!vg_isprint(*p) || tspecial(*p))
			return 0;
	return 1;
}

/** Is s a host name: letters, digits, '-', '_' and dots only, not empty? */
static int is_hostname(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 253 &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

/** Is s a dot-atom of RFC 5322 atext? */
static int is_dot_atom(const char *s)
{
	static const char atext[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~";
	size_t i, n = strlen(s);

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
		} else if (strchr(atext, s[i]) == NULL) {
			return 0;
		}
	}
	return 1;
}

void vg_hdr_add_value(struct vstr *out, const char *v, size_t max)
{
	size_t i;

	if (strlen(v) <= max && is_token(v)) {
		vstr_adds(out, v);
		return;
	}
	vstr_addc(out, '"');
	for (i = 0; v[i] != '\0' && i < max; i++) {
		unsigned char c = (unsigned char)v[i];
		if (!vg_isprint(c))
			continue;            /* CR, LF, NUL, controls, 8-bit: dropped */
		if (c == '"' || c == '\\')
			vstr_addc(out, '\\');
		vstr_addc(out, (char)c);
	}
	vstr_addc(out, '"');
}

/** Append a mailbox value: local@domain when both parts are safe, else the domain alone. */
static void add_mailbox(struct vstr *out, const char *addr)
{
	const char *at = strrchr(addr, '@');
	char local[VALUE_MAX + 1];
	size_t n;

	if (at == NULL || !is_hostname(at + 1)) {
		vg_hdr_add_value(out, addr, VALUE_MAX);
		return;
	}
	n = (size_t)(at - addr);
	if (n > 0 && n < sizeof(local)) {
		memcpy(local, addr, n);
		local[n] = '\0';
		if (is_dot_atom(local)) {
			vstr_addn(out, addr, n);
			vstr_addc(out, '@');
		}
	}
	vstr_adds(out, at + 1);
}

void vg_hdr_auth_results(struct vstr *out, const char *authserv_id, const struct vg_ar_method *m, int n)
{
	int i;

	/* Whole (a host name is at most 253 bytes): cut, it would name another authserv-id. */
	vg_hdr_add_value(out, is_hostname(authserv_id) ? authserv_id : "localhost", 253);
	if (n == 0) {
		vstr_adds(out, "; none");
		return;
	}
	for (i = 0; i < n; i++) {
		vstr_adds(out, "; ");
		vstr_adds(out, m[i].method);
		vstr_addc(out, '=');
		vstr_adds(out, m[i].result);
		if (m[i].ptype != NULL && m[i].value != NULL && m[i].value[0] != '\0') {
			vstr_addf(out, " %s.%s=", m[i].ptype, m[i].property);
			if (m[i].value_is_mailbox)
				add_mailbox(out, m[i].value);
			else
				vg_hdr_add_value(out, m[i].value, VALUE_MAX);
		}
		if (m[i].comment != NULL && is_hostname(m[i].comment)) {
			vstr_adds(out, " (");
			vstr_adds(out, m[i].comment);
			vstr_addc(out, ')');
		}
	}
}

void vg_hdr_received_spf(struct vstr *out, const char *result, const char *receiver, const char *client_ip,
    const char *envelope_from, const char *helo, const char *identity, const char *domain)
{
	const char *rcv = is_hostname(receiver) ? receiver : "localhost";

	vstr_adds(out, result);
	/* The comment names only safe things: our name, the domain, the address. */
	vstr_addf(out, " (%s: ", rcv);
	if (is_hostname(domain))
		vstr_addf(out, "domain %s ", domain);
	else
		vstr_adds(out, "the domain ");
	if (strcmp(result, "pass") == 0)
		vstr_adds(out, "designates ");
	else if (strcmp(result, "fail") == 0 || strcmp(result, "softfail") == 0)
		vstr_adds(out, "does not designate ");
	else
		vstr_adds(out, "gives no verdict on ");
	vstr_add_clean(out, is_token(client_ip) || strchr(client_ip, ':') ? client_ip : "?", 64);
	vstr_adds(out, strcmp(result, "pass") == 0 || strcmp(result, "fail") == 0 ||
	    strcmp(result, "softfail") == 0 ? " as permitted sender)" : ")");
	vstr_adds(out, " client-ip=");
	vg_hdr_add_value(out, client_ip, 64);
	vstr_adds(out, "; envelope-from=");
	vg_hdr_add_value(out, envelope_from, VALUE_MAX);
	vstr_adds(out, "; helo=");
	vg_hdr_add_value(out, helo, VALUE_MAX);
	vstr_adds(out, "; receiver=");
	vstr_adds(out, rcv);
	vstr_adds(out, "; identity=");
	vstr_adds(out, identity);
	vstr_addc(out, ';');
}

/** Skip CFWS: blanks, CR/LF, and (nested, escaped) comments. */
static const char *skip_cfws(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '(')
			return p;
		{
			int depth = 0;
			for (; *p; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				else if (*p == '(')
					depth++;
				else if (*p == ')' && --depth == 0) {
					p++;
					break;
				}
			}
		}
	}
}

int vg_hdr_claims_authserv(const char *value, const char *authserv_id)
{
	char id[256];
	size_t n = 0;
	const char *p = skip_cfws(value);

	if (*p == '"') {
		for (p++; *p && *p != '"' && n < sizeof(id) - 1; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			id[n++] = *p;
		}
	} else {
		for (; *p && *p != ';' && *p != '(' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' &&
		    n < sizeof(id) - 1; p++)
			id[n++] = *p;
	}
	id[n] = '\0';
	if (n > 0 && id[n - 1] == '.')
		id[n - 1] = '\0';
	return n > 0 && vg_strcaseeq(id, authserv_id);
}
