import { randomUUID } from 'node:crypto';
import { RunFixtures } from '../runs/run-fixtures';
import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';

type Tenant = Awaited<ReturnType<ControlPlaneHarness['createTenant']>>;

const inHours = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();

describe('approvals read API (/api/v1/approvals)', () => {
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
    h.request('GET', `/api/v1/approvals${path}`, { key: tenant.key });
  const expectProblem = (res: HttpResult, status: number, code: string) => {
    expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  };
  const ids = async (tenant: Tenant, query: string) => {
    const out: string[] = [];
    let cursor: string | null = null;
    do {
      const sep = query.includes('?') ? '&' : '?';
      const res = await get(
        tenant,
        cursor ? `${query}${sep}cursor=${encodeURIComponent(cursor)}` : query,
      );
      expect(res.status).toBe(200);
      out.push(...res.body.items.map((item: { id: string }) => item.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    return out;
  };

  /** A run awaiting approval at one approval step; returns the ids. */
  const approvalRun = async (tenant: Tenant, fields: Parameters<RunFixtures['approval']>[3]) => {
    const task = await fx.task(tenant.id);
    const run = await fx.run(tenant.id, task, { status: 'AWAITING_APPROVAL' });
    const step = await fx.step(tenant.id, run, {
      seq: 1,
      stepKey: fields?.stepKey ?? 'review',
      type: 'approval',
      status: 'RUNNING',
    });
    const approval = await fx.approval(tenant.id, run, step, fields);
    return { task, run, step, approval };
  };

  it('GET /approvals/{id} shows the approval with its run and task, never its task token', async () => {
    const a = await h.createTenant();
    const token = `sfn-token-${randomUUID()}`;
    const expiresAt = inHours(24);
    const { task, run, step, approval } = await approvalRun(a, {
      stepKey: 'legal',
      prompt: 'Publish the summary?',
      approverRoles: ['OWNER', 'ADMIN'],
      taskToken: token,
      expiresAt,
    });
    const res = await get(a, `/${approval}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: approval,
      runId: run,
      taskId: task.id,
      stepId: step,
      stepKey: 'legal',
      prompt: 'Publish the summary?',
      approverRoles: ['OWNER', 'ADMIN'],
      status: 'PENDING',
      expiresAt,
      decidedBy: null,
      decidedAt: null,
      reason: null,
      createdAt: expect.any(String),
    });
    expect(JSON.stringify(res.body)).not.toContain(token);
    expect((await get(a, `/${approval.toUpperCase()}`)).body).toEqual(res.body);
  });

  it('a decided approval shows who decided, when and why; no stored roles is an empty list', async () => {
    const a = await h.createTenant();
    const decidedAt = new Date(Date.now() - 60_000).toISOString();
    const { approval } = await approvalRun(a, {
      status: 'REJECTED',
      approverRoles: [],
      taskToken: null,
      decidedBy: `API_KEY:${a.keyId}`,
      decidedAt,
      reason: 'not yet',
    });
    expect((await get(a, `/${approval}`)).body).toMatchObject({
      status: 'REJECTED',
      approverRoles: [],
      decidedBy: `API_KEY:${a.keyId}`,
      decidedAt,
      reason: 'not yet',
    });
  });

  it('lists newest first, filtered by status (case-insensitive; an overdue pending one is EXPIRED) and run', async () => {
    const a = await h.createTenant();
    const made: { id: string; run: string; shown: string }[] = [];
    const plan: [string, string, string][] = [
      ['PENDING', inHours(1), 'PENDING'],
      ['APPROVED', inHours(1), 'APPROVED'],
      ['PENDING', inHours(-1), 'EXPIRED'], // overdue: nobody can decide it any more
      ['EXPIRED', inHours(-2), 'EXPIRED'],
      ['PENDING', inHours(2), 'PENDING'],
      ['REJECTED', inHours(1), 'REJECTED'],
    ];
    let second = 0;
    for (const [status, expiresAt, shown] of plan) {
      const createdAt = new Date(Date.UTC(2026, 0, 1, 0, 0, (second += 1))).toISOString();
      const { approval, run } = await approvalRun(a, { status, expiresAt, createdAt });
      made.push({ id: approval, run, shown });
    }
    const newestFirst = (keep: (m: (typeof made)[number]) => boolean) =>
      made
        .filter(keep)
        .reverse()
        .map((m) => m.id);

    expect(await ids(a, '?limit=4')).toEqual(newestFirst(() => true));
    expect(await ids(a, '?status=pending&limit=1')).toEqual(
      newestFirst((m) => m.shown === 'PENDING'),
    );
    expect(await ids(a, '?status=PENDING')).toEqual(newestFirst((m) => m.shown === 'PENDING'));
    expect(await ids(a, '?status=expired')).toEqual(newestFirst((m) => m.shown === 'EXPIRED'));
    expect(await ids(a, '?status=approved')).toEqual(newestFirst((m) => m.shown === 'APPROVED'));
    expect(await ids(a, `?runId=${made[2].run}`)).toEqual([made[2].id]);
    expect(await ids(a, `?runId=${made[2].run}&status=pending`)).toEqual([]);
    const shown = (await get(a, '?limit=100')).body.items.map((i: { status: string }) => i.status);
    expect(shown).toEqual([...made].reverse().map((m) => m.shown));

    const first = await get(a, '?status=pending&limit=1');
    const cursor = encodeURIComponent(first.body.nextCursor);
    expectProblem(await get(a, `?status=expired&cursor=${cursor}`), 400, 'invalid_cursor');
  });

  it.each([
    ['an unknown status', '?status=maybe'],
    ['a runId that is not a UUID', '?runId=abc'],
    ['limit over 100', '?limit=101'],
    ['an unknown parameter', '?taskToken=x'],
  ])('%s → 400 validation_failed', async (_name, query) => {
    const a = await h.createTenant();
    expectProblem(await get(a, query), 400, 'validation_failed');
  });

  it("another tenant's approval is 404 and never listed; an unknown id is 404", async () => {
    const a = await h.createTenant();
    const b = await h.createTenant();
    const theirs = await approvalRun(a, {});
    const mine = await approvalRun(b, {});
    expectProblem(await get(b, `/${theirs.approval}`), 404, 'not_found');
    expectProblem(await get(b, `/${randomUUID()}`), 404, 'not_found');
    expect(await ids(b, '')).toEqual([mine.approval]);
    expect(await ids(b, `?runId=${theirs.run}`)).toEqual([]);
    expect(await ids(b, '?status=pending')).toEqual([mine.approval]);
  });

  it('reading approvals needs runs:read (approvals:write alone is not enough)', async () => {
    const a = await h.createTenant();
    const { approval } = await approvalRun(a, {});
    const key = await h.request('POST', '/api/v1/api-keys', {
      key: a.key,
      body: { name: 'decider-only', scopes: ['approvals:write'] },
    });
    expect(key.status).toBe(201);
    const narrow = { ...a, key: key.body.secret as string };
    expectProblem(await get(narrow, ''), 403, 'forbidden');
    expectProblem(await get(narrow, `/${approval}`), 403, 'forbidden');
  });

  it('no response of the runs and approvals read APIs ever carries a task token', async () => {
    const a = await h.createTenant();
    const token = `sfn-token-${randomUUID()}`;
    const { run, step, approval } = await approvalRun(a, { taskToken: token });
    await fx.event(a.id, run, 'approval.requested', { approvalId: approval }, step);
    await fx.event(a.id, run, 'approval.decided', { approvalId: approval, status: 'APPROVED' });
    await fx.setRunStatus(run, 'SUCCEEDED'); // so the event stream ends
    const paths = [
      '/api/v1/approvals',
      `/api/v1/approvals/${approval}`,
      `/api/v1/approvals?runId=${run}`,
      '/api/v1/runs',
      `/api/v1/runs/${run}`,
      `/api/v1/runs/${run}/steps`,
      `/api/v1/runs/${run}/timeline`,
      `/api/v1/runs/${run}/metrics`,
      `/api/v1/runs/${run}/events`,
    ];
    for (const path of paths) {
      const res = await h.request('GET', path, { key: a.key });
      expect(`${path} → ${res.status}`).toBe(`${path} → 200`);
      const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
      expect(text).toMatch(new RegExp(`${run}|${step}`)); // the run is there…
      expect(text).not.toContain(token); // …the token never
      expect(text).not.toMatch(/taskToken|task_token/);
    }
  });
});
