/**
 * @file helo.c
 * HELO checks: helo_syntax (RFC 5321 Domain or address literal; an
 * address literal must be the client's own address), helo_forgery (the
 * client names us), helo_dns (the name has A, AAAA or MX).
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "session.h"
#include "util.h"

/** ASCII letter or digit. */
static int alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/**
 * Classify a host name: VG_HELO_OK (a dotted name), VG_HELO_NOT_FQDN (one
 * label) or VG_HELO_INVALID.  Labels are letters, digits, '-' and '_' (as
 * Postfix tolerates), 1-63 octets, not starting or ending with '-'; at most
 * 253 octets; one trailing dot allowed; an all-numeric last label (a bare
 * IP address) is invalid: that needs the [literal] form.
 */
static int name_syntax(const char *h)
{
	size_t n = strlen(h), i, label = 0, dots = 0;
	int numeric_last = 1;

	if (n > 0 && h[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return VG_HELO_INVALID;
	for (i = 0; i < n; i++) {
		char c = h[i];
		if (c == '.') {
			if (label == 0 || h[i - 1] == '-')
				return VG_HELO_INVALID;
			label = 0;
			dots++;
			numeric_last = 1;
			continue;
		}
		if (!alnum(c) && c != '-' && c != '_')
			return VG_HELO_INVALID;
		if (label == 0 && c == '-')
			return VG_HELO_INVALID;
		if (!(c >= '0' && c <= '9'))
			numeric_last = 0;
		if (++label > 63)
			return VG_HELO_INVALID;
	}
	if (h[n - 1] == '-')
		return VG_HELO_INVALID;
	if (numeric_last)
		return VG_HELO_INVALID;
	return dots ? VG_HELO_OK : VG_HELO_NOT_FQDN;
}

/**
 * Parse an address literal "[192.0.2.1]" or "[IPv6:2001:db8::1]".
 * @return 0 and the address, or -1 if it is not a valid literal
 */
static int literal(const char *h, struct vg_ip *ip)
{
	char inner[80];
	size_t n = strlen(h);

	if (n < 3 || h[0] != '[' || h[n - 1] != ']' || n - 2 >= sizeof(inner))
		return -1;
	memcpy(inner, h + 1, n - 2);
	inner[n - 2] = '\0';
	/* IPv6 needs its tag (RFC 5321 4.1.3); IPv4 is dotted-quad only. */
	if (strchr(inner, ':') != NULL && strncasecmp(inner, "IPv6:", 5) != 0)
		return -1;
	return vg_ip_parse(inner, ip);
}

int vg_check_helo_syntax(struct vg_session *s)
{
	struct vg_ip ip;

	if (!s->helo_seen || s->helo_raw[0] == '\0')
		return VG_HELO_MISSING;
	if (s->helo_toolong)
		return VG_HELO_INVALID;
	if (s->helo_raw[0] == '[') {
		if (literal(s->helo_raw, &ip) < 0)
			return VG_HELO_INVALID;
		return s->have_ip && vg_ip_eq(&ip, &s->ip) ? VG_HELO_LITERAL : VG_HELO_LITERAL_MISMATCH;
	}
	return name_syntax(s->helo_raw);
}

const char *vg_helo_name(struct vg_session *s, char *buf, size_t bufsz)
{
	size_t n;

	if (vg_session_check(s, VG_CK_HELO_SYNTAX) != VG_HELO_OK)
		return NULL;
	if (vg_strlcpy(buf, s->helo_raw, bufsz) >= bufsz)
		return NULL;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '.')
		buf[n - 1] = '\0';
	vg_lower(buf);
	return buf;
}

int vg_check_helo_forgery(struct vg_session *s)
{
	const struct vg_config *c = s->cfg;
	char name[HELO_MAX + 1];
	struct vg_ip ip;
	size_t n;

	if (!s->helo_seen || s->helo_toolong)
		return VG_FORGERY_OK;
	if (literal(s->helo_raw, &ip) == 0 || vg_ip_parse(s->helo_raw, &ip) == 0)
		return vg_netlist_match(&c->our_addresses, &ip) ? VG_FORGERY_CLAIMS_US : VG_FORGERY_OK;
	vg_strlcpy(name, s->helo_raw, sizeof(name));
	n = strlen(name);
	if (n > 0 && name[n - 1] == '.')
		name[n - 1] = '\0';
	vg_lower(name);
	if (vg_domlist_match(&c->our_hostnames, name) || vg_domlist_match(&c->local_domains, name))
		return VG_FORGERY_CLAIMS_US;
	return VG_FORGERY_OK;
}

void vg_helo_prefetch(struct vg_session *s)
{
	char buf[VG_DNS_NAME_MAX + 1];
	const char *h;
	struct vg_dns_batch *b;

	if (!s->uses[VG_CK_HELO_DNS] && !s->uses[VG_CK_HELO_RDNS])
		return;
	if ((h = vg_helo_name(s, buf, sizeof(buf))) == NULL || (b = vg_session_dns(s)) == NULL)
		return;
	vg_dns_add(b, h, VG_T_A);
	vg_dns_add(b, h, VG_T_AAAA);
	vg_dns_add(b, h, VG_T_MX);
}

int vg_check_helo_dns(struct vg_session *s)
{
	static const uint16_t types[3] = { VG_T_A, VG_T_AAAA, VG_T_MX };
	char buf[VG_DNS_NAME_MAX + 1];
	const char *h = vg_helo_name(s, buf, sizeof(buf));
	struct vg_dns_batch *b;
	int idx[3], i, temp = 0, nx = 0;

	if (h == NULL)
		return VG_HDNS_SKIPPED;
	if ((b = vg_session_dns(s)) == NULL)
		return VG_HDNS_TEMPFAIL;
	for (i = 0; i < 3; i++)
		idx[i] = vg_dns_add(b, h, types[i]);
	vg_session_dns_wait(s, idx, 3);
	for (i = 0; i < 3; i++) {
		const struct vg_dns_answer *a = vg_dns_result(b, idx[i]);
		if (a == NULL || a->status == VG_DNS_TEMPFAIL)
			temp = 1;
		else if (a->status == VG_DNS_ANSWER)
			return VG_HDNS_RESOLVES;
		else if (a->status == VG_DNS_NXDOMAIN)
			nx = 1;
	}
	/* NXDOMAIN for one type means the name does not exist at all. */
	if (nx)
		return VG_HDNS_NXDOMAIN;
	return temp ? VG_HDNS_TEMPFAIL : VG_HDNS_NO_ADDRESS;
}
