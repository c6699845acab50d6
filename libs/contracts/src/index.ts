// Public surface of the contracts library: zod schemas and types shared across processes.
// Browser-safe: depends on zod only.
export * from './errors';
export * from './pagination';
export * from './scopes';
export * from './tenant.dto';
export * from './member.dto';
export * from './session.dto';
export * from './api-key.dto';
export * from './audit.dto';
export * from './llm.dto';
export * from './governance.dto';
export * from './reporting.dto';
export * from './tool.dto';
export * from './run-workflow';
export * from './run-event';
export * from './task-definition';
export * from './task.dto';
export * from './run.dto';
