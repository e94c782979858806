// Connects the listener to the vault. It routes a secret to its profile (profile.json keeps a hash
// of the secret, so routing works while the vault is locked), applies deliveries to unlocked
// profiles, seals them to the spool for locked ones, drains the spool on unlock, and lists and
// replays inbox entries for the debug page and the CLI.
import { join } from 'node:path';
import { AppError } from '../errors';
import type { Logger, Redactor } from '../logging';
import { getInboxRow, recordFailed } from '../db/repos/inbox';
import { readSetting } from '../db/repos/settings';
import { readProfiles, type ProfileFile } from '../profiles/registry';
import { SPOOL_IDENTITY_KEY, webhookSecretHash, type Session, type Vault } from '../profiles/vault';
import { segmentIndexer } from '../search/segment-index';
import {
  ingestDelivery,
  parseDelivery,
  sha256,
  type IngestOutcome,
  type ParsedBody,
  type RawDelivery,
  type WebhookKind,
} from './ingest';
import type { WebhookTarget } from './listener';
import { verifySignature } from './signature';
import { openSpooled, removeSpooled, sealToSpool, spooledFiles } from './spool';

export interface WebhookServiceDeps {
  dataDir: string;
  vault: Vault;
  now: () => Date;
  logger: Logger;
  redactor: Redactor;
  onIngested(profileId: string, outcome: IngestOutcome, kind: WebhookKind): void;
}

const spoolDir = (s: { dir: string }) => join(s.dir, 'spool');

interface Pending {
  d: RawDelivery;
  body: ParsedBody;
  resolve(outcome: IngestOutcome): void;
  reject(err: unknown): void;
}

function text(db: Session['db'], key: string): string | null {
  const v = readSetting(db, key);
  return typeof v === 'string' ? v : null;
}

export function createWebhookService(deps: WebhookServiceDeps) {
  const log = deps.logger.child({ module: 'webhook' });
  let byHash = new Map<string, ProfileFile>();
  let loadedAt = 0;

  function profiles(): Map<string, ProfileFile> {
    // profile.json changes rarely (creation, rotation, settings); re-read at most once a second.
    if (Date.now() - loadedAt > 1000) {
      byHash = new Map(readProfiles(deps.dataDir).map((p) => [p.webhook.secretSha256, p]));
      loadedAt = Date.now();
    }
    return byHash;
  }

  function signingSecrets(session: Session): string[] {
    const secret = text(session.db, 'webhook.signingSecret');
    return secret ? [secret] : [];
  }

  function parse(d: RawDelivery): ParsedBody {
    const parsed = parseDelivery(d);
    if (!parsed.ok) throw new AppError(parsed.error.code, parsed.error.message);
    return parsed.value;
  }

  function ingest(session: Session, d: RawDelivery, body: ParsedBody, replay = false): IngestOutcome {
    return ingestDelivery(
      session.db,
      d,
      body,
      { now: deps.now, actor: 'webhook' },
      { storeAudio: readSetting(session.db, 'audio.store') === true, replay },
    );
  }

  function apply(session: Session, d: RawDelivery, body: ParsedBody, replay = false): IngestOutcome {
    const outcome = ingest(session, d, body, replay);
    segmentIndexer(session.db).kick();
    deps.onIngested(session.profile.id, outcome, d.kind);
    return outcome;
  }

  // Group commit: deliveries that arrive while a commit is running are applied together in the next
  // turn of the event loop, in one transaction (each in its own savepoint, so one failure does not
  // undo the others) and acknowledged only after that commit. Under load one fsync serves many
  // deliveries; alone, a delivery waits no longer than one setImmediate. Their transcript segments
  // are indexed for search afterwards, in the background (search/segment-index.ts).
  const batches = new Map<Session, Pending[]>();

  function applyGrouped(session: Session, d: RawDelivery, body: ParsedBody): Promise<IngestOutcome> {
    return new Promise((resolve, reject) => {
      let batch = batches.get(session);
      if (!batch) {
        const fresh: Pending[] = [];
        batches.set(session, fresh);
        setImmediate(() => flush(session, fresh));
        batch = fresh;
      }
      batch.push({ d, body, resolve, reject });
    });
  }

  function flush(session: Session, batch: Pending[]): void {
    batches.delete(session);
    const results: ({ ok: true; outcome: IngestOutcome } | { ok: false; err: unknown })[] = [];
    try {
      session.db.transaction(() => {
        for (const p of batch) {
          try {
            results.push({ ok: true, outcome: ingest(session, p.d, p.body) });
          } catch (err) {
            results.push({ ok: false, err });
          }
        }
      })();
    } catch (err) {
      // The commit itself failed (e.g. the profile was locked meanwhile): nothing is durable.
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      const r = results[i]!;
      if (!r.ok) return p.reject(r.err);
      deps.onIngested(session.profile.id, r.outcome, p.d.kind);
      p.resolve(r.outcome);
    });
    segmentIndexer(session.db).kick();
  }

  function target(profile: ProfileFile): WebhookTarget {
    const session = deps.vault.isUnlocked(profile.id) ? deps.vault.session(profile.id) : undefined;
    return {
      boundUid: profile.omiUid,
      signingSecrets: session ? signingSecrets(session) : [],
      requireSignature: profile.webhook.requireSignature,
      async deliver(d) {
        // Validate before anything is written, locked or not.
        const body = parse(d);
        const live = deps.vault.isUnlocked(profile.id) ? deps.vault.session(profile.id) : undefined;
        if (!live) {
          await sealToSpool(
            spoolDir({ dir: join(deps.dataDir, 'profiles', profile.id) }),
            profile.webhook.spoolRecipient,
            d,
          );
          return { status: 202 };
        }
        await applyGrouped(live, d, body);
        return { status: 200, message: text(live.db, 'webhook.replyMessage') ?? undefined };
      },
    };
  }

  return {
    route(secret: string): WebhookTarget | undefined {
      const profile = profiles().get(webhookSecretHash(secret));
      return profile && target(profile);
    },

    /** Every loopback name is always allowed; these are the tunnel hosts the user configured. */
    allowedHosts(): string[] {
      return [...profiles().values()].map((p) => p.webhook.tunnelHost).filter((h): h is string => !!h);
    },

    /** Forget cached profile.json contents (after a rotation or a settings change). */
    invalidate(): void {
      loadedAt = 0;
    },

    /** Ingests, in arrival order, what arrived while the profile was locked. */
    async drainSpool(profileId: string): Promise<{ ingested: number; failed: number }> {
      const session = deps.vault.session(profileId);
      const identity = text(session.db, SPOOL_IDENTITY_KEY);
      if (!identity) throw new AppError('INTERNAL', 'this profile has no spool identity');
      const dir = spoolDir(session);
      let ingested = 0;
      let failed = 0;
      for (const name of spooledFiles(dir)) {
        const d = await openSpooled(dir, name, identity);
        const secrets = signingSecrets(session);
        const check =
          d.signature && secrets.length > 0
            ? verifySignature(d.signature, secrets, d.uid ?? '', d.body, Date.parse(d.receivedAt) / 1000)
            : session.profile.webhook.requireSignature && !d.signature
              ? ({ ok: false, reason: 'missing' } as const)
              : ({ ok: true } as const);
        try {
          if (!check.ok) throw new AppError('UNAUTHORIZED', `signature ${check.reason}`);
          apply(session, d, parse(d));
          ingested++;
        } catch (err) {
          failed++;
          const message = err instanceof AppError ? err.message : 'internal error';
          recordFailed(session.db, {
            kind: d.kind,
            receivedAt: d.receivedAt,
            uid: d.uid,
            key: d.idempotencyHeader ?? `spool:${name}`,
            bodySha256: sha256(d.body),
            size: d.body.length,
            error: message,
          });
          log.warn({ profileId, kind: d.kind, error: message }, 'spooled delivery rejected');
        }
        removeSpooled(dir, name);
      }
      if (ingested + failed > 0) log.info({ profileId, ingested, failed }, 'spool drained');
      return { ingested, failed };
    },

    /** Applies a stored delivery again. Idempotent: the domain writes converge on the same state. */
    replay(profileId: string, inboxId: number): IngestOutcome {
      const session = deps.vault.session(profileId);
      const row = getInboxRow(session.db, inboxId);
      if (!row) throw new AppError('NOT_FOUND', `no inbox entry ${inboxId}`);
      if (!row.body)
        throw new AppError('CONFLICT', 'this entry kept no body (a duplicate or audio); replay the original');
      const d: RawDelivery = {
        kind: row.kind as WebhookKind,
        uid: row.uid,
        sessionId: null,
        sampleRate: null,
        idempotencyHeader: row.idempotencyKey,
        signature: null,
        body: row.body,
        receivedAt: deps.now().toISOString(),
      };
      return apply(session, d, parse(d), true);
    },

    /** A delivery's body for display, pretty-printed with every known secret scrubbed. */
    show(profileId: string, inboxId: number) {
      const row = getInboxRow(deps.vault.session(profileId).db, inboxId);
      if (!row) throw new AppError('NOT_FOUND', `no inbox entry ${inboxId}`);
      const { body, ...meta } = row;
      let payload: string | null = null;
      if (body) {
        try {
          payload = JSON.stringify(JSON.parse(body.toString('utf8')), null, 2);
        } catch {
          payload = body.toString('utf8');
        }
      }
      return { ...meta, payload: payload && deps.redactor.scrub(payload) };
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
