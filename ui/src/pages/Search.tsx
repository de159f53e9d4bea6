// Search results, a page at a time: the best match first, with the evidence that ranks it.
import { useState } from "react";
import { useData } from "../data/useData";
import { Status } from "../components/Status";
import { SearchBox } from "../components/SearchBox";
import { Verdict } from "../components/Verdict";
import { Evidence } from "../components/Evidence";
import { AssetLink } from "../components/Links";
import { href } from "../router";

const PAGE = 50;

export function SearchPage({ q }: { q: string }) {
  const [offset, setOffset] = useState(0);
  const result = useData<any>("/api/v1/assets", { search: q || undefined, limit: PAGE, offset });
  const page = result.data;
  return (
    <section className="page">
      <h1>{q ? <>Assets matching “{q}”</> : "All assets"}</h1>
      <SearchBox initial={q} key={q} />
      <Status state={result}>
        {page && (
          <>
            <p className="muted">
              {page.total_is_estimate ? "about " : ""}{page.total} asset{page.total === 1 ? "" : "s"}
              {page.total > PAGE && ` · showing ${offset + 1}–${Math.min(offset + PAGE, page.total)}`}
            </p>
            <table className="table">
              <thead>
                <tr>
                  <th>Asset</th>
                  <th>Owners</th>
                  <th>Writers / readers</th>
                  <th>Evidence</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((a: any) => (
                  <tr key={a.key} className="result-row">
                    <td>
                      <AssetLink k={a.key} full />
                      <Verdict verdict={a.verdict} />
                    </td>
                    <td>
                      {(a.owners ?? []).length ? (
                        a.owners.map((o: string) => (
                          <a key={o} className="chip" href={href.owners(o)}>
                            {o}
                          </a>
                        ))
                      ) : (
                        <span className="muted">none</span>
                      )}
                      {a.owner_conflict && <span className="verdict legacy">conflict</span>}
                    </td>
                    <td className="num">
                      {a.producers} / {a.consumers}
                    </td>
                    <td>
                      <Evidence e={a.evidence} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {page.total > PAGE && <div className="pager">
              <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
                ← previous
              </button>
              <button disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>
                next →
              </button>
            </div>}
          </>
        )}
      </Status>
    </section>
  );
}
