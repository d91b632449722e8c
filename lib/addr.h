/**
 * @file addr.h
 * RFC 5321 Path / Reverse-path parser for MAIL FROM and RCPT TO arguments.
 *
 * The parser never allocates and never writes past the fixed buffers in
 * struct vg_path: every component that would not fit is a VG_PATH_E_TOOLONG
 * error.  Input is hostile; any byte value may occur.
 */
#ifndef VIGIE_ADDR_H
#define VIGIE_ADDR_H

#include <stddef.h>

#define VG_LOCAL_MAX   64   /**< RFC 5321 4.5.3.1.1: local-part octets */
#define VG_DOMAIN_MAX  255  /**< RFC 5321 4.5.3.1.2: domain octets */
#define VG_PATH_MAX    256  /**< RFC 5321 4.5.3.1.3: path octets, brackets included */

/** Parser flags. */
#define VG_PATH_REVERSE   0x01 /**< MAIL FROM: the null path "<>" is valid */
#define VG_PATH_SMTPUTF8  0x02 /**< SMTPUTF8 given: UTF-8 in local part and domain is valid */
#define VG_PATH_STRICT    0x04 /**< require the angle brackets (default: tolerate their absence, like Postfix) */

/** Kind of the domain part. */
enum vg_domain_kind {
	VG_DOM_NONE = 0,  /**< no domain ("<postmaster>", or the null path) */
	VG_DOM_NAME,      /**< a domain name (maybe UTF-8 with SMTPUTF8) */
	VG_DOM_IPV4,      /**< [192.0.2.1] */
	VG_DOM_IPV6,      /**< [IPv6:2001:db8::1] */
	VG_DOM_GENERAL    /**< [tag:content], a General-address-literal */
};

/** Parse errors; VG_PATH_OK is 0. */
enum vg_path_err {
	VG_PATH_OK = 0,
	VG_PATH_E_EMPTY,       /**< nothing at all */
	VG_PATH_E_NULL,        /**< "<>" where a null path is not allowed (RCPT) */
	VG_PATH_E_SYNTAX,      /**< not an RFC 5321 path */
	VG_PATH_E_BRACKETS,    /**< unbalanced or missing angle brackets */
	VG_PATH_E_QUOTE,       /**< unterminated quoted string, bad quoted-pair */
	VG_PATH_E_LOCAL,       /**< bad local part */
	VG_PATH_E_DOMAIN,      /**< bad domain or address literal */
	VG_PATH_E_ROUTE,       /**< bad source route (A-d-l) */
	VG_PATH_E_TOOLONG,     /**< a length limit of RFC 5321 4.5.3.1 exceeded */
	VG_PATH_E_8BIT,        /**< non-ASCII byte without SMTPUTF8, or invalid UTF-8 */
	VG_PATH_E_CTRL         /**< NUL or another control character */
};

/** A parsed path.  All strings are NUL-terminated. */
struct vg_path {
	int is_null;        /**< the null reverse-path "<>" */
	int bracketed;      /**< the argument had angle brackets */
	int route_hops;     /**< number of A-d-l source-route hops ("@a,@b:") that were given and are ignored */
	char local[VG_LOCAL_MAX + 1];   /**< local part, dequoted (quoted-pairs resolved, quotes removed) */
	int local_quoted;   /**< local part was a Quoted-string */
	int local_routing;  /**< dequoted local part contains '%', '!' or '@': sender-specified routing */
	char domain[VG_DOMAIN_MAX + 1]; /**< domain, lower-cased (ASCII only), one trailing dot removed;
	                                     for literals the text between the brackets, e.g. "192.0.2.1" or "ipv6:2001:db8::1" */
	enum vg_domain_kind domain_kind;
	int trailing_dot;   /**< the domain ended with a '.' that was removed */
	char addr[VG_LOCAL_MAX + 1 + VG_DOMAIN_MAX + 1]; /**< canonical "local@domain" (local re-quoted if needed), "" for null */
	size_t params_off;  /**< offset in the input where ESMTP parameters start (after the path and spaces); == input length if none */
	enum vg_path_err err;   /**< why parsing failed */
	size_t err_pos;         /**< byte offset in the input where the error was found */
};

/**
 * Parse one MAIL FROM or RCPT TO argument (the text after "MAIL FROM:" /
 * "RCPT TO:", maybe followed by ESMTP parameters).
 * @param arg   the argument; need not be NUL-terminated
 * @param len   its length in bytes (embedded NULs are a VG_PATH_E_CTRL error)
 * @param flags VG_PATH_* flags
 * @param out   filled in; on error out->err and out->err_pos are set
 * @return VG_PATH_OK (0) or the error code
 */
enum vg_path_err vg_path_parse(const char *arg, size_t len, unsigned flags, struct vg_path *out);

/** Short English description of an error code (static string). */
const char *vg_path_strerror(enum vg_path_err err);

#endif
