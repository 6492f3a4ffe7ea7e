//! The master key: seals signing keys at rest (AES-256-GCM) and keys the client-secret hash
//! (HMAC-SHA256). Two sub-keys are derived with HKDF so neither use weakens the other.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use ring::{aead, hkdf, hmac};

use super::KeyError;

const NONCE_LEN: usize = 12;

/// The keys derived from the master key.
pub struct MasterKey {
    seal: aead::LessSafeKey,
    secret_hash: hmac::Key,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

impl MasterKey {
    /// Derives the sub-keys from 32 bytes of key material.
    pub fn from_bytes(material: &[u8; 32]) -> Result<Self, KeyError> {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"castellan master key v1").extract(material);
        let seal_key: aead::UnboundKey = prk
            .expand(&[b"seal signing keys"], &aead::AES_256_GCM)
            .map_err(|_| KeyError::Crypto("hkdf"))?
            .into();
        let secret_hash: hmac::Key = prk
            .expand(&[b"client secret hash"], hmac::HMAC_SHA256)
            .map_err(|_| KeyError::Crypto("hkdf"))?
            .into();
        Ok(MasterKey {
            seal: aead::LessSafeKey::new(seal_key),
            secret_hash,
        })
    }

    /// Decodes a configured master key (base64url, 32 bytes).
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim().trim_end_matches('='))
            .map_err(|_| KeyError::Config("the master key is not base64url".into()))?;
        let material: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError::Config("the master key must be 32 bytes".into()))?;
        Self::from_bytes(&material)
    }

    /// Reads the master key file, or creates it (owner-only, 0600) when it does not exist.
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), KeyError> {
        match fs::read_to_string(path) {
            Ok(text) => Ok((Self::from_base64(&text)?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    crate::storage::files::create_private_dir(dir)
                        .map_err(|e| KeyError::Io(dir.display().to_string(), e))?;
                }
                let mut material = [0u8; 32];
                SystemRandom::new()
                    .fill(&mut material)
                    .map_err(|_| KeyError::Crypto("random"))?;
                let mut file = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(|e| KeyError::Io(path.display().to_string(), e))?;
                writeln!(file, "{}", URL_SAFE_NO_PAD.encode(material))
                    .map_err(|e| KeyError::Io(path.display().to_string(), e))?;
                Ok((Self::from_bytes(&material)?, true))
            }
            Err(e) => Err(KeyError::Io(path.display().to_string(), e)),
        }
    }

    /// Seals `plaintext`, bound to `label` (the kid): nonce || ciphertext || tag.
    pub fn seal(&self, label: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| KeyError::Crypto("random"))?;
        let mut buf = plaintext.to_vec();
        self.seal
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(label.as_bytes()),
                &mut buf,
            )
            .map_err(|_| KeyError::Crypto("seal"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(out)
    }

    /// Opens what [`seal`](Self::seal) made; fails on a wrong key, label or any tampering.
    pub fn open(&self, label: &str, sealed: &[u8]) -> Result<Vec<u8>, KeyError> {
        if sealed.len() < NONCE_LEN {
            return Err(KeyError::Crypto("sealed key too short"));
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let nonce =
            aead::Nonce::try_assume_unique_for_key(nonce).map_err(|_| KeyError::Crypto("nonce"))?;
        let mut buf = rest.to_vec();
        let plain = self
            .seal
            .open_in_place(nonce, aead::Aad::from(label.as_bytes()), &mut buf)
            .map_err(|_| KeyError::Crypto("a signing key does not open with this master key"))?;
        Ok(plain.to_vec())
    }

    /// The keyed hash of a client secret.
    pub fn hash_secret(&self, secret: &[u8]) -> Vec<u8> {
        hmac::sign(&self.secret_hash, secret).as_ref().to_vec()
    }

    /// Whether `secret` hashes to `stored`, compared in constant time.
    pub fn verify_secret(&self, secret: &[u8], stored: &[u8]) -> bool {
        hmac::verify(&self.secret_hash, secret, stored).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_open_only_with_the_same_key_and_label() {
        let a = MasterKey::from_bytes(&[7; 32]).unwrap();
        let b = MasterKey::from_bytes(&[8; 32]).unwrap();
        let sealed = a.seal("kid-1", b"private").unwrap();
        assert_eq!(a.open("kid-1", &sealed).unwrap(), b"private");
        assert!(a.open("kid-2", &sealed).is_err());
        assert!(b.open("kid-1", &sealed).is_err());
        assert!(!sealed.windows(7).any(|w| w == b"private"));
    }

    #[test]
    fn the_secret_hash_is_keyed() {
        let a = MasterKey::from_bytes(&[7; 32]).unwrap();
        let b = MasterKey::from_bytes(&[8; 32]).unwrap();
        assert_ne!(a.hash_secret(b"s"), b.hash_secret(b"s"));
        assert_eq!(a.hash_secret(b"s"), a.hash_secret(b"s"));
    }
}
