/** Planner sign-in: the session from GET /api/auth/me, a sign-in form, sign-out. */
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { login, logout, me, PlannerApiError, type User } from './api.ts';

export interface Session {
  state: 'loading' | 'anonymous' | 'signed-in' | 'error';
  user: User | null;
  error: string | null;
  signIn(username: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  /** Call when a write answered 401: the session ended. */
  expired(): void;
}

export function useSession(): Session {
  const [user, setUser] = useState<User | null>(null);
  const [state, setState] = useState<Session['state']>('loading');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const ctrl = new AbortController();
    me(ctrl.signal)
      .then((u) => {
        setUser(u);
        setState(u ? 'signed-in' : 'anonymous');
      })
      .catch((e: Error) => {
        if (e.name === 'AbortError') return;
        setError(e.message);
        setState('error');
      });
    return () => ctrl.abort();
  }, []);
  const signIn = useCallback(async (username: string, password: string) => {
    const u = await login(username, password);
    setUser(u);
    setError(null);
    setState('signed-in');
  }, []);
  const signOut = useCallback(async () => {
    try {
      await logout();
    } finally {
      setUser(null);
      setState('anonymous');
    }
  }, []);
  const expired = useCallback(() => {
    setUser(null);
    setState('anonymous');
  }, []);
  return { state, user, error, signIn, signOut, expired };
}

export function SignInForm({ onSignIn }: { onSignIn: (u: string, p: string) => Promise<void> }) {
  const { t } = useTranslation();
  const id = useId();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSignIn(username.trim(), password);
    } catch (err) {
      const s = err instanceof PlannerApiError ? err.status : 0;
      setError(s === 401 ? t('pl.auth.wrong') : s === 429 ? t('pl.auth.tooMany') : t('pl.auth.failed', { message: (err as Error).message }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="signin pl-signin panel-box" onSubmit={submit} aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('pl.auth.heading')}</h2>
      <p>{t('pl.auth.intro')}</p>
      <label htmlFor={`${id}-u`}>{t('pl.auth.username')}</label>
      <input id={`${id}-u`} type="text" name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
      <label htmlFor={`${id}-p`}>{t('pl.auth.password')}</label>
      <input id={`${id}-p`} type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="btn primary" disabled={busy}>
        {busy ? t('pl.auth.signingIn') : t('pl.auth.signIn')}
      </button>
    </form>
  );
}
