-- t/milter/02-sasl.lua -- SASL-authenticated clients may relay.
-- The MTA gives {auth_authen} (and {auth_type}) with MAIL FROM; an
-- untrusted client with a login may send anywhere, without one it may not.
dofile(LIB)

local function session(label, mail_macros, want_foreign)
	local conn = T.conn("192.0.2.10")
	T.helo(conn, "client.example.net")
	T.mail(conn, "<alice@example.org>", mail_macros)
	T.continued(conn, label .. ": MAIL continues")
	T.rcpt(conn, "continue", label .. ": RCPT <bob@example.org>",
	       { "<bob@example.org>" })
	T.rcpt(conn, want_foreign, label .. ": RCPT <user@foreign.example>",
	       { "<user@foreign.example>" })
	T.rcpt(conn, want_foreign, label .. ": RCPT <USER@Foreign.Example.>",
	       { "<USER@Foreign.Example.>" })
	mt.disconnect(conn)
end

session("authenticated alice", { "{auth_authen}", "alice", "{auth_type}", "PLAIN" },
        "continue")
session("authenticated alice, {auth_authen} alone", { "{auth_authen}", "alice" },
        "continue")
session("authenticated user@realm", { "{auth_authen}", "alice@example.org",
                                       "{auth_type}", "PLAIN" }, "continue")
session("no login", nil, RELAY_DENIED)
session("MAIL macros without {auth_authen}", { "{auth_type}", "PLAIN", "i", "4XyzQ1" },
        RELAY_DENIED)
session("empty {auth_authen}", { "{auth_authen}", "" }, RELAY_DENIED)

-- Authentication belongs to one connection: the next one, from the same
-- address and without a login, may not relay.
session("new connection after an authenticated one", nil, RELAY_DENIED)

-- Authenticated relaying must still refuse syntax errors.
do
	local conn = T.conn("192.0.2.10")
	T.helo(conn, "client.example.net")
	T.mail(conn, "<alice@example.org>", { "{auth_authen}", "alice" })
	T.rcpt(conn, BAD_SYNTAX, "authenticated: RCPT <user@foreign.example@example.org>",
	       { "<user@foreign.example@example.org>" })
	T.rcpt(conn, BAD_SYNTAX, "authenticated: RCPT <>", { "<>" })
	mt.disconnect(conn)
end

T.done()
