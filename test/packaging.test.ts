// electron-builder is not run on these machines (it downloads Electron); this checks its config
// against electron-builder's own schema and that it keeps its promises: the three platforms'
// targets, the app packed in an asar archive of the built output only, and every hardening fuse flipped.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const config = JSON.parse(readFileSync(join(ROOT, 'electron-builder.json'), 'utf8')) as Record<string, unknown>;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string };

// electron-builder's validator (the same one `electron-builder` runs before packaging).
const require = createRequire(import.meta.url);
const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  validateConfiguration: (config: unknown, logger: unknown) => Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

describe('electron-builder.json', () => {
  it("is valid against electron-builder's configuration schema", async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    // The validator does reject mistakes, so the check above means something.
    await expect(
      validateConfiguration({ ...config, linux: { target: 'AppImage', bogus: 1 } }, new DebugLogger(false)),
    ).rejects.toThrow(/Invalid configuration object/);
  });

  it('builds AppImage and deb, dmg, and nsis', () => {
    expect(config.linux).toMatchObject({ target: ['AppImage', 'deb'] });
    expect(config.mac).toMatchObject({ target: ['dmg'], hardenedRuntime: true });
    expect(config.win).toMatchObject({ target: ['nsis'] });
  });

  it('packs only the built app into an asar archive with its integrity hash', () => {
    expect(config.asar).toBe(true);
    expect(config).not.toHaveProperty('asarOptions');
    expect(config.files).toEqual(['out/**/*', 'package.json', '!**/*.map']);
    expect(pkg.main.replace(/^\.\//, '')).toMatch(/^out\//);
  });

  it('flips the hardening fuses', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: false,
    });
  });
});
