import type { TenantDatabase } from '@gnomon/db';
import type { SpendSource } from '@gnomon/governance';
import type { Logger } from '@gnomon/observability';
import { LocalUsageQueue, type LocalUsageQueueOptions } from './local-usage-queue';
import { fromStreamFields, newUsageEvent, toStreamFields, type UsageEvent } from './usage-event';

interface Row {
  id: string;
  tenantId: string;
  apiKeyId: string | null;
  costMicros: bigint;
  createdAt: Date;
}

/** llm_events as the insert … on conflict do nothing sees it, with failures and a gate on demand. */
class FakeDatabase {
  readonly rows = new Map<string, Row>();
  inserts = 0;
  failures = 0;
  /** Holds the inserts of one tenant until opened. */
  gate: { tenantId: string; opened: Promise<void> } | null = null;

  /** The unnest() insert of persistUsageEvents: column arrays in the INSERT's column order. */
  async executeInTenant(scope: { tenantId: string }, _sql: string, columns: unknown[][]) {
    if (this.gate?.tenantId === scope.tenantId) await this.gate.opened;
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('postgres unreachable');
    }
    this.inserts += 1;
    const [ids, tenants, , , apiKeys] = columns as string[][];
    const costs = columns[18] as string[];
    const createdAt = columns[22] as string[];
    ids.forEach((id, i) => {
      if (this.rows.has(id)) return;
      this.rows.set(id, {
        id,
        tenantId: tenants[i],
        apiKeyId: apiKeys[i],
        costMicros: BigInt(costs[i]),
        createdAt: new Date(createdAt[i]),
      });
    });
    return ids.length;
  }

  /** The EventSpendSource query over the fake table. */
  spendSource(): SpendSource {
    return {
      spentMicros: (tenantId, scope, scopeId, start, end) => {
        let total = 0;
        for (const row of this.rows.values()) {
          if (row.tenantId !== tenantId || (scope === 'apiKey' && row.apiKeyId !== scopeId))
            continue;
          if (row.createdAt >= start && row.createdAt < end) total += Number(row.costMicros);
        }
        return Promise.resolve(total);
      },
    };
  }
}

function fakeLogger() {
  return { error: jest.fn(), warn: jest.fn(), info: jest.fn(), debug: jest.fn() };
}

function setup(options: LocalUsageQueueOptions = {}) {
  const db = new FakeDatabase();
  const logger = fakeLogger();
  const queue = new LocalUsageQueue(db as unknown as TenantDatabase, logger as unknown as Logger, {
    flushDelayMs: 5,
    retryMinMs: 5,
    retryMaxMs: 20,
    shutdownFlushMs: 200,
    ...options,
  });
  return { db, logger, queue };
}

const TENANT = '00000000-0000-4000-8000-000000000001';
const OTHER = '00000000-0000-4000-8000-000000000002';

function event(overrides: Partial<UsageEvent> = {}) {
  return toStreamFields(
    newUsageEvent({
      tenantId: TENANT,
      requestId: 'r',
      model: 'simulated/sim-small',
      stream: false,
      costMicros: 10,
      ...overrides,
    }),
  );
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('LocalUsageQueue', () => {
  it('writes events off the caller’s path, in batches, with the settlement fields dropped', async () => {
    const { db, queue } = setup({ batchSize: 100, flushDelayMs: 60_000 });
    for (let i = 0; i < 250; i += 1)
      queue.push({ ...event(), settlement: 'settled', reservationId: 'x' });
    expect(db.rows.size).toBe(0);
    expect(queue.backlog).toBe(250);
    expect(await queue.drain()).toBe(250);
    expect(db.rows.size).toBe(250);
    expect(db.inserts).toBe(3);
    expect(queue.backlog).toBe(0);
    const row = [...db.rows.values()][0] as unknown as Record<string, unknown>;
    expect(row).not.toHaveProperty('settlement');
    expect(row.costMicros).toBe(10n);
  });

  it('flushes by itself shortly after events arrive', async () => {
    const { db, queue } = setup();
    await queue.append(event());
    queue.push(event({ tenantId: OTHER }));
    await until(() => db.rows.size === 2, 'the background flush');
    expect(queue.backlog).toBe(0);
  });

  it('keeps the events when a write fails and retries with backoff, without duplicates', async () => {
    const { db, logger, queue } = setup();
    db.failures = 3;
    for (let i = 0; i < 5; i += 1) queue.push(event({ tenantId: i % 2 ? TENANT : OTHER }));
    await until(() => db.rows.size === 5 && queue.backlog === 0, 'the retried writes');
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ backlog: 5 }),
      'could not write usage events to Postgres; retrying',
    );
    expect(db.rows.size).toBe(5);
  });

  it('drain() reports a failed write to its caller and leaves the events queued', async () => {
    const { db, queue } = setup({ flushDelayMs: 60_000, retryMinMs: 60_000 });
    queue.push(event());
    db.failures = 1;
    await expect(queue.drain()).rejects.toThrow('postgres unreachable');
    expect(queue.backlog).toBe(1);
    expect(await queue.drain()).toBe(1);
    expect(db.rows.size).toBe(1);
  });

  it('drops the oldest events beyond its backlog bound, loudly', async () => {
    const { db, logger, queue } = setup({ maxBacklog: 3, flushDelayMs: 60_000 });
    const events = Array.from({ length: 5 }, () => event());
    for (const e of events) queue.push(e);
    expect(queue.backlog).toBe(3);
    expect(logger.error).toHaveBeenCalledTimes(2);
    expect(logger.error.mock.calls[0][0].usageEvent.id).toBe(fromStreamFields(events[0]).id);
    await queue.drain();
    expect([...db.rows.keys()].sort()).toEqual(
      events
        .slice(2)
        .map((e) => fromStreamFields(e).id)
        .sort(),
    );
  });

  it('writes what is left on stop(), and afterwards records nothing', async () => {
    const { db, logger, queue } = setup({ flushDelayMs: 60_000 });
    queue.push(event());
    queue.push(event());
    await queue.stop();
    expect(db.rows.size).toBe(2);
    queue.push(event());
    expect(queue.backlog).toBe(0);
    expect(logger.error).toHaveBeenCalledWith(
      expect.anything(),
      'usage event recorded after shutdown; not persisted',
    );
  });

  it('logs in full the events it could not write before stopping', async () => {
    const { db, logger, queue } = setup({ flushDelayMs: 60_000, shutdownFlushMs: 50 });
    db.failures = 1_000;
    const lost = event();
    queue.push(lost);
    await queue.stop();
    const [fields, message] = logger.error.mock.calls.at(-1) as [
      { lost: number; usageEvents: Array<{ id: string }> },
      string,
    ];
    expect(fields.lost).toBe(1);
    expect(fields.usageEvents[0].id).toBe(fromStreamFields(lost).id);
    expect(message).toContain('are lost');
  });

  it('counts queued events in the spend, once, even while a write is in progress', async () => {
    const { db, queue } = setup({ flushDelayMs: 60_000 });
    const source = queue.spendSource(db.spendSource());
    const now = Date.now();
    const day = [new Date(now - 3_600_000), new Date(now + 3_600_000)] as const;
    queue.push(event({ costMicros: 100, apiKeyId: 'k1' }));
    queue.push(event({ costMicros: 50, apiKeyId: 'k2' }));
    queue.push(event({ costMicros: 7, tenantId: OTHER }));
    expect(await source.spentMicros(TENANT, 'tenant', TENANT, ...day)).toBe(150);
    expect(await source.spentMicros(TENANT, 'apiKey', 'k1', ...day)).toBe(100);
    expect(await source.spentMicros(OTHER, 'tenant', OTHER, ...day)).toBe(7);
    expect(
      await source.spentMicros(
        TENANT,
        'tenant',
        TENANT,
        new Date(now + 3_600_000),
        new Date(now + 7_200_000),
      ),
    ).toBe(0);

    // The batch's first tenant is committed, the second one's insert hangs: the events of the
    // first are in Postgres and still queued. A spend read now must wait for the batch.
    let open = () => undefined as void;
    db.gate = { tenantId: OTHER, opened: new Promise<void>((resolve) => (open = resolve)) };
    const draining = queue.drain();
    await until(() => db.rows.size === 2, 'the first tenant’s insert');
    const during = source.spentMicros(TENANT, 'tenant', TENANT, ...day);
    await new Promise((resolve) => setTimeout(resolve, 5));
    open();
    await draining;
    expect(await during).toBe(150);
    expect(await source.spentMicros(TENANT, 'tenant', TENANT, ...day)).toBe(150);
  });
});
