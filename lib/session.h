/**
 * @file session.h
 * The session structure, private to the policy core: policy.c and the
 * check modules (rdns.c, helo.c, dnsbl.c) share it; nothing outside lib/.
 */
#ifndef VIGIE_SESSION_H
#define VIGIE_SESSION_H

#include <stdint.h>

#include "addr.h"
#include "conf.h"
#include "dns.h"
#include "policy.h"
#include "spf.h"

#define NOT_COMPUTED (-2)
#define LOGVAL_MAX   256   /**< longest client value copied into a log line or reply */
#define HELO_MAX     512   /**< longest HELO argument examined; longer is invalid */

/** Results of the DNS lists of one check (dnsbl, dnswl, rhsbl_helo, rhsbl_sender). */
struct vg_listres {
	char names[256];   /**< zones that listed, comma-separated */
	char txt[256];     /**< first TXT reason, sanitised */
	double score;      /**< summed weights of the lists that listed */
};

#define VG_MAX_WARNS 8   /**< warn rules remembered per stage; more are logged all the same */

/** One SMTP connection, as the policy sees it. */
struct vg_session {
	struct vg_config *cfg;   /**< the config this connection started with (a reference) */
	int quiet;               /**< no decision log lines (explain) */

	int have_ip;             /**< client address known */
	struct vg_ip ip;
	char addr[64];           /**< client address as logged ("unknown" if none) */
	char name[256];          /**< client host name as logged */
	char helo[LOGVAL_MAX + 4]; /**< HELO argument, sanitised, for logs and replies */
	char helo_raw[HELO_MAX + 1]; /**< HELO argument as sent (bounded) */
	int helo_seen;           /**< a HELO/EHLO came */
	int helo_toolong;        /**< it was longer than HELO_MAX */
	char macros[VG_NMACROS][256];

	char sender[LOGVAL_MAX + 4]; /**< MAIL FROM address, sanitised, for logs and replies */
	char sender_domain[VG_DOMAIN_MAX + 1]; /**< its domain, A-label, lower-case; "" for <> or none */
	char sender_addr[VG_LOCAL_MAX + VG_DOMAIN_MAX + 2]; /**< the address, lower-case; "" for <> */
	int sender_ok;           /**< MAIL FROM parsed (and its domain has an A-label form) */
	int sender_null;         /**< it is <> */
	int in_txn;              /**< MAIL seen and not reset */
	int smtputf8;            /**< MAIL carried the SMTPUTF8 parameter */

	struct vg_path rcpt;     /**< current recipient, parsed */
	int rcpt_ok;             /**< it parsed */
	char rcpt_log[LOGVAL_MAX + 4]; /**< current recipient, sanitised */

	enum vg_stage stage;     /**< stage being decided */
	struct vg_decision warns[VG_MAX_WARNS]; /**< warn rules that held in this stage (explain shows them) */
	size_t nwarns;
	int cache[VG_NCHECKS];   /**< computed results, NOT_COMPUTED if not yet */
	unsigned char uses[VG_NCHECKS]; /**< some rule tests the check: look it up early */
	int has_delayed[VG_NSTAGES];
	struct vg_decision delayed[VG_NSTAGES]; /**< rejections kept for RCPT (delay_reject) */

	struct vg_dns_batch *dns;  /**< this connection's lookups (created on first use) */
	int64_t deadline_ms;       /**< DNS deadline of the stage being decided */
	char rdns_name[VG_DNS_NAME_MAX + 1]; /**< first forward-confirmed PTR name, "" if none */
	char ptr_name[VG_DNS_NAME_MAX + 1];  /**< first PTR name, "" if none */
	struct vg_listres lres[4];           /**< by check: dnsbl, dnswl, rhsbl_helo, rhsbl_sender */
	struct vg_spf_outcome spf[2];        /**< SPF of the HELO [0] and MAIL FROM [1] identities */
	int spf_done[2];                     /**< spf[i] holds an evaluation */
};

/** The connection's DNS batch, created on first use (NULL when out of memory). */
struct vg_dns_batch *vg_session_dns(struct vg_session *s);
/** Wait for lookups until the stage's DNS deadline. */
void vg_session_dns_wait(struct vg_session *s, const int *idx, size_t n);

/* rdns.c */
/** Start the PTR lookup of the client (CONNECT). */
void vg_rdns_prefetch(struct vg_session *s);
/** If the PTR answer has come, start its forward lookups now (no waiting). */
void vg_rdns_advance(struct vg_session *s);
/** Start the first SPF lookup (the TXT of the identity's domain) of a stage: HELO or MAIL. */
void vg_spf_prefetch(struct vg_session *s, enum vg_stage st);
/** The rdns check. */
int vg_check_rdns(struct vg_session *s);
/** The helo_rdns coherence check. */
int vg_check_helo_rdns(struct vg_session *s);
/** Registrable domain of a name by the configured Public Suffix List, or NULL. */
const char *vg_registrable(const struct vg_session *s, const char *name);

/* helo.c */
/** Start the HELO name's lookups (HELO). */
void vg_helo_prefetch(struct vg_session *s);
/** The helo_syntax check. */
int vg_check_helo_syntax(struct vg_session *s);
/** The helo_forgery check. */
int vg_check_helo_forgery(struct vg_session *s);
/** The helo_dns check. */
int vg_check_helo_dns(struct vg_session *s);
/** The HELO name, lower-case without a trailing dot, if it is a usable host name; else NULL. */
const char *vg_helo_name(struct vg_session *s, char *buf, size_t bufsz);

/* sender.c */
/** Set the sender from MAIL FROM's parsed path (ok: it parsed). */
void vg_sender_set(struct vg_session *s, const struct vg_path *p, int ok);
/** Start the sender domain's lookups (MAIL). */
void vg_sender_prefetch(struct vg_session *s);
/** The sender_syntax check. */
int vg_check_sender_syntax(struct vg_session *s);
/** The sender_domain check. */
int vg_check_sender_domain(struct vg_session *s);
/** The sender_spoof check. */
int vg_check_sender_spoof(struct vg_session *s);
/** The sender_list check. */
int vg_check_sender_list(struct vg_session *s);

/* spfcheck.c */
/** The spf_helo check. */
int vg_check_spf_helo(struct vg_session *s);
/** The spf_mailfrom check. */
int vg_check_spf_mailfrom(struct vg_session *s);
/** The text for %{spf_exp}: the domain's explanation, or a default, sanitised. */
void vg_spf_explanation(struct vg_session *s, char *out, size_t outsz);

/* dnsbl.c */
/** Start the list lookups known at this stage. */
void vg_lists_prefetch(struct vg_session *s, enum vg_stage st);
/** The dnsbl, dnswl, rhsbl_helo and rhsbl_sender checks. */
int vg_check_lists(struct vg_session *s, enum vg_check_id id);

#endif
