// The test's own HTTP calls next to the browser: with an API key (as a tenant's program would),
// or with a browser visitor's session cookies (to show what the API itself refuses).
import type { BrowserContext } from 'playwright-core';
import type { EmbeddedPlatform } from '../../e2e/support/embedded-platform';

export const TERMINAL = ['SUCCEEDED', 'FAILED', 'BUDGET_EXCEEDED', 'CANCELLED', 'TIMED_OUT'];

/** A task: a model turn, a human approval, another model turn. */
export function publishTask(name: string, model: string) {
  return {
    name,
    description: 'Draft a post, ask a human, publish it',
    definition: {
      language: 'gnomon.task/v1',
      inputSchema: {
        type: 'object',
        required: ['topic'],
        properties: { topic: { type: 'string', description: 'What the post is about' } },
      },
      start: 'draft',
      steps: [
        { id: 'draft', type: 'llm', model, prompt: 'Draft about {{input.topic}}', next: 'review' },
        {
          id: 'review',
          type: 'approval',
          prompt: 'Publish the post on {{input.topic}}?',
          next: 'publish',
        },
        { id: 'publish', type: 'llm', model, prompt: 'Publish: {{steps.draft.output}}' },
      ],
    },
  };
}

export async function waitForRun(
  platform: EmbeddedPlatform,
  key: string,
  runId: string,
  done: (run: { status: string }) => boolean,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await platform.api('GET', `/api/v1/runs/${runId}`, key);
    if (done(run.body)) return run.body;
    if (Date.now() > deadline) throw new Error(`run ${runId} stuck: ${JSON.stringify(run.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A request carrying a browser visitor's session cookies (and its CSRF token on mutations). */
export async function asVisitor(
  platform: EmbeddedPlatform,
  context: BrowserContext,
  method: string,
  url: string,
  body?: unknown,
) {
  const cookies = await context.cookies();
  const csrf = cookies.find((cookie) => cookie.name === 'gnomon_csrf')?.value ?? '';
  const response = await fetch(`http://127.0.0.1:${platform.port}${url}`, {
    method,
    headers: {
      cookie: cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join('; '),
      ...(method === 'GET' ? {} : { 'x-csrf-token': csrf }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, body: parsed as any };
}

/** Money as the dashboard prints it ("$0.018", "$12.34"), for assertions. */
export function dollars(micros: string): string {
  const value = BigInt(micros);
  const whole = value / 1_000_000n;
  const fraction = (value % 1_000_000n).toString().padStart(6, '0');
  const digits = whole === 0n ? fraction.replace(/0+$/, '') : fraction.slice(0, 2);
  return `$${whole.toLocaleString('en-US')}.${digits.padEnd(2, '0')}`;
}
