// One memory in the browse list: its text, when, category and tags; restore when in the trash.
import { Badge, Button, Checkbox, Group, Text, UnstyledButton } from '@mantine/core';
import { Link } from '@tanstack/react-router';
import type { Memory } from '../../../shared/models';
import { formatDateTime } from '../app/format';
import { useProfileId } from '../app/profile';
import { useCallMutation } from '../app/query';

export function MemoryRow(props: {
  memory: Memory;
  trash: boolean;
  selected: boolean;
  onToggle: (memory: Memory) => void;
}) {
  const { memory } = props;
  const profileId = useProfileId();
  const restore = useCallMutation('memories.restore', ['memories.list', 'memories.get', 'stats.get']);
  return (
    <Group className="list-row memory" wrap="nowrap" gap="sm">
      <Checkbox
        aria-label={`Select “${memory.content.slice(0, 60)}”`}
        checked={props.selected}
        onChange={() => props.onToggle(memory)}
      />
      <UnstyledButton
        renderRoot={(props) => <Link to="/memory/$memoryId" params={{ memoryId: memory.id }} {...props} />}
        style={{ flex: 1, minWidth: 0 }}
      >
        <Text lineClamp={2} className="memory-content">
          {memory.content}
        </Text>
        <Group gap={6} mt={4}>
          <Text size="xs" c="dimmed">
            {formatDateTime(memory.createdAt)} · {memory.category}
            {memory.visibility === 'public' ? ' · public' : ''}
          </Text>
          {memory.tags.map((tag) => (
            <Badge key={tag} size="xs" variant="light" className="tag">
              {tag}
            </Badge>
          ))}
        </Group>
      </UnstyledButton>
      {props.trash && (
        <Button
          size="xs"
          variant="default"
          loading={restore.isPending}
          onClick={() => restore.mutate({ profileId, id: memory.id })}
          aria-label={`Restore “${memory.content.slice(0, 40)}”`}
        >
          Restore
        </Button>
      )}
    </Group>
  );
}
