// Public surface of the observability library: logging and metrics.
export * from './logger';
export * from './metrics';
export * from './nest-pino-logger';
