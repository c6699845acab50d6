// Form state → request body, checked with the API's own schemas (libs/contracts). Each
// function takes what the inputs hold (strings, checkboxes) and returns the body or the
// errors keyed by the form's field names.
import {
  AddMemberBody,
  CreateApiKeyBody,
  CreateTenantBody,
  LlmRouteConfig,
  PutBudgetBody,
  RateLimits,
  RejectRequest,
  StartRunRequest,
  UsageQuery,
  type MemberRole,
  type TenantPlan,
} from '@gnomon/contracts';
import { z } from 'zod';
import { usdToMicros } from '../format';
import { validate, type FieldErrors, type Validated } from './validate';

export interface TenantForm {
  name: string;
  plan: TenantPlan;
  ownerEmail: string;
  ownerName: string;
}

export function tenantBody(form: TenantForm): Validated<CreateTenantBody> {
  const result = validate(CreateTenantBody, {
    name: form.name,
    plan: form.plan,
    owner: { email: form.ownerEmail.trim(), name: form.ownerName },
  });
  return result.ok ? result : { ok: false, errors: renameFields(result.errors, OWNER_FIELDS) };
}
const OWNER_FIELDS = { 'owner.email': 'ownerEmail', 'owner.name': 'ownerName' };

export interface MemberForm {
  email: string;
  name: string;
  role: MemberRole;
}

export const memberBody = (form: MemberForm): Validated<AddMemberBody> =>
  validate(AddMemberBody, { ...form, email: form.email.trim() });

export interface ApiKeyForm {
  name: string;
  scopes: string[];
  /** `YYYY-MM-DD` from a date input; the key works until the end of that day (UTC). Empty: never expires. */
  expiresOn: string;
}

export function apiKeyBody(form: ApiKeyForm, today = new Date()): Validated<CreateApiKeyBody> {
  let expiresAt: string | undefined;
  if (form.expiresOn) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(form.expiresOn))
      return { ok: false, errors: { expiresOn: 'must be a date' } };
    expiresAt = `${form.expiresOn}T23:59:59.000Z`;
    if (Date.parse(expiresAt) <= today.getTime())
      return { ok: false, errors: { expiresOn: 'must be a day in the future' } };
  }
  const result = validate(CreateApiKeyBody, {
    name: form.name,
    scopes: form.scopes,
    ...(expiresAt ? { expiresAt } : {}),
  });
  return result.ok
    ? result
    : { ok: false, errors: renameFields(result.errors, { expiresAt: 'expiresOn' }) };
}

/** "" → null (unlimited); digits → the number; anything else stays and fails the schema. */
const perMinute = (text: string): unknown => {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
};

export interface LimitsForm {
  tenantRequestsPerMinute: string;
  tenantTokensPerMinute: string;
  userRequestsPerMinute: string;
}

export const limitsBody = (form: LimitsForm): Validated<RateLimits> =>
  validate(RateLimits, {
    tenantRequestsPerMinute: perMinute(form.tenantRequestsPerMinute),
    tenantTokensPerMinute: perMinute(form.tenantTokensPerMinute),
    userRequestsPerMinute: perMinute(form.userRequestsPerMinute),
  });

export interface BudgetForm {
  /** Dollars, "" for no limit. */
  dailyUsd: string;
  monthlyUsd: string;
  softThresholdPct: string;
}

/**
 * The tenant-wide daily and monthly budget as PUT /budget's policy set (per-key policies, which
 * this form does not edit, are passed through unchanged in `keep`).
 */
export function budgetBody(
  form: BudgetForm,
  keep: {
    period: 'DAILY' | 'MONTHLY';
    limitMicros: string;
    softThresholdPct: number;
    apiKeyId: string | null;
  }[] = [],
): Validated<{ policies: unknown[] }> {
  const errors: FieldErrors = {};
  const soft = form.softThresholdPct.trim() === '' ? 80 : Number(form.softThresholdPct);
  const policies: unknown[] = keep
    .filter((policy) => policy.apiKeyId !== null)
    .map(({ period, limitMicros, softThresholdPct, apiKeyId }) => ({
      period,
      limitMicros,
      softThresholdPct,
      apiKeyId,
    }));
  for (const [field, period] of [
    ['dailyUsd', 'DAILY'],
    ['monthlyUsd', 'MONTHLY'],
  ] as const) {
    if (form[field].trim() === '') continue;
    const micros = usdToMicros(form[field]);
    if (micros === null) errors[field] = 'an amount in dollars, e.g. 25 or 12.50';
    else policies.push({ period, limitMicros: micros, softThresholdPct: soft, apiKeyId: null });
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const result = validate(PutBudgetBody, { policies });
  if (result.ok) return { ok: true, data: { policies } };
  const renamed: FieldErrors = {};
  for (const [path, message] of Object.entries(result.errors)) {
    renamed[/softThresholdPct$/.test(path) ? 'softThresholdPct' : 'form'] ??= message;
  }
  return { ok: false, errors: renamed };
}

export interface RouteRow {
  alias: string;
  /** Comma- or space-separated `provider/model` refs, tried in order. */
  chain: string;
}

export interface RoutesForm {
  /** One `provider/model` per line; empty = every model offered. */
  allowedModels: string;
  routes: RouteRow[];
}

const words = (text: string) => text.split(/[\s,]+/).filter(Boolean);

export function routesBody(form: RoutesForm): Validated<LlmRouteConfig> {
  const aliases = form.routes.map((row) => row.alias.trim());
  const duplicate = aliases.findIndex((alias, i) => alias !== '' && aliases.indexOf(alias) !== i);
  if (duplicate >= 0)
    return { ok: false, errors: { [`routes[${duplicate}].alias`]: 'this alias appears twice' } };
  const routes: Record<string, { chain: string[] }> = {};
  form.routes.forEach((row, i) => {
    if (row.alias.trim() === '' && row.chain.trim() === '') return;
    routes[aliases[i] || `#${i}`] = { chain: words(row.chain) };
  });
  const allowed = words(form.allowedModels);
  const result = validate(LlmRouteConfig, {
    allowedModels: allowed.length > 0 ? allowed : null,
    routes,
  });
  if (result.ok) return result;
  // routes.<alias>.chain[0] → routes[<row>].chain, so the error shows beside its row.
  const errors: FieldErrors = {};
  for (const [path, message] of Object.entries(result.errors)) {
    const match = /^routes\.([^.[]+)(.*)$/.exec(path);
    if (!match) {
      errors[path.replace(/\[\d+\]$/, '')] ??= message;
      continue;
    }
    const row =
      aliases.indexOf(match[1]) >= 0 ? aliases.indexOf(match[1]) : Number(match[1].slice(1));
    const field = match[2].startsWith('.chain') ? 'chain' : 'alias';
    errors[`routes[${row}].${field}`] ??= message;
  }
  return { ok: false, errors };
}

export const rejectBody = (reason: string): Validated<RejectRequest> =>
  validate(RejectRequest, { reason });

/** The run input typed as JSON text: parsed, then checked as StartRunRequest checks it. */
export function runInputBody(
  taskId: string,
  inputText: string,
  version?: number,
): Validated<StartRunRequest> {
  let input: unknown = {};
  if (inputText.trim() !== '') {
    try {
      input = JSON.parse(inputText);
    } catch (error) {
      return {
        ok: false,
        errors: { input: `not valid JSON: ${error instanceof Error ? error.message : ''}` },
      };
    }
  }
  return validate(StartRunRequest, { taskId, input, ...(version ? { version } : {}) });
}

/** `YYYY-MM-DD` days (inclusive) → the usage query's [from, to) instants in UTC. */
export function usageRange(
  fromDay: string,
  toDay: string,
): Validated<{ from: string; to: string }> {
  const day = z.iso.date();
  if (!day.safeParse(fromDay).success) return { ok: false, errors: { from: 'must be a date' } };
  if (!day.safeParse(toDay).success) return { ok: false, errors: { to: 'must be a date' } };
  const to = new Date(`${toDay}T00:00:00.000Z`);
  to.setUTCDate(to.getUTCDate() + 1);
  const range = { from: `${fromDay}T00:00:00.000Z`, to: to.toISOString() };
  const result = validate(UsageQuery, range);
  return result.ok ? { ok: true, data: range } : result;
}

function renameFields(errors: FieldErrors, names: Record<string, string>): FieldErrors {
  return Object.fromEntries(Object.entries(errors).map(([path, m]) => [names[path] ?? path, m]));
}
