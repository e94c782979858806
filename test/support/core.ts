// Builds a real core over a temporary data directory, with a real encrypted database and a log file.
// scrypt runs with a lower cost here so unit tests stay fast; the CLI tests use the real parameters.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCore, type Core } from '../../src/main/core';
import { memorySettings, systemClock, type Clock } from '../../src/main/core/ports';
import { createFileLogger, type LogSink } from '../../src/main/logging';
import type { KeyStore } from '../../src/main/profiles/keys';

export const FAST_SCRYPT = { N: 2 ** 12, r: 8, p: 1 };

export function tempDir(prefix = 'angel-memory-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface TestCore {
  core: Core;
  dataDir: string;
  logs: LogSink;
  /** Closes the core and the log file (keeps the directory). */
  close(): Promise<void>;
}

export function makeCore(dataDir: string, options: { keyStore?: KeyStore; clock?: Clock } = {}): TestCore {
  const logs = createFileLogger({ dir: join(dataDir, 'logs'), level: 'debug' });
  const core = createCore({
    dataDir,
    keyStore: options.keyStore,
    settings: memorySettings(),
    clock: options.clock ?? systemClock,
    logger: logs.logger,
    redactor: logs.redactor,
    scryptParams: FAST_SCRYPT,
  });
  return {
    core,
    dataDir,
    logs,
    async close() {
      core.close();
      await logs.close();
    },
  };
}

/** Unwraps a Result, failing the test with the error if it is not ok. */
export function must<T>(result: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}
