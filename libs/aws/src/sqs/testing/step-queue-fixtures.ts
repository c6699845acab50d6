// Test fixtures of the SQS adapter: a real local SQS endpoint (fauxqs in a child process), fresh
// step queues per test, a recording logger and a polling wait.
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { startLocalAwsEndpoint, type LocalAwsEndpoint } from '../../local-aws-endpoint';
import { createSqsClient } from '../../sqs-client';
import { ensureStepQueues, type StepQueues } from '../queue-setup';
import type { QueueConsumerLogger } from '../step-queue.types';

/** The body of the test messages: a tenant and a sequence number. */
export const TestStep = z.strictObject({ tenantId: z.string().min(1), n: z.number().int() });
export type TestStep = z.infer<typeof TestStep>;

export interface LocalSqs {
  endpoint: LocalAwsEndpoint;
  sqs: SQSClient;
  stop(): Promise<void>;
}

export async function startLocalSqs(): Promise<LocalSqs> {
  const endpoint = await startLocalAwsEndpoint();
  const sqs = createSqsClient({
    region: 'us-east-1',
    endpoint: endpoint.endpoint,
    localCredentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    endpoint,
    sqs,
    stop: async () => {
      sqs.destroy();
      await endpoint.stop();
    },
  };
}

/** A step queue and its dead-letter queue, with names of their own. */
export function freshQueues(
  sqs: SQSClient,
  options: { maxReceiveCount?: number; visibilityTimeoutSeconds?: number } = {},
): Promise<StepQueues> {
  const name = `steps-${randomUUID().slice(0, 8)}`;
  return ensureStepQueues(sqs, {
    queueName: name,
    deadLetterQueueName: `${name}-dlq`,
    maxReceiveCount: options.maxReceiveCount ?? 5,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
  });
}

export async function sendBodies(
  sqs: SQSClient,
  queueUrl: string,
  bodies: string[],
): Promise<void> {
  for (let start = 0; start < bodies.length; start += 10) {
    const batch = bodies.slice(start, start + 10);
    const { Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((body, index) => ({ Id: String(index), MessageBody: body })),
      }),
    );
    if (Failed.length > 0) throw new Error(`send failed: ${JSON.stringify(Failed)}`);
  }
}

export function sendSteps(sqs: SQSClient, queueUrl: string, steps: TestStep[]): Promise<void> {
  return sendBodies(
    sqs,
    queueUrl,
    steps.map((step) => JSON.stringify(step)),
  );
}

/** `count` steps of one tenant, numbered from 1. */
export function stepsOf(tenantId: string, count: number): TestStep[] {
  return Array.from({ length: count }, (_, index) => ({ tenantId, n: index + 1 }));
}

/** Messages visible and in flight, as SQS counts them. */
export async function queueDepth(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
  };
}

/** One plain receive (and no delete): what a queue, e.g. a dead-letter queue, hands out now. */
export async function receiveOnce(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
  );
  return Messages;
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

export class RecordingLogger implements QueueConsumerLogger {
  readonly entries: LogEntry[] = [];

  info(obj: Record<string, unknown>, msg?: string): void {
    this.entries.push({ level: 'info', obj, msg });
  }

  warn(obj: Record<string, unknown>, msg?: string): void {
    this.entries.push({ level: 'warn', obj, msg });
  }

  error(obj: Record<string, unknown>, msg?: string): void {
    this.entries.push({ level: 'error', obj, msg });
  }

  /** Entries whose message contains `text`. */
  matching(text: string): LogEntry[] {
    return this.entries.filter((entry) => entry.msg?.includes(text));
  }
}

/** Polls `check` until it returns something other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(25);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise with its resolve function, for handlers the test lets finish. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
