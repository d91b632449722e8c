/*
 * null-milter.c -- the benchmark's reference milter: it registers the
 * callbacks vigie uses (connect, helo, envfrom, envrcpt, eom, abort, close)
 * and continues at every stage.  libmilter runs it as it runs vigie: one
 * thread per MTA connection.  No negotiate callback: libmilter itself
 * skips the steps that have no callback (headers, body ...), and every
 * stage gets a reply, as with any plain milter.
 *
 *   null-milter -p inet:PORT@127.0.0.1
 *
 * Build: cc -O2 -o null-milter null-milter.c -lmilter
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

static sfsistat nm_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx; (void)host; (void)sa;
	return SMFIS_CONTINUE;
}

static sfsistat nm_helo(SMFICTX *ctx, char *helo)
{
	(void)ctx; (void)helo;
	return SMFIS_CONTINUE;
}

static sfsistat nm_envfrom(SMFICTX *ctx, char **argv)
{
	(void)ctx; (void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat nm_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)ctx; (void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat nm_eom(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat nm_abort(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat nm_close(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

int main(int argc, char **argv)
{
	static struct smfiDesc desc = {
		.xxfi_name = "null-milter",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = 0,
		.xxfi_connect = nm_connect,
		.xxfi_helo = nm_helo,
		.xxfi_envfrom = nm_envfrom,
		.xxfi_envrcpt = nm_envrcpt,
		.xxfi_eom = nm_eom,
		.xxfi_abort = nm_abort,
		.xxfi_close = nm_close,
	};
	const char *sock = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "p:")) != -1) {
		if (opt == 'p')
			sock = optarg;
		else
			break;
	}
	if (sock == NULL) {
		fprintf(stderr, "usage: null-milter -p inet:PORT@127.0.0.1\n");
		return 64;
	}
	if (smfi_setconn((char *)sock) != MI_SUCCESS || smfi_register(desc) != MI_SUCCESS) {
		fprintf(stderr, "null-milter: cannot set up %s\n", sock);
		return 1;
	}
	/* Like vigie: libmilter's default listen backlog. */
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
