-- t/milter/03-relay-tricks.lua -- recipient forms that try to relay through
-- us from a client that may not relay: each gets a 5xx.
-- Sender-specified routing (%, !, quoted local parts with @ % !, source
-- routes ending at a foreign mailbox) is denied with 554 5.7.1; forms that
-- are not RFC 5321 paths get 501 5.1.3.
dofile(LIB)

local cases = {
	-- percent hack and bang paths
	{ "<user%foreign.example@example.org>", RELAY_DENIED },
	{ "<user%foreign.example@backup.example.net>", RELAY_DENIED },
	{ "<USER%FOREIGN.EXAMPLE@EXAMPLE.ORG>", RELAY_DENIED },
	{ "<user%foreign.example@example.org.>", RELAY_DENIED },
	{ "<user%foreign.example%example.org@example.org>", RELAY_DENIED },
	{ "<user%example.org@example.org>", RELAY_DENIED },
	{ "<foreign.example!user@example.org>", RELAY_DENIED },
	{ "<foreign.example!user@backup.example.net>", RELAY_DENIED },
	{ "<a.example!b.example!user@example.org>", RELAY_DENIED },
	-- quoted local parts that hide routing
	{ "<\"user@foreign.example\"@example.org>", RELAY_DENIED },
	{ "<\"user%foreign.example\"@example.org>", RELAY_DENIED },
	{ "<\"foreign.example!user\"@example.org>", RELAY_DENIED },
	{ "<\"user\\@foreign.example\"@example.org>", RELAY_DENIED },
	{ "<\"user\\%foreign.example\"@example.org>", RELAY_DENIED },
	-- source routes whose final mailbox is foreign
	{ "<@example.org:user@foreign.example>", RELAY_DENIED },
	{ "<@example.org,@backup.example.net:user@foreign.example>", RELAY_DENIED },
	-- foreign domains in other shapes
	{ "user@foreign.example", RELAY_DENIED },
	{ "<user@foreign.example.>", RELAY_DENIED },
	{ "<user@sub.example.org>", RELAY_DENIED },
	{ "<user@example.org.foreign.example>", RELAY_DENIED },
	{ "<user@xexample.org>", RELAY_DENIED },
	{ "<user@sub.backup.example.net>", RELAY_DENIED },
	-- address literals that are not ours (our_addresses is 192.0.2.25)
	{ "<user@[192.0.2.99]>", RELAY_DENIED },
	{ "<user@[127.0.0.1]>", RELAY_DENIED },
	{ "<user@[IPv6:2001:db8::99]>", RELAY_DENIED },
	{ "<user%foreign.example@[192.0.2.25]>", RELAY_DENIED },
	-- ESMTP parameters do not change where the mail goes
	{ { "<user@foreign.example>", "NOTIFY=NEVER" }, RELAY_DENIED },
	{ { "<user@foreign.example>", "ORCPT=rfc822;user@example.org" }, RELAY_DENIED },
	{ { "<user%foreign.example@example.org>", "NOTIFY=SUCCESS,FAILURE" }, RELAY_DENIED },
	-- not RFC 5321 paths
	{ "<user@foreign.example@example.org>", BAD_SYNTAX },
	{ "<user@example.org@foreign.example>", BAD_SYNTAX },
	{ "<>", BAD_SYNTAX },
	{ "<<user@foreign.example>>", BAD_SYNTAX },
	{ "<@example.org:>", BAD_SYNTAX },
	{ "<@foreign.example:@example.org>", BAD_SYNTAX },
}

local conn = T.conn("192.0.2.10")
T.helo(conn, "client.example.net")
T.mail(conn, "<sender@client.example.net>")
for _, c in ipairs(cases) do
	local args = c[1]
	if type(args) == "string" then args = { args } end
	T.rcpt(conn, c[2], "untrusted: RCPT " .. table.concat(args, " "), args)
end
mt.disconnect(conn)

-- The same forms from a trusted client: syntax errors stay 501, routing
-- through us is allowed (the client may relay anyway).
conn = T.conn("127.0.0.1")
T.helo(conn, "localhost")
T.mail(conn, "<sender@example.org>")
T.rcpt(conn, "continue", "trusted: RCPT <user%foreign.example@example.org>",
       { "<user%foreign.example@example.org>" })
T.rcpt(conn, "continue", "trusted: RCPT <@example.org:user@foreign.example>",
       { "<@example.org:user@foreign.example>" })
T.rcpt(conn, BAD_SYNTAX, "trusted: RCPT <user@foreign.example@example.org>",
       { "<user@foreign.example@example.org>" })
T.rcpt(conn, BAD_SYNTAX, "trusted: RCPT <>", { "<>" })
mt.disconnect(conn)

T.done()
