// Debug: the webhook inbox (status, kind, size, timing, payload viewer, replay), OMI sync status with
// dead letters and conflicts, and the vault's counts.
import { Tabs, Stack, Title } from '@mantine/core';
import { InboxPanel } from './InboxPanel';
import { StatsPanel } from './StatsPanel';
import { SyncPanel } from './SyncPanel';

export function DebugPage() {
  return (
    <Stack gap="md" className="page">
      <Title order={1} size="h2">
        Debug
      </Title>
      <Tabs defaultValue="inbox" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="inbox">Webhook inbox</Tabs.Tab>
          <Tabs.Tab value="sync">Sync</Tabs.Tab>
          <Tabs.Tab value="stats">Stats</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="inbox" pt="md">
          <InboxPanel />
        </Tabs.Panel>
        <Tabs.Panel value="sync" pt="md">
          <SyncPanel />
        </Tabs.Panel>
        <Tabs.Panel value="stats" pt="md">
          <StatsPanel />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
