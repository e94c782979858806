import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { setTransport } from './client';
import { selectTransport } from './transport';
import './styles.css';

setTransport(
  selectTransport({
    location: window.location,
    angel: window.angel,
    sessionStorage: window.sessionStorage,
    history: window.history,
  }),
);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
