// Owners page (skeleton; filled in next).
export function OwnersPage({ q }: { q: string }) {
  return (
    <section className="page">
      <h1>Owners</h1>
    </section>
  );
}
