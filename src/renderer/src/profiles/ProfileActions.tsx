// The per-profile actions on the profile list: change the passphrase, recover with the recovery key,
// delete. Each opens one modal; recovering also unlocks and opens the profile.
import { ActionIcon, Menu, Modal } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ProfileSummary } from '../../../shared/models';
import { call } from '../client';
import { DeleteProfileForm } from './DeleteProfile';
import { PassphraseForm } from './PassphraseForm';

type Dialog = 'change' | 'recover' | 'delete' | null;

const TITLES = { change: 'Change passphrase', recover: 'Recover with the recovery key', delete: 'Delete profile' };

export function ProfileActions(props: { profile: ProfileSummary; onOpen: (profile: ProfileSummary) => void }) {
  const { profile } = props;
  const queryClient = useQueryClient();
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => setDialog(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['profiles.list'] });

  return (
    <>
      <Menu position="bottom-end" withinPortal>
        <Menu.Target>
          <ActionIcon variant="subtle" color="gray" size="lg" aria-label={`More actions for ${profile.name}`}>
            <span aria-hidden="true">⋯</span>
          </ActionIcon>
        </Menu.Target>
        <Menu.Dropdown>
          {profile.protection.includes('passphrase') && (
            <Menu.Item onClick={() => setDialog('change')}>Change passphrase</Menu.Item>
          )}
          <Menu.Item onClick={() => setDialog('recover')}>Forgot passphrase? Use the recovery key</Menu.Item>
          <Menu.Divider />
          <Menu.Item color="red" onClick={() => setDialog('delete')}>
            Delete profile…
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>
      <Modal opened={dialog !== null} onClose={close} title={dialog ? `${TITLES[dialog]}: ${profile.name}` : ''}>
        {(dialog === 'change' || dialog === 'recover') && (
          <PassphraseForm
            profile={profile}
            mode={dialog}
            onCancel={close}
            onDone={async (summary, newPassphrase) => {
              if (dialog === 'recover' && summary.locked) {
                const unlocked = await call('profiles.unlock', {
                  profileId: profile.id,
                  credential: { kind: 'passphrase', passphrase: newPassphrase },
                });
                close();
                await refresh();
                props.onOpen(unlocked);
                return;
              }
              close();
              await refresh();
            }}
          />
        )}
        {dialog === 'delete' && (
          <DeleteProfileForm
            profile={profile}
            onCancel={close}
            onDeleted={() => {
              close();
              void refresh();
            }}
          />
        )}
      </Modal>
    </>
  );
}
