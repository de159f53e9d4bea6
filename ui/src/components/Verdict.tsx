// "Which orders table should I use?": the verdict among same-named tables, in words.
export function Verdict({ verdict }: { verdict?: string | null }) {
  if (verdict === "preferred") return <span className="verdict preferred" title="The best evidence among the tables of this name: a producer, an owner, runs, readers">preferred</span>;
  if (verdict === "likely_legacy")
    return (
      <span className="verdict legacy" title="No task writes it, nobody owns it and no recent run: likely left over">
        no producer, no owner: likely legacy
      </span>
    );
  return null;
}
