/**
 * Settlement, atomically and at most once per reservation: turn the reservation into the real
 * cost (releasing the rest), correct the token window by actual − estimated, and append the
 * usage event to the stream. A second settlement of the same reservation changes nothing and
 * appends nothing.
 *
 * A counter whose generation differs from the reservation's was rebuilt from Postgres after a
 * loss: the cost is added (the rebuild could not have included it: the event is appended only
 * now) but the reservation is not, since it never reached the new counter. A missing counter
 * is left alone: the event carries the cost to Postgres and the next rebuild.
 *
 * KEYS: 1 reservation hash, 2 tenant log, 3 tenant token total, 4 usage stream,
 *       then per budget i: 3 + 2i counter hash, 4 + 2i lease set
 * ARGV: 1 event id, 2 actual micros, 3 actual tokens, 4 outcome ('settled' | 'released'),
 *       5 settled-marker ttl ms, 6 stream max length (approximate), 7 budget count,
 *       8.. event field/value pairs (none: no event is appended)
 * Returns {outcome, spent per budget (-1 = counter missing)...} with outcome one of
 * 'settled', 'released', 'orphan' (reservation unknown: expired or lost), 'duplicate'.
 */
export const SETTLE_LUA = `
local id, actual, tokens, outcome = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local n = tonumber(ARGV[7])
local state = redis.call('HGET', KEYS[1], 'st')
local spent = {}
if state == 'd' then
  for i = 1, n do spent[i] = tonumber(redis.call('HGET', KEYS[3 + 2 * i], 'spent') or '-1') end
  return {'duplicate', unpack(spent)}
end

if not state then
  outcome = 'orphan'
  for i = 1, n do spent[i] = -1 end
else
  local rec = redis.call('HMGET', KEYS[1], 'est', 'm', 'tl')
  local est, reserved = tonumber(rec[1]), tonumber(rec[2])
  if rec[3] == '1' then
    local old = id .. '|' .. est
    local score = redis.call('ZSCORE', KEYS[2], old)
    if score and redis.call('EXISTS', KEYS[3]) == 1 then
      redis.call('ZREM', KEYS[2], old)
      redis.call('ZADD', KEYS[2], score, id .. '|' .. tokens)
      if redis.call('INCRBY', KEYS[3], tokens - est) < 0 then
        redis.call('SET', KEYS[3], 0, 'KEEPTTL')
      end
    end
  end
  for i = 1, n do
    local counter, leases = KEYS[3 + 2 * i], KEYS[4 + 2 * i]
    local v = redis.call('HMGET', counter, 'spent', 'gen')
    if v[1] then
      if v[2] == redis.call('HGET', KEYS[1], 'g' .. i)
          and redis.call('ZREM', leases, id .. '|' .. reserved) == 1 then
        if redis.call('HINCRBY', counter, 'reserved', -reserved) < 0 then
          redis.call('HSET', counter, 'reserved', 0)
        end
      end
      spent[i] = redis.call('HINCRBY', counter, 'spent', actual)
    else
      spent[i] = -1
    end
  end
end

redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'st', 'd')
redis.call('PEXPIRE', KEYS[1], ARGV[5])
if #ARGV > 7 then
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[6], '*', 'settlement', outcome, unpack(ARGV, 8))
end
return {outcome, unpack(spent)}
`;
