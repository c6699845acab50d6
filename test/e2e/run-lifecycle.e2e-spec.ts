// The run lifecycle end to end on the embedded defaults (`npm start`: PGlite, the local SQS/S3
// endpoint, the local engine running the real state machine, the worker, the gateway and the
// tool runtime), driven over the REST API as a tenant would. Model turns go to the simulated
// provider, or to an OpenAI wire-format fake where a test needs a scripted model.
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { startOpenAiFake, type OpenAiFake } from '@gnomon/testing';
import { startEmbeddedPlatform, type EmbeddedPlatform } from './support/embedded-platform';

jest.setTimeout(240_000);

const ALL_SCOPES = [
  'tasks:read',
  'tasks:write',
  'tools:read',
  'tools:write',
  'runs:read',
  'runs:write',
  'approvals:write',
  'llm:invoke',
];
const TERMINAL = ['SUCCEEDED', 'FAILED', 'BUDGET_EXCEEDED', 'CANCELLED', 'TIMED_OUT'];
const SIM = 'simulated/sim-small';
const LOOP_TURNS = 300;

interface Tenant {
  id: string;
  key: string;
}

describe('run lifecycle on the embedded defaults', () => {
  let platform: EmbeddedPlatform;
  let model: OpenAiFake;
  let a: Tenant;
  let b: Tenant;
  let expiring: string;

  const api = (...args: Parameters<EmbeddedPlatform['api']>) => platform.api(...args);

  async function tenant(name: string): Promise<Tenant> {
    const created = await api('POST', '/api/v1/admin/tenants', platform.adminKey, {
      name: `${name} ${Date.now()}`,
      owner: { email: `${name.toLowerCase()}-${Date.now()}@example.test`, name },
    });
    expect(created.status).toBe(201);
    const key = await api(
      'POST',
      '/api/v1/api-keys',
      platform.adminKey,
      { name: 'e2e', scopes: ALL_SCOPES },
      {
        'x-gnomon-tenant': created.body.id,
      },
    );
    expect(key.status).toBe(201);
    return { id: created.body.id, key: key.body.secret };
  }

  async function tool(t: Tenant, name: string, source: string, timeoutMs = 10_000) {
    const created = await api('POST', '/api/v1/tools', t.key, {
      name,
      kind: 'js',
      description: `${name} (e2e)`,
      source,
      inputSchema: { type: 'object' },
      limits: { timeoutMs },
    });
    expect(created.status).toBe(201);
  }

  async function task(t: Tenant, name: string, steps: unknown[], start?: string) {
    const created = await api('POST', '/api/v1/tasks', t.key, {
      name,
      definition: {
        language: 'gnomon.task/v1',
        start: start ?? (steps[0] as { id: string }).id,
        steps,
      },
    });
    if (created.status !== 201) throw new Error(`task ${name}: ${JSON.stringify(created.body)}`);
    return created.body;
  }

  async function startRun(
    t: Tenant,
    taskName: string,
    input: unknown = {},
    headers: Record<string, string> = {},
  ) {
    const run = await api('POST', '/api/v1/runs', t.key, { taskId: taskName, input }, headers);
    expect({ status: run.status, body: run.body }).toMatchObject({ status: 201 });
    return run.body as { id: string; status: string };
  }

  async function waitFor(
    t: Tenant,
    runId: string,
    done: (run: any) => boolean,
    timeoutMs = 120_000,
  ) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await api('GET', `/api/v1/runs/${runId}`, t.key);
      if (done(run.body)) return run.body;
      if (Date.now() > deadline) throw new Error(`run ${runId} stuck: ${JSON.stringify(run.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  const finished = (t: Tenant, runId: string, timeoutMs?: number) =>
    waitFor(t, runId, (run) => TERMINAL.includes(run.status), timeoutMs);

  async function stepsOf(t: Tenant, runId: string) {
    const page = await api('GET', `/api/v1/runs/${runId}/steps?limit=100`, t.key);
    expect(page.status).toBe(200);
    return (page.body.items as any[]).sort((x, y) => x.seq - y.seq);
  }

  async function pendingApproval(t: Tenant, runId: string) {
    await waitFor(t, runId, (run) => run.status === 'AWAITING_APPROVAL');
    const list = await api('GET', `/api/v1/approvals?status=PENDING&runId=${runId}`, t.key);
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    return list.body.items[0] as { id: string; prompt: string; status: string };
  }

  beforeAll(async () => {
    // The scripted model: keeps calling the `tick` tool until the conversation holds LOOP_TURNS - 1
    // tool results, then answers; slow prompts wait (for cancellation).
    model = await startOpenAiFake({
      fallback: (request) => {
        const body = request.body as { messages: { role: string; content?: string }[] };
        const tools = body.messages.filter((m) => m.role === 'tool').length;
        const prompt = body.messages.find((m) => m.role === 'user')?.content ?? '';
        if (prompt.includes('loop') && tools < LOOP_TURNS - 1)
          return {
            kind: 'ok',
            toolCalls: [{ id: `call_${tools}`, name: 'tick', arguments: { n: tools } }],
            usage: { inputTokens: 10, outputTokens: 5 },
          };
        if (prompt.includes('crash test'))
          return tools === 0
            ? {
                kind: 'ok',
                toolCalls: [{ id: 'call_crash', name: 'slowtick', arguments: {} }],
                usage: { inputTokens: 10, outputTokens: 5 },
              }
            : { kind: 'ok', content: 'survived', usage: { inputTokens: 10, outputTokens: 5 } };
        return {
          kind: 'ok',
          content: `done after ${tools} tool results`,
          usage: { inputTokens: 10, outputTokens: 5 },
        };
      },
    });
    platform = await startEmbeddedPlatform({
      OPENAI_API_KEY: 'sk-e2e',
      OPENAI_BASE_URL: model.url,
      GNOMON_RUN_STEPS_PER_EXECUTION: '100',
      // A killed worker's message comes back after 5 s (the default is 30 s).
      WORKER_VISIBILITY_TIMEOUT_SECONDS: '5',
      WORKER_HEARTBEAT_SECONDS: '2',
    });
    a = await tenant('Alpha');
    b = await tenant('Beta');
    await tool(a, 'lookup', 'export default (input) => ({ found: true, echo: input })');
    await tool(a, 'tick', 'export default (input) => ({ ticked: input.n ?? null })');
    await tool(
      a,
      'slowtick',
      'export default async () => { await new Promise((r) => setTimeout(r, 4000)); return { ok: true }; }',
    );
    await tool(
      a,
      'sleepy',
      'export default async () => { await new Promise((r) => setTimeout(r, 25000)); return {}; }',
      30_000,
    );
    // Started first: it needs the minimum approval timeout (60 s) to pass; checked at the end.
    await task(a, 'expiring', [
      { id: 'ask', type: 'approval', prompt: 'Anyone?', timeoutSeconds: 60 },
    ]);
    expiring = (await startRun(a, 'expiring')).id;
  });

  afterAll(async () => {
    await platform?.stop();
    await model?.close();
  });

  it('runs llm → tool → approval → llm to SUCCEEDED after an approval over the API', async () => {
    await task(a, 'publish', [
      {
        id: 'draft',
        type: 'llm',
        model: SIM,
        prompt: 'Draft about {{input.topic}}',
        tools: ['lookup'],
        next: 'check',
      },
      {
        id: 'check',
        type: 'tool',
        tool: 'lookup',
        input: { draft: '{{steps.draft.output}}' },
        next: 'review',
      },
      {
        id: 'review',
        type: 'approval',
        prompt: 'Publish the post on {{input.topic}}?',
        next: 'publish',
      },
      { id: 'publish', type: 'llm', model: SIM, prompt: 'Publish: {{steps.check.output.found}}' },
    ]);
    const run = await startRun(a, 'publish', { topic: 'otters' });
    const approval = await pendingApproval(a, run.id);
    expect(approval.prompt).toBe('Publish the post on otters?');
    const approved = await api('POST', `/api/v1/approvals/${approval.id}/approve`, a.key, {
      reason: 'looks good',
    });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('APPROVED');
    const again = await api('POST', `/api/v1/approvals/${approval.id}/reject`, a.key, {
      reason: 'too late',
    });
    expect(again.status).toBe(409); // a decision is accepted once

    const done = await finished(a, run.id);
    expect(done.status).toBe('SUCCEEDED');
    expect(typeof done.output).toBe('string');
    expect(Number(done.usage.costMicros)).toBeGreaterThan(0);
    const steps = await stepsOf(a, run.id);
    expect(steps.map((s) => [s.stepKey, s.turn, s.status])).toEqual([
      ['draft', 1, 'SUCCEEDED'],
      ['draft', 2, 'SUCCEEDED'],
      ['check', 1, 'SUCCEEDED'],
      ['review', 1, 'SUCCEEDED'],
      ['publish', 1, 'SUCCEEDED'],
    ]);
    expect(steps[2].output).toMatchObject({ found: true });
    expect(steps[3].output).toMatchObject({ decision: 'approved', reason: 'looks good' });

    const timeline = await api('GET', `/api/v1/runs/${run.id}/timeline?limit=100`, a.key);
    const types = (timeline.body.items as { type: string }[]).map((e) => e.type);
    expect(types[0]).toBe('run.created');
    expect(types).toEqual(
      expect.arrayContaining(['approval.requested', 'approval.decided', 'tool.called']),
    );
    expect(types[types.length - 1]).toBe('run.finished');
    // The event stream of a finished run replays its events and ends.
    const events = await api('GET', `/api/v1/runs/${run.id}/events`, a.key);
    expect(events.status).toBe(200);
    expect(String(events.body)).toContain('event: run.finished');
  });

  it('follows the reject path, and fails the run when a rejected approval has none', async () => {
    await task(a, 'gated', [
      { id: 'ask', type: 'approval', prompt: 'Go?', onReject: 'sorry', next: 'go' },
      { id: 'go', type: 'llm', model: SIM, prompt: 'go' },
      { id: 'sorry', type: 'llm', model: SIM, prompt: 'apologise' },
    ]);
    const run = await startRun(a, 'gated');
    const approval = await pendingApproval(a, run.id);
    const noReason = await api('POST', `/api/v1/approvals/${approval.id}/reject`, a.key, {});
    expect(noReason.status).toBe(400);
    expect(
      (await api('POST', `/api/v1/approvals/${approval.id}/reject`, a.key, { reason: 'no' }))
        .status,
    ).toBe(200);
    expect((await finished(a, run.id)).status).toBe('SUCCEEDED');
    expect((await stepsOf(a, run.id)).map((s) => s.stepKey)).toEqual(['ask', 'sorry']);

    await task(a, 'strict', [
      { id: 'ask', type: 'approval', prompt: 'Go?', next: 'go' },
      { id: 'go', type: 'llm', model: SIM, prompt: 'go' },
    ]);
    const strict = await startRun(a, 'strict');
    const second = await pendingApproval(a, strict.id);
    await api('POST', `/api/v1/approvals/${second.id}/reject`, a.key, { reason: 'no' });
    const failed = await finished(a, strict.id);
    expect(failed.status).toBe('FAILED');
    expect(failed.error.code).toBe('ApprovalRejected');
  });

  it('ends BUDGET_EXCEEDED when the budget runs out mid-run', async () => {
    await task(a, 'spender', [
      { id: 'first', type: 'tool', tool: 'lookup', next: 'think' },
      { id: 'think', type: 'llm', model: SIM, prompt: 'think hard' },
    ]);
    const c = await tenant('Gamma');
    await api('POST', '/api/v1/tools', c.key, {
      name: 'lookup',
      kind: 'js',
      description: 'x',
      source: 'export default () => ({ ok: true })',
    });
    await api('POST', '/api/v1/tasks', c.key, {
      name: 'spender',
      definition: {
        language: 'gnomon.task/v1',
        start: 'first',
        steps: [
          { id: 'first', type: 'tool', tool: 'lookup', next: 'think' },
          { id: 'think', type: 'llm', model: SIM, prompt: 'think hard' },
        ],
      },
    });
    const budget = await api(
      'PUT',
      '/api/v1/budget',
      platform.adminKey,
      { policies: [{ period: 'MONTHLY', limitMicros: '1' }] },
      { 'x-gnomon-tenant': c.id },
    );
    expect(budget.status).toBe(200);
    const run = await startRun(c, 'spender');
    const done = await finished(c, run.id);
    expect(done.status).toBe('BUDGET_EXCEEDED');
    const steps = await stepsOf(c, run.id);
    expect(steps.map((s) => [s.stepKey, s.status])).toEqual([
      ['first', 'SUCCEEDED'],
      ['think', 'FAILED'],
    ]);
    expect(steps[1].error.code).toBe('budget_exceeded');
  });

  it('cancels a run mid-step and aborts the call in flight', async () => {
    await task(a, 'napper', [{ id: 'nap', type: 'tool', tool: 'sleepy', timeoutSeconds: 60 }]);
    const run = await startRun(a, 'napper');
    await waitFor(a, run.id, (r) => r.status === 'RUNNING');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const cancelled = await api('POST', `/api/v1/runs/${run.id}/cancel`, a.key, {
      reason: 'changed my mind',
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    const started = Date.now();
    const step = await (async () => {
      for (;;) {
        const [first] = await stepsOf(a, run.id);
        if (first.status !== 'RUNNING') return first;
        if (Date.now() - started > 15_000) throw new Error('the step was not aborted');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    expect(step.status).toBe('FAILED');
    expect(step.error.code).toBe('cancelled');
    // The tool call was aborted, not waited for: no finished call was recorded for the step.
    expect(step.toolCalls).toEqual([]);
    expect((await api('POST', `/api/v1/runs/${run.id}/cancel`, a.key, {})).status).toBe(409);
  });

  it('runs parallel branches and joins them', async () => {
    await task(a, 'fan', [
      {
        id: 'split',
        type: 'parallel',
        branches: [{ start: 'left' }, { start: 'right' }],
        next: 'join',
      },
      { id: 'left', type: 'tool', tool: 'lookup', input: { side: 'left' } },
      { id: 'right', type: 'tool', tool: 'lookup', input: { side: 'right' }, next: 'right2' },
      {
        id: 'right2',
        type: 'tool',
        tool: 'lookup',
        input: { after: '{{steps.right.output.echo.side}}' },
      },
      {
        id: 'join',
        type: 'llm',
        model: SIM,
        prompt: '{{steps.left.output.echo.side}} and {{steps.right2.output.echo.after}}',
      },
    ]);
    const run = await startRun(a, 'fan');
    expect((await finished(a, run.id)).status).toBe('SUCCEEDED');
    const steps = await stepsOf(a, run.id);
    const byKey = Object.fromEntries(steps.map((s) => [s.stepKey, s]));
    expect(Object.keys(byKey).sort()).toEqual(['join', 'left', 'right', 'right2', 'split']);
    expect(byKey.right2.output).toEqual({ found: true, echo: { after: 'right' } });
    const joinStarted = Date.parse(byKey.join.startedAt);
    for (const key of ['left', 'right', 'right2'])
      expect(Date.parse(byKey[key].finishedAt)).toBeLessThanOrEqual(joinStarted);
    expect(byKey.join.input.prompt).toBe('left and right');
  });

  it(`runs a ${LOOP_TURNS}-turn agent loop across continue-as-new executions`, async () => {
    await task(a, 'looper', [
      {
        id: 'loop',
        type: 'llm',
        model: 'openai/gpt-4o-mini',
        prompt: 'loop please',
        tools: ['tick'],
        maxTurns: LOOP_TURNS,
      },
    ]);
    const run = await startRun(a, 'looper');
    const done = await finished(a, run.id, 220_000);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toBe(`done after ${LOOP_TURNS - 1} tool results`);
    const steps = await api('GET', `/api/v1/runs/${run.id}/metrics`, a.key);
    expect(steps.body.totals.steps).toBe(LOOP_TURNS);
    // 300 steps at 100 per execution: generation 0 continued as 1, 1 as 2, and 2 finished.
    const engine = /runs\s+local engine \(.*\), (http:\/\/[0-9.:]+)/.exec(platform.output())![1];
    const arn =
      /"stateMachineArn":"([^"]+)"/.exec(platform.output())?.[1] ??
      'arn:aws:states:us-east-1:000000000000:stateMachine:gnomon-run';
    const sfn = new SFNClient({
      endpoint: engine,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const statusOf = async (name: string) => {
      const executionArn = `${arn.replace(':stateMachine:', ':execution:')}:${name}`;
      return (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status;
    };
    expect(await statusOf(run.id)).toBe('SUCCEEDED');
    expect(await statusOf(`${run.id}-g1`)).toBe('SUCCEEDED');
    expect(await statusOf(`${run.id}-g2`)).toBe('SUCCEEDED');
    await expect(statusOf(`${run.id}-g3`)).rejects.toThrow(/Does Not Exist/);
  });

  it('survives a worker killed mid-step: redelivered, completed once, the model billed once', async () => {
    await task(a, 'crashy', [
      {
        id: 'work',
        type: 'llm',
        model: 'openai/gpt-4o-mini',
        prompt: 'crash test',
        tools: ['slowtick'],
        maxTurns: 3,
      },
    ]);
    const modelCalls = () =>
      model.requests.filter((r) => JSON.stringify(r.body ?? '').includes('crash test')).length;
    const run = await startRun(a, 'crashy');
    // Turn 1: the model asked for slowtick (4 s); kill the worker while the tool runs.
    const deadline = Date.now() + 30_000;
    while (modelCalls() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1_000));
    const pids = [...platform.output().matchAll(/orchestrator-worker running \(pid (\d+)/g)];
    const pid = Number(pids[pids.length - 1][1]);
    process.kill(pid, 'SIGKILL');

    const done = await finished(a, run.id, 90_000);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toBe('survived');
    expect(platform.output()).toMatch(
      /orchestrator-worker exited unexpectedly with signal SIGKILL; restarting it/,
    );
    // One model call per turn: the redelivered turn reused the checkpointed answer.
    expect(modelCalls()).toBe(2);
    expect(done.usage).toMatchObject({ inputTokens: 20, outputTokens: 10 });
    const steps = await stepsOf(a, run.id);
    expect(steps.map((s) => [s.turn, s.status])).toEqual([
      [1, 'SUCCEEDED'],
      [2, 'SUCCEEDED'],
    ]);
  });

  it('replays a run from a step, reusing the outputs recorded before it', async () => {
    await task(a, 'twice', [
      { id: 'fetch', type: 'tool', tool: 'lookup', input: { q: '{{input.q}}' }, next: 'ask' },
      { id: 'ask', type: 'approval', prompt: 'ok?', next: 'write' },
      { id: 'write', type: 'llm', model: SIM, prompt: 'write about {{steps.fetch.output.echo.q}}' },
    ]);
    const run = await startRun(a, 'twice', { q: 'seals' });
    const approval = await pendingApproval(a, run.id);
    await api('POST', `/api/v1/approvals/${approval.id}/approve`, a.key, {});
    expect((await finished(a, run.id)).status).toBe('SUCCEEDED');

    const bad = await api('POST', `/api/v1/runs/${run.id}/replay`, a.key, { fromStep: 'nope' });
    expect(bad.status).toBe(400);
    const replay = await api('POST', `/api/v1/runs/${run.id}/replay`, a.key, { fromStep: 'write' });
    expect(replay.status).toBe(201);
    expect(replay.body).toMatchObject({ replayOf: run.id, replayFrom: 'write' });
    const done = await finished(a, replay.body.id);
    expect(done.status).toBe('SUCCEEDED');
    const steps = await stepsOf(a, replay.body.id);
    expect(steps.map((s) => s.stepKey)).toEqual(['fetch', 'ask', 'write']);
    expect(steps[2].input.prompt).toBe('write about seals');
    const timeline = await api('GET', `/api/v1/runs/${replay.body.id}/timeline?limit=100`, a.key);
    const types = (timeline.body.items as { type: string }[]).map((e) => e.type);
    expect(types).not.toContain('tool.called'); // the tool did not run again
    expect(types).not.toContain('approval.requested'); // nor was approval asked again
  });

  it('keeps step outputs over 32 KiB in S3 and still feeds them to later steps', async () => {
    await tool(a, 'bigtool', "export default () => ({ size: 40000, text: 'x'.repeat(40000) })");
    await task(a, 'bulky', [
      { id: 'big', type: 'tool', tool: 'bigtool', next: 'use' },
      {
        id: 'use',
        type: 'llm',
        model: SIM,
        prompt: 'size {{steps.big.output.size}}, {{steps.big.output.text}}',
      },
    ]);
    const run = await startRun(a, 'bulky');
    expect((await finished(a, run.id)).status).toBe('SUCCEEDED');
    const [big, use] = await stepsOf(a, run.id);
    expect(big.output).toBeNull();
    expect(big.outputRef).toBe(`tenants/${a.id}/runs/${run.id}/steps/${big.seq}/output.json`);
    expect(use.input.prompt).toBe(`size 40000, ${'x'.repeat(40000)}`);
  });

  it('answers the same Idempotency-Key with the same run', async () => {
    await task(a, 'once', [{ id: 'only', type: 'tool', tool: 'lookup' }]);
    const first = await api(
      'POST',
      '/api/v1/runs',
      a.key,
      { taskId: 'once', input: { n: 1 } },
      { 'idempotency-key': 'e2e-once' },
    );
    const second = await api(
      'POST',
      '/api/v1/runs',
      a.key,
      { taskId: 'once', input: { n: 1 } },
      { 'idempotency-key': 'e2e-once' },
    );
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const different = await api(
      'POST',
      '/api/v1/runs',
      a.key,
      { taskId: 'once', input: { n: 2 } },
      { 'idempotency-key': 'e2e-once' },
    );
    expect(different.status).toBe(409);
    expect(different.body.code).toBe('idempotency_conflict');
  });

  it('rejects invalid task definitions with path-precise errors and writes nothing', async () => {
    const bad = await api('POST', '/api/v1/tasks', a.key, {
      name: 'broken',
      definition: {
        language: 'gnomon.task/v1',
        start: 'a',
        steps: [{ id: 'a', type: 'tool', tool: 'ghost', next: 'x' }],
      },
    });
    expect(bad.status).toBe(400);
    const messages = (bad.body.errors as { path: string; message: string }[]).map(
      (e) => `${e.path}: ${e.message}`,
    );
    expect(messages).toContain('body.definition.steps[0].next: unknown step "x"');
    expect((await api('GET', '/api/v1/tasks/broken', a.key)).status).toBe(404);
  });

  it('keeps runs, steps, events and approvals of one tenant invisible to another', async () => {
    await task(a, 'secretive', [{ id: 'ask', type: 'approval', prompt: 'secret?' }]);
    const run = await startRun(a, 'secretive');
    const approval = await pendingApproval(a, run.id);
    for (const url of [
      `/api/v1/runs/${run.id}`,
      `/api/v1/runs/${run.id}/steps`,
      `/api/v1/runs/${run.id}/timeline`,
      `/api/v1/runs/${run.id}/metrics`,
      `/api/v1/runs/${run.id}/events`,
      `/api/v1/approvals/${approval.id}`,
    ]) {
      expect({ url, status: (await api('GET', url, b.key)).status }).toEqual({ url, status: 404 });
    }
    for (const [url, body] of [
      [`/api/v1/runs/${run.id}/cancel`, {}],
      [`/api/v1/runs/${run.id}/replay`, { fromStep: 'ask' }],
      [`/api/v1/approvals/${approval.id}/approve`, {}],
      [`/api/v1/approvals/${approval.id}/reject`, { reason: 'mine now' }],
    ] as const) {
      expect({ url, status: (await api('POST', url, b.key, body)).status }).toEqual({
        url,
        status: 404,
      });
    }
    expect((await api('GET', '/api/v1/approvals?status=PENDING', b.key)).body.items).toEqual([]);
    expect((await api('GET', '/api/v1/runs', b.key)).body.items).toEqual([]);
    expect((await api('GET', `/api/v1/approvals/${approval.id}`, a.key)).body.status).toBe(
      'PENDING',
    );
    await api('POST', `/api/v1/runs/${run.id}/cancel`, a.key, {});
  });

  it('expires an approval nobody decided and follows the timeout path (TIMED_OUT)', async () => {
    const done = await finished(a, expiring, 150_000);
    expect(done.status).toBe('TIMED_OUT');
    const [step] = await stepsOf(a, expiring);
    expect(step.error.code).toBe('approval_expired');
    const list = await api('GET', `/api/v1/approvals?runId=${expiring}`, a.key);
    expect(list.body.items[0].status).toBe('EXPIRED');
  });
});
