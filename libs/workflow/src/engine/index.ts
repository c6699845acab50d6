// The WorkflowEngine port, its Step Functions and local adapters, and the local
// Step Functions-compatible endpoint (in-process server and child-process helper).
export * from './workflow-engine';
export * from './workflow-engine.errors';
export * from './step-functions-workflow-engine';
export * from './local-workflow-engine';
export * from './local-step-functions-server';
export * from './local-step-functions-process';
