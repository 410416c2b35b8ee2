/**
 * The dashboard's entry point (bundled by esbuild into /app.js): the fleet overview first, an
 * account's detail when one is selected (`#account=<id>`), the live message flow and the recent
 * log below; live from the event stream, greyed out with "gateway not reachable" when it drops.
 * The flow and the log are fetched once each time the stream opens (the backlog, and what a drop
 * missed) and from then on pushed by the gateway (`flow` and `log` events); events that arrive
 * while a backlog is loading are applied on top of it.
 */
import { AccountDetail } from './account-detail.js';
import { Api, ApiError } from './api.js';
import { byId } from './dom.js';
import { connectEvents } from './event-stream.js';
import { dateTime, time } from './format.js';
import { renderFlow } from './flow-panel.js';
import { renderLog } from './log-panel.js';
import { mergeFlow, mergeLog } from './live-merge.js';
import { notify } from './notice.js';
import { renderOverview } from './overview.js';
import { pageTitle } from './overview-sort.js';
import { readToken, tokenHelp } from './token.js';
import type { AccountStatus, FlowAnswer, GatewayEvent, GatewayStatus, LogAnswer, LogRecord, MachineLayout } from './types.js';

const PANELS_POLL_MS = 10_000;

type FlowEvent = Extract<GatewayEvent, { type: 'flow' }>;

interface Model {
  api: Api;
  status: GatewayStatus | undefined;
  layout: MachineLayout | undefined;
  /** GET /api/machine/layout is out (the gateway lays the diagram out on the first request: seconds). */
  layoutLoading: boolean;
  flow: FlowAnswer | undefined;
  log: LogRecord[] | undefined;
  /** Pushed while a backlog request is out: applied on top of its answer. */
  pendingFlow: FlowEvent[] | undefined;
  pendingLog: LogRecord[] | undefined;
  /** The latest flow backlog request: an older answer (another scope) is dropped. */
  flowRequest: number;
  offline: boolean;
  lastContact: number | undefined;
  selected: string | null;
  detail: AccountDetail | undefined;
}

function setConnection(text: string, kind: 'ok' | 'warn' | 'bad'): void {
  const c = byId('connection');
  c.textContent = text;
  c.className = `conn ${kind}`;
}

function selectedFromHash(): string | null {
  const m = /(?:^#|&)account=([^&]+)/.exec(location.hash);
  return m?.[1] ? decodeURIComponent(m[1]) : null;
}

function renderMeta(model: Model): void {
  const meta = byId('gateway-meta');
  const s = model.status;
  if (model.offline) {
    meta.textContent = `not reachable${model.lastContact ? ` since ${time(model.lastContact)}` : ''}${s ? ` · pid ${s.pid} (last known)` : ''}`;
    return;
  }
  if (!s) return;
  meta.textContent = [
    s.running ? 'running' : 'stopping',
    `pid ${s.pid}`,
    `started ${dateTime(s.startedAt)}`,
    s.configPath,
    s.runtime ? `node ${s.runtime.node}` : null,
    `updated ${time(s.updatedAt)}`,
  ]
    .filter(Boolean)
    .join(' · ');
}

function render(model: Model): void {
  const accounts = model.status?.accounts ?? [];
  document.title = pageTitle(accounts);
  document.body.classList.toggle('offline', model.offline);
  const banner = byId('offline');
  banner.hidden = !model.offline;
  banner.textContent = `gateway not reachable${model.lastContact ? ` (last contact ${time(model.lastContact)})` : ''}: the page shows the last known state and reconnects on its own. Is \`imessage-gateway start\` running?`;
  renderMeta(model);
  const overview = byId('overview');
  const detailRoot = byId('detail');
  const selected = model.selected !== null ? accounts.find((a) => a.id === model.selected) : undefined;
  overview.hidden = selected !== undefined;
  detailRoot.hidden = selected === undefined;
  if (!selected) {
    renderOverview(overview, accounts, null, model.offline, { select: (id) => (location.hash = `account=${encodeURIComponent(id)}`) });
  } else {
    if (model.detail?.id !== selected.id) {
      model.detail = new AccountDetail(selected.id, model.api, notify, model.layout ?? (model.layoutLoading ? 'loading' : 'unavailable'));
      detailRoot.replaceChildren(model.detail.root);
      model.detail.refreshPanels();
    }
    model.detail.render(selected, model.offline);
  }
  if (!selected) model.detail = undefined;
  byId('flow-scope').textContent = selected ? `(${selected.id})` : '(all accounts)';
  renderFlow(byId('flow'), model.flow, accounts, selected ? selected.id : null);
  renderLog(byId('log'), model.log ?? [], selected ? selected.id : null);
}

function applyEvent(model: Model, event: GatewayEvent): void {
  if (event.type === 'status') {
    model.status = event.status;
  } else if (event.type === 'flow') {
    model.pendingFlow?.push(event);
    model.flow = mergeFlow(model.flow, event.entries, event.showText, model.selected);
  } else if (event.type === 'log') {
    model.pendingLog?.push(...event.records);
    model.log = mergeLog(model.log ?? [], event.records);
  } else if (model.status) {
    const account: AccountStatus | undefined = model.status.accounts.find((a) => a.id === event.accountId);
    if (!account) return;
    account.state = event.to;
    account.since = event.at;
    account.reason = event.reason;
    account.transitions = [...account.transitions, { at: event.at, from: event.from, to: event.to, reason: event.reason }].slice(-20);
  }
  model.lastContact = Date.now();
  render(model);
}

/** The flow's backlog (GET /api/flow, of the selected account or all): when the stream opens and when the selection changes. */
async function loadFlow(model: Model): Promise<void> {
  const request = ++model.flowRequest;
  const scope = model.selected;
  model.pendingFlow = [];
  try {
    const answer = await model.api.get<FlowAnswer>(`/api/flow?limit=100${scope ? `&account=${encodeURIComponent(scope)}` : ''}`);
    if (request !== model.flowRequest) return;
    let flow = answer;
    for (const e of model.pendingFlow ?? []) flow = mergeFlow(flow, e.entries, e.showText, scope);
    model.flow = flow;
    render(model);
  } catch {
    // the event stream reports an unreachable gateway, and its next open loads the backlog again
  } finally {
    if (request === model.flowRequest) model.pendingFlow = undefined;
  }
}

/** The recent log's backlog (GET /api/log) when the stream opens: replaces what the page held (a restarted gateway numbers its records anew). */
async function loadLog(model: Model): Promise<void> {
  model.pendingLog = [];
  try {
    const answer = await model.api.get<LogAnswer>('/api/log?limit=200');
    model.log = mergeLog(answer.records, model.pendingLog);
    render(model);
  } catch {
    // as for the flow
  } finally {
    model.pendingLog = undefined;
  }
}

async function start(): Promise<void> {
  // A new dashboard URL pasted into this tab: start over with its token.
  window.addEventListener('hashchange', () => {
    if (/token=/.test(location.hash)) location.reload();
  });
  const token = readToken();
  if (!token) {
    setConnection('no token', 'bad');
    notify(tokenHelp('missing'), 'bad');
    document.body.classList.add('no-token');
    return;
  }
  const model: Model = {
    api: new Api(token),
    status: undefined,
    layout: undefined,
    layoutLoading: false,
    flow: undefined,
    log: undefined,
    pendingFlow: undefined,
    pendingLog: undefined,
    flowRequest: 0,
    offline: false,
    lastContact: undefined,
    selected: selectedFromHash(),
    detail: undefined,
  };
  const unauthorized = (): void => {
    setConnection('unauthorized', 'bad');
    notify(tokenHelp('rejected'), 'bad');
  };
  // The diagram's layout may still be computing on the gateway: the rest of the page does not wait for it.
  const loadLayout = (): void => {
    if (model.layout || model.layoutLoading) return;
    model.layoutLoading = true;
    model.api
      .get<MachineLayout>('/api/machine/layout')
      .then(
        (layout) => (model.layout = layout),
        () => undefined,
      )
      .finally(() => {
        model.layoutLoading = false;
        model.detail = undefined; // rebuilt with its diagram, or saying it is unavailable
        render(model);
      });
  };
  try {
    const [status, info] = await Promise.all([model.api.get<GatewayStatus>('/api/status'), model.api.get<{ inspector: string | null }>('/api/info').catch(() => null)]);
    model.status = status;
    model.lastContact = Date.now();
    if (info?.inspector) {
      const link = byId<HTMLAnchorElement>('inspector-link');
      link.href = info.inspector;
      link.hidden = false;
    }
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return unauthorized();
    model.offline = true;
  }
  loadLayout();
  window.addEventListener('hashchange', () => {
    model.selected = selectedFromHash();
    model.flow = undefined;
    render(model);
    void loadFlow(model);
    window.scrollTo(0, 0);
  });
  byId('home-link').addEventListener('click', (event) => {
    event.preventDefault();
    location.hash = '';
  });
  byId('reload').addEventListener('click', () => {
    model.api.post<{ restarted?: string[] }>('/api/reload').then(
      (r) => notify(`config reloaded${r.restarted?.length ? `; restarted ${r.restarted.join(', ')}` : ''}`, 'ok'),
      (err: Error) => notify(`reload rejected: ${err.message}`, 'bad'),
    );
  });
  render(model);
  connectEvents(token, {
    event: (e) => applyEvent(model, e),
    open: () => {
      setConnection('live', 'ok');
      model.offline = false;
      loadLayout();
      render(model);
      // The backlog, and after a reconnect what the drop missed; pushed from here on.
      void loadFlow(model);
      void loadLog(model);
    },
    drop: () => {
      setConnection('not reachable', 'bad');
      model.offline = true;
      render(model);
    },
    unauthorized,
  });
  setInterval(() => {
    if (!model.offline) model.detail?.refreshPanels();
  }, PANELS_POLL_MS);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => void start());
else void start();
