// The profile registry on disk: <dataDir>/profiles/<id>/profile.json holds everything about a vault
// that is not secret (name, cipher parameters, wrapped keys). A folder without a valid profile.json
// (e.g. a creation that crashed half-way) is not a profile.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { KeychainWrap, PassphraseWrap, RecoveryWrap } from './keys';

export const ProfileFile = z.object({
  formatVersion: z.literal(1),
  id: z.string().regex(/^[0-9A-Z]{26}$/),
  name: z.string().min(1),
  createdAt: z.string(),
  cipher: z.object({ name: z.literal('chacha20'), key: z.literal('raw-256') }),
  omiUid: z.string().nullable(),
  // Lets the webhook listener route a delivery to this profile and seal it while the vault is
  // locked: a hash of the webhook secret (the secret itself lives in the encrypted database) and the
  // age X25519 recipient whose identity is also inside the database.
  webhook: z.object({
    secretSha256: z.string().regex(/^[0-9a-f]{64}$/),
    spoolRecipient: z.string().startsWith('age1'),
    requireSignature: z.boolean().default(false),
    tunnelHost: z.string().nullable().default(null),
  }),
  keys: z.object({
    passphrase: PassphraseWrap.optional(),
    keychain: KeychainWrap.optional(),
    recovery: RecoveryWrap,
  }),
});
export type ProfileFile = z.infer<typeof ProfileFile>;

export const profilesRoot = (dataDir: string) => join(dataDir, 'profiles');
export const profileDir = (dataDir: string, id: string) => join(profilesRoot(dataDir), id);
export const databasePath = (dir: string) => join(dir, 'memory.db');

export function readProfiles(dataDir: string): ProfileFile[] {
  let names: string[];
  try {
    names = readdirSync(profilesRoot(dataDir));
  } catch {
    return [];
  }
  const out: ProfileFile[] = [];
  for (const name of names) {
    try {
      const parsed = ProfileFile.safeParse(
        JSON.parse(readFileSync(join(profilesRoot(dataDir), name, 'profile.json'), 'utf8')),
      );
      if (parsed.success && parsed.data.id === name) out.push(parsed.data);
    } catch {
      // Not a profile folder (no or unreadable profile.json).
    }
  }
  return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** Write-then-rename with fsync, so a crash leaves either the old or the new file, never half. */
export function writeProfileFile(dir: string, profile: ProfileFile): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, 'profile.json');
  const tmp = `${target}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(profile, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, target);
}
