/**
 * @file checks.h
 * The check catalogue: each check's name, the stage from which its result
 * is known, and its result values.  Rules test these; checks never decide.
 */
#ifndef VIGIE_CHECKS_H
#define VIGIE_CHECKS_H

/** SMTP stages at which vigie decides, in protocol order. */
enum vg_stage {
	VG_STAGE_CONNECT = 0,
	VG_STAGE_HELO,
	VG_STAGE_MAIL,
	VG_STAGE_RCPT,
	VG_NSTAGES
};

/** Check identifiers; the order is the order explain prints them in. */
enum vg_check_id {
	VG_CK_TRUSTED = 0,     /**< client in trusted_networks: yes/no */
	VG_CK_CLIENT_NET,      /**< condition on the client address: CIDR list, no result values */
	VG_CK_AUTH,            /**< SASL-authenticated: yes/no */
	VG_CK_TLS_CLIENT,      /**< verified, listed TLS client certificate: yes/no */
	VG_CK_RCPT_SYNTAX,     /**< RCPT path syntax: ok/invalid */
	VG_CK_RCPT_CLASS,      /**< recipient domain class: local/relay-domain/foreign */
	VG_CK_RELAY,           /**< relay control: local/relay-domain/allowed/denied */
	VG_CK_RCPT_POSTMASTER, /**< recipient is postmaster of ours: yes/no */
	VG_CK_RDNS,            /**< client PTR and forward confirmation */
	VG_CK_DNSBL,           /**< DNS blocklists on the client address, weighted */
	VG_CK_DNSWL,           /**< DNS allowlists on the client address */
	VG_CK_HELO_SYNTAX,     /**< HELO argument syntax */
	VG_CK_HELO_FORGERY,    /**< HELO claims to be us */
	VG_CK_HELO_DNS,        /**< HELO name has A, AAAA or MX */
	VG_CK_HELO_RDNS,       /**< how HELO and rDNS agree */
	VG_CK_RHSBL_HELO,      /**< domain blocklists on the HELO domain */
	VG_CK_RHSBL_SENDER,    /**< domain blocklists on the sender domain */
	VG_CK_SENDER_SYNTAX,   /**< MAIL FROM path syntax */
	VG_CK_SENDER_DOMAIN,   /**< the sender domain can receive mail (MX, else A/AAAA; null MX) */
	VG_CK_SENDER_SPOOF,    /**< sender address vs. the client's standing and login */
	VG_CK_SENDER_LIST,     /**< sender_allow / sender_block */
	VG_CK_SPF_HELO,        /**< SPF for the HELO identity */
	VG_CK_SPF_MAILFROM,    /**< SPF for the MAIL FROM identity */
	VG_NCHECKS
};

/** Result values shared by the yes/no checks. */
enum { VG_NO = 0, VG_YES = 1 };
/** rcpt_syntax results. */
enum { VG_SYNTAX_OK = 0, VG_SYNTAX_INVALID = 1 };
/** rcpt_class results. */
enum { VG_CLASS_LOCAL = 0, VG_CLASS_RELAY_DOMAIN, VG_CLASS_FOREIGN };
/** relay results. */
enum { VG_RELAY_LOCAL = 0, VG_RELAY_RELAY_DOMAIN, VG_RELAY_ALLOWED, VG_RELAY_DENIED };
/** rdns results (RFC 8601 iprev: pass, fail, permerror, temperror). */
enum { VG_RDNS_PASS = 0, VG_RDNS_PTR_ONLY, VG_RDNS_NONE, VG_RDNS_TEMPFAIL };
/** dnsbl, dnswl, rhsbl_* results. */
enum { VG_LISTED = 0, VG_NOT_LISTED, VG_LIST_ERROR };
/** helo_syntax results. */
enum { VG_HELO_OK = 0, VG_HELO_INVALID, VG_HELO_NOT_FQDN, VG_HELO_LITERAL, VG_HELO_LITERAL_MISMATCH,
	VG_HELO_MISSING };
/** helo_forgery results. */
enum { VG_FORGERY_OK = 0, VG_FORGERY_CLAIMS_US };
/** helo_dns results. */
enum { VG_HDNS_RESOLVES = 0, VG_HDNS_NXDOMAIN, VG_HDNS_NO_ADDRESS, VG_HDNS_TEMPFAIL, VG_HDNS_SKIPPED };
/** sender_syntax results. */
enum { VG_SSYN_OK = 0, VG_SSYN_INVALID, VG_SSYN_NULL };
/** sender_domain results. */
enum { VG_SDOM_EXISTS = 0, VG_SDOM_NXDOMAIN, VG_SDOM_NO_ADDRESS, VG_SDOM_NULL_MX, VG_SDOM_TEMPFAIL,
	VG_SDOM_SKIPPED };
/** sender_spoof results. */
enum { VG_SPOOF_OK = 0, VG_SPOOF_OURS_UNAUTH, VG_SPOOF_NOT_OWNED, VG_SPOOF_FOREIGN_TRUSTED };
/** sender_list results. */
enum { VG_SLIST_NONE = 0, VG_SLIST_ALLOWED, VG_SLIST_BLOCKED };
/** spf_helo / spf_mailfrom results: RFC 7208's, in enum vg_spf_result order, then skipped. */
enum { VG_SPFR_SKIPPED = 7 };
/** helo_rdns results, best first. */
enum { VG_COH_SAME_HOST = 0, VG_COH_SAME_DOMAIN, VG_COH_RDNS_IS_MX, VG_COH_NONE, VG_COH_TEMPFAIL };

/** A check's static description. */
struct vg_check_def {
	const char *name;            /**< as written in rules */
	enum vg_stage stage;         /**< earliest stage at which the result is known */
	const char *const *results;  /**< NULL-terminated value names; NULL for CIDR conditions */
	const char *help;            /**< one line for explain and the docs */
};

/** The catalogue, indexed by enum vg_check_id. */
extern const struct vg_check_def vg_checks[VG_NCHECKS];

/** Name of a stage ("connect", "helo", "mail", "rcpt"). */
const char *vg_stage_name(enum vg_stage st);
/** Stage by name, or -1. */
int vg_stage_lookup(const char *name);
/** Check by name, or -1. */
int vg_check_lookup(const char *name);
/** Result index of a value name for a check, or -1. */
int vg_check_result_lookup(int check, const char *value);
/** Name of a result value (never NULL). */
const char *vg_check_result_name(int check, int result);

#endif
