//! Runs the checks of a plan concurrently. Every check starts at once; one that needs another's
//! result waits only for that one. Each has its own deadline, a whole run can be cancelled, and every
//! event carries the run id so a consumer can drop results of a stale run.

use super::authorise::{self, RedirectSource};
use super::discovery::{self, Discovery};
use super::http::{FetchError, HttpClient, Trust};
use super::netbox::{self, AuthorizeRequest, LoginPage};
use super::{Finding, Status, clock, jwks, tls};
use crate::plan::{Pkce, Plan};
use futures_util::FutureExt;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::{OnceCell, mpsc, watch};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    KanidmTls,
    Discovery,
    Jwks,
    Clock,
    NetboxLogin,
    Redirect,
    Authorise,
}

impl CheckId {
    pub const ALL: [CheckId; 7] = [
        Self::KanidmTls,
        Self::Discovery,
        Self::Jwks,
        Self::Clock,
        Self::NetboxLogin,
        Self::Redirect,
        Self::Authorise,
    ];

    /// The name used by `--only` and in JSON.
    pub fn key(self) -> &'static str {
        match self {
            Self::KanidmTls => "kanidm-tls",
            Self::Discovery => "discovery",
            Self::Jwks => "jwks",
            Self::Clock => "clock",
            Self::NetboxLogin => "netbox-login",
            Self::Redirect => "redirect",
            Self::Authorise => "authorise",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::KanidmTls => "Kanidm TLS",
            Self::Discovery => "Discovery",
            Self::Jwks => "Signing keys (JWKS)",
            Self::Clock => "Clocks",
            Self::NetboxLogin => "NetBox login page",
            Self::Redirect => "Redirect URL (asked from NetBox)",
            Self::Authorise => "Kanidm authorise probe",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|id| id.key() == key)
    }

    /// The checks whose results this one needs.
    pub fn dependencies(self) -> &'static [CheckId] {
        match self {
            Self::KanidmTls | Self::Clock | Self::NetboxLogin => &[],
            Self::Discovery => &[Self::KanidmTls],
            Self::Jwks => &[Self::Discovery],
            Self::Redirect => &[Self::NetboxLogin],
            Self::Authorise => &[Self::Discovery, Self::Redirect],
        }
    }
}

/// One step of a check, streamed to the screen or the CLI.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckEvent {
    pub run: u64,
    pub id: CheckId,
    pub status: Status,
    pub finding: Option<Finding>,
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Only these checks are reported (their dependencies still run, silently).
    pub only: Option<BTreeSet<CheckId>>,
    /// Deadline of each HTTP check, including its reads.
    pub timeout: Duration,
    /// Deadline of the clock check (it spaces its requests over several seconds).
    pub clock_timeout: Duration,
    /// Requests per host for the clock measurement.
    pub clock_requests: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            only: None,
            timeout: Duration::from_secs(10),
            clock_timeout: Duration::from_secs(20),
            clock_requests: clock::DEFAULT_MAX_REQUESTS,
        }
    }
}

/// What a finished check leaves for the checks that depend on it.
#[derive(Debug, Clone, Default)]
enum Artifact {
    #[default]
    Nothing,
    Discovery(Box<Discovery>),
    LoginPage(Box<LoginPage>),
    Authorize(Box<AuthorizeRequest>),
}

type Outcome = (Finding, Artifact);
type Slot = watch::Receiver<Option<Arc<Outcome>>>;

/// The HTTP clients every check of a run shares.
struct Clients {
    kanidm: HttpClient,
    netbox: HttpClient,
}

impl Clients {
    /// Builds both clients. This reads the plan's CA file and the system's trusted roots from disk,
    /// so it runs on a blocking thread; a client that cannot be built is every check's finding.
    async fn build(plan: &Plan, connect: Duration) -> Result<Self, Finding> {
        let kanidm_trust = match &plan.ca_file {
            Some(p) => Trust::CaFile(p.clone()),
            None => Trust::SystemRoots,
        };
        let built = tokio::task::spawn_blocking(move || {
            (
                HttpClient::new(&kanidm_trust, connect),
                HttpClient::new(&Trust::SystemRoots, connect),
            )
        })
        .await;
        match built {
            Ok((Ok(kanidm), Ok(netbox))) => Ok(Self { kanidm, netbox }),
            Ok((Err(e), _)) => Err(Finding::fail(e.to_string()).with_fix("check tls.ca_file")),
            Ok((_, Err(e))) => Err(Finding::fail(e.to_string())),
            Err(e) => Err(Finding::fail(format!("cannot set up HTTPS: {e}"))),
        }
    }
}

struct Context {
    plan: Arc<Plan>,
    options: Options,
    /// Built by the first check that needs them; the others wait for it.
    clients: OnceCell<Result<Clients, Finding>>,
}

impl Context {
    async fn clients(&self) -> &Result<Clients, Finding> {
        let connect = self.options.timeout.min(Duration::from_secs(5));
        self.clients
            .get_or_init(|| Clients::build(&self.plan, connect))
            .await
    }

    /// How long check `id` may take, its reads included.
    fn deadline(&self, id: CheckId) -> Duration {
        if id == CheckId::Clock {
            self.options.clock_timeout
        } else {
            self.options.timeout
        }
    }
}

/// A started run: cancel it, or wait for every check to finish.
pub struct RunHandle {
    pub run: u64,
    cancel: CancellationToken,
    tasks: tokio::task::JoinSet<()>,
}

impl RunHandle {
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    pub fn cancellation(&self) -> CancellationToken {
        self.cancel.clone()
    }

    pub async fn wait(mut self) {
        while self.tasks.join_next().await.is_some() {}
    }
}

impl Drop for RunHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// The checks that must run for `only`: the selection and everything it depends on.
fn closure(only: &BTreeSet<CheckId>) -> BTreeSet<CheckId> {
    let mut all = only.clone();
    let mut stack: Vec<CheckId> = only.iter().copied().collect();
    while let Some(id) = stack.pop() {
        for dep in id.dependencies() {
            if all.insert(*dep) {
                stack.push(*dep);
            }
        }
    }
    all
}

/// Starts every check of `plan` on the current tokio runtime; events go to `events`. Nothing here
/// blocks: files are read by the checks' tasks.
pub fn start(
    plan: Arc<Plan>,
    options: Options,
    run: u64,
    events: mpsc::UnboundedSender<CheckEvent>,
) -> RunHandle {
    let selected: BTreeSet<CheckId> = options
        .only
        .clone()
        .unwrap_or_else(|| CheckId::ALL.into_iter().collect());
    let to_run = closure(&selected);
    let context = Arc::new(Context {
        plan,
        options,
        clients: OnceCell::new(),
    });
    let cancel = CancellationToken::new();
    let mut publishers = BTreeMap::new();
    let mut slots: BTreeMap<CheckId, Slot> = BTreeMap::new();
    for id in &to_run {
        let (tx, rx) = watch::channel(None);
        publishers.insert(*id, tx);
        slots.insert(*id, rx);
    }
    let slots = Arc::new(slots);
    let mut tasks = tokio::task::JoinSet::new();
    for (id, publish) in publishers {
        let reporter = selected.contains(&id).then(|| Reporter {
            run,
            id,
            events: events.clone(),
        });
        if let Some(reporter) = &reporter {
            reporter.send(Status::Pending, None);
        }
        let task = supervise(id, context.clone(), slots.clone(), reporter, publish);
        let cancel = cancel.clone();
        tasks.spawn(async move {
            tokio::select! {
                biased;
                () = cancel.cancelled() => {}
                () = task => {}
            }
        });
    }
    RunHandle { run, cancel, tasks }
}

/// Streams one selected check's progress (checks run only as prerequisites report nothing).
struct Reporter {
    run: u64,
    id: CheckId,
    events: mpsc::UnboundedSender<CheckEvent>,
}

impl Reporter {
    fn send(&self, status: Status, finding: Option<Finding>) {
        let _ = self.events.send(CheckEvent {
            run: self.run,
            id: self.id,
            status,
            finding,
        });
    }
}

/// One check from start to published result: waits for its prerequisites, runs within its deadline,
/// turns a panic into a finding, reports and publishes the outcome for the checks that need it.
async fn supervise(
    id: CheckId,
    cx: Arc<Context>,
    slots: Arc<BTreeMap<CheckId, Slot>>,
    reporter: Option<Reporter>,
    publish: watch::Sender<Option<Arc<Outcome>>>,
) {
    let deps = wait_for(&slots, id).await;
    if let Some(reporter) = &reporter {
        reporter.send(Status::Running, None);
    }
    // The check's own requests time out at its deadline and say which step stalled; this outer
    // limit is only a safety net, so it fires a little later and never races them.
    let deadline = cx.deadline(id) + SAFETY_NET_GRACE;
    let work = tokio::time::timeout(deadline, run_check(id, &cx, &deps))
        .map(|done| done.unwrap_or_else(|_| (too_slow(deadline), Artifact::Nothing)));
    // A bug in one check must not leave its row "running" forever: a panic becomes a finding.
    let (finding, artifact) = std::panic::AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| (internal_error(panic.as_ref()), Artifact::Nothing));
    if let Some(reporter) = &reporter {
        reporter.send(finding.status, Some(finding.clone()));
    }
    let _ = publish.send(Some(Arc::new((finding, artifact))));
}

/// How much longer than a check's deadline the supervisor waits before giving up on it.
const SAFETY_NET_GRACE: Duration = Duration::from_millis(500);

fn too_slow(deadline: Duration) -> Finding {
    Finding::unreachable(format!("no result within {} s", deadline.as_secs_f32()))
        .with_fix("the server is too slow or does not answer; check that it is reachable from here")
}

fn internal_error(panic: &(dyn std::any::Any + Send)) -> Finding {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    Finding::fail(format!("this check stopped on an internal error: {what}"))
        .with_fix("please report it; the other checks are not affected")
}

/// Waits for the dependencies of `id` and returns their results, in `dependencies()` order.
async fn wait_for(slots: &BTreeMap<CheckId, Slot>, id: CheckId) -> Vec<Arc<Outcome>> {
    let mut done = Vec::new();
    for dep in id.dependencies() {
        let Some(slot) = slots.get(dep) else { continue };
        let mut rx = slot.clone();
        if let Ok(value) = rx.wait_for(Option::is_some).await
            && let Some(result) = value.as_ref()
        {
            done.push(result.clone());
        }
    }
    done
}

fn fetch_failure(what: &str, err: &FetchError) -> Finding {
    match err {
        FetchError::Timeout(_) | FetchError::Connect(_) => {
            Finding::unreachable(format!("{what}: {err}")).with_fix(
                "check the URL in the plan and that the server is running and reachable from here",
            )
        }
        FetchError::Tls(problem) => Finding::unreachable(format!("{what}: {problem}")).with_fix(
            "see the Kanidm TLS check; set tls.ca_file to the CA that signed the certificate",
        ),
        FetchError::TooLarge => Finding::fail(format!("{what}: {err}"))
            .with_fix("this URL does not serve what NetBox expects: check the plan's URLs"),
        FetchError::Broken(_) | FetchError::Other(_) => Finding::fail(format!("{what}: {err}")),
    }
}

fn dependency_failed(dep: CheckId) -> Outcome {
    (
        Finding::skipped(format!("needs {} to pass first", dep.title())),
        Artifact::Nothing,
    )
}

/// A finding that leaves nothing for the checks after it.
fn only(finding: Finding) -> Outcome {
    (finding, Artifact::Nothing)
}

async fn run_check(id: CheckId, cx: &Context, deps: &[Arc<Outcome>]) -> Outcome {
    let clients = match cx.clients().await {
        Ok(clients) => clients,
        Err(finding) => return only(finding.clone()),
    };
    let (plan, deadline) = (cx.plan.as_ref(), cx.options.timeout);
    let (kanidm, netbox_http) = (&clients.kanidm, &clients.netbox);
    let dep = |k: usize| deps.get(k).map(|d| &d.1);
    match id {
        CheckId::KanidmTls => only(kanidm_tls(plan, deadline).await),
        CheckId::Discovery => {
            if deps.first().is_some_and(|d| d.0.status == Status::Fail) {
                return dependency_failed(CheckId::KanidmTls);
            }
            fetch_discovery(kanidm, plan, deadline).await
        }
        CheckId::Jwks => match dep(0) {
            Some(Artifact::Discovery(doc)) => only(signing_keys(kanidm, plan, doc, deadline).await),
            _ => dependency_failed(CheckId::Discovery),
        },
        CheckId::Clock => only(clocks(kanidm, netbox_http, plan, &cx.options).await),
        CheckId::NetboxLogin => login_page(netbox_http, plan, deadline).await,
        CheckId::Redirect => match dep(0) {
            Some(Artifact::LoginPage(page)) => redirect(netbox_http, plan, page, deadline).await,
            _ => dependency_failed(CheckId::NetboxLogin),
        },
        CheckId::Authorise => match (dep(0), dep(1)) {
            (Some(Artifact::Discovery(_)), from_netbox) => {
                let proven = match from_netbox {
                    Some(Artifact::Authorize(r)) if r.origin == plan.kanidm.origin => Some(&**r),
                    _ => None,
                };
                only(authorise_probe(kanidm, plan, proven, deadline).await)
            }
            _ => dependency_failed(CheckId::Discovery),
        },
    }
}

async fn kanidm_tls(plan: &Plan, deadline: Duration) -> Finding {
    let Some((host, port)) = tls::host_port(&plan.kanidm.origin) else {
        return Finding::fail("the Kanidm URL has no host");
    };
    let roots = tls::roots_for(plan.ca_file.as_deref());
    let observed = tls::observe(&host, port, roots, deadline).await;
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    tls::evaluate(&observed, now)
}

async fn fetch_discovery(kanidm: &HttpClient, plan: &Plan, deadline: Duration) -> Outcome {
    match discovery::fetch(kanidm, plan, deadline).await {
        Ok(captured) => {
            let (finding, doc) = discovery::evaluate(plan, &captured);
            let artifact = doc.map_or(Artifact::Nothing, |d| Artifact::Discovery(Box::new(d)));
            (finding, artifact)
        }
        Err(e) => only(fetch_failure("discovery", &e)),
    }
}

async fn signing_keys(
    kanidm: &HttpClient,
    plan: &Plan,
    doc: &Discovery,
    deadline: Duration,
) -> Finding {
    let captured = match jwks::fetch(kanidm, &doc.jwks_uri, deadline).await {
        Ok(captured) => captured,
        Err(e) => return fetch_failure("JWKS", &e),
    };
    // Which algorithms NetBox accepts is in its configuration.py, when the plan names it.
    let configuration = match plan.netbox.configuration.clone() {
        Some(path) => Some(read_text(path).await),
        None => None,
    };
    let allowed = jwks::allowed_algorithms_for(configuration, &plan.deployment.settings_prefix());
    jwks::evaluate(plan, &captured, &allowed)
}

/// A file's text, read on a blocking thread; the error names the file.
async fn read_text(path: std::path::PathBuf) -> Result<String, String> {
    let shown = path.display().to_string();
    tokio::task::spawn_blocking(move || std::fs::read_to_string(path))
        .await
        .map_err(|e| format!("{shown}: {e}"))?
        .map_err(|e| format!("{shown}: {e}"))
}

/// Both clocks at once: the time goes into waiting for second boundaries, not into the network.
async fn clocks(
    kanidm: &HttpClient,
    netbox_http: &HttpClient,
    plan: &Plan,
    options: &Options,
) -> Finding {
    let per_host = options
        .clock_timeout
        .saturating_sub(Duration::from_millis(500));
    let status_url = format!("{}/status", plan.kanidm.origin);
    let login_url = netbox::login_url(plan);
    let requests = options.clock_requests;
    let (k, n) = tokio::join!(
        clock::measure(kanidm, &status_url, requests, per_host),
        clock::measure(netbox_http, &login_url, requests, per_host)
    );
    match (k, n) {
        (Ok(k), Ok(n)) => clock::evaluate(&k, &n),
        (Err(e), _) => e.to_finding().with_detail(status_url),
        (_, Err(e)) => e.to_finding().with_detail(login_url),
    }
}

async fn login_page(netbox_http: &HttpClient, plan: &Plan, deadline: Duration) -> Outcome {
    match netbox::fetch_login(netbox_http, plan, deadline).await {
        Ok(captured) => {
            let (finding, page) = netbox::evaluate_login(plan, &captured);
            let artifact = page.map_or(Artifact::Nothing, |p| Artifact::LoginPage(Box::new(p)));
            (finding, artifact)
        }
        Err(e) => only(fetch_failure("NetBox login page", &e)),
    }
}

async fn redirect(
    netbox_http: &HttpClient,
    plan: &Plan,
    page: &LoginPage,
    deadline: Duration,
) -> Outcome {
    match netbox::fetch_authorize(netbox_http, plan, page, deadline).await {
        Ok(Some(captured)) => {
            let (finding, request) = netbox::evaluate_authorize(plan, &captured);
            let artifact = request.map_or(Artifact::Nothing, |r| Artifact::Authorize(Box::new(r)));
            (finding, artifact)
        }
        Ok(None) => only(Finding::skipped(
            "NetBox offers no OpenID Connect login yet, so it cannot be asked for its redirect URL",
        )),
        Err(e) => only(fetch_failure("starting a login at NetBox", &e)),
    }
}

/// Kanidm's authorise endpoint with and without PKCE, for the redirect URL NetBox proved to send
/// (`proven`), or the plan's when NetBox could not be asked.
async fn authorise_probe(
    kanidm: &HttpClient,
    plan: &Plan,
    proven: Option<&AuthorizeRequest>,
    deadline: Duration,
) -> Finding {
    let (redirect, source, sends_pkce) = match proven {
        Some(r) => (
            r.redirect_uri
                .clone()
                .unwrap_or_else(|| plan.redirect_url()),
            RedirectSource::NetBox,
            r.sends_pkce,
        ),
        None => (
            plan.redirect_url(),
            RedirectSource::Plan,
            plan.kanidm.pkce == Pkce::Enforced,
        ),
    };
    let (with, without) = tokio::join!(
        authorise::fetch(kanidm, plan, &redirect, true, deadline),
        authorise::fetch(kanidm, plan, &redirect, false, deadline)
    );
    match (with, without) {
        (Ok(with), Ok(without)) => {
            authorise::evaluate(plan, &redirect, source, sends_pkce, &with, &without)
        }
        (Err(e), _) | (_, Err(e)) => fetch_failure("authorise probe", &e),
    }
}

/// Runs every (selected) check to the end and returns the final findings in check order.
pub async fn run_to_end(plan: Arc<Plan>, options: Options) -> Vec<(CheckId, Finding)> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handle = start(plan, options, 0, tx);
    let mut results = BTreeMap::new();
    let waiting = handle.wait();
    tokio::pin!(waiting);
    loop {
        tokio::select! {
            Some(event) = rx.recv() => {
                if let Some(finding) = event.finding {
                    results.insert(event.id, finding);
                }
            }
            () = &mut waiting => break,
        }
    }
    while let Ok(event) = rx.try_recv() {
        if let Some(finding) = event.finding {
            results.insert(event.id, finding);
        }
    }
    results.into_iter().collect()
}
