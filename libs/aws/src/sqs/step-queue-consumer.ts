import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { FairDispatcher } from './fair-dispatcher';
import { ReceiveBackoff, sleep } from './receive-backoff';
import {
  StepMessageAbortedError,
  type StepMessageOutcome,
  type StepQueueConsumerOptions,
  type StepQueueConsumerStats,
} from './step-queue.types';
import { VisibilityExtender, type VisibilityLease } from './visibility-extender';

/** A message the consumer holds: buffered for a slot, running, being settled, or let go. */
interface HeldMessage<TBody> extends VisibilityLease {
  readonly body: TBody;
  readonly receiveCount: number;
  readonly fairnessKey: string;
  readonly abort: AbortController;
  state: 'buffered' | 'running' | 'settling' | 'let-go';
}

type Parsed<TBody> = { ok: true; body: TBody; key: string } | { ok: false; problem: string };

const MAX_VISIBILITY_SECONDS = 43_200;
const BATCH_LIMIT = 10;

/**
 * Consumes step messages from one SQS queue — AWS or a local SQS-compatible endpoint alike.
 *
 * Long-polls in batches while it holds fewer than `concurrency + prefetch` messages; validates
 * each body against the schema (an invalid message is logged and left alone: it reappears after
 * the visibility timeout and is dead-lettered after maxReceiveCount receives); schedules the valid
 * ones fairly across fairness keys; keeps every held message invisible until it is settled; and
 * on `stop()` hands back what it has not finished.
 */
export class StepQueueConsumer<TBody> {
  private readonly held = new Set<HeldMessage<TBody>>();
  private readonly dispatcher: FairDispatcher<HeldMessage<TBody>>;
  private readonly extender: VisibilityExtender<HeldMessage<TBody>>;
  /** Settle and release calls under way, awaited by `stop()`. */
  private readonly pending = new Set<Promise<void>>();
  private readonly receiveAbort = new AbortController();
  private readonly closingSignal = new AbortController();
  private readonly capacity: number;
  private readonly waitTimeSeconds: number;
  private readonly visibilityTimeoutSeconds: number;
  private readonly backoff: ReceiveBackoff;
  private wakePoller: (() => void) | undefined;
  private polling: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: StepQueueConsumerOptions<TBody>) {
    const concurrency = integerIn('concurrency', options.concurrency ?? 4, 1, 10_000);
    const prefetch = integerIn('prefetch', options.prefetch ?? concurrency, 0, 10_000);
    this.capacity = concurrency + prefetch;
    this.waitTimeSeconds = integerIn('waitTimeSeconds', options.waitTimeSeconds ?? 20, 1, 20);
    this.visibilityTimeoutSeconds = integerIn(
      'visibilityTimeoutSeconds',
      options.visibilityTimeoutSeconds ?? 30,
      1,
      MAX_VISIBILITY_SECONDS,
    );
    const extendEveryMs =
      options.extendVisibilityEveryMs ?? (this.visibilityTimeoutSeconds * 1000) / 3;
    if (!(extendEveryMs > 0 && extendEveryMs < this.visibilityTimeoutSeconds * 1000)) {
      throw new RangeError(
        'extendVisibilityEveryMs must be positive and below the visibility timeout',
      );
    }
    const initialMs = options.receiveBackoff?.initialMs ?? 200;
    const maxMs = Math.max(initialMs, options.receiveBackoff?.maxMs ?? 20_000);
    this.backoff = new ReceiveBackoff(initialMs, maxMs);

    this.dispatcher = new FairDispatcher({
      concurrency,
      ...(options.perKeyConcurrency !== undefined
        ? { perKeyConcurrency: options.perKeyConcurrency }
        : {}),
      run: (held) => this.handle(held),
      onError: (error, held) =>
        options.logger.error({ err: error, messageId: held.messageId }, 'step dispatch failed'),
    });
    this.extender = new VisibilityExtender({
      sqs: options.sqs,
      queueUrl: options.queueUrl,
      visibilityTimeoutSeconds: this.visibilityTimeoutSeconds,
      extendEveryMs,
      logger: options.logger,
      onLost: (held, reason) => this.letGoLost(held, reason),
    });
  }

  get stats(): StepQueueConsumerStats {
    return { buffered: this.dispatcher.size, running: this.dispatcher.running };
  }

  /** Starts polling; returns at once. */
  start(): void {
    if (this.polling || this.stopping) throw new Error('StepQueueConsumer can only start once');
    this.polling = this.poll();
  }

  /**
   * Stops polling and hands back at once (visible again) the messages not started yet; waits up
   * to `drainMs` for running handlers to finish (their messages kept invisible meanwhile) and for
   * a receive under way (up to `waitTimeSeconds`; what it returns is handed back too), then
   * aborts the signals of the rest and hands their messages back. Idempotent.
   */
  stop(options: { drainMs?: number } = {}): Promise<void> {
    this.stopping ??= this.shutdown(options.drainMs ?? 10_000);
    return this.stopping;
  }

  private get closing(): boolean {
    return this.closingSignal.signal.aborted;
  }

  private async poll(): Promise<void> {
    const { sqs, queueUrl, logger } = this.options;
    while (!this.closing) {
      const room = this.capacity - this.held.size;
      if (room <= 0) {
        await new Promise<void>((resolve) => (this.wakePoller = resolve));
        continue;
      }
      try {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(BATCH_LIMIT, room),
            WaitTimeSeconds: this.waitTimeSeconds,
            VisibilityTimeout: this.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          { abortSignal: this.receiveAbort.signal },
        );
        this.backoff.reset();
        this.accept(Messages);
      } catch (error) {
        if (this.closing) return;
        const delayMs = this.backoff.nextDelayMs();
        logger.warn(
          { err: error, queueUrl, failures: this.backoff.failureCount, retryInMs: delayMs },
          'SQS receive failed; backing off',
        );
        await sleep(delayMs, this.closingSignal.signal);
      }
    }
  }

  private accept(messages: Message[]): void {
    const { logger } = this.options;
    const handBack: VisibilityLease[] = [];
    for (const message of messages) {
      const { MessageId: messageId, ReceiptHandle: receiptHandle, Body: raw } = message;
      if (!messageId || !receiptHandle || raw === undefined) {
        logger.error({ messageId }, 'SQS returned a message without id, receipt handle or body');
        continue;
      }
      if (this.closing) {
        handBack.push({ messageId, receiptHandle });
        continue;
      }
      const receiveCount = Number(message.Attributes?.ApproximateReceiveCount) || 1;
      const parsed = this.parse(raw);
      if (!parsed.ok) {
        // Not deleted and not released: it reappears after the visibility timeout, and after
        // maxReceiveCount receives SQS moves it to the dead-letter queue.
        logger.error(
          { messageId, receiveCount, problem: parsed.problem },
          'invalid step message; leaving it for the dead-letter queue',
        );
        continue;
      }
      const held: HeldMessage<TBody> = {
        messageId,
        receiptHandle,
        body: parsed.body,
        fairnessKey: parsed.key,
        receiveCount,
        abort: new AbortController(),
        state: 'buffered',
      };
      this.held.add(held);
      this.extender.track(held, Date.now());
      this.dispatcher.push(held.fairnessKey, held);
    }
    if (handBack.length > 0) void this.track(this.release(handBack));
  }

  private parse(raw: string): Parsed<TBody> {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return { ok: false, problem: 'the body is not JSON' };
    }
    const result = this.options.schema.safeParse(json);
    if (!result.success) return { ok: false, problem: z.prettifyError(result.error) };
    try {
      return { ok: true, body: result.data, key: this.options.fairnessKey(result.data) };
    } catch (error) {
      return { ok: false, problem: `no fairness key: ${String(error)}` };
    }
  }

  /** The dispatcher's job: run the handler, then settle the message as it says. */
  private async handle(held: HeldMessage<TBody>): Promise<void> {
    const { handler, logger } = this.options;
    const { messageId, receiveCount, fairnessKey } = held;
    held.state = 'running';
    let outcome: StepMessageOutcome;
    try {
      outcome = await handler({
        body: held.body,
        messageId,
        receiveCount,
        fairnessKey,
        signal: held.abort.signal,
      });
    } catch (error) {
      if (held.state === 'running') {
        logger.error(
          { err: error, messageId, receiveCount, fairnessKey },
          'step handler failed; the message will be redelivered',
        );
      }
      outcome = 'retry-later';
    }
    if (held.state !== 'running') {
      // Lost or handed back by stop() while the handler ran: someone else may have it now.
      logger.info({ messageId, outcome }, 'step handler returned after its message was let go');
      this.forget(held);
      return;
    }
    await this.track(this.settle(held, outcome));
  }

  private async settle(held: HeldMessage<TBody>, outcome: StepMessageOutcome): Promise<void> {
    const { sqs, queueUrl, logger } = this.options;
    held.state = 'settling';
    await this.extender.untrack(held);
    try {
      if (outcome === 'ack') {
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: held.receiptHandle }),
        );
      } else if (outcome === 'release') {
        await this.setVisibility(held, 0);
      } else if (typeof outcome === 'object' && outcome !== null) {
        const seconds = Math.trunc(outcome.retryAfterSeconds);
        await this.setVisibility(held, Math.min(Math.max(seconds, 0), MAX_VISIBILITY_SECONDS));
      }
    } catch (error) {
      logger.warn(
        { err: error, messageId: held.messageId, outcome },
        'could not settle a step message; it will be redelivered',
      );
    } finally {
      this.forget(held);
    }
  }

  private async setVisibility(lease: VisibilityLease, seconds: number): Promise<void> {
    await this.options.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.options.queueUrl,
        ReceiptHandle: lease.receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }

  /** The extender could not keep a message: drop it if buffered, abort its handler if running. */
  private letGoLost(held: HeldMessage<TBody>, reason: string): void {
    if (held.state !== 'buffered' && held.state !== 'running') return;
    const wasRunning = held.state === 'running';
    this.options.logger.warn(
      { messageId: held.messageId, reason, wasRunning },
      'lost a step message (its visibility could not be extended)',
    );
    if (wasRunning) {
      held.state = 'let-go'; // forgotten when the handler returns
      held.abort.abort(new StepMessageAbortedError('visibility-lost', held.messageId, reason));
    } else {
      this.dispatcher.cancel(held);
      this.letGo(held);
    }
  }

  /** Makes messages visible again now (ChangeMessageVisibilityBatch 0). */
  private async release(leases: VisibilityLease[]): Promise<void> {
    const { sqs, queueUrl, logger } = this.options;
    await Promise.all(leases.map((lease) => this.extender.untrack(lease)));
    for (let start = 0; start < leases.length; start += BATCH_LIMIT) {
      const batch = leases.slice(start, start + BATCH_LIMIT);
      try {
        const { Failed = [] } = await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: batch.map((lease, index) => ({
              Id: String(index),
              ReceiptHandle: lease.receiptHandle,
              VisibilityTimeout: 0,
            })),
          }),
        );
        for (const entry of Failed) {
          logger.warn(
            { messageId: batch[Number(entry.Id)]?.messageId, code: entry.Code },
            'could not hand back a step message; it reappears after its visibility timeout',
          );
        }
      } catch (error) {
        logger.warn(
          { err: error, messages: batch.length },
          'could not hand back step messages; they reappear after their visibility timeout',
        );
      }
    }
  }

  private async shutdown(drainMs: number): Promise<void> {
    this.closingSignal.abort();
    this.wake();
    const buffered = this.dispatcher.takeQueued();
    for (const held of buffered) this.letGo(held);
    void this.track(this.release(buffered));

    await settlesWithin(Promise.all([this.dispatcher.drain(), this.polling]), drainMs);

    this.receiveAbort.abort();
    const running = [...this.held].filter((held) => held.state === 'running');
    for (const held of running) {
      this.letGo(held);
      const detail = `still running ${drainMs} ms after stop()`;
      held.abort.abort(new StepMessageAbortedError('shutdown', held.messageId, detail));
    }
    void this.track(this.release(running));
    await this.polling;
    await Promise.all([...this.pending]);
    await this.extender.stop();
    this.options.logger.info(
      { queueUrl: this.options.queueUrl, handedBack: buffered.length, aborted: running.length },
      'step queue consumer stopped',
    );
  }

  private letGo(held: HeldMessage<TBody>): void {
    held.state = 'let-go';
    this.forget(held);
  }

  private forget(held: HeldMessage<TBody>): void {
    if (!this.held.delete(held)) return;
    void this.extender.untrack(held);
    this.wake();
  }

  private wake(): void {
    const wake = this.wakePoller;
    this.wakePoller = undefined;
    wake?.();
  }

  private track(promise: Promise<void>): Promise<void> {
    this.pending.add(promise);
    const done = () => void this.pending.delete(promise);
    promise.then(done, done);
    return promise;
  }
}

function integerIn(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Whether `promise` settled within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
