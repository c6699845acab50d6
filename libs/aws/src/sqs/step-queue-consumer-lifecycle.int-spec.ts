// The step queue consumer against a real local SQS endpoint (fauxqs): visibility kept while a
// handler runs, the prefetch bound, shutdown hand-back, and fairness across tenants.
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { StepQueueConsumer } from './step-queue-consumer';
import {
  StepMessageAbortedError,
  type ReceivedStepMessage,
  type StepMessageHandler,
  type StepQueueConsumerOptions,
} from './step-queue.types';
import {
  deferred,
  delay,
  freshQueues,
  queueDepth,
  RecordingLogger,
  sendSteps,
  startLocalSqs,
  stepsOf,
  TestStep,
  waitFor,
  type LocalSqs,
} from './testing/step-queue-fixtures';

let local: LocalSqs;
const consumers: StepQueueConsumer<TestStep>[] = [];

beforeAll(async () => {
  local = await startLocalSqs();
});
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((consumer) => consumer.stop({ drainMs: 0 })));
});
afterAll(async () => {
  await local.stop();
});

function consume(
  queueUrl: string,
  handler: StepMessageHandler<TestStep>,
  options: Partial<StepQueueConsumerOptions<TestStep>> = {},
) {
  const seen: ReceivedStepMessage<TestStep>[] = [];
  const logger = new RecordingLogger();
  const consumer = new StepQueueConsumer<TestStep>({
    sqs: local.sqs,
    queueUrl,
    schema: TestStep,
    fairnessKey: (body) => body.tenantId,
    logger,
    waitTimeSeconds: 1,
    visibilityTimeoutSeconds: 1,
    ...options,
    handler: (message) => {
      seen.push(message);
      return handler(message);
    },
  });
  consumers.push(consumer);
  consumer.start();
  return { consumer, seen, logger };
}

/** Resolves when the signal aborts, or after `ms`. */
const abortedOrAfter = (signal: AbortSignal, ms: number) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

describe('StepQueueConsumer visibility', () => {
  it('keeps a message invisible while its handler runs past the visibility timeout', async () => {
    const { queueUrl } = await freshQueues(local.sqs);
    await sendSteps(local.sqs, queueUrl, stepsOf('tenant-a', 1));
    const slow = consume(queueUrl, async () => {
      await delay(2600);
      return 'ack';
    });
    await waitFor('the first delivery', () => slow.seen.length === 1);
    const other = consume(queueUrl, () => Promise.resolve('ack'));

    await waitFor('an empty queue', async () => {
      const depth = await queueDepth(local.sqs, queueUrl);
      return depth.visible + depth.inFlight === 0;
    });
    expect(slow.seen).toHaveLength(1); // the 1 s timeout passed twice: never redelivered
    expect(other.seen).toHaveLength(0);
    expect(slow.seen[0]?.signal.aborted).toBe(false);
  });

  it('aborts the handler when the visibility cannot be extended any more', async () => {
    const { queueUrl } = await freshQueues(local.sqs);
    await sendSteps(local.sqs, queueUrl, stepsOf('tenant-a', 1));
    const { seen, logger } = consume(queueUrl, async ({ signal }) => {
      await abortedOrAfter(signal, 5000);
      return 'ack';
    });
    const [message] = await waitFor('the delivery', () => seen.length === 1 && seen);

    await local.sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl })); // receipt handle gone
    await waitFor('the abort', () => message.signal.aborted, 3000);
    expect(message.signal.reason).toBeInstanceOf(StepMessageAbortedError);
    expect(message.signal.reason).toMatchObject({ reason: 'visibility-lost' });
    expect(logger.matching('lost a step message')[0]?.obj).toMatchObject({ wasRunning: true });
  });
});

describe('StepQueueConsumer prefetch', () => {
  it('holds at most concurrency + prefetch messages', async () => {
    const { queueUrl } = await freshQueues(local.sqs);
    await sendSteps(local.sqs, queueUrl, stepsOf('tenant-a', 10));
    const gate = deferred();
    const { consumer, seen } = consume(queueUrl, () => gate.promise.then(() => 'ack' as const), {
      concurrency: 1,
      prefetch: 2,
    });

    await waitFor('a full hand', () => consumer.stats.buffered === 2);
    await delay(300);
    expect(consumer.stats).toEqual({ buffered: 2, running: 1 });
    expect(await queueDepth(local.sqs, queueUrl)).toEqual({ visible: 7, inFlight: 3 });

    gate.resolve();
    await waitFor('all handled', () => seen.length === 10);
  });
});

describe('StepQueueConsumer.stop', () => {
  it('hands back buffered messages at once and lets the running handler finish', async () => {
    const { queueUrl } = await freshQueues(local.sqs);
    await sendSteps(local.sqs, queueUrl, stepsOf('tenant-a', 4));
    const first = consume(
      queueUrl,
      async () => {
        await delay(400);
        return 'ack';
      },
      { concurrency: 1, prefetch: 3, visibilityTimeoutSeconds: 30 },
    );
    await waitFor('a full hand', () => first.consumer.stats.buffered === 3);

    const stopped = first.consumer.stop({ drainMs: 5000 });
    const second = consume(queueUrl, () => Promise.resolve('ack'), {
      visibilityTimeoutSeconds: 30,
    });
    await waitFor('the buffered messages elsewhere', () => second.seen.length === 3, 2000);
    await stopped;

    expect(first.seen).toHaveLength(1);
    expect(first.seen[0]?.signal.aborted).toBe(false);
    const handled = [...first.seen, ...second.seen].map((message) => message.body.n).sort();
    expect(handled).toEqual([1, 2, 3, 4]);
    expect(await queueDepth(local.sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('aborts handlers still running after drainMs and hands their messages back', async () => {
    const { queueUrl } = await freshQueues(local.sqs);
    await sendSteps(local.sqs, queueUrl, stepsOf('tenant-a', 2));
    const first = consume(
      queueUrl,
      async ({ signal }) => {
        await abortedOrAfter(signal, 60_000);
        return 'ack';
      },
      { concurrency: 2, prefetch: 0, visibilityTimeoutSeconds: 30 },
    );
    await waitFor('two running', () => first.consumer.stats.running === 2);

    const stopAt = Date.now();
    await first.consumer.stop({ drainMs: 300 });
    expect(Date.now() - stopAt).toBeGreaterThanOrEqual(290);
    for (const message of first.seen) {
      expect(message.signal.reason).toMatchObject({ reason: 'shutdown' });
    }
    const second = consume(queueUrl, () => Promise.resolve('ack'));
    await waitFor('both messages elsewhere', () => second.seen.length === 2, 2000);
    expect(second.seen.map((message) => message.receiveCount)).toEqual([2, 2]);
  });
});

describe('StepQueueConsumer fairness', () => {
  it("handles one tenant's message before most of another tenant's earlier burst", async () => {
    const { queueUrl } = await freshQueues(local.sqs);
    await sendSteps(local.sqs, queueUrl, [...stepsOf('tenant-a', 15), ...stepsOf('tenant-b', 1)]);
    const { seen } = consume(
      queueUrl,
      async () => {
        await delay(50);
        return 'ack';
      },
      { concurrency: 1, prefetch: 20, visibilityTimeoutSeconds: 5 },
    );

    await waitFor('all handled', () => seen.length === 16);
    const order = seen.map((message) => message.fairnessKey);
    // FIFO would put it last (16th); the first receive holds up to ten of tenant A's.
    expect(order.indexOf('tenant-b')).toBeLessThanOrEqual(2);
  });
});
