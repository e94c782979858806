// Schema v60: vectors that semantic search can read back cheaply.
//   - embedding_vectors: each embedding's float32 vector as a plain BLOB keyed by the embeddings pk.
//     Re-scoring a candidate from it is one B-tree lookup and one page; the same lookup in vec0 reads
//     and decrypts a chunk of 1,024 vectors (~6 ms each in an encrypted vault). It is a table of its
//     own so the embeddings rows stay small (the index build below scans them).
//   - embeddings.code: the vector's 96-byte binary code (search/vectors.ts), what the in-memory index
//     holds, so opening a vault builds its index from ~100 bytes per vector instead of 3 KB.
// vec_embeddings stays: search/vectors.ts writeVector keeps all three in step. Existing vectors are
// copied over and coded here.
import type Database from 'better-sqlite3-multiple-ciphers';
import { binaryCode, codeBytes, vectorFrom } from '../../search/vectors';

const sql = /* sql */ `
ALTER TABLE embeddings ADD COLUMN code BLOB;
CREATE TABLE embedding_vectors (
  pk INTEGER PRIMARY KEY,
  vector BLOB NOT NULL
);
-- How many vectors a model has, and the index build's scan, without reading every embeddings row.
CREATE INDEX embeddings_by_model ON embeddings (model);
CREATE TRIGGER embeddings_vectors_delete AFTER DELETE ON embeddings BEGIN
  DELETE FROM embedding_vectors WHERE pk = old.pk;
END;
`;

const PAGE = 1_000;

export function up(db: Database.Database): void {
  db.exec(sql);
  const page = db.prepare(
    'SELECT e.pk AS pk, v.embedding AS embedding FROM embeddings e JOIN vec_embeddings v ON v.rowid = e.pk WHERE e.pk > ? ORDER BY e.pk LIMIT ?',
  );
  const insert = db.prepare('INSERT INTO embedding_vectors (pk, vector) VALUES (?, ?)');
  const setCode = db.prepare('UPDATE embeddings SET code = ? WHERE pk = ?');
  // Paged rather than iterated: a connection cannot write while one of its statements is iterating.
  for (let after = 0; ;) {
    const rows = page.all(after, PAGE) as { pk: number; embedding: Buffer }[];
    if (rows.length === 0) break;
    for (const r of rows) {
      insert.run(r.pk, r.embedding);
      setCode.run(codeBytes(binaryCode(vectorFrom(r.embedding))), r.pk);
    }
    after = rows.at(-1)!.pk;
  }
}
