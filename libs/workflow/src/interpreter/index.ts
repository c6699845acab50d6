// Pure helpers the orchestrator worker uses to run task definitions: template rendering,
// condition evaluation and step succession. No I/O.
export * from './run-scope';
export * from './template';
export * from './condition';
export * from './next-step';
