//! Matching names: globs over benchmark ids and metric names, compiled once where a config is
//! read, and the "did you mean" helpers every error that names a wrong name uses. A leaf module.

use std::fmt;

use globset::{GlobBuilder, GlobMatcher};
use serde::{Deserialize, Serialize};

/// A config value written as a string and parsed when read: `TryFrom<String>` by `$parse`,
/// back to the string as written (the `$text` field) for serde and `Display`, and a string in
/// the JSON Schema. For types with `#[serde(try_from = "String", into = "String")]`.
macro_rules! written_as_string {
    ($type:ty, $parse:path, $text:ident) => {
        impl TryFrom<String> for $type {
            type Error = String;

            fn try_from(text: String) -> Result<$type, String> {
                $parse(&text)
            }
        }

        impl From<$type> for String {
            fn from(value: $type) -> String {
                value.$text
            }
        }

        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.$text)
            }
        }

        impl schemars::JsonSchema for $type {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                String::schema_name()
            }

            fn inline_schema() -> bool {
                true
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                String::json_schema(generator)
            }
        }
    };
}
pub(crate) use written_as_string;

/// A glob over benchmark ids or metric names: `*` stays within a `/` segment, `**` crosses,
/// `?`, `[abc]` and `{a,b}` as usual. Read from a config as a string and compiled there, so a
/// bad one is an error at its field, never a rule skipped later.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Glob {
    pattern: String,
    matcher: GlobMatcher,
}

impl Glob {
    pub fn new(pattern: &str) -> Result<Glob, String> {
        let matcher = GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("`{pattern}` is not a valid glob: {e}"))?
            .compile_matcher();
        Ok(Glob { pattern: pattern.to_owned(), matcher })
    }

    /// The glob that matches `name` and nothing else, whatever characters it holds.
    pub fn literal(name: &str) -> Glob {
        let escaped = globset::escape(name);
        Glob::new(&escaped).map(|glob| Glob { pattern: name.to_owned(), ..glob }).expect("an escaped name is a glob")
    }

    /// This glob followed by anything: `service/` becomes every id under `service/`.
    pub fn with_any_suffix(self) -> Glob {
        let pattern = format!("{}**", globset::escape(&self.pattern));
        let display = format!("{}**", self.pattern);
        Glob::new(&pattern).map(|glob| Glob { pattern: display, ..glob }).expect("an escaped prefix and ** is a glob")
    }

    /// Whether `name` matches; a name equal to the pattern always does (ids may hold `[`).
    pub fn matches(&self, name: &str) -> bool {
        name == self.pattern || self.matcher.is_match(name)
    }

    /// Whether the pattern names one id exactly, with no wildcard.
    pub fn is_exact(&self) -> bool {
        !self.pattern.contains(['*', '?', '[', '{'])
    }

    pub fn as_str(&self) -> &str {
        &self.pattern
    }
}

written_as_string!(Glob, Glob::new, pattern);

/// Two globs are equal when their patterns are: the matcher follows from the pattern.
impl PartialEq for Glob {
    fn eq(&self, other: &Glob) -> bool {
        self.pattern == other.pattern
    }
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Glob({:?})", self.pattern)
    }
}

/// The `count` candidates most similar to `wanted`, most similar first.
pub fn nearest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>, count: usize) -> Vec<&'a str> {
    let mut scored: Vec<(f64, &str)> =
        candidates.map(|candidate| (strsim::normalized_damerau_levenshtein(wanted, candidate), candidate)).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(count).map(|(_, candidate)| candidate).collect()
}

/// The candidate close enough to `wanted` to be a likely typo, if any.
pub fn closest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    candidates
        .map(|candidate| (strsim::damerau_levenshtein(wanted, candidate), candidate))
        .filter(|(distance, candidate)| {
            // Two edits for words of four letters or more (`alfa` -> `alpha`), a third of the
            // length for long ones, one for short ones.
            let longest = candidate.len().max(wanted.len());
            *distance <= (longest / 3).max(if longest >= 4 { 2 } else { 1 })
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.to_owned())
}

/// Why `name` names no `what`: `no category named `sortin`; did you mean `sorting`? (known:
/// interactive, sorting)`.
pub fn no_such<'a>(what: &str, name: &str, known: impl Iterator<Item = &'a str> + Clone) -> String {
    let list: Vec<&str> = known.clone().collect();
    let hint = match closest(name, known) {
        Some(suggestion) => format!("; did you mean `{suggestion}`?"),
        None => String::new(),
    };
    let known = if list.is_empty() { "none".to_owned() } else { list.join(", ") };
    format!("no {what} named `{name}`{hint} (known: {known})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_star_stays_within_a_segment_and_double_star_crosses() {
        let one = Glob::new("encode_*/fast").unwrap();
        assert!(one.matches("encode_small/fast") && !one.matches("encode/small/fast"));
        let any = Glob::new("**/fast").unwrap();
        assert!(any.matches("encode/small/fast"));
        assert!(Glob::new("a[").unwrap_err().contains("not a valid glob"));
        // An id that holds glob syntax still matches itself.
        assert!(Glob::new("sort/[u8]").unwrap().matches("sort/[u8]"));
    }

    #[test]
    fn a_glob_reads_and_writes_as_its_pattern() {
        let glob: Glob = serde_json::from_str("\"api/*\"").unwrap();
        assert_eq!((glob.as_str(), serde_json::to_string(&glob).unwrap().as_str()), ("api/*", "\"api/*\""));
        let error = serde_json::from_str::<Glob>("\"a[\"").unwrap_err().to_string();
        assert!(error.contains("`a[` is not a valid glob"), "{error}");
    }

    #[test]
    fn typos_are_close_and_strangers_are_not() {
        assert_eq!(closest("alfa", ["alpha", "beta"].into_iter()), Some("alpha".to_owned()));
        assert_eq!(closest("zzz", ["alpha", "beta"].into_iter()), None);
        assert_eq!(nearest("b", ["abc", "b", "bc"].into_iter(), 2), ["b", "bc"]);
    }
}
