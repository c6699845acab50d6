import { terminalStatusOf } from './run-finalizer';

describe('terminalStatusOf', () => {
  it('maps the errors the state machine catches to the run status', () => {
    expect(terminalStatusOf('BudgetExceeded')).toBe('BUDGET_EXCEEDED');
    expect(terminalStatusOf('Cancelled')).toBe('CANCELLED');
    expect(terminalStatusOf('RunTimedOut')).toBe('TIMED_OUT');
    expect(terminalStatusOf('ApprovalRejected')).toBe('FAILED');
    expect(terminalStatusOf('ToolFailed')).toBe('FAILED');
  });

  it('treats anything else (Step Functions errors, unknown names) as FAILED', () => {
    expect(terminalStatusOf('States.Timeout')).toBe('FAILED');
    expect(terminalStatusOf('toString')).toBe('FAILED');
    expect(terminalStatusOf(undefined)).toBe('FAILED');
  });
});
