//! Which pull request a comment left by another workflow run belongs to.
//!
//! The fork setup's comment job runs with a write token on what a fork's run uploaded: the body
//! and the pull request's number are the fork's to choose. The `workflow_run` event, though, is
//! GitHub's: it says which commit of which repository the run built. A comment goes only to the
//! pull request whose head is that commit of that repository (pure: [`bind`]).

use serde::Deserialize;

use super::client::{encode_query, Client};
use super::context::{HeadRepository, Repository, TriggeringRun};
use super::GitHubError;

/// A pull request as `GET /repos/{o}/{r}/pulls/{n}` (and the list) returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct PullRequest {
    pub number: u64,
    pub head: Head,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Head {
    pub sha: String,
    #[serde(rename = "ref")]
    pub branch: String,
    /// `null` when the fork it came from was deleted.
    pub repo: Option<HeadRepository>,
}

/// Whether a pull request is the one a run built.
#[derive(Debug, PartialEq, Eq)]
pub enum Binding {
    /// Its head is the commit and repository the run built.
    Matches,
    /// Same branch of the same repository, but it has moved on since: the run of the new head
    /// will comment. `now` is its head commit.
    MovedOn { now: String },
    /// Another pull request altogether, or not a pull request's run: the reason.
    Foreign(String),
}

/// Judges `pr` against the `run` that produced the comment.
pub fn bind(pr: &PullRequest, run: &TriggeringRun) -> Binding {
    let number = pr.number;
    if run.event != "pull_request" {
        return Binding::Foreign(format!(
            "the run that triggered this workflow (run {}) was a `{}` run, not a pull request's",
            run.id, run.event
        ));
    }
    let Some(built) = &run.head_repository else {
        return Binding::Foreign(format!("the workflow_run event does not say which repository run {} built", run.id));
    };
    let Some(head) = &pr.head.repo else {
        return Binding::Foreign(format!(
            "#{number}'s head repository no longer exists, so it cannot be matched to run {}",
            run.id
        ));
    };
    if !head.same_as(built) {
        return Binding::Foreign(format!(
            "#{number}'s head is in {}, but run {} built {}",
            head.describe(),
            run.id,
            built.describe()
        ));
    }
    if pr.head.sha == run.head_sha {
        return Binding::Matches;
    }
    if run.head_branch.as_deref() == Some(pr.head.branch.as_str()) {
        return Binding::MovedOn { now: pr.head.sha.clone() };
    }
    Binding::Foreign(format!(
        "#{number}'s head is {} ({}), but run {} built {} ({})",
        short(&pr.head.sha),
        pr.head.branch,
        run.id,
        short(&run.head_sha),
        run.head_branch.as_deref().unwrap_or("an unknown branch")
    ))
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// `GET /repos/{o}/{r}/pulls/{n}`.
pub fn fetch(client: &Client, repository: &Repository, number: u64) -> Result<PullRequest, GitHubError> {
    let (pr, _) =
        client.get_json(&format!("reading pull request #{number}"), &format!("/repos/{repository}/pulls/{number}"))?;
    Ok(pr)
}

/// The open pull requests of `repository` whose head is what `run` built, found by its head
/// branch (`GET /repos/{o}/{r}/pulls?head=OWNER:BRANCH`) and kept when they bind to it.
pub fn find_for_run(client: &Client, repository: &Repository, run: &TriggeringRun) -> Result<Vec<u64>, GitHubError> {
    let what = format!("looking for the pull request that run {} built", run.id);
    let owner = run.head_repository.as_ref().and_then(|r| r.full_name.as_deref()).and_then(|n| n.split_once('/'));
    let (Some((owner, _)), Some(branch)) = (owner, run.head_branch.as_deref()) else {
        return Err(GitHubError::Setup(format!(
            "{what}: the workflow_run event names no head repository and branch; pass --pr N"
        )));
    };
    let uri = format!(
        "/repos/{repository}/pulls?state=open&per_page=100&head={}",
        encode_query(&format!("{owner}:{branch}"))
    );
    let (prs, _): (Vec<PullRequest>, _) = client.get_json(&what, &uri)?;
    Ok(prs.iter().filter(|pr| bind(pr, run) == Binding::Matches).map(|pr| pr.number).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(id: u64, name: &str) -> HeadRepository {
        HeadRepository { id: Some(id), full_name: Some(name.to_owned()) }
    }

    fn run(event: &str, sha: &str, branch: &str, built: HeadRepository) -> TriggeringRun {
        TriggeringRun {
            id: 9,
            event: event.to_owned(),
            head_sha: sha.to_owned(),
            head_branch: Some(branch.to_owned()),
            head_repository: Some(built),
        }
    }

    fn pr(sha: &str, branch: &str, head: Option<HeadRepository>) -> PullRequest {
        PullRequest { number: 7, head: Head { sha: sha.to_owned(), branch: branch.to_owned(), repo: head } }
    }

    #[test]
    fn only_the_pull_request_the_run_built_matches() {
        let fork = repo(42, "fork/project");
        let built = run("pull_request", "aaa", "topic", fork.clone());
        assert_eq!(bind(&pr("aaa", "topic", Some(fork.clone())), &built), Binding::Matches);
        // A rename keeps the id.
        assert_eq!(bind(&pr("aaa", "topic", Some(repo(42, "fork/renamed"))), &built), Binding::Matches);
        assert_eq!(bind(&pr("bbb", "topic", Some(fork.clone())), &built), Binding::MovedOn { now: "bbb".to_owned() });
        // Someone else's pull request: another repository, or another branch of the same one.
        let other = bind(&pr("aaa", "topic", Some(repo(43, "victim/project"))), &built);
        assert!(
            matches!(&other, Binding::Foreign(why) if why.contains("head is in victim/project, but run 9 built fork/project")),
            "{other:?}"
        );
        let other_branch = bind(&pr("ccc", "main", Some(fork.clone())), &built);
        assert!(
            matches!(&other_branch, Binding::Foreign(why) if why.contains("head is ccc (main)")),
            "{other_branch:?}"
        );
        assert!(
            matches!(bind(&pr("aaa", "topic", None), &built), Binding::Foreign(why) if why.contains("no longer exists"))
        );
        let push = run("push", "aaa", "topic", fork.clone());
        assert!(
            matches!(bind(&pr("aaa", "topic", Some(fork)), &push), Binding::Foreign(why) if why.contains("`push` run"))
        );
    }
}
