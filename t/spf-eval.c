/**
 * @file spf-eval.c
 * Test driver of the SPF layer: one vg_spf_check through a fresh DNS
 * batch, printed on one line.
 *
 *   t/spf-eval [-t TIMEOUT_MS] [-a ATTEMPTS] [-b BUDGET_MS] [-j THREADS -n COUNT]
 *              SERVER IP HELO SENDER|- RECEIVER
 *
 * SERVER is a vg_dns_settings_parse spec ("127.0.0.1:5353").  HELO may be
 * "-" (none).  SENDER "-" checks the HELO identity; otherwise it is the
 * MAIL FROM address (the caller's "postmaster@HELO" for the null sender).
 * The lookup timeout is TIMEOUT_MS (default 500) with ATTEMPTS tries
 * (default 2); the evaluation's deadline is now + BUDGET_MS (default
 * 4000).  Output:
 *
 *   result=R domain=D dns_terms=N void=N problem="..." exp="..."
 *
 * with '"' and '\' escaped by '\'.  With -j and -n, after that line,
 * COUNT more evaluations of the same identity run in THREADS threads at
 * once, each with its own batch, sharing the DNS cache (emptied first);
 * each must give the same line, and the driver prints
 *
 *   concurrent=COUNT threads=THREADS mismatches=M
 *
 * Exit 0, or 1 when an evaluation reported out of memory or a concurrent
 * one differed, 2 on a usage error.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns.h"
#include "ip.h"
#include "spf.h"
#include "util.h"

/** What every evaluation of a run uses. */
struct job {
	struct vg_dns_settings settings;
	struct vg_ip ip;
	const char *helo, *sender, *receiver;
	long budget_ms;
	char expect[1024];      /**< the line of the first evaluation */
	int next, count, mismatches, failures;
	pthread_mutex_t lock;
};

/** Print the usage and exit 2. */
static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fprintf(stderr, "usage: spf-eval [-t TIMEOUT_MS] [-a ATTEMPTS] [-b BUDGET_MS] [-j THREADS -n COUNT] "
	    "SERVER IP HELO SENDER|- RECEIVER\n");
	exit(2);
}

/** A positive decimal number, or usage(). */
static long number(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v <= 0 || v > 1000000)
		usage();
	return v;
}

/** Append s to out with '"' and '\' escaped. */
static void add_quoted(struct vstr *out, const char *s)
{
	vstr_addc(out, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			vstr_addc(out, '\\');
		vstr_addc(out, *s);
	}
	vstr_addc(out, '"');
}

/**
 * One evaluation with a fresh batch; its line in line.
 * @return 0, or -1 when vg_spf_check reported out of memory
 */
static int evaluate(struct job *j, char *line, size_t linesz)
{
	struct vg_dns_batch *b = vg_dns_batch_new(&j->settings);
	struct vg_spf_outcome o;
	struct vstr s;
	int rc;

	if (b == NULL)
		return -1;
	rc = vg_spf_check(b, vg_dns_now_ms() + j->budget_ms, &j->ip, j->helo, j->sender, j->receiver, &o);
	vg_dns_batch_free(b);
	vstr_init(&s, 0);
	vstr_addf(&s, "result=%s domain=%s dns_terms=%d void=%d problem=", vg_spf_result_name(o.result),
	    o.domain, o.dns_terms, o.void_lookups);
	add_quoted(&s, o.problem);
	vstr_adds(&s, " exp=");
	add_quoted(&s, o.explanation);
	vg_strlcpy(line, s.buf, linesz);
	vstr_free(&s);
	return rc;
}

/** A worker thread: evaluations until the count is reached. */
static void *worker(void *arg)
{
	struct job *j = arg;
	char line[1024];

	for (;;) {
		int rc;

		pthread_mutex_lock(&j->lock);
		if (j->next >= j->count) {
			pthread_mutex_unlock(&j->lock);
			return NULL;
		}
		j->next++;
		pthread_mutex_unlock(&j->lock);
		rc = evaluate(j, line, sizeof(line));
		pthread_mutex_lock(&j->lock);
		if (rc < 0)
			j->failures++;
		if (strcmp(line, j->expect) != 0) {
			j->mismatches++;
			fprintf(stderr, "spf-eval: concurrent run differs: %s\n", line);
		}
		pthread_mutex_unlock(&j->lock);
	}
}

int main(int argc, char **argv)
{
	static struct job j;
	const char *err;
	pthread_t tid[64];
	long threads = 0, count = 0;
	int c, i, rc;

	j.settings.timeout_ms = 500;
	j.settings.attempts = 2;
	j.settings.edns_size = 1232;
	j.budget_ms = 4000;
	while ((c = getopt(argc, argv, "t:a:b:j:n:")) != -1) {
		switch (c) {
		case 't': j.settings.timeout_ms = (int)number(optarg); break;
		case 'a': j.settings.attempts = (int)number(optarg); break;
		case 'b': j.budget_ms = number(optarg); break;
		case 'j': threads = number(optarg); break;
		case 'n': count = number(optarg); break;
		default: usage();
		}
	}
	if (argc - optind != 5 || (threads > 0) != (count > 0) || threads > 64)
		usage();
	if (vg_dns_settings_parse(&j.settings, argv[optind], NULL, &err) < 0) {
		fprintf(stderr, "spf-eval: %s: %s\n", argv[optind], err);
		return 2;
	}
	if (vg_ip_parse(argv[optind + 1], &j.ip) < 0) {
		fprintf(stderr, "spf-eval: %s: not an address\n", argv[optind + 1]);
		return 2;
	}
	j.helo = strcmp(argv[optind + 2], "-") == 0 ? NULL : argv[optind + 2];
	j.sender = strcmp(argv[optind + 3], "-") == 0 ? NULL : argv[optind + 3];
	j.receiver = argv[optind + 4];
	vg_dns_cache_init(1000, 1 << 20, 300);
	rc = evaluate(&j, j.expect, sizeof(j.expect)) < 0 ? 1 : 0;
	printf("%s\n", j.expect);
	if (threads > 0) {
		/* start cold: the threads fill the shared cache together */
		vg_dns_cache_init(1000, 1 << 20, 300);
		j.count = (int)count;
		pthread_mutex_init(&j.lock, NULL);
		for (i = 0; i < threads; i++)
			if (pthread_create(&tid[i], NULL, worker, &j) != 0)
				break;
		threads = i;
		for (i = 0; i < threads; i++)
			pthread_join(tid[i], NULL);
		pthread_mutex_destroy(&j.lock);
		printf("concurrent=%d threads=%ld mismatches=%d\n", j.next, threads, j.mismatches);
		if (j.mismatches > 0 || j.failures > 0 || j.next != j.count)
			rc = 1;
	}
	vg_dns_cache_free();
	return rc;
}
