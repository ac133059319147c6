/** Sign-in for the inspector pages: the session cookie is set by the API; the CSRF token is kept by api.ts. */
import { createContext, useContext, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { login, logout, me, type Role, type User } from './api.ts';

interface AuthState {
  user: User | null;
  signOut: () => void;
}
const Ctx = createContext<AuthState>({ user: null, signOut: () => {} });
export const useAuth = () => useContext(Ctx);

/** Shows the sign-in form until someone with one of `roles` (admins always) is signed in, then `children`. */
export function AuthGate({ roles, children }: { roles: Role[]; children: ReactNode }) {
  const { t } = useTranslation();
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const ctrl = new AbortController();
    me(ctrl.signal)
      .then((s) => setUser(s?.user ?? null))
      .catch((e: Error) => {
        if (e.name === 'AbortError') return;
        setUser(null);
        setError(e.message);
      });
    return () => ctrl.abort();
  }, []);
  const signOut = () => {
    void logout()
      .catch(() => {})
      .finally(() => setUser(null));
  };
  if (user === undefined) return <p role="status">{t('insp.signIn.checking')}</p>;
  if (!user) return <SignIn onSignedIn={setUser} initialError={error} />;
  const allowed = user.role === 'admin' || roles.includes(user.role);
  const roleName = t(`insp.roles.${user.role}`);
  return (
    <Ctx.Provider value={{ user, signOut }}>
      <div className="whoami">
        <span>{t('insp.signIn.signedInAs', { name: user.username, role: roleName })}</span>{' '}
        <button type="button" className="btn small" onClick={signOut}>
          {t('insp.signIn.signOut')}
        </button>
      </div>
      {allowed ? (
        children
      ) : (
        <p role="alert" className="error">
          {t('insp.signIn.forbidden', { name: user.username, role: roleName })}
        </p>
      )}
    </Ctx.Provider>
  );
}

function SignIn({ onSignedIn, initialError }: { onSignedIn: (u: User) => void; initialError: string | null }) {
  const { t } = useTranslation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(initialError);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    login(username.trim(), password)
      .then((s) => onSignedIn(s.user))
      .catch((err: Error) => setError(err.message))
      .finally(() => setBusy(false));
  };
  return (
    <form className="card signin" onSubmit={submit} aria-labelledby="signin-h">
      <h2 id="signin-h">{t('insp.signIn.heading')}</h2>
      <p>{t('insp.signIn.intro')}</p>
      <label>
        {t('insp.signIn.username')}
        <input type="text" name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
      </label>
      <label>
        {t('insp.signIn.password')}
        <input type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      {error && (
        <p role="alert" className="error">
          {t('insp.signIn.failed', { message: error })}
        </p>
      )}
      <button type="submit" className="btn primary" disabled={busy} aria-busy={busy}>
        {busy ? t('insp.signIn.busy') : t('insp.signIn.submit')}
      </button>
    </form>
  );
}
