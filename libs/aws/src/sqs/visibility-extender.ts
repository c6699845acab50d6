import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueConsumerLogger } from './step-queue.types';

/** A received message whose visibility the consumer keeps while it holds it. */
export interface VisibilityLease {
  readonly messageId: string;
  readonly receiptHandle: string;
}

export interface VisibilityExtenderOptions<L extends VisibilityLease> {
  sqs: SQSClient;
  queueUrl: string;
  /** Each extension makes the message invisible for this long from then on. */
  visibilityTimeoutSeconds: number;
  /** How often each held message is extended (well under the visibility timeout). */
  extendEveryMs: number;
  /** SQS refused the receipt handle: the message is no longer ours (another consumer may have it). */
  onLost: (lease: L, reason: string) => void;
  logger: QueueConsumerLogger;
}

const BATCH_LIMIT = 10;

/**
 * Keeps the messages a consumer holds invisible to other consumers: every `extendEveryMs` it
 * pushes their visibility timeout forward, in ChangeMessageVisibilityBatch calls of up to ten.
 * A refused entry (the receipt handle is gone) is reported through `onLost`; a failed call is
 * retried sooner, while the current timeout still runs.
 */
export class VisibilityExtender<L extends VisibilityLease = VisibilityLease> {
  /** Held leases and when each is next due for an extension (epoch ms). */
  private readonly dueAt = new Map<L, number>();
  private readonly inFlight = new Set<L>();
  private extending: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private stopped = false;

  constructor(private readonly options: VisibilityExtenderOptions<L>) {}

  /** Starts extending a lease received at `receivedAt` (the receive call's start, to be safe). */
  track(lease: L, receivedAt: number): void {
    if (this.stopped) return;
    this.dueAt.set(lease, receivedAt + this.options.extendEveryMs);
    this.schedule();
  }

  /** Stops extending a lease; resolves once no extension call for it is still under way. */
  async untrack(lease: VisibilityLease): Promise<void> {
    this.dueAt.delete(lease as L);
    if (this.inFlight.has(lease as L)) await this.extending;
  }

  /** Stops extending everything; resolves once the call under way, if any, has returned. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.dueAt.clear();
    clearTimeout(this.timer);
    await this.extending;
  }

  private schedule(): void {
    if (this.stopped || this.extending) return;
    let next = Number.POSITIVE_INFINITY;
    for (const due of this.dueAt.values()) next = Math.min(next, due);
    if (next === this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = next;
    if (next === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - Date.now()));
  }

  private tick(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    // Leases due soon ride along with those due now: fewer, fuller calls.
    const horizon = Date.now() + this.options.extendEveryMs / 4;
    const due = [...this.dueAt].filter(([, at]) => at <= horizon).map(([lease]) => lease);
    for (const lease of due) this.inFlight.add(lease);
    this.extending = this.extend(due).finally(() => {
      this.inFlight.clear();
      this.extending = undefined;
      this.schedule();
    });
  }

  private async extend(leases: L[]): Promise<void> {
    for (let start = 0; start < leases.length; start += BATCH_LIMIT) {
      await this.extendBatch(leases.slice(start, start + BATCH_LIMIT));
    }
  }

  private async extendBatch(leases: L[]): Promise<void> {
    const { sqs, queueUrl, visibilityTimeoutSeconds, extendEveryMs, logger } = this.options;
    const retryAt = Date.now() + Math.min(1000, extendEveryMs / 2);
    const sentAt = Date.now();
    try {
      const result = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: leases.map((lease, index) => ({
            Id: String(index),
            ReceiptHandle: lease.receiptHandle,
            VisibilityTimeout: visibilityTimeoutSeconds,
          })),
        }),
      );
      for (const entry of result.Successful ?? []) {
        this.reschedule(leases[Number(entry.Id)], sentAt + extendEveryMs);
      }
      for (const entry of result.Failed ?? []) {
        const lease = leases[Number(entry.Id)];
        if (!lease || !this.dueAt.has(lease)) continue;
        if (entry.SenderFault) {
          this.dueAt.delete(lease);
          this.options.onLost(lease, `${entry.Code ?? 'unknown'}: ${entry.Message ?? ''}`.trim());
        } else {
          logger.warn(
            { messageId: lease.messageId, code: entry.Code, detail: entry.Message },
            'SQS could not extend the visibility of a message; retrying',
          );
          this.reschedule(lease, retryAt);
        }
      }
    } catch (error) {
      logger.warn(
        { err: error, queueUrl, messages: leases.length },
        'SQS visibility extension failed; retrying',
      );
      for (const lease of leases) this.reschedule(lease, retryAt);
    }
  }

  /** Sets when a lease is next due, unless it was untracked meanwhile. */
  private reschedule(lease: L | undefined, at: number): void {
    if (lease && this.dueAt.has(lease)) this.dueAt.set(lease, at);
  }
}
