//! Subjects' names and sessions' labels: the one form they are stored and looked up in, and
//! the names a person would take for one another (letter case, width, apostrophes, dashes,
//! mixed scripts), which are refused rather than made into a second patient or session.

use rusqlite::params;
use unicode_normalization::UnicodeNormalization;

/// A subject's name or a session's label as stored and looked up: without surrounding spaces,
/// runs of spaces inside as one (a page shows them so), in Unicode NFC, so that "José" typed
/// where the accent is a letter of its own and where it is a combining mark is one name.
pub fn stored_name(given: &str) -> String {
    // Every kind of space (a no-break space pasted from a letter) is a space; control
    // characters, spaces too for Unicode (a newline, a tab), are kept to be refused.
    let spaced: String = given
        .trim()
        .chars()
        .map(|c| {
            if c.is_whitespace() && !c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    spaced
        .split(' ')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .nfc()
        .collect()
}

/// Whether a name mixes letters of two scripts (a Cyrillic "а" in a Latin "Anna"): it shows as
/// a second patient who looks like the first (a keyboard layout switched mid-word, or a copy
/// from another document). Digits and punctuation belong to every script; Japanese and Korean
/// writing count as one script each (Unicode's mixed-script rules, UTS #39).
pub fn mixes_scripts(name: &str) -> bool {
    use unicode_security::MixedScript;
    !name.is_single_script()
}

/// Characters a name must not hold: control characters (a newline, a terminal escape) and
/// those a page does not show (zero-width spaces and joiners, direction marks and overrides, a
/// soft hyphen, and the blank letters of Hangul, Khmer and Braille, which count as letters but
/// draw nothing), which would make two names that look the same. (Variation selectors are
/// allowed: one follows many emoji, "after ❤️", and some Japanese and Mongolian names.)
pub fn is_hidden_character(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180E}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FFA0}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

/// A name given (in its stored form, see [`stored_name`]) against the subjects there, or a
/// label against a subject's sessions.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Known {
    /// Saved under this name: the name itself or, saved before names were stored in one form,
    /// its older spelling ("runner-7 ", "Anna  Smith").
    Saved(String),
    /// Not there, but this one is, which differs only in letter case or width (see
    /// [`look_alike_form`]).
    CaseOf(String),
    /// Not there.
    New,
}

/// What two names that a person would take for one have in common: compatibility forms folded
/// (NFKC: full-width `Ａｎｎａ` is `Anna`, the ligature `ﬁ` is `fi`), letter case, and the
/// apostrophes and dashes phones and word processors type for `'` and `-` (`O’Brien` beside
/// `O'Brien`, `follow‐up` beside `follow-up` made a second patient and a second session).
fn look_alike_form(name: &str) -> String {
    let fold = |c: char| match c {
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' | '\u{02BB}' | '\u{02BC}'
        | '\u{00B4}' | '\u{FF07}' | '`' => '\'',
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => '-',
        c => c,
    };
    // Folded before NFKC (it turns an acute accent into a space and a combining accent) and
    // after (it turns a full-width grave, a vertical dash or a superscript minus into ones the
    // fold knows).
    name.chars()
        .map(fold)
        .collect::<String>()
        .nfkc()
        .map(fold)
        .collect::<String>()
        .to_lowercase()
}

/// How `name` (stored form) stands among the names `saved`.
fn known_among(
    saved: impl Iterator<Item = rusqlite::Result<String>>,
    name: &str,
) -> rusqlite::Result<Known> {
    let folded = look_alike_form(name);
    let (mut saved_as, mut case_of) = (None, None);
    for existing in saved {
        let existing = existing?;
        if existing == name {
            return Ok(Known::Saved(existing));
        }
        let existing_name = stored_name(&existing);
        if saved_as.is_none() && existing_name == name {
            saved_as = Some(existing);
        } else if case_of.is_none() && look_alike_form(&existing_name) == folded {
            case_of = Some(existing);
        }
    }
    Ok(match (saved_as, case_of) {
        (Some(saved), _) => Known::Saved(saved),
        (None, Some(other)) => Known::CaseOf(other),
        (None, None) => Known::New,
    })
}

/// How `alias` (stored form) stands among the subjects there.
pub(super) fn known_subject(
    connection: &rusqlite::Connection,
    alias: &str,
) -> rusqlite::Result<Known> {
    let mut statement = connection.prepare("SELECT alias FROM subjects")?;
    let aliases = statement.query_map([], |r| r.get::<_, String>(0))?;
    known_among(aliases, alias)
}

/// How `label` (stored form) stands among the subject's sessions.
pub(super) fn known_session(
    connection: &rusqlite::Connection,
    subject_id: i64,
    label: &str,
) -> rusqlite::Result<Known> {
    let mut statement = connection.prepare("SELECT label FROM sessions WHERE subject_id = ?1")?;
    let labels = statement.query_map(params![subject_id], |r| r.get::<_, String>(0))?;
    known_among(labels, label)
}

/// The label under which the subject's session `label` (stored form) was saved (its older
/// spelling, perhaps), or `label` for a session not there.
pub(super) fn saved_label(
    connection: &rusqlite::Connection,
    subject_id: i64,
    label: &str,
) -> rusqlite::Result<String> {
    Ok(match known_session(connection, subject_id, label)? {
        Known::Saved(saved) => saved,
        Known::CaseOf(_) | Known::New => label.to_string(),
    })
}
