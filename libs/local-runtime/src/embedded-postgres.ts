import { readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ensureDataDir } from './data-dir';

export interface EmbeddedPostgresOptions {
  /** The platform data dir; the database lives in `<dataDir>/pg`. */
  dataDir: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port chosen by the OS. */
  port?: number;
  /** Concurrent client connections the socket server accepts; more are refused. Default 20. */
  maxConnections?: number;
}

export interface EmbeddedPostgres {
  /** e.g. postgresql://postgres@127.0.0.1:54321/postgres (no password needed). */
  url: string;
  host: string;
  port: number;
  /** Resolves when the database thread has ended, whether through stop() or a crash. */
  exited: Promise<void>;
  /** Disconnects clients (rolling back their open transactions) and closes the database. */
  stop(): Promise<void>;
}

interface WorkerConfig {
  pglite: string;
  socket: string;
  pgDir: string;
  host: string;
  port: number;
  maxConnections: number;
}

type WorkerMessage =
  { type: 'ready'; conn: string } | { type: 'failed'; message: string; stack?: string };

// PGlite runs in a worker thread: its WASM executes queries synchronously, so the thread that
// starts it stays responsive, and it loads under jest (whose module sandbox cannot run PGlite's
// dynamic imports). Plain CommonJS, so it needs no build step.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.pglite);
const { PGLiteSocketServer } = require(workerData.socket);
let db;
let server;
async function close() {
  if (server) await server.stop();
  // Detached connections roll back their open transaction asynchronously; let that finish.
  await new Promise((resolve) => setTimeout(resolve, 50));
  if (db && !db.closed) await db.close();
}
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  close().catch((error) => console.error('embedded postgres: stop failed', error)).finally(() => parentPort.close());
});
(async () => {
  const { pgDir, host, port, maxConnections } = workerData;
  db = await PGlite.create({ dataDir: pgDir });
  server = new PGLiteSocketServer({ db, host, port, maxConnections });
  await server.start();
  parentPort.postMessage({ type: 'ready', conn: server.getServerConn() });
})().catch(async (error) => {
  parentPort.postMessage({ type: 'failed', message: String(error && error.message || error), stack: error && error.stack });
  await close().catch(() => undefined);
  parentPort.close();
});
`;

const STOP_TIMEOUT_MS = 10_000;

/**
 * PGlite (Postgres compiled to WASM) persisted in `<dataDir>/pg` and served over the Postgres
 * wire protocol, so every process connects with an ordinary DATABASE_URL.
 *
 * PGlite is ONE Postgres session. The socket server multiplexes client connections onto it:
 * statements run one at a time, and while a client has an explicit transaction open no other
 * client's statements run until it commits or rolls back. Session state is therefore shared by
 * every connection: `SET ROLE`, `SET`, session-level `set_config`, named prepared statements,
 * temp tables and advisory locks. Keep per-request state transaction-local
 * (`set_config(..., true)`, `SET LOCAL`), and never wait on another connection while holding a
 * transaction open (that deadlocks). For local use and tests, not production.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const dataDir = await ensureDataDir(options.dataDir);
  const pgDir = path.join(dataDir, 'pg');
  const releaseLock = await lockDataDir(path.join(dataDir, 'pg.lock'), pgDir);
  const config: WorkerConfig = {
    pglite: require.resolve('@electric-sql/pglite'),
    socket: require.resolve('@electric-sql/pglite-socket'),
    pgDir,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    maxConnections: options.maxConnections ?? 20,
  };

  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: config });
  let ready = false;
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      void releaseLock().finally(resolve);
    });
  });
  let conn: string;
  try {
    conn = await new Promise<string>((resolve, reject) => {
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') resolve(message.conn);
        else
          reject(
            new Error(`embedded postgres failed to start: ${message.stack ?? message.message}`),
          );
      });
      worker.on('error', (error: unknown) => {
        if (ready) console.error('embedded postgres: crashed', error);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
      worker.once('exit', (code) =>
        reject(new Error(`embedded postgres: worker exited (code ${code}) before it was ready`)),
      );
    });
  } catch (error) {
    await worker.terminate();
    await exited;
    throw error;
  }
  ready = true;

  const separator = conn.lastIndexOf(':');
  const host = conn.slice(0, separator);
  const port = Number(conn.slice(separator + 1));
  const url = `postgresql://postgres@${host.includes(':') ? `[${host}]` : host}:${port}/postgres`;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    })());

  return { url, host, port, exited, stop };
}

/**
 * Two PGlite instances on one directory corrupt it. A pid file makes a second start fail
 * clearly; a file left by a process that no longer exists is taken over.
 */
async function lockDataDir(lockFile: string, pgDir: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await writeFile(lockFile, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await unlink(lockFile).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number.parseInt(await readFile(lockFile, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
      throw new Error(
        `embedded Postgres at ${pgDir} is already in use by process ${owner}` +
          (owner === process.pid ? ' (this process)' : '') +
          '; stop it, or use another GNOMON_DATA_DIR',
      );
    }
    await unlink(lockFile).catch(() => undefined);
  }
  throw new Error(`could not lock ${lockFile}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
