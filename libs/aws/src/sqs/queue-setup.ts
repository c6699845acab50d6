import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueNameExists,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export interface StepQueueSpec {
  queueName: string;
  deadLetterQueueName: string;
  /** Receives before SQS moves a message to the dead-letter queue (1–1000). */
  maxReceiveCount: number;
  /** The main queue's default visibility timeout (the consumer sets its own on each receive). */
  visibilityTimeoutSeconds: number;
  /** How long the main queue keeps a message (60 s – 14 days; SQS default 4 days). */
  messageRetentionSeconds?: number;
}

export interface StepQueues {
  queueUrl: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
}

/** The longest SQS retention: a dead letter outlives the retention of its source queue. */
const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;

/**
 * Creates the step queue and its dead-letter queue with the redrive policy, or brings existing
 * ones to these attributes; safe to call on every start. For local development and tests — in
 * AWS, Pulumi owns the queues and the worker is only given the queue URL.
 */
export async function ensureStepQueues(sqs: SQSClient, spec: StepQueueSpec): Promise<StepQueues> {
  if (!Number.isInteger(spec.maxReceiveCount) || spec.maxReceiveCount < 1) {
    throw new RangeError(`maxReceiveCount must be a positive integer, got ${spec.maxReceiveCount}`);
  }
  const deadLetterQueueUrl = await ensureQueue(sqs, spec.deadLetterQueueName, {
    MessageRetentionPeriod: String(DEAD_LETTER_RETENTION_SECONDS),
  });
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const deadLetterQueueArn = attributes.Attributes?.QueueArn;
  if (!deadLetterQueueArn) throw new Error(`no QueueArn for ${spec.deadLetterQueueName}`);

  const queueUrl = await ensureQueue(sqs, spec.queueName, {
    VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: deadLetterQueueArn,
      maxReceiveCount: spec.maxReceiveCount,
    }),
    ...(spec.messageRetentionSeconds !== undefined
      ? { MessageRetentionPeriod: String(spec.messageRetentionSeconds) }
      : {}),
  });
  return { queueUrl, deadLetterQueueUrl, deadLetterQueueArn };
}

/** CreateQueue; when the queue exists with other attributes, SetQueueAttributes to these. */
async function ensureQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<string> {
  try {
    const created = await sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
    );
    if (created.QueueUrl) return created.QueueUrl;
  } catch (error) {
    if (!isQueueNameConflict(error)) throw error;
  }
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error(`no QueueUrl for ${name}`);
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
  return QueueUrl;
}

/**
 * SQS answers a name taken with other attributes with `QueueNameExists` (JSON protocol type),
 * surfaced under its query-compatible code instead (`QueueAlreadyExists` on AWS,
 * `AWS.SimpleQueueService.QueueNameExists` on fauxqs), so not always as that class.
 */
function isQueueNameConflict(error: unknown): boolean {
  if (error instanceof QueueNameExists) return true;
  const { name, __type } = (error ?? {}) as { name?: unknown; __type?: unknown };
  return [name, __type].some(
    (value) => typeof value === 'string' && /(QueueNameExists|QueueAlreadyExists)$/.test(value),
  );
}
