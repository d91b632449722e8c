/**
 * @file stats.c
 * Statistics: atomic counters in fixed tables (checks x results, stages x
 * actions, latency buckets), a small locked table for rule names, and two
 * renderers (Prometheus text, log lines).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "dns.h"
#include "log.h"
#include "stats.h"

#define MAX_RESULTS  8
#define MAX_RULES    256
#define NACTIONS     5
#define NBUCKETS     13

static const char *const actions[NACTIONS] = { "accept", "reject", "tempfail", "would-reject", "would-tempfail" };
static const char *const timed_names[VG_NTIMED] = { "connect", "helo", "mail", "rcpt", "eom" };
/** Histogram upper bounds, microseconds; the last bucket is +Inf. */
static const long long bounds_us[NBUCKETS - 1] = { 1000, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000 };

static unsigned long check_counts[VG_NCHECKS][MAX_RESULTS];
static unsigned long decisions[VG_NSTAGES][NACTIONS];
static unsigned long connections;
static unsigned long dns_lookups, dns_sent, dns_cached, dns_timeouts, dns_tempfails;
static unsigned long lat_buckets[VG_NTIMED][NBUCKETS];
static unsigned long lat_count[VG_NTIMED];
static unsigned long long lat_sum_us[VG_NTIMED];

/* Rule names: append-only; an entry is written under rules_lock, then
 * published by a release store of nrules, so counting a known rule (the
 * hot path) is a scan and an atomic add, with no lock. */
static pthread_mutex_t rules_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { char name[VG_NAME_MAX + 1]; unsigned long n; } rules[MAX_RULES];
static int nrules;

/** Index of a rule name among the first n entries, or -1. */
static int rule_find(const char *rule, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(rules[i].name, rule) == 0)
			return i;
	return -1;
}

/** Atomic add. */
static void add(unsigned long *c, unsigned long n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

/** Atomic read. */
static unsigned long get(const unsigned long *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

void vg_stats_check(int check, int result)
{
	if (check >= 0 && check < VG_NCHECKS && result >= 0 && result < MAX_RESULTS)
		add(&check_counts[check][result], 1);
}

void vg_stats_decision(enum vg_stage st, const char *action, const char *rule)
{
	int a, i;

	for (a = 0; a < NACTIONS; a++)
		if (strcmp(actions[a], action) == 0 && (unsigned)st < VG_NSTAGES)
			add(&decisions[st][a], 1);
	if (rule == NULL || *rule == '\0')
		return;
	i = rule_find(rule, __atomic_load_n(&nrules, __ATOMIC_ACQUIRE));
	if (i < 0) {
		pthread_mutex_lock(&rules_lock);
		i = rule_find(rule, nrules);
		if (i < 0 && nrules < MAX_RULES) {
			vg_strlcpy(rules[nrules].name, rule, sizeof(rules[0].name));
			i = nrules;
			__atomic_store_n(&nrules, nrules + 1, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&rules_lock);
	}
	if (i >= 0)
		add(&rules[i].n, 1);
}

void vg_stats_dns(unsigned long lookups, unsigned long sent, unsigned long cached, unsigned long timeouts,
    unsigned long tempfails)
{
	add(&dns_lookups, lookups);
	add(&dns_sent, sent);
	add(&dns_cached, cached);
	add(&dns_timeouts, timeouts);
	add(&dns_tempfails, tempfails);
}

void vg_stats_latency(enum vg_timed t, long long us)
{
	int b;

	if ((unsigned)t >= VG_NTIMED)
		return;
	for (b = 0; b < NBUCKETS - 1 && us > bounds_us[b]; b++)
		;
	add(&lat_buckets[t][b], 1);
	add(&lat_count[t], 1);
	__atomic_add_fetch(&lat_sum_us[t], (unsigned long long)(us > 0 ? us : 0), __ATOMIC_RELAXED);
}

void vg_stats_connection(void)
{
	add(&connections, 1);
}

/** The per-server DNS counters, Prometheus text. */
static void dns_servers_prometheus(struct vstr *out)
{
	struct vg_dns_server_stats sv[VG_DNS_MAX_SERVER_STATS];
	size_t i, n = vg_dns_server_stats(sv, VG_DNS_MAX_SERVER_STATS);

	vstr_adds(out, "# HELP vigie_dns_server_queries_total DNS queries sent, by server and transport.\n"
	    "# TYPE vigie_dns_server_queries_total counter\n");
	for (i = 0; i < n; i++) {
		vstr_addf(out, "vigie_dns_server_queries_total{server=\"%s\",proto=\"udp\"} %lu\n", sv[i].server,
		    sv[i].udp_queries);
		vstr_addf(out, "vigie_dns_server_queries_total{server=\"%s\",proto=\"tcp\"} %lu\n", sv[i].server,
		    sv[i].tcp_queries);
	}
	vstr_adds(out, "# HELP vigie_dns_server_answers_total Replies accepted (answer, NXDOMAIN, NODATA), by server.\n"
	    "# TYPE vigie_dns_server_answers_total counter\n");
	for (i = 0; i < n; i++)
		vstr_addf(out, "vigie_dns_server_answers_total{server=\"%s\"} %lu\n", sv[i].server, sv[i].answers);
	vstr_adds(out, "# HELP vigie_dns_server_errors_total Failed attempts, by server and kind.\n"
	    "# TYPE vigie_dns_server_errors_total counter\n");
	for (i = 0; i < n; i++) {
		vstr_addf(out, "vigie_dns_server_errors_total{server=\"%s\",kind=\"timeout\"} %lu\n", sv[i].server,
		    sv[i].timeouts);
		vstr_addf(out, "vigie_dns_server_errors_total{server=\"%s\",kind=\"rcode\"} %lu\n", sv[i].server,
		    sv[i].rcode_failures);
		vstr_addf(out, "vigie_dns_server_errors_total{server=\"%s\",kind=\"bad_reply\"} %lu\n", sv[i].server,
		    sv[i].bad_replies);
		vstr_addf(out, "vigie_dns_server_errors_total{server=\"%s\",kind=\"network\"} %lu\n", sv[i].server,
		    sv[i].network_errors);
	}
}

void vg_stats_prometheus(struct vstr *out)
{
	struct vg_dns_cache_stats cs;
	int c, r, st, a, t, b, i;

	vstr_adds(out, "# HELP vigie_connections_total Connections opened by the MTA.\n"
	    "# TYPE vigie_connections_total counter\n");
	vstr_addf(out, "vigie_connections_total %lu\n", get(&connections));

	vstr_adds(out, "# HELP vigie_check_results_total Check results computed, by check and result.\n"
	    "# TYPE vigie_check_results_total counter\n");
	for (c = 0; c < VG_NCHECKS; c++)
		for (r = 0; vg_checks[c].results && vg_checks[c].results[r] && r < MAX_RESULTS; r++)
			vstr_addf(out, "vigie_check_results_total{check=\"%s\",result=\"%s\"} %lu\n",
			    vg_checks[c].name, vg_checks[c].results[r], get(&check_counts[c][r]));

	vstr_adds(out, "# HELP vigie_decisions_total Final decisions, by stage and action (reply class).\n"
	    "# TYPE vigie_decisions_total counter\n");
	for (st = 0; st < VG_NSTAGES; st++)
		for (a = 0; a < NACTIONS; a++)
			vstr_addf(out, "vigie_decisions_total{stage=\"%s\",action=\"%s\"} %lu\n",
			    vg_stage_name((enum vg_stage)st), actions[a], get(&decisions[st][a]));

	vstr_adds(out, "# HELP vigie_rules_fired_total Decisions by the rule that made them.\n"
	    "# TYPE vigie_rules_fired_total counter\n");
	pthread_mutex_lock(&rules_lock);
	for (i = 0; i < nrules; i++)
		vstr_addf(out, "vigie_rules_fired_total{rule=\"%s\"} %lu\n", rules[i].name, get(&rules[i].n));
	pthread_mutex_unlock(&rules_lock);

	vg_dns_cache_stats(&cs);
	vstr_adds(out, "# HELP vigie_dns_lookups_total DNS lookups asked by the checks.\n"
	    "# TYPE vigie_dns_lookups_total counter\n");
	vstr_addf(out, "vigie_dns_lookups_total %lu\n", get(&dns_lookups));
	vstr_adds(out, "# HELP vigie_dns_queries_sent_total DNS queries sent (UDP and TCP).\n"
	    "# TYPE vigie_dns_queries_sent_total counter\n");
	vstr_addf(out, "vigie_dns_queries_sent_total %lu\n", get(&dns_sent));
	vstr_adds(out, "# HELP vigie_dns_failures_total DNS lookups that ended in a temporary failure, by kind.\n"
	    "# TYPE vigie_dns_failures_total counter\n");
	vstr_addf(out, "vigie_dns_failures_total{kind=\"timeout\"} %lu\n", get(&dns_timeouts));
	vstr_addf(out, "vigie_dns_failures_total{kind=\"other\"} %lu\n", get(&dns_tempfails));
	vstr_adds(out, "# HELP vigie_dns_cache_hits_total DNS cache hits.\n# TYPE vigie_dns_cache_hits_total counter\n");
	vstr_addf(out, "vigie_dns_cache_hits_total %lu\n", cs.hits);
	vstr_adds(out, "# HELP vigie_dns_cache_misses_total DNS cache misses.\n# TYPE vigie_dns_cache_misses_total counter\n");
	vstr_addf(out, "vigie_dns_cache_misses_total %lu\n", cs.misses);
	vstr_adds(out, "# HELP vigie_dns_cache_entries DNS cache entries.\n# TYPE vigie_dns_cache_entries gauge\n");
	vstr_addf(out, "vigie_dns_cache_entries %lu\n", cs.entries);

	dns_servers_prometheus(out);

	vstr_adds(out, "# HELP vigie_stage_seconds Time vigie took to answer each stage.\n"
	    "# TYPE vigie_stage_seconds histogram\n");
	for (t = 0; t < VG_NTIMED; t++) {
		unsigned long cum = 0;
		for (b = 0; b < NBUCKETS; b++) {
			cum += get(&lat_buckets[t][b]);
			if (b < NBUCKETS - 1)
				vstr_addf(out, "vigie_stage_seconds_bucket{stage=\"%s\",le=\"%g\"} %lu\n", timed_names[t],
				    (double)bounds_us[b] / 1e6, cum);
			else
				vstr_addf(out, "vigie_stage_seconds_bucket{stage=\"%s\",le=\"+Inf\"} %lu\n", timed_names[t], cum);
		}
		vstr_addf(out, "vigie_stage_seconds_sum{stage=\"%s\"} %.6f\n", timed_names[t],
		    (double)__atomic_load_n(&lat_sum_us[t], __ATOMIC_RELAXED) / 1e6);
		vstr_addf(out, "vigie_stage_seconds_count{stage=\"%s\"} %lu\n", timed_names[t], get(&lat_count[t]));
	}
}

void vg_stats_log(void)
{
	struct vstr v;
	struct vg_dns_cache_stats cs;
	int c, r, st, a, i;

	vstr_init(&v, 3800);
	vg_dns_cache_stats(&cs);
	vg_log(LOG_INFO, "stats: connections=%lu dns_lookups=%lu dns_queries_sent=%lu dns_cache_hits=%lu "
	    "dns_cache_misses=%lu dns_timeouts=%lu dns_other_failures=%lu", get(&connections), get(&dns_lookups),
	    get(&dns_sent), cs.hits, cs.misses, get(&dns_timeouts), get(&dns_tempfails));
	for (st = 0; st < VG_NSTAGES; st++)
		for (a = 0; a < NACTIONS; a++)
			if (get(&decisions[st][a]))
				vstr_addf(&v, " %s.%s=%lu", vg_stage_name((enum vg_stage)st), actions[a], get(&decisions[st][a]));
	vg_log(LOG_INFO, "stats: decisions%s", v.len ? v.buf : " none");
	vstr_reset(&v);
	pthread_mutex_lock(&rules_lock);
	for (i = 0; i < nrules; i++)
		vstr_addf(&v, " %s=%lu", rules[i].name, get(&rules[i].n));
	pthread_mutex_unlock(&rules_lock);
	vg_log(LOG_INFO, "stats: rules%s", v.len ? v.buf : " none");
	vstr_reset(&v);
	for (c = 0; c < VG_NCHECKS; c++)
		for (r = 0; vg_checks[c].results && vg_checks[c].results[r] && r < MAX_RESULTS; r++)
			if (get(&check_counts[c][r]))
				vstr_addf(&v, " %s=%s:%lu", vg_checks[c].name, vg_checks[c].results[r], get(&check_counts[c][r]));
	vg_log(LOG_INFO, "stats: checks%s", v.len ? v.buf : " none");
	{
		struct vg_dns_server_stats sv[VG_DNS_MAX_SERVER_STATS];
		size_t n = vg_dns_server_stats(sv, VG_DNS_MAX_SERVER_STATS);

		for (i = 0; i < (int)n; i++)
			vg_log(LOG_INFO, "stats: dns server %s udp=%lu tcp=%lu answers=%lu timeouts=%lu rcode_failures=%lu "
			    "bad_replies=%lu network_errors=%lu", sv[i].server, sv[i].udp_queries, sv[i].tcp_queries,
			    sv[i].answers, sv[i].timeouts, sv[i].rcode_failures, sv[i].bad_replies, sv[i].network_errors);
	}
	vstr_free(&v);
}
