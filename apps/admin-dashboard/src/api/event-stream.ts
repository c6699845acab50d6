import type { RunEventView } from '@gnomon/contracts';
import type { ApiClient } from './client';
import { ApiProblem } from './problem';

export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/**
 * Incremental text/event-stream parser (the WHATWG rules the dashboard needs: `id`, `event`,
 * multi-line `data`, comments, CR/LF/CRLF line ends). Chunks may split lines anywhere.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | null = null;

  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const messages: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      // A lone CR at the end may be the first half of CRLF: wait for the next chunk.
      if (!match || (match[0] === '\r' && match.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const message = this.line(line);
      if (message) messages.push(message);
    }
    return messages;
  }

  private line(line: string): SseMessage | null {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return null;
      }
      const message = { id: this.id, event: this.event || 'message', data: this.data.join('\n') };
      this.data = [];
      this.event = '';
      return message;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    return null;
  }
}

export interface FollowOptions {
  client: ApiClient;
  runId: string;
  tenant: string | null;
  signal: AbortSignal;
  onEvent: (event: RunEventView) => void;
  onConnected?: (connected: boolean) => void;
  /** Wait before reconnecting (the stream's own `retry:` is 1 s). */
  retryMs?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Follows a run's server-sent events until the run has finished (or the signal aborts),
 * reconnecting with Last-Event-ID after a dropped connection. It reads the stream with fetch
 * rather than EventSource because a platform admin must send X-Gnomon-Tenant, which
 * EventSource cannot. Resolves when the run has finished; rejects on a refusal (4xx).
 */
export async function followRunEvents(options: FollowOptions): Promise<void> {
  const { client, runId, tenant, signal, onEvent } = options;
  const sleep = options.sleep ?? defaultSleep;
  let lastEventId: string | null = null;
  let finished = false;
  while (!signal.aborted && !finished) {
    try {
      const response = await client.raw('GET', `/runs/${runId}/events`, {
        tenant,
        signal,
        headers: {
          accept: 'text/event-stream',
          ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
        },
      });
      options.onConnected?.(true);
      const parser = new SseParser();
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const message of parser.push(value)) {
          if (message.id) lastEventId = message.id;
          const event = JSON.parse(message.data) as RunEventView;
          onEvent(event);
          if (event.type === 'run.finished') finished = true;
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      const refused =
        error instanceof ApiProblem &&
        error.status >= 400 &&
        error.status < 500 &&
        error.status !== 429;
      if (refused) {
        options.onConnected?.(false);
        throw error;
      }
    }
    options.onConnected?.(false);
    if (!finished) await sleep(options.retryMs ?? 1000, signal);
  }
}
