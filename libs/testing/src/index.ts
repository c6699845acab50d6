// Public surface of the testing library (test-only helpers; never imported by production code).
export {
  createTestDatabase,
  DEFAULT_TEST_DATABASE_URL,
  DEFAULT_TEST_REDIS_URL,
  dropStaleTestDatabases,
  ensureTemplateDatabase,
  redisTestUrl,
  templateDatabaseName,
  testDatabaseAdminUrl,
  testDatabaseUrl,
  type TestDatabase,
} from './test-database';
export * from './provider-fakes/openai-fake';
export * from './provider-fakes/fake-script';
export * from './provider-fakes/anthropic-fake';
export * from './provider-fakes/gemini-fake';
export * from './oidc-issuer-fake';
