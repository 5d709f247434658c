//! Reads one Markdown page with a real CommonMark parser (pulldown-cmark):
//! its headings and anchors, and the rows of tables that index alerts.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::slug::{mkdocs, Slugger};
use crate::source::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Heading {
    pub text: String,
    pub level: u8,
    /// The GitHub slug (or the explicit `{#id}`), de-duplicated.
    pub slug: String,
    pub span: Span,
}

/// A link and where its text is.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub dest: String,
    pub span: Span,
}

/// A table cell: its text as rendered (code spans and HTML text kept), and its links.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cell {
    pub text: String,
    pub links: Vec<Link>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub header: Vec<Cell>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Default)]
pub struct Document {
    pub headings: Vec<Heading>,
    /// Every anchor a link may target: heading slugs in both GitHub and
    /// MkDocs spelling, explicit ids, and HTML `id`/`name` attributes.
    pub anchors: Vec<String>,
    pub tables: Vec<Table>,
}

enum Open {
    Heading {
        level: u8,
        id: Option<String>,
        start: usize,
        text: String,
    },
    Cell(Cell),
    None,
}

pub fn parse(text: &str) -> Document {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_HEADING_ATTRIBUTES);
    options.insert(Options::ENABLE_YAML_STYLE_METADATA_BLOCKS);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut doc = Document::default();
    let mut slugger = Slugger::default();
    let mut open = Open::None;
    let mut table: Option<Table> = None;
    let mut row: Vec<Cell> = Vec::new();
    let mut in_head = false;
    let mut link_stack: Vec<(String, usize)> = Vec::new();

    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                open = Open::Heading {
                    level: level_number(level),
                    id: id.map(|s| s.to_string()),
                    start: range.start,
                    text: String::new(),
                };
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Open::Heading {
                    level,
                    id,
                    start,
                    text: heading,
                } = std::mem::replace(&mut open, Open::None)
                {
                    let heading = heading.trim().to_string();
                    let slug = match id {
                        Some(id) => id,
                        None => slugger.slug(&heading),
                    };
                    doc.anchors.push(slug.clone());
                    let alias = mkdocs(&heading);
                    if alias != slug {
                        doc.anchors.push(alias);
                    }
                    doc.headings.push(Heading {
                        text: heading,
                        level,
                        slug,
                        span: Span::new(start, range.end),
                    });
                }
            }
            Event::Start(Tag::Table(_)) => table = Some(Table::default()),
            Event::End(TagEnd::Table) => doc.tables.extend(table.take()),
            Event::Start(Tag::TableHead) => in_head = true,
            Event::End(TagEnd::TableHead) => {
                in_head = false;
                if let Some(t) = &mut table {
                    t.header = std::mem::take(&mut row);
                }
            }
            Event::Start(Tag::TableRow) => row.clear(),
            Event::End(TagEnd::TableRow) => {
                if let Some(t) = &mut table {
                    if !in_head {
                        t.rows.push(std::mem::take(&mut row));
                    }
                }
            }
            Event::Start(Tag::TableCell) => {
                open = Open::Cell(Cell {
                    span: Span::new(range.start, range.end),
                    ..Cell::default()
                })
            }
            Event::End(TagEnd::TableCell) => {
                if let Open::Cell(mut cell) = std::mem::replace(&mut open, Open::None) {
                    cell.text = cell.text.trim().to_string();
                    row.push(cell);
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                link_stack.push((dest_url.to_string(), range.start))
            }
            Event::End(TagEnd::Link) => {
                if let Some((dest, start)) = link_stack.pop() {
                    if let Open::Cell(cell) = &mut open {
                        cell.links.push(Link {
                            dest,
                            span: Span::new(start, range.end),
                        });
                    }
                }
            }
            Event::Text(t) | Event::Code(t) => push_text(&mut open, &t),
            Event::Html(html) | Event::InlineHtml(html) => {
                for anchor in html_anchors(&html) {
                    doc.anchors.push(anchor);
                }
                if let Open::Cell(cell) = &mut open {
                    for dest in html_hrefs(&html) {
                        cell.links.push(Link {
                            dest,
                            span: Span::new(range.start, range.end),
                        });
                    }
                }
            }
            Event::SoftBreak | Event::HardBreak => push_text(&mut open, " "),
            _ => {}
        }
    }
    doc
}

fn push_text(open: &mut Open, text: &str) {
    match open {
        Open::Heading { text: t, .. } => t.push_str(text),
        Open::Cell(cell) => cell.text.push_str(text),
        Open::None => {}
    }
}

fn level_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// Values of `attr="..."` in an HTML fragment (a plain scan, no regex).
fn attribute_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let lower = html.to_ascii_lowercase();
    let needle = format!("{attr}=");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = lower[from..].find(&needle) {
        let at = from + found;
        let preceded_ok = at == 0 || !lower.as_bytes()[at - 1].is_ascii_alphanumeric();
        let value_start = at + needle.len();
        from = value_start;
        if !preceded_ok {
            continue;
        }
        let rest = &html[value_start..];
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        if let Some(end) = rest[1..].find(quote) {
            out.push(&rest[1..1 + end]);
        }
    }
    out
}

fn html_anchors(html: &str) -> Vec<String> {
    let mut out: Vec<String> = attribute_values(html, "id")
        .into_iter()
        .map(str::to_string)
        .collect();
    if html.trim_start().to_ascii_lowercase().starts_with("<a") {
        out.extend(
            attribute_values(html, "name")
                .into_iter()
                .map(str::to_string),
        );
    }
    out
}

fn html_hrefs(html: &str) -> Vec<String> {
    attribute_values(html, "href")
        .into_iter()
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_headings_anchors_and_tables() {
        let text = "# Runbook\n\n| Alert | Triage |\n|---|---|\n| `RedisDown` | [Redis pod down](#redis-pod-down) |\n| <b>Watchdog</b> | ✅ ignore |\n\n## Redis pod down\n\n## Redis pod down\n<a id=\"custom\"></a>\n### Custom {#explicit}\n";
        let doc = parse(text);
        let slugs: Vec<_> = doc.headings.iter().map(|h| h.slug.as_str()).collect();
        assert_eq!(
            slugs,
            ["runbook", "redis-pod-down", "redis-pod-down-1", "explicit"]
        );
        assert!(doc.anchors.contains(&"custom".to_string()));
        let table = &doc.tables[0];
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[0][0].text, "RedisDown");
        assert_eq!(table.rows[0][1].links[0].dest, "#redis-pod-down");
        assert_eq!(table.rows[1][0].text, "Watchdog");
        assert!(table.rows[1][1].links.is_empty());
    }

    #[test]
    fn crlf_and_front_matter() {
        let text = "---\r\ntitle: X\r\n---\r\n# KubePodCrashLooping\r\n\r\n## Meaning\r\n";
        let doc = parse(text);
        assert_eq!(doc.headings[0].text, "KubePodCrashLooping");
        assert_eq!(doc.headings[1].slug, "meaning");
    }
}
