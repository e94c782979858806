// The export form sends only the filters the user chose: nothing chosen is a whole export, without
// embeddings (as the CLI's default).
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { expect, test } from 'vitest';
import { ADA, fakeBridge, renderUi } from '../../test/render';
import { ExportCard } from './ArchivePage';

const COUNTS = {
  conversations: 1,
  segments: 3,
  actionItems: 0,
  events: 0,
  memories: 2,
  memoryVersions: 2,
  daySummaries: 0,
  embeddings: 0,
};

function answer(_: string, input: unknown) {
  const { path } = input as { path: string };
  return { path, format: 'angelmem', encrypted: false, bytes: 2048, counts: COUNTS };
}

test('without choices nothing narrows the export; chosen tags and embeddings are sent as the filter', async () => {
  const bridge = fakeBridge(answer);
  renderUi(<ExportCard />, { profile: ADA });
  const user = userEvent.setup();
  await user.type(screen.getByLabelText('Export to'), '/tmp/all.angelmem');
  await user.click(screen.getByRole('button', { name: 'Export' }));
  await screen.findByText('Exported');
  expect(bridge.calls.at(-1)).toEqual({
    channel: 'archive.export',
    input: { profileId: ADA.id, path: '/tmp/all.angelmem', format: 'angelmem' },
  });

  await user.type(screen.getByLabelText('Memories tagged', { selector: 'input' }), 'work{Enter}');
  await user.click(screen.getByLabelText('Include embeddings'));
  await user.click(screen.getByRole('button', { name: 'Export' }));
  await waitFor(() => expect(bridge.calls).toHaveLength(2));
  expect((bridge.calls[1]!.input as { filter: object }).filter).toEqual({ tags: ['work'], embeddings: true });
});
