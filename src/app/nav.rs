//! Moving between steps: Next (refused on an invalid step, focus to the first invalid field), Back
//! (always allowed, values kept), the jump to a missing answer, and the write confirmation.

use super::effect::Effect;
use super::model::Model;
use super::step::Step;
use super::update::draft_changed;

fn enter(model: &mut Model, step: Step) -> Vec<Effect> {
    model.step = step;
    model.focus = 0;
    if step != Step::Review {
        return Vec::new();
    }
    model.review.generation += 1;
    model.review.files = None;
    model.review.selected = 0;
    model.review.scroll = 0;
    model.review.hscroll = 0;
    match &model.plan {
        Some(plan) => vec![Effect::PlanFiles {
            generation: model.review.generation,
            dir: plan.output_dir.clone(),
            files: crate::generate::generate(plan),
        }],
        None => Vec::new(),
    }
}

pub(super) fn next(model: &mut Model) -> Vec<Effect> {
    let step = model.step;
    model.visited.insert(step);
    match step {
        Step::Welcome => {
            let mut effects = Vec::new();
            if model.resume_selected()
                && let Some(offer) = model.resume.take()
            {
                model.draft = offer.draft;
                model.baseline = model.draft.clone();
                model.load_inputs();
                effects = draft_changed(model);
                model.notice = Some(format!("Resumed the plan in {}", offer.path.display()));
            }
            effects.extend(enter(model, Step::Source));
            effects
        }
        Step::Source | Step::Kanidm | Step::NetBox | Step::Options => {
            if let Some(i) = model.first_invalid(step) {
                model.focus = i;
                return Vec::new();
            }
            match step.next() {
                Some(s) => enter(model, s),
                None => Vec::new(),
            }
        }
        Step::Checks => enter(model, Step::Review),
        Step::Review => {
            if !model.missing().is_empty() {
                model.notice = Some(
                    "Some answers are still missing or invalid: press m to go to the first one"
                        .into(),
                );
                return Vec::new();
            }
            if !matches!(model.review.files, Some(Ok(_))) {
                model.notice = Some("The output files are not ready yet".into());
                return Vec::new();
            }
            model.write.yes = model.review.overwrites().is_empty();
            model.write.error = None;
            enter(model, Step::Write)
        }
        Step::Write | Step::Done => Vec::new(),
    }
}

/// Back to the previous step; into the Review, the files are compared with the disk again.
pub(super) fn back(model: &mut Model) -> Vec<Effect> {
    if model.write.writing || model.step == Step::Done {
        return Vec::new();
    }
    if model.step.is_form() {
        model.visited.insert(model.step);
    }
    match model.step.prev() {
        Some(prev) => enter(model, prev),
        None => Vec::new(),
    }
}

pub(super) fn jump_to_missing(model: &mut Model) {
    let target = model
        .missing()
        .iter()
        .find_map(|p| Step::of_problem_field(&p.field));
    if let Some((step, focusable)) = target {
        model.step = step;
        model.visited.insert(step);
        model.focus = model
            .focusables()
            .iter()
            .position(|f| *f == focusable)
            .unwrap_or(0);
    }
}

pub(super) fn confirm_write(model: &mut Model) -> Vec<Effect> {
    if model.write.writing {
        return Vec::new();
    }
    if !model.write.yes {
        // Back to the review, with the dispositions read again (a failed write may have changed
        // some files).
        return enter(model, Step::Review);
    }
    model.write.writing = true;
    model.write.error = None;
    vec![Effect::WriteFiles {
        planned: model.review.planned().to_vec(),
    }]
}
