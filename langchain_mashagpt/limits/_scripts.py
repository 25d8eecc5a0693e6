"""The Lua scripts of the shared budget and rate limiter: each check-and-write is one script.

Redis runs a script atomically, so no two processes can both see room for a
call and both take it. Time is Redis's own (`TIME`), the same for every
machine. Budget keys share a hash tag (`{name}`), so one budget lives in one slot.

Budget hash fields: `spent` (settled energy, within the window if any),
`reserved` (held by calls in flight), `requests` (settled calls),
`reservations` (reservations ever made), `r:<id>` (one reservation's amount).
The `:res` sorted set scores each reservation by when it expires; the `:win`
sorted set holds `<id>:<energy>` scored by when it was settled. The rate hash
of a model holds sums: `pt` (prompt tokens as counted offline), `pe` (prompt
energy), `ct` (completion tokens), `ce` (completion energy).
"""

from __future__ import annotations

__all__ = ["BUCKET", "RESERVE", "SETTLE"]

_COMMON = """
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function tidy(h, res, win, t, window)
  local gone = redis.call('ZRANGEBYSCORE', res, '-inf', t)
  for _, id in ipairs(gone) do
    local amount = tonumber(redis.call('HGET', h, 'r:' .. id) or '0')
    redis.call('HINCRBY', h, 'reserved', -amount)
    redis.call('HDEL', h, 'r:' .. id)
  end
  if #gone > 0 then redis.call('ZREMRANGEBYSCORE', res, '-inf', t) end
  if window > 0 then
    local old = redis.call('ZRANGEBYSCORE', win, '-inf', t - window)
    for _, entry in ipairs(old) do
      redis.call('HINCRBY', h, 'spent', -tonumber(string.match(entry, ':(%d+)$')))
    end
    if #old > 0 then redis.call('ZREMRANGEBYSCORE', win, '-inf', t - window) end
  end
end
"""

RESERVE = (
    _COMMON
    + """
-- KEYS: budget hash, reservations, window, model rates
-- ARGV: limit, prompt tokens, completion tokens, default prompt rate,
--       default completion rate, id, ttl, window, mode (reserve | estimate | read)
local h, res, win, rates = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local t = now()
tidy(h, res, win, t, tonumber(ARGV[8]))
local est = 0
if ARGV[9] ~= 'read' then
  local r = redis.call('HMGET', rates, 'pt', 'pe', 'ct', 'ce')
  local prate, crate = tonumber(ARGV[4]), tonumber(ARGV[5])
  local pt, ct = tonumber(r[1] or '0'), tonumber(r[3] or '0')
  if pt > 0 then prate = tonumber(r[2] or '0') / pt end
  if ct > 0 then crate = tonumber(r[4] or '0') / ct end
  est = math.ceil(tonumber(ARGV[2]) * prate + tonumber(ARGV[3]) * crate - 1e-9)
end
local v = redis.call('HMGET', h, 'spent', 'reserved', 'requests', 'reservations')
local spent, reserved = tonumber(v[1] or '0'), tonumber(v[2] or '0')
local requests, made = tonumber(v[3] or '0'), tonumber(v[4] or '0')
if ARGV[9] == 'reserve' then
  if spent + reserved + est > tonumber(ARGV[1]) then
    return {0, est, spent, reserved, requests, made, redis.call('ZCARD', res)}
  end
  redis.call('HINCRBY', h, 'reserved', est)
  redis.call('HINCRBY', h, 'reservations', 1)
  redis.call('HSET', h, 'r:' .. ARGV[6], est)
  redis.call('ZADD', res, t + tonumber(ARGV[7]), ARGV[6])
  reserved, made = reserved + est, made + 1
end
return {1, est, spent, reserved, requests, made, redis.call('ZCARD', res)}
"""
)

SETTLE = (
    _COMMON
    + """
-- KEYS: budget hash, reservations, window, model rates
-- ARGV: id, energy (-1: release), window, learn (0/1), prompt tokens counted offline,
--       prompt energy, completion tokens, completion energy
local h, res, win, rates = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local t = now()
local window = tonumber(ARGV[3])
tidy(h, res, win, t, window)
local id = ARGV[1]
local amount = redis.call('HGET', h, 'r:' .. id)
if amount then
  redis.call('HINCRBY', h, 'reserved', -tonumber(amount))
  redis.call('HDEL', h, 'r:' .. id)
  redis.call('ZREM', res, id)
end
local energy = tonumber(ARGV[2])
if energy >= 0 then
  redis.call('HINCRBY', h, 'requests', 1)
  if energy > 0 then
    redis.call('HINCRBY', h, 'spent', energy)
    if window > 0 then redis.call('ZADD', win, t, id .. ':' .. energy) end
  end
end
if ARGV[4] == '1' then
  redis.call('HINCRBYFLOAT', rates, 'pt', ARGV[5])
  redis.call('HINCRBYFLOAT', rates, 'pe', ARGV[6])
  redis.call('HINCRBYFLOAT', rates, 'ct', ARGV[7])
  redis.call('HINCRBYFLOAT', rates, 'ce', ARGV[8])
  -- halve the sums now and then, so the rates follow a price change
  if tonumber(redis.call('HGET', rates, 'pt')) > 1000000 then
    for _, f in ipairs({'pt', 'pe', 'ct', 'ce'}) do
      redis.call('HSET', rates, f, tonumber(redis.call('HGET', rates, f)) / 2)
    end
  end
end
return tonumber(redis.call('HGET', h, 'spent') or '0')
"""
)

BUCKET = """
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
-- KEYS: bucket hash, hold key
-- ARGV: requests per second, bucket size, mode (take | hold | peek), hold seconds
-- returns {taken (0/1), seconds to wait, Redis time} as strings
local t = now()
local hold = tonumber(redis.call('GET', KEYS[2]) or '0')
if ARGV[3] == 'hold' then
  local wait = tonumber(ARGV[4])
  if t + wait > hold then
    hold = t + wait
    redis.call('SET', KEYS[2], string.format('%.6f', hold), 'PX', math.ceil(wait * 1000) + 1000)
  end
end
if ARGV[3] ~= 'take' or hold > t then
  return {'0', string.format('%.6f', math.max(hold - t, 0)), string.format('%.6f', t)}
end
local rps, size = tonumber(ARGV[1]), tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens, ts = tonumber(b[1] or '0'), tonumber(b[2] or tostring(t))
tokens = math.min(size, tokens + math.max(0, t - ts) * rps)
local taken, wait = '0', (1 - tokens) / rps
if tokens >= 1 then
  tokens, taken, wait = tokens - 1, '1', 0
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.9f', tokens), 'ts', string.format('%.6f', t))
redis.call('PEXPIRE', KEYS[1], math.ceil(size / rps * 1000) + 60000)
return {taken, string.format('%.6f', wait), string.format('%.6f', t)}
"""
