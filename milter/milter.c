/**
 * @file milter.c
 * libmilter callbacks: thin glue that gathers the MTA's data and macros,
 * calls the policy core, and turns its decision into a milter reply.
 * smfi_setreply is called in one place, reply().
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmilter/mfapi.h>

#include <time.h>

#include "headers.h"
#include "log.h"
#include "stats.h"
#include "milter.h"
#include "policy.h"
#include "util.h"

#define MAX_FORGED 64   /**< forged Authentication-Results fields removed per message, at most */

/** Per-connection context, owned by libmilter's private pointer. */
struct conn {
	struct vg_session *sess;
	int noreply[VG_NSTAGES];   /**< SMFIP_NR_* negotiated for the stage: answer SMFIS_NOREPLY */
	int draining;              /**< opened while vigie was stopping: tempfail it */
	int can_add, can_change;   /**< SMFIF_ADDHDRS / SMFIF_CHGHDRS negotiated */
	int noreply_hdr;           /**< SMFIP_NR_HDR negotiated */
	int ar_seen;               /**< Authentication-Results fields in this message so far */
	int nforged;               /**< of which these claim our authserv-id ... */
	int forged[MAX_FORGED];    /**< ... their 1-based indexes among the A-R fields */
};

static pthread_mutex_t cfg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vg_config *cfg_current;
static int conns_active;   /**< connection contexts alive (atomic) */
static int draining;       /**< stopping: new connections are tempfailed (atomic) */

int vg_milter_active(void)
{
	return __atomic_load_n(&conns_active, __ATOMIC_ACQUIRE);
}

void vg_milter_drain(void)
{
	__atomic_store_n(&draining, 1, __ATOMIC_RELEASE);
}

void vg_milter_set_config(struct vg_config *cfg)
{
	struct vg_config *old;

	pthread_mutex_lock(&cfg_lock);
	old = cfg_current;
	cfg_current = cfg ? vg_config_ref(cfg) : NULL;
	pthread_mutex_unlock(&cfg_lock);
	vg_config_unref(old);
}

/** Take a reference to the live config. */
static struct vg_config *config_get(void)
{
	struct vg_config *c;

	pthread_mutex_lock(&cfg_lock);
	c = cfg_current ? vg_config_ref(cfg_current) : NULL;
	pthread_mutex_unlock(&cfg_lock);
	return c;
}

/** The connection context, created on first use. */
static struct conn *conn_get(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	struct vg_config *cfg;

	if (c != NULL)
		return c;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	cfg = config_get();
	c->sess = cfg ? vg_session_new(cfg) : NULL;
	vg_config_unref(cfg);
	if (c->sess == NULL || smfi_setpriv(ctx, c) != MI_SUCCESS) {
		vg_session_free(c->sess);
		free(c);
		return NULL;
	}
	c->draining = __atomic_load_n(&draining, __ATOMIC_ACQUIRE);
	vg_stats_connection();
	__atomic_add_fetch(&conns_active, 1, __ATOMIC_ACQ_REL);
	return c;
}

/** Free the connection context. */
static void conn_free(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return;
	smfi_setpriv(ctx, NULL);
	vg_session_free(c->sess);
	free(c);
	__atomic_sub_fetch(&conns_active, 1, __ATOMIC_ACQ_REL);
}

/** Copy the MTA's macros the policy reads into the session. */
static void read_macros(SMFICTX *ctx, struct vg_session *s, int from, int to)
{
	int m;

	for (m = from; m <= to; m++)
		vg_session_set_macro(s, (enum vg_macro)m, smfi_getsymval(ctx, (char *)vg_macro_name((enum vg_macro)m)));
}

/**
 * Turn a decision into the milter status; the one place that sets a reply.
 * '%' is doubled: libmilter would otherwise drop the text.
 */
static sfsistat reply(SMFICTX *ctx, struct conn *c, enum vg_stage st, const struct vg_decision *d)
{
	char code[8], text[2 * VG_REPLY_MAX + 1];
	size_t i, o = 0;

	if (d->action == VG_ACT_ACCEPT)
		return c->noreply[st] ? SMFIS_NOREPLY : SMFIS_CONTINUE;
	snprintf(code, sizeof(code), "%d", d->code);
	for (i = 0; d->text[i] && o + 2 < sizeof(text); i++) {
		if (d->text[i] == '%')
			text[o++] = '%';
		text[o++] = d->text[i];
	}
	text[o] = '\0';
	if (smfi_setreply(ctx, code, (char *)d->esc, text) != MI_SUCCESS)
		vg_log(LOG_WARNING, "smfi_setreply failed; the MTA gives its default reply");
	return d->action == VG_ACT_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
}

/** Microseconds on CLOCK_MONOTONIC. */
static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/** Record a callback's duration and pass its status through. */
static sfsistat timed(enum vg_timed t, long long t0, sfsistat st)
{
	vg_stats_latency(t, now_us() - t0);
	return st;
}

/** Status for a connection we cannot serve (out of memory): try again later. */
static sfsistat no_context(void)
{
	vg_log(LOG_ERR, "out of memory for a connection context; tempfail");
	return SMFIS_TEMPFAIL;
}

/** Negotiate: skip every protocol step we do not use; no replies where delayed. */
static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	struct conn *c = conn_get(ctx);
	unsigned long want;

	(void)f2;
	(void)f3;
	if (c == NULL)
		return SMFIS_ALL_OPTS;
	*pf0 = 0;
#ifdef SMFIF_SETSYMLIST
	if (f0 & SMFIF_SETSYMLIST)
		*pf0 |= SMFIF_SETSYMLIST;
#endif
	/* Headers: to add ours, and to remove forged Authentication-Results. */
	*pf0 |= f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS);
	c->can_add = (*pf0 & SMFIF_ADDHDRS) != 0;
	c->can_change = (*pf0 & SMFIF_CHGHDRS) != 0;
	want = SMFIP_NOBODY | SMFIP_NOEOH | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NR_HDR;
	/* A connection opened while stopping is refused at CONNECT: it needs a reply there. */
	if (vg_session_config(c->sess)->delay_reject && !c->draining)
		want |= SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL;
	*pf1 = f1 & want;
	c->noreply[VG_STAGE_CONNECT] = (*pf1 & SMFIP_NR_CONN) != 0;
	c->noreply[VG_STAGE_HELO] = (*pf1 & SMFIP_NR_HELO) != 0;
	c->noreply[VG_STAGE_MAIL] = (*pf1 & SMFIP_NR_MAIL) != 0;
	c->noreply_hdr = (*pf1 & SMFIP_NR_HDR) != 0;
	*pf2 = 0;
	*pf3 = 0;
#ifdef SMFIF_SETSYMLIST
	if (*pf0 & SMFIF_SETSYMLIST) {
		/* Ask for what we read, so admins need not edit milter_*_macros. */
		smfi_setsymlist(ctx, SMFIM_CONNECT, "j v {daemon_name} {client_addr} {client_name} {client_ptr} {client_resolve}");
		smfi_setsymlist(ctx, SMFIM_HELO, "{verify} {cert_subject} {cert_issuer} {tls_version}");
		smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {auth_authen} {auth_type} {mail_addr}");
		smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i {rcpt_addr}");
	}
#endif
	return SMFIS_CONTINUE;
}

/** CONNECT: the client address comes from the socket address libmilter gives. */
static sfsistat cb_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	long long t0 = now_us();
	struct conn *c = conn_get(ctx);
	struct vg_decision d;
	char addr[INET6_ADDRSTRLEN + 1];
	const char *ap = NULL;

	if (c == NULL)
		return no_context();
	if (c->draining || __atomic_load_n(&draining, __ATOMIC_ACQUIRE)) {
		/* Stopping: this client will be back; no mail is accepted unchecked. */
		char name[128];
		vg_clean_copy(name, sizeof(name), hostname ? hostname : "unknown");
		vg_log(LOG_INFO, "NOQUEUE: tempfail: CONNECT from %s: 451 4.3.2 vigie is restarting, try again later; rule=shutdown",
		    name);
		if (smfi_setreply(ctx, "451", "4.3.2", "vigie is restarting, try again later") != MI_SUCCESS)
			vg_log(LOG_WARNING, "smfi_setreply failed; the MTA gives its default reply");
		return SMFIS_TEMPFAIL;
	}
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		if (inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr)) != NULL)
			ap = addr;
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr)) != NULL)
			ap = addr;
	}
	/* Sendmail passes "[ip]" when the client has no verified name. */
	if (hostname != NULL && hostname[0] == '[')
		hostname = NULL;
	read_macros(ctx, c->sess, VG_M_DAEMON_NAME, VG_M_CLIENT_PTR);
	vg_session_connect(c->sess, ap, hostname, &d);
	return timed(VG_TIME_CONNECT, t0, reply(ctx, c, VG_STAGE_CONNECT, &d));
}

/** HELO/EHLO. */
static sfsistat cb_helo(SMFICTX *ctx, char *helo)
{
	long long t0 = now_us();
	struct conn *c = conn_get(ctx);
	struct vg_decision d;

	if (c == NULL)
		return no_context();
	vg_session_helo(c->sess, helo, &d);
	return timed(VG_TIME_HELO, t0, reply(ctx, c, VG_STAGE_HELO, &d));
}

/** MAIL FROM: read the transaction's macros (auth, TLS, queue ID). */
static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
	long long t0 = now_us();
	struct conn *c = conn_get(ctx);
	struct vg_decision d;

	if (c == NULL)
		return no_context();
	read_macros(ctx, c->sess, VG_M_QUEUE_ID, VG_M_CERT_ISSUER);
	vg_session_mail(c->sess, argv && argv[0] ? argv[0] : "",
	    argv && argv[0] ? (const char *const *)argv + 1 : NULL, &d);
	return timed(VG_TIME_MAIL, t0, reply(ctx, c, VG_STAGE_MAIL, &d));
}

/** RCPT TO: the stage where vigie gives its replies. */
static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
	long long t0 = now_us();
	struct conn *c = conn_get(ctx);
	struct vg_decision d;

	if (c == NULL)
		return no_context();
	read_macros(ctx, c->sess, VG_M_QUEUE_ID, VG_M_QUEUE_ID);
	vg_session_rcpt(c->sess, argv && argv[0] ? argv[0] : "",
	    argv && argv[0] ? (const char *const *)argv + 1 : NULL, &d);
	return timed(VG_TIME_RCPT, t0, reply(ctx, c, VG_STAGE_RCPT, &d));
}

/** A header field: note the Authentication-Results fields that claim our authserv-id. */
static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL && name != NULL && value != NULL && vg_strcaseeq(name, "Authentication-Results")) {
		c->ar_seen++;
		if (c->nforged < MAX_FORGED &&
		    vg_hdr_claims_authserv(value, vg_session_config(c->sess)->hostname))
			c->forged[c->nforged++] = c->ar_seen;
	}
	return c != NULL && c->noreply_hdr ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/** Forget the message's header bookkeeping. */
static void message_done(struct conn *c)
{
	c->ar_seen = c->nforged = 0;
	vg_session_reset(c->sess);
}

/**
 * End of message: remove forged Authentication-Results (last first, so
 * the indexes stay right), then put ours on top: Received-SPF, then
 * Authentication-Results above it.
 */
static sfsistat cb_eom(SMFICTX *ctx)
{
	long long t0 = now_us();
	struct conn *c = smfi_getpriv(ctx);
	struct vstr ar, rspf;
	int i;

	if (c == NULL)
		return SMFIS_CONTINUE;
	read_macros(ctx, c->sess, VG_M_QUEUE_ID, VG_M_QUEUE_ID);
	vstr_init(&ar, 4096);
	vstr_init(&rspf, 4096);
	vg_session_headers(c->sess, &ar, &rspf);
	if (c->nforged > 0) {
		for (i = c->nforged - 1; i >= 0 && c->can_change; i--)
			if (smfi_chgheader(ctx, "Authentication-Results", c->forged[i], NULL) != MI_SUCCESS)
				vg_log(LOG_WARNING, "smfi_chgheader failed: a forged Authentication-Results stays");
		vg_session_log_note(c->sess, c->can_change ? "removed %d forged Authentication-Results header(s)" :
		    "cannot remove %d forged Authentication-Results header(s): the MTA did not allow it", c->nforged);
	}
	if (c->can_add && rspf.len > 0 && smfi_insheader(ctx, 0, "Received-SPF", rspf.buf) != MI_SUCCESS)
		vg_log(LOG_WARNING, "smfi_insheader Received-SPF failed");
	if (c->can_add && ar.len > 0 && smfi_insheader(ctx, 0, "Authentication-Results", ar.buf) != MI_SUCCESS)
		vg_log(LOG_WARNING, "smfi_insheader Authentication-Results failed");
	vstr_free(&ar);
	vstr_free(&rspf);
	message_done(c);
	return timed(VG_TIME_EOM, t0, SMFIS_CONTINUE);
}

/** Abort (RSET, or the MTA gave up on the message): forget the transaction. */
static sfsistat cb_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL)
		message_done(c);
	return SMFIS_CONTINUE;
}

/** Close: free the context, whatever happened before. */
static sfsistat cb_close(SMFICTX *ctx)
{
	conn_free(ctx);
	return SMFIS_CONTINUE;
}

int vg_milter_register(void)
{
	static struct smfiDesc desc = {
		.xxfi_name = "vigie",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = 0,
		.xxfi_connect = cb_connect,
		.xxfi_helo = cb_helo,
		.xxfi_envfrom = cb_envfrom,
		.xxfi_envrcpt = cb_envrcpt,
		.xxfi_header = cb_header,
		.xxfi_eom = cb_eom,
		.xxfi_abort = cb_abort,
		.xxfi_close = cb_close,
		.xxfi_negotiate = cb_negotiate,
	};

#ifdef SMFIF_SETSYMLIST
	desc.xxfi_flags |= SMFIF_SETSYMLIST;
#endif
	desc.xxfi_flags |= SMFIF_ADDHDRS | SMFIF_CHGHDRS;
	return smfi_register(desc) == MI_SUCCESS ? 0 : -1;
}
