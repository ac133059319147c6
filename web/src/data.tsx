/** App-wide data state: the data version from /api/health (tile URLs carry it so caches stay correct). */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { getHealth } from './api/client.ts';

interface DataState {
  dataVersion: string | null;
  error: string | null;
  reload: () => void;
}

const Ctx = createContext<DataState>({ dataVersion: null, error: null, reload: () => {} });

export function DataProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<{ dataVersion: string | null; error: string | null }>({ dataVersion: null, error: null });
  const [n, setN] = useState(0);
  useEffect(() => {
    const ctrl = new AbortController();
    getHealth(ctrl.signal)
      .then((h) => setState({ dataVersion: h.dataVersion, error: null }))
      .catch((e: Error) => {
        if (e.name === 'AbortError') return;
        // Still show the map (tiles may be cached); say that the server did not answer.
        setState({ dataVersion: '0', error: e.message });
      });
    return () => ctrl.abort();
  }, [n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return <Ctx.Provider value={{ ...state, reload }}>{children}</Ctx.Provider>;
}

export function useData(): DataState {
  return useContext(Ctx);
}
