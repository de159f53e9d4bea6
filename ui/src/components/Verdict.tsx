// "Which orders table should I use?": the verdict among same-named tables, in words.
export function Verdict({ verdict }: { verdict?: string | null }) {
  if (verdict === "preferred") return <span className="verdict preferred" title="Has a producer, an owner, fresh runs and consumers">preferred</span>;
  if (verdict === "likely_legacy")
    return (
      <span className="verdict legacy" title="No task writes it and nobody owns it">
        no producer, no owner: likely legacy
      </span>
    );
  return null;
}
