import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { api, ApiError } from '../api/client';
import { Button } from '../components/button';
import { useLocation, useNavigate } from '../router';
import { beginSignIn, completeSignIn, isSignedIn, onSessionEnded, signOut, SIGNED_OUT_STATE } from './oidc';

/** `GET /api/admin/me` → `data`. */
export interface Me {
  user: { id: string; email: string; givenName: string | null; familyName: string | null };
  organization: { id: string; slug: string };
  roles: string[];
  /** `admin:…` slugs. */
  permissions: string[];
  actorType: string;
}

interface Auth {
  me: Me;
  can(permission: string): boolean;
  signOut(): void;
}

const AuthContext = createContext<Auth | null>(null);

/** The signed-in admin: who they are, what they may do (`can('admin:org:update')`), and sign-out. */
export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside AuthProvider');
  return auth;
}

type Phase =
  | { kind: 'starting' }
  | { kind: 'signed-out' }
  | { kind: 'ended' }
  | { kind: 'failed'; message: string; canSignOut: boolean }
  | { kind: 'ready'; me: Me };

/** Signs in on the first render (or finishes the sign-in at /callback) and renders children once /me answers. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const { path, search } = useLocation();
  const navigate = useNavigate();
  const [phase, setPhase] = useState<Phase>({ kind: 'starting' });
  const started = useRef(false);

  useEffect(() => onSessionEnded(() => setPhase({ kind: 'ended' })), []);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    void (async () => {
      try {
        if (path === '/callback') navigate(await completeSignIn(search), { replace: true });
        else if (new URLSearchParams(search).get('state') === SIGNED_OUT_STATE) return setPhase({ kind: 'signed-out' });
        else if (!isSignedIn()) return void (await beginSignIn(`${path}${search}`));
        const me = (await api<{ data: Me }>('/me')).data;
        setPhase({ kind: 'ready', me });
      } catch (err) {
        const isForbidden = err instanceof ApiError && err.status === 403;
        setPhase({ kind: 'failed', message: err instanceof Error ? err.message : String(err), canSignOut: isForbidden || isSignedIn() });
      }
    })();
  }, [path, search, navigate]);

  const can = useCallback((permission: string) => phase.kind === 'ready' && phase.me.permissions.includes(permission), [phase]);

  if (phase.kind === 'ready') {
    return <AuthContext.Provider value={{ me: phase.me, can, signOut: () => void signOut() }}>{children}</AuthContext.Provider>;
  }
  return <Gate phase={phase} />;
}

function Gate({ phase }: { phase: Exclude<Phase, { kind: 'ready' }> }) {
  const signIn = () => void beginSignIn('/');
  let title = 'Signing in…';
  let body: ReactNode = <p>Taking you to the sign-in page.</p>;
  if (phase.kind === 'signed-out') {
    title = 'You are signed out';
    body = (
      <>
        <p>Your session at Porta has ended.</p>
        <Button variant="primary" onPress={signIn}>Sign in</Button>
      </>
    );
  } else if (phase.kind === 'ended') {
    title = 'Your session has ended';
    body = (
      <>
        <p>Sign in again to continue. Changes you had not saved are lost.</p>
        <Button variant="primary" onPress={() => void beginSignIn(`${window.location.pathname.replace(/^\/admin/, '') || '/'}${window.location.search}`)}>Sign in again</Button>
      </>
    );
  } else if (phase.kind === 'failed') {
    title = 'Could not open the console';
    body = (
      <>
        <p role="alert">{phase.message}</p>
        <div className="button-row">
          {phase.canSignOut ? <Button onPress={() => void signOut()}>Sign out</Button> : null}
          <Button variant="primary" onPress={signIn}>Sign in again</Button>
        </div>
      </>
    );
  }
  return (
    <main className="gate" aria-busy={phase.kind === 'starting'}>
      <div className="gate-card">
        <p className="brand">Porta Admin</p>
        <h1>{title}</h1>
        {body}
      </div>
    </main>
  );
}
