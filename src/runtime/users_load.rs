//! Reads the Users screen's inputs: NetBox's saved export and Kanidm's persons (a saved list, or
//! live through the REST API with the kanidm CLI's cached login). Parsing runs on the blocking
//! pool; every failure is one sentence the screen shows in place.

use crate::app::effect::PersonsFrom;
use crate::app::screens::users::{Loaded, SavedPicks};
use crate::users::{
    NetBoxExport, PERSONS_PATH, WHO_CAN_SEE_PERSONS, parse_overrides, parse_persons,
};
use std::io::Read;
use std::path::{Path, PathBuf};

pub use crate::users::MAX_INPUT;

/// A text file of at most `max` bytes, or why not.
pub fn read_text(path: &Path, max: u64) -> Result<String, String> {
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| format!("{shown} cannot be read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{shown} cannot be read: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(format!(
            "{shown} is larger than {} MB: no export or person list is that large; is it the right file?",
            max / (1024 * 1024)
        ));
    }
    String::from_utf8(bytes).map_err(|_| format!("{shown} is not text (not UTF-8)"))
}

pub async fn load(
    export: PathBuf,
    persons: PersonsFrom,
    saved_picks: Option<PathBuf>,
    max: u64,
) -> Result<Loaded, String> {
    let (persons_text, persons_from) = match persons {
        PersonsFrom::File(path) => {
            let shown = path.display().to_string();
            let text = blocking(move || read_text(&path, max)).await?;
            (text, shown)
        }
        PersonsFrom::Live(live) => live
            .get(PERSONS_PATH, WHO_CAN_SEE_PERSONS)
            .await
            .map_err(|e| format!("Kanidm's persons could not be read: {}", e.message))?,
    };
    blocking(move || {
        let shown = export.display().to_string();
        let text = read_text(&export, max)?;
        let export = NetBoxExport::parse(&text).map_err(|e| format!("{shown}: {e}"))?;
        let persons = parse_persons(&persons_text).map_err(|e| format!("{persons_from}: {e}"))?;
        Ok(Loaded {
            export,
            persons,
            persons_from,
            saved_picks: saved_picks.and_then(|path| read_picks(&path, max)),
        })
    })
    .await
}

/// The picks of an earlier run: `None` when there is no such file; a file that cannot be read
/// gives its reason, which the screen shows while reading the inputs goes on.
fn read_picks(path: &Path, max: u64) -> Option<SavedPicks> {
    let text = match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        _ => read_text(path, max),
    };
    let picks = text.and_then(|text| {
        parse_overrides(&text)
            .map(|lines| {
                lines
                    .into_iter()
                    .map(|o| (o.netbox_username, o.kanidm_name))
                    .collect()
            })
            .map_err(|e| format!("{}: {e}", path.display()))
    });
    Some(SavedPicks {
        path: path.to_path_buf(),
        picks,
    })
}

/// A `LoadUsers` effect carried out to its end on `runtime`, blocking: its generation and what
/// was read. `None` for any other effect. The accessible mode reads the Users inputs this way.
pub fn perform(
    runtime: &tokio::runtime::Runtime,
    effect: crate::app::Effect,
) -> Option<(u64, Result<Loaded, String>)> {
    let crate::app::Effect::LoadUsers {
        generation,
        export,
        persons,
        saved_picks,
    } = effect
    else {
        return None;
    };
    let result = runtime.block_on(load(export, persons, saved_picks, MAX_INPUT));
    Some((generation, result))
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| format!("reading stopped: {e}"))?
}
