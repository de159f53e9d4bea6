// Who owns an asset, and why overlay thinks so: each claim with its rule and source; conflicts said plainly.
export function Owners({ asset }: { asset: any }) {
  const claims: any[] = asset.ownership ?? [];
  const owners: string[] = asset.owners ?? [];
  return (
    <div className="owners">
      {asset.owner_conflict && (
        <div className="conflict">Conflict: tasks of different owners write it. Settle it with an <code>ownership:</code> rule in overlay.yaml.</div>
      )}
      {owners.length === 0 && claims.length === 0 && (
        <p className="muted">
          Nobody is named. An <code>ownership:</code> rule in overlay.yaml, a CODEOWNERS line or the DAG's <code>owner</code> would name someone.
        </p>
      )}
      {claims.length > 0 && (
        <table className="table compact">
          <thead>
            <tr>
              <th>Who</th>
              <th>As</th>
              <th>From</th>
            </tr>
          </thead>
          <tbody>
            {claims.map((c, i) => (
              <tr key={i} className={owners.includes(c.owner) ? "owner" : undefined}>
                <td>
                  <strong>{c.owner}</strong>
                  {c.team && <span className="muted"> · team {c.team}</span>}
                </td>
                <td>{c.role ?? (owners.includes(c.owner) ? "owner" : "contact")}</td>
                <td className="small">
                  {c.rule}
                  {c.source && (
                    <>
                      {" "}
                      <code title={c.source}>{shortSource(c.source)}</code>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** "/long/path/sample_dags/CODEOWNERS:2" → "sample_dags/CODEOWNERS:2" (the scanned folder and below). */
export function shortSource(source: string): string {
  const parts = source.split("/");
  return parts.length > 3 ? parts.slice(-2).join("/") : source;
}
