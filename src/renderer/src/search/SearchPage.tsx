// Search: keyword, semantic or hybrid over memories, conversations and transcript segments, with
// highlighted snippets, a jump to the transcript second, and an "explain" view of the scores.
// Ctrl/Cmd+K (app/Shell.tsx) lands here with the box focused.
import {
  Alert,
  Anchor,
  Badge,
  Card,
  Chip,
  Code,
  Collapse,
  Group,
  Mark,
  SegmentedControl,
  Stack,
  Switch,
  Text,
  TextInput,
  Title,
  UnstyledButton,
} from '@mantine/core';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import type { SearchHit, SearchKind, SearchMode } from '../../../shared/models';
import { formatDateTime, formatOffset } from '../app/format';
import { useProfileId } from '../app/profile';
import { useCall } from '../app/query';
import { Empty, ErrorState, LoadingRows } from '../app/states';
import { splitHighlights } from './highlight';

const KINDS: { value: SearchKind; label: string }[] = [
  { value: 'memory', label: 'Memories' },
  { value: 'conversation', label: 'Conversations' },
  { value: 'segment', label: 'Transcript' },
];

export function SearchPage() {
  const profileId = useProfileId();
  const [text, setText] = useState('');
  const [mode, setMode] = useState<SearchMode>('keyword');
  const [kinds, setKinds] = useState<string[]>(KINDS.map((k) => k.value));
  const [includeTrash, setIncludeTrash] = useState(false);
  const [typed] = useDebouncedValue(text, 200);
  const query = typed.trim();
  // Type-ahead: the last word is a prefix until a space says it is finished.
  const prefix = !/\s$/u.test(typed);

  const input = {
    profileId,
    query,
    prefix,
    mode,
    filters: { includeTrash, kinds: kinds as SearchKind[] },
    limit: 50,
  };
  const results = useCall('search.query', input, {
    enabled: query !== '' && kinds.length > 0,
    // Keep the last results on screen while the next keystroke's arrive: no flicker, no jump.
    placeholderData: (previous) => previous,
  });

  return (
    <Stack gap="md" className="page">
      <Title order={1} size="h2">
        Search
      </Title>
      <TextInput
        id="omnibox"
        aria-label="Search"
        placeholder="Search memories and conversations (Ctrl+K)"
        size="md"
        autoFocus
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
      />
      <Group gap="md">
        <SegmentedControl
          aria-label="Search mode"
          value={mode}
          onChange={(v) => setMode(v)}
          data={[
            { value: 'keyword', label: 'Keyword' },
            { value: 'semantic', label: 'Semantic' },
            { value: 'hybrid', label: 'Hybrid' },
          ]}
        />
        <Chip.Group multiple value={kinds} onChange={setKinds}>
          <Group gap={6}>
            {KINDS.map((k) => (
              <Chip key={k.value} value={k.value} size="sm">
                {k.label}
              </Chip>
            ))}
          </Group>
        </Chip.Group>
        <Switch
          label="Include trash"
          checked={includeTrash}
          onChange={(e) => setIncludeTrash(e.currentTarget.checked)}
        />
      </Group>
      {results.data?.notice && (
        <Alert color="yellow" role="status">
          {results.data.notice}
        </Alert>
      )}
      {results.error && <ErrorState error={results.error} />}
      {query === '' && <Empty>Type to search.</Empty>}
      {query !== '' && results.isPending && <LoadingRows rows={4} height={64} />}
      {query !== '' && results.data?.items.length === 0 && <Empty>Nothing matches “{query}”.</Empty>}
      <Stack gap="xs" aria-label="Results" role="list">
        {query !== '' && results.data?.items.map((hit) => <Result key={`${hit.kind}:${hit.id}`} hit={hit} />)}
      </Stack>
    </Stack>
  );
}

function Result(props: { hit: SearchHit }) {
  const { hit } = props;
  const [explaining, { toggle }] = useDisclosure(false);
  const snippet = splitHighlights(hit.snippet.text, hit.snippet.highlights).map((part, i) =>
    part.hit ? <Mark key={i}>{part.text}</Mark> : <span key={i}>{part.text}</span>,
  );
  const conversationId = hit.conversationId ?? hit.id;
  return (
    <Card withBorder padding="sm" role="listitem" className="search-hit">
      <UnstyledButton
        display="block"
        renderRoot={(p) =>
          hit.kind === 'memory' ? (
            <Link to="/memory/$memoryId" params={{ memoryId: hit.id }} {...p} />
          ) : (
            <Link
              to="/conversation/$conversationId"
              params={{ conversationId }}
              search={hit.kind === 'segment' && hit.startS !== null ? { t: hit.startS } : {}}
              {...p}
            />
          )
        }
      >
        <Group gap="xs" mb={2}>
          <Badge size="xs" variant="light">
            {hit.kind === 'segment' ? 'transcript' : hit.kind}
          </Badge>
          {hit.title && (
            <Text size="sm" fw={600} truncate>
              {hit.title}
            </Text>
          )}
          {hit.kind === 'segment' && hit.startS !== null && (
            <Text size="xs" c="dimmed">
              at {formatOffset(hit.startS)}
            </Text>
          )}
          <Text size="xs" c="dimmed" ml="auto">
            {formatDateTime(hit.at)}
          </Text>
        </Group>
        <Text size="sm">{snippet}</Text>
      </UnstyledButton>
      <Anchor component="button" type="button" size="xs" onClick={toggle} aria-expanded={explaining} mt={4}>
        {explaining ? 'Hide score' : 'Explain score'}
      </Anchor>
      <Collapse expanded={explaining}>
        <Code block mt={4}>
          {[
            `score ${hit.score.toFixed(4)}`,
            hit.explain.keyword
              ? `keyword: rank ${hit.explain.keyword.rank}, bm25 ${hit.explain.keyword.bm25.toFixed(3)}`
              : 'keyword: no match',
            hit.explain.vector
              ? `vector: rank ${hit.explain.vector.rank}, distance ${hit.explain.vector.distance.toFixed(4)}`
              : 'vector: not used',
            hit.explain.fused !== null ? `fused (RRF): ${hit.explain.fused.toFixed(4)}` : null,
            hit.explain.filters.length ? `filters: ${hit.explain.filters.join(', ')}` : null,
            hit.explain.capped ? 'a very common query: only its newest matches were ranked' : null,
          ]
            .filter(Boolean)
            .join('\n')}
        </Code>
      </Collapse>
    </Card>
  );
}
