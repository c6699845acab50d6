// Jest globalSetup of the integration project: checks that PostgreSQL is reachable and creates
// the migrated template database every test file clones (see test-database.ts).
import Module from 'node:module';
import path from 'node:path';

const workspaceRoot = path.resolve(__dirname, '..', '..', '..');

type ResolveFilename = (
  request: string,
  parent: unknown,
  isMain: boolean,
  options?: unknown,
) => string;

/**
 * Jest applies `moduleNameMapper` inside test workers but not to globalSetup, which is loaded
 * with Node's own resolver (jestjs/jest#11644). Map `@gnomon/<lib>` to the library entry point
 * exactly as jest.config.js does, for this process only.
 */
function mapWorkspaceImports(): void {
  const loader = Module as unknown as { _resolveFilename: ResolveFilename };
  const resolve = loader._resolveFilename;
  loader._resolveFilename = function (request, parent, isMain, options) {
    const match = /^@gnomon\/([a-z0-9-]+)$/.exec(request);
    const target = match
      ? path.join(workspaceRoot, 'libs', match[1] ?? '', 'src', 'index.ts')
      : request;
    return resolve.call(this, target, parent, isMain, options);
  };
}

export default async function globalSetup(): Promise<void> {
  mapWorkspaceImports();
  const { dropStaleTestDatabases, ensureTemplateDatabase } = await import('./test-database');
  await ensureTemplateDatabase();
  await dropStaleTestDatabases();
}
