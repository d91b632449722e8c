/**
 * @file unit-headers.c
 * Unit tests of the header builders: hostile client values never break
 * out of a value, and forged Authentication-Results are recognised.
 */
#include "config.h"

#include <string.h>

#include "headers.h"
#include "tap.h"

/** Is s one line of printable ASCII? */
static int one_clean_line(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

int main(void)
{
	static const struct { const char *in, *want; } values[] = {
		{ "client.example.net", "client.example.net" },
		{ "a b", "\"a b\"" },
		{ "x;y=z", "\"x;y=z\"" },
		{ "evil\r\nX-Injected: yes", "\"evilX-Injected: yes\"" },
		{ "q\"uo\\te", "\"q\\\"uo\\\\te\"" },
		{ "nul\x01\x7f\x80\xff", "\"nul\"" },
		{ "", "\"\"" },
		{ "2001:db8::1", "\"2001:db8::1\"" },
	};
	static const struct { const char *value; int want; } ar[] = {
		{ "mx.example.org; spf=pass", 1 },
		{ "MX.Example.ORG; spf=pass", 1 },
		{ "mx.example.org.; spf=pass", 1 },
		{ "  (a (nested) comment)\r\n\tmx.example.org 1; spf=pass", 1 },
		{ "\"mx.example.org\"; none", 1 },
		{ "mx.example.org;spf=pass", 1 },
		{ "mx.example.org", 1 },
		{ "other.example.org; spf=pass", 0 },
		{ "mx.example.org.evil; spf=pass", 0 },
		{ "(mx.example.org) other.example.org; spf=pass", 0 },
		{ "", 0 },
		{ "(unterminated comment mx.example.org", 0 },
	};
	struct vg_ar_method m[2] = {
		{ "spf", "pass", "smtp", "mailfrom", "user@example.net", 1, NULL },
		{ "iprev", "pass", "policy", "iprev", "192.0.2.1", 0, "mail.example.net" },
	};
	struct vstr v;
	size_t i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		vstr_init(&v, 0);
		vg_hdr_add_value(&v, values[i].in, 200);
		tap_is(v.buf, values[i].want, "value quoting");
		tap_ok(one_clean_line(v.buf), "value %zu is one clean line", i);
		vstr_free(&v);
	}
	for (i = 0; i < sizeof(ar) / sizeof(ar[0]); i++)
		tap_ok(vg_hdr_claims_authserv(ar[i].value, "mx.example.org") == ar[i].want,
		    "authserv-id of A-R value %zu %s ours", i, ar[i].want ? "is" : "is not");

	vstr_init(&v, 0);
	vg_hdr_auth_results(&v, "mx.example.org", m, 2);
	tap_is(v.buf, "mx.example.org; spf=pass smtp.mailfrom=user@example.net; iprev=pass policy.iprev=192.0.2.1 (mail.example.net)",
	    "Authentication-Results with two methods");
	vstr_free(&v);

	m[0].value = "\"weird local\"@example.net";
	m[1].comment = "not a (host)";
	vstr_init(&v, 0);
	vg_hdr_auth_results(&v, "mx.example.org", m, 2);
	tap_is(v.buf, "mx.example.org; spf=pass smtp.mailfrom=example.net; iprev=pass policy.iprev=192.0.2.1",
	    "unsafe local part: domain only; unsafe comment: left out");
	vstr_free(&v);

	m[0].value = "x@evil\r\nInjected: 1";
	vstr_init(&v, 0);
	vg_hdr_auth_results(&v, "mx.example.org\r\nX: y", m, 1);
	tap_ok(one_clean_line(v.buf) && strstr(v.buf, "\r") == NULL && strncmp(v.buf, "localhost;", 10) == 0,
	    "a hostile authserv-id and mailbox still give one clean line: %s", v.buf);
	vstr_free(&v);

	vstr_init(&v, 0);
	vg_hdr_auth_results(&v, "mx.example.org", m, 0);
	tap_is(v.buf, "mx.example.org; none", "no method: none");
	vstr_free(&v);

	{
		/* Found by t/fuzz/fuzz-headers: an authserv-id of 201-253 bytes was cut to 200. */
		char longid[254];
		memset(longid, 'a', 253);
		memcpy(longid + 240, ".example.org", 13);
		vstr_init(&v, 0);
		vg_hdr_auth_results(&v, longid, m, 0);
		tap_ok(strncmp(v.buf, longid, 252) == 0 && strcmp(v.buf + 252, "; none") == 0,
		    "a 252-byte authserv-id is written whole");
		tap_ok(vg_hdr_claims_authserv(v.buf, longid), "and our own header claims it");
		vstr_free(&v);
	}

	vstr_init(&v, 0);
	vg_hdr_received_spf(&v, "pass", "mx.example.org", "192.0.2.1", "user@example.net", "client.example.net",
	    "mailfrom", "example.net");
	tap_is(v.buf, "pass (mx.example.org: domain example.net designates 192.0.2.1 as permitted sender) "
	    "client-ip=192.0.2.1; envelope-from=\"user@example.net\"; helo=client.example.net; "
	    "receiver=mx.example.org; identity=mailfrom;", "Received-SPF, RFC 7208 9.1 form");
	vstr_free(&v);

	vstr_init(&v, 0);
	vg_hdr_received_spf(&v, "fail", "mx.example.org", "192.0.2.1", "a\"b\r\n@x", "h;e\nlo (x)",
	    "mailfrom", "bad domain (x)");
	tap_ok(one_clean_line(v.buf), "hostile envelope-from and helo: one clean line: %s", v.buf);
	tap_ok(strstr(v.buf, "helo=\"h;elo (x)\";") != NULL, "helo quoted");
	tap_ok(strstr(v.buf, "(mx.example.org: the domain does not designate") != NULL, "unsafe domain kept out of the comment");
	vstr_free(&v);
	return tap_done();
}
