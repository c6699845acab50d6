// Test-only helpers for the gateway's budget, rate-limit, idempotency and resilience tests:
// raw HTTP calls (to see headers), extra API keys, the simulated model's worst-case cost and
// direct access to the governance keys in Redis. Never imported by production code.
import { generateSecret, SecretHasher } from '@gnomon/auth';
import type { ChatCompletionRequest } from '@gnomon/contracts';
import { GovernanceKeys } from '@gnomon/governance';
import { estimatePromptTokens, ModelCatalog, worstCaseCost, type ModelEntry } from '@gnomon/llm';
import { redisTestUrl } from '@gnomon/testing';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { TenantPolicyCache } from '../platform/tenant-policies';
import type { GatewayHarness } from './gateway-harness';

export const SIM_SMALL: ModelEntry = (() => {
  const entry = new ModelCatalog().find('simulated', 'sim-small');
  if (!entry) throw new Error('simulated/sim-small is not in the model catalog');
  return entry;
})();

/** The reservation the gateway makes for a sim-small request (before any call). */
export function reservationFor(
  request: Pick<ChatCompletionRequest, 'messages'> & {
    max_completion_tokens: number;
  },
): number {
  return worstCaseCost(SIM_SMALL, estimatePromptTokens(request), request.max_completion_tokens);
}

export interface RawResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON for JSON responses, the raw text otherwise (SSE). */
  body: any;
}

/** POST /v1/chat/completions with fetch, reading the whole response. */
export async function postChat(
  baseUrl: string,
  key: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const response = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.includes('application/json') ?? false;
  return {
    status: response.status,
    headers: response.headers,
    body: isJson ? JSON.parse(text) : text,
  };
}

/** The JSON payloads of an SSE body's `data:` lines (without `[DONE]`). */
export function sseData(text: string): any[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
    .map((line) => JSON.parse(line.slice('data: '.length)));
}

/** The assistant text of an SSE body. */
export function sseContent(text: string): string {
  return sseData(text)
    .map((chunk) => chunk.choices?.[0]?.delta?.content ?? '')
    .join('');
}

/** One more API key for an existing tenant. */
export async function addApiKey(
  h: GatewayHarness,
  tenantId: string,
  scopes = ['llm:invoke'],
): Promise<{ key: string; keyId: string }> {
  const keyId = randomUUID();
  const key = generateSecret('tenant');
  const hash = new SecretHasher(h.config.secrets.apiKeyPepper).hash(key);
  await h.sql(
    `insert into api_keys (id, tenant_id, name, prefix, last_four, secret_hash, scopes, created_by_type, created_by_id)
     values ($1, $2, 'test-extra', $3, $4, $5, $6, 'SYSTEM', 'test')`,
    [keyId, tenantId, key.slice(0, 12), key.slice(-4), hash, scopes],
  );
  return { key, keyId };
}

/** What llm_events says a tenant was billed (after a drain). */
export async function billedMicros(h: GatewayHarness, tenantId: string): Promise<number> {
  const [row] = await h.sql<{ total: string | null }>(
    `select sum(cost_micros) as total from llm_events where tenant_id = $1`,
    [tenantId],
  );
  return Number(row?.total ?? 0);
}

/** A Redis connection to the test server (close it with quit()). */
export function testRedis(): Redis {
  return new Redis(redisTestUrl(), { lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** Every governance key of a tenant under the harness's prefix (counters, leases, windows). */
export async function tenantGovernanceKeys(
  redis: Redis,
  h: GatewayHarness,
  tenantId: string,
): Promise<string[]> {
  const pattern = new GovernanceKeys(h.config.env.GNOMON_REDIS_PREFIX).tenantPattern(tenantId);
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

/** Polls until `check` returns a value other than undefined (no timing assertion, a deadline). */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A budget of one API key (the tenant's own budgets are left alone). */
export async function setKeyBudget(
  h: GatewayHarness,
  tenantId: string,
  apiKeyId: string,
  limitMicros: number,
  softThresholdPct = 0,
): Promise<void> {
  await h.sql(
    `insert into budget_policies (tenant_id, api_key_id, period, limit_micros, soft_threshold_pct)
     values ($1, $2, 'MONTHLY', $3, $4)`,
    [tenantId, apiKeyId, limitMicros, softThresholdPct],
  );
  for (const { app } of h.instances) app.get(TenantPolicyCache).forget(tenantId);
}
