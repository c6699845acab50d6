// Public surface of the tools library: what both the tool registry (control plane) and the
// tool runtime need to understand a tool definition — its JSON Schemas and its HTTP template.
export * from './tool-schema';
export * from './http-request-template';
