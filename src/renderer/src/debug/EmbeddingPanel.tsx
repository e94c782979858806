// The background embedding queue: provider and model, breaker, backlog and dead letters, today's usage
// against the daily character budget, and why it is paused if it is.
import { Alert, Badge, Card, Group, Progress, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { formatDateTime } from '../app/format';
import { useProfileId } from '../app/profile';
import { useCall } from '../app/query';
import { ErrorState, LoadingRows } from '../app/states';

const BREAKER_COLOR = { closed: 'teal', 'half-open': 'yellow', open: 'red', isolated: 'gray' } as const;
const PAUSED: Record<string, string> = {
  budget: "Paused: today's character budget is spent; it resumes tomorrow (UTC) or when the budget rises.",
  breaker: 'Paused: the provider failed repeatedly; a probe request will test it again.',
  credentials: 'Paused: the provider refused the API key. Set it again in the settings.',
  'no-provider': 'No embedding provider is chosen: search runs on keywords only.',
};

export function EmbeddingPanel() {
  const profileId = useProfileId();
  const status = useCall('embedding.status', { profileId }, { refetchInterval: 5_000 });
  if (status.error) return <ErrorState error={status.error} />;
  if (!status.data) return <LoadingRows rows={2} height={64} />;
  const s = status.data;
  const used = s.budget ? s.budget.dailyCharacters - s.budget.remaining : s.today.characters;
  return (
    <Stack gap="md">
      <Card withBorder>
        <Group gap="xs" mb="sm">
          <Title order={2} size="h4">
            Embeddings
          </Title>
          <Badge color={BREAKER_COLOR[s.breaker]} variant="light">
            breaker {s.breaker}
          </Badge>
          {s.running && <Badge color="blue">running</Badge>}
          {s.progress.sweeping && <Badge color="blue">sweeping</Badge>}
        </Group>
        {s.paused && (
          <Alert color={s.paused === 'no-provider' ? 'gray' : 'yellow'} mb="sm">
            {PAUSED[s.paused]}
          </Alert>
        )}
        <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
          <Fact label="Provider" value={s.provider ?? 'none'} />
          <Fact label="Model" value={s.model ?? '—'} />
          <Fact label="Queue backlog" value={s.backlog.toLocaleString()} />
          <Fact label="Dead letters" value={s.deadLetters.toLocaleString()} />
          <Fact label="Vectors (current model)" value={s.progress.vectors.toLocaleString()} />
          <Fact label="Embedded since start" value={s.progress.embedded.toLocaleString()} />
          <Fact label="Calls today" value={s.today.calls.toLocaleString()} />
          <Fact label="Next attempt" value={formatDateTime(s.nextAttemptAt)} />
          <Fact label="Last success" value={formatDateTime(s.progress.lastSuccessAt)} />
          <Fact label="Last sweep" value={formatDateTime(s.progress.lastSweepAt)} />
        </SimpleGrid>
        {s.lastError && (
          <Text c="red" size="sm" mt="sm">
            Last error: {s.lastError}
          </Text>
        )}
      </Card>
      <Card withBorder>
        <Title order={2} size="h4" mb="xs">
          Daily budget
        </Title>
        {s.budget ? (
          <>
            <Progress
              value={s.budget.dailyCharacters > 0 ? (100 * used) / s.budget.dailyCharacters : 100}
              aria-label="Characters sent today against the daily budget"
            />
            <Text size="sm" mt={4}>
              {used.toLocaleString()} of {s.budget.dailyCharacters.toLocaleString()} characters sent today (UTC);{' '}
              {s.budget.remaining.toLocaleString()} left.
            </Text>
          </>
        ) : (
          <Text size="sm">{s.today.characters.toLocaleString()} characters sent today; no daily budget is set.</Text>
        )}
      </Card>
    </Stack>
  );
}

function Fact(props: { label: string; value: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {props.label}
      </Text>
      <Text fw={600} style={{ wordBreak: 'break-word' }}>
        {props.value}
      </Text>
    </div>
  );
}
