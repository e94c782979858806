import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { makeCore, must, tempDir } from '../../../test/support/core';
import { createFileLogger, createRedactor } from '.';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.remove());

const allLogs = (logDir: string) =>
  readdirSync(logDir)
    .map((f) => readFileSync(join(logDir, f), 'utf8'))
    .join('\n');

test('no secret appears in the log files after a run that used them', async () => {
  const t = makeCore(dir.path);
  const passphrase = 'hunter2-but-much-longer';
  const apiKey = 'omi_dev_0123456789abcdefSECRET';
  const { profile, recoveryKey } = must(
    await t.core.invoke('profiles.create', { name: 'Ada', protection: { kind: 'passphrase', passphrase } }),
  );
  t.core.settings.set(profile.id, 'omi.apiKey', apiKey, 'user');
  const webhookUrl = t.core.webhookUrl(profile.id);
  const webhookSecret = webhookUrl.split('/').at(-1)!;
  must(await t.core.invoke('profiles.lock', { profileId: profile.id }));
  await t.core.invoke('profiles.unlock', {
    profileId: profile.id,
    credential: { kind: 'passphrase', passphrase: 'wrong-passphrase-x' },
  });
  must(
    await t.core.invoke('profiles.unlock', { profileId: profile.id, credential: { kind: 'passphrase', passphrase } }),
  );
  // Careless log calls of the kind that leak secrets in real code: by field name and inside text.
  t.logs.logger.warn({ apiKey, request: { headers: { authorization: `Bearer ${apiKey}` } } }, 'calling OMI');
  t.logs.logger.error(new Error(`failed with key ${apiKey} for ${webhookUrl}`), `passphrase was ${passphrase}`);
  t.logs.logger.info({ credential: { kind: 'recovery', recoveryKey } }, 'recovery attempt');
  await t.close();

  const text = allLogs(join(dir.path, 'logs'));
  expect(text).toContain('profile created');
  expect(text).toContain('[redacted]');
  for (const secret of [passphrase, apiKey, recoveryKey, webhookSecret, 'wrong-passphrase-x']) {
    expect(text, secret).not.toContain(secret);
  }
});

test('the log file rotates by size', async () => {
  const sink = createFileLogger({ dir: dir.path, size: '1K', maxFiles: 3 });
  for (let i = 0; i < 200; i++) sink.logger.info({ i, pad: 'x'.repeat(40) }, 'filler');
  await sink.close();
  expect(readdirSync(dir.path).length).toBeGreaterThan(1);
});

test('the redactor scrubs a value also where JSON escaping changed it', () => {
  const r = createRedactor();
  r.add('pa"ss\\word');
  expect(r.scrub(JSON.stringify({ msg: 'x pa"ss\\word y' }))).toBe(JSON.stringify({ msg: 'x [redacted] y' }));
  r.add('abc'); // too short to be worth scrubbing
  expect(r.scrub('abc')).toBe('abc');
});
