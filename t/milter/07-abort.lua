-- t/milter/07-abort.lua -- transactions aborted half-way (RSET, or the
-- MTA giving up) and connections that end without QUIT.  vigie must
-- forget the aborted transaction, keep the connection's facts, and go on
-- serving.
dofile(LIB)

-- MAIL, RCPT, ABORT, then a new transaction on the same connection.
do
	local conn = T.conn("192.0.2.10")
	T.helo(conn, "client.example.net")
	T.mail(conn, "<first@client.example.net>")
	T.rcpt(conn, "continue", "1st transaction: RCPT <user@example.org>", { "<user@example.org>" })
	T.rcpt(conn, RELAY_DENIED, "1st transaction: RCPT <user@foreign.example>",
	       { "<user@foreign.example>" })
	local err = mt.abort(conn)
	T.ok(err == nil, "ABORT sent", err)

	T.mail(conn, "<second@client.example.net>")
	T.continued(conn, "2nd transaction: MAIL continues")
	local pos = T.logpos()
	T.rcpt(conn, "continue", "2nd transaction: RCPT <other@example.org>",
	       { "<other@example.org>" })
	T.rcpt(conn, RELAY_DENIED, "2nd transaction: RCPT <other@foreign.example>",
	       { "<other@foreign.example>" })
	local lines = T.loglines(pos, { "RCPT from" })
	local good = #lines == 2
	for _, l in ipairs(lines) do
		if not l:find("from=<second@client.example.net>", 1, true)
		   or not l:find("helo=<client.example.net>", 1, true) then
			good = false
		end
	end
	T.ok(good, "2nd transaction: log shows the new sender and the same HELO",
	     table.concat(lines, "\n"))
	mt.disconnect(conn)
end

-- What belongs to the connection (here: the client is trusted) survives
-- an abort.
do
	local conn = T.conn("127.0.0.1")
	T.helo(conn, "localhost")
	T.mail(conn, "<a@example.org>")
	T.rcpt(conn, "continue", "trusted, 1st transaction: RCPT <user@foreign.example>",
	       { "<user@foreign.example>" })
	mt.abort(conn)
	T.mail(conn, "<b@example.org>")
	T.rcpt(conn, "continue", "trusted, after ABORT: RCPT <user@foreign.example>",
	       { "<user@foreign.example>" })
	mt.disconnect(conn)
end

-- ABORT after MAIL only, twice in a row, and right after HELO.
do
	local conn = T.conn("192.0.2.10")
	T.helo(conn, "client.example.net")
	mt.abort(conn)
	T.mail(conn, "<a@client.example.net>")
	mt.abort(conn)
	mt.abort(conn)
	T.mail(conn, "<b@client.example.net>")
	T.continued(conn, "after three ABORTs: MAIL continues")
	T.rcpt(conn, "continue", "after three ABORTs: RCPT <user@example.org>",
	       { "<user@example.org>" })
	T.rcpt(conn, RELAY_DENIED, "after three ABORTs: RCPT <user@foreign.example>",
	       { "<user@foreign.example>" })
	mt.disconnect(conn)
end

-- Many transactions on one connection (an MTA sending a queue run).
do
	local conn = T.conn("192.0.2.10")
	T.helo(conn, "client.example.net")
	local bad = {}
	for i = 1, 50 do
		T.mail(conn, "<s" .. i .. "@client.example.net>")
		mt.rcptto(conn, "<u" .. i .. "@example.org>")
		if mt.getreply(conn) ~= SMFIR_CONTINUE then bad[#bad + 1] = "local " .. i end
		mt.rcptto(conn, "<u" .. i .. "@foreign.example>")
		if mt.getreply(conn) ~= SMFIR_REPLYCODE then bad[#bad + 1] = "foreign " .. i end
		mt.abort(conn)
	end
	T.ok(#bad == 0, "50 transactions on one connection: every reply right",
	     table.concat(bad, ", "))
	mt.disconnect(conn)
end

-- Connections that end without QUIT, at every stage.
local function drop_after(stage)
	local conn = mt.connect(SOCKET, 40, 0.05)
	if conn == nil then T.bail("mt.connect failed") end
	if stage == "connect" then mt.disconnect(conn, false); return end
	mt.negotiate(conn, nil, nil, nil)
	if stage == "negotiate" then mt.disconnect(conn, false); return end
	mt.conninfo(conn, "client.example.net", "192.0.2.10")
	if stage == "conninfo" then mt.disconnect(conn, false); return end
	mt.helo(conn, "client.example.net")
	if stage == "helo" then mt.disconnect(conn, false); return end
	mt.macro(conn, SMFIC_MAIL, "{auth_authen}", "alice")
	mt.mailfrom(conn, "<sender@client.example.net>")
	if stage == "mail" then mt.disconnect(conn, false); return end
	mt.rcptto(conn, "<user@foreign.example>")
	if stage == "rcpt" then mt.disconnect(conn, false); return end
	mt.abort(conn)
	mt.disconnect(conn, false)
end

for _, stage in ipairs({ "connect", "negotiate", "conninfo", "helo", "mail",
                         "rcpt", "abort" }) do
	drop_after(stage)
	-- The next connection is served, and gets nothing from the dropped one
	-- (its login in particular).
	local conn = T.conn("192.0.2.10")
	T.helo(conn, "client.example.net")
	T.mail(conn, "<sender@client.example.net>")
	T.rcpt(conn, RELAY_DENIED, "after a connection dropped after " .. stage ..
	       ": RCPT <user@foreign.example>", { "<user@foreign.example>" })
	mt.disconnect(conn)
end

-- Polite QUIT in the middle of a transaction.
do
	local conn = T.conn("192.0.2.10")
	T.helo(conn, "client.example.net")
	T.mail(conn, "<sender@client.example.net>")
	mt.rcptto(conn, "<user@example.org>")
	mt.disconnect(conn, true)
	conn = T.conn("192.0.2.10")
	T.helo(conn, "client.example.net")
	T.mail(conn, "<sender@client.example.net>")
	T.rcpt(conn, "continue", "after QUIT mid-transaction: RCPT <user@example.org>",
	       { "<user@example.org>" })
	mt.disconnect(conn)
end

T.done()
