// Search as you type: each keystroke asks at once and cancels the request before it; keystrokes closer together than
// GAP_MS (key repeat, a very fast typist) are throttled to one request per GAP_MS, the last text always asked.
import { useEffect, useRef, useState } from "react";
import { getJSON } from "../data/client";
import { href, navigate } from "../router";
import { AssetRow } from "./AssetRow";

const GAP_MS = 30; // at most one request per 30 ms: typing (100-300 ms a key) is never delayed, key repeat does not flood

export function SearchBox({ compact = false, initial = "", autoFocus = false }: { compact?: boolean; initial?: string; autoFocus?: boolean }) {
  const [q, setQ] = useState(initial);
  const [items, setItems] = useState<any[] | null>(null);
  const [total, setTotal] = useState<{ n: number; estimate: boolean }>({ n: 0, estimate: false });
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1); // the result the arrow keys are on
  const controller = useRef<AbortController | null>(null);
  const lastSent = useRef(-Infinity);

  useEffect(() => {
    const text = q.trim();
    controller.current?.abort();
    if (!text) {
      setItems(null);
      setError(null);
      return;
    }
    const mine = new AbortController();
    controller.current = mine;
    const ask = () => {
      lastSent.current = performance.now();
      getJSON("/api/v1/assets", { search: text, limit: compact ? 8 : 12 }, { signal: mine.signal }).then(
        (page) => {
          if (mine.signal.aborted) return;
          setItems(page.items ?? []);
          setActive(-1);
          setTotal({ n: page.total ?? 0, estimate: Boolean(page.total_is_estimate) });
          setError(null);
        },
        (e) => {
          if (mine.signal.aborted || e?.name === "AbortError") return;
          setError(String(e.message ?? e));
        },
      );
    };
    const wait = lastSent.current + GAP_MS - performance.now();
    let timer = 0;
    if (wait > 0) timer = window.setTimeout(ask, wait);
    else ask();
    return () => {
      window.clearTimeout(timer);
      mine.abort();
    };
  }, [q, compact]);

  const submit = () => {
    if (items && active >= 0 && active < items.length) {
      setOpen(false);
      navigate(href.asset(items[active].key));
    } else if (q.trim()) navigate(href.search(q.trim()));
  };
  return (
    <div className={compact ? "searchbox compact" : "searchbox"} onBlur={(e) => !e.currentTarget.contains(e.relatedTarget) && setOpen(false)}>
      <input
        type="search"
        role="searchbox"
        aria-label="Search assets"
        placeholder={compact ? "Search assets…" : "Search tables and files: a name, a DAG, a task, an owner…"}
        value={q}
        autoFocus={autoFocus}
        onChange={(e) => {
          setQ(e.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onKeyDown={(e) => {
          if (e.key === "Enter") submit();
          if (e.key === "Escape") setOpen(false);
          if (e.key === "ArrowDown" && items?.length) {
            e.preventDefault();
            setOpen(true);
            setActive((i) => Math.min(items.length - 1, i + 1));
          }
          if (e.key === "ArrowUp" && items?.length) {
            e.preventDefault();
            setActive((i) => Math.max(-1, i - 1));
          }
        }}
      />
      {open && q.trim() && (
        <div className="results" role="listbox" aria-label="Search results">
          {error && <div className="error">{error}</div>}
          {items && items.length === 0 && <div className="muted pad">No asset matches “{q.trim()}”.</div>}
          {items?.map((a, i) => <AssetRow key={a.key} asset={a} active={i === active} onPick={() => setOpen(false)} />)}
          {items && total.n > items.length && (
            <a className="more" href={href.search(q.trim())} onClick={() => setOpen(false)}>
              All {total.estimate ? "about " : ""}{total.n} results →
            </a>
          )}
        </div>
      )}
    </div>
  );
}
