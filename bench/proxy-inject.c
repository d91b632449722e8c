/*
 * proxy-inject.c -- play the load balancer in front of Postfix for the
 * benchmark: accept plain TCP connections (from smtp-source) and relay each
 * one to a Postfix listener that has smtpd_upstream_proxy_protocol=haproxy,
 * starting with a PROXY v1 header that claims the next client address of a
 * list.  Postfix then reports that address to its milters, as it does for a
 * real client behind HAProxy.  One thread per connection, poll() on both
 * sockets; loopback only.
 *
 *   proxy-inject LISTEN_PORT:TARGET_PORT:IPFILE [...]
 *
 * IPFILE: one IPv4 or IPv6 address a line; connection n on LISTEN_PORT gets
 * line n modulo the number of lines.  Each mapping is a listener.  Prints
 * "ready" on stdout once every listener is bound.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_MAPS 64
#define ADDR_MAX 64

struct map {
	int lport, tport, lfd;
	char (*ips)[ADDR_MAX];
	size_t nips;
	unsigned long next;
};

struct conn {
	int cfd;
	struct map *m;
	char ip[ADDR_MAX];
};

static struct map maps[MAX_MAPS];
static int nmaps;

static int load_ips(struct map *m, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	size_t cap = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, " \t\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#' || strlen(line) >= ADDR_MAX)
			continue;
		if (m->nips == cap) {
			size_t ncap = cap ? 2 * cap : 256;
			void *p = realloc(m->ips, ncap * sizeof(*m->ips));
			if (p == NULL) {
				fclose(f);
				return -1;
			}
			m->ips = p;
			cap = ncap;
		}
		memcpy(m->ips[m->nips++], line, strlen(line) + 1);
	}
	fclose(f);
	return m->nips > 0 ? 0 : -1;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *relay(void *arg)
{
	struct conn *c = arg;
	struct sockaddr_in sin;
	struct pollfd p[2];
	char buf[16384], hdr[200];
	int tfd, one = 1, open_in = 1, open_out = 1;

	tfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)c->m->tport);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (tfd < 0 || connect(tfd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		goto done;
	setsockopt(tfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (strchr(c->ip, ':') != NULL)
		snprintf(hdr, sizeof(hdr), "PROXY TCP6 %s ::1 %d 25\r\n", c->ip, 40000 + c->cfd % 20000);
	else
		snprintf(hdr, sizeof(hdr), "PROXY TCP4 %s 127.0.0.1 %d 25\r\n", c->ip, 40000 + c->cfd % 20000);
	if (write_all(tfd, hdr, strlen(hdr)) < 0)
		goto done;
	/* Relay both ways until both directions are closed. */
	while (open_in || open_out) {
		int i;
		p[0].fd = open_in ? c->cfd : -1;
		p[0].events = POLLIN;
		p[1].fd = open_out ? tfd : -1;
		p[1].events = POLLIN;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			int from = i == 0 ? c->cfd : tfd, to = i == 0 ? tfd : c->cfd;
			ssize_t n;
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(from, buf, sizeof(buf));
			if (n <= 0 || write_all(to, buf, (size_t)n) < 0) {
				/* One side is done: pass the close on, stop that direction. */
				shutdown(to, SHUT_WR);
				if (i == 0)
					open_in = 0;
				else
					open_out = 0;
				if (n > 0)   /* the write failed: the peer is gone */
					open_in = open_out = 0;
			}
		}
	}
done:
	if (tfd >= 0)
		close(tfd);
	close(c->cfd);
	free(c);
	return NULL;
}

static void *acceptor(void *arg)
{
	struct map *m = arg;
	pthread_attr_t at;

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 64 * 1024);
	for (;;) {
		pthread_t t;
		struct conn *c;
		int fd = accept(m->lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE)
				continue;
			perror("proxy-inject: accept");
			exit(1);
		}
		c = malloc(sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->cfd = fd;
		c->m = m;
		memcpy(c->ip, m->ips[m->next % m->nips], ADDR_MAX);
		m->next++;
		if (pthread_create(&t, &at, relay, c) != 0) {
			close(fd);
			free(c);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int i, one = 1;

	signal(SIGPIPE, SIG_IGN);
	if (argc < 2 || argc - 1 > MAX_MAPS) {
		fprintf(stderr, "usage: proxy-inject LISTEN_PORT:TARGET_PORT:IPFILE ...\n");
		return 64;
	}
	for (i = 1; i < argc; i++) {
		struct map *m = &maps[nmaps++];
		struct sockaddr_in sin;
		char path[4096];
		if (sscanf(argv[i], "%d:%d:%4095s", &m->lport, &m->tport, path) != 3 || load_ips(m, path) < 0) {
			fprintf(stderr, "proxy-inject: bad mapping or empty address file: %s\n", argv[i]);
			return 64;
		}
		m->lfd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(m->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((unsigned short)m->lport);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (m->lfd < 0 || bind(m->lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(m->lfd, 1024) < 0) {
			fprintf(stderr, "proxy-inject: cannot listen on 127.0.0.1:%d: %s\n", m->lport, strerror(errno));
			return 1;
		}
	}
	for (i = 0; i < nmaps; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, acceptor, &maps[i]) != 0) {
			perror("proxy-inject: pthread_create");
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
