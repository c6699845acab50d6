// Lets `pulumi up` resolve `@gnomon/<lib>` to libs/<lib>/src/index.ts, as tsconfig.base.json's
// `paths` do for the compiler and jest's moduleNameMapper does for tests. Pulumi runs index.ts
// with ts-node, which compiles TypeScript but leaves module resolution to Node; this teaches
// Node's resolver the workspace mapping. index.ts imports this module first.
import Module from 'node:module';
import path from 'node:path';

type Resolve = (request: string, ...rest: unknown[]) => string;
interface ResolvingModule {
  _resolveFilename: Resolve;
}

const WORKSPACE_LIB = /^@gnomon\/([a-z0-9-]+)$/;
const libs = path.resolve(__dirname, '..', 'libs');

/** The source entry point a workspace import names, or undefined for any other request. */
export function workspaceEntry(request: string): string | undefined {
  const match = WORKSPACE_LIB.exec(request);
  return match ? path.join(libs, match[1], 'src', 'index.ts') : undefined;
}

const resolver = Module as unknown as ResolvingModule;
// Jest has its own resolver (moduleNameMapper) and never calls this; install it once per process.
if (!(resolver._resolveFilename as { gnomonWorkspace?: boolean }).gnomonWorkspace) {
  const original = resolver._resolveFilename;
  const patched: Resolve = function (this: unknown, request, ...rest) {
    return original.call(this, workspaceEntry(request) ?? request, ...rest);
  };
  Object.assign(patched, { gnomonWorkspace: true });
  resolver._resolveFilename = patched;
}
