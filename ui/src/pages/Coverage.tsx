// Coverage page (skeleton; filled in next).
export function CoveragePage() {
  return (
    <section className="page">
      <h1>Coverage</h1>
    </section>
  );
}
