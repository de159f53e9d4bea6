// Placeholder for the lineage explorer: ui-graph replaces this file (and owns ui/src/graph/).
// The shell renders <LineageExplorer query={route.query} /> at #/lineage?select=&group_by=&path_from=&path_to=.
// Static mode: answer /api/v1/graph?select= and /api/v1/graph/path by calling registerStaticGraph from ../data/client.
export function LineageExplorer({ query }: { query: URLSearchParams }) {
  return (
    <section className="page">
      <h1>Lineage</h1>
      <p className="muted">The lineage explorer is coming. Selection: {query.get("select") || "(none)"}</p>
    </section>
  );
}
