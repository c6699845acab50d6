// The local AWS endpoint of the embedded defaults: an SQS/S3-compatible server (fauxqs) that
// `npm start` runs when no AWS endpoint is configured, and that tests start as a child process
// (fauxqs is ESM-only). As a CLI it prints one JSON line `{"endpoint": …}` once it is ready.
import { startFauxqs } from 'fauxqs';
import { mkdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';

/** Starts the endpoint and creates the buckets and queues the platform uses. */
export async function startLocalAws({
  host = '127.0.0.1',
  port = 0,
  storageDir,
  buckets = [],
  queues = [],
} = {}) {
  if (storageDir) await mkdir(storageDir, { recursive: true });
  const server = await startFauxqs({
    host,
    port,
    logger: false,
    ...(storageDir ? { s3StorageDir: storageDir } : {}),
  });
  for (const bucket of buckets) server.createBucket(bucket);
  for (const queue of queues) server.createQueue(queue);
  return { endpoint: server.address, server, stop: () => server.stop() };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'storage-dir': { type: 'string' },
      bucket: { type: 'string', multiple: true, default: [] },
      queue: { type: 'string', multiple: true, default: [] },
    },
  });
  const local = await startLocalAws({
    port: Number(values.port),
    storageDir: values['storage-dir'],
    buckets: values.bucket,
    queues: values.queue,
  });
  process.stdout.write(`${JSON.stringify({ endpoint: local.endpoint })}\n`);
  const stop = () => void local.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
