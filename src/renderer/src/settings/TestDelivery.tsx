// "Send test delivery": one labelled realtime-transcript delivery to this profile's own webhook URL,
// straight to the listener on this computer or through the tunnel host (the way OMI reaches it),
// with what came back: the HTTP status, the time taken and the inbox entry it created.
import { Button, Group, Stack, Text } from '@mantine/core';
import type { WebhookTestResult } from '../../../shared/models';
import { useOpenProfile } from '../app/profile';
import { useCallMutation } from '../app/query';
import { describeError } from '../client';

type Via = 'local' | 'tunnel';

const LABEL: Record<Via, string> = {
  local: 'Send test delivery (this computer)',
  tunnel: 'Send test delivery (tunnel)',
};

/** One line saying what happened; never more than the main process returned (it holds no secret). */
export function describeTestResult(r: WebhookTestResult): string {
  const took = `${Math.round(r.ms)} ms`;
  if (r.ok) return `Delivered: HTTP ${r.status} in ${took}${r.inboxId !== null ? `, inbox entry #${r.inboxId}` : ''}.`;
  return `Failed${r.status !== null ? ` (HTTP ${r.status})` : ''} after ${took}: ${r.error ?? 'unknown error'}`;
}

function TestButton(props: { via: Via }) {
  const { profile } = useOpenProfile();
  const send = useCallMutation('webhook.test', ['inbox.list', 'stats.get']);
  const result = send.data;
  const failed = send.error !== null || (result !== undefined && !result.ok);
  return (
    <Group gap="sm" wrap="nowrap" align="center">
      <Button
        variant="default"
        size="xs"
        loading={send.isPending}
        onClick={() => send.mutate({ profileId: profile.id, via: props.via })}
      >
        {LABEL[props.via]}
      </Button>
      <Text
        size="sm"
        role="status"
        aria-label={`${LABEL[props.via]} result`}
        c={failed ? 'red' : 'teal'}
        className="test-delivery-result"
      >
        {send.error !== null ? describeError(send.error) : result ? describeTestResult(result) : ''}
      </Text>
    </Group>
  );
}

export function TestDelivery() {
  return (
    <Stack gap={6}>
      <Text size="sm" c="dimmed">
        Posts a transcript line labelled &ldquo;Angel Memory test delivery&rdquo; to this address and shows what came
        back. The tunnel test needs the tunnel host below and the tunnel running.
      </Text>
      <TestButton via="local" />
      <TestButton via="tunnel" />
    </Stack>
  );
}
