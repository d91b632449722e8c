/**
 * @file conf.h
 * vigie's configuration: parsed from one file into a fresh, immutable,
 * reference-counted struct.  Every error is reported as file:line:col.
 */
#ifndef VIGIE_CONF_H
#define VIGIE_CONF_H

#include <stddef.h>

#include "checks.h"
#include "dns.h"
#include "ip.h"
#include "util.h"

#define VG_TEXT_MAX   200  /**< longest reply text a rule may give (before macro expansion) */
#define VG_NAME_MAX   63   /**< longest rule name */

/** Rule actions.  VG_ACT_NONE means "no rule decided". */
enum vg_action {
	VG_ACT_NONE = 0,
	VG_ACT_ACCEPT,
	VG_ACT_REJECT,
	VG_ACT_TEMPFAIL,
	VG_ACT_WARN
};

/** A list of strings.  Domain lists hold lower-case names; an entry
 *  ".example.org" matches every subdomain of example.org. */
struct vg_strlist {
	char **v;
	size_t n, cap;
};

/** One condition of a rule: check (=|!=) value[,value...]. */
struct vg_cond {
	int check;              /**< enum vg_check_id */
	int negate;             /**< written with != */
	unsigned mask;          /**< bit i set: result value i matches */
	struct vg_netlist nets; /**< for client_net */
};

/** One rule. */
struct vg_rule {
	char name[VG_NAME_MAX + 1];
	enum vg_stage stage;
	struct vg_cond *conds;
	size_t ncond;
	enum vg_action action;
	int code;           /**< SMTP code, 0 when the action has none */
	char esc[12];       /**< enhanced status code "5.7.1" */
	char *text;         /**< reply text template (may hold %{macros}), never NULL */
	int line;           /**< where it was defined, for messages */
};

#define VG_MAX_LISTS 64   /**< dnsbl, dnswl and rhsbl lists together */

/** Kinds of DNS lists. */
enum vg_list_kind { VG_LIST_DNSBL = 0, VG_LIST_DNSWL, VG_LIST_RHSBL };

/** A range of answer addresses (IPv4, host byte order) a list's filter accepts. */
struct vg_code_range {
	uint32_t lo, hi;
};

/** One DNS list: dnsbl/dnswl on the client address, rhsbl on a domain. */
struct vg_dnslist {
	enum vg_list_kind kind;
	char zone[VG_DNS_NAME_MAX + 1];  /**< e.g. "bl.example.net", lower-case */
	double weight;                   /**< added to the score when listed (dnswl: negative) */
	struct vg_code_range *codes;     /**< accepted answers; none: any 127.0.0.2-127.255.254.255 */
	size_t ncodes;
	unsigned mask;                   /**< if not 0: the last octet must share a bit with it */
	int txt;                         /**< fetch the TXT reason too */
	int on_helo, on_sender;          /**< rhsbl: domains it is asked about */
	int line;
};

/** One login and the sender addresses it owns ("user@dom", "@dom", "@.dom"). */
struct vg_login {
	char *login;                     /**< as the MTA reports it ({auth_authen}), lower-case */
	struct vg_strlist owns;          /**< lower-case */
};

/** The whole configuration.  Immutable once loaded; shared by reference. */
/** A file the configuration was read from, as it was just before it was read. */
struct vg_file_stamp {
	char *path;
	int exists;
	unsigned long long dev, ino, size;
	long long mtime_ns, ctime_ns;
};

/** Fill the stamp's fields (not its path) from the file as it is now. */
void vg_file_stamp_take(struct vg_file_stamp *s);
/** Has the file changed (content time, size, inode, appeared, gone) since the stamp? */
int vg_file_stamp_changed(const struct vg_file_stamp *s);

struct vg_config {
	int refs;                   /**< reference count, see vg_config_ref() */
	char *path;                 /**< the file it came from */

	char *socket;
	int socket_mode;
	char *socket_group;
	char *user;
	char *group;
	char *chroot_dir;           /**< chroot here after binding (root only); NULL: none */
	int run_as_root;
	char *pidfile;
	char *log;
	char *log_facility;
	int log_level;
	int shutdown_timeout;       /**< seconds open connections get to finish on SIGTERM */

	char *hostname;
	struct vg_strlist our_hostnames;
	struct vg_netlist our_addresses;
	struct vg_strlist local_domains;
	struct vg_strlist relay_domains;
	struct vg_netlist trusted_networks;
	struct vg_strlist tls_client_subjects;
	struct vg_strlist tls_client_issuers;

	int dry_run;
	int delay_reject;

	char *resolver;                 /**< "system" or a server list, as written */
	struct vg_dns_settings dns;     /**< parsed from resolver, dns_timeout, dns_attempts */
	int dns_timeout_ms;
	int dns_attempts;
	int dns_budget_ms;              /**< longest a stage waits for DNS */
	int dns_cache_size;             /**< entries (read once at start) */
	int rdns_from_mta;              /**< trust the MTA's {client_resolve}/{client_name}/{client_ptr} */
	char *psl_file;                 /**< Public Suffix List file; NULL: libpsl's own */
	void *psl;                      /**< the loaded list (psl_ctx_t *), read-only */
	int psl_builtin;                /**< psl is libpsl's static built-in list: not freed */
	int reload_check;               /**< seconds between checks of the files below; 0: never */
	struct vg_file_stamp *files;    /**< every file the configuration was read from */
	size_t nfiles;
	struct vg_dnslist *lists;
	size_t nlists;
	double dnsbl_threshold;

	struct vg_strlist sender_allow;   /**< addresses, domains, .subdomains */
	struct vg_strlist sender_block;
	struct vg_login *logins;          /**< sender_login entries */
	size_t nlogins;
	int trusted_any_sender;           /**< trusted clients may use senders outside our domains */
	int header_authentication_results; /**< add Authentication-Results at end of message */
	int header_received_spf;          /**< add Received-SPF at end of message */
	struct vg_netlist spf_skip_networks; /**< forwarders, secondary MX hosts: no SPF */
	char *stats_listen;               /**< "host:port" of the Prometheus endpoint; NULL: none */

	struct vg_rule *rules[VG_NSTAGES];
	size_t nrules[VG_NSTAGES];
};

/** Errors gathered while loading: one "file:line:col: message" per line. */
struct vg_cfgerr {
	struct vstr text;
	int count;
};

/** Initialise an error collector. */
void vg_cfgerr_init(struct vg_cfgerr *e);
/** Release an error collector. */
void vg_cfgerr_free(struct vg_cfgerr *e);

/**
 * Load a configuration file, then apply "key=value" overrides (-o).
 * The parser keeps going after an error so that all are reported.
 * @param path      the file
 * @param overrides NULL-terminated array of "key=value", or NULL
 * @param errs      receives every error
 * @return a config with one reference, or NULL when there was any error
 */
struct vg_config *vg_config_load(const char *path, const char *const *overrides, struct vg_cfgerr *errs);
/** Take one more reference (thread-safe). */
struct vg_config *vg_config_ref(struct vg_config *c);
/** Drop a reference; frees on the last one (thread-safe). */
void vg_config_unref(struct vg_config *c);

/** Is domain (lower-case, no trailing dot) in the list? */
int vg_domlist_match(const struct vg_strlist *l, const char *domain);
/** Is s (exact, case-sensitive) in the list? */
int vg_strlist_has(const struct vg_strlist *l, const char *s);
/** Is the address (lower-case local@domain) matched by an entry of a sender list? */
int vg_sender_listed(const struct vg_strlist *l, const char *addr);
/** Does the login own the sender address (both compared case-insensitively)? */
int vg_login_owns(const struct vg_config *c, const char *login, const char *addr);
/** Call fn(name) for every known key, in schema order. */
void vg_config_keys(void (*fn)(const char *name, void *arg), void *arg);

#endif
