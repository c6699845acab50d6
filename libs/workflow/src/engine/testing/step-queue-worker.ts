// Test helpers: a real local SQS endpoint and a minimal in-test "worker" that receives the run
// state machine's step messages (validated with StepMessage.parse) so a spec answers them.
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startLocalAwsEndpoint, type LocalAwsEndpoint } from '@gnomon/aws';
import { StepMessage, type RunExecutionInput } from '@gnomon/contracts';
import { randomUUID } from 'node:crypto';
import type { ExecutionDescription, WorkflowEngine } from '../workflow-engine';

export interface LocalSqs {
  endpoint: string;
  sqs: SQSClient;
  /** A fresh queue for one test. */
  createQueue(): Promise<string>;
  stop(): Promise<void>;
}

export async function startLocalSqs(): Promise<LocalSqs> {
  const aws: LocalAwsEndpoint = await startLocalAwsEndpoint();
  const sqs = new SQSClient({
    region: 'us-east-1',
    endpoint: aws.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    endpoint: aws.endpoint,
    sqs,
    createQueue: async () => {
      const { QueueUrl } = await sqs.send(
        new CreateQueueCommand({ QueueName: `steps-${randomUUID()}` }),
      );
      if (!QueueUrl) throw new Error('CreateQueue returned no QueueUrl');
      return QueueUrl;
    },
    stop: async () => {
      sqs.destroy();
      await aws.stop();
    },
  };
}

/** Receives step messages from one queue, one at a time, deleting what it receives. */
export class StepInbox {
  private readonly buffered: StepMessage[] = [];

  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
  ) {}

  /** The next message, or an error after `timeoutMs`. */
  async next(timeoutMs = 5_000): Promise<StepMessage> {
    const message = await this.poll(timeoutMs);
    if (!message) throw new Error(`no step message within ${timeoutMs} ms`);
    return message;
  }

  /** The next `count` messages (in arrival order). */
  async take(count: number, timeoutMs = 5_000): Promise<StepMessage[]> {
    const messages: StepMessage[] = [];
    for (let i = 0; i < count; i++) messages.push(await this.next(timeoutMs));
    return messages;
  }

  /** Fails if a message arrives within `ms`. */
  async expectNothingFor(ms: number): Promise<void> {
    const message = await this.poll(ms);
    if (message) throw new Error(`unexpected step message: ${JSON.stringify(message)}`);
  }

  private async poll(timeoutMs: number): Promise<StepMessage | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffered.length === 0 && Date.now() < deadline) {
      const { Messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
        }),
      );
      for (const received of Messages) {
        await this.sqs.send(
          new DeleteMessageCommand({
            QueueUrl: this.queueUrl,
            ReceiptHandle: received.ReceiptHandle,
          }),
        );
        this.buffered.push(StepMessage.parse(JSON.parse(received.Body ?? '')));
      }
      if (this.buffered.length === 0) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return this.buffered.shift();
  }
}

export function runInput(overrides: Partial<RunExecutionInput> = {}): RunExecutionInput {
  return {
    tenantId: randomUUID(),
    runId: randomUUID(),
    cursor: 'c0',
    generation: 0,
    steps: 0,
    stepsPerExecution: 100,
    ...overrides,
  };
}

/** Polls describeExecution until the execution is no longer RUNNING. */
export async function closedExecution(
  engine: WorkflowEngine,
  executionArn: string,
  timeoutMs = 5_000,
): Promise<ExecutionDescription> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const description = await engine.describeExecution(executionArn);
    if (description.status !== 'RUNNING') return description;
    if (Date.now() > deadline) throw new Error(`${executionArn} still RUNNING`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The fields a step message of the run carries (besides its token), for `toMatchObject`. */
export function stepOf(input: RunExecutionInput, cursor: string, generation = 0): object {
  return { v: 1, kind: 'step', tenantId: input.tenantId, runId: input.runId, generation, cursor };
}
