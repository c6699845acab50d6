import { permissionsOf } from '../hooks/session';
import { everyDay, formatMicros, formatUsdAxis, microsToUsdText, usdToMicros } from '../format';
import {
  apiKeyBody,
  budgetBody,
  limitsBody,
  memberBody,
  rejectBody,
  routesBody,
  runInputBody,
  tenantBody,
  usageRange,
} from './bodies';
import { inputFieldsOf, inputOf } from './run-input';

describe('form bodies (checked with the API’s schemas)', () => {
  it('tenant: the owner’s fields are named as the form names them', () => {
    expect(
      tenantBody({
        name: 'Acme',
        plan: 'TEAM',
        ownerEmail: ' Ada@Acme.example ',
        ownerName: 'Ada',
      }),
    ).toEqual({
      ok: true,
      data: { name: 'Acme', plan: 'TEAM', owner: { email: 'ada@acme.example', name: 'Ada' } },
    });
    const bad = tenantBody({ name: ' ', plan: 'FREE', ownerEmail: 'not-an-email', ownerName: '' });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && Object.keys(bad.errors).sort()).toEqual(['name', 'ownerEmail', 'ownerName']);
  });

  it('member: email and role as POST /members takes them', () => {
    expect(memberBody({ email: 'bo@x.test', name: 'Bo', role: 'VIEWER' })).toMatchObject({
      ok: true,
    });
    expect(memberBody({ email: 'bo', name: 'Bo', role: 'VIEWER' })).toMatchObject({
      ok: false,
      errors: { email: expect.any(String) },
    });
  });

  it('API key: scopes are required and unique; the expiry day becomes its last second (UTC)', () => {
    const today = new Date('2026-03-01T10:00:00Z');
    expect(
      apiKeyBody(
        { name: 'ci', scopes: ['runs:read', 'runs:write'], expiresOn: '2026-03-31' },
        today,
      ),
    ).toEqual({
      ok: true,
      data: {
        name: 'ci',
        scopes: ['runs:read', 'runs:write'],
        expiresAt: '2026-03-31T23:59:59.000Z',
      },
    });
    expect(apiKeyBody({ name: 'ci', scopes: ['runs:read'], expiresOn: '' }, today)).toEqual({
      ok: true,
      data: { name: 'ci', scopes: ['runs:read'] },
    });
    expect(apiKeyBody({ name: 'ci', scopes: [], expiresOn: '' }, today)).toMatchObject({
      ok: false,
      errors: { scopes: expect.any(String) },
    });
    expect(apiKeyBody({ name: 'ci', scopes: ['runs:fly'], expiresOn: '' }, today)).toMatchObject({
      ok: false,
      errors: { 'scopes[0]': expect.any(String) },
    });
    expect(
      apiKeyBody({ name: 'ci', scopes: ['runs:read'], expiresOn: '2026-02-28' }, today),
    ).toEqual({
      ok: false,
      errors: { expiresOn: 'must be a day in the future' },
    });
    expect(apiKeyBody({ name: '', scopes: ['runs:read'], expiresOn: '' }, today)).toMatchObject({
      ok: false,
      errors: { name: expect.any(String) },
    });
  });

  it('limits: empty is unlimited, digits are numbers, anything else is refused', () => {
    expect(
      limitsBody({
        tenantRequestsPerMinute: '600',
        tenantTokensPerMinute: '',
        userRequestsPerMinute: ' 60 ',
      }),
    ).toEqual({
      ok: true,
      data: {
        tenantRequestsPerMinute: 600,
        tenantTokensPerMinute: null,
        userRequestsPerMinute: 60,
      },
    });
    const bad = limitsBody({
      tenantRequestsPerMinute: '1.5',
      tenantTokensPerMinute: '0',
      userRequestsPerMinute: 'lots',
    });
    expect(!bad.ok && Object.keys(bad.errors).sort()).toEqual([
      'tenantRequestsPerMinute',
      'tenantTokensPerMinute',
      'userRequestsPerMinute',
    ]);
  });

  it('budget: dollars become micro-dollars; per-key policies are kept as they were', () => {
    const keyPolicy = {
      period: 'DAILY' as const,
      limitMicros: '5000000',
      softThresholdPct: 50,
      apiKeyId: '0b9c2c4e-1f3a-4d4e-9d55-1a2b3c4d5e6f',
      scope: 'apiKey',
      spentMicros: '0',
    };
    expect(
      budgetBody({ dailyUsd: '', monthlyUsd: '250.5', softThresholdPct: '90' }, [keyPolicy]),
    ).toEqual({
      ok: true,
      data: {
        policies: [
          {
            period: 'DAILY',
            limitMicros: '5000000',
            softThresholdPct: 50,
            apiKeyId: keyPolicy.apiKeyId,
          },
          { period: 'MONTHLY', limitMicros: '250500000', softThresholdPct: 90, apiKeyId: null },
        ],
      },
    });
    expect(budgetBody({ dailyUsd: '1.2345678', monthlyUsd: '', softThresholdPct: '' })).toEqual({
      ok: false,
      errors: { dailyUsd: 'an amount in dollars, e.g. 25 or 12.50' },
    });
    expect(budgetBody({ dailyUsd: '10', monthlyUsd: '', softThresholdPct: '150' })).toMatchObject({
      ok: false,
      errors: { softThresholdPct: expect.any(String) },
    });
  });

  it('routes: rows become the routes document; errors land on their row', () => {
    expect(
      routesBody({
        allowedModels: 'openai/gpt-4o-mini\nsimulated/sim-small',
        routes: [
          { alias: 'default', chain: 'openai/gpt-4o-mini, simulated/sim-small' },
          { alias: '', chain: '' },
        ],
      }),
    ).toEqual({
      ok: true,
      data: {
        allowedModels: ['openai/gpt-4o-mini', 'simulated/sim-small'],
        routes: { default: { chain: ['openai/gpt-4o-mini', 'simulated/sim-small'] } },
      },
    });
    expect(routesBody({ allowedModels: '', routes: [{ alias: 'fast', chain: 'gpt4' }] })).toEqual({
      ok: false,
      errors: { 'routes[0].chain': 'must be "provider/model"' },
    });
    expect(
      routesBody({
        allowedModels: '',
        routes: [
          { alias: 'a', chain: 'x/y' },
          { alias: 'a', chain: 'x/z' },
        ],
      }),
    ).toEqual({
      ok: false,
      errors: { 'routes[1].alias': 'this alias appears twice' },
    });
    expect(routesBody({ allowedModels: '', routes: [] })).toEqual({
      ok: true,
      data: { allowedModels: null, routes: {} },
    });
  });

  it('reject: a reason is required, as the API requires it', () => {
    expect(rejectBody('  ').ok).toBe(false);
    expect(rejectBody('not now')).toEqual({ ok: true, data: { reason: 'not now' } });
  });

  it('run input: JSON text checked as StartRunRequest checks it', () => {
    expect(runInputBody('post', '{"topic":"otters"}')).toEqual({
      ok: true,
      data: { taskId: 'post', input: { topic: 'otters' } },
    });
    expect(runInputBody('post', '')).toEqual({ ok: true, data: { taskId: 'post', input: {} } });
    expect(runInputBody('post', '{topic}')).toMatchObject({
      ok: false,
      errors: { input: expect.stringMatching(/^not valid JSON/) },
    });
    expect(runInputBody('Not A Name!', '{}')).toMatchObject({
      ok: false,
      errors: { taskId: expect.any(String) },
    });
  });

  it('usage range: whole UTC days, the last one included', () => {
    expect(usageRange('2026-01-01', '2026-01-31')).toEqual({
      ok: true,
      data: { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' },
    });
    expect(usageRange('2026-02-01', '2026-01-01')).toMatchObject({
      ok: false,
      errors: { from: 'from must be before to' },
    });
    expect(usageRange('2024-01-01', '2026-01-01')).toMatchObject({
      ok: false,
      errors: { to: expect.stringMatching(/366 days/) },
    });
    expect(usageRange('yesterday', '2026-01-01')).toEqual({
      ok: false,
      errors: { from: 'must be a date' },
    });
  });
});

describe('start-run form fields', () => {
  const schema = {
    type: 'object',
    required: ['topic'],
    properties: {
      topic: { type: 'string', description: 'What to write about' },
      words: { type: 'integer' },
      tone: { enum: ['calm', 'loud'] },
      draft: { type: 'boolean' },
    },
  };

  it('are generated for a flat object schema, and not for anything else', () => {
    expect(inputFieldsOf(schema)).toEqual([
      { name: 'topic', type: 'string', required: true, description: 'What to write about' },
      { name: 'words', type: 'integer', required: false },
      { name: 'tone', type: 'string', required: false, options: ['calm', 'loud'] },
      { name: 'draft', type: 'boolean', required: false },
    ]);
    expect(inputFieldsOf(undefined)).toBeNull();
    expect(inputFieldsOf({ type: 'object', properties: { items: { type: 'array' } } })).toBeNull();
  });

  it('convert their text to the input, and say what is missing or not a number', () => {
    const fields = inputFieldsOf(schema)!;
    expect(inputOf(fields, { topic: 'otters', words: '300', tone: '', draft: 'true' })).toEqual({
      input: { topic: 'otters', words: 300, draft: true },
      errors: {},
    });
    expect(inputOf(fields, { words: '2.5' }).errors).toEqual({
      topic: 'required',
      words: 'must be a whole number',
    });
  });
});

describe('money', () => {
  it('formats micro-dollars exactly, with more digits below a cent', () => {
    expect(formatMicros('12345678')).toBe('$12.34');
    expect(formatMicros('1234')).toBe('$0.001234');
    expect(formatMicros('18000')).toBe('$0.018');
    expect(formatMicros('500000')).toBe('$0.50');
    expect(formatMicros('0')).toBe('$0.00');
    expect(formatMicros('1234567890000')).toBe('$1,234,567.89');
    expect(formatMicros(null)).toBe('—');
  });

  it('lists every UTC day a range touches', () => {
    expect(everyDay('2026-01-30T00:00:00.000Z', '2026-02-02T00:00:00.000Z')).toEqual([
      '2026-01-30',
      '2026-01-31',
      '2026-02-01',
    ]);
    expect(everyDay('2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')).toEqual([]);
  });

  it('labels chart axes with two significant digits below a dollar', () => {
    expect([0, 0.0045, 0.018, 0.02, 12.5].map(formatUsdAxis)).toEqual([
      '$0',
      '$0.0045',
      '$0.018',
      '$0.02',
      '$12.50',
    ]);
  });

  it('converts dollars typed in a form to micro-dollars and back', () => {
    expect(usdToMicros('12.5')).toBe('12500000');
    expect(usdToMicros('0.000001')).toBe('1');
    expect(usdToMicros('-1')).toBeNull();
    expect(usdToMicros('1e3')).toBeNull();
    expect(microsToUsdText('12500000')).toBe('12.5');
    expect(microsToUsdText('3000000')).toBe('3');
  });
});

describe('permissionsOf', () => {
  const session = (type: 'MEMBER' | 'PLATFORM_ADMIN', scopes: string[]) => ({
    principal: {
      type,
      id: 'x',
      memberId: null,
      email: null,
      name: null,
      role: null,
      tenantId: null,
      tenantName: null,
      scopes,
    },
    csrfToken: 'c',
    expiresAt: '',
    idleExpiresAt: '',
  });

  it('a viewer can read but not write; a platform admin can do everything; nobody signed in nothing', () => {
    const viewer = permissionsOf(session('MEMBER', ['runs:read', 'usage:read']) as never);
    expect([viewer.can('runs:read'), viewer.can('runs:write'), viewer.can('keys:manage')]).toEqual([
      true,
      false,
      false,
    ]);
    const admin = permissionsOf(session('PLATFORM_ADMIN', []) as never);
    expect([admin.isPlatformAdmin, admin.can('keys:manage')]).toEqual([true, true]);
    expect(permissionsOf(null).can('runs:read')).toBe(false);
  });
});
