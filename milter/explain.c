/**
 * @file explain.c
 * "vigie explain": run the policy for a given client, HELO, sender and
 * recipients without an MTA, and print each stage's check results, the
 * rule that fired and the SMTP reply.  Same core as the daemon.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dns.h"
#include "milter.h"
#include "policy.h"
#include "util.h"

#define MAX_RCPT 1000
#define MAX_OVERRIDES 64

/** Output formats. */
enum fmt { FMT_TEXT, FMT_KV };

/** Print a value for kv output: bare if safe, else double-quoted with escapes. */
static void kv_value(const char *v)
{
	const char *p;
	int bare = *v != '\0';

	for (p = v; *p; p++)
		if (!vg_isprint((unsigned char)*p) || *p == ' ' || *p == '"' || *p == '\\' || *p == '=')
			bare = 0;
	if (bare) {
		fputs(v, stdout);
		return;
	}
	putchar('"');
	for (p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			putchar('\\');
		putchar(vg_isprint((unsigned char)*p) ? *p : '?');
	}
	putchar('"');
}

/** Print "key=value" (kv) with a leading space. */
static void kv(const char *k, const char *v)
{
	printf(" %s=", k);
	kv_value(v);
}

/** Print the results of the checks that become known at this stage. */
static void print_checks(struct vg_session *s, enum vg_stage st, enum fmt f)
{
	int id, first = 1;

	for (id = 0; id < VG_NCHECKS; id++) {
		int r;
		if (vg_checks[id].stage != st || vg_checks[id].results == NULL)
			continue;
		r = vg_session_check(s, (enum vg_check_id)id);
		if (f == FMT_KV) {
			kv(vg_checks[id].name, vg_check_result_name(id, r));
		} else {
			printf("%s%s=%s", first ? "  checks:   " : " ", vg_checks[id].name, vg_check_result_name(id, r));
			first = 0;
		}
	}
	if (f == FMT_TEXT && !first)
		putchar('\n');
}

/** Print a decision. */
static void print_decision(const struct vg_decision *d, enum fmt f)
{
	const char *act = d->action == VG_ACT_REJECT ? "reject" : d->action == VG_ACT_TEMPFAIL ? "tempfail" :
	    d->stage == VG_STAGE_RCPT ? "accept" : "continue";
	char code[16];

	if (f == FMT_KV) {
		kv("action", act);
		kv("rule", d->rule);
		if (d->code) {
			snprintf(code, sizeof(code), "%d", d->code);
			kv("code", code);
			kv("esc", d->esc);
			kv("text", d->text);
		}
		if (d->delayed)
			kv("delayed", "yes");
		if (d->dry_run)
			kv("dry_run", "yes");
		putchar('\n');
		return;
	}
	if (d->code)
		printf("  decision: %s%s by rule %s (%s)%s\n  reply:    %d %s %s\n",
		    d->dry_run ? "accept (dry-run; would have been " : "", d->dry_run ? "reject)" : act, d->rule,
		    d->match, d->delayed ? ", delayed from an earlier stage" : "", d->code, d->esc, d->text);
	else if (strcmp(d->rule, "delayed") == 0)
		printf("  decision: continue (a rejection is kept for RCPT TO: delay_reject)\n");
	else
		printf("  decision: %s (rule %s)\n", act, d->rule);
}

/** Print a stage header in either format. */
static void print_stage(const char *stage, const char *k, const char *v, enum fmt f)
{
	if (f == FMT_KV) {
		printf("stage=%s", stage);
		kv(k, v);
	} else {
		printf("%-8s %s=%s\n", stage, k, v);
	}
}

/** Worst outcome so far, as the exit status: 0 accepted, 1 rejected, 2 tempfail. */
static int outcome(int cur, const struct vg_decision *d)
{
	if (d->action == VG_ACT_TEMPFAIL)
		return 2;
	if (d->action == VG_ACT_REJECT && cur == 0)
		return 1;
	return cur;
}

/** What explain was asked, for one or more runs of the session. */
struct explain_args {
	const char *conf, *client, *name, *helo, *from, *auth;
	const char *const *rcpts;
	int nrcpt;
	const char *const *macros;
	int nmacros;
};

/** Print one DNS answer's records, bounded, as "a, b, c". */
static void print_rrs(const struct vg_dns_answer *ans, char *buf, size_t bufsz)
{
	struct vstr v;
	size_t i;

	vstr_init(&v, bufsz - 1);
	for (i = 0; i < ans->n; i++) {
		const struct vg_dns_rr *rr = &ans->rr[i];
		char ip[64];

		if (i)
			vstr_adds(&v, ", ");
		if (rr->type == VG_T_A || rr->type == VG_T_AAAA) {
			vg_ip_format(&rr->ip, ip, sizeof(ip));
			vstr_adds(&v, ip);
		} else if (rr->type == VG_T_MX) {
			vstr_addf(&v, "%u %s", (unsigned)rr->pref, rr->text && *rr->text ? rr->text : ".");
		} else if (rr->type == VG_T_TXT) {
			vstr_addc(&v, '"');
			vstr_add_clean(&v, rr->text ? rr->text : "", 60);
			vstr_addc(&v, '"');
		} else {
			vstr_add_clean(&v, rr->text ? rr->text : "", 255);
		}
	}
	vg_clean_copy(buf, bufsz, v.buf);
	vstr_free(&v);
}

/** Print the DNS lookups made since *done, and advance *done. */
static void print_dns(const struct vg_session *s, const char *stage, size_t *done, enum fmt f)
{
	const struct vg_dns_batch *b = vg_session_batch(s);
	size_t n = b ? vg_dns_count(b) : 0;

	for (; *done < n; (*done)++) {
		struct vg_dns_trace t;
		char ans[400];

		vg_dns_trace(b, *done, &t);
		if (t.answer == NULL)
			vg_strlcpy(ans, "(still open)", sizeof(ans));
		else if (t.answer->status == VG_DNS_ANSWER)
			print_rrs(t.answer, ans, sizeof(ans));
		else if (t.answer->status == VG_DNS_TEMPFAIL)
			snprintf(ans, sizeof(ans), "tempfail (%s)", t.answer->why);
		else
			vg_strlcpy(ans, vg_dns_status_name(t.answer->status), sizeof(ans));
		if (f == FMT_KV) {
			printf("lookup stage=%s type=%s", stage, vg_dns_type_name(t.type));
			kv("name", t.name);
			kv("status", t.answer ? vg_dns_status_name(t.answer->status) : "open");
			kv("answer", ans);
			printf(" cache=%s sent=%d ms=%.0f%s\n", t.from_cache ? "yes" : "no", t.queries_sent, t.ms,
			    t.answer && t.answer->tcp ? " tcp=yes" : "");
		} else {
			if (t.from_cache)
				printf("  dns:      %-5s %s -> %s (cache)\n", vg_dns_type_name(t.type), t.name, ans);
			else
				printf("  dns:      %-5s %s -> %s (%.0f ms, %d %s%s)\n", vg_dns_type_name(t.type), t.name, ans,
				    t.ms, t.queries_sent, t.queries_sent == 1 ? "query" : "queries",
				    t.answer && t.answer->tcp ? ", TCP" : "");
		}
	}
}

/** Print the SPF evaluations of the session (what spf_helo/spf_mailfrom found). */
static void print_spf(struct vg_session *s, enum fmt f)
{
	static const char *const ident[2] = { "helo", "mailfrom" };
	struct vg_spf_detail dt;
	int i;

	for (i = 0; i < 2; i++) {
		if (!vg_session_spf(s, i, &dt))
			continue;
		if (f == FMT_KV) {
			printf("spf identity=%s result=%s", ident[i], dt.result);
			kv("domain", dt.domain);
			printf(" dns_terms=%d void_lookups=%d", dt.dns_terms, dt.void_lookups);
			kv("problem", dt.problem);
			kv("explanation", dt.explanation);
			putchar('\n');
		} else {
			printf("  spf:      %s=%s for %s (%d DNS terms, %d void lookups)%s%s%s%s\n", ident[i], dt.result,
			    dt.domain[0] ? dt.domain : "-", dt.dns_terms, dt.void_lookups,
			    dt.problem[0] ? "; " : "", dt.problem, dt.explanation[0] ? "; explanation: " : "",
			    dt.explanation);
		}
	}
}

/** Print the DNS totals of a session. */
static void print_dns_summary(const struct vg_session *s, enum fmt f)
{
	const struct vg_dns_batch *b = vg_session_batch(s);
	size_t n = b ? vg_dns_count(b) : 0, i;
	int sent = 0, cached = 0;
	struct vg_dns_cache_stats st;

	for (i = 0; i < n; i++) {
		struct vg_dns_trace t;
		vg_dns_trace(b, i, &t);
		sent += t.queries_sent;
		cached += t.from_cache;
	}
	vg_dns_cache_stats(&st);
	if (f == FMT_KV)
		printf("dns lookups=%zu queries_sent=%d from_cache=%d cache_hits=%lu cache_misses=%lu\n",
		    n, sent, cached, st.hits, st.misses);
	else if (n > 0)
		printf("dns      %zu lookups, %d queries sent, %d answered from the cache\n", n, sent, cached);
}

/** After a stage: its checks, its decision, its lookups; fold the outcome into *status. */
static void end_stage(struct vg_session *s, enum vg_stage st, const struct vg_decision *d, size_t *done,
    enum fmt f, int *status)
{
	const struct vg_decision *w;
	size_t i, nw = vg_session_warnings(s, &w);

	print_checks(s, st, f);
	for (i = 0; f == FMT_TEXT && i < nw; i++) {
		if (w[i].code)
			printf("  warn:     rule %s (%s): would %s: %d %s %s\n", w[i].rule, w[i].match,
			    w[i].code >= 500 ? "reject" : "tempfail", w[i].code, w[i].esc, w[i].text);
		else
			printf("  warn:     rule %s (%s)%s%s\n", w[i].rule, w[i].match, w[i].text[0] ? ": " : "", w[i].text);
	}
	print_decision(d, f);     /* ends the kv stage line */
	for (i = 0; f == FMT_KV && i < nw; i++) {
		printf("warn stage=%s", vg_stage_name(st));
		kv("rule", w[i].rule);
		kv("match", w[i].match);
		if (w[i].code) {
			char code[16];

			snprintf(code, sizeof(code), "%d", w[i].code);
			kv("would", w[i].code >= 500 ? "reject" : "tempfail");
			kv("code", code);
			kv("esc", w[i].esc);
		}
		kv("text", w[i].text);
		putchar('\n');
	}
	print_dns(s, vg_stage_name(st), done, f);
	*status = outcome(*status, d);
}

#define MAX_PARAMS 16   /**< ESMTP parameters taken after a path */

/**
 * Split a MAIL FROM argument "<path> PARAM PARAM..." as an MTA does before
 * calling a milter: the path (up to the first '>' outside a quoted string)
 * into path, the parameters into params (NULL-terminated, pointing into
 * buf).  An argument without '<' is a path alone, bracketed here.
 */
static void split_mail(const char *arg, char *buf, size_t bufsz, char *path, size_t pathsz,
    const char **params)
{
	size_t n = 0, i = 0;
	int quoted = 0;
	char *p;

	params[0] = NULL;
	if (arg[0] != '<') {
		snprintf(path, pathsz, "<%s>", arg);
		return;
	}
	for (i = 1; arg[i] != '\0'; i++) {
		if (arg[i] == '\\' && quoted && arg[i + 1] != '\0')
			i++;
		else if (arg[i] == '"')
			quoted = !quoted;
		else if (arg[i] == '>' && !quoted)
			break;
	}
	if (arg[i] == '>')
		i++;
	snprintf(path, pathsz, "%.*s", (int)i, arg);
	vg_strlcpy(buf, arg + i, bufsz);
	for (p = strtok(buf, " "); p != NULL && n < MAX_PARAMS; p = strtok(NULL, " "))
		params[n++] = p;
	params[n] = NULL;
}

/** Run the policy once for the arguments; print; return 0, 1 or 2. */
static int run_session(struct vg_session *s, const struct explain_args *a, enum fmt f)
{
	struct vg_decision d;
	size_t done = 0;
	int i, status = 0;

	for (i = 0; i < a->nmacros; i++) {
		char mname[64];
		const char *eq = strchr(a->macros[i], '=');
		memcpy(mname, a->macros[i], (size_t)(eq - a->macros[i]));
		mname[eq - a->macros[i]] = '\0';
		vg_session_set_macro(s, (enum vg_macro)vg_macro_lookup(mname), eq + 1);
	}
	if (f == FMT_TEXT)
		printf("config   %s%s\n", a->conf, vg_session_config(s)->dry_run ? " (mode dry-run)" : "");
	print_stage("connect", "client", a->client, f);
	if (f == FMT_TEXT && a->name)
		printf("         name=%s\n", a->name);
	vg_session_connect(s, strcmp(a->client, "unknown") == 0 ? NULL : a->client, a->name, &d);
	end_stage(s, VG_STAGE_CONNECT, &d, &done, f, &status);

	print_stage("helo", "helo", a->helo ? a->helo : "", f);
	vg_session_helo(s, a->helo ? a->helo : "", &d);
	end_stage(s, VG_STAGE_HELO, &d, &done, f, &status);

	if (a->auth != NULL)
		vg_session_set_macro(s, VG_M_AUTH_AUTHEN, a->auth);
	{
		char path[1200], buf[1200];
		const char *params[MAX_PARAMS + 1];
		split_mail(a->from ? a->from : "", buf, sizeof(buf), path, sizeof(path), params);
		print_stage("mail", "from", a->from && strchr(a->from, ' ') ? a->from : path, f);
		vg_session_mail(s, path, params, &d);
	}
	end_stage(s, VG_STAGE_MAIL, &d, &done, f, &status);
	print_spf(s, f);

	for (i = 0; i < a->nrcpt; i++) {
		char path[1200];
		/* The argument as sent: the path parser judges it whole, parameters too. */
		const char *arg = a->rcpts[i];
		if (arg[0] != '<') {
			snprintf(path, sizeof(path), "<%s>", arg);
			arg = path;
		}
		print_stage("rcpt", "to", arg, f);
		vg_session_rcpt(s, arg, NULL, &d);
		end_stage(s, VG_STAGE_RCPT, &d, &done, f, &status);
	}
	print_dns_summary(s, f);
	if (f == FMT_TEXT)
		printf("result   %s\n", status == 0 ? "accepted" : status == 1 ? "rejected" : "tempfail");
	return status;
}

/** Print explain's usage. */
static void explain_usage(FILE *f)
{
	fprintf(f,
	    "usage: vigie explain [-c file] [-o key=value ...] --client IP [--name HOST] [--helo NAME]\n"
	    "                     [--from ADDR] [--auth LOGIN] [--macro NAME=VALUE ...]\n"
	    "                     --rcpt ADDR [--rcpt ADDR ...] [--format=text|kv] [--repeat N]\n");
}

int vg_explain_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "client", required_argument, NULL, 'C' },
		{ "name", required_argument, NULL, 'N' },
		{ "helo", required_argument, NULL, 'H' },
		{ "from", required_argument, NULL, 'F' },
		{ "rcpt", required_argument, NULL, 'R' },
		{ "auth", required_argument, NULL, 'A' },
		{ "format", required_argument, NULL, 'T' },
		{ "macro", required_argument, NULL, 'M' },
		{ "repeat", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf = getenv("VIGIE_CONF"), *client = NULL, *name = NULL, *helo = NULL;
	const char *from = NULL, *auth = NULL, *rcpts[MAX_RCPT], *overrides[MAX_OVERRIDES + 1];
	const char *macros[MAX_OVERRIDES];
	int nrcpt = 0, noverrides = 0, nmacros = 0, opt, status = 0, repeat = 1, r;
	struct explain_args a;
	enum fmt f = FMT_TEXT;
	struct vg_cfgerr errs;
	struct vg_config *cfg;
	struct vg_session *s;

	if (conf == NULL)
		conf = VIGIE_CONF;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf = optarg; break;
		case 'o':
			if (noverrides == MAX_OVERRIDES)
				return 64;
			overrides[noverrides++] = optarg;
			break;
		case 'C': client = optarg; break;
		case 'N': name = optarg; break;
		case 'H': helo = optarg; break;
		case 'F': from = optarg; break;
		case 'A': auth = optarg; break;
		case 'M': {
			const char *eq = strchr(optarg, '=');
			char mname[64];
			if (eq == NULL || (size_t)(eq - optarg) >= sizeof(mname) || nmacros == MAX_OVERRIDES) {
				fprintf(stderr, "vigie explain: --macro NAME=VALUE\n");
				return 64;
			}
			memcpy(mname, optarg, (size_t)(eq - optarg));
			mname[eq - optarg] = '\0';
			if (vg_macro_lookup(mname) < 0) {
				fprintf(stderr, "vigie explain: unknown macro %s\n", mname);
				return 64;
			}
			macros[nmacros++] = optarg;
			break;
		}
		case 'R':
			if (nrcpt == MAX_RCPT) {
				fprintf(stderr, "vigie explain: at most %d recipients\n", MAX_RCPT);
				return 64;
			}
			rcpts[nrcpt++] = optarg;
			break;
		case 'P':
			repeat = atoi(optarg);
			if (repeat < 1 || repeat > 100) {
				fprintf(stderr, "vigie explain: --repeat takes 1 to 100\n");
				return 64;
			}
			break;
		case 'T':
			if (strcmp(optarg, "text") == 0)
				f = FMT_TEXT;
			else if (strcmp(optarg, "kv") == 0)
				f = FMT_KV;
			else {
				explain_usage(stderr);
				return 64;
			}
			break;
		case 'h':
			explain_usage(stdout);
			return 0;
		default:
			explain_usage(stderr);
			return 64;
		}
	}
	if (client == NULL || nrcpt == 0 || optind != argc) {
		explain_usage(stderr);
		return 64;
	}
	overrides[noverrides] = NULL;
	vg_cfgerr_init(&errs);
	cfg = vg_config_load(conf, overrides, &errs);
	if (cfg == NULL) {
		fputs(errs.text.buf, stderr);
		vg_cfgerr_free(&errs);
		return 78;
	}
	vg_cfgerr_free(&errs);
	vg_dns_cache_init((size_t)cfg->dns_cache_size, 64u * 1024 * 1024, 86400);
	s = vg_session_new(cfg);
	if (s == NULL)
		return 1;
	vg_session_quiet(s, 1);
	a.conf = conf;
	a.client = client;
	a.name = name;
	a.helo = helo;
	a.from = from;
	a.auth = auth;
	a.rcpts = rcpts;
	a.nrcpt = nrcpt;
	a.macros = macros;
	a.nmacros = nmacros;

	for (r = 0; r < repeat; r++) {
		if (r > 0) {
			vg_session_free(s);
			if ((s = vg_session_new(cfg)) == NULL)
				return 1;
			vg_session_quiet(s, 1);
			if (f == FMT_TEXT)
				printf("\n--- session %d (same process: the DNS cache is warm) ---\n", r + 1);
		}
		status = run_session(s, &a, f);
	}
	vg_session_free(s);
	vg_config_unref(cfg);
	vg_dns_cache_free();
	return status;
}
