//! Properties over generated input: no text makes a rail, the normaliser or the PII recogniser
//! panic (spans stay on character boundaries), and personal data mixed into ordinary French in
//! every written form never survives redaction.

use guardrails::pii::{find, redact};
use guardrails::{check_input, normalise::normalise, Guard, History};
use proptest::prelude::*;

/// Text from the corners of Unicode that real messages reach: accents, full-width and
/// compatibility forms, combining marks, emoji, spaces of every kind, digits, apostrophes.
fn odd_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        "[a-zA-Z0-9 ,.'’!?@:/+()-]{0,12}",
        Just("é".to_string()),
        Just("e\u{301}".to_string()),
        Just("１２３".to_string()),
        Just("ＡＢＣ".to_string()),
        Just("\u{a0}\u{2009}\u{200b}".to_string()),
        Just("😀👩‍🎓".to_string()),
        Just("Chloé  Dupré".to_string()),
        Just("je m'appelle".to_string()),
        Just("FR１２".to_string()),
        Just("ß ﬁ Œ".to_string()),
        Just("\n\t".to_string()),
        "\\PC{0,6}",
    ];
    prop::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn no_input_panics_and_spans_stay_on_char_boundaries(text in odd_text()) {
        let _ = normalise(&text);
        for m in find(&text) {
            prop_assert!(text.is_char_boundary(m.span.start) && text.is_char_boundary(m.span.end));
        }
        let (redacted, _) = redact(&text);
        let _ = check_input(&text);
        let _ = check_input(&redacted);
        let _ = Guard::rules_only().check(&text, &History { previous: vec![text.clone()], distress_pending: false });
        let _ = guardrails::output::check_sentence(&text);
    }
}

fn first_name() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["Léa", "Karim", "Inès", "Mamadou", "Chloé", "João", "Yanis", "Fatoumata", "Lucas", "Aïcha", "Hugo", "Kenza"])
        .prop_map(str::to_string)
}

fn last_name() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["Martin", "Benali", "Diallo", "Dupré", "Nguyen", "Moreau", "Da Silva", "Lefèvre"]).prop_map(str::to_string)
}

fn phone() -> impl Strategy<Value = String> {
    (prop::sample::select(vec!["06", "07", "01"]), prop::collection::vec(10u8..99, 4), prop::sample::select(vec![" ", ".", "-", ""]), any::<u8>()).prop_map(
        |(p, rest, sep, form)| {
            let tail: Vec<String> = rest.iter().map(|n| format!("{n:02}")).collect();
            let local = format!("{p}{sep}{}", tail.join(sep));
            match form % 3 {
                0 => local,
                1 => format!("+33 {}", &local[1..]),
                _ => format!("0033 {}", &local[1..]),
            }
        },
    )
}

fn email() -> impl Strategy<Value = String> {
    ("[a-z]{3,8}", "[a-z]{1,3}[0-9]{0,2}", prop::sample::select(vec!["gmail", "orange", "laposte"]), prop::sample::select(vec!["com", "fr"]), any::<u8>())
        .prop_map(|(a, b, d, tld, form)| match form % 4 {
            0 => format!("{a}.{b}@{d}.{tld}"),
            1 => format!("{a}.{b} at {d} dot {tld}"),
            2 => format!("{a} arobase {d} point {tld}"),
            _ => format!("{a}[at]{d}[dot]{tld}"),
        })
}

fn nir() -> impl Strategy<Value = String> {
    (1u64..3, 0u64..100, 1u64..13, 1u64..96, 1u64..990, 1u64..999, any::<bool>()).prop_map(|(sex, year, month, dept, commune, order, spaced)| {
        let body = sex * 1_000_000_000_000 + year * 10_000_000_000 + month * 100_000_000 + dept * 1_000_000 + commune * 1_000 + order;
        let key = 97 - body % 97;
        let digits = format!("{body:013}{key:02}");
        if spaced {
            format!("{} {} {} {} {} {} {}", &digits[0..1], &digits[1..3], &digits[3..5], &digits[5..7], &digits[7..10], &digits[10..13], &digits[13..15])
        } else {
            digits
        }
    })
}

fn birth_date() -> impl Strategy<Value = String> {
    (1u32..29, 1u32..13, 2005u32..2014, any::<bool>()).prop_map(
        |(d, m, y, slash)| {
            if slash {
                format!("née le {d:02}/{m:02}/{y}")
            } else {
                format!("né le {d} mars {y}")
            }
        },
    )
}

/// (message, the personal data it holds)
fn message_with_pii() -> impl Strategy<Value = (String, Vec<String>)> {
    (first_name(), last_name(), phone(), email(), nir(), birth_date(), any::<u8>()).prop_map(|(f, l, p, e, n, b, shape)| {
        let name = format!("{f} {l}");
        match shape % 6 {
            0 => (format!("Bonjour, je m'appelle {name}, mon numéro c'est {p}, quelles études pour devenir infirmière ?"), vec![f, l, p]),
            1 => (format!("ma fille {f} veut faire un CAP cuisine, vous pouvez m'écrire à {e} ?"), vec![f, e]),
            2 => (format!("Pour {name}, {f} et moi on cherche un BTS, écrivez à {e}"), vec![name, e]),
            3 => (format!("slt c {} jsuis en 3e mon tel {p} c koi un bac pro", f.to_lowercase()), vec![f.to_lowercase(), p]),
            4 => (format!("Je suis {name}, {b}, numéro de sécu {n}, je veux faire un BUT info"), vec![f, l, n]),
            _ => (format!("Mes élèves {f}, {l} et {name} hésitent entre bac pro et CAP, mon mail {e}"), vec![f, e]),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn personal_data_never_survives_redaction((message, data) in message_with_pii()) {
        let (redacted, _) = redact(&message);
        let report = check_input(&message);
        for d in &data {
            prop_assert!(!redacted.contains(d.as_str()), "{d:?} survives in {redacted:?}");
            prop_assert!(!report.retrieval_text.contains(d.as_str()), "{d:?} survives in the retrieval text {:?}", report.retrieval_text);
        }
    }
}

/// Lines a damaged or hostile log file may hold: valid records, JSON of the wrong shape, cut
/// lines, bytes that are not UTF-8.
fn log_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(br#"{"data":{},"hash":"00","kind":"turn","prev":"0000000000000000000000000000000000000000000000000000000000000000","seq":1,"ts":1}"#.to_vec()),
        Just(br#"{"data":{"head":null,"signature":"zz"},"hash":"x","kind":"checkpoint","prev":"y","seq":18446744073709551615}"#.to_vec()),
        Just(br#"{"seq":-1,"hash":5,"prev":[],"kind":{}}"#.to_vec()),
        Just(br#"[1,2,3]"#.to_vec()),
        Just(b"\xff\xfe\x00".to_vec()),
        "\\PC{0,40}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_log_verifier_never_panics(lines in prop::collection::vec(log_line(), 0..8), newline_at_end in any::<bool>()) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("l.jsonl");
        let mut bytes = lines.join(&b'\n');
        if newline_at_end {
            bytes.push(b'\n');
        }
        std::fs::write(&p, &bytes).unwrap();
        let key = ed25519_dalek::SigningKey::from_bytes(&[3u8; 32]).verifying_key();
        for opts in [guardrails::log::VerifyOptions::default(), guardrails::log::VerifyOptions { trusted_key: Some(&key), checkpoint_every: 2, ..Default::default() }] {
            let r = guardrails::log::verify(&p, &opts).unwrap();
            prop_assert!(r.ok == r.problems.is_empty());
        }
        // Opening it either accepts it (setting a torn tail aside) or refuses it with an error.
        let mut cfg = guardrails::log::LogConfig::new(&p);
        cfg.sync = false;
        let _ = guardrails::log::TransparencyLog::open(cfg);
    }
}
