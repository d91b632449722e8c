/**
 * @file util.h
 * Small generic helpers: a growing string, bounded copies, ASCII case,
 * and sanitising of client-supplied text for logs and replies.
 */
#ifndef VIGIE_UTIL_H
#define VIGIE_UTIL_H

#include <stddef.h>
#include <stdarg.h>

/** A growing string.  Owns buf; on allocation failure sets oom and stops growing. */
struct vstr {
	char *buf;   /**< NUL-terminated contents (never NULL after vstr_init) */
	size_t len;  /**< bytes used, excluding the NUL */
	size_t cap;  /**< bytes allocated */
	size_t max;  /**< hard limit on len (0: 1 MiB); further text is dropped and truncated set */
	int oom;     /**< an allocation failed */
	int truncated; /**< text was dropped because of max */
};

/** Initialise an empty string; max 0 means 1 MiB. */
void vstr_init(struct vstr *s, size_t max);
/** Release the buffer. */
void vstr_free(struct vstr *s);
/** Empty the string, keeping the buffer. */
void vstr_reset(struct vstr *s);
/** Append n bytes. */
void vstr_addn(struct vstr *s, const char *p, size_t n);
/** Append a NUL-terminated string. */
void vstr_adds(struct vstr *s, const char *p);
/** Append one byte. */
void vstr_addc(struct vstr *s, char c);
/** Append formatted text (the format must be a literal, never data). */
void vstr_addf(struct vstr *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Append s2 with every byte outside printable ASCII replaced by '?', at most max bytes of it. */
void vstr_add_clean(struct vstr *s, const char *s2, size_t max);

/** Copy src into dst of size dstsz, always NUL-terminated; returns strlen(src). */
size_t vg_strlcpy(char *dst, const char *src, size_t dstsz);
/** Copy with '?' for bytes outside printable ASCII; returns 1 if src was cut. */
int vg_clean_copy(char *dst, size_t dstsz, const char *src);
/** strdup that aborts nothing: returns NULL on failure. */
char *vg_strdup(const char *s);
/** ASCII lower-case in place. */
void vg_lower(char *s);
/** ASCII case-insensitive equality. */
int vg_strcaseeq(const char *a, const char *b);
/** ASCII case-insensitive suffix test: does s end with suffix? */
int vg_strcaseends(const char *s, const char *suffix);
/** Is the byte printable ASCII (0x20..0x7e)? */
static inline int vg_isprint(unsigned char c) { return c >= 0x20 && c < 0x7f; }

#endif
