// Loading state for one getJSON call, cancelled when the inputs change or the page unmounts.
import { useEffect, useState } from "react";
import { getJSON, type Params } from "./client";

export interface Loaded<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
}

export function useData<T = any>(path: string | null, params?: Params): Loaded<T> {
  const key = path === null ? null : `${path}?${JSON.stringify(params ?? {})}`;
  const [state, setState] = useState<Loaded<T>>({ data: null, error: null, loading: path !== null });
  useEffect(() => {
    if (path === null) {
      setState({ data: null, error: null, loading: false });
      return;
    }
    const controller = new AbortController();
    setState((s) => ({ data: s.data, error: null, loading: true }));
    getJSON(path, params, { signal: controller.signal }).then(
      (data) => !controller.signal.aborted && setState({ data, error: null, loading: false }),
      (error) => !controller.signal.aborted && setState({ data: null, error, loading: false }),
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return state;
}
