import type { ToolLimits } from '@gnomon/contracts';
import {
  buildSandboxCommand,
  bwrapArgs,
  denoArgs,
  execLayout,
  memoryPlan,
} from './sandbox-command';
import type { SandboxHost } from './sandbox-host';

const MIB = 1024 * 1024;
const limits: ToolLimits = { timeoutMs: 1000, memoryMb: 128, outputBytes: 1024 };
const host: SandboxHost = {
  denoPath: '/opt/deno/deno',
  pyodideDir: '/opt/pyodide',
  harnessDir: '/app/sandbox/harness',
  bwrapPath: '/usr/bin/bwrap',
  prlimitPath: '/usr/bin/prlimit',
  setprivPath: '/usr/bin/setpriv',
};

describe('memoryPlan', () => {
  it('caps the heap at memoryMb and the process data at 512 MiB + 2 × memoryMb', () => {
    expect(memoryPlan('js', 1024)).toEqual({
      heapMb: 1024,
      wasmPages: 16384,
      dataBytes: 2560 * MIB,
    });
    expect(memoryPlan('js', 32)).toEqual({ heapMb: 32, wasmPages: 512, dataBytes: 640 * MIB });
    expect(memoryPlan('python', 32)).toEqual({
      heapMb: 64,
      wasmPages: 1024,
      dataBytes: 1024 * MIB,
    });
  });
});

describe('denoArgs', () => {
  it('grants only the execution files, and net only to the egress socket', () => {
    const closed = denoArgs(host, execLayout('/w/e1', 'ts', false), 'ts', limits);
    expect(closed).toContain('--allow-read=/w/e1/input.json,/w/e1/tool.ts,/w/e1/scratch');
    expect(closed).toContain('--allow-write=/w/e1/result.json,/w/e1/scratch');
    expect(closed.some((a) => a.startsWith('--allow-net'))).toBe(false);
    expect(closed.filter((a) => a.startsWith('--allow-'))).toHaveLength(2);
    expect(closed).toEqual(
      expect.arrayContaining(['--no-prompt', '--no-remote', '--no-npm', '--no-config']),
    );
    expect(closed.slice(-3)).toEqual(['/app/sandbox/harness/js-harness.mjs', '/w/e1', 'tool.ts']);

    const open = denoArgs(host, execLayout('/w/e2', 'python', true), 'python', limits);
    expect(open).toContain('--allow-net=unix:/w/e2/egress.sock,egress.invalid');
    expect(open).toContain(
      '--allow-read=/w/e2/input.json,/w/e2/tool.py,/w/e2/scratch,/opt/pyodide,/w/e2/egress.sock',
    );
  });
});

describe('bwrapArgs', () => {
  it('binds only the execution directory writable', () => {
    const args = bwrapArgs(host, execLayout('/w/e1', 'js', false), 'js');
    const writable = args.flatMap((a, i) => (a === '--bind' ? [args[i + 1]] : []));
    expect(writable).toEqual(['/w/e1']);
    expect(args).toEqual(
      expect.arrayContaining(['--unshare-all', '--die-with-parent', '--clearenv']),
    );
    expect(args).not.toContain('/opt/pyodide');
  });

  it('mounts the empty /tmp before binding what may live under /tmp (an install, the work root)', () => {
    const underTmp = {
      ...host,
      denoPath: '/tmp/ci/node_modules/@deno/x/deno',
      harnessDir: '/tmp/ci/h',
    };
    const args = bwrapArgs(underTmp, execLayout('/tmp/gnomon-tools/e1', 'js', false), 'js');
    const tmpfs = args.indexOf('/tmp', args.indexOf('--tmpfs'));
    expect(tmpfs).toBeGreaterThan(0);
    for (const path of ['/tmp/ci/node_modules/@deno/x', '/tmp/ci/h', '/tmp/gnomon-tools/e1'])
      expect(args.indexOf(path)).toBeGreaterThan(tmpfs);
  });
});

describe('buildSandboxCommand', () => {
  it('nests prlimit, setpriv, bwrap and deno, with an environment of its own', () => {
    const layout = execLayout('/w/e1', 'js', false);
    const all = buildSandboxCommand(host, layout, 'js', limits, {
      bubblewrap: true,
      uid: 61234,
      osLimits: true,
      maxProcesses: 256,
    });
    expect(all.file).toBe('/usr/bin/prlimit');
    const order = ['/usr/bin/setpriv', '/usr/bin/bwrap', '/opt/deno/deno'].map((f) =>
      all.args.indexOf(f),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(all.args).toContain('--nproc=256');
    expect(all.args).toContain('--reuid=61234');
    expect(
      all.args.slice(all.args.indexOf('--pdeathsig'), all.args.indexOf('--pdeathsig') + 2),
    ).toEqual(['--pdeathsig', 'KILL']);
    expect(all.env).toEqual({ DENO_DIR: '/w/e1/.deno', NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' });

    const noUid = buildSandboxCommand(host, layout, 'js', limits, {
      bubblewrap: false,
      uid: null,
      osLimits: false,
      maxProcesses: 256,
    });
    // Not root: no uid change, but the sandbox still dies with the runtime.
    expect([noUid.file, ...noUid.args.slice(0, 3)]).toEqual([
      '/usr/bin/setpriv',
      '--pdeathsig',
      'KILL',
      '--',
    ]);

    const bare = buildSandboxCommand({ ...host, setprivPath: null }, layout, 'js', limits, {
      bubblewrap: false,
      uid: null,
      osLimits: false,
      maxProcesses: 256,
    });
    expect(bare.file).toBe('/opt/deno/deno');
    expect(bare.args[0]).toBe('run');
  });
});
