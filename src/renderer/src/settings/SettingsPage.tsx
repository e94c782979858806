// Settings the contract exposes today: the theme (stored in this window), and the open profile's
// details and lock. Webhook secrets and API keys are set through the CLI; they never reach this page.
import { Button, Card, Group, SegmentedControl, Stack, Text, Title, useMantineColorScheme } from '@mantine/core';
import { formatDateTime } from '../app/format';
import { useOpenProfile } from '../app/profile';

export function SettingsPage() {
  const { profile, close } = useOpenProfile();
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  return (
    <Stack gap="md" className="page" maw={720}>
      <Title order={1} size="h2">
        Settings
      </Title>
      <Card withBorder>
        <Title order={2} size="h4" mb="xs" id="theme-label">
          Theme
        </Title>
        <SegmentedControl
          aria-labelledby="theme-label"
          value={colorScheme}
          onChange={(v) => setColorScheme(v)}
          data={[
            { value: 'light', label: 'Light' },
            { value: 'dark', label: 'Dark' },
            { value: 'auto', label: 'System' },
          ]}
        />
      </Card>
      <Card withBorder>
        <Title order={2} size="h4" mb="xs">
          Profile
        </Title>
        <Text>{profile.name}</Text>
        <Text size="sm" c="dimmed">
          Created {formatDateTime(profile.createdAt)} · unlocks with {profile.protection.join(', ')}
        </Text>
        <Group mt="sm">
          <Button variant="default" onClick={close}>
            Switch profile
          </Button>
        </Group>
      </Card>
      <Card withBorder>
        <Title order={2} size="h4" mb="xs">
          Webhook and OMI account
        </Title>
        <Text size="sm" c="dimmed">
          The webhook secret and the OMI API key are kept by the main process and never shown here. Use the command
          line: <code>angel-memory webhook url</code> prints the address to paste into OMI,{' '}
          <code>angel-memory webhook rotate</code> replaces the secret, and <code>angel-memory settings set</code>{' '}
          changes the other settings (secrets are read from standard input).
        </Text>
      </Card>
    </Stack>
  );
}
