/**
 * @file log.c
 * Logging: one sanitised line per call, to syslog, stderr or a file.
 * The destination is chosen before the threads start; writes to a file
 * or stderr are single write(2) calls under a mutex.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

enum dest { DEST_SYSLOG, DEST_STDERR, DEST_FILE };

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum dest log_dest = DEST_STDERR;
static int log_fd = -1;
static int log_level = LOG_INFO;
static int log_stderr_copy;
static int log_syslog_open;

static const struct { const char *name; int value; } levels[] = {
	{ "error", LOG_ERR }, { "err", LOG_ERR }, { "warning", LOG_WARNING },
	{ "notice", LOG_NOTICE }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
};

static const struct { const char *name; int value; } facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

int vg_log_level_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (vg_strcaseeq(name, levels[i].name))
			return levels[i].value;
	return -1;
}

int vg_log_facility_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (vg_strcaseeq(name, facilities[i].name))
			return facilities[i].value;
	return -1;
}

int vg_log_open(const char *dest, const char *facility, int level, int also_stderr, const char **err)
{
	int fac = vg_log_facility_parse(facility ? facility : "mail");
	int fd = -1;
	enum dest d;

	if (fac < 0) {
		*err = "unknown syslog facility";
		return -1;
	}
	if (strcmp(dest, "syslog") == 0) {
		d = DEST_SYSLOG;
	} else if (strcmp(dest, "stderr") == 0) {
		d = DEST_STDERR;
	} else if (strncmp(dest, "file:", 5) == 0 && dest[5] == '/') {
		d = DEST_FILE;
		fd = open(dest + 5, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
		if (fd < 0) {
			*err = "cannot open the log file";
			return -1;
		}
	} else {
		*err = "expected syslog, stderr or file:/absolute/path";
		return -1;
	}
	pthread_mutex_lock(&log_lock);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	log_dest = d;
	log_level = level;
	log_stderr_copy = also_stderr && d != DEST_STDERR;
	if (d == DEST_SYSLOG) {
		openlog("vigie", LOG_PID | LOG_NDELAY, fac);
		log_syslog_open = 1;
	}
	pthread_mutex_unlock(&log_lock);
	return 0;
}

int vg_log_enabled(int level)
{
	return level <= log_level;
}

/** Write a whole buffer to fd, retrying short writes; errors are ignored. */
static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

void vg_log(int level, const char *fmt, ...)
{
	char msg[4096], line[4200];
	va_list ap;
	size_t i;
	int n;

	if (!vg_log_enabled(level))
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	for (i = 0; msg[i] != '\0'; i++)
		if (!vg_isprint((unsigned char)msg[i]))
			msg[i] = '?';

	pthread_mutex_lock(&log_lock);
	if (log_dest == DEST_SYSLOG)
		syslog(level, "%s", msg);
	if (log_dest != DEST_SYSLOG || log_stderr_copy) {
		struct timespec ts;
		struct tm tm;
		char stamp[40];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(line, sizeof(line), "%s.%03ldZ vigie[%ld]: %s\n", stamp,
		    ts.tv_nsec / 1000000L, (long)getpid(), msg);
		if (n > 0) {
			size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
			if (len == sizeof(line) - 1)
				line[len - 1] = '\n';
			if (log_dest == DEST_FILE)
				write_all(log_fd, line, len);
			if (log_dest == DEST_STDERR || log_stderr_copy)
				write_all(2, line, len);
		}
	}
	pthread_mutex_unlock(&log_lock);
}

void vg_log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	if (log_syslog_open)
		closelog();
	log_syslog_open = 0;
	log_dest = DEST_STDERR;
	pthread_mutex_unlock(&log_lock);
}
