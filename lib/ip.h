/**
 * @file ip.h
 * IPv4/IPv6 addresses and CIDR networks.  IPv4 is stored as IPv4-mapped
 * IPv6 (::ffff:a.b.c.d), so a v4-mapped client matches IPv4 networks.
 */
#ifndef VIGIE_IP_H
#define VIGIE_IP_H

#include <stddef.h>

/** An address: 16 bytes, IPv4 as ::ffff:a.b.c.d. */
struct vg_ip {
	unsigned char b[16];
	int v4;          /**< it is an IPv4 (or IPv4-mapped IPv6) address */
};

/** A network: address and prefix length in IPv6 bits (an IPv4 /24 is /120). */
struct vg_cidr {
	struct vg_ip net;
	int prefix;
};

/** A list of networks. */
struct vg_netlist {
	struct vg_cidr *v;
	size_t n, cap;
};

/**
 * Parse an address: "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1",
 * also "IPv6:2001:db8::1" (Postfix/Sendmail macro form) and "[...]".
 * @return 0 on success, -1 if s is not an address
 */
int vg_ip_parse(const char *s, struct vg_ip *out);
/** Format an address (IPv4 dotted, IPv6 RFC 5952); buf at least 46 bytes. */
void vg_ip_format(const struct vg_ip *ip, char *buf, size_t bufsz);
/** Are two addresses equal? */
int vg_ip_eq(const struct vg_ip *a, const struct vg_ip *b);
/**
 * Parse "a.b.c.d/n", "x::/n", or an address alone (host network).
 * Host bits set beyond the prefix are an error (like Postfix), to catch typos.
 * @param err set to a static message on failure
 * @return 0 on success, -1 on error
 */
int vg_cidr_parse(const char *s, struct vg_cidr *out, const char **err);
/** Does the network contain the address? */
int vg_cidr_match(const struct vg_cidr *c, const struct vg_ip *ip);
/** Append a network; returns -1 when out of memory. */
int vg_netlist_add(struct vg_netlist *l, const struct vg_cidr *c);
/** Does any network of the list contain the address? */
int vg_netlist_match(const struct vg_netlist *l, const struct vg_ip *ip);
/** Free the list's storage. */
void vg_netlist_free(struct vg_netlist *l);

#endif
