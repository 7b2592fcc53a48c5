import { useEffect, useMemo, useRef, useState } from 'react';
import { useAuth } from './auth/session';
import { Button } from './components/button';
import { matchPath, Link, ParamsProvider, useLocation } from './router';
import { routes, type RouteDef } from './routes';
import { applyTheme, storedTheme, type Theme } from './theme';

const GROUP_ORDER = ['Overview', 'Manage', 'Activity', 'System'];
const NEXT_THEME: Record<Theme, Theme> = { system: 'light', light: 'dark', dark: 'system' };
const THEME_LABEL: Record<Theme, string> = { system: 'Theme: system', light: 'Theme: light', dark: 'Theme: dark' };

function isActive(route: RouteDef, path: string): boolean {
  if (route.path === '/') return path === '/';
  return path === route.path || path.startsWith(`${route.path}/`);
}

function Navigation({ path, onNavigate }: { path: string; onNavigate: () => void }) {
  const { can } = useAuth();
  const groups = useMemo(() => {
    const byGroup = new Map<string, RouteDef[]>();
    for (const route of routes) {
      if (!route.nav || (route.nav.permission && !can(route.nav.permission))) continue;
      const group = route.nav.group ?? 'Manage';
      byGroup.set(group, [...(byGroup.get(group) ?? []), route]);
    }
    const rank = (g: string) => (GROUP_ORDER.includes(g) ? GROUP_ORDER.indexOf(g) : GROUP_ORDER.length);
    return [...byGroup.entries()].sort(([a], [b]) => rank(a) - rank(b));
  }, [can]);
  return (
    <nav className="sidebar-nav" aria-label="Main" onClick={onNavigate}>
      {groups.map(([group, entries]) => (
        <div key={group} className="nav-group">
          <h2 className="nav-group-title">{group}</h2>
          <ul>
            {entries.map((route) => (
              <li key={route.path}>
                <Link to={route.path} className="nav-link" aria-current={isActive(route, path) ? 'page' : undefined}>
                  {route.nav?.label}
                </Link>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </nav>
  );
}

function NoAccess() {
  return (
    <div className="notice">
      <h1>No access</h1>
      <p>Your admin roles do not allow this screen. Ask a super admin if you need it.</p>
      <Link to="/">Back to the dashboard</Link>
    </div>
  );
}

function NotFound() {
  return (
    <div className="notice">
      <h1>Page not found</h1>
      <p>There is no console screen at this address.</p>
      <Link to="/">Back to the dashboard</Link>
    </div>
  );
}

/** The shell: header (user, theme, sign-out), grouped navigation, and the matched screen. */
export function App() {
  const { me, can, signOut } = useAuth();
  const { path } = useLocation();
  const [theme, setTheme] = useState<Theme>(storedTheme);
  const [isMenuOpen, setMenuOpen] = useState(false);
  const main = useRef<HTMLElement>(null);

  const matched = useMemo(() => {
    for (const route of routes) {
      const params = matchPath(route.path, path);
      if (params) return { route, params };
    }
    return null;
  }, [path]);
  const permission = matched ? (matched.route.permission ?? matched.route.nav?.permission) : undefined;
  const isAllowed = !permission || can(permission);
  const Screen = matched && isAllowed ? matched.route.element : matched ? NoAccess : NotFound;

  useEffect(() => {
    const label = matched?.route.nav?.label;
    document.title = label ? `${label} · Porta Admin` : 'Porta Admin';
  }, [matched]);

  // After a navigation in place, focus moves to the new screen (as a page load would put it at the top).
  const shownPath = useRef(path);
  useEffect(() => {
    if (shownPath.current === path) return;
    shownPath.current = path;
    main.current?.focus({ preventScroll: true });
  }, [path]);

  const name = [me.user.givenName, me.user.familyName].filter(Boolean).join(' ') || me.user.email;
  return (
    <div className="shell">
      <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); main.current?.focus(); }}>Skip to content</a>
      <header className="topbar">
        <Button className="menu-toggle" onPress={() => setMenuOpen(!isMenuOpen)} aria-label={isMenuOpen ? 'Close menu' : 'Open menu'}>
          <span aria-hidden="true">☰</span>
        </Button>
        <Link to="/" className="brand">Porta Admin</Link>
        <div className="topbar-end">
          <Button onPress={() => { const next = NEXT_THEME[theme]; setTheme(next); applyTheme(next); }} aria-label={`${THEME_LABEL[theme]} (change)`}>
            {THEME_LABEL[theme]}
          </Button>
          <div className="user" title={me.roles.join(', ')}>
            <span className="user-name">{name}</span>
            <span className="user-roles">{me.roles.join(', ')}</span>
          </div>
          <Button onPress={signOut}>Sign out</Button>
        </div>
      </header>
      <div className={`layout${isMenuOpen ? ' menu-open' : ''}`}>
        <aside className="sidebar" id="sidebar">
          <Navigation path={path} onNavigate={() => setMenuOpen(false)} />
        </aside>
        <main id="main" className="content" ref={main} tabIndex={-1}>
          <ParamsProvider params={matched?.params ?? {}}>
            <Screen key={path} />
          </ParamsProvider>
        </main>
      </div>
    </div>
  );
}
