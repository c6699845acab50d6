/** Injection tokens for the process-wide infrastructure the features share. */
export const CONFIG = Symbol('ControlPlaneConfig');
export const LOGGER = Symbol('Logger');
export const DATABASE = Symbol('DatabaseConnection');
export const REDIS = Symbol('Redis');
