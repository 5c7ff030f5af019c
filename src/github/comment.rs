//! One sticky pull-request comment per gate: a hidden marker finds it again, so a new run
//! updates it instead of adding another.

use http::{Method, StatusCode};
use serde::Deserialize;

use super::client::Client;
use super::context::Repository;
use super::GitHubError;

/// GitHub refuses comment bodies longer than this many characters.
pub const COMMENT_LIMIT: usize = 65_536;
/// GitHub drops a step summary larger than this many bytes.
pub const STEP_SUMMARY_LIMIT: usize = 1024 * 1024;
/// Pages of 100 comments read at most while looking for the marker.
const MAX_PAGES: usize = 100;
/// Who writes with the token of a GitHub Actions job: that token cannot read `/user`.
pub const ACTIONS_BOT: &str = "github-actions[bot]";
/// The id a gate's comment carries when neither `--comment-id` nor `--config` names one: the
/// default config file's path, as the gate computes it from the workspace root.
pub const DEFAULT_COMMENT_ID: &str = crate::config::DEFAULT_CONFIG_FILE;
/// A zero-width space: breaks a mention or a marker without changing what a reader sees.
const BREAK: char = '\u{200B}';

/// The hidden marker that identifies this gate's comment. `id` keeps the comments of several
/// jobs or matrix entries apart.
pub fn marker(id: &str) -> String {
    format!("<!-- cargo-perf-gate:{} -->", sanitize_id(id))
}

/// Only characters that cannot end an HTML comment or break the marker's match.
pub fn sanitize_id(id: &str) -> String {
    let cleaned: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/') { c } else { '-' }).collect();
    let mut collapsed = String::with_capacity(cleaned.len());
    for c in cleaned.chars() {
        if !(c == '-' && collapsed.ends_with('-')) {
            collapsed.push(c);
        }
    }
    let trimmed = collapsed.trim_matches('-');
    if trimmed.is_empty() {
        "default".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// `text` made to fit in `limit` bytes (bytes, not characters: a byte count under the limit is a
/// character count under it too). First the collapsed details go, replaced by a pointer to the
/// full report; then lines from the end, with a note of how much was cut. `suffix` (the marker)
/// is always kept, last.
pub fn fit(text: &str, suffix: &str, limit: usize, report_url: Option<&str>) -> String {
    let join =
        |body: &str| if suffix.is_empty() { body.to_owned() } else { format!("{}\n\n{suffix}", body.trim_end()) };
    let whole = join(text);
    if whole.len() <= limit {
        return whole;
    }
    let where_ = match report_url {
        Some(url) => format!("in the HTML report among [this workflow run's artifacts]({url}#artifacts)"),
        None => "in the HTML report (`report.html` in the out dir)".to_owned(),
    };
    let without_details = match (text.find("<details>"), text.rfind("</details>")) {
        (Some(start), Some(end)) if start < end => format!(
            "{}_The full results ({} characters) do not fit here: they are {where_}._{}",
            &text[..start],
            text.chars().count(),
            &text[end + "</details>".len()..]
        ),
        _ => text.to_owned(),
    };
    let shorter = join(&without_details);
    if shorter.len() <= limit {
        return shorter;
    }
    let note = |cut: usize| format!("\n\n_… {cut} more characters cut to fit; the rest is {where_}._");
    let room = limit.saturating_sub(join("").len() + note(without_details.len()).len());
    let mut end = 0;
    for (index, _) in without_details.match_indices('\n') {
        if index > room {
            break;
        }
        end = index;
    }
    if end == 0 {
        end = (0..=room.min(without_details.len())).rev().find(|i| without_details.is_char_boundary(*i)).unwrap_or(0);
    }
    let kept = &without_details[..end];
    let cut = without_details[end..].chars().count();
    join(&format!("{kept}{}", note(cut)))
}

/// Text that a pull request controls, made harmless to post: no `@mention` notifies anyone
/// and no perf-gate marker survives in it, so it cannot pose as another gate's comment.
pub fn neutralize(text: &str) -> String {
    let without_markers = text.replace("cargo-perf-gate:", &format!("cargo-perf-gate{BREAK}:"));
    let mut out = String::with_capacity(without_markers.len());
    let mut previous: Option<char> = None;
    let mut chars = without_markers.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        // GitHub links `@name` (and `@org/team`) after a non-word character only; `a@b` is not
        // a mention.
        let starts_mention = c == '@'
            && !previous.is_some_and(|p| p.is_alphanumeric() || matches!(p, '_' | '`' | '@'))
            && chars.peek().is_some_and(|n| n.is_ascii_alphanumeric());
        if starts_mention {
            out.push(BREAK);
        }
        previous = Some(c);
    }
    out
}

#[derive(Debug, Deserialize)]
struct IssueComment {
    id: u64,
    #[serde(default)]
    body: Option<String>,
    user: Option<Account>,
}

#[derive(Debug, Deserialize)]
struct Account {
    login: String,
}

/// The account the token writes as: `/user`'s login for a personal token; a GitHub Actions
/// token cannot read `/user` (403, or 404 on some servers) and writes as [`ACTIONS_BOT`].
pub fn author(client: &Client) -> Result<String, GitHubError> {
    let what = "asking who the token belongs to";
    let response = client.send(what, Method::GET, "/user", None)?;
    if matches!(response.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) {
        return Ok(ACTIONS_BOT.to_owned());
    }
    let response = client.require_success(what, response)?;
    let account: Account = serde_json::from_slice(&response.body).map_err(|e| GitHubError::Request {
        what: what.to_owned(),
        status: Some(response.status.as_u16()),
        message: format!("unexpected response: {e}"),
    })?;
    Ok(account.login)
}

/// A comment to post: who the token writes as, the gate's marker, the body (marker included).
#[derive(Debug, Clone, Copy)]
pub struct Comment<'a> {
    pub author: &'a str,
    pub marker: &'a str,
    pub body: &'a str,
}

/// What happened to the comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    Created,
    Updated(u64),
}

/// Updates this gate's comment on `pr` (written by `author` and ending with `marker`, on any
/// page), or creates it. A comment by anyone else is never edited, whatever it ends with.
pub fn upsert(client: &Client, repository: &Repository, pr: u64, comment: &Comment<'_>) -> Result<Posted, GitHubError> {
    let Comment { author, marker, body } = *comment;
    let mut next = Some(format!("/repos/{repository}/issues/{pr}/comments?per_page=100"));
    let mut pages = 0;
    let mut existing = None;
    while let Some(uri) = next.take() {
        pages += 1;
        let (comments, link): (Vec<IssueComment>, _) =
            client.get_json(&format!("listing the comments of #{pr}"), &uri)?;
        existing = comments
            .iter()
            .find(|c| {
                c.user.as_ref().is_some_and(|u| u.login.eq_ignore_ascii_case(author))
                    && c.body.as_deref().is_some_and(|b| b.trim_end().ends_with(marker))
            })
            .map(|c| c.id);
        if existing.is_some() {
            break;
        }
        next = link.filter(|_| pages < MAX_PAGES);
    }
    let payload = serde_json::json!({ "body": body });
    match existing {
        Some(id) => {
            let what = format!("updating comment {id} on #{pr}");
            let response = client.send(
                &what,
                Method::PATCH,
                &format!("/repos/{repository}/issues/comments/{id}"),
                Some(&payload),
            )?;
            client.require_success(&what, response)?;
            Ok(Posted::Updated(id))
        }
        None => {
            let what = format!("commenting on #{pr}");
            let response = client.send(
                &what,
                Method::POST,
                &format!("/repos/{repository}/issues/{pr}/comments"),
                Some(&payload),
            )?;
            client.require_success(&what, response)?;
            Ok(Posted::Created)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_safe_and_distinct() {
        assert_eq!(marker("benchmark-config.json"), "<!-- cargo-perf-gate:benchmark-config.json -->");
        assert_eq!(marker("a --> b"), "<!-- cargo-perf-gate:a-b -->");
        assert_eq!(marker("--"), "<!-- cargo-perf-gate:default -->");
        assert_ne!(marker("linux"), marker("macos"));
    }

    #[test]
    fn mentions_and_markers_of_untrusted_text_are_broken() {
        let text =
            "cc @octocat and @org/team, (@x) but not a@b.com, `@` alone, or @ space\n<!-- cargo-perf-gate:macos -->";
        let safe = neutralize(text);
        assert!(safe.contains("cc @\u{200B}octocat and @\u{200B}org/team, (@\u{200B}x)"), "{safe}");
        assert!(safe.contains("a@b.com") && safe.contains("`@` alone") && safe.contains("@ space"), "{safe}");
        assert!(!safe.contains("cargo-perf-gate:"), "{safe}");
        // What a reader sees does not change, and doing it twice changes nothing more.
        assert_eq!(safe.replace('\u{200B}', ""), text);
        assert_eq!(neutralize(&safe), safe);
    }

    const SUMMARY: &str = "## perf-gate: FAIL\n\n| a | b |\n\n<details><summary>All results</summary>\n\nlots\n\n</details>\n\n<sub>footer</sub>\n";

    #[test]
    fn a_body_that_fits_is_kept_with_the_marker_last() {
        let body = fit(SUMMARY, "<!-- m -->", COMMENT_LIMIT, None);
        assert!(body.starts_with("## perf-gate: FAIL"));
        assert!(body.ends_with("\n\n<!-- m -->"));
        assert!(body.contains("lots"));
    }

    #[test]
    fn the_details_go_first_and_the_run_is_linked() {
        let long = SUMMARY.replace("lots", &"x".repeat(10_000));
        let body = fit(&long, "<!-- m -->", 1_000, Some("https://github.com/o/r/actions/runs/1"));
        assert!(body.len() <= 1_000);
        assert!(!body.contains("xxx"));
        assert!(body.contains("do not fit here"));
        assert!(body.contains("(https://github.com/o/r/actions/runs/1#artifacts)"));
        assert!(body.contains("<sub>footer</sub>"));
        assert!(body.ends_with("<!-- m -->"));
    }

    #[test]
    fn then_lines_are_cut_from_the_end_with_a_count() {
        let lines: String = (0..5_000).map(|i| format!("| row {i} | ✅ |\n")).collect();
        let body = fit(&format!("## verdict\n{lines}"), "<!-- m -->", COMMENT_LIMIT, None);
        assert!(body.len() <= COMMENT_LIMIT, "{}", body.len());
        assert!(body.starts_with("## verdict\n| row 0 |"));
        assert!(body.contains("more characters cut to fit"));
        assert!(body.ends_with("<!-- m -->"));
    }

    #[test]
    fn a_single_huge_line_is_cut_on_a_character_boundary() {
        let body = fit(&"é".repeat(2_000), "", 1_000, None);
        assert!(body.len() <= 1_000);
        assert!(body.contains("more characters cut"));
    }
}
