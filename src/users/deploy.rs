//! The commands that run `migrate-users.py` inside NetBox, create a superuser and restart NetBox,
//! for each way NetBox is installed. `nbshell --command` runs the script with NetBox's models loaded
//! and no prompt; `$(cat …)` is expanded on the host, so nothing is copied into a container unless
//! the map is too large for one argument.

use super::map::MAP_FILE;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where the map file goes inside a container when it is read from a file.
pub const CONTAINER_MAP_PATH: &str = "/tmp/nbsso-user-map.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Deployment {
    /// A git checkout in /opt/netbox with its venv (NetBox's install guide).
    Checkout,
    /// The PyPI wheel: the `netbox` command.
    Wheel,
    /// netbox-docker: `docker compose`, service `netbox`.
    Docker,
    /// The Helm chart: `kubectl`, deployment `netbox`.
    Kubernetes,
}

impl Deployment {
    pub const ALL: [Deployment; 4] = [
        Deployment::Checkout,
        Deployment::Wheel,
        Deployment::Docker,
        Deployment::Kubernetes,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Checkout => "git checkout (/opt/netbox)",
            Self::Wheel => "pip install netbox (the netbox command)",
            Self::Docker => "netbox-docker (docker compose)",
            Self::Kubernetes => "Helm chart (kubectl)",
        }
    }

    /// `manage.py` as this shape runs it.
    fn manage(self) -> &'static str {
        match self {
            Self::Checkout => "/opt/netbox/venv/bin/python /opt/netbox/netbox/manage.py",
            Self::Wheel => "netbox",
            Self::Docker | Self::Kubernetes => "/opt/netbox/netbox/manage.py",
        }
    }

    /// A management command with environment variables, as typed on the host.
    fn exec(self, env: &[(&str, &str)], command: &str, tty: bool) -> String {
        let assignments: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let manage = self.manage();
        match self {
            Self::Checkout | Self::Wheel => {
                let mut words = assignments;
                words.push(format!("{manage} {command}"));
                words.join(" ")
            }
            Self::Docker => {
                let flags: String = assignments.iter().map(|a| format!(" -e {a}")).collect();
                let t = if tty { "" } else { " -T" };
                format!("docker compose exec{t}{flags} netbox {manage} {command}")
            }
            Self::Kubernetes => {
                let i = if tty { "-it" } else { "-i" };
                let env = if assignments.is_empty() {
                    String::new()
                } else {
                    format!("env {} ", assignments.join(" "))
                };
                format!("kubectl exec {i} deploy/netbox -- {env}{manage} {command}")
            }
        }
    }

    /// Runs `migrate-users.py` with `NBSSO_USERS_ACTION=action` (and the dry-run switch).
    /// `map_in_file`: the map is read from `user-map.json`, copied in first ([`Self::copy_map`]).
    pub fn run_script(self, action: &str, dry_run: bool, map_in_file: bool) -> String {
        let mut env = vec![("NBSSO_USERS_ACTION", action)];
        if dry_run {
            env.push(("NBSSO_USERS_DRY_RUN", "1"));
        }
        let host_map = format!("\"$PWD/{MAP_FILE}\"");
        if map_in_file {
            env.push((
                "NBSSO_USERS_MAP",
                match self {
                    Self::Checkout | Self::Wheel => &host_map,
                    Self::Docker | Self::Kubernetes => CONTAINER_MAP_PATH,
                },
            ));
        }
        self.exec(&env, "nbshell --command \"$(cat migrate-users.py)\"", false)
    }

    /// Copies `user-map.json` where the script can read it; `None` when it can read it on the host.
    pub fn copy_map(self) -> Option<String> {
        match self {
            Self::Checkout | Self::Wheel => None,
            Self::Docker => Some(format!(
                "docker compose cp {MAP_FILE} netbox:{CONTAINER_MAP_PATH}"
            )),
            Self::Kubernetes => Some(format!(
                "kubectl cp {MAP_FILE} \"$(kubectl get pods -o name | grep -m1 'netbox-[0-9a-f]' | cut -d/ -f2)\":{CONTAINER_MAP_PATH}"
            )),
        }
    }

    /// Creates a local superuser (asks for a name and password).
    pub fn create_superuser(self) -> String {
        self.exec(&[], "createsuperuser", true)
    }

    /// The service manager this shape usually runs under.
    pub fn service_manager(self) -> ServiceManager {
        match self {
            Self::Checkout | Self::Wheel => ServiceManager::Systemd,
            Self::Docker => ServiceManager::DockerCompose,
            Self::Kubernetes => ServiceManager::Kubectl,
        }
    }
}

impl fmt::Display for Deployment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Checkout => "checkout",
            Self::Wheel => "wheel",
            Self::Docker => "docker",
            Self::Kubernetes => "kubernetes",
        })
    }
}

impl FromStr for Deployment {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|d| d.to_string() == s.to_ascii_lowercase())
            .ok_or_else(|| {
                format!("unknown deployment {s:?}: use checkout, wheel, docker or kubernetes")
            })
    }
}

/// What restarts NetBox (it caches the OIDC discovery document and keys per process).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceManager {
    Systemd,
    /// OpenBSD's rc.d.
    Rcctl,
    DockerCompose,
    Kubectl,
}

impl ServiceManager {
    pub const ALL: [ServiceManager; 4] = [
        ServiceManager::Systemd,
        ServiceManager::Rcctl,
        ServiceManager::DockerCompose,
        ServiceManager::Kubectl,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Systemd => "systemd",
            Self::Rcctl => "OpenBSD rc.d",
            Self::DockerCompose => "docker compose",
            Self::Kubectl => "Kubernetes",
        }
    }

    /// Restarts NetBox and its background worker.
    pub fn restart(self) -> &'static str {
        match self {
            Self::Systemd => "sudo systemctl restart netbox netbox-rq",
            Self::Rcctl => "doas rcctl restart netbox netbox_rq",
            Self::DockerCompose => "docker compose restart netbox netbox-worker",
            Self::Kubectl => "kubectl rollout restart deployment/netbox deployment/netbox-worker",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_per_shape() {
        assert_eq!(
            Deployment::Checkout.run_script("plan", false, false),
            "NBSSO_USERS_ACTION=plan /opt/netbox/venv/bin/python /opt/netbox/netbox/manage.py nbshell --command \"$(cat migrate-users.py)\""
        );
        assert_eq!(
            Deployment::Wheel.run_script("apply", false, true),
            "NBSSO_USERS_ACTION=apply NBSSO_USERS_MAP=\"$PWD/user-map.json\" netbox nbshell --command \"$(cat migrate-users.py)\""
        );
        assert_eq!(
            Deployment::Docker.run_script("cleanup", true, false),
            "docker compose exec -T -e NBSSO_USERS_ACTION=cleanup -e NBSSO_USERS_DRY_RUN=1 netbox /opt/netbox/netbox/manage.py nbshell --command \"$(cat migrate-users.py)\""
        );
        assert_eq!(
            Deployment::Kubernetes.run_script("export", false, false),
            "kubectl exec -i deploy/netbox -- env NBSSO_USERS_ACTION=export /opt/netbox/netbox/manage.py nbshell --command \"$(cat migrate-users.py)\""
        );
        assert_eq!(
            Deployment::Docker.create_superuser(),
            "docker compose exec netbox /opt/netbox/netbox/manage.py createsuperuser"
        );
        assert_eq!(Deployment::Checkout.copy_map(), None);
        assert_eq!(
            "Docker".parse::<Deployment>(),
            Ok(Deployment::Docker),
            "case-insensitive"
        );
        assert!("helm".parse::<Deployment>().is_err());
    }
}
