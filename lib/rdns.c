/**
 * @file rdns.c
 * The rdns check (the client's PTR names and their forward confirmation,
 * FCrDNS) and the helo_rdns coherence check (same host, same registrable
 * domain by the Public Suffix List, or rDNS host an MX of the HELO domain).
 */
#include "config.h"

#include <string.h>

#include <libpsl.h>

#include "session.h"
#include "util.h"

#define MAX_PTR_NAMES 4   /**< PTR names forward-checked at most */

void vg_rdns_prefetch(struct vg_session *s)
{
	char name[VG_DNS_NAME_MAX + 1];
	struct vg_dns_batch *b;

	if (!s->have_ip || (s->cfg->rdns_from_mta && s->macros[VG_M_CLIENT_RESOLVE][0] != '\0'))
		return;
	if ((b = vg_session_dns(s)) != NULL && vg_dns_ptr_name(&s->ip, name, sizeof(name)) == 0)
		vg_dns_add(b, name, VG_T_PTR);
}

/**
 * The PTR names to forward-confirm: the first MAX_PTR_NAMES non-empty ones
 * of the answer; their A (or AAAA) lookups are added to the batch and
 * their indexes put in idx.  The check and the early start below ask the
 * very same lookups, so the batch asks each once.
 */
static int add_forward(struct vg_session *s, struct vg_dns_batch *b, const struct vg_dns_answer *a, int *idx)
{
	size_t i;
	int n = 0;

	for (i = 0; i < a->n && n < MAX_PTR_NAMES; i++) {
		if (a->rr[i].text == NULL || a->rr[i].text[0] == '\0')
			continue;
		if (s->ptr_name[0] == '\0')
			vg_strlcpy(s->ptr_name, a->rr[i].text, sizeof(s->ptr_name));
		idx[n++] = vg_dns_add(b, a->rr[i].text, s->ip.v4 ? VG_T_A : VG_T_AAAA);
	}
	return n;
}

void vg_rdns_advance(struct vg_session *s)
{
	char name[VG_DNS_NAME_MAX + 1];
	const struct vg_dns_answer *a;
	struct vg_dns_batch *b;
	int idx[MAX_PTR_NAMES], p;

	if (!s->have_ip || (s->cfg->rdns_from_mta && s->macros[VG_M_CLIENT_RESOLVE][0] != '\0') ||
	    (b = vg_session_dns(s)) == NULL || vg_dns_ptr_name(&s->ip, name, sizeof(name)) < 0)
		return;
	p = vg_dns_add(b, name, VG_T_PTR);
	vg_dns_poll(b);
	a = vg_dns_result(b, p);
	if (a != NULL && a->status == VG_DNS_ANSWER)
		add_forward(s, b, a, idx);
}

/**
 * The MTA's own verdict, when the admin trusts it (rdns_from_mta):
 * {client_resolve} is OK, FORGED, FAIL or TEMP in Sendmail and Postfix,
 * {client_name} the confirmed name, {client_ptr} the PTR name.
 * @return a result, or -1 when the MTA gave none
 */
static int from_mta(struct vg_session *s)
{
	const char *res = s->macros[VG_M_CLIENT_RESOLVE], *ptr = s->macros[VG_M_CLIENT_PTR];

	if (!s->cfg->rdns_from_mta || res[0] == '\0')
		return -1;
	if (strcmp(res, "OK") == 0) {
		vg_strlcpy(s->rdns_name, s->name, sizeof(s->rdns_name));
		vg_strlcpy(s->ptr_name, ptr[0] && strcmp(ptr, "unknown") != 0 ? ptr : s->name, sizeof(s->ptr_name));
		vg_lower(s->rdns_name);
		vg_lower(s->ptr_name);
		return VG_RDNS_PASS;
	}
	if (strcmp(res, "FORGED") == 0) {
		vg_strlcpy(s->ptr_name, ptr, sizeof(s->ptr_name));
		vg_lower(s->ptr_name);
		return VG_RDNS_PTR_ONLY;
	}
	if (strcmp(res, "FAIL") == 0)
		return VG_RDNS_NONE;
	if (strcmp(res, "TEMP") == 0)
		return VG_RDNS_TEMPFAIL;
	return -1;
}

int vg_check_rdns(struct vg_session *s)
{
	char name[VG_DNS_NAME_MAX + 1];
	const struct vg_dns_answer *a;
	struct vg_dns_batch *b;
	int idx[MAX_PTR_NAMES], n = 0, i, r, temp = 0;

	s->rdns_name[0] = s->ptr_name[0] = '\0';
	if (!s->have_ip)
		return VG_RDNS_NONE;
	if ((r = from_mta(s)) >= 0)
		return r;
	if ((b = vg_session_dns(s)) == NULL || vg_dns_ptr_name(&s->ip, name, sizeof(name)) < 0)
		return VG_RDNS_TEMPFAIL;
	idx[0] = vg_dns_add(b, name, VG_T_PTR);
	vg_session_dns_wait(s, idx, 1);
	a = vg_dns_result(b, idx[0]);
	if (a == NULL || a->status == VG_DNS_TEMPFAIL)
		return VG_RDNS_TEMPFAIL;
	if (a->status != VG_DNS_ANSWER)
		return VG_RDNS_NONE;
	/* Forward-confirm the first few names, all at once. */
	n = add_forward(s, b, a, idx);
	if (n == 0)
		return VG_RDNS_NONE;
	vg_session_dns_wait(s, idx, (size_t)n);
	for (i = 0; i < n; i++) {
		const struct vg_dns_answer *f = vg_dns_result(b, idx[i]);
		size_t j;

		if (f == NULL || f->status == VG_DNS_TEMPFAIL) {
			temp = 1;
			continue;
		}
		for (j = 0; f->status == VG_DNS_ANSWER && j < f->n; j++) {
			if (vg_ip_eq(&f->rr[j].ip, &s->ip)) {
				vg_strlcpy(s->rdns_name, f->name, sizeof(s->rdns_name));
				return VG_RDNS_PASS;
			}
		}
	}
	return temp ? VG_RDNS_TEMPFAIL : VG_RDNS_PTR_ONLY;
}

const char *vg_registrable(const struct vg_session *s, const char *name)
{
	if (s->cfg->psl == NULL || name == NULL || *name == '\0')
		return NULL;
	return psl_registrable_domain((const psl_ctx_t *)s->cfg->psl, name);
}

int vg_check_helo_rdns(struct vg_session *s)
{
	char hbuf[VG_DNS_NAME_MAX + 1];
	const char *helo = vg_helo_name(s, hbuf, sizeof(hbuf)), *hreg, *rreg;
	struct vg_dns_batch *b;
	int r = vg_session_check(s, VG_CK_RDNS), idx[2], n = 0, i, temp = 0;

	if (r == VG_RDNS_TEMPFAIL)
		return VG_COH_TEMPFAIL;
	if (helo == NULL || r != VG_RDNS_PASS || s->rdns_name[0] == '\0')
		return VG_COH_NONE;
	if (strcmp(helo, s->rdns_name) == 0)
		return VG_COH_SAME_HOST;
	hreg = vg_registrable(s, helo);
	rreg = vg_registrable(s, s->rdns_name);
	if (hreg != NULL && rreg != NULL && strcmp(hreg, rreg) == 0)
		return VG_COH_SAME_DOMAIN;
	/* Is the rDNS host an MX of the HELO name, or of its registrable domain? */
	if ((b = vg_session_dns(s)) == NULL)
		return VG_COH_TEMPFAIL;
	idx[n++] = vg_dns_add(b, helo, VG_T_MX);
	if (hreg != NULL && strcmp(hreg, helo) != 0)
		idx[n++] = vg_dns_add(b, hreg, VG_T_MX);
	vg_session_dns_wait(s, idx, (size_t)n);
	for (i = 0; i < n; i++) {
		const struct vg_dns_answer *a = vg_dns_result(b, idx[i]);
		size_t j;

		if (a == NULL || a->status == VG_DNS_TEMPFAIL) {
			temp = 1;
			continue;
		}
		for (j = 0; a->status == VG_DNS_ANSWER && j < a->n; j++)
			if (a->rr[j].text != NULL && strcmp(a->rr[j].text, s->rdns_name) == 0)
				return VG_COH_RDNS_IS_MX;
	}
	return temp ? VG_COH_TEMPFAIL : VG_COH_NONE;
}
