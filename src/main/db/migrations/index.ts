// The ordered list of schema migrations. Append only; versions go in steps of 10.
import type Database from 'better-sqlite3-multiple-ciphers';
import * as initial from './0010-initial';
import * as webhook from './0020-webhook';
import * as sync from './0030-sync';
import * as segmentIndex from './0040-segment-index';
import * as embeddingUsage from './0050-embedding-usage';
import * as vectors from './0060-vectors';
import * as actionItemSync from './0070-action-item-sync';
import * as ftsPrefix from './0080-fts-prefix';

export interface Migration {
  version: number;
  name: string;
  up: (db: Database.Database) => void;
}

export const migrations: readonly Migration[] = [
  { version: 10, name: 'initial', up: initial.up },
  { version: 20, name: 'webhook', up: webhook.up },
  { version: 30, name: 'sync', up: sync.up },
  { version: 40, name: 'segment-index', up: segmentIndex.up },
  { version: 50, name: 'embedding-usage', up: embeddingUsage.up },
  { version: 60, name: 'vectors', up: vectors.up },
  { version: 70, name: 'action-item-sync', up: actionItemSync.up },
  { version: 80, name: 'fts-prefix', up: ftsPrefix.up },
];

export const LATEST_VERSION = migrations.at(-1)?.version ?? 0;
