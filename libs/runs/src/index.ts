// Public surface of the runs library: the run domain's storage (runs, steps, approvals, the
// run event log, tool calls) shared by the control plane and the orchestrator worker.
export * from './run-status';
export * from './run.repository';
export * from './step.repository';
export * from './step-ledger';
export * from './approval.repository';
export * from './run-event.repository';
export * from './tool-event.repository';
export * from './tool-catalog';
export * from './task-version.reader';
