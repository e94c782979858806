// "Send test delivery" over a fake bridge: each button asks for its path and shows what came back,
// the status and inbox entry on success, the reason on failure.
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test } from 'vitest';
import { ADA, fakeBridge, renderUi } from '../../test/render';
import { describeTestResult, TestDelivery } from './TestDelivery';

describe('send test delivery', () => {
  test('the local button posts through this computer and shows the status and inbox entry', async () => {
    const bridge = fakeBridge(() => ({ ok: true, status: 200, ms: 12.4, inboxId: 7, error: null }));
    renderUi(<TestDelivery />, { profile: ADA });
    await userEvent.setup().click(screen.getByRole('button', { name: 'Send test delivery (this computer)' }));
    const status = await screen.findByRole('status', { name: 'Send test delivery (this computer) result' });
    expect(await screen.findByText('Delivered: HTTP 200 in 12 ms, inbox entry #7.')).toBe(status);
    expect(bridge.calls).toEqual([{ channel: 'webhook.test', input: { profileId: ADA.id, via: 'local' } }]);
  });

  test('the tunnel button shows why the delivery failed', async () => {
    const bridge = fakeBridge(() => ({
      ok: false,
      status: 403,
      ms: 80,
      inboxId: null,
      error: 'HTTP 403: host not allowed',
    }));
    renderUi(<TestDelivery />, { profile: ADA });
    await userEvent.setup().click(screen.getByRole('button', { name: 'Send test delivery (tunnel)' }));
    expect(await screen.findByText('Failed (HTTP 403) after 80 ms: HTTP 403: host not allowed')).toBeTruthy();
    expect(bridge.calls[0]).toEqual({ channel: 'webhook.test', input: { profileId: ADA.id, via: 'tunnel' } });
  });

  test('a refusal by the main process (no tunnel host) is shown as its message', async () => {
    const bridge = fakeBridge(() => null);
    bridge.fail.set('webhook.test', { code: 'BAD_INPUT', message: 'set the tunnel host (webhook.tunnelHost) first' });
    renderUi(<TestDelivery />, { profile: ADA });
    await userEvent.setup().click(screen.getByRole('button', { name: 'Send test delivery (tunnel)' }));
    expect(await screen.findByText(/tunnel host \(webhook\.tunnelHost\) first/i)).toBeTruthy();
  });

  test('a network failure has no status', () => {
    expect(
      describeTestResult({ ok: false, status: null, ms: 3, inboxId: null, error: 'fetch failed: ECONNREFUSED' }),
    ).toBe('Failed after 3 ms: fetch failed: ECONNREFUSED');
  });
});
