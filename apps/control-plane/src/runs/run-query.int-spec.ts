import { randomUUID } from 'node:crypto';
import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';
import { RunFixtures, type TaskFixture } from './run-fixtures';

type Tenant = Awaited<ReturnType<ControlPlaneHarness['createTenant']>>;

const at = (seconds: number, ms = 0) =>
  new Date(Date.UTC(2026, 2, 1, 10, 0, seconds, ms)).toISOString();

describe('runs read API (/api/v1/runs)', () => {
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
  const expectProblem = (res: HttpResult, status: number, code: string) => {
    expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  };
  /** Every page of a listing, following nextCursor; each page as the items' `pick`. */
  const pages = async (tenant: Tenant, path: string, pick: (item: any) => unknown) => {
    const out: unknown[][] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const res = await get(
        tenant,
        cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path,
      );
      expect(res.status).toBe(200);
      out.push(res.body.items.map(pick));
      cursor = res.body.nextCursor;
    } while (cursor && out.length < 20);
    return out;
  };

  describe('GET /runs/{id}', () => {
    it('shows the run as stored: task name, error, usage (exact micro-USD), duration', async () => {
      const a = await h.createTenant();
      const task = await fx.task(a.id, 'summarize');
      const id = await fx.run(a.id, task, {
        status: 'FAILED',
        input: { question: 'why?', n: [1, 2] },
        error: { code: 'ModelFailed', message: 'provider said no' },
        createdBy: `API_KEY:${a.keyId}`,
        inputTokens: 120,
        outputTokens: 30,
        costMicros: '9007199254740993',
        createdAt: at(0),
        startedAt: at(1),
        finishedAt: at(3, 500),
      });
      const res = await get(a, `/${id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        id,
        taskId: task.id,
        taskName: 'summarize',
        taskVersion: 1,
        status: 'FAILED',
        input: { question: 'why?', n: [1, 2] },
        output: null,
        outputRef: null,
        error: { code: 'ModelFailed', message: 'provider said no' },
        replayOf: null,
        replayFrom: null,
        usage: { inputTokens: 120, outputTokens: 30, costMicros: '9007199254740993' },
        createdBy: `API_KEY:${a.keyId}`,
        createdAt: at(0),
        startedAt: at(1),
        finishedAt: at(3, 500),
        durationMs: 2_500,
      });
      expect((await get(a, `/${id.toUpperCase()}`)).body).toEqual(res.body);
    });

    it('a large output is a reference; a replay names its origin; unfinished runs have no duration', async () => {
      const a = await h.createTenant();
      const task = await fx.task(a.id);
      const original = await fx.run(a.id, task, { status: 'SUCCEEDED', output: { ok: true } });
      const replay = await fx.run(a.id, task, {
        status: 'RUNNING',
        outputRef: `tenants/${a.id}/runs/x/output.json`,
        replayOf: original,
        replayFrom: 'draft',
        startedAt: at(1),
      });
      expect((await get(a, `/${original}`)).body).toMatchObject({ output: { ok: true } });
      expect((await get(a, `/${replay}`)).body).toMatchObject({
        output: null,
        outputRef: `tenants/${a.id}/runs/x/output.json`,
        replayOf: original,
        replayFrom: 'draft',
        startedAt: at(1),
        finishedAt: null,
        durationMs: null,
      });
    });

    it('an unknown id is 404, a malformed one 400', async () => {
      const a = await h.createTenant();
      expectProblem(await get(a, `/${randomUUID()}`), 404, 'not_found');
      expectProblem(await get(a, '/not-a-uuid'), 400, 'validation_failed');
    });
  });

  describe('GET /runs', () => {
    let a: Tenant;
    let alpha: TaskFixture;
    let beta: TaskFixture;
    const runs: { id: string; task: string; status: string; createdAt: string }[] = [];
    /** Fixture runs in the list's order: newest first, ties by id descending. */
    const expected = (keep: (run: (typeof runs)[number]) => boolean) =>
      runs
        .filter(keep)
        .sort((x, y) => y.createdAt.localeCompare(x.createdAt) || y.id.localeCompare(x.id))
        .map((run) => run.id);

    beforeAll(async () => {
      a = await h.createTenant();
      alpha = await fx.task(a.id, 'alpha');
      beta = await fx.task(a.id, 'beta');
      const plan: [TaskFixture, string, number][] = [
        [alpha, 'SUCCEEDED', 1],
        [alpha, 'FAILED', 2],
        [beta, 'SUCCEEDED', 3],
        [alpha, 'RUNNING', 4],
        [beta, 'SUCCEEDED', 5],
        [beta, 'SUCCEEDED', 5], // same instant: the id breaks the tie
        [alpha, 'AWAITING_APPROVAL', 6],
      ];
      for (const [task, status, second] of plan) {
        const id = await fx.run(a.id, task, { status, createdAt: at(second), input: { big: 'x' } });
        runs.push({ id, task: task.name, status, createdAt: at(second) });
      }
    });

    it('pages through every run newest first, each once; items leave out input and output', async () => {
      const got = await pages(a, '?limit=3', (run) => run.id);
      expect(got.map((page) => page.length)).toEqual([3, 3, 1]);
      expect(got.flat()).toEqual(expected(() => true));
      const first = await get(a, '?limit=1');
      expect(Object.keys(first.body.items[0]).sort()).not.toContain('input');
      expect(first.body.items[0]).not.toHaveProperty('output');
      expect(first.body.items[0]).toMatchObject({ taskName: 'alpha', status: 'AWAITING_APPROVAL' });
    });

    it('filters by status (either case), by task id or name, and by creation time', async () => {
      const ids = async (query: string) => (await pages(a, query, (run) => run.id)).flat();
      expect(await ids('?status=succeeded&limit=2')).toEqual(
        expected((run) => run.status === 'SUCCEEDED'),
      );
      expect(await ids('?status=SUCCEEDED')).toEqual(expected((run) => run.status === 'SUCCEEDED'));
      expect(await ids('?taskId=alpha&limit=2')).toEqual(expected((run) => run.task === 'alpha'));
      expect(await ids(`?taskId=${beta.id}`)).toEqual(expected((run) => run.task === 'beta'));
      expect(
        await ids(`?createdAfter=${at(2)}&createdBefore=${encodeURIComponent(at(5))}&limit=1`),
      ).toEqual(expected((run) => run.createdAt >= at(2) && run.createdAt < at(5)));
      expect(await ids(`?taskId=beta&status=succeeded&createdAfter=${at(4)}`)).toEqual(
        expected((run) => run.task === 'beta' && run.createdAt >= at(4)),
      );
      expect(await ids('?taskId=nope')).toEqual([]);
      expect(await ids('?status=cancelled')).toEqual([]);
    });

    it('a cursor only continues the listing it came from', async () => {
      const first = await get(a, '?status=SUCCEEDED&limit=1');
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const cursor = encodeURIComponent(first.body.nextCursor);
      expectProblem(await get(a, `?limit=1&cursor=${cursor}`), 400, 'invalid_cursor');
      expectProblem(await get(a, `?status=FAILED&limit=1&cursor=${cursor}`), 400, 'invalid_cursor');
      expectProblem(await get(a, `?cursor=${cursor}x`), 400, 'invalid_cursor');
    });

    it.each([
      ['limit over 100', '?limit=101'],
      ['limit 0', '?limit=0'],
      ['an unknown status', '?status=DONE'],
      ['a task id that is neither a UUID nor a name', '?taskId=Not%20A%20Name'],
      ['createdAfter not a timestamp', '?createdAfter=yesterday'],
      ['createdAfter after createdBefore', `?createdAfter=${at(5)}&createdBefore=${at(4)}`],
      ['an unknown parameter', '?order=asc'],
    ])('%s → 400 validation_failed', async (_name, query) => {
      expectProblem(await get(a, query), 400, 'validation_failed');
    });
  });

  describe('GET /runs/{id}/steps', () => {
    it('lists steps in seq order across pages, with their tool calls, never internal state', async () => {
      const a = await h.createTenant();
      const task = await fx.task(a.id);
      const run = await fx.run(a.id, task);
      const ids: Record<number, string> = {};
      for (const seq of [3, 1, 5, 2, 4]) {
        ids[seq] = await fx.step(a.id, run, { seq, stepKey: `s${seq}` });
      }
      const agent = await fx.step(a.id, run, {
        seq: 6,
        stepKey: 'agent',
        type: 'llm',
        status: 'FAILED',
        visit: 2,
        turn: 3,
        attempt: 2,
        branch: 'left',
        input: { messages: [{ role: 'user', content: 'hi' }] },
        output: null,
        outputRef: 'tenants/t/runs/r/steps/s/output.json',
        error: { code: 'StepTimeout', message: 'took too long' },
        inputTokens: 40,
        outputTokens: 2,
        costMicros: '123',
        modelMs: 700,
        startedAt: at(1),
        finishedAt: at(2, 250),
      });
      await fx.toolEvent(a.id, run, agent, {
        callKey: 'call_2',
        tool: 'search',
        toolVersion: 3,
        status: 'FAILED',
        input: { q: 'x' },
        error: { message: 'no' },
        durationMs: 90,
        createdAt: at(1, 600),
      });
      await fx.toolEvent(a.id, run, agent, {
        callKey: 'call_1',
        input: { a: 1, b: 2 },
        output: { sum: 3 },
        durationMs: 12,
        createdAt: at(1, 500),
      });

      expect(await pages(a, `/${run}/steps?limit=2`, (step) => step.seq)).toEqual([
        [1, 2],
        [3, 4],
        [5, 6],
      ]);
      const page = await get(a, `/${run}/steps?limit=100`);
      expect(page.body.items.map((step: { id: string }) => step.id)).toEqual([
        ids[1],
        ids[2],
        ids[3],
        ids[4],
        ids[5],
        agent,
      ]);
      const last = page.body.items[5];
      expect(last).toEqual({
        id: agent,
        seq: 6,
        stepKey: 'agent',
        type: 'llm',
        status: 'FAILED',
        visit: 2,
        turn: 3,
        attempt: 2,
        branch: 'left',
        input: { messages: [{ role: 'user', content: 'hi' }] },
        output: null,
        outputRef: 'tenants/t/runs/r/steps/s/output.json',
        error: { code: 'StepTimeout', message: 'took too long' },
        usage: { inputTokens: 40, outputTokens: 2, costMicros: '123' },
        modelMs: 700,
        toolCalls: [
          {
            id: expect.any(String),
            callKey: 'call_1',
            tool: 'add',
            toolVersion: 1,
            status: 'SUCCEEDED',
            input: { a: 1, b: 2 },
            output: { sum: 3 },
            error: null,
            durationMs: 12,
            createdAt: at(1, 500),
          },
          {
            id: expect.any(String),
            callKey: 'call_2',
            tool: 'search',
            toolVersion: 3,
            status: 'FAILED',
            input: { q: 'x' },
            output: null,
            error: { message: 'no' },
            durationMs: 90,
            createdAt: at(1, 600),
          },
        ],
        createdAt: expect.any(String),
        startedAt: at(1),
        finishedAt: at(2, 250),
        durationMs: 1_250,
      });
      expect(page.body.items[0].toolCalls).toEqual([]);
      expect(JSON.stringify(page.body)).not.toMatch(/internal|"route"/);
    });

    it("a run without steps has an empty list; another run's cursor is refused", async () => {
      const a = await h.createTenant();
      const task = await fx.task(a.id);
      const empty = await fx.run(a.id, task);
      const other = await fx.run(a.id, task);
      await fx.step(a.id, other, { seq: 1, stepKey: 'a' });
      await fx.step(a.id, other, { seq: 2, stepKey: 'b' });
      expect((await get(a, `/${empty}/steps`)).body).toEqual({ items: [], nextCursor: null });
      const first = await get(a, `/${other}/steps?limit=1`);
      const cursor = encodeURIComponent(first.body.nextCursor);
      expectProblem(await get(a, `/${empty}/steps?cursor=${cursor}`), 400, 'invalid_cursor');
      expect((await get(a, `/${other}/steps?cursor=${cursor}`)).body.items).toHaveLength(1);
    });
  });

  describe('GET /runs/{id}/timeline', () => {
    it("lists the run's events in id order across pages, and only this run's", async () => {
      const a = await h.createTenant();
      const task = await fx.task(a.id);
      const run = await fx.run(a.id, task);
      const other = await fx.run(a.id, task);
      const step = await fx.step(a.id, run, { seq: 1, stepKey: 'draft' });
      const mine: string[] = [];
      mine.push(await fx.event(a.id, run, 'run.created', { status: 'PENDING' }));
      await fx.event(a.id, other, 'run.created');
      mine.push(await fx.event(a.id, run, 'run.started', { status: 'RUNNING' }));
      mine.push(
        await fx.event(a.id, run, 'step.started', { seq: 1, stepKey: 'draft', type: 'llm' }, step),
      );
      await fx.event(a.id, other, 'run.started');
      mine.push(await fx.event(a.id, run, 'step.succeeded', { seq: 1, durationMs: 5 }, step));
      mine.push(await fx.event(a.id, run, 'run.finished', { status: 'SUCCEEDED' }));

      const got = await pages(a, `/${run}/timeline?limit=2`, (event) => event.id);
      expect(got.map((page) => page.length)).toEqual([2, 2, 1]);
      expect(got.flat()).toEqual(mine);
      expect(mine.map(BigInt)).toEqual([...mine.map(BigInt)].sort((x, y) => (x < y ? -1 : 1)));
      const page = await get(a, `/${run}/timeline?limit=3`);
      expect(page.body.items[2]).toEqual({
        id: mine[2],
        runId: run,
        type: 'step.started',
        stepId: step,
        data: { seq: 1, stepKey: 'draft', type: 'llm' },
        createdAt: expect.any(String),
      });
      expect(page.body.items[0].stepId).toBeNull();
    });
  });

  describe('tenancy and scopes', () => {
    it("another tenant's run is 404 on every route, and lists never show it", async () => {
      const a = await h.createTenant();
      const b = await h.createTenant();
      const taskA = await fx.task(a.id, 'shared-name');
      const taskB = await fx.task(b.id, 'shared-name');
      const runA = await fx.run(a.id, taskA, { status: 'SUCCEEDED' });
      const stepA = await fx.step(a.id, runA, { seq: 1, stepKey: 'x' });
      await fx.event(a.id, runA, 'run.finished', {}, stepA);
      const runB = await fx.run(b.id, taskB, { status: 'SUCCEEDED' });
      for (const path of ['', '/steps', '/timeline', '/metrics', '/events']) {
        const res = await get(b, `/${runA}${path}`);
        expect(`${path} → ${res.status} ${res.body?.code}`).toBe(`${path} → 404 not_found`);
      }
      const listed = (await get(b, '?limit=100')).body.items.map((run: { id: string }) => run.id);
      expect(listed).toEqual([runB]);
      expect((await get(b, `?taskId=${taskA.id}`)).body.items).toEqual([]);
      expect((await get(b, '?taskId=shared-name')).body.items.map((r: any) => r.id)).toEqual([
        runB,
      ]);
      // A tenant key cannot name another tenant.
      const hop = await h.request('GET', `/api/v1/runs/${runA}`, { key: b.key, tenant: a.id });
      expectProblem(hop, 403, 'forbidden');
      // A platform admin reaches it only inside tenant A.
      const admin = await h.request('GET', `/api/v1/runs/${runA}`, {
        key: h.adminKey,
        tenant: a.id,
      });
      expect(admin.status).toBe(200);
      const adminB = await h.request('GET', `/api/v1/runs/${runA}`, {
        key: h.adminKey,
        tenant: b.id,
      });
      expectProblem(adminB, 404, 'not_found');
    });

    it('every route needs runs:read', async () => {
      const a = await h.createTenant();
      const task = await fx.task(a.id);
      const run = await fx.run(a.id, task, { status: 'SUCCEEDED' });
      const key = await h.request('POST', '/api/v1/api-keys', {
        key: a.key,
        body: { name: 'no-runs', scopes: ['tasks:read'] },
      });
      expect(key.status).toBe(201);
      const narrow = { ...a, key: key.body.secret as string };
      for (const path of [
        '',
        `/${run}`,
        `/${run}/steps`,
        `/${run}/timeline`,
        `/${run}/metrics`,
        `/${run}/events`,
      ]) {
        const res = await get(narrow, path);
        expect(`${path} → ${res.status} ${res.body?.code}`).toBe(`${path} → 403 forbidden`);
      }
    });
  });
});
