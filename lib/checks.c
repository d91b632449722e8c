/**
 * @file checks.c
 * The check catalogue table and its look-ups.
 */
#include "config.h"

#include <string.h>

#include "checks.h"

static const char *const yesno[] = { "no", "yes", NULL };
static const char *const syntax[] = { "ok", "invalid", NULL };
static const char *const rclass[] = { "local", "relay-domain", "foreign", NULL };
static const char *const relay[] = { "local", "relay-domain", "allowed", "denied", NULL };
static const char *const rdns[] = { "pass", "ptr-only", "none", "tempfail", NULL };
static const char *const listed[] = { "listed", "not-listed", "error", NULL };
static const char *const hsyntax[] = { "ok", "invalid", "not-fqdn", "literal", "literal-mismatch", "missing", NULL };
static const char *const forgery[] = { "ok", "claims-us", NULL };
static const char *const hdns[] = { "resolves", "nxdomain", "no-address", "tempfail", "skipped", NULL };
static const char *const ssyntax[] = { "ok", "invalid", "null", NULL };
static const char *const sdomain[] = { "exists", "nxdomain", "no-address", "null-mx", "tempfail", "skipped", NULL };
static const char *const spoof[] = { "ok", "ours-unauthenticated", "not-owned-by-login", "foreign-from-trusted", NULL };
static const char *const slist[] = { "none", "allowed", "blocked", NULL };
static const char *const spf[] = { "pass", "fail", "softfail", "neutral", "none", "temperror", "permerror",
	"skipped", NULL };
static const char *const coherence[] = { "same-host", "same-domain", "rdns-is-mx", "none", "tempfail", NULL };

const struct vg_check_def vg_checks[VG_NCHECKS] = {
	[VG_CK_TRUSTED] = { "trusted", VG_STAGE_CONNECT, yesno,
	    "client address is in trusted_networks" },
	[VG_CK_CLIENT_NET] = { "client_net", VG_STAGE_CONNECT, NULL,
	    "client address is in the listed networks" },
	[VG_CK_AUTH] = { "auth", VG_STAGE_MAIL, yesno,
	    "client authenticated with SASL ({auth_authen})" },
	[VG_CK_TLS_CLIENT] = { "tls_client", VG_STAGE_MAIL, yesno,
	    "client presented a verified, listed TLS certificate" },
	[VG_CK_RCPT_SYNTAX] = { "rcpt_syntax", VG_STAGE_RCPT, syntax,
	    "recipient is a valid RFC 5321 path" },
	[VG_CK_RCPT_CLASS] = { "rcpt_class", VG_STAGE_RCPT, rclass,
	    "recipient domain is local, a relay domain, or foreign" },
	[VG_CK_RELAY] = { "relay", VG_STAGE_RCPT, relay,
	    "relay control: may this client send to this recipient" },
	[VG_CK_RCPT_POSTMASTER] = { "rcpt_postmaster", VG_STAGE_RCPT, yesno,
	    "recipient is postmaster of a local domain (RFC 5321 4.5.1)" },
	[VG_CK_RDNS] = { "rdns", VG_STAGE_CONNECT, rdns,
	    "client PTR names and their forward confirmation (FCrDNS)" },
	[VG_CK_DNSBL] = { "dnsbl", VG_STAGE_CONNECT, listed,
	    "weighted score of the DNS lists on the client address reaches dnsbl_threshold" },
	[VG_CK_DNSWL] = { "dnswl", VG_STAGE_CONNECT, listed,
	    "a DNS allowlist lists the client address" },
	[VG_CK_HELO_SYNTAX] = { "helo_syntax", VG_STAGE_HELO, hsyntax,
	    "HELO is a valid host name or an address literal of the client" },
	[VG_CK_HELO_FORGERY] = { "helo_forgery", VG_STAGE_HELO, forgery,
	    "HELO names one of our hostnames, domains or addresses" },
	[VG_CK_HELO_DNS] = { "helo_dns", VG_STAGE_HELO, hdns,
	    "HELO name has an A, AAAA or MX record" },
	[VG_CK_HELO_RDNS] = { "helo_rdns", VG_STAGE_HELO, coherence,
	    "how the HELO name and the confirmed rDNS name agree" },
	[VG_CK_RHSBL_HELO] = { "rhsbl_helo", VG_STAGE_HELO, listed,
	    "domain lists (rhsbl on=helo) list the HELO domain" },
	[VG_CK_SENDER_SYNTAX] = { "sender_syntax", VG_STAGE_MAIL, ssyntax,
	    "MAIL FROM is a valid RFC 5321 reverse-path (null: <>)" },
	[VG_CK_SENDER_DOMAIN] = { "sender_domain", VG_STAGE_MAIL, sdomain,
	    "the sender domain has an MX, else an A or AAAA record; a null MX refuses mail" },
	[VG_CK_SENDER_SPOOF] = { "sender_spoof", VG_STAGE_MAIL, spoof,
	    "our domains only from trusted or authenticated clients; a login uses only its addresses" },
	[VG_CK_SENDER_LIST] = { "sender_list", VG_STAGE_MAIL, slist,
	    "the sender is in sender_allow or sender_block" },
	[VG_CK_SPF_HELO] = { "spf_helo", VG_STAGE_HELO, spf,
	    "SPF (RFC 7208) for the HELO identity" },
	[VG_CK_SPF_MAILFROM] = { "spf_mailfrom", VG_STAGE_MAIL, spf,
	    "SPF (RFC 7208) for the MAIL FROM identity (postmaster@HELO for <>)" },
	[VG_CK_RHSBL_SENDER] = { "rhsbl_sender", VG_STAGE_MAIL, listed,
	    "domain lists (rhsbl on=sender) list the sender domain" },
};

static const char *const stage_names[VG_NSTAGES] = { "connect", "helo", "mail", "rcpt" };

const char *vg_stage_name(enum vg_stage st)
{
	return (unsigned)st < VG_NSTAGES ? stage_names[st] : "?";
}

int vg_stage_lookup(const char *name)
{
	int i;

	for (i = 0; i < VG_NSTAGES; i++)
		if (strcmp(name, stage_names[i]) == 0)
			return i;
	return -1;
}

int vg_check_lookup(const char *name)
{
	int i;

	for (i = 0; i < VG_NCHECKS; i++)
		if (strcmp(name, vg_checks[i].name) == 0)
			return i;
	return -1;
}

int vg_check_result_lookup(int check, const char *value)
{
	int i;

	if (check < 0 || check >= VG_NCHECKS || vg_checks[check].results == NULL)
		return -1;
	for (i = 0; vg_checks[check].results[i] != NULL; i++)
		if (strcmp(value, vg_checks[check].results[i]) == 0)
			return i;
	return -1;
}

const char *vg_check_result_name(int check, int result)
{
	int i;

	if (check < 0 || check >= VG_NCHECKS || vg_checks[check].results == NULL || result < 0)
		return "?";
	for (i = 0; vg_checks[check].results[i] != NULL; i++)
		if (i == result)
			return vg_checks[check].results[i];
	return "?";
}
