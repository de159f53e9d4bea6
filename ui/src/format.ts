// Words for numbers and times: "late by 5 h", "3 days ago", "$12.40".

export function duration(seconds: number): string {
  const s = Math.abs(seconds);
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

/** "26h", "1h30m", "2d", "45m" → seconds (the freshness rules' max_lag); null when it is not one of those. */
export function parseLag(text: string | null | undefined): number | null {
  if (!text) return null;
  const parts = String(text).trim().toLowerCase().match(/(\d+(?:\.\d+)?)\s*([dhms])/g);
  if (!parts) return null;
  const unit: Record<string, number> = { d: 86400, h: 3600, m: 60, s: 1 };
  return parts.reduce((sum, p) => {
    const m = p.match(/(\d+(?:\.\d+)?)\s*([dhms])/)!;
    return sum + Number(m[1]) * unit[m[2]];
  }, 0);
}

export function parseTime(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  // the catalog stores UTC; SQLite may give it back without an offset
  const text = /[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function ago(iso: string | null | undefined, now: Date = new Date()): string {
  const d = parseTime(iso);
  if (!d) return "never";
  const s = (now.getTime() - d.getTime()) / 1000;
  return s >= 0 ? `${duration(s)} ago` : `in ${duration(-s)}`;
}

export function when(iso: string | null | undefined): string {
  const d = parseTime(iso);
  if (!d) return "—";
  return d.toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

export function money(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  if (value === 0) return "$0";
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 1 ? 2 : abs >= 0.01 ? 3 : 4;
  return `${value < 0 ? "−" : ""}$${abs.toFixed(digits)}`;
}

export function percent(share: number | null | undefined): string {
  if (share === null || share === undefined) return "—";
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
}

export function plural(n: number, word: string, many?: string): string {
  return `${n} ${n === 1 ? word : many ?? `${word}s`}`;
}

/** The table name of an asset key: its last segment ("warehouse:tempo.raw.orders" → "orders"). */
export function tableName(key: string): string {
  const name = key.includes(":") ? key.slice(key.indexOf(":") + 1) : key;
  return name.split(/[./]/).filter(Boolean).pop() ?? name;
}

export function namespaceOf(key: string): string {
  return key.includes(":") ? key.slice(0, key.indexOf(":")) : "";
}

export function nameOf(key: string): string {
  return key.includes(":") ? key.slice(key.indexOf(":") + 1) : key;
}

/** 1234567 -> "1,234,567" (without Intl: its first use in a page costs tens of milliseconds). */
export function count(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
