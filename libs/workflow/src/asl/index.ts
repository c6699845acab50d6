export * from './run-state-machine';
