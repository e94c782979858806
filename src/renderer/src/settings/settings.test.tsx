// A setting field: secrets are write-only (the page shows only whether one is set) and are cleared after
// saving; a refused value shows the main process's message; Save waits for a change.
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test } from 'vitest';
import { ADA, fakeBridge, renderUi } from '../../test/render';
import { SettingField } from './SettingField';

describe('setting fields', () => {
  test('a secret shows only whether it is set, and its input empties after saving', async () => {
    const bridge = fakeBridge(() => ({ key: 'omi.apiKey', secret: true, set: true, value: null }));
    renderUi(
      <SettingField
        setting={{ key: 'omi.apiKey', secret: true, set: false, value: null }}
        label="OMI API key"
        kind="secret"
      />,
      { profile: ADA },
    );
    expect(screen.getByText('(not set)')).toBeTruthy();
    const input = screen.getByLabelText('OMI API key', { selector: 'input' });
    const user = userEvent.setup();
    await user.type(input, 'omi_dev_abc123');
    await user.click(screen.getByRole('button', { name: 'Save OMI API key' }));
    await waitFor(() => expect((input as HTMLInputElement).value).toBe(''));
    expect(bridge.calls).toEqual([
      { channel: 'settings.set', input: { profileId: ADA.id, key: 'omi.apiKey', value: 'omi_dev_abc123' } },
    ]);
  });

  test('a plain value starts from the stored one; Save is enabled by a change; refusals are shown', async () => {
    const bridge = fakeBridge(() => null);
    bridge.fail.set('settings.set', {
      code: 'BAD_INPUT',
      message: 'invalid value for webhook.tunnelHost: a host name',
    });
    renderUi(
      <SettingField
        setting={{ key: 'webhook.tunnelHost', secret: false, set: true, value: 'old.example.com' }}
        label="Tunnel host"
      />,
      { profile: ADA },
    );
    const input = screen.getByLabelText<HTMLInputElement>('Tunnel host', { selector: 'input' });
    expect(input.value).toBe('old.example.com');
    const save = screen.getByRole('button', { name: 'Save Tunnel host' });
    expect(save).toHaveProperty('disabled', true);
    const user = userEvent.setup();
    await user.clear(input);
    await user.type(input, 'bad host!');
    expect(save).toHaveProperty('disabled', false);
    await user.click(save);
    expect(await screen.findByText('Invalid value for webhook.tunnelHost: a host name')).toBeTruthy();
  });
});
