/**
 * @file util.c
 * Generic helpers: growing string, bounded copies, ASCII case, sanitising.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define VSTR_DEFAULT_MAX (1024 * 1024)

/** Make room for n more bytes plus the NUL; returns 0 when it could not. */
static int vstr_grow(struct vstr *s, size_t n)
{
	size_t need, cap;
	char *nb;

	if (s->oom)
		return 0;
	if (n > s->max - s->len) {
		s->truncated = 1;
		return 0;
	}
	need = s->len + n + 1;
	if (need <= s->cap)
		return 1;
	cap = s->cap ? s->cap : 64;
	while (cap < need)
		cap *= 2;
	nb = realloc(s->buf == NULL || s->cap == 0 ? NULL : s->buf, cap);
	if (nb == NULL) {
		s->oom = 1;
		return 0;
	}
	if (s->cap == 0)
		nb[0] = '\0';
	s->buf = nb;
	s->cap = cap;
	return 1;
}

static char vstr_empty[1];

void vstr_init(struct vstr *s, size_t max)
{
	s->buf = vstr_empty;
	s->len = 0;
	s->cap = 0;
	s->max = max ? max : VSTR_DEFAULT_MAX;
	s->oom = 0;
	s->truncated = 0;
}

void vstr_free(struct vstr *s)
{
	if (s->cap)
		free(s->buf);
	s->buf = vstr_empty;
	s->len = s->cap = 0;
}

void vstr_reset(struct vstr *s)
{
	s->len = 0;
	if (s->cap)
		s->buf[0] = '\0';
	s->oom = s->truncated = 0;
}

void vstr_addn(struct vstr *s, const char *p, size_t n)
{
	if (n > s->max - s->len) {
		s->truncated = 1;
		n = s->max - s->len;
	}
	if (n == 0 || !vstr_grow(s, n))
		return;
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

void vstr_adds(struct vstr *s, const char *p)
{
	vstr_addn(s, p, strlen(p));
}

void vstr_addc(struct vstr *s, char c)
{
	vstr_addn(s, &c, 1);
}

void vstr_addf(struct vstr *s, const char *fmt, ...)
{
	va_list ap;
	int n;
	char small[256];

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		vstr_addn(s, small, (size_t)n);
		return;
	}
	if (!vstr_grow(s, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(s->buf + s->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	s->len += (size_t)n;
}

void vstr_add_clean(struct vstr *s, const char *s2, size_t max)
{
	size_t i;

	for (i = 0; s2[i] != '\0' && i < max; i++)
		vstr_addc(s, vg_isprint((unsigned char)s2[i]) ? s2[i] : '?');
	if (s2[i] != '\0')
		vstr_adds(s, "...");
}

size_t vg_strlcpy(char *dst, const char *src, size_t dstsz)
{
	size_t n = strlen(src);

	if (dstsz) {
		size_t c = n < dstsz - 1 ? n : dstsz - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

int vg_clean_copy(char *dst, size_t dstsz, const char *src)
{
	size_t i;

	if (dstsz == 0)
		return *src != '\0';
	for (i = 0; src[i] != '\0' && i < dstsz - 1; i++)
		dst[i] = vg_isprint((unsigned char)src[i]) ? src[i] : '?';
	dst[i] = '\0';
	return src[i] != '\0';
}

char *vg_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

void vg_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/** ASCII lower-case of one byte. */
static int lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int vg_strcaseeq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lc((unsigned char)*a) != lc((unsigned char)*b))
			return 0;
	return *a == *b;
}

int vg_strcaseends(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return m <= n && vg_strcaseeq(s + n - m, suffix);
}
