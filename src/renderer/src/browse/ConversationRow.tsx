// One conversation in the timeline, with a day heading when it starts a new day.
import { Badge, Group, Text, UnstyledButton } from '@mantine/core';
import { Link } from '@tanstack/react-router';
import dayjs from 'dayjs';
import type { ConversationSummary } from '../../../shared/models';
import { dayKey, formatDay } from '../app/format';

const when = (c: ConversationSummary) => c.startedAt ?? c.createdAt;

export function ConversationRow(props: {
  conversation: ConversationSummary;
  previous: ConversationSummary | undefined;
}) {
  const { conversation: c, previous } = props;
  const newDay = !previous || dayKey(when(previous)) !== dayKey(when(c));
  return (
    <>
      {newDay && (
        <div className="day-header" role="heading" aria-level={2}>
          {formatDay(when(c))}
        </div>
      )}
      <UnstyledButton
        renderRoot={(props) => <Link to="/conversation/$conversationId" params={{ conversationId: c.id }} {...props} />}
        className="list-row conversation"
        display="block"
      >
        <Group gap="xs" wrap="nowrap">
          <Text span aria-hidden>
            {c.emoji ?? '💬'}
          </Text>
          <Text fw={600} truncate style={{ flex: 1 }}>
            {c.title || 'Untitled conversation'}
          </Text>
          {c.starred && (
            <Badge size="xs" color="yellow" variant="light">
              starred
            </Badge>
          )}
          <Badge size="xs" variant="outline">
            {c.category}
          </Badge>
          <Text size="xs" c="dimmed">
            {dayjs(when(c)).format('HH:mm')}
          </Text>
        </Group>
        <Text size="sm" c="dimmed" lineClamp={1}>
          {c.overview}
        </Text>
      </UnstyledButton>
    </>
  );
}
