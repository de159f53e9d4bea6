// Stale page (skeleton; filled in next).
export function StalePage() {
  return (
    <section className="page">
      <h1>Stale</h1>
    </section>
  );
}
