/** Nest injection tokens of the tool runtime's wiring. */
export const SERVICE_TOKEN = Symbol('SERVICE_TOKEN');
export const TOOL_RUNTIME_CONFIG = Symbol('TOOL_RUNTIME_CONFIG');
export const LOGGER = Symbol('LOGGER');
