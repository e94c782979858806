// The conversation page's secondary sections: where it happened, what OMI apps made of it, the
// memories extracted from it (each links to its page) and the payload as it was received. The raw
// payload is read-only text in a bounded, keyboard-scrollable box, shown on request; payloads hold no
// secrets.
import { Anchor, Button, Card, Code, Group, List, ScrollArea, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link } from '@tanstack/react-router';
import type { ConversationDetail } from '../../../shared/models';

/** "52.52000, 13.40500" style coordinates, or null when either is missing. */
export function formatCoordinates(location: NonNullable<ConversationDetail['location']>): string | null {
  const { latitude, longitude } = location;
  if (latitude === null || longitude === null) return null;
  return `${latitude.toFixed(5)}, ${longitude.toFixed(5)}`;
}

export function LocationCard(props: { location: NonNullable<ConversationDetail['location']> }) {
  const coordinates = formatCoordinates(props.location);
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb={4}>
        Location
      </Title>
      {props.location.address && <Text>{props.location.address}</Text>}
      {coordinates && (
        <Text size="sm" c="dimmed" style={{ fontVariantNumeric: 'tabular-nums' }}>
          {coordinates}
        </Text>
      )}
    </Card>
  );
}

export function AppResults(props: { results: ConversationDetail['appResults'] }) {
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="xs">
        App results
      </Title>
      <Stack gap="sm">
        {props.results.map((r, i) => (
          <div key={i} className="app-result">
            <Text size="xs" c="dimmed">
              {r.appId ? `App ${r.appId}` : 'App'}
            </Text>
            <Text style={{ whiteSpace: 'pre-wrap' }}>{r.content}</Text>
          </div>
        ))}
      </Stack>
    </Card>
  );
}

export function ExtractedMemories(props: { memories: ConversationDetail['memories'] }) {
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="xs">
        Memories from this conversation
      </Title>
      <List spacing={4}>
        {props.memories.map((m) => (
          <List.Item key={m.id}>
            <Anchor renderRoot={(p) => <Link to="/memory/$memoryId" params={{ memoryId: m.id }} {...p} />}>
              {m.content}
            </Anchor>{' '}
            <Text span size="xs" c="dimmed">
              {m.category}
            </Text>
          </List.Item>
        ))}
      </List>
    </Card>
  );
}

/** Collapsed until asked for: a payload can be long, and its text repeats what the page shows. */
export function RawPayload(props: { raw: string }) {
  const [open, setOpen] = useState(false);
  return (
    <Card withBorder>
      <Group justify="space-between">
        <Title order={2} size="h4" id="raw-payload-title">
          Raw payload
        </Title>
        <Button variant="default" size="xs" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
          {open ? 'Hide raw payload' : 'Show raw payload'}
        </Button>
      </Group>
      {open && (
        <ScrollArea.Autosize
          mah={420}
          mt="xs"
          type="auto"
          viewportProps={{ tabIndex: 0, role: 'region', 'aria-labelledby': 'raw-payload-title' }}
        >
          <Code block className="raw-payload">
            {props.raw}
          </Code>
        </ScrollArea.Autosize>
      )}
    </Card>
  );
}
