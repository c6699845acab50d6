import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';

type Tenant = Awaited<ReturnType<ControlPlaneHarness['createTenant']>>;

interface Entry {
  action: string;
  actorType?: 'PLATFORM_ADMIN' | 'API_KEY' | 'SERVICE' | 'SYSTEM';
  targetId?: string | null;
  at: string;
}

describe('audit log filters (GET /api/v1/audit-log)', () => {
  let h: ControlPlaneHarness;
  beforeAll(async () => {
    h = await ControlPlaneHarness.start();
  });
  afterAll(async () => {
    await h.close();
  });

  const expectProblem = (res: HttpResult, status: number, code: string) => {
    expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  };

  /** Entries as AuditTrail writes them, at chosen times (superuser SQL). */
  const write = async (tenant: Tenant, entries: Entry[]) => {
    for (const e of entries) {
      await h.sql(
        `insert into audit_logs (tenant_id, actor_type, actor_id, action, target_type, target_id,
                                 request_id, created_at)
         values ($1, $2, 'actor', $3, 'thing', $4, 'req', $5)`,
        [tenant.id, e.actorType ?? 'API_KEY', e.action, e.targetId ?? null, e.at],
      );
    }
  };

  const list = (tenant: Tenant, query: string, key = tenant.key) =>
    h.request('GET', `/api/v1/audit-log?${query}`, { key });

  const actions = (res: HttpResult) =>
    res.body.items.map((item: { action: string }) => item.action) as string[];

  /** A tenant's log: the tenant's own creation entries, then these (times in March 2026). */
  const world = async () => {
    const tenant = await h.createTenant();
    await write(tenant, [
      { action: 'run.started', targetId: 'run-1', at: '2026-03-01T00:00:00Z' },
      { action: 'run.cancelled', targetId: 'run-1', at: '2026-03-02T00:00:00Z' },
      { action: 'run.started', targetId: 'run-2', at: '2026-03-03T00:00:00Z' },
      {
        action: 'budget.updated',
        actorType: 'PLATFORM_ADMIN',
        targetId: null,
        at: '2026-03-04T00:00:00Z',
      },
      {
        action: 'run.started',
        actorType: 'SERVICE',
        targetId: 'run-3',
        at: '2026-03-05T00:00:00Z',
      },
    ]);
    return tenant;
  };

  it('filters by action, target, actor type and [from, to), newest first', async () => {
    const tenant = await world();
    expect(actions(await list(tenant, 'action=run.started'))).toEqual([
      'run.started',
      'run.started',
      'run.started',
    ]);
    expect(actions(await list(tenant, 'targetId=run-1'))).toEqual(['run.cancelled', 'run.started']);
    // the harness created the tenant and its key as the platform admin, now
    expect(actions(await list(tenant, 'actorType=PLATFORM_ADMIN'))).toEqual([
      'api_key.created',
      'tenant.created',
      'budget.updated',
    ]);
    expect(actions(await list(tenant, 'actorType=PLATFORM_ADMIN&to=2026-03-31T00:00:00Z'))).toEqual(
      ['budget.updated'],
    );
    // `from` is included, `to` is not
    const march = await list(tenant, 'from=2026-03-02T00:00:00Z&to=2026-03-04T00:00:00Z');
    expect(
      march.body.items.map((item: { createdAt: string; action: string }) => [
        item.createdAt,
        item.action,
      ]),
    ).toEqual([
      ['2026-03-03T00:00:00.000Z', 'run.started'],
      ['2026-03-02T00:00:00.000Z', 'run.cancelled'],
    ]);
    // the filters combine
    const combined = await list(
      tenant,
      'action=run.started&actorType=API_KEY&from=2026-03-02T00:00:00%2B01:00',
    );
    expect(combined.body.items.map((item: { target: { id: string } }) => item.target.id)).toEqual([
      'run-2',
    ]);
    expect(actions(await list(tenant, 'action=run.started&actorType=SYSTEM'))).toEqual([]);
  });

  it('pages through a filtered list; the cursor only continues the same filters', async () => {
    const tenant = await world();
    const first = await list(tenant, 'action=run.started&limit=2');
    expect(first.body.items.map((i: { target: { id: string } }) => i.target.id)).toEqual([
      'run-3',
      'run-2',
    ]);
    const cursor = encodeURIComponent(first.body.nextCursor);
    const second = await list(tenant, `action=run.started&limit=2&cursor=${cursor}`);
    expect(second.body.items.map((i: { target: { id: string } }) => i.target.id)).toEqual([
      'run-1',
    ]);
    expect(second.body.nextCursor).toBeNull();
    const other = await list(tenant, `action=run.started&actorType=SERVICE&cursor=${cursor}`);
    expectProblem(other, 400, 'invalid_cursor');
  });

  it("never shows another tenant's entries, whatever the filters", async () => {
    const [a, b] = [await world(), await h.createTenant()];
    const ids = async (tenant: Tenant) =>
      (await h.sql<{ id: string }>('select id from audit_logs where tenant_id = $1', [tenant.id]))
        .map((row) => row.id)
        .sort();
    const [aIds, bIds] = [await ids(a), await ids(b)];
    for (const query of ['action=run.started', 'targetId=run-1', 'to=2026-03-31T00:00:00Z']) {
      expect((await list(b, query)).body.items).toEqual([]);
    }
    for (const query of ['actorType=PLATFORM_ADMIN', 'from=2026-01-01T00:00:00Z&limit=100']) {
      const seen = (await list(b, query)).body.items.map((item: { id: string }) => item.id);
      expect(seen.sort()).toEqual(bIds); // B's own entries (its creation), none of A's
      expect(seen.filter((id: string) => aIds.includes(id))).toEqual([]);
    }
    const foreign = await h.request('GET', '/api/v1/audit-log?action=run.started', {
      key: b.key,
      tenant: a.id,
    });
    expectProblem(foreign, 403, 'forbidden');
  });

  describe('bad filters → 400 naming the parameter, nothing written', () => {
    const cases: [string, string, string][] = [
      ['from after to', 'from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z', 'query.from'],
      ['from equal to to', 'from=2026-03-02T00:00:00Z&to=2026-03-02T00:00:00Z', 'query.from'],
      ['not a timestamp', 'to=tomorrow', 'query.to'],
      ['an unknown actor type', 'actorType=ROBOT', 'query.actorType'],
      ['an action too long', `action=${'a'.repeat(101)}`, 'query.action'],
      ['an unknown parameter', 'actor=x', 'query'],
    ];
    it.each(cases)('%s', async (_name, query, path) => {
      const tenant = await h.createTenant();
      const before = await h.sql('select * from audit_logs where tenant_id = $1 order by id', [
        tenant.id,
      ]);
      const res = await list(tenant, query);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
      expect(
        await h.sql('select * from audit_logs where tenant_id = $1 order by id', [tenant.id]),
      ).toEqual(before);
    });
  });
});
