//! What an offset means for NetBox behind Kanidm: social-core's `nbf` rule (no leeway), PyJWT's `iat`
//! leeway, `ID_TOKEN_MAX_AGE`, and the finding a user reads, with the fix.

use super::estimate::{ClockEstimate, Probing};
use super::measure::ClockError;
use crate::checks::{Finding, Status};

/// Time from Kanidm stamping `iat` to NetBox checking `nbf` in a typical deployment (token request
/// answered, JSON parsed, signature checked). A NetBox lagging by less than this never fails.
pub const TOKEN_EXCHANGE_S: f64 = 0.020;

/// social-core's `JWT_LEEWAY` default, which the generated settings keep: PyJWT refuses a token whose
/// `iat` is more than this ahead of NetBox's clock.
pub const JWT_LEEWAY_S: f64 = 1.0;

/// social-core's `ID_TOKEN_MAX_AGE`: a token older than this (by NetBox's clock) is refused.
pub const ID_TOKEN_MAX_AGE_S: f64 = 600.0;

/// NetBox ahead of Kanidm by more than this works, but deserves a warning.
pub const AHEAD_WARN_S: f64 = 60.0;

/// A share of failing logins at or above this (1 in 100) is worth a warning (possible) or a failure
/// (certain).
const SHARE_NOTICE: f64 = 0.01;

impl ClockError {
    /// The check's result when a clock could not be read.
    pub fn to_finding(&self) -> Finding {
        let finding = if self.is_unreachable() {
            Finding::unreachable(self.to_string())
        } else {
            Finding::fail(self.to_string())
        };
        match self {
            Self::NoDate { .. } | Self::BadDate { .. } => finding.with_fix(
                "Let the server's own Date header through the reverse proxy (do not remove or rewrite it), \
                 then run the check again.",
            ),
            _ => finding,
        }
    }
}

fn signed(x: f64) -> String {
    format!("{x:+.3} s")
}

fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p > 0.0 && p < 1.0 {
        "under 1 %".to_string()
    } else {
        format!("{p:.0} %")
    }
}

/// The share of logins that fail with NetBox `lag_s` behind Kanidm: the token is checked
/// [`TOKEN_EXCHANGE_S`] after it was issued, and fails when a NetBox second boundary falls in the gap.
fn failing_share(lag_s: f64) -> f64 {
    (lag_s - TOKEN_EXCHANGE_S).clamp(0.0, 1.0)
}

/// The share of logins that PyJWT already refuses (`The token is not yet valid (iat)`), before
/// social-core's own nbf check: `iat` is more than [`JWT_LEEWAY_S`] ahead when NetBox checks it.
fn pyjwt_share(lag_s: f64) -> f64 {
    (lag_s - TOKEN_EXCHANGE_S - JWT_LEEWAY_S).clamp(0.0, 1.0)
}

/// Which host's time sync to fix, judged against this machine's clock (the third opinion).
fn culprit(kanidm: &ClockEstimate, netbox: &ClockEstimate) -> String {
    let (k, n) = (kanidm.offset_s, netbox.offset_s);
    let far = |e: &ClockEstimate| e.offset_s.abs() > (e.error_s * 2.0).max(0.1);
    let describe = |name: &str, off: f64| {
        format!(
            "{name} (its clock is {:.3} s {} this machine's)",
            off.abs(),
            if off < 0.0 { "behind" } else { "ahead of" }
        )
    };
    match (far(kanidm), far(netbox)) {
        (true, false) => describe("the Kanidm host", k),
        (false, true) => describe("the NetBox host", n),
        _ if n.abs() >= k.abs() => format!(
            "the NetBox host, and check the Kanidm host too (against this machine NetBox is {}, Kanidm {})",
            signed(n),
            signed(k)
        ),
        _ => format!(
            "the Kanidm host, and check the NetBox host too (against this machine Kanidm is {}, NetBox {})",
            signed(k),
            signed(n)
        ),
    }
}

fn time_sync_fix(kanidm: &ClockEstimate, netbox: &ClockEstimate) -> String {
    format!(
        "Fix the time sync on {}. With chrony: `chronyc tracking` shows how far off the clock is and \
         `chronyc makestep` corrects it at once (install it with `apt install chrony`). With \
         systemd-timesyncd: `timedatectl set-ntp true`, then `timedatectl timesync-status`. On OpenBSD: \
         `rcctl enable ntpd`, `rcctl start ntpd`, then `ntpctl -s all`. Allow outgoing UDP port 123 to \
         the NTP servers. A virtual machine keeps its own clock: it can drift (after a pause, a snapshot \
         or a migration) while its hypervisor is in sync, so fix the time service inside the guest. \
         Raising the JWT leeway (SOCIAL_AUTH_OIDC_JWT_LEEWAY) does not help: Kanidm always sends nbf \
         (= iat), and social-core checks nbf itself, without any leeway. Only synchronised clocks fix \
         this.",
        culprit(kanidm, netbox)
    )
}

/// Judges the Kanidm↔NetBox offset (both measured against this machine) by social-core's rule: a login
/// fails when `floor(netbox_now) < floor(kanidm_now_at_issue)` (`Incorrect id_token: nbf`) or when
/// NetBox is more than [`ID_TOKEN_MAX_AGE_S`] ahead (`Incorrect id_token: iat`).
pub fn evaluate(kanidm: &ClockEstimate, netbox: &ClockEstimate) -> Finding {
    // How far Kanidm's clock is ahead of NetBox's (positive: NetBox is behind).
    let lag = kanidm.offset_s - netbox.offset_s;
    let err = kanidm.error_s + netbox.error_s;
    let headline = if lag >= 0.0 {
        format!("NetBox is {lag:.3} s ± {err:.3} s behind Kanidm")
    } else {
        format!("NetBox is {:.3} s ± {err:.3} s ahead of Kanidm", -lag)
    };
    let (likely, low, high) = (
        failing_share(lag),
        failing_share(lag - err),
        failing_share(lag + err),
    );
    let ahead = -lag;
    // Beyond the leeway PyJWT refuses some tokens first, with its own message.
    let nbf = if pyjwt_share(lag + err) > 0.0 {
        "\"Incorrect id_token: nbf\" or \"The token is not yet valid (iat)\""
    } else {
        "\"Incorrect id_token: nbf\""
    };
    let iat = "\"Incorrect id_token: iat\"";
    let finding = if low >= 1.0 {
        Finding::fail(format!("{headline}: every login fails with {nbf}"))
    } else if low >= SHARE_NOTICE {
        Finding::fail(format!(
            "{headline}: about {} of logins fail with {nbf} (between {} and {})",
            percent(likely),
            percent(low),
            percent(high)
        ))
    } else if high >= SHARE_NOTICE {
        Finding::warn(format!(
            "{headline}: up to {} of logins may fail with {nbf}",
            percent(high)
        ))
    } else if ahead - err >= ID_TOKEN_MAX_AGE_S + 1.0 {
        Finding::fail(format!("{headline}: every login fails with {iat}"))
    } else if ahead + err > ID_TOKEN_MAX_AGE_S {
        Finding::fail(format!(
            "{headline}: logins fail with {iat} (NetBox may be at most {ID_TOKEN_MAX_AGE_S:.0} s ahead)"
        ))
    } else if ahead > AHEAD_WARN_S {
        Finding::warn(format!(
            "{headline}: logins work, but fail with {iat} once NetBox is {ID_TOKEN_MAX_AGE_S:.0} s ahead"
        ))
    } else {
        Finding::pass(format!("{headline}: social-core accepts Kanidm's tokens"))
    };
    let finding = if finding.status == Status::Pass {
        finding
    } else {
        finding.with_fix(time_sync_fix(kanidm, netbox))
    };
    let line = |name: &str, e: &ClockEstimate| {
        let how = match e.probing {
            Probing::Staggered => "",
            Probing::Sequential => {
                "; one request after another, as the server answers only one connection at a time"
            }
        };
        format!(
            "{name}: {} ± {:.3} s against this machine ({} requests, median RTT {:.1} ms{how})",
            signed(e.offset_s),
            e.error_s,
            e.requests,
            e.rtt_median.as_secs_f64() * 1e3
        )
    };
    finding
        .with_detail(line("Kanidm", kanidm))
        .with_detail(line("NetBox", netbox))
        .with_detail(format!(
            "Rule: Kanidm's ID tokens carry nbf = iat = its whole second; social-core refuses them while \
             NetBox's whole second is earlier (no leeway), and once NetBox is more than \
             {ID_TOKEN_MAX_AGE_S:.0} s past iat. A NetBox lagging by less than the token exchange \
             (~{:.0} ms assumed) is safe.",
            TOKEN_EXCHANGE_S * 1e3
        ))
        .with_detail(
            "NetBox's Date comes from whatever answers HTTP for it: a reverse proxy on another machine shows \
             that machine's clock.",
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn est(offset_s: f64, error_s: f64) -> ClockEstimate {
        ClockEstimate {
            offset_s,
            error_s,
            requests: 8,
            rtt_median: Duration::from_millis(20),
            probing: Probing::Staggered,
        }
    }

    fn check_fix(f: &Finding) {
        let fix = f.fix.as_deref().unwrap();
        assert!(
            fix.contains("chrony")
                && fix.contains("systemd-timesyncd")
                && fix.contains("UDP port 123")
        );
        assert!(fix.contains("does not help"), "{fix}");
        for command in [
            "chronyc makestep",
            "chronyc tracking",
            "timedatectl set-ntp true",
            "timedatectl timesync-status",
            "ntpctl -s all",
        ] {
            assert!(fix.contains(command), "{command}: {fix}");
        }
        assert!(fix.contains("while its hypervisor is in sync"), "{fix}");
        assert!(!fix.contains("verify_"), "{fix}");
        assert!(!fix.to_lowercase().contains("set social_auth"), "{fix}");
    }

    #[test]
    fn netbox_a_second_behind_fails_every_login() {
        let f = evaluate(&est(0.002, 0.003), &est(-1.841, 0.003));
        assert_eq!(f.status, Status::Fail);
        assert_eq!(
            f.summary,
            "NetBox is 1.843 s ± 0.006 s behind Kanidm: every login fails with \"Incorrect id_token: nbf\" or \"The token is not yet valid (iat)\""
        );
        check_fix(&f);
        assert!(
            f.fix
                .as_deref()
                .unwrap()
                .contains("the NetBox host (its clock is 1.841 s behind")
        );
        assert!(f.details[0].starts_with("Kanidm: +0.002 s ± 0.003 s against this machine"));
        assert!(f.details[1].starts_with("NetBox: -1.841 s ± 0.003 s against this machine"));
    }

    #[test]
    fn kanidm_ahead_is_blamed_on_kanidm() {
        let f = evaluate(&est(2.5, 0.01), &est(0.0, 0.01));
        assert_eq!(f.status, Status::Fail);
        check_fix(&f);
        assert!(
            f.fix
                .as_deref()
                .unwrap()
                .contains("the Kanidm host (its clock is 2.500 s ahead of")
        );
    }

    #[test]
    fn a_sub_second_lag_fails_a_share_of_logins() {
        let f = evaluate(&est(0.0, 0.005), &est(-0.4, 0.005));
        assert_eq!(f.status, Status::Fail);
        // 0.4 − 0.02 = 38 %, between 37 % and 39 %.
        assert!(
            f.summary.contains("about 38 % of logins fail"),
            "{}",
            f.summary
        );
        assert!(f.summary.contains("between 37 % and 39 %"), "{}", f.summary);
        check_fix(&f);
    }

    #[test]
    fn lag_within_the_token_exchange_passes() {
        let f = evaluate(&est(0.0, 0.003), &est(-0.010, 0.003));
        assert_eq!(f.status, Status::Pass, "{}", f.summary);
        assert!(f.fix.is_none());
    }

    #[test]
    fn an_uncertain_lag_warns() {
        // 16 ms ± 20 ms: anything from none to 1.6 % of logins.
        let f = evaluate(&est(0.0, 0.010), &est(-0.016, 0.010));
        assert_eq!(f.status, Status::Warn, "{}", f.summary);
        assert!(
            f.summary.contains("up to 2 % of logins may fail"),
            "{}",
            f.summary
        );
        check_fix(&f);
    }

    #[test]
    fn a_small_lag_clearly_beyond_the_exchange_fails() {
        let f = evaluate(&est(0.05, 0.004), &est(0.0, 0.004));
        assert_eq!(f.status, Status::Fail, "{}", f.summary);
        assert!(
            f.summary.contains("about 3 % of logins fail"),
            "{}",
            f.summary
        );
    }

    #[test]
    fn netbox_ahead_is_tolerated_up_to_max_age() {
        let ok = evaluate(&est(0.0, 0.005), &est(0.25, 0.005));
        assert_eq!(ok.status, Status::Pass);
        assert_eq!(
            ok.summary,
            "NetBox is 0.250 s ± 0.010 s ahead of Kanidm: social-core accepts Kanidm's tokens"
        );
        let large = evaluate(&est(0.0, 0.005), &est(75.0, 0.005));
        assert_eq!(large.status, Status::Warn);
        check_fix(&large);
        let edge = evaluate(&est(0.0, 0.005), &est(599.998, 0.005));
        assert_eq!(edge.status, Status::Fail);
        assert!(edge.summary.contains("Incorrect id_token: iat"));
        let over = evaluate(&est(0.0, 0.005), &est(700.0, 0.005));
        assert_eq!(over.status, Status::Fail);
        assert!(
            over.summary
                .ends_with("every login fails with \"Incorrect id_token: iat\""),
            "{}",
            over.summary
        );
        check_fix(&over);
    }

    #[test]
    fn clock_errors_read_well() {
        let e = ClockError::Deadline {
            url: "https://idm.example.com/status".into(),
            deadline: Duration::from_secs(10),
        };
        assert!(e.to_finding().unreachable);
        let no_date = ClockError::NoDate {
            url: "https://n/login/".into(),
        }
        .to_finding();
        assert!(!no_date.unreachable && no_date.fix.is_some());
    }
}
