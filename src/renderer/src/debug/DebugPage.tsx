// Debug: the webhook inbox (status, kind, size, timing, payload viewer, replay), OMI sync status with
// dead letters and conflicts, the embedding queue and budget, the doctor report, the log viewer and
// the vault's counts, and charts of ingest latency and queue depth over the last hour.
import { Tabs, Stack, Title } from '@mantine/core';
import { ChartsPanel } from './ChartsPanel';
import { DoctorPanel } from './DoctorPanel';
import { EmbeddingPanel } from './EmbeddingPanel';
import { InboxPanel } from './InboxPanel';
import { LogPanel } from './LogPanel';
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
          <Tabs.Tab value="embedding">Embeddings</Tabs.Tab>
          <Tabs.Tab value="doctor">Doctor</Tabs.Tab>
          <Tabs.Tab value="logs">Log</Tabs.Tab>
          <Tabs.Tab value="stats">Stats</Tabs.Tab>
          <Tabs.Tab value="charts">Charts</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="inbox" pt="md">
          <InboxPanel />
        </Tabs.Panel>
        <Tabs.Panel value="sync" pt="md">
          <SyncPanel />
        </Tabs.Panel>
        <Tabs.Panel value="embedding" pt="md">
          <EmbeddingPanel />
        </Tabs.Panel>
        <Tabs.Panel value="doctor" pt="md">
          <DoctorPanel />
        </Tabs.Panel>
        <Tabs.Panel value="logs" pt="md">
          <LogPanel />
        </Tabs.Panel>
        <Tabs.Panel value="stats" pt="md">
          <StatsPanel />
        </Tabs.Panel>
        <Tabs.Panel value="charts" pt="md">
          <ChartsPanel />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
