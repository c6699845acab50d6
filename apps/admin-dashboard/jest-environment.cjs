// jsdom for the dashboard's hook tests, with the web platform globals a browser has and
// jsdom lacks (TextEncoder, fetch's Response/Request/Headers, streams), taken from Node.
// Spec files opt in with `/** @jest-environment ./apps/admin-dashboard/jest-environment.cjs */`.
const { TestEnvironment } = require('jest-environment-jsdom');

const FROM_NODE = [
  'TextEncoder',
  'TextDecoder',
  'TextDecoderStream',
  'ReadableStream',
  'Response',
  'Request',
  'Headers',
  'structuredClone',
];

class DashboardEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of FROM_NODE) {
      if (this.global[name] === undefined) this.global[name] = globalThis[name];
    }
  }
}

module.exports = DashboardEnvironment;
