//! Hybrid search: the question is embedded (dense) and BM25-encoded (sparse), both run in the
//! store and are fused by reciprocal rank; passages are then grouped by fiche, and fiches whose
//! title or synonym appears word for word in the question get a boost (young users name the
//! job they mean: "c quoi le métier de cordiste").

use crate::chunk::Chunk;
use crate::document::{Document, Kind};
use crate::french::fold;
use crate::gender::GenderForms;
use crate::sparse::SparseEncoder;
use crate::store::{PayloadFilter, Store, StoreError, StoreQuery};
use inference::{Embedder, InferenceError, TextKind};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Inference(#[from] InferenceError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Hybrid,
    Dense,
    Sparse,
}

#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// Fiches returned.
    pub k: usize,
    pub kind: Option<Kind>,
    pub mode: Mode,
    /// Passages kept per fiche.
    pub passages_per_doc: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions { k: 5, kind: None, mode: Mode::Hybrid, passages_per_doc: 3 }
    }
}

/// One fiche found, with the passages that matched, best first.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub kind: Kind,
    pub title: String,
    pub url: String,
    pub score: f32,
    pub passages: Vec<Chunk>,
    /// The question writes this fiche's title or a synonym word for word.
    pub title_match: bool,
}

/// Cache key of a search: the question and everything that changes its result.
type ResultKey = (String, Option<Kind>, u8, usize, usize);

pub struct Searcher {
    store: Arc<dyn Store>,
    /// Query embeddings and whole results of recent questions: frequent questions cost a hash
    /// lookup (P12). The index does not change under a running searcher.
    embeddings: moka::sync::Cache<String, Arc<Vec<f32>>>,
    results: moka::sync::Cache<ResultKey, Arc<Vec<Hit>>>,
    embedder: Arc<dyn Embedder>,
    sparse: SparseEncoder,
    docs: HashMap<String, Document>,
    /// (folded title or synonym, doc id), for the title boost.
    titles: Vec<(String, String)>,
    /// Names of `titles` that are a trade's activity, not a fiche's own name ("fromagerie").
    activity_names: std::collections::HashSet<String>,
    /// First words of ONISEP job names ("militaire", "boulanger"), folded, four letters or more.
    job_heads: std::collections::HashSet<String>,
    /// Feminine job-title words → masculine ones: both forms find the same fiches (P4, P5).
    gender: GenderForms,
    /// Jobs named by their acronym ("CPE") get their full name added before searching.
    acronyms: crate::acronyms::Acronyms,
}

/// Weight of a title match relative to fused rank scores (RRF scores are ≤ 2/61 ≈ 0.033).
const TITLE_BOOST: f32 = 0.03;
/// Score factor of ROME fiches (a second source) against ONISEP's.
const ROME_WEIGHT: f32 = 0.8;
/// Passages considered before grouping by fiche.
const CANDIDATES: usize = 60;
/// Passages asked beyond `CANDIDATES`, so that ties at the cut are broken by id, not by the store.
const TIE_MARGIN: usize = 20;

/// Other first words of job names: `data/name-heads.tsv`, (the fiches' word, people's word).
fn name_heads() -> impl Iterator<Item = (&'static str, &'static str)> {
    include_str!("../data/name-heads.tsv")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once('\t').unwrap_or_else(|| panic!("name-heads.tsv: a row needs two columns: {l}")))
}

/// A job's name with its first word as people also say it ("chauffeur de bus").
fn with_other_head(name: &str) -> Vec<String> {
    let Some((first, rest)) = name.split_once(' ') else {
        return Vec::new();
    };
    name_heads().filter(|(head, _)| fold(first) == *head).map(|(_, other)| format!("{other} {rest}")).collect()
}

/// Job names that also mean something else: `data/other-senses.tsv`, (the name's folded
/// words, the pattern of the other sense's words).
fn other_senses() -> &'static [(String, regex::Regex)] {
    static SENSES: std::sync::OnceLock<Vec<(String, regex::Regex)>> = std::sync::OnceLock::new();
    SENSES.get_or_init(|| {
        include_str!("../data/other-senses.tsv")
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (name, pattern) = l.split_once('\t').unwrap_or_else(|| panic!("other-senses.tsv: a row needs two columns: {l}"));
                let re = regex::Regex::new(pattern).unwrap_or_else(|e| panic!("other-senses.tsv: {name}: {e}"));
                (format!(" {} ", words(&fold(name))), re)
            })
            .collect()
    })
}

/// Trades named by their shop or craft: `data/trades.tsv`, (activity, job title).
fn trades() -> impl Iterator<Item = (&'static str, &'static str)> {
    include_str!("../data/trades.tsv")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once('\t').unwrap_or_else(|| panic!("trades.tsv: a row needs two columns: {l}")))
}

impl Searcher {
    pub fn new(store: Arc<dyn Store>, embedder: Arc<dyn Embedder>, docs: Vec<Document>) -> Self {
        let gender = GenderForms::from_documents(&docs);
        // Names are compared in the form questions are searched in (feminine words in their
        // masculine form: "économie sociale" and "économie social" alike).
        let key = |name: &str| format!(" {} ", words(&fold(&gender.neutralise(name))));
        let mut titles = Vec::new();
        // Names with their last word in the singular, or their first as people also say it,
        // added where no fiche has that name.
        let mut singulars: Vec<(String, String)> = Vec::new();
        for d in &docs {
            let mut names: Vec<&str> = vec![d.title.as_str()];
            names.extend(d.title_feminine.as_deref());
            names.extend(d.title_masculine.as_deref());
            // A formation's one-word synonyms are topics ("équitation", "informatique"), not
            // names of it; its acronyms are handled below.
            names.extend(d.synonyms.iter().map(String::as_str).filter(|s| d.kind == Kind::Metier || s.split_whitespace().count() > 1));
            // A job's name of four letters is a word of its own ("juge"); shorter ones and a
            // formation's are generic ("BTS", "CAP", "nez").
            let shortest = if d.kind == Kind::Metier { 4 } else { 5 };
            for n in names {
                let f = fold(n);
                // "a/b" forms are covered by their feminine and masculine spellings.
                if f.chars().count() >= shortest && !f.contains('/') {
                    titles.push((key(n), d.id.clone()));
                    // A formation's listed words are its topics ("haltérophilie, musculation").
                    let listed = if d.kind == Kind::Metier { listed_names(n) } else { Vec::new() };
                    titles.extend(alternatives(n).iter().chain(&listed).map(|a| (key(a), d.id.clone())));
                    singulars.extend(singular_last_word(n).iter().map(|a| (key(a), d.id.clone())));
                    if d.kind == Kind::Metier {
                        let others = with_other_head(n).into_iter().flat_map(|o| alternatives(&o).into_iter().chain([o]));
                        singulars.extend(others.map(|a| (key(&a), d.id.clone())));
                    }
                }
            }
            // A formation is also named by its type and its acronym ("BTS MCO", "bac pro ASSP").
            if d.kind == Kind::Formation {
                let kind_words = if fold(&d.title).starts_with("bac pro ") { 2 } else { 1 };
                let prefix: Vec<&str> = d.title.split_whitespace().take(kind_words).collect();
                for s in d.synonyms.iter().filter(|s| crate::acronyms::looks_like_acronym(s) && s.len() >= 3 && !d.title.starts_with(s.as_str())) {
                    titles.push((key(&format!("{} {s}", prefix.join(" "))), d.id.clone()));
                    // An option's acronym of two words ("SIO SISR") is written by halves:
                    // "BTS SIO" names the diploma's options, "BTS SISR" the one.
                    if let Some((base, option)) = s.split_once(' ') {
                        for half in [base, option].into_iter().filter(|h| h.len() >= 3) {
                            titles.push((key(&format!("{} {half}", prefix.join(" "))), d.id.clone()));
                        }
                    }
                }
            }
        }
        let taken: std::collections::HashSet<String> = titles.iter().map(|(k, _)| k.clone()).collect();
        titles.extend(singulars.into_iter().filter(|(k, _)| !taken.contains(k)));
        // A diploma's options ("CAPa opérateur en industries agroalimentaires option conduite
        // de machines") are named by the diploma's name without the option, unless a fiche
        // has that name itself: "le CAPa opérateur en industries agroalimentaires" names its
        // options (both, like "BTS SIO"; three or more share it and it names none).
        let taken: std::collections::HashSet<String> = titles.iter().map(|(k, _)| k.clone()).collect();
        for d in docs.iter().filter(|d| d.kind == Kind::Formation) {
            if let Some((diploma, _)) = d.title.split_once(" option ") {
                let k = key(diploma);
                if fold(diploma).chars().count() >= 5 && !taken.contains(&k) {
                    titles.push((k, d.id.clone()));
                }
            }
        }
        // "CAP coiffure" for "CAP métiers de la coiffure", "bac pro électricité" for "bac pro
        // métiers de l'électricité et de ses environnements connectés": people leave out
        // "métiers de", unless another fiche has the shorter name.
        for d in docs.iter().filter(|d| d.kind == Kind::Formation) {
            if let Some((kind, trade)) = d.title.split_once(" métiers ") {
                let k = key(&format!("{kind} {trade}"));
                if kind.split_whitespace().count() <= 2 && !taken.contains(&k) {
                    titles.push((k, d.id.clone()));
                }
            }
        }
        // A trade named by its shop or its craft ("ouvrir une fromagerie"), and "conseil en
        // génétique" for "conseiller en génétique": the job, unless a fiche has that name.
        let taken: std::collections::HashSet<String> = titles.iter().map(|(k, _)| k.clone()).collect();
        let trades: Vec<(String, String)> = trades().map(|(activity, job)| (key(activity), key(job))).collect();
        let mut activities: Vec<(String, String)> = Vec::new();
        let mut fields: Vec<(String, String)> = Vec::new();
        for d in docs.iter().filter(|d| d.kind == Kind::Metier) {
            let masculine = fold(d.title_masculine.as_deref().unwrap_or(&d.title));
            if let Some(field) = masculine.strip_prefix("conseiller en ") {
                fields.push((key(&format!("conseil en {field}")), d.id.clone()));
            }
        }
        for (title, id) in titles.iter().filter(|(_, id)| id.starts_with("MET.")) {
            activities.extend(trades.iter().filter(|(_, job)| job == title).map(|(activity, _)| (activity.clone(), id.clone())));
        }
        let activities: Vec<(String, String)> = activities.into_iter().filter(|(k, _)| !taken.contains(k)).collect();
        let activity_names: std::collections::HashSet<String> = activities.iter().map(|(k, _)| k.clone()).collect();
        let job_heads = titles
            .iter()
            .filter(|(_, id)| id.starts_with("MET."))
            .filter_map(|(k, _)| k.split_whitespace().next().filter(|w| w.chars().count() >= 4).map(str::to_string))
            .collect();
        titles.extend(activities);
        titles.extend(fields.into_iter().filter(|(k, _)| !taken.contains(k)));
        let acronyms = crate::acronyms::Acronyms::from_documents(&docs);
        let docs = docs.into_iter().map(|d| (d.id.clone(), d)).collect();
        Searcher {
            gender,
            acronyms,
            store,
            embedder,
            sparse: SparseEncoder::french(),
            docs,
            titles,
            activity_names,
            job_heads,
            embeddings: moka::sync::Cache::new(10_000),
            results: moka::sync::Cache::new(10_000),
        }
    }

    pub fn document(&self, id: &str) -> Option<&Document> {
        self.docs.get(id)
    }

    pub fn documents(&self) -> impl Iterator<Item = &Document> {
        self.docs.values()
    }

    /// The job an acronym of the question stands for ("CPE" → "conseiller principal d'éducation").
    pub fn acronyms(&self) -> &crate::acronyms::Acronyms {
        &self.acronyms
    }

    /// A shared handle on the embedder (the rails' semantic layer encodes with it too).
    pub fn embedder_handle(&self) -> Arc<dyn Embedder> {
        self.embedder.clone()
    }

    pub fn embedder(&self) -> &dyn Embedder {
        self.embedder.as_ref()
    }

    pub fn query_vector(&self, question: &str) -> Result<Vec<f32>, SearchError> {
        if let Some(v) = self.embeddings.get(question) {
            return Ok(v.as_ref().clone());
        }
        let v = self.embedder.embed(&[self.normalise(question).as_str()], TextKind::Query)?.remove(0);
        self.embeddings.insert(question.to_string(), Arc::new(v.clone()));
        Ok(v)
    }

    /// What is searched for a question: acronyms of jobs and shortened words spelled out,
    /// feminine job titles in their masculine form (both forms then find the same fiches).
    pub fn normalise(&self, question: &str) -> String {
        self.gender.neutralise(&crate::informal::spell_out(&self.acronyms.expand(question)))
    }

    /// Forget cached embeddings and results (benchmarks measure the uncached path).
    pub fn clear_cache(&self) {
        self.embeddings.invalidate_all();
        self.results.invalidate_all();
    }

    /// Cosine similarity of the closest passage: how well the corpus covers the question at
    /// all (fused rank scores do not say that). Used for the "no answer" threshold.
    pub fn coverage(&self, dense: &[f32]) -> Result<f32, SearchError> {
        let q = StoreQuery { dense: Some(dense.to_vec()), sparse: None, filter: Default::default(), limit: 1, prefetch: 1 };
        Ok(self.store.query(&q)?.first().map(|h| h.score).unwrap_or(0.0))
    }

    /// Fiches whose profile passes `filter` (interests, level…), closest to the question's
    /// vector first, one per fiche (its identity passage), with their cosine similarity.
    pub fn profile_search(&self, dense: &[f32], filter: PayloadFilter, limit: usize) -> Result<Vec<(String, f32)>, SearchError> {
        let filter = PayloadFilter { section: Some("identite".into()), ..filter };
        let q = StoreQuery { dense: Some(dense.to_vec()), sparse: None, filter, limit, prefetch: limit };
        Ok(self.store.query(&q)?.into_iter().map(|h| (h.chunk.doc_id, h.score)).collect())
    }

    pub fn search(&self, question: &str, opts: &SearchOptions) -> Result<Vec<Hit>, SearchError> {
        // A repeated question is answered from the result cache without embedding it again.
        if let Some(hits) = self.results.get(&result_key(question, opts)) {
            return Ok(hits.as_ref().clone());
        }
        let dense = match opts.mode {
            Mode::Sparse => None,
            _ => Some(self.query_vector(question)?),
        };
        self.search_with_vector(question, dense, opts)
    }

    /// Search with a dense vector already computed (cached), or none for sparse only.
    pub fn search_with_vector(&self, question: &str, dense: Option<Vec<f32>>, opts: &SearchOptions) -> Result<Vec<Hit>, SearchError> {
        let key = result_key(question, opts);
        if let Some(hits) = self.results.get(&key) {
            return Ok(hits.as_ref().clone());
        }
        let hits = self.search_uncached(question, dense, opts)?;
        self.results.insert(key, Arc::new(hits.clone()));
        Ok(hits)
    }

    fn search_uncached(&self, question: &str, dense: Option<Vec<f32>>, opts: &SearchOptions) -> Result<Vec<Hit>, SearchError> {
        let question = self.normalise(question);
        let question = question.as_str();
        let sparse = match opts.mode {
            Mode::Dense => None,
            _ => Some(self.sparse.query(question)),
        };
        let dense = if opts.mode == Mode::Sparse { None } else { dense };
        // Fused ranks tie often (RRF gives 1/61 to every passage only one list found first),
        // and the store orders ties as it likes: a few more are asked for, then ties are broken
        // by point id before the cut, so the same question always ranks the same fiches.
        let q =
            StoreQuery { dense, sparse, filter: PayloadFilter { kind: opts.kind, ..Default::default() }, limit: CANDIDATES + TIE_MARGIN, prefetch: CANDIDATES };
        let mut hits = self.store.query(&q)?;
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.point_id.cmp(&b.point_id)));
        hits.truncate(CANDIDATES);
        // Group passages by fiche: a fiche scores by its best passage plus a little for each
        // further matching passage (evidence spread over several sections).
        let mut by_doc: Vec<Hit> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for h in hits {
            let i = *index.entry(h.chunk.doc_id.clone()).or_insert_with(|| {
                by_doc.push(Hit {
                    id: h.chunk.doc_id.clone(),
                    kind: h.chunk.kind,
                    title: h.chunk.title.clone(),
                    url: h.chunk.url.clone(),
                    score: 0.0,
                    passages: Vec::new(),
                    title_match: false,
                });
                by_doc.len() - 1
            });
            let hit = &mut by_doc[i];
            hit.score += if hit.passages.is_empty() { h.score } else { h.score * 0.25 };
            if hit.passages.len() < opts.passages_per_doc {
                hit.passages.push(h.chunk);
            }
        }
        if opts.mode != Mode::Dense {
            self.boost_titles(question, opts.kind, &mut by_doc);
        }
        // ONISEP first: a ROME fiche outranks an ONISEP one only when clearly closer.
        for h in by_doc.iter_mut().filter(|h| crate::rome::is_rome_document(&h.id)) {
            h.score *= ROME_WEIGHT;
        }
        by_doc.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        by_doc.truncate(opts.k);
        Ok(by_doc)
    }

    /// Fiches the question names by their title, a synonym or an acronym, in the order they
    /// are named; a name inside a longer one ("infirmier" in "infirmier de bloc opératoire")
    /// does not count. ROME fiches are left out: they are a second source.
    pub fn named(&self, question: &str) -> Vec<String> {
        self.named_in_context(question).into_iter().map(|(id, _)| id).collect()
    }

    /// The fiches named, in the order of their first mention, each with the words just before
    /// every one of its mentions (folded, little words left out, the first mention's first):
    /// "je suis aide a domicile" tells the person's situation, "devenir" a goal.
    pub fn named_in_context(&self, question: &str) -> Vec<(String, Vec<String>)> {
        let (q, kept) = self.mentions(question);
        let mut ids: Vec<(String, Vec<String>)> = Vec::new();
        for (start, _, id) in kept {
            let before: Vec<&str> = q[..start].split_whitespace().collect();
            let before = before[before.len().saturating_sub(4)..].join(" ");
            match ids.iter_mut().find(|(i, _)| i == id) {
                Some((_, befores)) => befores.push(before),
                None => ids.push((id.to_string(), vec![before])),
            }
        }
        ids
    }

    /// Whether a word (as a question writes it) is the first word of a job's name: "militaire"
    /// ("militaire technicien de l'air"), though no fiche is named by it alone.
    pub fn is_job_head(&self, word: &str) -> bool {
        self.job_heads.contains(words(&fold(&self.normalise(word))).as_str())
    }

    /// Fiches the question names only by their trade's activity ("ouvrir une fromagerie":
    /// `data/trades.tsv`): in a message that states tastes, a domain rather than a goal.
    pub fn named_by_activity(&self, question: &str) -> Vec<String> {
        let (q, kept) = self.mentions(question);
        let by_activity = |id: &str| kept.iter().filter(|k| k.2 == id).all(|(start, end, _)| self.activity_names.contains(&q[*start..*end]));
        let mut ids: Vec<String> = kept.iter().filter(|k| by_activity(k.2)).map(|k| k.2.to_string()).collect();
        ids.dedup();
        ids
    }

    /// The fiches named, each with the name as the question writes it (folded words).
    pub fn named_with_names(&self, question: &str) -> Vec<(String, String)> {
        let (q, kept) = self.mentions(question);
        kept.into_iter().map(|(start, end, id)| (id.to_string(), q[start..end].trim().to_string())).collect()
    }

    /// Where the question writes a fiche's title or synonym, in its folded words, in order: a
    /// name inside a longer one and a name three fiches share are left out.
    fn mentions(&self, question: &str) -> (String, Vec<(usize, usize, &str)>) {
        let q = format!(" {} ", words(&fold(&self.normalise(question))));
        let mut found: Vec<(usize, usize, &str)> = Vec::new(); // (start, end, id)
        for (title, id) in &self.titles {
            if crate::rome::is_rome_document(id) {
                continue;
            }
            let mut from = 0;
            while let Some(at) = q[from..].find(title.as_str()) {
                let start = from + at;
                found.push((start, start + title.len(), id.as_str()));
                from = start + 1;
            }
        }
        let inside = |a: &(usize, usize, &str), b: &(usize, usize, &str)| b.0 <= a.0 && a.1 <= b.1 && (b.1 - b.0) > (a.1 - a.0);
        // A name three fiches share ("informatique", "Polytech") names none of them.
        let shared = |a: &(usize, usize, &str)| found.iter().filter(|b| b.0 == a.0 && b.1 == a.1 && b.2 != a.2).count() >= 2;
        // "les serveurs, le code": a name the question uses in another sense names no fiche.
        let other_sense = |a: &(usize, usize, &str)| other_senses().iter().any(|(name, re)| q[a.0..a.1] == *name && re.is_match(&q));
        let mut kept: Vec<(usize, usize, &str)> =
            found.iter().filter(|a| !found.iter().any(|b| inside(a, b)) && !shared(a) && !other_sense(a)).copied().collect();
        kept = self.shared_names_narrowed(&q, kept);
        kept.sort_by_key(|k| k.0);
        for k in kept.iter_mut() {
            if let Some((id, end)) = self.qualified(&q, k) {
                *k = (k.0, end, id);
            }
        }
        (q, kept)
    }

    /// A name several fiches share ("bts sio", both options) names only one of them when the
    /// question also names that one otherwise, or says next a word only that one's names hold
    /// ("BTS SIO option SLAM": "bts slam" is option B's); "BTS SIO : SISR ou SLAM ?" still names
    /// both. `mentions`: (start, end, fiche id) in `q`.
    fn shared_names_narrowed<'a>(&self, q: &str, mentions: Vec<(usize, usize, &'a str)>) -> Vec<(usize, usize, &'a str)> {
        let mentions = named_otherwise_first(mentions);
        let next_word = |end: usize| q[end..].split_whitespace().find(|w| !OPTION_WORDS.contains(w) && w.chars().count() >= 3).map(|w| format!(" {w} "));
        let holds = |id: &str, word: &str| self.titles.iter().any(|(t, i)| i == id && t.contains(word));
        mentions
            .iter()
            .filter(|m| {
                let sharing: Vec<&str> = mentions.iter().filter(|o| (o.0, o.1) == (m.0, m.1)).map(|o| o.2).collect();
                if sharing.len() < 2 {
                    return true;
                }
                let Some(word) = next_word(m.1) else { return true };
                let holders: Vec<&&str> = sharing.iter().filter(|id| holds(id, &word)).collect();
                holders.len() != 1 || *holders[0] == m.2
            })
            .copied()
            .collect()
    }

    /// A name followed by a word that qualifies it ("surveillant de prison"): when exactly one
    /// other fiche has a name that starts with that name and a name holding that word
    /// ("surveillant de centre pénitentiaire", "gardien de prison"), the person names that one
    /// ("surveillant" alone is another job's synonym). Returns it and where the mention ends.
    fn qualified(&self, q: &str, k: &(usize, usize, &str)) -> Option<(&str, usize)> {
        let name = &q[k.0..k.1];
        let next = q[k.1..].split_whitespace().next().filter(|w| w.chars().count() >= 4)?;
        let word = format!(" {next} ");
        let holds_word = |id: &str| self.titles.iter().any(|(t, i)| i == id && t.contains(&word));
        // The word is the named fiche's own ("policier (gardien de la paix)"): no other is meant.
        if holds_word(k.2) {
            return None;
        }
        let mut others: Vec<&str> = self
            .titles
            .iter()
            .filter(|(t, id)| id != k.2 && t.len() > name.len() && t.starts_with(name) && !crate::rome::is_rome_document(id))
            .map(|(_, id)| id.as_str())
            .filter(|id| holds_word(id))
            .collect();
        others.sort_unstable();
        others.dedup();
        match others[..] {
            [one] => Some((one, k.1 + next.len() + 1)),
            _ => None,
        }
    }

    fn boost_titles(&self, question: &str, kind: Option<Kind>, hits: &mut Vec<Hit>) {
        let q = format!(" {} ", words(&fold(question)));
        let mut best: HashMap<&str, usize> = HashMap::new();
        for (title, id) in &self.titles {
            if q.contains(title.as_str()) {
                let len = title.len();
                let e = best.entry(id.as_str()).or_insert(0);
                *e = (*e).max(len);
            }
        }
        if best.is_empty() {
            return;
        }
        // Longer matches are more specific ("infirmier de bloc opératoire" over "infirmier").
        let longest = *best.values().max().unwrap_or(&1) as f32;
        for (id, len) in best {
            let Some(doc) = self.docs.get(id) else {
                continue;
            };
            if kind.is_some_and(|k| k != doc.kind) {
                continue;
            }
            let boost = TITLE_BOOST * (len as f32 / longest);
            match hits.iter_mut().find(|h| h.id == id) {
                Some(h) => {
                    h.score += boost;
                    h.title_match = true;
                }
                None => hits.push(Hit {
                    id: doc.id.clone(),
                    kind: doc.kind,
                    title: doc.display_title(),
                    url: doc.url.clone(),
                    score: boost,
                    passages: crate::chunk::chunk_document(doc).into_iter().take(1).collect(),
                    title_match: true,
                }),
            }
        }
    }
}

fn result_key(question: &str, opts: &SearchOptions) -> ResultKey {
    (question.to_string(), opts.kind, opts.mode as u8, opts.k, opts.passages_per_doc)
}

/// The names a title joins with "ou" ("conducteur de bus ou d'autocar" → "conducteur de bus",
/// "conducteur d'autocar"; "inspecteur des douanes, des finances publiques ou du travail"): a
/// person names one of them. Only when every alternative is a complement of the same head and
/// nothing follows that could qualify them all ("chef d'équipe ou d'atelier en décolletage"
/// would make "chef d'équipe" name one craft's fiche).
fn alternatives(name: &str) -> Vec<String> {
    let Some((left, last)) = name.split_once(" ou ") else {
        return Vec::new();
    };
    let mut parts: Vec<&str> = left.split(", ").collect();
    let first = parts.remove(0);
    parts.push(last);
    let preposition = |w: &str| matches!(w, "de" | "du" | "des" | "en" | "au" | "aux") || w.starts_with("d'") || w.starts_with("d’");
    let first_words: Vec<&str> = first.split_whitespace().collect();
    let Some(at) = first_words.iter().rposition(|w| preposition(w)) else {
        return Vec::new();
    };
    let complement = |part: &str| {
        let w: Vec<&str> = part.split_whitespace().collect();
        !w.is_empty() && preposition(w[0]) && !w[1..].iter().any(|x| preposition(x))
    };
    if at == 0 || !parts.iter().all(|p| complement(p)) {
        return Vec::new();
    }
    let head = first_words[..at].join(" ");
    std::iter::once(first.to_string()).chain(parts.iter().map(|p| format!("{head} {p}"))).collect()
}

/// A name that lists one-word names ("lad-jockey, lad-driver", "truqueur, truquiste"):
/// each of them. Lists of three or more, or of several words, are a job's fields, not names
/// ("ingénieur sécurité, environnement, prévention").
fn listed_names(name: &str) -> Vec<String> {
    let parts: Vec<&str> = name.split(", ").map(str::trim).collect();
    let one_word = |p: &&str| !p.is_empty() && !p.contains(char::is_whitespace) && !p.contains(['(', ')']);
    if parts.len() == 2 && parts.iter().all(one_word) {
        parts.into_iter().map(str::to_string).collect()
    } else {
        Vec::new()
    }
}

/// A name of several words ending in a plural ("administrateur de réseaux"), with that word in
/// the singular, as people write it ("administrateur réseau").
fn singular_last_word(name: &str) -> Vec<String> {
    let Some((head, last)) = name.trim().rsplit_once(' ') else {
        return Vec::new();
    };
    let folded = fold(last);
    // "réseaux" → "réseau", "engins" → "engin"; not "frais", "process", "bus".
    let plural = folded.ends_with("eaux") || (folded.len() > 4 && folded.ends_with('s') && !["ss", "us", "is"].iter().any(|e| folded.ends_with(e)));
    if !plural {
        return Vec::new();
    }
    let singular = &last[..last.len() - 1];
    vec![format!("{head} {singular}")]
}

/// Little words a name may or may not carry ("licence mention histoire", "licence d'histoire").
const NAME_FILLERS: &[&str] = &["de", "d", "du", "des", "la", "le", "les", "l", "en", "mention", "specialite"];

/// Words only, single-spaced, little words left out, each in its singular: "la licence
/// mention d'histoire" → "licence histoire", "les géomaticiens" → "geomaticien". Names in the
/// index and in questions are compared in this form.
fn words(folded: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut after_plural_article = false;
    for w in folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        if !NAME_FILLERS.contains(&w) {
            out.push(if after_plural_article { singular(w) } else { w });
        }
        after_plural_article = PLURAL_ARTICLES.contains(&w);
    }
    out.join(" ")
}

/// A name two fiches share ("bts sio" for both options) names only the one the question also
/// names otherwise ("BTS SIO option SLAM"), when one is; "BTS SIO : SISR ou SLAM ?" still names
/// both. `mentions`: (start, end, fiche id).
fn named_otherwise_first(mentions: Vec<(usize, usize, &str)>) -> Vec<(usize, usize, &str)> {
    let elsewhere = |id: &str, at: (usize, usize)| mentions.iter().any(|m| m.2 == id && (m.0, m.1) != at);
    mentions
        .iter()
        .filter(|m| {
            let at = (m.0, m.1);
            elsewhere(m.2, at) || !mentions.iter().any(|o| (o.0, o.1) == at && o.2 != m.2 && elsewhere(o.2, at))
        })
        .copied()
        .collect()
}

/// Words between a diploma's name and its option's ("BTS SIO option SLAM").
const OPTION_WORDS: &[&str] = &["option", "parcours", "mention", "specialite", "en"];

/// Words after which a noun is plural ("les géomaticiens"): an adjective's plural ("séries
/// policières") stays as written, so it does not name a job ("policier").
const PLURAL_ARTICLES: &[&str] = &["les", "des", "ces", "aux", "mes", "tes", "ses", "nos", "vos", "leurs"];

/// A plural's final "s" (or "x" after "eau") dropped, on both sides of a comparison, so that
/// words whose singular ends in "s" ("bois", "cours") are cut alike and still match.
fn singular(word: &str) -> &str {
    if word.len() > 4 && !word.ends_with("ss") {
        if let Some(w) = word.strip_suffix('s').or_else(|| word.strip_suffix('x').filter(|w| w.ends_with("eau"))) {
            return w;
        }
    }
    word
}

#[cfg(test)]
mod tests {
    use super::alternatives;

    #[test]
    fn a_title_joined_by_ou_names_each_alternative() {
        assert_eq!(alternatives("conducteur de bus ou d'autocar"), vec!["conducteur de bus", "conducteur d'autocar"]);
        assert_eq!(alternatives("professeur de maths ou de physique-chimie"), vec!["professeur de maths", "professeur de physique-chimie"]);
        assert_eq!(
            alternatives("inspecteur des douanes, des finances publiques ou du travail"),
            vec!["inspecteur des douanes", "inspecteur des finances publiques", "inspecteur du travail"]
        );
        assert_eq!(
            alternatives("mécanicien de maintenance des matériels agricoles ou d'espaces verts"),
            vec!["mécanicien de maintenance des matériels agricoles", "mécanicien de maintenance d'espaces verts"]
        );
        // A qualifier after the alternatives may apply to both; no complement, no head.
        assert!(alternatives("chef d'équipe ou d'atelier en décolletage").is_empty());
        assert!(alternatives("chargé d'études qualitatives ou quantitatives").is_empty());
        assert!(alternatives("responsable ou spécialiste produit").is_empty());
        assert!(alternatives("boulanger").is_empty());
    }

    #[test]
    fn names_listed_and_plurals_are_names_too() {
        assert_eq!(super::listed_names("lad-jockey, lad-driver"), vec!["lad-jockey", "lad-driver"]);
        assert!(super::listed_names("ingénieur sécurité, environnement, prévention").is_empty());
        assert!(super::listed_names("spécialiste produits, matériels et dispositifs médicaux").is_empty());
        assert!(super::listed_names("garde (chasse, pêche)").is_empty());
        assert_eq!(super::singular_last_word("administrateur de réseaux"), vec!["administrateur de réseau"]);
        assert_eq!(super::singular_last_word("conducteur d'engins"), vec!["conducteur d'engin"]);
        assert!(super::singular_last_word("vendeur en produits frais").is_empty());
        assert!(super::singular_last_word("agent de process").is_empty() && super::singular_last_word("boulanger").is_empty());
        assert_eq!(super::with_other_head("conducteur de bus ou d'autocar"), vec!["chauffeur de bus ou d'autocar"]);
        assert!(super::with_other_head("boulanger").is_empty() && super::with_other_head("agent de conduite").is_empty());
    }

    #[test]
    fn a_shared_name_names_the_fiche_named_otherwise_too() {
        // "bts sio" (both options) … "slam" (option B only).
        let options = vec![(1, 8, "FOR.A"), (1, 8, "FOR.B"), (16, 20, "FOR.B")];
        assert_eq!(super::named_otherwise_first(options), vec![(1, 8, "FOR.B"), (16, 20, "FOR.B")]);
        // Each option named: both stay.
        let both = vec![(1, 8, "FOR.A"), (1, 8, "FOR.B"), (12, 16, "FOR.A"), (20, 24, "FOR.B")];
        assert_eq!(super::named_otherwise_first(both.clone()), both);
        // Neither named otherwise: both stay.
        let neither = vec![(1, 8, "FOR.A"), (1, 8, "FOR.B")];
        assert_eq!(super::named_otherwise_first(neither.clone()), neither);
    }

    #[test]
    fn names_are_compared_in_the_singular() {
        assert_eq!(super::words("les geomaticiens"), "geomaticien");
        assert_eq!(super::words("des charpentiers"), super::words("charpentier"));
        assert_eq!(super::words("des bureaux d'etudes"), "bureau etudes");
        assert_eq!(super::words("les bts"), "bts");
        // An adjective's plural is not a job's name.
        assert_eq!(super::words("les series policieres"), "serie policieres");
    }
}
