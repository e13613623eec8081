//! Which of fi, sv, en a message is written in.

use kanava_adapter::Lang;

use super::analyze::{fold, tokens, Analyzer};
use super::index::LangIndex;

/// Guesses the language of a short message from function words, the content vocabulary of each
/// language and tell-tale letters. Returns `None` when the evidence is too thin (a single shared
/// word such as "Enter Finland"), so the session's language holds.
pub fn detect(text: &str, indexes: &[LangIndex; 3]) -> Option<Lang> {
    let mut score = [0.0f32; 3];
    for tok in tokens(text) {
        let folded = fold(&tok);
        let mut known = [false; 3];
        for lang in Lang::ALL {
            let i = lang.index();
            if Analyzer::get(lang).is_stopword(&folded) {
                score[i] += 1.5;
                known[i] = true;
            } else if indexes[i].knows_word(&folded) {
                score[i] += 1.0;
                known[i] = true;
            }
        }
        // A word every language knows (a name, "Enter Finland") tells nothing.
        if known.iter().all(|k| *k) {
            for s in &mut score {
                *s -= 1.0;
            }
        }
        if tok.contains('å') {
            score[Lang::Sv.index()] += 2.0;
        }
        if tok.contains(['ä', 'ö']) {
            score[Lang::Fi.index()] += 0.5;
            score[Lang::Sv.index()] += 0.3;
        }
        if tok.contains(['ä', 'ö', 'å']) {
            score[Lang::En.index()] -= 1.0;
        }
    }
    let mut order = Lang::ALL;
    order.sort_by(|a, b| score[b.index()].total_cmp(&score[a.index()]));
    let (best, second) = (score[order[0].index()], score[order[1].index()]);
    (best >= 1.0 && best - second >= 0.5).then_some(order[0])
}
