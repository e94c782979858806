// What every command action gets: the output for the global --json choice, the host (opened on first
// use, so help and usage errors touch no files) and unlocking a profile with the headless passphrase.
import { defaultDataDir } from '../core/data-dir';
import { openHost, type Host } from './host';
import { readPassphrase, type CliIo } from './io';
import { createOutput, type Output } from './output';

export interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
  passphraseFile?: string;
}

/** Writes made from the command line are recorded with this actor in audit rows and versions. */
export const ACTOR = 'cli';

export interface CliContext {
  readonly io: CliIo;
  /** A command that succeeds but must report failure (doctor finding a problem) sets this. */
  exitCode: number;
  out(): Output;
  host(): Host;
  /** The host if one was opened, for reporting and closing. */
  openedHost(): Host | undefined;
  passphrase(): string;
  /** Unlocks a profile (name or id) with the passphrase; returns its id. */
  unlock(profileRef: string): Promise<string>;
}

export function createContext(io: CliIo, globals: () => GlobalOptions): CliContext {
  let host: Host | undefined;
  const ctx: CliContext = {
    io,
    exitCode: 0,
    out: () => createOutput(io, globals().json === true),
    host: () => (host ??= openHost(globals().dataDir ?? defaultDataDir(io.env), io.env)),
    openedHost: () => host,
    passphrase: () => readPassphrase(io.env, globals().passphraseFile),
    async unlock(profileRef) {
      // Read the passphrase first: a missing one is a usage error and should not create any files.
      const passphrase = ctx.passphrase();
      const session = await ctx.host().core.unlock(profileRef, { kind: 'passphrase', passphrase });
      return session.profile.id;
    },
  };
  return ctx;
}
