// Shared by the JS and Python harnesses. Runs inside Deno, before any tenant code, with only
// the permissions the runner granted (see sandbox-command.ts). Deno's permissions are the
// boundary; removing APIs here is defence in depth and gives hostile code clear errors.
//
// A tool can import this module too (Deno serves loaded modules without a read check), so it
// exports one function that works once: the harness claims it before any tenant code runs.

const EGRESS_HOST = 'http://egress.invalid/';
const MAX_MESSAGE_CHARS = 4_000;
const MAX_STACK_CHARS = 8_000;

/** What the harness keeps for itself before tenant code can replace globals. */
const kept = {
  fetch: globalThis.fetch.bind(globalThis),
  createHttpClient: Deno.createHttpClient,
  readTextFileSync: Deno.readTextFileSync,
  writeTextFileSync: Deno.writeTextFileSync,
  stdout: Deno.stdout,
  stderr: Deno.stderr,
  exit: Deno.exit,
  stringify: JSON.stringify,
  encoder: new TextEncoder(),
};

const READY_MARKER = '\u001egnomon-sandbox-ready\u001e\n';

/** Reads the request the runner wrote next to the tool (`input.json`). */
function readRequest(execDir) {
  return JSON.parse(kept.readTextFileSync(`${execDir}/input.json`));
}

/** Messages of the egress denials thrown so far (wrappers such as pyfetch rename the error). */
const egressDenials = [];

class EgressDenied extends Error {
  constructor(message) {
    super(message);
    this.name = 'EgressDenied';
    egressDenials.push(message);
  }
}

const REFUSED_DENO_APIS = [
  'run',
  'Command',
  'ChildProcess',
  'kill',
  'dlopen',
  'UnsafeCallback',
  'UnsafeFnPointer',
  'UnsafePointer',
  'UnsafePointerView',
  'connect',
  'connectTls',
  'connectQuic',
  'listen',
  'listenTls',
  'listenDatagram',
  'startTls',
  'serve',
  'serveHttp',
  'upgradeWebSocket',
  'createHttpClient',
  'HttpClient',
  'openKv',
  'cron',
  'addSignalListener',
  'removeSignalListener',
];

function refusing(what) {
  return function refused() {
    throw new Deno.errors.NotCapable(`${what} is not available to tools`);
  };
}

function replaceForGood(target, name, value) {
  // Fail closed: a Deno release that makes one of these non-configurable must not run tools.
  if (!Reflect.deleteProperty(target, name)) {
    throw new Error(`sandbox lockdown failed: ${String(name)} could not be replaced`);
  }
  Object.defineProperty(target, name, {
    value,
    writable: false,
    configurable: false,
    enumerable: false,
  });
}

/**
 * Takes away what a tool must not reach even where a permission check would stop it: process
 * spawning, raw sockets, FFI, environment, workers (a thread bomb), Deno internals. What is left
 * in their place throws NotCapable, as Deno itself does for a missing permission.
 */
function lockDown() {
  // Node's `process` reads Deno.env lazily on first use: initialise it with the real one first.
  void globalThis.process?.env;
  for (const name of REFUSED_DENO_APIS) {
    if (name in Deno) replaceForGood(Deno, name, refusing(`Deno.${name}`));
  }
  const refuseEnv = refusing('the environment');
  replaceForGood(
    Deno,
    'env',
    Object.freeze({
      get: refuseEnv,
      set: refuseEnv,
      has: refuseEnv,
      delete: refuseEnv,
      toObject: refuseEnv,
    }),
  );
  Reflect.deleteProperty(Deno, Deno.internal);
  replaceForGood(globalThis, 'Worker', refusing('Worker'));
  // Cache storage writes to disk outside the scratch directory; WebGPU reaches host drivers.
  if ('caches' in globalThis) replaceForGood(globalThis, 'caches', undefined);
  const navigatorProto = Object.getPrototypeOf(globalThis.navigator);
  if ('gpu' in navigatorProto) replaceForGood(navigatorProto, 'gpu', undefined);
  if ('SharedWorker' in globalThis)
    replaceForGood(globalThis, 'SharedWorker', refusing('SharedWorker'));
}

/**
 * Routes `fetch` through the egress proxy on a unix socket: the real URL travels in a header
 * and the proxy applies the tool's allowNet and the SSRF rules. Deno only grants net access to
 * that socket (and the never-resolving sentinel host), so no other route out exists.
 */
function installEgressFetch(socketPath) {
  const client = socketPath
    ? kept.createHttpClient({ proxy: { transport: 'unix', path: socketPath } })
    : null;
  const realFetch = kept.fetch;
  async function fetch(resource, init) {
    const request = new Request(resource, init);
    const url = new URL(request.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      // data:, blob: and file: never leave the process; file: is bound by the read permission.
      return realFetch(request);
    }
    if (!client) throw new EgressDenied('network access is not enabled for this tool');
    const headers = new Headers(request.headers);
    headers.set('x-gnomon-egress-url', request.url);
    if (request.redirect === 'manual') headers.set('x-gnomon-egress-redirect', 'manual');
    const hasBody = request.body !== null && request.method !== 'GET' && request.method !== 'HEAD';
    const response = await realFetch(EGRESS_HOST, {
      method: request.method,
      headers,
      body: hasBody ? await request.arrayBuffer() : undefined,
      redirect: 'manual',
      signal: request.signal,
      client,
    });
    const denied = response.headers.get('x-gnomon-egress-denied');
    if (response.status === 403 && denied !== null) {
      let message = `egress denied (${denied})`;
      try {
        const body = await response.json();
        if (body && typeof body.message === 'string') message = body.message;
      } catch {
        // keep the generic message
      }
      throw new EgressDenied(message);
    }
    return response;
  }
  Object.defineProperty(globalThis, 'fetch', { value: fetch, writable: true, configurable: true });
}

function clip(text, max) {
  return text.length > max ? `${text.slice(0, max)}… (truncated)` : text;
}

/** A thrown value as `{ errorName, message, stack }`, robust against hostile getters. */
function describeError(error) {
  try {
    if (error !== null && typeof error === 'object') {
      const { name, message, stack } = error; // each getter runs once
      return {
        errorName: typeof name === 'string' ? name : 'Error',
        message: clip(typeof message === 'string' ? message : String(error), MAX_MESSAGE_CHARS),
        stack: typeof stack === 'string' ? clip(stack, MAX_STACK_CHARS) : undefined,
      };
    }
    return {
      errorName: 'Error',
      message: clip(`the tool threw ${String(error)}`, MAX_MESSAGE_CHARS),
    };
  } catch {
    return { errorName: 'Error', message: 'the tool threw a value that cannot be described' };
  }
}

function writeAll(stream, bytes) {
  let offset = 0;
  while (offset < bytes.length) offset += stream.writeSync(bytes.subarray(offset));
}

/** Tells the runner that the runtime is up and tenant code starts now (the deadline begins). */
function signalReady() {
  writeAll(kept.stderr, kept.encoder.encode(READY_MARKER));
}

function writeStdout(bytes) {
  writeAll(kept.stdout, bytes);
}

function writeStderr(bytes) {
  writeAll(kept.stderr, bytes);
}

/**
 * Writes `result.json` and ends the process (timers the tool left behind must not keep it
 * alive). `outputText` is the tool's output already serialised as JSON.
 */
function finishWithOutput(execDir, outputText, outputBytes) {
  const size = kept.encoder.encode(outputText).length;
  if (size > outputBytes) {
    finishWithError(execDir, {
      errorName: 'OutputLimit',
      message: `the tool output is ${size} bytes of JSON, above the limit of ${outputBytes} bytes`,
    });
    return;
  }
  kept.writeTextFileSync(`${execDir}/result.json`, `{"ok":true,"output":${outputText}}`);
  kept.exit(0);
}

function finishWithError(execDir, failure) {
  kept.writeTextFileSync(`${execDir}/result.json`, kept.stringify({ ok: false, ...failure }));
  kept.exit(1);
}

/** Serialises a JS value, or explains why it is not JSON. */
function serialiseOutput(output) {
  try {
    const text = kept.stringify(output === undefined ? null : output);
    if (typeof text !== 'string') {
      return { error: `the tool returned ${typeof output}, which is not JSON-serialisable` };
    }
    return { text };
  } catch (error) {
    return {
      error: `the tool returned a value that is not JSON-serialisable: ${describeError(error).message}`,
    };
  }
}

/** Uncaught errors in callbacks the tool scheduled end the execution with that error. */
function failOnUncaught(execDir) {
  globalThis.addEventListener('error', (event) => {
    event.preventDefault();
    finishWithError(execDir, describeError(event.error ?? event.message));
  });
  globalThis.addEventListener('unhandledrejection', (event) => {
    event.preventDefault();
    finishWithError(execDir, describeError(event.reason));
  });
}

let claimed = false;

/** The harness toolkit; throws for every caller after the first (the harness itself). */
export function claimHarness() {
  if (claimed) throw new Deno.errors.NotCapable('the sandbox harness is not available to tools');
  claimed = true;
  return Object.freeze({
    readRequest,
    lockDown,
    installEgressFetch,
    failOnUncaught,
    signalReady,
    writeStdout,
    writeStderr,
    describeError,
    serialiseOutput,
    finishWithOutput,
    finishWithError,
    isEgressDenial: (message) => egressDenials.includes(message),
  });
}
