// The debug charts: samples become chart rows (latency gaps stay empty, every sync queue gets a line)
// and the panel shows two labelled figures whose captions state the newest numbers.
import { screen } from '@testing-library/react';
import { describe, expect, test } from 'vitest';
import type { MetricsSample } from '../../../shared/models';
import { ADA, fakeBridge, renderUi } from '../../test/render';
import { chartRows, ChartsPanel } from './ChartsPanel';

const sample = (at: string, extra: Partial<MetricsSample> = {}): MetricsSample => ({
  at,
  deliveries: 0,
  ingestP50Ms: null,
  ingestP99Ms: null,
  outbox: {},
  embeddingBacklog: 0,
  segmentBacklog: 0,
  ...extra,
});

const SAMPLES = [
  sample('2026-03-01T10:00:00.000Z', { outbox: { embed: 5 }, embeddingBacklog: 5 }),
  sample('2026-03-01T10:00:10.000Z', {
    deliveries: 12,
    ingestP50Ms: 1.234,
    ingestP99Ms: 9.87,
    outbox: { embed: 3, memory: 2 },
    embeddingBacklog: 3,
    segmentBacklog: 40,
  }),
];

describe('chart rows', () => {
  test('latency without deliveries is a gap; each sync queue kind gets its own line', () => {
    const { rows, queues } = chartRows(SAMPLES);
    expect(queues.map((q) => q.label)).toEqual(['Embedding queue', 'Transcript index backlog', 'Sync queue: memory']);
    expect(rows.map((r) => [r.p50, r.p99, r.embedding, r.segments, r['outbox:memory' as keyof typeof r]])).toEqual([
      [null, null, 5, 0, 0],
      [1.2, 9.9, 3, 40, 2],
    ]);
  });
});

describe('charts panel', () => {
  test('two labelled figures with the newest numbers in their captions', async () => {
    const bridge = fakeBridge(() => ({ intervalMs: 10_000, samples: SAMPLES }));
    renderUi(<ChartsPanel />, { profile: ADA });
    const latency = await screen.findByRole('figure', { name: 'Webhook ingest latency' });
    expect(latency.textContent).toContain('Last 10 s: 12 deliveries, p50 1.2 ms, p99 9.9 ms.');
    const depth = screen.getByRole('figure', { name: 'Queue depth' });
    expect(depth.textContent).toContain('Now: embedding queue 3, transcript index backlog 40, sync queue: memory 2.');
    expect(bridge.calls[0]).toEqual({ channel: 'metrics.series', input: { profileId: ADA.id } });
  });

  test('an empty series says so', async () => {
    fakeBridge(() => ({ intervalMs: 10_000, samples: [] }));
    renderUi(<ChartsPanel />, { profile: ADA });
    expect(await screen.findByText('No samples yet.')).toBeTruthy();
  });
});
