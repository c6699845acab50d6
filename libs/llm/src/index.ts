// Public surface of the llm library: provider adapters over the official SDKs, the model
// catalog and pricing, token estimation.
export * from './provider-adapter';
export * from './provider-error';
export * from './catalog/model-catalog';
export * from './token-estimator';
export * from './model-router';
export * from './providers/openai.adapter';
export * from './providers/simulated.adapter';
export * from './providers/anthropic.adapter';
export * from './providers/gemini.adapter';
