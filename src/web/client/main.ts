import {
  EarlierRunsDocument,
  EngagementsUpdatedDocument,
  EngagementUpdatedDocument,
  type RunFieldsFragment,
  StartEngagementSummaryDocument,
} from '../../generated/graphql.ts';
import { byId, el, showText } from './dom.ts';
import {
  type ConnectionState,
  createLiveClient,
  type LiveClient,
  OperationError,
} from './graphqlClient.ts';
import { type EarlierRun, renderHistory } from './historyView.ts';
import {
  appendLogEntry,
  initStepper,
  type ProgressElements,
  resetProgress,
  updateProgress,
} from './progressView.ts';
import { clearSummary, renderSummary, type SummaryElements } from './summaryView.ts';

/**
 * The page's controller: it owns the GraphQL client, starts runs, follows one run at a
 * time over a subscription, follows the company on screen over another (so a run started
 * elsewhere, e.g. by a Fathom webhook, shows up by itself) and keeps the "Earlier runs"
 * list of its domain.
 */

const TOKEN_KEY = 'engagement-summary.token';
const TOKEN_MESSAGE = 'The server needs a valid access token';
const UNREACHABLE_MESSAGE =
  'The server cannot be reached. Check that it is running and that this page points at it, then try again.';

const ui = {
  form: byId<HTMLFormElement>('start-form'),
  website: byId<HTMLInputElement>('website'),
  startButton: byId<HTMLButtonElement>('start-button'),
  websiteError: byId('website-error'),
  token: byId<HTMLInputElement>('token'),
  tokenError: byId('token-error'),
  connection: byId('connection'),
  connectionText: byId('connection-text'),
  connectionError: byId('connection-error'),
  runCard: byId('run-card'),
  runTitle: byId('run-title'),
  runOrigin: byId('run-origin'),
  runError: byId('run-error'),
  welcome: byId('welcome'),
  historyCard: byId('history-card'),
  historyDomain: byId('history-domain'),
  history: byId<HTMLUListElement>('history'),
  logCard: byId('log-card'),
};

const progress: ProgressElements = {
  stepper: byId<HTMLOListElement>('stepper'),
  statusText: byId('run-status-text'),
  badge: byId('run-badge'),
  log: byId<HTMLOListElement>('log'),
};

const summaryElements: SummaryElements = {
  overview: byId('summary-overview'),
  sections: byId('summary'),
};

/** The run on screen. Replaced, never mutated from outside, so stale callbacks can tell. */
interface Watch {
  domain: string;
  runId: string;
  /** States arrive in version order; a resubscription repeats the current one. */
  lastVersion: number;
  /** When the run was created, once a state of it arrived: a later run is a newer one. */
  createdAt?: string;
  finished: boolean;
  stop: () => void;
}

let client: LiveClient;
let clientToken = '';
let watch: Watch | undefined;
let company: CompanyFollow | undefined;
let historyFor: string | undefined;
let historyTicket = 0;

// ---- Connection and token ----------------------------------------------------------------

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Live',
  offline: 'Offline',
  unauthorized: 'Token needed',
};

function onConnectionState(state: ConnectionState): void {
  ui.connection.dataset.state = state;
  ui.connectionText.textContent = CONNECTION_TEXT[state];
  if (state === 'connected') {
    showTokenError(false);
    showText(ui.connectionError, '');
  } else if (state === 'unauthorized') {
    showTokenError(true);
  }
}

function showTokenError(show: boolean): void {
  ui.tokenError.hidden = !show;
  if (show) ui.tokenError.textContent = TOKEN_MESSAGE;
  ui.token.setAttribute('aria-invalid', String(show));
}

function readStoredToken(): string {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return ''; // storage can be disabled; the field still works for this visit
  }
}

function storeToken(token: string): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // as above: not remembering the token is the only loss
  }
}

/** A new token means a new connection: graphql-ws sends it once, in connection_init. */
function connect(token: string): void {
  client?.dispose();
  clientToken = token;
  showTokenError(false);
  client = createLiveClient({ token, onStateChange: onConnectionState });
  // The run on screen keeps updating over the new connection, and so does its company.
  if (watch && !watch.finished) subscribe(watch);
  if (company) subscribeCompany(company);
}

function syncToken(): void {
  const token = ui.token.value.trim();
  if (token === clientToken) return;
  storeToken(token);
  connect(token);
}

// ---- Errors ------------------------------------------------------------------------------

function showFieldError(message: string): void {
  showText(ui.websiteError, message);
  ui.website.setAttribute('aria-invalid', message ? 'true' : 'false');
}

/** Puts an operation's failure where the person will look for it. */
function reportFailure(error: unknown, place: 'field' | 'run'): void {
  if (!(error instanceof OperationError)) {
    showText(ui.connectionError, 'Something went wrong in this page. Reload it and try again.');
    console.error(error);
    return;
  }
  switch (error.kind) {
    case 'cancelled':
      return;
    case 'unauthorized':
      showTokenError(true);
      ui.token.focus();
      return;
    case 'unreachable':
      showText(ui.connectionError, UNREACHABLE_MESSAGE);
      return;
    case 'graphql':
      if (place === 'field') showFieldError(error.message);
      else showRunError(error.message, 'This run cannot be shown.');
  }
}

/** The run's own words (a missing key, a timeout), under a plain heading. */
function showRunError(message: string, title = 'This run could not finish.'): void {
  ui.runError.replaceChildren(
    el('strong', { class: 'run-error-title' }, title),
    el('span', {}, message),
  );
  ui.runError.hidden = false;
}

// ---- Following a run ---------------------------------------------------------------------

function subscribe(current: Watch): void {
  current.stop();
  current.stop = client.watch(
    EngagementUpdatedDocument,
    { domain: current.domain, runId: current.runId },
    {
      next: (data) => {
        if (watch === current) applyState(current, data.engagementUpdated);
      },
      error: (error) => {
        if (watch !== current) return;
        reportFailure(error, 'run');
        if (error.kind === 'graphql') {
          current.finished = true;
          progress.statusText.textContent = 'This run cannot be shown.';
        } else if (error.kind === 'unreachable') {
          progress.statusText.textContent = 'Lost the connection to the server.';
        }
      },
      complete: () => {
        if (watch !== current) return;
        current.finished = true;
        // The list shows each run's status; this one just changed.
        if (historyFor === current.domain) void loadHistory(current.domain);
      },
    },
  );
}

function applyState(current: Watch, run: RunFieldsFragment): void {
  if (run.version <= current.lastVersion) return;
  current.lastVersion = run.version;
  current.createdAt = run.createdAt;
  showText(ui.runOrigin, run.trigger === 'WEBHOOK' ? 'Started by a new Fathom meeting' : '');
  appendLogEntry(progress.log, run);
  updateProgress(progress, run);
  if (run.status === 'COMPLETE') {
    current.finished = true;
    renderSummary(summaryElements, run);
  } else if (run.status === 'ERROR') {
    current.finished = true;
    showRunError(run.error ?? 'The run failed without saying why.');
  }
}

function followRun(domain: string, runId: string, initial?: RunFieldsFragment): void {
  watch?.stop();
  const current: Watch = { domain, runId, lastVersion: 0, finished: false, stop: () => {} };
  watch = current;

  ui.welcome.hidden = true;
  ui.runCard.hidden = false;
  ui.logCard.hidden = false;
  ui.runTitle.textContent = domain;
  showText(ui.runOrigin, '');
  document.title = `${domain} · Engagement summary`;
  showText(ui.runError, '');
  clearSummary(summaryElements);
  resetProgress(progress);
  markShownRun(runId);
  rememberInUrl(domain, runId);

  if (initial) applyState(current, initial);
  subscribe(current);
  followCompany(domain);
}

// ---- Following the company ---------------------------------------------------------------

/** The company on screen, followed over engagementsUpdated. Replaced, never mutated. */
interface CompanyFollow {
  domain: string;
  stop: () => void;
}

function followCompany(domain: string): void {
  if (company?.domain === domain) return;
  company?.stop();
  const current: CompanyFollow = { domain, stop: () => {} };
  company = current;
  subscribeCompany(current);
}

function subscribeCompany(current: CompanyFollow): void {
  current.stop();
  current.stop = client.watch(
    EngagementsUpdatedDocument,
    { domain: current.domain },
    {
      next: (data) => {
        if (company === current) onCompanyRun(data.engagementsUpdated);
      },
      // The run on screen has its own subscription, which reports a lost connection.
      error: () => {},
      complete: () => {},
    },
  );
}

/**
 * A state of any run of the company on screen. A run that starts after the one shown, once
 * that one has finished, takes the screen (a webhook's run arrives by itself); a run that
 * starts or ends refreshes the list of runs. Only a start takes the screen, so a person who
 * opened an earlier run is not pulled away by each state of a later one.
 */
function onCompanyRun(run: RunFieldsFragment): void {
  const shown = watch;
  if (!shown || shown.domain !== run.domain) return;
  if (run.runId !== shown.runId && run.version === 1 && shown.finished) {
    if (shown.createdAt === undefined || run.createdAt > shown.createdAt) {
      followRun(run.domain, run.runId, run);
      void loadHistory(run.domain);
      return;
    }
  }
  if (run.version === 1 || run.status !== 'PROCESSING') void loadHistory(run.domain);
}

/** The address bar names the run on screen, so a reload or a shared link shows it again. */
function rememberInUrl(domain: string, runId: string): void {
  const url = new URL(window.location.href);
  url.searchParams.set('domain', domain);
  url.searchParams.set('run', runId);
  window.history.replaceState(null, '', url);
}

// ---- Earlier runs ------------------------------------------------------------------------

function markShownRun(runId: string): void {
  for (const item of ui.history.querySelectorAll<HTMLElement>('[data-run-id]')) {
    if (item.dataset.runId === runId) item.setAttribute('aria-current', 'true');
    else item.removeAttribute('aria-current');
  }
}

function showHistory(runs: readonly EarlierRun[]): void {
  // A finished run yields its final state and completes; one still running goes on live.
  renderHistory(ui.history, runs, watch?.runId, (run) => followRun(run.domain, run.runId));
}

async function loadHistory(domain: string): Promise<void> {
  const ticket = ++historyTicket;
  try {
    const data = await client.request(EarlierRunsDocument, { domain, limit: 10 });
    if (ticket !== historyTicket) return; // a newer list was asked for meanwhile
    const runs = data.engagements;
    historyFor = runs[0]?.domain ?? domain;
    ui.historyDomain.textContent = `Runs for ${historyFor}, newest first.`;
    ui.historyCard.hidden = false;
    showHistory(runs);
  } catch (error) {
    // The list is a side panel: an invalid domain is already explained under the field.
    if (error instanceof OperationError && error.kind === 'graphql') return;
    reportFailure(error, 'run');
  }
}

// ---- Starting a run ----------------------------------------------------------------------

async function start(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  if (ui.startButton.disabled) return;
  syncToken();
  showFieldError('');
  showText(ui.connectionError, '');

  const website = ui.website.value.trim();
  if (!website) {
    showFieldError('Type a company website, for example acme.com.');
    ui.website.focus();
    return;
  }

  ui.startButton.disabled = true;
  ui.form.setAttribute('aria-busy', 'true');
  try {
    const { startEngagementSummary: started } = await client.request(
      StartEngagementSummaryDocument,
      { domain: website },
    );
    followRun(started.domain, started.runId, started.run);
    // On a phone the run's progress starts below the fold: bring it to the reader.
    ui.runCard.scrollIntoView({ block: 'nearest' });
    void loadHistory(started.domain);
  } catch (error) {
    reportFailure(error, 'field');
    // Too many starts, but the domain is valid: its earlier runs are still worth showing.
    if (error instanceof OperationError && error.code === 'RATE_LIMITED') {
      void loadHistory(website);
    }
  } finally {
    ui.startButton.disabled = false;
    ui.form.removeAttribute('aria-busy');
  }
}

// ---- Wiring ------------------------------------------------------------------------------

initStepper(progress.stepper);
ui.token.value = readStoredToken();
connect(ui.token.value.trim());

ui.form.addEventListener('submit', (event) => void start(event));
ui.token.addEventListener('change', syncToken);
byId<HTMLFormElement>('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  syncToken();
});
ui.website.addEventListener('input', () => {
  if (!ui.websiteError.hidden) showFieldError('');
});

// A link to a run (see rememberInUrl) opens straight on it.
{
  const params = new URLSearchParams(window.location.search);
  const domain = params.get('domain');
  const runId = params.get('run');
  if (domain && runId) {
    ui.website.value = domain;
    followRun(domain, runId);
    void loadHistory(domain);
  }
}
