import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';
import { RunFixtures, type TaskFixture } from './run-fixtures';
import { RunEventStreams } from './run-events.stream';

type Tenant = Awaited<ReturnType<ControlPlaneHarness['createTenant']>>;

interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  comment?: string;
}

/** Splits an SSE body into messages (blank-line separated blocks of `field: value` lines). */
function parseSse(text: string): SseMessage[] {
  return text
    .split('\n\n')
    .filter((block) => block.length > 0)
    .map((block) => {
      const message: SseMessage = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) message.comment = line.slice(1).trim();
        else {
          const colon = line.indexOf(':');
          const field = line.slice(0, colon) as keyof SseMessage;
          message[field] = line.slice(colon + 1).replace(/^ /, '');
        }
      }
      return message;
    });
}

/** A live SSE connection over a real socket. */
class SseClient {
  readonly messages: SseMessage[] = [];
  readonly ended: Promise<void>;
  private buffer = '';
  private listeners: (() => void)[] = [];

  private constructor(
    private readonly request: http.ClientRequest,
    readonly response: http.IncomingMessage,
  ) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      this.buffer += chunk;
      const end = this.buffer.lastIndexOf('\n\n');
      if (end < 0) return;
      this.messages.push(...parseSse(this.buffer.slice(0, end + 2)));
      this.buffer = this.buffer.slice(end + 2);
      for (const listener of this.listeners) listener();
    });
    this.ended = new Promise((resolve) => response.on('close', () => resolve()));
  }

  static open(port: number, path: string, headers: Record<string, string>) {
    return new Promise<SseClient>((resolve, reject) => {
      const request = http.get(
        { host: '127.0.0.1', port, path, headers, agent: false },
        (response) => resolve(new SseClient(request, response)),
      );
      request.on('error', reject);
    });
  }

  get events() {
    return this.messages.filter((message) => message.id !== undefined);
  }

  /** Resolves with the first message that matches, failing after `timeoutMs`. */
  waitFor(match: (message: SseMessage) => boolean, timeoutMs: number): Promise<SseMessage> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.find(match);
        if (!found) return false;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((listener) => listener !== onData);
        resolve(found);
        return true;
      };
      const onData = () => void check();
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((listener) => listener !== onData);
        reject(new Error(`no matching SSE message within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) this.listeners.push(onData);
    });
  }

  close(): void {
    this.request.destroy();
  }
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('run events stream (GET /api/v1/runs/{id}/events, server-sent events)', () => {
  let h: ControlPlaneHarness;
  let fx: RunFixtures;
  /** Instance 0: default settings (250 ms polls). Instance 1: 50 ms polls, 200 ms keep-alive,
   *  at most 2 streams, 1 per tenant. Both on the same database, like two deployed instances. */
  const ports: number[] = [];
  const clients: SseClient[] = [];

  const listen = async (app: NestFastifyApplication) => {
    await app.listen(0, '127.0.0.1');
    return (app.getHttpServer().address() as AddressInfo).port;
  };

  beforeAll(async () => {
    h = await ControlPlaneHarness.start();
    fx = new RunFixtures(h);
    Object.assign(h.config.env, {
      GNOMON_RUN_EVENTS_POLL_MS: '50',
      GNOMON_RUN_EVENTS_KEEPALIVE_MS: '200',
      GNOMON_RUN_EVENTS_MAX_STREAMS: '2',
      GNOMON_RUN_EVENTS_MAX_STREAMS_PER_TENANT: '1',
    });
    await h.addInstance();
    for (const app of h.instances) ports.push(await listen(app));
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  afterAll(async () => {
    await h.close();
  });

  const open = async (tenant: Tenant, runId: string, instance = 0, lastEventId?: string) => {
    const client = await SseClient.open(ports[instance], `/api/v1/runs/${runId}/events`, {
      authorization: `Bearer ${tenant.key}`,
      ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
    });
    clients.push(client);
    return client;
  };
  const streams = (instance: number) => h.instances[instance].get(RunEventStreams);
  const expectProblem = (res: HttpResult, status: number, code: string) => {
    expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  };
  const setup = async (status = 'RUNNING') => {
    const tenant = await h.createTenant();
    const task: TaskFixture = await fx.task(tenant.id);
    const run = await fx.run(tenant.id, task, { status });
    return { tenant, run };
  };

  it('a finished run: its events in id order as SSE messages, then the stream ends', async () => {
    const { tenant, run } = await setup('SUCCEEDED');
    const step = await fx.step(tenant.id, run, { seq: 1, stepKey: 'draft' });
    const ids = [
      await fx.event(tenant.id, run, 'run.started', { status: 'RUNNING' }),
      await fx.event(tenant.id, run, 'step.succeeded', { seq: 1, stepKey: 'draft' }, step),
      await fx.event(tenant.id, run, 'run.finished', { status: 'SUCCEEDED' }),
    ];
    const res = await h.request('GET', `/api/v1/runs/${run}/events`, { key: tenant.key });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.headers['cache-control']).toMatch(/no-cache/);
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
    const messages = parseSse(String(res.body));
    expect(messages[0]).toEqual({ retry: '1000' });
    expect(messages.slice(1).map((m) => [m.id, m.event])).toEqual([
      [ids[0], 'run.started'],
      [ids[1], 'step.succeeded'],
      [ids[2], 'run.finished'],
    ]);
    expect(JSON.parse(messages[2].data ?? '')).toEqual({
      id: ids[1],
      runId: run,
      type: 'step.succeeded',
      stepId: step,
      data: { seq: 1, stepKey: 'draft' },
      createdAt: expect.any(String),
    });
  });

  it('Last-Event-ID resumes after that event: nothing is repeated', async () => {
    const { tenant, run } = await setup('FAILED');
    const ids: string[] = [];
    for (const type of ['run.started', 'step.started', 'step.failed', 'run.finished'])
      ids.push(await fx.event(tenant.id, run, type));
    const resumed = await h.request('GET', `/api/v1/runs/${run}/events`, {
      key: tenant.key,
      headers: { 'last-event-id': ids[1] },
    });
    expect(parseSse(String(resumed.body)).flatMap((m) => (m.id ? [m.id] : []))).toEqual(
      ids.slice(2),
    );
    const past = await h.request('GET', `/api/v1/runs/${run}/events`, {
      key: tenant.key,
      headers: { 'last-event-id': ids[3] },
    });
    expect(parseSse(String(past.body))).toEqual([{ retry: '1000' }]);
  });

  it('live: existing events, then a new one within a second; the stream ends once the run is terminal', async () => {
    const { tenant, run } = await setup('RUNNING');
    const first = await fx.event(tenant.id, run, 'run.started');
    const client = await open(tenant, run); // instance 0, default 250 ms polling
    expect(client.response.statusCode).toBe(200);
    await client.waitFor((m) => m.id === first, 2_000);
    const added = await fx.event(tenant.id, run, 'step.started', { seq: 1 });
    const message = await client.waitFor((m) => m.id === added, 1_000);
    expect(JSON.parse(message.data ?? '')).toMatchObject({ id: added, data: { seq: 1 } });
    // Terminal, with a last event written after the status: both arrive, then the end.
    await fx.setRunStatus(run, 'SUCCEEDED');
    const last = await fx.event(tenant.id, run, 'run.finished', { status: 'SUCCEEDED' });
    await within(client.ended, 2_000, 'stream end');
    expect(client.events.map((m) => m.id)).toEqual([first, added, last]);
    await until(() => streams(0).open === 0, 1_000, 'slot freed');
  });

  it('resuming a live stream with Last-Event-ID sends only later events', async () => {
    const { tenant, run } = await setup('RUNNING');
    const seen = [await fx.event(tenant.id, run, 'run.started')];
    seen.push(await fx.event(tenant.id, run, 'step.started'));
    const client = await open(tenant, run, 0, seen[1]);
    const next = await fx.event(tenant.id, run, 'step.succeeded');
    await client.waitFor((m) => m.id === next, 1_000);
    await fx.setRunStatus(run, 'CANCELLED');
    await within(client.ended, 2_000, 'stream end');
    expect(client.events.map((m) => m.id)).toEqual([next]);
  });

  it('two control-plane instances on one database both stream the same event', async () => {
    const { tenant, run } = await setup('RUNNING');
    const one = await open(tenant, run, 0);
    const two = await open(tenant, run, 1);
    const id = await fx.event(tenant.id, run, 'approval.requested', { stepKey: 'review' });
    const [a, b] = await Promise.all([
      one.waitFor((m) => m.id === id, 1_000),
      two.waitFor((m) => m.id === id, 1_000),
    ]);
    expect(a).toEqual(b);
    expect(a.event).toBe('approval.requested');
  });

  it('a client that goes away frees its slot and is polled for no more', async () => {
    const { tenant, run } = await setup('RUNNING');
    const polls = async () => {
      const text = String((await h.request('GET', '/metrics', {}, 1)).body);
      return Number(/^gnomon_run_event_polls_total\{[^}]*\} (\d+)$/m.exec(text)?.[1]);
    };
    const client = await open(tenant, run, 1); // polls every 50 ms
    await client.waitFor((m) => m.retry !== undefined, 1_000);
    expect(streams(1).open).toBe(1);
    const before = await polls();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await polls()).toBeGreaterThan(before + 1);
    client.close();
    await until(() => streams(1).open === 0, 2_000, 'slot freed');
    const after = await polls();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await polls()).toBeLessThanOrEqual(after + 1); // at most one poll was in flight
  });

  it('sends a keep-alive comment while nothing happens', async () => {
    const { tenant, run } = await setup('AWAITING_APPROVAL');
    const client = await open(tenant, run, 1); // 200 ms keep-alive
    await client.waitFor((m) => m.comment === 'keep-alive', 2_000);
    expect(client.events).toEqual([]);
  });

  it('caps open streams: per tenant → 429, per instance → 503, both with Retry-After', async () => {
    const a = await setup();
    const b = await setup();
    const c = await setup();
    const first = await open(a.tenant, a.run, 1);
    await first.waitFor((m) => m.retry !== undefined, 1_000);
    const again = await h.request('GET', `/api/v1/runs/${a.run}/events`, { key: a.tenant.key }, 1);
    expectProblem(again, 429, 'too_many_requests');
    expect(again.headers['retry-after']).toEqual(expect.stringMatching(/^\d+$/));
    const second = await open(b.tenant, b.run, 1);
    await second.waitFor((m) => m.retry !== undefined, 1_000);
    const full = await h.request('GET', `/api/v1/runs/${c.run}/events`, { key: c.tenant.key }, 1);
    expectProblem(full, 503, 'service_unavailable');
    expect(full.headers['retry-after']).toEqual(expect.stringMatching(/^\d+$/));
    // Instance 0 has its own (default) capacity; freed slots are usable again.
    const elsewhere = await open(c.tenant, c.run, 0);
    expect(elsewhere.response.statusCode).toBe(200);
    first.close();
    await until(() => streams(1).open === 1, 2_000, 'slot freed');
    const now = await open(c.tenant, c.run, 1);
    expect(now.response.statusCode).toBe(200);
  });

  it('an unknown or foreign run is a 404 problem, a malformed Last-Event-ID a 400, before any stream', async () => {
    const { tenant, run } = await setup('RUNNING');
    const other = await h.createTenant();
    expectProblem(
      await h.request('GET', `/api/v1/runs/${run}/events`, { key: other.key }),
      404,
      'not_found',
    );
    expectProblem(
      await h.request('GET', `/api/v1/runs/${randomUUID()}/events`, { key: tenant.key }),
      404,
      'not_found',
    );
    expectProblem(
      await h.request('GET', `/api/v1/runs/${run}/events`, {
        key: tenant.key,
        headers: { 'last-event-id': 'abc' },
      }),
      400,
      'validation_failed',
    );
    expect(streams(0).open).toBe(0);
  });

  it('shutting an instance down ends its open streams (clients resume elsewhere)', async () => {
    const { tenant, run } = await setup('RUNNING');
    const app = await h.addInstance();
    const port = await listen(app);
    h.instances.pop(); // closed here, not by h.close()
    const client = await SseClient.open(port, `/api/v1/runs/${run}/events`, {
      authorization: `Bearer ${tenant.key}`,
    });
    clients.push(client);
    await client.waitFor((m) => m.retry !== undefined, 1_000);
    await within(app.close(), 5_000, 'instance close');
    await within(client.ended, 1_000, 'stream end');
  });

  it('the OpenAPI document describes the route as text/event-stream of RunEventView', async () => {
    const doc = await h.request('GET', '/api/openapi.json');
    const operation = doc.body.paths['/api/v1/runs/{id}/events'].get;
    expect(Object.keys(operation.responses['200'].content)).toEqual(['text/event-stream']);
    expect(
      operation.responses['200'].content['text/event-stream'].schema.properties,
    ).toHaveProperty('runId');
  });
});
