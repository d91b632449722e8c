/**
 * @file spfcheck.c
 * The spf_helo and spf_mailfrom checks: who is evaluated (not trusted,
 * authenticated or spf_skip_networks clients), which identity (the null
 * sender is postmaster@HELO, RFC 7208 section 2.4), and the evaluation
 * itself through spf.c with the connection's DNS batch and deadline.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "session.h"
#include "spf.h"
#include "util.h"

/** Should this client's SPF be skipped (trusted, authenticated, listed forwarder)? */
static int skip(struct vg_session *s)
{
	return !s->have_ip || vg_session_check(s, VG_CK_TRUSTED) == VG_YES ||
	    vg_session_check(s, VG_CK_AUTH) == VG_YES ||
	    vg_netlist_match(&s->cfg->spf_skip_networks, &s->ip);
}

/** Run one evaluation into s->spf[which] (0 helo, 1 mailfrom); returns the check result. */
static int evaluate(struct vg_session *s, int which, const char *sender)
{
	char hbuf[VG_DNS_NAME_MAX + 1];
	const char *helo = vg_helo_name(s, hbuf, sizeof(hbuf));
	struct vg_dns_batch *b = vg_session_dns(s);
	struct vg_spf_outcome *o = &s->spf[which];

	memset(o, 0, sizeof(*o));
	s->spf_done[which] = 1;
	if (b == NULL) {
		o->result = VG_SPF_TEMPERROR;
		return VG_SPF_TEMPERROR;
	}
	vg_spf_check(b, s->deadline_ms, &s->ip, helo ? helo : s->helo_raw, sender, s->cfg->hostname, o);
	return (int)o->result;
}

/** Record "none" for an identity that has nothing to evaluate; returns it. */
static int none(struct vg_session *s, int which)
{
	memset(&s->spf[which], 0, sizeof(s->spf[which]));
	s->spf[which].result = VG_SPF_NONE;
	s->spf_done[which] = 1;
	return VG_SPF_NONE;
}

void vg_spf_prefetch(struct vg_session *s, enum vg_stage st)
{
	char hbuf[VG_DNS_NAME_MAX + 1];
	const char *domain = NULL;
	struct vg_dns_batch *b;

	if (st == VG_STAGE_HELO && s->uses[VG_CK_SPF_HELO])
		domain = vg_helo_name(s, hbuf, sizeof(hbuf));
	else if (st == VG_STAGE_MAIL && s->uses[VG_CK_SPF_MAILFROM] && s->sender_ok)
		domain = s->sender_null ? vg_helo_name(s, hbuf, sizeof(hbuf)) :
		    s->sender_domain[0] ? s->sender_domain : NULL;
	/* (an authenticated client is known only at MAIL: a HELO prefetch may be one query too many) */
	if (domain == NULL || skip(s) || (b = vg_session_dns(s)) == NULL)
		return;
	vg_dns_add(b, domain, VG_T_TXT);
}

int vg_check_spf_helo(struct vg_session *s)
{
	char hbuf[VG_DNS_NAME_MAX + 1];

	s->spf_done[0] = 0;
	if (skip(s))
		return VG_SPFR_SKIPPED;
	/* RFC 7208 2.3: the HELO identity is checked only when it is a host name. */
	if (vg_helo_name(s, hbuf, sizeof(hbuf)) == NULL)
		return none(s, 0);
	return evaluate(s, 0, NULL);
}

int vg_check_spf_mailfrom(struct vg_session *s)
{
	char hbuf[VG_DNS_NAME_MAX + 1], pm[VG_DNS_NAME_MAX + 16];
	const char *helo;

	s->spf_done[1] = 0;
	if (skip(s) || !s->sender_ok)
		return VG_SPFR_SKIPPED;
	if (!s->sender_null) {
		if (s->sender_domain[0] == '\0')
			return VG_SPFR_SKIPPED;    /* an address literal: no domain to ask */
		return evaluate(s, 1, s->sender_addr);
	}
	/* The null sender: postmaster@HELO (RFC 7208 2.4), if HELO is a name. */
	if ((helo = vg_helo_name(s, hbuf, sizeof(hbuf))) == NULL)
		return none(s, 1);
	snprintf(pm, sizeof(pm), "postmaster@%s", helo);
	return evaluate(s, 1, pm);
}

void vg_spf_explanation(struct vg_session *s, char *out, size_t outsz)
{
	const struct vg_spf_outcome *o = s->spf_done[1] && s->spf[1].result == VG_SPF_FAIL ? &s->spf[1] :
	    s->spf_done[0] && s->spf[0].result == VG_SPF_FAIL ? &s->spf[0] : NULL;

	if (o == NULL) {
		vg_strlcpy(out, "SPF check failed", outsz);
		return;
	}
	if (o->explanation[0] != '\0') {
		vg_clean_copy(out, outsz, o->explanation);
		return;
	}
	snprintf(out, outsz, "SPF: %s does not designate %s as permitted sender", o->domain, s->addr);
}
