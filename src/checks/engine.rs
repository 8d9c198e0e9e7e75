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
use tokio::sync::{mpsc, watch};
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
            clock_requests: 8,
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

type Slot = watch::Receiver<Option<Arc<(Finding, Artifact)>>>;

struct Context {
    plan: Arc<Plan>,
    options: Options,
    kanidm: Result<HttpClient, String>,
    netbox: Result<HttpClient, String>,
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

/// Starts every check of `plan` on the current tokio runtime; events go to `events`.
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
    let connect = options.timeout.min(Duration::from_secs(5));
    let kanidm_trust = match &plan.ca_file {
        Some(p) => Trust::CaFile(p.clone()),
        None => Trust::SystemRoots,
    };
    let context = Arc::new(Context {
        kanidm: HttpClient::new(&kanidm_trust, connect).map_err(|e| e.to_string()),
        netbox: HttpClient::new(&Trust::SystemRoots, connect).map_err(|e| e.to_string()),
        plan,
        options,
    });
    let cancel = CancellationToken::new();
    let mut senders = BTreeMap::new();
    let mut slots: BTreeMap<CheckId, Slot> = BTreeMap::new();
    for id in &to_run {
        let (tx, rx) = watch::channel(None);
        senders.insert(*id, tx);
        slots.insert(*id, rx);
    }
    let slots = Arc::new(slots);
    let mut tasks = tokio::task::JoinSet::new();
    for id in to_run.iter().copied() {
        let Some(publish) = senders.remove(&id) else {
            continue;
        };
        let report = selected.contains(&id);
        if report {
            let _ = events.send(CheckEvent {
                run,
                id,
                status: Status::Pending,
                finding: None,
            });
        }
        let (context, slots, events, cancel) = (
            context.clone(),
            slots.clone(),
            events.clone(),
            cancel.clone(),
        );
        tasks.spawn(async move {
            let work = async {
                let deps = wait_for(&slots, id).await;
                if report {
                    let _ = events.send(CheckEvent { run, id, status: Status::Running, finding: None });
                }
                let deadline = if id == CheckId::Clock { context.options.clock_timeout } else { context.options.timeout };
                match tokio::time::timeout(deadline, run_check(id, &context, &deps)).await {
                    Ok(done) => done,
                    Err(_) => (
                        Finding::unreachable(format!("no result within {} s", deadline.as_secs_f32()))
                            .with_fix("the server is too slow or does not answer; check that it is reachable from here"),
                        Artifact::Nothing,
                    ),
                }
            };
            // A bug in one check must not leave its row "running" forever: a panic becomes a finding.
            let work = std::panic::AssertUnwindSafe(work).catch_unwind().map(|outcome| {
                outcome.unwrap_or_else(|panic| {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    (
                        Finding::fail(format!("this check stopped on an internal error: {what}"))
                            .with_fix("please report it; the other checks are not affected"),
                        Artifact::Nothing,
                    )
                })
            });
            tokio::select! {
                biased;
                () = cancel.cancelled() => {}
                (finding, artifact) = work => {
                    if report {
                        let _ = events.send(CheckEvent { run, id, status: finding.status, finding: Some(finding.clone()) });
                    }
                    let _ = publish.send(Some(Arc::new((finding, artifact))));
                }
            }
        });
    }
    RunHandle { run, cancel, tasks }
}

/// Waits for the dependencies of `id` and returns their results, in `dependencies()` order.
async fn wait_for(slots: &BTreeMap<CheckId, Slot>, id: CheckId) -> Vec<Arc<(Finding, Artifact)>> {
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

fn dependency_failed(dep: CheckId) -> (Finding, Artifact) {
    (
        Finding::skipped(format!("needs {} to pass first", dep.title())),
        Artifact::Nothing,
    )
}

async fn run_check(
    id: CheckId,
    cx: &Context,
    deps: &[Arc<(Finding, Artifact)>],
) -> (Finding, Artifact) {
    let plan = &cx.plan;
    let deadline = cx.options.timeout;
    let kanidm = match &cx.kanidm {
        Ok(c) => c,
        Err(e) => {
            return (
                Finding::fail(e.clone()).with_fix("check tls.ca_file"),
                Artifact::Nothing,
            );
        }
    };
    let netbox_http = match &cx.netbox {
        Ok(c) => c,
        Err(e) => return (Finding::fail(e.clone()), Artifact::Nothing),
    };
    match id {
        CheckId::KanidmTls => {
            let Some((host, port)) = tls::host_port(&plan.kanidm.origin) else {
                return (
                    Finding::fail("the Kanidm URL has no host"),
                    Artifact::Nothing,
                );
            };
            let obs = tls::observe(
                &host,
                port,
                tls::roots_for(plan.ca_file.as_deref()),
                deadline,
            )
            .await;
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or_default();
            (tls::evaluate(&obs, now), Artifact::Nothing)
        }
        CheckId::Discovery => {
            if deps.first().is_some_and(|d| d.0.status == Status::Fail) {
                return dependency_failed(CheckId::KanidmTls);
            }
            match discovery::fetch(kanidm, plan, deadline).await {
                Ok(captured) => {
                    let (finding, doc) = discovery::evaluate(plan, &captured);
                    (
                        finding,
                        doc.map_or(Artifact::Nothing, |d| Artifact::Discovery(Box::new(d))),
                    )
                }
                Err(e) => (fetch_failure("discovery", &e), Artifact::Nothing),
            }
        }
        CheckId::Jwks => {
            let Some(Artifact::Discovery(doc)) = deps.first().map(|d| &d.1) else {
                return dependency_failed(CheckId::Discovery);
            };
            match jwks::fetch(kanidm, &doc.jwks_uri, deadline).await {
                Ok(captured) => {
                    let configuration = plan.netbox.configuration.as_ref().map(|path| {
                        std::fs::read_to_string(path)
                            .map_err(|e| format!("{}: {e}", path.display()))
                    });
                    let allowed = jwks::allowed_algorithms_for(
                        configuration,
                        &plan.deployment.settings_prefix(),
                    );
                    (jwks::evaluate(plan, &captured, &allowed), Artifact::Nothing)
                }
                Err(e) => (fetch_failure("JWKS", &e), Artifact::Nothing),
            }
        }
        CheckId::Clock => {
            let per_host = cx
                .options
                .clock_timeout
                .saturating_sub(Duration::from_millis(500));
            let status_url = format!("{}/status", plan.kanidm.origin);
            let login_url = netbox::login_url(plan);
            let requests = cx.options.clock_requests;
            let (k, n) = tokio::join!(
                clock::measure(kanidm, &status_url, requests, per_host),
                clock::measure(netbox_http, &login_url, requests, per_host)
            );
            match (k, n) {
                (Ok(k), Ok(n)) => (clock::evaluate(&k, &n), Artifact::Nothing),
                (Err(e), _) => (e.to_finding().with_detail(status_url), Artifact::Nothing),
                (_, Err(e)) => (e.to_finding().with_detail(login_url), Artifact::Nothing),
            }
        }
        CheckId::NetboxLogin => match netbox::fetch_login(netbox_http, plan, deadline).await {
            Ok(captured) => {
                let (finding, page) = netbox::evaluate_login(plan, &captured);
                (
                    finding,
                    page.map_or(Artifact::Nothing, |p| Artifact::LoginPage(Box::new(p))),
                )
            }
            Err(e) => (fetch_failure("NetBox login page", &e), Artifact::Nothing),
        },
        CheckId::Redirect => {
            let Some(Artifact::LoginPage(page)) = deps.first().map(|d| &d.1) else {
                return dependency_failed(CheckId::NetboxLogin);
            };
            match netbox::fetch_authorize(netbox_http, plan, page, deadline).await {
                Ok(Some(captured)) => {
                    let (finding, request) = netbox::evaluate_authorize(plan, &captured);
                    (
                        finding,
                        request.map_or(Artifact::Nothing, |r| Artifact::Authorize(Box::new(r))),
                    )
                }
                Ok(None) => (
                    Finding::skipped(
                        "NetBox offers no OpenID Connect login yet, so it cannot be asked for its redirect URL",
                    ),
                    Artifact::Nothing,
                ),
                Err(e) => (
                    fetch_failure("starting a login at NetBox", &e),
                    Artifact::Nothing,
                ),
            }
        }
        CheckId::Authorise => {
            let discovery_ok = matches!(deps.first().map(|d| &d.1), Some(Artifact::Discovery(_)));
            if !discovery_ok {
                return dependency_failed(CheckId::Discovery);
            }
            let proven = match deps.get(1).map(|d| &d.1) {
                Some(Artifact::Authorize(r)) if r.origin == plan.kanidm.origin => Some(r.as_ref()),
                _ => None,
            };
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
                (Ok(with), Ok(without)) => (
                    authorise::evaluate(plan, &redirect, source, sends_pkce, &with, &without),
                    Artifact::Nothing,
                ),
                (Err(e), _) | (_, Err(e)) => {
                    (fetch_failure("authorise probe", &e), Artifact::Nothing)
                }
            }
        }
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
