//! What a question asks (salary, access, duration…), whether it compares or wants a yes or a
//! no, and what the person rules out: the answer leads with the fiche's answer to exactly that.
//! Patterns are data (`data/asked.tsv`), read on the rails' plain form of the message, so
//! "c koi le salaire dun cpe" and "Quel est le salaire d'un CPE ?" are read alike.

use regex::Regex;
use retrieval::french::fold;
use retrieval::Document;
use serde::Serialize;
use std::sync::OnceLock;

const ASKED: &str = include_str!("../data/asked.tsv");
const ASKED_CONDITIONS: &str = include_str!("../data/asked-conditions.tsv");

/// One thing a question can ask, in the order an answer gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Asked {
    Salary,
    Access,
    Duration,
    Outcomes,
    /// The working conditions: hours, travel, places, alone or in a team, hardship
    /// (`data/asked-conditions.tsv`).
    Conditions,
    Procedure,
    ForMe,
    Description,
}

impl Asked {
    fn from_key(key: &str) -> Option<Asked> {
        Some(match key {
            "salaire" => Asked::Salary,
            "acces" => Asked::Access,
            "duree" => Asked::Duration,
            "debouches" => Asked::Outcomes,
            "conditions" => Asked::Conditions,
            "demarche" => Asked::Procedure,
            "pour_moi" => Asked::ForMe,
            "description" => Asked::Description,
            _ => return None,
        })
    }

    /// The key used in data files and evaluation sets.
    pub fn key(self) -> &'static str {
        match self {
            Asked::Salary => "salaire",
            Asked::Access => "acces",
            Asked::Duration => "duree",
            Asked::Outcomes => "debouches",
            Asked::Conditions => "conditions",
            Asked::Procedure => "demarche",
            Asked::ForMe => "pour_moi",
            Asked::Description => "description",
        }
    }
}

/// What the answer must address.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Question {
    /// What is asked, in answer order; empty when nothing specific is (then a general card).
    pub asked: Vec<Asked>,
    /// Two things compared ("CAP ou bac pro", "la différence entre…").
    pub comparison: bool,
    /// A question answered by yes or no ("faut-il le bac pour…").
    pub yes_no: bool,
    /// What the person rules out, folded ("professeur", "bureau").
    pub excluded: Vec<String>,
    /// Outcomes asked on the job market's side ("y a du taf ?"): a job's fiche answers.
    #[serde(skip)]
    pub employment: bool,
    /// The question's content words, folded (four letters or more, little words left out).
    #[serde(skip)]
    pub words: Vec<String>,
    /// The words that would settle its yes or no ("obligatoire"), folded.
    #[serde(skip)]
    pub settling: Vec<String>,
    /// The person's age is said or asked about ("j'ai 19 ans, je peux…", "trop vieux ?"): a
    /// fiche's age condition answers.
    #[serde(skip)]
    pub age: bool,
    /// The topics of the working conditions asked ("horaires", "deplacements"…), in the
    /// table's order.
    #[serde(skip)]
    pub conditions: Vec<&'static ConditionTopic>,
}

/// A topic of the working conditions: how a question asks it, and which of a fiche's
/// sentences answer it.
#[derive(Debug)]
pub struct ConditionTopic {
    pub name: &'static str,
    asked: Regex,
    pub answered: Regex,
}

impl PartialEq for ConditionTopic {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

pub fn condition_topics() -> &'static [ConditionTopic] {
    static T: OnceLock<Vec<ConditionTopic>> = OnceLock::new();
    T.get_or_init(|| {
        guardrails::data::rows(ASKED_CONDITIONS)
            .map(|row| {
                let [name, asked, answered] = row[..] else { panic!("asked-conditions.tsv: a row needs three columns: {row:?}") };
                let re = |p: &str| Regex::new(p).unwrap_or_else(|e| panic!("asked-conditions.tsv: {name}: {e}"));
                ConditionTopic { name, asked: re(asked), answered: re(answered) }
            })
            .collect()
    })
}

enum Pattern {
    Asked(Asked, Regex),
    /// "C'est quoi…": a description, unless something more precise is asked.
    Definition(Regex),
    Comparison(Regex),
    YesNo(Regex),
    Excluded(Regex),
    Employment(Regex),
    /// Words that settle a yes or a no ("obligatoire", "nécessaire").
    Settling(Regex),
    /// An age said or asked about.
    Age(Regex),
}

fn patterns() -> &'static [Pattern] {
    static P: OnceLock<Vec<Pattern>> = OnceLock::new();
    P.get_or_init(|| {
        guardrails::data::rows(ASKED)
            .map(|row| {
                let [key, pattern] = row[..] else { panic!("asked.tsv: a row needs two columns: {row:?}") };
                let re = Regex::new(pattern).unwrap_or_else(|e| panic!("asked.tsv: {key}: {e}"));
                match key {
                    "comparaison" => Pattern::Comparison(re),
                    "definition" => Pattern::Definition(re),
                    "oui_non" => Pattern::YesNo(re),
                    "exclut" => Pattern::Excluded(re),
                    "emploi" => Pattern::Employment(re),
                    "tranche" => Pattern::Settling(re),
                    "age" => Pattern::Age(re),
                    _ => Pattern::Asked(Asked::from_key(key).unwrap_or_else(|| panic!("asked.tsv: unknown key {key}")), re),
                }
            })
            .collect()
    })
}

fn question_word() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"\b(quoi|comment|combien|quel|quels|quelle|quelles|ou|pourquoi|quand|lequel|laquelle|qu'est|qui)\b").expect("valid pattern"))
}

/// Words of a question that say nothing of its subject.
const QUESTION_FILLERS: &[&str] = &[
    "est-ce",
    "faut",
    "faut-il",
    "peut",
    "peut-on",
    "pour",
    "dans",
    "avec",
    "sans",
    "mais",
    "plus",
    "moins",
    "tres",
    "etre",
    "avoir",
    "faire",
    "quoi",
    "comment",
    "combien",
    "quel",
    "quelle",
    "quels",
    "quelles",
    "c'est",
    "cest",
    "cette",
    "vous",
    "nous",
    "elle",
    "elles",
    "leur",
    "notre",
    "votre",
    "bonjour",
    "merci",
    "metier",
    "metiers",
    "devenir",
    "travailler",
    "veux",
    "voudrais",
    "aimerais",
    "peux",
    "pourrais",
    "encore",
    "deja",
    "aussi",
    "alors",
    "donc",
    "quand",
    "apres",
];

/// Whether a (folded) word only says that something is asked ("comment", "combien", "pour").
pub fn is_question_filler(word: &str) -> bool {
    QUESTION_FILLERS.contains(&word)
}

/// Words that say nothing about a job when ruled out.
/// Generic nouns ("pas de diplôme", "pas de stage") say what the person lacks, not a path
/// they rule out.
const EMPTY_WORDS: &[&str] = &[
    "tout",
    "trop",
    "rien",
    "quoi",
    "faire",
    "etre",
    "metier",
    "metiers",
    "boulot",
    "travail",
    "truc",
    "trucs",
    "choses",
    "longues",
    "etudes",
    "diplome",
    "diplomes",
    "licence",
    "formation",
    "formations",
    "stage",
    "stages",
    "experience",
    "niveau",
    "notes",
    "moyenne",
    "argent",
    "permis",
    "temps",
    "envie",
    "idee",
    "sais",
    "encore",
    "vraiment",
    "beaucoup",
];

impl Question {
    pub fn read(text: &str) -> Question {
        let plain = guardrails::normalise::normalise(text);
        let mut q = Question::default();
        let mut definition = false;
        for p in patterns() {
            match p {
                Pattern::Asked(asked, re) if re.is_match(&plain) => q.asked.push(*asked),
                Pattern::Comparison(re) => q.comparison |= re.is_match(&plain),
                Pattern::Definition(re) => definition |= re.is_match(&plain),
                Pattern::YesNo(re) => q.yes_no |= re.is_match(plain.trim_start()),
                Pattern::Employment(re) => q.employment |= re.is_match(&plain),
                Pattern::Settling(re) => q.settling.extend(re.find_iter(&plain).map(|m| m.as_str().to_string())),
                Pattern::Age(re) => q.age |= re.is_match(&plain),
                Pattern::Excluded(re) => {
                    for c in re.captures_iter(&plain) {
                        let what = c.name("what").map(|m| m.as_str().trim().to_string()).unwrap_or_default();
                        // "pas banque ni assurance": each thing ruled out apart.
                        for one in what.split(" ni ") {
                            // ". mais véto c trop long": the sentence's connector is not what
                            // is ruled out.
                            let one = ["mais ", "et ", "par contre ", "donc ", "sinon "].iter().fold(one.trim(), |o, c| o.strip_prefix(c).unwrap_or(o));
                            // "pas envie d'être prof": the wish's words are not what is ruled out.
                            let one =
                                ["envie d'etre ", "envie de devenir ", "envie de faire ", "envie d'"].iter().fold(one, |o, c| o.strip_prefix(c).unwrap_or(o));
                            let one = fold(&retrieval::informal::spell_out(one.trim()));
                            if one.split_whitespace().any(|w| w.chars().count() >= 3 && !EMPTY_WORDS.contains(&w)) && !q.excluded.contains(&one) {
                                q.excluded.push(one);
                            }
                        }
                    }
                }
                Pattern::Asked(..) => {}
            }
        }
        q.conditions = condition_topics().iter().filter(|t| t.asked.is_match(&plain)).collect();
        if !q.conditions.is_empty() {
            q.asked.push(Asked::Conditions);
        }
        // A comparison that only asks "what is the difference" gets the general card of each.
        if definition && q.asked.is_empty() && !q.comparison {
            q.asked.push(Asked::Description);
        }
        q.asked.sort();
        q.asked.dedup();
        q.words = plain
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| (w.chars().count() >= 4 && !QUESTION_FILLERS.contains(w)) || matches!(*w, "age" | "ans" | "bac"))
            .map(String::from)
            .collect();
        q.words.sort();
        q.words.dedup();
        // A question without a question word ("je peux devenir pilote à 31 ans ?") is answered
        // by yes or no; so is one of several ("c'est légal ? ça consiste en quoi ?").
        let clauses: Vec<&str> = plain.split_inclusive('?').filter(|c| c.trim_end().ends_with('?')).collect();
        q.yes_no |= clauses.iter().any(|c| {
            let c = c.rsplit(['.', '!']).next().unwrap_or(c);
            // "je peux quand même être cordiste ?" asks no "when".
            c.split_whitespace().count() >= 2 && !question_word().is_match(&c.replace("quand meme", ""))
        });
        q
    }

    /// Whether a name (a linked job's label) names something the person ruled out (whole
    /// words of five letters or more).
    pub fn rules_out_name(&self, name: &str) -> bool {
        let n = fold(name);
        let words: Vec<&str> = n.split(|c: char| !c.is_alphanumeric()).collect();
        self.excluded_words().filter(|w| w.len() >= 5).any(|e| words.contains(&e))
    }

    /// The words of what is ruled out, apostrophes cut ("études d'infirmière" says
    /// "infirmière"), the empty ones left out.
    fn excluded_words(&self) -> impl Iterator<Item = &str> {
        self.excluded.iter().flat_map(|e| e.split(|c: char| !c.is_alphanumeric())).filter(|w| !w.is_empty() && !EMPTY_WORDS.contains(w))
    }

    pub fn asks(&self, a: Asked) -> bool {
        self.asked.contains(&a)
    }

    /// Whether a fiche is one the person ruled out: its title, a synonym or a sector names the
    /// excluded thing. A job is matched by a word of four letters or more or its start
    /// ("enseign" for "enseignement", "enseignant"); a formation by the whole word only ("un
    /// BTS diététique, mais pas diététicien" asks about that BTS; "pas prof" rules out the
    /// certificate of "professeur de musique").
    pub fn rules_out(&self, doc: &Document) -> bool {
        if self.excluded.is_empty() {
            return false;
        }
        let names = NamesOf::new(doc);
        self.excluded_words().filter(|w| w.len() >= 4).any(|e| names.say(e))
    }

    /// Whether every word of one thing ruled out names the fiche ("professeur d'EPS" is not
    /// said of "enseignant en activité physique adaptée", though "professeur" alone may be):
    /// the stricter reading, for fiches ruled out through the jobs they lead to.
    pub fn rules_out_wholly(&self, doc: &Document) -> bool {
        let names = NamesOf::new(doc);
        self.excluded.iter().any(|phrase| {
            let mut words = phrase.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() >= 3 && !EMPTY_WORDS.contains(w)).peekable();
            words.peek().is_some() && words.all(|w| names.say(w))
        })
    }
}

/// The words of a fiche's title, synonyms and sectors, to compare with what is ruled out.
struct NamesOf {
    words: Vec<String>,
    by_start: bool,
}

impl NamesOf {
    fn new(doc: &Document) -> NamesOf {
        let mut names = vec![fold(&doc.title)];
        names.extend(doc.synonyms.iter().map(|s| fold(s)));
        names.extend(doc.facts.sectors.iter().map(|s| fold(s)));
        let words = names.iter().flat_map(|n| n.split(|c: char| !c.is_alphanumeric())).filter(|w| w.len() >= 3).map(String::from).collect();
        NamesOf { words, by_start: doc.kind == retrieval::Kind::Metier }
    }

    /// Short words must match whole ("cher" is not "chercheur"); a job's longer ones by their
    /// start ("enseign" for "enseignement", "enseignant").
    fn say(&self, e: &str) -> bool {
        if e.chars().count() < 6 || !self.by_start {
            return self.words.iter().any(|w| w == e);
        }
        let stem: String = e.chars().take(7).collect();
        self.words.iter().any(|w| w.starts_with(&stem) || (w.len() >= 6 && stem.starts_with(w.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(text: &str) -> Vec<Asked> {
        Question::read(text).asked
    }

    #[test]
    fn what_is_asked_is_read_in_every_register() {
        assert_eq!(asked("Un plombier qui débute, il gagne combien ?"), vec![Asked::Salary]);
        assert!(asked("jveu reparer des velos, on fait koi comme etude ?").contains(&Asked::Access));
        assert!(Question::read("j'ai le vertige, je peux quand même être couvreur ?").yes_no);
        assert_eq!(asked("c koi le salaire dun cpe"), vec![Asked::Salary]);
        assert!(asked("comment devenir infirmier ?").contains(&Asked::Access));
        // The way in, asked as what the training is.
        assert!(asked("je veux devenir éducateur sportif, c'est quoi la formation ?").contains(&Asked::Access));
        assert!(asked("les études c'est combien de temps pour être kiné ?").contains(&Asked::Access));
        assert_eq!(asked("combien de temps dure le BTS MCO ?"), vec![Asked::Duration]);
        assert!(asked("après un bac pro commerce on peut faire quoi ?").contains(&Asked::Outcomes));
        // Being out of work is a situation; the risk of it is an outcome asked.
        assert!(!asked("Au chômage depuis 6 mois, j'aime bricoler, des idées ?").contains(&Asked::Outcomes));
        assert!(asked("après une licence d'histoire, y a un risque de chômage ?").contains(&Asked::Outcomes));
        assert!(asked("Comment s'inscrire en BTS ? c'est sur Parcoursup ?").contains(&Asked::Procedure));
        assert!(asked("je suis timide, est-ce que le métier de vendeur est fait pour moi ?").contains(&Asked::ForMe));
        assert!(asked("c'est quoi un cordiste").contains(&Asked::Description));
        assert!(asked("Bonjour").is_empty());
        assert!(asked("C'est payé combien et la formation est longue ?").contains(&Asked::Duration));
        assert!(asked("Mon fils veut devenir chargé HSE. C'est quoi comme travail ?").contains(&Asked::Description));
        assert!(Question::read("c koi la diff entre lad jockey et jockey ?").comparison);
        assert!(Question::read("pour l'électronique, il vaut mieux un BTS ou un BUT ?").comparison);
        assert!(!Question::read("il vaut mieux avoir le bac pour être infirmier ?").comparison);
        let market = Question::read("Master de géographie en vue. Les géomaticiens, ils trouvent du boulot où ?");
        assert!(market.asks(Asked::Outcomes) && market.employment);
        assert!(!Question::read("après un BTS on peut faire quoi ?").employment);
        // Living from a job is its pay and its market.
        for living in ["comédien on peut en vivre ou pas ?", "Peut-on vivre du métier de céramiste ?", "musicien c'est payé toute l'année ?"] {
            let q = Question::read(living);
            assert!(q.asks(Asked::Salary) && q.asks(Asked::Outcomes) && q.employment, "{living}: {q:?}");
        }
        // A wish is no question: "j'aimerais vivre de l'écriture".
        assert!(!asked("j'aimerais vivre de l'écriture si possible").contains(&Asked::Salary));
        // Whether a trade hires, however it is put.
        for hiring in ["BIM manager c'est quoi ? Ça a l'air de recruter dans le BTP.", "Le secteur recrute-t-il des gens en reconversion ?"] {
            let q = Question::read(hiring);
            assert!(q.asks(Asked::Outcomes) && q.employment, "{hiring}: {q:?}");
        }
        // A verb's whole forms: "les portes qu'elle ouvre", not only its stem.
        assert!(asked("Une licence d'histoire, quelles autres portes elle ouvre ?").contains(&Asked::Outcomes));
        // An age in a question about becoming something asks its conditions.
        for q in ["Je peux devenir chauffeur de bus à 20 ans ?", "à quel âge on peut être pompier ?", "40 ans c'est trop tard pour devenir infirmière ?"] {
            assert!(asked(q).contains(&Asked::Access), "{q}: {:?}", asked(q));
        }
        assert!(!asked("J'ai 15 ans et j'aime dessiner, c'est quoi graphiste ?").contains(&Asked::Access));
        for q in [
            "Je voudrais devenir nounou. Par où je commence ?",
            "avec un CAP coiffure je peux ouvrir mon salon ?",
            "Je peux tenter le DE de moniteur éducateur ?",
        ] {
            assert!(asked(q).contains(&Asked::Access), "{q}: {:?}", asked(q));
        }
    }

    #[test]
    fn what_one_needs_asks_the_way_in() {
        assert_eq!(asked("38 ans, cariste depuis 15 ans, je veux passer conducteur routier. Qu'est-ce qu'il me faut concrètement ?"), [Asked::Access]);
        assert!(asked("il lui faut quel diplôme pour être guide de haute montagne ?").contains(&Asked::Access));
        assert!(asked("de quoi j'ai besoin pour devenir taxi ?").contains(&Asked::Access));
        // A need stated is not a question about the way in.
        assert!(!asked("mon ado adore les sports extrêmes, il lui faut un métier physique, une idée ?").contains(&Asked::Access));
    }

    #[test]
    fn working_conditions_asked_are_read_by_topic_and_a_person_s_own_life_is_not() {
        let topics = |t: &str| Question::read(t).conditions.iter().map(|c| c.name).collect::<Vec<_>>();
        assert_eq!(topics("Conducteur de train, est-ce qu'on travaille de nuit et le week-end ?"), ["horaires"]);
        assert_eq!(topics("Opérateur de raffinerie, et les horaires c'est comment ?"), ["horaires"]);
        assert_eq!(topics("Soudeur, on travaille où ? On part souvent loin de chez soi ?"), ["deplacements", "lieux"]);
        assert_eq!(topics("géomètre c'est dehors ou dans un bureau ?"), ["lieux"]);
        assert!(asked("on bosse seul ou en equipe quand on est cariste ?").contains(&Asked::Conditions));
        assert!(asked("couvreur c'est dangereux ?").contains(&Asked::Conditions));
        for own_life in [
            "je dors plus la nuit",
            "je travaille le week-end au macdo, quel bts ?",
            "j'aime travailler dehors, quels métiers ?",
            "je veux pas bosser loin de chez moi",
            "j'aime plus les horaires de la restau, quoi d'autre ?",
            "je cherche un poste où je pars souvent hors de France",
        ] {
            assert!(!asked(own_life).contains(&Asked::Conditions), "{own_life}");
        }
    }

    #[test]
    fn comparisons_and_yes_no_questions_are_recognised() {
        assert!(Question::read("quelle différence entre un BTS et un BUT ?").comparison);
        // Each side asked of both: the way in and the pay.
        let both = Question::read("Plombier ou électricien : quelle différence pour la formation et le salaire ?");
        assert!(both.comparison && both.asks(Asked::Access) && both.asks(Asked::Salary), "{:?}", both.asked);
        assert!(asked("quelles différences de diplôme entre gendarme et officier ?").contains(&Asked::Access));
        assert!(Question::read("Faut-il le bac pour être aide-soignant ?").yes_no);
        assert!(Question::read("est ce que on peut etre pompier sans diplome").yes_no);
        assert!(!Question::read("Comment devenir pompier ?").yes_no);
        assert!(Question::read("J'ai 31 ans, je peux encore devenir militaire technicien de l'air ?").yes_no);
        assert!(Question::read("Hacker éthique, c'est légal ? Ça consiste en quoi ?").yes_no);
        assert!(!Question::read("Quel salaire ? Et quelles études ?").yes_no);
    }

    #[test]
    fn what_the_person_rules_out_is_kept() {
        assert_eq!(Question::read("j'aime les enfants mais pas prof").excluded, vec!["professeur"]);
        assert_eq!(Question::read("un metier dehors, surtout pas dans un bureau !").excluded, vec!["bureau"]);
        assert!(Question::read("je sais pas quoi faire").excluded.is_empty());
        for q in [
            "Passionnée par les animaux, quel métier ?",
            "Quels métiers à partir d'un BTS comptabilité ?",
            "Pas de diplôme, je peux devenir aide-soignant ?",
            "je n'ai jamais fait de stage en informatique, c'est grave ?",
        ] {
            assert!(Question::read(q).excluded.is_empty(), "{q}: {:?}", Question::read(q).excluded);
        }
        assert_eq!(Question::read("quels métiers (mais pas banque ni assurance) ?").excluded, vec!["banque", "assurance"]);
        assert_eq!(Question::read("g peur du sang donc pas médecin ni infirmière, ya koi ?").excluded, vec!["sang", "medecin", "infirmiere"]);
        assert_eq!(Question::read("jveux aider les gens mais le sang ca me fait tomber dans les pommes").excluded, vec!["sang"]);
        assert_eq!(Question::read("j'ai la phobie des chiens, un métier dehors ?").excluded, vec!["chiens"]);
        // A fear of failing rules nothing out.
        assert!(Question::read("j'ai peur de rater, j'aime les animaux").excluded.is_empty());
        assert_eq!(Question::read("elle ne veut pas enseigner, quelles portes ?").excluded, vec!["enseigner"]);
        // A thing ruled out with its reason in brackets, or as "too long".
        assert_eq!(Question::read("j'aimerais soigner les chevaux, mais pas véto (trop d'études). Comment ?").excluded, vec!["veterinaire"]);
        assert_eq!(Question::read("j'adore les avions mais pilote c trop long pour moi").excluded, vec!["pilote"]);
        assert!(Question::read("pilote c'est trop long ?").excluded.is_empty());
        assert_eq!(Question::read("j'adore les avions. mais pilote c trop long pour moi").excluded, vec!["pilote"]);
        assert_eq!(Question::read("j'aime les langues mais je veux être ni prof ni interprète, il reste quoi ?").excluded, vec!["professeur", "interprete"]);
        assert_eq!(Question::read("j'adore l'économie, mais pas envie d'être prof. Des idées ?").excluded, vec!["professeur"]);
        // A wish given up.
        assert_eq!(Question::read("Au départ je voulais devenir psychologue mais 5 ans c'est long. Avec une licence ?").excluded, vec!["psychologue"]);
        assert_eq!(Question::read("Mon élève vise une licence d'histoire mais ne veut pas enseigner.").excluded, vec!["enseigner"]);
        assert_eq!(Question::read("jadore les chien mais jveu pas faire 6 ans detude, pas veto en tt cas").excluded, vec!["veterinaire en tout cas"]);
        assert_eq!(Question::read("Elle ne veut ni faire d'études longues ni devenir prof de chimie.").excluded, vec!["professeur de chimie"]);
        assert_eq!(Question::read("aiguilleur du ciel ? Pas pilote hein").excluded, vec!["pilote hein"]);
        assert_eq!(Question::read("après un BTS diététique, quoi à part diététicien ?").excluded, vec!["dieteticien"]);
        assert_eq!(Question::read("je veux absolument pas être avocat, trop de stress").excluded, vec!["avocat"]);
        assert_eq!(Question::read("J'ai 35 ans, je suis comptable depuis dix ans et je m'ennuie ferme. Un métier manuel ?").excluded, vec!["comptable"]);
        assert_eq!(Question::read("je suis cariste depuis 5 ans, j'en ai marre, je veux changer").excluded, vec!["cariste"]);
        assert!(Question::read("Je suis aide-soignante depuis 12 ans, je veux évoluer").excluded.is_empty());
        assert_eq!(Question::read("je veux vraiment pas du tout bosser en usine").excluded, vec!["usine"]);
        // The job named first, then turned down.
        for (q, what) in [
            ("J'aime le dessin mais enseignant d'arts plastiques, non merci. Que faire ?", "enseignant d'arts plastiques"),
            ("Être vétérinaire ne m'intéresse pas, mais soigner les animaux oui", "veterinaire"),
            ("Le métier de vétérinaire ne me tente plus. Avec les animaux, je peux faire quoi ?", "veterinaire"),
            ("viticulteur c pas pour moi mais le vin ça me plaît, ya quoi ?", "viticulteur"),
            ("Mon fils adore la cuisine mais le métier de cuisinier ne lui dit rien", "cuisinier"),
            ("Infirmier ? Non. Mais je veux aider les malades.", "infirmier"),
            ("la compta c'est pas mon truc, j'aime le contact", "comptabilite"),
        ] {
            assert!(Question::read(q).excluded.iter().any(|e| e == what), "{q}: {:?}", Question::read(q).excluded);
        }
        for q in ["Je veux être infirmier, ça m'intéresse beaucoup", "le métier de cuisinier me tente bien, c'est quoi la formation ?"] {
            assert!(Question::read(q).excluded.is_empty(), "{q}: {:?}", Question::read(q).excluded);
        }
    }

    #[test]
    fn ruled_out_fiches_are_recognised_by_title_or_sector() {
        let q = Question::read("travailler avec des enfants mais pas dans l'enseignement");
        let mut doc = Document::bare("MET.1", retrieval::Kind::Metier, "professeur/e des écoles");
        doc.facts.sectors = vec!["enseignement".into()];
        assert!(q.rules_out(&doc));
        doc.facts.sectors = vec!["santé".into()];
        doc.title = "auxiliaire de puériculture".into();
        assert!(!q.rules_out(&doc));
    }

    #[test]
    fn a_job_is_wholly_ruled_out_only_by_every_word_of_one_exclusion() {
        let mut teacher = Document::bare("MET.1", retrieval::Kind::Metier, "professeur/e de collège et de lycée");
        teacher.facts.sectors = vec!["enseignement".into()];
        let mut apa = Document::bare("MET.2", retrieval::Kind::Metier, "enseignant/e en activité physique adaptée");
        apa.synonyms = vec!["professeur d'APA".into()];
        let not_eps = Question::read("Licence STAPS : quels débouchés ? surtout pas devenir prof d'EPS");
        assert!(!not_eps.rules_out_wholly(&apa));
        let not_teaching = Question::read("J'adore l'histoire mais je ne veux pas être enseignant. C'est une impasse ?");
        assert!(not_teaching.rules_out_wholly(&teacher) && not_teaching.rules_out_wholly(&apa));
    }
}
