//! CSV records, as RFC 4180 writes them: `export`, `list --format csv` and results.csv.

/// One CSV record (RFC 4180): fields with a comma, quote or line break are quoted.
pub fn csv_line<S: AsRef<str>>(fields: &[S]) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|field| {
            let field = field.as_ref();
            if field.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", field.replace('"', "\"\""))
            } else {
                field.to_owned()
            }
        })
        .collect();
    format!("{}\n", quoted.join(","))
}

/// A text field that came from outside (a benchmark id, a branch, a release tag), made inert for
/// spreadsheets: one starting with `=`, `+`, `-`, `@`, a tab or a carriage return would be read
/// as a formula by Excel, LibreOffice and Google Sheets (CSV injection), so it gets a leading
/// `'`, which they show as text. Numbers are written by perf-gate and left as they are.
pub fn text(field: &str) -> String {
    if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}")
    } else {
        field.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_a_spreadsheet_would_run_is_made_inert() {
        assert_eq!(text("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        assert_eq!(text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text("-1+2"), "'-1+2");
        assert_eq!(text("parse/numbers"), "parse/numbers");
    }

    #[test]
    fn fields_that_need_it_are_quoted() {
        assert_eq!(
            csv_line(&["a", "b,c", "say \"hi\"", "two\nlines", ""]),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\",\n"
        );
    }
}
