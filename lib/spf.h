/**
 * @file spf.h
 * SPF (RFC 7208) for the HELO and MAIL FROM identities, evaluated by
 * libspf2 through vigie's own DNS layer (same servers, timeouts, cache and
 * deadline as every other check), with the RFC 7208 rules libspf2 does not
 * enforce checked in vigie's layer: the record grammar, at most 10
 * DNS-querying terms and 2 void lookups, IPv4-mapped clients evaluated as
 * IPv4, explanations expanded and sanitised, and every outcome mapped to
 * exactly one RFC 7208 result.
 */
#ifndef VIGIE_SPF_H
#define VIGIE_SPF_H

#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "ip.h"

/** RFC 7208 section 2.6 results. */
enum vg_spf_result {
	VG_SPF_PASS = 0,
	VG_SPF_FAIL,
	VG_SPF_SOFTFAIL,
	VG_SPF_NEUTRAL,
	VG_SPF_NONE,
	VG_SPF_TEMPERROR,
	VG_SPF_PERMERROR
};

#define VG_SPF_EXP_MAX 256   /**< longest explanation kept (after expansion), bytes */

/** The outcome of one evaluation. */
struct vg_spf_outcome {
	enum vg_spf_result result;
	char domain[VG_DNS_NAME_MAX + 1];   /**< the domain whose policy was evaluated */
	char explanation[VG_SPF_EXP_MAX];   /**< fail only: the exp= text, expanded, printable ASCII, else "" */
	char problem[128];                  /**< permerror/temperror: why, e.g. "more than 10 DNS-querying terms" */
	int dns_terms;                      /**< DNS-querying terms counted */
	int void_lookups;                   /**< lookups that gave NXDOMAIN or no answer */
};

/** "pass", "fail", "softfail", "neutral", "none", "temperror", "permerror". */
const char *vg_spf_result_name(enum vg_spf_result r);

/**
 * Evaluate SPF for one identity (RFC 7208 section 2.3/2.4).
 * @param batch       the connection's DNS batch: lookups go through it
 * @param deadline_ms no lookup waits past it (CLOCK_MONOTONIC ms); running
 *                    out of time gives temperror
 * @param ip          the client address (IPv4-mapped IPv6 is IPv4)
 * @param helo        the HELO/EHLO name (for %{h}; the identity when sender is NULL)
 * @param sender      "local@domain" for the MAIL FROM identity; NULL for the
 *                    HELO identity.  The caller turns the null sender into
 *                    "postmaster@<helo>" (RFC 7208 section 2.4).
 * @param receiver    our host name, for %{r}
 * @param out         filled in
 * @return 0, or -1 when out of memory (out->result is then temperror)
 */
int vg_spf_check(struct vg_dns_batch *batch, int64_t deadline_ms, const struct vg_ip *ip,
    const char *helo, const char *sender, const char *receiver, struct vg_spf_outcome *out);

/**
 * Check a TXT record against the RFC 7208 section 12 grammar (a record
 * that starts with "v=spf1").  No DNS.
 * @param why set to a short reason when invalid
 * @return 0 if valid, -1 if not
 */
int vg_spf_record_check(const char *record, char *why, size_t whysz);

#endif
