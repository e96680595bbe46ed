-- wrk script: every request is a sign-in with the benchmark user's password.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}', os.getenv("BENCH_EMAIL"), os.getenv("BENCH_PASSWORD"))

-- Each sign-in comes from another client address (the server trusts 127.0.0.1 as a
-- proxy), as real sign-ins do: one address would meet the per-address rate limit.
math.randomseed(os.time())
function request()
    wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d",
        math.random(0, 255), math.random(0, 255), math.random(1, 254))
    return wrk.format()
end

-- Counts answers that are not 201, so a run that measured refusals cannot pass for one
-- that measured sign-ins.
local refused = 0
function response(status, headers, body)
    if status ~= 201 then refused = refused + 1 end
end

function done(summary, latency, requests)
    io.write(string.format("non-201 answers: %d\n", refused))
end
