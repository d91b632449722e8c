/**
 * @file dns-lookup.c
 * Test driver of the DNS layer: adds every NAME/TYPE to one batch, waits
 * for them all with one deadline, prints what the batch did.
 *
 *   t/dns-lookup [-r ROUNDS] [-e EDNS] [-f FIRST_MS] SERVERS TIMEOUT_MS ATTEMPTS BUDGET_MS NAME/TYPE...
 *
 * SERVERS is a vg_dns_settings_parse spec ("127.0.0.1:5353,127.0.0.1:53",
 * or "system").  TYPE is A, AAAA, MX, TXT, PTR, CNAME, NS, SOA, SPF or a
 * number; for PTR the name may be an address (its in-addr/ip6.arpa name
 * is asked).  EDNS is the advertised UDP size (default 1232, 0: none).
 * Each round uses a fresh batch (the cache is kept), so a second round
 * shows cache hits.  With -f, the round first waits for the first lookup
 * alone, with the deadline now + FIRST_MS, and prints
 *
 *   first_wait_ms=N open=K       (K: lookups of the batch still open)
 *
 * before it waits for them all.  Then one line per lookup of the batch (duplicates were
 * merged by the batch), then the round's wall time:
 *
 *   NAME TYPE STATUS why=WHY ttl=N tcp=0|1 cache=0|1 sent=N ms=N rr=R1|R2...
 *   elapsed_ms=N
 *
 * WHY is "-" unless STATUS is tempfail; blanks in it become '_'.  R is an
 * address, "PREF NAME" (MX; "." for the null MX), a name, or the TXT text
 * with unprintable bytes as '?'.  Exit 0, or 2 on a usage error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns.h"
#include "ip.h"
#include "util.h"

/** Types by name. */
static const struct { const char *name; uint16_t type; } types[] = {
	{ "A", VG_T_A }, { "AAAA", VG_T_AAAA }, { "MX", VG_T_MX }, { "TXT", VG_T_TXT },
	{ "PTR", VG_T_PTR }, { "CNAME", VG_T_CNAME }, { "NS", VG_T_NS }, { "SOA", VG_T_SOA },
	{ "SPF", VG_T_SPF },
};

/** Print the usage and exit 2. */
static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fprintf(stderr, "usage: dns-lookup [-r ROUNDS] [-e EDNS] [-f FIRST_MS] SERVERS TIMEOUT_MS ATTEMPTS BUDGET_MS "
	    "NAME/TYPE...\n");
	exit(2);
}

/** A non-negative decimal number, or usage(). */
static long number(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0)
		usage();
	return v;
}

/** A type name or number, or usage(). */
static uint16_t parse_type(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (vg_strcaseeq(s, types[i].name))
			return types[i].type;
	if (*s >= '0' && *s <= '9' && number(s) <= 65535)
		return (uint16_t)number(s);
	usage();
}

/** Print one lookup's line. */
static void print_lookup(const struct vg_dns_trace *t)
{
	const struct vg_dns_answer *a = t->answer;
	struct vstr s;
	size_t i;

	vstr_init(&s, 0);
	vstr_addf(&s, "%s %s ", t->name, vg_dns_type_name(t->type));
	if (a == NULL) {
		vstr_adds(&s, "open");
	} else {
		vstr_addf(&s, "%s why=", vg_dns_status_name(a->status));
		if (a->status != VG_DNS_TEMPFAIL || a->why[0] == '\0')
			vstr_addc(&s, '-');
		for (i = 0; a->status == VG_DNS_TEMPFAIL && a->why[i]; i++)
			vstr_addc(&s, a->why[i] == ' ' ? '_' : a->why[i]);
		vstr_addf(&s, " ttl=%u tcp=%d", (unsigned)a->ttl, a->tcp);
	}
	vstr_addf(&s, " cache=%d sent=%d ms=%.0f rr=", t->from_cache, t->queries_sent, t->ms);
	for (i = 0; a != NULL && i < a->n; i++) {
		const struct vg_dns_rr *r = &a->rr[i];
		char ip[64];

		if (i > 0)
			vstr_addc(&s, '|');
		if (r->type == VG_T_A || r->type == VG_T_AAAA) {
			vg_ip_format(&r->ip, ip, sizeof(ip));
			vstr_adds(&s, ip);
		} else if (r->type == VG_T_MX) {
			vstr_addf(&s, "%u ", r->pref);
			vstr_add_clean(&s, r->text[0] ? r->text : ".", VG_DNS_TXT_MAX);
		} else if (r->text != NULL) {
			vstr_add_clean(&s, r->text, VG_DNS_TXT_MAX);
		}
	}
	printf("%s\n", s.buf);
	vstr_free(&s);
}

int main(int argc, char **argv)
{
	struct vg_dns_settings set;
	const char *err;
	long rounds = 1, first = 0, budget, r;
	int c, i;

	memset(&set, 0, sizeof(set));
	set.edns_size = 1232;
	while ((c = getopt(argc, argv, "r:e:f:")) != -1) {
		switch (c) {
		case 'r': rounds = number(optarg); break;
		case 'f': first = number(optarg); break;
		case 'e': set.edns_size = (int)number(optarg); break;
		default: usage();
		}
	}
	if (argc - optind < 5)
		usage();
	if (vg_dns_settings_parse(&set, argv[optind], NULL, &err) < 0) {
		fprintf(stderr, "dns-lookup: %s: %s\n", argv[optind], err);
		return 2;
	}
	set.timeout_ms = (int)number(argv[optind + 1]);
	set.attempts = (int)number(argv[optind + 2]);
	budget = number(argv[optind + 3]);
	vg_dns_cache_init(10000, 16 * 1024 * 1024, 86400);
	for (r = 0; r < rounds; r++) {
		struct vg_dns_batch *b = vg_dns_batch_new(&set);
		int64_t start = vg_dns_now_ms();
		size_t k;

		if (b == NULL) {
			fprintf(stderr, "dns-lookup: out of memory\n");
			return 2;
		}
		for (i = optind + 4; i < argc; i++) {
			char name[VG_DNS_NAME_MAX + 1], ptr[VG_DNS_NAME_MAX + 1];
			char *slash;
			uint16_t type;
			struct vg_ip ip;

			if (vg_strlcpy(name, argv[i], sizeof(name)) >= sizeof(name) ||
			    (slash = strrchr(name, '/')) == NULL)
				usage();
			*slash = '\0';
			type = parse_type(slash + 1);
			if (type == VG_T_PTR && vg_ip_parse(name, &ip) == 0 &&
			    vg_dns_ptr_name(&ip, ptr, sizeof(ptr)) == 0)
				vg_strlcpy(name, ptr, sizeof(name));
			if (vg_dns_add(b, name, type) < 0)
				printf("%s %s refused\n", name, vg_dns_type_name(type));
		}
		if (first > 0 && vg_dns_count(b) > 0) {
			const int idx[1] = { 0 };
			size_t open = 0;

			vg_dns_wait(b, idx, 1, start + first);
			for (k = 0; k < vg_dns_count(b); k++)
				open += vg_dns_result(b, (int)k) == NULL;
			printf("first_wait_ms=%lld open=%zu\n", (long long)(vg_dns_now_ms() - start), open);
		}
		vg_dns_wait(b, NULL, 0, start + budget);
		for (k = 0; k < vg_dns_count(b); k++) {
			struct vg_dns_trace t;

			vg_dns_trace(b, k, &t);
			print_lookup(&t);
		}
		printf("elapsed_ms=%lld\n", (long long)(vg_dns_now_ms() - start));
		fflush(stdout);
		vg_dns_batch_free(b);
	}
	vg_dns_cache_free();
	return 0;
}
