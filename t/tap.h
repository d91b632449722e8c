/**
 * @file tap.h
 * Minimal TAP producer for vigie's C unit tests (header only).
 */
#ifndef VIGIE_TAP_H
#define VIGIE_TAP_H

#include <stdio.h>
#include <string.h>
#include <stdarg.h>

static int tap_n, tap_failed;

/** Record one test point; returns cond. */
static int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3), unused));
static int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

/** Compare two strings (NULL-safe) as one test point. */
static int tap_is(const char *got, const char *want, const char *name) __attribute__((unused));
static int tap_is(const char *got, const char *want, const char *name)
{
	int ok = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);

	tap_ok(ok, "%s", name);
	if (!ok)
		printf("#   got: '%s'\n#  want: '%s'\n", got ? got : "(null)", want ? want : "(null)");
	return ok;
}

/** Print a diagnostic line. */
#define tap_diag(...) do { printf("# "); printf(__VA_ARGS__); putchar('\n'); } while (0)

/** Print the plan at the end and return the process exit status. */
static int tap_done(void) __attribute__((unused));
static int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
