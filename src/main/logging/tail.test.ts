// The log viewer's reader: newest first, level and text filters, partial and foreign lines skipped,
// only the end of a large file read.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { makeCore, must, tempDir, type TestCore } from '../../../test/support/core';
import { logFilePath, tailLog } from './tail';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.remove());

const line = (level: number, msg: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ level, time: Date.UTC(2026, 0, 2, 3, 4, 5), pid: 1, module: 'core', msg, ...extra }) + '\n';

describe('tailLog', () => {
  test('newest first, filtered by minimum level and by text, foreign lines skipped', () => {
    const file = join(dir.path, 'a.log');
    writeFileSync(
      file,
      line(20, 'debugging') +
        line(30, 'profile unlocked', { profileId: 'P1' }) +
        'not json\n' +
        line(50, 'Sync failed'),
    );
    expect(tailLog(file, { limit: 10 }).map((l) => l.msg)).toEqual(['Sync failed', 'profile unlocked', 'debugging']);
    expect(tailLog(file, { level: 'info', limit: 10 }).map((l) => l.level)).toEqual(['error', 'info']);
    const [hit] = tailLog(file, { text: 'p1', limit: 10 });
    expect(hit).toEqual({
      time: '2026-01-02T03:04:05.000Z',
      level: 'info',
      module: 'core',
      msg: 'profile unlocked',
      detail: JSON.stringify({ pid: 1, profileId: 'P1' }),
    });
    expect(tailLog(file, { limit: 1 }).map((l) => l.msg)).toEqual(['Sync failed']);
    expect(tailLog(join(dir.path, 'missing.log'), { limit: 10 })).toEqual([]);
  });

  test('a file larger than the read window yields its newest whole lines only', () => {
    const file = join(dir.path, 'big.log');
    const filler = line(30, 'x'.repeat(1000));
    writeFileSync(file, filler.repeat(1500) + line(40, 'the newest'));
    const lines = tailLog(file, { limit: 5000 });
    expect(lines[0]!.msg).toBe('the newest');
    expect(lines.length).toBeLessThan(1100);
    expect(lines.every((l) => l.msg === 'the newest' || l.msg.length === 1000)).toBe(true);
  });
});

describe('logs.tail channel', () => {
  let t: TestCore;
  beforeEach(() => {
    t = makeCore(dir.path);
  });
  afterEach(() => t.close());

  test("reads the data dir's log file", async () => {
    mkdirSync(join(dir.path, 'logs'), { recursive: true });
    appendFileSync(logFilePath(dir.path), line(40, 'disk nearly full'));
    const lines = must(await t.core.invoke('logs.tail', { level: 'warn', text: 'disk' }));
    expect(lines.map((l) => l.msg)).toEqual(['disk nearly full']);
  });
});
