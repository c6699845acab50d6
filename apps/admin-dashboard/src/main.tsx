import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiClient } from './api/client';
import { ApiProblem } from './api/problem';
import { App } from './App';
import { SESSION_KEY } from './hooks/session';
import { Router } from './router';
import './styles/base.css';
import './styles/components.css';

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // A refusal (4xx) will not change on retry; network and 5xx failures may.
      retry: (count, error) =>
        count < 2 && !(error instanceof ApiProblem && error.status >= 400 && error.status < 500),
      refetchOnWindowFocus: false,
    },
  },
});

const client = new ApiClient({
  // The session ended (expired, signed out elsewhere): show the sign-in page.
  onUnauthenticated: () => queries.setQueryData(SESSION_KEY, null),
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queries}>
      <Router>
        <App client={client} />
      </Router>
    </QueryClientProvider>
  </StrictMode>,
);
