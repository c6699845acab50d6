import type { TenantDatabase } from '@gnomon/db';
import { LocalGovernor } from '@gnomon/governance';
import type { Logger } from '@gnomon/observability';
import { InMemoryIdempotencyRecords } from '../completions/idempotency.store';
import { parseGatewayEnv } from '../config/gateway.config';
import { LocalUsageQueue } from '../usage/local-usage-queue';
import { createSingleInstanceState } from './single-instance-state';
import { SINGLE_INSTANCE_READINESS } from './state-backend';

const DATABASE_URL = 'postgres://localhost:5432/gnomon';

describe('single-instance mode', () => {
  it('is what an unset or blank REDIS_URL selects', () => {
    expect(parseGatewayEnv({ DATABASE_URL }).REDIS_URL).toBeUndefined();
    expect(parseGatewayEnv({ DATABASE_URL, REDIS_URL: '  ' }).REDIS_URL).toBeUndefined();
    expect(parseGatewayEnv({ DATABASE_URL, REDIS_URL: 'redis://r:6379' }).REDIS_URL).toBe(
      'redis://r:6379',
    );
    expect(() => parseGatewayEnv({ DATABASE_URL, REDIS_URL: 'not a url' })).toThrow('REDIS_URL');
  });

  it('wires the in-process adapters: settled calls reach the usage queue', async () => {
    const logger = { error: jest.fn(), warn: jest.fn(), info: jest.fn(), debug: jest.fn() };
    const state = createSingleInstanceState(
      {} as unknown as TenantDatabase,
      logger as unknown as Logger,
    );
    expect(state.mode).toBe('single-instance');
    expect(state.redis).toBeNull();
    expect(await state.check()).toBe(SINGLE_INSTANCE_READINESS);
    expect(state.governor).toBeInstanceOf(LocalGovernor);
    expect(state.usageEvents).toBeInstanceOf(LocalUsageQueue);

    const admitted = await state.governor.admit({
      tenantId: 't1',
      userId: 'u1',
      estimatedTokens: 1,
      reserveMicros: 0,
      limits: {},
      budgets: [],
    });
    if (!admitted.ok) throw new Error('not admitted');
    await state.governor.settle(admitted.reservationId, {
      actualMicros: 0,
      actualTokens: 1,
      event: { id: 'e1', tenantId: 't1' },
    });
    expect((state.usageEvents as LocalUsageQueue).backlog).toBe(1);
    await state.start();
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('LOST if the process is killed'),
    );
  });
});

describe('InMemoryIdempotencyRecords', () => {
  it('creates only once per live key, and expires records', async () => {
    const clock = { now: 1_000 };
    const records = new InMemoryIdempotencyRecords({ clock: () => clock.now });
    expect(await records.create('k', 'pending', 100)).toBe(true);
    expect(await records.create('k', 'other', 100)).toBe(false);
    expect(await records.get('k')).toBe('pending');
    await records.put('k', 'done', 1_000);
    clock.now += 500;
    expect(await records.get('k')).toBe('done');
    clock.now += 500;
    expect(await records.get('k')).toBeNull();
    expect(await records.create('k', 'again', 100)).toBe(true);
    await records.delete('k');
    expect(await records.get('k')).toBeNull();
  });

  it('stays within its entry and byte bounds, forgetting the oldest records first', async () => {
    const records = new InMemoryIdempotencyRecords({ maxEntries: 3, maxBytes: 10 });
    for (const key of ['a', 'b', 'c', 'd']) await records.create(key, 'x', 60_000);
    expect(records.size).toBe(3);
    expect(await records.get('a')).toBeNull();
    expect(await records.get('d')).toBe('x');
    await records.put('e', '123456789', 60_000);
    expect(await records.get('e')).toBe('123456789'); // 9 + 1 bytes: only 'd' still fits
    expect(records.size).toBe(2);
    expect(await records.get('c')).toBeNull();
    expect(await records.get('d')).toBe('x');
  });
});
