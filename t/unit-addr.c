/**
 * @file unit-addr.c
 * Table-driven tests of the RFC 5321 Path parser (lib/addr.c).
 *
 * Every input is copied into a heap buffer of exactly its length, so a read
 * past the end shows up under AddressSanitizer.  Every accepted path is
 * parsed a second time from its canonical form, which must give the same
 * canonical form back.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "tap.h"

/* expected flags */
#define QUOTED  0x01  /**< local_quoted */
#define ROUTING 0x02  /**< local_routing */
#define TDOT    0x04  /**< trailing_dot */
#define ISNULL  0x08  /**< is_null */
#define BARE    0x10  /**< bracketed == 0 */

/** err_pos is stored plus one, so that 0 (the default) means "not checked". */
#define AT(n) .err_pos1 = (n) + 1

/** One test case. */
struct tcase {
	const char *in;         /**< the argument (NUL-terminated unless len is set) */
	size_t len;             /**< its length; 0: strlen(in) */
	unsigned flags;         /**< VG_PATH_* */
	enum vg_path_err err;   /**< expected result */
	size_t err_pos1;        /**< expected err_pos + 1, or 0 */
	const char *local;      /**< expected local part (success only) */
	const char *domain;     /**< expected domain */
	const char *addr;       /**< expected canonical address */
	enum vg_domain_kind kind; /**< expected domain kind */
	unsigned bits;          /**< expected QUOTED, ROUTING, TDOT, ISNULL, BARE */
	int hops;               /**< expected route_hops */
	const char *params;     /**< expected text at params_off; NULL: params_off == length */
};

#define R  VG_PATH_REVERSE
#define U8 VG_PATH_SMTPUTF8
#define ST VG_PATH_STRICT
#define NAME VG_DOM_NAME

static const struct tcase cases[] = {
	/* the relay-test forms */
	{ "<user@example.org>", .local = "user", .domain = "example.org", .addr = "user@example.org", .kind = NAME },
	{ "<user%foreign.example@example.org>", .local = "user%foreign.example", .domain = "example.org",
	  .addr = "user%foreign.example@example.org", .kind = NAME, .bits = ROUTING },
	{ "<foreign.example!user@example.org>", .local = "foreign.example!user", .domain = "example.org",
	  .addr = "foreign.example!user@example.org", .kind = NAME, .bits = ROUTING },
	{ "<@example.org:user@foreign.example>", .local = "user", .domain = "foreign.example",
	  .addr = "user@foreign.example", .kind = NAME, .hops = 1 },
	{ "<@example.org,@other.example:user@foreign.example>", .local = "user", .domain = "foreign.example",
	  .addr = "user@foreign.example", .kind = NAME, .hops = 2 },
	{ "<@example.org.:user@foreign.example>", .local = "user", .domain = "foreign.example",
	  .addr = "user@foreign.example", .kind = NAME, .hops = 1 },
	{ "<\"user@foreign.example\"@example.org>", .local = "user@foreign.example", .domain = "example.org",
	  .addr = "\"user@foreign.example\"@example.org", .kind = NAME, .bits = QUOTED | ROUTING },
	{ "<\"user%foreign.example\"@example.org>", .local = "user%foreign.example", .domain = "example.org",
	  .addr = "user%foreign.example@example.org", .kind = NAME, .bits = QUOTED | ROUTING },
	{ "<user@foreign.example@example.org>", .err = VG_PATH_E_SYNTAX, AT(21) },
	{ "user@foreign.example@example.org", .err = VG_PATH_E_SYNTAX, AT(20) },
	{ "<user@example.org.>", .local = "user", .domain = "example.org", .addr = "user@example.org",
	  .kind = NAME, .bits = TDOT },
	{ "<USER@EXAMPLE.ORG>", .local = "USER", .domain = "example.org", .addr = "USER@example.org", .kind = NAME },
	{ "<user@[192.0.2.1]>", .local = "user", .domain = "192.0.2.1", .addr = "user@[192.0.2.1]",
	  .kind = VG_DOM_IPV4 },
	{ "<user@[IPv6:2001:db8::1]>", .local = "user", .domain = "ipv6:2001:db8::1",
	  .addr = "user@[ipv6:2001:db8::1]", .kind = VG_DOM_IPV6 },
	{ "<user@[IPV6:2001:DB8::A]>", .local = "user", .domain = "ipv6:2001:db8::a",
	  .addr = "user@[ipv6:2001:db8::a]", .kind = VG_DOM_IPV6 },
	{ "<user@[IPv6:::ffff:192.0.2.1]>", .local = "user", .domain = "ipv6:::ffff:192.0.2.1",
	  .addr = "user@[ipv6:::ffff:192.0.2.1]", .kind = VG_DOM_IPV6 },
	{ "<user@[x-tag:Some/Content]>", .local = "user", .domain = "x-tag:Some/Content",
	  .addr = "user@[x-tag:Some/Content]", .kind = VG_DOM_GENERAL },
	{ "<user@foreign.example> NOTIFY=NEVER ORCPT=rfc822;x@y", .local = "user", .domain = "foreign.example",
	  .addr = "user@foreign.example", .kind = NAME, .params = "NOTIFY=NEVER ORCPT=rfc822;x@y" },
	{ "<user@foreign.example>   SIZE=10", .local = "user", .domain = "foreign.example",
	  .addr = "user@foreign.example", .kind = NAME, .params = "SIZE=10" },
	{ "<a@b.c>  ", .local = "a", .domain = "b.c", .addr = "a@b.c", .kind = NAME },
	{ "user@example.org", .local = "user", .domain = "example.org", .addr = "user@example.org",
	  .kind = NAME, .bits = BARE },
	{ "user@example.org SIZE=100", .local = "user", .domain = "example.org", .addr = "user@example.org",
	  .kind = NAME, .bits = BARE, .params = "SIZE=100" },
	{ "  <user@example.org>", .local = "user", .domain = "example.org", .addr = "user@example.org", .kind = NAME },
	{ "<a@b.c>", .flags = ST, .local = "a", .domain = "b.c", .addr = "a@b.c", .kind = NAME },
	{ "a@b.c", .flags = ST, .err = VG_PATH_E_BRACKETS, AT(0) },
	{ " a@b.c", .flags = ST, .err = VG_PATH_E_BRACKETS, AT(1) },

	/* null path, postmaster */
	{ "<>", .flags = R, .addr = "", .bits = ISNULL },
	{ "<> SIZE=100 BODY=8BITMIME", .flags = R, .addr = "", .bits = ISNULL, .params = "SIZE=100 BODY=8BITMIME" },
	{ "<>", .err = VG_PATH_E_NULL, AT(0) },
	{ " <> SIZE=100", .err = VG_PATH_E_NULL, AT(1) },
	{ "<>x", .flags = R, .err = VG_PATH_E_SYNTAX, AT(2) },
	{ "<postmaster>", .local = "postmaster", .domain = "", .addr = "postmaster", .kind = VG_DOM_NONE },
	{ "<PostMaster> NOTIFY=NEVER", .local = "PostMaster", .domain = "", .addr = "PostMaster",
	  .kind = VG_DOM_NONE, .params = "NOTIFY=NEVER" },
	{ "postmaster", .local = "postmaster", .domain = "", .addr = "postmaster", .kind = VG_DOM_NONE, .bits = BARE },
	{ "<postmaster>", .flags = R, .err = VG_PATH_E_SYNTAX, AT(11) },
	{ "<\"postmaster\">", .err = VG_PATH_E_SYNTAX, AT(13) },
	{ "<@example.org:postmaster>", .err = VG_PATH_E_SYNTAX, AT(24) },
	{ "<postmaster@example.org>", .local = "postmaster", .domain = "example.org",
	  .addr = "postmaster@example.org", .kind = NAME },
	{ "<user>", .err = VG_PATH_E_SYNTAX, AT(5) },
	{ "user", .err = VG_PATH_E_SYNTAX, AT(4) },

	/* local parts */
	{ "<!#$%&'*+-/=?^_`{|}~@x.org>", .local = "!#$%&'*+-/=?^_`{|}~", .domain = "x.org",
	  .addr = "!#$%&'*+-/=?^_`{|}~@x.org", .kind = NAME, .bits = ROUTING },
	{ "<first.last@x.org>", .local = "first.last", .domain = "x.org", .addr = "first.last@x.org", .kind = NAME },
	{ "<\"a\\\"b\"@x.org>", .local = "a\"b", .domain = "x.org", .addr = "\"a\\\"b\"@x.org",
	  .kind = NAME, .bits = QUOTED },
	{ "<\"a\\\\b\"@x.org>", .local = "a\\b", .domain = "x.org", .addr = "\"a\\\\b\"@x.org",
	  .kind = NAME, .bits = QUOTED },
	{ "<\"\\a\\b\\c\"@x.org>", .local = "abc", .domain = "x.org", .addr = "abc@x.org",
	  .kind = NAME, .bits = QUOTED },
	{ "<\"a b\"@x.org>", .local = "a b", .domain = "x.org", .addr = "\"a b\"@x.org", .kind = NAME, .bits = QUOTED },
	{ "\"a b\"@x.org SIZE=1", .local = "a b", .domain = "x.org", .addr = "\"a b\"@x.org", .kind = NAME,
	  .bits = QUOTED | BARE, .params = "SIZE=1" },
	{ "<\"a..b\"@x.org>", .local = "a..b", .domain = "x.org", .addr = "\"a..b\"@x.org", .kind = NAME, .bits = QUOTED },
	{ "<\".a\"@x.org>", .local = ".a", .domain = "x.org", .addr = "\".a\"@x.org", .kind = NAME, .bits = QUOTED },
	{ "<\"abc\"@x.org>", .local = "abc", .domain = "x.org", .addr = "abc@x.org", .kind = NAME, .bits = QUOTED },
	{ "<\"\"@x.org>", .local = "", .domain = "x.org", .addr = "\"\"@x.org", .kind = NAME, .bits = QUOTED },
	{ "<\"a>b\"@x.org>", .local = "a>b", .domain = "x.org", .addr = "\"a>b\"@x.org", .kind = NAME, .bits = QUOTED },
	{ "<.a@b.c>", .err = VG_PATH_E_LOCAL, AT(1) },
	{ "<a.@b.c>", .err = VG_PATH_E_LOCAL, AT(2) },
	{ "<a..b@c.d>", .err = VG_PATH_E_LOCAL, AT(3) },
	{ "<a b@c.d>", .err = VG_PATH_E_LOCAL, AT(2) },
	{ "< a@b.c>", .err = VG_PATH_E_LOCAL, AT(1) },
	{ "<a(b)@c.d>", .err = VG_PATH_E_LOCAL, AT(2) },
	{ "<@b.c>", .err = VG_PATH_E_ROUTE, AT(5) },

	/* quotes */
	{ "<\"user@example.org>", .err = VG_PATH_E_QUOTE, AT(1) },
	{ "\"user@example.org", .err = VG_PATH_E_QUOTE, AT(0) },
	{ "<user\"@example.org>", .err = VG_PATH_E_LOCAL, AT(5) },
	{ "<\"a\"b\"@x.org>", .err = VG_PATH_E_LOCAL, AT(4) },
	{ "<\"a\\\">", .err = VG_PATH_E_QUOTE, AT(1) },
	{ "<\"a\\", .err = VG_PATH_E_QUOTE, AT(1) },
	{ "<\"a\\\x01\"@x.org>", .err = VG_PATH_E_CTRL, AT(4) },
	{ "<\"a\x01\"@x.org>", .err = VG_PATH_E_CTRL, AT(3) },
	{ "<\"a\\\xc3\xbc\"@x.org>", .flags = U8, .err = VG_PATH_E_QUOTE, AT(4) },
	{ "<\"a\\\xc3\xbc\"@x.org>", .err = VG_PATH_E_8BIT, AT(4) },

	/* brackets */
	{ "<a@b.c", .err = VG_PATH_E_BRACKETS, AT(6) },
	{ "<a@b", .err = VG_PATH_E_BRACKETS, AT(4) },
	{ "a@b>", .err = VG_PATH_E_BRACKETS, AT(3) },
	{ "<<a@b.c>>", .err = VG_PATH_E_BRACKETS, AT(1) },
	{ "<a@b.c>>", .err = VG_PATH_E_BRACKETS, AT(7) },
	{ "<a<b@c.d>", .err = VG_PATH_E_BRACKETS, AT(2) },
	{ "<a@b<c.d>", .err = VG_PATH_E_BRACKETS, AT(4) },
	{ ">", .err = VG_PATH_E_BRACKETS, AT(0) },
	{ "<", .err = VG_PATH_E_BRACKETS, AT(1) },
	{ "<user@[192.0.2.1>", .err = VG_PATH_E_DOMAIN, AT(16) },
	{ "<user@[192.0.2.1", .err = VG_PATH_E_BRACKETS, AT(16) },
	{ "<>>", .flags = R, .err = VG_PATH_E_BRACKETS, AT(2) },
	{ "<a@b.c><", .err = VG_PATH_E_BRACKETS, AT(7) },
	{ "<a@b.c>x", .err = VG_PATH_E_SYNTAX, AT(7) },
	{ "<a@b.c> <d@e.f>", .local = "a", .domain = "b.c", .addr = "a@b.c", .kind = NAME, .params = "<d@e.f>" },

	/* domains */
	{ "<a@@b.c>", .err = VG_PATH_E_DOMAIN, AT(3) },
	{ "<a@-b.c>", .err = VG_PATH_E_DOMAIN, AT(3) },
	{ "<a@b-.c>", .err = VG_PATH_E_DOMAIN, AT(4) },
	{ "<a@b..c>", .err = VG_PATH_E_DOMAIN, AT(5) },
	{ "<a@b.c..>", .err = VG_PATH_E_DOMAIN, AT(7) },
	{ "<a@.b.c>", .err = VG_PATH_E_DOMAIN, AT(3) },
	{ "<a@b_c.d>", .err = VG_PATH_E_DOMAIN, AT(4) },
	{ "<a@b.-c>", .err = VG_PATH_E_DOMAIN, AT(5) },
	{ "<a@>", .err = VG_PATH_E_DOMAIN, AT(3) },
	{ "a@", .err = VG_PATH_E_DOMAIN, AT(2) },
	{ "<a@b c>", .err = VG_PATH_E_SYNTAX, AT(4) },
	{ "<a@b-c.x-y.z9>", .local = "a", .domain = "b-c.x-y.z9", .addr = "a@b-c.x-y.z9", .kind = NAME },
	{ "<a@192.0.2.1>", .local = "a", .domain = "192.0.2.1", .addr = "a@192.0.2.1", .kind = NAME },
	{ "<a@xn--bcher-kva.example>", .local = "a", .domain = "xn--bcher-kva.example",
	  .addr = "a@xn--bcher-kva.example", .kind = NAME },

	/* address literals */
	{ "<u@[999.1.1.1]>", .err = VG_PATH_E_DOMAIN, AT(4) },
	{ "<u@[256.1.1.1]>", .err = VG_PATH_E_DOMAIN, AT(4) },
	{ "<u@[1.2.3]>", .err = VG_PATH_E_DOMAIN, AT(4) },
	{ "<u@[1.2.3.4.5]>", .err = VG_PATH_E_DOMAIN, AT(4) },
	{ "<u@[01.2.3.4]>", .err = VG_PATH_E_DOMAIN, AT(4) },
	{ "<u@[1234.2.3.4]>", .err = VG_PATH_E_DOMAIN, AT(4) },
	{ "<u@[1..3.4]>", .err = VG_PATH_E_DOMAIN, AT(4) },
	{ "<u@[0.0.0.0]>", .local = "u", .domain = "0.0.0.0", .addr = "u@[0.0.0.0]", .kind = VG_DOM_IPV4 },
	{ "<u@[255.255.255.255]>", .local = "u", .domain = "255.255.255.255", .addr = "u@[255.255.255.255]",
	  .kind = VG_DOM_IPV4 },
	{ "<u@[IPv6:zz::]>", .err = VG_PATH_E_DOMAIN, AT(4) },
	{ "<u@[IPv6:]>", .err = VG_PATH_E_DOMAIN, AT(4) },
	{ "<u@[IPv6:1:2:3:4:5:6:7:8:9]>", .err = VG_PATH_E_DOMAIN, AT(4) },
	{ "<u@[IPv6:192.0.2.1]>", .err = VG_PATH_E_DOMAIN, AT(4) },
	{ "<u@[]>", .err = VG_PATH_E_DOMAIN, AT(4) },
	{ "<u@[tag-:x]>", .err = VG_PATH_E_DOMAIN, AT(4) },
	{ "<u@[tag:]>", .err = VG_PATH_E_DOMAIN, AT(4) },
	{ "<u@[:x]>", .err = VG_PATH_E_DOMAIN, AT(4) },
	{ "<u@[a b]>", .err = VG_PATH_E_DOMAIN, AT(5) },
	{ "<u@[a\\]b]>", .err = VG_PATH_E_DOMAIN, AT(5) },
	{ "<u@[1.2.3.4]x>", .err = VG_PATH_E_SYNTAX, AT(12) },
	{ "<u@[1.2.3.4] >", .err = VG_PATH_E_SYNTAX, AT(12) },

	/* source routes */
	{ "<@a>", .err = VG_PATH_E_ROUTE, AT(3) },
	{ "<@:a@b.c>", .err = VG_PATH_E_ROUTE, AT(2) },
	{ "<@a,b:c@d.e>", .err = VG_PATH_E_ROUTE, AT(4) },
	{ "<@a;@b:c@d.e>", .err = VG_PATH_E_ROUTE, AT(3) },
	{ "<@[192.0.2.1]:c@d.e>", .err = VG_PATH_E_ROUTE, AT(2) },
	{ "<@-a:c@d.e>", .err = VG_PATH_E_ROUTE, AT(2) },
	{ "<@a,:c@d.e>", .err = VG_PATH_E_ROUTE, AT(4) },
	{ "<@a:>", .err = VG_PATH_E_LOCAL, AT(4) },
	{ "<@a", .err = VG_PATH_E_BRACKETS, AT(3) },
	{ "@a.example:u@b.example", .local = "u", .domain = "b.example", .addr = "u@b.example", .kind = NAME,
	  .hops = 1, .bits = BARE },

	/* control characters (NUL needs an explicit length) */
	{ "<a\0b@c.d>", 9, .err = VG_PATH_E_CTRL, AT(2) },
	{ "<a@b\0.c>", 8, .err = VG_PATH_E_CTRL, AT(4) },
	{ "<a@b.c>\0", 8, .err = VG_PATH_E_CTRL, AT(7) },
	{ "<a@b.c> SIZE=1\0", 15, .err = VG_PATH_E_CTRL, AT(14) },
	{ "\0", 1, .err = VG_PATH_E_CTRL, AT(0) },
	{ "<a@b.c\r\n>", .err = VG_PATH_E_CTRL, AT(6) },
	{ "<a\r\n@b.c>", .err = VG_PATH_E_CTRL, AT(2) },
	{ "<a@b.c>\r\n", .err = VG_PATH_E_CTRL, AT(7) },
	{ "a@b.c\r\nRCPT TO:<x@y.z>", .err = VG_PATH_E_CTRL, AT(5) },
	{ "<a@b.c> SIZE=1\r\nRSET", .err = VG_PATH_E_CTRL, AT(14) },
	{ "<a@b.c>\tSIZE=1", .err = VG_PATH_E_CTRL, AT(7) },
	{ "\t<a@b.c>", .err = VG_PATH_E_CTRL, AT(0) },
	{ "<a\x7f@b.c>", .err = VG_PATH_E_CTRL, AT(2) },
	{ "<a@[1.2.3.4\x01]>", .err = VG_PATH_E_CTRL, AT(11) },

	/* 8-bit and SMTPUTF8 */
	{ "<\xc3\xbc@x.org>", .err = VG_PATH_E_8BIT, AT(1) },
	{ "<u@b\xc3\xbc.org>", .err = VG_PATH_E_8BIT, AT(4) },
	{ "<u@\xc3\xbc.org>", .err = VG_PATH_E_8BIT, AT(3) },
	{ "<\"\xc3\xbc\"@x.org>", .err = VG_PATH_E_8BIT, AT(2) },
	{ "<\xc3\xbc@x.org>", .flags = U8, .local = "\xc3\xbc", .domain = "x.org", .addr = "\xc3\xbc@x.org", .kind = NAME },
	{ "<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a>", .flags = U8,
	  .local = "\xe7\x94\xa8\xe6\x88\xb7", .domain = "\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a",
	  .addr = "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a", .kind = NAME },
	{ "<J\xc3\x9cRGEN@B\xc3\x9c\x43HER.Example>", .flags = U8, .local = "J\xc3\x9cRGEN",
	  .domain = "b\xc3\x9c\x63her.example", .addr = "J\xc3\x9cRGEN@b\xc3\x9c\x63her.example", .kind = NAME },
	{ "<\"a \xc3\xbc\"@x.org>", .flags = U8, .local = "a \xc3\xbc", .domain = "x.org",
	  .addr = "\"a \xc3\xbc\"@x.org", .kind = NAME, .bits = QUOTED },
	{ "<u@x.org> ORCPT=utf-8;\xc3\xbc@x.org", .local = "u", .domain = "x.org", .addr = "u@x.org", .kind = NAME,
	  .params = "ORCPT=utf-8;\xc3\xbc@x.org" },
	{ "<u\xf0\x9f\x98\x80@x.org>", .flags = U8, .local = "u\xf0\x9f\x98\x80", .domain = "x.org",
	  .addr = "u\xf0\x9f\x98\x80@x.org", .kind = NAME },
	{ "<\xc3@x.org>", .flags = U8, .err = VG_PATH_E_8BIT, AT(1) },
	{ "<\xbc@x.org>", .flags = U8, .err = VG_PATH_E_8BIT, AT(1) },
	{ "<\xc0\xaf@x.org>", .flags = U8, .err = VG_PATH_E_8BIT, AT(1) },
	{ "<\xc1\xbf@x.org>", .flags = U8, .err = VG_PATH_E_8BIT, AT(1) },
	{ "<\xe0\x80\xaf@x.org>", .flags = U8, .err = VG_PATH_E_8BIT, AT(1) },
	{ "<\xed\xa0\x80@x.org>", .flags = U8, .err = VG_PATH_E_8BIT, AT(1) },
	{ "<\xf0\x80\x80\xaf@x.org>", .flags = U8, .err = VG_PATH_E_8BIT, AT(1) },
	{ "<\xf4\x90\x80\x80@x.org>", .flags = U8, .err = VG_PATH_E_8BIT, AT(1) },
	{ "<\xf5\x80\x80\x80@x.org>", .flags = U8, .err = VG_PATH_E_8BIT, AT(1) },
	{ "<\xff@x.org>", .flags = U8, .err = VG_PATH_E_8BIT, AT(1) },
	{ "<a\xe4\xb8@x.org>", .flags = U8, .err = VG_PATH_E_8BIT, AT(2) },
	{ "<u@x\xe4\xb8", .flags = U8, .err = VG_PATH_E_8BIT, AT(4) },
	{ "<u@x.org\xc3\xbc>", .flags = U8, .local = "u", .domain = "x.org\xc3\xbc", .addr = "u@x.org\xc3\xbc",
	  .kind = NAME },
	{ "<\xc2\x85@x.org>", .flags = U8, .err = VG_PATH_E_CTRL, AT(1) },
	{ "<u@[\xc3\xbc]>", .flags = U8, .err = VG_PATH_E_DOMAIN, AT(4) },
	{ "<u@[\xc3\xbc]>", .err = VG_PATH_E_8BIT, AT(4) },
	{ "<u@x.org>\xc3\xbc", .flags = U8, .err = VG_PATH_E_SYNTAX, AT(9) },

	/* empty */
	{ "", .err = VG_PATH_E_EMPTY, AT(0) },
	{ "   ", .err = VG_PATH_E_EMPTY, AT(3) },
};

/** Render an input for a test name: printable ASCII as is, other bytes as \xNN, at most ~60 bytes. */
static const char *show(const char *in, size_t len)
{
	static char buf[80];
	size_t i, n = 0;
	const char *hex = "0123456789abcdef";

	for (i = 0; i < len && n + 8 < sizeof(buf); i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			buf[n++] = (char)c;
		} else {
			buf[n++] = '\\';
			buf[n++] = 'x';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 15];
		}
	}
	if (i < len) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/**
 * Parse "<addr>" of an accepted result again with the same flags: it must be
 * accepted and give the same canonical address.
 */
static void check_reparse(const struct tcase *tc, const struct vg_path *p, const char *name)
{
	char in[sizeof(p->addr) + 2];
	size_t n = strlen(p->addr);
	struct vg_path again;

	if (p->is_null || p->domain_kind == VG_DOM_NONE)
		return;
	in[0] = '<';
	memcpy(in + 1, p->addr, n);
	in[n + 1] = '>';
	if (!tap_ok(vg_path_parse(in, n + 2, tc->flags, &again) == VG_PATH_OK, "%s: canonical form parses", name))
		return;
	tap_is(again.addr, p->addr, "canonical form is stable");
}

/** Run one case on in[0..len), copied into a heap buffer of exactly len bytes. */
static void run(const struct tcase *tc, const char *in, size_t len)
{
	struct vg_path p;
	enum vg_path_err err;
	char *buf = malloc(len > 0 ? len : 1);
	char name[120];
	unsigned bits;

	if (buf == NULL) {
		tap_ok(0, "malloc");
		return;
	}
	memcpy(buf, in, len);
	snprintf(name, sizeof(name), "[%s] flags=%u", show(in, len), tc->flags);
	memset(&p, 0x5a, sizeof(p));
	err = vg_path_parse(buf, len, tc->flags, &p);
	free(buf);
	if (!tap_ok(err == tc->err && p.err == err, "%s: %s", name, vg_path_strerror(tc->err))) {
		tap_diag("got %d (%s) at %zu, want %d", (int)err, vg_path_strerror(err), p.err_pos, (int)tc->err);
		return;
	}
	if (err != VG_PATH_OK) {
		if (tc->err_pos1 != 0 && !tap_ok(p.err_pos == tc->err_pos1 - 1, "%s: err_pos %zu", name, tc->err_pos1 - 1))
			tap_diag("got err_pos %zu", p.err_pos);
		tap_ok(p.addr[0] == '\0' && p.local[0] == '\0' && p.domain[0] == '\0' && p.params_off == len,
		    "%s: result cleared on error", name);
		return;
	}
	tap_is(p.local, tc->local ? tc->local : "", "local");
	tap_is(p.domain, tc->domain ? tc->domain : "", "domain");
	tap_is(p.addr, tc->addr, "addr");
	bits = (p.local_quoted ? QUOTED : 0) | (p.local_routing ? ROUTING : 0) | (p.trailing_dot ? TDOT : 0) |
	    (p.is_null ? ISNULL : 0) | (p.bracketed ? 0 : BARE);
	if (!tap_ok(p.domain_kind == tc->kind && bits == tc->bits && p.route_hops == tc->hops,
	    "kind, flags, route hops"))
		tap_diag("got kind %d bits %#x hops %d, want kind %d bits %#x hops %d", (int)p.domain_kind, bits,
		    p.route_hops, (int)tc->kind, tc->bits, tc->hops);
	if (tc->params != NULL) {
		tap_ok(p.params_off <= len, "params_off in range");
		if (p.params_off <= len) {
			/* every case with parameters is NUL-terminated */
			tap_is(in + p.params_off, tc->params, "params");
		}
	} else if (!tap_ok(p.params_off == len, "no params"))
		tap_diag("params_off %zu, length %zu", p.params_off, len);
	check_reparse(tc, &p, name);
}

/** Build prefix, then n bytes of fill, then suffix, in a malloc'd buffer; *lenp gets the length. */
static char *build(const char *prefix, const char *fill, size_t n, const char *suffix, size_t *lenp)
{
	size_t lp = strlen(prefix), lf = strlen(fill), ls = strlen(suffix), i;
	char *s = malloc(lp + n + ls + 1);

	if (s == NULL) {
		perror("malloc");
		exit(1);
	}
	memcpy(s, prefix, lp);
	for (i = 0; i < n; i++)
		s[lp + i] = fill[i % lf];
	memcpy(s + lp + n, suffix, ls + 1);
	*lenp = lp + n + ls;
	return s;
}

/** Run a case on a built input. */
static void run_built(struct tcase tc, const char *prefix, const char *fill, size_t n, const char *suffix)
{
	size_t len;
	char *in = build(prefix, fill, n, suffix, &len);

	tc.in = in;
	run(&tc, in, len);
	free(in);
}

/** The length limits of RFC 5321 4.5.3.1, at and just past each limit, and huge arguments. */
static void test_lengths(void)
{
	/* a domain fill whose labels are 50 bytes and whose byte 252, 253 and 256 are not a dot */
	const char *dom = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.";
	char local64[65], label63[64], d252[253], want[400], want_dom[100];
	size_t i;

	memset(local64, 'a', 64);
	local64[64] = '\0';
	memset(label63, 'b', 63);
	label63[63] = '\0';
	for (i = 0; i < 252; i++)
		d252[i] = dom[i % 51];
	d252[252] = '\0';

	/* local part: 64 fine, 65 too long, also quoted */
	snprintf(want, sizeof(want), "%s@x.org", local64);
	run_built((struct tcase){ .local = local64, .domain = "x.org", .addr = want, .kind = NAME },
	    "<", "a", 64, "@x.org>");
	run_built((struct tcase){ .err = VG_PATH_E_TOOLONG, AT(65) }, "<", "a", 65, "@x.org>");
	run_built((struct tcase){ .local = local64 + 2, .domain = "x.org", .addr = want + 2, .kind = NAME,
	    .bits = QUOTED }, "<\"", "a", 62, "\"@x.org>");
	run_built((struct tcase){ .err = VG_PATH_E_TOOLONG, AT(65) }, "<\"", "a", 63, "\"@x.org>");
	run_built((struct tcase){ .err = VG_PATH_E_TOOLONG, AT(65) }, "<\"", "a", 62, "\\a\"@x.org>");

	/* label: 63 fine, 64 bad */
	snprintf(want_dom, sizeof(want_dom), "%s.org", label63);
	snprintf(want, sizeof(want), "a@%s", want_dom);
	run_built((struct tcase){ .local = "a", .domain = want_dom, .addr = want, .kind = NAME }, "<a@", "b", 63,
	    ".org>");
	run_built((struct tcase){ .err = VG_PATH_E_DOMAIN, AT(66) }, "<a@", "b", 64, ".org>");

	/* path: 256 fine (local 1, domain 252), 257 too long; bare counts the brackets too */
	snprintf(want, sizeof(want), "a@%s", d252);
	run_built((struct tcase){ .local = "a", .domain = d252, .addr = want, .kind = NAME }, "<a@", dom, 252, ">");
	run_built((struct tcase){ .local = "a", .domain = d252, .addr = want, .kind = NAME, .bits = BARE },
	    "a@", dom, 252, "");
	run_built((struct tcase){ .err = VG_PATH_E_TOOLONG, AT(256) }, "<a@", dom, 253, ">");
	run_built((struct tcase){ .err = VG_PATH_E_TOOLONG, AT(254) }, "a@", dom, 253, "");
	run_built((struct tcase){ .err = VG_PATH_E_TOOLONG, AT(256) }, "<a@", dom, 252, ".>");

	/* domain: 255 is a path too long, 256 a domain too long */
	run_built((struct tcase){ .err = VG_PATH_E_TOOLONG, AT(256) }, "<a@", dom, 255, ">");
	run_built((struct tcase){ .err = VG_PATH_E_TOOLONG, AT(258) }, "<a@", dom, 256, ">");
	/* a literal counts its brackets against the domain limit */
	run_built((struct tcase){ .err = VG_PATH_E_TOOLONG, AT(256) }, "<u@[x:", "y", 250, "]>");
	run_built((struct tcase){ .err = VG_PATH_E_TOOLONG, AT(257) }, "<u@[x:", "y", 1000, "]>");

	/* source routes add up */
	run_built((struct tcase){ .err = VG_PATH_E_TOOLONG, AT(256) }, "<", "@a,", 10000, "@b:u@x.org>");

	/* 10 kB */
	run_built((struct tcase){ .err = VG_PATH_E_TOOLONG, AT(258) }, "<a@", dom, 10240, ">");
	run_built((struct tcase){ .err = VG_PATH_E_TOOLONG, AT(65) }, "<", "a", 10240, "@x.org>");
	run_built((struct tcase){ .err = VG_PATH_E_TOOLONG, AT(65) }, "<\"", "a", 10240, "");

	/* 1 MB */
	run_built((struct tcase){ .err = VG_PATH_E_TOOLONG, AT(65) }, "<", "a", 1 << 20, "@x.org>");
	run_built((struct tcase){ .err = VG_PATH_E_TOOLONG, AT(258) }, "<u@", dom, 1 << 20, ">");
	run_built((struct tcase){ .err = VG_PATH_E_DOMAIN, AT(66) }, "<u@", "b", 1 << 20, ">");
	run_built((struct tcase){ .err = VG_PATH_E_TOOLONG, AT(256) }, "<", "@a,", 1 << 20, "");
	run_built((struct tcase){ .local = "u", .domain = "x.org", .addr = "u@x.org", .kind = NAME },
	    "", " ", 1 << 20, "<u@x.org>");
	{
		/* 1 MB of parameters: accepted, the parameters start after the path */
		size_t len;
		char *in = build("<u@x.org> ", "X", 1 << 20, "", &len);
		struct vg_path p;

		tap_ok(vg_path_parse(in, len, 0, &p) == VG_PATH_OK && p.params_off == 10,
		    "1 MB of parameters: accepted, params_off 10");
		in[len - 1] = '\n';
		tap_ok(vg_path_parse(in, len, 0, &p) == VG_PATH_E_CTRL && p.err_pos == len - 1,
		    "1 MB of parameters ending in LF: control character at the end");
		free(in);
	}
}

/** vg_path_strerror gives a non-empty string for every code, known or not. */
static void test_strerror(void)
{
	int e, ok = 1;
	const char *s;

	for (e = VG_PATH_OK; e <= VG_PATH_E_CTRL + 1; e++) {
		s = vg_path_strerror((enum vg_path_err)e);
		if (s == NULL || *s == '\0') {
			ok = 0;
			tap_diag("no text for %d", e);
		}
	}
	tap_ok(ok, "vg_path_strerror has text for every code");
	tap_ok(strcmp(vg_path_strerror(VG_PATH_E_TOOLONG), vg_path_strerror(VG_PATH_E_CTRL)) != 0,
	    "vg_path_strerror tells codes apart");
}

/** A NULL argument is empty, never a crash. */
static void test_null_arg(void)
{
	struct vg_path p;

	tap_ok(vg_path_parse(NULL, 10, 0, &p) == VG_PATH_E_EMPTY, "NULL argument is empty");
}

/** Run the case table, the length tests and the small API checks; TAP on stdout. */
int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run(&cases[i], cases[i].in, cases[i].len ? cases[i].len : strlen(cases[i].in));
	test_lengths();
	test_strerror();
	test_null_arg();
	return tap_done();
}
