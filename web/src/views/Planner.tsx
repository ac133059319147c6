import { useTranslation } from 'react-i18next';
import { useTitle } from '../router.tsx';
import { SignInForm, useSession } from '../planner/Auth.tsx';
import { canPlan } from '../planner/api.ts';
import { Workbench } from '../planner/Workbench.tsx';
import '../planner/planner.css';

/** /planner: sign in, then the workbench (zones, sites, plans, results, what-if, exports, posters). */
export function Planner() {
  const { t } = useTranslation();
  useTitle(`${t('pl.heading')} · ${t('app.title')}`);
  const session = useSession();
  if (session.state === 'loading') {
    return (
      <div className="page pl-center">
        <p role="status">{t('pl.loading')}</p>
      </div>
    );
  }
  if (session.state === 'error') {
    return (
      <div className="page pl-center">
        <p role="alert" className="error">
          {t('pl.err.session', { message: session.error ?? '' })}
        </p>
      </div>
    );
  }
  if (session.state === 'anonymous' || !session.user) {
    return (
      <div className="page pl-center">
        <h1>{t('pl.heading')}</h1>
        <SignInForm onSignIn={session.signIn} />
      </div>
    );
  }
  if (!canPlan(session.user)) {
    return (
      <div className="page pl-center">
        <h1>{t('pl.heading')}</h1>
        <p role="alert">{t('pl.auth.notPlanner', { name: session.user.username, role: t(`pl.role.${session.user.role}`) })}</p>
        <button type="button" className="btn" onClick={() => void session.signOut()}>
          {t('pl.auth.signOut')}
        </button>
      </div>
    );
  }
  return <Workbench session={session} />;
}
