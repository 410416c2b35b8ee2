/** The dashboard's stylesheet (served as /app.css). */
export const DASHBOARD_CSS = `:root {
  --bg: #f5f6f8; --card: #fff; --ink: #1d2330; --muted: #6b7385; --line: #d5d9e2;
  --accent: #2563eb; --accent-soft: #dbe7ff; --ok: #15803d; --warn: #b45309; --bad: #b91c1c;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 14px;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); }
.top { display: flex; align-items: center; gap: 12px; padding: 10px 20px; background: var(--ink); color: #fff; flex-wrap: wrap; }
.top h1 { font-size: 16px; margin: 0; }
.top a { color: #fff; }
.spacer { flex: 1; }
.gateway-meta { color: #c9cfdb; font-size: 12px; }
.conn { padding: 2px 8px; border-radius: 10px; background: #444b5c; font-size: 12px; }
.conn.ok { background: var(--ok); } .conn.warn { background: var(--warn); } .conn.bad { background: var(--bad); }
button { font: inherit; padding: 4px 10px; border-radius: 6px; border: 1px solid var(--line); background: #fff; color: var(--ink); cursor: pointer; }
button:hover { border-color: var(--accent); }
button:disabled { opacity: .5; cursor: default; }
.notice { margin: 12px 20px 0; padding: 8px 12px; border-radius: 6px; background: var(--accent-soft); }
.notice.bad { background: #fde2e2; color: var(--bad); } .notice.ok { background: #dcfce7; color: var(--ok); }
main { padding: 16px 20px; display: grid; gap: 16px; }
.account { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.account-head { display: flex; align-items: center; gap: 10px; }
.account-head h2 { margin: 0; font-size: 17px; }
.badge { padding: 2px 10px; border-radius: 10px; background: var(--accent-soft); color: var(--accent); font-weight: 600; }
.badge.state-streaming { background: #dcfce7; color: var(--ok); }
.badge.state-backoff-restart, .badge.state-cooling-down, .badge.state-resubscribing, .badge.state-spawning { background: #fef3c7; color: var(--warn); }
.badge.state-awaiting-permissions, .badge.state-misconfigured, .badge.state-refused { background: #fde2e2; color: var(--bad); }
.badge.state-stopped, .badge.state-stopping, .badge.state-disabled { background: #eceef2; color: var(--muted); }
.retry { margin-left: auto; }
.meta, .reason { margin: 6px 0 0; color: var(--muted); }
.health .badge.degraded { background: var(--bad); color: #fff; }
.degraded-reasons { margin: 4px 0 0; padding-left: 18px; color: var(--bad); }
.diagram { margin: 10px 0; border: 1px solid var(--line); border-radius: 8px; background: #fbfcfe; overflow-x: auto; }
svg.machine { display: block; width: 100%; min-width: 720px; height: auto; }
svg.machine.inactive { opacity: .55; }
.node rect { fill: #fff; stroke: #9aa3b5; stroke-width: 1.2; }
.node.compound > rect { fill: #f1f3f7; stroke-dasharray: 4 3; }
.node rect.inner { fill: none; }
.node text { font-size: 13px; fill: var(--ink); }
.node.compound > text { font-weight: 600; font-size: 12px; fill: var(--muted); }
.node.active > rect { stroke: var(--accent); stroke-width: 2; stroke-dasharray: none; fill: #eef3ff; }
.node.current > rect { fill: var(--accent); stroke: #1e40af; stroke-width: 2.5; }
.node.current > text { fill: #fff; font-weight: 700; }
.edge path { fill: none; stroke: #a3acbd; stroke-width: 1.2; }
.edge text { font-size: 10px; fill: var(--muted); paint-order: stroke; stroke: #fbfcfe; stroke-width: 3px; }
.edge.last path { stroke: var(--accent); stroke-width: 2.4; }
.edge.last text { fill: var(--accent); font-weight: 600; }
.arrowhead { fill: #7d8799; }
.any-edges { font-size: 11px; fill: var(--muted); }
.panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 12px; }
.panel { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
.panel.wide { grid-column: 1 / -1; }
.panel h3 { margin: 0 0 6px; font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.counters { display: grid; grid-template-columns: auto 1fr; gap: 2px 12px; margin: 0; }
.counters dt { color: var(--muted); } .counters dd { margin: 0; font-variant-numeric: tabular-nums; }
.error-message { margin: 0 0 4px; color: var(--bad); font-weight: 600; }
.remediation { margin: 6px 0 0; padding: 6px 8px; background: #fff7e6; border-left: 3px solid var(--warn); }
.muted { color: var(--muted); }
.transitions { margin: 0; padding: 0; list-style: none; max-height: 260px; overflow-y: auto; }
.transitions li { display: grid; grid-template-columns: 90px 260px 1fr; gap: 8px; padding: 3px 0; border-bottom: 1px solid #eef0f4; }
.transitions .move { font-weight: 600; }
.pairing-list { margin: 0; padding: 0; list-style: none; }
.pairing-list li { padding: 4px 0; }
code { background: #eef0f4; padding: 1px 5px; border-radius: 4px; }
@media (max-width: 700px) { .transitions li { grid-template-columns: 1fr; } }
`;
