import {
  ApprovalListQuery,
  CancelRunRequest,
  MAX_RUN_INPUT_BYTES,
  RUN_STATUSES,
  RejectRequest,
  ReplayRunRequest,
  RunListQuery,
  RunParams,
  StartRunRequest,
  TERMINAL_RUN_STATUSES,
  isTerminalRunStatus,
} from './run.dto';

const messages = (result: { success: boolean; error?: { issues: { message: string }[] } }) =>
  result.success ? [] : (result.error?.issues.map((issue) => issue.message) ?? []);

describe('run DTOs', () => {
  describe('StartRunRequest', () => {
    it('takes a task id or name; input defaults to {}; version is optional', () => {
      expect(StartRunRequest.parse({ taskId: 'summarize' })).toEqual({
        taskId: 'summarize',
        input: {},
      });
      const id = '0b7c9a52-3f1e-4a6b-9d2c-8e5f4a3b2c1d';
      expect(StartRunRequest.parse({ taskId: id, version: 3, input: [1, 'two'] })).toEqual({
        taskId: id,
        version: 3,
        input: [1, 'two'],
      });
      expect(StartRunRequest.parse({ taskId: 'x', input: null }).input).toBeNull();
    });

    it.each([
      ['no task', {}],
      ['a task ref that is neither', { taskId: 'Not A Name' }],
      ['version 0', { taskId: 'x', version: 0 }],
      ['a fractional version', { taskId: 'x', version: 1.5 }],
      ['a version as a string', { taskId: 'x', version: '2' }],
      ['an unknown field', { taskId: 'x', priority: 1 }],
    ])('refuses %s', (_name, body) => {
      expect(StartRunRequest.safeParse(body).success).toBe(false);
    });

    it('bounds the input to 256 KiB of UTF-8 JSON, with a clear message', () => {
      // '"' + text + '"' is the JSON of a string: this one is exactly at the limit.
      const atLimit = 'x'.repeat(MAX_RUN_INPUT_BYTES - 2);
      expect(StartRunRequest.safeParse({ taskId: 'x', input: atLimit }).success).toBe(true);
      const over = StartRunRequest.safeParse({ taskId: 'x', input: `${atLimit}x` });
      expect(messages(over)).toEqual(['input is larger than 256 KiB (262144 bytes as UTF-8 JSON)']);
      // Bytes, not characters: 'é' is two bytes in UTF-8.
      const accents = 'é'.repeat(MAX_RUN_INPUT_BYTES / 2);
      expect(StartRunRequest.safeParse({ taskId: 'x', input: { accents } }).success).toBe(false);
    });
  });

  it('ReplayRunRequest names a step id of the definition', () => {
    expect(ReplayRunRequest.parse({ fromStep: 'draft_2' })).toEqual({ fromStep: 'draft_2' });
    expect(ReplayRunRequest.safeParse({ fromStep: 'Draft' }).success).toBe(false);
    expect(ReplayRunRequest.safeParse({}).success).toBe(false);
  });

  it('reasons: optional for cancel, required and not blank for reject, at most 2,000 chars', () => {
    expect(CancelRunRequest.parse({})).toEqual({});
    expect(CancelRunRequest.safeParse({ reason: 'x'.repeat(2_001) }).success).toBe(false);
    expect(RejectRequest.parse({ reason: '  too risky ' })).toEqual({ reason: 'too risky' });
    expect(RejectRequest.safeParse({ reason: '   ' }).success).toBe(false);
    expect(RejectRequest.safeParse({}).success).toBe(false);
    expect(RejectRequest.safeParse({ reason: 'x'.repeat(2_001) }).success).toBe(false);
  });

  it('status filters take either case and yield the upper-case status', () => {
    expect(RunListQuery.parse({ status: 'awaiting_approval' })).toEqual({
      limit: 20,
      status: 'AWAITING_APPROVAL',
    });
    expect(ApprovalListQuery.parse({ status: 'pending' }).status).toBe('PENDING');
    expect(ApprovalListQuery.safeParse({ status: 'Pending' }).success).toBe(false);
    expect(
      RunListQuery.safeParse({
        createdAfter: '2026-01-02T00:00:00Z',
        createdBefore: '2026-01-01T00:00:00Z',
      }).success,
    ).toBe(false);
  });

  it('ids are lower-cased UUIDs', () => {
    expect(RunParams.parse({ id: '0B7C9A52-3F1E-4A6B-9D2C-8E5F4A3B2C1D' })).toEqual({
      id: '0b7c9a52-3f1e-4a6b-9d2c-8e5f4a3b2c1d',
    });
    expect(RunParams.safeParse({ id: 'summarize' }).success).toBe(false);
  });

  it('terminal statuses are the five a run never leaves', () => {
    expect(RUN_STATUSES.filter(isTerminalRunStatus)).toEqual([...TERMINAL_RUN_STATUSES]);
    expect(TERMINAL_RUN_STATUSES).toEqual([
      'SUCCEEDED',
      'FAILED',
      'BUDGET_EXCEEDED',
      'CANCELLED',
      'TIMED_OUT',
    ]);
  });
});
