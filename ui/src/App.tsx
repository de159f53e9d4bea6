// The shell: navigation and the page for the current hash route.
import type { ReactNode } from "react";
import { useRoute, href, type Route } from "./router";
import { LineageExplorer } from "./graph/Explorer";
import { Home } from "./pages/Home";
import { SearchPage } from "./pages/Search";
import { AssetPage } from "./pages/Asset";
import { DagPage } from "./pages/Dag";
import { TaskPage } from "./pages/Task";
import { OwnersPage } from "./pages/Owners";
import { StalePage } from "./pages/Stale";
import { CostPage } from "./pages/Cost";
import { CoveragePage } from "./pages/Coverage";
import { SourcesPage } from "./pages/Sources";
import { SearchBox } from "./components/SearchBox";
import { config } from "./data/client";

const NAV: [string, string, string][] = [
  ["home", "Catalog", href.home()],
  ["lineage", "Lineage", href.lineage()],
  ["owners", "Owners", href.owners()],
  ["stale", "Stale", href.stale()],
  ["cost", "Cost", href.cost()],
  ["coverage", "Coverage", href.coverage()],
  ["sources", "Sources", href.sources()],
];

function page(route: Route): ReactNode {
  const [a, b] = route.args;
  switch (route.page) {
    case "home":
      return <Home />;
    case "search":
      return <SearchPage q={route.query.get("q") ?? ""} />;
    case "asset":
      return a ? <AssetPage assetKey={route.args.join("/")} /> : <Home />;
    case "dag":
      return a ? <DagPage dagId={a} /> : <Home />;
    case "task":
      return a && b ? <TaskPage dagId={a} taskId={route.args.slice(1).join("/")} /> : <Home />;
    case "lineage":
      return <LineageExplorer query={route.query} />;
    case "owners":
      return <OwnersPage q={route.query.get("q") ?? ""} />;
    case "stale":
      return <StalePage />;
    case "cost":
      return <CostPage by={route.query.get("by") ?? "owner"} />;
    case "coverage":
      return <CoveragePage />;
    case "sources":
      return <SourcesPage />;
    default:
      return (
        <section className="page">
          <h1>No such page</h1>
          <p>
            <a href={href.home()}>Back to the catalog</a>
          </p>
        </section>
      );
  }
}

export function App() {
  const route = useRoute();
  const current = route.page === "search" || route.page === "asset" ? "home" : route.page;
  return (
    <div className="shell">
      <header className="topbar">
        <a className="brand" href={href.home()}>
          overlay
        </a>
        <nav aria-label="Main">
          {NAV.map(([id, label, to]) => (
            <a key={id} href={to} className={current === id ? "active" : undefined} aria-current={current === id ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
        {route.page !== "home" && route.page !== "search" && <SearchBox compact />}
        {config().mode === "static" && <span className="badge">static export</span>}
      </header>
      <main key={`${route.page}/${route.args.join("/")}`}>{page(route)}</main>
    </div>
  );
}
