//! Prints the query and index segmentation of each argument (a debugging aid).
use duijie::text::{Analyzer, Mode};

fn main() {
    for text in std::env::args().skip(1) {
        let q: Vec<String> = Analyzer::shared()
            .analyze(&text, Mode::Query)
            .into_iter()
            .map(|t| t.text)
            .collect();
        let i: Vec<String> = Analyzer::shared()
            .analyze(&text, Mode::Index)
            .into_iter()
            .map(|t| t.text)
            .collect();
        println!(
            "{text}\n  query: {}\n  index: {}",
            q.join(" / "),
            i.join(" / ")
        );
    }
}
