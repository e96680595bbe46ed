-- wrk script: every request is a sign-in with the benchmark user's password.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}', os.getenv("BENCH_EMAIL"), os.getenv("BENCH_PASSWORD"))

-- Counts answers that are not 201, so a run that measured refusals cannot pass for one
-- that measured sign-ins.
local refused = 0
function response(status, headers, body)
    if status ~= 201 then refused = refused + 1 end
end

function done(summary, latency, requests)
    io.write(string.format("non-201 answers: %d\n", refused))
end
