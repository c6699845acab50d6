// The local AWS endpoint of the embedded defaults: an SQS/S3-compatible server (fauxqs) that
// `npm start` runs when no AWS endpoint is configured, and that tests start as a child process
// (fauxqs is ESM-only). As a CLI it prints one JSON line `{"endpoint": …}` once it is ready.
import { startFauxqs } from 'fauxqs';
import { mkdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';

/**
 * Starts the endpoint and creates the buckets and queues the platform uses. A queue is a name,
 * or `{ name, attributes?, deadLetterQueue?: { name, maxReceiveCount } }`: SQS attributes such
 * as `VisibilityTimeout` (strings, as in CreateQueue), and a dead-letter queue created first and
 * wired in with a `RedrivePolicy`. Returns the queue URLs by name.
 */
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
  const queueUrls = {};
  for (const queue of queues) {
    const {
      name,
      attributes = {},
      deadLetterQueue,
    } = typeof queue === 'string' ? { name: queue } : queue;
    const redrive = {};
    if (deadLetterQueue) {
      const dlq = createQueueOnce(server, deadLetterQueue.name, {});
      queueUrls[deadLetterQueue.name] = dlq.url;
      redrive.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: dlq.arn,
        maxReceiveCount: deadLetterQueue.maxReceiveCount,
      });
    }
    queueUrls[name] = createQueueOnce(server, name, { ...attributes, ...redrive }).url;
  }
  return { endpoint: server.address, queueUrls, server, stop: () => server.stop() };
}

/** fauxqs' createQueue replaces a queue of the same name (and drops its messages): guard it. */
function createQueueOnce(server, name, attributes) {
  const existing = server.inspectQueue(name);
  if (existing) return { url: existing.url, arn: existing.arn };
  const { queueUrl, queueArn } = server.createQueue(name, { attributes });
  return { url: queueUrl, arn: queueArn };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'storage-dir': { type: 'string' },
      bucket: { type: 'string', multiple: true, default: [] },
      queue: { type: 'string', multiple: true, default: [] },
      // A queue with attributes, as JSON: {"name", "attributes"?, "deadLetterQueue"?}.
      'queue-config': { type: 'string', multiple: true, default: [] },
    },
  });
  const local = await startLocalAws({
    port: Number(values.port),
    storageDir: values['storage-dir'],
    buckets: values.bucket,
    queues: [...values.queue, ...values['queue-config'].map((json) => JSON.parse(json))],
  });
  process.stdout.write(
    `${JSON.stringify({ endpoint: local.endpoint, queueUrls: local.queueUrls })}\n`,
  );
  const stop = () => void local.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
