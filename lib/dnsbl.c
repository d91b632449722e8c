/**
 * @file dnsbl.c
 * DNS lists: dnsbl and dnswl on the client address (RFC 5782: reversed
 * octets, IPv6 nibbles), rhsbl on the HELO and sender domains.  Each
 * list's answer is filtered (codes, mask), weighted and summed against
 * dnsbl_threshold.  Answers outside 127.0.0.0/8 and 127.255.255.x (a list
 * refusing our resolver, or over quota) are errors, never listings, and
 * are logged at most once per list every ten minutes.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "session.h"
#include "util.h"

#define LOG_EVERY_S  600   /**< one log line per list and this many seconds */
#define MAX_LISTS    VG_MAX_LISTS  /**< lists (the config allows no more) */

/** How one list answered. */
enum verdict { V_LISTED, V_NOT_LISTED, V_ERROR };

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { char zone[VG_DNS_NAME_MAX + 1]; time_t last; } logged[MAX_LISTS];

/** Log a list problem, at most once per list every LOG_EVERY_S seconds. */
static void log_list_problem(const char *zone, const char *name, const char *what)
{
	time_t now = time(NULL);
	int i, slot = -1, say = 0;

	pthread_mutex_lock(&log_lock);
	for (i = 0; i < MAX_LISTS; i++) {
		if (strcmp(logged[i].zone, zone) == 0) {
			slot = i;
			break;
		}
		if (slot < 0 && logged[i].zone[0] == '\0')
			slot = i;
	}
	if (slot < 0)
		slot = 0;
	if (strcmp(logged[slot].zone, zone) != 0 || now - logged[slot].last >= LOG_EVERY_S) {
		vg_strlcpy(logged[slot].zone, zone, sizeof(logged[slot].zone));
		logged[slot].last = now;
		say = 1;
	}
	pthread_mutex_unlock(&log_lock);
	if (say)
		vg_log(LOG_WARNING, "DNS list %s: %s for %s; treated as an error, not a listing (logged once per %d s)",
		    zone, what, name, LOG_EVERY_S);
}

/** Index of a list check in s->lres. */
static int lres_index(enum vg_check_id id)
{
	return id == VG_CK_DNSBL ? 0 : id == VG_CK_DNSWL ? 1 : id == VG_CK_RHSBL_HELO ? 2 : 3;
}

/** Does list l take part in check id? */
static int applies(const struct vg_dnslist *l, enum vg_check_id id)
{
	switch (id) {
	case VG_CK_DNSBL:
		return l->kind == VG_LIST_DNSBL || l->kind == VG_LIST_DNSWL;
	case VG_CK_DNSWL:
		return l->kind == VG_LIST_DNSWL;
	case VG_CK_RHSBL_HELO:
		return l->kind == VG_LIST_RHSBL && l->on_helo;
	case VG_CK_RHSBL_SENDER:
		return l->kind == VG_LIST_RHSBL && l->on_sender;
	default:
		return 0;
	}
}

/**
 * The query name of list l for this session and check, or -1 when there
 * is nothing to ask (no client address, no HELO name, null sender).
 * Domain lists are asked about the registrable domain (Public Suffix List).
 */
static int query_name(struct vg_session *s, const struct vg_dnslist *l, enum vg_check_id id, char *out, size_t outsz)
{
	char hbuf[VG_DNS_NAME_MAX + 1];
	const char *dom, *reg;

	if (l->kind != VG_LIST_RHSBL)
		return s->have_ip ? vg_dns_bl_name(&s->ip, l->zone, out, outsz) : -1;
	dom = id == VG_CK_RHSBL_HELO ? vg_helo_name(s, hbuf, sizeof(hbuf)) : s->sender_domain;
	if (dom == NULL || *dom == '\0')
		return -1;
	reg = vg_registrable(s, dom);
	if ((size_t)snprintf(out, outsz, "%s.%s", reg ? reg : dom, l->zone) >= outsz)
		return -1;
	return 0;
}

/** Add the lookups of every list of check id to the batch; fills idx (2 per list: A, TXT or -1). */
static void add_queries(struct vg_session *s, enum vg_check_id id, int *idx)
{
	struct vg_dns_batch *b = vg_session_dns(s);
	size_t i;

	for (i = 0; i < s->cfg->nlists && i < MAX_LISTS; i++) {
		const struct vg_dnslist *l = &s->cfg->lists[i];
		char name[VG_DNS_NAME_MAX + 1];

		idx[2 * i] = idx[2 * i + 1] = -1;
		if (b == NULL || !applies(l, id) || query_name(s, l, id, name, sizeof(name)) < 0)
			continue;
		idx[2 * i] = vg_dns_add(b, name, VG_T_A);
		if (l->txt)
			idx[2 * i + 1] = vg_dns_add(b, name, VG_T_TXT);
	}
}

void vg_lists_prefetch(struct vg_session *s, enum vg_stage st)
{
	int idx[2 * MAX_LISTS];

	if (st == VG_STAGE_CONNECT && (s->uses[VG_CK_DNSBL] || s->uses[VG_CK_DNSWL]))
		add_queries(s, VG_CK_DNSBL, idx);
	if (st == VG_STAGE_HELO && s->uses[VG_CK_RHSBL_HELO])
		add_queries(s, VG_CK_RHSBL_HELO, idx);
	if (st == VG_STAGE_MAIL && s->uses[VG_CK_RHSBL_SENDER])
		add_queries(s, VG_CK_RHSBL_SENDER, idx);
}

/** Does the answer address v (IPv4, host order) pass the list's filter? */
static int passes(const struct vg_dnslist *l, uint32_t v)
{
	size_t i;
	int ok = 0;

	if (l->ncodes == 0)
		ok = v >= 0x7f000002u && v <= 0x7ffffeffu;
	for (i = 0; i < l->ncodes; i++)
		if (v >= l->codes[i].lo && v <= l->codes[i].hi)
			ok = 1;
	if (ok && l->mask != 0)
		ok = (v & l->mask & 0xffu) != 0;
	return ok;
}

/** How list l answered the A lookup a (qname for the log). */
static enum verdict judge(const struct vg_dnslist *l, const struct vg_dns_answer *a)
{
	char what[160], ipbuf[64];
	size_t j;
	int hit = 0;

	if (a == NULL || a->status == VG_DNS_TEMPFAIL) {
		snprintf(what, sizeof(what), "lookup failed (%s)", a ? a->why : "no answer");
		log_list_problem(l->zone, a ? a->name : "?", what);
		return V_ERROR;
	}
	if (a->status != VG_DNS_ANSWER)
		return V_NOT_LISTED;
	for (j = 0; j < a->n; j++) {
		const unsigned char *b = a->rr[j].ip.b;
		uint32_t v = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];

		if (!a->rr[j].ip.v4 || b[12] != 127 || (b[13] == 255 && b[14] == 255)) {
			vg_ip_format(&a->rr[j].ip, ipbuf, sizeof(ipbuf));
			snprintf(what, sizeof(what), "answer %s is %s", ipbuf,
			    a->rr[j].ip.v4 && b[12] == 127 ? "an error code (the list refuses this resolver, or a quota)" :
			    "outside 127.0.0.0/8");
			log_list_problem(l->zone, a->name, what);
			return V_ERROR;
		}
		if (passes(l, v))
			hit = 1;
	}
	return hit ? V_LISTED : V_NOT_LISTED;
}

/** Append a zone name to a comma-separated list. */
static void add_name(char *buf, size_t bufsz, const char *zone)
{
	size_t n = strlen(buf);

	if (n > 0 && n + 1 < bufsz)
		buf[n++] = ',';
	vg_strlcpy(buf + n, zone, bufsz - n);
}

int vg_check_lists(struct vg_session *s, enum vg_check_id id)
{
	struct vg_listres *res = &s->lres[lres_index(id)];
	const struct vg_config *c = s->cfg;
	struct vg_dns_batch *b;
	int idx[2 * MAX_LISTS], wait[2 * MAX_LISTS], nwait = 0, any_pos = 0, wl_listed = 0, wl_error = 0;
	double err_pos = 0, err_neg = 0;
	size_t i;

	memset(res, 0, sizeof(*res));
	add_queries(s, id, idx);
	for (i = 0; i < 2 * c->nlists && i < 2 * MAX_LISTS; i++)
		if (idx[i] >= 0)
			wait[nwait++] = idx[i];
	if (nwait == 0)
		return VG_NOT_LISTED;
	vg_session_dns_wait(s, wait, (size_t)nwait);
	b = vg_session_dns(s);
	for (i = 0; i < c->nlists && i < MAX_LISTS; i++) {
		const struct vg_dnslist *l = &c->lists[i];
		enum verdict v;

		if (idx[2 * i] < 0)
			continue;
		v = judge(l, vg_dns_result(b, idx[2 * i]));
		if (v == V_LISTED) {
			res->score += l->weight;
			if (l->weight > 0)
				any_pos = 1;
			if (l->kind == VG_LIST_DNSWL)
				wl_listed = 1;
			if ((id == VG_CK_DNSWL) == (l->kind == VG_LIST_DNSWL))
				add_name(res->names, sizeof(res->names), l->zone);
			if (idx[2 * i + 1] >= 0 && res->txt[0] == '\0') {
				const struct vg_dns_answer *t = vg_dns_result(b, idx[2 * i + 1]);
				if (t != NULL && t->status == VG_DNS_ANSWER && t->n > 0 && t->rr[0].text != NULL)
					vg_clean_copy(res->txt, sizeof(res->txt), t->rr[0].text);
			}
		} else if (v == V_ERROR) {
			if (l->weight > 0)
				err_pos += l->weight;
			else
				err_neg += l->weight;
			if (l->kind == VG_LIST_DNSWL)
				wl_error = 1;
		}
	}
	if (id == VG_CK_DNSWL)
		return wl_listed ? VG_LISTED : wl_error ? VG_LIST_ERROR : VG_NOT_LISTED;
	/*
	 * The failed lists leave the score somewhere between score + err_neg
	 * (every failed allowlist listed) and score + err_pos (every failed
	 * blocklist listed).  Listed only if even the lowest reaches the
	 * threshold; not listed only if even the highest stays below it;
	 * otherwise we cannot know: an error, never a guess.
	 */
	if (any_pos && res->score + err_neg >= c->dnsbl_threshold)
		return VG_LISTED;
	if ((any_pos || err_pos > 0) && res->score + err_pos >= c->dnsbl_threshold)
		return VG_LIST_ERROR;
	return VG_NOT_LISTED;
}
