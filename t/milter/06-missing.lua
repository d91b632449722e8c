-- t/milter/06-missing.lua -- sessions with pieces missing: no macros at
-- all, a client of unknown address family, no HELO.  vigie must answer
-- and must not mistake an unknown client for a trusted one.
dofile(LIB)

-- No macros at any stage (no {client_addr}, no {auth_authen}, no i, j).
do
	local conn = T.conn("192.0.2.10")
	T.helo(conn, "client.example.net")
	T.mail(conn, "<sender@client.example.net>")
	T.rcpt(conn, "continue", "no macros: RCPT <user@example.org>", { "<user@example.org>" })
	T.rcpt(conn, RELAY_DENIED, "no macros: RCPT <user@foreign.example>",
	       { "<user@foreign.example>" })
	mt.disconnect(conn)
end

-- Unknown address family (SMFIA_UNKNOWN: libmilter gives the filter no
-- address at all).
local function unknown_session(label, opts)
	local conn = T.conn("unspec", opts)
	T.continued(conn, label .. ": CONNECT continues")
	T.helo(conn, "client.example.net")
	T.mail(conn, "<sender@client.example.net>")
	T.continued(conn, label .. ": MAIL continues")
	T.rcpt(conn, "continue", label .. ": RCPT <user@example.org>", { "<user@example.org>" })
	T.rcpt(conn, "continue", label .. ": RCPT <postmaster>", { "<postmaster>" })
	T.rcpt(conn, RELAY_DENIED, label .. ": RCPT <user@foreign.example>",
	       { "<user@foreign.example>" })
	mt.disconnect(conn)
end
unknown_session("unknown family")
unknown_session("unknown family, host localhost", { host = "localhost" })
unknown_session("unknown family, {client_addr} unknown",
                { host = "unknown", macros = { "{client_addr}", "unknown",
                                               "{client_name}", "unknown" } })

-- An authenticated client of unknown family may still relay.
do
	local conn = T.conn("unspec")
	T.helo(conn, "client.example.net")
	T.mail(conn, "<sender@example.org>", { "{auth_authen}", "alice" })
	T.rcpt(conn, "continue", "unknown family, authenticated: RCPT <user@foreign.example>",
	       { "<user@foreign.example>" })
	mt.disconnect(conn)
end

-- No HELO: MAIL straight after CONNECT.  miltertest fills in a HELO for a
-- skipped stage, except after mt.abort(), which sets its state to HELO
-- without sending one; libmilter ignores an ABORT outside a transaction.
-- So: CONNECT, ABORT, MAIL (t/milter.t does the same with the raw client).
local function no_helo_session(label, ip, want_foreign)
	local conn = T.conn(ip)
	mt.abort(conn)
	T.mail(conn, "<sender@client.example.net>")
	T.continued(conn, label .. ": MAIL without HELO continues")
	T.rcpt(conn, "continue", label .. ": RCPT <user@example.org>", { "<user@example.org>" })
	T.rcpt(conn, want_foreign, label .. ": RCPT <user@foreign.example>",
	       { "<user@foreign.example>" })
	mt.disconnect(conn)
end
no_helo_session("no HELO, untrusted", "192.0.2.10", RELAY_DENIED)
no_helo_session("no HELO, trusted", "127.0.0.1", "continue")

-- HELO given twice (EHLO after HELO, or after STARTTLS): the last counts
-- and nothing breaks.
do
	local conn = T.conn("192.0.2.10")
	T.helo(conn, "first.example.net")
	T.helo(conn, "second.example.net")
	T.mail(conn, "<sender@client.example.net>")
	local pos = T.logpos()
	T.rcpt(conn, RELAY_DENIED, "two HELOs: RCPT <user@foreign.example>",
	       { "<user@foreign.example>" })
	local line = T.logwait_for(pos, { "RCPT from" })
	T.ok(line ~= nil and line:find("helo=<second.example.net>", 1, true) ~= nil,
	     "two HELOs: the log shows the second one", line or "no decision line")
	mt.disconnect(conn)
end

-- Empty HELO argument.
do
	local conn = T.conn("192.0.2.10")
	T.helo(conn, "")
	T.mail(conn, "<sender@client.example.net>")
	T.rcpt(conn, "continue", "empty HELO: RCPT <user@example.org>", { "<user@example.org>" })
	T.rcpt(conn, RELAY_DENIED, "empty HELO: RCPT <user@foreign.example>",
	       { "<user@foreign.example>" })
	mt.disconnect(conn)
end

-- Null sender (bounces) to a local and a foreign recipient.
do
	local conn = T.conn("192.0.2.10")
	T.helo(conn, "client.example.net")
	T.mail(conn, "<>")
	T.continued(conn, "null sender: MAIL <> continues")
	T.rcpt(conn, "continue", "null sender: RCPT <user@example.org>", { "<user@example.org>" })
	T.rcpt(conn, RELAY_DENIED, "null sender: RCPT <user@foreign.example>",
	       { "<user@foreign.example>" })
	mt.disconnect(conn)
end

T.done()
