// Public surface of the governance library: budgets and rate limits (Redis Lua, or in process
// for a single instance), provider circuit breakers (opossum), retry and failover policy.
export * from './governance.errors';
export * from './budget-period';
export * from './governor.types';
export { Governor } from './governor';
export { LocalGovernor } from './local-governor';
export { GovernanceKeys, decodeReservationId, type ReservationRef } from './governance-keys';
export type { GovernanceRedis } from './lua-script';
export * from './rate-limit-headers';
export * from './circuit-breakers';
export * from './retry-policy';
export * from './breaker-board';
