import {
  EarlierRunsDocument,
  EngagementStatusDocument,
  EngagementsUpdatedDocument,
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
 * The page's controller: it owns the GraphQL client, starts runs, follows the company on
 * screen over one subscription (engagementsUpdated: every state of every run of it, so the
 * run on screen and a run started elsewhere, e.g. by a Fathom webhook, both arrive there),
 * and keeps the "Earlier runs" list of its domain. The run on screen is read once by itself
 * only when the company's stream does not start from it (an earlier run opened by a link or
 * from the list), since that stream starts from the newest run's current state.
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
  /** States arrive in version order; a read or a resubscription may repeat one. */
  lastVersion: number;
  /** When the run was created, once a state of it arrived: a later run is a newer one. */
  createdAt?: string;
  finished: boolean;
  /** A read of the run (readRun) is in flight; `readAgain`: one more is due after it. */
  reading: boolean;
  readAgain: boolean;
  /** Armed while the run has not finished: fires when it has said nothing for a while. */
  silence?: ReturnType<typeof setTimeout>;
}

/**
 * A run on screen that has not finished and has said nothing for this long is read once
 * (and again after as long, while it stays silent). The company's stream carries every state
 * but no deletions: a run deleted while going would otherwise stay on screen as last shown.
 * Longer than a run's steps usually take, so a run that is working is never read.
 */
const SILENT_RUN_READ_MS = 30_000;

let client: LiveClient;
let clientToken = '';
let watch: Watch | undefined;
let company: CompanyFollow | undefined;
let historyTicket = 0;

// ---- Connection and token ----------------------------------------------------------------

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Live',
  offline: 'Offline',
  unauthorized: 'Token needed',
};

function onConnectionState(state: ConnectionState): void {
  // graphql-ws subscribes again on a new socket: the company's stream starts over.
  if (state === 'connected' && company) company.restarted = true;
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
  // The company on screen, and so the run on screen, keeps updating over the new connection.
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

/**
 * Reads the run on screen once: its state for a run the company's stream does not start
 * from, or what it missed while that stream was not there. Later states come with the
 * company's. A run that does not exist (deleted, or a link to an unknown one) cannot be shown.
 */
async function readRun(current: Watch): Promise<void> {
  if (current.reading) {
    // The answer may predate what is due now: read again once it is in.
    current.readAgain = true;
    return;
  }
  current.reading = true;
  try {
    const { engagementStatus } = await client.request(EngagementStatusDocument, {
      domain: current.domain,
      runId: current.runId,
    });
    if (watch !== current) return;
    const [run] = engagementStatus;
    if (run) applyState(current, run);
    else cannotShow(current, `Run ${current.runId} of ${current.domain} no longer exists.`);
  } catch (error) {
    if (watch !== current) return;
    if (error instanceof OperationError && error.kind === 'graphql') {
      cannotShow(current, error.message);
    } else {
      reportFailure(error, 'run');
    }
  } finally {
    current.reading = false;
    if (current.readAgain && !current.finished && watch === current) {
      current.readAgain = false;
      void readRun(current);
    }
  }
}

/** (Re)arms the read of a silent run on screen; a finished run is not read again. */
function expectNews(current: Watch): void {
  clearTimeout(current.silence);
  if (current.finished) return;
  current.silence = setTimeout(() => {
    if (watch !== current || current.finished) return;
    void readRun(current);
    expectNews(current);
  }, SILENT_RUN_READ_MS);
}

function cannotShow(current: Watch, message: string): void {
  current.finished = true;
  clearTimeout(current.silence);
  showRunError(message, 'This run cannot be shown.');
  progress.statusText.textContent = 'This run cannot be shown.';
}

/** Shows a state of the run on screen; false when it was not newer than the one shown. */
function applyState(current: Watch, run: RunFieldsFragment): boolean {
  if (run.version <= current.lastVersion) return false;
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
  expectNews(current);
  return true;
}

function followRun(domain: string, runId: string, initial?: RunFieldsFragment): void {
  const current: Watch = {
    domain,
    runId,
    lastVersion: 0,
    finished: false,
    reading: false,
    readAgain: false,
  };
  if (watch) clearTimeout(watch.silence);
  watch = current;
  expectNews(current);

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
  followCompany(domain);
  if (!initial) void readRun(current);
}

// ---- Following the company ---------------------------------------------------------------

/** The company on screen, followed over engagementsUpdated. Replaced, never mutated. */
interface CompanyFollow {
  domain: string;
  /** The stream (re)started and has not yet delivered its first state. */
  restarted: boolean;
  /** False once the stream ended (the server unreachable, a refused token). */
  live: boolean;
  stop: () => void;
}

function followCompany(domain: string): void {
  if (company?.domain === domain && company.live) return;
  company?.stop();
  const current: CompanyFollow = { domain, restarted: true, live: true, stop: () => {} };
  company = current;
  subscribeCompany(current);
}

function subscribeCompany(current: CompanyFollow): void {
  current.stop();
  current.restarted = true;
  current.live = true;
  // The stream has ended (not one stopped for a newer one): the next run shown of this
  // company subscribes again.
  let stop = () => {};
  const ended = () => {
    if (current.stop === stop) current.live = false;
  };
  stop = client.watch(
    EngagementsUpdatedDocument,
    { domain: current.domain },
    {
      next: (data) => {
        if (company !== current) return;
        const restarted = current.restarted;
        current.restarted = false;
        onCompanyRun(data.engagementsUpdated, restarted);
      },
      error: (error) => {
        ended();
        if (company !== current) return;
        // An invalid domain is explained where it was typed, or by the run's own read.
        if (error.kind === 'graphql') return;
        reportFailure(error, 'run');
        if (error.kind === 'unreachable' && watch && !watch.finished) {
          progress.statusText.textContent = 'Lost the connection to the server.';
        }
      },
      complete: ended,
    },
  );
  current.stop = stop;
}

/**
 * A state of any run of the company on screen. A state of the run shown is shown. A run
 * that starts after the one shown, once that one has finished, takes the screen (a
 * webhook's run arrives by itself); a run that starts or ends refreshes the list of runs.
 * Only a start takes the screen, so a person who opened an earlier run is not pulled away
 * by each state of a later one. `first`: the stream's first state since it (re)started,
 * the newest run's; when that is not the run shown and the run shown has not finished, the
 * run shown is read once, for the states it may have missed meanwhile.
 */
function onCompanyRun(run: RunFieldsFragment, first: boolean): void {
  const shown = watch;
  if (!shown || shown.domain !== run.domain) return;
  if (run.runId === shown.runId) {
    // The list shows each run's status; this one just changed.
    if (applyState(shown, run) && run.status !== 'PROCESSING') void loadHistory(run.domain);
    return;
  }
  if (first && !shown.finished) void readRun(shown);
  if (run.version === 1 && shown.finished) {
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
    const listed = runs[0]?.domain ?? domain;
    ui.historyDomain.textContent = `Runs for ${listed}, newest first.`;
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
