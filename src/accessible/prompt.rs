//! The accessible mode's questions and answers, pure: which fields are asked and in what order,
//! the wording of a field's question (from the field table), how a typed line answers it (through
//! the wizard's own answers, so validation is the plan's), numbered menus and the plain line of a
//! check result. No colour, no box drawing, no glyph that carries meaning on its own: words say it.

use crate::app::screens::form::Answers;
use crate::app::{Focusable, Step};
use crate::checks::{CheckId, Finding};
use crate::plan::Field;
use crate::plan::field::Kind;

/// What a line said in answer to a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `<` or `back`: the previous question.
    Back,
    /// The answer is taken (the field holds it, and it is valid); a warning to show, if any.
    Taken(Option<String>),
    /// The answer is not valid: the message, then the same question again.
    Invalid(String),
}

/// Whether a line asks to go back.
pub fn is_back(line: &str) -> bool {
    matches!(line.trim(), "<" | "back")
}

/// What a field holds now, in words.
fn current(field: Field, answers: &Answers) -> String {
    if field.spec().secret {
        return "(not shown)".into();
    }
    match field.spec().kind {
        Kind::Flag { get, .. } => if get(&answers.draft) { "yes" } else { "no" }.into(),
        Kind::Choice { .. } => {
            let i = field.choice_index(&answers.draft);
            format!("{}", i + 1)
        }
        _ => field.text(&answers.draft),
    }
}

/// The question for a field: its label and hint, the numbered options of a choice or an on/off
/// setting, and what Enter keeps. The last line is the prompt itself, without a line break.
pub fn question(field: Field, answers: &Answers) -> String {
    let spec = field.spec();
    let mut out = format!("{}\n", spec.label);
    if !spec.hint.is_empty() {
        out.push_str(&format!("  {}\n", spec.hint));
    }
    let now = current(field, answers);
    match spec.kind {
        Kind::Choice { choices, .. } => {
            for (i, c) in choices.iter().enumerate() {
                out.push_str(&format!("  {}. {}: {}\n", i + 1, c.label, c.explanation));
            }
            out.push_str(&format!("Type 1 to {} [{now}]: ", choices.len()));
        }
        Kind::Flag { .. } => {
            out.push_str("  1. yes\n  2. no\n");
            let n = if now == "yes" { 1 } else { 2 };
            out.push_str(&format!("Type 1 or 2 [{n}]: "));
        }
        Kind::List { .. } => {
            out.push_str(&format!(
                "Names separated by commas or spaces; - empties it [{now}]: "
            ));
        }
        Kind::Text { optional, .. } => {
            let clear = if optional { "; - empties it" } else { "" };
            out.push_str(&format!("Type the value{clear} [{now}]: "));
        }
    }
    out
}

/// A typed number from 1 to `n`, as an index.
fn number(line: &str, n: usize) -> Option<usize> {
    line.trim()
        .parse::<usize>()
        .ok()
        .filter(|i| (1..=n).contains(i))
        .map(|i| i - 1)
}

/// Stores a line as the field's answer, the way the wizard's form stores typing, choices and
/// toggles; then validates the whole plan and says what it thinks of this field.
pub fn answer(answers: &mut Answers, field: Field, line: &str) -> Reply {
    if is_back(line) {
        return Reply::Back;
    }
    let text = line.trim();
    match field.spec().kind {
        Kind::Choice { choices, .. } => {
            let index = if text.is_empty() {
                Some(field.choice_index(&answers.draft))
            } else {
                number(text, choices.len()).or_else(|| {
                    choices.iter().position(|c| {
                        c.value.eq_ignore_ascii_case(text) || c.label.eq_ignore_ascii_case(text)
                    })
                })
            };
            let Some(index) = index else {
                return Reply::Invalid(format!("Type a number from 1 to {}.", choices.len()));
            };
            field.choose(&mut answers.draft, index);
        }
        Kind::Flag { .. } => {
            let on = match text.to_ascii_lowercase().as_str() {
                "" => field.flag(&answers.draft),
                "1" | "y" | "yes" | "on" => true,
                "2" | "n" | "no" | "off" => false,
                _ => return Reply::Invalid("Type 1 for yes or 2 for no.".into()),
            };
            if field.flag(&answers.draft) != on {
                field.flip(&mut answers.draft);
            }
        }
        Kind::Text { .. } | Kind::List { .. } => {
            if text == "-" {
                answers.set(field, String::new());
            } else if !text.is_empty() {
                answers.set(field, text.to_string());
            }
        }
    }
    answers.revalidate();
    let focusable = Focusable::Field(field);
    match answers.error_unconditional(focusable) {
        Some(message) => Reply::Invalid(message),
        None => Reply::Taken(answers.warning(focusable).map(|p| p.message.clone())),
    }
}

/// A numbered menu: the question, the options, and the prompt naming the default.
pub fn menu(title: &str, options: &[String], default: usize) -> String {
    let mut out = format!("{title}\n");
    for (i, option) in options.iter().enumerate() {
        out.push_str(&format!("  {}. {option}\n", i + 1));
    }
    out.push_str(&format!("Type 1 to {} [{}]: ", options.len(), default + 1));
    out
}

/// What a line picks from a menu of `n` options: `Ok(None)` is back, Enter is the default.
pub fn pick(line: &str, n: usize, default: usize) -> Result<Option<usize>, String> {
    if is_back(line) {
        return Ok(None);
    }
    if line.trim().is_empty() {
        return Ok(Some(default));
    }
    number(line, n)
        .map(Some)
        .ok_or_else(|| format!("Type a number from 1 to {n}."))
}

/// One finished check as plain lines: `Clocks: failed: NetBox is … behind`, then its fix.
pub fn check_line(id: CheckId, finding: &Finding) -> String {
    let mut out = format!(
        "{}: {}: {}\n",
        id.title(),
        finding.status.word(),
        finding.summary
    );
    if let Some(fix) = finding.fix.as_ref().filter(|_| finding.status.is_final())
        && finding.status != crate::checks::Status::Pass
    {
        out.push_str(&format!("  fix: {fix}\n"));
    }
    out
}

/// The form steps, in the wizard's order.
const FORMS: [Step; 4] = [Step::Source, Step::Kanidm, Step::NetBox, Step::Options];

/// Every field the wizard asks, with its step, in the wizard's order.
pub fn questions() -> Vec<(Step, Field)> {
    FORMS
        .iter()
        .flat_map(|step| {
            step.group()
                .map(Field::asked_on)
                .unwrap_or_default()
                .into_iter()
                .map(move |f| (*step, f))
        })
        .collect()
}

/// The place of the question for NetBox's configuration.
pub fn paths_question(questions: &[(Step, Field)]) -> usize {
    questions
        .iter()
        .position(|(_, f)| *f == Field::DeploymentPaths)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::PlanDraft;

    fn answers() -> Answers {
        Answers::new(PlanDraft::default())
    }

    #[test]
    fn a_choice_is_numbered_and_takes_a_number_or_its_value() {
        let mut a = answers();
        let q = question(Field::Source, &a);
        assert!(q.contains("  1. "), "{q}");
        assert!(q.ends_with("[5]: "), "{q}");
        assert_eq!(answer(&mut a, Field::Source, "1"), Reply::Taken(None));
        assert_eq!(a.draft.source, "keycloak");
        assert_eq!(
            answer(&mut a, Field::Source, "authentik"),
            Reply::Taken(None)
        );
        assert_eq!(a.draft.source, "authentik");
        assert_eq!(
            answer(&mut a, Field::Source, "9"),
            Reply::Invalid("Type a number from 1 to 5.".into())
        );
        assert_eq!(a.draft.source, "authentik");
    }

    #[test]
    fn an_invalid_text_is_refused_with_the_plans_message_and_kept_for_correction() {
        let mut a = answers();
        let Reply::Invalid(message) = answer(&mut a, Field::KanidmOrigin, "idm.example.com") else {
            panic!("accepted a URL without a scheme");
        };
        assert!(message.contains("https://"), "{message}");
        assert_eq!(
            answer(&mut a, Field::KanidmOrigin, "https://idm.example.com"),
            Reply::Taken(None)
        );
        // Enter keeps the value; `-` empties a required field, which is refused.
        assert_eq!(answer(&mut a, Field::KanidmOrigin, ""), Reply::Taken(None));
        assert!(matches!(
            answer(&mut a, Field::KanidmOrigin, "-"),
            Reply::Invalid(_)
        ));
    }

    #[test]
    fn flags_take_numbers_and_words_and_back_is_understood() {
        let mut a = answers();
        assert!(a.draft.kanidm.consent_prompt);
        assert_eq!(
            answer(&mut a, Field::ConsentPrompt, "2"),
            Reply::Taken(None)
        );
        assert!(!a.draft.kanidm.consent_prompt);
        assert_eq!(
            answer(&mut a, Field::ConsentPrompt, "yes"),
            Reply::Taken(None)
        );
        assert!(a.draft.kanidm.consent_prompt);
        assert_eq!(answer(&mut a, Field::ConsentPrompt, " < "), Reply::Back);
        assert_eq!(answer(&mut a, Field::ConsentPrompt, "back"), Reply::Back);
        assert_eq!(pick("", 3, 1), Ok(Some(1)));
        assert_eq!(pick("3", 3, 1), Ok(Some(2)));
        assert_eq!(pick("<", 3, 1), Ok(None));
        assert!(pick("4", 3, 1).is_err());
    }
}
