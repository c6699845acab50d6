import type { RunEventView } from '@gnomon/contracts';
import { ApiClient } from './client';
import { followRunEvents, SseParser } from './event-stream';
import { ApiProblem } from './problem';

const RUN = '0b9c2c4e-1f3a-4d4e-9d55-1a2b3c4d5e6f';

function frame(id: number, type: string, data: Record<string, unknown> = {}): string {
  const event: RunEventView = {
    id: String(id),
    runId: RUN,
    type: type as RunEventView['type'],
    stepId: null,
    data,
    createdAt: '2026-01-01T00:00:00.000Z',
  };
  return `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(event)}\n\n`;
}

describe('SseParser', () => {
  it('assembles messages across arbitrary chunk boundaries, with CRLF and comments', () => {
    const parser = new SseParser();
    const text =
      'retry: 1000\r\n\r\n: keep-alive\r\nid: 7\r\nevent: step.started\r\ndata: {"a":\r\ndata: 1}\r\n\r\n';
    const messages = [];
    for (const char of text) messages.push(...parser.push(char));
    expect(messages).toEqual([{ id: '7', event: 'step.started', data: '{"a":\n1}' }]);
  });

  it('keeps the last id for later messages and defaults the event name', () => {
    const parser = new SseParser();
    expect(parser.push('id: 3\ndata: x\n\ndata:y\n\n')).toEqual([
      { id: '3', event: 'message', data: 'x' },
      { id: '3', event: 'message', data: 'y' },
    ]);
  });
});

describe('followRunEvents', () => {
  it('reconnects with Last-Event-ID after a dropped stream and stops at run.finished', async () => {
    const requests: Record<string, string>[] = [];
    const bodies = [
      frame(1, 'run.created', { status: 'PENDING' }) + frame(2, 'step.started', { seq: 1 }),
      frame(3, 'run.finished', { status: 'SUCCEEDED' }),
    ];
    const fetch = ((_url: RequestInfo | URL, init: RequestInit = {}) => {
      requests.push(init.headers as Record<string, string>);
      return Promise.resolve(
        new Response(bodies.shift() ?? '', {
          status: 200,
          headers: { 'content-type': 'text/event-stream' },
        }),
      );
    }) as typeof globalThis.fetch;
    const seen: string[] = [];
    const states: boolean[] = [];
    await followRunEvents({
      client: new ApiClient({ fetch, cookies: () => '' }),
      runId: RUN,
      tenant: 'tenant-1',
      signal: new AbortController().signal,
      onEvent: (event) => seen.push(`${event.id}:${event.type}`),
      onConnected: (connected) => states.push(connected),
      sleep: () => Promise.resolve(),
    });
    expect(seen).toEqual(['1:run.created', '2:step.started', '3:run.finished']);
    expect(requests).toHaveLength(2);
    expect(requests[0]['last-event-id']).toBeUndefined();
    expect(requests[1]['last-event-id']).toBe('2');
    expect(requests[1]['x-gnomon-tenant']).toBe('tenant-1');
    expect(states).toEqual([true, false, true, false]);
  });

  it('gives up on a refusal (another tenant’s run is a 404)', async () => {
    const fetch = (() =>
      Promise.resolve(
        new Response(
          JSON.stringify({
            status: 404,
            code: 'not_found',
            title: 'Not found',
            detail: 'run not found',
          }),
          {
            status: 404,
            headers: { 'content-type': 'application/problem+json' },
          },
        ),
      )) as typeof globalThis.fetch;
    await expect(
      followRunEvents({
        client: new ApiClient({ fetch, cookies: () => '' }),
        runId: RUN,
        tenant: null,
        signal: new AbortController().signal,
        onEvent: () => undefined,
        sleep: () => Promise.resolve(),
      }),
    ).rejects.toBeInstanceOf(ApiProblem);
  });

  it('stops quietly when aborted (the page was left)', async () => {
    const abort = new AbortController();
    const fetch = ((_url: RequestInfo | URL, init: RequestInit = {}) =>
      new Promise<Response>((_resolve, reject) =>
        init.signal?.addEventListener('abort', () =>
          reject(new DOMException('aborted', 'AbortError')),
        ),
      )) as typeof globalThis.fetch;
    const following = followRunEvents({
      client: new ApiClient({ fetch, cookies: () => '' }),
      runId: RUN,
      tenant: null,
      signal: abort.signal,
      onEvent: () => undefined,
    });
    abort.abort();
    await expect(following).resolves.toBeUndefined();
  });
});
