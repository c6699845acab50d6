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
