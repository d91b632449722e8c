/**
 * @file stats_http.c
 * The statistics endpoint: GET /metrics in the Prometheus text format,
 * served by libmicrohttpd on the address of stats_listen (loopback is the
 * sensible choice: the counters say much about a site's mail).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "log.h"
#include "milter.h"
#include "stats.h"
#include "util.h"

static struct MHD_Daemon *httpd;

/** Answer one request: /metrics, or 404; GET only. */
static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_size, void **req_cls)
{
	struct MHD_Response *resp;
	struct vstr out;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;

	(void)cls;
	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)req_cls;
	vstr_init(&out, 4 * 1024 * 1024);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		vstr_adds(&out, "GET only\n");
	} else if (strcmp(url, "/metrics") != 0) {
		status = MHD_HTTP_NOT_FOUND;
		vstr_adds(&out, "see /metrics\n");
	} else {
		vg_stats_prometheus(&out);
	}
	resp = MHD_create_response_from_buffer(out.len, out.buf, MHD_RESPMEM_MUST_COPY);
	vstr_free(&out);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

int vg_stats_http_start(const char *spec)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	char host[128];
	const char *colon;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
	long port;
	char *end;

	if (spec == NULL || *spec == '\0')
		return 0;
	colon = strrchr(spec, ':');
	if (colon == NULL || (size_t)(colon - spec) >= sizeof(host))
		goto bad;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		goto bad;
	memset(&ss, 0, sizeof(ss));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			goto bad;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		flags |= MHD_USE_IPv6;
	} else {
		if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
			goto bad;
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
	}
	httpd = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, answer, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, 16U,
	    MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_END);
	if (httpd == NULL) {
		vg_log(LOG_ERR, "stats_listen %s: cannot listen there", spec);
		return -1;
	}
	vg_log(LOG_INFO, "statistics on http://%s/metrics", spec);
	return 0;
bad:
	vg_log(LOG_ERR, "stats_listen %s: expected ADDRESS:PORT, e.g. 127.0.0.1:9187 or [::1]:9187", spec);
	return -1;
}

void vg_stats_http_stop(void)
{
	if (httpd != NULL)
		MHD_stop_daemon(httpd);
	httpd = NULL;
}
