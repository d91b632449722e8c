/**
 * @file stats.h
 * Process-wide statistics, lock-free where they are hot: check results,
 * decisions by stage and action, rules fired, DNS work, and latency per
 * stage as histograms.  Rendered in the Prometheus text format (for an
 * HTTP endpoint) or as log lines (SIGUSR1).  No libmilter, no HTTP here.
 */
#ifndef VIGIE_STATS_H
#define VIGIE_STATS_H

#include "checks.h"
#include "conf.h"
#include "util.h"

/** Stages timed: the four of the policy, and end of message. */
enum vg_timed { VG_TIME_CONNECT = 0, VG_TIME_HELO, VG_TIME_MAIL, VG_TIME_RCPT, VG_TIME_EOM, VG_NTIMED };

/** Count a computed check result. */
void vg_stats_check(int check, int result);
/** Count a final decision: action is "accept", "reject", "tempfail", "would-reject", "would-tempfail". */
void vg_stats_decision(enum vg_stage st, const char *action, const char *rule);
/** Add one connection's DNS work: lookups, queries sent, lookups answered from the cache, timeouts, other temporary failures. */
void vg_stats_dns(unsigned long lookups, unsigned long sent, unsigned long cached, unsigned long timeouts,
    unsigned long tempfails);
/** Record how long a stage took, in microseconds. */
void vg_stats_latency(enum vg_timed t, long long us);
/** Count connections opened. */
void vg_stats_connection(void);
/** Append all metrics in the Prometheus text exposition format. */
void vg_stats_prometheus(struct vstr *out);
/** Log a summary of all non-zero counters, a few lines. */
void vg_stats_log(void);

#endif
