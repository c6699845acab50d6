import { createRequire } from 'node:module';
import path from 'node:path';
import { workspaceEntry } from './workspace-paths';

describe('workspace paths (how `pulumi up` resolves @gnomon/*)', () => {
  it('maps a workspace library to its source entry point and leaves other requests alone', () => {
    expect(workspaceEntry('@gnomon/workflow')).toBe(
      path.resolve(__dirname, '..', 'libs', 'workflow', 'src', 'index.ts'),
    );
    expect(workspaceEntry('@pulumi/aws')).toBeUndefined();
    expect(workspaceEntry('@gnomon/workflow/src/asl')).toBeUndefined();
  });

  it("teaches Node's own resolver the mapping", () => {
    // createRequire gives Node's require (jest's resolver is separate), as ts-node uses it.
    const nodeRequire = createRequire(__filename);
    expect(nodeRequire.resolve('@gnomon/workflow')).toBe(workspaceEntry('@gnomon/workflow'));
    expect(nodeRequire.resolve('@pulumi/pulumi')).toContain(
      path.join('node_modules', '@pulumi', 'pulumi'),
    );
  });
});
