// One conversation in the timeline, with a day heading when it starts a new day. Plain elements and
// memoized, like MemoryRow, so scrolling a long timeline re-renders little. Every row has the same
// height (CONVERSATION_ROW_HEIGHT): the day heading sits in a left column beside the day's first row
// instead of above it, so the list needs no measuring (see VirtualList) at 100,000 conversations.
import { Link } from '@tanstack/react-router';
import dayjs from 'dayjs';
import { memo } from 'react';
import type { ConversationSummary } from '../../../shared/models';
import { dayKey, formatDay } from '../app/format';

const when = (c: ConversationSummary) => c.startedAt ?? c.createdAt;

export const CONVERSATION_ROW_HEIGHT = 64;

export const ConversationRow = memo(function ConversationRow(props: {
  conversation: ConversationSummary;
  previous: ConversationSummary | undefined;
}) {
  const { conversation: c, previous } = props;
  const newDay = !previous || dayKey(when(previous)) !== dayKey(when(c));
  return (
    <div className="timeline-row">
      {newDay ? (
        <div className="day-header" role="heading" aria-level={2}>
          {formatDay(when(c))}
        </div>
      ) : (
        <div className="day-header" aria-hidden="true" />
      )}
      <Link to="/conversation/$conversationId" params={{ conversationId: c.id }} className="list-row conversation">
        <span className="row-title">
          <span aria-hidden="true">{c.emoji ?? '💬'}</span>
          <span className="row-title-text">{c.title || 'Untitled conversation'}</span>
          {c.starred && <span className="tag tag-starred">starred</span>}
          <span className="tag tag-outline">{c.category}</span>
          <span className="row-meta">{dayjs(when(c)).format('HH:mm')}</span>
        </span>
        <span className="row-overview">{c.overview}</span>
      </Link>
    </div>
  );
});
