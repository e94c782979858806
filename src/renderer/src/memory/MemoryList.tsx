// The memory list of one profile: add, edit, delete (to the trash), restore from the trash, page through.
import { useState, type FormEvent } from 'react';
import type { Memory } from '../../../shared/models';
import { call, describeError } from '../client';
import { useLoad } from '../use-load';

const PAGE = 50;

export function MemoryList(props: { profileId: string; onChanged: () => void }) {
  const { profileId } = props;
  const [trash, setTrash] = useState(false);
  const [limit, setLimit] = useState(PAGE);
  const memories = useLoad(
    () => call('memories.list', { profileId, trash, limit, offset: 0 }),
    `${profileId}:${trash}:${limit}`,
  );
  const [content, setContent] = useState('');
  const [tags, setTags] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState<{ id: string; content: string } | null>(null);

  async function run(action: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await action();
      memories.reload();
      props.onChanged();
      return true;
    } catch (err) {
      setError(describeError(err));
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function add(event: FormEvent) {
    event.preventDefault();
    const tagList = tags
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const added = await run(() => call('memories.create', { profileId, content, tags: tagList }));
    if (added) {
      setContent('');
      setTags('');
    }
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    if (!editing) return;
    const { id, content: text } = editing;
    if (await run(() => call('memories.update', { profileId, id, content: text }))) setEditing(null);
  }

  const remove = (memory: Memory) => void run(() => call('memories.delete', { profileId, id: memory.id }));
  const restore = (memory: Memory) => void run(() => call('memories.restore', { profileId, id: memory.id }));

  const page = memories.data;
  return (
    <section className="card">
      <div className="row spread">
        <h2>{trash ? 'Trash' : 'Memories'}</h2>
        <button type="button" onClick={() => setTrash(!trash)}>
          {trash ? 'Back to memories' : 'Show trash'}
        </button>
      </div>
      {!trash && (
        <form className="form" onSubmit={(e) => void add(e)}>
          <label>
            New memory
            <textarea rows={3} maxLength={10_000} value={content} onChange={(e) => setContent(e.target.value)} />
          </label>
          <label>
            <span>
              Tags <span className="muted small">(comma separated, optional)</span>
            </span>
            <input value={tags} onChange={(e) => setTags(e.target.value)} />
          </label>
          <div className="actions">
            <button type="submit" className="primary" disabled={busy || content.trim() === ''}>
              Add memory
            </button>
          </div>
        </form>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {memories.error !== undefined && <p className="error">{describeError(memories.error)}</p>}
      {page && (
        <p className="muted small">
          {page.total === 0
            ? trash
              ? 'The trash is empty.'
              : 'No memories yet.'
            : `Showing ${page.items.length} of ${page.total}`}
        </p>
      )}
      <ul className="memory-list">
        {page?.items.map((memory) => (
          <li key={memory.id} className="memory">
            {editing?.id === memory.id ? (
              <form className="form" onSubmit={(e) => void save(e)}>
                <textarea
                  aria-label="Edit memory"
                  rows={3}
                  maxLength={10_000}
                  value={editing.content}
                  onChange={(e) => setEditing({ id: memory.id, content: e.target.value })}
                />
                <div className="actions">
                  <button type="button" onClick={() => setEditing(null)}>
                    Cancel
                  </button>
                  <button type="submit" className="primary" disabled={busy || editing.content.trim() === ''}>
                    Save
                  </button>
                </div>
              </form>
            ) : (
              <p className="memory-content">{memory.content}</p>
            )}
            <div className="row spread">
              <span className="muted small">
                {new Date(memory.createdAt).toLocaleString()} · {memory.category}
                {memory.tags.map((tag) => (
                  <span key={tag} className="tag">
                    {tag}
                  </span>
                ))}
              </span>
              {trash ? (
                <button type="button" disabled={busy} onClick={() => restore(memory)}>
                  Restore
                </button>
              ) : (
                <div className="actions">
                  <button
                    type="button"
                    disabled={busy || editing?.id === memory.id}
                    onClick={() => setEditing({ id: memory.id, content: memory.content })}
                  >
                    Edit
                  </button>
                  <button type="button" className="danger" disabled={busy} onClick={() => remove(memory)}>
                    Delete
                  </button>
                </div>
              )}
            </div>
          </li>
        ))}
      </ul>
      {page && page.items.length < page.total && (
        <div className="actions">
          <button type="button" onClick={() => setLimit(limit + PAGE)} disabled={memories.loading}>
            Show more
          </button>
        </div>
      )}
    </section>
  );
}
