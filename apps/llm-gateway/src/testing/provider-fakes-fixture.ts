// Test-only: the three provider fakes wired into a gateway harness, plus what the failover,
// breaker and disconnect tests share (platform admin key, breaker snapshots, raw SSE calls,
// waiting for settled usage events). Never imported by production code.
import { generateSecret, SecretHasher } from '@gnomon/auth';
import { ProviderBreakers, type ProviderBreakerSnapshot } from '@gnomon/governance';
import {
  startAnthropicFake,
  startGeminiFake,
  startOpenAiFake,
  type AnthropicFake,
  type GeminiFake,
  type OpenAiFake,
} from '@gnomon/testing';
import { GatewayHarness, type TestTenant } from './gateway-harness';

/** The chain every failover test routes its `main` alias through. */
export const CHAIN = [
  'openai/gpt-4o-mini',
  'anthropic/claude-haiku-4-5',
  'gemini/gemini-2.5-flash',
];

export interface FakeProviders {
  openai: OpenAiFake;
  anthropic: AnthropicFake;
  gemini: GeminiFake;
  /** Gateway environment pointing the three SDKs at the fakes. */
  env: Record<string, string>;
  /** Clears every script, fallback and recorded request. */
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeProviders(): Promise<FakeProviders> {
  const [openai, anthropic, gemini] = await Promise.all([
    startOpenAiFake(),
    startAnthropicFake(),
    startGeminiFake(),
  ]);
  return {
    openai,
    anthropic,
    gemini,
    env: {
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: openai.url,
      ANTHROPIC_API_KEY: 'sk-ant-test',
      ANTHROPIC_BASE_URL: anthropic.url,
      GEMINI_API_KEY: 'gemini-test',
      GEMINI_BASE_URL: gemini.url,
    },
    reset() {
      openai.reset();
      anthropic.reset();
      gemini.reset();
    },
    async close() {
      await Promise.all([openai.close(), anthropic.close(), gemini.close()]);
    },
  };
}

/** A tenant whose `main` alias fails over along CHAIN. */
export async function routedTenant(
  h: GatewayHarness,
  route: { firstTokenTimeoutMs?: number; requestTimeoutMs?: number } = {},
): Promise<TestTenant> {
  const tenant = await h.createTenant();
  await h.setRoutes(tenant.tenantId, {
    allowedModels: null,
    routes: { main: { chain: CHAIN, ...route } },
  });
  return tenant;
}

/** Forgets every breaker and cool-down of every instance (test isolation). */
export function resetBreakers(h: GatewayHarness): void {
  for (const { app } of h.instances) app.get(ProviderBreakers).shutdown();
}

/** A platform admin credential, as the control plane's bootstrap creates one. */
export async function createPlatformAdminKey(h: GatewayHarness): Promise<string> {
  const secret = generateSecret('platform');
  const hash = new SecretHasher(h.config.secrets.apiKeyPepper).hash(secret);
  await h.sql(`insert into platform_keys (name, secret_hash, last_four) values ($1, $2, $3)`, [
    `test-admin-${secret.slice(-8)}`,
    hash,
    secret.slice(-4),
  ]);
  return secret;
}

/** GET /api/v1/admin/providers, by provider. */
export async function breakerStates(
  h: GatewayHarness,
  adminKey: string,
  instance = 0,
): Promise<Record<string, ProviderBreakerSnapshot>> {
  const response = await fetch(`${h.url(instance)}/api/v1/admin/providers`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  if (response.status !== 200)
    throw new Error(`admin/providers answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { providers: ProviderBreakerSnapshot[] };
  return Object.fromEntries(body.providers.map((p) => [p.provider, p]));
}

/** POST /v1/chat/completions with fetch: the raw response, body read to its end. */
export async function rawCompletion(
  h: GatewayHarness,
  key: string,
  body: Record<string, unknown>,
): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(`${h.url()}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

export interface SseFrame {
  event: string | null;
  data: string;
}

/** Splits an SSE body into its frames (comments dropped). */
export function sseFrames(text: string): SseFrame[] {
  const frames: SseFrame[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    let event: string | null = null;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (event !== null || data.length > 0) frames.push({ event, data: data.join('\n') });
  }
  return frames;
}

/** Polls `probe` until it returns a value other than undefined (or throws after `timeoutMs`). */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The tenant's llm_events once `count` of them have been settled and persisted. */
export function settledEvents(
  h: GatewayHarness,
  tenantId: string,
  count = 1,
): Promise<Record<string, any>[]> {
  return waitFor(async () => {
    await h.drainEvents();
    const events = await h.events(tenantId);
    return events.length >= count ? events : undefined;
  }, `${count} usage event(s) of tenant ${tenantId}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
