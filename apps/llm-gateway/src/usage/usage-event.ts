import { randomUUID } from 'node:crypto';

export type CallStatus = 'SUCCEEDED' | 'FAILED' | 'ABORTED';

/** One model call as recorded in the usage stream and, later, as an LlmEvent row. */
export interface UsageEvent {
  id: string;
  tenantId: string;
  requestId: string;
  idempotencyKey: string | null;
  apiKeyId: string | null;
  userId: string | null;
  runId: string | null;
  stepId: string | null;
  model: string;
  provider: string | null;
  providerModel: string | null;
  simulated: boolean;
  stream: boolean;
  status: CallStatus;
  errorCode: string | null;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costMicros: number;
  latencyMs: number;
  ttftMs: number | null;
  attempts: number;
  createdAt: string;
}

export function newUsageEvent(
  base: Pick<UsageEvent, 'tenantId' | 'requestId' | 'model' | 'stream'> & Partial<UsageEvent>,
): UsageEvent {
  return {
    id: randomUUID(),
    idempotencyKey: null,
    apiKeyId: null,
    userId: null,
    runId: null,
    stepId: null,
    provider: null,
    providerModel: null,
    simulated: false,
    status: 'FAILED',
    errorCode: null,
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: 0,
    costMicros: 0,
    latencyMs: 0,
    ttftMs: null,
    attempts: 0,
    createdAt: new Date().toISOString(),
    ...base,
  };
}

/**
 * The stream entry of an event: one JSON field. (Flat name/value pairs made the settle script
 * take ~57 arguments that the Redis client encoded one by one on every call.)
 */
export function toStreamFields(event: UsageEvent): Record<string, string> {
  return { event: JSON.stringify(event) };
}

/** Reads an entry written by toStreamFields, or by an older gateway (flat string fields). */
export function fromStreamFields(fields: Record<string, string>): UsageEvent {
  if (fields.event !== undefined) return JSON.parse(fields.event) as UsageEvent;
  return fromFlatFields(fields);
}

function fromFlatFields(fields: Record<string, string>): UsageEvent {
  const text = (key: string) => (fields[key] ? fields[key] : null);
  const int = (key: string) => Number.parseInt(fields[key] ?? '0', 10) || 0;
  return {
    id: fields.id,
    tenantId: fields.tenantId,
    requestId: fields.requestId,
    idempotencyKey: text('idempotencyKey'),
    apiKeyId: text('apiKeyId'),
    userId: text('userId'),
    runId: text('runId'),
    stepId: text('stepId'),
    model: fields.model,
    provider: text('provider'),
    providerModel: text('providerModel'),
    simulated: fields.simulated === 'true',
    stream: fields.stream === 'true',
    status: fields.status as CallStatus,
    errorCode: text('errorCode'),
    inputTokens: int('inputTokens'),
    outputTokens: int('outputTokens'),
    cachedTokens: int('cachedTokens'),
    costMicros: int('costMicros'),
    latencyMs: int('latencyMs'),
    ttftMs: fields.ttftMs ? int('ttftMs') : null,
    attempts: int('attempts'),
    createdAt: fields.createdAt,
  };
}
