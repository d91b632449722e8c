/**
 * @file ip.c
 * IPv4/IPv6 address parsing and CIDR matching.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "ip.h"
#include "util.h"

static const unsigned char v4mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };

int vg_ip_parse(const char *s, struct vg_ip *out)
{
	char buf[64];
	size_t n;
	struct in_addr a4;

	if (s == NULL)
		return -1;
	n = strlen(s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= 5 && (strncmp(s, "IPv6:", 5) == 0 || strncmp(s, "ipv6:", 5) == 0 ||
	    strncmp(s, "IPV6:", 5) == 0)) {
		s += 5;
		n -= 5;
		if (n == 0 || n >= sizeof(buf))
			return -1;
		memcpy(buf, s, n);
		buf[n] = '\0';
		if (inet_pton(AF_INET6, buf, out->b) != 1)
			return -1;
		out->v4 = memcmp(out->b, v4mapped, 12) == 0;
		return 0;
	}
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		memcpy(out->b, v4mapped, 12);
		memcpy(out->b + 12, &a4.s_addr, 4);
		out->v4 = 1;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out->b) == 1) {
		out->v4 = memcmp(out->b, v4mapped, 12) == 0;
		return 0;
	}
	return -1;
}

void vg_ip_format(const struct vg_ip *ip, char *buf, size_t bufsz)
{
	char tmp[INET6_ADDRSTRLEN];

	if (ip->v4)
		inet_ntop(AF_INET, ip->b + 12, tmp, sizeof(tmp));
	else
		inet_ntop(AF_INET6, ip->b, tmp, sizeof(tmp));
	vg_strlcpy(buf, tmp, bufsz);
}

int vg_ip_eq(const struct vg_ip *a, const struct vg_ip *b)
{
	return memcmp(a->b, b->b, 16) == 0;
}

int vg_cidr_parse(const char *s, struct vg_cidr *out, const char **err)
{
	char buf[80];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	int prefix, i;

	if (n == 0 || n >= sizeof(buf)) {
		*err = "expected an IPv4 or IPv6 address";
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (vg_ip_parse(buf, &out->net) < 0) {
		*err = "expected an IPv4 or IPv6 address";
		return -1;
	}
	/* An IPv4 network written as such counts its prefix in IPv4 bits. */
	int written_v4 = strchr(buf, ':') == NULL;
	if (slash == NULL) {
		prefix = 128;
	} else {
		const char *p = slash + 1;
		int max = written_v4 ? 32 : 128;

		if (*p < '0' || *p > '9') {
			*err = "expected a prefix length after '/'";
			return -1;
		}
		for (prefix = 0; *p >= '0' && *p <= '9'; p++) {
			prefix = prefix * 10 + (*p - '0');
			if (prefix > max) {
				*err = "prefix length too large";
				return -1;
			}
		}
		if (*p != '\0') {
			*err = "junk after the prefix length";
			return -1;
		}
		if (written_v4)
			prefix += 96;
	}
	for (i = prefix; i < 128; i++) {
		if (out->net.b[i / 8] & (0x80 >> (i % 8))) {
			*err = "host bits set beyond the prefix length";
			return -1;
		}
	}
	out->prefix = prefix;
	return 0;
}

int vg_cidr_match(const struct vg_cidr *c, const struct vg_ip *ip)
{
	int full = c->prefix / 8, rest = c->prefix % 8;

	if (memcmp(c->net.b, ip->b, (size_t)full) != 0)
		return 0;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));
		if ((c->net.b[full] & mask) != (ip->b[full] & mask))
			return 0;
	}
	return 1;
}

int vg_netlist_add(struct vg_netlist *l, const struct vg_cidr *c)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct vg_cidr *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *c;
	return 0;
}

int vg_netlist_match(const struct vg_netlist *l, const struct vg_ip *ip)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (vg_cidr_match(&l->v[i], ip))
			return 1;
	return 0;
}

void vg_netlist_free(struct vg_netlist *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
