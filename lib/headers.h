/**
 * @file headers.h
 * The header fields vigie adds at end of message: Authentication-Results
 * (RFC 8601) and Received-SPF (RFC 7208 section 9.1), and the test for an
 * incoming Authentication-Results that claims our authserv-id (a forgery).
 * Every value that came from the client is quoted or sanitised: whatever
 * the HELO or sender bytes, the result is one line of printable ASCII.
 */
#ifndef VIGIE_HEADERS_H
#define VIGIE_HEADERS_H

#include "util.h"

/** One "method=result property=value" element of Authentication-Results. */
struct vg_ar_method {
	const char *method;     /**< "spf", "iprev" */
	const char *result;     /**< "pass", "fail", ... */
	const char *ptype;      /**< "smtp", "policy" (NULL: no property) */
	const char *property;   /**< "mailfrom", "helo", "iprev" */
	const char *value;      /**< client-supplied or derived; made safe here */
	int value_is_mailbox;   /**< value may be written as local@domain (else domain only) */
	const char *comment;    /**< a host name to show in a comment, or NULL */
};

/**
 * Append an Authentication-Results value: "authserv-id; m1; m2" or
 * "authserv-id; none" when there is no method.
 */
void vg_hdr_auth_results(struct vstr *out, const char *authserv_id, const struct vg_ar_method *m, int n);

/**
 * Append a Received-SPF value for one identity.
 * @param identity "mailfrom" or "helo"
 */
void vg_hdr_received_spf(struct vstr *out, const char *result, const char *receiver, const char *client_ip,
    const char *envelope_from, const char *helo, const char *identity, const char *domain);

/**
 * Does an Authentication-Results value claim this authserv-id?  Comments,
 * folding and case are ignored; a quoted authserv-id counts too.
 */
int vg_hdr_claims_authserv(const char *value, const char *authserv_id);

/** Append v as an RFC 2045 value: a token when it is one, else a quoted-string; at most max bytes of v. */
void vg_hdr_add_value(struct vstr *out, const char *v, size_t max);

#endif
