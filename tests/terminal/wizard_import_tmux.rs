//! A journey through the wizard that reads a netbox-docker deployment on the Source screen,
//! reviews its patch and writes it, in a real terminal.

use std::path::Path;
use testkit::fixtures::copy_dir;
use testkit::tmux::Tmux;

#[test]
fn a_keycloak_netbox_docker_deployment_is_read_reviewed_and_patched() {
    let dir = tempfile::tempdir().unwrap();
    let deployment = dir.path().join("netbox-docker");
    copy_dir(
        &testkit::fixtures::path("netbox-config/docker-keycloak"),
        &deployment,
    );
    let env_before = std::fs::read_to_string(deployment.join("env/netbox.env")).unwrap();
    let Some(t) = Tmux::start("import", dir.path(), &[], 100, 30) else {
        return;
    };
    t.wait_for("Press Enter to begin");
    t.keys(&["Enter"]);
    t.wait_for("Where does NetBox log in today?");
    t.keys(&["Tab"]);
    t.text("netbox-docker/configuration");
    let screen = t.wait_for("Found netbox-docker, old login Keycloak");
    assert!(screen.contains("(•) Keycloak"), "preselected\n{screen}");
    assert!(!screen.contains("canary"), "{screen}");
    t.keys(&["Enter"]);
    super::wizard_tmux::answer_to_review(&t);
    t.keys(&["Enter"]); // no users to move yet: on to the Review
    let screen = t.wait_for("zz_nbsso_kanidm.py");
    assert!(screen.contains("NetBox configuration"), "{screen}");
    assert_eq!(
        std::fs::read_to_string(deployment.join("env/netbox.env")).unwrap(),
        env_before,
        "nothing is patched before the confirmation"
    );
    t.keys(&["Enter"]);
    let screen = t.wait_for("will be overwritten");
    assert!(screen.contains("netbox.env"), "{screen}");
    assert!(screen.contains("▸ No, back to the review ◂"), "{screen}");
    t.keys(&["Left", "Enter"]);
    t.wait_for("NetBox's configuration is patched");
    let screen = t.wait_for("backup: netbox.env.nbsso-");
    assert!(screen.contains("docker compose up -d"), "{screen}");
    assert!(!screen.contains("canary"), "{screen}");
    let env_after = std::fs::read_to_string(deployment.join("env/netbox.env")).unwrap();
    assert!(
        env_after.contains(
            "\nREMOTE_AUTH_BACKEND=social_core.backends.open_id_connect.OpenIdConnectAuth\n"
        ),
        "{env_after}"
    );
    assert!(
        deployment
            .join("configuration/zz_nbsso_kanidm.py")
            .is_file()
    );
    assert_eq!(backup_of(&deployment.join("env"), "netbox.env"), env_before);
    t.keys(&["q"]);
    t.wait_for("Quit nbsso?");
    t.keys(&["d"]);
    let screen = t.wait_exit();
    assert!(screen.contains("EXIT=0"), "{screen}");
}

/// The text of the one backup of `name` in `dir`.
fn backup_of(dir: &Path, name: &str) -> String {
    let backups: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            let n = e.file_name().to_string_lossy().to_string();
            n.starts_with(&format!("{name}.nbsso-")) && n.ends_with(".bak")
        })
        .collect();
    assert_eq!(backups.len(), 1, "one backup of {name}");
    std::fs::read_to_string(backups[0].path()).unwrap()
}
