// The profile list: open an unlocked profile, unlock a locked one, change its passphrase, recover or
// delete it, or create a new vault. On first run (no profiles yet) only the creation form shows.
import { Badge, Card, Group, Stack, Text, Title, Button } from '@mantine/core';
import type { ProfileSummary } from '../../../shared/models';
import { useCall } from '../app/query';
import { ErrorState, LoadingRows } from '../app/states';
import { formatDateTime } from '../app/format';
import { CreateProfile } from './CreateProfile';
import { ProfileActions } from './ProfileActions';
import { UnlockForm } from './UnlockForm';

export function ProfilesScreen(props: {
  onOpen: (profile: ProfileSummary) => void;
  onCreated: (profile: ProfileSummary, recoveryKey: string) => void;
}) {
  const profiles = useCall('profiles.list', {});

  return (
    <Stack gap="lg" maw={720} mx="auto" p="xl">
      <div>
        <Title order={1}>Angel Memory</Title>
        <Text c="dimmed">Local, encrypted memories from your OMI</Text>
      </div>
      {profiles.data?.length === 0 ? (
        <Text>
          Welcome. A profile is one person&apos;s encrypted vault on this computer. Create yours to start: you will get
          a recovery key to keep somewhere safe.
        </Text>
      ) : (
        <Card withBorder padding="lg">
          <Title order={2} size="h3" mb="sm">
            Profiles
          </Title>
          {profiles.error && <ErrorState error={profiles.error} />}
          {profiles.isPending && <LoadingRows rows={1} height={56} />}
          <Stack gap="sm" component="ul" p={0} m={0} style={{ listStyle: 'none' }}>
            {profiles.data?.map((profile) => (
              <Card key={profile.id} withBorder component="li" className="profile-row" padding="sm">
                <Group justify="space-between" align="flex-start" wrap="nowrap">
                  <div>
                    <Group gap="xs">
                      <Text fw={600}>{profile.name}</Text>
                      <Badge className="badge" color={profile.locked ? 'gray' : 'teal'} variant="light">
                        {profile.locked ? 'Locked' : 'Unlocked'}
                      </Badge>
                    </Group>
                    <Text size="xs" c="dimmed">
                      Created {formatDateTime(profile.createdAt)}
                    </Text>
                  </div>
                  <Group gap="xs" wrap="nowrap" align="flex-start">
                    {profile.locked ? (
                      <UnlockForm profile={profile} onUnlocked={props.onOpen} />
                    ) : (
                      <Button onClick={() => props.onOpen(profile)}>Open</Button>
                    )}
                    <ProfileActions profile={profile} onOpen={props.onOpen} />
                  </Group>
                </Group>
              </Card>
            ))}
          </Stack>
        </Card>
      )}
      <CreateProfile onCreated={props.onCreated} />
    </Stack>
  );
}
