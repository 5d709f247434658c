//! "Did you mean": the known name nearest a mistyped one (check ids,
//! annotation keys, alert names, runbook anchors).

/// Suggests the known name closest to `word` (for typos like `annotation`):
/// the same name in another case first, else the nearest by edit distance
/// within a third of its length (at least 2).
pub fn closest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    if let Some(same) = known.iter().find(|k| k.eq_ignore_ascii_case(word)) {
        return Some(same);
    }
    known
        .iter()
        .map(|k| (edit_distance(word, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance, in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let old = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = old;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_same_name_in_another_case_then_the_nearest() {
        let known = ["FPMPoolSaturation", "FPMListenQueueBacklog", "RedisDown"];
        assert_eq!(
            closest("fpmpoolsaturation", &known),
            Some("FPMPoolSaturation")
        );
        assert_eq!(closest("RedisDwn", &known), Some("RedisDown"));
        assert_eq!(closest("Watchdog", &known), None);
    }
}
