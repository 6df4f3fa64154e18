//! The diagnosis catalogue (`harness/diagnoses.yaml`): known failure signatures → one-line cause and fix.

use std::sync::OnceLock;

use regex::Regex;
use serde::Deserialize;

/// One catalogue entry, as written in diagnoses.yaml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub pattern: String,
    pub cause: String,
    pub fix: String,
    #[serde(default)]
    pub locate: Option<String>,
    #[serde(default)]
    pub package: Option<String>,
    /// A requirement line that fixes it (`Werkzeug==2.1.2`), added after `package`'s line by
    /// `yadoc fix`.
    #[serde(default)]
    pub pin: Option<String>,
    pub example: String,
}

/// A matched diagnosis, with the pattern's groups substituted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    pub id: String,
    pub cause: String,
    pub fix: String,
    /// The requirement whose line the finding should point at, if the entry says so.
    pub requirement: Option<String>,
    /// The requirement line that fixes it, if the entry has one.
    pub pin: Option<String>,
}

impl Diagnosis {
    /// `cause [id]`, the one line reports show next to the fix.
    pub fn line(&self) -> String {
        format!("{} [{}]", self.cause, self.id)
    }
}

const CATALOGUE: &str = include_str!("../diagnoses.yaml");

fn catalogue() -> &'static [(Entry, Regex)] {
    static C: OnceLock<Vec<(Entry, Regex)>> = OnceLock::new();
    C.get_or_init(|| {
        // The catalogue is compiled into the binary; the tests below prove it parses and every
        // pattern compiles, so a broken entry cannot ship.
        let entries: Vec<Entry> = serde_saphyr::from_str(CATALOGUE).unwrap_or_default();
        entries
            .into_iter()
            .filter_map(|e| {
                Regex::new(&format!("(?m){}", e.pattern))
                    .ok()
                    .map(|r| (e, r))
            })
            .collect()
    })
}

/// The entries of the catalogue.
pub fn entries() -> Vec<&'static Entry> {
    catalogue().iter().map(|(e, _)| e).collect()
}

/// Match output against the catalogue; the first entry that matches wins.
pub fn diagnose(output: &str) -> Option<Diagnosis> {
    catalogue().iter().find_map(|(e, re)| {
        let caps = re.captures(output)?;
        let subst = |s: &str| {
            let mut out = String::new();
            caps.expand(s, &mut out);
            out
        };
        Some(Diagnosis {
            id: e.id.clone(),
            cause: subst(&e.cause),
            fix: subst(&e.fix),
            requirement: (e.locate.as_deref() == Some("requirements"))
                .then(|| e.package.clone())
                .flatten(),
            pin: e.pin.clone(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_parses_and_every_pattern_compiles() {
        let entries: Vec<Entry> = serde_saphyr::from_str(CATALOGUE).expect("diagnoses.yaml parses");
        assert!(entries.len() >= 15);
        for e in &entries {
            Regex::new(&e.pattern).unwrap_or_else(|err| panic!("{}: {err}", e.id));
        }
        assert_eq!(catalogue().len(), entries.len());
    }

    #[test]
    fn every_example_is_diagnosed_by_its_own_entry() {
        for e in entries() {
            let d = diagnose(&e.example)
                .unwrap_or_else(|| panic!("{}: its example matches nothing", e.id));
            assert_eq!(d.id, e.id, "{}'s example is diagnosed as {}", e.id, d.id);
            assert!(
                !d.cause.contains("$1") && !d.fix.contains("$1"),
                "{}: unexpanded group in {d:?}",
                e.id
            );
        }
    }

    #[test]
    fn groups_are_substituted_into_the_cause() {
        let d = diagnose("ModuleNotFoundError: No module named 'gunicorn'").unwrap();
        assert_eq!(
            d.cause,
            "the app imports `gunicorn` but requirements.txt does not install it"
        );
    }

    #[test]
    fn unknown_output_has_no_diagnosis() {
        assert_eq!(diagnose("Segmentation fault (core dumped)"), None);
    }
}
