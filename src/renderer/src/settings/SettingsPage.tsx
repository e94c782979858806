// Settings: the theme and the idle lock (kept in this window), the open profile's security (change
// passphrase, delete), the webhook address with copy, secret rotation and a test delivery, the OMI
// account, embedding (provider, keys, daily budget, redaction) and automatic backups. Secrets are
// write-only: the page learns only whether one is set.
import {
  Button,
  Card,
  Code,
  CopyButton,
  Group,
  Modal,
  NativeSelect,
  SegmentedControl,
  Stack,
  Text,
  Title,
  useMantineColorScheme,
} from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { formatDateTime } from '../app/format';
import { IDLE_LOCK_CHOICES, useIdleLockMinutes } from '../app/idle';
import { useOpenProfile } from '../app/profile';
import { useCall, useCallMutation } from '../app/query';
import { ErrorState, LoadingRows } from '../app/states';
import { describeError } from '../client';
import { DeleteProfileForm } from '../profiles/DeleteProfile';
import { PassphraseForm } from '../profiles/PassphraseForm';
import { SettingField, SettingSwitch, type SettingState } from './SettingField';
import { TestDelivery } from './TestDelivery';

export function SettingsPage() {
  const { profile, close } = useOpenProfile();
  const profileId = profile.id;
  const settings = useCall('settings.list', { profileId });
  const byKey = new Map<string, SettingState>((settings.data ?? []).map((s) => [s.key, s]));
  const get = (key: string) => byKey.get(key);

  return (
    <Stack gap="md" className="page" maw={760}>
      <Title order={1} size="h2">
        Settings
      </Title>
      <AppearanceCard />
      <SecurityCard onDeleted={close} />
      {settings.error && <ErrorState error={settings.error} />}
      {settings.isPending ? (
        <LoadingRows rows={3} height={120} />
      ) : (
        <>
          <WebhookCard>
            <SettingField
              setting={get('webhook.tunnelHost')}
              label="Tunnel host"
              description="The public host name your tunnel (cloudflared, ngrok, Tailscale Funnel) forwards to this computer"
              placeholder="abc.trycloudflare.com"
            />
            <SettingField
              setting={get('webhook.signingSecret')}
              label="Signing secret"
              description="Checks X-Omi-Signature on deliveries."
              kind="secret"
            />
            <SettingSwitch
              setting={get('webhook.requireSignature')}
              label="Refuse unsigned deliveries"
              description="Only when OMI signs its webhooks for you"
            />
          </WebhookCard>
          <Section title="OMI account">
            <SettingField
              setting={get('omi.apiKey')}
              label="OMI API key"
              description="A developer key (omi_dev_…), kept encrypted in the vault."
              kind="secret"
            />
            <SettingField
              setting={get('omi.uid')}
              label="OMI user id"
              description="Deliveries for another uid are refused"
            />
            <ConnectionTest />
          </Section>
          <Section title="Embeddings">
            <SettingField
              setting={get('embedding.provider')}
              label="Embedding provider"
              description="Semantic search needs one; text goes to Gemini only if you choose it."
              kind={{
                options: [
                  { value: 'none', label: 'None (keyword search only)' },
                  { value: 'gemini', label: 'Gemini (remote)' },
                  { value: 'ollama', label: 'Ollama (on this computer)' },
                ],
              }}
            />
            <SettingField setting={get('gemini.apiKey')} label="Gemini API key" kind="secret" />
            <SettingField setting={get('ollama.model')} label="Ollama model" placeholder="nomic-embed-text" />
            <SettingField
              setting={get('embedding.dailyCharacters')}
              label="Daily budget (characters)"
              description="Embedding pauses for the day when it is reached; 0 sends nothing."
              kind="number"
            />
            <SettingSwitch
              setting={get('embedding.redact')}
              label="Redact before sending"
              description="E-mail addresses, phone numbers and the words below are masked before text leaves the computer"
            />
            <SettingField
              setting={get('embedding.neverSend')}
              label="Words never to send"
              description="Comma-separated"
              kind="textarea"
            />
          </Section>
          <Section title="Backups">
            <SettingField
              setting={get('backup.intervalHours')}
              label="Back up every (hours)"
              description="Encrypted copies of the vault; 0 turns automatic backups off."
              kind="number"
            />
            <SettingField setting={get('backup.keepDays')} label="Keep backups for (days)" kind="number" />
          </Section>
        </>
      )}
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
    </Stack>
  );
}

function Section(props: { title: string; children: ReactNode }) {
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="xs">
        {props.title}
      </Title>
      <Stack gap="sm">{props.children}</Stack>
    </Card>
  );
}

function AppearanceCard() {
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="xs" id="theme-label">
        Theme
      </Title>
      <SegmentedControl
        aria-labelledby="theme-label"
        value={colorScheme}
        onChange={setColorScheme}
        data={[
          { value: 'light', label: 'Light' },
          { value: 'dark', label: 'Dark' },
          { value: 'auto', label: 'System' },
        ]}
      />
    </Card>
  );
}

function SecurityCard(props: { onDeleted: () => void }) {
  const { profile } = useOpenProfile();
  const [minutes, setMinutes] = useIdleLockMinutes();
  const [dialog, setDialog] = useState<'passphrase' | 'delete' | null>(null);
  const [changed, setChanged] = useState(false);
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="xs">
        Security
      </Title>
      <Stack gap="sm">
        <NativeSelect
          label="Lock after"
          description="Without keyboard or mouse input in this window"
          value={String(minutes)}
          w={280}
          data={IDLE_LOCK_CHOICES.map((m) => ({ value: String(m), label: m === 0 ? 'Never' : `${m} minutes idle` }))}
          onChange={(e) => setMinutes(Number(e.currentTarget.value))}
        />
        <Group>
          <Button variant="default" onClick={() => setDialog('passphrase')}>
            {profile.protection.includes('passphrase') ? 'Change passphrase' : 'Add a passphrase'}
          </Button>
          <Button color="red" variant="light" onClick={() => setDialog('delete')}>
            Delete profile…
          </Button>
        </Group>
        {changed && (
          <Text size="sm" c="teal" role="status">
            Passphrase changed
          </Text>
        )}
      </Stack>
      <Modal
        opened={dialog !== null}
        onClose={() => setDialog(null)}
        title={dialog === 'delete' ? `Delete profile: ${profile.name}` : `Change passphrase: ${profile.name}`}
      >
        {dialog === 'passphrase' && (
          <PassphraseForm
            profile={profile}
            // Without a passphrase yet, the recovery key proves the right to add one.
            mode={profile.protection.includes('passphrase') ? 'change' : 'recover'}
            onCancel={() => setDialog(null)}
            onDone={() => {
              setDialog(null);
              setChanged(true);
            }}
          />
        )}
        {dialog === 'delete' && (
          <DeleteProfileForm profile={profile} onCancel={() => setDialog(null)} onDeleted={props.onDeleted} />
        )}
      </Modal>
    </Card>
  );
}

function WebhookCard(props: { children: ReactNode }) {
  const { profile } = useOpenProfile();
  const url = useCall('webhook.url', { profileId: profile.id });
  const rotate = useCallMutation('webhook.rotate', ['webhook.url']);
  const [confirming, setConfirming] = useState(false);
  return (
    <Section title="Webhook">
      <Text size="sm" c="dimmed">
        Paste this address into OMI&apos;s developer settings (Memory created: <code>/conversation</code>, Real-time
        transcript: <code>/transcript</code>). OMI reaches it through a tunnel you run to this computer.
      </Text>
      {url.error && <ErrorState error={url.error} />}
      <Group gap="xs" wrap="nowrap">
        <Code aria-label="Webhook URL" style={{ flex: 1, wordBreak: 'break-all', minHeight: 24 }}>
          {url.data?.url ?? '\u00a0'}
        </Code>
        <CopyButton value={url.data?.url ?? ''}>
          {({ copied, copy }) => (
            <Button variant="default" size="xs" onClick={copy} disabled={!url.data}>
              {copied ? 'Copied' : 'Copy URL'}
            </Button>
          )}
        </CopyButton>
        <Button variant="light" color="red" size="xs" onClick={() => setConfirming(true)}>
          Rotate secret…
        </Button>
      </Group>
      {rotate.error !== null && (
        <Text c="red" size="sm" role="alert">
          {describeError(rotate.error)}
        </Text>
      )}
      <TestDelivery />
      {props.children}
      <Modal opened={confirming} onClose={() => setConfirming(false)} title="Rotate the webhook secret?">
        <Stack>
          <Text>
            The current address stops working at once. Paste the new one into OMI, or deliveries will be refused.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={rotate.isPending}
              onClick={() => rotate.mutate({ profileId: profile.id }, { onSettled: () => setConfirming(false) })}
            >
              Rotate
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Section>
  );
}

/** Tests the OMI key by running one sync pass (pull and push) and showing what it said. */
function ConnectionTest() {
  const { profile } = useOpenProfile();
  const run = useCallMutation('sync.run', ['sync.status', 'memories.list', 'conversations.list', 'stats.get']);
  const report = run.data;
  return (
    <Group gap="sm">
      <Button
        variant="default"
        size="xs"
        loading={run.isPending}
        onClick={() => run.mutate({ profileId: profile.id, full: false })}
      >
        Test connection (sync once)
      </Button>
      <Text size="sm" role="status" c={run.error || (report && !report.ok) ? 'red' : 'teal'}>
        {run.error
          ? describeError(run.error)
          : report
            ? report.ok
              ? 'Connected: the sync pass succeeded.'
              : `Failed: ${report.errors.map((e) => e.message).join('; ') || 'see the debug page'}`
            : ''}
      </Text>
    </Group>
  );
}
