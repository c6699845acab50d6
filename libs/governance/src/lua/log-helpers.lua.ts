/**
 * Lua shared by the scripts: sliding-window logs are sorted sets whose members end in
 * `|<amount>` (tokens, or reserved micros), with a running total kept beside them so no script
 * ever sums a whole set.
 */
export const LOG_HELPERS_LUA = `
local function amount_of(member)
  return tonumber(string.match(member, '|(%-?%d+)$')) or 0
end

-- Drops entries scored at or below cutoff (at most 1000 per call; the rest go on later calls)
-- and subtracts their amounts from a running total: a string key, or a hash field.
local function expire_entries(zkey, cutoff, total_key, field)
  local old = redis.call('ZRANGEBYSCORE', zkey, '-inf', cutoff, 'LIMIT', 0, 1000)
  if #old == 0 then return end
  local total = 0
  for i = 1, #old do total = total + amount_of(old[i]) end
  redis.call('ZREM', zkey, unpack(old))
  if field then
    if redis.call('HINCRBY', total_key, field, -total) < 0 then
      redis.call('HSET', total_key, field, 0)
    end
  elseif redis.call('EXISTS', total_key) == 1 then
    if redis.call('DECRBY', total_key, total) < 0 then
      redis.call('SET', total_key, 0, 'KEEPTTL')
    end
  end
end
`;
