// One memory in the browse list: its text, when, category and tags; restore when in the trash.
// Rows are plain elements with CSS classes rather than kit components, and memoized: a 100,000-row
// list re-renders its visible rows on every scroll frame, and each kit component costs style work
// (bench/browse.bench.ts measured it). Every row has the same height (ROW_HEIGHT), so the list needs
// no per-row measuring.
import { Button } from '@mantine/core';
import { Link } from '@tanstack/react-router';
import { memo } from 'react';
import type { Memory } from '../../../shared/models';
import { formatDateTime } from '../app/format';
import { useProfileId } from '../app/profile';
import { useCallMutation } from '../app/query';

export const MEMORY_ROW_HEIGHT = 76;

export const MemoryRow = memo(function MemoryRow(props: {
  memory: Memory;
  trash: boolean;
  selected: boolean;
  onToggle: (memory: Memory) => void;
}) {
  const { memory } = props;
  return (
    <div className="list-row memory" style={{ height: MEMORY_ROW_HEIGHT }}>
      <input
        type="checkbox"
        className="row-check"
        aria-label={`Select “${memory.content.slice(0, 60)}”`}
        checked={props.selected}
        onChange={() => props.onToggle(memory)}
      />
      <Link to="/memory/$memoryId" params={{ memoryId: memory.id }} className="row-link">
        <p className="memory-content">{memory.content}</p>
        <p className="row-meta">
          <span>
            {formatDateTime(memory.createdAt)} · {memory.category}
            {memory.visibility === 'public' ? ' · public' : ''}
          </span>
          {memory.tags.map((tag) => (
            <span key={tag} className="tag">
              {tag}
            </span>
          ))}
        </p>
      </Link>
      {props.trash && <RestoreButton memory={memory} />}
    </div>
  );
});

function RestoreButton(props: { memory: Memory }) {
  const profileId = useProfileId();
  const restore = useCallMutation('memories.restore', ['memories.list', 'memories.get', 'stats.get']);
  return (
    <Button
      size="xs"
      variant="default"
      loading={restore.isPending}
      onClick={() => restore.mutate({ profileId, id: props.memory.id })}
      aria-label={`Restore “${props.memory.content.slice(0, 40)}”`}
    >
      Restore
    </Button>
  );
}
