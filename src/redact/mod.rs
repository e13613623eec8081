//! Redaction: the engine's entrance. Only the redactor's output is stored, logged, classified
//! or passed on, keeping the register of processing's promise that personal data typed into the
//! chat (`123456-abcd`, `123456`, `01.01.1900`) is deleted before anything is stored.
//!
//! [`PiiRedactor`] works in three steps: two prefilters let messages without digits or `@` and
//! without a possible name (a cue such as "my name is", two capitalised words in a row) through
//! untouched and unallocated; a normalized view (NFKC, invisible characters removed, Unicode
//! digits and dashes made ASCII) defeats evasion; one pass of one combined pattern finds the
//! candidates, validators decide their kind, and each is replaced by a typed placeholder in the
//! original text, everything else byte for byte as written.

mod address;
mod document;
mod kind;
mod name;
mod normalize;
mod prefilter;
mod scan;
mod validate;

use std::borrow::Cow;

pub use kind::{Counts, Kind};

/// Redacted text and how many items of each kind were removed (never the items themselves).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Redacted<'a> {
    /// The text with every personal item replaced by a typed placeholder such as `[NUMBER]`;
    /// borrowed when nothing was found.
    pub text: Cow<'a, str>,
    /// Counts per kind.
    pub counts: Counts,
}

/// Removes personal data from a message.
pub trait Redactor: Send + Sync + std::fmt::Debug {
    /// Redacts one message.
    fn redact<'a>(&self, text: &'a str) -> Redacted<'a> {
        self.redact_observed(text, &mut |_, _| {})
    }

    /// Redacts one message and shows each item (its kind and normalized text) to `observe`
    /// before it is dropped: the one place where case identifiers can be hashed.
    fn redact_observed<'a>(
        &self,
        text: &'a str,
        observe: &mut dyn FnMut(Kind, &str),
    ) -> Redacted<'a>;
}

/// kanava's redactor for Finnish, Swedish and English chat text.
#[derive(Debug, Default, Clone, Copy)]
pub struct PiiRedactor;

impl PiiRedactor {
    /// Compiles the patterns now (a few milliseconds) instead of on the first customer's message.
    pub fn warmed() -> Self {
        name::warm();
        let _ =
            PiiRedactor.redact("warm-up 131052-308T a@b.fi 1 May 1990 FI21 1234 5600 0007 85 ::1");
        PiiRedactor
    }
}

impl Redactor for PiiRedactor {
    fn redact_observed<'a>(
        &self,
        text: &'a str,
        observe: &mut dyn FnMut(Kind, &str),
    ) -> Redacted<'a> {
        let numeric = prefilter::may_contain(text);
        let named = name::may_contain(text);
        if !numeric && !named {
            return Redacted {
                text: Cow::Borrowed(text),
                counts: Counts::default(),
            };
        }
        let view = normalize::view(text);
        // Closing up spaced-out digits matters only where there are digits.
        let view = if numeric {
            normalize::squeeze(view)
        } else {
            view
        };
        let mut findings = if numeric {
            scan::scan(&view.text)
        } else {
            Vec::new()
        };
        // Items known by their shape in context; where they overlap a numeric finding the
        // earlier, then the longer, wins.
        let found_by_scan = findings.len();
        if numeric {
            address::find(&view.text, &mut findings);
            document::find(&view.text, &mut findings);
        }
        if named {
            name::find(&view.text, &mut findings);
        }
        if findings.len() > found_by_scan {
            findings.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
        }
        if findings.is_empty() {
            return Redacted {
                text: Cow::Borrowed(text),
                counts: Counts::default(),
            };
        }
        let mut out = String::with_capacity(text.len());
        let mut counts = Counts::default();
        let mut last = 0;
        for f in findings {
            let (start, end) = view.original(f.start, f.end);
            if start < last {
                continue;
            }
            observe(f.kind, &view.text[f.start..f.end]);
            out.push_str(&text[last..start]);
            out.push_str(f.kind.placeholder());
            counts.add(f.kind);
            last = end;
        }
        out.push_str(&text[last..]);
        Redacted {
            text: Cow::Owned(out),
            counts,
        }
    }
}

/// Redacts a stream line by line (`kanava redact`): exactly one output line per input line,
/// flushed as it goes so it can sit in a pipe in front of an interactive reader. Invalid UTF-8 is
/// decoded lossily and still redacted.
pub fn redact_lines(
    mut input: impl std::io::BufRead,
    mut output: impl std::io::Write,
) -> std::io::Result<()> {
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let body = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = String::from_utf8_lossy(body);
        output.write_all(PiiRedactor.redact(&text).text.as_bytes())?;
        output.write_all(b"\n")?;
        output.flush()?;
    }
}

#[cfg(test)]
mod tests;
