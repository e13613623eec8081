//! The topic file format and its validation (`kanava knowledge check`).
//!
//! One file per topic (`*.txt`), written by content editors. `knowledge/README.md` documents the
//! format; every problem found names the file, the line and what to fix.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use kanava_adapter::{Lang, RichText};

/// One topic, all languages present and valid.
#[derive(Debug, Clone)]
pub struct Topic {
    /// Stable id, e.g. `enter-finland-outage`.
    pub id: String,
    /// What answering it means (`kind:`).
    pub kind: TopicKind,
    /// Ids of topics to suggest next.
    pub related: Vec<String>,
    /// The official pages its facts come from (`source:`).
    pub sources: Vec<String>,
    /// When an editor last checked it against those pages (`reviewed:`), in days since
    /// 1970-01-01; `None` if never recorded.
    pub reviewed: Option<i64>,
    /// Text per language, indexed by [`Lang::index`].
    pub texts: [TopicText; 3],
}

impl Topic {
    /// The text in one language.
    pub fn text(&self, lang: Lang) -> &TopicText {
        &self.texts[lang.index()]
    }
}

/// What a topic is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TopicKind {
    /// A question the authority answers here (the default).
    #[default]
    Answer,
    /// A matter of another authority (`kind: elsewhere`): its answer only says who handles it.
    /// It catches questions that would otherwise reach a wrong topic; it is never suggested and
    /// counts as a fallback in statistics.
    Elsewhere,
}

/// A topic in one language.
#[derive(Debug, Clone)]
pub struct TopicText {
    /// Short title, used for suggestion buttons.
    pub title: String,
    /// Example questions.
    pub questions: Vec<String>,
    /// The answer.
    pub answer: RichText,
    /// The answer as written, for indexing.
    pub answer_source: String,
}

/// One problem in the knowledge files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file.
    pub file: PathBuf,
    /// 1-based line, or 0 when it concerns the whole file.
    pub line: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
        }
    }
}

/// Reads and validates every `*.txt` topic file under `dir` (recursively, in name order).
///
/// Returns the topics when there is no problem, else every problem found.
pub fn load_dir(dir: &Path) -> Result<Vec<Topic>, Vec<Problem>> {
    let mut files = Vec::new();
    if let Err(e) = collect(dir, &mut files) {
        return Err(vec![Problem {
            file: dir.to_path_buf(),
            line: 0,
            message: format!("cannot read the knowledge directory: {e}"),
        }]);
    }
    files.sort();
    if files.is_empty() {
        return Err(vec![Problem {
            file: dir.to_path_buf(),
            line: 0,
            message: "no topic files (*.txt) found".into(),
        }]);
    }
    let mut sources = Vec::new();
    let mut problems = Vec::new();
    for f in files {
        match std::fs::read(&f) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(s) => sources.push((f, s)),
                Err(e) => problems.push(Problem {
                    file: f,
                    line: 0,
                    message: format!(
                        "not valid UTF-8 (byte {}): save the file as UTF-8",
                        e.utf8_error().valid_up_to()
                    ),
                }),
            },
            Err(e) => problems.push(Problem {
                file: f,
                line: 0,
                message: format!("cannot read: {e}"),
            }),
        }
    }
    let refs: Vec<(&Path, &str)> = sources
        .iter()
        .map(|(p, s)| (p.as_path(), s.as_str()))
        .collect();
    match parse_all(&refs) {
        Ok(t) if problems.is_empty() => Ok(t),
        Ok(_) => Err(problems),
        Err(mut more) => {
            problems.append(&mut more);
            Err(problems)
        }
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "txt") {
            out.push(path);
        }
    }
    Ok(())
}

/// Parses and cross-checks topic sources given as (file name, text).
pub fn parse_all(sources: &[(&Path, &str)]) -> Result<Vec<Topic>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut parsed = Vec::new();
    for (file, src) in sources {
        match parse_topic(file, src) {
            Ok(t) => parsed.push(t),
            Err(mut p) => problems.append(&mut p),
        }
    }
    let mut seen: HashMap<&str, &Path> = HashMap::new();
    for p in &parsed {
        if let Some(first) = seen.insert(&p.topic.id, p.file) {
            problems.push(Problem {
                file: p.file.to_path_buf(),
                line: p.id_line,
                message: format!(
                    "duplicate id {:?}: already used by {}",
                    p.topic.id,
                    first.display()
                ),
            });
        }
    }
    // Ids of files with other problems still count as existing, so one broken file does not
    // make every reference to it look broken too.
    let ids: HashSet<&str> = sources
        .iter()
        .filter_map(|(_, src)| declared_id(src))
        .collect();
    let elsewhere: HashSet<&str> = parsed
        .iter()
        .filter(|p| p.topic.kind == TopicKind::Elsewhere)
        .map(|p| p.topic.id.as_str())
        .collect();
    for p in &parsed {
        for r in &p.topic.related {
            if elsewhere.contains(r.as_str()) {
                problems.push(Problem {
                    file: p.file.to_path_buf(),
                    line: p.related_line,
                    message: format!(
                        "related topic {r:?} is a `kind: elsewhere` topic, which is never suggested: remove it"
                    ),
                });
                continue;
            }
            if r == &p.topic.id {
                problems.push(Problem {
                    file: p.file.to_path_buf(),
                    line: p.related_line,
                    message: format!("related topic {r:?} is this topic itself"),
                });
            } else if !ids.contains(r.as_str()) {
                problems.push(Problem {
                    file: p.file.to_path_buf(),
                    line: p.related_line,
                    message: format!(
                        "related topic {r:?} does not exist (no topic file has `id: {r}`)"
                    ),
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(parsed.into_iter().map(|p| p.topic).collect())
    } else {
        Err(problems)
    }
}

struct Parsed<'a> {
    file: &'a Path,
    topic: Topic,
    id_line: usize,
    related_line: usize,
}

#[derive(Default)]
struct Section {
    line: usize,
    title: String,
    questions: Vec<String>,
    answer_lines: Vec<(usize, String)>,
}

fn parse_topic<'a>(file: &'a Path, src: &str) -> Result<Parsed<'a>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut problem = |line: usize, message: String| {
        problems.push(Problem {
            file: file.to_path_buf(),
            line,
            message,
        })
    };
    let mut id: Option<(usize, String)> = None;
    let mut related: Option<(usize, Vec<String>)> = None;
    let mut kind = TopicKind::Answer;
    let mut sources: Vec<String> = Vec::new();
    let mut reviewed: Option<i64> = None;
    let mut sections: [Option<Section>; 3] = [None, None, None];
    let mut current: Option<usize> = None;

    for (n, raw) in src.lines().enumerate() {
        let line_no = n + 1;
        let line = raw.trim_end();
        if line.trim_start().starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let Some((code, title)) = rest.split_once(']') else {
                problem(
                    line_no,
                    "section heading must look like `[fi] Title`".into(),
                );
                continue;
            };
            let lang = match code.parse::<Lang>() {
                Ok(l) if l.code() == code.trim() => l,
                _ => {
                    problem(
                        line_no,
                        format!("unknown language {code:?} in section heading: use fi, sv or en"),
                    );
                    current = None;
                    continue;
                }
            };
            let title = title.trim();
            if title.is_empty() {
                problem(
                    line_no,
                    format!("section [{code}] has no title after the language code"),
                );
            }
            if let Some(prev) = &sections[lang.index()] {
                problem(
                    line_no,
                    format!(
                        "language {code} appears twice (first on line {})",
                        prev.line
                    ),
                );
            }
            sections[lang.index()] = Some(Section {
                line: line_no,
                title: title.to_string(),
                ..Section::default()
            });
            current = Some(lang.index());
            continue;
        }
        match current.and_then(|i| sections[i].as_mut()) {
            None => {
                if line.trim().is_empty() {
                    continue;
                }
                let Some((key, value)) = line.split_once(':') else {
                    problem(line_no, format!("expected `id: …`, `kind: …`, `related: …`, `source: …`, `reviewed: …` or a `[fi] Title` section heading, found {:?}", clip(line)));
                    continue;
                };
                let value = value.trim();
                match key.trim() {
                    "id" => {
                        if !is_valid_id(value) {
                            problem(
                                line_no,
                                format!(
                                    "id {value:?} must be lowercase letters, digits and '-' only"
                                ),
                            );
                        }
                        id = Some((line_no, value.to_string()));
                    }
                    "kind" => match value {
                        "answer" => kind = TopicKind::Answer,
                        "elsewhere" => kind = TopicKind::Elsewhere,
                        other => problem(
                            line_no,
                            format!(
                                "kind {:?} must be `answer` or `elsewhere`",
                                clip(other)
                            ),
                        ),
                    },
                    "related" => {
                        let list: Vec<String> = value
                            .split(',')
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect();
                        related = Some((line_no, list));
                    }
                    "source" => {
                        for url in value.split(',').map(str::trim).filter(|u| !u.is_empty()) {
                            if url.starts_with("https://") && !url.contains(char::is_whitespace) {
                                sources.push(url.to_string());
                            } else {
                                problem(
                                    line_no,
                                    format!("source {:?} must be an https:// address", clip(url)),
                                );
                            }
                        }
                    }
                    "reviewed" => match parse_date(value) {
                        Some(d) => reviewed = Some(d),
                        None => problem(
                            line_no,
                            format!("reviewed {:?} must be a date like 2026-12-07", clip(value)),
                        ),
                    },
                    other => problem(
                        line_no,
                        format!(
                            "unknown header {other:?}: expected `id`, `kind`, `related`, `source` or `reviewed`"
                        ),
                    ),
                }
            }
            Some(sec) => {
                if let Some(q) = line.trim_start().strip_prefix('?') {
                    let q = q.trim();
                    if q.is_empty() {
                        problem(line_no, "example question after '?' is empty".into());
                    } else {
                        sec.questions.push(q.to_string());
                    }
                } else {
                    sec.answer_lines.push((line_no, line.to_string()));
                }
            }
        }
    }

    let Some((id_line, id)) = id else {
        problem(1, "missing `id: …` line at the top of the file".into());
        return Err(problems);
    };
    if let Some(stem) = file.file_stem().and_then(|s| s.to_str()) {
        if stem != id {
            problem(
                id_line,
                format!("id {id:?} differs from the file name {stem:?}: rename one so they match"),
            );
        }
    }
    let (related_line, related) = related.unwrap_or((0, Vec::new()));
    let mut texts: Vec<TopicText> = Vec::with_capacity(3);
    for lang in Lang::ALL {
        let Some(sec) = sections[lang.index()].take() else {
            problem(
                0,
                format!(
                    "missing language {}: add a `[{}] Title` section",
                    lang.code(),
                    lang.code()
                ),
            );
            continue;
        };
        if sec.questions.is_empty() {
            problem(
                sec.line,
                format!(
                    "section [{}] has no example questions (lines starting with '?')",
                    lang.code()
                ),
            );
        }
        let first_answer_line = sec
            .answer_lines
            .iter()
            .find(|(_, l)| !l.trim().is_empty())
            .map(|(n, _)| *n);
        let source: String = sec
            .answer_lines
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let answer = match RichText::from_markdown(&source) {
            Ok(a) => a,
            Err(e) => {
                let line = sec
                    .answer_lines
                    .get(e.line)
                    .map(|(n, _)| *n)
                    .unwrap_or(sec.line);
                problem(line, format!("malformed link: {}", e.message));
                RichText::default()
            }
        };
        if first_answer_line.is_none() {
            problem(
                sec.line,
                format!("section [{}] has an empty answer", lang.code()),
            );
        }
        texts.push(TopicText {
            title: sec.title,
            questions: sec.questions,
            answer,
            answer_source: source,
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let texts: [TopicText; 3] = match texts.try_into() {
        Ok(t) => t,
        Err(_) => return Err(problems),
    };
    Ok(Parsed {
        file,
        topic: Topic {
            id,
            kind,
            related,
            sources,
            reviewed,
            texts,
        },
        id_line,
        related_line,
    })
}

/// `YYYY-MM-DD` → days since 1970-01-01, if it is a real date.
fn parse_date(s: &str) -> Option<i64> {
    let mut parts = s.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let days = kanava_store::calendar::days_from_civil(y, m, d);
    // Out-of-range months and days roll over; a real date comes back unchanged.
    (kanava_store::calendar::civil_from_days(days) == (y, m, d)).then_some(days)
}

/// Topics whose `reviewed:` date is missing or more than `max_age_days` before `today` (days
/// since 1970-01-01): content to check against its sources again.
pub fn stale(topics: &[Topic], today: i64, max_age_days: i64) -> Vec<String> {
    topics
        .iter()
        .filter(|t| t.reviewed.is_none_or(|r| today - r > max_age_days))
        .map(|t| match t.reviewed {
            None => format!("{}: no `reviewed:` date", t.id),
            Some(r) => {
                let (y, m, d) = kanava_store::calendar::civil_from_days(r);
                format!(
                    "{}: last reviewed {y:04}-{m:02}-{d:02}, over 12 months ago",
                    t.id
                )
            }
        })
        .collect()
}

fn declared_id(src: &str) -> Option<&str> {
    src.lines()
        .find_map(|l| l.strip_prefix("id:"))
        .map(str::trim)
}

fn is_valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn clip(s: &str) -> String {
    let c: String = s.chars().take(40).collect();
    if c.len() < s.len() {
        format!("{c}…")
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "id: a\nrelated: b\n\n[fi] Otsikko\n? kysymys\nVastaus.\n\n[sv] Rubrik\n? fråga\nSvar.\n\n[en] Title\n? question\nAnswer [x](https://migri.fi).\n";

    fn problems(files: &[(&str, &str)]) -> Vec<String> {
        let owned: Vec<(PathBuf, &str)> =
            files.iter().map(|(n, s)| (PathBuf::from(n), *s)).collect();
        let refs: Vec<(&Path, &str)> = owned.iter().map(|(p, s)| (p.as_path(), *s)).collect();
        match parse_all(&refs) {
            Ok(_) => Vec::new(),
            Err(p) => p.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn valid_topics_parse() {
        let b = GOOD
            .replace("id: a", "id: b")
            .replace("related: b", "related: a");
        assert!(problems(&[("a.txt", GOOD), ("b.txt", &b)]).is_empty());
    }

    #[test]
    fn each_problem_names_file_and_line() {
        let b = GOOD
            .replace("id: a", "id: b")
            .replace("related: b", "related: a");
        let missing_sv = GOOD.replace("[sv] Rubrik\n? fråga\nSvar.\n", "");
        assert_eq!(
            problems(&[("a.txt", &missing_sv), ("b.txt", &b)]),
            ["a.txt: missing language sv: add a `[sv] Title` section"]
        );
        let empty = GOOD.replace("Svar.\n", "");
        assert_eq!(
            problems(&[("a.txt", &empty), ("b.txt", &b)]),
            ["a.txt:8: section [sv] has an empty answer"]
        );
        let broken = GOOD.replace("related: b", "related: b, nope");
        assert_eq!(
            problems(&[("a.txt", &broken), ("b.txt", &b)]),
            ["a.txt:2: related topic \"nope\" does not exist (no topic file has `id: nope`)"]
        );
        let link = GOOD.replace("(https://migri.fi)", "(migri.fi)");
        let p = problems(&[("a.txt", &link), ("b.txt", &b)]);
        assert_eq!(p.len(), 1);
        assert!(p[0].starts_with("a.txt:14: malformed link"), "{p:?}");
        let dup = GOOD.replace("related: b", "related: a");
        let p = problems(&[
            ("a.txt", &dup.replace("related: a", "")),
            ("x/a.txt", &dup.replace("related: a", "")),
        ]);
        assert_eq!(p, ["x/a.txt:1: duplicate id \"a\": already used by a.txt"]);
    }

    #[test]
    fn sources_and_review_dates_are_checked() {
        let b = GOOD
            .replace("id: a", "id: b")
            .replace("related: b", "related: a");
        let with = GOOD.replace(
            "related: b\n",
            "related: b\nsource: https://migri.fi/a, https://migri.fi/b\nreviewed: 2026-12-07\n",
        );
        let refs = [
            (Path::new("a.txt"), with.as_str()),
            (Path::new("b.txt"), b.as_str()),
        ];
        let topics = parse_all(&refs).expect("valid");
        let a = topics.iter().find(|t| t.id == "a").expect("a");
        assert_eq!(a.sources, ["https://migri.fi/a", "https://migri.fi/b"]);
        let day = a.reviewed.expect("reviewed");
        assert_eq!(stale(&topics, day + 10, 365), ["b: no `reviewed:` date"]);
        assert_eq!(stale(&topics, day + 366, 365).len(), 2);
        for bad in [
            "reviewed: 2026-02-30",
            "reviewed: 7.12.2026",
            "source: http://migri.fi",
        ] {
            let broken = GOOD.replace("related: b\n", &format!("related: b\n{bad}\n"));
            let p = problems(&[("a.txt", &broken), ("b.txt", &b)]);
            assert!(
                p.len() == 1 && p[0].starts_with("a.txt:3: "),
                "{bad}: {p:?}"
            );
        }
    }
}
