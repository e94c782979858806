import '@mantine/core/styles.css';
import '@mantine/dates/styles.css';
import './styles.css';
import { MantineProvider, localStorageColorSchemeManager } from '@mantine/core';
import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { cssVariablesResolver, theme } from './app/theme';
import { createQueryClient } from './app/query';
import { setTransport } from './client';
import { selectTransport } from './transport';

setTransport(
  selectTransport({
    location: window.location,
    angel: window.angel,
    sessionStorage: window.sessionStorage,
    history: window.history,
  }),
);

const queryClient = createQueryClient();
const colorSchemeManager = localStorageColorSchemeManager({ key: 'angel-memory.color-scheme' });

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <MantineProvider
      theme={theme}
      cssVariablesResolver={cssVariablesResolver}
      defaultColorScheme="auto"
      colorSchemeManager={colorSchemeManager}
    >
      <QueryClientProvider client={queryClient}>
        <App />
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
