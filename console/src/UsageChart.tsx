import { useId } from 'react';
import { requests } from './ui';

export interface UsageDay {
  date: string;
  requests: number;
}

/** The last `days` UTC days, oldest first, with 0 for days the API left out (no use). */
export function fillDays(usage: UsageDay[], days = 30, now = new Date()): UsageDay[] {
  const byDate = new Map(usage.map((d) => [d.date, d.requests]));
  const out: UsageDay[] = [];
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  for (let i = days - 1; i >= 0; i--) {
    const date = new Date(today - i * 864e5).toISOString().slice(0, 10);
    out.push({ date, requests: byDate.get(date) ?? 0 });
  }
  return out;
}

const short = new Intl.DateTimeFormat('en', { month: 'short', day: 'numeric', timeZone: 'UTC' });
const label = (date: string) => short.format(new Date(`${date}T00:00:00Z`));

/**
 * Requests per day as an SVG bar chart drawn by hand: 30 bars need no chart library
 * (the smallest ones add 40–100 kB). It is one labelled image for screen readers, with the
 * same numbers in a table they can read instead; each bar has a tooltip.
 */
export function UsageChart({ days }: { days: UsageDay[] }) {
  const id = useId();
  const total = days.reduce((s, d) => s + d.requests, 0);
  const peak = Math.max(0, ...days.map((d) => d.requests));
  const top = niceCeil(peak);
  const W = 600;
  const H = 160;
  const left = 36;
  const bottom = 20;
  const plotW = W - left - 4;
  const plotH = H - bottom - 8;
  const slot = plotW / days.length;
  const barW = Math.max(2, slot * 0.7);
  const summary = `${requests(total)} in the last ${days.length} days; busiest day ${requests(peak)}.`;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-cap`} className="chart-svg" preserveAspectRatio="none">
        {[0, 0.5, 1].map((f) => {
          const y = 8 + plotH * (1 - f);
          return (
            <g key={f}>
              <line x1={left} x2={W - 4} y1={y} y2={y} className="chart-grid" />
              <text x={left - 6} y={y + 4} textAnchor="end" className="chart-axis">
                {Math.round(top * f)}
              </text>
            </g>
          );
        })}
        {days.map((d, i) => {
          const h = top === 0 ? 0 : (d.requests / top) * plotH;
          const x = left + i * slot + (slot - barW) / 2;
          return (
            <rect key={d.date} x={x} y={8 + plotH - h} width={barW} height={Math.max(h, d.requests > 0 ? 1.5 : 0)} rx={1.5} className="chart-bar">
              <title>{`${label(d.date)}: ${d.requests} ${d.requests === 1 ? 'request' : 'requests'}`}</title>
            </rect>
          );
        })}
        {days.map((d, i) =>
          i % 7 === 0 || (i === days.length - 1 && i % 7 >= 4) ? (
            <text key={d.date} x={left + i * slot + slot / 2} y={H - 4} textAnchor="middle" className="chart-axis">
              {label(d.date)}
            </text>
          ) : null,
        )}
      </svg>
      <figcaption id={`${id}-cap`} className="chart-caption">
        {summary}
      </figcaption>
      <table className="sr-only">
        <caption>Requests per day (UTC)</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Requests</th>
          </tr>
        </thead>
        <tbody>
          {days.map((d) => (
            <tr key={d.date}>
              <td>{d.date}</td>
              <td>{d.requests}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

function niceCeil(n: number): number {
  if (n <= 4) return 4;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}
