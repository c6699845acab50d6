/**
 * Recreates a lost budget counter from the spend Postgres knows. Only the first seeder wins
 * (like SET NX), so concurrent rebuilds never double count. A new generation id marks
 * reservations made against the lost counter, whose leases are dropped with it.
 *
 * KEYS: 1 budget counter hash, 2 its lease set
 * ARGV: 1 spent micros, 2 generation id, 3 ttl ms
 * Returns 1 when this call seeded the counter, 0 when it already existed.
 */
export const SEED_LUA = `
if redis.call('HEXISTS', KEYS[1], 'spent') == 1 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'spent', ARGV[1], 'reserved', 0, 'gen', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;
