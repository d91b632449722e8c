/**
 * @file conf.c
 * Configuration loading.  The schema is one table (key, type, default,
 * field); the file is tokenised into logical lines (a line that starts
 * with white space continues the previous one), each token keeping its
 * file, line and column so every error names them.  Loading never
 * touches a live configuration: it builds a fresh struct.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <libpsl.h>

#include "conf.h"
#include "log.h"

#define MAX_ERRORS     50
#define MAX_FILE_SIZE  (16 * 1024 * 1024)
#define MAX_TOKENS     4096

/** One token of a logical line. */
struct tok {
	const char *file;
	int line, col;
	char *s;        /**< owned copy, quotes and escapes resolved */
	int quoted;
};

/** A logical line: a key and its values, maybe over several physical lines. */
struct entry {
	struct tok *t;
	size_t n, cap;
};

/** Loader state. */
struct loader {
	struct vg_config *cfg;
	struct vg_cfgerr *errs;
	const char *dir;        /**< directory of the main file, for relative file: paths */
	int override;           /**< applying -o: replace, do not complain about repeats */
	int set_line[64];       /**< per schema key: line where it was set, 0 if not */
};

/** Value types of the schema. */
enum ktype { K_LOGIN, K_SENDERS, K_WORDS, K_SECONDS, K_MS, K_COUNT, K_NUMBER, K_STR, K_SOCKET, K_LOGDEST, K_FACILITY, K_LEVEL,
	K_BOOL, K_OCTAL, K_MODE, K_DOMAINS, K_NETS, K_STRS, K_RULE, K_LIST };

/** One schema entry. */
struct key {
	const char *name;
	enum ktype type;
	size_t off;          /**< offset of the field in struct vg_config */
	const char *def;     /**< default value as it would be written, or NULL */
};

#define F(field) offsetof(struct vg_config, field)

static const struct key schema[] = {
	{ "socket",              K_SOCKET,   F(socket),              "unix:/run/vigie/vigie.sock" },
	{ "socket_mode",         K_OCTAL,    F(socket_mode),         "0660" },
	{ "socket_group",        K_STR,      F(socket_group),        NULL },
	{ "user",                K_STR,      F(user),                "vigie" },
	{ "group",               K_STR,      F(group),               NULL },
	{ "run_as_root",         K_BOOL,     F(run_as_root),         "no" },
	{ "chroot",              K_STR,      F(chroot_dir),          NULL },
	{ "pidfile",             K_STR,      F(pidfile),             NULL },
	{ "log",                 K_LOGDEST,  F(log),                 "syslog" },
	{ "log_facility",        K_FACILITY, F(log_facility),        "mail" },
	{ "log_level",           K_LEVEL,    F(log_level),           "info" },
	{ "shutdown_timeout",    K_SECONDS,  F(shutdown_timeout),    "30" },
	{ "reload_check",        K_SECONDS,  F(reload_check),        "60" },
	{ "hostname",            K_STR,      F(hostname),            NULL },
	{ "our_hostnames",       K_DOMAINS,  F(our_hostnames),       NULL },
	{ "our_addresses",       K_NETS,     F(our_addresses),       NULL },
	{ "local_domains",       K_DOMAINS,  F(local_domains),       NULL },
	{ "relay_domains",       K_DOMAINS,  F(relay_domains),       NULL },
	{ "trusted_networks",    K_NETS,     F(trusted_networks),    "127.0.0.0/8, ::1/128" },
	{ "tls_client_subjects", K_STRS,     F(tls_client_subjects), NULL },
	{ "tls_client_issuers",  K_STRS,     F(tls_client_issuers),  NULL },
	{ "mode",                K_MODE,     F(dry_run),             "enforce" },
	{ "delay_reject",        K_BOOL,     F(delay_reject),        "yes" },
	{ "resolver",            K_WORDS,    F(resolver),            "system" },
	{ "dns_timeout",         K_MS,       F(dns_timeout_ms),      "2s" },
	{ "dns_attempts",        K_COUNT,    F(dns_attempts),        "2" },
	{ "dns_budget",          K_MS,       F(dns_budget_ms),       "10s" },
	{ "dns_cache_size",      K_COUNT,    F(dns_cache_size),      "10000" },
	{ "rdns_from_mta",       K_BOOL,     F(rdns_from_mta),       "no" },
	{ "psl_file",            K_STR,      F(psl_file),            NULL },
	{ "dnsbl",               K_LIST,     VG_LIST_DNSBL,          NULL },
	{ "dnswl",               K_LIST,     VG_LIST_DNSWL,          NULL },
	{ "rhsbl",               K_LIST,     VG_LIST_RHSBL,          NULL },
	{ "dnsbl_threshold",     K_NUMBER,   F(dnsbl_threshold),     "1" },
	{ "sender_allow",        K_SENDERS,  F(sender_allow),        NULL },
	{ "sender_block",        K_SENDERS,  F(sender_block),        NULL },
	{ "sender_login",        K_LOGIN,    0,                      NULL },
	{ "trusted_any_sender",  K_BOOL,     F(trusted_any_sender),  "no" },
	{ "header_authentication_results", K_BOOL, F(header_authentication_results), "yes" },
	{ "header_received_spf", K_BOOL,     F(header_received_spf), "yes" },
	{ "spf_skip_networks",   K_NETS,     F(spf_skip_networks),   NULL },
	{ "stats_listen",        K_STR,      F(stats_listen),        NULL },
	{ "rule",                K_RULE,     0,                      NULL },
};

#define NKEYS (sizeof(schema) / sizeof(schema[0]))

/** Index of a key in the schema (it must exist). */
static size_t key_index(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(schema[i].name, name) == 0)
			return i;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */

void vg_cfgerr_init(struct vg_cfgerr *e)
{
	vstr_init(&e->text, 64 * 1024);
	e->count = 0;
}

void vg_cfgerr_free(struct vg_cfgerr *e)
{
	vstr_free(&e->text);
}

/** Record an error at a position; the message is a literal format. */
static void err_at(struct loader *ld, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void err_at(struct loader *ld, const char *file, int line, int col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	ld->errs->count++;
	if (ld->errs->count > MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vstr_add_clean(&ld->errs->text, file, 512);
	vstr_addf(&ld->errs->text, ":%d:%d: ", line, col);
	vstr_add_clean(&ld->errs->text, msg, sizeof(msg));
	vstr_addc(&ld->errs->text, '\n');
	if (ld->errs->count == MAX_ERRORS)
		vstr_adds(&ld->errs->text, "too many errors, giving up\n");
}

/** Record an error at a token. */
#define err_tok(ld, tk, ...) err_at((ld), (tk)->file, (tk)->line, (tk)->col, __VA_ARGS__)

/* ------------------------------------------------------------------ */
/* Lists                                                               */

/** Append an owned string to a string vector; -1 when out of memory. */
static int vec_push(char ***v, size_t *n, size_t *cap, char *s)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		char **nv = realloc(*v, nc * sizeof(**v));
		if (nv == NULL)
			return -1;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = s;
	return 0;
}

/** Free a string vector. */
static void vec_free(char ***v, size_t *n, size_t *cap)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*n = *cap = 0;
}

int vg_domlist_match(const struct vg_strlist *l, const char *domain)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const char *e = l->v[i];
		if (e[0] == '.') {
			size_t dl = strlen(domain), el = strlen(e);
			/* ".example.org" matches "a.example.org", not "example.org" */
			if (dl > el && vg_strcaseeq(domain + dl - el, e))
				return 1;
		} else if (vg_strcaseeq(domain, e)) {
			return 1;
		}
	}
	return 0;
}

int vg_strlist_has(const struct vg_strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Tokeniser                                                           */

/** Free the tokens of an entry and empty it. */
static void entry_clear(struct entry *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->t[i].s);
	e->n = 0;
}

/** Add a token (copies n bytes of s); -1 on failure. */
static int entry_add(struct entry *e, const char *file, int line, int col, const char *s, size_t n, int quoted)
{
	struct tok *t;

	if (e->n >= MAX_TOKENS)
		return -1;
	if (e->n == e->cap) {
		size_t nc = e->cap ? e->cap * 2 : 16;
		struct tok *nt = realloc(e->t, nc * sizeof(*nt));
		if (nt == NULL)
			return -1;
		e->t = nt;
		e->cap = nc;
	}
	t = &e->t[e->n];
	t->s = malloc(n + 1);
	if (t->s == NULL)
		return -1;
	memcpy(t->s, s, n);
	t->s[n] = '\0';
	t->file = file;
	t->line = line;
	t->col = col;
	t->quoted = quoted;
	e->n++;
	return 0;
}

/**
 * Split one physical line into tokens appended to e.  Words end at white
 * space, '#' or '"'; quoted strings take \" and \\ escapes.
 * @return 0, or -1 after reporting an error
 */
static int tokenize_line(struct loader *ld, struct entry *e, const char *file, int lineno,
    const char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)p[i];

		if (c == ' ' || c == '\t' || c == '\r') {
			i++;
			continue;
		}
		if (c == '#')
			break;
		if (c == '"') {
			char buf[1024];
			size_t o = 0, start = i++;
			int closed = 0;

			while (i < len) {
				c = (unsigned char)p[i];
				if (c == '"') {
					closed = 1;
					i++;
					break;
				}
				if (c == '\\' && i + 1 < len && (p[i + 1] == '"' || p[i + 1] == '\\')) {
					c = (unsigned char)p[++i];
				} else if (!vg_isprint(c)) {
					err_at(ld, file, lineno, (int)i + 1, "control or non-ASCII byte in a quoted string");
					return -1;
				}
				if (o >= sizeof(buf) - 1) {
					err_at(ld, file, lineno, (int)start + 1, "quoted string longer than %zu bytes", sizeof(buf) - 1);
					return -1;
				}
				buf[o++] = (char)c;
				i++;
			}
			if (!closed) {
				err_at(ld, file, lineno, (int)start + 1, "unterminated quoted string");
				return -1;
			}
			if (entry_add(e, file, lineno, (int)start + 1, buf, o, 1) < 0) {
				err_at(ld, file, lineno, (int)start + 1, "too many values or out of memory");
				return -1;
			}
			continue;
		}
		{
			size_t start = i;

			while (i < len) {
				c = (unsigned char)p[i];
				if (c == ' ' || c == '\t' || c == '\r' || c == '#' || c == '"')
					break;
				if (!vg_isprint(c)) {
					err_at(ld, file, lineno, (int)i + 1, "control or non-ASCII byte");
					return -1;
				}
				i++;
			}
			if (entry_add(e, file, lineno, (int)start + 1, p + start, i - start, 0) < 0) {
				err_at(ld, file, lineno, (int)start + 1, "too many values or out of memory");
				return -1;
			}
		}
	}
	return 0;
}

void vg_file_stamp_take(struct vg_file_stamp *s)
{
	struct stat st;

	s->exists = stat(s->path, &st) == 0;
	if (!s->exists) {
		s->dev = s->ino = s->size = 0;
		s->mtime_ns = s->ctime_ns = 0;
		return;
	}
	s->dev = (unsigned long long)st.st_dev;
	s->ino = (unsigned long long)st.st_ino;
	s->size = (unsigned long long)st.st_size;
	s->mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	s->ctime_ns = (long long)st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
}

int vg_file_stamp_changed(const struct vg_file_stamp *s)
{
	struct vg_file_stamp now = { .path = s->path };

	vg_file_stamp_take(&now);
	return now.exists != s->exists || now.dev != s->dev || now.ino != s->ino || now.size != s->size ||
	    now.mtime_ns != s->mtime_ns || now.ctime_ns != s->ctime_ns;
}

/** Remember that the configuration is read from path (stamped before it is read). */
static void watch_file(struct loader *ld, const char *path)
{
	struct vg_config *c = ld->cfg;
	struct vg_file_stamp *v;
	size_t i;

	for (i = 0; i < c->nfiles; i++)
		if (strcmp(c->files[i].path, path) == 0)
			return;
	v = realloc(c->files, (c->nfiles + 1) * sizeof(*v));
	if (v == NULL)
		return;          /* not watched: a reload on SIGHUP still reads it */
	c->files = v;
	memset(&v[c->nfiles], 0, sizeof(v[0]));
	if ((v[c->nfiles].path = vg_strdup(path)) == NULL)
		return;
	vg_file_stamp_take(&v[c->nfiles]);
	c->nfiles++;
}

/** Read a whole file (bounded); returns malloc'd buffer or NULL with errno set. */
static char *slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		size_t r;
		if (cap - len < 4096) {
			char *nb;
			if (cap >= MAX_FILE_SIZE) {
				free(buf);
				fclose(f);
				errno = EFBIG;
				return NULL;
			}
			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap + 1);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	if (buf == NULL && (buf = malloc(1)) == NULL)
		return NULL;
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* ------------------------------------------------------------------ */
/* Values                                                              */

/** Report that a key wanted exactly one value. */
static int want_one(struct loader *ld, const struct entry *e)
{
	if (e->n < 2) {
		err_tok(ld, &e->t[0], "'%s' needs a value", e->t[0].s);
		return 0;
	}
	if (e->n > 2) {
		err_tok(ld, &e->t[2], "'%s' takes one value, found more", e->t[0].s);
		return 0;
	}
	return 1;
}

/** Parse a boolean word; -1 if it is none. */
static int parse_bool(const char *s)
{
	if (vg_strcaseeq(s, "yes") || vg_strcaseeq(s, "true") || vg_strcaseeq(s, "on") || strcmp(s, "1") == 0)
		return 1;
	if (vg_strcaseeq(s, "no") || vg_strcaseeq(s, "false") || vg_strcaseeq(s, "off") || strcmp(s, "0") == 0)
		return 0;
	return -1;
}

/**
 * Validate a domain name as written in a list: optional leading '.',
 * LDH labels of 1..63 octets, total at most 253; one trailing dot removed;
 * lower-cased in place.  Returns NULL or a message.
 */
static const char *check_domain(char *s)
{
	size_t n = strlen(s), label = 0, i;
	char *p = s;

	if (n > 0 && s[n - 1] == '.')
		s[--n] = '\0';
	if (p[0] == '.')
		p++;
	if (*p == '\0')
		return "empty domain name";
	if (strlen(p) > 253)
		return "domain name longer than 253 octets";
	for (i = 0; p[i] != '\0'; i++) {
		char c = p[i];
		if (c == '.') {
			if (label == 0)
				return "empty label in domain name";
			if (p[i - 1] == '-')
				return "label ends with '-'";
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return "invalid character in domain name (use the A-label form for IDNs)";
		if (c == '-' && label == 0)
			return "label starts with '-'";
		if (++label > 63)
			return "label longer than 63 octets";
	}
	if (p[i - 1] == '-')
		return "label ends with '-'";
	vg_lower(s);
	return NULL;
}

/** Add one list entry (already split) of the given type to the field. */
static void list_add(struct loader *ld, const struct key *k, void *field, char *val,
    const char *file, int line, int col)
{
	const char *why = NULL;

	switch (k->type) {
	case K_DOMAINS: {
		struct vg_strlist *l = field;
		char *d;
		if ((why = check_domain(val)) != NULL) {
			err_at(ld, file, line, col, "%s: '%s'", why, val);
			return;
		}
		if ((d = vg_strdup(val)) == NULL || vec_push(&l->v, &l->n, &l->cap, d) < 0) {
			free(d);
			err_at(ld, file, line, col, "out of memory");
		}
		return;
	}
	case K_NETS: {
		struct vg_cidr c;
		if (vg_cidr_parse(val, &c, &why) < 0) {
			err_at(ld, file, line, col, "%s: '%s'", why, val);
			return;
		}
		if (vg_netlist_add(field, &c) < 0)
			err_at(ld, file, line, col, "out of memory");
		return;
	}
	case K_SENDERS: {
		struct vg_strlist *l = field;
		char *d, *at = strchr(val, '@');
		if (at == NULL ? (why = check_domain(val)) != NULL :
		    (at == val || strchr(at + 1, '@') != NULL || (why = check_domain(at + 1)) != NULL)) {
			err_at(ld, file, line, col, "%s: '%s'", why ? why : "expected user@domain, domain or .domain", val);
			return;
		}
		vg_lower(val);
		if ((d = vg_strdup(val)) == NULL || vec_push(&l->v, &l->n, &l->cap, d) < 0) {
			free(d);
			err_at(ld, file, line, col, "out of memory");
		}
		return;
	}
	case K_STRS: {
		struct vg_strlist *l = field;
		char *d;
		if ((d = vg_strdup(val)) == NULL || vec_push(&l->v, &l->n, &l->cap, d) < 0) {
			free(d);
			err_at(ld, file, line, col, "out of memory");
		}
		return;
	}
	default:
		return;
	}
}

/** Load a "file:" list: one entry per line, '#' comments, blanks trimmed. */
static void list_from_file(struct loader *ld, const struct key *k, void *field, const struct tok *t)
{
	const char *name = t->s + 5;
	char path[PATH_MAX];
	char *buf, *p, *end;
	size_t len;
	int lineno = 0;

	if (name[0] == '/')
		vg_strlcpy(path, name, sizeof(path));
	else if ((size_t)snprintf(path, sizeof(path), "%s/%s", ld->dir, name) >= sizeof(path)) {
		err_tok(ld, t, "file name too long");
		return;
	}
	if (name[0] == '\0') {
		err_tok(ld, t, "file: needs a path");
		return;
	}
	watch_file(ld, path);
	buf = slurp(path, &len);
	if (buf == NULL) {
		err_tok(ld, t, "cannot read '%s': %s", path, strerror(errno));
		return;
	}
	for (p = buf, end = buf + len; p < end; ) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *le = nl ? nl : end, *s = p, *e;
		size_t i;

		lineno++;
		for (i = 0; s + i < le; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c != '\t' && c != '\r' && !vg_isprint(c)) {
				err_at(ld, path, lineno, (int)i + 1, "control or non-ASCII byte");
				break;
			}
		}
		if (s + i == le) {
			char *hash = memchr(s, '#', (size_t)(le - s));
			e = hash ? hash : le;
			while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
				s++;
			while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
				e--;
			if (e > s) {
				*e = '\0';
				list_add(ld, k, field, s, path, lineno, (int)(s - p) + 1);
			}
		}
		p = nl ? nl + 1 : end;
	}
	free(buf);
}

/** Empty a list field of the given type. */
static void list_clear(const struct key *k, void *field)
{
	if (k->type == K_NETS) {
		vg_netlist_free(field);
	} else {
		struct vg_strlist *l = field;
		vec_free(&l->v, &l->n, &l->cap);
	}
}

/** Parse the values of a list key: words split on commas, or file: sources. */
static void parse_list(struct loader *ld, const struct key *k, void *field, const struct entry *e)
{
	size_t i;

	for (i = 1; i < e->n; i++) {
		const struct tok *t = &e->t[i];
		char *s, *p;

		if (t->quoted) {
			list_add(ld, k, field, t->s, t->file, t->line, t->col);
			continue;
		}
		if (strncmp(t->s, "file:", 5) == 0) {
			list_from_file(ld, k, field, t);
			continue;
		}
		for (s = t->s; *s; s = p) {
			p = strchr(s, ',');
			if (p)
				*p++ = '\0';
			else
				p = s + strlen(s);
			if (*s)
				list_add(ld, k, field, s, t->file, t->line, t->col + (int)(s - t->s));
		}
	}
}

/** Replace a string field. */
static void set_str(struct loader *ld, char **field, const struct tok *t)
{
	char *d = vg_strdup(t->s);

	if (d == NULL) {
		err_tok(ld, t, "out of memory");
		return;
	}
	free(*field);
	*field = d;
}

/** Validate a milter socket specification. */
static const char *check_socket(const char *s)
{
	const char *at, *p;

	if (strncmp(s, "unix:", 5) == 0 || strncmp(s, "local:", 6) == 0) {
		p = strchr(s, ':') + 1;
		if (p[0] != '/')
			return "unix socket path must be absolute";
		if (strlen(p) >= 100)
			return "unix socket path too long (at most 99 bytes)";
		return NULL;
	}
	if (strncmp(s, "inet:", 5) == 0 || strncmp(s, "inet6:", 6) == 0) {
		long port;
		char *endp;
		p = strchr(s, ':') + 1;
		port = strtol(p, &endp, 10);
		if (endp == p || port < 1 || port > 65535)
			return "expected a port number 1-65535 after inet: or inet6:";
		at = endp;
		if (*at != '\0' && (*at != '@' || at[1] == '\0'))
			return "expected PORT@HOST";
		return NULL;
	}
	return "expected unix:/path, inet:PORT@HOST or inet6:PORT@HOST";
}

/* ------------------------------------------------------------------ */
/* Rules                                                               */

/** Is this a valid enhanced status code "c.sss.ddd" with class c? */
static int check_esc(const char *s, char cls)
{
	int i, digits;

	if (s[0] != cls || s[1] != '.')
		return 0;
	s += 2;
	for (i = 0; i < 2; i++) {
		for (digits = 0; *s >= '0' && *s <= '9'; s++)
			if (++digits > 3)
				return 0;
		if (digits == 0 || (digits > 1 && s[-digits] == '0'))
			return 0;
		if (i == 0 && *s++ != '.')
			return 0;
	}
	return *s == '\0';
}

/** Known text macros. */
static const char *const text_macros[] = { "rcpt", "sender", "client_addr", "client_name", "helo",
	"rdns", "dnsbl", "dnsbl_txt", "dnswl", "rhsbl", "rhsbl_txt", "login", "sender_domain", "spf_exp", NULL };

/** Validate a reply text template: printable ASCII, known %{macros}, %% for '%'. */
static const char *check_text(const char *s)
{
	size_t i;

	if (strlen(s) > VG_TEXT_MAX)
		return "reply text too long";
	for (i = 0; s[i]; i++) {
		if (s[i] == '%') {
			size_t j;
			int k, found = 0;
			if (s[i + 1] == '%') {
				i++;
				continue;
			}
			if (s[i + 1] != '{')
				return "'%' must start %{macro} or be written %%";
			for (j = i + 2; s[j] && s[j] != '}'; j++)
				;
			if (s[j] != '}')
				return "unterminated %{macro}";
			for (k = 0; text_macros[k]; k++)
				if (strlen(text_macros[k]) == j - i - 2 && strncmp(text_macros[k], s + i + 2, j - i - 2) == 0)
					found = 1;
			if (!found)
				return "unknown macro (known: rcpt, sender, client_addr, client_name, helo, rdns, "
				    "dnsbl, dnsbl_txt, dnswl, rhsbl, rhsbl_txt, login, sender_domain, spf_exp)";
			i = j;
		}
	}
	return NULL;
}

/** Parse one condition token "check=v1,v2" or "check!=v". */
static int parse_cond(struct loader *ld, struct vg_rule *r, const struct tok *t, struct vg_cond *c)
{
	char *eq = strchr(t->s, '='), *name = t->s, *vals, *v, *next;
	int check;

	memset(c, 0, sizeof(*c));
	if (eq > t->s && eq[-1] == '!') {
		c->negate = 1;
		eq[-1] = '\0';
	}
	*eq = '\0';
	vals = eq + 1;
	check = vg_check_lookup(name);
	if (check < 0) {
		err_tok(ld, t, "unknown check '%s'", name);
		return -1;
	}
	if (vg_checks[check].stage > r->stage) {
		err_tok(ld, t, "check '%s' is known only from the %s stage on, not at %s",
		    name, vg_stage_name(vg_checks[check].stage), vg_stage_name(r->stage));
		return -1;
	}
	c->check = check;
	if (*vals == '\0') {
		err_tok(ld, t, "check '%s' needs a value", name);
		return -1;
	}
	for (v = vals; v; v = next) {
		next = strchr(v, ',');
		if (next)
			*next++ = '\0';
		if (*v == '\0')
			continue;
		if (vg_checks[check].results == NULL) {
			struct vg_cidr cidr;
			const char *why;
			if (vg_cidr_parse(v, &cidr, &why) < 0) {
				err_at(ld, t->file, t->line, t->col + (int)(v - t->s), "%s: '%s'", why, v);
				vg_netlist_free(&c->nets);   /* the networks before it: a failed condition is not kept */
				return -1;
			}
			if (vg_netlist_add(&c->nets, &cidr) < 0) {
				err_tok(ld, t, "out of memory");
				vg_netlist_free(&c->nets);
				return -1;
			}
		} else {
			int res = vg_check_result_lookup(check, v);
			if (res < 0) {
				struct vstr known;
				int i;
				vstr_init(&known, 512);
				for (i = 0; vg_checks[check].results[i]; i++)
					vstr_addf(&known, "%s%s", i ? ", " : "", vg_checks[check].results[i]);
				err_at(ld, t->file, t->line, t->col + (int)(v - t->s),
				    "check '%s' has no result '%s' (known: %s)", name, v, known.buf);
				vstr_free(&known);
				return -1;
			}
			c->mask |= 1u << res;
		}
	}
	return 0;
}

/** Free the storage of a rule's conditions and text. */
static void rule_free(struct vg_rule *r)
{
	size_t i;

	for (i = 0; i < r->ncond; i++)
		vg_netlist_free(&r->conds[i].nets);
	free(r->conds);
	free(r->text);
}

/** Has a rule of that name been defined already? */
static int rule_exists(const struct vg_config *cfg, const char *name)
{
	int st;
	size_t i;

	for (st = 0; st < VG_NSTAGES; st++)
		for (i = 0; i < cfg->nrules[st]; i++)
			if (strcmp(cfg->rules[st][i].name, name) == 0)
				return 1;
	return 0;
}

/** Parse "rule STAGE NAME COND... ACTION [CODE [ESC]] ["TEXT"]". */
static void parse_rule(struct loader *ld, const struct entry *e)
{
	struct vg_rule r;
	size_t i = 1, nconds = 0, j;
	int st, errors_before = ld->errs->count;
	const char *why;
	struct vg_rule *nr;

	memset(&r, 0, sizeof(r));
	if (e->n < 4) {
		err_tok(ld, &e->t[0], "expected: rule STAGE NAME [CONDITION...] ACTION [CODE [X.Y.Z]] [\"TEXT\"]");
		return;
	}
	st = vg_stage_lookup(e->t[i].s);
	if (st < 0 || e->t[i].quoted) {
		err_tok(ld, &e->t[i], "unknown stage '%s' (expected connect, helo, mail or rcpt)", e->t[i].s);
		return;
	}
	r.stage = (enum vg_stage)st;
	i++;
	if (e->t[i].quoted || strlen(e->t[i].s) > VG_NAME_MAX ||
	    strspn(e->t[i].s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(e->t[i].s) ||
	    strchr(e->t[i].s, '=') != NULL) {
		err_tok(ld, &e->t[i], "a rule name is 1-%d letters, digits, '_', '.' or '-'", VG_NAME_MAX);
		return;
	}
	if (rule_exists(ld->cfg, e->t[i].s)) {
		err_tok(ld, &e->t[i], "a rule named '%s' exists already", e->t[i].s);
		return;
	}
	vg_strlcpy(r.name, e->t[i].s, sizeof(r.name));
	i++;
	for (j = i; j < e->n && !e->t[j].quoted && strchr(e->t[j].s, '=') != NULL; j++)
		nconds++;
	if (nconds) {
		r.conds = calloc(nconds, sizeof(*r.conds));
		if (r.conds == NULL) {
			err_tok(ld, &e->t[i], "out of memory");
			return;
		}
	}
	for (; i < j; i++)
		if (parse_cond(ld, &r, &e->t[i], &r.conds[r.ncond]) == 0)
			r.ncond++;
	if (i >= e->n) {
		err_tok(ld, &e->t[e->n - 1], "rule '%s' has no action (accept, reject, tempfail or warn)", r.name);
		goto fail;
	}
	if (strcmp(e->t[i].s, "accept") == 0)
		r.action = VG_ACT_ACCEPT;
	else if (strcmp(e->t[i].s, "reject") == 0)
		r.action = VG_ACT_REJECT;
	else if (strcmp(e->t[i].s, "tempfail") == 0)
		r.action = VG_ACT_TEMPFAIL;
	else if (strcmp(e->t[i].s, "warn") == 0)
		r.action = VG_ACT_WARN;
	else {
		err_tok(ld, &e->t[i], "unknown action '%s' (expected accept, reject, tempfail or warn)", e->t[i].s);
		goto fail;
	}
	i++;
	if (i < e->n && !e->t[i].quoted) {
		const struct tok *t = &e->t[i];
		char want = r.action == VG_ACT_REJECT ? '5' : r.action == VG_ACT_TEMPFAIL ? '4' : 0;

		/* warn with the reply it would give: logged as "would reject/tempfail", decides nothing */
		if (r.action == VG_ACT_WARN) {
			if (t->s[0] != '4' && t->s[0] != '5') {
				err_tok(ld, t, "expected a 4XX or 5XX SMTP code for warn, found '%s'", t->s);
				goto fail;
			}
			want = t->s[0];
		}
		if (want == 0) {
			err_tok(ld, t, "only reject, tempfail and warn take an SMTP code");
			goto fail;
		}
		if (strlen(t->s) != 3 || t->s[0] != want || t->s[1] < '0' || t->s[1] > '5' ||
		    t->s[2] < '0' || t->s[2] > '9') {
			err_tok(ld, t, "expected a %cXX SMTP code for %s, found '%s'", want, e->t[i - 1].s, t->s);
			goto fail;
		}
		r.code = atoi(t->s);
		i++;
		if (i < e->n && !e->t[i].quoted) {
			if (!check_esc(e->t[i].s, want)) {
				err_tok(ld, &e->t[i], "expected an enhanced status code %c.X.Y matching %d (RFC 3463), found '%s'",
				    want, r.code, e->t[i].s);
				goto fail;
			}
			vg_strlcpy(r.esc, e->t[i].s, sizeof(r.esc));
			i++;
		}
	}
	if (i < e->n && e->t[i].quoted) {
		if ((why = check_text(e->t[i].s)) != NULL) {
			err_tok(ld, &e->t[i], "%s", why);
			goto fail;
		}
		r.text = vg_strdup(e->t[i].s);
		i++;
	}
	if (i < e->n) {
		err_tok(ld, &e->t[i], "unexpected '%s' after the action", e->t[i].s);
		goto fail;
	}
	/* Defaults for what the rule left out. */
	if (r.action == VG_ACT_REJECT && r.code == 0)
		r.code = 550;
	if (r.action == VG_ACT_TEMPFAIL && r.code == 0)
		r.code = 451;
	if (r.code && r.esc[0] == '\0') {
		r.esc[0] = (char)('0' + r.code / 100);
		vg_strlcpy(r.esc + 1, ".7.1", sizeof(r.esc) - 1);
	}
	if (r.text == NULL)
		r.text = vg_strdup(r.code >= 500 ? "Rejected by local policy" :
		    r.code >= 400 ? "Temporary failure, try again later" : "");
	if (r.text == NULL) {
		err_tok(ld, &e->t[0], "out of memory");
		goto fail;
	}
	if (ld->errs->count != errors_before)
		goto fail;
	nr = realloc(ld->cfg->rules[st], (ld->cfg->nrules[st] + 1) * sizeof(*nr));
	if (nr == NULL) {
		err_tok(ld, &e->t[0], "out of memory");
		goto fail;
	}
	r.line = e->t[0].line;
	nr[ld->cfg->nrules[st]++] = r;
	ld->cfg->rules[st] = nr;
	return;
fail:
	rule_free(&r);
}

/* ------------------------------------------------------------------ */
/* Durations and DNS lists                                             */

/** Parse "500ms", "2s" or "2" (seconds) into milliseconds, at most 600 s; -1 if invalid. */
static int parse_ms(const char *s)
{
	char *endp;
	double v = strtod(s, &endp);

	if (endp == s || !(v >= 0))
		return -1;
	if (strcmp(endp, "ms") == 0)
		;
	else if (*endp == '\0' || strcmp(endp, "s") == 0)
		v *= 1000;
	else
		return -1;
	if (v > 600000 || v < 1)
		return -1;
	return (int)v;
}

/** Parse a dotted IPv4 answer code into host order; -1 if it is not one. */
static int parse_code(const char *s, uint32_t *out)
{
	struct vg_ip ip;

	if (vg_ip_parse(s, &ip) < 0 || !ip.v4 || strchr(s, ':') != NULL)
		return -1;
	*out = (uint32_t)ip.b[12] << 24 | (uint32_t)ip.b[13] << 16 | (uint32_t)ip.b[14] << 8 | ip.b[15];
	return 0;
}

/** Parse "codes=A,B-C,..." into the list's ranges. */
static int parse_codes(struct loader *ld, const struct tok *t, const char *val, struct vg_dnslist *l)
{
	char buf[1024], *p, *next;

	if (vg_strlcpy(buf, val, sizeof(buf)) >= sizeof(buf)) {
		err_tok(ld, t, "codes= list too long");
		return -1;
	}
	for (p = buf; p; p = next) {
		struct vg_code_range r, *nr;
		char *dash;

		next = strchr(p, ',');
		if (next)
			*next++ = '\0';
		if (*p == '\0')
			continue;
		dash = strchr(p, '-');
		if (dash)
			*dash++ = '\0';
		if (parse_code(p, &r.lo) < 0 || (dash ? parse_code(dash, &r.hi) : (r.hi = r.lo, 0)) < 0 ||
		    r.hi < r.lo || (r.lo >> 24) != 127 || (r.hi >> 24) != 127) {
			err_tok(ld, t, "codes= takes 127.x.y.z addresses and ranges a-b, found '%s%s%s'", p,
			    dash ? "-" : "", dash ? dash : "");
			return -1;
		}
		nr = realloc(l->codes, (l->ncodes + 1) * sizeof(*nr));
		if (nr == NULL) {
			err_tok(ld, t, "out of memory");
			return -1;
		}
		l->codes = nr;
		l->codes[l->ncodes++] = r;
	}
	return 0;
}

/**
 * Parse "dnsbl|dnswl|rhsbl ZONE [weight=N] [codes=...] [mask=0xNN] [txt=yes|no]
 * [on=helo,sender]".
 */
static void parse_dnslist(struct loader *ld, const struct entry *e, enum vg_list_kind kind)
{
	struct vg_dnslist l, *nl;
	const char *why;
	size_t i;
	int errors_before = ld->errs->count;

	memset(&l, 0, sizeof(l));
	l.kind = kind;
	l.weight = kind == VG_LIST_DNSWL ? -1 : 1;
	l.on_helo = l.on_sender = kind == VG_LIST_RHSBL;
	l.line = e->t[0].line;
	if (e->n < 2 || e->t[1].quoted || strchr(e->t[1].s, '=') != NULL) {
		err_tok(ld, &e->t[0], "'%s' needs a zone, e.g. %s bl.example.net weight=1", e->t[0].s, e->t[0].s);
		return;
	}
	if ((why = check_domain(e->t[1].s)) != NULL || e->t[1].s[0] == '.') {
		err_tok(ld, &e->t[1], "%s: '%s'", why ? why : "a zone, not a subdomain pattern", e->t[1].s);
		return;
	}
	vg_strlcpy(l.zone, e->t[1].s, sizeof(l.zone));
	for (i = 2; i < e->n; i++) {
		const struct tok *t = &e->t[i];
		const char *eq = strchr(t->s, '='), *val = eq ? eq + 1 : "";
		size_t klen = eq ? (size_t)(eq - t->s) : strlen(t->s);
		char *endp;

		if (t->quoted || eq == NULL) {
			err_tok(ld, t, "expected weight=, codes=, mask=, txt=%s, found '%s'",
			    kind == VG_LIST_RHSBL ? " or on=" : "", t->s);
		} else if (klen == 6 && strncmp(t->s, "weight", 6) == 0) {
			l.weight = strtod(val, &endp);
			if (*val == '\0' || *endp != '\0' || !(l.weight > -1e6 && l.weight < 1e6))
				err_tok(ld, t, "weight= takes a number, found '%s'", val);
		} else if (klen == 5 && strncmp(t->s, "codes", 5) == 0) {
			parse_codes(ld, t, val, &l);
		} else if (klen == 4 && strncmp(t->s, "mask", 4) == 0) {
			unsigned long m = strtoul(val, &endp, 0);
			if (*val == '\0' || *endp != '\0' || m == 0 || m > 255)
				err_tok(ld, t, "mask= takes a byte such as 0x0c, found '%s'", val);
			l.mask = (unsigned)m;
		} else if (klen == 3 && strncmp(t->s, "txt", 3) == 0) {
			int b = parse_bool(val);
			if (b < 0)
				err_tok(ld, t, "txt= takes yes or no, found '%s'", val);
			l.txt = b > 0;
		} else if (klen == 2 && strncmp(t->s, "on", 2) == 0 && kind == VG_LIST_RHSBL) {
			char buf[64], *p, *next;
			l.on_helo = l.on_sender = 0;
			vg_strlcpy(buf, val, sizeof(buf));
			for (p = buf; p; p = next) {
				next = strchr(p, ',');
				if (next)
					*next++ = '\0';
				if (strcmp(p, "helo") == 0)
					l.on_helo = 1;
				else if (strcmp(p, "sender") == 0)
					l.on_sender = 1;
				else
					err_tok(ld, t, "on= takes helo and/or sender, found '%s'", p);
			}
		} else {
			err_tok(ld, t, "unknown option '%.*s' (expected weight, codes, mask, txt%s)", (int)klen, t->s,
			    kind == VG_LIST_RHSBL ? ", on" : "");
		}
	}
	if (kind == VG_LIST_DNSWL && l.weight > 0 && ld->errs->count == errors_before)
		err_tok(ld, &e->t[0], "a dnswl weight must not be positive (it lowers the score)");
	if (ld->errs->count != errors_before) {
		free(l.codes);
		return;
	}
	if (ld->cfg->nlists >= VG_MAX_LISTS) {
		free(l.codes);
		err_tok(ld, &e->t[0], "at most %d DNS lists (dnsbl, dnswl and rhsbl together)", VG_MAX_LISTS);
		return;
	}
	nl = realloc(ld->cfg->lists, (ld->cfg->nlists + 1) * sizeof(*nl));
	if (nl == NULL) {
		free(l.codes);
		err_tok(ld, &e->t[0], "out of memory");
		return;
	}
	ld->cfg->lists = nl;
	ld->cfg->lists[ld->cfg->nlists++] = l;
}

/* ------------------------------------------------------------------ */
/* Sender logins                                                       */

/** Validate one owned entry: user@domain, @domain or @.domain; lower-cases it. */
static const char *check_owned(char *v)
{
	char *at = strchr(v, '@');

	if (at == NULL || strchr(at + 1, '@') != NULL)
		return "expected user@domain, @domain or @.domain";
	vg_lower(v);
	return check_domain(at + 1);
}

/** Add a login with its owned entries (tokens t[from..n)), from a file line or the config. */
static void add_login(struct loader *ld, const char *login, char **owned, size_t nowned,
    const char *file, int line, int col)
{
	struct vg_login lg, *nl;
	size_t i;

	memset(&lg, 0, sizeof(lg));
	if (nowned == 0) {
		err_at(ld, file, line, col, "sender_login %s: no address given", login);
		return;
	}
	lg.login = vg_strdup(login);
	if (lg.login == NULL)
		goto oom;
	vg_lower(lg.login);
	for (i = 0; i < nowned; i++) {
		char *d = vg_strdup(owned[i]);
		const char *why;
		if (d == NULL)
			goto oom;
		if ((why = check_owned(d)) != NULL) {
			err_at(ld, file, line, col, "sender_login %s: %s: '%s'", login, why, owned[i]);
			free(d);
			vec_free(&lg.owns.v, &lg.owns.n, &lg.owns.cap);
			free(lg.login);
			return;
		}
		if (vec_push(&lg.owns.v, &lg.owns.n, &lg.owns.cap, d) < 0) {
			free(d);
			goto oom;
		}
	}
	nl = realloc(ld->cfg->logins, (ld->cfg->nlogins + 1) * sizeof(*nl));
	if (nl == NULL)
		goto oom;
	ld->cfg->logins = nl;
	ld->cfg->logins[ld->cfg->nlogins++] = lg;
	return;
oom:
	vec_free(&lg.owns.v, &lg.owns.n, &lg.owns.cap);
	free(lg.login);
	err_at(ld, file, line, col, "out of memory");
}

/** Split a string on commas and blanks into at most max words (modifies s). */
static size_t split_words(char *s, char **w, size_t max)
{
	size_t n = 0;
	char *p = s;

	while (*p && n < max) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != ',')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

/**
 * "sender_login LOGIN ADDR..." (ADDR: user@domain, @domain, @.domain), or
 * "sender_login file:/path" with one "LOGIN ADDR..." per line.
 */
static void parse_login(struct loader *ld, const struct entry *e)
{
	char *owned[256];
	size_t n = 0, i;

	if (e->n == 2 && !e->t[1].quoted && strncmp(e->t[1].s, "file:", 5) == 0) {
		char path[PATH_MAX], *buf, *p, *end;
		size_t len;
		int lineno = 0;
		const char *name = e->t[1].s + 5;

		if (name[0] == '/')
			vg_strlcpy(path, name, sizeof(path));
		else if ((size_t)snprintf(path, sizeof(path), "%s/%s", ld->dir, name) >= sizeof(path))
			path[0] = '\0';
		if (path[0] != '\0')
			watch_file(ld, path);
		if (path[0] == '\0' || (buf = slurp(path, &len)) == NULL) {
			err_tok(ld, &e->t[1], "cannot read '%s': %s", path, strerror(errno));
			return;
		}
		for (p = buf, end = buf + len; p < end; ) {
			char *nl = memchr(p, '\n', (size_t)(end - p)), *hash;
			char *w[257];
			size_t nw;

			lineno++;
			if (nl)
				*nl = '\0';
			else
				buf[len] = '\0';
			if ((hash = strchr(p, '#')) != NULL)
				*hash = '\0';
			nw = split_words(p, w, 257);
			if (nw == 1)
				err_at(ld, path, lineno, 1, "sender_login %s: no address given", w[0]);
			else if (nw > 1)
				add_login(ld, w[0], w + 1, nw - 1, path, lineno, 1);
			p = nl ? nl + 1 : end;
		}
		free(buf);
		return;
	}
	if (e->n < 3) {
		err_tok(ld, &e->t[0], "expected: sender_login LOGIN ADDRESS... (user@domain, @domain, @.domain) or file:/path");
		return;
	}
	for (i = 2; i < e->n && n < 256; i++) {
		char *w[64];
		size_t nw = split_words(e->t[i].s, w, 64), j;
		for (j = 0; j < nw && n < 256; j++)
			owned[n++] = w[j];
	}
	add_login(ld, e->t[1].s, owned, n, e->t[0].file, e->t[0].line, e->t[1].col);
}

int vg_sender_listed(const struct vg_strlist *l, const char *addr)
{
	const char *at = strrchr(addr, '@'), *dom = at ? at + 1 : addr;
	size_t i;

	for (i = 0; i < l->n; i++) {
		const char *e = l->v[i];
		if (strchr(e, '@') != NULL) {
			if (vg_strcaseeq(e, addr))
				return 1;
		} else if (e[0] == '.') {
			if (strlen(dom) > strlen(e) && vg_strcaseends(dom, e))
				return 1;
		} else if (vg_strcaseeq(e, dom)) {
			return 1;
		}
	}
	return 0;
}

int vg_login_owns(const struct vg_config *c, const char *login, const char *addr)
{
	const char *at = strrchr(addr, '@'), *dom = at ? at + 1 : "";
	size_t i, j;

	for (i = 0; i < c->nlogins; i++) {
		if (!vg_strcaseeq(c->logins[i].login, login))
			continue;
		for (j = 0; j < c->logins[i].owns.n; j++) {
			const char *o = c->logins[i].owns.v[j];
			if (o[0] != '@' && vg_strcaseeq(o, addr))
				return 1;
			if (o[0] == '@' && o[1] != '.' && vg_strcaseeq(o + 1, dom))
				return 1;
			if (o[0] == '@' && o[1] == '.' && strlen(dom) > strlen(o + 1) && vg_strcaseends(dom, o + 1))
				return 1;
		}
		return 0;
	}
	/* A login with no entry owns itself, when it is an address. */
	return strchr(login, '@') != NULL && vg_strcaseeq(login, addr);
}

/* ------------------------------------------------------------------ */
/* Entries                                                             */

/** Apply one logical line to the configuration. */
static void apply_entry(struct loader *ld, struct entry *e)
{
	const struct tok *kt = &e->t[0];
	const struct key *k = NULL;
	size_t ki;
	void *field;
	const char *why;
	int v;

	for (ki = 0; ki < NKEYS; ki++)
		if (strcmp(schema[ki].name, kt->s) == 0)
			k = &schema[ki];
	if (k == NULL || kt->quoted) {
		err_tok(ld, kt, "unknown key '%s'", kt->s);
		return;
	}
	ki = (size_t)(k - schema);
	if (k->type == K_RULE) {
		parse_rule(ld, e);
		return;
	}
	if (k->type == K_LOGIN) {
		parse_login(ld, e);
		return;
	}
	if (k->type == K_LIST) {
		parse_dnslist(ld, e, (enum vg_list_kind)k->off);
		return;
	}
	if (!ld->override && ld->set_line[ki] > 0) {
		err_tok(ld, kt, "'%s' is set already at line %d", k->name, ld->set_line[ki]);
		return;
	}
	ld->set_line[ki] = kt->line;
	field = (char *)ld->cfg + k->off;
	switch (k->type) {
	case K_DOMAINS:
	case K_NETS:
	case K_STRS:
	case K_SENDERS:
		list_clear(k, field);
		parse_list(ld, k, field, e);
		return;
	default:
		break;
	}
	if (k->type == K_WORDS) {   /* all values, joined with blanks */
		struct vstr words;
		size_t i;
		if (e->n < 2) {
			err_tok(ld, kt, "'%s' needs a value", k->name);
			return;
		}
		vstr_init(&words, 4096);
		for (i = 1; i < e->n; i++)
			vstr_addf(&words, "%s%s", i > 1 ? " " : "", e->t[i].s);
		free(*(char **)field);
		*(char **)field = words.oom ? NULL : vg_strdup(words.buf);
		vstr_free(&words);
		return;
	}
	if (e->n == 1 && k->type == K_STR) {   /* "pidfile" alone: empty */
		free(*(char **)field);
		*(char **)field = NULL;
		return;
	}
	if (!want_one(ld, e))
		return;
	{
		const struct tok *t = &e->t[1];
		switch (k->type) {
		case K_STR:
			set_str(ld, field, t);
			break;
		case K_SOCKET:
			if ((why = check_socket(t->s)) != NULL)
				err_tok(ld, t, "%s", why);
			else
				set_str(ld, field, t);
			break;
		case K_LOGDEST:
			if (strcmp(t->s, "syslog") != 0 && strcmp(t->s, "stderr") != 0 &&
			    !(strncmp(t->s, "file:", 5) == 0 && t->s[5] == '/'))
				err_tok(ld, t, "expected syslog, stderr or file:/absolute/path");
			else
				set_str(ld, field, t);
			break;
		case K_FACILITY:
			if (vg_log_facility_parse(t->s) < 0)
				err_tok(ld, t, "unknown syslog facility '%s'", t->s);
			else
				set_str(ld, field, t);
			break;
		case K_LEVEL:
			if ((v = vg_log_level_parse(t->s)) < 0)
				err_tok(ld, t, "unknown log level '%s' (error, warning, notice, info, debug)", t->s);
			else
				*(int *)field = v;
			break;
		case K_BOOL:
			if ((v = parse_bool(t->s)) < 0)
				err_tok(ld, t, "expected yes or no, found '%s'", t->s);
			else
				*(int *)field = v;
			break;
		case K_MS:
			if ((v = parse_ms(t->s)) < 0)
				err_tok(ld, t, "expected a duration such as 500ms or 2s (at most 600s), found '%s'", t->s);
			else
				*(int *)field = v;
			break;
		case K_COUNT: {
			char *endp;
			long n = strtol(t->s, &endp, 10);
			if (*t->s == '\0' || *endp != '\0' || n < 1 || n > 10000000)
				err_tok(ld, t, "expected a whole number from 1, found '%s'", t->s);
			else
				*(int *)field = (int)n;
			break;
		}
		case K_NUMBER: {
			char *endp;
			double d = strtod(t->s, &endp);
			if (*t->s == '\0' || *endp != '\0' || !(d > -1e6 && d < 1e6))
				err_tok(ld, t, "expected a number, found '%s'", t->s);
			else
				*(double *)field = d;
			break;
		}
		case K_SECONDS: {
			char *endp;
			long n = strtol(t->s, &endp, 10);
			if (*t->s == '\0' || *endp != '\0' || n < 0 || n > 3600)
				err_tok(ld, t, "expected a number of seconds 0-3600, found '%s'", t->s);
			else
				*(int *)field = (int)n;
			break;
		}
		case K_OCTAL: {
			char *endp;
			long m = strtol(t->s, &endp, 8);
			if (*t->s == '\0' || *endp != '\0' || m < 0 || m > 0777)
				err_tok(ld, t, "expected an octal mode 0000-0777, found '%s'", t->s);
			else
				*(int *)field = (int)m;
			break;
		}
		case K_MODE:
			if (strcmp(t->s, "enforce") == 0)
				*(int *)field = 0;
			else if (strcmp(t->s, "dry-run") == 0)
				*(int *)field = 1;
			else
				err_tok(ld, t, "expected enforce or dry-run, found '%s'", t->s);
			break;
		default:
			break;
		}
	}
}

/**
 * Parse a buffer of configuration text (modified in place) line by line.
 * @param file  name used in messages; must outlive the call only
 * @param first number of the buffer's first line, minus one
 */
static void parse_text(struct loader *ld, const char *file, char *buf, size_t len, int first)
{
	struct entry e = { NULL, 0, 0 };
	char *p = buf, *end = buf + len;
	int lineno = first;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int cont = ll > 0 && (p[0] == ' ' || p[0] == '\t');
		size_t before;

		lineno++;
		if (!cont && e.n > 0) {
			apply_entry(ld, &e);
			entry_clear(&e);
		}
		before = e.n;
		if (tokenize_line(ld, &e, file, lineno, p, ll) < 0) {
			/* Drop the whole logical line: its meaning is unsure. */
			entry_clear(&e);
		} else if (cont && before == 0 && e.n > 0) {
			err_tok(ld, &e.t[0], "continuation line without a key before it");
			entry_clear(&e);
		}
		p = nl ? nl + 1 : end;
	}
	if (e.n > 0)
		apply_entry(ld, &e);
	entry_clear(&e);
	free(e.t);
}

/** Apply the schema defaults through the same parser as the file. */
static void apply_defaults(struct loader *ld)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		char line[256];
		int n;
		if (schema[i].def == NULL)
			continue;
		n = snprintf(line, sizeof(line), "%s %s", schema[i].name, schema[i].def);
		if (n > 0 && (size_t)n < sizeof(line))
			parse_text(ld, "(default)", line, (size_t)n, 0);
	}
	memset(ld->set_line, 0, sizeof(ld->set_line));
}

/** Derive the resolver settings and load the Public Suffix List. */
static void finish_dns(struct loader *ld, const char *path)
{
	struct vg_config *c = ld->cfg;
	const char *err = NULL;

	c->dns.timeout_ms = c->dns_timeout_ms;
	c->dns.attempts = c->dns_attempts;
	c->dns.edns_size = 1232;
	if (c->resolver == NULL)
		err_at(ld, path, ld->set_line[key_index("resolver")], 1, "resolver: out of memory");
	else if (vg_dns_settings_parse(&c->dns, c->resolver, NULL, &err) < 0)
		err_at(ld, path, ld->set_line[key_index("resolver")], 1, "resolver '%s': %s", c->resolver, err);
	if (c->psl_file != NULL && *c->psl_file != '\0') {
		char full[PATH_MAX];

		/* a relative path is taken from the configuration file's directory, as file: lists are */
		if (c->psl_file[0] != '/' && ld->dir != NULL &&
		    (size_t)snprintf(full, sizeof(full), "%s/%s", ld->dir, c->psl_file) < sizeof(full)) {
			char *abs = vg_strdup(full);

			if (abs != NULL) {
				free(c->psl_file);
				c->psl_file = abs;
			}
		}
		watch_file(ld, c->psl_file);
		c->psl = psl_load_file(c->psl_file);
		if (c->psl == NULL)
			err_at(ld, path, ld->set_line[key_index("psl_file")], 1, "psl_file %s: cannot load it", c->psl_file);
	} else {
		/* The system's list (Debian: package publicsuffix), else libpsl's built-in one. */
		c->psl = psl_latest(NULL);
		if (c->psl == NULL)
			c->psl = (void *)psl_builtin();
		c->psl_builtin = c->psl == (void *)psl_builtin();
	}
}

void vg_config_keys(void (*fn)(const char *name, void *arg), void *arg)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		fn(schema[i].name, arg);
}

struct vg_config *vg_config_load(const char *path, const char *const *overrides, struct vg_cfgerr *errs)
{
	struct loader ld;
	struct vg_config *cfg;
	char dir[PATH_MAX], *slash, *buf;
	size_t len;
	int i;

	memset(&ld, 0, sizeof(ld));
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		vstr_adds(&errs->text, "out of memory\n");
		errs->count++;
		return NULL;
	}
	cfg->refs = 1;
	cfg->path = vg_strdup(path);
	ld.cfg = cfg;
	ld.errs = errs;
	vg_strlcpy(dir, path, sizeof(dir));
	slash = strrchr(dir, '/');
	if (slash == NULL)
		vg_strlcpy(dir, ".", sizeof(dir));
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	ld.dir = dir;

	apply_defaults(&ld);
	watch_file(&ld, path);
	buf = slurp(path, &len);
	if (buf == NULL) {
		err_at(&ld, path, 0, 0, "cannot read the configuration: %s", strerror(errno));
	} else {
		if (memchr(buf, '\0', len) != NULL)
			err_at(&ld, path, 1, 1, "NUL byte in the configuration");
		else
			parse_text(&ld, path, buf, len, 0);
		free(buf);
	}
	ld.override = 1;
	for (i = 0; overrides && overrides[i]; i++) {
		char *o = vg_strdup(overrides[i]), *eq;
		if (o == NULL)
			break;
		eq = strchr(o, '=');
		if (eq == NULL) {
			err_at(&ld, "-o", i + 1, 1, "expected key=value, found '%s'", o);
		} else {
			*eq = ' ';
			/* Errors name the override's position: -o:N:col. */
			parse_text(&ld, "-o", o, strlen(o), i);
		}
		free(o);
	}
	finish_dns(&ld, path);
	if (cfg->hostname == NULL) {
		char h[256];
		if (gethostname(h, sizeof(h)) != 0)
			vg_strlcpy(h, "localhost", sizeof(h));
		h[sizeof(h) - 1] = '\0';
		cfg->hostname = vg_strdup(h);
	}
	if (cfg->hostname != NULL) {
		/* one form everywhere: the authserv-id we write is the one we recognise */
		size_t n = strlen(cfg->hostname);

		if (n > 1 && cfg->hostname[n - 1] == '.')
			cfg->hostname[n - 1] = '\0';
		vg_lower(cfg->hostname);
	}
	if (errs->count > 0) {
		vg_config_unref(cfg);
		return NULL;
	}
	return cfg;
}

struct vg_config *vg_config_ref(struct vg_config *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

void vg_config_unref(struct vg_config *c)
{
	size_t i;
	int st;

	if (c == NULL || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (i = 0; i < NKEYS; i++) {
		void *field = (char *)c + schema[i].off;
		switch (schema[i].type) {
		case K_STR: case K_WORDS: case K_SOCKET: case K_LOGDEST: case K_FACILITY:
			free(*(char **)field);
			break;
		case K_DOMAINS: case K_NETS: case K_STRS: case K_SENDERS:
			list_clear(&schema[i], field);
			break;
		default:
			break;
		}
	}
	for (st = 0; st < VG_NSTAGES; st++) {
		for (i = 0; i < c->nrules[st]; i++)
			rule_free(&c->rules[st][i]);
		free(c->rules[st]);
	}
	for (i = 0; i < c->nlogins; i++) {
		free(c->logins[i].login);
		vec_free(&c->logins[i].owns.v, &c->logins[i].owns.n, &c->logins[i].owns.cap);
	}
	free(c->logins);
	for (i = 0; i < c->nlists; i++)
		free(c->lists[i].codes);
	free(c->lists);
	if (c->psl != NULL && !c->psl_builtin)
		psl_free(c->psl);
	for (i = 0; i < c->nfiles; i++)
		free(c->files[i].path);
	free(c->files);
	free(c->path);
	free(c);
}
