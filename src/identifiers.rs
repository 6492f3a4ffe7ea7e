//! Identifiers that cannot be confused (CONTRACT "Sharper rules" -> "Identifiers"): what a
//! client_id and a username may be, and the one key under which two identifiers are the same
//! principal's. Pure functions; the store keeps the key in a UNIQUE column.

use caseless::Caseless;
use precis_profiles::precis_core::profile::PrecisFastInvocation;
use precis_profiles::precis_core::Error as PrecisError;
use precis_profiles::UsernameCaseMapped;
use unicode_normalization::UnicodeNormalization;

/// Longest identifier, in characters.
pub const MAX_CHARS: usize = 128;

/// Names no principal may take (compared by [`comparison_key`], so `SYSTEM` and a Cyrillic
/// `ѕystem` are taken too). `system` is the audit actor of start-up and the CLI; `castellan` is
/// the server's own name (the default realm, the issuer's product); `anonymous` is what logs and
/// people read as "nobody signed in"; `root` is the root organization's slug; `castellan-console`
/// is the console's built-in client. A principal holding
/// one of these would pass for Castellan itself in the audit trail.
pub const RESERVED: &[&str] = &[
    "system",
    "castellan",
    "castellan-console",
    "anonymous",
    "root",
];

/// Why a character can't be seen, or `None` when it can. Default-ignorable code points are those
/// of Unicode's DerivedCoreProperties (the same list UTS #39's skeleton drops); bidi controls
/// are those of UAX #9 §2.
fn invisible(c: char) -> Option<&'static str> {
    const BIDI_CONTROLS: &[char] = &[
        '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}',
        '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
    ];
    const DEFAULT_IGNORABLE: &[(char, char)] = &[
        ('\u{00AD}', '\u{00AD}'),
        ('\u{034F}', '\u{034F}'),
        ('\u{061C}', '\u{061C}'),
        ('\u{115F}', '\u{1160}'),
        ('\u{17B4}', '\u{17B5}'),
        ('\u{180B}', '\u{180F}'),
        ('\u{200B}', '\u{200F}'),
        ('\u{202A}', '\u{202E}'),
        ('\u{2060}', '\u{206F}'),
        ('\u{3164}', '\u{3164}'),
        ('\u{FE00}', '\u{FE0F}'),
        ('\u{FEFF}', '\u{FEFF}'),
        ('\u{FFA0}', '\u{FFA0}'),
        ('\u{FFF0}', '\u{FFF8}'),
        ('\u{1BCA0}', '\u{1BCA3}'),
        ('\u{1D173}', '\u{1D17A}'),
        ('\u{E0000}', '\u{E0FFF}'),
    ];
    if BIDI_CONTROLS.contains(&c) {
        Some("a bidi-control character")
    } else if DEFAULT_IGNORABLE
        .iter()
        .any(|(lo, hi)| (*lo..=*hi).contains(&c))
        // U+2800 BRAILLE PATTERN BLANK renders as nothing but is not default-ignorable.
        || c == '\u{2800}'
    {
        Some("an invisible character")
    } else if c.is_control() {
        Some("a control character")
    } else if c.is_whitespace() {
        Some("a space")
    } else {
        None
    }
}

/// The first invisible, bidi-control, control or space character, as a sentence naming it.
fn refuse_invisible(field: &str, id: &str) -> Result<(), String> {
    match id.chars().find_map(|c| invisible(c).map(|what| (c, what))) {
        Some((c, what)) => Err(format!(
            "{field} contains {what} (U+{:04X}); identifiers must be visible",
            u32::from(c)
        )),
        None => Ok(()),
    }
}

/// Whether `id` has the shape of an internal id (a UUID, as every row id and every user id is):
/// such a client_id or username could name another principal's row, or a user's `sub`.
fn looks_like_row_id(id: &str) -> bool {
    id.len() == 36 && uuid::Uuid::try_parse(id).is_ok()
}

fn refuse_reserved(field: &str, id: &str) -> Result<(), String> {
    if looks_like_row_id(id) {
        return Err(format!(
            "{field} {id:?} has the shape of an internal id (a UUID); internal ids name rows and \
             users, so no client_id or username may look like one"
        ));
    }
    let key = comparison_key(id);
    match RESERVED.iter().find(|r| comparison_key(r) == key) {
        Some(r) => Err(format!("{field} {id:?} is reserved (it stands for {r:?})")),
        None => Ok(()),
    }
}

/// Checks a client_id: RFC 6749 Appendix A VSCHAR without the space (printable ASCII
/// 0x21-0x7E), 1 to [`MAX_CHARS`] characters, not reserved.
pub fn check_client_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.chars().count() > MAX_CHARS {
        return Err(format!("client_id must be 1 to {MAX_CHARS} characters"));
    }
    refuse_invisible("client_id", id)?;
    if let Some(c) = id.chars().find(|c| !('\u{21}'..='\u{7E}').contains(c)) {
        return Err(format!(
            "client_id must be printable ASCII without spaces (RFC 6749 VSCHAR); {c:?} (U+{:04X}) is not",
            u32::from(c)
        ));
    }
    refuse_reserved("client_id", id)
}

/// Enforces a username with RFC 8265 §3.3 (PRECIS UsernameCaseMapped: width-mapped, lower-cased,
/// NFC, bidi rule) and returns the form to store; refuses invisible and bidi-control characters
/// with their own message, names longer than [`MAX_CHARS`], and reserved names.
pub fn enforce_username(name: &str) -> Result<String, String> {
    // Bounds the work before any Unicode processing (a character is at most 4 bytes).
    if name.is_empty() || name.len() > MAX_CHARS * 4 {
        return Err(format!("username must be 1 to {MAX_CHARS} characters"));
    }
    refuse_invisible("username", name)?;
    let enforced = UsernameCaseMapped::enforce(name).map_err(|e| match e {
        PrecisError::BadCodepoint(info) => format!(
            "username may not contain U+{:04X} (RFC 8265 UsernameCaseMapped)",
            info.cp
        ),
        PrecisError::Invalid => {
            "username breaks RFC 8265 (the bidi rule, or nothing left once enforced)".to_string()
        }
        PrecisError::Unexpected(_) => "username is not a valid RFC 8265 username".to_string(),
    })?;
    if enforced.chars().count() > MAX_CHARS {
        return Err(format!("username must be 1 to {MAX_CHARS} characters"));
    }
    refuse_reserved("username", &enforced)?;
    Ok(enforced.into_owned())
}

/// NFKC_Casefold, as Unicode 3.13 D146 spells compatibility caseless matching:
/// NFKC(toCasefold(NFKD(toCasefold(NFD(s))))).
fn nfkc_casefold(s: &str) -> String {
    let once: String = s.chars().nfd().default_case_fold().collect();
    once.chars().nfkd().default_case_fold().nfkc().collect()
}

/// The key under which two identifiers are the same principal's: equal after case folding and
/// normalisation (NFKC_Casefold), or with equal UTS #39 confusable skeletons. The skeleton is
/// taken of the folded form, and folded again, until nothing changes: the skeleton maps some
/// characters to capitals (`0` to `O`), which folding then meets (`svc-0`, `svc-O` and `svc-o`
/// share a key; so do `svc-1` and `svc-l`). Known gap: `I` folds to `i` before the skeleton can
/// map it to `l`, so `svc-I` and `svc-l` have different keys.
pub fn comparison_key(id: &str) -> String {
    let mut key = nfkc_casefold(id);
    // A few rounds reach the fixed point for every mapping in the tables; the cap only bounds
    // the work, and the result stays a function of the input either way.
    for _ in 0..4 {
        let skeleton: String = unicode_security::skeleton(&key).collect();
        let next = nfkc_casefold(&skeleton);
        if next == key {
            break;
        }
        key = next;
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str) -> bool {
        comparison_key(a) == comparison_key(b)
    }

    #[test]
    fn case_and_normalisation_variants_share_a_key() {
        assert!(same("alice", "ALICE"));
        assert!(same("caf\u{e9}", "cafe\u{301}")); // NFC and NFD
        assert!(same("alice", "\u{ff41}\u{ff4c}\u{ff49}\u{ff43}\u{ff45}")); // full-width
        assert!(same("strasse", "stra\u{df}e")); // full case folding, not lower-casing
    }

    #[test]
    fn confusables_share_a_key() {
        assert!(same("svc-1", "svc-l"));
        assert!(same("svc-0", "svc-O"));
        assert!(same("svc-0", "svc-o"));
        assert!(same("paypal", "\u{440}\u{430}y\u{440}\u{430}l")); // Cyrillic р, а
        assert!(same("admin", "\u{430}dmin"));
        assert!(same("ALICE", "\u{430}lice")); // both rules at once
    }

    #[test]
    fn different_identifiers_keep_different_keys() {
        assert!(!same("alice", "alicia"));
        assert!(!same("svc-1", "svc-2"));
        assert!(!same("svc-a", "svc-b"));
    }

    #[test]
    fn generated_ids_never_collide() {
        let keys: std::collections::HashSet<String> = (0..5000)
            .map(|_| comparison_key(&uuid::Uuid::new_v4().to_string()))
            .collect();
        assert_eq!(keys.len(), 5000);
    }

    #[test]
    fn the_key_is_its_own_key() {
        for id in ["svc-1", "ALICE", "caf\u{e9}", "d0c1", "\u{440}\u{430}y"] {
            let k = comparison_key(id);
            assert_eq!(comparison_key(&k), k, "{id}");
        }
    }

    #[test]
    fn client_ids_are_printable_ascii() {
        assert!(check_client_id("svc-reporter_1.v2~x").is_ok());
        assert!(check_client_id(&"a".repeat(128)).is_ok());
        assert!(check_client_id(&"a".repeat(129)).is_err());
        assert!(check_client_id("").is_err());
        assert!(check_client_id("has space").is_err());
        let e = check_client_id("caf\u{e9}").unwrap_err();
        assert!(e.contains("printable ASCII"), "{e}");
        let e = check_client_id("adm\u{2060}").unwrap_err();
        assert!(e.contains("invisible") && e.contains("U+2060"), "{e}");
        let e = check_client_id("svc\u{202e}x").unwrap_err();
        assert!(e.contains("bidi-control"), "{e}");
    }

    #[test]
    fn usernames_are_stored_in_their_enforced_form() {
        assert_eq!(enforce_username("Alice").unwrap(), "alice");
        assert_eq!(enforce_username("\u{ff21}lice").unwrap(), "alice");
        assert_eq!(enforce_username("cafe\u{301}").unwrap(), "caf\u{e9}");
        assert!(enforce_username("has space").is_err());
        assert!(enforce_username("").is_err());
        assert!(enforce_username(&"a".repeat(129)).is_err());
        let e = enforce_username("adm\u{2060}").unwrap_err();
        assert!(e.contains("invisible") && e.contains("U+2060"), "{e}");
        let e = enforce_username("\u{200f}bob").unwrap_err();
        assert!(e.contains("bidi-control"), "{e}");
        let e = enforce_username("bob\u{2603}").unwrap_err();
        assert!(e.contains("U+2603"), "{e}");
    }

    #[test]
    fn reserved_names_and_their_look_alikes_are_refused() {
        for name in [
            "system",
            "SYSTEM",
            "\u{455}ystem",
            "castellan",
            "anonymous",
            "root",
        ] {
            let e = enforce_username(name).unwrap_err();
            assert!(e.contains("reserved"), "{name}: {e}");
        }
        assert!(check_client_id("System").unwrap_err().contains("reserved"));
        // CONTRACT (one identifier names one principal): nothing may look like a row or user id.
        let row_id = "0193a4b2-7c1d-7e8f-9a0b-1c2d3e4f5a6b";
        assert!(check_client_id(row_id).unwrap_err().contains("internal id"));
        assert!(check_client_id(&row_id.to_uppercase()).is_err());
        assert!(enforce_username(row_id)
            .unwrap_err()
            .contains("internal id"));
        assert!(check_client_id("0193a4b2-7c1d-7e8f-9a0b-1c2d3e4f5a6").is_ok());
        assert!(check_client_id("r00t").unwrap_err().contains("reserved"));
        assert!(check_client_id("systems").is_ok());
    }
}
