// One asset in a list: its name, where it lives, who owns it, and whether it is the one to use.
import { href } from "../router";
import { Verdict } from "./Verdict";

export function AssetRow({ asset, onPick, active = false }: { asset: any; onPick?: () => void; active?: boolean }) {
  const owners: string[] = asset.owners ?? [];
  return (
    <a className={active ? "asset-row active" : "asset-row"} role="option" aria-selected={active} href={href.asset(asset.key)} onClick={onPick}>
      <span className="asset-name">
        {String(asset.name ?? asset.key).split(".").pop()}
        <Verdict verdict={asset.verdict} />
      </span>
      <span className="asset-meta">
        <span className="ns">{asset.namespace}</span>
        <span className="ns-path">{String(asset.name ?? "").split(".").slice(0, -1).join(".")}</span>
        {owners.length > 0 ? <span>owner {owners.join(", ")}</span> : <span className="muted">no owner</span>}
        <span>
          {asset.producers ?? 0} producer{asset.producers === 1 ? "" : "s"} · {asset.consumers ?? 0} consumer{asset.consumers === 1 ? "" : "s"}
        </span>
      </span>
    </a>
  );
}
