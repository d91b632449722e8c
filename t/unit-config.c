/**
 * @file unit-config.c
 * Unit tests of the configuration loader: every t/conf/good-*.conf loads,
 * every t/conf/bad-*.conf fails with the file:line:col its first line
 * names ("# expect: LINE:COL: text"), and the loaded values are right.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "tap.h"

/** Directory of the fixtures: $srcdir/t/conf. */
static char confdir[4096];

/** Read the "# expect: ..." line of a bad fixture into want. */
static int expected(const char *path, char *want, size_t wantsz)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int ok = 0;

	if (f == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) && strncmp(line, "# expect: ", 10) == 0) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(want, wantsz, "%s", line + 10);
		ok = 1;
	}
	fclose(f);
	return ok;
}

/** Load every fixture whose name starts with prefix. */
static void fixtures(const char *prefix, int good)
{
	DIR *d = opendir(confdir);
	struct dirent *de;
	int n = 0;

	if (d == NULL) {
		tap_ok(0, "open %s", confdir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char path[8192], want[512], needle[8800];
		struct vg_cfgerr errs;
		struct vg_config *cfg;

		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 || strstr(de->d_name, ".conf") == NULL)
			continue;
		n++;
		snprintf(path, sizeof(path), "%s/%s", confdir, de->d_name);
		vg_cfgerr_init(&errs);
		cfg = vg_config_load(path, NULL, &errs);
		if (good) {
			tap_ok(cfg != NULL, "%s loads", de->d_name);
			if (cfg == NULL)
				tap_diag("%s", errs.text.buf);
		} else if (!expected(path, want, sizeof(want))) {
			tap_ok(0, "%s has an '# expect:' first line", de->d_name);
		} else {
			snprintf(needle, sizeof(needle), "%s:%s", path, want);
			tap_ok(cfg == NULL && strstr(errs.text.buf, needle) != NULL, "%s: %s", de->d_name, want);
			if (cfg != NULL || strstr(errs.text.buf, needle) == NULL)
				tap_diag("got: %s", errs.text.buf);
		}
		vg_config_unref(cfg);
		vg_cfgerr_free(&errs);
	}
	closedir(d);
	tap_ok(n > 0, "found %s fixtures", prefix);
}

int main(void)
{
	const char *srcdir = getenv("srcdir");
	struct vg_cfgerr errs;
	struct vg_config *cfg;
	struct vg_ip ip;
	char path[8192];
	static const char *const ov[] = { "socket=inet:2525@127.0.0.1", "local_domains=a.example, .b.example",
		"rule=rcpt extra trusted=yes accept", NULL };
	static const char *const badov[] = { "nokey", "socket_mode=999", NULL };
	static const char *const hostov[] = { "hostname=MX.Example.ORG.", NULL };

	snprintf(confdir, sizeof(confdir), "%s/t/conf", srcdir ? srcdir : ".");
	fixtures("good-", 1);
	fixtures("bad-", 0);

	/* Values of the shipped default configuration. */
	snprintf(path, sizeof(path), "%s/../../etc/vigie.conf", confdir);
	vg_cfgerr_init(&errs);
	cfg = vg_config_load(path, NULL, &errs);
	tap_ok(cfg != NULL, "shipped etc/vigie.conf loads");
	if (cfg == NULL) {
		tap_diag("%s", errs.text.buf);
		return tap_done();
	}
	tap_is(cfg->socket, "unix:/run/vigie/vigie.sock", "socket");
	tap_ok(cfg->socket_mode == 0660, "socket_mode is octal 0660");
	tap_ok(cfg->delay_reject == 1 && cfg->dry_run == 0, "delay_reject yes, mode enforce");
	tap_ok(vg_domlist_match(&cfg->local_domains, "example.org"), "local domain matches");
	tap_ok(!vg_domlist_match(&cfg->local_domains, "sub.example.org"), "exact entry does not match subdomains");
	tap_ok(cfg->nrules[VG_STAGE_RCPT] == 3, "three rcpt rules");
	tap_is(cfg->rules[VG_STAGE_RCPT][1].name, "relay-denied", "second rule is relay-denied");
	tap_ok(cfg->rules[VG_STAGE_RCPT][1].code == 554, "relay-denied code 554");
	tap_is(cfg->rules[VG_STAGE_RCPT][1].esc, "5.7.1", "relay-denied esc 5.7.1");
	vg_ip_parse("127.0.0.1", &ip);
	tap_ok(vg_netlist_match(&cfg->trusted_networks, &ip), "127.0.0.1 trusted");
	vg_ip_parse("127.0.0.2", &ip);
	tap_ok(!vg_netlist_match(&cfg->trusted_networks, &ip), "127.0.0.2 not trusted");
	vg_config_unref(cfg);
	vg_cfgerr_free(&errs);

	/* -o overrides replace values and may add rules. */
	vg_cfgerr_init(&errs);
	cfg = vg_config_load(path, ov, &errs);
	tap_ok(cfg != NULL, "overrides apply");
	if (cfg != NULL) {
		tap_is(cfg->socket, "inet:2525@127.0.0.1", "-o socket replaces the file's");
		tap_ok(!vg_domlist_match(&cfg->local_domains, "example.org"), "-o list replaces, not appends");
		tap_ok(vg_domlist_match(&cfg->local_domains, "x.b.example"), "leading dot matches subdomains");
		tap_ok(!vg_domlist_match(&cfg->local_domains, "b.example"), "leading dot does not match the domain itself");
		tap_ok(cfg->nrules[VG_STAGE_RCPT] == 4, "-o rule appends a rule");
	}
	vg_config_unref(cfg);
	vg_cfgerr_free(&errs);

	/* hostname: one form (the authserv-id we write must be the one we recognise). */
	vg_cfgerr_init(&errs);
	cfg = vg_config_load(path, hostov, &errs);
	tap_ok(cfg != NULL && strcmp(cfg->hostname, "mx.example.org") == 0,
	    "hostname: lower-case, trailing dot dropped (%s)", cfg ? cfg->hostname : "no config");
	vg_config_unref(cfg);
	vg_cfgerr_free(&errs);

	vg_cfgerr_init(&errs);
	cfg = vg_config_load(path, badov, &errs);
	tap_ok(cfg == NULL && errs.count == 2, "two bad overrides, two errors (%d)", errs.count);
	tap_ok(strstr(errs.text.buf, "-o:1:1: expected key=value") != NULL, "-o without '=' named");
	tap_ok(strstr(errs.text.buf, "-o:2:13: expected an octal mode") != NULL, "second -o's bad value named as -o:2 with its column");
	vg_config_unref(cfg);
	vg_cfgerr_free(&errs);

	vg_cfgerr_init(&errs);
	cfg = vg_config_load("/nonexistent/vigie.conf", NULL, &errs);
	tap_ok(cfg == NULL && strstr(errs.text.buf, "cannot read the configuration") != NULL, "missing file reported");
	vg_cfgerr_free(&errs);
	return tap_done();
}
