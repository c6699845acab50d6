// Public surface of the db library: the only importer of the generated Prisma client.
export * from './prisma-client';
export * from './tenant-database';
export * from './migrations/migration-runner';
