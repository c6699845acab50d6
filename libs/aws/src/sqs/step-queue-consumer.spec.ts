import { SQSClient } from '@aws-sdk/client-sqs';
import pino from 'pino';
import { z } from 'zod';
import { StepQueueConsumer } from './step-queue-consumer';
import type { QueueConsumerLogger, StepQueueConsumerOptions } from './step-queue.types';

const Body = z.strictObject({ tenantId: z.string() });

function optionsWith(
  overrides: Partial<StepQueueConsumerOptions<z.infer<typeof Body>>>,
): StepQueueConsumerOptions<z.infer<typeof Body>> {
  return {
    sqs: new SQSClient({ region: 'us-east-1' }),
    queueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/steps',
    schema: Body,
    fairnessKey: (body) => body.tenantId,
    handler: () => Promise.resolve('ack'),
    logger: pino({ enabled: false }),
    ...overrides,
  };
}

describe('StepQueueConsumer options', () => {
  it('accepts a pino logger as its logger', () => {
    const logger: QueueConsumerLogger = pino({ enabled: false });
    expect(() => new StepQueueConsumer(optionsWith({ logger }))).not.toThrow();
  });

  it.each([
    ['concurrency', { concurrency: 0 }],
    ['prefetch', { prefetch: -1 }],
    ['waitTimeSeconds', { waitTimeSeconds: 0 }],
    ['waitTimeSeconds', { waitTimeSeconds: 21 }],
    ['visibilityTimeoutSeconds', { visibilityTimeoutSeconds: 0 }],
    ['extendVisibilityEveryMs', { visibilityTimeoutSeconds: 3, extendVisibilityEveryMs: 3000 }],
  ])('rejects an out-of-range %s', (name, overrides) => {
    expect(() => new StepQueueConsumer(optionsWith(overrides))).toThrow(
      expect.objectContaining({ name: 'RangeError', message: expect.stringContaining(name) }),
    );
  });

  it('starts only once', async () => {
    const consumer = new StepQueueConsumer(optionsWith({}));
    await consumer.stop();
    expect(() => consumer.start()).toThrow('only start once');
  });
});
