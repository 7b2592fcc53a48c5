import { createContext, useCallback, useContext, useEffect, useMemo, useState, type MouseEvent, type ReactNode } from 'react';
import { RouterProvider as AriaRouterProvider } from 'react-aria-components';

/** Where Porta serves the console; every route path below is relative to it. */
export const BASE_PATH = '/admin';

interface RouterState {
  /** The path below BASE_PATH, always starting with `/`. */
  path: string;
  search: string;
  navigate(to: string, options?: { replace?: boolean }): void;
}

const RouterContext = createContext<RouterState | null>(null);
const ParamsContext = createContext<Record<string, string>>({});

function currentPath(): string {
  const { pathname } = window.location;
  const rest = pathname.startsWith(BASE_PATH) ? pathname.slice(BASE_PATH.length) : pathname;
  return rest === '' ? '/' : rest;
}

/** A console path (`/organizations?x=1`) as the browser's URL path. */
export function hrefOf(to: string): string {
  return `${BASE_PATH}${to === '/' ? '' : to}` || '/';
}

/** The history router: the current path and search, and navigation that React Aria links and rows use too. */
export function RouterProvider({ children }: { children: ReactNode }) {
  const [location, setLocation] = useState(() => ({ path: currentPath(), search: window.location.search }));
  useEffect(() => {
    const onPop = () => setLocation({ path: currentPath(), search: window.location.search });
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((to: string, options: { replace?: boolean } = {}) => {
    const href = hrefOf(to);
    if (options.replace) window.history.replaceState(null, '', href);
    else window.history.pushState(null, '', href);
    setLocation({ path: currentPath(), search: window.location.search });
    if (!options.replace) window.scrollTo(0, 0);
  }, []);
  const value = useMemo(() => ({ ...location, navigate }), [location, navigate]);
  return (
    <RouterContext.Provider value={value}>
      <AriaRouterProvider navigate={(to) => navigate(to)} useHref={hrefOf}>
        {children}
      </AriaRouterProvider>
    </RouterContext.Provider>
  );
}

function useRouter(): RouterState {
  const router = useContext(RouterContext);
  if (!router) throw new Error('useRouter outside RouterProvider');
  return router;
}

export function useLocation(): { path: string; search: string } {
  const { path, search } = useRouter();
  return { path, search };
}

/** Navigation in place; `{ replace: true }` replaces the current history entry instead of adding one. */
export function useNavigate(): (to: string, options?: { replace?: boolean }) => void {
  const { navigate } = useRouter();
  return useCallback((to: string, options?: { replace?: boolean }) => navigate(to, options), [navigate]);
}

/** The `:name` segments of the matched route. */
export function useParams(): Record<string, string> {
  return useContext(ParamsContext);
}

export function ParamsProvider({ params, children }: { params: Record<string, string>; children: ReactNode }) {
  return <ParamsContext.Provider value={params}>{children}</ParamsContext.Provider>;
}

/** One query parameter, and a setter that replaces the URL (no history entry); null removes it. */
export function useSearchParam(name: string): [string | null, (value: string | null) => void] {
  const { path, search, navigate } = useRouter();
  const value = new URLSearchParams(search).get(name);
  const set = useCallback(
    (next: string | null) => {
      const params = new URLSearchParams(window.location.search);
      if (next === null || next === '') params.delete(name);
      else params.set(name, next);
      const query = params.toString();
      navigate(`${path}${query ? `?${query}` : ''}`, { replace: true });
    },
    [name, path, navigate],
  );
  return [value, set];
}

/** `pattern` (`/organizations/:orgId`) against a path: the params, or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const have = path.split('/').filter(Boolean);
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i] as string;
    const actual = have[i] as string;
    if (segment.startsWith(':')) {
      try {
        params[segment.slice(1)] = decodeURIComponent(actual);
      } catch {
        return null;
      }
    } else if (segment !== actual) return null;
  }
  return params;
}

interface LinkProps {
  to: string;
  children: ReactNode;
  className?: string;
  'aria-current'?: 'page' | undefined;
}

/** A real link (opens in a new tab with a modifier key), navigating in place on a plain click. */
export function Link({ to, children, className, ...rest }: LinkProps) {
  const { navigate } = useRouter();
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={hrefOf(to)} className={className} onClick={onClick} aria-current={rest['aria-current']}>
      {children}
    </a>
  );
}
