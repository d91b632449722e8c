/**
 * @file policy.c
 * The policy engine: per-connection session state, lazily computed and
 * cached check results, the first-match rule walk of each stage, delayed
 * rejection, and the one funnel (finish()) that validates every decision
 * and logs it in one line.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "headers.h"
#include "log.h"
#include "policy.h"
#include "session.h"
#include "stats.h"
#include "util.h"

static const char *const macro_names[VG_NMACROS] = {
	"i", "{auth_authen}", "{auth_type}", "{verify}", "{cert_subject}", "{cert_issuer}",
	"{daemon_name}", "v", "{client_resolve}", "{client_ptr}",
};

int vg_macro_lookup(const char *name)
{
	int m;

	for (m = 0; m < VG_NMACROS; m++)
		if (strcmp(name, macro_names[m]) == 0)
			return m;
	return -1;
}

/**
 * Did the MTA verify the client's certificate?  Sendmail says so in
 * {verify}.  Postfix has no {verify}: it sends {cert_subject} and
 * {cert_issuer} only for a trusted certificate, so with Postfix (its
 * "v" macro) and no {verify}, a subject or issuer means verified.
 */
static int tls_verified(const struct vg_session *s)
{
	if (s->macros[VG_M_VERIFY][0] != '\0')
		return strcmp(s->macros[VG_M_VERIFY], "OK") == 0;
	return strncmp(s->macros[VG_M_MTA_VERSION], "Postfix", 7) == 0;
}

const char *vg_macro_name(enum vg_macro m)
{
	return (unsigned)m < VG_NMACROS ? macro_names[m] : "?";
}

/** Forget cached results of checks known from stage `from` on. */
static void invalidate(struct vg_session *s, enum vg_stage from)
{
	int i;

	for (i = 0; i < VG_NCHECKS; i++)
		if (vg_checks[i].stage >= from)
			s->cache[i] = NOT_COMPUTED;
}

/**
 * Note which checks the rules test, so their lookups start as early as
 * possible (PTR and DNS lists at CONNECT) and the others are never made.
 * helo_rdns needs rdns; the dnsbl score includes the allowlists.
 */
static void mark_uses(struct vg_session *s)
{
	const struct vg_config *c = s->cfg;
	size_t i, j;
	int st;

	for (st = 0; st < VG_NSTAGES; st++)
		for (i = 0; i < c->nrules[st]; i++)
			for (j = 0; j < c->rules[st][i].ncond; j++)
				s->uses[c->rules[st][i].conds[j].check] = 1;
	if (s->uses[VG_CK_HELO_RDNS])
		s->uses[VG_CK_RDNS] = 1;
}

struct vg_session *vg_session_new(struct vg_config *cfg)
{
	struct vg_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cfg = vg_config_ref(cfg);
	vg_strlcpy(s->addr, "unknown", sizeof(s->addr));
	vg_strlcpy(s->name, "unknown", sizeof(s->name));
	invalidate(s, VG_STAGE_CONNECT);
	mark_uses(s);
	return s;
}

void vg_session_free(struct vg_session *s)
{
	size_t i, n;
	unsigned long sent = 0, cached = 0, timeouts = 0, temp = 0;

	if (s == NULL)
		return;
	/* The connection's DNS work, into the process-wide counters. */
	n = s->dns ? vg_dns_count(s->dns) : 0;
	for (i = 0; i < n; i++) {
		struct vg_dns_trace t;
		vg_dns_trace(s->dns, i, &t);
		sent += (unsigned long)t.queries_sent;
		cached += (unsigned long)t.from_cache;
		if (t.answer != NULL && t.answer->status == VG_DNS_TEMPFAIL) {
			if (strcmp(t.answer->why, "timeout") == 0)
				timeouts++;
			else
				temp++;
		}
	}
	if (n > 0)
		vg_stats_dns(n, sent, cached, timeouts, temp);
	vg_dns_batch_free(s->dns);
	vg_config_unref(s->cfg);
	free(s);
}

struct vg_dns_batch *vg_session_dns(struct vg_session *s)
{
	if (s->dns == NULL)
		s->dns = vg_dns_batch_new(&s->cfg->dns);
	return s->dns;
}

void vg_session_dns_wait(struct vg_session *s, const int *idx, size_t n)
{
	if (s->dns != NULL && n > 0)
		vg_dns_wait(s->dns, idx, n, s->deadline_ms);
}

const struct vg_dns_batch *vg_session_batch(const struct vg_session *s)
{
	return s->dns;
}

const struct vg_config *vg_session_config(const struct vg_session *s)
{
	return s->cfg;
}

void vg_session_quiet(struct vg_session *s, int quiet)
{
	s->quiet = quiet;
}

void vg_session_set_macro(struct vg_session *s, enum vg_macro m, const char *value)
{
	if ((unsigned)m >= VG_NMACROS)
		return;
	vg_strlcpy(s->macros[m], value ? value : "", sizeof(s->macros[m]));
}

const struct vg_path *vg_session_rcpt_path(const struct vg_session *s)
{
	return &s->rcpt;
}

/* ------------------------------------------------------------------ */
/* Checks                                                              */

/** Class of the current recipient's domain. */
static int rcpt_class(struct vg_session *s)
{
	const struct vg_config *c = s->cfg;
	const struct vg_path *p = &s->rcpt;
	struct vg_ip ip;

	if (!s->rcpt_ok)
		return VG_CLASS_FOREIGN;
	switch (p->domain_kind) {
	case VG_DOM_NONE:
		/* Only "<postmaster>" parses without a domain: it is ours. */
		return VG_CLASS_LOCAL;
	case VG_DOM_NAME:
		if (vg_domlist_match(&c->local_domains, p->domain) ||
		    vg_domlist_match(&c->our_hostnames, p->domain))
			return VG_CLASS_LOCAL;
		if (vg_domlist_match(&c->relay_domains, p->domain))
			return VG_CLASS_RELAY_DOMAIN;
		return VG_CLASS_FOREIGN;
	case VG_DOM_IPV4:
	case VG_DOM_IPV6:
		if (vg_ip_parse(p->domain, &ip) == 0 && vg_netlist_match(&c->our_addresses, &ip))
			return VG_CLASS_LOCAL;
		return VG_CLASS_FOREIGN;
	default:
		return VG_CLASS_FOREIGN;
	}
}

/**
 * Relay control.  Clients allowed to relay (trusted, authenticated,
 * listed TLS) may send anywhere.  Others may send only to our local and
 * relay domains, and never with sender-specified routing in the local
 * part (% ! or a quoted @): the next MTA might honour it and route out.
 * A source route is ignored (RFC 5321 4.1.1.3): the final mailbox decides.
 */
static int relay(struct vg_session *s)
{
	int cls = vg_session_check(s, VG_CK_RCPT_CLASS);
	int allowed = vg_session_check(s, VG_CK_TRUSTED) == VG_YES ||
	    vg_session_check(s, VG_CK_AUTH) == VG_YES ||
	    vg_session_check(s, VG_CK_TLS_CLIENT) == VG_YES;

	if (!s->rcpt_ok)
		return VG_RELAY_DENIED;
	if (!allowed && s->rcpt.local_routing)
		return VG_RELAY_DENIED;
	if (cls == VG_CLASS_LOCAL)
		return VG_RELAY_LOCAL;
	if (cls == VG_CLASS_RELAY_DOMAIN)
		return VG_RELAY_RELAY_DOMAIN;
	return allowed ? VG_RELAY_ALLOWED : VG_RELAY_DENIED;
}

/** Is the recipient postmaster of ours (RFC 5321 4.5.1)? */
static int rcpt_postmaster(struct vg_session *s)
{
	if (!s->rcpt_ok || s->rcpt.local_routing || !vg_strcaseeq(s->rcpt.local, "postmaster"))
		return VG_NO;
	return vg_session_check(s, VG_CK_RCPT_CLASS) == VG_CLASS_LOCAL ? VG_YES : VG_NO;
}

/** Compute one check's result; -1 when it does not apply yet. */
static int compute(struct vg_session *s, enum vg_check_id id)
{
	const struct vg_config *c = s->cfg;

	switch (id) {
	case VG_CK_TRUSTED:
		return s->have_ip && vg_netlist_match(&c->trusted_networks, &s->ip) ? VG_YES : VG_NO;
	case VG_CK_AUTH:
		return s->macros[VG_M_AUTH_AUTHEN][0] != '\0' ? VG_YES : VG_NO;
	case VG_CK_TLS_CLIENT:
		if (!tls_verified(s))
			return VG_NO;
		return (s->macros[VG_M_CERT_SUBJECT][0] &&
		        vg_strlist_has(&c->tls_client_subjects, s->macros[VG_M_CERT_SUBJECT])) ||
		    (s->macros[VG_M_CERT_ISSUER][0] &&
		        vg_strlist_has(&c->tls_client_issuers, s->macros[VG_M_CERT_ISSUER])) ? VG_YES : VG_NO;
	case VG_CK_RCPT_SYNTAX:
		return s->rcpt_ok ? VG_SYNTAX_OK : VG_SYNTAX_INVALID;
	case VG_CK_RCPT_CLASS:
		return rcpt_class(s);
	case VG_CK_RELAY:
		return relay(s);
	case VG_CK_RCPT_POSTMASTER:
		return rcpt_postmaster(s);
	case VG_CK_RDNS:
		return vg_check_rdns(s);
	case VG_CK_HELO_SYNTAX:
		return vg_check_helo_syntax(s);
	case VG_CK_HELO_FORGERY:
		return vg_check_helo_forgery(s);
	case VG_CK_HELO_DNS:
		return vg_check_helo_dns(s);
	case VG_CK_HELO_RDNS:
		return vg_check_helo_rdns(s);
	case VG_CK_SPF_HELO:
		return vg_check_spf_helo(s);
	case VG_CK_SPF_MAILFROM:
		return vg_check_spf_mailfrom(s);
	case VG_CK_SENDER_SYNTAX:
		return vg_check_sender_syntax(s);
	case VG_CK_SENDER_DOMAIN:
		return vg_check_sender_domain(s);
	case VG_CK_SENDER_SPOOF:
		return vg_check_sender_spoof(s);
	case VG_CK_SENDER_LIST:
		return vg_check_sender_list(s);
	case VG_CK_DNSBL:
	case VG_CK_DNSWL:
	case VG_CK_RHSBL_HELO:
	case VG_CK_RHSBL_SENDER:
		return vg_check_lists(s, id);
	default:
		return -1;
	}
}

int vg_session_check(struct vg_session *s, enum vg_check_id id)
{
	if ((unsigned)id >= VG_NCHECKS || vg_checks[id].results == NULL || vg_checks[id].stage > s->stage)
		return -1;
	if (s->cache[id] == NOT_COMPUTED) {
		s->cache[id] = compute(s, id);
		vg_stats_check(id, s->cache[id]);
	}
	return s->cache[id];
}

/* ------------------------------------------------------------------ */
/* Rules                                                               */

/** Does one condition hold?  An unknown result never matches. */
static int cond_holds(struct vg_session *s, const struct vg_cond *c)
{
	int hit;

	if (vg_checks[c->check].results == NULL) {
		if (!s->have_ip)
			return 0;
		hit = vg_netlist_match(&c->nets, &s->ip);
	} else {
		int r = vg_session_check(s, (enum vg_check_id)c->check);
		if (r < 0)
			return 0;
		hit = (c->mask >> r) & 1u;
	}
	return c->negate ? !hit : hit;
}

/** Append "check=value" for each condition of a rule that fired. */
static void describe_match(struct vg_session *s, const struct vg_rule *r, char *buf, size_t bufsz)
{
	struct vstr v;
	size_t i;

	vstr_init(&v, bufsz - 1);
	for (i = 0; i < r->ncond; i++) {
		const struct vg_cond *c = &r->conds[i];
		const char *name = vg_checks[c->check].name;
		if (i)
			vstr_addc(&v, ',');
		if (vg_checks[c->check].results == NULL)
			vstr_addf(&v, "%s%s%s", name, c->negate ? "!=" : "=", s->addr);
		else
			vstr_addf(&v, "%s%s%s", name, c->negate ? "!=" : "=",
			    vg_check_result_name(c->check, vg_session_check(s, (enum vg_check_id)c->check)));
	}
	vg_strlcpy(buf, v.len ? v.buf : "-", bufsz);
	vstr_free(&v);
}

/** Expand %{macros} of a rule's text with sanitised session values. */
static void expand_text(struct vg_session *s, const char *tpl, char *out, size_t outsz)
{
	struct vstr v;
	const char *p;

	vstr_init(&v, outsz - 1);
	for (p = tpl; *p; p++) {
		const char *val = NULL, *end;
		char spfexp[VG_SPF_EXP_MAX];
		if (p[0] == '%' && p[1] == '%') {
			vstr_addc(&v, '%');
			p++;
			continue;
		}
		if (p[0] != '%' || p[1] != '{' || (end = strchr(p, '}')) == NULL) {
			vstr_addc(&v, *p);
			continue;
		}
		if (strncmp(p, "%{rcpt}", 7) == 0)
			val = s->rcpt_log;
		else if (strncmp(p, "%{sender}", 9) == 0)
			val = s->sender;
		else if (strncmp(p, "%{client_addr}", 14) == 0)
			val = s->addr;
		else if (strncmp(p, "%{client_name}", 14) == 0)
			val = s->name;
		else if (strncmp(p, "%{helo}", 7) == 0)
			val = s->helo;
		else if (strncmp(p, "%{dnsbl}", 8) == 0)
			val = s->lres[0].names;
		else if (strncmp(p, "%{dnsbl_txt}", 12) == 0)
			val = s->lres[0].txt;
		else if (strncmp(p, "%{dnswl}", 8) == 0)
			val = s->lres[1].names;
		else if (strncmp(p, "%{rhsbl}", 8) == 0)
			val = s->lres[3].names[0] ? s->lres[3].names : s->lres[2].names;
		else if (strncmp(p, "%{rhsbl_txt}", 12) == 0)
			val = s->lres[3].txt[0] ? s->lres[3].txt : s->lres[2].txt;
		else if (strncmp(p, "%{spf_exp}", 10) == 0) {
			vg_spf_explanation(s, spfexp, sizeof(spfexp));
			val = spfexp;
		} else if (strncmp(p, "%{login}", 8) == 0)
			val = s->macros[VG_M_AUTH_AUTHEN];
		else if (strncmp(p, "%{sender_domain}", 16) == 0)
			val = s->sender_domain;
		else if (strncmp(p, "%{rdns}", 7) == 0)
			val = s->rdns_name[0] ? s->rdns_name : s->ptr_name;
		vstr_add_clean(&v, val ? val : "", 200);
		p = end;
	}
	vg_clean_copy(out, outsz, v.buf);
	vstr_free(&v);
}

/** Fill a decision as "go on": no rule decided. */
static void decision_accept(struct vg_decision *d, enum vg_stage st, const char *rule)
{
	memset(d, 0, sizeof(*d));
	d->action = VG_ACT_ACCEPT;
	d->stage = st;
	vg_strlcpy(d->rule, rule, sizeof(d->rule));
	vg_strlcpy(d->match, "-", sizeof(d->match));
}

/** Log a decision or warning line in Postfix's shape, with key=value tails. */
static void log_line(struct vg_session *s, const char *verb, const struct vg_decision *d, int with_reply)
{
	static const char *const cmd[VG_NSTAGES] = { "CONNECT", "HELO", "MAIL", "RCPT" };
	const char *qid = s->macros[VG_M_QUEUE_ID][0] ? s->macros[VG_M_QUEUE_ID] : "NOQUEUE";
	char qclean[64], name[128];
	struct vstr helo;

	if (s->quiet)
		return;
	vg_clean_copy(qclean, sizeof(qclean), qid);
	vg_clean_copy(name, sizeof(name), s->name);
	/* "helo=<h>" and, for an authenticated client, its login, as Postfix logs it. */
	vstr_init(&helo, 1024);
	vstr_adds(&helo, s->helo);
	if (s->macros[VG_M_AUTH_AUTHEN][0] != '\0') {
		vstr_adds(&helo, "> sasl_username=<");
		vstr_add_clean(&helo, s->macros[VG_M_AUTH_AUTHEN], 128);
	}
	if (with_reply && d->code == 0)
		vg_log(LOG_INFO, "%s: %s: %s from %s[%s]: %s; from=<%s> to=<%s> helo=<%s> rule=%s match=%s",
		    qclean, verb, cmd[s->stage], name, s->addr, d->text,
		    s->sender, s->rcpt_log, helo.buf, d->rule, d->match);
	else if (with_reply)
		vg_log(LOG_INFO, "%s: %s: %s from %s[%s]: %d %s %s; from=<%s> to=<%s> helo=<%s> rule=%s match=%s%s",
		    qclean, verb, cmd[s->stage], name, s->addr, d->code, d->esc, d->text,
		    s->sender, s->rcpt_log, helo.buf, d->rule, d->match, d->delayed ? " delayed=yes" : "");
	else
		vg_log(LOG_INFO, "%s: %s: %s from %s[%s]; from=<%s> to=<%s> helo=<%s> rule=%s match=%s",
		    qclean, verb, cmd[s->stage], name, s->addr, s->sender, s->rcpt_log, helo.buf, d->rule, d->match);
	vstr_free(&helo);
}

/**
 * Walk the rules of a stage; the first whose conditions all hold decides.
 * warn rules log and let the walk go on.  Fills d when a rule decided.
 * @return the action, VG_ACT_NONE when no rule decided
 */
static enum vg_action eval_stage(struct vg_session *s, enum vg_stage st, struct vg_decision *d)
{
	const struct vg_config *c = s->cfg;
	size_t i, j;

	for (i = 0; i < c->nrules[st]; i++) {
		const struct vg_rule *r = &c->rules[st][i];
		int all = 1;

		for (j = 0; j < r->ncond && all; j++)
			all = cond_holds(s, &r->conds[j]);
		if (!all)
			continue;
		memset(d, 0, sizeof(*d));
		d->action = r->action;
		d->stage = st;
		d->code = r->code;
		vg_strlcpy(d->esc, r->esc, sizeof(d->esc));
		vg_strlcpy(d->rule, r->name, sizeof(d->rule));
		describe_match(s, r, d->match, sizeof(d->match));
		expand_text(s, r->text, d->text, sizeof(d->text));
		if (r->action == VG_ACT_WARN) {
			/* with a reply, the warn says what a reject/tempfail rule would have done */
			log_line(s, d->code == 0 ? "warn" : d->code >= 500 ? "would reject" : "would tempfail", d,
			    d->text[0] != '\0' || d->code != 0);
			vg_stats_decision(st, "warn", d->rule);     /* counted as a rule fired, not as a decision */
			if (s->nwarns < VG_MAX_WARNS)
				s->warns[s->nwarns++] = *d;
			continue;
		}
		return r->action;
	}
	return VG_ACT_NONE;
}

/**
 * The funnel every final decision passes through: make the reply valid
 * (a reject is always 5xx, a tempfail 4xx, the enhanced code of the same
 * class, the text printable and bounded), apply dry-run, log one line.
 */
static void finish(struct vg_session *s, struct vg_decision *d, int log_accept)
{
	if (d->action == VG_ACT_REJECT || d->action == VG_ACT_TEMPFAIL) {
		int cls = d->action == VG_ACT_REJECT ? 5 : 4;

		if (d->code / 100 != cls)
			d->code = cls == 5 ? 550 : 451;
		if (d->esc[0] != (char)('0' + cls) || d->esc[1] != '.') {
			d->esc[0] = (char)('0' + cls);
			vg_strlcpy(d->esc + 1, ".7.1", sizeof(d->esc) - 1);
		}
		if (d->text[0] == '\0')
			vg_strlcpy(d->text, cls == 5 ? "Rejected by local policy" : "Try again later", sizeof(d->text));
		if (s->cfg->dry_run && !d->floor) {
			vg_stats_decision(d->stage, cls == 5 ? "would-reject" : "would-tempfail", d->rule);
			log_line(s, cls == 5 ? "would reject" : "would tempfail", d, 1);
			d->dry_run = 1;
			d->action = VG_ACT_ACCEPT;
			return;
		}
		vg_stats_decision(d->stage, cls == 5 ? "reject" : "tempfail", d->rule);
		log_line(s, cls == 5 ? "reject" : "tempfail", d, 1);
		return;
	}
	d->action = VG_ACT_ACCEPT;
	vg_stats_decision(d->stage, "accept", d->rule);
	if (log_accept)
		log_line(s, "accept", d, 0);
}

/** Enter a stage: it is the one checks are computed for, with a fresh DNS deadline. */
static void enter_stage(struct vg_session *s, enum vg_stage st)
{
	s->stage = st;
	s->deadline_ms = vg_dns_now_ms() + s->cfg->dns_budget_ms;
	s->nwarns = 0;
}

size_t vg_session_warnings(const struct vg_session *s, const struct vg_decision **w)
{
	*w = s->warns;
	return s->nwarns;
}

/**
 * Decide a stage before RCPT: a rejection is either given now, or kept
 * for RCPT when delay_reject is on (the MTA is told to go on).
 */
static void decide_early(struct vg_session *s, enum vg_stage st, struct vg_decision *d)
{
	enum vg_action a;

	enter_stage(s, st);
	s->has_delayed[st] = 0;
	if (st == VG_STAGE_CONNECT && (s->uses[VG_CK_RDNS] || s->uses[VG_CK_HELO_RDNS]))
		vg_rdns_prefetch(s);
	if (st == VG_STAGE_HELO)
		vg_helo_prefetch(s);
	if (st == VG_STAGE_MAIL)
		vg_sender_prefetch(s);
	if (st == VG_STAGE_HELO || st == VG_STAGE_MAIL) {
		vg_spf_prefetch(s, st);
		if (s->uses[VG_CK_RDNS] || s->uses[VG_CK_HELO_RDNS])
			vg_rdns_advance(s);
	}
	vg_lists_prefetch(s, st);
	a = eval_stage(s, st, d);
	if (a == VG_ACT_REJECT || a == VG_ACT_TEMPFAIL) {
		if (s->cfg->delay_reject) {
			s->delayed[st] = *d;
			s->has_delayed[st] = 1;
			decision_accept(d, st, "delayed");
			return;
		}
		finish(s, d, 0);
		return;
	}
	{
		char rule[VG_NAME_MAX + 1];
		vg_strlcpy(rule, a == VG_ACT_ACCEPT ? d->rule : "default", sizeof(rule));
		decision_accept(d, st, rule);
	}
}

/**
 * Relay control is a floor, not only a rule: whatever the rules say (an
 * accept placed before relay-denied, no rules at all) and in dry-run too,
 * a recipient the relay check denies is rejected.  The shipped rule gives
 * the usual reply; this gives the same one where a configuration lost it.
 */
static void relay_floor(struct vg_session *s, struct vg_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->action = VG_ACT_REJECT;
	d->stage = VG_STAGE_RCPT;
	d->code = 554;
	vg_strlcpy(d->esc, "5.7.1", sizeof(d->esc));
	expand_text(s, "<%{rcpt}>: Relay access denied", d->text, sizeof(d->text));
	vg_strlcpy(d->rule, "relay-control", sizeof(d->rule));
	vg_strlcpy(d->match, "relay=denied", sizeof(d->match));
	d->floor = 1;
}

/* ------------------------------------------------------------------ */
/* Stages                                                              */

void vg_session_connect(struct vg_session *s, const char *addr, const char *name, struct vg_decision *d)
{
	s->have_ip = addr != NULL && vg_ip_parse(addr, &s->ip) == 0;
	if (s->have_ip)
		vg_ip_format(&s->ip, s->addr, sizeof(s->addr));
	else
		vg_strlcpy(s->addr, "unknown", sizeof(s->addr));
	vg_clean_copy(s->name, sizeof(s->name), name && *name ? name : "unknown");
	invalidate(s, VG_STAGE_CONNECT);
	memset(s->has_delayed, 0, sizeof(s->has_delayed));
	decide_early(s, VG_STAGE_CONNECT, d);
}

void vg_session_helo(struct vg_session *s, const char *helo, struct vg_decision *d)
{
	vg_session_reset(s);
	helo = helo ? helo : "";
	vg_clean_copy(s->helo, sizeof(s->helo), helo);
	s->helo_seen = 1;
	s->helo_toolong = vg_strlcpy(s->helo_raw, helo, sizeof(s->helo_raw)) >= sizeof(s->helo_raw);
	invalidate(s, VG_STAGE_HELO);
	decide_early(s, VG_STAGE_HELO, d);
}

/**
 * Copy the path of an argument that did not parse, for logs and replies:
 * the text inside the first pair of angle brackets, or up to the first
 * space, so that "to=<%s>" never shows brackets twice.  Sanitised.
 */
static void raw_path(const char *arg, char *out, size_t outsz)
{
	char tmp[LOGVAL_MAX + 4];
	size_t n = 0;

	while (*arg == ' ')
		arg++;
	if (*arg == '<') {
		arg++;
		while (arg[n] != '\0' && arg[n] != '>' && n < sizeof(tmp) - 1)
			n++;
	} else {
		while (arg[n] != '\0' && arg[n] != ' ' && n < sizeof(tmp) - 1)
			n++;
	}
	memcpy(tmp, arg, n);
	tmp[n] = '\0';
	vg_clean_copy(out, outsz, tmp);
}

/** Is the ESMTP keyword kw among the parameters? */
static int has_param(const char *const *params, const char *kw)
{
	size_t n = strlen(kw);

	for (; params && *params; params++)
		if (strncasecmp(*params, kw, n) == 0 && ((*params)[n] == '\0' || (*params)[n] == '='))
			return 1;
	return 0;
}

void vg_session_mail(struct vg_session *s, const char *path, const char *const *params, struct vg_decision *d)
{
	struct vg_path p;
	int ok;

	s->in_txn = 1;
	s->smtputf8 = has_param(params, "SMTPUTF8");
	path = path ? path : "";
	ok = vg_path_parse(path, strlen(path), VG_PATH_REVERSE | (s->smtputf8 ? VG_PATH_SMTPUTF8 : 0), &p) == VG_PATH_OK;
	vg_sender_set(s, &p, ok);
	if (ok)
		vg_clean_copy(s->sender, sizeof(s->sender), p.addr);
	else
		raw_path(path, s->sender, sizeof(s->sender));
	invalidate(s, VG_STAGE_MAIL);
	decide_early(s, VG_STAGE_MAIL, d);
}

void vg_session_rcpt(struct vg_session *s, const char *path, const char *const *params, struct vg_decision *d)
{
	enum vg_action a;
	int st;

	(void)params;
	path = path ? path : "";
	enter_stage(s, VG_STAGE_RCPT);
	s->rcpt_ok = vg_path_parse(path, strlen(path), s->smtputf8 ? VG_PATH_SMTPUTF8 : 0, &s->rcpt) == VG_PATH_OK;
	if (s->rcpt_ok)
		vg_clean_copy(s->rcpt_log, sizeof(s->rcpt_log), s->rcpt.addr[0] ? s->rcpt.addr : s->rcpt.local);
	else
		raw_path(path, s->rcpt_log, sizeof(s->rcpt_log));
	invalidate(s, VG_STAGE_RCPT);

	a = eval_stage(s, VG_STAGE_RCPT, d);
	if (a == VG_ACT_NONE) {
		decision_accept(d, VG_STAGE_RCPT, "default");
		/* No rcpt rule decided: a rejection delayed from an earlier stage applies. */
		for (st = VG_STAGE_CONNECT; st < VG_STAGE_RCPT; st++) {
			if (s->has_delayed[st]) {
				*d = s->delayed[st];
				d->delayed = 1;
				break;
			}
		}
	}
	/* (A rcpt-stage accept overrides delayed rejections: postmaster.) */
	if (vg_session_check(s, VG_CK_RELAY) == VG_RELAY_DENIED) {
		if (d->action == VG_ACT_REJECT)
			d->floor = 1;
		else if (d->action == VG_ACT_ACCEPT || s->cfg->dry_run)
			relay_floor(s, d);
	}
	finish(s, d, 1);
}

void vg_session_reset(struct vg_session *s)
{
	s->in_txn = 0;
	s->smtputf8 = 0;
	s->sender[0] = '\0';
	s->sender_domain[0] = '\0';
	s->sender_addr[0] = '\0';
	s->sender_ok = s->sender_null = 0;
	s->spf_done[1] = 0;
	s->rcpt_log[0] = '\0';
	s->rcpt_ok = 0;
	memset(&s->rcpt, 0, sizeof(s->rcpt));
	s->has_delayed[VG_STAGE_MAIL] = 0;
	s->macros[VG_M_QUEUE_ID][0] = '\0';
	invalidate(s, VG_STAGE_MAIL);
	if (s->stage > VG_STAGE_HELO)
		s->stage = VG_STAGE_HELO;
}

void vg_session_headers(struct vg_session *s, struct vstr *ar, struct vstr *rspf)
{
	static const char *const iprev[] = { "pass", "fail", "permerror", "temperror" };
	struct vg_ar_method m[3];
	char hbuf[VG_DNS_NAME_MAX + 1], pm[VG_DNS_NAME_MAX + 16];
	const char *helo;
	int n = 0, r, mf, hl;

	enter_stage(s, VG_STAGE_RCPT);
	helo = vg_helo_name(s, hbuf, sizeof(hbuf));
	snprintf(pm, sizeof(pm), "postmaster@%s", helo ? helo : "");
	/* SPF as the rules saw it (computed now if no rule asked). */
	mf = vg_session_check(s, VG_CK_SPF_MAILFROM);
	hl = vg_session_check(s, VG_CK_SPF_HELO);
	if (s->cfg->header_authentication_results) {
		if (mf >= 0 && mf != VG_SPFR_SKIPPED && s->spf_done[1]) {
			m[n].method = "spf";
			m[n].result = vg_spf_result_name(s->spf[1].result);
			m[n].ptype = "smtp";
			m[n].property = "mailfrom";
			m[n].value = s->sender_null ? pm : s->sender_addr;
			m[n].value_is_mailbox = 1;
			m[n].comment = NULL;
			n++;
		}
		if (hl >= 0 && hl != VG_SPFR_SKIPPED && s->spf_done[0] && helo != NULL) {
			m[n].method = "spf";
			m[n].result = vg_spf_result_name(s->spf[0].result);
			m[n].ptype = "smtp";
			m[n].property = "helo";
			m[n].value = helo;
			m[n].value_is_mailbox = 0;
			m[n].comment = NULL;
			n++;
		}
		if (s->have_ip && (r = vg_session_check(s, VG_CK_RDNS)) >= 0 && r <= VG_RDNS_TEMPFAIL) {
			/* RFC 8601 2.7.3: no PTR (NXDOMAIN) is a permanent error. */
			m[n].method = "iprev";
			m[n].result = iprev[r];
			m[n].ptype = "policy";
			m[n].property = "iprev";
			m[n].value = s->addr;
			m[n].value_is_mailbox = 0;
			m[n].comment = s->rdns_name[0] ? s->rdns_name : s->ptr_name[0] ? s->ptr_name : NULL;
			n++;
		}
		vg_hdr_auth_results(ar, s->cfg->hostname, m, n);
	}
	/* Received-SPF for the identity that decides: MAIL FROM, else HELO. */
	if (s->cfg->header_received_spf) {
		int which = mf >= 0 && mf != VG_SPFR_SKIPPED && s->spf_done[1] ? 1 :
		    hl >= 0 && hl != VG_SPFR_SKIPPED && s->spf_done[0] ? 0 : -1;
		if (which >= 0)
			vg_hdr_received_spf(rspf, vg_spf_result_name(s->spf[which].result), s->cfg->hostname, s->addr,
			    s->sender_null ? "<>" : s->sender_addr, helo ? helo : s->helo, which ? "mailfrom" : "helo",
			    s->spf[which].domain);
	}
}

void vg_session_log_note(struct vg_session *s, const char *fmt, ...)
{
	char msg[512], qid[64], name[128];
	va_list ap;

	if (s->quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vg_clean_copy(qid, sizeof(qid), s->macros[VG_M_QUEUE_ID][0] ? s->macros[VG_M_QUEUE_ID] : "NOQUEUE");
	vg_clean_copy(name, sizeof(name), s->name);
	vg_log(LOG_INFO, "%s: info: END-OF-MESSAGE from %s[%s]: %s", qid, name, s->addr, msg);
}

int vg_session_spf(const struct vg_session *s, int identity, struct vg_spf_detail *out)
{
	const struct vg_spf_outcome *o;

	if (identity < 0 || identity > 1 || !s->spf_done[identity])
		return 0;
	o = &s->spf[identity];
	out->result = vg_spf_result_name(o->result);
	vg_clean_copy(out->domain, sizeof(out->domain), o->domain);
	vg_clean_copy(out->problem, sizeof(out->problem), o->problem);
	vg_clean_copy(out->explanation, sizeof(out->explanation), o->explanation);
	out->dns_terms = o->dns_terms;
	out->void_lookups = o->void_lookups;
	return 1;
}
