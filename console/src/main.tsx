import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { ApiError } from './api/client';
import { App } from './app';
import { AuthProvider } from './auth/session';
import { RouterProvider } from './router';
import { applyTheme, storedTheme } from './theme';
import './styles.css';

applyTheme(storedTheme());

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: false,
      // Retry network trouble once; an answer of the API (403, 404, 400) is final.
      retry: (count, error) => count < 1 && !(error instanceof ApiError && error.status > 0),
    },
  },
});

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider>
        <AuthProvider>
          <App />
        </AuthProvider>
      </RouterProvider>
    </QueryClientProvider>
  </StrictMode>,
);
