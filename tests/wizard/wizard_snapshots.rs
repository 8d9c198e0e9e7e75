//! Whole-screen snapshots of every screen in its states, at 80×24 (the smallest layout) and
//! 120×40, plus a few direct style assertions (snapshots hold text, not colour).

use crossterm::event::KeyCode;
use nbsso::app::model::{Modal, ResumeOffer};
use nbsso::app::{Config, Model, Msg, Step, update};
use nbsso::checks::{CheckEvent, CheckId, DetectedRelease, Finding, Status};
use nbsso::generate::writer::{Disposition, WrittenFile};
use nbsso::theme::Theme;
use ratatui::style::Color;
use testkit::wizard::*;

fn snap(name: &str, model: &mut Model) {
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = render(model, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen);
    }
}

fn at_kanidm() -> Model {
    let mut m = model();
    press(&mut m, KeyCode::Enter);
    press(&mut m, KeyCode::Enter);
    m
}

/// A valid plan on the Checks step with run 1 started.
fn checks_started() -> Model {
    let mut m = model();
    fill_valid(&mut m);
    press(&mut m, KeyCode::Char('r'));
    m
}

fn running(m: &mut Model, id: CheckId) {
    update(
        m,
        Msg::Check(CheckEvent {
            run: m.board.run,
            id,
            status: Status::Running,
            finding: None,
        }),
    );
}

fn with_failed_clock(m: &mut Model) {
    check_done(
        m,
        CheckId::KanidmTls,
        Finding::pass("certificate valid for idm.example.com"),
    );
    check_done(
        m,
        CheckId::Discovery,
        Finding::pass("issuer matches the plan"),
    );
    check_done(m, CheckId::Jwks, Finding::pass("ES256 key found"));
    check_done(
        m,
        CheckId::Clock,
        Finding::fail("Kanidm's clock is 1.5 s ahead of this machine's")
            .with_fix("run NTP (chrony or systemd-timesyncd) on both hosts")
            .with_detail("offset +1512 ms (8 samples, spread 4 ms)"),
    );
    check_done(
        m,
        CheckId::NetboxLogin,
        Finding::pass("login page shows the Kanidm button"),
    );
    check_done(
        m,
        CheckId::Redirect,
        Finding::warn("NetBox sends an http:// redirect URL").with_fix("set REDIRECT_IS_HTTPS"),
    );
    check_done(
        m,
        CheckId::Authorise,
        Finding::skipped("needs the redirect check"),
    );
}

#[test]
fn welcome() {
    snap("wizard_welcome", &mut model());
}

#[test]
fn welcome_with_a_saved_plan() {
    let mut m = Model::new(Config {
        resume: Some(ResumeOffer {
            path: "nbsso-out/nbsso-plan.toml".into(),
            draft: nbsso::plan::PlanDraft::default(),
        }),
        ..Config::default()
    });
    snap("wizard_welcome_resume", &mut m);
}

#[test]
fn source() {
    let mut m = model();
    press(&mut m, KeyCode::Enter);
    snap("wizard_source", &mut m);
}

#[test]
fn kanidm_empty() {
    snap("wizard_kanidm_empty", &mut at_kanidm());
}

#[test]
fn kanidm_invalid_field() {
    let mut m = at_kanidm();
    type_text(&mut m, "idm.example.com");
    snap("wizard_kanidm_invalid", &mut m);
}

#[test]
fn kanidm_next_refused() {
    let mut m = at_kanidm();
    focus(&mut m, 3);
    press(&mut m, KeyCode::Enter);
    snap("wizard_kanidm_next_refused", &mut m);
}

#[test]
fn kanidm_valid() {
    let mut m = at_kanidm();
    type_text(&mut m, "https://idm.example.com");
    focus(&mut m, 6);
    type_text(&mut m, "alice, bob");
    snap("wizard_kanidm_valid", &mut m);
}

#[test]
fn netbox_valid() {
    let mut m = at_kanidm();
    type_text(&mut m, "https://idm.example.com");
    press(&mut m, KeyCode::Enter);
    type_text(&mut m, "https://netbox.example.com");
    focus(&mut m, 1);
    type_text(&mut m, "netbox/");
    snap("wizard_netbox_valid", &mut m);
}

#[test]
fn options_for_a_netbox_without_pkce() {
    let mut m = at_kanidm();
    type_text(&mut m, "https://idm.example.com");
    press(&mut m, KeyCode::Enter);
    type_text(&mut m, "https://netbox.example.com");
    focus(&mut m, 2);
    replace_text(&mut m, "4.2.0");
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Options);
    snap("wizard_options_old_netbox", &mut m);
}

#[test]
fn checks_waiting_for_answers() {
    let mut m = at_kanidm();
    m.step = Step::Checks;
    snap("wizard_checks_waiting", &mut m);
}

#[test]
fn checks_running() {
    let mut m = checks_started();
    check_done(
        &mut m,
        CheckId::KanidmTls,
        Finding::pass("certificate valid for idm.example.com"),
    );
    running(&mut m, CheckId::Discovery);
    running(&mut m, CheckId::Clock);
    running(&mut m, CheckId::NetboxLogin);
    snap("wizard_checks_running", &mut m);
}

#[test]
fn checks_failed_with_details() {
    let mut m = checks_started();
    with_failed_clock(&mut m);
    for _ in 0..3 {
        press(&mut m, KeyCode::Down);
    }
    snap("wizard_checks_failed", &mut m);
}

#[test]
fn status_line_on_another_screen_while_checks_run() {
    let mut m = checks_started();
    running(&mut m, CheckId::Clock);
    check_done(&mut m, CheckId::KanidmTls, Finding::pass("ok"));
    press(&mut m, KeyCode::PageUp); // Options
    snap("wizard_options_with_status", &mut m);
}

fn at_review(existing: &[(&str, &str)]) -> Model {
    let mut m = checks_started();
    with_failed_clock(&mut m);
    press(&mut m, KeyCode::Enter); // Users: Enter with no export skips it
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Review);
    let files = planned_files(&m, existing);
    let generation = m.review.generation;
    update(&mut m, Msg::Planned(generation, Ok(files)));
    m
}

#[test]
fn review_with_a_diff() {
    let mut m = at_review(&[(
        "netbox-sso.py",
        "# NetBox settings written by hand\nLOGIN_REQUIRED = True\n",
    )]);
    for _ in 0..3 {
        press(&mut m, KeyCode::Down);
    }
    snap("wizard_review_diff", &mut m);
    press(&mut m, KeyCode::Char('d'));
    snap("wizard_review_diff_scrolled", &mut m);
    // Long lines: → shifts the diff sideways, ← back; another file starts at column 1.
    press(&mut m, KeyCode::Right);
    press(&mut m, KeyCode::Right);
    snap("wizard_review_diff_sideways", &mut m);
    assert_eq!(m.review.hscroll, 20);
    press(&mut m, KeyCode::Left);
    assert_eq!(m.review.hscroll, 10);
    for _ in 0..100 {
        press(&mut m, KeyCode::Right);
    }
    let widest = m.review.planned()[m.review.selected]
        .diff
        .lines()
        .map(|l| l.chars().count())
        .max()
        .unwrap();
    assert_eq!(
        usize::from(m.review.hscroll),
        widest - 1,
        "stops with the longest line's last column in view"
    );
    press(&mut m, KeyCode::Up);
    assert_eq!(m.review.hscroll, 0);
}

#[test]
fn review_with_missing_answers() {
    let mut m = at_kanidm();
    type_text(&mut m, "https://idm.example.com/oauth2/openid/netbox");
    m.step = Step::Review;
    snap("wizard_review_missing", &mut m);
}

#[test]
fn write_confirmation_with_an_overwrite() {
    let mut m = at_review(&[("netbox-sso.py", "# old\n")]);
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.step, Step::Write);
    snap("wizard_write_overwrite", &mut m);
}

#[test]
fn write_confirmation_all_new() {
    let mut m = at_review(&[]);
    press(&mut m, KeyCode::Enter);
    snap("wizard_write_new", &mut m);
}

#[test]
fn done() {
    let mut m = at_review(&[("netbox-sso.py", "# old\n")]);
    press(&mut m, KeyCode::Enter);
    let written = m
        .review
        .planned()
        .iter()
        .map(|f| WrittenFile {
            path: f.path.clone(),
            disposition: f.disposition,
            backup: (f.disposition == Disposition::Overwrite).then(|| {
                f.path
                    .with_file_name("netbox-sso.py.nbsso-20261122-174512.bak")
            }),
        })
        .collect();
    update(&mut m, Msg::Written(Ok(written)));
    assert_eq!(m.step, Step::Done);
    snap("wizard_done", &mut m);
}

#[test]
fn help_overlay() {
    let mut m = at_kanidm();
    press(&mut m, KeyCode::F(1));
    snap("wizard_help_kanidm", &mut m);
}

#[test]
fn quit_confirmation() {
    let mut m = at_kanidm();
    type_text(&mut m, "https://idm.example.com");
    press(&mut m, KeyCode::Esc);
    assert_eq!(m.modal, Some(Modal::Quit));
    snap("wizard_quit", &mut m);
}

#[test]
fn too_small() {
    let mut m = at_kanidm();
    let screen = render(&mut m, 79, 24);
    insta::assert_snapshot!("wizard_too_small_79x24", screen);
    let screen = render(&mut m, 100, 20);
    insta::assert_snapshot!("wizard_too_small_100x20", screen);
}

// ---- styles (snapshots carry no colour) ----

#[test]
fn the_focused_label_and_an_invalid_message_are_styled() {
    let mut m = at_kanidm();
    type_text(&mut m, "idm.example.com");
    let buf = render_buffer(&mut m, 80, 24);
    // Row 5: "▸ Kanidm URL !" label of the focused field (after header, step bar, rule, heading).
    let focused = Theme::colour().focus();
    let cell = &buf[(3, 5)];
    assert_eq!(cell.symbol(), "K");
    assert_eq!(cell.fg, focused.fg.unwrap());
    // The message under it starts with ✗ and is red.
    let msg = &buf[(27, 6)];
    assert_eq!(msg.symbol(), "✗");
    assert_eq!(msg.fg, Color::Red);
}

#[test]
fn no_color_renders_without_colours_but_keeps_the_glyphs() {
    let mut m = checks_started();
    m.theme = Theme::monochrome();
    with_failed_clock(&mut m);
    let buf = render_buffer(&mut m, 80, 24);
    for cell in buf.content() {
        assert_eq!(cell.fg, Color::Reset, "{:?}", cell.symbol());
        assert_eq!(cell.bg, Color::Reset, "{:?}", cell.symbol());
    }
    let text = render(&mut m, 80, 24);
    assert!(text.contains("✗ failed"));
    assert!(text.contains("! warning"));
}

#[test]
fn the_cursor_sits_at_the_visual_column_of_the_focused_field() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let mut m = at_kanidm();
    type_text(&mut m, "https://ïdm");
    press(&mut m, KeyCode::Left);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| nbsso::view::render(&m, f)).unwrap();
    // The input starts at column 1 + 26; the cursor is before the last character.
    terminal.backend_mut().assert_cursor_position((27 + 10, 5));
}

#[test]
fn netbox_version_offered_by_the_login_page_check() {
    let mut m = checks_started();
    let mut finding = Finding::warn(
        "the login page uses the POST to /oauth/begin/ (NetBox 4.7.1+) style, but NetBox 4.2.0 uses the link (NetBox ≤ 4.6) style: is netbox.version right?",
    )
    .with_fix("set netbox.version to the release shown in NetBox's footer (4.7.1 or later)");
    finding.detected = Some(DetectedRelease {
        range: "4.7.1 or later".into(),
        suggested: Some("4.7.3".parse().unwrap()),
    });
    check_done(&mut m, CheckId::NetboxLogin, finding);
    press(&mut m, KeyCode::PageUp); // Options
    press(&mut m, KeyCode::PageUp); // NetBox
    focus(&mut m, 2);
    snap("wizard_netbox_version_hint", &mut m);
    // F2 takes the offered release into the field (and the plan).
    press(&mut m, KeyCode::F(2));
    assert_eq!(m.answers.draft.netbox.version, "4.7.3");
    assert_eq!(
        m.notice.as_deref(),
        Some("NetBox version set to 4.7.3, from the login page.")
    );
}

#[test]
fn kanidm_version_offered_by_discovery() {
    let mut m = checks_started();
    let mut finding = Finding::warn(
        "Kanidm runs 1.7.3 but the plan is for 1.11.1: kanidm-setup.sh would use the other syntax",
    );
    finding.detected = Some(DetectedRelease {
        range: "1.7.3".into(),
        suggested: Some("1.7.3".parse().unwrap()),
    });
    check_done(&mut m, CheckId::Discovery, finding);
    for _ in 0..3 {
        press(&mut m, KeyCode::PageUp);
    }
    assert_eq!(m.step, Step::Kanidm);
    focus(&mut m, 7);
    snap("wizard_kanidm_version_hint", &mut m);
}

#[test]
fn checks_of_the_kanidm_side_while_netbox_is_unanswered() {
    let mut m = at_kanidm();
    let effects = type_text(&mut m, "https://idm.example.com");
    let last = *debounces(&effects).last().unwrap();
    update(&mut m, Msg::DebounceElapsed(last));
    check_done(
        &mut m,
        CheckId::KanidmTls,
        Finding::pass("certificate valid for idm.example.com"),
    );
    running(&mut m, CheckId::Discovery);
    snap("wizard_kanidm_partial_checks", &mut m);
    m.step = Step::Checks;
    snap("wizard_checks_partial", &mut m);
}

#[test]
fn help_lists_every_binding_of_the_screen_beneath() {
    use nbsso::keymap::{self, Context};
    let mut m = checks_started();
    press(&mut m, KeyCode::F(1));
    assert!(m.help);
    let screen = render(&mut m, 120, 40);
    for (keys, label) in keymap::help(Context::Checks) {
        assert!(
            screen
                .lines()
                .any(|l| l.contains(&keys) && l.contains(label)),
            "{keys} {label} in\n{screen}"
        );
    }
    // The footer under the overlay shows how to close it.
    assert!(screen.contains("close help"));
}

/// Wide characters take two columns: a CJK display name in the Review's narrow answers column is
/// cut at the column's width (with …), and the right column still starts where it should.
#[test]
fn a_cjk_answer_is_cut_to_its_column() {
    let mut m = model();
    fill_valid(&mut m);
    for _ in 0..3 {
        press(&mut m, KeyCode::PageUp);
    }
    assert_eq!(m.step, Step::Kanidm);
    focus(&mut m, 3);
    replace_text(&mut m, "ネットボックス管理画面とユーザー");
    for _ in 0..5 {
        press(&mut m, KeyCode::Enter);
    }
    assert_eq!(m.step, Step::Review);
    let screen = render(&mut m, 80, 24);
    // The row as drawn, between the quotes (TestBackend notes the cells wide characters cover
    // after it).
    let row = screen.lines().find(|l| l.contains("Client")).unwrap();
    let row = &row[1..row.rfind('"').unwrap()];
    // The answers column is 39 columns: the label (8), then the value cut to 30 columns at most
    // (the name's 10th character ends at its 20th column), "…" last. Counted in characters, the
    // value (25) would not have been cut, and would have run past the column.
    let (left, right) = row.split_at(row.find("Button").unwrap());
    assert_eq!(left, " Client  netbox \"ネットボックス管理画…  ");
    assert_eq!(unicode_width::UnicodeWidthStr::width(left), 1 + 39);
    assert!(right.starts_with("Button  Kanidm (login)"), "{row}");
}
