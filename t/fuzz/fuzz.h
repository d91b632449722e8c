/**
 * @file fuzz.h
 * Shared helpers of vigie's libFuzzer targets (t/fuzz/fuzz-*.c).  Each
 * target defines LLVMFuzzerTestOneInput; it is linked either with libFuzzer
 * (./configure CC=clang --enable-fuzzing, run by bench/fuzz) or with
 * t/fuzz/replay.c, which make check uses to replay the seed corpora and
 * the saved crash reproducers with any compiler.
 */
#ifndef VIGIE_FUZZ_H
#define VIGIE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/** An invariant of the code under test: abort (a crash to libFuzzer) when it does not hold. */
#define FUZZ_ASSERT(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		abort(); \
	} \
} while (0)

/** A reader over the fuzz input: fixed-size fields first, strings after. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

/** Take one byte (0 when the input is used up). */
static inline unsigned fuzz_byte(struct fuzz_in *in)
{
	unsigned c;

	if (in->n == 0)
		return 0;
	c = in->p[0];
	in->p++;
	in->n--;
	return c;
}

/**
 * Take the bytes up to the next NUL (or the end) as a new NUL-terminated
 * string; the NUL is consumed.  Never NULL (aborts when out of memory).
 */
static inline char *fuzz_str(struct fuzz_in *in)
{
	const uint8_t *z = memchr(in->p, '\0', in->n);
	size_t len = z != NULL ? (size_t)(z - in->p) : in->n;
	char *s = malloc(len + 1);

	if (s == NULL)
		abort();
	if (len > 0)
		memcpy(s, in->p, len);
	s[len] = '\0';
	in->p += len;
	in->n -= len;
	if (z != NULL) {
		in->p++;
		in->n--;
	}
	return s;
}

#endif
