// "Why hasn't X been updated?": every asset later than its freshness rule, with the reason chain walked up the graph.
import { useData } from "../data/useData";
import { Status } from "../components/Status";
import { AssetLink, LinkedText } from "../components/Links";
import { lateBy, shortReason } from "../components/Freshness";
import { ago, duration, plural } from "../format";

export function StalePage() {
  const stale = useData<any>("/api/v1/stale");
  const data = stale.data;
  const items: any[] = data ? [...data.stale].sort((a, b) => (lateBy(b) ?? -1) - (lateBy(a) ?? -1)) : []; // latest first, never updated last
  return (
    <section className="page stale-page">
      <h1>Late assets</h1>
      <Status state={stale}>
        {data && (
          <>
            <p className="muted">
              {plural(items.length, "asset")} later than {plural(data.rules, "freshness rule")} allow
              {data.rules === 0 && " (add rules under freshness: in overlay.yaml, e.g. {match: \"*okr*\", max_lag: 26h})"}.
            </p>
            {items.map((s) => {
              const late = lateBy(s);
              return (
                <div className="card stale-item" key={s.key}>
                  <h2>
                    <AssetLink k={s.key} full />
                  </h2>
                  <div className="headline">
                    <strong className="warn">{late === null ? "Never updated" : `Late by ${duration(late)}`}</strong>
                    {s.reasons?.[0] && <>: {shortReason(s.reasons[0])}</>}
                  </div>
                  <div className="small muted">
                    Rule “{s.rule}” allows {s.max_lag}; {s.last_success ? `last success ${ago(s.last_success)}` : "no successful run recorded"}.
                  </div>
                  <ol className="reasons">
                    {(s.reasons ?? []).map((r: string) => (
                      <li key={r}>
                        <LinkedText text={r} />
                      </li>
                    ))}
                  </ol>
                </div>
              );
            })}
          </>
        )}
      </Status>
    </section>
  );
}
