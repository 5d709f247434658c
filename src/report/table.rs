//! Plain-text tables and wrapped lines for the terminal: `simulate` and
//! `tune` print through these so their output fits the terminal's width
//! (the full text is always in `--format json`).

/// Splits `text` at spaces into lines of at most `width` characters; a word
/// longer than `width` (a PromQL selector) is split after its commas or
/// before a brace, and only where that is not enough, anywhere.
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let words = text
        .split(' ')
        .filter(|w| !w.is_empty())
        .flat_map(|w| split_long(w, width));
    for word in words {
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Pieces of at most `width` characters, cut after `,` or before `{` or
/// `(` where possible.
fn split_long(word: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() <= width {
        return vec![word.to_string()];
    }
    let mut pieces = Vec::new();
    let mut start = 0;
    while chars.len() - start > width {
        let window = &chars[start..start + width + 1];
        // The last cut point within reach: after a comma, before a brace.
        let cut = (1..window.len())
            .rev()
            .find(|&i| window[i - 1] == ',' || window[i] == '{' || window[i] == '(')
            .unwrap_or(width);
        pieces.push(chars[start..start + cut].iter().collect());
        start += cut;
    }
    pieces.push(chars[start..].iter().collect());
    pieces
}

/// `label` then `text`, wrapped to `width` with continuation lines indented
/// under the text's start; one line when `width` is `None`.
pub fn labelled(label: &str, text: &str, width: Option<usize>) -> Vec<String> {
    let indent = label.chars().count();
    match width {
        Some(w) if indent + text.chars().count() > w => {
            wrap_words(text, w.saturating_sub(indent).max(20))
                .into_iter()
                .enumerate()
                .map(|(i, l)| {
                    if i == 0 {
                        format!("{label}{l}")
                    } else {
                        format!("{}{l}", " ".repeat(indent))
                    }
                })
                .collect()
        }
        _ => vec![format!("{label}{text}")],
    }
}

/// `text` wrapped to `width`, continuation lines indented by `indent`.
pub fn hanging(text: &str, indent: usize, width: Option<usize>) -> Vec<String> {
    let Some(w) = width.filter(|&w| text.chars().count() > w) else {
        return vec![text.to_string()];
    };
    let mut lines = wrap_words(text, w);
    if lines.len() > 1 {
        let rest = lines.split_off(1).join(" ");
        lines.extend(labelled(&" ".repeat(indent), &rest, Some(w)));
    }
    lines
}

/// A table: the first column is left-aligned, the middle ones right-aligned,
/// the last left-aligned when `text_last` (a verdict, wrapped to fit `width`)
/// and right-aligned otherwise. Each row starts with its `prefix` (all
/// prefixes as wide as the header's). When it is wider than the width, the
/// `droppable` columns go, in that order, until it fits.
pub struct Table<'a> {
    pub header_prefix: &'a str,
    pub header: Vec<String>,
    pub rows: Vec<(&'a str, Vec<String>)>,
    pub text_last: bool,
    pub droppable: Vec<usize>,
}

/// The narrowest a wrapped last column gets.
const MIN_TEXT: usize = 20;

impl Table<'_> {
    pub fn render(&self, width: Option<usize>) -> Vec<String> {
        let Some(total) = width else {
            return self.lay_out(None);
        };
        let mut table = Table {
            header_prefix: self.header_prefix,
            header: self.header.clone(),
            rows: self.rows.clone(),
            text_last: self.text_last,
            droppable: Vec::new(),
        };
        let mut dropped: Vec<usize> = Vec::new();
        for &column in &self.droppable {
            if table.natural_width() <= total {
                break;
            }
            // Indices shift left past every column already dropped before it.
            let at = column - dropped.iter().filter(|&&d| d < column).count();
            table.header.remove(at);
            for (_, cells) in &mut table.rows {
                if at < cells.len() {
                    cells.remove(at);
                }
            }
            dropped.push(column);
        }
        table.lay_out(Some(total))
    }

    /// The width with the last column at its full length, or at its
    /// narrowest when it wraps.
    fn natural_width(&self) -> usize {
        let widths = self.widths();
        let last = widths.len() - 1;
        let text = if self.text_last {
            widths[last].min(MIN_TEXT)
        } else {
            widths[last]
        };
        self.header_prefix.chars().count()
            + widths[..last].iter().map(|w| w + 2).sum::<usize>()
            + text
    }

    fn widths(&self) -> Vec<usize> {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for (_, cells) in &self.rows {
            for (w, c) in widths.iter_mut().zip(cells) {
                *w = (*w).max(c.chars().count());
            }
        }
        widths
    }

    fn lay_out(&self, width: Option<usize>) -> Vec<String> {
        let columns = self.header.len();
        let mut widths = self.widths();
        let gap = 2;
        let prefix = self.header_prefix.chars().count();
        // The last column wraps into what the others leave of the width.
        if let (true, Some(total)) = (self.text_last, width) {
            let others: usize =
                prefix + widths[..columns - 1].iter().map(|w| w + gap).sum::<usize>();
            if others + widths[columns - 1] > total {
                widths[columns - 1] = total.saturating_sub(others).max(MIN_TEXT);
            }
        }
        let last_start = prefix + widths[..columns - 1].iter().map(|w| w + gap).sum::<usize>();
        let line = |prefix: &str, cells: &[String]| -> Vec<String> {
            let mut first = prefix.to_string();
            let mut rest = Vec::new();
            for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
                if i > 0 {
                    first.push_str(&" ".repeat(gap));
                }
                let last = i == columns - 1;
                if i == 0 || (last && self.text_last) {
                    if last {
                        let mut wrapped = wrap_words(c, *w).into_iter();
                        first.push_str(&wrapped.next().unwrap_or_default());
                        rest.extend(wrapped.map(|l| format!("{}{l}", " ".repeat(last_start))));
                    } else {
                        first.push_str(&format!("{c:<w$}"));
                    }
                } else {
                    first.push_str(&format!("{c:>w$}"));
                }
            }
            let mut out = vec![first.trim_end().to_string()];
            out.extend(rest);
            out
        };
        let mut out = line(self.header_prefix, &self.header);
        for (prefix, cells) in &self.rows {
            out.extend(line(prefix, cells));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_wrap_at_spaces_and_long_words_stay_whole() {
        assert_eq!(wrap_words("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap_words("abcdefghij x", 4), ["abcd", "efgh", "ij x"]);
        assert_eq!(
            wrap_words(r#"up{job="a",instance="b"} == 0"#, 16),
            [r#"up{job="a","#, r#"instance="b"} =="#, "0"]
        );
        assert_eq!(wrap_words("", 4), [""]);
    }

    #[test]
    fn the_last_column_wraps_to_the_width_and_lines_never_exceed_it() {
        let table = Table {
            header_prefix: "  ",
            header: vec!["candidate".into(), "pages".into(), "verdict".into()],
            rows: vec![(
                "* ",
                vec![
                    "> 0.9 for 2m".into(),
                    "5".into(),
                    "recommended: meets every mark; 0 pages outside incidents instead of 1".into(),
                ],
            )],
            text_last: true,
            droppable: Vec::new(),
        };
        let lines = table.render(Some(60));
        assert!(lines.iter().all(|l| l.chars().count() <= 60), "{lines:#?}");
        assert!(lines.len() > 2, "{lines:#?}");
        // Continuation lines start under the verdict column.
        let column = lines[0].find("verdict").unwrap();
        assert!(lines[2].starts_with(&" ".repeat(column)), "{lines:#?}");
        assert!(!lines[2][column..].starts_with(' '), "{lines:#?}");
        // Without a width, one line per row.
        assert_eq!(table.render(None).len(), 2);
    }

    #[test]
    fn droppable_columns_go_until_the_table_fits() {
        let cells = |v: &[&str]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let table = Table {
            header_prefix: "",
            header: cells(&[
                "candidate",
                "pages",
                "a long column",
                "another long one",
                "verdict",
            ]),
            rows: vec![("", cells(&["> 1", "3", "x", "y", "meets every mark"]))],
            text_last: true,
            droppable: vec![2, 3],
        };
        assert_eq!(table.render(None)[0].matches("long").count(), 2);
        let fits = table.render(Some(60));
        assert!(fits.iter().all(|l| l.chars().count() <= 60), "{fits:#?}");
        assert!(fits[0].contains("another long one"), "{fits:#?}");
        assert!(!fits[0].contains("a long column"), "{fits:#?}");
        let narrow = table.render(Some(44));
        assert!(!narrow[0].contains("long"), "{narrow:#?}");
        assert!(narrow[1].ends_with("meets every mark"), "{narrow:#?}");
    }

    #[test]
    fn a_labelled_line_wraps_under_its_text() {
        let lines = labelled(
            "  signal  ",
            "sum by (pod) (rate(x[5m])) / sum by (pod) (rate(y[5m])) > 0.5",
            Some(40),
        );
        assert!(lines.iter().all(|l| l.chars().count() <= 40), "{lines:#?}");
        assert!(
            lines[1].starts_with("          s") || lines[1].starts_with("          "),
            "{lines:#?}"
        );
        assert_eq!(labelled("a ", "b c", None), ["a b c"]);
    }
}
