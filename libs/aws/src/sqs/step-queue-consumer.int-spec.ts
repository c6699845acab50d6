// The step queue consumer against a real local SQS endpoint (fauxqs): delivery, acknowledgement,
// redelivery, dead-lettering, invalid messages, hand-backs and receive failures.
import { StepQueueConsumer } from './step-queue-consumer';
import type { StepMessageHandler, StepQueueConsumerOptions } from './step-queue.types';
import {
  delay,
  freshQueues,
  queueDepth,
  receiveOnce,
  RecordingLogger,
  sendBodies,
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

interface Delivery {
  body: TestStep;
  receiveCount: number;
  fairnessKey: string;
  at: number;
}

/** A started consumer with short timeouts, recording every delivery before calling `decide`. */
function consume(
  queueUrl: string,
  decide: StepMessageHandler<TestStep>,
  options: Partial<StepQueueConsumerOptions<TestStep>> = {},
) {
  const deliveries: Delivery[] = [];
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
      deliveries.push({ ...message, at: Date.now() });
      return decide(message);
    },
  });
  consumers.push(consumer);
  consumer.start();
  return { consumer, deliveries, logger };
}

const isEmpty = async (queueUrl: string) => {
  const depth = await queueDepth(local.sqs, queueUrl);
  return depth.visible === 0 && depth.inFlight === 0;
};

describe('StepQueueConsumer', () => {
  it('hands each message to the handler once, parsed, and deletes it on ack', async () => {
    const { queueUrl } = await freshQueues(local.sqs);
    await sendSteps(local.sqs, queueUrl, stepsOf('tenant-a', 3));
    const { deliveries } = consume(queueUrl, () => Promise.resolve('ack'), {
      visibilityTimeoutSeconds: 2,
    });

    await waitFor('three deliveries', () => deliveries.length === 3);
    await waitFor('an empty queue', () => isEmpty(queueUrl));
    expect(deliveries.map((d) => d.body.n).sort()).toEqual([1, 2, 3]);
    for (const delivery of deliveries) {
      expect(delivery).toMatchObject({ receiveCount: 1, fairnessKey: 'tenant-a' });
    }
    await delay(1500); // past the visibility timeout: nothing comes back
    expect(deliveries).toHaveLength(3);
  });

  it('does not delete a message whose handler throws: it comes back with receiveCount 2', async () => {
    const { queueUrl } = await freshQueues(local.sqs);
    await sendSteps(local.sqs, queueUrl, stepsOf('tenant-a', 1));
    const { deliveries, logger } = consume(queueUrl, ({ receiveCount }) =>
      receiveCount === 1 ? Promise.reject(new Error('model call failed')) : Promise.resolve('ack'),
    );

    await waitFor('a redelivery', () => deliveries.length === 2);
    expect(deliveries.map((d) => d.receiveCount)).toEqual([1, 2]);
    expect(deliveries[1].at - deliveries[0].at).toBeGreaterThanOrEqual(900);
    const [failure] = logger.matching('step handler failed');
    expect(failure?.level).toBe('error');
    expect(failure?.obj).toMatchObject({ receiveCount: 1, fairnessKey: 'tenant-a' });
    expect(String(failure?.obj['err'])).toContain('model call failed');
    await waitFor('an empty queue', () => isEmpty(queueUrl));
  });

  it('leaves a message that keeps failing to SQS, which dead-letters it after maxReceiveCount', async () => {
    const queues = await freshQueues(local.sqs, { maxReceiveCount: 2 });
    await sendSteps(local.sqs, queues.queueUrl, [{ tenantId: 'tenant-a', n: 7 }]);
    const { deliveries } = consume(queues.queueUrl, () => Promise.reject(new Error('always')));

    const [dead] = await waitFor('the dead letter', async () => {
      const messages = await receiveOnce(local.sqs, queues.deadLetterQueueUrl);
      return messages.length > 0 ? messages : undefined;
    });
    expect(JSON.parse(dead.Body!)).toEqual({ tenantId: 'tenant-a', n: 7 });
    expect(deliveries.map((d) => d.receiveCount)).toEqual([1, 2]);
    expect(await queueDepth(local.sqs, queues.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('logs invalid messages and leaves them, without re-receiving them early, for the dead-letter queue', async () => {
    const queues = await freshQueues(local.sqs, { maxReceiveCount: 3 });
    await sendBodies(local.sqs, queues.queueUrl, [
      'not json',
      JSON.stringify({ tenantId: 'tenant-a', n: 'one' }),
      JSON.stringify({ tenantId: 'tenant-a', n: 1 }),
    ]);
    const { deliveries, logger } = consume(queues.queueUrl, () => Promise.resolve('ack'));

    await waitFor('the valid message', () => deliveries.length === 1);
    await delay(500); // well within the 1 s visibility timeout
    const invalid = logger.matching('invalid step message');
    expect(invalid.map((entry) => entry.obj['problem'])).toEqual(
      expect.arrayContaining(['the body is not JSON', expect.stringContaining('n')]),
    );
    expect(invalid).toHaveLength(2);
    expect(invalid.every((entry) => entry.level === 'error')).toBe(true);
    expect(await receiveOnce(local.sqs, queues.deadLetterQueueUrl)).toEqual([]);

    const dead = await waitFor('both invalid messages dead-lettered', async () => {
      const depth = await queueDepth(local.sqs, queues.deadLetterQueueUrl);
      return depth.visible === 2 ? depth : undefined;
    });
    expect(dead.visible).toBe(2);
    expect(logger.matching('invalid step message')).toHaveLength(6); // 3 receives each
    expect(deliveries).toHaveLength(1);
  });

  it('hands a released message back at once, and a deferred one after retryAfterSeconds', async () => {
    const { queueUrl } = await freshQueues(local.sqs);
    await sendSteps(local.sqs, queueUrl, [
      { tenantId: 'release', n: 1 },
      { tenantId: 'defer', n: 1 },
    ]);
    const { deliveries } = consume(
      queueUrl,
      ({ body, receiveCount }) =>
        Promise.resolve(
          receiveCount > 1
            ? 'ack'
            : body.tenantId === 'release'
              ? 'release'
              : { retryAfterSeconds: 2 },
        ),
      { visibilityTimeoutSeconds: 20 },
    );

    await waitFor('both redelivered', () => deliveries.length === 4, 8000);
    const gap = (tenantId: string) => {
      const [first, second] = deliveries.filter((d) => d.body.tenantId === tenantId);
      expect(second?.receiveCount).toBe(2);
      return second.at - first.at;
    };
    expect(gap('release')).toBeLessThan(1000);
    expect(gap('defer')).toBeGreaterThanOrEqual(1900);
    expect(gap('defer')).toBeLessThan(5000);
    await waitFor('an empty queue', () => isEmpty(queueUrl));
  });

  it('backs off after failed receives instead of spinning, and stops during a backoff', async () => {
    const { queueUrl } = await freshQueues(local.sqs);
    const missing = queueUrl.replace(/steps-[^/]+$/, 'no-such-queue');
    const { consumer, logger } = consume(missing, () => Promise.resolve('ack'), {
      receiveBackoff: { initialMs: 100, maxMs: 400 },
    });

    await delay(1500);
    const failures = logger.matching('SQS receive failed');
    // Delays of 50–100, 100–200, then 200–400 ms: 5 to 9 attempts in 1.5 s (hundreds unchecked).
    expect(failures.length).toBeGreaterThanOrEqual(4);
    expect(failures.length).toBeLessThanOrEqual(10);
    expect(failures.map((entry) => entry.obj['failures'])).toEqual(
      failures.map((_, index) => index + 1),
    );
    const stoppedAt = Date.now();
    await consumer.stop({ drainMs: 5000 });
    expect(Date.now() - stoppedAt).toBeLessThan(300);
  });
});
