//! Deterministic OpenPGP test keys (Ed25519, as gpgv 2.2 reads them) and signing.

use std::time::{Duration, SystemTime};

use pgp::composed::{
    ArmorOptions, CleartextSignedMessage, DetachedSignature, KeyType, SecretKeyParamsBuilder,
    SignedSecretKey,
};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{KeyFlags, SignatureConfig, SignatureType, Subpacket, SubpacketData};
use pgp::types::{Duration as PgpDuration, KeyDetails, Password, Timestamp};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// A signing key for fixture repositories.
pub struct TestKey {
    secret: SignedSecretKey,
}

fn timestamp(t: SystemTime) -> Timestamp {
    t.try_into().expect("time in OpenPGP range")
}

impl TestKey {
    /// A key from `seed`, created a year ago, never expiring.
    pub fn new(user_id: &str, seed: u64) -> TestKey {
        TestKey::with_validity(
            user_id,
            seed,
            SystemTime::now() - Duration::from_secs(365 * 86_400),
            None,
        )
    }

    /// A key created at `created` that expires `expires_after` later (`None`: never).
    pub fn with_validity(
        user_id: &str,
        seed: u64,
        created: SystemTime,
        expires_after: Option<Duration>,
    ) -> TestKey {
        // Whole seconds: OpenPGP timestamps are seconds, and `created` must round-trip.
        let created = SystemTime::UNIX_EPOCH
            + Duration::from_secs(
                created
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .expect("after 1970")
                    .as_secs(),
            );
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let created_ts = timestamp(created);
        let mut builder = SecretKeyParamsBuilder::default();
        builder
            .key_type(KeyType::Ed25519Legacy)
            .can_certify(true)
            .can_sign(true)
            .created_at(created_ts)
            .primary_user_id(user_id.into());
        let mut secret = builder
            .build()
            .expect("key params")
            .generate(&mut rng)
            .expect("generate key");
        // The builder stamps self-signatures with the wall clock and has no expiry knob:
        // re-issue the user id binding at the key's creation time, with the expiry.
        let primary = secret.primary_key.clone();
        let mut flags = KeyFlags::default();
        flags.set_certify(true);
        flags.set_sign(true);
        let mut config = SignatureConfig::v4(
            SignatureType::CertPositive,
            primary.algorithm(),
            HashAlgorithm::Sha256,
        );
        config.hashed_subpackets = vec![
            Subpacket::regular(SubpacketData::SignatureCreationTime(created_ts)).unwrap(),
            Subpacket::regular(SubpacketData::IssuerFingerprint(primary.fingerprint())).unwrap(),
            Subpacket::regular(SubpacketData::KeyFlags(flags)).unwrap(),
            Subpacket::regular(SubpacketData::IsPrimary(true)).unwrap(),
        ];
        if let Some(expires) = expires_after {
            let expires: PgpDuration = expires.try_into().expect("duration in range");
            config
                .hashed_subpackets
                .push(Subpacket::regular(SubpacketData::KeyExpirationTime(expires)).unwrap());
        }
        config.unhashed_subpackets =
            vec![Subpacket::regular(SubpacketData::IssuerKeyId(primary.legacy_key_id())).unwrap()];
        let public = primary.public_key().clone();
        let user = &mut secret.details.users[0];
        let signature = config
            .sign_certification(
                &primary,
                &public,
                &Password::empty(),
                pgp::types::Tag::UserId,
                &user.id,
            )
            .expect("user id binding");
        user.signatures = vec![signature];
        TestKey { secret }
    }

    /// The public key, ASCII-armored (what a `keyring:` file holds).
    pub fn public_armored(&self) -> Vec<u8> {
        self.secret
            .to_public_key()
            .to_armored_bytes(ArmorOptions::default())
            .expect("armor")
    }

    /// The primary key's fingerprint, upper-case hex.
    pub fn fingerprint(&self) -> String {
        format!("{:X}", self.secret.primary_key.fingerprint())
    }

    fn config(&self, kind: SignatureType, at: SystemTime) -> SignatureConfig {
        let key = &self.secret.primary_key;
        let mut config = SignatureConfig::v4(kind, key.algorithm(), HashAlgorithm::Sha512);
        config.hashed_subpackets = vec![
            Subpacket::regular(SubpacketData::SignatureCreationTime(timestamp(at))).unwrap(),
            Subpacket::regular(SubpacketData::IssuerFingerprint(key.fingerprint())).unwrap(),
        ];
        config.unhashed_subpackets =
            vec![Subpacket::regular(SubpacketData::IssuerKeyId(key.legacy_key_id())).unwrap()];
        config
    }

    /// An InRelease: `text` cleartext-signed at `at`.
    pub fn sign_cleartext(&self, text: &str, at: SystemTime) -> String {
        let config = self.config(SignatureType::Text, at);
        CleartextSignedMessage::new(text, config, &self.secret.primary_key, &Password::empty())
            .expect("sign")
            .to_armored_string(ArmorOptions::default())
            .expect("armor")
    }

    /// A Release.gpg: a detached armored signature of `data` made at `at`.
    pub fn sign_detached(&self, data: &[u8], at: SystemTime) -> Vec<u8> {
        let signature = self
            .config(SignatureType::Binary, at)
            .sign(&self.secret.primary_key, &Password::empty(), data)
            .expect("sign");
        DetachedSignature::new(signature)
            .to_armored_bytes(ArmorOptions::default())
            .expect("armor")
    }
}
