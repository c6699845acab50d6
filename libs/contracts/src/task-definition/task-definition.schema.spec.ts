import { definitionOf, issuesOf, llm, SUPPORT_TASK, tool } from './task-definition.fixtures';
import { TaskDefinition, TASK_DEFINITION_LANGUAGE } from './task-definition.schema';

const approval = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'approval',
  prompt: 'OK?',
  ...extra,
});

describe('TaskDefinition: good definitions', () => {
  it('parses the language example', () => {
    expect(issuesOf(SUPPORT_TASK)).toEqual([]);
    const parsed = TaskDefinition.parse(SUPPORT_TASK);
    expect(parsed.language).toBe(TASK_DEFINITION_LANGUAGE);
    expect(parsed.steps.map((s) => s.id)).toEqual(SUPPORT_TASK.steps.map((s) => s.id));
  });

  it('parses a one-step definition and fills in the defaults', () => {
    const parsed = TaskDefinition.parse(definitionOf([tool('only')]));
    expect(parsed.steps[0]).toEqual({
      id: 'only',
      type: 'tool',
      tool: 'crm-lookup',
      input: {},
      timeoutSeconds: 300,
      retry: { maxAttempts: 1, backoffSeconds: 1, backoffRate: 2 },
    });
  });

  it('fills in llm, retry and approval defaults', () => {
    const parsed = TaskDefinition.parse(
      definitionOf([llm('ask', { next: 'ok', retry: { maxAttempts: 4 } }), approval('ok')]),
    );
    const [ask, ok] = parsed.steps;
    expect(ask).toMatchObject({ maxTurns: 10, timeoutSeconds: 300 });
    expect(ask.type === 'llm' && ask.retry).toEqual({
      maxAttempts: 4,
      backoffSeconds: 1,
      backoffRate: 2,
    });
    expect(ok).toMatchObject({ timeoutSeconds: 86400, approvers: { roles: ['OWNER', 'ADMIN'] } });
  });

  it('accepts maxVisits on every step type', () => {
    const steps = [
      llm('s1', { next: 's2', maxVisits: 1 }),
      tool('s2', { next: 's3', maxVisits: 1000 }),
      approval('s3', { next: 's4', maxVisits: 2 }),
      {
        id: 's4',
        type: 'branch',
        cases: [{ when: 'true', next: 's5' }],
        default: 's5',
        maxVisits: 3,
      },
      {
        id: 's5',
        type: 'parallel',
        branches: [{ start: 'p1' }, { start: 'p2' }],
        next: 'end',
        maxVisits: 4,
      },
      tool('p1'),
      tool('p2'),
      tool('end'),
    ];
    expect(issuesOf(definitionOf(steps))).toEqual([]);
  });

  it('accepts every bound at its edge', () => {
    const steps = [
      llm('s1', {
        next: 's2',
        model: 'm'.repeat(200),
        prompt: 'p'.repeat(100_000),
        maxTurns: 1000,
        temperature: 2,
        maxTokens: 200_000,
        timeoutSeconds: 3600,
        retry: { maxAttempts: 10, backoffSeconds: 300, backoffRate: 10 },
      }),
      approval('s2', { timeoutSeconds: 604_800, approvers: { roles: ['MEMBER'] }, next: 's3' }),
      approval('s3', { timeoutSeconds: 60, next: 's4' }),
      tool('s4', { version: 1, timeoutSeconds: 1, retry: { backoffSeconds: 0, backoffRate: 1 } }),
    ];
    expect(issuesOf(definitionOf(steps, { description: 'd'.repeat(2000) }))).toEqual([]);
  });
});

describe('TaskDefinition: structure', () => {
  const one = (step: Record<string, unknown>) => issuesOf(definitionOf([step]));

  it('rejects another language version', () => {
    expect(issuesOf({ ...definitionOf([tool('a')]), language: 'gnomon.task/v2' })).toEqual([
      'language: unsupported language; expected "gnomon.task/v1"',
    ]);
  });

  it('rejects unknown fields on the definition and on steps', () => {
    expect(issuesOf({ ...definitionOf([tool('a')]), owner: 'me' })).toEqual([
      ': Unrecognized key: "owner"',
    ]);
    expect(one(tool('a', { retries: 3 }))).toEqual(['steps[0]: Unrecognized key: "retries"']);
    expect(one(tool('a', { retry: { attempts: 3 } }))).toEqual([
      'steps[0].retry: Unrecognized key: "attempts"',
    ]);
  });

  it('bounds the step list and the description', () => {
    expect(issuesOf({ ...definitionOf([tool('a')]), steps: [] })).toEqual([
      'steps: Too small: expected array to have >=1 items',
      'start: unknown step "a"',
    ]);
    const many = Array.from({ length: 201 }, (_, i) =>
      tool(`s${i}`, i < 200 ? { next: `s${i + 1}` } : {}),
    );
    expect(issuesOf(definitionOf(many))).toEqual([
      'steps: Too big: expected array to have <=200 items',
    ]);
    expect(issuesOf(definitionOf([tool('a')], { description: 'd'.repeat(2001) }))).toEqual([
      'description: Too big: expected string to have <=2000 characters',
    ]);
  });

  it('checks step ids and step types', () => {
    expect(one(tool('Fetch'))).toEqual([
      'start: lower-case letters, digits, _ and -, starting with a letter (max 63)',
      'steps[0].id: lower-case letters, digits, _ and -, starting with a letter (max 63)',
    ]);
    expect(one(tool('a'.repeat(64)))[1]).toMatch(/^steps\[0\]\.id: lower-case/);
    expect(one({ id: 'a', type: 'script' })).toEqual([
      "steps[0].type: Invalid discriminator value. Expected 'llm' | 'tool' | 'approval' | 'branch' | 'parallel'",
    ]);
  });

  it.each([
    [
      'model missing',
      { model: undefined },
      'steps[0].model: Invalid input: expected string, received undefined',
    ],
    [
      'model empty',
      { model: '' },
      'steps[0].model: Too small: expected string to have >=1 characters',
    ],
    [
      'model too long',
      { model: 'm'.repeat(201) },
      'steps[0].model: Too big: expected string to have <=200 characters',
    ],
    [
      'prompt missing',
      { prompt: undefined },
      'steps[0].prompt: Invalid input: expected string, received undefined',
    ],
    [
      'prompt too long',
      { prompt: 'p'.repeat(100_001) },
      'steps[0].prompt: Too big: expected string to have <=100000 characters',
    ],
    [
      'bad tool name',
      { tools: ['CRM'] },
      'steps[0].tools[0]: lower-case letters, digits, _ and -, starting with a letter',
    ],
    ['tool twice', { tools: ['crm', 'crm'] }, 'steps[0].tools: a tool appears twice'],
    ['maxTurns 0', { maxTurns: 0 }, 'steps[0].maxTurns: Too small: expected number to be >=1'],
    [
      'maxTurns 1001',
      { maxTurns: 1001 },
      'steps[0].maxTurns: Too big: expected number to be <=1000',
    ],
    [
      'temperature -0.1',
      { temperature: -0.1 },
      'steps[0].temperature: Too small: expected number to be >=0',
    ],
    [
      'temperature 2.1',
      { temperature: 2.1 },
      'steps[0].temperature: Too big: expected number to be <=2',
    ],
    ['maxTokens 0', { maxTokens: 0 }, 'steps[0].maxTokens: Too small: expected number to be >=1'],
    [
      'maxTokens 200001',
      { maxTokens: 200_001 },
      'steps[0].maxTokens: Too big: expected number to be <=200000',
    ],
    [
      'outputSchema array',
      { outputSchema: [] },
      'steps[0].outputSchema: Invalid input: expected record, received array',
    ],
    [
      'timeout 0',
      { timeoutSeconds: 0 },
      'steps[0].timeoutSeconds: Too small: expected number to be >=1',
    ],
    [
      'timeout 3601',
      { timeoutSeconds: 3601 },
      'steps[0].timeoutSeconds: Too big: expected number to be <=3600',
    ],
    [
      'maxAttempts 0',
      { retry: { maxAttempts: 0 } },
      'steps[0].retry.maxAttempts: Too small: expected number to be >=1',
    ],
    [
      'maxAttempts 11',
      { retry: { maxAttempts: 11 } },
      'steps[0].retry.maxAttempts: Too big: expected number to be <=10',
    ],
    [
      'backoff 301',
      { retry: { backoffSeconds: 301 } },
      'steps[0].retry.backoffSeconds: Too big: expected number to be <=300',
    ],
    [
      'backoffRate 0.5',
      { retry: { backoffRate: 0.5 } },
      'steps[0].retry.backoffRate: Too small: expected number to be >=1',
    ],
    [
      'backoffRate 11',
      { retry: { backoffRate: 11 } },
      'steps[0].retry.backoffRate: Too big: expected number to be <=10',
    ],
    ['maxVisits 0', { maxVisits: 0 }, 'steps[0].maxVisits: Too small: expected number to be >=1'],
    [
      'maxVisits 1001',
      { maxVisits: 1001 },
      'steps[0].maxVisits: Too big: expected number to be <=1000',
    ],
  ])('llm step: %s', (_name, patch, expected) => {
    expect(one(llm('a', patch))).toEqual([expected]);
  });

  it.each([
    [
      'no tool',
      { tool: undefined },
      'steps[0].tool: Invalid input: expected string, received undefined',
    ],
    [
      'tool name shaped like a UUID',
      { tool: 'a1b2c3d4-0000-4000-8000-000000000000' },
      'steps[0].tool: must not look like a UUID (tools are addressed by id or by name)',
    ],
    ['version 0', { version: 0 }, 'steps[0].version: Too small: expected number to be >=1'],
    [
      'version 1.5',
      { version: 1.5 },
      'steps[0].version: Invalid input: expected int, received number',
    ],
    [
      'input too large',
      { input: { text: 'x'.repeat(64 * 1024) } },
      'steps[0].input: input is larger than 64 KiB',
    ],
    ['input not JSON', { input: { when: undefined, f: () => 1 } }, 'steps[0].input: Invalid input'],
  ])('tool step: %s', (_name, patch, expected) => {
    expect(one(tool('a', patch))).toEqual([expected]);
  });

  it.each([
    [
      'no prompt',
      { prompt: undefined },
      'steps[0].prompt: Invalid input: expected string, received undefined',
    ],
    [
      'prompt too long',
      { prompt: 'p'.repeat(10_001) },
      'steps[0].prompt: Too big: expected string to have <=10000 characters',
    ],
    [
      'timeout 59',
      { timeoutSeconds: 59 },
      'steps[0].timeoutSeconds: Too small: expected number to be >=60',
    ],
    [
      'timeout 604801',
      { timeoutSeconds: 604_801 },
      'steps[0].timeoutSeconds: Too big: expected number to be <=604800',
    ],
    [
      'VIEWER approver',
      { approvers: { roles: ['VIEWER'] } },
      'steps[0].approvers.roles[0]: Invalid option: expected one of "OWNER"|"ADMIN"|"MEMBER"',
    ],
    [
      'no approver role',
      { approvers: { roles: [] } },
      'steps[0].approvers.roles: Too small: expected array to have >=1 items',
    ],
    [
      'role twice',
      { approvers: { roles: ['ADMIN', 'ADMIN'] } },
      'steps[0].approvers.roles: a role appears twice',
    ],
    [
      'approvers by user',
      { approvers: { users: ['x'] } },
      'steps[0].approvers: Unrecognized key: "users"',
    ],
    ['retry', { retry: { maxAttempts: 2 } }, 'steps[0]: Unrecognized key: "retry"'],
  ])('approval step: %s', (_name, patch, expected) => {
    expect(one(approval('a', patch))).toEqual([expected]);
  });

  const branch = (extra: Record<string, unknown>) => ({
    id: 'a',
    type: 'branch',
    cases: [{ when: 'true', next: 'b' }],
    default: 'b',
    ...extra,
  });
  it.each([
    ['a next', { next: 'b' }, 'steps[0]: Unrecognized key: "next"'],
    [
      'no default',
      { default: undefined },
      'steps[0].default: Invalid input: expected string, received undefined',
    ],
    ['no cases', { cases: [] }, 'steps[0].cases: Too small: expected array to have >=1 items'],
    [
      '51 cases',
      { cases: Array.from({ length: 51 }, () => ({ when: 'true', next: 'b' })) },
      'steps[0].cases: Too big: expected array to have <=50 items',
    ],
    [
      'empty condition',
      { cases: [{ when: '', next: 'b' }] },
      'steps[0].cases[0].when: Too small: expected string to have >=1 characters',
    ],
    [
      'long condition',
      { cases: [{ when: `${'true && '.repeat(125)}true`, next: 'b' }] },
      'steps[0].cases[0].when: Too big: expected string to have <=1000 characters',
    ],
    [
      'case without next',
      { cases: [{ when: 'true' }] },
      'steps[0].cases[0].next: Invalid input: expected string, received undefined',
    ],
  ])('branch step: %s', (_name, patch, expected) => {
    expect(issuesOf(definitionOf([branch(patch), tool('b')]))).toEqual([expected]);
  });

  const parallel = (extra: Record<string, unknown>) => ({
    id: 'fan',
    type: 'parallel',
    branches: [{ start: 'x' }, { start: 'y' }],
    next: 'join',
    ...extra,
  });
  it.each([
    [
      'one branch',
      { branches: [{ start: 'x' }] },
      'steps[0].branches: Too small: expected array to have >=2 items',
      'steps[2]: step "y" is not reachable from start "fan"',
    ],
    [
      'eleven branches',
      { branches: Array.from({ length: 11 }, () => ({ start: 'x' })) },
      'steps[0].branches: Too big: expected array to have <=10 items',
    ],
    [
      'no join',
      { next: undefined },
      'steps[0].next: Invalid input: expected string, received undefined',
    ],
    [
      'branch with more than a start',
      { branches: [{ start: 'x', next: 'y' }, { start: 'y' }] },
      'steps[0].branches[0]: Unrecognized key: "next"',
    ],
  ])('parallel step: %s', (_name, patch, ...expected) => {
    expect(issuesOf(definitionOf([parallel(patch), tool('x'), tool('y'), tool('join')]))).toEqual(
      expected,
    );
  });
});
