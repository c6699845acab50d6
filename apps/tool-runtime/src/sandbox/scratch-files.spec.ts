import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAX_SCRATCH_FILES } from './sandbox-command';
import { listScratchFiles } from './scratch-files';

describe('listScratchFiles', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'scratch-spec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lists regular files and never follows symlinks', async () => {
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, 'sub', 'b.txt'), 'bb');
    writeFileSync(path.join(dir, 'a.txt'), 'a');
    symlinkSync('/etc/passwd', path.join(dir, 'passwd'));
    symlinkSync('/etc', path.join(dir, 'etc'));
    expect(await listScratchFiles(dir)).toEqual({
      ok: true,
      files: [
        { path: path.join(dir, 'a.txt'), relativePath: 'a.txt', size: 1 },
        { path: path.join(dir, 'sub', 'b.txt'), relativePath: path.join('sub', 'b.txt'), size: 2 },
      ],
    });
  });

  it('refuses more files than the cap', async () => {
    for (let i = 0; i <= MAX_SCRATCH_FILES; i += 1) writeFileSync(path.join(dir, `f${i}`), '');
    expect(await listScratchFiles(dir)).toEqual({
      ok: false,
      message: expect.stringMatching(/more than 100 files/),
    });
  });
});
