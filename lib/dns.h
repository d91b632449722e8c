/**
 * @file dns.h
 * vigie's DNS layer, on ldns: a stub resolver that sends many queries at
 * once and waits for them together, retries and times out per query,
 * falls back to TCP on truncation, checks every answer against its
 * question, and keeps a TTL cache shared by all connections.
 *
 * Every lookup ends in exactly one of four outcomes: answers, NXDOMAIN,
 * NODATA, or a temporary failure (timeout, SERVFAIL, REFUSED, garbage).
 * A temporary failure is never confused with "not found".
 *
 * Threads: a batch belongs to one connection (one thread at a time); the
 * cache and the settings are shared and safe to use from any thread.
 */
#ifndef VIGIE_DNS_H
#define VIGIE_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ip.h"

/** RR types vigie asks for (wire values). */
enum {
	VG_T_A = 1, VG_T_NS = 2, VG_T_CNAME = 5, VG_T_SOA = 6, VG_T_PTR = 12,
	VG_T_MX = 15, VG_T_TXT = 16, VG_T_AAAA = 28, VG_T_SPF = 99
};

#define VG_DNS_MAX_SERVERS 8
#define VG_DNS_NAME_MAX    255   /**< presentation form, no trailing dot */
#define VG_DNS_TXT_MAX     65535 /**< longest TXT answer kept (strings concatenated): a whole DNS message, so an SPF policy is never cut */

/** Outcome of one lookup. */
enum vg_dns_status {
	VG_DNS_ANSWER = 0,   /**< one or more RRs of the asked type (after CNAMEs in the answer) */
	VG_DNS_NXDOMAIN,     /**< the name does not exist */
	VG_DNS_NODATA,       /**< the name exists, no RR of that type */
	VG_DNS_TEMPFAIL      /**< timeout, SERVFAIL, REFUSED, malformed or mismatched answer, network error */
};

/** One resource record of an answer. */
struct vg_dns_rr {
	uint16_t type;       /**< VG_T_* */
	uint32_t ttl;
	uint16_t pref;       /**< MX preference */
	struct vg_ip ip;     /**< A, AAAA */
	char *text;          /**< PTR, MX, CNAME, NS: lower-case name without the trailing dot
	                          ("" for the null MX "."); TXT: its strings concatenated,
	                          bytes as received, at most VG_DNS_TXT_MAX */
};

/**
 * An answer.  Immutable once made; shared between the cache and the
 * batches that asked (reference counted).
 */
struct vg_dns_answer {
	int refs;                     /**< see vg_dns_answer_ref/unref */
	char name[VG_DNS_NAME_MAX + 1]; /**< the question, lower-case, no trailing dot */
	uint16_t type;
	enum vg_dns_status status;
	char why[48];                 /**< TEMPFAIL reason: "timeout", "SERVFAIL", "REFUSED", "FORMERR",
	                                   "malformed answer", "mismatched answer", "network error", "CNAME loop" */
	size_t n;                     /**< number of records in rr */
	struct vg_dns_rr *rr;         /**< records of the asked type */
	uint32_t ttl;                 /**< how long it may be cached (negative TTL from the SOA for NXDOMAIN/NODATA) */
	int tcp;                      /**< it came over TCP (after a truncated UDP answer) */
};

/** Take a reference. */
const struct vg_dns_answer *vg_dns_answer_ref(const struct vg_dns_answer *a);
/** Drop a reference (NULL is fine). */
void vg_dns_answer_unref(const struct vg_dns_answer *a);
/** "A", "AAAA", "MX", ... */
const char *vg_dns_type_name(uint16_t type);
/** "answer", "NXDOMAIN", "NODATA", "tempfail" */
const char *vg_dns_status_name(enum vg_dns_status st);

/** Resolver settings: immutable, part of a configuration. */
struct vg_dns_settings {
	struct sockaddr_storage servers[VG_DNS_MAX_SERVERS];
	socklen_t server_len[VG_DNS_MAX_SERVERS];
	int nservers;
	int timeout_ms;     /**< wait for one attempt, then retry (next server) */
	int attempts;       /**< tries per query, over the servers in turn (>= 1) */
	int edns_size;      /**< EDNS0 UDP payload size advertised; 0: no EDNS0 */
};

/**
 * Fill settings from a spec: "system" (the nameservers of /etc/resolv.conf,
 * or of the file named by resolv_conf when not NULL) or a list such as
 * "127.0.0.1:5353, [::1]:53, 192.0.2.53" (port 53 by default).
 * Keeps timeout_ms/attempts/edns_size as they are.
 * @param err set to a static message on failure
 * @return 0, or -1
 */
int vg_dns_settings_parse(struct vg_dns_settings *s, const char *spec, const char *resolv_conf, const char **err);

/**
 * The process-wide cache.  vg_dns_cache_init sets its bounds (call once,
 * before threads start; calling again clears it).  Without it, nothing is
 * cached.  TTLs are honoured, capped at max_ttl seconds; temporary
 * failures are never cached.  Least recently used entries go first when
 * max_entries or max_bytes is reached.
 */
void vg_dns_cache_init(size_t max_entries, size_t max_bytes, uint32_t max_ttl);
/** Cache counters. */
struct vg_dns_cache_stats {
	unsigned long hits, misses, entries, bytes, evictions;
};
/** Read the cache counters (thread-safe). */
void vg_dns_cache_stats(struct vg_dns_cache_stats *st);

/** How many servers keep counters (servers of every configuration loaded since start). */
#define VG_DNS_MAX_SERVER_STATS 32
/** Counters of one DNS server, since start. */
struct vg_dns_server_stats {
	char server[64];                  /**< "192.0.2.53:53" or "[2001:db8::53]:53" */
	unsigned long udp_queries, tcp_queries;
	unsigned long answers;            /**< replies accepted (answer, NXDOMAIN, NODATA) */
	unsigned long rcode_failures;     /**< SERVFAIL, REFUSED and the like */
	unsigned long timeouts;           /**< attempts on it that got no reply in time */
	unsigned long bad_replies;        /**< malformed or mismatched replies (ignored) */
	unsigned long network_errors;     /**< send/connect failures, refused ports, TCP closed early */
};
/** Copy up to max servers' counters into out (thread-safe); returns how many. */
size_t vg_dns_server_stats(struct vg_dns_server_stats *out, size_t max);
/** Empty the cache and free it (at exit; tests). */
void vg_dns_cache_free(void);
/**
 * The cached answer for (name, type), if any and not expired: a new
 * reference the caller drops with vg_dns_answer_unref.  Counts a hit or a
 * miss.  The name may end with a dot; case does not matter.
 */
const struct vg_dns_answer *vg_dns_cache_get(const char *name, uint16_t type);
/**
 * Store an answer (takes its own reference).  Temporary failures and
 * answers with a TTL of 0 are not stored; an entry for the same question
 * is replaced.  The batches call it; exported for the SPF layer and tests.
 */
void vg_dns_cache_put(const struct vg_dns_answer *a);

/** What vg_dns_parse made of a reply. */
enum vg_dns_reply {
	VG_DNS_REPLY_OK = 0,     /**< *out is the answer (any status, SERVFAIL included) */
	VG_DNS_REPLY_TRUNCATED,  /**< TC set on a UDP reply: ask again over TCP */
	VG_DNS_REPLY_MISMATCH,   /**< not a reply to this question (ID, QR, opcode, question): ignore it */
	VG_DNS_REPLY_MALFORMED,  /**< not a DNS message: ignore it */
	VG_DNS_REPLY_NOMEM       /**< out of memory */
};

/**
 * Check a reply against its question and turn it into an answer: the
 * parsing half of the resolver, apart from the sockets so that it can be
 * tested with crafted packets.  CNAMEs in the answer section are followed
 * (at most 8); the TTL is capped by the cache's max_ttl.
 * @param wire the reply as received (untrusted)
 * @param id the ID of our query
 * @param name the question, lower-case, no trailing dot
 * @param tcp the reply came over TCP (TC is then not a reason to retry)
 * @param out set to a new answer (one reference) when VG_DNS_REPLY_OK
 */
enum vg_dns_reply vg_dns_parse(const unsigned char *wire, size_t len, uint16_t id,
    const char *name, uint16_t type, int tcp, const struct vg_dns_answer **out);

/**
 * A batch: the lookups of one connection.  The same name and type is
 * looked up once per batch, whatever the number of vg_dns_add calls.
 */
struct vg_dns_batch;

/** A new batch using settings s (not copied: s must outlive the batch). */
struct vg_dns_batch *vg_dns_batch_new(const struct vg_dns_settings *s);
/** Free a batch: open sockets closed, answers released. */
void vg_dns_batch_free(struct vg_dns_batch *b);
/**
 * Ask for (name, type).  The name may end with a dot; it is lower-cased.
 * A cached answer completes at once; otherwise the query is sent now
 * (non-blocking).  Adding the same question again returns the same index.
 * @return an index for the other calls, or -1 (bad name, out of memory)
 */
int vg_dns_add(struct vg_dns_batch *b, const char *name, uint16_t type);
/**
 * Wait until every listed lookup is complete or the deadline passes
 * (CLOCK_MONOTONIC, milliseconds, see vg_dns_now_ms); lookups still open
 * at the deadline complete as TEMPFAIL "timeout".  n == 0 waits for all.
 * Meanwhile the other open lookups of the batch progress too (replies
 * read, retries sent) but stay open at the deadline.  A lookup that got
 * only replies that were ignored ends as "mismatched answer" or
 * "malformed answer" rather than "timeout".
 */
void vg_dns_wait(struct vg_dns_batch *b, const int *idx, size_t n, int64_t deadline_ms);
/**
 * Take in the replies that have come, without waiting (retries due are
 * sent; nothing is failed): lets a caller start the lookups that depend on
 * an answer as soon as it is there.
 */
void vg_dns_poll(struct vg_dns_batch *b);

/**
 * A name as the lookups take it: one trailing dot dropped, lower-cased
 * into out; -1 for what cannot be asked (empty, an empty label, a label
 * over 63 or a name over 253 bytes, a byte that is not printable ASCII,
 * a blank or a backslash).
 */
int vg_dns_name_norm(const char *name, char out[VG_DNS_NAME_MAX + 1]);
/** The answer of a lookup, or NULL while it is still open. */
const struct vg_dns_answer *vg_dns_result(const struct vg_dns_batch *b, int idx);

/** What a batch did for one lookup, for explain and statistics. */
struct vg_dns_trace {
	const char *name;
	uint16_t type;
	const struct vg_dns_answer *answer;  /**< NULL while open */
	int from_cache;       /**< answered from the cache, no query sent */
	int queries_sent;     /**< UDP and TCP queries sent for it */
	double ms;            /**< from the add to completion */
};
/** Number of lookups in the batch. */
size_t vg_dns_count(const struct vg_dns_batch *b);
/** Trace of lookup i (0 <= i < vg_dns_count). */
void vg_dns_trace(const struct vg_dns_batch *b, size_t i, struct vg_dns_trace *t);

/** Milliseconds on CLOCK_MONOTONIC, for deadlines. */
int64_t vg_dns_now_ms(void);

/**
 * Build the DNSBL query name for an address under zone (RFC 5782):
 * IPv4 reversed octets, IPv6 reversed nibbles; v4-mapped IPv6 as IPv4.
 * @return 0, or -1 if it does not fit in outsz
 */
int vg_dns_bl_name(const struct vg_ip *ip, const char *zone, char *out, size_t outsz);
/** Build the PTR name (in-addr.arpa / ip6.arpa) for an address. */
int vg_dns_ptr_name(const struct vg_ip *ip, char *out, size_t outsz);

#endif
