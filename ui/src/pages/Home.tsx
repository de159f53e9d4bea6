// Catalog page (skeleton; filled in next).
export function Home() {
  return (
    <section className="page">
      <h1>Catalog</h1>
    </section>
  );
}
