// The SettingsStore adapter over `conf`, the store electron-store extends, with the options the app
// uses: a private file in the data dir, keys taken literally, undefined meaning "forget".
import { statSync } from 'node:fs';
import Conf from 'conf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/core';
import { createSettingsStore, electronStoreOptions } from './settings-store';

describe('createSettingsStore', () => {
  let dir: ReturnType<typeof tempDir>;
  const open = () => {
    const { name, ...options } = electronStoreOptions(dir.path);
    // electron-store renames `name` to conf's `configName`; conf is used directly here (no Electron).
    return new Conf({ ...options, configName: name, projectVersion: '0.0.0' });
  };

  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());

  it('persists values across instances, in a private file in the data dir', () => {
    const conf = open();
    createSettingsStore(conf).set('lastProfileId', '01ABC');
    expect(createSettingsStore(open()).get('lastProfileId')).toBe('01ABC');
    expect(conf.path.startsWith(dir.path)).toBe(true);
    if (process.platform !== 'win32') expect(statSync(conf.path).mode & 0o777).toBe(0o600);
  });

  it('takes dotted keys literally and forgets a key set to undefined', () => {
    const conf = open();
    const settings = createSettingsStore(conf);
    settings.set('window.bounds', { width: 800 });
    expect(settings.get('window.bounds')).toEqual({ width: 800 });
    expect(conf.store).toEqual({ 'window.bounds': { width: 800 } });
    settings.set('window.bounds', undefined);
    expect(settings.get('window.bounds')).toBeUndefined();
    expect(conf.has('window.bounds')).toBe(false);
  });
});
