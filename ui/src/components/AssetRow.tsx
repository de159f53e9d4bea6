// One asset in a list: its name, where it lives, who owns it, and whether it is the one to use.
import { href } from "../router";
import { Verdict } from "./Verdict";

export function AssetRow({ asset, onPick }: { asset: any; onPick?: () => void }) {
  const owners: string[] = asset.owners ?? [];
  return (
    <a className="asset-row" role="option" href={href.asset(asset.key)} onClick={onPick}>
      <span className="asset-name">
        {asset.name ?? asset.key}
        <Verdict verdict={asset.verdict} />
      </span>
      <span className="asset-meta">
        <span className="ns">{asset.namespace}</span>
        {owners.length > 0 ? <span>owner {owners.join(", ")}</span> : <span className="muted">no owner</span>}
        <span>
          {asset.producers ?? 0} producer{asset.producers === 1 ? "" : "s"} · {asset.consumers ?? 0} consumer{asset.consumers === 1 ? "" : "s"}
        </span>
      </span>
    </a>
  );
}
