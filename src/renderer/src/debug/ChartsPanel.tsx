// Charts of the last hour (one point per 10 s, kept in memory by the main process): webhook ingest
// latency (p50 and p99 of the deliveries in each interval) and queue depths (the embedding queue,
// the transcript search index and each OMI sync queue). Each chart is a labelled figure with a text
// summary of its newest point, so the numbers are there without the picture.
import { Card, Stack, Text, Title } from '@mantine/core';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { MetricsSample } from '../../../shared/models';
import { useProfileId } from '../app/profile';
import { useCall } from '../app/query';
import { Empty, ErrorState, LoadingRows } from '../app/states';

const REFRESH_MS = 10_000;
const COLORS = ['teal', 'grape', 'orange', 'cyan', 'pink', 'lime'].map((c) => `var(--mantine-color-${c}-6)`);

export interface ChartSeries {
  key: string;
  label: string;
}

/** Rows for recharts: the time label plus one numeric field per line; latency gaps stay null. */
export function chartRows(samples: readonly MetricsSample[]) {
  const syncKinds = [...new Set(samples.flatMap((s) => Object.keys(s.outbox)))].filter((k) => k !== 'embed').sort();
  const queues: ChartSeries[] = [
    { key: 'embedding', label: 'Embedding queue' },
    { key: 'segments', label: 'Transcript index backlog' },
    ...syncKinds.map((k) => ({ key: `outbox:${k}`, label: `Sync queue: ${k}` })),
  ];
  const rows = samples.map((s) => ({
    time: new Date(s.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }),
    p50: s.ingestP50Ms === null ? null : Math.round(s.ingestP50Ms * 10) / 10,
    p99: s.ingestP99Ms === null ? null : Math.round(s.ingestP99Ms * 10) / 10,
    deliveries: s.deliveries,
    embedding: s.embeddingBacklog,
    segments: s.segmentBacklog,
    ...Object.fromEntries(syncKinds.map((k) => [`outbox:${k}`, s.outbox[k] ?? 0])),
  }));
  return { rows, queues };
}

type Row = ReturnType<typeof chartRows>['rows'][number];

function Chart(props: { id: string; title: string; summary: string; unit: string; rows: Row[]; lines: ChartSeries[] }) {
  return (
    <Card withBorder component="figure" m={0} aria-labelledby={`${props.id}-title`} className="metrics-chart">
      <Title order={2} size="h4" id={`${props.id}-title`}>
        {props.title}
      </Title>
      <Text size="sm" c="dimmed" component="figcaption" mb="xs">
        {props.summary}
      </Text>
      <LineChart
        responsive
        style={{ width: '100%', height: 240 }}
        data={props.rows}
        title={props.title}
        desc={props.summary}
        margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
      >
        <CartesianGrid strokeDasharray="3 3" stroke="var(--mantine-color-default-border)" />
        <XAxis dataKey="time" minTickGap={32} tick={{ fontSize: 12 }} />
        <YAxis unit={props.unit} width={64} tick={{ fontSize: 12 }} allowDecimals={props.unit !== ''} />
        <Tooltip />
        <Legend />
        {props.lines.map((l, i) => (
          <Line
            key={l.key}
            type="monotone"
            dataKey={l.key}
            name={l.label}
            stroke={COLORS[i % COLORS.length]}
            dot={props.rows.length < 2}
            isAnimationActive={false}
            connectNulls
          />
        ))}
      </LineChart>
    </Card>
  );
}

export function ChartsPanel() {
  const profileId = useProfileId();
  const series = useCall('metrics.series', { profileId }, { refetchInterval: REFRESH_MS, staleTime: 0 });
  if (series.error) return <ErrorState error={series.error} />;
  if (!series.data) return <LoadingRows rows={2} height={240} />;
  const { samples, intervalMs } = series.data;
  if (samples.length === 0) return <Empty>No samples yet.</Empty>;
  const { rows, queues } = chartRows(samples);
  const last = rows.at(-1)!;
  const latency =
    last.p50 === null
      ? `No deliveries in the last ${intervalMs / 1000} s.`
      : `Last ${intervalMs / 1000} s: ${last.deliveries} deliveries, p50 ${last.p50} ms, p99 ${last.p99} ms.`;
  const depth = `Now: ${queues.map((q) => `${q.label.toLowerCase()} ${String(last[q.key as keyof Row] ?? 0)}`).join(', ')}.`;
  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed">
        The last hour, one point every {intervalMs / 1000} s; kept in memory since the profile was unlocked.
      </Text>
      <Chart
        id="ingest-latency"
        title="Webhook ingest latency"
        summary={latency}
        unit=" ms"
        rows={rows}
        lines={[
          { key: 'p50', label: 'p50' },
          { key: 'p99', label: 'p99' },
        ]}
      />
      <Chart id="queue-depth" title="Queue depth" summary={depth} unit="" rows={rows} lines={queues} />
    </Stack>
  );
}
