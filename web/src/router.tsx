/** A tiny History-API router: four doors don't need a routing library. */
import { useEffect, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

export type Route =
  | { name: 'resident' }
  | { name: 'building'; id: string }
  | { name: 'planner' }
  | { name: 'inspector' }
  | { name: 'notFound'; path: string };

export function matchRoute(pathname: string): Route {
  const p = pathname.replace(/\/+$/, '') || '/';
  if (p === '/') return { name: 'resident' };
  if (p === '/planner') return { name: 'planner' };
  if (p === '/inspector') return { name: 'inspector' };
  const b = /^\/building\/([^/]+)$/.exec(p);
  if (b) return { name: 'building', id: decodeURIComponent(b[1]) };
  return { name: 'notFound', path: p };
}

const listeners = new Set<() => void>();
function subscribe(fn: () => void) {
  listeners.add(fn);
  window.addEventListener('popstate', fn);
  return () => {
    listeners.delete(fn);
    window.removeEventListener('popstate', fn);
  };
}

export function navigate(to: string, opts: { replace?: boolean } = {}) {
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const fn of listeners) fn();
}

export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => location.pathname, () => '/');
}

export function useRoute(): Route {
  return matchRoute(usePathname());
}

/** Sets document.title per page. */
export function useTitle(title: string) {
  useEffect(() => {
    document.title = title;
  }, [title]);
}

export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={handle} {...rest} />;
}
