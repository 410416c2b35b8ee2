/**
 * The dashboard's entry point (bundled by esbuild into /app.js): the fleet overview first, an
 * account's detail when one is selected (`#account=<id>`), the live message flow and the recent
 * log below; live from the event stream, greyed out with "gateway not reachable" when it drops.
 */
import { AccountDetail } from './account-detail.js';
import { Api, ApiError } from './api.js';
import { byId } from './dom.js';
import { connectEvents } from './event-stream.js';
import { dateTime, time } from './format.js';
import { renderFlow } from './flow-panel.js';
import { renderLog } from './log-panel.js';
import { notify } from './notice.js';
import { renderOverview } from './overview.js';
import { pageTitle } from './overview-sort.js';
import { readToken, tokenHelp } from './token.js';
import type { AccountStatus, FlowAnswer, GatewayEvent, GatewayStatus, LogAnswer, MachineLayout } from './types.js';

const FLOW_POLL_MS = 2000;
const LOG_POLL_MS = 3000;
const PANELS_POLL_MS = 10_000;

interface Model {
  api: Api;
  status: GatewayStatus | undefined;
  layout: MachineLayout | undefined;
  flow: FlowAnswer | undefined;
  log: LogAnswer | undefined;
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
      model.detail = new AccountDetail(selected.id, model.api, notify, model.layout);
      detailRoot.replaceChildren(model.detail.root);
      model.detail.refreshPanels();
    }
    model.detail.render(selected, model.offline);
  }
  if (!selected) model.detail = undefined;
  byId('flow-scope').textContent = selected ? `(${selected.id})` : '(all accounts)';
  renderFlow(byId('flow'), model.flow, accounts, selected ? selected.id : null);
  renderLog(byId('log'), model.log?.records ?? [], selected ? selected.id : null);
}

function applyEvent(model: Model, event: GatewayEvent): void {
  if (event.type === 'status') {
    model.status = event.status;
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

async function poll(model: Model, what: 'flow' | 'log'): Promise<void> {
  if (model.offline) return;
  try {
    if (what === 'flow') {
      const scope = model.selected ? `&account=${encodeURIComponent(model.selected)}` : '';
      model.flow = await model.api.get<FlowAnswer>(`/api/flow?limit=100${scope}`);
    } else {
      model.log = await model.api.get<LogAnswer>('/api/log?limit=200');
    }
    render(model);
  } catch {
    // the event stream reports an unreachable gateway; a failed poll just waits for the next
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
    flow: undefined,
    log: undefined,
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
  let layoutLoading = false;
  const loadLayout = (): void => {
    if (model.layout || layoutLoading) return;
    layoutLoading = true;
    model.api
      .get<MachineLayout>('/api/machine/layout')
      .then(
        (layout) => {
          model.layout = layout;
          model.detail = undefined; // rebuilt with its diagram
          render(model);
        },
        () => undefined,
      )
      .finally(() => (layoutLoading = false));
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
    void poll(model, 'flow');
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
    },
    drop: () => {
      setConnection('not reachable', 'bad');
      model.offline = true;
      render(model);
    },
    unauthorized,
  });
  void poll(model, 'flow');
  void poll(model, 'log');
  setInterval(() => void poll(model, 'flow'), FLOW_POLL_MS);
  setInterval(() => void poll(model, 'log'), LOG_POLL_MS);
  setInterval(() => {
    if (!model.offline) model.detail?.refreshPanels();
  }, PANELS_POLL_MS);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => void start());
else void start();
