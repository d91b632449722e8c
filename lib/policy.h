/**
 * @file policy.h
 * The policy engine.  A session follows one SMTP connection through its
 * stages; each call returns the decision for that stage.  Checks are
 * computed lazily and cached; rules decide; every decision goes through
 * one funnel that validates the reply and logs one line.  No libmilter
 * types: the milter and the explain command both drive this API.
 */
#ifndef VIGIE_POLICY_H
#define VIGIE_POLICY_H

#include "addr.h"
#include "conf.h"
#include "dns.h"

#define VG_REPLY_MAX 400   /**< reply text after macro expansion, bytes */

/** A decision. */
struct vg_decision {
	enum vg_action action;   /**< VG_ACT_ACCEPT (go on), VG_ACT_REJECT or VG_ACT_TEMPFAIL */
	int code;                /**< SMTP code for reject/tempfail, 0 otherwise */
	char esc[12];            /**< enhanced status code */
	char text[VG_REPLY_MAX]; /**< reply text, printable ASCII only */
	char rule[VG_NAME_MAX + 1]; /**< rule that decided, "default" when none */
	char match[160];         /**< the conditions that held, "check=value ..." */
	enum vg_stage stage;     /**< stage whose rules decided */
	int delayed;             /**< a rejection from an earlier stage given now */
	int dry_run;             /**< would have been a reject/tempfail; accepted by mode dry-run */
	int floor;               /**< built-in relay control, not a rule: dry-run does not apply */
};

/** Macros the MTA may give; names as libmilter spells them. */
enum vg_macro {
	VG_M_QUEUE_ID = 0,   /**< i */
	VG_M_AUTH_AUTHEN,    /**< {auth_authen} */
	VG_M_AUTH_TYPE,      /**< {auth_type} */
	VG_M_VERIFY,         /**< {verify} */
	VG_M_CERT_SUBJECT,   /**< {cert_subject} */
	VG_M_CERT_ISSUER,    /**< {cert_issuer} */
	VG_M_DAEMON_NAME,    /**< {daemon_name} */
	VG_M_MTA_VERSION,    /**< v: "Postfix 3.7.11", "8.17.1" */
	VG_M_CLIENT_RESOLVE, /**< {client_resolve}: OK, FAIL, FORGED, TEMP */
	VG_M_CLIENT_PTR,     /**< {client_ptr}: the PTR name, unverified */
	VG_NMACROS
};

struct vg_session;

/** Create a session holding a reference to cfg; NULL when out of memory. */
struct vg_session *vg_session_new(struct vg_config *cfg);
/** Free a session and drop its config reference. */
void vg_session_free(struct vg_session *s);
/** The config the session was started with. */
const struct vg_config *vg_session_config(const struct vg_session *s);
/** Silence the per-decision log lines (explain prints its own). */
void vg_session_quiet(struct vg_session *s, int quiet);
/** The warn rules that held in the stage decided last (rule, match, text); returns how many. */
size_t vg_session_warnings(const struct vg_session *s, const struct vg_decision **w);

/** Name of the macro as the MTA sends it (e.g. "{auth_authen}"). */
const char *vg_macro_name(enum vg_macro m);
/** Macro by name ("{auth_authen}", "i"), or -1. */
int vg_macro_lookup(const char *name);
/** Store a macro value (bounded copy); NULL or "" clears it. */
void vg_session_set_macro(struct vg_session *s, enum vg_macro m, const char *value);

/**
 * CONNECT.  addr is the client IP as text ("192.0.2.1", "IPv6:2001:db8::1"),
 * or NULL when unknown (unix socket, unknown family).  name is the verified
 * client host name or NULL ("unknown").
 */
void vg_session_connect(struct vg_session *s, const char *addr, const char *name, struct vg_decision *d);
/** HELO/EHLO with its argument. */
void vg_session_helo(struct vg_session *s, const char *helo, struct vg_decision *d);
/** MAIL FROM: the path and its ESMTP parameters (NULL-terminated, may be NULL). */
void vg_session_mail(struct vg_session *s, const char *path, const char *const *params, struct vg_decision *d);
/** RCPT TO: the path and its ESMTP parameters (NULL-terminated, may be NULL). */
void vg_session_rcpt(struct vg_session *s, const char *path, const char *const *params, struct vg_decision *d);
/** End of a transaction (message done or aborted): forget sender and recipients. */
void vg_session_reset(struct vg_session *s);

/**
 * Result of a check for the current stage (and the current recipient),
 * computing it if needed; -1 when not applicable yet.
 */
int vg_session_check(struct vg_session *s, enum vg_check_id id);
/**
 * The header fields to add at end of message, as configured: the
 * Authentication-Results value (iprev, spf for the HELO and MAIL FROM
 * identities) and the Received-SPF value.  An empty vstr: do not add it.
 */
void vg_session_headers(struct vg_session *s, struct vstr *auth_results, struct vstr *received_spf);
/** What an SPF evaluation found, sanitised for printing. */
struct vg_spf_detail {
	const char *result;       /**< RFC 7208 result name */
	char domain[256];
	char problem[128];
	char explanation[256];
	int dns_terms, void_lookups;
};
/** The SPF evaluation of identity 0 (HELO) or 1 (MAIL FROM), if one was made; 0 if none. */
int vg_session_spf(const struct vg_session *s, int identity, struct vg_spf_detail *out);
/** Log a line about the current message, prefixed with its queue ID and client. */
void vg_session_log_note(struct vg_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** The connection's DNS lookups so far (NULL if none), for explain. */
const struct vg_dns_batch *vg_session_batch(const struct vg_session *s);
/** The parsed current recipient (valid after vg_session_rcpt). */
const struct vg_path *vg_session_rcpt_path(const struct vg_session *s);

#endif
