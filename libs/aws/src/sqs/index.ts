// SQS adapter of the orchestrator worker: step queue setup, the step queue consumer, and the
// fair (per-tenant) dispatcher it schedules messages through.
export * from './fair-dispatcher';
export * from './queue-setup';
export * from './step-queue-consumer';
export * from './step-queue.types';
