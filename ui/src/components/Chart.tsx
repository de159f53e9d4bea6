// Small SVG charts, drawn here (no chart library): bars over time, and horizontal bars of shares.
import { money } from "../format";

export interface Point {
  label: string;
  value: number;
  note?: string;
}

export function BarChart({ points, height = 140, format = money, title }: { points: Point[]; height?: number; format?: (v: number) => string; title: string }) {
  const width = 640;
  const pad = { top: 10, right: 8, bottom: 26, left: 56 };
  const max = Math.max(0, ...points.map((p) => p.value));
  const inner = { w: width - pad.left - pad.right, h: height - pad.top - pad.bottom };
  const step = points.length ? inner.w / points.length : inner.w;
  const bar = Math.max(1, Math.min(36, step * 0.75));
  const y = (v: number) => pad.top + inner.h - (max > 0 ? (v / max) * inner.h : 0);
  const labelEvery = Math.max(1, Math.ceil(points.length / 8));
  return (
    <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title} preserveAspectRatio="xMinYMin meet">
      <title>{title}</title>
      <line x1={pad.left} x2={width - pad.right} y1={y(0)} y2={y(0)} className="axis" />
      {max > 0 && (
        <>
          <line x1={pad.left} x2={width - pad.right} y1={y(max)} y2={y(max)} className="grid" />
          <text x={pad.left - 6} y={y(max) + 4} className="tick" textAnchor="end">
            {format(max)}
          </text>
        </>
      )}
      <text x={pad.left - 6} y={y(0) + 4} className="tick" textAnchor="end">
        {format(0)}
      </text>
      {points.map((p, i) => {
        const x = pad.left + i * step + (step - bar) / 2;
        return (
          <g key={p.label}>
            <rect x={x} y={y(p.value)} width={bar} height={Math.max(0, y(0) - y(p.value))} className="bar">
              <title>{`${p.label}: ${format(p.value)}${p.note ? ` · ${p.note}` : ""}`}</title>
            </rect>
            {i % labelEvery === 0 && (
              <text x={x + bar / 2} y={height - 8} className="tick" textAnchor="middle">
                {p.label}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

/** Two periods side by side per group: this one and the previous. */
export function CompareBars({ rows, title }: { rows: { label: string; now: number; before: number }[]; title: string }) {
  const max = Math.max(0, ...rows.flatMap((r) => [r.now, r.before]));
  const pct = (v: number) => (max > 0 ? `${(v / max) * 100}%` : "0%");
  return (
    <div className="compare" role="img" aria-label={title}>
      {rows.map((r) => (
        <div className="compare-row" key={r.label}>
          <div className="compare-label" title={r.label}>
            {r.label}
          </div>
          <div className="compare-bars">
            <div className="cbar now" style={{ width: pct(r.now) }} title={`this period ${money(r.now)}`} />
            <div className="cbar before" style={{ width: pct(r.before) }} title={`previous period ${money(r.before)}`} />
          </div>
          <div className="compare-values">
            {money(r.now)} <span className="muted">vs {money(r.before)}</span>
          </div>
        </div>
      ))}
    </div>
  );
}
