// Runs one Python tool in Pyodide inside Deno: `deno run <flags> python-harness.mjs <execDir>
// tool.py`. Python's filesystem is Emscripten's in-memory FS; the scratch directory exists there
// under the same path as on the host, and the files the tool leaves in it are copied out after
// `main` returns (bounded). Python reaching into JS (`import js`) lands in this same Deno
// process, with the same permissions and the same egress-only `fetch`.
import { claimHarness } from './lockdown.mjs';

const {
  describeError,
  failOnUncaught,
  finishWithError,
  finishWithOutput,
  installEgressFetch,
  isEgressDenial,
  lockDown,
  readRequest,
  signalReady,
  writeStderr,
  writeStdout,
} = claimHarness();

const [execDir, toolFile] = Deno.args;
const request = readRequest(execDir);
const source = Deno.readTextFileSync(`${execDir}/${toolFile}`);
const { mkdirSync, writeFileSync } = Deno; // kept before tenant code could replace them
lockDown();
installEgressFetch(request.egressSocket);
failOnUncaught(execDir);

const DRIVER = String.raw`
import inspect, json, os, sys, traceback

def _gnomon_describe(error):
    name = type(error).__name__
    message = str(error)
    js_name = None
    try:
        from pyodide.ffi import JsException
        if isinstance(error, JsException):
            js_name = getattr(error, 'name', None)
    except Exception:
        pass
    if js_name and message.startswith(js_name + ': '):
        message = message[len(js_name) + 2:]
    trace = ''.join(traceback.format_exception(error))[-8000:]
    return ['error', js_name or name, message[:4000] or name, trace]

def _gnomon_no_processes(*_args, **_kwargs):
    raise PermissionError('starting processes is not available to tools')

def _gnomon_lock_down():
    import subprocess
    for name in ('system', 'popen', 'fork', 'forkpty', 'execv', 'execve', 'execl', 'execle',
                 'execlp', 'execlpe', 'execvp', 'execvpe', 'spawnl', 'spawnle', 'spawnlp',
                 'spawnlpe', 'spawnv', 'spawnve', 'spawnvp', 'spawnvpe', 'posix_spawn',
                 'posix_spawnp'):
        if hasattr(os, name):
            setattr(os, name, _gnomon_no_processes)
    subprocess.Popen = _gnomon_no_processes
    for name in ('run', 'call', 'check_call', 'check_output', 'getoutput', 'getstatusoutput'):
        setattr(subprocess, name, _gnomon_no_processes)

async def _gnomon_run(source, input_json, context_json):
    context = json.loads(context_json)
    os.chdir(context['scratch_dir'])
    _gnomon_lock_down()
    try:
        namespace = {'__name__': '__tool__'}
        exec(compile(source, 'tool.py', 'exec'), namespace)
        main = namespace.get('main')
        if not callable(main):
            return ['error', 'TypeError', 'the tool must define a function main(input)', '']
        arguments = [json.loads(input_json)]
        try:
            positional = [
                p for p in inspect.signature(main).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
            ]
            if len(positional) >= 2:
                arguments.append(context)
        except (TypeError, ValueError):
            pass
        result = main(*arguments)
        if inspect.isawaitable(result):
            result = await result
        try:
            text = json.dumps(result, allow_nan=False)
        except (TypeError, ValueError) as error:
            return ['error', 'TypeError',
                    'the tool returned a value that is not JSON-serialisable: ' + str(error), '']
        return ['ok', text]
    except MemoryError:
        return ['error', 'MemoryError', 'the tool ran out of memory (Python MemoryError)', '']
    except BaseException as error:
        return _gnomon_describe(error)
`;

const MAX_FILES = request.scratchLimits.maxFiles;
const MAX_BYTES = request.scratchLimits.maxBytes;

/** Copies regular files (never symlinks) from the in-memory scratch dir to the real one. */
function copyScratchOut(FS, dir) {
  let files = 0;
  let bytes = 0;
  const walk = (relative) => {
    const memDir = relative ? `${dir}/${relative}` : dir;
    for (const name of FS.readdir(memDir)) {
      if (name === '.' || name === '..') continue;
      const rel = relative ? `${relative}/${name}` : name;
      const stat = FS.lstat(`${dir}/${rel}`);
      if (FS.isLink(stat.mode)) continue;
      if (FS.isDir(stat.mode)) {
        mkdirSync(`${dir}/${rel}`, { recursive: true });
        walk(rel);
      } else if (FS.isFile(stat.mode)) {
        files += 1;
        bytes += stat.size;
        if (files > MAX_FILES || bytes > MAX_BYTES) {
          throw Object.assign(
            new Error(
              `the tool wrote more than ${MAX_FILES} files or ${MAX_BYTES} bytes to its scratch directory`,
            ),
            { name: 'OutputLimit' },
          );
        }
        writeFileSync(`${dir}/${rel}`, FS.readFile(`${dir}/${rel}`));
      }
    }
  };
  walk('');
}

let pyodide;
try {
  const { loadPyodide } = await import(new URL(`file://${request.pyodideDir}/pyodide.mjs`).href);
  pyodide = await loadPyodide({
    indexURL: `${request.pyodideDir}/`,
    env: { HOME: '/home/pyodide' },
  });
} catch (error) {
  finishWithError(execDir, {
    errorName: 'SandboxError',
    message: `the Python runtime failed to start: ${describeError(error).message}`,
  });
}
// A JS error thrown through WebAssembly (e.g. posix.system reaching node:child_process, which
// Deno refuses) is fatal to Pyodide: report the cause instead of hanging on a dead interpreter.
pyodide._api.on_fatal = (error) => {
  const cause = describeError(error);
  finishWithError(execDir, {
    errorName: cause.errorName,
    message: `the Python runtime stopped: ${cause.errorName}: ${cause.message}`,
  });
};
pyodide.setStdout({ write: (bytes) => (writeStdout(bytes), bytes.length) });
pyodide.setStderr({ write: (bytes) => (writeStderr(bytes), bytes.length) });
pyodide.setStdin({ error: true });
const scratchDir = request.context.scratchDir;
pyodide.FS.mkdirTree(scratchDir);
pyodide.runPython(DRIVER);
const run = pyodide.globals.get('_gnomon_run');
const context = {
  scratch_dir: scratchDir,
  run_id: request.context.runId,
  step_id: request.context.stepId,
  tenant_id: request.context.tenantId,
};

signalReady();
let outcome;
try {
  const proxy = await run(source, JSON.stringify(request.input ?? null), JSON.stringify(context));
  outcome = proxy.toJs();
  proxy.destroy?.();
} catch (error) {
  const described = describeError(error);
  const isMemory = error?.type === 'MemoryError' || /MemoryError/.test(described.message);
  outcome = isMemory
    ? ['error', 'MemoryError', 'the tool ran out of memory (Python MemoryError)', '']
    : ['error', described.errorName, described.message, described.stack ?? ''];
}
// pyodide.http.pyfetch re-raises a failed fetch as AbortError(message) `from None`.
if (outcome[0] === 'error' && outcome[1] === 'AbortError' && isEgressDenial(outcome[2])) {
  outcome = ['error', 'EgressDenied', outcome[2], outcome[3]];
}
try {
  copyScratchOut(pyodide.FS, scratchDir);
} catch (error) {
  if (outcome[0] === 'ok') outcome = ['error', error.name, error.message, ''];
}
if (outcome[0] === 'ok') {
  finishWithOutput(execDir, outcome[1], request.outputBytes);
} else {
  finishWithError(execDir, {
    errorName: outcome[1],
    message: outcome[2],
    stack: outcome[3] || undefined,
  });
}
