// The benchmark's load: a sequential client (concurrency 1, node:http with keep-alive,
// microsecond timing, time to first token for streams) and autocannon for throughput.
import { Agent, request } from 'node:http';
import autocannon from 'autocannon';

/** One system under test: where to send chat completions and how. */
export interface Target {
  name: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  model: string;
}

export type Mode = 'json' | 'stream';

export const EXPECTED_CONTENT = 'Hello! How can I help you today?';

export function requestBody(target: Target, mode: Mode): string {
  return JSON.stringify({
    model: target.model,
    messages: [{ role: 'user', content: 'Say hello.' }],
    max_tokens: 16,
    ...(mode === 'stream' ? { stream: true } : {}),
  });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface Sample {
  status: number;
  /** Milliseconds to the end of the response. */
  totalMs: number;
  /** Streams: milliseconds to the first `data:` line carrying content. */
  ttftMs: number;
  content: string;
  done: boolean;
}

/** The content of one SSE `data:` line, '' when it carries none, null for `[DONE]`. */
function contentOfLine(line: string): string | null {
  const data = line.slice(5).trim();
  if (data === '[DONE]') return null;
  try {
    const chunk = JSON.parse(data) as { choices?: { delta?: { content?: unknown } }[] };
    const content = chunk.choices?.[0]?.delta?.content;
    return typeof content === 'string' ? content : '';
  } catch {
    return '';
  }
}

function once(agent: Agent, target: Target, mode: Mode, body: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port: target.port,
        method: 'POST',
        path: target.path,
        headers: {
          ...target.headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.setEncoding('utf8');
        let text = '';
        let ttftMs = Number.NaN;
        let content = '';
        let done = false;
        let scanned = 0;
        res.on('data', (part: string) => {
          text += part;
          if (mode !== 'stream') return;
          // Scan complete lines only; a line may straddle two reads.
          let newline: number;
          while ((newline = text.indexOf('\n', scanned)) !== -1) {
            const line = text.slice(scanned, newline);
            scanned = newline + 1;
            if (!line.startsWith('data:')) continue;
            const piece = contentOfLine(line);
            if (piece === null) {
              done = true;
            } else if (piece !== '') {
              if (Number.isNaN(ttftMs)) ttftMs = elapsed();
              content += piece;
            }
          }
        });
        res.on('end', () => {
          const totalMs = elapsed();
          if (mode === 'json') {
            try {
              const parsed = JSON.parse(text) as { choices?: { message?: { content?: string } }[] };
              content = parsed.choices?.[0]?.message?.content ?? '';
              done = true;
            } catch {
              content = text.slice(0, 300);
            }
          } else if (!done) {
            content = content || text.slice(0, 300);
          }
          resolve({ status: res.statusCode ?? 0, totalMs, ttftMs, content, done });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** One request, checked: a 200 with the fake's full answer (and `[DONE]` for streams). */
export async function probe(target: Target, mode: Mode): Promise<void> {
  const agent = new Agent({ keepAlive: false });
  try {
    const sample = await once(agent, target, mode, requestBody(target, mode));
    if (sample.status !== 200 || sample.content !== EXPECTED_CONTENT || !sample.done) {
      throw new Error(
        `${target.name} (${mode}) answered ${sample.status}: ${JSON.stringify(sample.content)}`,
      );
    }
  } finally {
    agent.destroy();
  }
}

export interface LatencyResult {
  samples: number;
  failures: number;
  /** Sorted milliseconds: whole response (JSON) or time to first token (streams). */
  latency: number[];
  /** Sorted milliseconds to the end of the response. */
  total: number[];
}

/**
 * Sequential requests on one keep-alive connection: `warmup` unrecorded ones, then `count`
 * recorded ones or as many as fit in `maxMs`, whichever comes first.
 */
export async function sequential(
  target: Target,
  mode: Mode,
  count: number,
  warmup: number,
  maxMs: number,
): Promise<LatencyResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = requestBody(target, mode);
  const latency: number[] = [];
  const total: number[] = [];
  let failures = 0;
  try {
    let deadline = Infinity;
    for (let i = 0; i < warmup + count && Date.now() < deadline; i++) {
      const sample = await once(agent, target, mode, body);
      if (i < warmup) continue;
      if (i === warmup) deadline = Date.now() + maxMs;
      if (sample.status !== 200 || !sample.done) {
        failures += 1;
        continue;
      }
      latency.push(mode === 'stream' ? sample.ttftMs : sample.totalMs);
      total.push(sample.totalMs);
    }
  } finally {
    agent.destroy();
  }
  latency.sort((a, b) => a - b);
  total.sort((a, b) => a - b);
  return { samples: latency.length, failures, latency, total };
}

export interface ThroughputResult {
  connections: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  failed: number;
}

/** Closed-loop load with autocannon for `durationS` seconds. */
export async function throughput(
  target: Target,
  mode: Mode,
  connections: number,
  durationS: number,
): Promise<ThroughputResult> {
  const options = {
    url: `http://127.0.0.1:${target.port}${target.path}`,
    method: 'POST' as const,
    body: requestBody(target, mode),
    headers: { ...target.headers, 'content-type': 'application/json' },
    connections,
  };
  const result = await autocannon({ ...options, duration: durationS });
  return {
    connections,
    requests: result.requests.total,
    rps: Math.round(result.requests.total / result.duration),
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors,
  };
}
