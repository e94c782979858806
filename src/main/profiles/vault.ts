// Profiles, locking and unlocking. An unlocked profile is a Session: its profile.json and an open
// database connection. Locking closes the connection and forgets the key. Profiles share nothing:
// separate folders, files, master keys and wraps.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { ulid } from 'ulid';
import type { Credential } from '../../shared/ipc/contract';
import type { ProfileSummary } from '../../shared/models';
import { openDatabase, type Db } from '../db/open';
import { AppError } from '../errors';
import type { Logger, Redactor } from '../logging';
import {
  newMasterKey,
  newRecoveryKey,
  unwrapWithKeychain,
  unwrapWithPassphrase,
  unwrapWithRecoveryKey,
  wrapWithKeychain,
  wrapWithPassphrase,
  wrapWithRecoveryKey,
  type KeyStore,
} from './keys';
import { databasePath, profileDir, profilesRoot, readProfiles, writeProfileFile, type ProfileFile } from './registry';
import { CIPHER } from '../db/open';
import { writeSetting } from '../db/repos/settings';

export const WEBHOOK_SECRET_KEY = 'webhook.secret';
export const SPOOL_IDENTITY_KEY = 'spool.identity';

/** 192 random bits, URL-safe: the path segment that selects a profile. */
export const newWebhookSecret = () => randomBytes(24).toString('base64url');
export const webhookSecretHash = (secret: string) => createHash('sha256').update(secret).digest('hex');

export interface Session {
  profile: ProfileFile;
  dir: string;
  db: Db;
  /**
   * The raw database key, kept while unlocked so a worker thread can open its own connection to this
   * vault (an archive import's apply transaction runs off the main thread). Zeroed on lock.
   */
  dbKey: Buffer;
}

export type Protection = { kind: 'passphrase'; passphrase: string } | { kind: 'keychain' };

export interface VaultDeps {
  dataDir: string;
  keyStore?: KeyStore;
  now: () => Date;
  logger: Logger;
  redactor: Redactor;
  /** scrypt cost; tests may lower it, production uses the default. */
  scryptParams?: { N: number; r: number; p: number };
}

export function createVault(deps: VaultDeps) {
  const sessions = new Map<string, Session>();
  const log = deps.logger.child({ module: 'vault' });

  function summary(p: ProfileFile): ProfileSummary {
    const protection: ProfileSummary['protection'] = [];
    if (p.keys.passphrase) protection.push('passphrase');
    if (p.keys.keychain) protection.push('keychain');
    protection.push('recovery');
    return { id: p.id, name: p.name, createdAt: p.createdAt, locked: !sessions.has(p.id), protection };
  }

  function find(ref: string): ProfileFile {
    const all = readProfiles(deps.dataDir);
    const hit = all.find((p) => p.id === ref) ?? all.find((p) => p.name.toLowerCase() === ref.trim().toLowerCase());
    if (!hit) throw new AppError('NOT_FOUND', `no profile named "${ref}"`);
    return hit;
  }

  function openSession(profile: ProfileFile, masterKey: Buffer): Session {
    const dir = profileDir(deps.dataDir, profile.id);
    deps.redactor.add(masterKey);
    const db = openDatabase(databasePath(dir), masterKey, { snapshotDir: join(dir, 'backups'), now: deps.now });
    const dbKey = Buffer.from(masterKey);
    masterKey.fill(0);
    const session = { profile, dir, db, dbKey };
    sessions.set(profile.id, session);
    return session;
  }

  /** `onStaleKeychain` hears that the OS keychain wants its blob written again. */
  async function masterKeyFor(
    profile: ProfileFile,
    credential: Credential,
    onStaleKeychain?: () => void,
  ): Promise<Buffer> {
    switch (credential.kind) {
      case 'passphrase':
        deps.redactor.add(credential.passphrase);
        if (!profile.keys.passphrase) {
          throw new AppError(
            'LOCKED',
            'this profile is protected by the OS keychain, not a passphrase; unlock it in the desktop app or with the recovery key',
          );
        }
        return unwrapWithPassphrase(profile.keys.passphrase, credential.passphrase, profile.id);
      case 'recovery':
        deps.redactor.add(credential.recoveryKey);
        return unwrapWithRecoveryKey(profile.keys.recovery, credential.recoveryKey, profile.id);
      case 'keychain': {
        if (!profile.keys.keychain) throw new AppError('BAD_INPUT', 'this profile is not in the OS keychain');
        const { key, shouldReEncrypt } = await unwrapWithKeychain(profile.keys.keychain, deps.keyStore);
        if (shouldReEncrypt) onStaleKeychain?.();
        return key;
      }
    }
  }

  return {
    list(): ProfileSummary[] {
      return readProfiles(deps.dataDir).map(summary);
    },

    find(ref: string): ProfileSummary {
      return summary(find(ref));
    },

    async create(name: string, protection: Protection): Promise<{ profile: ProfileSummary; recoveryKey: string }> {
      const trimmed = name.trim();
      if (readProfiles(deps.dataDir).some((p) => p.name.toLowerCase() === trimmed.toLowerCase())) {
        throw new AppError('CONFLICT', `a profile named "${trimmed}" already exists`);
      }
      const id = ulid();
      const masterKey = newMasterKey();
      const recoveryKey = newRecoveryKey();
      deps.redactor.add(masterKey);
      deps.redactor.add(recoveryKey);
      const keys: ProfileFile['keys'] = { recovery: wrapWithRecoveryKey(masterKey, recoveryKey, id) };
      if (protection.kind === 'passphrase') {
        deps.redactor.add(protection.passphrase);
        keys.passphrase = await wrapWithPassphrase(masterKey, protection.passphrase, id, deps.scryptParams);
      } else {
        keys.keychain = await wrapWithKeychain(masterKey, deps.keyStore);
      }
      const webhookSecret = newWebhookSecret();
      const spoolIdentity = await generateX25519Identity();
      deps.redactor.add(webhookSecret);
      deps.redactor.add(spoolIdentity);
      const profile: ProfileFile = {
        formatVersion: 1,
        id,
        name: trimmed,
        createdAt: deps.now().toISOString(),
        cipher: { ...CIPHER },
        omiUid: null,
        webhook: {
          secretSha256: webhookSecretHash(webhookSecret),
          spoolRecipient: await identityToRecipient(spoolIdentity),
          requireSignature: false,
          tunnelHost: null,
        },
        keys,
      };
      const dir = profileDir(deps.dataDir, id);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      try {
        // The database first, profile.json last: until profile.json exists the folder is not a profile.
        const { db } = openSession(profile, masterKey);
        const ctx = { now: deps.now, actor: 'user' };
        writeSetting(db, WEBHOOK_SECRET_KEY, webhookSecret, true, ctx);
        writeSetting(db, SPOOL_IDENTITY_KEY, spoolIdentity, true, ctx);
        writeProfileFile(dir, profile);
      } catch (err) {
        sessions.get(id)?.db.close();
        sessions.delete(id);
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      log.info({ profileId: id, protection: protection.kind }, 'profile created');
      return { profile: summary(profile), recoveryKey };
    },

    async unlock(ref: string, credential: Credential): Promise<Session> {
      const profile = find(ref);
      const open = sessions.get(profile.id);
      if (open) return open;
      try {
        let stale = false;
        const key = await masterKeyFor(profile, credential, () => (stale = true));
        // The keychain's own key was rotated: wrap the vault key again so the old blob can go.
        const rewrapped = stale ? await wrapWithKeychain(key, deps.keyStore) : undefined;
        const session = openSession(profile, key);
        if (rewrapped) {
          session.profile = { ...session.profile, keys: { ...session.profile.keys, keychain: rewrapped } };
          writeProfileFile(session.dir, session.profile);
          log.info({ profileId: profile.id }, 'keychain wrap renewed');
        }
        log.info({ profileId: profile.id, via: credential.kind }, 'profile unlocked');
        return session;
      } catch (err) {
        log.warn({ profileId: profile.id, via: credential.kind, code: (err as AppError).code }, 'unlock failed');
        throw err;
      }
    },

    lock(ref: string): ProfileSummary {
      const profile = find(ref);
      const session = sessions.get(profile.id);
      if (session) {
        session.db.close();
        session.dbKey.fill(0);
        sessions.delete(profile.id);
        log.info({ profileId: profile.id }, 'profile locked');
      }
      return summary(profile);
    },

    session(ref: string): Session {
      // Every data call names its profile by id: answer from memory, not by reading profile.json.
      const open = sessions.get(ref);
      if (open) return open;
      const profile = find(ref);
      const session = sessions.get(profile.id);
      if (!session) throw new AppError('LOCKED', `profile "${profile.name}" is locked`);
      return session;
    },

    /** Replaces (or adds) the passphrase wrap, after proving the caller can open the vault. */
    async setPassphrase(ref: string, credential: Credential, newPassphrase: string): Promise<ProfileSummary> {
      if (newPassphrase.length < 8) throw new AppError('BAD_INPUT', 'a passphrase needs at least 8 characters');
      const profile = find(ref);
      deps.redactor.add(newPassphrase);
      const masterKey = await masterKeyFor(profile, credential);
      try {
        const updated: ProfileFile = {
          ...profile,
          keys: {
            ...profile.keys,
            passphrase: await wrapWithPassphrase(masterKey, newPassphrase, profile.id, deps.scryptParams),
          },
        };
        // Prove the unwrapped key really opens this database before replacing anything.
        if (!sessions.has(profile.id)) {
          const probe = openSession(profile, Buffer.from(masterKey));
          probe.db.close();
          probe.dbKey.fill(0);
          sessions.delete(profile.id);
        }
        writeProfileFile(profileDir(deps.dataDir, profile.id), updated);
        const open = sessions.get(profile.id);
        if (open) open.profile = updated;
        log.info({ profileId: profile.id, via: credential.kind }, 'passphrase set');
        return summary(updated);
      } finally {
        masterKey.fill(0);
      }
    },

    /**
     * Deletes a profile and every file it has, locked or unlocked. The caller must type the profile's
     * name again. The folder is first renamed out of the registry (one atomic step: from then on it is
     * not a profile, even if the removal below is interrupted), then removed.
     */
    remove(ref: string, confirmName: string): string {
      const profile = find(ref);
      if (confirmName.trim() !== profile.name) {
        throw new AppError('BAD_INPUT', `type the profile's name, "${profile.name}", to delete it`);
      }
      const session = sessions.get(profile.id);
      if (session) {
        session.db.close();
        session.dbKey.fill(0);
        sessions.delete(profile.id);
      }
      const dir = profileDir(deps.dataDir, profile.id);
      const doomed = join(profilesRoot(deps.dataDir), `.deleted-${profile.id}-${Date.now()}`);
      renameSync(dir, doomed);
      rmSync(doomed, { recursive: true, force: true });
      log.info({ profileId: profile.id }, 'profile deleted');
      return profile.id;
    },

    /** Rewrites the non-secret profile.json of an unlocked profile. */
    updateProfile(ref: string, change: (p: ProfileFile) => ProfileFile): ProfileFile {
      const session = this.session(ref);
      const updated = change(session.profile);
      writeProfileFile(session.dir, updated);
      session.profile = updated;
      return updated;
    },

    /** Replaces the webhook secret; the old URL stops working at once. */
    rotateWebhookSecret(ref: string): string {
      const secret = newWebhookSecret();
      deps.redactor.add(secret);
      writeSetting(this.session(ref).db, WEBHOOK_SECRET_KEY, secret, true, { now: deps.now, actor: 'user' });
      const updated = this.updateProfile(ref, (p) => ({
        ...p,
        webhook: { ...p.webhook, secretSha256: webhookSecretHash(secret) },
      }));
      log.info({ profileId: updated.id }, 'webhook secret rotated');
      return secret;
    },

    isUnlocked(id: string): boolean {
      return sessions.has(id);
    },

    closeAll(): void {
      for (const s of sessions.values()) {
        s.db.close();
        s.dbKey.fill(0);
      }
      sessions.clear();
    },
  };
}

export type Vault = ReturnType<typeof createVault>;
