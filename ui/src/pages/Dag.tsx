// DAG page (skeleton; filled in next).
export function DagPage({ dagId }: { dagId: string }) {
  return (
    <section className="page">
      <h1>DAG</h1>
    </section>
  );
}
