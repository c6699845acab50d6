/** Injection tokens for the gateway's process-wide infrastructure. */
export const GATEWAY_CONFIG = Symbol('GatewayConfig');
export const LOGGER = Symbol('Logger');
export const DATABASE = Symbol('DatabaseConnection');
export const REDIS = Symbol('Redis');
export const PROVIDERS = Symbol('ProviderAdapters');
