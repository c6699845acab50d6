// Public surface of the local-runtime library: what `npm start` needs to run the platform on
// one machine with no external services (architecture §7).
export * from './data-dir';
export * from './local-secrets';
export * from './embedded-postgres';
