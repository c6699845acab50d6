import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { RUN_STATE_MACHINE_TIMING } from '@gnomon/workflow';
import { denyInsecureTransport, policyJson } from '../policies/policy-document';

export interface StepQueuesArgs {
  namePrefix: string;
  /** Receives before a message moves to the dead-letter queue. */
  maxReceiveCount: number;
}

/** The longest SQS retention: a dead letter outlives its source queue's retention. */
const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;
/** Step messages wait at most this long for a worker (a run's step times out far sooner). */
const STEP_RETENTION_SECONDS = 4 * 24 * 3600;

/**
 * The queue's default visibility timeout: above the longest step the state machine allows
 * (`RUN_STATE_MACHINE_TIMING.stepTimeoutSeconds`), so a consumer that does not set its own
 * never sees a running step's message again. The worker sets a shorter per-receive timeout and
 * renews it on every heartbeat, which is what bounds redelivery after a crash.
 */
export const STEP_QUEUE_VISIBILITY_TIMEOUT_SECONDS =
  RUN_STATE_MACHINE_TIMING.stepTimeoutSeconds + 300;

/**
 * The step queue the state machine sends to and the worker consumes, and its dead-letter queue
 * (redrive after `maxReceiveCount` receives). Both are encrypted at rest (SSE-SQS) and refuse
 * requests that do not use TLS.
 */
export class StepQueues extends pulumi.ComponentResource {
  readonly queue: aws.sqs.Queue;
  readonly deadLetterQueue: aws.sqs.Queue;

  constructor(name: string, args: StepQueuesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gnomon:infra:StepQueues', name, {}, opts);
    const parent = { parent: this };

    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      {
        name: `${args.namePrefix}-steps-dlq`,
        messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
        sqsManagedSseEnabled: true,
      },
      parent,
    );
    this.queue = new aws.sqs.Queue(
      name,
      {
        name: `${args.namePrefix}-steps`,
        visibilityTimeoutSeconds: STEP_QUEUE_VISIBILITY_TIMEOUT_SECONDS,
        messageRetentionSeconds: STEP_RETENTION_SECONDS,
        receiveWaitTimeSeconds: 20,
        sqsManagedSseEnabled: true,
        redrivePolicy: pulumi.jsonStringify({
          deadLetterTargetArn: this.deadLetterQueue.arn,
          maxReceiveCount: args.maxReceiveCount,
        }),
      },
      parent,
    );
    new aws.sqs.RedriveAllowPolicy(
      `${name}-dlq`,
      {
        queueUrl: this.deadLetterQueue.url,
        redriveAllowPolicy: pulumi.jsonStringify({
          redrivePermission: 'byQueue',
          sourceQueueArns: [this.queue.arn],
        }),
      },
      parent,
    );
    for (const [id, queue] of [
      [name, this.queue],
      [`${name}-dlq`, this.deadLetterQueue],
    ] as const) {
      new aws.sqs.QueuePolicy(
        id,
        {
          queueUrl: queue.url,
          policy: policyJson([denyInsecureTransport(['sqs:*'], [queue.arn])]),
        },
        parent,
      );
    }
    this.registerOutputs({
      queueArn: this.queue.arn,
      deadLetterQueueArn: this.deadLetterQueue.arn,
    });
  }
}
