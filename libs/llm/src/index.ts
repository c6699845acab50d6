// Public surface of the llm library: provider adapters over the official SDKs, the model
// catalog and pricing, token estimation.
export * from './provider-adapter';
export * from './provider-error';
export * from './catalog/model-catalog';
export * from './token-estimator';
