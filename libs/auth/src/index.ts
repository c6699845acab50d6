// Public surface of the auth library: credential format, hashing, caching and checking.
export * from './api-key-format';
export * from './secret-hasher';
export * from './principal';
export * from './credential-cache';
export * from './credential-authenticator';
export * from './auth-failure-limiter';
export * from './db-credential-source';
export * from './credential-cipher';
export * from './opaque-token';
export * from './password-hasher';
export * from './session-expiry';
export * from './session-authenticator';
export * from './db-session-source';
