//! The user migration's commands on Done, in order, for the deployment shape and service manager
//! chosen on the Users screen: export, plan, apply, record, the restart, later the cleanup, and
//! the rollback.

use crate::app::Model;
use crate::app::screens::users::has_source;
use crate::generate::user_migration::{self, Command, MapPlace};
use crate::theme::Theme;
use crate::users::ServiceManager;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// The hint under Done's summary, when the plan migrates users.
pub fn hint(model: &Model) -> Option<String> {
    has_source(model.answers.plan.as_deref()).then(|| {
        let (shape, _) = model.users.shape();
        format!("u: the commands that move every user's account ({shape})")
    })
}

fn numbered(t: &Theme, lines: &mut Vec<Line<'static>>, n: &mut usize, c: &Command) {
    *n += 1;
    lines.push(Line::styled(format!("{n}. {}", c.label), t.label()));
    lines.push(Line::raw(format!("   {}", c.line)));
}

/// Every line of the commands page.
pub fn lines(model: &Model) -> Vec<Line<'static>> {
    let t = &model.theme;
    let (shape, manager) = model.users.shape();
    let dir = model
        .answers
        .plan
        .as_deref()
        .map(|p| p.output_dir.display().to_string())
        .unwrap_or_default();
    let mut out = vec![
        Line::styled(
            format!("Moving the users on {}, in this order", shape.label()),
            t.title(),
        ),
        Line::styled(
            format!(
                "Run them in {dir}. ↓/↑ scroll, u goes back; d on the Users screen changes the shape"
            ),
            t.dim(),
        ),
    ];
    let mut n = 0;
    let export = Command {
        label: "Export NetBox's users (changes nothing)",
        line: user_migration::export_command(shape),
    };
    numbered(t, &mut out, &mut n, &export);
    let place = match model.users.map_place() {
        Some(place) => place,
        None => {
            let match_cmd = Command {
                label: "Match them (no user map yet; s saves the plan it reads)",
                line: format!(
                    "nbsso users match --netbox {} --plan {} --deployment {shape}",
                    user_migration::EXPORT_FILE,
                    crate::plan::PLAN_FILE
                ),
            };
            numbered(t, &mut out, &mut n, &match_cmd);
            MapPlace::Embedded
        }
    };
    for c in user_migration::apply_commands(shape, place) {
        numbered(t, &mut out, &mut n, &c);
    }
    let restart = Command {
        label: restart_label(manager),
        line: manager.restart().to_string(),
    };
    numbered(t, &mut out, &mut n, &restart);
    out.push(Line::styled(
        "Later, once the old login is gone from configuration.py:",
        t.label(),
    ));
    for c in user_migration::cleanup_commands(shape) {
        numbered(t, &mut out, &mut n, &c);
    }
    out.push(Line::from(Span::styled(
        "To undo apply (only the links it created, and its renames):",
        t.label(),
    )));
    for c in user_migration::rollback_commands(shape) {
        numbered(t, &mut out, &mut n, &c);
    }
    out
}

fn restart_label(manager: ServiceManager) -> &'static str {
    match manager {
        ServiceManager::Systemd => {
            "Restart NetBox (systemd) once configuration.py has the Kanidm settings"
        }
        ServiceManager::Rcctl => {
            "Restart NetBox (OpenBSD rcctl) once configuration.py has the Kanidm settings"
        }
        ServiceManager::DockerCompose => {
            "Restart NetBox (docker compose) once its configuration has the Kanidm settings"
        }
        ServiceManager::Kubectl => {
            "Restart NetBox (kubectl) once its configuration has the Kanidm settings"
        }
    }
}

pub fn render(model: &Model, frame: &mut Frame, area: Rect) {
    frame.render_widget(
        Paragraph::new(lines(model))
            .wrap(Wrap { trim: false })
            .scroll((model.users.commands_scroll, 0)),
        area,
    );
}
