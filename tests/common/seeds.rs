//! The real bulletins in ../shared/seeds, parsed into the tables the tests rebuild.

pub const GOLMUD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/seeds/004_2c1c9c1588ba5281.txt"
);
pub const HAIKOU: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/seeds/000_1b11e7057eae962e.txt"
);

pub fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("cannot read the seed bulletin {path}: {e} (shared/ must sit beside the checkout)")
    })
}

/// A ranking-table row: 序号, 单位名称, two counts (the third column, a ratio, is ignored).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub rank: u32,
    pub unit: String,
    pub a: i64,
    pub b: i64,
    pub ratio: String,
}

/// Rows of the tab-separated table that follows the line containing `title`, up to its
/// total row (合计 / 总计), and that total's two counts.
pub fn table(text: &str, title: &str) -> (Vec<Row>, (i64, i64)) {
    let mut lines = text.lines().skip_while(|l| !l.contains(title)).skip(1);
    let mut rows = Vec::new();
    for line in lines.by_ref() {
        let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
        if cols.len() >= 4 && (cols[1] == "合计" || cols[1] == "总计") {
            return (rows, (cols[2].parse().unwrap(), cols[3].parse().unwrap()));
        }
        if cols.len() == 5 {
            if let Ok(rank) = cols[0].parse() {
                rows.push(Row {
                    rank,
                    unit: cols[1].to_owned(),
                    a: cols[2].parse().unwrap(),
                    b: cols[3].parse().unwrap(),
                    ratio: cols[4].to_owned(),
                });
            }
        }
    }
    panic!("table {title} has no total row")
}

/// A row of the Golmud overdue list.
#[derive(Debug, Clone, PartialEq)]
pub struct OverdueRow {
    pub order_id: String,
    pub units: String,
    /// (year, month, day)
    pub due: (i32, u32, u32),
    pub replied: (i32, u32, u32),
    pub remark: String,
}

fn date(s: &str) -> (i32, u32, u32) {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let (y, rest) = s.split_once('年').expect("year");
    let (m, rest) = rest.split_once('月').expect("month");
    let d = rest.trim_end_matches('日');
    (y.parse().unwrap(), m.parse().unwrap(), d.parse().unwrap())
}

pub fn golmud_overdue(text: &str) -> Vec<OverdueRow> {
    text.lines()
        .skip_while(|l| !l.contains("超期工单一览表"))
        .take_while(|l| !l.contains("主要热点"))
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').map(str::trim).collect();
            (cols.len() >= 5 && cols[1].starts_with("HX")).then(|| OverdueRow {
                order_id: cols[1].to_owned(),
                units: cols[2].to_owned(),
                due: date(cols[3]),
                replied: date(cols[4]),
                remark: cols.get(5).map(|s| s.to_string()).unwrap_or_default(),
            })
        })
        .collect()
}
