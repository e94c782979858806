// The profile list: open an unlocked profile, unlock a locked one, or create a new vault.
import { Badge, Card, Group, Stack, Text, Title, Button } from '@mantine/core';
import type { ProfileSummary } from '../../../shared/models';
import { useCall } from '../app/query';
import { ErrorState, LoadingRows } from '../app/states';
import { formatDateTime } from '../app/format';
import { CreateProfile } from './CreateProfile';
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
      <Card withBorder padding="lg">
        <Title order={2} size="h3" mb="sm">
          Profiles
        </Title>
        {profiles.error && <ErrorState error={profiles.error} />}
        {profiles.isPending && <LoadingRows rows={1} height={56} />}
        {profiles.data?.length === 0 && <Text c="dimmed">No profiles yet. Create one below.</Text>}
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
                {profile.locked ? (
                  <UnlockForm profile={profile} onUnlocked={props.onOpen} />
                ) : (
                  <Button onClick={() => props.onOpen(profile)}>Open</Button>
                )}
              </Group>
            </Card>
          ))}
        </Stack>
      </Card>
      <CreateProfile onCreated={props.onCreated} />
    </Stack>
  );
}
