// Step queue setup against a real local SQS endpoint (fauxqs), and the local endpoint's own
// queue configuration (what `npm start` can create at boot).
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { startLocalAwsEndpoint } from '../local-aws-endpoint';
import { createSqsClient } from '../sqs-client';
import { ensureStepQueues } from './queue-setup';
import { startLocalSqs, type LocalSqs } from './testing/step-queue-fixtures';

let local: LocalSqs;

beforeAll(async () => {
  local = await startLocalSqs();
});
afterAll(async () => {
  await local.stop();
});

async function attributesOf(sqs: SQSClient, queueUrl: string) {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
  );
  return Attributes;
}

describe('ensureStepQueues', () => {
  const spec = {
    queueName: 'setup-steps',
    deadLetterQueueName: 'setup-steps-dlq',
    maxReceiveCount: 4,
    visibilityTimeoutSeconds: 45,
    messageRetentionSeconds: 3600,
  };

  it('creates the queue with its dead-letter queue, redrive policy and timeouts', async () => {
    const queues = await ensureStepQueues(local.sqs, spec);

    const main = await attributesOf(local.sqs, queues.queueUrl);
    expect(main).toMatchObject({ VisibilityTimeout: '45', MessageRetentionPeriod: '3600' });
    expect(JSON.parse(main['RedrivePolicy'] ?? '{}')).toEqual({
      deadLetterTargetArn: queues.deadLetterQueueArn,
      maxReceiveCount: 4,
    });
    const dead = await attributesOf(local.sqs, queues.deadLetterQueueUrl);
    expect(dead).toMatchObject({
      QueueArn: queues.deadLetterQueueArn,
      MessageRetentionPeriod: String(14 * 24 * 3600),
    });
    expect(queues.deadLetterQueueArn).toMatch(/:setup-steps-dlq$/);
  });

  it('is idempotent, and brings an existing queue to changed attributes', async () => {
    const first = await ensureStepQueues(local.sqs, spec);
    expect(await ensureStepQueues(local.sqs, spec)).toEqual(first);

    const changed = await ensureStepQueues(local.sqs, {
      ...spec,
      maxReceiveCount: 9,
      visibilityTimeoutSeconds: 60,
    });
    expect(changed).toEqual(first);
    const main = await attributesOf(local.sqs, first.queueUrl);
    expect(main['VisibilityTimeout']).toBe('60');
    expect(JSON.parse(main['RedrivePolicy'] ?? '{}')).toMatchObject({ maxReceiveCount: 9 });
  });

  it('rejects a maxReceiveCount that is not a positive integer', async () => {
    await expect(ensureStepQueues(local.sqs, { ...spec, maxReceiveCount: 0 })).rejects.toThrow(
      RangeError,
    );
  });
});

describe('startLocalAwsEndpoint queues', () => {
  it('creates plain queues and queues with attributes and a dead-letter queue', async () => {
    const endpoint = await startLocalAwsEndpoint({
      queues: [
        'plain',
        {
          name: 'steps',
          attributes: { VisibilityTimeout: '20' },
          deadLetterQueue: { name: 'steps-dlq', maxReceiveCount: 3 },
        },
      ],
    });
    const sqs = createSqsClient({
      region: 'us-east-1',
      endpoint: endpoint.endpoint,
      localCredentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      expect(Object.keys(endpoint.queueUrls).sort()).toEqual(['plain', 'steps', 'steps-dlq']);
      const steps = await attributesOf(sqs, endpoint.queueUrls['steps'] ?? '');
      const dead = await attributesOf(sqs, endpoint.queueUrls['steps-dlq'] ?? '');
      expect(steps['VisibilityTimeout']).toBe('20');
      expect(JSON.parse(steps['RedrivePolicy'] ?? '{}')).toEqual({
        deadLetterTargetArn: dead['QueueArn'],
        maxReceiveCount: 3,
      });
      expect((await attributesOf(sqs, endpoint.queueUrls['plain'] ?? ''))['RedrivePolicy']).toBe(
        undefined,
      );
    } finally {
      sqs.destroy();
      await endpoint.stop();
    }
  });
});
