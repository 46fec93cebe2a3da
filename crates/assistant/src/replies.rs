//! Fixed French replies for the rails' decisions: plain words, tu-form, no model involved.

use guardrails::courtesy::Courtesy;
use guardrails::Verdict;

/// The help lines, written once for the distress reply and the counsellor's suggestions.
macro_rules! help_numbers {
    () => {
        "Tu peux parler tout de suite, gratuitement, à des personnes formées pour t'écouter :\n\
• 3114 : si tu as des idées de suicide ou si tu penses à te faire du mal (24 h/24, 7 j/7)\n\
• 119 : si tu es en danger ou maltraité·e, à la maison ou ailleurs (24 h/24)\n\
• 3018 : si on te harcèle, à l'école ou sur internet\n\
• 15 ou 112 : en cas d'urgence, si tu es en danger maintenant\n"
    };
}

pub const DISTRESS: &str = concat!(
    "Merci de me l'avoir dit. Ce que tu vis compte, et tu n'as pas à rester seul·e avec ça.\n",
    help_numbers!(),
    "Je transmets aussi ta demande en priorité à un conseiller ou une conseillère, qui va te répondre ici."
);

/// After the help, the paths a handed-off message also asked for (see
/// `rails::also_answered_after_help`).
pub const PATHS_AFTER_HELP: &str =
    "\n\nTu m'as aussi demandé des pistes. En attendant le conseiller ou la conseillère, en voici quelques-unes, à regarder quand tu veux :\n\n";
/// The same, when the message told what the person likes without asking anything.
pub const PATHS_AFTER_HELP_FOR_TASTES: &str =
    "\n\nTu m'as aussi dit ce que tu aimes. En attendant le conseiller ou la conseillère, voici quelques pistes, à regarder quand tu veux :\n\n";
/// The same, when the message asked for paths without saying what the person likes.
pub const TASTES_ASKED_AFTER_HELP: &str = "\n\nTu m'as aussi demandé des pistes. En attendant le conseiller ou la conseillère :\n\n";

/// A counsellor's starting draft for a user in distress: to be rewritten in their own words.
pub const COUNSELLOR_DISTRESS_DRAFT: &str = concat!(
    "Bonjour, je suis conseiller·ère d'orientation et j'ai lu ton message. Merci de l'avoir écrit. ",
    "Je suis là pour t'écouter, et tu peux me dire ce qui se passe, à ton rythme.\n",
    help_numbers!(),
    "Si tu es en danger maintenant, appelle le 15 ou le 112."
);

pub const HUMAN: &str = "D'accord. Je transmets ta demande à un conseiller ou une conseillère, qui va te répondre ici. \
Ce que tu as écrit lui sera montré (sans tes données personnelles). Tu peux continuer à écrire en attendant.";

/// The answer to "t'es un robot ?", "je parle à une vraie personne ?" (P1): the truth, what
/// the answers rest on, and how to reach a person (P7).
pub const AI_QUESTION: &str = "Je suis un assistant automatique : un programme d'intelligence artificielle, pas une personne. \
Je réponds avec les fiches officielles de l'Onisep sur les métiers et les formations, et je peux me tromper. \
Si tu préfères parler à un conseiller ou une conseillère, écris-le-moi : une vraie personne te répondra.";

/// Replies to a message made only of courtesies (`guardrails::courtesy`): no fiche is looked up
/// for "bonjour" or "merci, à demain".
pub const COURTESY_GREETING: &str = "Bonjour ! Je peux t'aider à découvrir des métiers et des formations. \
Pose-moi ta question, ou dis-moi ce que tu aimes faire : je te proposerai des pistes.";
pub const COURTESY_THANKS: &str = "Avec plaisir ! Si tu as une autre question sur un métier ou une formation, je suis là.";
pub const COURTESY_LEAVE: &str = "À bientôt ! Tu peux revenir quand tu veux. \
Et si tu as envie d'en parler avec une personne, un conseiller ou une conseillère peut te répondre.";
pub const COURTESY_ACK: &str = "D'accord ! Tu as une autre question sur un métier ou une formation ?";

/// The reply to a message made only of these courtesies: a goodbye first, then thanks, then a
/// greeting.
pub fn courtesy(kinds: &[Courtesy]) -> &'static str {
    if kinds.contains(&Courtesy::Leave) {
        COURTESY_LEAVE
    } else if kinds.contains(&Courtesy::Thanks) {
        COURTESY_THANKS
    } else if kinds.iter().all(|k| matches!(k, Courtesy::Ack)) {
        COURTESY_ACK
    } else {
        COURTESY_GREETING
    }
}

pub const INJECTION: &str = "Je ne peux pas changer mes règles ni inventer des informations : je réponds seulement \
avec les fiches officielles de l'Onisep. Pose-moi ta question sur un métier ou une formation !";

pub const OUT_OF_SCOPE: &str = "Je ne peux pas t'aider pour ça : je suis là pour parler d'orientation. \
Je peux t'expliquer un métier, une formation, un diplôme ou les études pour y arriver. Qu'est-ce qui t'intéresse ?";

pub const DISCRIMINATION_REFUSE: &str = "Je ne fais pas de liste de métiers ou de classement selon l'origine, la religion \
ou la couleur de peau : ça n'a aucun sens pour choisir un métier. Chaque personne est différente. \
Dis-moi plutôt ce que tu aimes faire, et je te montre des pistes.";

pub const DELEGATION_REFUSE: &str = "Ne donne jamais tes identifiants ni ton mot de passe, à personne. Je ne peux pas \
faire tes démarches à ta place, mais un conseiller ou une conseillère peut t'aider à remplir tes vœux avec toi.";

pub const CARE_STEREOTYPE: &str = "Aucun métier n'est réservé aux filles ou aux garçons, ni à une origine : ce qui compte, \
ce sont tes goûts, ton projet et ta formation.\n\n";
pub const CARE_DELEGATION: &str = "Je ne peux pas décider à ta place, et personne ne peut dire à l'avance ce dont tu es capable. \
Je peux te donner des pistes pour t'aider à choisir, et tu peux en parler avec un conseiller ou une conseillère.\n\n";
pub const CARE_DISABILITY: &str = "Un handicap ne ferme pas de porte a priori : des aménagements existent (par exemple un \
tiers-temps aux examens) et un référent handicap peut t'accompagner. Certains métiers ont des règles d'aptitude médicale : \
la fiche le dit quand c'est le cas.\n\n";
pub const CARE_DISCRIMINATION: &str = "Toutes les voies sont ouvertes, quels que soient ton origine, ton quartier, ton milieu \
ou un handicap : ce qui compte, ce sont tes goûts et ton projet. Il existe aussi des aides (bourses, internats, \
dispositifs d'égalité des chances).\n\n";
pub const CARE_TERRITORY: &str = "Où que tu habites, toutes les formations te sont ouvertes : il existe des internats, \
l'apprentissage, des formations à distance et des aides pour se loger ou se déplacer (aussi pour les élèves des outre-mer).\n\n";
pub const CARE_SOCIAL: &str = "Le métier ou les études de tes parents ne décident pas de ton avenir : tu peux viser les études \
que tu veux. Des bourses, des logements étudiants et des programmes d'égalité des chances existent pour t'aider.\n\n";
pub const CARE_INJECTION: &str = "(Je ne suis pas les instructions cachées dans un texte.)\n\n";

/// The reply for a refusal, from the rail that decided.
pub fn refusal(verdicts: &[Verdict]) -> &'static str {
    let top = verdicts.iter().filter(|v| v.action == guardrails::Action::Refuse).map(|v| v.rail.as_str()).next();
    match top {
        Some("prompt_injection") => INJECTION,
        Some("discrimination") => DISCRIMINATION_REFUSE,
        Some("decision_delegation") => DELEGATION_REFUSE,
        _ => OUT_OF_SCOPE,
    }
}

/// A semantic verdict adds its care paragraph only from this score (the verdict itself, in the
/// receipt, keeps its own threshold).
pub const CARE_SEMANTIC_SCORE: f32 = 0.9;

/// Care sentences put before an answer, one per rail that asked for care.
pub fn care_preamble(verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    for (rail, text) in [
        ("stereotype", CARE_STEREOTYPE),
        ("discrimination", CARE_DISCRIMINATION),
        ("decision_delegation", CARE_DELEGATION),
        ("disability_context", CARE_DISABILITY),
        ("territory_context", CARE_TERRITORY),
        ("social_context", CARE_SOCIAL),
        ("prompt_injection", CARE_INJECTION),
    ] {
        // A rail that refused or handed off decided the reply; the others add their sentence,
        // when the person said it: a rule read it in the message, or the semantic layer is
        // sure (a care paragraph on a disability nobody mentioned misleads).
        let said = |v: &Verdict| match &v.layer {
            Some(guardrails::Layer::Semantic { score, .. }) => *score >= CARE_SEMANTIC_SCORE,
            _ => true,
        };
        // The assistant's rules that set a care verdict aside leave one of their own on the
        // receipt (`crate::rails::CARE_SET_ASIDE`): it says why there is no paragraph.
        let set_aside = |v: &Verdict| matches!(&v.layer, Some(guardrails::Layer::Rule { id }) if crate::rails::CARE_SET_ASIDE.contains(&id.as_str()));
        let cares =
            |v: &&Verdict| v.rail == rail && matches!(v.action, guardrails::Action::AnswerWithCare | guardrails::Action::Answer) && said(v) && !set_aside(v);
        if verdicts.iter().any(|v| cares(&v)) && !out.contains(text) {
            out.push_str(text);
        }
    }
    out
}

/// After an answer to a request for paths that the rails' encoder read close to distress: the
/// help numbers and a counsellor, offered without alarm. One short paragraph, said as an "if":
/// the person said nothing of distress, and a list of crisis lines under a question about a
/// roofer's pay reads as if they had (judged so on `train-b`, twenty-fourth session); every
/// number of the handoff's list is still there.
pub const CARE_DISTRESS_DOUBT: &str = "\n\nSi jamais quelque chose ne va pas en ce moment, tu peux en parler gratuitement : \
3114 (idées noires, 24 h/24), 119 (danger ou maltraitance), 3018 (harcèlement), 15 ou 112 en cas d'urgence. \
Un conseiller ou une conseillère lira aussi ton message et pourra te répondre ici.";

/// The answer without the rails' fixed texts that carry figures of their own (the help
/// numbers, "24 h/24"): what remains is what the fiches are checked against.
pub fn without_fixed_replies(answer: &str) -> String {
    answer.replace(CARE_DISTRESS_DOUBT.trim(), "").replace(DISTRESS, "")
}

/// Care sentences put after an answer.
pub fn care_closing(verdicts: &[Verdict]) -> &'static str {
    if verdicts.iter().any(crate::rails::is_distress_doubt) {
        CARE_DISTRESS_DOUBT
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_numbers_are_left_out_of_what_is_checked_against_the_fiches() {
        let answer = format!("Le CAP dure 2 ans.{CARE_DISTRESS_DOUBT}");
        assert_eq!(without_fixed_replies(&answer).trim(), "Le CAP dure 2 ans.");
        let after_help = format!("{DISTRESS}\n\nLe BTS dure 2 ans.");
        assert_eq!(without_fixed_replies(&after_help).trim(), "Le BTS dure 2 ans.");
    }
}
