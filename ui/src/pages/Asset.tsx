// Asset page (skeleton; filled in next).
export function AssetPage({ assetKey }: { assetKey: string }) {
  return (
    <section className="page">
      <h1>Asset</h1>
    </section>
  );
}
