// The recovery key is shown exactly once, right after creation; the user must confirm they stored it.
// The key lives only in this component's props: it is dropped as soon as the user continues.
import { Button, Card, Checkbox, Code, CopyButton, Group, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';

export function RecoveryKeyNotice(props: { profileName: string; recoveryKey: string; onDone: () => void }) {
  const [stored, setStored] = useState(false);
  return (
    <Card withBorder padding="xl" maw={640} mx="auto" mt="xl">
      <Stack>
        <Title order={2} size="h3">
          Your recovery key for “{props.profileName}”
        </Title>
        <Text>
          If you forget your passphrase or move to a new computer, this key is the only way back into this vault. Write
          it down or keep it in a password manager. It will not be shown again.
        </Text>
        <Code block aria-label="Recovery key" fz="lg" style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>
          {props.recoveryKey}
        </Code>
        <Group>
          <CopyButton value={props.recoveryKey}>
            {({ copied, copy }) => (
              <Button variant="default" onClick={copy}>
                {copied ? 'Copied' : 'Copy'}
              </Button>
            )}
          </CopyButton>
        </Group>
        <Checkbox
          checked={stored}
          onChange={(e) => setStored(e.currentTarget.checked)}
          label="I have stored my recovery key somewhere safe"
        />
        <Group justify="flex-end">
          <Button disabled={!stored} onClick={props.onDone}>
            Continue
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}
