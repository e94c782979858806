import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { tempDir } from '../../../../test/support/core';
import { binaryCode, CODE_WORDS, vectorFrom } from '../../search/vectors';
import { openDatabase } from '../open';
import { migrations } from '.';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.remove());

const unit = (seed: number) => {
  const v = Float32Array.from({ length: 768 }, (_, i) => Math.sin(seed * 31 + i * (seed + 1)));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

test('v50 -> v60 copies every stored vector into embedding_vectors and codes it', () => {
  const key = randomBytes(32);
  const path = join(dir.path, 'memory.db');
  const snapshotDir = join(dir.path, 'backups');
  const v50 = openDatabase(path, key, { snapshotDir, migrations: migrations.filter((m) => m.version <= 50) });
  const now = new Date().toISOString();
  const vectors = [unit(1), unit(2), unit(3)];
  v50.transaction(() => {
    vectors.forEach((v, i) => {
      const item = v50
        .prepare(
          "INSERT INTO memories (id, content, category, origin, created_at, updated_at) VALUES (?, 'x', 'system', 'sync', ?, ?)",
        )
        .run(`m${i}`, now, now).lastInsertRowid;
      const pk = v50
        .prepare(
          "INSERT INTO embeddings (kind, item_pk, model, dims, content_hash, created_at) VALUES ('memory', ?, 'hashed:bow-sha1@768', 768, 'h', ?)",
        )
        .run(item, now).lastInsertRowid;
      v50.prepare('INSERT INTO vec_embeddings (rowid, embedding) VALUES (?, ?)').run(BigInt(pk), Buffer.from(v.buffer));
    });
  })();
  v50.close();

  const db = openDatabase(path, key, { snapshotDir, migrations: migrations.filter((m) => m.version <= 60) });
  const rows = db
    .prepare('SELECT e.pk, e.code, v.vector FROM embeddings e JOIN embedding_vectors v ON v.pk = e.pk ORDER BY e.pk')
    .all() as { pk: number; code: Buffer; vector: Buffer }[];
  expect(rows).toHaveLength(3);
  rows.forEach((r, i) => {
    expect(vectorFrom(r.vector)).toEqual(vectors[i]);
    expect(r.code.byteLength).toBe(CODE_WORDS * 4);
    expect(r.code).toEqual(Buffer.from(binaryCode(vectors[i]!).buffer));
  });
  // Codes differ between different vectors.
  expect(rows[0]!.code.equals(rows[1]!.code)).toBe(false);
  // Removing an embedding removes its plain vector too.
  db.prepare("DELETE FROM memories WHERE id = 'm0'").run();
  expect(db.prepare('SELECT count(*) AS n FROM embedding_vectors').get()).toEqual({ n: 2 });
  expect(db.prepare('SELECT count(*) AS n FROM vec_embeddings').get()).toEqual({ n: 2 });
  db.close();
});
