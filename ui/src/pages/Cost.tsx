// Cost page (skeleton; filled in next).
export function CostPage({ by }: { by: string }) {
  return (
    <section className="page">
      <h1>Cost</h1>
    </section>
  );
}
