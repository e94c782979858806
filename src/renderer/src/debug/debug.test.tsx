// Debug panels over a fake bridge: the embedding queue says why it is paused and how much of the
// budget is spent; the doctor report lists every check and its verdict.
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test } from 'vitest';
import type { EmbeddingStatus } from '../../../shared/models';
import { ADA, fakeBridge, renderUi } from '../../test/render';
import { DoctorPanel } from './DoctorPanel';
import { EmbeddingPanel } from './EmbeddingPanel';
import { LogPanel } from './LogPanel';

const STATUS: EmbeddingStatus = {
  provider: 'gemini',
  model: 'gemini:gemini-embedding-001@768',
  scheduled: true,
  running: false,
  breaker: 'closed',
  backlog: 1234,
  deadLetters: 2,
  nextAttemptAt: null,
  today: { calls: 7, characters: 9000 },
  budget: { dailyCharacters: 10_000, remaining: 1000 },
  paused: 'budget',
  progress: {
    embedded: 50,
    vectors: 4321,
    sweeping: false,
    lastSweepAt: null,
    lastRunAt: null,
    lastSuccessAt: null,
  },
  lastError: null,
};

describe('embedding panel', () => {
  test('shows the backlog, the budget spent and why the queue is paused', async () => {
    fakeBridge(() => STATUS);
    renderUi(<EmbeddingPanel />, { profile: ADA });
    expect(await screen.findByText('1,234')).toBeTruthy();
    expect(screen.getByText(/today's character budget is spent/)).toBeTruthy();
    expect(screen.getByText(/9,000 of 10,000 characters sent today/)).toBeTruthy();
    expect(screen.getByRole('progressbar', { name: 'Characters sent today against the daily budget' })).toBeTruthy();
  });

  test('without a provider it says search runs on keywords only', async () => {
    fakeBridge(() => ({ ...STATUS, provider: null, model: null, budget: null, paused: 'no-provider' }));
    renderUi(<EmbeddingPanel />, { profile: ADA });
    expect(await screen.findByText(/No embedding provider is chosen/)).toBeTruthy();
    expect(screen.getByText(/no daily budget is set/)).toBeTruthy();
  });
});

describe('doctor panel', () => {
  test('lists each check with its verdict and runs again on demand', async () => {
    const bridge = fakeBridge(() => ({
      profileId: ADA.id,
      healthy: false,
      checks: [
        { name: 'integrity_check', ok: true, detail: 'ok' },
        { name: 'fts', ok: false, detail: 'fts_memories is missing 3 rows' },
      ],
    }));
    renderUi(<DoctorPanel />, { profile: ADA });
    expect(await screen.findByText('unhealthy')).toBeTruthy();
    const rows = screen.getAllByRole('row').slice(1);
    expect(rows.map((r) => r.textContent)).toEqual(['integrity_checkokok', 'ftsfailedfts_memories is missing 3 rows']);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Run again' }));
    expect(bridge.calls.filter((c) => c.channel === 'doctor.run').length).toBe(2);
  });
});

describe('log panel', () => {
  test('asks for info and above first; the level and text filters go to the main process', async () => {
    const bridge = fakeBridge(() => [
      { time: '2026-01-02T03:04:05.000Z', level: 'warn', module: 'sync', msg: 'breaker opened', detail: '{"pid":1}' },
    ]);
    renderUi(<LogPanel />, { profile: ADA });
    expect(await screen.findByText('breaker opened')).toBeTruthy();
    expect(bridge.calls[0]).toEqual({ channel: 'logs.tail', input: { level: 'info', limit: 200 } });
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText('Level'), 'error');
    await user.type(screen.getByLabelText('Contains'), 'breaker');
    await waitFor(() =>
      expect(bridge.calls.at(-1)).toEqual({
        channel: 'logs.tail',
        input: { level: 'error', limit: 200, text: 'breaker' },
      }),
    );
  });
});
