//! Key newtypes: quickkeys (15 chars), folderkeys (13 chars, or the root moniker `myfiles`)
//! and upload keys (11 chars), all `[a-z0-9]`; plus random hex tokens.

use std::fmt;

use rand::Rng;

const KEY_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

fn is_key(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn random_key(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| KEY_ALPHABET[rng.gen_range(0..KEY_ALPHABET.len())] as char)
        .collect()
}

macro_rules! key_type {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The length of a generated key.
            pub const LEN: usize = $len;

            /// The key's text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The key's text, owned.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                $name::parse(s).ok_or(())
            }
        }
    };
}

key_type!(
    /// A file's key: 15 chars `[a-z0-9]`.
    QuickKey,
    15
);
key_type!(
    /// A folder's key: 13 chars `[a-z0-9]`, or the root moniker `myfiles`.
    FolderKey,
    13
);
key_type!(
    /// An upload's poll key (`doupload.key`): 11 chars `[a-z0-9]`.
    UploadKey,
    11
);

impl QuickKey {
    pub fn parse(s: &str) -> Option<Self> {
        is_key(s, Self::LEN).then(|| QuickKey(s.to_owned()))
    }

    pub fn generate() -> Self {
        QuickKey(random_key(Self::LEN))
    }
}

impl FolderKey {
    /// The moniker that names a device's root folder wherever a folder key is expected.
    pub const ROOT: &'static str = "myfiles";

    pub fn parse(s: &str) -> Option<Self> {
        (s == Self::ROOT || is_key(s, Self::LEN)).then(|| FolderKey(s.to_owned()))
    }

    /// The root moniker `myfiles`.
    pub fn root() -> Self {
        FolderKey(Self::ROOT.to_owned())
    }

    pub fn is_root(&self) -> bool {
        self.0 == Self::ROOT
    }

    /// A random 13-char key; never `myfiles` (which has 7 chars anyway).
    pub fn generate() -> Self {
        loop {
            let key = random_key(Self::LEN);
            if key != Self::ROOT {
                return FolderKey(key);
            }
        }
    }
}

impl UploadKey {
    pub fn parse(s: &str) -> Option<Self> {
        is_key(s, Self::LEN).then(|| UploadKey(s.to_owned()))
    }

    pub fn generate() -> Self {
        UploadKey(random_key(Self::LEN))
    }
}

/// `len_hex` random lowercase hex digits, for session and action tokens and ekeys.
pub fn random_token(len_hex: usize) -> String {
    let mut bytes = vec![0u8; len_hex.div_ceil(2)];
    rand::thread_rng().fill(bytes.as_mut_slice());
    let mut hex = hex::encode(bytes);
    hex.truncate(len_hex);
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quickkey() {
        assert!(QuickKey::parse("lrryifc0vut4jl6").is_some());
        for bad in [
            "",
            "lrryifc0vut4jl",
            "lrryifc0vut4jl6x",
            "LRRYIFC0VUT4JL6",
            "lrryifc0vut4j-6",
            "lrryifc0vut4jé",
        ] {
            assert!(QuickKey::parse(bad).is_none(), "{bad}");
        }
        let k = QuickKey::generate();
        assert_eq!(QuickKey::parse(k.as_str()), Some(k.clone()));
        assert_eq!(k.to_string(), k.as_str());
        assert_ne!(QuickKey::generate(), QuickKey::generate());
    }

    #[test]
    fn folderkey() {
        assert!(FolderKey::parse("gtrp6u25m6nmb").is_some());
        let root = FolderKey::parse("myfiles").unwrap();
        assert!(root.is_root());
        assert_eq!(root, FolderKey::root());
        assert!(!FolderKey::parse("gtrp6u25m6nmb").unwrap().is_root());
        for bad in [
            "",
            "MYFILES",
            "trash",
            "gtrp6u25m6nm",
            "gtrp6u25m6nmbb",
            "lrryifc0vut4jl6",
        ] {
            assert!(FolderKey::parse(bad).is_none(), "{bad}");
        }
        for _ in 0..100 {
            let k = FolderKey::generate();
            assert!(!k.is_root());
            assert_eq!(k.as_str().len(), 13);
            assert_eq!(FolderKey::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn uploadkey() {
        assert!(UploadKey::parse("sf22seu6p7d").is_some());
        assert!(UploadKey::parse("sf22seu6p7").is_none());
        assert!(UploadKey::parse("sf22seu6p7dd").is_none());
        let k = UploadKey::generate();
        assert_eq!(format!("{k}").len(), 11);
        assert_eq!(k.as_str().parse::<UploadKey>(), Ok(k));
    }

    #[test]
    fn lengths_tell_kinds_apart() {
        let q = QuickKey::generate();
        assert!(FolderKey::parse(q.as_str()).is_none());
        assert!(UploadKey::parse(q.as_str()).is_none());
        let f = FolderKey::generate();
        assert!(QuickKey::parse(f.as_str()).is_none());
    }

    #[test]
    fn tokens() {
        for len in [0, 1, 31, 32, 128, 144] {
            let t = random_token(len);
            assert_eq!(t.len(), len);
            assert!(t.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
        }
        assert_ne!(random_token(32), random_token(32));
    }
}
