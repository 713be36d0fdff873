//! Reading the rendered Markdown bulletin back: sections, tables and numbered lists.

fn heading_level(line: &str) -> Option<usize> {
    let n = line.chars().take_while(|&c| c == '#').count();
    (n > 0 && line[n..].starts_with(' ')).then_some(n)
}

/// The section under the first heading that contains `title`, up to the next heading of
/// the same or a higher level (the heading line included).
pub fn section<'a>(md: &'a str, title: &str) -> &'a str {
    let mut start = None;
    let mut level = 0;
    let mut offset = 0;
    for line in md.split_inclusive('\n') {
        if let Some(l) = heading_level(line) {
            match start {
                None if line.contains(title) => {
                    start = Some(offset);
                    level = l;
                }
                Some(s) if l <= level => return &md[s..offset],
                _ => {}
            }
        }
        offset += line.len();
    }
    match start {
        Some(s) => &md[s..],
        None => panic!("no heading with {title:?} in:\n{md}"),
    }
}

/// Cells of a Markdown table row, split at unescaped `|` and unescaped.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let mut out = vec![];
    let mut cur = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '|' => out.push(std::mem::take(&mut cur).trim().to_owned()),
            c => cur.push(c),
        }
    }
    out
}

/// The body rows of the first Markdown table in `text` (header and rule left out).
pub fn md_table(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(cells)
        .collect()
}

/// Items of the numbered list under the `####` heading containing `title` in `text`.
pub fn md_list(text: &str, title: &str) -> Vec<String> {
    section(text, title)
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (n, rest) = l.split_once(". ")?;
            n.chars()
                .all(|c| c.is_ascii_digit())
                .then(|| rest.to_owned())
        })
        .collect()
}
