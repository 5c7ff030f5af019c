//! Renders the view model through the embedded minijinja templates, and the report as JSON.
//!
//! Templates are compiled into the binary (`include_str!`), so an installed tool never looks
//! for files. The filters registered here escape and align text; none does arithmetic.

use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Serde, Value};
use minijinja::{Environment, Error, UndefinedBehavior};

use super::format;
use super::view::View;
use crate::report::Report;

/// A template: the name minijinja knows it by, and its source.
type Template = (&'static str, &'static str);

const MARKDOWN: Template = ("summary.md", include_str!("../../templates/summary.md.j2"));
// The name must end in `.html`: minijinja turns HTML autoescaping on by the template name.
const HTML: Template = ("report.html", include_str!("../../templates/report.html.j2"));
const TERMINAL: Template = ("terminal.txt", include_str!("../../templates/terminal.txt.j2"));
const ANNOTATIONS: Template = ("annotations.txt", include_str!("../../templates/annotations.txt.j2"));
const TRENDS: Template = ("trends.html", include_str!("../../templates/trends.html.j2"));

/// A template that could not be rendered. Templates are embedded and tested, so this means a
/// bug in perf-gate, not in the user's input.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot render the `{template}` template: {error}")]
    Template { template: &'static str, error: Error },
}

/// Every template compiled once, with the view converted once for all of them: at 10,000
/// benchmarks each conversion of the view costs about as much as rendering a template.
pub struct Renderer {
    env: Environment<'static>,
    view: Value,
}

impl Renderer {
    pub fn new(view: &View) -> Result<Renderer, RenderError> {
        Ok(Renderer { env: environment()?, view: Value::from(Serde(view)) })
    }

    /// `summary.md`: GitHub-flavoured markdown fit for a PR comment.
    pub fn markdown(&self) -> Result<String, RenderError> {
        self.render(MARKDOWN)
    }

    /// `report.html`: one self-contained page with inline CSS and SVG charts.
    pub fn html(&self) -> Result<String, RenderError> {
        self.render(HTML)
    }

    /// The plain-text summary printed to stdout: aligned columns, no colour codes.
    pub fn terminal(&self) -> Result<String, RenderError> {
        self.render(TERMINAL).map(|text| format::terminal_safe(&text))
    }

    /// GitHub Actions workflow commands (`::error`, `::warning`, `::notice`) for the failed
    /// gates, the regressions, a suite shift and a skipped comparison; empty when there is
    /// nothing to say.
    pub fn annotations(&self) -> Result<String, RenderError> {
        self.render(ANNOTATIONS).map(|text| format::terminal_safe(&text))
    }

    fn render(&self, (name, _): Template) -> Result<String, RenderError> {
        let fail = |error| RenderError::Template { template: name, error };
        self.env.get_template(name).map_err(fail)?.render(&self.view).map_err(fail)
    }
}

/// `trends --html`: one self-contained page of trend charts (inline CSS and SVG).
pub fn trends_html(view: &super::trends::TrendsView) -> Result<String, RenderError> {
    let fail = |error| RenderError::Template { template: TRENDS.0, error };
    environment()?.get_template(TRENDS.0).map_err(fail)?.render(Value::from(Serde(view))).map_err(fail)
}

/// `report.json`: the report as pretty JSON, with a trailing newline.
pub fn json(report: &Report) -> String {
    // Serializing to a string fails only for maps with non-string keys or a failing custom
    // Serialize impl; Report has neither.
    let mut text = serde_json::to_string_pretty(report).expect("a Report always serializes to JSON");
    text.push('\n');
    text
}

fn environment() -> Result<Environment<'static>, RenderError> {
    let mut env = Environment::new();
    // Block tags on lines of their own leave no blank lines behind; files end with a newline.
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(|error| RenderError::Template { template: "(syntax)", error })?;
    env.set_syntax(syntax);
    // A misspelt field should fail the tests, not render as an empty string.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_filter("md_cell", |text: &str| format::markdown_cell(text));
    env.add_filter("md_text", |text: &str| format::markdown_text(text));
    env.add_filter("md_code", |text: &str| format::markdown_code_cell(text));
    // Escapes everything itself, so its output is marked safe for autoescaping.
    env.add_filter("code_spans", |text: &str| Value::from_safe_string(format::html_with_code_spans(text)));
    env.add_filter("pad", |text: &str, width: usize| format::pad_right(text, width));
    env.add_filter("lpad", |text: &str, width: usize| format::pad_left(text, width));
    env.add_filter("width", column_width);
    env.add_filter("wc_data", |text: &str| format::workflow_command_data(text));
    env.add_filter("wc_prop", |text: &str| format::workflow_command_property(text));
    // In the terminal every value prints on one line, whatever it holds (ids and names are the PR's).
    env.set_formatter(|out, state, value| match value.as_str() {
        Some(text) if state.name() == TERMINAL.0 => out.write_str(&format::single_line(text)).map_err(Error::from),
        _ => minijinja::escape_formatter(out, state, value),
    });
    for (name, source) in [MARKDOWN, HTML, TERMINAL, ANNOTATIONS, TRENDS] {
        env.add_template(name, source).map_err(|error| RenderError::Template { template: name, error })?;
    }
    Ok(env)
}

/// The widest `attribute` among `rows`, in characters: the column width for `pad`/`lpad`.
fn column_width(rows: &Value, attribute: &str) -> Result<usize, Error> {
    let mut widest = 0;
    for row in rows.try_iter()? {
        let cell = row.get_attr(attribute)?;
        let width = match cell.as_str() {
            Some(text) => text.chars().count(),
            None => cell.to_string().chars().count(),
        };
        widest = widest.max(width);
    }
    Ok(widest)
}
