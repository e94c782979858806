// The ordered list of schema migrations. Append only; versions go in steps of 10.
import type Database from 'better-sqlite3-multiple-ciphers';
import * as initial from './0010-initial';
import * as webhook from './0020-webhook';
import * as sync from './0030-sync';

export interface Migration {
  version: number;
  name: string;
  up: (db: Database.Database) => void;
}

export const migrations: readonly Migration[] = [
  { version: 10, name: 'initial', up: initial.up },
  { version: 20, name: 'webhook', up: webhook.up },
  { version: 30, name: 'sync', up: sync.up },
];

export const LATEST_VERSION = migrations.at(-1)?.version ?? 0;
