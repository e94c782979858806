// The CLI as a host of the core: a core over the data directory with a rotating log file under
// <dataDir>/logs, preferences in <dataDir>/preferences.json (conf), the system clock and no OS
// keychain (a headless process holds no keychain session; vaults open with a passphrase).
import { join } from 'node:path';
import Conf from 'conf';
import { createCore, type Core } from '../core';
import { systemClock, type SettingsStore } from '../core/ports';
import { createFileLogger, type Logger } from '../logging';

export interface Host {
  core: Core;
  logger: Logger;
  logDir: string;
  /** Closes every open vault, then flushes and closes the log file. */
  close(): Promise<void>;
}

/** conf adapted to the core's SettingsStore; the file is only touched when a preference is used. */
function confSettings(dataDir: string): SettingsStore {
  let store: Conf | undefined;
  // Flat keys: a preference named "a.b" is one key, as in every other SettingsStore.
  const open = () =>
    (store ??= new Conf({ cwd: dataDir, configName: 'preferences', accessPropertiesByDotNotation: false }));
  return { get: (key) => open().get(key), set: (key, value) => open().set(key, value) };
}

/** `env` carries the base-URL overrides for OMI, Gemini and Ollama (ANGEL_MEMORY_*_URL). */
export function openHost(dataDir: string, env: Record<string, string | undefined>): Host {
  const logDir = join(dataDir, 'logs');
  const sink = createFileLogger({ dir: logDir });
  const core = createCore({
    dataDir,
    settings: confSettings(dataDir),
    clock: systemClock,
    logger: sink.logger,
    redactor: sink.redactor,
  });
  core.sync.configure({ env });
  core.search.configure({ env });
  // One-shot commands answer a single query; `serve` (startHeadless) turns the search worker on.
  core.search.useWorker(false);
  return {
    core,
    logger: sink.logger.child({ module: 'cli' }),
    logDir,
    async close() {
      try {
        core.close();
      } finally {
        await sink.close();
      }
    },
  };
}
