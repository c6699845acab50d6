// `npm start` (after `npm run build`): the whole platform on one machine, on its embedded
// defaults (architecture §7). Without DATABASE_URL it serves an embedded Postgres (PGlite) and
// migrates it; without REDIS_URL every app runs in single-instance mode (in-process limits,
// caches and queues); then it runs every built app as a child process until Ctrl-C.
//
// `--simulated-provider` (what `npm start` passes) turns on the gateway's simulated provider
// (GNOMON_SIMULATED_PROVIDER=1) unless GNOMON_SIMULATED_PROVIDER is already set.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath, URL } from 'node:url';
import { startLocalAws } from './local-aws.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

/** Apps in start order, with their default ports (null: no HTTP port). */
const APPS = [
  { name: 'control-plane', port: 8080 },
  { name: 'llm-gateway', port: 8081 },
  { name: 'tool-runtime', port: 8082 },
  { name: 'orchestrator-worker', port: 8083 },
];
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** A crashed app is restarted at most this often per minute before everything stops. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
/** Buckets and queues the apps expect on the local AWS endpoint. */
const LOCAL_BUCKETS = ['gnomon-artifacts'];
const STEP_QUEUE = 'gnomon-steps';
const LOCAL_QUEUES = [
  {
    name: STEP_QUEUE,
    attributes: { VisibilityTimeout: '30' },
    deadLetterQueue: { name: `${STEP_QUEUE}-dlq`, maxReceiveCount: 5 },
  },
];
const PROVIDER_KEYS = [
  ['OPENAI_API_KEY', 'openai'],
  ['ANTHROPIC_API_KEY', 'anthropic'],
  ['GEMINI_API_KEY', 'gemini'],
];

const log = (line) => process.stdout.write(`[start] ${line}\n`);

function redact(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

async function main() {
  const simulatedProvider =
    process.argv.includes('--simulated-provider') &&
    process.env.GNOMON_SIMULATED_PROVIDER === undefined;
  const apps = APPS.filter((app) => existsSync(appMain(app)));
  if (apps.length === 0) {
    log(`no app found under ${dist}/apps; run \`npm run build\` first (or just \`npm start\`)`);
    return 1;
  }
  const runtime = require(path.join(dist, 'libs/local-runtime/src/index.js'));

  const env = { ...process.env };
  const dataDir = await runtime.ensureDataDir(runtime.resolveDataDir(env));
  env.GNOMON_DATA_DIR = dataDir;
  // Create the secrets file once here, so the apps never race to generate it.
  await runtime.resolvePlatformSecrets(env, dataDir);

  let database = null;
  if (!env.DATABASE_URL?.trim()) {
    database = await runtime.startEmbeddedPostgres({
      dataDir,
      // Every app has its own pool (10 by default); PGlite runs one statement at a time anyway,
      // so the cap only has to exceed the pools' sum.
      maxConnections: 100,
    });
    env.DATABASE_URL = database.url;
  }
  // Migrations are applied on every start, embedded or external (idempotent; a one-off task
  // does this in production instead).
  const { applyMigrations } = require(path.join(dist, 'libs/db/src/index.js'));
  try {
    const { applied, skipped } = await applyMigrations({ databaseUrl: env.DATABASE_URL });
    log(`migrations: ${applied.length} applied, ${skipped.length} already applied`);
  } catch (error) {
    await database?.stop();
    throw error;
  }

  // AWS: a local SQS/S3-compatible endpoint unless one is configured, or GNOMON_AWS=aws says
  // to use the real services through the SDK's default chain.
  let localAws = null;
  if (!env.AWS_ENDPOINT_URL?.trim() && env.GNOMON_AWS !== 'aws') {
    localAws = await startLocalAws({
      port: Number(env.GNOMON_LOCAL_AWS_PORT ?? 0),
      storageDir: path.join(dataDir, 's3'),
      buckets: LOCAL_BUCKETS,
      queues: LOCAL_QUEUES,
    });
    env.AWS_ENDPOINT_URL = localAws.endpoint;
    env.GNOMON_STEP_QUEUE_URL ??= localAws.queueUrls[STEP_QUEUE];
    env.AWS_REGION ??= 'us-east-1';
    env.AWS_ACCESS_KEY_ID ??= 'local';
    env.AWS_SECRET_ACCESS_KEY ??= 'local';
  }

  // Runs: the local engine executes the run state machine unless one is configured.
  let localEngine = null;
  if (!env.GNOMON_STATE_MACHINE_ARN?.trim() && env.GNOMON_STEP_QUEUE_URL) {
    try {
      localEngine = await startLocalEngine(env);
    } catch (error) {
      await localAws?.stop();
      await database?.stop();
      throw error;
    }
    env.AWS_ENDPOINT_URL_SFN = localEngine.endpoint;
    env.GNOMON_STATE_MACHINE_ARN = localEngine.stateMachineArn;
  }

  if (!env.REDIS_URL?.trim()) delete env.REDIS_URL; // blank means unset: single-instance mode
  if (env.PORT) {
    log(`ignoring PORT=${env.PORT}: set a per-app port instead (e.g. CONTROL_PLANE_PORT)`);
    delete env.PORT;
  }

  // A stopping worker waits for its long poll under way (what it returns is handed back, not
  // left invisible): keep that wait short on one machine, so Ctrl-C stops everything promptly.
  // (20 s, the SQS maximum, stays the default where empty receives cost money.)
  env.WORKER_WAIT_TIME_SECONDS ??= '5';

  // The dashboard is served over plain http here: session cookies without Secure (docs/sign-in.md).
  env.GNOMON_SESSION_COOKIE_SECURE ??= '0';

  // The worker calls the gateway and the tool runtime where this start put them.
  env.GNOMON_LLM_GATEWAY_URL ??= `http://127.0.0.1:${env.LLM_GATEWAY_PORT ?? 8081}`;
  env.GNOMON_TOOL_RUNTIME_URL ??= `http://127.0.0.1:${env.TOOL_RUNTIME_PORT ?? 8082}`;

  const urls = [];
  const children = apps.map((app) => {
    const portVar = `${app.name.toUpperCase().replace(/-/g, '_')}_PORT`;
    const childEnv = { ...env };
    if (env[portVar]) childEnv.PORT = env[portVar];
    if (app.name === 'llm-gateway' && simulatedProvider) childEnv.GNOMON_SIMULATED_PROVIDER = '1';
    const port = childEnv.PORT ?? app.port;
    if (port !== null) urls.push(`${app.name.padEnd(20)} http://localhost:${port}`);
    const entry = { app, childEnv, restarts: [] };
    launch(entry);
    return entry;
  });

  log('Gnomon is starting');
  log(
    `  database   ${database ? `embedded PGlite, ${database.url}` : `external, ${redact(env.DATABASE_URL)}`}`,
  );
  log(
    `  redis      ${env.REDIS_URL ? `external, ${redact(env.REDIS_URL)}` : 'none: single-instance mode (in-process limits, caches and usage queue; run one instance of each app)'}`,
  );
  if (apps.some((app) => app.name === 'llm-gateway')) {
    const providers = PROVIDER_KEYS.filter(([name]) => env[name]?.trim()).map(([, p]) => p);
    if (simulatedProvider || ['1', 'true'].includes(env.GNOMON_SIMULATED_PROVIDER ?? '')) {
      providers.push('simulated (GNOMON_SIMULATED_PROVIDER=1: canned answers labelled simulated)');
    }
    log(`  providers  ${providers.join(', ') || 'none configured (set OPENAI_API_KEY, …)'}`);
  }
  log(
    `  aws        ${localAws ? `local S3/SQS-compatible endpoint, ${localAws.endpoint}` : env.AWS_ENDPOINT_URL ? `endpoint ${env.AWS_ENDPOINT_URL}` : 'AWS (SDK default chain)'}`,
  );
  log(
    `  runs       ${localEngine ? `local engine (the run state machine, in process ${localEngine.pid}), ${localEngine.endpoint}` : env.GNOMON_STATE_MACHINE_ARN ? `Step Functions ${env.GNOMON_STATE_MACHINE_ARN}` : 'no state machine: runs cannot start (set GNOMON_STATE_MACHINE_ARN)'}`,
  );
  log(`  data dir   ${dataDir}`);
  for (const url of urls) log(`  ${url}`);
  log('Ctrl-C stops everything');

  let shuttingDown = false;
  let exitCode = 0;
  const shutdown = async (reason, code) => {
    if (shuttingDown) return;
    shuttingDown = true;
    exitCode = code;
    log(`stopping (${reason})`);
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => {
      log(`apps still running after ${SHUTDOWN_TIMEOUT_MS} ms; killing them`);
      for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
    }, SHUTDOWN_TIMEOUT_MS);
    await Promise.all(children.map(({ exited }) => exited));
    clearTimeout(killer);
    if (localEngine) await localEngine.stop();
    if (database) await database.stop();
    if (localAws) await localAws.stop();
  };

  const done = new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM']) {
      process.on(signal, () => {
        if (shuttingDown) return;
        void shutdown(signal, 0).then(resolve);
      });
    }
    // An app that dies is restarted (its work is safe: steps are redelivered, requests retried),
    // unless it keeps dying: then everything stops.
    const watch = (entry) => {
      const { child } = entry;
      void entry.exited.then((code) => {
        if (shuttingDown) return;
        const how = code === null ? `signal ${child.signalCode}` : `code ${code}`;
        const now = Date.now();
        entry.restarts = entry.restarts.filter((at) => now - at < RESTART_WINDOW_MS);
        if (entry.restarts.length >= MAX_RESTARTS) {
          void shutdown(`${entry.app.name} exited unexpectedly with ${how}, too often`, 1).then(
            resolve,
          );
          return;
        }
        entry.restarts.push(now);
        log(
          `${entry.app.name} exited unexpectedly with ${how}; restarting it (${entry.restarts.length}/${MAX_RESTARTS} in a minute)`,
        );
        setTimeout(() => {
          if (shuttingDown) return;
          launch(entry);
          watch(entry);
        }, 1_000);
      });
    };
    for (const entry of children) watch(entry);
    void database?.exited.then(() => {
      if (!shuttingDown)
        void shutdown('the embedded database stopped unexpectedly', 1).then(resolve);
    });
  });
  await done;
  return exitCode;
}

/** Starts (or restarts) one app as a child process. */
function launch(entry) {
  const child = spawn(process.execPath, [appMain(entry.app)], {
    env: entry.childEnv,
    stdio: 'inherit',
  });
  entry.child = child;
  entry.exited = new Promise((resolve) => child.once('exit', resolve));
}

/** The local Step Functions-compatible engine (dist/libs/workflow/src/local/…cli.js) as a child. */
async function startLocalEngine(env) {
  const cli = path.join(dist, 'libs/workflow/src/local/local-step-functions.cli.js');
  const child = spawn(
    process.execPath,
    [cli, '--queue-url', env.GNOMON_STEP_QUEUE_URL, '--port', env.GNOMON_LOCAL_SFN_PORT ?? '0'],
    { env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const line = await new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end >= 0) resolve(buffer.slice(0, end));
    });
    child.once('exit', (code) => reject(new Error(`the local engine exited with ${code}`)));
  });
  const { endpoint, stateMachineArn } = JSON.parse(line);
  return {
    endpoint,
    stateMachineArn,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function appMain(app) {
  return path.join(dist, 'apps', app.name, 'src', 'main.js');
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`[start] failed: ${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
