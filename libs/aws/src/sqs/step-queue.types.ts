import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ZodType } from 'zod';

/** What the consumer logs through: pino's `(obj, msg)` call form (a pino Logger fits). */
export interface QueueConsumerLogger {
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
}

/** One step message handed to the handler, its body parsed and validated. */
export interface ReceivedStepMessage<TBody> {
  readonly body: TBody;
  readonly messageId: string;
  /** 1 on the first delivery. After the redrive policy's maxReceiveCount, SQS dead-letters it. */
  readonly receiveCount: number;
  /** The body's fairness key (the tenant id). */
  readonly fairnessKey: string;
  /**
   * Aborted when the message is no longer the handler's: its visibility could not be extended
   * (another consumer may have it), or `stop()` ran out of drain time and handed it back. The
   * reason is a {@link StepMessageAbortedError}. The handler should stop and return; its outcome
   * is then ignored.
   */
  readonly signal: AbortSignal;
}

/**
 * What becomes of a handled message:
 * - `'ack'`: done, delete it;
 * - `'release'`: visible again now, for any consumer (e.g. this one cannot take it yet);
 * - `'retry-later'`: leave it; it reappears when its current visibility timeout runs out (at most
 *   one timeout from now, as the consumer has kept extending it) — a handler error does the same;
 * - `{ retryAfterSeconds }`: reappears after that long (0–43,200).
 *
 * Every receive counts towards the redrive policy's maxReceiveCount, releases included.
 */
export type StepMessageOutcome = 'ack' | 'release' | 'retry-later' | { retryAfterSeconds: number };

export type StepMessageHandler<TBody> = (
  message: ReceivedStepMessage<TBody>,
) => Promise<StepMessageOutcome>;

export interface StepQueueConsumerOptions<TBody> {
  sqs: SQSClient;
  queueUrl: string;
  /** Validates the JSON body; a message that fails is logged and left for the dead-letter queue. */
  schema: ZodType<TBody>;
  /** The key messages are scheduled fairly by (the tenant id). */
  fairnessKey: (body: TBody) => string;
  handler: StepMessageHandler<TBody>;
  logger: QueueConsumerLogger;
  /** Handlers running at once (default 4). */
  concurrency?: number;
  /** Handlers of one fairness key running at once (default: up to `concurrency`). */
  perKeyConcurrency?: number;
  /** Messages held beyond the running ones, waiting for a slot (default: `concurrency`). */
  prefetch?: number;
  /** Long-polling wait of each receive, 1–20 s (default 20). */
  waitTimeSeconds?: number;
  /** Visibility timeout set on each receive and each extension, seconds (default 30). */
  visibilityTimeoutSeconds?: number;
  /** How often held messages have their visibility extended (default: a third of the timeout). */
  extendVisibilityEveryMs?: number;
  /** Backoff after failed receives: doubles from `initialMs` up to `maxMs` (200 ms, 20 s). */
  receiveBackoff?: { initialMs?: number; maxMs?: number };
}

export interface StepQueueConsumerStats {
  /** Held, waiting for a handler slot. */
  buffered: number;
  /** Handlers running. */
  running: number;
}

export type StepMessageAbortReason = 'visibility-lost' | 'shutdown';

/** The reason of a handler's aborted signal. */
export class StepMessageAbortedError extends Error {
  override readonly name = 'StepMessageAbortedError';

  constructor(
    readonly reason: StepMessageAbortReason,
    readonly messageId: string,
    detail: string,
  ) {
    super(`step message ${messageId}: ${detail}`);
  }
}
