//! The accessible wizard's conversation: the same steps as the terminal wizard (the form fields
//! of the field table, the live checks, the review, the write, saving the plan) asked one line at
//! a time from any reader and written to any writer, so a screen reader, a serial console or an
//! answer file can drive it. The answers, the validation, the checks engine and the writer are
//! the wizard's own.

mod users;

use super::deployment::{self, Reading};
use super::prompt::{self, Reply, paths_question, questions};
use crate::app::Step;
use crate::app::screens::form::Answers;
use crate::app::screens::heading;
use crate::app::screens::source::SourceScreen;
use crate::app::screens::users::{Users, has_source};
use crate::checks::{self, CheckId, Finding, Status};
use crate::deploy::apply::{self, ApplyError, PreparedPatch};
use crate::exit::Code;
use crate::explain;
use crate::generate::writer::{self, Disposition, PlannedFile, WrittenFile};
use crate::plan::{Field, PLAN_FILE, Plan, PlanDraft};
use std::io::{self, BufRead, Write};
use std::sync::Arc;

/// Where the conversation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// The question of field `i` of [`questions`].
    Field(usize),
    Checks,
    Review,
}

/// The choices after the checks.
enum Next {
    Review,
    Again,
    Paste,
    Failed,
    Users,
}

/// How the review ended.
enum Reviewed {
    /// The files were written, or could not be: the wizard's exit code.
    Finished(Code),
    /// Back to the checks.
    Checks,
    /// The question of field `i` again (NetBox's configuration cannot be patched), then the review.
    Ask(usize),
}

/// The accessible wizard on `input` and `output`. `echo`: the input is not a terminal (an answer
/// file), so each answer is written after its prompt to keep the transcript readable.
pub struct Session<'a> {
    input: &'a mut dyn BufRead,
    output: &'a mut dyn Write,
    echo: bool,
    runtime: &'a tokio::runtime::Runtime,
    options: checks::Options,
    answers: Answers,
    /// The Source screen's read of NetBox's configuration, kept as the wizard keeps it.
    source: SourceScreen,
    /// The Users screen's state: the export and persons read, the picks, the map.
    users: Users,
    results: Vec<(CheckId, Finding)>,
    /// Where the plan is saved when no output directory is answered.
    plan_path: std::path::PathBuf,
    /// A saved plan to offer for resuming, as the wizard's Welcome does.
    offer: Option<(std::path::PathBuf, PlanDraft)>,
    /// Back to the review once the question it sent the user to is answered and all are valid.
    to_review: bool,
}

/// The input ended before the wizard did.
struct Ended;

impl<'a> Session<'a> {
    pub fn new(
        input: &'a mut dyn BufRead,
        output: &'a mut dyn Write,
        echo: bool,
        runtime: &'a tokio::runtime::Runtime,
        options: checks::Options,
    ) -> Self {
        Self {
            input,
            output,
            echo,
            runtime,
            options,
            answers: Answers::new(PlanDraft::default()),
            source: SourceScreen::default(),
            users: Users::default(),
            results: Vec::new(),
            plan_path: std::path::PathBuf::from(PlanDraft::default().output.dir).join(PLAN_FILE),
            offer: None,
            to_review: false,
        }
    }

    /// Offers a saved plan's answers first (the wizard's resume).
    pub fn offering(mut self, offer: Option<(std::path::PathBuf, PlanDraft)>) -> Self {
        self.offer = offer;
        self
    }

    fn say(&mut self, text: &str) {
        let _ = self.output.write_all(text.as_bytes());
        let _ = self.output.flush();
    }

    /// Shows `prompt` and reads one line (without its line break).
    fn ask(&mut self, prompt: &str) -> Result<String, Ended> {
        self.say(prompt);
        let mut line = String::new();
        match self.input.read_line(&mut line) {
            Ok(0) | Err(_) => {
                self.say("\n");
                Err(Ended)
            }
            Ok(_) => {
                let line = line.trim_end_matches(['\n', '\r']).to_string();
                if self.echo {
                    self.say(&format!("{line}\n"));
                }
                Ok(line)
            }
        }
    }

    /// Runs the conversation to its end: the exit code of the wizard.
    pub fn run(mut self) -> Code {
        self.say(
            "nbsso: move NetBox single sign-on to Kanidm, one question at a time.\n\
             Enter keeps the value in brackets. Type < or back for the previous question.\n\
             Nothing is written before you confirm it at the end.\n",
        );
        match self.converse() {
            Ok(code) => code,
            Err(Ended) => {
                self.say("The input ended before the wizard finished: nothing more was done.\n");
                Code::Usage
            }
        }
    }

    fn converse(&mut self) -> Result<Code, Ended> {
        if let Some((path, draft)) = self.offer.take() {
            let title = format!("A saved plan was found: {}", path.display());
            let options = vec![
                "resume it (its answers are filled in)".to_string(),
                "start afresh".to_string(),
            ];
            loop {
                let line = self.ask(&prompt::menu(&title, &options, 0))?;
                match prompt::pick(&line, 2, 0) {
                    Ok(Some(0)) => {
                        self.answers.replace(draft);
                        break;
                    }
                    Ok(_) => break,
                    Err(message) => self.say(&format!("Not valid: {message}\n")),
                }
            }
        }
        let questions = questions();
        let mut at = At::Field(0);
        let mut shown_step = None;
        loop {
            at = match at {
                At::Field(i) => {
                    let Some(&(step, field)) = questions.get(i) else {
                        break Ok(Code::Ok);
                    };
                    if shown_step != Some(step) {
                        let h = heading(step);
                        self.say(&format!("\n{}\n{}\n\n", h.title, h.intro));
                        shown_step = Some(step);
                    }
                    self.field(&questions, i, step, field)?
                }
                At::Checks => self.checks(questions.len())?,
                At::Review => match self.review()? {
                    Reviewed::Finished(code) => break Ok(code),
                    Reviewed::Checks => At::Checks,
                    Reviewed::Ask(i) => At::Field(i),
                },
            };
        }
    }

    /// One field's question, asked again until the answer is valid.
    fn field(
        &mut self,
        questions: &[(Step, Field)],
        i: usize,
        step: Step,
        field: Field,
    ) -> Result<At, Ended> {
        loop {
            let line = self.ask(&prompt::question(field, &self.answers))?;
            match prompt::answer(&mut self.answers, field, &line) {
                Reply::Back => return Ok(At::Field(i.saturating_sub(1))),
                Reply::Invalid(message) => self.say(&format!("Not valid: {message}\n")),
                Reply::Taken(warning) => {
                    if let Some(w) = warning {
                        self.say(&format!("Warning: {w}\n"));
                    }
                    self.say("\n");
                    let last_of_step = questions.get(i + 1).is_none_or(|(s, _)| *s != step);
                    if !last_of_step && !self.to_review {
                        return Ok(At::Field(i + 1));
                    }
                    // The step's Next: an answer made invalid by a later one is asked again (any
                    // invalid one, on the way back to the review).
                    let asked = if self.to_review { questions.len() } else { i };
                    if let Some(j) = self.first_invalid(questions).filter(|j| *j <= asked) {
                        let (_, f) = questions[j];
                        let why = self
                            .answers
                            .error_unconditional(crate::app::Focusable::Field(f))
                            .unwrap_or_default();
                        self.say(&format!("{} is not valid now: {why}\n", f.label()));
                        return Ok(At::Field(j));
                    }
                    if step == Step::Source
                        && let Some(again) = self.read_deployment(questions)
                    {
                        return Ok(again);
                    }
                    if std::mem::take(&mut self.to_review) {
                        return Ok(At::Review);
                    }
                    return Ok(if i + 1 == questions.len() {
                        At::Checks
                    } else {
                        At::Field(i + 1)
                    });
                }
            }
        }
    }

    /// After the Source questions, as the Source screen's Next: reads NetBox's configuration they
    /// name and says what it found; when it cannot be read, its path is asked again.
    fn read_deployment(&mut self, questions: &[(Step, Field)]) -> Option<At> {
        let (lines, again) = match deployment::read(&mut self.source, &mut self.answers) {
            Reading::Unchanged => return None,
            Reading::Found(lines) => (lines, None),
            Reading::Failed(lines) => (lines, Some(At::Field(paths_question(questions)))),
        };
        for line in lines {
            self.say(&format!("{line}\n"));
        }
        self.say("\n");
        again
    }

    fn first_invalid(&self, questions: &[(Step, Field)]) -> Option<usize> {
        questions.iter().position(|(_, f)| {
            self.answers
                .error_unconditional(crate::app::Focusable::Field(*f))
                .is_some()
        })
    }

    /// The live checks, each result as a line as it arrives; then on to the review, again, or an
    /// explanation.
    fn checks(&mut self, asked: usize) -> Result<At, Ended> {
        let Some(plan) = self.answers.plan.clone() else {
            let missing: Vec<String> = self
                .answers
                .missing()
                .iter()
                .map(|p| p.message.clone())
                .collect();
            self.say(&format!("Still missing: {}\n", missing.join("; ")));
            return Ok(At::Field(0));
        };
        self.say("\nChecks: the live servers, read-only\n");
        self.run_checks(plan.clone());
        loop {
            let failed: Vec<(CheckId, Finding)> = self
                .results
                .iter()
                .filter(|(_, f)| matches!(f.status, Status::Fail | Status::Warn))
                .cloned()
                .collect();
            let mut options = vec![
                (Next::Review, "go on to the review of the files"),
                (Next::Again, "run the checks again"),
                (Next::Paste, "explain an error message you paste"),
            ];
            if !failed.is_empty() {
                options.push((
                    Next::Failed,
                    "explain the failed checks (their catalogue entries)",
                ));
            }
            if has_source(Some(&plan)) {
                options.push((
                    Next::Users,
                    "match NetBox's users to Kanidm persons (the user migration)",
                ));
            }
            let labels: Vec<String> = options.iter().map(|(_, l)| l.to_string()).collect();
            let line = self.ask(&prompt::menu("What next?", &labels, 0))?;
            match prompt::pick(&line, options.len(), 0) {
                Ok(None) => return Ok(At::Field(asked.saturating_sub(1))),
                Ok(Some(i)) => match options.get(i).map(|(next, _)| next) {
                    Some(Next::Review) | None => return Ok(At::Review),
                    Some(Next::Again) => self.run_checks(plan.clone()),
                    Some(Next::Paste) => self.explain_pasted(&plan)?,
                    Some(Next::Failed) => self.explain_failed(&plan),
                    Some(Next::Users) => self.users_step(&plan)?,
                },
                Err(message) => self.say(&format!("Not valid: {message}\n")),
            }
        }
    }

    /// Runs every check of `plan`, printing each result as a line as soon as it arrives.
    fn run_checks(&mut self, plan: Arc<Plan>) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let options = self.options.clone();
        let runtime = self.runtime;
        let mut results = Vec::new();
        let mut print = |event: checks::CheckEvent, results: &mut Vec<(CheckId, Finding)>| {
            if let Some(finding) = event.finding.filter(|f| f.status.is_final()) {
                let _ = self
                    .output
                    .write_all(prompt::check_line(event.id, &finding).as_bytes());
                let _ = self.output.flush();
                results.push((event.id, finding));
            }
        };
        runtime.block_on(async {
            let handle = checks::start(plan, options, 1, tx);
            let waiting = handle.wait();
            tokio::pin!(waiting);
            loop {
                tokio::select! {
                    Some(event) = rx.recv() => print(event, &mut results),
                    () = &mut waiting => break,
                }
            }
        });
        while let Ok(event) = rx.try_recv() {
            print(event, &mut results);
        }
        results.sort_by_key(|(id, _)| *id);
        self.say(&format!("{}\n\n", checks::counts(&results)));
        self.results = results;
    }

    /// Reads pasted lines up to a line holding only `.`, then says what `nbsso explain` says.
    fn explain_pasted(&mut self, plan: &Plan) -> Result<(), Ended> {
        self.say("Paste the error, then a line with only a full stop (.) on it:\n");
        let mut text = String::new();
        loop {
            let line = self.ask("")?;
            if line.trim() == "." || text.len() > explain::MAX_TEXT {
                break;
            }
            text.push_str(&line);
            text.push('\n');
        }
        let said = match explain::pasted_text(&text, Some(plan), &self.results) {
            Ok((_, said)) => said,
            Err(e) => format!("The error catalogue could not be read: {e}\n"),
        };
        self.say(&format!("\n{said}\n"));
        Ok(())
    }

    /// The catalogue entry of every failed or warning check.
    fn explain_failed(&mut self, plan: &Plan) {
        let failed: Vec<CheckId> = self
            .results
            .iter()
            .filter(|(_, f)| matches!(f.status, Status::Fail | Status::Warn))
            .map(|(id, _)| *id)
            .collect();
        for id in failed {
            let said = explain::failed_check_text(id, &self.results, Some(plan))
                .map_or_else(|why| format!("{why}\n"), |(_, text)| text);
            self.say(&format!("\n{said}\n"));
        }
    }

    /// The files as they would be written, and the patch of NetBox's configuration when the
    /// answers name one; then the confirmation.
    fn review(&mut self) -> Result<Reviewed, Ended> {
        let Some(plan) = self.answers.plan.clone() else {
            return Ok(Reviewed::Checks);
        };
        let dir = plan.output_dir.clone();
        let mut files = crate::generate::generate(&plan);
        self.users.add_files(&mut files);
        let planned = match writer::plan_files(&dir, &files) {
            Ok(planned) => planned,
            Err(e) => {
                self.say(&format!("The output directory cannot be used: {e}\n"));
                return Ok(Reviewed::Checks);
            }
        };
        // The same patch as the wizard's Review and `nbsso generate --patch`.
        let patch = if plan.deployment.paths.is_empty() {
            None
        } else {
            match apply::prepare(&plan) {
                Ok(patch) => Some(patch),
                Err(e) => {
                    self.say(&format!(
                        "\nNetBox's configuration cannot be patched: {e}\nNothing was written. Fix it, or type - at its question to write only the files.\n"
                    ));
                    self.to_review = true;
                    return Ok(Reviewed::Ask(paths_question(&questions())));
                }
            }
        };
        self.say("\nReview: nothing has been written yet\n");
        for f in &planned {
            self.say(&format!(
                "{}: {}; {}\n",
                f.path.display(),
                f.disposition.label(),
                f.purpose
            ));
        }
        if let Some(patch) = &patch {
            self.say("\n");
            for line in deployment::review_lines(patch) {
                self.say(&format!("{line}\n"));
            }
        }
        let overwrites = planned
            .iter()
            .filter(|f| f.disposition == Disposition::Overwrite)
            .count()
            + patch.as_ref().map_or(0, deployment::replaced);
        let patched = patch.as_ref().map_or(0, |p| p.outcome.files.len());
        let title = if patched == 0 {
            format!("Write {} files to {}?", planned.len(), dir.display())
        } else {
            format!(
                "Write {} files to {} and patch {patched} of NetBox's configuration?",
                planned.len(),
                dir.display()
            )
        };
        let options = vec![
            "yes, write them".to_string(),
            "no, show the changes first".to_string(),
        ];
        // As in the wizard: writing is the default only when no existing file is replaced.
        let default = usize::from(overwrites > 0);
        loop {
            let line = self.ask(&prompt::menu(&title, &options, default))?;
            match prompt::pick(&line, options.len(), default) {
                Ok(None) => return Ok(Reviewed::Checks),
                Ok(Some(0)) => return self.write(&planned, patch.as_ref()).map(Reviewed::Finished),
                Ok(Some(_)) => {
                    for f in &planned {
                        self.say(&format!("\n{}\n{}", f.path.display(), f.diff));
                    }
                    if let Some(patch) = &patch {
                        self.say(&deployment::diff_text(patch));
                    }
                    self.say("\n");
                }
                Err(message) => self.say(&format!("Not valid: {message}\n")),
            }
        }
    }

    /// Writes the reviewed files and then the patch, then offers to save the answers.
    fn write(
        &mut self,
        planned: &[PlannedFile],
        patch: Option<&PreparedPatch>,
    ) -> Result<Code, Ended> {
        let stamp = writer::timestamp_now();
        let written: Vec<WrittenFile> = match writer::write_files(planned, &stamp) {
            Ok(written) => written,
            Err(e) => {
                self.say(&format!("The files were not written: {e}\n"));
                return Ok(Code::NotWritten);
            }
        };
        self.say("\nDone: the files are written\n");
        for f in &written {
            let backup = f
                .backup
                .as_ref()
                .map(|b| format!(", the old one kept as {}", b.display()))
                .unwrap_or_default();
            self.say(&format!(
                "{}: {}{backup}\n",
                f.path.display(),
                f.disposition.label()
            ));
        }
        if let Some(patch) = patch {
            match patch.write(&stamp) {
                Ok(applied) => {
                    for line in deployment::written_lines(patch, &applied) {
                        self.say(&format!("{line}\n"));
                    }
                }
                Err(e) => {
                    self.say(&format!(
                        "The files are written, but NetBox's configuration is not patched: {e}\n"
                    ));
                    if let ApplyError::Write { written, .. } = &e {
                        for line in deployment::file_lines(written) {
                            self.say(&format!("Written before it: {line}\n"));
                        }
                    }
                    return Ok(Code::NotWritten);
                }
            }
        }
        self.say_user_commands();
        self.say("Follow CHECKLIST.md in that directory, step by step.\n\n");
        let dir = self.answers.output_dir();
        let path = if dir.as_os_str().is_empty() {
            self.plan_path.clone()
        } else {
            dir.join(PLAN_FILE)
        };
        let options = vec!["yes".to_string(), "no".to_string()];
        let title = format!(
            "Save your answers as {} (to resume, or for nbsso check)?",
            path.display()
        );
        loop {
            let line = match self.ask(&prompt::menu(&title, &options, 0)) {
                Ok(line) => line,
                Err(Ended) => return Ok(Code::Ok),
            };
            match prompt::pick(&line, 2, 0) {
                Ok(Some(0)) => {
                    let toml = self.answers.draft.to_toml();
                    match crate::runtime::effects::save_plan(&path, toml) {
                        Ok(saved) => self.say(&format!("Plan saved to {}\n", saved.display())),
                        Err(e) => self.say(&format!("The plan was not saved: {e}\n")),
                    }
                    return Ok(Code::Ok);
                }
                Ok(_) => return Ok(Code::Ok),
                Err(message) => self.say(&format!("Not valid: {message}\n")),
            }
        }
    }
}

/// Writes to standard output and reads standard input: what `nbsso --accessible` runs.
pub fn run_stdio(
    runtime: &tokio::runtime::Runtime,
    resume: Option<(std::path::PathBuf, PlanDraft)>,
) -> Code {
    use std::io::IsTerminal;
    let stdin = io::stdin();
    let echo = !stdin.is_terminal();
    let mut input = stdin.lock();
    let mut output = io::stdout();
    let session = Session::new(
        &mut input,
        &mut output,
        echo,
        runtime,
        checks::Options::default(),
    );
    session.offering(resume).run()
}
