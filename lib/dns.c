/**
 * @file dns.c
 * vigie's stub resolver.  ldns builds and parses the packets; the sockets
 * are ours: one connected, non-blocking UDP socket per outstanding query
 * (two at most, so a late reply from the previous server still counts),
 * TCP after a truncated reply, every socket of a batch under one poll().
 * Each reply is checked against its question before it is believed.
 * Answers are immutable, reference counted and shared with a process-wide
 * TTL cache (hash table + LRU list under one mutex).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "dns.h"
#include "util.h"

#define MAX_RRS        64      /**< records kept per answer */
#define MAX_CNAMES     8       /**< CNAMEs followed inside one answer section */
#define NEG_TTL_NOSOA  60      /**< negative TTL when the reply has no SOA */
#define UDP_SLOTS      2       /**< UDP sockets kept open per query */
#define RBUF_SIZE      65536   /**< receive buffer of a batch */

/* ------------------------------------------------------------------ */
/* Answers                                                            */
/* ------------------------------------------------------------------ */

/** An answer and the bytes it holds (the cache counts them). */
struct answer_box {
	struct vg_dns_answer a;    /* first: &box->a == (void *)box */
	size_t bytes;
};

/** Returned when not even a temporary failure could be allocated; never counted nor freed. */
static struct vg_dns_answer oom_answer = {
	.refs = -1, .status = VG_DNS_TEMPFAIL, .why = "out of memory",
};

/** A new empty answer for (name, type), one reference; NULL when out of memory. */
static struct vg_dns_answer *answer_new(const char *name, uint16_t type)
{
	struct answer_box *box = calloc(1, sizeof(*box));

	if (box == NULL)
		return NULL;
	box->a.refs = 1;
	vg_strlcpy(box->a.name, name, sizeof(box->a.name));
	box->a.type = type;
	box->bytes = sizeof(*box);
	return &box->a;
}

/** The bytes an answer holds. */
static size_t answer_bytes(const struct vg_dns_answer *a)
{
	return a == &oom_answer ? 0 : ((const struct answer_box *)(const void *)a)->bytes;
}

/** Free an answer and its records. */
static void answer_free(struct vg_dns_answer *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->rr[i].text);
	free(a->rr);
	free(a);
}

/** A temporary failure for (name, type) with a reason; never NULL. */
static const struct vg_dns_answer *answer_tempfail(const char *name, uint16_t type, const char *why)
{
	struct vg_dns_answer *a = answer_new(name, type);

	if (a == NULL)
		return &oom_answer;
	a->status = VG_DNS_TEMPFAIL;
	vg_strlcpy(a->why, why, sizeof(a->why));
	return a;
}

const struct vg_dns_answer *vg_dns_answer_ref(const struct vg_dns_answer *a)
{
	if (a != NULL && a != &oom_answer)
		__atomic_add_fetch(&((struct vg_dns_answer *)(void *)(uintptr_t)a)->refs, 1, __ATOMIC_RELAXED);
	return a;
}

void vg_dns_answer_unref(const struct vg_dns_answer *a)
{
	struct vg_dns_answer *m = (struct vg_dns_answer *)(void *)(uintptr_t)a;

	if (m == NULL || m == &oom_answer)
		return;
	if (__atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0)
		answer_free(m);
}

const char *vg_dns_type_name(uint16_t type)
{
	switch (type) {
	case VG_T_A: return "A";
	case VG_T_NS: return "NS";
	case VG_T_CNAME: return "CNAME";
	case VG_T_SOA: return "SOA";
	case VG_T_PTR: return "PTR";
	case VG_T_MX: return "MX";
	case VG_T_TXT: return "TXT";
	case VG_T_AAAA: return "AAAA";
	case VG_T_SPF: return "SPF";
	default: return "unknown";
	}
}

const char *vg_dns_status_name(enum vg_dns_status st)
{
	switch (st) {
	case VG_DNS_ANSWER: return "answer";
	case VG_DNS_NXDOMAIN: return "NXDOMAIN";
	case VG_DNS_NODATA: return "NODATA";
	case VG_DNS_TEMPFAIL: return "tempfail";
	}
	return "tempfail";
}

/** Milliseconds and microseconds on CLOCK_MONOTONIC. */
static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t vg_dns_now_ms(void)
{
	return now_us() / 1000;
}

/* ------------------------------------------------------------------ */
/* Names                                                              */
/* ------------------------------------------------------------------ */

/**
 * Normalise a query name into out (VG_DNS_NAME_MAX + 1 bytes): one
 * trailing dot dropped, lower-cased.  Rejects empty names, empty labels,
 * labels over 63 bytes, names over 253 bytes, and bytes that are not
 * printable ASCII, blanks or backslashes (no escapes: names are literal).
 * @return 0, or -1
 */
static int norm_name(const char *in, char *out)
{
	size_t n, i, label = 0;

	if (in == NULL)
		return -1;
	n = strlen(in);
	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else {
			if (!vg_isprint(c) || c == ' ' || c == '\\')
				return -1;
			if (++label > 63)
				return -1;
		}
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	out[n] = '\0';
	return 0;
}

int vg_dns_name_norm(const char *name, char out[VG_DNS_NAME_MAX + 1])
{
	return norm_name(name, out);
}

/** Append the reversed address and the zone; -1 when it does not fit. */
static int reverse_name(const struct vg_ip *ip, const char *zone, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	struct vstr s;
	size_t zl;
	int i, rc = 0;

	if (out == NULL || outsz == 0)
		return -1;
	vstr_init(&s, 1024);
	if (ip->v4) {
		vstr_addf(&s, "%u.%u.%u.%u", ip->b[15], ip->b[14], ip->b[13], ip->b[12]);
	} else {
		for (i = 15; i >= 0; i--) {
			vstr_addc(&s, hex[ip->b[i] & 0x0f]);
			vstr_addc(&s, '.');
			vstr_addc(&s, hex[ip->b[i] >> 4]);
			if (i > 0)
				vstr_addc(&s, '.');
		}
	}
	zl = zone ? strlen(zone) : 0;
	if (zl > 0 && zone[zl - 1] == '.')
		zl--;
	if (zl > 0) {
		vstr_addc(&s, '.');
		vstr_addn(&s, zone, zl);
	}
	if (s.oom || s.truncated || s.len >= outsz)
		rc = -1;
	else
		memcpy(out, s.buf, s.len + 1);
	if (rc < 0)
		out[0] = '\0';
	vstr_free(&s);
	return rc;
}

int vg_dns_bl_name(const struct vg_ip *ip, const char *zone, char *out, size_t outsz)
{
	return reverse_name(ip, zone, out, outsz);
}

int vg_dns_ptr_name(const struct vg_ip *ip, char *out, size_t outsz)
{
	return reverse_name(ip, ip->v4 ? "in-addr.arpa" : "ip6.arpa", out, outsz);
}

/* ------------------------------------------------------------------ */
/* Settings                                                           */
/* ------------------------------------------------------------------ */

/** Store address text a (no brackets) and port as server i of s; -1 if not an address. */
static int server_set(struct vg_dns_settings *s, int i, const char *a, unsigned port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&s->servers[i];
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)&s->servers[i];

	memset(&s->servers[i], 0, sizeof(s->servers[i]));
	if (inet_pton(AF_INET, a, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		s->server_len[i] = sizeof(*sin);
		return 0;
	}
	memset(&s->servers[i], 0, sizeof(s->servers[i]));
	if (inet_pton(AF_INET6, a, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		s->server_len[i] = sizeof(*sin6);
		return 0;
	}
	return -1;
}

/** Parse a port number 1..65535 from the whole of p; 0 on error. */
static unsigned parse_port(const char *p)
{
	unsigned v = 0;

	if (*p == '\0')
		return 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (unsigned)(*p - '0');
		if (v > 65535)
			return 0;
	}
	return v;
}

/** Parse one server token "a.b.c.d[:port]", "[v6][:port]" or a bare IPv6; -1 on error. */
static int parse_server(struct vg_dns_settings *s, int i, const char *tok, const char **err)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *colon, *end;
	unsigned port = 53;
	size_t n;

	if (tok[0] == '[') {
		end = strchr(tok, ']');
		if (end == NULL) {
			*err = "nameserver: missing ']'";
			return -1;
		}
		n = (size_t)(end - tok - 1);
		if (end[1] == ':') {
			port = parse_port(end + 2);
			if (port == 0) {
				*err = "nameserver: bad port";
				return -1;
			}
		} else if (end[1] != '\0') {
			*err = "nameserver: junk after ']'";
			return -1;
		}
		tok++;
	} else {
		colon = strchr(tok, ':');
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			/* exactly one colon: IPv4 with a port */
			n = (size_t)(colon - tok);
			port = parse_port(colon + 1);
			if (port == 0) {
				*err = "nameserver: bad port";
				return -1;
			}
		} else {
			n = strlen(tok);     /* IPv4, or a bare IPv6 address */
		}
	}
	if (n == 0 || n >= sizeof(addr)) {
		*err = "nameserver: not an IP address";
		return -1;
	}
	memcpy(addr, tok, n);
	addr[n] = '\0';
	if (server_set(s, i, addr, port) < 0) {
		*err = "nameserver: not an IP address";
		return -1;
	}
	return 0;
}

/** Read the nameserver lines of a resolv.conf file into s; -1 on error. */
static int parse_resolv_conf(struct vg_dns_settings *s, const char *file, const char **err)
{
	char line[1024];
	FILE *f = fopen(file, "re");

	if (f == NULL) {
		*err = "cannot read the resolv.conf file";
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *a, *e;

		if (strchr(line, '\n') == NULL && !feof(f)) {
			int c;	/* an overlong line: skip the rest of it */

			while ((c = getc(f)) != EOF && c != '\n')
				;
			continue;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "nameserver", 10) != 0 || (p[10] != ' ' && p[10] != '\t'))
			continue;
		a = p + 10;
		while (*a == ' ' || *a == '\t')
			a++;
		e = a;
		while (*e && *e != ' ' && *e != '\t' && *e != '\n' && *e != '\r' && *e != '#' && *e != ';')
			e++;
		*e = '\0';
		if (*a == '\0' || strchr(a, '%') != NULL)
			continue;           /* empty, or scoped (fe80::1%eth0): not usable here */
		if (s->nservers >= VG_DNS_MAX_SERVERS)
			break;
		if (server_set(s, s->nservers, a, 53) == 0)
			s->nservers++;
	}
	fclose(f);
	if (s->nservers == 0) {
		*err = "no usable nameserver in the resolv.conf file";
		return -1;
	}
	return 0;
}

int vg_dns_settings_parse(struct vg_dns_settings *s, const char *spec, const char *resolv_conf, const char **err)
{
	struct vg_dns_settings t;
	const char *p;

	*err = NULL;
	if (spec == NULL) {
		*err = "no resolver given";
		return -1;
	}
	t = *s;
	t.nservers = 0;
	if (strcmp(spec, "system") == 0) {
		if (parse_resolv_conf(&t, resolv_conf ? resolv_conf : "/etc/resolv.conf", err) < 0)
			return -1;
		*s = t;
		return 0;
	}
	for (p = spec;;) {
		char tok[128];
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, " \t,");
		if (n >= sizeof(tok)) {
			*err = "nameserver: not an IP address";
			return -1;
		}
		if (t.nservers >= VG_DNS_MAX_SERVERS) {
			*err = "too many nameservers (at most 8)";
			return -1;
		}
		memcpy(tok, p, n);
		tok[n] = '\0';
		if (parse_server(&t, t.nservers, tok, err) < 0)
			return -1;
		t.nservers++;
		p += n;
	}
	if (t.nservers == 0) {
		*err = "no nameserver given";
		return -1;
	}
	*s = t;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Cache                                                              */
/* ------------------------------------------------------------------ */

/** One cached answer. */
struct centry {
	struct centry *hnext;              /**< hash chain */
	struct centry *prev, *next;        /**< LRU list, most recent first */
	const struct vg_dns_answer *a;     /**< our reference */
	int64_t expires_ms;
	size_t bytes;
	uint32_t hash;
};

/** The process-wide cache; everything in it is under lock. */
static struct {
	pthread_mutex_t lock;
	struct centry **tab;
	size_t tabsz;                      /**< power of two, 0 when off */
	struct centry *head, *tail;
	size_t max_entries, max_bytes;
	uint32_t max_ttl;
	struct vg_dns_cache_stats st;
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

/** FNV-1a of a normalised name and a type. */
static uint32_t key_hash(const char *name, uint16_t type)
{
	uint32_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	h = (h ^ (type & 0xff)) * 16777619u;
	h = (h ^ (type >> 8)) * 16777619u;
	return h;
}

/** Unlink e from its hash chain and the LRU list, drop it (lock held). */
static void centry_remove(struct centry *e)
{
	struct centry **pp = &cache.tab[e->hash & (cache.tabsz - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->prev)
		e->prev->next = e->next;
	else
		cache.head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		cache.tail = e->prev;
	cache.st.entries--;
	cache.st.bytes -= e->bytes;
	vg_dns_answer_unref(e->a);
	free(e);
}

/** Find (name, type) (lock held). */
static struct centry *centry_find(const char *name, uint16_t type, uint32_t h)
{
	struct centry *e;

	for (e = cache.tab[h & (cache.tabsz - 1)]; e; e = e->hnext)
		if (e->hash == h && e->a->type == type && strcmp(e->a->name, name) == 0)
			return e;
	return NULL;
}

/** Empty the cache and free its table (lock held). */
static void cache_clear(void)
{
	while (cache.head)
		centry_remove(cache.head);
	free(cache.tab);
	cache.tab = NULL;
	cache.tabsz = 0;
	memset(&cache.st, 0, sizeof(cache.st));
}

void vg_dns_cache_init(size_t max_entries, size_t max_bytes, uint32_t max_ttl)
{
	size_t sz = 16;

	pthread_mutex_lock(&cache.lock);
	cache_clear();
	while (sz < max_entries && sz < ((size_t)1 << 20))
		sz <<= 1;
	if (max_entries > 0 && max_bytes > 0 && max_ttl > 0) {
		cache.tab = calloc(sz, sizeof(*cache.tab));
		if (cache.tab != NULL)
			cache.tabsz = sz;
	}
	cache.max_entries = max_entries;
	cache.max_bytes = max_bytes;
	cache.max_ttl = max_ttl;
	pthread_mutex_unlock(&cache.lock);
}

void vg_dns_cache_free(void)
{
	pthread_mutex_lock(&cache.lock);
	cache_clear();
	cache.max_entries = cache.max_bytes = 0;
	cache.max_ttl = 0;
	pthread_mutex_unlock(&cache.lock);
}

void vg_dns_cache_stats(struct vg_dns_cache_stats *st)
{
	pthread_mutex_lock(&cache.lock);
	*st = cache.st;
	pthread_mutex_unlock(&cache.lock);
}

/** The cache's TTL cap, or 0 when there is no cache. */
static uint32_t cache_max_ttl(void)
{
	uint32_t t;

	pthread_mutex_lock(&cache.lock);
	t = cache.tabsz ? cache.max_ttl : 0;
	pthread_mutex_unlock(&cache.lock);
	return t;
}

/** Cache lookup of a normalised name. */
static const struct vg_dns_answer *cache_get(const char *name, uint16_t type)
{
	const struct vg_dns_answer *a = NULL;
	struct centry *e;
	uint32_t h;

	pthread_mutex_lock(&cache.lock);
	if (cache.tabsz == 0)
		goto out;
	h = key_hash(name, type);
	e = centry_find(name, type, h);
	if (e != NULL && e->expires_ms <= vg_dns_now_ms()) {
		centry_remove(e);
		e = NULL;
	}
	if (e == NULL) {
		cache.st.misses++;
		goto out;
	}
	cache.st.hits++;
	if (e->prev) {               /* move to the front */
		e->prev->next = e->next;
		if (e->next)
			e->next->prev = e->prev;
		else
			cache.tail = e->prev;
		e->prev = NULL;
		e->next = cache.head;
		cache.head->prev = e;
		cache.head = e;
	}
	a = vg_dns_answer_ref(e->a);
out:
	pthread_mutex_unlock(&cache.lock);
	return a;
}

const struct vg_dns_answer *vg_dns_cache_get(const char *name, uint16_t type)
{
	char n[VG_DNS_NAME_MAX + 1];

	if (norm_name(name, n) < 0)
		return NULL;
	return cache_get(n, type);
}

void vg_dns_cache_put(const struct vg_dns_answer *a)
{
	struct centry *e;
	size_t bytes;
	uint32_t h, ttl;

	if (a == NULL || a == &oom_answer || a->status == VG_DNS_TEMPFAIL || a->ttl == 0)
		return;
	bytes = answer_bytes(a) + sizeof(*e);
	pthread_mutex_lock(&cache.lock);
	if (cache.tabsz == 0 || bytes > cache.max_bytes)
		goto out;
	h = key_hash(a->name, a->type);
	e = centry_find(a->name, a->type, h);
	if (e != NULL)
		centry_remove(e);
	while (cache.tail != NULL &&
	    (cache.st.entries + 1 > cache.max_entries || cache.st.bytes + bytes > cache.max_bytes)) {
		centry_remove(cache.tail);
		cache.st.evictions++;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		goto out;
	ttl = a->ttl < cache.max_ttl ? a->ttl : cache.max_ttl;
	e->a = vg_dns_answer_ref(a);
	e->expires_ms = vg_dns_now_ms() + (int64_t)ttl * 1000;
	e->bytes = bytes;
	e->hash = h;
	e->hnext = cache.tab[h & (cache.tabsz - 1)];
	cache.tab[h & (cache.tabsz - 1)] = e;
	e->next = cache.head;
	if (cache.head)
		cache.head->prev = e;
	cache.head = e;
	if (cache.tail == NULL)
		cache.tail = e;
	cache.st.entries++;
	cache.st.bytes += bytes;
out:
	pthread_mutex_unlock(&cache.lock);
}

/* ------------------------------------------------------------------ */
/* Replies                                                            */
/* ------------------------------------------------------------------ */

/** A TTL as RFC 2181 wants it: values with the top bit set count as 0. */
static uint32_t rr_ttl(const ldns_rr *rr)
{
	uint32_t t = ldns_rr_ttl(rr);

	return t > 0x7fffffffu ? 0 : t;
}

/** Does the reply answer our question (QR, opcode, one question: name, type, IN)? */
static int reply_matches(const ldns_pkt *p, const ldns_rdf *qn, uint16_t type)
{
	const ldns_rr_list *q = ldns_pkt_question(p);
	const ldns_rr *qr;

	if (!ldns_pkt_qr(p) || ldns_pkt_get_opcode(p) != LDNS_PACKET_QUERY)
		return 0;
	if (ldns_pkt_qdcount(p) != 1 || q == NULL || ldns_rr_list_rr_count(q) != 1)
		return 0;
	qr = ldns_rr_list_rr(q, 0);
	return ldns_rr_get_type(qr) == type && ldns_rr_get_class(qr) == LDNS_RR_CLASS_IN &&
	    ldns_rr_owner(qr) != NULL && ldns_dname_compare(ldns_rr_owner(qr), qn) == 0;
}

/**
 * Follow the CNAMEs of the answer section from qn until a name that has
 * records of the asked type, or has no CNAME.  Sets *final (points into
 * the packet or is qn) and lowers *ttl to the TTLs of the CNAMEs used.
 * @return 0, or -1 on a loop or a chain longer than MAX_CNAMES
 */
static int follow_cnames(const ldns_rr_list *an, const ldns_rdf *qn, uint16_t type,
    const ldns_rdf **final, uint32_t *ttl)
{
	const ldns_rdf *seen[MAX_CNAMES + 1];
	const ldns_rdf *cur = qn;
	size_t nseen = 0, i, j, n = an ? ldns_rr_list_rr_count(an) : 0;

	seen[nseen++] = qn;
	for (;;) {
		const ldns_rr *cname = NULL;
		const ldns_rdf *target;

		for (i = 0; i < n; i++) {
			const ldns_rr *rr = ldns_rr_list_rr(an, i);

			if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || ldns_rr_owner(rr) == NULL ||
			    ldns_dname_compare(ldns_rr_owner(rr), cur) != 0)
				continue;
			if (ldns_rr_get_type(rr) == type) {
				*final = cur;
				return 0;
			}
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && cname == NULL &&
			    ldns_rr_rd_count(rr) >= 1 &&
			    ldns_rdf_get_type(ldns_rr_rdf(rr, 0)) == LDNS_RDF_TYPE_DNAME)
				cname = rr;
		}
		if (cname == NULL) {
			*final = cur;
			return 0;
		}
		if (nseen > MAX_CNAMES)
			return -1;
		target = ldns_rr_rdf(cname, 0);
		for (j = 0; j < nseen; j++)
			if (ldns_dname_compare(seen[j], target) == 0)
				return -1;
		if (rr_ttl(cname) < *ttl)
			*ttl = rr_ttl(cname);
		seen[nseen++] = target;
		cur = target;
	}
}

/** A domain name rdf as lower-case text without the trailing dot ("" for the root); NULL on error. */
static char *name_text(const ldns_rdf *rdf)
{
	char *s;
	size_t n;

	if (rdf == NULL || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME)
		return NULL;
	s = ldns_rdf2str(rdf);
	if (s == NULL)
		return NULL;
	vg_lower(s);
	n = strlen(s);
	if (n > 0 && s[n - 1] == '.')
		s[n - 1] = '\0';
	return s;
}

/**
 * The character-strings of a TXT/SPF record, concatenated and cut at
 * VG_DNS_TXT_MAX; NULL when out of memory.  Bytes are kept as received,
 * so a NUL inside a string ends the text there for C string users.
 */
static char *txt_text(const ldns_rr *rr)
{
	struct vstr s;
	size_t i;
	char *out;

	vstr_init(&s, VG_DNS_TXT_MAX);
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		const uint8_t *d = ldns_rdf_data(f);
		size_t sz = ldns_rdf_size(f);

		if (ldns_rdf_get_type(f) != LDNS_RDF_TYPE_STR || sz < 1 || (size_t)d[0] + 1 > sz)
			continue;
		vstr_addn(&s, (const char *)d + 1, d[0]);
	}
	if (s.oom) {
		vstr_free(&s);
		return NULL;
	}
	out = malloc(s.len + 1);
	if (out != NULL)
		memcpy(out, s.buf, s.len + 1);
	vstr_free(&s);
	return out;
}

/**
 * Convert one record of the asked type into r.
 * @return 1 done, 0 the record is unusable (skip it), -1 out of memory
 */
static int rr_convert(const ldns_rr *rr, struct vg_dns_rr *r)
{
	static const unsigned char mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };
	const ldns_rdf *f = ldns_rr_rd_count(rr) >= 1 ? ldns_rr_rdf(rr, 0) : NULL;

	memset(r, 0, sizeof(*r));
	r->type = ldns_rr_get_type(rr);
	r->ttl = rr_ttl(rr);
	switch (r->type) {
	case VG_T_A:
		if (f == NULL || ldns_rdf_size(f) != 4)
			return 0;
		memcpy(r->ip.b, mapped, 12);
		memcpy(r->ip.b + 12, ldns_rdf_data(f), 4);
		r->ip.v4 = 1;
		return 1;
	case VG_T_AAAA:
		if (f == NULL || ldns_rdf_size(f) != 16)
			return 0;
		memcpy(r->ip.b, ldns_rdf_data(f), 16);
		r->ip.v4 = memcmp(r->ip.b, mapped, 12) == 0;
		return 1;
	case VG_T_MX:
		if (ldns_rr_rd_count(rr) < 2 || ldns_rdf_size(f) != 2)
			return 0;
		r->pref = ldns_rdf2native_int16(f);
		f = ldns_rr_rdf(rr, 1);
		/* FALLTHROUGH */
	case VG_T_PTR:
	case VG_T_CNAME:
	case VG_T_NS:
	case VG_T_SOA:           /* the primary server's name */
		if (f == NULL || ldns_rdf_get_type(f) != LDNS_RDF_TYPE_DNAME)
			return 0;
		r->text = name_text(f);
		return r->text ? 1 : -1;
	case VG_T_TXT:
	case VG_T_SPF:
		r->text = txt_text(rr);
		return r->text ? 1 : -1;
	default:
		return 1;
	}
}

/** The negative TTL: min(SOA TTL, SOA MINIMUM) of the authority section, else NEG_TTL_NOSOA. */
static uint32_t negative_ttl(const ldns_pkt *p)
{
	const ldns_rr_list *au = ldns_pkt_authority(p);
	size_t i;

	for (i = 0; au && i < ldns_rr_list_rr_count(au); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(au, i);
		const ldns_rdf *min;
		uint32_t t, m;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(rr) < 7)
			continue;
		min = ldns_rr_rdf(rr, 6);
		if (ldns_rdf_size(min) != 4)
			continue;
		t = rr_ttl(rr);
		m = ldns_rdf2native_int32(min);
		if (m > 0x7fffffffu)
			m = 0;
		return t < m ? t : m;
	}
	return NEG_TTL_NOSOA;
}

/** Build the answer of a reply that matches our question (rcode, CNAMEs, records, TTL). */
static enum vg_dns_reply make_answer(const ldns_pkt *p, const ldns_rdf *qn, const char *name,
    uint16_t type, int tcp, const struct vg_dns_answer **out)
{
	const ldns_rr_list *an = ldns_pkt_answer(p);
	struct answer_box *box;
	struct vg_dns_answer *a;
	const ldns_rdf *final = qn;
	uint32_t ttl = UINT32_MAX, cap;
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(p);
	size_t i, n = an ? ldns_rr_list_rr_count(an) : 0;

	a = answer_new(name, type);
	if (a == NULL)
		return VG_DNS_REPLY_NOMEM;
	box = (struct answer_box *)(void *)a;
	a->tcp = tcp != 0;
	if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
		/* IANA's names (RFC 1035, 2136) */
		static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		    "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };

		a->status = VG_DNS_TEMPFAIL;
		if ((size_t)rc < sizeof(names) / sizeof(names[0]))
			vg_strlcpy(a->why, names[rc], sizeof(a->why));
		else
			snprintf(a->why, sizeof(a->why), "rcode %d", (int)rc);
		*out = a;
		return VG_DNS_REPLY_OK;
	}
	if (follow_cnames(an, qn, type, &final, &ttl) < 0) {
		a->status = VG_DNS_TEMPFAIL;
		vg_strlcpy(a->why, "CNAME loop", sizeof(a->why));
		*out = a;
		return VG_DNS_REPLY_OK;
	}
	if (rc == LDNS_RCODE_NOERROR) {
		for (i = 0; i < n && a->n < MAX_RRS; i++) {
			const ldns_rr *rr = ldns_rr_list_rr(an, i);
			int r;

			if (ldns_rr_get_type(rr) != type || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
			    ldns_rr_owner(rr) == NULL || ldns_dname_compare(ldns_rr_owner(rr), final) != 0)
				continue;
			if (a->rr == NULL) {
				a->rr = calloc(MAX_RRS, sizeof(*a->rr));
				if (a->rr == NULL)
					goto nomem;
				box->bytes += MAX_RRS * sizeof(*a->rr);
			}
			r = rr_convert(rr, &a->rr[a->n]);
			if (r < 0)
				goto nomem;
			if (r == 0)
				continue;
			if (a->rr[a->n].text)
				box->bytes += strlen(a->rr[a->n].text) + 1;
			if (a->rr[a->n].ttl < ttl)
				ttl = a->rr[a->n].ttl;
			a->n++;
		}
	}
	if (a->n > 0) {
		struct vg_dns_rr *fit = a->n < MAX_RRS ? realloc(a->rr, a->n * sizeof(*a->rr)) : NULL;

		if (fit != NULL) {      /* give back the unused slots: the cache counts them */
			a->rr = fit;
			box->bytes -= (MAX_RRS - a->n) * sizeof(*a->rr);
		}
		a->status = VG_DNS_ANSWER;
	} else if (a->rr != NULL) {
		/* records of the type were there, none of them usable */
		a->status = VG_DNS_TEMPFAIL;
		vg_strlcpy(a->why, "malformed answer", sizeof(a->why));
		ttl = 0;
	} else {
		uint32_t neg = negative_ttl(p);

		a->status = rc == LDNS_RCODE_NXDOMAIN ? VG_DNS_NXDOMAIN : VG_DNS_NODATA;
		if (neg < ttl)
			ttl = neg;
	}
	cap = cache_max_ttl();
	if (cap > 0 && ttl > cap)
		ttl = cap;
	a->ttl = ttl;
	*out = a;
	return VG_DNS_REPLY_OK;
nomem:
	answer_free(a);
	return VG_DNS_REPLY_NOMEM;
}

enum vg_dns_reply vg_dns_parse(const unsigned char *wire, size_t len, uint16_t id,
    const char *name, uint16_t type, int tcp, const struct vg_dns_answer **out)
{
	ldns_pkt *p = NULL;
	ldns_rdf *qn = NULL;
	enum vg_dns_reply r;

	*out = NULL;
	if (wire == NULL || len < 12)
		return VG_DNS_REPLY_MALFORMED;
	if ((uint16_t)((wire[0] << 8) | wire[1]) != id)
		return VG_DNS_REPLY_MISMATCH;
	if (ldns_wire2pkt(&p, wire, len) != LDNS_STATUS_OK || p == NULL)
		return VG_DNS_REPLY_MALFORMED;
	qn = ldns_dname_new_frm_str(name);
	if (qn == NULL)
		r = VG_DNS_REPLY_MISMATCH;
	else if (!reply_matches(p, qn, type))
		r = VG_DNS_REPLY_MISMATCH;
	else if (!tcp && ldns_pkt_tc(p))
		r = VG_DNS_REPLY_TRUNCATED;
	else
		r = make_answer(p, qn, name, type, tcp, out);
	ldns_rdf_deep_free(qn);
	ldns_pkt_free(p);
	return r;
}

/* ------------------------------------------------------------------ */
/* Batches                                                            */
/* ------------------------------------------------------------------ */

/** TCP progress of a query. */
enum tcp_state { TCP_CONNECTING, TCP_SENDING, TCP_READING };

/** One lookup of a batch, with its query state while it is open. */
struct lookup {
	char name[VG_DNS_NAME_MAX + 1];
	uint16_t type;
	const struct vg_dns_answer *ans;   /**< NULL while open */
	int from_cache;
	int sent;                          /**< queries sent (UDP and TCP) */
	int64_t t_add_us, t_done_us;

	uint16_t id;
	uint8_t *wire;                     /**< the query (ldns allocation) */
	size_t wlen;
	int attempt;                       /**< attempts started */
	int64_t next_ms;                   /**< end of the current attempt */
	int cur_server;                    /**< server of the current attempt */
	int udp_fd[UDP_SLOTS];             /**< [0] older, [1] newer; -1 unused */
	int udp_server[UDP_SLOTS];
	int tcp;                           /**< switched to TCP after TC */
	int tfd;                           /**< TCP socket or -1 */
	enum tcp_state tstate;
	unsigned char *tbuf;               /**< TCP: outgoing query, then the reply */
	size_t tpos, tlen;
	unsigned char thdr[2];
	enum vg_dns_reply bad;             /**< last ignored reply (MISMATCH/MALFORMED), else OK */
	int timedout, neterr;
};

/** What a pollfd entry belongs to. */
struct pfd_owner {
	size_t li;      /**< lookup index */
	int slot;       /**< UDP slot, or -1 for TCP */
};

/** A batch: its lookups, and the poll set and receive buffer its waits reuse. */
struct vg_dns_batch {
	const struct vg_dns_settings *s;
	struct lookup **v;
	size_t n, cap;
	struct pollfd *pfd;
	struct pfd_owner *own;
	size_t pcap;
	unsigned char *rbuf;     /**< UDP receive buffer, RBUF_SIZE bytes */
};

struct vg_dns_batch *vg_dns_batch_new(const struct vg_dns_settings *s)
{
	struct vg_dns_batch *b = calloc(1, sizeof(*b));

	if (b != NULL)
		b->s = s;
	return b;
}

/** Close a query's sockets and drop its buffers. */
static void lookup_close(struct lookup *l)
{
	int i;

	for (i = 0; i < UDP_SLOTS; i++) {
		if (l->udp_fd[i] >= 0)
			close(l->udp_fd[i]);
		l->udp_fd[i] = -1;
	}
	if (l->tfd >= 0)
		close(l->tfd);
	l->tfd = -1;
	free(l->tbuf);
	l->tbuf = NULL;
	free(l->wire);
	l->wire = NULL;
}

/** Complete a lookup with answer a (our reference); cache it if it may be. */
static void lookup_finish(struct lookup *l, const struct vg_dns_answer *a)
{
	lookup_close(l);
	l->ans = a;
	l->t_done_us = now_us();
	vg_dns_cache_put(a);
}

/** Complete a lookup that got no usable answer, with the best reason. */
static void lookup_fail(struct lookup *l)
{
	const char *why;

	if (l->bad == VG_DNS_REPLY_MISMATCH)
		why = "mismatched answer";
	else if (l->bad == VG_DNS_REPLY_MALFORMED)
		why = "malformed answer";
	else if (l->timedout || !l->neterr)
		why = "timeout";
	else
		why = "network error";
	lookup_finish(l, answer_tempfail(l->name, l->type, why));
}

void vg_dns_batch_free(struct vg_dns_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++) {
		lookup_close(b->v[i]);
		vg_dns_answer_unref(b->v[i]->ans);
		free(b->v[i]);
	}
	free(b->v);
	free(b->pfd);
	free(b->own);
	free(b->rbuf);
	free(b);
}

/** A random 16-bit query ID from the kernel (ldns's generator as a fallback). */
static uint16_t random_id(void)
{
	uint16_t id;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) == (ssize_t)sizeof(id))
		return id;
	return ldns_get_random();
}

/** Build the query packet of l (random ID, RD, EDNS0 if asked); -1 on a bad name or no memory. */
static int lookup_build(struct lookup *l, int edns_size)
{
	ldns_rdf *qn = ldns_dname_new_frm_str(l->name);
	ldns_pkt *p;
	ldns_status st;

	if (qn == NULL)
		return -1;
	p = ldns_pkt_query_new(qn, (ldns_rr_type)l->type, LDNS_RR_CLASS_IN, LDNS_RD);
	if (p == NULL) {
		ldns_rdf_deep_free(qn);
		return -1;
	}
	l->id = random_id();
	ldns_pkt_set_id(p, l->id);
	if (edns_size > 0)
		ldns_pkt_set_edns_udp_size(p, (uint16_t)(edns_size > 65535 ? 65535 : edns_size));
	st = ldns_pkt2wire(&l->wire, p, &l->wlen);
	ldns_pkt_free(p);
	if (st != LDNS_STATUS_OK || l->wire == NULL) {
		free(l->wire);
		l->wire = NULL;
		return -1;
	}
	return 0;
}

/*
 * Per-server counters.  A small append-only table keyed by the server's
 * socket address: entries are written once under srv_lock and published by
 * a release store of srv_n, so the hot path (one scan of a few entries,
 * then atomic adds) takes no lock.  Servers dropped by a reload keep their
 * counters (Prometheus counters must not go backwards).
 */
enum srv_counter { SRV_UDP, SRV_TCP, SRV_ANSWERS, SRV_FAIL_RCODE, SRV_TIMEOUTS, SRV_BAD, SRV_NETERR, SRV_NCOUNTERS };
static struct {
	struct sockaddr_storage sa;
	socklen_t len;
	unsigned long c[SRV_NCOUNTERS];
} srv_stats[VG_DNS_MAX_SERVER_STATS];
static size_t srv_n;
static pthread_mutex_t srv_lock = PTHREAD_MUTEX_INITIALIZER;

/** The slot of a server, made on first use; -1 when the table is full. */
static int srv_slot(const struct sockaddr_storage *sa, socklen_t len)
{
	size_t i, n = __atomic_load_n(&srv_n, __ATOMIC_ACQUIRE);
	int slot = -1;

	for (i = 0; i < n; i++)
		if (srv_stats[i].len == len && memcmp(&srv_stats[i].sa, sa, len) == 0)
			return (int)i;
	pthread_mutex_lock(&srv_lock);
	n = srv_n;
	for (i = 0; i < n; i++)
		if (srv_stats[i].len == len && memcmp(&srv_stats[i].sa, sa, len) == 0)
			break;
	if (i < n) {
		slot = (int)i;
	} else if (n < VG_DNS_MAX_SERVER_STATS) {
		memcpy(&srv_stats[n].sa, sa, len);
		srv_stats[n].len = len;
		__atomic_store_n(&srv_n, n + 1, __ATOMIC_RELEASE);
		slot = (int)n;
	}
	pthread_mutex_unlock(&srv_lock);
	return slot;
}

/** Count one event for server srv of the batch's settings. */
static void srv_count(const struct vg_dns_batch *b, int srv, enum srv_counter c)
{
	int slot;

	if (b->s == NULL || srv < 0 || srv >= b->s->nservers)
		return;
	slot = srv_slot(&b->s->servers[srv], b->s->server_len[srv]);
	if (slot >= 0)
		__atomic_add_fetch(&srv_stats[slot].c[c], 1, __ATOMIC_RELAXED);
}

size_t vg_dns_server_stats(struct vg_dns_server_stats *out, size_t max)
{
	size_t i, n = __atomic_load_n(&srv_n, __ATOMIC_ACQUIRE);

	for (i = 0; i < n && i < max; i++) {
		const struct sockaddr_storage *sa = &srv_stats[i].sa;
		char host[INET6_ADDRSTRLEN] = "?";
		unsigned port = 0;

		if (sa->ss_family == AF_INET) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;
			inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
			port = ntohs(sin->sin_port);
			snprintf(out[i].server, sizeof(out[i].server), "%s:%u", host, port);
		} else {
			const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)sa;
			inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
			port = ntohs(sin6->sin6_port);
			snprintf(out[i].server, sizeof(out[i].server), "[%s]:%u", host, port);
		}
		out[i].udp_queries = __atomic_load_n(&srv_stats[i].c[SRV_UDP], __ATOMIC_RELAXED);
		out[i].tcp_queries = __atomic_load_n(&srv_stats[i].c[SRV_TCP], __ATOMIC_RELAXED);
		out[i].answers = __atomic_load_n(&srv_stats[i].c[SRV_ANSWERS], __ATOMIC_RELAXED);
		out[i].rcode_failures = __atomic_load_n(&srv_stats[i].c[SRV_FAIL_RCODE], __ATOMIC_RELAXED);
		out[i].timeouts = __atomic_load_n(&srv_stats[i].c[SRV_TIMEOUTS], __ATOMIC_RELAXED);
		out[i].bad_replies = __atomic_load_n(&srv_stats[i].c[SRV_BAD], __ATOMIC_RELAXED);
		out[i].network_errors = __atomic_load_n(&srv_stats[i].c[SRV_NETERR], __ATOMIC_RELAXED);
	}
	return i;
}

/** Send the query over UDP to server srv, reusing its socket if one is open; -1 on failure. */
static int udp_send(const struct vg_dns_batch *b, struct lookup *l, int srv)
{
	const struct sockaddr *sa = (const struct sockaddr *)&b->s->servers[srv];
	int i, fd = -1;

	for (i = 0; i < UDP_SLOTS; i++)
		if (l->udp_fd[i] >= 0 && l->udp_server[i] == srv)
			fd = l->udp_fd[i];
	if (fd < 0) {
		fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		/* connected: the kernel drops datagrams from any other address */
		if (connect(fd, sa, b->s->server_len[srv]) < 0) {
			close(fd);
			return -1;
		}
		if (l->udp_fd[UDP_SLOTS - 1] >= 0) {
			if (l->udp_fd[0] >= 0)
				close(l->udp_fd[0]);
			for (i = 0; i < UDP_SLOTS - 1; i++) {
				l->udp_fd[i] = l->udp_fd[i + 1];
				l->udp_server[i] = l->udp_server[i + 1];
			}
			l->udp_fd[UDP_SLOTS - 1] = -1;
		}
		for (i = 0; l->udp_fd[i] >= 0; i++)
			;
		l->udp_fd[i] = fd;
		l->udp_server[i] = srv;
	}
	if (send(fd, l->wire, l->wlen, MSG_NOSIGNAL) != (ssize_t)l->wlen)
		return -1;
	l->sent++;
	srv_count(b, srv, SRV_UDP);
	return 0;
}

/** Start a TCP query to server srv (non-blocking connect); -1 on failure. */
static int tcp_start(const struct vg_dns_batch *b, struct lookup *l, int srv)
{
	const struct sockaddr *sa = (const struct sockaddr *)&b->s->servers[srv];
	int fd;

	if (l->tfd >= 0)
		close(l->tfd);
	l->tfd = -1;
	free(l->tbuf);
	l->tbuf = malloc(l->wlen + 2);
	if (l->tbuf == NULL)
		return -1;
	l->tbuf[0] = (unsigned char)(l->wlen >> 8);
	l->tbuf[1] = (unsigned char)(l->wlen & 0xff);
	memcpy(l->tbuf + 2, l->wire, l->wlen);
	l->tlen = l->wlen + 2;
	l->tpos = 0;
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, sa, b->s->server_len[srv]) == 0) {
		l->tstate = TCP_SENDING;
	} else if (errno == EINPROGRESS) {
		l->tstate = TCP_CONNECTING;
	} else {
		close(fd);
		return -1;
	}
	l->tfd = fd;
	l->sent++;
	srv_count(b, srv, SRV_TCP);
	return 0;
}

/** Start the next attempt (next server in turn), or fail the lookup when none is left. */
static void next_attempt(const struct vg_dns_batch *b, struct lookup *l, int64_t now)
{
	int attempts = b->s->attempts > 0 ? b->s->attempts : 1;
	int timeout = b->s->timeout_ms > 0 ? b->s->timeout_ms : 1000;

	if (l->tfd >= 0)
		close(l->tfd);
	l->tfd = -1;
	while (l->attempt < attempts) {
		int srv = l->attempt % b->s->nservers;

		l->attempt++;
		l->cur_server = srv;
		if ((l->tcp ? tcp_start(b, l, srv) : udp_send(b, l, srv)) == 0) {
			l->next_ms = now + timeout;
			return;
		}
		l->neterr = 1;
		srv_count(b, srv, SRV_NETERR);
	}
	lookup_fail(l);
}

/** Handle a reply to l; srv is the server it came from. */
static void handle_reply(const struct vg_dns_batch *b, struct lookup *l, const unsigned char *p,
    size_t n, int tcp, int srv)
{
	const struct vg_dns_answer *a = NULL;
	enum vg_dns_reply r = vg_dns_parse(p, n, l->id, l->name, l->type, tcp, &a);
	int timeout = b->s->timeout_ms > 0 ? b->s->timeout_ms : 1000;

	switch (r) {
	case VG_DNS_REPLY_OK:
		srv_count(b, srv, a->status == VG_DNS_TEMPFAIL ? SRV_FAIL_RCODE : SRV_ANSWERS);
		lookup_finish(l, a);
		return;
	case VG_DNS_REPLY_NOMEM:
		lookup_finish(l, answer_tempfail(l->name, l->type, "out of memory"));
		return;
	case VG_DNS_REPLY_TRUNCATED:
		/* Ask the same server again over TCP; this is not a new attempt. */
		if (l->tcp)
			return;
		l->tcp = 1;
		for (int i = 0; i < UDP_SLOTS; i++) {
			if (l->udp_fd[i] >= 0)
				close(l->udp_fd[i]);
			l->udp_fd[i] = -1;
		}
		l->cur_server = srv;
		if (tcp_start(b, l, srv) == 0)
			l->next_ms = vg_dns_now_ms() + timeout;
		else {
			l->neterr = 1;
			next_attempt(b, l, vg_dns_now_ms());
		}
		return;
	case VG_DNS_REPLY_MISMATCH:
	case VG_DNS_REPLY_MALFORMED:
		srv_count(b, srv, SRV_BAD);
		l->bad = r;
		if (tcp)         /* a stream that says nonsense is done */
			next_attempt(b, l, vg_dns_now_ms());
		return;
	}
}

/** Read what a UDP socket of l has (maybe several datagrams, maybe spoofed ones). */
static void udp_read(struct vg_dns_batch *b, struct lookup *l, int slot)
{
	int fd = l->udp_fd[slot], srv = l->udp_server[slot];

	for (;;) {
		ssize_t n = recv(fd, b->rbuf, RBUF_SIZE, 0);

		if (n >= 0) {
			handle_reply(b, l, b->rbuf, (size_t)n, 0, srv);
			if (l->ans != NULL || l->tcp || l->udp_fd[slot] != fd)
				return;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		/* ECONNREFUSED (ICMP port unreachable) and the like: this server is out */
		close(fd);
		l->udp_fd[slot] = -1;
		l->neterr = 1;
		srv_count(b, srv, SRV_NETERR);
		if (srv == l->cur_server)
			next_attempt(b, l, vg_dns_now_ms());
		return;
	}
}

/** Move l's TCP exchange on: connect, send, read the length, read the reply. */
static void tcp_io(struct vg_dns_batch *b, struct lookup *l)
{
	ssize_t n;

	for (;;) {
		switch (l->tstate) {
		case TCP_CONNECTING: {
			int err = 0;
			socklen_t len = sizeof(err);

			if (getsockopt(l->tfd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0)
				goto fail;
			l->tstate = TCP_SENDING;
			break;
		}
		case TCP_SENDING:
			n = send(l->tfd, l->tbuf + l->tpos, l->tlen - l->tpos, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					return;
				goto fail;
			}
			l->tpos += (size_t)n;
			if (l->tpos < l->tlen)
				return;
			free(l->tbuf);
			l->tbuf = NULL;
			l->tlen = 0;
			l->tpos = 0;
			l->tstate = TCP_READING;
			break;
		case TCP_READING:
			if (l->tbuf == NULL) {          /* the 2-byte length first */
				n = recv(l->tfd, l->thdr + l->tpos, 2 - l->tpos, 0);
			} else {
				n = recv(l->tfd, l->tbuf + l->tpos, l->tlen - l->tpos, 0);
			}
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					return;
				goto fail;
			}
			if (n == 0)
				goto fail;               /* closed before a whole reply */
			l->tpos += (size_t)n;
			if (l->tbuf == NULL) {
				if (l->tpos < 2)
					break;
				l->tlen = ((size_t)l->thdr[0] << 8) | l->thdr[1];
				l->tpos = 0;
				if (l->tlen < 12) {
					l->bad = VG_DNS_REPLY_MALFORMED;
					srv_count(b, l->cur_server, SRV_BAD);
					next_attempt(b, l, vg_dns_now_ms());
					return;
				}
				l->tbuf = malloc(l->tlen);
				if (l->tbuf == NULL) {
					lookup_finish(l, answer_tempfail(l->name, l->type, "out of memory"));
					return;
				}
				break;
			}
			if (l->tpos < l->tlen)
				break;
			{
				unsigned char *reply = l->tbuf;
				size_t len = l->tlen;

				l->tbuf = NULL;
				handle_reply(b, l, reply, len, 1, l->cur_server);
				free(reply);
			}
			return;
		}
	}
fail:
	l->neterr = 1;
	srv_count(b, l->cur_server, SRV_NETERR);
	next_attempt(b, l, vg_dns_now_ms());
}

int vg_dns_add(struct vg_dns_batch *b, const char *name, uint16_t type)
{
	char n[VG_DNS_NAME_MAX + 1];
	struct lookup *l;
	size_t i;

	if (b == NULL || norm_name(name, n) < 0)
		return -1;
	for (i = 0; i < b->n; i++)
		if (b->v[i]->type == type && strcmp(b->v[i]->name, n) == 0)
			return (int)i;
	if (b->n >= INT_MAX)
		return -1;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		struct lookup **v = realloc(b->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		b->v = v;
		b->cap = cap;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -1;
	memcpy(l->name, n, sizeof(n));
	l->type = type;
	l->tfd = -1;
	for (i = 0; i < UDP_SLOTS; i++)
		l->udp_fd[i] = -1;
	l->t_add_us = now_us();
	l->ans = cache_get(n, type);
	if (l->ans != NULL) {
		l->from_cache = 1;
		l->t_done_us = now_us();
	} else if (b->s == NULL || b->s->nservers <= 0) {
		l->ans = answer_tempfail(n, type, "network error");
		l->t_done_us = now_us();
	} else {
		if (lookup_build(l, b->s->edns_size) < 0) {
			free(l);
			return -1;
		}
		next_attempt(b, l, l->t_add_us / 1000);
	}
	b->v[b->n] = l;
	return (int)b->n++;
}

/** Make room for n pollfd entries; -1 when out of memory. */
static int pfd_reserve(struct vg_dns_batch *b, size_t n)
{
	struct pollfd *p;
	struct pfd_owner *o;

	if (n <= b->pcap)
		return 0;
	p = realloc(b->pfd, n * sizeof(*p));
	if (p == NULL)
		return -1;
	b->pfd = p;
	o = realloc(b->own, n * sizeof(*o));
	if (o == NULL)
		return -1;
	b->own = o;
	b->pcap = n;
	return 0;
}

/** Is every lookup we wait for complete? */
static int all_done(const struct vg_dns_batch *b, const int *idx, size_t n)
{
	size_t i;

	if (n == 0) {
		for (i = 0; i < b->n; i++)
			if (b->v[i]->ans == NULL)
				return 0;
		return 1;
	}
	for (i = 0; i < n; i++)
		if (idx[i] >= 0 && (size_t)idx[i] < b->n && b->v[idx[i]]->ans == NULL)
			return 0;
	return 1;
}

/** Complete the lookups we wait for that are still open as timed out. */
static void cut_at_deadline(struct vg_dns_batch *b, const int *idx, size_t n)
{
	size_t i;

	for (i = 0; i < (n ? n : b->n); i++) {
		size_t k = n ? (size_t)idx[i] : i;

		if (n && (idx[i] < 0 || k >= b->n))
			continue;
		if (b->v[k]->ans == NULL) {
			b->v[k]->timedout = 1;
			srv_count(b, b->v[k]->cur_server, SRV_TIMEOUTS);
			lookup_fail(b->v[k]);
		}
	}
}

/** Fail every open lookup of the batch now (out of memory for the poll set). */
static void fail_all(struct vg_dns_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->v[i]->ans == NULL)
			lookup_finish(b->v[i], answer_tempfail(b->v[i]->name, b->v[i]->type, "out of memory"));
}

/**
 * One round of the wait loop: poll every open socket until something is
 * ready or until the earliest retry time (never past deadline_ms), read
 * what came, start the retries that are due.  Open lookups are never
 * failed here.  -1 when the batch could not go on (out of memory, poll
 * error): every open lookup has then failed.
 */
static int wait_round(struct vg_dns_batch *b, int64_t deadline_ms)
{
	int64_t now = vg_dns_now_ms(), wake = deadline_ms;
	size_t i, np = 0;
	int timeout, rc;

	if (b->rbuf == NULL && (b->rbuf = malloc(RBUF_SIZE)) == NULL) {
		fail_all(b);
		return -1;
	}
	if (pfd_reserve(b, b->n * (UDP_SLOTS + 1)) < 0) {
		fail_all(b);
		return -1;
	}
	for (i = 0; i < b->n; i++) {
		struct lookup *l = b->v[i];
		int s;

		if (l->ans != NULL)
			continue;
		if (l->next_ms < wake)
			wake = l->next_ms;
		for (s = 0; s < UDP_SLOTS; s++) {
			if (l->udp_fd[s] < 0)
				continue;
			b->pfd[np] = (struct pollfd){ .fd = l->udp_fd[s], .events = POLLIN };
			b->own[np++] = (struct pfd_owner){ .li = i, .slot = s };
		}
		if (l->tfd >= 0) {
			b->pfd[np] = (struct pollfd){ .fd = l->tfd,
			    .events = l->tstate == TCP_READING ? POLLIN : POLLOUT };
			b->own[np++] = (struct pfd_owner){ .li = i, .slot = -1 };
		}
	}
	timeout = wake <= now ? 0 : (wake - now > INT_MAX ? INT_MAX : (int)(wake - now));
	rc = poll(b->pfd, (nfds_t)np, timeout);
	if (rc < 0 && errno != EINTR && errno != EAGAIN) {
		fail_all(b);         /* cannot happen with a valid set; do not spin */
		return -1;
	}
	for (i = 0; rc > 0 && i < np; i++) {
		struct lookup *l = b->v[b->own[i].li];
		int s = b->own[i].slot;

		if (b->pfd[i].revents == 0 || l->ans != NULL)
			continue;
		/* the socket may have been closed or replaced by an earlier event */
		if (s >= 0 && l->udp_fd[s] == b->pfd[i].fd)
			udp_read(b, l, s);
		else if (s < 0 && l->tfd == b->pfd[i].fd)
			tcp_io(b, l);
	}
	now = vg_dns_now_ms();
	for (i = 0; i < b->n; i++) {
		struct lookup *l = b->v[i];

		if (l->ans == NULL && now >= l->next_ms) {
			l->timedout = 1;
			srv_count(b, l->cur_server, SRV_TIMEOUTS);
			next_attempt(b, l, now);
		}
	}
	return 0;
}

void vg_dns_wait(struct vg_dns_batch *b, const int *idx, size_t n, int64_t deadline_ms)
{
	if (b == NULL)
		return;
	while (!all_done(b, idx, n)) {
		if (wait_round(b, deadline_ms) < 0)
			return;
		if (!all_done(b, idx, n) && vg_dns_now_ms() >= deadline_ms) {
			cut_at_deadline(b, idx, n);
			return;
		}
	}
}

void vg_dns_poll(struct vg_dns_batch *b)
{
	if (b != NULL && !all_done(b, NULL, 0))
		wait_round(b, vg_dns_now_ms());
}

const struct vg_dns_answer *vg_dns_result(const struct vg_dns_batch *b, int idx)
{
	if (b == NULL || idx < 0 || (size_t)idx >= b->n)
		return NULL;
	return b->v[idx]->ans;
}

size_t vg_dns_count(const struct vg_dns_batch *b)
{
	return b ? b->n : 0;
}

void vg_dns_trace(const struct vg_dns_batch *b, size_t i, struct vg_dns_trace *t)
{
	const struct lookup *l;

	memset(t, 0, sizeof(*t));
	if (b == NULL || i >= b->n)
		return;
	l = b->v[i];
	t->name = l->name;
	t->type = l->type;
	t->answer = l->ans;
	t->from_cache = l->from_cache;
	t->queries_sent = l->sent;
	t->ms = (double)((l->ans ? l->t_done_us : now_us()) - l->t_add_us) / 1000.0;
}
