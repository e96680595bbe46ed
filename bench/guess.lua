-- wrk script: password guesses against the benchmark account from 50 client addresses
-- (the server trusts 127.0.0.1 as a proxy, so X-Forwarded-For names the client). Each
-- thread stops after its share of BENCH_GUESSES answers; the answers are counted by
-- status, and a 201 (a guess that signed in) is reported loudly.
local threads = {}

function setup(thread)
    thread:set("id", #threads)
    table.insert(threads, thread)
end

local total = tonumber(os.getenv("BENCH_GUESSES") or "10000")
local share, sent, answered = 0, 0, 0
s201, s401, s429, other = 0, 0, 0, 0

function init(args)
    share = math.floor(total / tonumber(os.getenv("BENCH_THREADS") or "2"))
end

function request()
    sent = sent + 1
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["X-Forwarded-For"] = string.format("203.0.113.%d", (sent + id * 25) % 50 + 1)
    local body = string.format('{"email":"%s","password":"guess number %d of thread %d"}',
        os.getenv("BENCH_EMAIL"), sent, id)
    return wrk.format("POST", nil, nil, body)
end

function response(status, headers, body)
    answered = answered + 1
    if status == 201 then s201 = s201 + 1
    elseif status == 401 then s401 = s401 + 1
    elseif status == 429 then s429 = s429 + 1
    else other = other + 1 end
    if answered >= share then wrk.thread:stop() end
end

function done(summary, latency, requests)
    local t = {s201 = 0, s401 = 0, s429 = 0, other = 0}
    for _, thread in ipairs(threads) do
        for k, _ in pairs(t) do t[k] = t[k] + thread:get(k) end
    end
    io.write(string.format("guesses answered: 201 (signed in!): %d, 401: %d, 429: %d, other: %d\n",
        t.s201, t.s401, t.s429, t.other))
end
