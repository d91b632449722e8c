/**
 * @file fuzz-conf.c
 * Fuzz target: the configuration loader (lib/conf.c, vg_config_load): the
 * input is a whole configuration file, optionally followed by a NUL and
 * "key=value" overrides (the -o options), one per line.
 *
 * Reproducible runs: the file is written to a private temporary directory,
 * and while the loader runs every fopen it makes is confined there (this
 * program is linked with -Wl,--wrap=fopen, see Makefile.am): "file:NAME"
 * may read the fixed lists this target puts in that directory (list,
 * nets, senders, logins), /etc/resolv.conf reads a fixed file, and any
 * other path fails with ENOENT, as a missing file would.  psl_file never
 * loads (psl_load_file is wrapped too) and libpsl's built-in list stands
 * in for the system's (psl_latest).
 *
 * Checked: a configuration comes back exactly when no error was reported,
 * every error line is "file:line:col: message", and the lookups work on
 * whatever the loader built.
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>
#include <libpsl.h>

#include "conf.h"
#include "fuzz.h"

FILE *__real_fopen(const char *path, const char *mode);
FILE *__wrap_fopen(const char *path, const char *mode);
psl_ctx_t *__wrap_psl_load_file(const char *fname);
psl_ctx_t *__wrap_psl_latest(const char *fname);

static char dir[256];       /**< the private directory */
static int confined;        /**< set while the loader runs */

/** Files the "file:" sources may name, and their contents. */
static const struct { const char *name, *text; } files[] = {
	{ "list", "example.org\n.example.net # subdomains\n\n  EXAMPLE.com  \n" },
	{ "nets", "192.0.2.0/24\n2001:db8::/32\n# none\n" },
	{ "senders", "user@example.org\n@example.net\n@.example.com\n" },
	{ "logins", "alice alice@example.org @example.net\nbob @.example.com # comment\n" },
	{ "resolv.conf", "nameserver 127.0.0.1\nnameserver ::1\n" },
};

FILE *__wrap_fopen(const char *path, const char *mode)
{
	char ok[300];
	size_t i;

	if (!confined)
		return __real_fopen(path, mode);
	if (strcmp(path, "/etc/resolv.conf") == 0)
		path = "resolv.conf";
	else if (strncmp(path, dir, strlen(dir)) == 0 && path[strlen(dir)] == '/')
		path += strlen(dir) + 1;
	else
		path = "";
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (strcmp(path, files[i].name) == 0 || strcmp(path, "vigie.conf") == 0) {
			snprintf(ok, sizeof(ok), "%s/%s", dir, path);
			return __real_fopen(ok, mode);
		}
	}
	errno = ENOENT;
	return NULL;
}

psl_ctx_t *__wrap_psl_load_file(const char *fname)
{
	(void)fname;
	return NULL;
}

psl_ctx_t *__wrap_psl_latest(const char *fname)
{
	(void)fname;
	return NULL;
}

static void cleanup(void)
{
	char p[300];
	size_t i;

	if (dir[0] == '\0')
		return;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i].name);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/vigie.conf", dir);
	unlink(p);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	size_t i;

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/vigie-fuzz-conf.XXXXXX", tmp && *tmp && strlen(tmp) < 200 ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	atexit(cleanup);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char p[300];
		FILE *f;

		snprintf(p, sizeof(p), "%s/%s", dir, files[i].name);
		if ((f = __real_fopen(p, "w")) == NULL || fputs(files[i].text, f) < 0 || fclose(f) != 0) {
			perror(p);
			abort();
		}
	}
	return 0;
}

static void key_cb(const char *name, void *arg)
{
	(void)name;
	(*(int *)arg)++;
}

/** Every line of the error text is "file:line:col: message". */
static void check_errors(const struct vg_cfgerr *e)
{
	const char *p = e->text.buf;
	int lines = 0;

	FUZZ_ASSERT(e->text.len == strlen(e->text.buf), "NUL in the error text");
	while (*p) {
		const char *nl = strchr(p, '\n'), *c;
		FUZZ_ASSERT(nl != NULL, "error text does not end with a newline: %s", p);
		if (strcmp(p, "too many errors, giving up\n") == 0)
			return;     /* the last line once MAX_ERRORS were reported */
		c = memchr(p, ':', (size_t)(nl - p));
		FUZZ_ASSERT(c != NULL && c > p, "error without a file: %.*s", (int)(nl - p), p);
		c++;
		FUZZ_ASSERT(*c >= '0' && *c <= '9', "error without a line: %.*s", (int)(nl - p), p);
		while (*c >= '0' && *c <= '9')
			c++;
		FUZZ_ASSERT(*c == ':' && c[1] >= '0' && c[1] <= '9', "error without a column: %.*s", (int)(nl - p), p);
		for (c++; *c >= '0' && *c <= '9'; c++)
			;
		FUZZ_ASSERT(c[0] == ':' && c[1] == ' ', "bad error line: %.*s", (int)(nl - p), p);
		lines++;
		p = nl + 1;
	}
	FUZZ_ASSERT(lines >= e->count || e->text.truncated, "%d errors counted, %d lines", e->count, lines);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *z = memchr(data, '\0', size);
	size_t flen = z ? (size_t)(z - data) : size;
	char path[300], *ov = NULL, *o, *ovv[32];
	size_t nov = 0;
	struct vg_cfgerr errs;
	struct vg_config *cfg;
	FILE *f;
	int nkeys = 0;

	if (size > 65536)       /* the interesting bugs are in short files; keep runs fast */
		return 0;
	snprintf(path, sizeof(path), "%s/vigie.conf", dir);
	if ((f = __real_fopen(path, "w")) == NULL || fwrite(data, 1, flen, f) != flen || fclose(f) != 0)
		abort();
	if (z != NULL) {
		/* The overrides: the rest, one per line, at most 31. */
		if ((ov = malloc(size - flen)) == NULL)
			abort();
		memcpy(ov, z + 1, size - flen - 1);
		ov[size - flen - 1] = '\0';
		for (o = ov; o != NULL && nov < 31; ) {
			char *nl = strchr(o, '\n');
			if (nl)
				*nl++ = '\0';
			ovv[nov++] = o;
			o = nl;
		}
	}
	ovv[nov] = NULL;

	vg_cfgerr_init(&errs);
	confined = 1;
	cfg = vg_config_load(path, z != NULL ? (const char *const *)ovv : NULL, &errs);
	confined = 0;
	FUZZ_ASSERT((cfg != NULL) == (errs.count == 0), "config %p with %d errors", (void *)cfg, errs.count);
	check_errors(&errs);
	if (cfg != NULL) {
		size_t s;
		FUZZ_ASSERT(cfg->refs == 1 && cfg->hostname != NULL, "refs/hostname");
		for (s = 0; s < VG_NSTAGES; s++)
			FUZZ_ASSERT(cfg->nrules[s] == 0 || cfg->rules[s] != NULL, "rules");
		(void)vg_domlist_match(&cfg->local_domains, "mail.example.org");
		(void)vg_domlist_match(&cfg->relay_domains, "example.net");
		(void)vg_sender_listed(&cfg->sender_allow, "user@example.org");
		(void)vg_sender_listed(&cfg->sender_block, "x@sub.example.com");
		(void)vg_login_owns(cfg, "alice", "alice@example.org");
		(void)vg_strlist_has(&cfg->our_hostnames, "mx.example.org");
		vg_config_ref(cfg);
		vg_config_unref(cfg);
		vg_config_unref(cfg);
	}
	vg_config_keys(key_cb, &nkeys);
	vg_cfgerr_free(&errs);
	free(ov);
	return 0;
}
