// Shared setup for the sync suites: a core whose sync service talks to a fake OMI server, a fake
// clock that also drives Date (cockatiel's breaker reads Date.now), and a profile with a key set.
import { join } from 'node:path';
import { vi } from 'vitest';
import { createCore, type Core } from '../../src/main/core';
import { memorySettings, systemClock, type Clock } from '../../src/main/core/ports';
import { createFileLogger } from '../../src/main/logging';
import type { SyncPorts } from '../../src/main/sync';
import { FAKE_KEY } from '../fakes/omi-server';
import { FAST_SCRYPT, must } from '../support/core';

export const PASS = 'sync test passphrase';

/** Milliseconds that pass only when told to; sleeping advances it at once. */
export class FakeClock implements Clock {
  constructor(public t = Date.parse('2026-03-01T09:00:00.000Z')) {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(this.t);
  }
  now = (): Date => new Date(this.t);
  ms = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
    vi.setSystemTime(this.t);
  }
  sleep = (ms: number): Promise<void> => {
    this.advance(ms);
    return Promise.resolve();
  };
  static restore(): void {
    vi.useRealTimers();
  }
}

/** Fast, deterministic tunables for tests: no real waits anywhere. */
export const TEST_PORTS: Partial<SyncPorts> = {
  retries: 0,
  retryInitialDelayMs: 1,
  retryMaxDelayMs: 2,
  jobRetryInitialDelayMs: 1,
  jobRetryMaxDelayMs: 2,
  timeoutMs: 2_000,
};

export interface SyncCore {
  core: Core;
  profileId: string;
  close(): Promise<void>;
}

export async function openSyncCore(
  dataDir: string,
  omiUrl: string,
  options: { clock?: Clock; ports?: Partial<SyncPorts>; create?: boolean; key?: string | null } = {},
): Promise<SyncCore> {
  const logs = createFileLogger({ dir: join(dataDir, 'logs'), level: 'debug' });
  const core = createCore({
    dataDir,
    settings: memorySettings(),
    clock: options.clock ?? systemClock,
    logger: logs.logger,
    redactor: logs.redactor,
    scryptParams: FAST_SCRYPT,
    sync: { ...TEST_PORTS, env: { ANGEL_MEMORY_OMI_API_URL: omiUrl }, ...options.ports },
  });
  let profileId: string;
  if (options.create !== false) {
    const created = must(
      await core.invoke('profiles.create', { name: 'Sync', protection: { kind: 'passphrase', passphrase: PASS } }),
    );
    profileId = created.profile.id;
    if (options.key !== null) core.settings.set(profileId, 'omi.apiKey', options.key ?? FAKE_KEY, 'test');
  } else {
    const [profile] = must(await core.invoke('profiles.list', {}));
    profileId = profile!.id;
    await core.unlock(profileId, { kind: 'passphrase', passphrase: PASS });
  }
  return {
    core,
    profileId,
    async close() {
      await core.sync.closeAll();
      core.close();
      await logs.close();
    },
  };
}
