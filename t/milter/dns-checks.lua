-- t/milter/dns-checks.lua -- the DNS-based checks at the callback level, run
-- by t/milter.t against a vigie with the shipped mail-stage rules and the
-- test DNS world (t/dns/): each check's reply comes at RCPT (rejections
-- found at CONNECT/HELO/MAIL are delayed), postmaster stays reachable,
-- allowlisted, trusted and authenticated clients pass.
dofile(LIB)

-- session(ip, helo, sender, mail_macros, {{rcpt, want, desc}, ...})
local function session(ip, helo, sender, macros, rcpts)
	local conn = T.conn(ip)
	T.helo(conn, helo)
	T.mail(conn, sender, macros)
	for _, r in ipairs(rcpts) do
		T.rcpt(conn, r[2], r[3], { r[1] })
	end
	mt.disconnect(conn)
end

local LISTED = "554 5.7.1 Service unavailable; client [192.0.2.31] blocked using bl.test"
session("192.0.2.31", "client.example.net", "<a@clean.test>", nil, {
	{ "<user@example.org>", LISTED, "listed client" },
	{ "<postmaster@example.org>", "continue", "listed client to postmaster" },
	{ "<other@example.org>", LISTED, "listed client, next recipient" },
})
session("192.0.2.31", "client.example.net", "<alice@example.org>", { "{auth_authen}", "alice@example.org" }, {
	{ "<user@foreign.example>", "continue", "listed but authenticated: relays" },
})
session("192.0.2.36", "client.example.net", "<a@clean.test>", nil, {
	{ "<user@example.org>", "continue", "listed and allowlisted" },
})
session("2001:db8::30", "client.example.net", "<a@clean.test>", nil, {
	{ "<user@example.org>", "554 5.7.1 Service unavailable; client [2001:db8::30] blocked using bl.test",
	  "IPv6 listed client" },
})
session("192.0.2.33", "client.example.net", "<a@clean.test>", nil, {
	{ "<user@example.org>", "451 4.4.3 DNS list lookup failed, try again later",
	  "a list answering 127.255.255.254: tempfail, not a listing" },
})
session("192.0.2.10", "mx.example.org", "<a@clean.test>", nil, {
	{ "<user@example.org>", "550 5.7.1 <mx.example.org>: Helo command rejected: you are not me", "HELO claims to be us" },
	{ "<postmaster@example.org>", "continue", "HELO claims to be us, to postmaster" },
})
session("127.0.0.1", "mx.example.org", "<a@example.org>", nil, {
	{ "<user@example.org>", "continue", "trusted client may say it is us" },
})
session("192.0.2.10", "[192.0.2.10]", "<a@clean.test>", nil, {
	{ "<user@example.org>", "continue", "HELO literal of the client" },
})
session("192.0.2.10", "[192.0.2.11]", "<a@clean.test>", nil, {
	{ "<user@example.org>", "550 5.7.1 <[192.0.2.11]>: Helo command rejected: address literal is not your address",
	  "HELO literal of another address" },
})
session("192.0.2.10", "bad..name", "<a@clean.test>", nil, {
	{ "<user@example.org>", "504 5.5.2 <bad..name>: Helo command rejected: invalid host name", "invalid HELO" },
})
session("192.0.2.40", "spammer.test", "<a@clean.test>", nil, {
	{ "<user@example.org>", "554 5.7.1 Service unavailable; helo domain blocked using rhs.test", "HELO domain listed" },
})
session("192.0.2.10", "mail.good.test", "<someone@spammer.test>", nil, {
	{ "<user@example.org>", "554 5.7.1 Service unavailable; sender domain blocked using rhs.test", "sender domain listed" },
})
session("192.0.2.12", "nonexistent.good.test", "<a@clean.test>", nil, {
	{ "<user@example.org>", "continue", "no rDNS, HELO not found: warned only" },
})
-- The same client again: answers now come from the shared cache.
session("192.0.2.31", "client.example.net", "<a@clean.test>", nil, {
	{ "<user@example.org>", LISTED, "listed client, second connection" },
})
T.done()
