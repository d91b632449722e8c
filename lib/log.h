/**
 * @file log.h
 * Logging to syslog, stderr or a file; thread-safe; every line sanitised.
 */
#ifndef VIGIE_LOG_H
#define VIGIE_LOG_H

#include <syslog.h>

/** Log levels are syslog's: LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG. */

/**
 * Choose the destination: "syslog", "stderr" or "file:/path".
 * @param facility syslog facility name ("mail", "local0".."local7", "daemon")
 * @param level    lowest priority logged (a LOG_* value)
 * @param also_stderr copy every line to stderr as well (foreground mode)
 * @param err      set to a static message on failure
 * @return 0, or -1 on error (the previous destination stays)
 */
int vg_log_open(const char *dest, const char *facility, int level, int also_stderr, const char **err);
/** Parse a level name ("error", "warning", "notice", "info", "debug"); -1 if unknown. */
int vg_log_level_parse(const char *name);
/** Parse a facility name; -1 if unknown. */
int vg_log_facility_parse(const char *name);
/** Log one line; control characters in the result become '?'. */
void vg_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Is this level logged at all?  Lets callers skip building a line. */
int vg_log_enabled(int level);
/** Close the destination (files are closed, syslog too). */
void vg_log_close(void);

#endif
