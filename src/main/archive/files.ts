// Atomic output: everything is written to `<target>.tmp-<random>` beside the target, flushed, then
// renamed into place, so a reader never sees half a file and a crash leaves only a temp file that
// the next attempt does not collide with. On failure the temp file or folder is removed.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

export const tempPathFor = (target: string) => `${target}.tmp-${randomBytes(6).toString('hex')}`;

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function writeAtomically<T>(target: string, write: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = tempPathFor(target);
  try {
    const result = await write(tmp);
    fsyncPath(tmp);
    renameSync(tmp, target);
    fsyncPath(dirname(target));
    return result;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
