import { ControlPlaneHarness } from '../testing/control-plane-harness';
import { RunFixtures } from './run-fixtures';

type Tenant = Awaited<ReturnType<ControlPlaneHarness['createTenant']>>;

const at = (seconds: number, ms = 0) =>
  new Date(Date.UTC(2026, 2, 1, 10, 0, seconds, ms)).toISOString();

describe('run metrics (GET /api/v1/runs/{id}/metrics)', () => {
  let h: ControlPlaneHarness;
  let fx: RunFixtures;
  beforeAll(async () => {
    h = await ControlPlaneHarness.start();
    fx = new RunFixtures(h);
  });
  afterAll(async () => {
    await h.close();
  });

  const get = (tenant: Tenant, path: string) =>
    h.request('GET', `/api/v1/runs${path}`, { key: tenant.key });

  it('sums tokens, cost (exactly, beyond 2^53), model, tool and platform time, per step and in total', async () => {
    const a = await h.createTenant();
    const task = await fx.task(a.id);
    const run = await fx.run(a.id, task, {
      status: 'SUCCEEDED',
      startedAt: at(0),
      finishedAt: at(10),
    });
    const s1 = { seq: 1, stepKey: 'plan', inputTokens: 100, outputTokens: 20 };
    await fx.step(a.id, run, {
      ...s1,
      costMicros: '9007199254740993',
      modelMs: 1_800,
      startedAt: at(0, 100),
      finishedAt: at(2, 100),
    });
    const s2 = await fx.step(a.id, run, {
      seq: 2,
      stepKey: 'agent',
      turn: 1,
      inputTokens: 300,
      outputTokens: 50,
      costMicros: '2500',
      modelMs: 1_200,
      startedAt: at(2, 200),
      finishedAt: at(5, 200),
    });
    await fx.toolEvent(a.id, run, s2, { callKey: 'c1', durationMs: 400 });
    await fx.toolEvent(a.id, run, s2, { callKey: 'c2', durationMs: 600 });
    const s3 = await fx.step(a.id, run, {
      seq: 3,
      stepKey: 'agent',
      turn: 2,
      inputTokens: 350,
      outputTokens: 40,
      costMicros: '7',
      modelMs: 900,
      startedAt: at(5, 300),
      finishedAt: at(6, 300),
    });
    await fx.toolEvent(a.id, run, s3, { callKey: 'c1', durationMs: 250 });
    await fx.step(a.id, run, {
      seq: 4,
      stepKey: 'review',
      type: 'approval',
      startedAt: at(6, 400),
      finishedAt: at(9, 400),
    });
    const s5 = await fx.step(a.id, run, {
      seq: 5,
      stepKey: 'publish',
      type: 'tool',
      status: 'RETRYING',
      attempt: 2,
      startedAt: at(9, 500),
    });
    await fx.toolEvent(a.id, run, s5, { callKey: 'publish', status: 'TIMEOUT', durationMs: 100 });

    const res = await get(a, `/${run}/metrics`);
    expect(res.status).toBe(200);
    expect(res.body.totals).toEqual({
      durationMs: 10_000,
      modelMs: 3_900,
      toolMs: 1_350,
      platformMs: 10_000 - 3_900 - 1_350,
      inputTokens: 750,
      outputTokens: 110,
      costMicros: '9007199254743500',
      steps: 5,
      toolCalls: 4,
    });
    expect(res.body).toMatchObject({ runId: run, status: 'SUCCEEDED', stepsTruncated: false });
    const row = (seq: number, fields: object) => ({
      seq,
      visit: 1,
      turn: 1,
      attempt: 1,
      branch: null,
      type: 'llm',
      status: 'SUCCEEDED',
      modelMs: 0,
      toolMs: 0,
      toolCalls: 0,
      inputTokens: 0,
      outputTokens: 0,
      costMicros: '0',
      ...fields,
    });
    expect(res.body.steps).toEqual([
      row(1, { ...s1, durationMs: 2_000, modelMs: 1_800, costMicros: '9007199254740993' }),
      row(2, {
        stepKey: 'agent',
        durationMs: 3_000,
        modelMs: 1_200,
        toolMs: 1_000,
        toolCalls: 2,
        inputTokens: 300,
        outputTokens: 50,
        costMicros: '2500',
      }),
      row(3, {
        stepKey: 'agent',
        turn: 2,
        durationMs: 1_000,
        modelMs: 900,
        toolMs: 250,
        toolCalls: 1,
        inputTokens: 350,
        outputTokens: 40,
        costMicros: '7',
      }),
      row(4, { stepKey: 'review', type: 'approval', durationMs: 3_000 }),
      row(5, {
        stepKey: 'publish',
        type: 'tool',
        status: 'RETRYING',
        attempt: 2,
        durationMs: null,
        toolMs: 100,
        toolCalls: 1,
      }),
    ]);
  });

  it('an unfinished run has no duration yet; a run without steps has zero totals', async () => {
    const a = await h.createTenant();
    const task = await fx.task(a.id);
    const run = await fx.run(a.id, task, { status: 'PENDING' });
    const res = await get(a, `/${run}/metrics`);
    expect(res.body).toEqual({
      runId: run,
      status: 'PENDING',
      totals: {
        durationMs: null,
        modelMs: 0,
        toolMs: 0,
        platformMs: null,
        inputTokens: 0,
        outputTokens: 0,
        costMicros: '0',
        steps: 0,
        toolCalls: 0,
      },
      steps: [],
      stepsTruncated: false,
    });
  });

  it('lists the first 1,000 steps; the totals still cover every step', async () => {
    const a = await h.createTenant();
    const task = await fx.task(a.id);
    const run = await fx.run(a.id, task, { status: 'RUNNING' });
    await h.sql(
      `insert into steps (tenant_id, run_id, seq, step_key, type, status, input_tokens, cost_micros)
       select $1, $2, n, 'loop', 'llm', 'SUCCEEDED', 2, 3 from generate_series(1, 1001) n`,
      [a.id, run],
    );
    const res = await get(a, `/${run}/metrics`);
    expect(res.body.steps).toHaveLength(1_000);
    expect(res.body.steps.at(-1).seq).toBe(1_000);
    expect(res.body.stepsTruncated).toBe(true);
    expect(res.body.totals).toMatchObject({ steps: 1_001, inputTokens: 2_002, costMicros: '3003' });
  });
});
