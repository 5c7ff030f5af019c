//! The one door to GitHub's REST API: octocrab for transport, authentication and redirects;
//! bounded retries with backoff here, so that `retry-after` and `x-ratelimit-reset` are
//! honoured and every failure says what was being done.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, Method, StatusCode};
use http_body_util::BodyExt;
use octocrab::Octocrab;
use serde::de::DeserializeOwned;

use super::context::{Context, Token};
use super::GitHubError;

/// How hard to try before giving up.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included.
    pub attempts: u32,
    /// The wait before the second attempt; it doubles for each further one.
    pub first_backoff: Duration,
    /// The longest wait a `retry-after` or rate-limit reset may ask for; beyond it, give up.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { attempts: 3, first_backoff: Duration::from_millis(500), max_wait: Duration::from_secs(60) }
    }
}

/// A response with its body read.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    /// The `rel="next"` URL of a `Link` header.
    pub fn next_page(&self) -> Option<String> {
        let link = self.headers.get(http::header::LINK)?.to_str().ok()?;
        link.split(',').find_map(|part| {
            let (url, params) = part.split_once(';')?;
            params
                .split(';')
                .any(|p| matches!(p.trim(), "rel=\"next\"" | "rel=next"))
                .then(|| url.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
        })
    }

    /// GitHub's `message` from an error body, or the start of the body.
    pub fn message(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or_else(|| text.chars().take(200).collect::<String>().trim().to_owned())
    }
}

pub struct Client {
    crab: Octocrab,
    /// `scheme://host:port` of the API: pagination links elsewhere are not followed, and
    /// neither is a link that drops https for http (it would carry the token in clear).
    api_origin: String,
    runtime: tokio::runtime::Runtime,
    retry: RetryPolicy,
    /// Kept to scrub it from anything GitHub or the network echo back.
    token: Option<Token>,
}

impl Client {
    pub fn new(api_url: &str, token: Option<&Token>, retry: RetryPolicy) -> Result<Client, GitHubError> {
        let setup = |what: &str, e: &dyn std::fmt::Display| GitHubError::Setup(format!("{what}: {e}"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| setup("cannot start the HTTP runtime", &e))?;
        let crab = {
            // hyper's connector registers with the runtime it is built in.
            let _guard = runtime.enter();
            let mut builder = Octocrab::builder()
                .base_uri(api_url)
                .map_err(|e| setup(&format!("invalid API URL `{api_url}`"), &e))?
                .set_connect_timeout(Some(Duration::from_secs(10)))
                .set_read_timeout(Some(Duration::from_secs(60)))
                .set_write_timeout(Some(Duration::from_secs(60)))
                .add_header(http::header::ACCEPT, "application/vnd.github+json".to_owned())
                .add_header(http::HeaderName::from_static("x-github-api-version"), "2022-11-28".to_owned());
            if let Some(token) = token {
                // octocrab panics on a header value it cannot build.
                if !token.expose().bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(GitHubError::Setup(
                        "the GitHub token contains spaces or control characters; check the secret's value".to_owned(),
                    ));
                }
                builder = builder.personal_token(token.expose().to_owned());
            }
            builder.build().map_err(|e| setup("cannot set up the GitHub client", &e))?
        };
        let api_origin = api_url
            .parse::<http::Uri>()
            .ok()
            .and_then(|uri| origin(&uri))
            .ok_or_else(|| GitHubError::Setup(format!("invalid API URL `{api_url}`: it names no host")))?;
        Ok(Client { crab, api_origin, runtime, retry, token: token.cloned() })
    }

    /// A client for `context`'s API and token, with the default retries.
    pub fn for_context(context: &Context) -> Result<Client, GitHubError> {
        Client::new(&context.api_url, context.token.as_ref(), RetryPolicy::default())
    }

    /// GET a JSON document; `what` names the operation in errors.
    pub fn get_json<T: DeserializeOwned>(&self, what: &str, uri: &str) -> Result<(T, Option<String>), GitHubError> {
        // Paths are the API's; a full URL (a pagination link) must point at the API too, over
        // the same scheme: the token goes with it.
        if let Some(link_origin) = uri.parse::<http::Uri>().ok().and_then(|u| origin(&u)) {
            if link_origin != self.api_origin {
                return Err(GitHubError::Request {
                    what: what.to_owned(),
                    status: None,
                    message: format!(
                        "refusing to follow a link to {link_origin}, which is not the API's origin {}",
                        self.api_origin
                    ),
                });
            }
        }
        let response = self.send(what, Method::GET, uri, None)?;
        let response = self.require_success(what, response)?;
        let next = response.next_page();
        let value = serde_json::from_slice(&response.body).map_err(|e| GitHubError::Request {
            what: what.to_owned(),
            status: Some(response.status.as_u16()),
            message: format!("unexpected response: {e}"),
        })?;
        Ok((value, next))
    }

    /// Sends a request with retries and returns whatever status came back last.
    pub fn send(
        &self,
        what: &str,
        method: Method,
        uri: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, GitHubError> {
        let mut attempt = 1;
        loop {
            let outcome = self.runtime.block_on(self.send_once(method.clone(), uri, body));
            let wait = match &outcome {
                Ok(response) => self.retry_wait(response, attempt),
                Err(_) => (attempt < self.retry.attempts).then(|| self.backoff(attempt)),
            };
            match (outcome, wait) {
                (Ok(response), None) => return Ok(response),
                (Err(message), None) => {
                    return Err(GitHubError::Request {
                        what: what.to_owned(),
                        status: None,
                        message: self.redact(&format!("{message} (after {attempt} attempts)")),
                    })
                }
                (_, Some(wait)) => {
                    std::thread::sleep(wait);
                    attempt += 1;
                }
            }
        }
    }

    async fn send_once(&self, method: Method, uri: &str, body: Option<&serde_json::Value>) -> Result<Response, String> {
        let result = match method {
            Method::POST => self.crab._post(uri, body).await,
            Method::PATCH => self.crab._patch(uri, body).await,
            _ => self.crab._get(uri).await,
        };
        let response = result.map_err(|e| describe_octocrab_error(&e))?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|e| describe_octocrab_error(&e))?.to_bytes().to_vec();
        Ok(Response { status: parts.status, headers: parts.headers, body })
    }

    /// Whether to try again after `response`, and after how long.
    fn retry_wait(&self, response: &Response, attempt: u32) -> Option<Duration> {
        if attempt >= self.retry.attempts {
            return None;
        }
        let status = response.status;
        let rate_limited = status == StatusCode::TOO_MANY_REQUESTS
            || (status == StatusCode::FORBIDDEN
                && (response.headers.contains_key(http::header::RETRY_AFTER)
                    || header(&response.headers, "x-ratelimit-remaining").as_deref() == Some("0")));
        if rate_limited {
            let asked = rate_limit_wait(&response.headers, SystemTime::now()).unwrap_or_else(|| self.backoff(attempt));
            return (asked <= self.retry.max_wait).then_some(asked);
        }
        status.is_server_error().then(|| self.backoff(attempt))
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.retry.first_backoff.saturating_mul(2u32.saturating_pow(attempt - 1))
    }

    /// An error for any status but 2xx, carrying GitHub's message.
    pub fn require_success(&self, what: &str, response: Response) -> Result<Response, GitHubError> {
        if response.status.is_success() {
            return Ok(response);
        }
        let mut message = response.message();
        if let Some(reset) = rate_limit_wait(&response.headers, SystemTime::now()) {
            message.push_str(&format!(" (rate limited; it resets in {} s)", reset.as_secs()));
        }
        Err(GitHubError::Request {
            what: what.to_owned(),
            status: Some(response.status.as_u16()),
            message: self.redact(&message),
        })
    }

    fn redact(&self, text: &str) -> String {
        match &self.token {
            Some(token) => text.replace(token.expose(), "***"),
            None => text.to_owned(),
        }
    }
}

/// Percent-encodes all but RFC 3986's unreserved characters, for a query string value (artifact
/// names are free text; a branch may hold `&`, `#` or `+`).
pub fn encode_query(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `scheme://authority` of an absolute URI, lower-cased; `None` for a path.
fn origin(uri: &http::Uri) -> Option<String> {
    let authority = uri.authority()?;
    Some(format!("{}://{}", uri.scheme_str()?, authority.as_str()).to_ascii_lowercase())
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name)?.to_str().ok().map(|v| v.trim().to_owned())
}

/// The wait a rate-limited response asks for: `retry-after` seconds, else the time until
/// `x-ratelimit-reset` (epoch seconds).
fn rate_limit_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(seconds) = header(headers, "retry-after").and_then(|v| v.parse::<u64>().ok()) {
        return Some(Duration::from_secs(seconds));
    }
    if header(headers, "x-ratelimit-remaining").as_deref() != Some("0") {
        return None;
    }
    let reset = header(headers, "x-ratelimit-reset")?.parse::<u64>().ok()?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now)))
}

/// octocrab's transport errors, with their causes, in one line.
fn describe_octocrab_error(error: &octocrab::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (http::HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    fn response(status: u16, pairs: &[(&'static str, &str)], body: &str) -> Response {
        Response { status: StatusCode::from_u16(status).unwrap(), headers: headers(pairs), body: body.into() }
    }

    #[test]
    fn next_page_comes_from_the_link_header() {
        let link = r#"<https://api.github.com/resource?page=2>; rel="next", <https://api.github.com/resource?page=5>; rel="last""#;
        assert_eq!(
            response(200, &[("link", link)], "").next_page().as_deref(),
            Some("https://api.github.com/resource?page=2")
        );
        let last = r#"<https://api.github.com/resource?page=1>; rel="prev", <https://api.github.com/resource?page=1>; rel="first""#;
        assert_eq!(response(200, &[("link", last)], "").next_page(), None);
        assert_eq!(response(200, &[], "").next_page(), None);
    }

    #[test]
    fn rate_limit_waits_follow_the_headers() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(rate_limit_wait(&headers(&[("retry-after", "7")]), now), Some(Duration::from_secs(7)));
        let reset = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1030")]);
        assert_eq!(rate_limit_wait(&reset, now), Some(Duration::from_secs(30)));
        let not_limited = headers(&[("x-ratelimit-remaining", "12"), ("x-ratelimit-reset", "1030")]);
        assert_eq!(rate_limit_wait(&not_limited, now), None);
    }

    #[test]
    fn links_to_another_host_are_not_followed() {
        let client = Client::new("http://127.0.0.1:9/api/v3", None, RetryPolicy::default()).unwrap();
        let error = client.get_json::<serde_json::Value>("listing", "https://elsewhere.example/page2").unwrap_err();
        assert!(error.to_string().contains("refusing to follow a link to https://elsewhere.example"), "{error}");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode_query("perf gate&x"), "perf%20gate%26x");
        assert_eq!(encode_query("octo-cat:feature/a&b=c#d+e"), "octo-cat%3Afeature%2Fa%26b%3Dc%23d%2Be");
    }

    #[test]
    fn a_link_from_https_to_http_on_the_same_host_is_not_followed() {
        let client = Client::new("https://api.github.com", None, RetryPolicy::default()).unwrap();
        let error = client.get_json::<serde_json::Value>("listing", "http://api.github.com/page2").unwrap_err();
        assert!(error.to_string().contains("refusing to follow a link to http://api.github.com"), "{error}");
        // The same origin in other letters is the same origin; nothing is sent for this test.
        assert_eq!(
            origin(&"HTTPS://API.github.com/x".parse().unwrap()),
            origin(&"https://api.github.com".parse().unwrap())
        );
    }

    #[test]
    fn a_token_that_cannot_be_a_header_is_refused_not_a_panic() {
        let token = Token::new("abc\ndef".to_owned()).unwrap();
        let error = Client::new("https://api.github.com", Some(&token), RetryPolicy::default()).err().unwrap();
        assert!(error.to_string().contains("control characters"), "{error}");
        assert!(!error.to_string().contains("abc"));
    }

    #[test]
    fn messages_come_from_githubs_error_body() {
        let body = r#"{"message":"Artifact has expired","documentation_url":"https://docs.github.com"}"#;
        assert_eq!(response(410, &[], body).message(), "Artifact has expired");
        assert_eq!(response(502, &[], "<html>Bad gateway</html>").message(), "<html>Bad gateway</html>");
    }
}
