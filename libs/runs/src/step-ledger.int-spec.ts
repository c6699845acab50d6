// The StepLedger's hand-written SQL against the real PostgreSQL, through both ways of getting a
// SqlSession (plain pg and a Prisma tenant transaction), with RLS in force.
import { randomUUID } from 'node:crypto';
import {
  TenantDatabase,
  connectDatabase,
  sqlSessionOf,
  tenantScope,
  type DatabaseConnection,
  type SqlSession,
  type TenantScope,
} from '@gnomon/db';
import { createTestDatabase, type TestDatabase } from '@gnomon/testing';
import { Client } from 'pg';
import { StepLedger } from './step-ledger';

jest.setTimeout(60_000);

let database: TestDatabase;
let su: Client;
let connection: DatabaseConnection;
let db: TenantDatabase;
const ledger = new StepLedger();

beforeAll(async () => {
  database = await createTestDatabase();
  su = new Client({ connectionString: database.url });
  await su.connect();
  connection = connectDatabase({ databaseUrl: database.url, maxConnections: 4 });
  db = new TenantDatabase(connection);
});

afterAll(async () => {
  await connection?.close();
  await su?.end();
  await database?.drop();
});

/** A tenant with one task version and one PENDING run whose first step (seq 1) is QUEUED. */
async function seedRun(): Promise<{ scope: TenantScope; runId: string; stepId: string }> {
  const tenantId = randomUUID();
  const runId = randomUUID();
  const stepId = randomUUID();
  await su.query(`INSERT INTO tenants (id, name) VALUES ($1, $2)`, [tenantId, `t-${tenantId}`]);
  await su.query(
    `INSERT INTO tasks (id, tenant_id, name, description, current_version) VALUES ($1, $2, 'chain', '', 1)`,
    [randomUUID(), tenantId],
  );
  await su.query(
    `INSERT INTO task_versions (id, tenant_id, task_id, version, definition)
     SELECT $1, $2, id, 1, '{}' FROM tasks WHERE tenant_id = $2`,
    [randomUUID(), tenantId],
  );
  await su.query(
    `INSERT INTO runs (id, tenant_id, task_id, task_version_id, task_version, input, next_seq)
     SELECT $1, $2, t.id, v.id, 1, '{"q":1}', 2 FROM tasks t JOIN task_versions v ON v.task_id = t.id
     WHERE t.tenant_id = $2`,
    [runId, tenantId],
  );
  await su.query(
    `INSERT INTO steps (id, tenant_id, run_id, seq, step_key, type) VALUES ($1, $2, $3, 1, 'a', 'llm')`,
    [stepId, tenantId, runId],
  );
  return { scope: tenantScope(tenantId), runId, stepId };
}

const events = async (runId: string) =>
  (
    await su.query<{ type: string; data: Record<string, unknown> }>(
      `SELECT type, data FROM run_events WHERE run_id = $1 ORDER BY id`,
      [runId],
    )
  ).rows;

describe('StepLedger', () => {
  it('loads, claims once, and starts the run and the step in order', async () => {
    const { scope, runId, stepId } = await seedRun();
    const opened = await db.sqlInTenant(scope, async (s) => ({
      loaded: await ledger.load(s, runId, 1, 3),
      claimed: await ledger.claimAndStart(s, runId, stepId, 30),
      again: await ledger.claimAndStart(s, runId, stepId, 30),
    }));
    expect(opened.loaded?.run).toMatchObject({ id: runId, status: 'PENDING', generation: 3 });
    expect(opened.loaded?.run.costMicros).toBe(0n);
    expect(opened.loaded?.step).toMatchObject({ id: stepId, seq: 1, status: 'QUEUED' });
    expect(opened.loaded?.step?.createdAt).toBeInstanceOf(Date);
    expect(opened.claimed).toMatchObject({ status: 'RUNNING', attempt: 1 });
    expect(opened.claimed?.startedAt).toBeInstanceOf(Date);
    expect(opened.again).toBeNull(); // held: the lease has not run out
    const run = await su.query(`SELECT status, generation FROM runs WHERE id = $1`, [runId]);
    expect(run.rows[0]).toEqual({ status: 'RUNNING', generation: 3 });
    expect((await events(runId)).map((e) => e.type)).toEqual(['run.started', 'step.started']);
    expect((await events(runId))[0].data).toEqual({
      status: 'RUNNING',
      previousStatus: 'PENDING',
    });

    // An older generation does not lower it; the next step of a RUNNING run logs only itself.
    const next = await db.sqlInTenant(scope, async (s) => {
      const { seq } = await ledger.enter(s, { runId, stepKey: 'b', type: 'llm' });
      const loaded = await ledger.load(s, runId, seq, 1);
      return ledger.claimAndStart(s, runId, loaded!.step!.id, 30);
    });
    expect(next).toMatchObject({ seq: 2, stepKey: 'b', visit: 1, status: 'RUNNING' });
    expect((await su.query(`SELECT generation FROM runs WHERE id = $1`, [runId])).rows[0]).toEqual({
      generation: 3,
    });
    expect((await events(runId)).map((e) => e.type)).toEqual([
      'run.started',
      'step.started',
      'step.started',
    ]);
  });

  it('takes over a RUNNING step only after its lease ran out', async () => {
    const { scope, stepId } = await seedRun();
    await su.query(
      `UPDATE steps SET status = 'RUNNING', updated_at = now() - interval '10 seconds' WHERE id = $1`,
      [stepId],
    );
    expect(await db.sqlInTenant(scope, (s) => ledger.claim(s, stepId, 60))).toBeNull();
    expect(await db.sqlInTenant(scope, (s) => ledger.claim(s, stepId, 5))).toMatchObject({
      status: 'RUNNING',
    });
  });

  it('finishes a step: cursor rows, output, usage on step and run, one event with figures', async () => {
    const { scope, runId, stepId } = await seedRun();
    await db.sqlInTenant(scope, async (s) => {
      const step = (await ledger.claim(s, stepId, 30))!;
      expect(await ledger.enter(s, { runId, stepKey: 'b', type: 'llm' })).toEqual({
        seq: 2,
        visit: 1,
      });
      expect(await ledger.enter(s, { runId, stepKey: 'a', type: 'llm' })).toEqual({
        seq: 3,
        visit: 2,
      });
      expect(
        await ledger.enter(s, { runId, stepKey: 'a', type: 'llm', visit: 2, turn: 2 }),
      ).toEqual({ seq: 4, visit: 2 });
      await ledger.succeed(s, step, {
        output: { answer: 'ok' },
        outputRef: null,
        outcome: { route: 'next', cursor: '2' },
        input: { prompt: 'hi' },
        usage: { inputTokens: 10, outputTokens: 5, costMicros: 1234n, modelMs: 7 },
      });
    });
    const step = (await su.query(`SELECT * FROM steps WHERE id = $1`, [stepId])).rows[0];
    expect(step).toMatchObject({
      status: 'SUCCEEDED',
      output: { answer: 'ok' },
      outcome: { route: 'next', cursor: '2' },
      input: { prompt: 'hi' },
      input_tokens: 10,
      output_tokens: 5,
      cost_micros: '1234',
      model_ms: 7,
      error: null,
    });
    expect(step.finished_at).not.toBeNull();
    const run = (await su.query(`SELECT * FROM runs WHERE id = $1`, [runId])).rows[0];
    expect(run).toMatchObject({ next_seq: 5, input_tokens: 10, cost_micros: '1234' });
    const created = await su.query(
      `SELECT seq, step_key, status, visit, turn FROM steps WHERE run_id = $1 AND seq > 1 ORDER BY seq`,
      [runId],
    );
    expect(created.rows).toEqual([
      { seq: 2, step_key: 'b', status: 'QUEUED', visit: 1, turn: 1 },
      { seq: 3, step_key: 'a', status: 'QUEUED', visit: 2, turn: 1 },
      { seq: 4, step_key: 'a', status: 'QUEUED', visit: 2, turn: 2 },
    ]);
    const [event] = await events(runId);
    expect(event).toMatchObject({
      type: 'step.succeeded',
      data: { seq: 1, stepKey: 'a', status: 'SUCCEEDED', inputTokens: 10, costMicros: '1234' },
    });
    expect(typeof event.data.durationMs).toBe('number');
  });

  it('keeps usage and input when a later checkpoint or finish gives none', async () => {
    const { scope, runId, stepId } = await seedRun();
    await db.sqlInTenant(scope, async (s) => {
      const step = (await ledger.claim(s, stepId, 30))!;
      await ledger.checkpoint(
        s,
        step,
        { assistant: 'x' },
        {
          usage: { inputTokens: 3, outputTokens: 2, costMicros: 50n, modelMs: 1 },
          input: { prompt: 'p' },
        },
      );
      await ledger.checkpoint(s, step, { assistant: 'x', toolResults: [] });
      await ledger.succeed(s, step, { output: null, outputRef: null, outcome: { route: 'done' } });
    });
    const step = (await su.query(`SELECT * FROM steps WHERE id = $1`, [stepId])).rows[0];
    expect(step).toMatchObject({
      state: { assistant: 'x', toolResults: [] },
      input: { prompt: 'p' },
      input_tokens: 3,
      cost_micros: '50',
      output: null, // SQL NULL: an agent loop's intermediate turn has no output
    });
    const run = (await su.query(`SELECT cost_micros FROM runs WHERE id = $1`, [runId])).rows[0];
    expect(run.cost_micros).toBe('50'); // added once, by the checkpoint
    expect(await db.sqlInTenant(scope, (s) => ledger.outputs(s, runId))).toEqual({});
  });

  it('ends the run once with its output, from a Prisma transaction too', async () => {
    const { scope, runId } = await seedRun();
    const end = (s: SqlSession) => ledger.succeedRun(s, runId, { output: 'fin', outputRef: null });
    await db.inTenant(scope, (t) => end(sqlSessionOf(t)));
    await db.inTenant(scope, (t) => end(sqlSessionOf(t)));
    const run = (
      await su.query(`SELECT status, output, finished_at FROM runs WHERE id = $1`, [runId])
    ).rows[0];
    expect(run).toMatchObject({ status: 'SUCCEEDED', output: 'fin' });
    expect(run.finished_at).not.toBeNull();
    expect(await events(runId)).toEqual([
      { type: 'run.finished', data: { status: 'SUCCEEDED', previousStatus: 'PENDING' } },
    ]);
  });

  it('reads the latest output of each step key', async () => {
    const { scope, runId, stepId } = await seedRun();
    await su.query(`UPDATE steps SET status = 'SUCCEEDED', output = '"first"' WHERE id = $1`, [
      stepId,
    ]);
    await su.query(
      `INSERT INTO steps (tenant_id, run_id, seq, step_key, type, status, output, output_ref)
       VALUES ($1, $2, 2, 'a', 'llm', 'SUCCEEDED', NULL, 'runs/x/2.json'),
              ($1, $2, 3, 'b', 'llm', 'QUEUED', '"not yet"', NULL)`,
      [scope.tenantId, runId],
    );
    expect(await db.sqlInTenant(scope, (s) => ledger.outputs(s, runId))).toEqual({
      a: { output: null, outputRef: 'runs/x/2.json' },
    });
  });

  it('sees nothing of another tenant (RLS applies to the plain-pg session)', async () => {
    const mine = await seedRun();
    const theirs = await seedRun();
    const seen = await db.sqlInTenant(mine.scope, async (s) => ({
      loaded: await ledger.load(s, theirs.runId, 1, 9),
      claimed: await ledger.claimAndStart(s, theirs.runId, theirs.stepId, 0),
    }));
    expect(seen).toEqual({ loaded: null, claimed: null });
    const step = (await su.query(`SELECT status FROM steps WHERE id = $1`, [theirs.stepId]))
      .rows[0];
    expect(step.status).toBe('QUEUED');
    const run = (await su.query(`SELECT generation FROM runs WHERE id = $1`, [theirs.runId]))
      .rows[0];
    expect(run.generation).toBe(0);
  });

  it('rolls the whole transaction back when a statement fails', async () => {
    const { scope, stepId } = await seedRun();
    await expect(
      db.sqlInTenant(scope, async (s) => {
        await ledger.claim(s, stepId, 30);
        await s.query('SELECT 1 / 0');
      }),
    ).rejects.toThrow();
    const step = (await su.query(`SELECT status FROM steps WHERE id = $1`, [stepId])).rows[0];
    expect(step.status).toBe('QUEUED');
  });
});
