-- t/milter/08-many-rcpts.lua -- 1,000 recipients in one transaction,
-- local, relay-domain, foreign and malformed mixed: each gets its own
-- reply and its own decision line, nothing carries over from one
-- recipient to the next.
dofile(LIB)

local N = 1000

-- Recipient i and the reply it must get.
local function recipient(i)
	local k = i % 5
	if k == 0 then return "<u" .. i .. "@foreign.example>", "reject"
	elseif k == 1 then return "<u" .. i .. "@example.org>", "continue"
	elseif k == 2 then return "<u" .. i .. "@backup.example.net>", "continue"
	elseif k == 3 then return "<u" .. i .. "%foreign.example@example.org>", "reject"
	else
		if i % 10 == 4 then return "<u" .. i .. "@example.org", "syntax" end
		return "<U" .. i .. "@EXAMPLE.ORG.>", "continue"
	end
end

local conn = T.conn("192.0.2.10")
T.helo(conn, "client.example.net")
T.mail(conn, "<sender@client.example.net>")
local pos = T.logpos()
local wrong = {}
local want_count = { continue = 0, reject = 0, syntax = 0 }
for i = 1, N do
	local rcpt, want = recipient(i)
	want_count[want] = want_count[want] + 1
	local err = mt.rcptto(conn, rcpt)
	if err ~= nil then T.bail("RCPT " .. i .. ": " .. err) end
	local r = mt.getreply(conn)
	local good = (want == "continue" and r == SMFIR_CONTINUE)
	             or (want ~= "continue" and r == SMFIR_REPLYCODE)
	if not good and #wrong < 10 then
		wrong[#wrong + 1] = "RCPT " .. rcpt .. ": want " .. want .. ", got " .. T.rname(r)
	end
end
T.ok(#wrong == 0, N .. " recipients in one transaction: every reply right",
     table.concat(wrong, "\n"))

-- One decision line per recipient, in order, with the right verdict.
local lines = {}
local deadline = 0
while true do
	lines = T.loglines(pos, { "RCPT from" })
	if #lines >= N or deadline >= 2 then break end
	mt.sleep(0.1)
	deadline = deadline + 0.1
end
T.ok(#lines == N, N .. " decision lines logged", "got " .. #lines)

local bad = {}
for i = 1, math.min(#lines, N) do
	local rcpt, want = recipient(i)
	local l = lines[i]
	local good
	if want == "continue" then
		good = l:find(": accept: RCPT from", 1, true) ~= nil
	elseif want == "reject" then
		good = l:find(": 554 5.7.1 ", 1, true) ~= nil
		       and l:find("Relay access denied", 1, true) ~= nil
	else
		good = l:find(": 501 5.1.3 ", 1, true) ~= nil
	end
	-- The recipient of each line is the one sent in that position.
	local bare = rcpt:gsub("^<", ""):gsub(">$", ""):lower():gsub("%.$", "")
	good = good and l:lower():find(bare, 1, true) ~= nil
	if not good and #bad < 10 then
		bad[#bad + 1] = "line " .. i .. " (want " .. want .. " for " .. rcpt .. "): " .. l
	end
end
T.ok(#bad == 0, "each decision line names its recipient and the right verdict",
     table.concat(bad, "\n"))

-- The transaction still works after all that.
T.rcpt(conn, "continue", "after " .. N .. " recipients: RCPT <last@example.org>",
       { "<last@example.org>" })
mt.disconnect(conn)

T.done()
