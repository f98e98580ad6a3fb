//! The hand-written table of expected risk levels (`testdata/risk-levels.txt`).

use std::path::PathBuf;

use expacti_core::risk::{Level, RiskEngine};

fn table() -> Vec<(Level, String, usize)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/risk-levels.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (level, cmd) = line
            .split_once(" | ")
            .unwrap_or_else(|| panic!("line {}: `level | command`", i + 1));
        out.push((
            level.trim().parse::<Level>().unwrap(),
            cmd.to_string(),
            i + 1,
        ));
    }
    out
}

#[test]
fn risk_levels_match_the_table() {
    let engine = RiskEngine::builtin().unwrap();
    let rows = table();
    assert!(rows.len() >= 300, "the table has {} commands", rows.len());
    let mut exact = 0;
    let mut off = Vec::new();
    let mut critical_below_high = Vec::new();
    let mut high_scored_low = Vec::new();
    let mut low_scored_high = 0;
    let mut lows = 0;
    let mut no_reason = Vec::new();
    for (want, cmd, line) in &rows {
        let r = engine.score_str(cmd);
        if r.level == *want {
            exact += 1;
        } else {
            off.push(format!(
                "line {line}: want {want}, got {} ({}): {cmd}  [{}]",
                r.level,
                r.score,
                r.reasons
                    .iter()
                    .map(|x| format!("{}={}", x.signal, x.score))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if *want == Level::Critical && r.level < Level::High {
            critical_below_high.push(format!("line {line}: {cmd} -> {}", r.level));
        }
        if *want == Level::High && r.level == Level::Low {
            high_scored_low.push(format!("line {line}: {cmd}"));
        }
        if *want == Level::Low {
            lows += 1;
            if r.level >= Level::High {
                low_scored_high += 1;
            }
        }
        if r.level > Level::Low && !r.reasons.iter().any(|x| x.score > 0) {
            no_reason.push(format!("line {line}: {cmd}"));
        }
    }
    let rate = exact as f64 / rows.len() as f64;
    let low_high_rate = low_scored_high as f64 / lows as f64;
    eprintln!(
        "risk table: {} commands, {exact} exact ({:.1}%); {low_scored_high}/{lows} low scored high+ ({:.1}%)\n{}",
        rows.len(),
        rate * 100.0,
        low_high_rate * 100.0,
        off.join("\n")
    );
    assert!(
        critical_below_high.is_empty(),
        "critical commands scored below high:\n{}",
        critical_below_high.join("\n")
    );
    assert!(
        high_scored_low.is_empty(),
        "high commands scored low:\n{}",
        high_scored_low.join("\n")
    );
    assert!(
        low_high_rate < 0.05,
        "{:.1}% of low commands scored high or above",
        low_high_rate * 100.0
    );
    assert!(
        no_reason.is_empty(),
        "levels above low without a reason:\n{}",
        no_reason.join("\n")
    );
    assert!(
        rate >= 0.85,
        "only {:.1}% of the table matches exactly",
        rate * 100.0
    );
}
