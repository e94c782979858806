// The filter bar above the browse lists: date range, category, tags (memories), source, starred
// (conversations), and a way to clear them all. Choices come from browse.facets where they are data.
import { Button, Chip, Group, MultiSelect, TagsInput } from '@mantine/core';
import { DatePickerInput } from '@mantine/dates';
import { useProfileId } from '../app/profile';
import { useCall } from '../app/query';
import { activeFilterCount, type BrowseFilters } from './filters';

const CLEAR = { 'aria-label': 'Clear' };

const MEMORY_CATEGORIES = [
  { value: 'interesting', label: 'Interesting' },
  { value: 'system', label: 'System' },
  { value: 'manual', label: 'Manual' },
];
const MEMORY_SOURCES = [
  { value: 'webhook', label: 'Webhook' },
  { value: 'sync', label: 'OMI sync' },
  { value: 'import', label: 'Import' },
  { value: 'local', label: 'Added here' },
];

export function Filters(props: {
  view: 'memories' | 'conversations';
  value: BrowseFilters;
  onChange: (next: BrowseFilters) => void;
}) {
  const profileId = useProfileId();
  const facets = useCall('browse.facets', { profileId });
  const f = props.value;
  const set = (patch: Partial<BrowseFilters>) => {
    const next: BrowseFilters = { ...f, ...patch };
    for (const key of Object.keys(next) as (keyof BrowseFilters)[]) {
      const v = next[key];
      if (v === undefined || (Array.isArray(v) && v.length === 0)) delete next[key];
    }
    props.onChange(next);
  };
  const memories = props.view === 'memories';

  return (
    <Group gap="xs" align="flex-end" aria-label="Filters" role="group">
      <DatePickerInput
        type="range"
        label="Dates"
        placeholder="Any time"
        clearable
        clearButtonProps={CLEAR}
        allowSingleDateInRange
        valueFormat="D MMM YYYY"
        size="xs"
        w={230}
        value={[f.from ?? null, f.to ?? null]}
        onChange={([from, to]) => set({ from: from ?? undefined, to: to ?? undefined })}
      />
      <MultiSelect
        label="Category"
        placeholder={f.categories?.length ? undefined : 'Any'}
        size="xs"
        w={180}
        clearable
        clearButtonProps={CLEAR}
        data={memories ? MEMORY_CATEGORIES : (facets.data?.categories ?? [])}
        value={f.categories ?? []}
        onChange={(categories) => set({ categories })}
      />
      {memories && (
        <TagsInput
          label="Tags"
          placeholder={f.tags?.length ? undefined : 'Every one of…'}
          size="xs"
          w={220}
          clearable
          clearButtonProps={CLEAR}
          data={facets.data?.tags ?? []}
          value={f.tags ?? []}
          onChange={(tags) => set({ tags })}
        />
      )}
      <MultiSelect
        label="Source"
        placeholder={f.sources?.length ? undefined : 'Any'}
        size="xs"
        w={180}
        clearable
        clearButtonProps={CLEAR}
        data={memories ? MEMORY_SOURCES : (facets.data?.sources ?? [])}
        value={f.sources ?? []}
        onChange={(sources) => set({ sources })}
      />
      {!memories && (
        <Chip size="sm" checked={f.starred === true} onChange={(on) => set({ starred: on ? true : undefined })}>
          Starred
        </Chip>
      )}
      {activeFilterCount(f) > 0 && (
        <Button size="xs" variant="subtle" onClick={() => props.onChange({})}>
          Clear filters
        </Button>
      )}
    </Group>
  );
}
