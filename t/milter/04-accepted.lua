-- t/milter/04-accepted.lua -- recipient forms that are ours and must be
-- accepted from any client: case and one trailing dot are normalised,
-- brackets are optional, harmless quoting and ESMTP parameters are fine,
-- a source route ending at a local mailbox is ignored (RFC 5321 C.), and
-- [192.0.2.25] is one of our_addresses.
dofile(LIB)

local cases = {
	{ "<user@example.org>" },
	{ "<USER@EXAMPLE.ORG>" },
	{ "<User@Example.Org>" },
	{ "<user@example.org.>" },
	{ "user@example.org" },
	{ "<user+tag@example.org>" },
	{ "<first.last@example.org>" },
	{ "<user@backup.example.net>" },
	{ "<user@BACKUP.EXAMPLE.NET.>" },
	{ "<\"quoted user\"@example.org>" },
	{ "<\"user\"@example.org>" },
	{ "<user@[192.0.2.25]>" },
	{ "<@foreign.example:user@example.org>" },
	{ "<@a.example,@b.example:user@example.org>" },
	{ "<user@example.org>", "NOTIFY=SUCCESS,FAILURE" },
	{ "<user@example.org>", "ORCPT=rfc822;user@foreign.example" },
	{ "<user@example.org>", "NOTIFY=NEVER", "ORCPT=rfc822;user%foreign.example@example.org" },
}

local conn = T.conn("192.0.2.10")
T.helo(conn, "client.example.net")
T.mail(conn, "<sender@client.example.net>")
for _, args in ipairs(cases) do
	T.rcpt(conn, "continue", "untrusted: RCPT " .. table.concat(args, " "), args)
end
mt.disconnect(conn)

-- SMTPUTF8: with the MAIL parameter, a UTF-8 local part is a valid path.
conn = T.conn("192.0.2.10")
T.helo(conn, "client.example.net")
T.mail(conn, "<sender@client.example.net>", nil, { "SMTPUTF8" })
T.rcpt(conn, "continue", "SMTPUTF8: RCPT <us\\xC3\\xA9r@example.org>",
       { "<us\xC3\xA9r@example.org>" })
T.rcpt(conn, RELAY_DENIED, "SMTPUTF8: RCPT <us\\xC3\\xA9r@foreign.example>",
       { "<us\xC3\xA9r@foreign.example>" })
T.rcpt(conn, BAD_SYNTAX, "SMTPUTF8: RCPT with invalid UTF-8 <us\\xE9r@example.org>",
       { "<us\xE9r@example.org>" })
mt.disconnect(conn)

T.done()
