import { LOG_HELPERS_LUA } from './log-helpers.lua';

/**
 * Admission, atomically: are the budget counters there, do the rate limits allow one more
 * request, does the reservation fit every budget; if all yes, record the request and the
 * reservation. A refused call records nothing (expired log entries and leases are swept).
 *
 * KEYS: 1 reservation hash, 2 tenant log, 3 tenant token total, 4 user log,
 *       then per budget i: 3 + 2i counter hash, 4 + 2i lease set
 * ARGV: 1 now ms ('' = Redis TIME), 2 window ms, 3 tenant rpm, 4 tenant tpm, 5 user rpm
 *       (-1 = no limit), 6 estimated tokens, 7 reserve micros, 8 reservation ttl ms,
 *       9 lease ms, 10 event id, 11 budget count, then per budget i: 10 + 2i limit micros,
 *       11 + 2i soft threshold pct
 * Returns one of
 *   {'missing', i...}
 *   {'rate_limit', which, retry ms, req limit, req left, req reset, tok limit, tok left, tok reset}
 *   {'budget', i, limit, spent, reserved}
 *   {'ok', req limit, req left, req reset, tok limit, tok left, tok reset, (alert i, spent)...}
 * where the header figures are -1 when that limit is not configured.
 */
export const ADMIT_LUA = `${LOG_HELPERS_LUA}
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local window = tonumber(ARGV[2])
local tenant_rpm, tenant_tpm, user_rpm = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local est, micros = tonumber(ARGV[6]), tonumber(ARGV[7])
local lease_ms, id, n = tonumber(ARGV[9]), ARGV[10], tonumber(ARGV[11])
local cutoff = now - window
local in_window = string.format('(%d', cutoff)

-- 1. Budget counters must exist; lost ones are rebuilt by the caller first.
local missing = {}
for i = 1, n do
  if redis.call('HEXISTS', KEYS[3 + 2 * i], 'spent') == 0 then missing[#missing + 1] = i end
end
if #missing > 0 then return {'missing', unpack(missing)} end

-- 2. Sliding-window logs.
local tenant_log = tenant_rpm >= 0 or tenant_tpm >= 0
local t_count, t_tokens, u_count = 0, 0, 0
if tenant_log then
  expire_entries(KEYS[2], cutoff, KEYS[3], false)
  t_count = redis.call('ZCOUNT', KEYS[2], in_window, '+inf')
  if redis.call('EXISTS', KEYS[2]) == 0 then
    redis.call('DEL', KEYS[3])
  else
    t_tokens = tonumber(redis.call('GET', KEYS[3]) or '0')
  end
end
if user_rpm >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', cutoff)
  u_count = redis.call('ZCARD', KEYS[4])
end

-- Milliseconds until the in-window entry of this rank (0 = oldest) leaves the window.
local function leaves_window_in(zkey, rank, default)
  local e = redis.call('ZRANGEBYSCORE', zkey, in_window, '+inf', 'WITHSCORES', 'LIMIT', rank, 1)
  if #e == 0 then return default end
  return math.max(1, tonumber(e[2]) + window - now)
end

-- Milliseconds until enough tokens leave the window for this request to fit.
local function tokens_fit_in()
  if est > tenant_tpm then return window end
  local need = t_tokens + est - tenant_tpm
  local e = redis.call('ZRANGEBYSCORE', KEYS[2], in_window, '+inf', 'WITHSCORES', 'LIMIT', 0, 1000)
  local freed = 0
  for i = 1, #e, 2 do
    freed = freed + amount_of(e[i])
    if freed >= need then return math.max(1, tonumber(e[i + 1]) + window - now) end
  end
  return window
end

-- Header figures: the refused request limit, else the one with the least room; the tokens.
local function figures(refused, retry)
  local rl, rc, rk = -1, 0, KEYS[2]
  if tenant_rpm >= 0 then rl, rc = tenant_rpm, t_count end
  if user_rpm >= 0 and refused ~= 'tenant_rpm'
      and (refused == 'user_rpm' or rl < 0 or user_rpm - u_count < rl - rc) then
    rl, rc, rk = user_rpm, u_count, KEYS[4]
  end
  local r_left, r_reset, k_left, k_reset = -1, -1, -1, -1
  if rl >= 0 then
    r_left = math.max(0, rl - rc)
    if refused == 'tenant_rpm' or refused == 'user_rpm' then r_reset = retry
    else r_reset = leaves_window_in(rk, 0, 0) end
  end
  if tenant_tpm >= 0 then
    k_left = math.max(0, tenant_tpm - t_tokens)
    if refused == 'tenant_tpm' then k_reset = retry else k_reset = leaves_window_in(KEYS[2], 0, 0) end
  end
  return rl, r_left, r_reset, tenant_tpm, k_left, k_reset
end

local refused, retry = nil, 0
if tenant_rpm >= 0 and t_count >= tenant_rpm then
  refused, retry = 'tenant_rpm', leaves_window_in(KEYS[2], t_count - tenant_rpm, window)
elseif tenant_tpm >= 0 and t_tokens + est > tenant_tpm then
  refused, retry = 'tenant_tpm', tokens_fit_in()
elseif user_rpm >= 0 and u_count >= user_rpm then
  refused, retry = 'user_rpm', leaves_window_in(KEYS[4], u_count - user_rpm, window)
end
if refused then return {'rate_limit', refused, retry, figures(refused, retry)} end

-- 3. Budgets: settled spend + open reservations + this reservation must fit every limit.
local spent_of, gen_of = {}, {}
for i = 1, n do
  local counter = KEYS[3 + 2 * i]
  expire_entries(KEYS[4 + 2 * i], now, counter, 'reserved')
  local v = redis.call('HMGET', counter, 'spent', 'reserved', 'gen')
  local spent, reserved = tonumber(v[1]), tonumber(v[2] or '0')
  local limit = tonumber(ARGV[10 + 2 * i])
  if spent + reserved + micros > limit then return {'budget', i, limit, spent, reserved} end
  spent_of[i], gen_of[i] = spent, v[3] or ''
end

-- 4. Admitted: record the request, the reservation and its leases.
if tenant_log then
  redis.call('ZADD', KEYS[2], now, id .. '|' .. est)
  redis.call('INCRBY', KEYS[3], est)
  redis.call('PEXPIRE', KEYS[2], window + 1000)
  redis.call('PEXPIRE', KEYS[3], window + 1000)
  t_count, t_tokens = t_count + 1, t_tokens + est
end
if user_rpm >= 0 then
  redis.call('ZADD', KEYS[4], now, id)
  redis.call('PEXPIRE', KEYS[4], window + 1000)
  u_count = u_count + 1
end
local record = {'st', 'r', 'est', est, 'm', micros, 'tl', tenant_log and 1 or 0}
local result = {'ok', figures(nil, 0)}
for i = 1, n do
  local counter, leases = KEYS[3 + 2 * i], KEYS[4 + 2 * i]
  if micros > 0 then
    redis.call('HINCRBY', counter, 'reserved', micros)
    redis.call('ZADD', leases, now + lease_ms, id .. '|' .. micros)
    local ttl = redis.call('PTTL', counter)
    if ttl > 0 then redis.call('PEXPIRE', leases, ttl) end
  end
  -- Soft threshold on settled spend, reported by the first admission after the crossing.
  local pct = tonumber(ARGV[11 + 2 * i])
  if pct > 0 and spent_of[i] * 100 >= tonumber(ARGV[10 + 2 * i]) * pct
      and redis.call('HSETNX', counter, 'alerted', 1) == 1 then
    result[#result + 1] = i
    result[#result + 1] = spent_of[i]
  end
  record[#record + 1] = 'g' .. i
  record[#record + 1] = gen_of[i]
end
redis.call('HSET', KEYS[1], unpack(record))
redis.call('PEXPIRE', KEYS[1], ARGV[8])
return result
`;
