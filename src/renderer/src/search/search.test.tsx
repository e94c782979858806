// The search page over a fake bridge: what it asks the core for while the user types. (Result rows
// link into the router; the e2e suite renders them.)
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { expect, test } from 'vitest';
import { ADA, fakeBridge, renderUi } from '../../test/render';
import { SearchPage } from './SearchPage';

test('type-ahead: the last word is a prefix until a space finishes it, and requests are debounced', async () => {
  const bridge = fakeBridge((channel) =>
    channel === 'search.query'
      ? { mode: 'keyword', modeUsed: 'keyword', notice: null, match: '', model: null, items: [] }
      : null,
  );
  renderUi(<SearchPage />, { profile: ADA });
  const user = userEvent.setup();
  const searches = () => bridge.calls.filter((c) => c.channel === 'search.query').map((c) => c.input);
  const box = screen.getByRole('textbox', { name: 'Search' });

  expect(screen.getByText('Type to search.')).toBeTruthy();
  await user.type(box, 'mee');
  await waitFor(() => expect(searches().at(-1)).toMatchObject({ query: 'mee', prefix: true, mode: 'keyword' }));
  expect(await screen.findByText('Nothing matches “mee”.')).toBeTruthy();

  await user.type(box, 'ting ');
  await waitFor(() => expect(searches().at(-1)).toMatchObject({ query: 'meeting', prefix: false }));
  // Eight keystrokes, at most a request per pause.
  expect(searches().length).toBeLessThan(5);
});
