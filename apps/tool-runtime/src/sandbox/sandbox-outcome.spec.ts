import type { ToolLimits } from '@gnomon/contracts';
import { classifyRun, parseHarnessResult, type HarnessResult } from './sandbox-outcome';
import type { SupervisedRun } from './sandbox-process';

const limits: ToolLimits = { timeoutMs: 2000, memoryMb: 128, outputBytes: 1024 };

function ended(overrides: Partial<SupervisedRun> = {}): SupervisedRun {
  return {
    end: 'exited',
    scratchProblem: null,
    exitCode: 0,
    signal: null,
    stdout: '',
    stderr: '',
    stderrTail: '',
    durationMs: 10,
    spawnError: null,
    ...overrides,
  };
}

const thrown = (errorName: string, message: string): HarnessResult => ({
  ok: false,
  errorName,
  message,
});

describe('classifyRun', () => {
  it('lets the supervisor decide first, whatever the harness wrote', () => {
    const ok: HarnessResult = { ok: true, output: 1 };
    expect(classifyRun(ended({ end: 'deadline' }), ok, limits, 10_000)).toEqual({
      status: 'TIMEOUT',
      output: null,
      error: { message: 'tool exceeded its 2000 ms deadline' },
    });
    expect(classifyRun(ended({ end: 'output-limit' }), ok, limits, 10_000).error?.message).toBe(
      'the tool wrote more than 1024 bytes to stdout and stderr',
    );
    expect(
      classifyRun(ended({ end: 'scratch-limit', scratchProblem: 'too many' }), ok, limits, 1)
        .status,
    ).toBe('OUTPUT_LIMIT');
    expect(classifyRun(ended({ end: 'boot-deadline' }), null, limits, 30_000).error?.message).toBe(
      'the sandbox runtime did not start within 30000 ms',
    );
  });

  it('maps the error the harness caught by its name', () => {
    const run = ended({ exitCode: 1 });
    const permission = classifyRun(
      run,
      thrown(
        'NotCapable',
        'Requires read access to "/etc/passwd", run again with the --allow-read flag',
      ),
      limits,
      1,
    );
    expect(permission).toEqual({
      status: 'PERMISSION_DENIED',
      output: null,
      error: {
        message:
          'permission denied: Requires read access to "/etc/passwd" (tools may only use their input and scratch directory)',
      },
    });
    expect(classifyRun(run, thrown('PermissionError', 'no'), limits, 1).status).toBe(
      'PERMISSION_DENIED',
    );
    expect(classifyRun(run, thrown('EgressDenied', 'host not allowed'), limits, 1)).toMatchObject({
      status: 'EGRESS_DENIED',
      error: { message: 'host not allowed' },
    });
    expect(
      classifyRun(run, thrown('RangeError', 'Array buffer allocation failed'), limits, 1).status,
    ).toBe('MEMORY_LIMIT');
    expect(classifyRun(run, thrown('MemoryError', 'x'), limits, 1).status).toBe('MEMORY_LIMIT');
    expect(classifyRun(run, thrown('RangeError', 'Invalid array length'), limits, 1)).toMatchObject(
      {
        status: 'FAILED',
        error: { message: 'RangeError: Invalid array length' },
      },
    );
    expect(classifyRun(run, thrown('Error', 'plain'), limits, 1).error?.message).toBe('plain');
  });

  it('recognises how the engine died when no result was written', () => {
    const oom = 'x\n# Fatal JavaScript out of memory: Reached heap limit\n';
    expect(classifyRun(ended({ exitCode: null, signal: 'SIGTRAP' }), null, limits, 1).status).toBe(
      'MEMORY_LIMIT',
    );
    expect(classifyRun(ended({ exitCode: 133 }), null, limits, 1).status).toBe('MEMORY_LIMIT');
    expect(
      classifyRun(ended({ exitCode: 1, stderrTail: oom }), null, limits, 1).error?.message,
    ).toBe('the tool ran out of memory (limit 128 MiB): Fatal JavaScript out of memory');
    expect(classifyRun(ended({ exitCode: 153 }), null, limits, 1).status).toBe('OUTPUT_LIMIT');
    expect(classifyRun(ended({ exitCode: 3 }), null, limits, 1)).toEqual({
      status: 'FAILED',
      output: null,
      error: { message: 'the tool process exited with code 3 before returning a result' },
    });
  });
});

describe('parseHarnessResult', () => {
  it('accepts only what the harness writes', () => {
    expect(parseHarnessResult('{"ok":true,"output":{"a":1}}')).toEqual({
      ok: true,
      output: { a: 1 },
    });
    expect(parseHarnessResult('{"ok":true}')).toEqual({ ok: true, output: null });
    expect(parseHarnessResult('{"ok":false,"errorName":"E","message":"m"}')).toEqual(
      thrown('E', 'm'),
    );
    for (const garbled of [null, '', '{"ok":tr', '[]', '{"ok":false,"message":1}', '"ok"'])
      expect(parseHarnessResult(garbled)).toBeNull();
  });
});
