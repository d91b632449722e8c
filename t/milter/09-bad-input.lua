-- t/milter/09-bad-input.lua -- hostile input that fits miltertest's 1 kB
-- buffers: 8-bit and control bytes, unbalanced quotes and brackets, paths
-- over the RFC 5321 limits.  Every malformed recipient gets 501 5.1.3,
-- the log shows no raw control or 8-bit byte, and vigie keeps serving.
-- (10 kB arguments, which miltertest cannot send, are in t/milter.t.)
dofile(LIB)

local long_local = string.rep("a", 65)            -- local part limit is 64
local long_label = string.rep("b", 64)            -- label limit is 63
local long_domain = string.rep("c", 61) .. "." .. string.rep("d", 60) .. "." ..
                    string.rep("e", 60) .. "." .. string.rep("f", 60) ..
                    ".example.org"                -- 256 octets > 255
local long_path = string.rep("p", 64) .. "@" .. string.rep("q", 60) .. "." ..
                  string.rep("r", 60) .. "." .. string.rep("s", 60) .. ".example.org"

local syntax = {
	"<user@example.org",
	"user@example.org>",
	"<<user@example.org>",
	"<user@example.org>>",
	"<\"user@example.org>",
	"<\"user\"@example.org",
	"<\"us\"er\"@example.org>",
	"<us\"er@example.org>",
	"<\"user\\\"@example.org>",
	"<user@[192.0.2.25>",
	"<user@192.0.2.25]>",
	"<user@[300.0.2.25]>",
	"<user@[IPv6:2001:db8::zz]>",
	"<user@>",
	"<@example.org>",
	"<user@@example.org>",
	"<user@exa mple.org>",
	"<us er@example.org>",
	"<user@example..org>",
	"<.user@example.org>",
	"<user.@example.org>",
	"<user@.example.org>",
	"",
	"<>",
	"<\"\">",
	"<us\xE9r@example.org>",              -- Latin-1, no SMTPUTF8
	"<us\xC3\xA9r@example.org>",          -- UTF-8, no SMTPUTF8
	"<user@ex\xC3\xA4mple.org>",
	"<us\1er@example.org>",
	"<user@example.org\127>",
	"<us\ter@example.org>",
	"<user@example.org\r\n>",
	"<" .. long_local .. "@example.org>",
	"<user@" .. long_label .. ".example.org>",
	"<user@" .. long_domain .. ">",
	"<" .. long_path .. ">",
	"<\xFF\xFE\xFD@\xFF.org>",
}

local conn = T.conn("192.0.2.10")
T.helo(conn, "client.example.net")
T.mail(conn, "<sender@client.example.net>")
local pos = T.logpos()
for _, r in ipairs(syntax) do
	T.rcpt(conn, BAD_SYNTAX, "RCPT " .. r, { r })
	-- A good recipient right after each bad one still works.
	mt.rcptto(conn, "<user@example.org>")
	T.ok(mt.getreply(conn) == SMFIR_CONTINUE,
	     "RCPT <user@example.org> right after RCPT " .. r .. " continues",
	     "got " .. T.rname(mt.getreply(conn)))
end

-- Nothing but printable ASCII reached the log.
local text = T.lognew(pos)
local raw = text:gsub("\n", ""):match("[^\32-\126]")
T.ok(text ~= "" and raw == nil, "log lines hold printable ASCII only",
     raw and ("found byte " .. string.format("0x%02X", raw:byte())))
mt.disconnect(conn)

-- 8-bit and control bytes in HELO and MAIL FROM: decisions still made,
-- logged with '?' in place of the bytes.
do
	local conn2 = T.conn("192.0.2.10")
	T.helo(conn2, "bad\1helo\xFF.example")
	T.mail(conn2, "<s\xE9nder\2@client.example.net>")
	local p = T.logpos()
	T.rcpt(conn2, "continue", "8-bit HELO and MAIL: RCPT <user@example.org>",
	       { "<user@example.org>" })
	T.rcpt(conn2, RELAY_DENIED, "8-bit HELO and MAIL: RCPT <user@foreign.example>",
	       { "<user@foreign.example>" })
	local line = T.logwait_for(p, { "RCPT from" })
	T.ok(line ~= nil and line:find("helo=<bad?helo?.example>", 1, true) ~= nil,
	     "8-bit HELO is logged as helo=<bad?helo?.example>", line or "no decision line")
	T.ok(line ~= nil and not line:match("[^\32-\126]"),
	     "decision line is printable ASCII", line or "no decision line")
	mt.disconnect(conn2)
end

-- Malformed MAIL FROM: the RCPT decision is still made (relay first).
for _, s in ipairs({ "<sender@client.example.net", "<>", "sender", "<\"unterminated@x>",
                     "<s\xE9nder@client.example.net>", "" }) do
	local c = T.conn("192.0.2.10")
	T.helo(c, "client.example.net")
	T.mail(c, s)
	T.rcpt(c, RELAY_DENIED, "MAIL " .. s .. ": RCPT <user@foreign.example>",
	       { "<user@foreign.example>" })
	mt.disconnect(c)
end

-- Long but legal: 1000-byte HELO, 64-octet local part, a 240-octet domain
-- (a path may have 256 octets, brackets included).
do
	local c = T.conn("192.0.2.10")
	T.helo(c, string.rep("h", 990) .. ".example")
	T.mail(c, "<sender@client.example.net>")
	T.rcpt(c, "continue", "1000-byte HELO: RCPT <user@example.org>", { "<user@example.org>" })
	T.rcpt(c, "continue", "64-octet local part: accepted",
	       { "<" .. string.rep("a", 64) .. "@example.org>" })
	T.rcpt(c, RELAY_DENIED, "foreign 240-octet domain: 554",
	       { "<user@" .. string.rep("g", 63) .. "." .. string.rep("h", 63) .. "." ..
	         string.rep("i", 63) .. "." .. string.rep("j", 40) .. ".example>" })
	mt.disconnect(c)
end

T.done()
