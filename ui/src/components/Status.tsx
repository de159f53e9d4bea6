// What every page shows while its data loads, or when it failed (class "error": browser tests look for it).
import type { ReactNode } from "react";
import type { Loaded } from "../data/useData";

export function Status({ state, children }: { state: Loaded<unknown>; children?: ReactNode }) {
  if (state.error) {
    const status = (state.error as { status?: number }).status;
    return (
      <div className="error" role="alert">
        {status === 404 ? "Not found: " : "Could not load: "}
        {state.error.message}
      </div>
    );
  }
  if (state.loading && !state.data) return <div className="loading">Loading…</div>;
  return <>{children}</>;
}
