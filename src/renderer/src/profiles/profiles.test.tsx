// The profile screens: first run, creation with the recovery key confirmation, unlock errors, passphrase
// change and recovery, and deletion that waits for the typed name.
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test, vi } from 'vitest';
import { ADA, fakeBridge, renderUi } from '../../test/render';
import { DeleteProfileForm } from './DeleteProfile';
import { PassphraseForm, newPassphraseProblem } from './PassphraseForm';
import { ProfilesScreen } from './ProfilesScreen';
import { RecoveryKeyNotice } from './RecoveryKeyNotice';

describe('first run', () => {
  test('with no profiles, only the welcome and the creation form show; creating sends the passphrase', async () => {
    const created = { profile: { ...ADA, name: 'Cleo' }, recoveryKey: 'RK-1234' };
    const bridge = fakeBridge((channel) => (channel === 'profiles.list' ? [] : created));
    const onCreated = vi.fn();
    renderUi(<ProfilesScreen onOpen={vi.fn()} onCreated={onCreated} />);
    await screen.findByText(/Welcome/);
    expect(screen.queryByRole('heading', { name: 'Profiles' })).toBeNull();

    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Name'), 'Cleo');
    await user.type(screen.getByLabelText('Passphrase', { selector: 'input' }), 'short');
    await user.click(screen.getByRole('button', { name: 'Create profile' }));
    expect(await screen.findByRole('alert')).toHaveProperty(
      'textContent',
      'The passphrase needs at least 8 characters.',
    );
    expect(bridge.calls.some((c) => c.channel === 'profiles.create')).toBe(false);

    await user.type(screen.getByLabelText('Passphrase', { selector: 'input' }), ' enough now');
    await user.type(screen.getByLabelText('Repeat passphrase'), 'short enough now');
    await user.click(screen.getByRole('button', { name: 'Create profile' }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(created.profile, 'RK-1234'));
    expect(bridge.calls.find((c) => c.channel === 'profiles.create')?.input).toEqual({
      name: 'Cleo',
      protection: { kind: 'passphrase', passphrase: 'short enough now' },
    });
  });

  test('the recovery key cannot be dismissed before the user confirms storing it', async () => {
    fakeBridge(() => null);
    const onDone = vi.fn();
    renderUi(<RecoveryKeyNotice profileName="Cleo" recoveryKey="RK-ABCD-EFGH" onDone={onDone} />);
    expect(screen.getByLabelText('Recovery key').textContent).toBe('RK-ABCD-EFGH');
    const next = screen.getByRole('button', { name: 'Continue' });
    expect(next).toHaveProperty('disabled', true);
    const user = userEvent.setup();
    await user.click(screen.getByLabelText('I have stored my recovery key somewhere safe'));
    expect(next).toHaveProperty('disabled', false);
    await user.click(next);
    expect(onDone).toHaveBeenCalledOnce();
  });
});

describe('passphrase', () => {
  test('new passphrase rules', () => {
    expect(newPassphraseProblem('short', 'short')).toMatch(/at least 8/);
    expect(newPassphraseProblem('long enough', 'long enougH')).toMatch(/differ/);
    expect(newPassphraseProblem('long enough', 'long enough')).toBeNull();
  });

  test('change: a wrong current passphrase is named as such; success reports the new passphrase', async () => {
    const bridge = fakeBridge(() => ADA);
    bridge.fail.set('profiles.setPassphrase', { code: 'WRONG_KEY', message: 'wrong key' });
    const onDone = vi.fn();
    renderUi(<PassphraseForm profile={ADA} mode="change" onDone={onDone} onCancel={vi.fn()} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Current passphrase'), 'old passphrase');
    await user.type(screen.getByLabelText('New passphrase', { selector: 'input' }), 'new passphrase');
    await user.type(screen.getByLabelText('Repeat the new passphrase'), 'new passphrase');
    await user.click(screen.getByRole('button', { name: 'Change passphrase' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Wrong current passphrase');
    expect(onDone).not.toHaveBeenCalled();

    bridge.fail.clear();
    await user.click(screen.getByRole('button', { name: 'Change passphrase' }));
    await waitFor(() => expect(onDone).toHaveBeenCalledWith(ADA, 'new passphrase'));
    expect(bridge.calls.at(-1)).toEqual({
      channel: 'profiles.setPassphrase',
      input: {
        profileId: ADA.id,
        credential: { kind: 'passphrase', passphrase: 'old passphrase' },
        newPassphrase: 'new passphrase',
      },
    });
  });

  test('recover: the recovery key is the credential, trimmed', async () => {
    const bridge = fakeBridge(() => ({ ...ADA, locked: true }));
    bridge.fail.set('profiles.setPassphrase', { code: 'WRONG_KEY', message: 'wrong key' });
    const onDone = vi.fn();
    renderUi(<PassphraseForm profile={ADA} mode="recover" onDone={onDone} onCancel={vi.fn()} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Recovery key'), '  RK-1234  ');
    await user.type(screen.getByLabelText('New passphrase', { selector: 'input' }), 'new passphrase');
    await user.type(screen.getByLabelText('Repeat the new passphrase'), 'new passphrase');
    await user.click(screen.getByRole('button', { name: 'Set passphrase and unlock' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Wrong recovery key');
    expect(bridge.calls.at(-1)?.input).toMatchObject({ credential: { kind: 'recovery', recoveryKey: 'RK-1234' } });
  });
});

describe('delete a profile', () => {
  test('the button stays disabled until the exact name is typed, then deletes', async () => {
    const bridge = fakeBridge(() => ({ deleted: ADA.id }));
    const onDeleted = vi.fn();
    renderUi(<DeleteProfileForm profile={ADA} onDeleted={onDeleted} onCancel={vi.fn()} />);
    const user = userEvent.setup();
    const button = screen.getByRole('button', { name: 'Delete profile' });
    const input = screen.getByLabelText('Type “Ada” to confirm');
    await user.type(input, 'ada');
    expect(button).toHaveProperty('disabled', true);
    await user.clear(input);
    await user.type(input, 'Ada');
    expect(button).toHaveProperty('disabled', false);
    await user.click(button);
    await waitFor(() => expect(onDeleted).toHaveBeenCalledOnce());
    expect(bridge.calls).toEqual([{ channel: 'profiles.delete', input: { profileId: ADA.id, confirmName: 'Ada' } }]);
  });
});
