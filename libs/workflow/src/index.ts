// Public surface of the workflow library: the run lifecycle state machine (ASL), the
// WorkflowEngine port with its Step Functions and local adapters, and the task-definition
// interpreter.
export * from './asl';
export * from './engine';
export * from './interpreter';
