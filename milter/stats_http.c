/**
 * @file stats_http.c
 * The statistics endpoint: GET /metrics in the Prometheus text format,
 * served by libmicrohttpd on the address of stats_listen (loopback is the
 * sensible choice: the counters say much about a site's mail).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <microhttpd.h>

#include "log.h"
#include "milter.h"
#include "stats.h"
#include "util.h"

static struct MHD_Daemon *httpd;
static char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

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

/**
 * A listening Unix socket at path, mode 0660 (the run user and its group),
 * replacing a stale socket but nothing else; -1 with a log line on failure.
 */
static int unix_listener(const char *spec, const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd, rc;

	if (*path != '/' || strlen(path) >= sizeof(sun.sun_path)) {
		vg_log(LOG_ERR, "stats_listen %s: expected unix:/ABSOLUTE/PATH, at most %zu bytes",
		    spec, sizeof(sun.sun_path) - 1);
		return -1;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			vg_log(LOG_ERR, "stats_listen %s: exists and is not a socket", spec);
			return -1;
		}
		unlink(path);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		vg_log(LOG_ERR, "stats_listen %s: socket: %s", spec, strerror(errno));
		return -1;
	}
	old = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc < 0 || listen(fd, 16) < 0) {
		vg_log(LOG_ERR, "stats_listen %s: cannot listen there: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	memcpy(unix_path, path, strlen(path) + 1);
	return fd;
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
	if (strncmp(spec, "unix:", 5) == 0) {
		int fd = unix_listener(spec, spec + 5);

		if (fd < 0)
			return -1;
		httpd = MHD_start_daemon(flags, 0, NULL, NULL, answer, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
		    MHD_OPTION_CONNECTION_LIMIT, 16U, MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_END);
		if (httpd == NULL) {
			vg_log(LOG_ERR, "stats_listen %s: cannot serve there", spec);
			close(fd);
			unlink(unix_path);
			unix_path[0] = '\0';
			return -1;
		}
		vg_log(LOG_INFO, "statistics on %s (HTTP, GET /metrics)", spec);
		return 0;
	}
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
	vg_log(LOG_ERR, "stats_listen %s: expected ADDRESS:PORT, e.g. 127.0.0.1:9187 or [::1]:9187, "
	    "or unix:/PATH", spec);
	return -1;
}

void vg_stats_http_stop(void)
{
	if (httpd != NULL)
		MHD_stop_daemon(httpd);
	httpd = NULL;
	if (unix_path[0] != '\0')
		unlink(unix_path);
	unix_path[0] = '\0';
}
