/**
 * @file sender.c
 * Sender checks at MAIL FROM: sender_syntax (RFC 5321 reverse-path),
 * sender_domain (MX, else A/AAAA, RFC 5321 5.1; null MX, RFC 7505; IDNs
 * looked up in their A-label form), sender_spoof (our domains only from
 * trusted or authenticated clients, a login only its own addresses,
 * trusted clients only our domains), sender_list (allow and block lists).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "session.h"
#include "util.h"

/**
 * Set the session's sender from a parsed path: the address and its domain
 * (A-label, lower-case).  A domain that has no A-label form makes the
 * sender invalid.
 */
void vg_sender_set(struct vg_session *s, const struct vg_path *p, int ok)
{
	s->sender_ok = ok;
	s->sender_null = ok && p->is_null;
	s->sender_addr[0] = s->sender_domain[0] = '\0';
	if (!ok || p->is_null)
		return;
	vg_strlcpy(s->sender_addr, p->addr, sizeof(s->sender_addr));
	vg_lower(s->sender_addr);
	if (p->domain_kind != VG_DOM_NAME)
		return;
	if (strspn(p->domain, "abcdefghijklmnopqrstuvwxyz0123456789-.") == strlen(p->domain)) {
		vg_strlcpy(s->sender_domain, p->domain, sizeof(s->sender_domain));
	} else {
		char *alabel = NULL;
		if (idn2_to_ascii_8z(p->domain, &alabel, IDN2_NONTRANSITIONAL) == IDN2_OK && alabel != NULL &&
		    strlen(alabel) < sizeof(s->sender_domain)) {
			vg_strlcpy(s->sender_domain, alabel, sizeof(s->sender_domain));
			vg_lower(s->sender_domain);
		} else {
			s->sender_ok = 0;
		}
		idn2_free(alabel);
	}
}

int vg_check_sender_syntax(struct vg_session *s)
{
	if (!s->sender_ok)
		return VG_SSYN_INVALID;
	return s->sender_null ? VG_SSYN_NULL : VG_SSYN_OK;
}

void vg_sender_prefetch(struct vg_session *s)
{
	struct vg_dns_batch *b;

	if (!s->uses[VG_CK_SENDER_DOMAIN] || s->sender_domain[0] == '\0' || (b = vg_session_dns(s)) == NULL)
		return;
	vg_dns_add(b, s->sender_domain, VG_T_MX);
	vg_dns_add(b, s->sender_domain, VG_T_A);
	vg_dns_add(b, s->sender_domain, VG_T_AAAA);
}

int vg_check_sender_domain(struct vg_session *s)
{
	struct vg_dns_batch *b;
	const struct vg_dns_answer *mx, *a;
	int idx[3], i, temp = 0;
	size_t j;

	if (!s->sender_ok || s->sender_null || s->sender_domain[0] == '\0')
		return VG_SDOM_SKIPPED;
	if ((b = vg_session_dns(s)) == NULL)
		return VG_SDOM_TEMPFAIL;
	idx[0] = vg_dns_add(b, s->sender_domain, VG_T_MX);
	idx[1] = vg_dns_add(b, s->sender_domain, VG_T_A);
	idx[2] = vg_dns_add(b, s->sender_domain, VG_T_AAAA);
	vg_session_dns_wait(s, idx, 1);
	mx = vg_dns_result(b, idx[0]);
	if (mx == NULL || mx->status == VG_DNS_TEMPFAIL)
		return VG_SDOM_TEMPFAIL;
	if (mx->status == VG_DNS_NXDOMAIN)
		return VG_SDOM_NXDOMAIN;
	if (mx->status == VG_DNS_ANSWER) {
		/* RFC 7505: "MX 0 ." says the domain accepts no mail. */
		for (j = 0; j < mx->n; j++)
			if (mx->rr[j].text != NULL && mx->rr[j].text[0] == '\0')
				return VG_SDOM_NULL_MX;
		return VG_SDOM_EXISTS;
	}
	/* No MX: the domain itself is the implicit MX (RFC 5321 5.1). */
	vg_session_dns_wait(s, idx + 1, 2);
	for (i = 1; i < 3; i++) {
		a = vg_dns_result(b, idx[i]);
		if (a == NULL || a->status == VG_DNS_TEMPFAIL)
			temp = 1;
		else if (a->status == VG_DNS_ANSWER)
			return VG_SDOM_EXISTS;
	}
	return temp ? VG_SDOM_TEMPFAIL : VG_SDOM_NO_ADDRESS;
}

/** Is the sender domain one of ours (local domains or our host names)? */
static int ours(const struct vg_session *s)
{
	return s->sender_domain[0] != '\0' && (vg_domlist_match(&s->cfg->local_domains, s->sender_domain) ||
	    vg_domlist_match(&s->cfg->our_hostnames, s->sender_domain));
}

int vg_check_sender_spoof(struct vg_session *s)
{
	if (!s->sender_ok || s->sender_null)
		return VG_SPOOF_OK;
	if (vg_session_check(s, VG_CK_AUTH) == VG_YES)
		return vg_login_owns(s->cfg, s->macros[VG_M_AUTH_AUTHEN], s->sender_addr) ? VG_SPOOF_OK : VG_SPOOF_NOT_OWNED;
	if (vg_session_check(s, VG_CK_TRUSTED) == VG_YES)
		return ours(s) || s->cfg->trusted_any_sender ? VG_SPOOF_OK : VG_SPOOF_FOREIGN_TRUSTED;
	if (vg_session_check(s, VG_CK_TLS_CLIENT) == VG_YES)
		return VG_SPOOF_OK;
	return ours(s) ? VG_SPOOF_OURS_UNAUTH : VG_SPOOF_OK;
}

int vg_check_sender_list(struct vg_session *s)
{
	if (!s->sender_ok || s->sender_null)
		return VG_SLIST_NONE;
	if (vg_sender_listed(&s->cfg->sender_allow, s->sender_addr))
		return VG_SLIST_ALLOWED;
	if (vg_sender_listed(&s->cfg->sender_block, s->sender_addr))
		return VG_SLIST_BLOCKED;
	return VG_SLIST_NONE;
}
