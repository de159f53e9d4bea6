// Search page (skeleton; filled in next).
export function SearchPage({ q }: { q: string }) {
  return (
    <section className="page">
      <h1>Search</h1>
    </section>
  );
}
