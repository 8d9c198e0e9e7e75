//! Every NetBox user keeps their own account: matching over realistic exports (Keycloak's three uid
//! forms, Authentik's hashed subs with real and with hash usernames), overrides, the lock-out guard,
//! the generated `migrate-users.py` as data that no value can turn into code (checked by Python's own
//! parser), and `nbsso users match` / `nbsso users record` as a user runs them. The real NetBox runs
//! the script in `tests/netbox_e2e.rs`.

use nbsso::generate::user_migration::{self, MapPlace};
use nbsso::users::map::MapOptions;
use nbsso::users::{
    Deployment, KanidmPerson, LinkProviders, NetBoxExport, State, UserMap, UserRow, build_map,
    parse_overrides, parse_persons,
};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use testkit::idp::TestIdp;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/users")
        .join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

fn export(name: &str) -> NetBoxExport {
    NetBoxExport::parse(&read(name)).unwrap()
}

fn persons() -> Vec<KanidmPerson> {
    parse_persons(&read("persons.cli.json")).unwrap()
}

fn options(old: &str) -> MapOptions {
    MapOptions {
        providers: LinkProviders::new(old, "oidc"),
        kanidm_issuer: Some("https://idm.example.com/oauth2/openid/netbox".into()),
        deployment: Deployment::Wheel,
        renames: true,
    }
}

fn map(name: &str, old: &str) -> UserMap {
    build_map(&export(name), &persons(), &[], &options(old)).unwrap()
}

fn row<'a>(map: &'a UserMap, username: &str) -> &'a UserRow {
    map.users
        .iter()
        .find(|r| r.username == username)
        .unwrap_or_else(|| panic!("no row {username}"))
}

/// `(username, state, kanidm person)` of every row, for whole-table assertions.
fn table(map: &UserMap) -> Vec<(String, State, Option<String>)> {
    map.users
        .iter()
        .map(|r| {
            (
                r.username.clone(),
                r.state,
                r.person.as_ref().map(|p| p.name.clone()),
            )
        })
        .collect()
}

fn t(user: &str, state: State, person: Option<&str>) -> (String, State, Option<String>) {
    (user.into(), state, person.map(str::to_string))
}

#[test]
fn keycloak_default_every_state() {
    let m = map("keycloak-default.export.txt", "keycloak");
    assert_eq!(
        table(&m),
        [
            t("admin", State::Local, None),
            t("alice", State::AlreadyLinked, Some("alice")),
            t("bob", State::Matched, Some("bob")),
            t("carol", State::Matched, Some("carol")),
            t("DSmith", State::Matched, Some("dsmith")),
            t("erin", State::Unmatched, None),
            t("fmeyer", State::Ambiguous, None),
            t("grace", State::AlreadyLinked, Some("grace")),
            t("alice3f9c0b2e4d5a6b7c", State::Stray, Some("alice")),
            t("heidi@idm.example.com", State::AlreadyLinked, Some("heidi")),
            t("netbox-api", State::Local, None),
        ]
    );
    // The stray copy: reported with the fix, and the real alice points at it.
    let stray = row(&m, "alice3f9c0b2e4d5a6b7c");
    assert_eq!(stray.rivals[0].username, "alice");
    let fix = stray.fix.as_deref().unwrap();
    assert!(fix.starts_with("nbsso never deletes accounts."), "{fix}");
    assert!(
        fix.contains("UserSocialAuth.objects.filter(user_id=9, provider='oidc', uid='9a74540e-bf65-5e7a-878d-216d5b907dc5').delete()"),
        "{fix}"
    );
    let alice = row(&m, "alice");
    assert_eq!(
        alice.linked_user.as_ref().unwrap().username,
        "alice3f9c0b2e4d5a6b7c"
    );
    assert_eq!(
        alice.reason,
        "Kanidm person alice's link is held by the stray copy alice3f9c0b2e4d5a6b7c"
    );
    // Case differences: NetBox's DSmith is Kanidm's dsmith.
    assert_eq!(
        row(&m, "DSmith").reason,
        "Kanidm person dsmith by the username DSmith (old uid)"
    );
    // Two persons share ops@example.com: both shown.
    let fmeyer = row(&m, "fmeyer");
    let names: Vec<&str> = fmeyer.candidates.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["frank", "fmeyer-ops"]);
    // Already linked (a Kanidm login happened): nothing to add, the old uid is kept for cleanup.
    assert_eq!(row(&m, "grace").old_uids, ["grace"]);
    // The SPN-named account is offered its short name, which nobody has.
    assert_eq!(
        row(&m, "heidi@idm.example.com").rename_to.as_deref(),
        Some("heidi")
    );
    // The script's data: the matched links and the rename, nothing for the others.
    let links: Vec<(&str, &str)> = m
        .script
        .links
        .iter()
        .map(|l| (l.username.as_str(), l.kanidm.as_str()))
        .collect();
    assert_eq!(
        links,
        [("bob", "bob"), ("carol", "carol"), ("DSmith", "dsmith")]
    );
    assert_eq!(m.script.renames[0].from, "heidi@idm.example.com");
    assert_eq!(m.script.renames[0].to, "heidi");
    assert!(m.guard.ok);
    assert_eq!(m.guard.usable_superusers, ["admin"]);
}

#[test]
fn keycloak_id_key_email_matches_the_email_uids() {
    let m = map("keycloak-id-key-email.export.txt", "keycloak");
    assert_eq!(
        table(&m),
        [
            t("admin", State::Local, None),
            t("alice", State::Matched, Some("alice")),
            t("bob", State::Matched, Some("bob")),
            t("ivan.p", State::Matched, Some("ivan")),
        ]
    );
    // Neither the uid nor the username is a Kanidm name: the uid is an e-mail, in another case.
    assert_eq!(
        row(&m, "ivan.p").reason,
        "Kanidm person ivan by the e-mail Ivan.Petrov@example.com (old uid)"
    );
}

#[test]
fn keycloak_through_oidc_has_uuid_uids() {
    let m = map("keycloak-oidc.export.txt", "oidc");
    assert_eq!(
        table(&m),
        [
            t("admin", State::Local, None),
            t("alice", State::Matched, Some("alice")),
            t("bob", State::Matched, Some("bob")),
            t("dave", State::Matched, Some("dsmith")),
        ]
    );
    assert_eq!(
        row(&m, "alice").reason,
        "Kanidm person alice by the username alice (preferred_username of the last login)"
    );
    assert!(
        row(&m, "dave")
            .reason
            .contains("by the e-mail dave@example.com")
    );
    assert_eq!(
        m.script.old_endpoint.as_deref(),
        Some("https://keycloak.example.com/realms/corp")
    );
}

#[test]
fn authentik_hashed_user_id_with_real_usernames() {
    let m = map("authentik-hashed.export.txt", "oidc");
    assert_eq!(
        table(&m),
        [
            t("akadmin", State::Local, None),
            t("alice", State::Matched, Some("alice")),
            t("bob", State::Matched, Some("bob")),
            t("carol", State::Matched, Some("carol")),
        ]
    );
    // The old uids are Authentik's 64-hex subs; cleanup removes them, keeps Kanidm's.
    assert_eq!(row(&m, "alice").old_uids[0].len(), 64);
    // No local superuser has a password, but alice keeps superuser through Kanidm.
    assert!(m.guard.ok);
    assert!(m.guard.usable_superusers.is_empty());
    assert_eq!(m.guard.kanidm_superusers, ["alice"]);
    assert_eq!(
        m.guard.fix.as_deref(),
        Some("netbox createsuperuser"),
        "a local superuser is still recommended"
    );
}

#[test]
fn authentik_username_key_sub_matches_by_email() {
    let m = map("authentik-username-sub.export.txt", "oidc");
    let states: Vec<(State, Option<String>)> = table(&m).into_iter().map(|r| (r.1, r.2)).collect();
    assert_eq!(
        states,
        [
            (State::Local, None),
            (State::Matched, Some("alice".into())),
            (State::Matched, Some("bob".into())),
            (State::Unmatched, None),
        ]
    );
    assert_eq!(
        m.users[2].reason,
        "Kanidm person bob by the e-mail BOB@example.com (NetBox e-mail)"
    );
}

#[test]
fn two_netbox_users_for_one_person_are_both_ambiguous() {
    let mut e = export("keycloak-oidc.export.txt");
    let mut twin = e.users[2].clone();
    twin.id = 40;
    twin.username = "bob.old".into();
    twin.links[0].uid = "0f6b57a4-6d57-4c0e-a0b6-9d1b7e5f4c21".into();
    twin.links[0].claims.preferred_username = None;
    e.users.push(twin);
    let m = build_map(&e, &persons(), &[], &options("oidc")).unwrap();
    assert_eq!(row(&m, "bob").state, State::Ambiguous);
    assert_eq!(row(&m, "bob").rivals[0].username, "bob.old");
    assert_eq!(row(&m, "bob.old").rivals[0].username, "bob");
    assert!(m.script.links.iter().all(|l| l.kanidm != "bob"));
}

#[test]
fn overrides_resolve_and_are_checked() {
    let overrides = parse_overrides(&read("overrides.csv")).unwrap();
    let m = build_map(
        &export("keycloak-default.export.txt"),
        &persons(),
        &overrides,
        &options("keycloak"),
    )
    .unwrap();
    assert_eq!(row(&m, "fmeyer").state, State::Matched);
    assert_eq!(row(&m, "fmeyer").person.as_ref().unwrap().name, "frank");
    assert_eq!(
        row(&m, "fmeyer").reason,
        "Kanidm person frank by the overrides file, line 3"
    );
    assert_eq!(row(&m, "erin").state, State::Unmatched);
    assert_eq!(
        row(&m, "erin").reason,
        "not linked, as the overrides file says (line 5)"
    );
    let e = export("keycloak-default.export.txt");
    let bad = |csv: &str| {
        build_map(
            &e,
            &persons(),
            &parse_overrides(csv).unwrap(),
            &options("keycloak"),
        )
        .unwrap_err()
        .to_string()
    };
    assert_eq!(
        bad("mallory,alice\n"),
        "overrides line 1: NetBox has no user named mallory"
    );
    assert_eq!(
        bad("bob,roberta\n"),
        "overrides line 1: Kanidm has no person named roberta"
    );
    assert_eq!(
        bad("bob,frank\nfmeyer,frank\n"),
        "overrides lines 1 and 2 both give Kanidm person frank"
    );
}

#[test]
fn the_guard_refuses_when_nobody_could_administer_netbox() {
    let mut e = export("keycloak-default.export.txt");
    for u in &mut e.users {
        u.usable_password = false;
    }
    let m = build_map(&e, &persons(), &[], &options("keycloak")).unwrap();
    // alice is a superuser, but her link is held by the stray: she is not linked by this map.
    assert!(!m.guard.ok, "{:?}", m.guard);
    assert!(
        m.guard
            .message
            .starts_with("no active superuser has a usable local password")
    );
    assert_eq!(m.guard.fix.as_deref(), Some("netbox createsuperuser"));
}

#[test]
fn the_rest_api_and_the_cli_list_give_the_same_persons() {
    assert_eq!(
        parse_persons(&read("persons.rest.json")).unwrap(),
        persons()
    );
}

// ---- migrate-users.py: data, never code ----

const HOSTILE: [&str; 12] = [
    "'''",
    "x'''); import os; os.system('touch /tmp/nbsso-pwned'); ('",
    "\\",
    "a\\",
    "\"\"\"",
    "\\u0027''' + __import__('os').getcwd() + '''",
    "line\nbreak",
    "sep\u{2028}arator",
    "nul\u{0}byte",
    "${HOME}$(id)`id`",
    "Zoë 😀 名前",
    "\r\n#",
];

/// A map whose every free-text value is hostile.
fn hostile_map() -> UserMap {
    let mut e = export("keycloak-default.export.txt");
    let mut p = persons();
    for (i, value) in HOSTILE.iter().enumerate() {
        let u = &mut e.users[2 + (i % 3)];
        u.username = format!("{}{value}", u.username);
        u.links[0].uid = u.username.clone();
        u.email = format!("{value}@example.com");
        p[2 + (i % 3)].name = u.username.clone();
    }
    let mut o = options("keycloak");
    o.kanidm_issuer = Some(format!("https://idm.example.com/{}", HOSTILE[1]));
    build_map(&e, &p, &[], &o).unwrap()
}

/// Python's own parser: the script's syntax tree with the data string blanked, and the data decoded
/// by `json.loads` from that one string constant.
fn python_view(script: &str) -> (String, Value) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("migrate-users.py");
    std::fs::write(&path, script).unwrap();
    let code = r#"
import ast, json, sys
tree = ast.parse(open(sys.argv[1], encoding='utf-8').read())
data = None
for node in tree.body:
    if isinstance(node, ast.Assign) and node.targets[0].id == 'NBSSO_DATA':
        assert isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        data = json.loads(node.value.value)
        node.value.value = ''
print(json.dumps(data))
print(ast.dump(tree))
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(code)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python3 could not parse the script: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (data, tree) = text.split_once('\n').unwrap();
    (tree.to_string(), serde_json::from_str(data).unwrap())
}

#[test]
fn hostile_values_stay_data_in_the_script() {
    let benign = map("keycloak-default.export.txt", "keycloak");
    let hostile = hostile_map();
    let (benign_script, place) = user_migration::script(&benign.script);
    assert_eq!(place, MapPlace::Embedded);
    let (hostile_script, _) = user_migration::script(&hostile.script);
    let (benign_tree, benign_data) = python_view(&benign_script);
    let (hostile_tree, hostile_data) = python_view(&hostile_script);
    // The same program: only the one data string differs.
    assert_eq!(benign_tree, hostile_tree);
    // And Python reads back exactly the map nbsso meant.
    assert_eq!(benign_data, serde_json::to_value(&benign.script).unwrap());
    assert_eq!(hostile_data, serde_json::to_value(&hostile.script).unwrap());
    let names: Vec<&str> = hostile_data["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["username"].as_str().unwrap())
        .collect();
    assert!(names.iter().any(|n| n.contains(HOSTILE[1])), "{names:?}");
    assert!(hostile_script.is_ascii());
}

#[test]
fn a_map_too_large_for_one_argument_is_read_from_the_file() {
    let e = export("keycloak-default.export.txt");
    let mut big = e.clone();
    let mut p = persons();
    for i in 0..4000 {
        let mut u = e.users[2].clone();
        u.id = 1000 + i;
        u.username = format!("user{i:05}");
        u.links[0].uid = u.username.clone();
        u.links[0].claims = Default::default();
        big.users.push(u);
        p.push(KanidmPerson {
            name: format!("user{i:05}"),
            uuid: format!("00000000-0000-4000-8000-{i:012}"),
            spn: None,
            mail: Vec::new(),
            displayname: None,
        });
    }
    let m = build_map(&big, &p, &[], &options("keycloak")).unwrap();
    let (script, place) = user_migration::script(&m.script);
    assert_eq!(place, MapPlace::InFile);
    assert!(script.len() < user_migration::MAX_EMBEDDED);
    let (_, data) = python_view(&script);
    assert_eq!(data["in_file"], true);
    assert_eq!(data["links"], 4003);
}

// ---- the command line ----

fn nbsso(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nbsso"));
    cmd.args(args)
        .stdin(Stdio::null())
        .env_remove("KANIDM_URL")
        .env_remove("KANIDM_TOKEN")
        .env_remove("KANIDM_NAME");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn users_match_writes_the_map_and_the_script() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().to_str().unwrap();
    let export_path = fixture("keycloak-default.export.txt");
    let persons_path = fixture("persons.cli.json");
    let args = [
        "users",
        "match",
        "--netbox",
        export_path.to_str().unwrap(),
        "--kanidm",
        persons_path.to_str().unwrap(),
        "--out",
        out_dir,
        "--deployment",
        "docker",
    ];
    let out = nbsso(&args, &[]);
    let shown = text(&out);
    // Ambiguous, unmatched and stray users are findings.
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("3 matched, 1 ambiguous, 1 unmatched, 3 already linked, 1 stray, 2 local"),
        "{shown}"
    );
    assert!(shown.contains("✓ lock-out guard: local superuser with a password: admin"));
    assert!(shown.contains(
        "docker compose exec -T -e NBSSO_USERS_ACTION=plan netbox /opt/netbox/netbox/manage.py nbshell --command \"$(cat migrate-users.py)\""
    ), "{shown}");
    let map: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("user-map.json")).unwrap())
            .unwrap();
    assert_eq!(map["counts"]["matched"], 3);
    assert_eq!(map["script"]["links"].as_array().unwrap().len(), 3);
    let script = std::fs::read_to_string(dir.path().join("migrate-users.py")).unwrap();
    assert!(script.contains("NBSSO_DATA = r'''{"));
    assert!(
        script.contains("docker compose exec netbox /opt/netbox/netbox/manage.py createsuperuser")
    );

    // Again, with the overrides: unchanged map files are left alone, changed ones backed up.
    let csv = fixture("overrides.csv");
    let mut with = args.to_vec();
    with.extend(["--overrides", csv.to_str().unwrap(), "--json"]);
    let out = nbsso(&with, &[]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["map"]["counts"]["matched"], 4);
    assert_eq!(report["exit_code"], 1, "the stray is still a finding");
    assert_eq!(report["files"][0]["disposition"], "overwrite");
    assert!(
        report["files"][0]["backup"]
            .as_str()
            .unwrap()
            .contains(".nbsso-")
    );

    // A dry run writes nothing.
    let fresh = tempfile::tempdir().unwrap();
    let mut dry = args.to_vec();
    dry[7] = fresh.path().to_str().unwrap();
    dry.push("--dry-run");
    let out = nbsso(&dry, &[]);
    assert!(text(&out).contains("Would write"), "{}", text(&out));
    assert_eq!(std::fs::read_dir(fresh.path()).unwrap().count(), 0);
}

#[test]
fn users_match_says_what_is_wrong_with_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let persons_path = fixture("persons.cli.json");
    let bad = dir.path().join("export.txt");
    std::fs::write(&bad, "Traceback (most recent call last):\n  ...\n").unwrap();
    let out = nbsso(
        &[
            "users",
            "match",
            "--netbox",
            bad.to_str().unwrap(),
            "--kanidm",
            persons_path.to_str().unwrap(),
            "--out",
            dir.path().to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("no line starting with NBSSO-RESULT"),
        "{}",
        text(&out)
    );
    let export_path = fixture("keycloak-default.export.txt");
    let out = nbsso(
        &["users", "match", "--netbox", export_path.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("--kanidm persons.json"),
        "{}",
        text(&out)
    );
    // The text output of `kanidm person list` is refused with the command that gives JSON.
    let txt = dir.path().join("persons.txt");
    std::fs::write(&txt, "---\nclass: person\nname: alice\n").unwrap();
    let out = nbsso(
        &[
            "users",
            "match",
            "--netbox",
            export_path.to_str().unwrap(),
            "--kanidm",
            txt.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("-o json"), "{}", text(&out));
}

/// Kanidm's REST API: `GET /v1/person` for the token `tok-idm-admin`, 403 for `tok-admin`.
fn kanidm_api() -> TestIdp {
    TestIdp::builder()
        .rest_api("/v1/person", read("persons.rest.json"))
        .start_blocking()
}

#[test]
fn users_match_reads_persons_live_with_the_cli_login() {
    let idp = kanidm_api();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("kanidm_tokens");
    std::fs::write(
        &cache,
        r#"{"instances":{"":{"tokens":{"idm_admin@localhost":"tok-idm-admin","admin@localhost":"tok-admin"}}}}"#,
    )
    .unwrap();
    let export_path = fixture("authentik-hashed.export.txt");
    let run = |name: &str| {
        nbsso(
            &[
                "users",
                "match",
                "--netbox",
                export_path.to_str().unwrap(),
                "--url",
                &idp.origin(),
                "-D",
                name,
                "--out",
                dir.path().to_str().unwrap(),
            ],
            &[
                ("KANIDM_TOKEN_CACHE_PATH", cache.to_str().unwrap()),
                ("KANIDM_CA_PATH", idp.ca_pem_path().to_str().unwrap()),
            ],
        )
    };
    let out = run("idm_admin");
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains(&format!("Kanidm persons from {}/v1/person", idp.origin())),
        "{shown}"
    );
    assert!(shown.contains("3 matched, 1 local"), "{shown}");
    assert!(
        !shown.contains("tok-idm-admin"),
        "the token is never printed"
    );
    let out = run("admin");
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out).contains("idm_people_admins"), "{}", text(&out));
}

#[test]
fn users_record_keeps_apply_result_for_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().to_str().unwrap();
    let export_path = fixture("keycloak-oidc.export.txt");
    let persons_path = fixture("persons.cli.json");
    let out = nbsso(
        &[
            "users",
            "match",
            "--netbox",
            export_path.to_str().unwrap(),
            "--kanidm",
            persons_path.to_str().unwrap(),
            "--out",
            out_dir,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let apply = dir.path().join("nbsso-apply.txt");
    std::fs::write(
        &apply,
        "nbsso: linked 3 user(s) to Kanidm, renamed 0; rollback deletes exactly these\n\
         NBSSO-RESULT {\"action\": \"apply\", \"changed\": 3, \"created\": [{\"id\": 41, \"kanidm\": \"alice\", \"provider\": \"oidc\", \"uid\": \"9a74540e-bf65-5e7a-878d-216d5b907dc5\", \"user_id\": 2, \"username\": \"alice\"}], \"dry_run\": false, \"nbsso\": 1, \"ok\": true, \"renamed\": [], \"run\": \"5c3e0d1f7a8b4c2d9e6f1a2b3c4d5e6f\"}\n",
    )
    .unwrap();
    let out = nbsso(
        &[
            "users",
            "record",
            "--result",
            apply.to_str().unwrap(),
            "--out",
            out_dir,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out)
            .contains("Rollback record of run 5c3e0d1f7a8b4c2d9e6f1a2b3c4d5e6f: 1 link(s) created")
    );
    let script = std::fs::read_to_string(dir.path().join("migrate-users.py")).unwrap();
    let (_, data) = python_view(&script);
    assert_eq!(data["rollback"]["created"][0]["id"], 41);
    // A plan's output is not apply's.
    std::fs::write(
        &apply,
        "NBSSO-RESULT {\"action\": \"plan\", \"nbsso\": 1, \"ok\": true}\n",
    )
    .unwrap();
    let out = nbsso(
        &[
            "users",
            "record",
            "--result",
            apply.to_str().unwrap(),
            "--out",
            out_dir,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("this is the result of `plan`, not of `apply`"));
}

#[test]
fn generate_keeps_a_matched_map_in_the_script() {
    let dir = tempfile::tempdir().unwrap();
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/keycloak-netbox-4.7.3.toml");
    let out_dir = dir.path().to_str().unwrap();
    let out = nbsso(
        &[
            "generate",
            "--plan",
            plan.to_str().unwrap(),
            "--out",
            out_dir,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let unmatched = std::fs::read_to_string(dir.path().join("migrate-users.py")).unwrap();
    assert_eq!(python_view(&unmatched).1["matched"], false);
    let export_path = fixture("keycloak-default.export.txt");
    let persons_path = fixture("persons.cli.json");
    nbsso(
        &[
            "users",
            "match",
            "--plan",
            plan.to_str().unwrap(),
            "--netbox",
            export_path.to_str().unwrap(),
            "--kanidm",
            persons_path.to_str().unwrap(),
            "--out",
            out_dir,
        ],
        &[],
    );
    let matched = std::fs::read_to_string(dir.path().join("migrate-users.py")).unwrap();
    let out = nbsso(
        &[
            "generate",
            "--plan",
            plan.to_str().unwrap(),
            "--out",
            out_dir,
        ],
        &[],
    );
    assert!(text(&out).contains("migrate-users.py"), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("migrate-users.py")).unwrap(),
        matched,
        "regenerating keeps the matched map"
    );
    assert_eq!(
        python_view(&matched).1["kanidm_issuer"],
        "https://idm.example.com/oauth2/openid/netbox"
    );
}

#[test]
fn no_secret_from_the_export_reaches_any_output() {
    // An export from a script that (wrongly) carried tokens and a password hash: nbsso drops them.
    const CANARY: &str = "CANARY-7f3a9c";
    let original = read("keycloak-default.export.txt");
    let polluted = original.replace(
        "\"provider\": \"keycloak\"",
        &format!(
            "\"extra_data\": {{\"access_token\": \"eyJ.{CANARY}.sig\", \"refresh_token\": \"{CANARY}\"}}, \"provider\": \"keycloak\""
        ),
    ).replace(
        "\"superuser\": true",
        &format!("\"password\": \"pbkdf2_sha256$870000${CANARY}$hash\", \"superuser\": true"),
    );
    assert!(polluted.contains(CANARY));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.txt");
    std::fs::write(&path, polluted).unwrap();
    let persons_path = fixture("persons.cli.json");
    for json in [false, true] {
        let mut args = vec![
            "users",
            "match",
            "--netbox",
            path.to_str().unwrap(),
            "--kanidm",
            persons_path.to_str().unwrap(),
            "--out",
            dir.path().to_str().unwrap(),
        ];
        if json {
            args.push("--json");
        }
        let out = nbsso(&args, &[]);
        assert!(!text(&out).contains(CANARY));
    }
    for file in ["user-map.json", "migrate-users.py"] {
        let written = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(!written.contains(CANARY), "{file}");
    }
}
