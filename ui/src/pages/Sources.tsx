// Sources page (skeleton; filled in next).
export function SourcesPage() {
  return (
    <section className="page">
      <h1>Sources</h1>
    </section>
  );
}
